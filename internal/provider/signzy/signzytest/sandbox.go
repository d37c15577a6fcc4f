// Package signzytest wires the Signzy adapter to its simulator for the
// provider conformance suite. It is for tests only.
package signzytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/signzy"
	"github.com/signet-dev/signet/internal/provider/signzy/sim"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// Sandbox builds a Signzy adapter wired over real HTTP to a fresh
// simulator, mounted under /sandbox/signzy/ as Signet mounts it. Signzy
// calls back the callbackUrl each contract names: the suite's
// callbackURL, which it initiates with.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	const token, secret = "sandbox-token", "sandbox-callback-secret"
	e := simtest.NewEnv(t)
	s, err := sim.New(sim.Config{BaseURL: e.Srv.URL + "/sandbox/signzy", Token: token, CallbackRetries: []time.Duration{}})
	simtest.Serve(e, "/sandbox/signzy", s, err)
	adapter, err := signzy.New(signzy.Config{BaseURL: e.Srv.URL + "/sandbox/signzy", Token: token, CallbackSecret: secret,
		Timeout: providertest.SandboxTimeout})
	if err != nil {
		t.Fatal(err)
	}
	sb := &providertest.Sandbox{
		Provider:      adapter,
		Expire:        providertest.Hook("expire", s.Expire),
		UnknownStatus: providertest.Hook("unknown status", func(ref string) error { return s.SetSignerStatus(ref, "QUANTUM_VERIFIED") }),
		NthSigner:     nthSigner,
		Forgeries: []func(http.Header, []byte) (http.Header, []byte){
			func(h http.Header, b []byte) (http.Header, []byte) { h.Del("Authorization"); return h, b },
			func(h http.Header, b []byte) (http.Header, []byte) { h.Set("Authorization", "guess"); return h, b },
			func(h http.Header, b []byte) (http.Header, []byte) {
				h.Set("Authorization", "Bearer "+h.Get("Authorization"))
				return h, b
			},
		},
	}
	sb.UseFaults(s, map[providertest.Op]string{
		providertest.OpInitiate: sim.OpInitiate, providertest.OpRefresh: sim.OpPullData,
		providertest.OpDocument: sim.OpDownload, providertest.OpCancel: sim.OpPullData,
	})
	return sb
}

// nthSigner is the i-th signer of a multi-signer contract: a distinct
// person with the details Signzy's schema takes.
func nthSigner(i int) json.RawMessage {
	name := providertest.NthName([]string{"Asha Verma", "Ravi Kumar", "Meera Iyer", "Arjun Nair", "Divya Rao"}, i)
	b, _ := json.Marshal(map[string]string{"name": name, "email": fmt.Sprintf("signer%d@example.com", i+1),
		"uidLastFourDigits": fmt.Sprintf("%04d", 1000+i)}) // a map of strings always marshals
	return b
}
