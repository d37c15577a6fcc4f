// Package providertest is the conformance suite every provider adapter
// passes together with its sandbox simulator: Run(t, newSandbox).
package providertest

import (
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

// Sandbox is an adapter wired to its simulator for one conformance test.
// newSandbox gets the URL the simulator must send callbacks to (the suite
// captures them there) and builds a fresh adapter and simulator, closed
// with t.Cleanup.
type Sandbox struct {
	// Provider is the adapter under test, talking over real HTTP to the
	// simulator. Its per-call timeout should be short (about 500 ms) so
	// the timeout test is quick.
	Provider signing.Provider
	// Timeout is the adapter's per-call timeout.
	Timeout time.Duration
	// Signer plays the signer for a started request: it opens the
	// simulated signing page (or app) and submits action "sign" or
	// "decline". SubmitForm does this for HTML form pages.
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
	Forgeries []func(h http.Header, body []byte) (http.Header, []byte)
	// NoCallbacks is true for providers that never call back (BankID is
	// polled); the callback tests are skipped.
	NoCallbacks bool
	// CancelIsLocal is true when the provider has no cancel API (Signzy):
	// Cancel must still succeed, but the request stays signable there.
	CancelIsLocal bool
}
