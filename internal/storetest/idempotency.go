package storetest

import (
	"bytes"
	"fmt"
	"maps"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
)

func idem(tenant signing.Tenant, key, fingerprint string, created time.Time) idempotency.Record {
	return idempotency.Record{TenantID: tenant.ID, Key: key, Fingerprint: fingerprint, CreatedAt: created}
}

func checkRecord(t *testing.T, what string, got, want idempotency.Record) {
	t.Helper()
	wantHeader := want.Header
	if len(wantHeader) == 0 {
		wantHeader = nil
	}
	if got.TenantID != want.TenantID || got.Key != want.Key || got.Fingerprint != want.Fingerprint ||
		got.Done != want.Done || got.StatusCode != want.StatusCode || !maps.Equal(got.Header, wantHeader) ||
		!bytes.Equal(got.Body, want.Body) {
		t.Errorf("%s = %+v, want %+v", what, got, want)
	}
	checkTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
}

// The window of the tests: records created before expired are stale.
var expired = base.Add(-24 * time.Hour)

var idempotencyTests = []test{
	{"Lifecycle", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		rec := idem(a, "key-1", "fp-1", base)

		got, ok, err := st.BeginIdempotent(ctx, rec, expired)
		if err != nil || !ok {
			t.Fatalf("BeginIdempotent(new) = %v, %v; want claimed", ok, err)
		}
		checkRecord(t, "claimed", got, rec)

		for _, fp := range []string{"fp-1", "fp-other"} { // same or different request
			again, ok, err := st.BeginIdempotent(ctx, idem(a, "key-1", fp, base.Add(time.Second)), expired)
			if err != nil || ok {
				t.Fatalf("BeginIdempotent(in flight, %s) = %v, %v; want not claimed", fp, ok, err)
			}
			checkRecord(t, "in flight", again, rec)
		}

		done := got
		done.Done, done.StatusCode = true, 201
		done.Header = map[string]string{"Content-Type": "application/json", "Location": "/signing/1"}
		done.Body = []byte(`{"signingSessionId":"1"}`)
		if err := st.FinishIdempotent(ctx, done); err != nil {
			t.Fatalf("FinishIdempotent: %v", err)
		}
		read, err := st.IdempotentRecord(ctx, a.ID, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		checkRecord(t, "IdempotentRecord", read, done)
		replay, ok, err := st.BeginIdempotent(ctx, idem(a, "key-1", "fp-1", base.Add(time.Minute)), expired)
		if err != nil || ok {
			t.Fatalf("BeginIdempotent(finished) = %v, %v; want not claimed", ok, err)
		}
		checkRecord(t, "replay", replay, done)

		// A finished record is not released: its response must keep replaying.
		if err := st.ReleaseIdempotent(ctx, a.ID, "key-1"); err != nil {
			t.Fatal(err)
		}
		read, err = st.IdempotentRecord(ctx, a.ID, "key-1")
		if err != nil {
			t.Fatalf("after releasing a finished record: %v", err)
		}
		checkRecord(t, "released finished", read, done)
	}},
	{"Release", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		if _, ok, err := st.BeginIdempotent(ctx, idem(a, "k", "fp-1", base), expired); err != nil || !ok {
			t.Fatalf("BeginIdempotent = %v, %v", ok, err)
		}
		if err := st.ReleaseIdempotent(ctx, a.ID, "k"); err != nil {
			t.Fatalf("ReleaseIdempotent: %v", err)
		}
		_, err := st.IdempotentRecord(ctx, a.ID, "k")
		wantErr(t, "IdempotentRecord(released)", err, signing.ErrNotFound)
		if err := st.ReleaseIdempotent(ctx, a.ID, "k"); err != nil {
			t.Errorf("ReleaseIdempotent(twice): %v", err)
		}
		wantErr(t, "FinishIdempotent(released)",
			st.FinishIdempotent(ctx, idempotency.Record{TenantID: a.ID, Key: "k", Fingerprint: "fp-1", Done: true, StatusCode: 200}),
			signing.ErrNotFound)
		rec := idem(a, "k", "fp-2", base.Add(time.Second))
		got, ok, err := st.BeginIdempotent(ctx, rec, expired)
		if err != nil || !ok {
			t.Fatalf("BeginIdempotent(after release) = %v, %v; want claimed", ok, err)
		}
		checkRecord(t, "reclaimed", got, rec)
	}},
	{"TenantScope", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		for _, tn := range []signing.Tenant{a, b} {
			if _, ok, err := st.BeginIdempotent(ctx, idem(tn, "same", "fp-"+tn.Name, base), expired); err != nil || !ok {
				t.Errorf("BeginIdempotent(tenant %s) = %v, %v; want claimed", tn.Name, ok, err)
			}
		}
		if err := st.ReleaseIdempotent(ctx, b.ID, "same"); err != nil {
			t.Fatal(err)
		}
		got, err := st.IdempotentRecord(ctx, a.ID, "same")
		if err != nil || got.Fingerprint != "fp-a" {
			t.Errorf("tenant a's record after b released its own = %+v, %v", got, err)
		}
		_, err = st.IdempotentRecord(ctx, b.ID, "same")
		wantErr(t, "IdempotentRecord(b, released)", err, signing.ErrNotFound)
	}},
	{"Expiry", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		for _, tt := range []struct {
			key     string
			created time.Time
			done    bool
			claim   bool
		}{
			{"old-unfinished", expired.Add(-time.Microsecond), false, true},
			{"old-finished", expired.Add(-time.Hour), true, true},
			{"at-boundary", expired, true, false},
			{"fresh", base, true, false},
		} {
			rec := idem(a, tt.key, "fp-old", tt.created)
			if _, ok, err := st.BeginIdempotent(ctx, rec, expired.Add(-48*time.Hour)); err != nil || !ok {
				t.Fatalf("BeginIdempotent(%s) = %v, %v", tt.key, ok, err)
			}
			if tt.done {
				rec.Done, rec.StatusCode, rec.Body = true, 200, []byte("old")
				if err := st.FinishIdempotent(ctx, rec); err != nil {
					t.Fatal(err)
				}
			}
			fresh := idem(a, tt.key, "fp-new", base.Add(time.Minute))
			got, ok, err := st.BeginIdempotent(ctx, fresh, expired)
			if err != nil || ok != tt.claim {
				t.Errorf("BeginIdempotent(%s, expired) = %v, %v; want %v", tt.key, ok, err, tt.claim)
				continue
			}
			if tt.claim {
				checkRecord(t, tt.key+" reclaimed", got, fresh)
			} else {
				checkRecord(t, tt.key+" kept", got, rec)
			}
		}
	}},
	{"DeleteBefore", func(t *testing.T, st Store) {
		ctx := t.Context()
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		cut := base.Add(-24 * time.Hour)
		recs := []idempotency.Record{
			idem(a, "old-1", "fp", cut.Add(-time.Hour)),
			idem(b, "old-2", "fp", cut.Add(-time.Microsecond)),
			idem(a, "at-cut", "fp", cut),
			idem(b, "new", "fp", base),
		}
		for _, r := range recs {
			if _, ok, err := st.BeginIdempotent(ctx, r, cut.Add(-48*time.Hour)); err != nil || !ok {
				t.Fatalf("BeginIdempotent(%s) = %v, %v", r.Key, ok, err)
			}
		}
		n, err := st.DeleteIdempotentBefore(ctx, cut)
		if err != nil || n != 2 {
			t.Errorf("DeleteIdempotentBefore = %d, %v; want 2", n, err)
		}
		for i, r := range recs {
			_, err := st.IdempotentRecord(ctx, r.TenantID, r.Key)
			if kept := err == nil; kept != (i >= 2) {
				t.Errorf("record %s: err %v after delete; want kept = %v", r.Key, err, i >= 2)
			}
		}
		if n, err := st.DeleteIdempotentBefore(ctx, cut); err != nil || n != 0 {
			t.Errorf("DeleteIdempotentBefore again = %d, %v; want 0", n, err)
		}
	}},
	{"ConcurrentBeginOneWins", func(t *testing.T, st Store) {
		a := newTenant(t, st, "a")
		var wins atomic.Int32
		var winner atomic.Value
		race(racers, func(i int) {
			rec := idem(a, "contended", fmt.Sprintf("fp-%d", i), base)
			got, ok, err := st.BeginIdempotent(t.Context(), rec, expired)
			if err != nil {
				t.Errorf("BeginIdempotent #%d: %v", i, err)
				return
			}
			if ok {
				wins.Add(1)
				winner.Store(rec.Fingerprint)
			}
			if got.Key != "contended" || got.Done {
				t.Errorf("BeginIdempotent #%d = %+v", i, got)
			}
		})
		if n := wins.Load(); n != 1 {
			t.Fatalf("%d of %d concurrent BeginIdempotent claimed the key, want exactly 1", n, racers)
		}
		got, err := st.IdempotentRecord(t.Context(), a.ID, "contended")
		if err != nil || got.Fingerprint != winner.Load() {
			t.Errorf("stored record = %+v, %v; want the winner's fingerprint %v", got, err, winner.Load())
		}
	}},
	{"Unknown", func(t *testing.T, st Store) {
		a := newTenant(t, st, "a")
		_, err := st.IdempotentRecord(t.Context(), a.ID, "nope")
		wantErr(t, "IdempotentRecord(unknown)", err, signing.ErrNotFound)
		err = st.FinishIdempotent(t.Context(), idempotency.Record{TenantID: a.ID, Key: "nope", Fingerprint: "fp", Done: true})
		wantErr(t, "FinishIdempotent(unknown)", err, signing.ErrNotFound)
	}},
}
