package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// complete is the change that completes s with a signed document.
func complete(s *signing.Session, at time.Time, detail string) signing.Change {
	c := s.Clone()
	c.Status = signing.StatusCompleted
	c.UpdatedAt = at
	c.CompletedAt = ptr(at)
	c.NextPollAt = nil
	return signing.Change{
		Session:       c,
		ExpectVersion: s.Version,
		Entries: []signing.AuditEntry{
			{Type: signing.EventProviderCallback, Detail: detail, Data: json.RawMessage(`{"status":"signed"}`), CreatedAt: at},
			{Type: signing.EventCompleted, FromStatus: s.Status, ToStatus: signing.StatusCompleted, Detail: detail, CreatedAt: at},
		},
		Signed: &signing.Document{
			SessionID: s.ID,
			Kind:      signing.DocumentSigned,
			Filename:  "contract-signed.pdf",
			Content:   []byte("%PDF-1.7 signed by " + detail),
			SHA256:    "sha-signed-" + detail,
			CreatedAt: at,
		},
	}
}

var updateTests = []test{
	{"WithBeforeSameResult", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, full(newTenant(t, st, "acme")))
		// Only some fields differ from Before; the result is the whole new state.
		c := complete(s, base.Add(time.Hour), "before")
		c.Before = s.Clone()
		c.Session.Signers[0].ProviderURL = ""
		c.Session.Signers[1].Status = signing.SignerSigned
		c.Session.ProviderState = nil
		if err := st.UpdateSession(ctx, c); err != nil {
			t.Fatalf("UpdateSession with Before: %v", err)
		}
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), c.Session)
		// A Before of another version is not trusted: everything is written.
		next := c.Session.Clone()
		next.FailureReason, next.OrderID = "x", "order-2"
		old := s.Clone() // stale: says OrderID is still the first one's
		old.OrderID = "order-2"
		if err := st.UpdateSession(ctx, signing.Change{Session: next, ExpectVersion: c.Session.Version, Before: old}); err != nil {
			t.Fatalf("UpdateSession with a stale Before: %v", err)
		}
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), next)
	}},
	{"BatchSkipsStaleAndMissing", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		fresh := create(t, st, newSession(a, base))
		stale := create(t, st, newSession(a, base))
		other := create(t, st, newSession(b, base))
		done := create(t, st, newSession(a, base))

		moved := stale.Clone() // a concurrent writer wins first
		moved.OrderID = "moved"
		if err := st.UpdateSession(ctx, signing.Change{Session: moved, ExpectVersion: stale.Version}); err != nil {
			t.Fatal(err)
		}
		at := base.Add(time.Hour)
		expire := func(s *signing.Session) signing.Change {
			n := s.Clone()
			n.Status, n.UpdatedAt, n.NextPollAt = signing.StatusExpired, at, nil
			return signing.Change{Session: n, ExpectVersion: s.Version, Entries: []signing.AuditEntry{
				{Type: signing.EventExpired, FromStatus: s.Status, ToStatus: signing.StatusExpired, Detail: "expired", CreatedAt: at}}}
		}
		foreign := expire(other)
		foreign.Session.TenantID = a.ID // the wrong tenant: not found
		changes := []signing.Change{expire(fresh), expire(stale), foreign, complete(done, at, "batch")}
		results, err := st.UpdateSessions(ctx, changes)
		if err != nil {
			t.Fatalf("UpdateSessions: %v", err)
		}
		if len(results) != len(changes) {
			t.Fatalf("UpdateSessions returned %d results for %d changes", len(results), len(changes))
		}
		for i, want := range []error{nil, signing.ErrStale, signing.ErrNotFound, nil} {
			if want == nil && results[i] != nil || want != nil && !errors.Is(results[i], want) {
				t.Errorf("result %d = %v, want %v", i, results[i], want)
			}
		}
		checkSession(t, mustSession(t, st, a.ID, fresh.ID), changes[0].Session)
		checkSession(t, mustSession(t, st, a.ID, done.ID), changes[3].Session)
		trail, err := st.AuditTrail(ctx, a.ID, fresh.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkTrail(t, trail, fresh, []signing.AuditEntry{createdEntry(fresh), changes[0].Entries[0]})
		if got := mustSession(t, st, a.ID, stale.ID); got.Status != signing.StatusPending || got.OrderID != "moved" {
			t.Errorf("the stale change was applied: %s %q", got.Status, got.OrderID)
		}
		if got := mustSession(t, st, b.ID, other.ID); got.Status != signing.StatusPending || got.Version != other.Version {
			t.Errorf("another tenant's session changed: %s v%d", got.Status, got.Version)
		}
		if _, err := st.Document(ctx, a.ID, done.ID, signing.DocumentSigned); err != nil {
			t.Errorf("signed document of the batch: %v", err)
		}
		if results, err := st.UpdateSessions(ctx, nil); err != nil || len(results) != 0 {
			t.Errorf("UpdateSessions(nil) = %v, %v; want no results", results, err)
		}
	}},
	{"AppliesEverything", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := full(newTenant(t, st, "acme"))
		s.Status = signing.StatusInProgress
		s.CompletedAt = nil
		create(t, st, s)

		c := complete(s, base.Add(2*time.Hour), "one")
		c.Session.Metadata = nil
		c.Session.ProviderState = json.RawMessage(`{"done":true}`)
		c.Session.ProviderRef = "ref-new"
		c.Session.FailureReason = ""
		c.Session.Language = "en"
		if err := st.UpdateSession(ctx, c); err != nil {
			t.Fatalf("UpdateSession: %v", err)
		}
		if c.Session.Version == s.Version {
			t.Errorf("Version after update = %d, want it changed from %d", c.Session.Version, s.Version)
		}
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), c.Session)
		if _, err := st.SessionByProviderRef(ctx, s.Provider, "ref-new"); err != nil {
			t.Errorf("SessionByProviderRef(new ref): %v", err)
		}
		_, err := st.SessionByProviderRef(ctx, s.Provider, s.ProviderRef)
		wantErr(t, "SessionByProviderRef(old ref)", err, signing.ErrNotFound)

		trail, err := st.AuditTrail(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkTrail(t, trail, s, append([]signing.AuditEntry{createdEntry(s)}, c.Entries...))
		signed, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		if err != nil {
			t.Fatalf("Document(signed): %v", err)
		}
		checkDocument(t, signed, *c.Signed)
		orig, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentOriginal)
		if err != nil {
			t.Fatalf("Document(original): %v", err)
		}
		checkDocument(t, orig, originalOf(s))
	}},
	{"VersionsIncrease", func(t *testing.T, st Store) {
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		cur := s.Clone()
		seen := map[int64]bool{s.Version: true}
		for i := range 5 {
			next := cur.Clone()
			next.UpdatedAt = cur.UpdatedAt.Add(time.Second)
			next.Metadata = map[string]string{"step": fmt.Sprint(i)}
			if err := st.UpdateSession(t.Context(), signing.Change{Session: next, ExpectVersion: cur.Version}); err != nil {
				t.Fatalf("update %d: %v", i, err)
			}
			if next.Version <= cur.Version || seen[next.Version] {
				t.Fatalf("update %d: version %d after %d, want a new, larger one", i, next.Version, cur.Version)
			}
			seen[next.Version] = true
			checkSession(t, mustSession(t, st, s.TenantID, s.ID), next)
			cur = next
		}
	}},
	{"StaleWritesNothing", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		stale := complete(s, base.Add(time.Hour), "stale")
		stale.ExpectVersion = s.Version + 1
		wantErr(t, "UpdateSession(wrong version)", st.UpdateSession(ctx, stale), signing.ErrStale)
		if stale.Session.Version != s.Version {
			t.Errorf("a stale update set Version to %d", stale.Session.Version)
		}
		want := s.Clone()
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), want)
		if trail, err := st.AuditTrail(ctx, s.TenantID, s.ID); err != nil || len(trail) != 1 {
			t.Errorf("after a stale update the trail has %d entries (%v), want 1", len(trail), err)
		}
		_, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		wantErr(t, "Document(signed) after a stale update", err, signing.ErrNotFound)

		// The winner's change stays after a loser with the old version.
		win := complete(s, base.Add(time.Hour), "winner")
		if err := st.UpdateSession(ctx, win); err != nil {
			t.Fatal(err)
		}
		lose := complete(s, base.Add(2*time.Hour), "loser")
		wantErr(t, "UpdateSession(old version)", st.UpdateSession(ctx, lose), signing.ErrStale)
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), win.Session)
		signed, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, signed, *win.Signed)
		if trail, _ := st.AuditTrail(ctx, s.TenantID, s.ID); len(trail) != 3 {
			t.Errorf("trail has %d entries, want 3 (created + the winner's 2)", len(trail))
		}
	}},
	{"ConcurrentWritersOneWins", func(t *testing.T, st Store) {
		ctx := t.Context()
		s := create(t, st, newSession(newTenant(t, st, "acme"), base))
		changes := make([]signing.Change, racers)
		for i := range changes {
			changes[i] = complete(s, base.Add(time.Duration(i+1)*time.Second), fmt.Sprintf("writer-%d", i))
		}
		var wins, winner atomic.Int32
		race(racers, func(i int) {
			err := st.UpdateSession(ctx, changes[i])
			if err == nil {
				wins.Add(1)
				winner.Store(int32(i))
				return
			}
			wantErr(t, "losing UpdateSession", err, signing.ErrStale)
		})
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of %d concurrent updates won, want exactly 1", n, racers)
		}
		w := changes[winner.Load()]
		checkSession(t, mustSession(t, st, s.TenantID, s.ID), w.Session)
		trail, err := st.AuditTrail(ctx, s.TenantID, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkTrail(t, trail, s, append([]signing.AuditEntry{createdEntry(s)}, w.Entries...))
		signed, err := st.Document(ctx, s.TenantID, s.ID, signing.DocumentSigned)
		if err != nil {
			t.Fatal(err)
		}
		checkDocument(t, signed, *w.Signed)
	}},
	{"ClearsOptionals", func(t *testing.T, st Store) {
		s := full(newTenant(t, st, "acme"))
		create(t, st, s)
		c := s.Clone()
		c.CompletedAt, c.NextPollAt, c.Metadata, c.ProviderState = nil, nil, map[string]string{}, nil
		c.FailureReason, c.ProviderRef, c.ProviderCompletedAt = "", "", nil
		c.Signers[0].SignedAt, c.Signers[0].OpenedAt, c.Signers[0].Evidence, c.Signers[0].ProviderURL = nil, nil, nil, ""
		if err := st.UpdateSession(t.Context(), signing.Change{Session: c, ExpectVersion: s.Version}); err != nil {
			t.Fatal(err)
		}
		got := mustSession(t, st, s.TenantID, s.ID)
		checkSession(t, got, c)
		if got.Metadata != nil {
			t.Errorf("Metadata = %#v, want nil", got.Metadata)
		}
	}},
}
