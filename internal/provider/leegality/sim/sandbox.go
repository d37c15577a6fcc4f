package sim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/leegality"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/signing"
)

// Sandbox credentials used by Sandbox.
const (
	sandboxToken   = "sandbox-leegality-token"
	sandboxSalt    = "sandbox-leegality-private-salt"
	sandboxProfile = "sandbox-workflow-1"
)

// sandboxTimeout is the adapter's per-call timeout in Sandbox: short, so
// that the conformance suite's timeout test is quick.
const sandboxTimeout = 500 * time.Millisecond

// Sandbox builds a Leegality adapter wired over real HTTP to a fresh
// simulator, for the provider conformance suite (providertest.Run). The
// simulator is mounted under /sandbox/leegality/ of an httptest server,
// as Signet mounts it, and sends its webhooks to callbackURL. Both are
// closed with t.Cleanup.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	base := srv.URL + "/sandbox/leegality"

	s, err := New(Config{
		BaseURL:        base,
		Token:          sandboxToken,
		PrivateSalt:    sandboxSalt,
		ProfileID:      sandboxProfile,
		WebhookURL:     callbackURL,
		HTTPClient:     &http.Client{},
		WebhookTimeout: 2 * time.Second,
		WebhookRetries: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, time.Second},
	})
	if err != nil {
		t.Fatalf("leegality sim: %v", err)
	}
	t.Cleanup(func() { s.Close() }) // runs before srv.Close: re-sends stop first
	mux.Handle("/sandbox/leegality/", http.StripPrefix("/sandbox/leegality", s))

	a, err := leegality.New(leegality.Config{
		BaseURL:     base,
		AuthToken:   sandboxToken,
		ProfileID:   sandboxProfile,
		PrivateSalt: sandboxSalt,
		HTTPClient:  srv.Client(),
		Timeout:     sandboxTimeout,
	})
	if err != nil {
		t.Fatalf("leegality adapter: %v", err)
	}

	ops := map[providertest.Op]string{
		providertest.OpInitiate: OpCreate,
		providertest.OpRefresh:  OpDetails,
		providertest.OpCancel:   OpDelete,
		providertest.OpDocument: OpFetch,
	}
	return &providertest.Sandbox{
		Provider: a,
		Timeout:  sandboxTimeout,
		Signer: func(t *testing.T, started signing.Initiated, action string) {
			t.Helper()
			providertest.SubmitForm(t, started.RedirectURL, action)
		},
		Fail: func(op providertest.Op, status int) {
			// Leegality refuses a request with HTTP 200 and status 0; it
			// uses HTTP error statuses for outages and rate limits.
			if httpx.RetryableStatus(status) {
				s.FailNext(ops[op], status)
				return
			}
			s.RefuseNext(ops[op], "simulated.refusal", "Simulated refusal: "+http.StatusText(status))
		},
		Delay: func(op providertest.Op, d time.Duration) { s.DelayNext(ops[op], d) },
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
		Forgeries: []func(http.Header, []byte) (http.Header, []byte){
			// A mac one digit off.
			forge(func(m map[string]any) {
				mac, _ := m["mac"].(string)
				if mac != "" {
					last := mac[len(mac)-1]
					repl := byte('0')
					if last == '0' {
						repl = '1'
					}
					m["mac"] = mac[:len(mac)-1] + string(repl)
				}
			}),
			// No mac, an empty one, and one that is not a string.
			forge(func(m map[string]any) { delete(m, "mac") }),
			forge(func(m map[string]any) { m["mac"] = "" }),
			forge(func(m map[string]any) { m["mac"] = 12345 }),
			// The mac of the document under another account's salt.
			forge(func(m map[string]any) { id, _ := m["documentId"].(string); m["mac"] = mac("another-salt", id) }),
			// Another document under the genuine mac: the mac covers the
			// documentId, so it no longer matches.
			forge(func(m map[string]any) { m["documentId"] = newDocumentID(time.Now()) }),
		},
	}
}

// forge returns a forgery that edits a webhook's JSON body.
func forge(edit func(map[string]any)) func(http.Header, []byte) (http.Header, []byte) {
	return func(h http.Header, body []byte) (http.Header, []byte) {
		var m map[string]any
		d := json.NewDecoder(bytes.NewReader(body))
		d.UseNumber()
		if d.Decode(&m) != nil {
			return h, body
		}
		edit(m)
		out, err := json.Marshal(m)
		if err != nil {
			return h, body
		}
		return h, out
	}
}
