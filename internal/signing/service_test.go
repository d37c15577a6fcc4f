package signing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/worker"
)

// fakeProvider is a provider whose answers a test sets.
type fakeProvider struct {
	mu        sync.Mutex
	initErr   error
	refresh   signing.Update
	refErr    error
	doc       []byte
	docErr    error
	cancelErr error
	initCalls atomic.Int32
	cancels   atomic.Int32
	// initHook, if set, runs inside Initiate (before it answers).
	initHook func()
	// noWithdraw makes the provider one without a cancel API.
	noWithdraw bool
	// pollEvery is the Info's PollInterval.
	pollEvery time.Duration
	// inProcess is the Info's InProcess.
	inProcess bool
}

func (f *fakeProvider) Info() signing.ProviderInfo {
	return signing.ProviderInfo{Name: "fake", DisplayName: "Fake", Languages: []string{"en"}, RequiredSignerFields: []string{"name"},
		SignerDetailsSchema: json.RawMessage(`{"type":"object"}`), CancelReachesProvider: !f.noWithdraw, PollInterval: f.pollEvery,
		InProcess: f.inProcess}
}

func (f *fakeProvider) Initiate(ctx context.Context, req signing.InitiateRequest) (signing.Initiated, error) {
	f.initCalls.Add(1)
	if f.initHook != nil {
		f.initHook()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.initErr != nil {
		return signing.Initiated{}, f.initErr
	}
	return signing.Initiated{Ref: "ref-" + req.SessionID, RedirectURL: "https://fake.example/sign/" + req.SessionID}, nil
}

func (f *fakeProvider) Refresh(ctx context.Context, ref signing.ProviderRef) (signing.Update, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refresh, f.refErr
}

func (f *fakeProvider) Cancel(ctx context.Context, ref signing.ProviderRef) error {
	f.cancels.Add(1)
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.cancelErr
}

func (f *fakeProvider) FetchDocument(ctx context.Context, ref signing.ProviderRef) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.doc, f.docErr
}

func (f *fakeProvider) ParseCallback(h http.Header, body []byte) (signing.Callback, error) {
	if h.Get("Authorization") != "ok" {
		return signing.Callback{}, signing.ErrUnauthorized
	}
	return signing.Callback{Ref: string(body)}, nil
}

func (f *fakeProvider) set(fn func(f *fakeProvider)) {
	f.mu.Lock()
	fn(f)
	f.mu.Unlock()
}

type registry struct{ p signing.Provider }

func (r registry) Provider(name string) (signing.Provider, bool) { return r.p, name == "fake" }
func (r registry) All() []signing.Provider                       { return []signing.Provider{r.p} }

type env struct {
	svc *signing.Service
	cfg signing.Config
	// pollConcurrency is the poller's, when set before the first pollDue.
	pollConcurrency int
	poller          *worker.Worker
	store           signing.Store
	fake            *fakeProvider
	tenant          string
	now             atomic.Int64 // unix micro
}

