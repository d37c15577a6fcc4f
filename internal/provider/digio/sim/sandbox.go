package sim

import (
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/digio"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

// SandboxTimeout is the adapter's per-call timeout in Sandbox: short, so
// that the conformance suite's timeout test is quick.
const SandboxTimeout = 500 * time.Millisecond

// Sandbox builds a Digio adapter wired over real HTTP to a fresh
// simulator for the conformance suite (providertest.Run). The simulator
// is mounted under /sandbox/digio/ of a test server, as Signet mounts it,
// and sends its webhooks to callbackURL. Both are closed with t.Cleanup.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	const (
		clientID      = "ACK-sandbox-client"
		clientSecret  = "sandbox-client-secret"
		webhookSecret = "sandbox-webhook-secret"
	)
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/sandbox/digio"

	s, err := New(Config{
		BaseURL:        base,
		ClientID:       clientID,
		ClientSecret:   clientSecret,
		WebhookSecret:  webhookSecret,
		WebhookURL:     callbackURL,
		HTTPClient:     &http.Client{},
		WebhookTimeout: 2 * time.Second,
		WebhookRetries: []time.Duration{100 * time.Millisecond, 500 * time.Millisecond},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() }) // runs before srv.Close
	mux.Handle("/sandbox/digio/", http.StripPrefix("/sandbox/digio", s))

	a, err := digio.New(digio.Config{
		BaseURL:       base,
		GatewayURL:    s.GatewayURL(),
		ClientID:      clientID,
		ClientSecret:  clientSecret,
		WebhookSecret: webhookSecret,
		HTTPClient:    srv.Client(),
		Timeout:       SandboxTimeout,
	})
	if err != nil {
		t.Fatal(err)
	}

	return &providertest.Sandbox{
		Provider: a,
		Timeout:  SandboxTimeout,
		Signer: func(t *testing.T, started signing.Initiated, action string) {
			t.Helper()
			providertest.SubmitForm(t, started.RedirectURL, action)
		},
		Fail:  func(op providertest.Op, status int) { s.FailNext(simOp(op), status) },
		Delay: func(op providertest.Op, d time.Duration) { s.DelayNext(simOp(op), d) },
		Expire: func(t *testing.T, ref string) {
			t.Helper()
			if err := s.Expire(ref); err != nil {
				t.Fatalf("expire %s: %v", ref, err)
			}
		},
		UnknownStatus: func(t *testing.T, ref string) {
			t.Helper()
			if err := s.UnknownStatusNext(ref); err != nil {
				t.Fatalf("unknown status for %s: %v", ref, err)
			}
		},
		Forgeries: Forgeries(webhookSecret),
	}
}

// simOp is the simulator's operation behind a conformance-suite op.
// FetchDocument reads the details before it downloads; faults on
// OpDocument hit the download.
func simOp(op providertest.Op) string {
	switch op {
	case providertest.OpInitiate:
		return OpUpload
	case providertest.OpRefresh:
		return OpDetails
	case providertest.OpCancel:
		return OpCancel
	case providertest.OpDocument:
		return OpDownload
	}
	panic("digio sim: unknown conformance op " + string(op))
}

// Forgeries turn a genuine Digio webhook into forged ones: a checksum
// under another key, none at all, a body changed by one byte under the
// genuine checksum, the checksum in base64 instead of hex, two checksum
// headers, and a checksum over a re-encoded body.
func Forgeries(secret string) []func(h http.Header, body []byte) (http.Header, []byte) {
	return []func(http.Header, []byte) (http.Header, []byte){
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Set(ChecksumHeader, Checksum(secret+"-wrong", body))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Del(ChecksumHeader)
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			if len(body) > 0 {
				body[len(body)/2] ^= 0x01
			}
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			sum, _ := hex.DecodeString(Checksum(secret, body))
			h.Set(ChecksumHeader, base64Std(sum))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Add(ChecksumHeader, Checksum(secret+"-wrong", body))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			body = append(body, '\n')
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Set(ChecksumHeader, Checksum("", body))
			return h, body
		},
	}
}

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
