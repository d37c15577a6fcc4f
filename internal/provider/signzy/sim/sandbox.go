package sim

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/signzy"
	"github.com/signet-dev/signet/internal/signing"
)

// Sandbox builds a Signzy adapter wired over real HTTP to a fresh
// simulator, for the provider conformance suite.
func Sandbox(t *testing.T, callbackURL string) *providertest.Sandbox {
	t.Helper()
	const token, secret = "sandbox-token", "sandbox-callback-secret"
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	sim, err := New(Config{BaseURL: srv.URL + "/sandbox/signzy", Token: token, CallbackRetries: []time.Duration{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	mux.Handle("/sandbox/signzy/", http.StripPrefix("/sandbox/signzy", sim))
	timeout := 500 * time.Millisecond
	adapter, err := signzy.New(signzy.Config{BaseURL: srv.URL + "/sandbox/signzy", Token: token, CallbackSecret: secret, Timeout: timeout})
	if err != nil {
		t.Fatal(err)
	}
	ops := map[providertest.Op]string{
		providertest.OpInitiate: OpInitiate, providertest.OpRefresh: OpPullData,
		providertest.OpDocument: OpDownload, providertest.OpCancel: OpPullData,
	}
	return &providertest.Sandbox{
		Provider: adapter,
		Timeout:  timeout,
		Signer: func(t *testing.T, started signing.Initiated, action string) {
			providertest.SubmitForm(t, started.RedirectURL, action)
		},
		Fail:  func(op providertest.Op, status int) { sim.FailNext(ops[op], status) },
		Delay: func(op providertest.Op, d time.Duration) { sim.DelayNext(ops[op], d) },
		Expire: func(t *testing.T, ref string) {
			if err := sim.Expire(ref); err != nil {
				t.Fatal(err)
			}
		},
		UnknownStatus: func(t *testing.T, ref string) {
			if err := sim.SetSignerStatus(ref, "QUANTUM_VERIFIED"); err != nil {
				t.Fatal(err)
			}
		},
		Forgeries: []func(http.Header, []byte) (http.Header, []byte){
			func(h http.Header, b []byte) (http.Header, []byte) { h.Del("Authorization"); return h, b },
			func(h http.Header, b []byte) (http.Header, []byte) { h.Set("Authorization", "guess"); return h, b },
			func(h http.Header, b []byte) (http.Header, []byte) {
				h.Set("Authorization", "Bearer "+h.Get("Authorization"))
				return h, b
			},
		},
		CancelIsLocal: true,
	}
}