func newEnv(t *testing.T, opts ...func(*signing.Config)) *env {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	e := &env{store: store, fake: &fakeProvider{doc: []byte("%PDF-1.7 signed")}}
	e.now.Store(time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC).UnixMicro())
	tenant, err := store.CreateTenant(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	e.tenant = tenant.ID
	links, err := signing.NewLinks(bytes.Repeat([]byte("k"), 32), "http://signet.test")
	if err != nil {
		t.Fatal(err)
	}
	cfg := signing.Config{
		Store: store, Providers: registry{e.fake}, DefaultProvider: "fake", PublicURL: "http://signet.test",
		Now:         func() time.Time { return time.UnixMicro(e.now.Load()).UTC() },
		NewID:       func() string { return uuid.NewString() },
		Links:       links,
		Logger:      slog.New(slog.DiscardHandler),
		EncodeEvent: present.Presenter{PublicURL: "http://signet.test", Links: links}.WebhookEvent,
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.cfg = cfg
	e.svc = e.newService(t)
	return e
}

// newService builds the service of e's configuration, as it is now.
func (e *env) newService(t *testing.T) *signing.Service {
	t.Helper()
	svc, err := signing.NewService(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func (e *env) advance(d time.Duration) { e.now.Add(d.Microseconds()) }

// pollDue runs one claim of the poll queue, as the worker does.
func (e *env) pollDue(ctx context.Context, limit int) (int, error) {
	if e.poller == nil {
		w, err := worker.New(worker.Config{Service: e.svc, Store: e.store, PollConcurrency: e.pollConcurrency,
			Now: func() time.Time { return time.UnixMicro(e.now.Load()).UTC() }})
		if err != nil {
			return 0, err
		}
		e.poller = w
	}
	return e.poller.PollDue(ctx, limit)
}

func (e *env) create(t *testing.T) *signing.Session {
	t.Helper()
	s, err := e.svc.Create(context.Background(), e.tenant, signing.CreateRequest{
		OrderID: "o-1", SignerDetails: json.RawMessage(`{"name":"A"}`), Filename: "c.pdf", Content: []byte("%PDF-1.7"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (e *env) trail(t *testing.T, id string) []string {
	t.Helper()
	entries, err := e.store.AuditTrail(context.Background(), e.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, a := range entries {
		types = append(types, a.Type)
	}
	return types
}

func count(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}

// TestConcurrentTriggersOneWinner races callbacks reporting completion
// and failure against client cancels: exactly one terminal status wins
// and exactly one terminal event is written.
func TestConcurrentTriggersOneWinner(t *testing.T) {
	for round := 0; round < 5; round++ {
		e := newEnv(t)
		s := e.create(t)
		var wg sync.WaitGroup
		for i := 0; i < 30; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				ctx := context.Background()
				switch i % 3 {
				case 0:
					e.svc.Cancel(ctx, e.tenant, s.ID)
				case 1:
					e.fake.set(func(f *fakeProvider) {
						f.refresh = signing.Update{Status: signing.StatusCompleted, ProviderStatus: "done"}
					})
					e.svc.HandleCallback(ctx, "fake", http.Header{"Authorization": {"ok"}}, []byte(s.ProviderRef))
				case 2:
					e.svc.Refresh(ctx, e.tenant, s.ID)
				}
			}(i)
		}
		wg.Wait()
		got, err := e.svc.Get(context.Background(), e.tenant, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Status.Terminal() {
			t.Fatalf("session is %s after the race", got.Status)
		}
		trail := e.trail(t, s.ID)
		terminal := count(trail, signing.EventCompleted) + count(trail, signing.EventCancelled) + count(trail, signing.EventFailed)
		if terminal != 1 {
			t.Fatalf("round %d: %d terminal events: %v", round, terminal, trail)
		}
		if got.Status == signing.StatusCompleted {
			if _, err := e.store.Document(context.Background(), e.tenant, s.ID, signing.DocumentSigned); err != nil {
				t.Errorf("COMPLETED without its document: %v", err)
			}
		}
	}
}

func TestInitiateRetryableThenPolled(t *testing.T) {
	e := newEnv(t)
	e.fake.set(func(f *fakeProvider) {
		f.initErr = &signing.ProviderError{Provider: "fake", Op: "initiate", Retryable: true, StatusCode: 503, Message: "down"}
	})
	s := e.create(t)
	if s.Status != signing.StatusPending || s.Signers[0].ProviderURL != "" || s.ProviderRef != "" {
		t.Fatalf("after a retryable failure: %+v", s)
	}
	e.fake.set(func(f *fakeProvider) { f.initErr = nil })
	// Not due before the retry delay.
	if n, _ := e.pollDue(context.Background(), 10); n != 0 {
		t.Errorf("polled %d sessions before they were due", n)
	}
	e.advance(time.Minute)
	if n, err := e.pollDue(context.Background(), 10); n != 1 || err != nil {
		t.Fatalf("PollDue = %d, %v", n, err)
	}
	got, _ := e.svc.Get(context.Background(), e.tenant, s.ID)
	if got.Signers[0].ProviderURL == "" || got.Status != signing.StatusPending {
		t.Errorf("after the retry: %+v", got)
	}
	if c := e.fake.initCalls.Load(); c != 2 {
		t.Errorf("initiate called %d times, want 2", c)
	}
}

func TestInitiateRefusedFails(t *testing.T) {
	e := newEnv(t)
	e.fake.set(func(f *fakeProvider) {
		f.initErr = &signing.ProviderError{Provider: "fake", Op: "initiate", StatusCode: 400, Message: "signerName is required"}
	})
	s := e.create(t)
	if s.Status != signing.StatusFailed || s.FailureReason != "signerName is required" {
		t.Errorf("after a refusal: %s %q", s.Status, s.FailureReason)
	}
}

// TestInProcessProviderAnswersInTheCreate: a provider that runs inside
// Signet is asked before the session is stored, and its answer is stored
// with the session, in one write; a refusal is recorded as at any other.
func TestInProcessProviderAnswersInTheCreate(t *testing.T) {
	e := newEnv(t)
	e.fake.set(func(f *fakeProvider) { f.inProcess = true })
	s := e.create(t)
	if s.Version != 1 || s.ProviderRef != "ref-"+s.ID || s.Signers[0].ProviderURL == "" || s.Status != signing.StatusPending {
		t.Fatalf("created: version %d, ref %q, url %q, %s; want version 1 (one write) with the provider's answer",
			s.Version, s.ProviderRef, s.Signers[0].ProviderURL, s.Status)
	}
	got, err := e.svc.Get(context.Background(), e.tenant, s.ID)
	if err != nil || got.Version != 1 || got.ProviderRef != s.ProviderRef || got.NextPollAt == nil {
		t.Fatalf("stored: %+v, %v", got, err)
	}
	if tr := e.trail(t, s.ID); strings.Join(tr, ",") != "signing.created,provider.accepted" {
		t.Errorf("trail = %v", tr)
	}
	if c := e.fake.initCalls.Load(); c != 1 {
		t.Errorf("initiate called %d times, want 1", c)
	}

	e.fake.set(func(f *fakeProvider) {
		f.initErr = &signing.ProviderError{Provider: "fake", Op: "initiate", StatusCode: 400, Message: "no such signer"}
	})
	refused := e.create(t)
	if refused.Status != signing.StatusFailed || refused.FailureReason != "no such signer" {
		t.Errorf("after an in-process refusal: %s %q", refused.Status, refused.FailureReason)
	}
	if c := e.fake.initCalls.Load(); c != 2 {
		t.Errorf("initiate called %d times in all, want 2 (once per create)", c)
	}
}

func TestCompletionWaitsForTheDocument(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.refresh = signing.Update{Status: signing.StatusCompleted, ProviderStatus: "done"}
		f.docErr = &signing.ProviderError{Provider: "fake", Op: "document", Retryable: true, Message: "timeout"}
	})
	if _, err := e.svc.Refresh(context.Background(), e.tenant, s.ID); !signing.IsRetryable(err) {
		t.Fatalf("refresh with the document unavailable: %v", err)
	}
	// The signature is recorded at once, the session completes only with
	// its document, and it does not expire while it waits for it.
	got, _ := e.svc.Get(context.Background(), e.tenant, s.ID)
	if got.Status != signing.StatusInProgress || got.ProviderCompletedAt == nil || got.Signers[0].Status != signing.SignerSigned {
		t.Fatalf("after the provider completed without a document: %s, provider completed %v, signer %s",
			got.Status, got.ProviderCompletedAt, got.Signers[0].Status)
	}
	e.advance(25 * time.Hour) // past expiresAt
	if n, err := e.svc.ExpireDue(context.Background(), 10); n != 0 || err != nil {
		t.Errorf("ExpireDue = %d, %v; a session with every signature must not expire", n, err)
	}
	if got, _ := e.svc.Get(context.Background(), e.tenant, s.ID); got.Status != signing.StatusInProgress {
		t.Errorf("read past expiresAt: %s, want IN_PROGRESS", got.Status)
	}
	e.fake.set(func(f *fakeProvider) {
		f.docErr = nil
		f.refErr = &signing.ProviderError{Provider: "fake", Op: "refresh", Message: "Not found"} // asked no more
	})
	got, err := e.svc.Refresh(context.Background(), e.tenant, s.ID)
	if err != nil || got.Status != signing.StatusCompleted || got.CompletedAt == nil {
		t.Fatalf("second refresh: %+v, %v", got, err)
	}
	events, _ := e.svc.Events(context.Background(), e.tenant, s.ID)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
	}
	want := "signing.created,provider.accepted,signing.in_progress,signing.signer_signed,provider.completed,provider.error,signing.completed"
	if strings.Join(types, ",") != want {
		t.Errorf("events %v, want %s", types, want)
	}
	doc, err := e.svc.Document(context.Background(), e.tenant, s.ID)
	if err != nil || string(doc.Content) != "%PDF-1.7 signed" {
		t.Errorf("document %q, %v", doc.Content, err)
	}
}

// TestDocumentNeverRetrievedFails: past DocumentDeadline a session whose
// document cannot be had fails saying so.
func TestDocumentNeverRetrievedFails(t *testing.T) {
	e := newEnv(t, func(c *signing.Config) { c.DocumentDeadline = time.Hour })
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.refresh = signing.Update{Status: signing.StatusCompleted, ProviderStatus: "done"}
		f.docErr = &signing.ProviderError{Provider: "fake", Op: "document", Retryable: true, Message: "storage offline"}
	})
	e.svc.Refresh(context.Background(), e.tenant, s.ID)
	e.advance(61 * time.Minute)
	if n, err := e.pollDue(context.Background(), 10); n != 1 || err != nil {
		t.Fatalf("pollDue = %d, %v", n, err)
	}
	got, _ := e.svc.Get(context.Background(), e.tenant, s.ID)
	if got.Status != signing.StatusFailed || !strings.Contains(got.FailureReason, "signed document could not be retrieved") ||
		!strings.Contains(got.FailureReason, "storage offline") {
		t.Errorf("after the deadline: %s %q", got.Status, got.FailureReason)
	}
}

func TestLateUpdatesChangeNothing(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	if _, err := e.svc.Cancel(context.Background(), e.tenant, s.ID); err != nil {
		t.Fatal(err)
	}
	if e.fake.cancels.Load() != 1 {
		t.Errorf("provider cancel called %d times", e.fake.cancels.Load())
	}
	e.fake.set(func(f *fakeProvider) { f.refresh = signing.Update{Status: signing.StatusCompleted} })
	if err := e.svc.HandleCallback(context.Background(), "fake", http.Header{"Authorization": {"ok"}}, []byte(s.ProviderRef)); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(context.Background(), e.tenant, s.ID)
	if got.Status != signing.StatusCancelled {
		t.Errorf("late callback moved a cancelled session to %s", got.Status)
	}
	if _, err := e.svc.Cancel(context.Background(), e.tenant, s.ID); err != nil {
		t.Errorf("second cancel: %v", err)
	}
}

func TestForgedCallbackChangesNothing(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) { f.refresh = signing.Update{Status: signing.StatusCompleted} })
	err := e.svc.HandleCallback(context.Background(), "fake", http.Header{"Authorization": {"forged"}}, []byte(s.ProviderRef))
	if !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("forged callback: %v", err)
	}
	if err := e.svc.HandleCallback(context.Background(), "fake", http.Header{"Authorization": {"ok"}}, []byte("unknown-ref")); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("callback for an unknown ref: %v", err)
	}
	got, _ := e.svc.Get(context.Background(), e.tenant, s.ID)
	if got.Status != signing.StatusPending {
		t.Errorf("forged callback changed the session to %s", got.Status)
	}
}

