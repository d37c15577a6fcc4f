package simtest

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// Flow is the harness of an adapter-against-simulator flow test: an Env
// with the simulator mounted on it, the adapter under test, and Signet's
// callback route in miniature.
type Flow struct {
	*Env
	// Provider is the adapter under test.
	Provider signing.Provider
	// Request is the test's usual InitiateRequest.
	Request func() signing.InitiateRequest

	mu        sync.Mutex
	callbacks []signing.Callback // verified callbacks, as Signet's route would see them
	rejected  []error
}

// NewFlow starts the Env; the test mounts its simulator, then sets
// Provider and Request.
func NewFlow(t *testing.T) *Flow {
	t.Helper()
	return &Flow{Env: NewEnv(t)}
}

// HandleCallbacks serves Signet's callback route, POST path, in
// miniature: Provider.ParseCallback verifies each callback, answering 401
// to those it refuses.
func (f *Flow) HandleCallbacks(path string) {
	f.Mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		cb, err := f.Provider.ParseCallback(r.Header, body)
		f.mu.Lock()
		defer f.mu.Unlock()
		if err != nil {
			f.rejected = append(f.rejected, err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		f.callbacks = append(f.callbacks, cb)
		w.WriteHeader(http.StatusOK)
	})
}

// Received returns the callbacks verified and the errors of those refused.
func (f *Flow) Received() ([]signing.Callback, []error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signing.Callback(nil), f.callbacks...), append([]error(nil), f.rejected...)
}

// Initiate starts Request() at the adapter.
func (f *Flow) Initiate() (signing.Initiated, signing.ProviderRef) {
	f.T.Helper()
	in, err := f.Provider.Initiate(context.Background(), f.Request())
	if err != nil {
		f.T.Fatalf("Initiate: %v", err)
	}
	return in, signing.ProviderRef{SessionID: "s", Ref: in.Ref, State: in.State}
}

// Refresh refreshes ref at the adapter, which must succeed.
func (f *Flow) Refresh(ref signing.ProviderRef) signing.Update {
	f.T.Helper()
	u, err := f.Provider.Refresh(context.Background(), ref)
	if err != nil {
		f.T.Fatalf("Refresh: %v", err)
	}
	return u
}

// WantUpdate checks an update's status and reason.
func WantUpdate(t *testing.T, u signing.Update, status signing.Status, reason string) {
	t.Helper()
	if u.Status != status || u.Reason != reason {
		t.Fatalf("update = (%s, %q), want (%s, %q)", u.Status, u.Reason, status, reason)
	}
}

// ProviderError checks that err is provider's *signing.ProviderError for
// op, retryable or not, and that its text reveals none of credentials.
func ProviderError(t *testing.T, err error, provider, op string, retryable bool, credentials ...string) *signing.ProviderError {
	t.Helper()
	var pe *signing.ProviderError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v (%T), want a *signing.ProviderError", err, err)
	}
	if pe.Provider != provider || pe.Op != op || pe.Retryable != retryable || signing.IsRetryable(err) != retryable {
		t.Fatalf("ProviderError = %+v, want op %s retryable %v", pe, op, retryable)
	}
	for _, c := range credentials {
		if strings.Contains(err.Error(), c) {
			t.Fatalf("the error reveals a credential: %v", err)
		}
	}
	return pe
}
