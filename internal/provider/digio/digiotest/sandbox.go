// Package digiotest wires the Digio adapter to its simulator for the
// provider conformance suite. It is for tests only.
package digiotest

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/digio"
	"github.com/signet-dev/signet/internal/provider/digio/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// Sandbox builds a Digio adapter wired over real HTTP to a fresh
// simulator, mounted under /sandbox/digio/ as Signet mounts it, whose
// account sends its webhooks to callbackURL.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	const (
		clientID      = "ACK-sandbox-client"
		clientSecret  = "sandbox-client-secret"
		webhookSecret = "sandbox-webhook-secret"
	)
	e := simtest.NewEnv(t)
	base := e.Srv.URL + "/sandbox/digio"
	s, err := sim.New(sim.Config{BaseURL: base, ClientID: clientID, ClientSecret: clientSecret, WebhookSecret: webhookSecret,
		WebhookURL: callbackURL, WebhookTimeout: 2 * time.Second, WebhookRetries: []time.Duration{100 * time.Millisecond, 500 * time.Millisecond}})
	simtest.Serve(e, "/sandbox/digio", s, err)
	a, err := digio.New(digio.Config{BaseURL: base, GatewayURL: s.GatewayURL(), ClientID: clientID, ClientSecret: clientSecret,
		WebhookSecret: webhookSecret, HTTPClient: e.Srv.Client(), Timeout: providertest.SandboxTimeout})
	if err != nil {
		t.Fatal(err)
	}
	sb := &providertest.Sandbox{
		Provider:      a,
		Expire:        providertest.Hook("expire", s.Expire),
		UnknownStatus: providertest.Hook("unknown status", s.UnknownStatusNext),
		Forgeries:     forgeries(webhookSecret),
		NthSigner:     nthSigner,
	}
	// FetchDocument reads the details before it downloads; faults on
	// OpDocument hit the download.
	sb.UseFaults(s, map[providertest.Op]string{
		providertest.OpInitiate: sim.OpUpload, providertest.OpRefresh: sim.OpDetails,
		providertest.OpCancel: sim.OpCancel, providertest.OpDocument: sim.OpDownload,
	})
	return sb
}

// nthSigner is the i-th signer of a multi-signer request: distinct
// people, alternately by e-mail and by mobile number, as Digio takes
// them.
func nthSigner(i int) json.RawMessage {
	name := providertest.NthName([]string{"Asha Verma", "Vikram Shah", "Meera Iyer", "Rahul Nair"}, i)
	identifier := fmt.Sprintf("signer%d@example.com", i+1)
	if i%2 == 1 {
		identifier = fmt.Sprintf("98765%05d", 43210+i)
	}
	b, _ := json.Marshal(map[string]string{"name": name, "identifier": identifier})
	return b
}

// forgeries turn a genuine Digio webhook into forged ones: a checksum
// under another key, none at all, a body changed by one byte under the
// genuine checksum, the checksum in base64 instead of hex, two checksum
// headers, a checksum over a re-encoded body, and one under an empty key.
func forgeries(secret string) []func(h http.Header, body []byte) (http.Header, []byte) {
	return []func(http.Header, []byte) (http.Header, []byte){
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Set(sim.ChecksumHeader, sim.Checksum(secret+"-wrong", body))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Del(sim.ChecksumHeader)
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			if len(body) > 0 {
				body[len(body)/2] ^= 0x01
			}
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			sum, _ := hex.DecodeString(sim.Checksum(secret, body))
			h.Set(sim.ChecksumHeader, base64.StdEncoding.EncodeToString(sum))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Add(sim.ChecksumHeader, sim.Checksum(secret+"-wrong", body))
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			body = append(body, '\n')
			return h, body
		},
		func(h http.Header, body []byte) (http.Header, []byte) {
			h.Set(sim.ChecksumHeader, sim.Checksum("", body))
			return h, body
		},
	}
}