func TestExpireDue(t *testing.T) {
	e := newEnv(t)
	var ids []string
	for i := 0; i < 5; i++ {
		ids = append(ids, e.create(t).ID)
	}
	e.advance(signing.DefaultExpiry + time.Second)
	n, err := e.svc.ExpireDue(context.Background(), 3)
	if err != nil || n != 3 {
		t.Fatalf("ExpireDue = %d, %v; want 3", n, err)
	}
	n, _ = e.svc.ExpireDue(context.Background(), 10)
	if n != 2 {
		t.Errorf("second sweep expired %d, want 2", n)
	}
	for _, id := range ids {
		if c := count(e.trail(t, id), signing.EventExpired); c != 1 {
			t.Errorf("%s has %d expired events", id, c)
		}
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	past := time.UnixMicro(e.now.Load()).Add(-time.Hour)
	_, err := e.svc.Create(context.Background(), e.tenant, signing.CreateRequest{
		OrderID: "", SignerDetails: nil, Language: "fr", ReturnURL: "mailto:x", ExpiresAt: &past,
		Metadata: map[string]string{"": "x"},
	})
	var ve *signing.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v", err)
	}
	want := map[string]bool{"orderId": true, "signerDetails": true, "language": true, "returnUrl": true, "expiresAt": true,
		"document.filename": true, "document.content": true, "metadata": true}
	for _, fe := range ve.Errors {
		delete(want, fe.Field)
	}
	if len(want) > 0 {
		t.Errorf("fields not named: %v (got %v)", want, ve.Errors)
	}
	if _, err := e.svc.Create(context.Background(), e.tenant, signing.CreateRequest{Provider: "nope"}); err == nil || fmt.Sprint(err) == "" {
		t.Error("unknown provider accepted")
	}
}

