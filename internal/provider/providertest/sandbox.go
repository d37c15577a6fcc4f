// Package providertest is the conformance suite every provider adapter
// passes together with its sandbox simulator: Run(t, newSandbox).
package providertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// Op names a kind of call from the adapter to its provider, for fault
// injection.
type Op string

// The ops a simulator must be able to fail or delay.
const (
	OpInitiate Op = "initiate" // starting a request
	OpRefresh  Op = "refresh"  // reading its status
	OpCancel   Op = "cancel"   // withdrawing it
	OpDocument Op = "document" // downloading the signed PDF
)

// SandboxTimeout is the adapter's per-call timeout a Sandbox should use:
// short, so that the timeout test is quick.
const SandboxTimeout = 500 * time.Millisecond

// Sandbox is an adapter wired to its simulator for one conformance test.
// newSandbox gets the URL the simulator must send callbacks to (the suite
// captures them there) and builds a fresh adapter and simulator, closed
// with t.Cleanup.
type Sandbox struct {
	// Provider is the adapter under test, talking over real HTTP to the
	// simulator. Its per-call timeout should be short (about 500 ms) so
	// the timeout test is quick.
	Provider signing.Provider
	// Timeout is the adapter's per-call timeout; SandboxTimeout if zero.
	Timeout time.Duration
	// Signer plays the signer for a started request: it opens the
	// simulated signing page (or app) and submits action "sign" or
	// "decline". SignOnPage, if nil: SubmitForm on the redirect URL's
	// HTML form.
	Signer func(t *testing.T, started signing.Initiated, action string)
	// Fail makes the simulator's next call of op answer the HTTP status
	// (500 or 503 for an outage, 400 for a refusal), in the provider's own
	// error format.
	Fail func(op Op, status int)
	// Delay makes the simulator's next call of op hang for d.
	Delay func(op Op, d time.Duration)
	// Expire makes the provider consider the request expired.
	Expire func(t *testing.T, ref string)
	// UnknownStatus makes the provider report a status value the adapter
	// has never seen for the request (a future API addition).
	UnknownStatus func(t *testing.T, ref string)
	// Forgeries turn a genuine callback into forged ones (wrong signature,
	// missing header, body changed under its MAC…); every one must be
	// refused with signing.ErrUnauthorized.
	// A provider that never calls back (Info().CallsBack is false, as for
	// BankID, which is polled) needs none.
	Forgeries []func(h http.Header, body []byte) (http.Header, []byte)
	// NthSigner gives the details of the i-th signer (from 0) of a
	// multi-signer request: distinct people, as the provider requires.
	// With it, and Info().MaxSigners of 2 or more, the suite runs its
	// multi-signer cases in every order the provider declares; each
	// signer is played by Signer on their own page (Initiated.Signers).
	NthSigner func(i int) json.RawMessage
}

// withDefaults fills in the Sandboxes newSandbox builds: the Timeout and
// Signer they leave zero.
func withDefaults(newSandbox func(t *testing.T, callbackURL string) *Sandbox) func(t *testing.T, callbackURL string) *Sandbox {
	return func(t *testing.T, callbackURL string) *Sandbox {
		t.Helper()
		sb := newSandbox(t, callbackURL)
		if sb.Timeout == 0 {
			sb.Timeout = SandboxTimeout
		}
		if sb.Signer == nil {
			sb.Signer = SignOnPage
		}
		return sb
	}
}

// Faults are a simulator's fault queues (simkit.Faults).
type Faults interface {
	FailNext(op string, status int)
	DelayNext(op string, d time.Duration)
}

// UseFaults makes Fail and Delay those of the simulator's queues, the
// suite's ops being the simulator's ops[op].
func (sb *Sandbox) UseFaults(f Faults, ops map[Op]string) {
	sb.Fail = func(op Op, status int) { f.FailNext(ops[op], status) }
	sb.Delay = func(op Op, d time.Duration) { f.DelayNext(ops[op], d) }
}

// Hook turns a simulator's test hook on a request (its Expire, say) into
// one of the Sandbox's, failing the test when the hook fails.
func Hook(name string, hook func(ref string) error) func(t *testing.T, ref string) {
	return func(t *testing.T, ref string) {
		t.Helper()
		if err := hook(ref); err != nil {
			t.Fatalf("%s %s: %v", name, ref, err)
		}
	}
}

// SignOnPage is the Signer of a provider whose signing page is an HTML
// form: SubmitForm on the started request's redirect URL.
func SignOnPage(t *testing.T, started signing.Initiated, action string) {
	t.Helper()
	SubmitForm(t, started.RedirectURL, action)
}

// NthName is the i-th of a Sandbox's signer names for NthSigner: names in
// turn, numbered ("Asha Verma 6") once they repeat, so that every signer
// is a distinct person.
func NthName(names []string, i int) string {
	name := names[i%len(names)]
	if i >= len(names) {
		name += fmt.Sprintf(" %d", i+1)
	}
	return name
}
