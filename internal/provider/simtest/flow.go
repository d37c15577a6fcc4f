package simtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
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
	// Name is the provider's name in its errors; Secrets are the
	// credentials no error may show.
	Name    string
	Secrets []string
	// Faults are the simulator's fault queues.
	Faults Faults

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

// WantOneCallback checks that one callback has arrived, for ref, and
// that the adapter verified it; it returns the callback.
func (f *Flow) WantOneCallback(ref string) signing.Callback {
	f.T.Helper()
	cbs, rejected := f.Received()
	if len(cbs) != 1 || cbs[0].Ref != ref || len(rejected) != 0 {
		f.T.Fatalf("callbacks %+v, rejected %v; want one for %s", cbs, rejected, ref)
	}
	return cbs[0]
}

// WantCallbackRefused signs on link, a signing whose provider proves its
// callbacks with credentials other than the adapter's, and checks that
// the adapter refused the one callback as unauthorized.
func (f *Flow) WantCallbackRefused(link string) {
	f.T.Helper()
	f.Press(link, "sign")
	cbs, rejected := f.Received()
	if len(cbs) != 0 || len(rejected) != 1 || !errors.Is(rejected[0], signing.ErrUnauthorized) {
		f.T.Errorf("callbacks %v, rejected %v; want one refused as unauthorized", cbs, rejected)
	}
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

// InitiateThen is Initiate, then a simulator hook (its Expire, say) on
// the provider's reference; the hook's error fails the test.
func (f *Flow) InitiateThen(hook func(ref string) error) (signing.Initiated, signing.ProviderRef) {
	f.T.Helper()
	in, ref := f.Initiate()
	if err := hook(in.Ref); err != nil {
		f.T.Fatalf("simulator hook on %s: %v", in.Ref, err)
	}
	return in, ref
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

// ProviderError checks that err is the provider's *signing.ProviderError
// for op, retryable or not, showing none of its Secrets.
func (f *Flow) ProviderError(err error, op string, retryable bool) *signing.ProviderError {
	f.T.Helper()
	return ProviderError(f.T, err, f.Name, op, retryable, f.Secrets...)
}

// Call makes the adapter's call op (initiate, with Request(); refresh;
// cancel; document) on ref and returns its error.
func (f *Flow) Call(op string, ref signing.ProviderRef) error {
	ctx := context.Background()
	var err error
	switch op {
	case "initiate":
		_, err = f.Provider.Initiate(ctx, f.Request())
	case "refresh":
		_, err = f.Provider.Refresh(ctx, ref)
	case "cancel":
		err = f.Provider.Cancel(ctx, ref)
	case "document":
		_, err = f.Provider.FetchDocument(ctx, ref)
	default:
		f.T.Fatalf("no adapter call %q", op)
	}
	return err
}

// WantFailure checks that op's call on ref (see Call) fails with the
// provider's ProviderError, retryable or not, showing none of its
// Secrets, and returns it.
func (f *Flow) WantFailure(op string, ref signing.ProviderRef, retryable bool) *signing.ProviderError {
	f.T.Helper()
	return f.ProviderError(f.Call(op, ref), op, retryable)
}

// WantUnauthorized checks, of an adapter configured with credentials the
// provider does not accept, that initiating fails for good with HTTP 401
// and the provider's message, and that refreshing ref fails for good.
func (f *Flow) WantUnauthorized(message string, ref signing.ProviderRef) {
	f.T.Helper()
	if pe := f.WantFailure("initiate", signing.ProviderRef{}, false); pe.StatusCode != 401 || pe.Message != message {
		f.T.Errorf("wrong credentials: %+v, want HTTP 401 and %q", pe, message)
	}
	f.WantFailure("refresh", ref, false)
}

// Faults are a simulator's fault queues (simkit.Faults).
type Faults interface {
	FailNext(op string, status int)
	DelayNext(op string, d time.Duration)
	ThrottleNext(op string, d time.Duration)
}

// WantRetryable checks that op's call on ref, answered with each of the
// HTTP statuses in turn (the simulator failing its simOp), fails with a
// retryable ProviderError carrying that status.
func (f *Flow) WantRetryable(op string, ref signing.ProviderRef, simOp string, statuses ...int) {
	f.T.Helper()
	for _, status := range statuses {
		f.Faults.FailNext(simOp, status)
		if pe := f.ProviderError(f.Call(op, ref), op, true); pe.StatusCode != status {
			f.T.Errorf("%s answered %d: %+v", op, status, pe)
		}
	}
}

// WantThrottled checks that op's call on ref, answered 429 with a
// Retry-After of 30 s (the simulator throttling its simOp), fails with a
// retryable ProviderError asking for that wait.
func (f *Flow) WantThrottled(op string, ref signing.ProviderRef, simOp string) {
	f.T.Helper()
	f.Faults.ThrottleNext(simOp, 30*time.Second)
	if pe := f.ProviderError(f.Call(op, ref), op, true); pe.StatusCode != 429 || pe.RetryAfter != 30*time.Second {
		f.T.Errorf("%s throttled: %+v, want HTTP 429 and a RetryAfter of 30s", op, pe)
	}
}

// WantOutages checks that initiate, with the simulator failing its
// initiateOp with server errors (500, 502, 503) or throttling it (429),
// fails retryably, then initiates and checks the same of refresh (its
// refreshOp). It returns the signing it initiated.
func (f *Flow) WantOutages(initiateOp, refreshOp string) (signing.Initiated, signing.ProviderRef) {
	f.T.Helper()
	f.WantRetryable("initiate", signing.ProviderRef{}, initiateOp, 500, 502, 503, 429)
	f.WantThrottled("initiate", signing.ProviderRef{}, initiateOp)
	in, ref := f.Initiate()
	f.WantThrottled("refresh", ref, refreshOp)
	f.WantRetryable("refresh", ref, refreshOp, 500)
	return in, ref
}

// WantTimeout checks that op's call on ref, held up by the simulator (its
// simOp delayed) past the adapter's timeout, fails at that timeout with a
// retryable ProviderError saying so: message, if not "".
func (f *Flow) WantTimeout(op string, ref signing.ProviderRef, simOp string, message string) {
	f.T.Helper()
	f.Faults.DelayNext(simOp, 5*time.Second)
	start := time.Now()
	pe := f.ProviderError(f.Call(op, ref), op, true)
	if took := time.Since(start); (message != "" && pe.Message != message) || took > 2*time.Second {
		f.T.Errorf("%s past the timeout: %+v after %v", op, pe, took)
	}
}

// WantUnreachable checks that refreshing ref with an adapter whose
// provider cannot be reached (its base URL UnreachableURL) fails with a
// retryable ProviderError.
func (f *Flow) WantUnreachable(ref signing.ProviderRef) {
	f.T.Helper()
	f.ProviderError(f.Call("refresh", ref), "refresh", true)
}

// SignedPDF fetches ref's signed document, which must be a valid PDF
// other than the original Request().Document, and returns its page count.
func (f *Flow) SignedPDF(ref signing.ProviderRef) int {
	f.T.Helper()
	doc, err := f.Provider.FetchDocument(context.Background(), ref)
	if err != nil {
		f.T.Fatal(err)
	}
	if !bytes.HasPrefix(doc, []byte("%PDF-")) || bytes.Equal(doc, f.Request().Document.Content) {
		f.T.Error("FetchDocument did not return the signed PDF")
	}
	info, err := pdf.Validate(doc)
	if err != nil {
		f.T.Fatalf("signed PDF: %v", err)
	}
	return info.Pages
}

// PressTo submits a signing page's form with action and checks it
// answers 303 to location (the client's returnUrl, say).
func (f *Flow) PressTo(link, action, location string) {
	f.T.Helper()
	if resp := f.Press(link, action); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != location {
		f.T.Fatalf("%s: %d to %q, want 303 to %s", action, resp.StatusCode, resp.Header.Get("Location"), location)
	}
}