// TestProviderPollInterval: a provider that wants to be polled more often
// than the server's default (BankID: every 2 s) is.
func TestProviderPollInterval(t *testing.T) {
	for _, tt := range []struct {
		provider, want time.Duration
	}{{0, time.Minute}, {2 * time.Second, 2 * time.Second}} {
		e := newEnv(t, func(c *signing.Config) { c.PollInterval = time.Minute })
		e.fake.pollEvery = tt.provider
		s := e.create(t)
		if want := s.CreatedAt.Add(tt.want); s.NextPollAt == nil || !s.NextPollAt.Equal(want) {
			t.Errorf("provider's interval %v: next poll %v, want %v", tt.provider, s.NextPollAt, want)
		}
	}
}

// TestCancelPropagationIsDurable: a provider that cannot be reached when
// the client cancels gets the cancel later from the poller, which retries
// until it succeeds and then stops.
func TestCancelPropagationIsDurable(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	s := e.create(t)
	down := &signing.ProviderError{Provider: "fake", Op: "cancel", Retryable: true, StatusCode: 503, Message: "down"}
	e.fake.set(func(f *fakeProvider) { f.cancelErr = down })
	got, err := e.svc.Cancel(ctx, e.tenant, s.ID)
	if err != nil || got.Status != signing.StatusCancelled {
		t.Fatalf("Cancel = %+v, %v", got, err)
	}
	if got.NextPollAt == nil {
		t.Fatal("a cancel the provider did not get has no retry scheduled")
	}
	if n, _ := e.pollDue(ctx, 10); n != 0 {
		t.Errorf("the retry was due at once (%d claimed)", n)
	}
	e.advance(time.Minute)
	if n, err := e.pollDue(ctx, 10); n != 1 || err != nil {
		t.Fatalf("PollDue = %d, %v; want the cancel retried", n, err)
	}
	e.fake.set(func(f *fakeProvider) { f.cancelErr = nil })
	e.advance(time.Minute)
	if n, err := e.pollDue(ctx, 10); n != 1 || err != nil {
		t.Fatalf("PollDue = %d, %v; want the cancel retried again", n, err)
	}
	if c := e.fake.cancels.Load(); c != 3 {
		t.Errorf("provider cancel called %d times, want 3 (request, two retries)", c)
	}
	e.advance(time.Hour)
	if n, _ := e.pollDue(ctx, 10); n != 0 {
		t.Errorf("withdrawn session polled again (%d claimed)", n)
	}
	after, _ := e.svc.Get(ctx, e.tenant, s.ID)
	if after.Status != signing.StatusCancelled || after.NextPollAt != nil {
		t.Errorf("after withdrawal: %s, next poll %v", after.Status, after.NextPollAt)
	}
	if c := count(e.trail(t, s.ID), signing.EventProviderCancel); c != 3 {
		t.Errorf("%d provider-cancel audit entries, want 3", c)
	}
	if c := count(e.trail(t, s.ID), signing.EventCancelled); c != 1 {
		t.Errorf("%d cancelled events, want 1", c)
	}
}

