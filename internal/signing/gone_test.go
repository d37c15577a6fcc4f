package signing_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// goneErr is a provider's own "no such request".
func goneErr() error {
	return &signing.ProviderError{Provider: "fake", Op: "refresh", StatusCode: 404, Message: "Contract not found", Gone: true}
}

func (e *env) refreshed(t *testing.T, id string) *signing.Session {
	t.Helper()
	e.svc.Refresh(context.Background(), e.tenant, id)
	got, err := e.svc.Get(context.Background(), e.tenant, id)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestGoneRequestFailsOnceConfirmed: a provider that keeps saying the
// request does not exist fails the session, with a reason that says so,
// but only after several answers over a couple of minutes.
func TestGoneRequestFailsOnceConfirmed(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) { f.refErr = goneErr() })
	// Three answers, but within 90 s: not yet.
	for i, wait := range []time.Duration{30 * time.Second, time.Minute, 2 * time.Minute} {
		if got := e.refreshed(t, s.ID); got.Status != signing.StatusPending {
			t.Fatalf("answer %d: %s, want PENDING until confirmed", i+1, got.Status)
		}
		e.advance(wait)
	}
	got := e.refreshed(t, s.ID)
	if got.Status != signing.StatusFailed || !strings.Contains(got.FailureReason, "Fake no longer has this signing request") ||
		!strings.Contains(got.FailureReason, `"Contract not found" 4 times in a row over 3m30s`) {
		t.Fatalf("after 4 answers over 3.5 minutes: %s %q", got.Status, got.FailureReason)
	}
	if trail := e.trail(t, s.ID); count(trail, signing.EventFailed) != 1 {
		t.Errorf("trail %v", trail)
	}
}

// TestGoneRunEndsOnAnotherAnswer: a good answer (or any other failure)
// between two "no such request" answers starts the count again.
func TestGoneRunEndsOnAnotherAnswer(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	for round := 0; round < 3; round++ {
		e.fake.set(func(f *fakeProvider) { f.refErr = goneErr() })
		e.refreshed(t, s.ID)
		e.advance(90 * time.Second)
		e.refreshed(t, s.ID)
		e.advance(90 * time.Second)
		e.fake.set(func(f *fakeProvider) {
			f.refErr = nil
			if round == 1 {
				f.refErr = &signing.ProviderError{Provider: "fake", Op: "refresh", Retryable: true, StatusCode: 503, Message: "down"}
			}
		})
		if got := e.refreshed(t, s.ID); got.Status != signing.StatusPending {
			t.Fatalf("round %d: %s %q", round, got.Status, got.FailureReason)
		}
	}
}

// TestPlainNotFoundNeverFails: an HTTP 404 the provider did not put in
// its own words (a wrong base URL gives those too) is retried, never
// taken for a lost request.
func TestPlainNotFoundNeverFails(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.refErr = &signing.ProviderError{Provider: "fake", Op: "refresh", StatusCode: 404, Message: "Not Found", Err: signing.ErrNotFound}
	})
	for i := 0; i < 10; i++ {
		if got := e.refreshed(t, s.ID); got.Status != signing.StatusPending {
			t.Fatalf("answer %d: %s %q", i+1, got.Status, got.FailureReason)
		}
		e.advance(time.Hour)
	}
}

// TestGoneAfterEverySignatureWaitsForTheDocument: once the provider has
// reported every signature, "no such request" for the document is a
// failed download (its own deadline), never a lost signature.
func TestGoneAfterEverySignatureWaitsForTheDocument(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.refresh = signing.Update{Status: signing.StatusCompleted, ProviderStatus: "done"}
		f.docErr = &signing.ProviderError{Provider: "fake", Op: "document", StatusCode: 404, Message: "Contract not found", Gone: true}
	})
	for i := 0; i < 6; i++ {
		if got := e.refreshed(t, s.ID); got.Status != signing.StatusInProgress || got.ProviderCompletedAt == nil {
			t.Fatalf("answer %d: %s", i+1, got.Status)
		}
		e.advance(time.Minute)
	}
	e.fake.set(func(f *fakeProvider) { f.docErr = nil })
	if got := e.refreshed(t, s.ID); got.Status != signing.StatusCompleted {
		t.Fatalf("with the document back: %s", got.Status)
	}
}

// TestDocumentNoticeIsRecorded: a document that comes with a
// DocumentNotice completes the session, and the notice is in its events.
func TestDocumentNoticeIsRecorded(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.fake.set(func(f *fakeProvider) {
		f.refresh = signing.Update{Status: signing.StatusCompleted, ProviderStatus: "done"}
		f.docErr = &signing.DocumentNotice{Provider: "fake", Message: "the checksum does not match"}
	})
	got := e.refreshed(t, s.ID)
	if got.Status != signing.StatusCompleted {
		t.Fatalf("status %s %q", got.Status, got.FailureReason)
	}
	events, _ := e.svc.Events(context.Background(), e.tenant, s.ID)
	var types []string
	for _, ev := range events {
		types = append(types, ev.Type)
		if ev.Type == signing.EventDocumentNotice && ev.Detail != "the checksum does not match" {
			t.Errorf("notice detail %q", ev.Detail)
		}
	}
	want := "provider.completed,provider.document_notice,signing.completed"
	if !strings.HasSuffix(strings.Join(types, ","), want) {
		t.Errorf("events %v, want them to end %s", types, want)
	}
	// Without the document, a notice is no document.
	s = e.create(t)
	e.fake.set(func(f *fakeProvider) { f.doc = nil })
	if got := e.refreshed(t, s.ID); got.Status == signing.StatusCompleted {
		t.Errorf("completed without a document")
	}
}

// TestGoneNearTheDeadlineExpires: a request the provider forgets near the
// session's deadline (Signzy forgets a contract when its contractTtl runs
// out) is never failed: the session expires at its deadline.
func TestGoneNearTheDeadlineExpires(t *testing.T) {
	e := newEnv(t)
	s := e.create(t)
	e.advance(s.ExpiresAt.Sub(time.UnixMicro(e.now.Load())) - 10*time.Minute)
	e.fake.set(func(f *fakeProvider) { f.refErr = goneErr() })
	for i := 0; i < 4; i++ {
		if got := e.refreshed(t, s.ID); got.Status != signing.StatusPending {
			t.Fatalf("answer %d, 10 minutes before the deadline: %s %q", i+1, got.Status, got.FailureReason)
		}
		e.advance(time.Minute)
	}
	e.advance(10 * time.Minute)
	if got := e.refreshed(t, s.ID); got.Status != signing.StatusExpired {
		t.Errorf("past the deadline: %s %q, want EXPIRED", got.Status, got.FailureReason)
	}
}
