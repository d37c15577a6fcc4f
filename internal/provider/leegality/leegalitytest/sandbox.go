// Package leegalitytest wires the Leegality adapter to its simulator for
// the provider conformance suite. It is for tests only.
package leegalitytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/leegality"
	"github.com/signet-dev/signet/internal/provider/leegality/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// Sandbox credentials.
const (
	token   = "sandbox-leegality-token"
	salt    = "sandbox-leegality-private-salt"
	profile = "sandbox-workflow-1"
)

// Sandbox builds a Leegality adapter wired over real HTTP to a fresh
// simulator, mounted under /sandbox/leegality/ as Signet mounts it, whose
// workflow sends its webhooks to callbackURL.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	e := simtest.NewEnv(t)
	base := e.Srv.URL + "/sandbox/leegality"
	s, err := sim.New(sim.Config{BaseURL: base, Token: token, PrivateSalt: salt, ProfileID: profile, WebhookURL: callbackURL,
		WebhookTimeout: 2 * time.Second, WebhookRetries: []time.Duration{50 * time.Millisecond, 200 * time.Millisecond, time.Second}})
	simtest.Serve(e, "/sandbox/leegality", s, err)
	a, err := leegality.New(leegality.Config{BaseURL: base, AuthToken: token, ProfileID: profile, PrivateSalt: salt,
		HTTPClient: e.Srv.Client(), Timeout: providertest.SandboxTimeout})
	if err != nil {
		t.Fatalf("leegality adapter: %v", err)
	}
	sb := &providertest.Sandbox{
		Provider:      a,
		NthSigner:     nthSigner,
		Expire:        providertest.Hook("expire", s.Expire),
		UnknownStatus: providertest.Hook("unknown status", s.UnknownStatusNext),
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
			forge(func(m map[string]any) { id, _ := m["documentId"].(string); m["mac"] = sim.MAC("another-salt", id) }),
			// Another document under the genuine mac: the mac covers the
			// documentId, so it no longer matches.
			forge(func(m map[string]any) { m["documentId"] = "01M7YRRT801H1NW31AD668CETA" }),
		},
	}
	ops := map[providertest.Op]string{
		providertest.OpInitiate: sim.OpCreate, providertest.OpRefresh: sim.OpDetails,
		providertest.OpCancel: sim.OpDelete, providertest.OpDocument: sim.OpFetch,
	}
	sb.UseFaults(s, ops)
	sb.Fail = func(op providertest.Op, status int) {
		// Leegality refuses a request with HTTP 200 and status 0; it uses
		// HTTP error statuses for outages and rate limits.
		if httpx.RetryableStatus(status) {
			s.FailNext(ops[op], status)
			return
		}
		s.RefuseNext(ops[op], "simulated.refusal", "Simulated refusal: "+http.StatusText(status))
	}
	return sb
}

// people are the invitees of multi-signer requests, each with their own
// contacts as Leegality needs them.
var people = []string{"Asha Verma", "Ravi Kumar", "Meera Iyer", "Arjun Nair", "Priya Sharma",
	"Vikram Rao", "Kavya Reddy", "Rahul Gupta", "Ananya Das", "Suresh Pillai"}

// nthSigner is the i-th signer's details: a distinct name, e-mail and
// mobile number.
func nthSigner(i int) json.RawMessage {
	b, _ := json.Marshal(map[string]string{
		"name":  providertest.NthName(people, i),
		"email": fmt.Sprintf("signer%d@example.com", i+1),
		"phone": fmt.Sprintf("98765%05d", i+1),
	})
	return b
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