// TestCancelPropagationGivesUp: a permanent refusal, or the session's own
// deadline passing, ends the retries; the work is bounded.
func TestCancelPropagationGivesUp(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	refused := e.create(t)
	late := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.cancelErr = &signing.ProviderError{Provider: "fake", Op: "cancel", StatusCode: 409, Message: "already signed"}
	})
	if _, err := e.svc.Cancel(ctx, e.tenant, refused.ID); err != nil {
		t.Fatal(err)
	}
	e.fake.set(func(f *fakeProvider) {
		f.cancelErr = &signing.ProviderError{Provider: "fake", Op: "cancel", Retryable: true, Message: "down"}
	})
	if _, err := e.svc.Cancel(ctx, e.tenant, late.ID); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(ctx, e.tenant, refused.ID)
	if got.NextPollAt != nil {
		t.Errorf("a refused cancel is retried (next poll %v)", got.NextPollAt)
	}
	e.advance(signing.DefaultExpiry + time.Minute)
	if n, _ := e.pollDue(ctx, 10); n != 1 {
		t.Errorf("PollDue claimed %d, want the late one once", n)
	}
	e.advance(time.Hour)
	if n, _ := e.pollDue(ctx, 10); n != 0 {
		t.Errorf("cancel retried after the session's deadline (%d claimed)", n)
	}
}

// TestCancelDuringInitiate: a cancel that lands while the provider is
// accepting the request still withdraws it there once the reference is known.
func TestCancelDuringInitiate(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var id atomic.Value
	e.fake.initHook = func() {
		if v := id.Load(); v != nil {
			if _, err := e.svc.Cancel(ctx, e.tenant, v.(string)); err != nil {
				t.Errorf("Cancel during initiate: %v", err)
			}
		}
	}
	// Create a session whose initiate is retried, then cancel it from
	// inside the retried Initiate call.
	e.fake.set(func(f *fakeProvider) {
		f.initErr = &signing.ProviderError{Provider: "fake", Retryable: true, Message: "down"}
	})
	s := e.create(t)
	id.Store(s.ID)
	e.fake.set(func(f *fakeProvider) { f.initErr = nil })
	e.advance(time.Minute)
	if _, err := e.pollDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	got, _ := e.svc.Get(ctx, e.tenant, s.ID)
	if got.Status != signing.StatusCancelled || got.ProviderRef == "" {
		t.Fatalf("after cancel during initiate: %s ref %q", got.Status, got.ProviderRef)
	}
	if e.fake.cancels.Load() != 0 {
		t.Fatalf("provider cancel called before the reference was known")
	}
	e.fake.initHook = nil
	if _, err := e.pollDue(ctx, 10); err != nil {
		t.Fatal(err)
	}
	if c := e.fake.cancels.Load(); c != 1 {
		t.Errorf("provider cancel called %d times, want 1", c)
	}
}

// TestPollReleasesOnShutdown: claimed sessions not yet started when the
// worker's context ends are due again at once, not after the lease.
func TestPollReleasesOnShutdown(t *testing.T) {
	e := newEnv(t)
	e.pollConcurrency = 1
	e.fake.set(func(f *fakeProvider) {
		f.initErr = &signing.ProviderError{Provider: "fake", Retryable: true, Message: "down"}
	})
	for range 3 {
		e.create(t)
	}
	e.fake.set(func(f *fakeProvider) { f.initErr = nil })
	e.advance(time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	e.fake.initHook = cancel // shutdown begins during the first provider call
	if n, err := e.pollDue(ctx, 10); n != 3 || err != nil {
		t.Fatalf("PollDue = %d, %v; want 3 claimed", n, err)
	}
	if c := e.fake.initCalls.Load(); c != 3+1 {
		t.Errorf("%d initiate calls, want the creates' 3 and the one in flight", c)
	}
	e.fake.initHook = nil
	// The one in flight finished; the other two are due again at once.
	if n, err := e.pollDue(context.Background(), 10); n != 2 || err != nil {
		t.Errorf("after release PollDue = %d, %v; want 2 at once", n, err)
	}
	list, _, err := e.svc.List(context.Background(), e.tenant, signing.ListFilter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range list {
		if s.Signers[0].ProviderURL == "" {
			t.Errorf("session %s was never initiated", s.ID)
		}
	}
}

// TestExpireDueBatchWithConcurrentChange: a session cancelled between the
// sweep's read and its write is not expired; the others are, in one batch.
func TestExpireDueBatchWithConcurrentChange(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var ids []string
	for range 4 {
		ids = append(ids, e.create(t).ID)
	}
	e.advance(signing.DefaultExpiry - time.Second)
	// Moves the version of one session under the sweep.
	if _, err := e.svc.Refresh(ctx, e.tenant, ids[1]); err != nil {
		t.Fatal(err)
	}
	e.advance(2 * time.Second)
	n, err := e.svc.ExpireDue(ctx, 10)
	if err != nil || n != 4 {
		t.Fatalf("ExpireDue = %d, %v; want 4", n, err)
	}
	for _, id := range ids {
		if c := count(e.trail(t, id), signing.EventExpired); c != 1 {
			t.Errorf("%s has %d expired events, want 1", id, c)
		}
	}
}

// TestExpiryWithdrawsAtTheProvider: an expired session's request is
// withdrawn at a provider that has a way, by the poller; a provider
// without one gets an entry saying so, and no call.
func TestExpiryWithdrawsAtTheProvider(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.advance(25 * time.Hour)
	if n, err := e.svc.ExpireDue(context.Background(), 10); n != 1 || err != nil {
		t.Fatalf("ExpireDue = %d, %v", n, err)
	}
	got, _ := e.store.SessionByID(context.Background(), s.ID)
	if got.Status != signing.StatusExpired || got.NextPollAt == nil {
		t.Fatalf("expired session: %s, next poll %v; want it due for withdrawal", got.Status, got.NextPollAt)
	}
	if n, err := e.pollDue(context.Background(), 10); n != 1 || err != nil {
		t.Fatalf("pollDue = %d, %v", n, err)
	}
	if c := e.fake.cancels.Load(); c != 1 {
		t.Errorf("provider cancel called %d times, want 1", c)
	}
	got, _ = e.store.SessionByID(context.Background(), s.ID)
	if got.Status != signing.StatusExpired || got.NextPollAt != nil {
		t.Errorf("after withdrawing: %s, next poll %v", got.Status, got.NextPollAt)
	}
	if last := lastEvent(t, e, s.ID); last.Type != signing.EventProviderCancel || last.Detail != "withdrawn at the provider" {
		t.Errorf("last event %+v", last)
	}
}

func TestNoWithdrawalWithoutAWay(t *testing.T) {
	e := newEnv(t)
	e.fake.noWithdraw = true
	e.svc = e.newService(t)
	s := e.create(t)
	got, err := e.svc.Cancel(context.Background(), e.tenant, s.ID)
	if err != nil || got.Status != signing.StatusCancelled || got.NextPollAt != nil {
		t.Fatalf("cancel: %+v, %v", got, err)
	}
	if c := e.fake.cancels.Load(); c != 0 {
		t.Errorf("provider cancel called %d times, want 0", c)
	}
	if last := lastEvent(t, e, s.ID); last.Type != signing.EventProviderCancel || !strings.Contains(last.Detail, "no way to withdraw") {
		t.Errorf("last event %+v", last)
	}
}

func lastEvent(t *testing.T, e *env, id string) signing.AuditEntry {
	t.Helper()
	events, err := e.svc.Events(context.Background(), e.tenant, id)
	if err != nil || len(events) == 0 {
		t.Fatalf("events: %v", err)
	}
	return events[len(events)-1]
}

// TestPageSignatureOutlivesADocumentFailure: a signature on Signet's page
// is the signer's whole part; when making the signed document fails, the
// signer still hears it was recorded, and the poller makes it later.
func TestPageSignatureOutlivesADocumentFailure(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) { f.docErr = errors.New("mark: drawn signature: broken") })
	got, err := e.svc.SignOnPage(context.Background(), s, 0, json.RawMessage(`{"typedSignature":"A"}`))
	if err != nil {
		t.Fatalf("SignOnPage with the document failing: %v", err)
	}
	if got.Signers[0].Status != signing.SignerSigned || got.ProviderCompletedAt == nil || got.Status.Terminal() {
		t.Fatalf("after the signature: %s, signer %s, provider completed %v", got.Status, got.Signers[0].Status, got.ProviderCompletedAt)
	}
	if _, err := e.svc.SignOnPage(context.Background(), got, 0, nil); !errors.Is(err, signing.ErrConflict) {
		t.Errorf("signing twice: %v, want a conflict", err)
	}
	e.fake.set(func(f *fakeProvider) { f.docErr = nil })
	e.advance(time.Hour)
	if n, err := e.pollDue(context.Background(), 10); n != 1 || err != nil {
		t.Fatalf("pollDue = %d, %v", n, err)
	}
	if got, _ := e.svc.Get(context.Background(), e.tenant, s.ID); got.Status != signing.StatusCompleted {
		t.Errorf("after the poller made the document: %s", got.Status)
	}
}

// TestFailingRefreshBacksOffAndLogsRarely: a provider that keeps failing
// for a session (a sandbox that forgot it after a restart) is polled ever
// less often, and the failure is logged at the 1st, 2nd, 4th… failure,
// not at every poll; a success starts over.
func TestFailingRefreshBacksOffAndLogsRarely(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *signing.Config) {
		c.PollInterval = 10 * time.Second
		c.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	})
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) { f.refErr = &signing.ProviderError{Op: "refresh", Message: "no such request"} })
	var gaps []time.Duration
	for range 6 {
		cur, err := e.store.Session(context.Background(), e.tenant, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		e.now.Store(cur.NextPollAt.UnixMicro())
		before := *cur.NextPollAt
		if n, err := e.pollDue(context.Background(), 10); n != 1 || err != nil {
			t.Fatalf("pollDue = %d, %v", n, err)
		}
		after, _ := e.store.Session(context.Background(), e.tenant, s.ID)
		gaps = append(gaps, after.NextPollAt.Sub(before))
	}
	if fmt.Sprint(gaps) != "[10s 20s 40s 1m20s 2m40s 5m20s]" {
		t.Errorf("waits between failing polls %v, want doubling from 10s", gaps)
	}
	if n := strings.Count(logs.String(), "polling provider failed"); n != 3 {
		t.Errorf("%d log lines for 6 failures, want 3 (the 1st, 2nd and 4th):\n%s", n, logs.String())
	}
}

// TestExpireDueSplitsAmongWriters: a sweep commits its sessions in up to
// ExpiryWriters transactions of at least 50 at once, and in one if the
// store has one writer (SQLite); each session expires once either way.
func TestExpireDueSplitsAmongWriters(t *testing.T) {
	for _, tc := range []struct {
		name      string
		oneWriter bool
		want      int32
	}{{"many writers", false, 3}, {"one writer", true, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			var ids []string
			for range 120 {
				ids = append(ids, e.create(t).ID)
			}
			e.advance(signing.DefaultExpiry + time.Second)
			counted := &countingStore{SessionStore: e.store}
			e.cfg.Store, e.cfg.ExpiryWriters = counted, 4
			if tc.oneWriter {
				e.cfg.Store = oneWriter{counted}
			}
			n, err := e.newService(t).ExpireDue(context.Background(), 500)
			if err != nil || n != len(ids) {
				t.Fatalf("ExpireDue = %d, %v; want %d", n, err, len(ids))
			}
			if got := counted.transactions.Load(); got != tc.want {
				t.Errorf("%d transactions, want %d", got, tc.want)
			}
			for _, id := range ids {
				if c := count(e.trail(t, id), signing.EventExpired); c != 1 {
					t.Errorf("%s has %d expired events, want 1", id, c)
				}
			}
		})
	}
}

// countingStore counts UpdateSessions' transactions; it hides whether
// its store is a signing.Writers.
type countingStore struct {
	signing.SessionStore
	transactions atomic.Int32
}

func (s *countingStore) UpdateSessions(ctx context.Context, changes []signing.Change) ([]error, error) {
	s.transactions.Add(1)
	return s.SessionStore.UpdateSessions(ctx, changes)
}

// oneWriter is a store that tells it has one writer.
type oneWriter struct{ *countingStore }

func (oneWriter) Writers() int { return 1 }
