package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func byLabel(h *hooks, list []signing.Delivery) map[string]signing.Delivery {
	m := map[string]signing.Delivery{}
	for _, d := range list {
		m[h.label(d)] = d
	}
	return m
}

var claimTests = []webhookTest{
	{"OldestDueFirst", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		a, b := newTenant(t, st, "a"), newTenant(t, st, "b")
		ep := h.endpoint(a, "ep", base)
		h.endpoint(b, "ep-b", base)
		h.session(a, "s1", base.Add(-3*time.Minute))
		h.session(b, "sb", base.Add(-150*time.Second))
		h.session(a, "s2", base.Add(-time.Minute))
		h.session(a, "s3", base.Add(-2*time.Minute))
		h.session(a, "s4", base)
		h.session(a, "s5", base.Add(time.Microsecond))

		got := h.claim(base, 2)
		if l := h.labels(got); !slices.Equal(l, []string{"ep/s1/created", "ep-b/sb/created"}) {
			t.Fatalf("ClaimDueDeliveries(limit 2) = %v, want [ep/s1/created ep-b/sb/created]", l)
		}
		if d := got[0]; d.URL != ep.URL || d.Secret != ep.Secret || d.EndpointID != ep.ID || d.TenantID != a.ID {
			t.Errorf("claimed delivery carries %s %s %s %s, want the endpoint's", d.EndpointID, d.TenantID, d.URL, d.Secret)
		}
		h.claimWant(base, "ep/s3/created", "ep/s2/created", "ep/s4/created")
		h.claimWant(base)
		h.claimWant(base.Add(time.Microsecond), "ep/s5/created")
	}},
	{"BusyEndpointsAndRelease", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		slow := h.endpoint(a, "slow", base)
		h.endpoint(a, "fast", base)
		for i, name := range []string{"s1", "s2"} {
			h.session(a, name, base.Add(time.Duration(i-10)*time.Minute))
		}
		claim := func(c signing.DeliveryClaim) []signing.Delivery {
			t.Helper()
			list, err := st.ClaimDueDeliveries(t.Context(), base, hookLease, c)
			if err != nil {
				t.Fatal(err)
			}
			return list
		}
		// A busy endpoint is skipped; the other's come, oldest first.
		got := claim(signing.DeliveryClaim{Limit: 10, Busy: []string{slow.ID}})
		if l := h.labels(got); !slices.Equal(l, []string{"fast/s1/created", "fast/s2/created"}) {
			t.Fatalf("slow busy: %v", l)
		}
		// Handed back, they are due again at once and claimed with the rest.
		if err := st.ReleaseDeliveries(t.Context(), []string{got[1].ID}, base); err != nil {
			t.Fatal(err)
		}
		if err := st.ReleaseDeliveries(t.Context(), nil, base); err != nil {
			t.Errorf("releasing none: %v", err)
		}
		h.claimSet(base, "slow/s1/created", "slow/s2/created", "fast/s2/created")
		// A delivery no longer pending stays as it is.
		h.record(succeeded(got[0], base))
		if err := st.ReleaseDeliveries(t.Context(), []string{got[0].ID}, base); err != nil {
			t.Fatal(err)
		}
		// (The others' leases end; the succeeded one never comes back.)
		h.claimSet(base.Add(2*hookLease), "slow/s1/created", "slow/s2/created", "fast/s2/created")
	}},
	{"PerEndpointBound", func(t *testing.T, st Store) {
		// An endpoint with a backlog gets at most PerEndpoint in a
		// claim; the rest of the claim goes to the others, oldest first,
		// even when the backlog is older than all of theirs.
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "backlog", base)
		var labels []string
		for i := range 30 {
			name := fmt.Sprintf("old%02d", i)
			h.session(a, name, base.Add(time.Duration(i-60)*time.Minute))
			labels = append(labels, "backlog/"+name+"/created")
		}
		h.endpoint(a, "other", base.Add(-20*time.Minute)) // sees only the sessions after it
		h.session(a, "new1", base.Add(-2*time.Minute))
		h.session(a, "new2", base.Add(-time.Minute))
		list, err := st.ClaimDueDeliveries(t.Context(), base, hookLease, signing.DeliveryClaim{Limit: 10, PerEndpoint: 3})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"backlog/old00/created", "backlog/old01/created", "backlog/old02/created", "other/new1/created", "other/new2/created"}
		if l := h.labels(list); !slices.Equal(l, want) {
			t.Fatalf("claim(limit 10, 3 per endpoint) = %v, want %v", l, want)
		}
		// With that endpoint busy, nothing else is due: the other's two
		// are leased.
		busy, err := st.ClaimDueDeliveries(t.Context(), base, hookLease, signing.DeliveryClaim{Limit: 10, PerEndpoint: 3, Busy: []string{list[0].EndpointID}})
		if err != nil || len(busy) != 0 {
			t.Fatalf("claim with the backlog's endpoint busy = %v, %v; want nothing", h.labels(busy), err)
		}
		// Without a bound, the backlog's next come in order.
		h.claimWant(base.Add(-50*time.Minute), labels[3:11]...)
	}},
	{"SessionEventsInOrder", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "x", base)
		h.endpoint(a, "y", base)
		s := h.session(a, "s", base.Add(-10*time.Minute))
		s = h.move(s, signing.StatusInProgress, base.Add(-9*time.Minute))
		h.move(s, signing.StatusCompleted, base.Add(-8*time.Minute))
		h.session(a, "t", base.Add(-5*time.Minute))

		first := byLabel(h, h.claimSet(base, "x/s/created", "y/s/created", "x/t/created", "y/t/created"))
		// s's later events wait while its first is leased but unattempted.
		h.claimWant(base)
		// x's first was attempted (and failed, to be retried in an hour):
		// x's next event may go; y's first is still unattempted.
		h.record(failed(first["x/s/created"], base, ptr(base.Add(time.Hour))))
		prog := h.claimWant(base, "x/s/in_progress")
		h.claimWant(base)
		h.record(succeeded(prog[0], base))
		h.claimWant(base, "x/s/completed")

		// The leases run out: what was claimed and never attempted comes
		// back, and y's events still wait for y's first.
		again := byLabel(h, h.claimSet(base.Add(hookLease),
			"y/s/created", "x/t/created", "y/t/created", "x/s/completed"))
		var rs []signing.AttemptResult
		for _, d := range again {
			rs = append(rs, succeeded(d, base.Add(hookLease)))
		}
		h.record(rs...)
		d := h.claimWant(base.Add(hookLease), "y/s/in_progress")
		h.record(succeeded(d[0], base.Add(hookLease)))
		d = h.claimWant(base.Add(hookLease), "y/s/completed")
		h.record(succeeded(d[0], base.Add(hookLease)))

		// The retry of x's first event, long after its successors.
		d = h.claimWant(base.Add(time.Hour), "x/s/created")
		if d[0].Attempts != 1 || d[0].ID != first["x/s/created"].ID {
			t.Errorf("retried delivery = %s with %d attempts, want %s with 1", d[0].ID, d[0].Attempts, first["x/s/created"].ID)
		}
	}},
	{"Lease", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep", base)
		h.session(a, "s", base)
		d := h.claimWant(base, "ep/s/created")
		h.claimWant(base)
		h.claimWant(base.Add(hookLease - time.Microsecond))
		h.backlog(base.Add(hookLease-time.Microsecond), 1, time.Time{})
		again := h.claimWant(base.Add(hookLease), "ep/s/created")
		if again[0].ID != d[0].ID || again[0].Attempts != 0 {
			t.Errorf("after the lease: %s with %d attempts, want %s with 0", again[0].ID, again[0].Attempts, d[0].ID)
		}
		h.claimWant(base.Add(2*hookLease - time.Microsecond))
	}},
	{"ConcurrentClaimersShare", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "x", base)
		h.endpoint(a, "y", base)
		const sessions = 30
		for i := range sessions {
			h.session(a, "s", base.Add(-time.Duration(i)*time.Millisecond))
		}
		var mu sync.Mutex
		got := map[string]int{}
		race(8, func(int) {
			for range 2 * sessions { // bounded, should claims never run dry
				list, err := st.ClaimDueDeliveries(t.Context(), base, hookLease, signing.DeliveryClaim{Limit: 5})
				if err != nil {
					t.Errorf("ClaimDueDeliveries: %v", err)
					return
				}
				if len(list) == 0 {
					return
				}
				mu.Lock()
				for _, d := range list {
					got[d.ID]++
				}
				mu.Unlock()
			}
		})
		for id, n := range got {
			if n != 1 {
				t.Errorf("delivery %s claimed %d times, want once", id, n)
			}
		}
		if len(got) != 2*sessions {
			t.Errorf("%d deliveries claimed, want %d", len(got), 2*sessions)
		}
	}},
	{"Invalid", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep", base)
		_, err := st.ClaimDueDeliveries(ctx, base, hookLease, signing.DeliveryClaim{Limit: 0})
		wantErr(t, "ClaimDueDeliveries(limit 0)", err, signing.ErrInvalid)
		_, err = st.ClaimDueDeliveries(ctx, base, 0, signing.DeliveryClaim{Limit: 10})
		wantErr(t, "ClaimDueDeliveries(lease 0)", err, signing.ErrInvalid)
		_, err = st.Attempts(ctx, a.ID, "ep", 0)
		wantErr(t, "Attempts(limit 0)", err, signing.ErrInvalid)
	}},
}

// checkAttempts compares a listing with the expected attempts; a want
// without an ID expects a fresh att_ id.
func checkAttempts(t *testing.T, got, want []signing.Attempt) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("Attempts = %d attempts, want %d: %+v", len(got), len(want), got)
	}
	seen := map[string]bool{}
	for i, g := range got {
		w := want[i]
		if (w.ID != "" && g.ID != w.ID) || (w.ID == "" && !strings.HasPrefix(g.ID, "att_")) || seen[g.ID] {
			t.Errorf("attempt %d: ID = %q, want %q (or a fresh att_ id)", i, g.ID, w.ID)
		}
		seen[g.ID] = true
		if g.DeliveryID != w.DeliveryID || g.EndpointID != w.EndpointID || g.TenantID != w.TenantID ||
			g.EventType != w.EventType || g.Attempt != w.Attempt || g.Succeeded != w.Succeeded ||
			g.ResponseStatus != w.ResponseStatus || g.Error != w.Error || g.DurationMs != w.DurationMs {
			t.Errorf("attempt %d = %+v\nwant        %+v", i, g, w)
		}
		checkTime(t, "AttemptedAt", g.AttemptedAt, w.AttemptedAt)
	}
}

// wantAttempt is the attempt a result should list as.
func wantAttempt(r signing.AttemptResult, number int) signing.Attempt {
	a := r.Attempt
	a.Attempt = number
	return a
}

var attemptTests = []webhookTest{
	{"RecordTransitions", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep", base)
		h.endpoint(a, "gone", base)
		h.session(a, "sa", base.Add(-3*time.Minute))
		h.session(a, "sb", base.Add(-2*time.Minute))
		h.session(a, "sc", base.Add(-time.Minute))
		d := byLabel(h, h.claimSet(base, "ep/sa/created", "ep/sb/created", "ep/sc/created",
			"gone/sa/created", "gone/sb/created", "gone/sc/created"))
		if err := st.DeleteEndpoint(ctx, a.ID, "gone"); err != nil {
			t.Fatal(err)
		}

		rA := succeeded(d["ep/sa/created"], base.Add(time.Second))
		rA.Attempt.ID = "att-given"
		rA.Attempt.Attempt, rA.Attempt.EndpointID, rA.Attempt.TenantID = 0, "", "" // the store knows better
		rA.NextAttemptAt = ptr(base.Add(time.Hour))                                // a success needs no retry
		rB := failed(d["ep/sb/created"], base.Add(2*time.Second), ptr(base.Add(5*time.Minute)))
		rC := failed(d["ep/sc/created"], base.Add(3*time.Second), nil)
		rC.Attempt.ResponseStatus, rC.Attempt.Error = 0, "timed out after 10s"
		// The endpoint of this one was deleted meanwhile: skipped.
		h.record(rA, succeeded(d["gone/sa/created"], base), rB, rC, failed(d["gone/sb/created"], base, nil))

		h.backlog(base.Add(time.Hour), 1, base.Add(5*time.Minute))
		h.claimWant(base.Add(5*time.Minute - time.Microsecond))
		again := h.claimWant(base.Add(5*time.Minute), "ep/sb/created")
		if again[0].Attempts != 1 || again[0].State != signing.DeliveryPending {
			t.Errorf("rescheduled delivery: %s with %d attempts, want pending with 1", again[0].State, again[0].Attempts)
		}
		rB2 := succeeded(again[0], base.Add(6*time.Minute))
		h.record(rB2)
		h.claimWant(base.Add(100 * time.Hour))
		h.backlog(base.Add(100*time.Hour), 0, time.Time{})

		wantA := wantAttempt(rA, 1)
		wantA.EndpointID, wantA.TenantID = "ep", a.ID
		want := []signing.Attempt{wantAttempt(rB2, 2), wantAttempt(rC, 1), wantAttempt(rB, 1), wantA}
		got, err := st.Attempts(ctx, a.ID, "ep", 10)
		if err != nil {
			t.Fatal(err)
		}
		checkAttempts(t, got, want)
		got, err = st.Attempts(ctx, a.ID, "ep", 2)
		if err != nil {
			t.Fatal(err)
		}
		checkAttempts(t, got, want[:2])
		_, err = st.Attempts(ctx, a.ID, "gone", 10)
		wantErr(t, "Attempts(deleted endpoint)", err, signing.ErrNotFound)
		if err := st.RecordAttempts(ctx, nil); err != nil {
			t.Errorf("RecordAttempts(nothing): %v", err)
		}
	}},
	{"ListNewestFirst", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep1", base)
		h.endpoint(a, "ep2", base)
		h.endpoint(a, "ep3", base, signing.EventExpired)
		h.session(a, "s1", base.Add(-time.Minute))
		h.session(a, "s2", base)
		d := byLabel(h, h.claimSet(base, "ep1/s1/created", "ep1/s2/created", "ep2/s1/created", "ep2/s2/created"))
		rs := []signing.AttemptResult{
			succeeded(d["ep1/s1/created"], base), // a tie on time: the id decides
			succeeded(d["ep1/s2/created"], base),
			succeeded(d["ep2/s1/created"], base.Add(time.Hour)),
			failed(d["ep2/s2/created"], base.Add(-time.Hour), nil),
		}
		for i, id := range []string{"att-1", "att-2", "att-3", "att-4"} {
			rs[i].Attempt.ID = id
		}
		h.record(rs...)
		got, err := st.Attempts(ctx, a.ID, "ep1", 10)
		if err != nil {
			t.Fatal(err)
		}
		checkAttempts(t, got, []signing.Attempt{wantAttempt(rs[1], 1), wantAttempt(rs[0], 1)})
		got, err = st.Attempts(ctx, a.ID, "ep2", 10)
		if err != nil {
			t.Fatal(err)
		}
		checkAttempts(t, got, []signing.Attempt{wantAttempt(rs[2], 1), wantAttempt(rs[3], 1)})
		if got, err := st.Attempts(ctx, a.ID, "ep3", 10); err != nil || len(got) != 0 {
			t.Errorf("Attempts(endpoint without any) = %v, %v; want none", got, err)
		}
	}},
	{"RetryDelivery", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		ep := h.endpoint(a, "ep", base)
		h.endpoint(a, "other", base, signing.EventExpired)
		h.session(a, "failed", base.Add(-3*time.Minute))
		h.session(a, "succeeded", base.Add(-2*time.Minute))
		h.session(a, "waiting", base.Add(-time.Minute))
		d := byLabel(h, h.claimSet(base, "ep/failed/created", "ep/succeeded/created", "ep/waiting/created"))
		h.record(failed(d["ep/failed/created"], base, nil), succeeded(d["ep/succeeded/created"], base),
			failed(d["ep/waiting/created"], base, ptr(base.Add(10*time.Hour))))
		atts, err := st.Attempts(ctx, a.ID, "ep", 10)
		if err != nil || len(atts) != 3 {
			t.Fatalf("Attempts = %v, %v; want 3", atts, err)
		}
		attOf := map[string]string{} // delivery id → attempt id
		for _, at := range atts {
			attOf[at.DeliveryID] = at.ID
		}

		when := base.Add(time.Minute)
		for _, l := range []string{"ep/failed/created", "ep/succeeded/created", "ep/waiting/created"} {
			orig := d[l]
			got, err := st.RetryDelivery(ctx, a.ID, "ep", attOf[orig.ID], when)
			if err != nil {
				t.Fatalf("RetryDelivery(%s): %v", l, err)
			}
			if got.ID != orig.ID || got.TenantID != a.ID || got.EndpointID != "ep" || got.SessionID != orig.SessionID ||
				got.EventID != orig.EventID || got.EventType != orig.EventType || !bytes.Equal(got.Payload, orig.Payload) ||
				got.URL != ep.URL || got.Secret != ep.Secret {
				t.Errorf("RetryDelivery(%s) = %+v, want the delivery %+v", l, got, orig)
			}
			if got.State != signing.DeliveryPending || got.Attempts != 1 {
				t.Errorf("RetryDelivery(%s): %s with %d attempts, want pending with 1", l, got.State, got.Attempts)
			}
			checkOptTime(t, "retried NextAttemptAt", got.NextAttemptAt, &when)
			checkTime(t, "retried CreatedAt", got.CreatedAt, orig.CreatedAt)
		}
		h.claimWant(when.Add(-time.Microsecond))
		again := byLabel(h, h.claimSet(when, "ep/failed/created", "ep/succeeded/created", "ep/waiting/created"))
		r := failed(again["ep/failed/created"], when.Add(time.Second), nil)
		h.record(r)
		got, err := st.Attempts(ctx, a.ID, "ep", 1)
		if err != nil {
			t.Fatal(err)
		}
		checkAttempts(t, got, []signing.Attempt{wantAttempt(r, 2)}) // same delivery, the next number

		_, err = st.RetryDelivery(ctx, a.ID, "other", attOf[d["ep/failed/created"].ID], when)
		wantErr(t, "RetryDelivery(another endpoint's attempt)", err, signing.ErrNotFound)
		_, err = st.RetryDelivery(ctx, a.ID, "ep", "att-unknown", when)
		wantErr(t, "RetryDelivery(unknown attempt)", err, signing.ErrNotFound)
	}},
	{"DeleteEndpointCascades", func(t *testing.T, st Store) {
		ctx := t.Context()
		h := newHooks(t, st)
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep1", base)
		h.endpoint(a, "ep2", base)
		h.session(a, "s1", base.Add(-2*time.Minute))
		h.session(a, "s2", base.Add(-time.Minute))
		d := byLabel(h, h.claimSet(base, "ep1/s1/created", "ep1/s2/created", "ep2/s1/created", "ep2/s2/created"))
		h.record(succeeded(d["ep1/s1/created"], base), failed(d["ep1/s2/created"], base, ptr(base.Add(time.Hour))),
			succeeded(d["ep2/s1/created"], base), succeeded(d["ep2/s2/created"], base))
		h.session(a, "s3", base)
		old, err := st.Attempts(ctx, a.ID, "ep1", 10)
		if err != nil || len(old) != 2 {
			t.Fatalf("Attempts(ep1) = %v, %v; want 2", old, err)
		}

		if err := st.DeleteEndpoint(ctx, a.ID, "ep1"); err != nil {
			t.Fatal(err)
		}
		_, err = st.Attempts(ctx, a.ID, "ep1", 10)
		wantErr(t, "Attempts(deleted endpoint)", err, signing.ErrNotFound)
		_, err = st.RetryDelivery(ctx, a.ID, "ep1", old[0].ID, base)
		wantErr(t, "RetryDelivery(deleted endpoint)", err, signing.ErrNotFound)
		h.backlog(base.Add(2*time.Hour), 1, base)

		// The same id again is a new endpoint: no history, no old deliveries.
		h.endpoint(a, "ep1", base.Add(time.Hour))
		if got, err := st.Attempts(ctx, a.ID, "ep1", 10); err != nil || len(got) != 0 {
			t.Errorf("Attempts(re-created endpoint) = %v, %v; want none", got, err)
		}
		h.drainSet(base.Add(2*time.Hour), "ep2/s3/created")
		if got, err := st.Attempts(ctx, a.ID, "ep2", 10); err != nil || len(got) != 3 {
			t.Errorf("Attempts(ep2) = %d, %v; want 3", len(got), err)
		}
	}},
}

var maintenanceTests = []webhookTest{
	{"Backlog", func(t *testing.T, st Store) {
		h := newHooks(t, st)
		h.backlog(base, 0, time.Time{})
		a := newTenant(t, st, "a")
		h.endpoint(a, "ep", base)
		h.session(a, "s1", base.Add(-2*time.Minute))
		h.session(a, "s2", base.Add(-time.Minute))
		h.session(a, "s3", base.Add(time.Minute))
		h.backlog(base, 3, base.Add(-2*time.Minute))
		d := h.claim(base, 1)
		h.backlog(base, 3, base.Add(-time.Minute)) // leased: pending, not due
		h.record(succeeded(d[0], base))
		h.backlog(base, 2, base.Add(-time.Minute))
		h.backlog(base.Add(-5*time.Minute), 2, time.Time{})
		h.backlog(base.Add(time.Hour), 2, base.Add(-time.Minute))
	}},
	{"RefreshTokenCleanup", func(t *testing.T, st Store) {
		ctx := t.Context()
		a := newTenant(t, st, "a")
		for h, exp := range map[string]time.Time{
			"rt-old": base.Add(-time.Microsecond), "rt-edge": base, "rt-new": base.Add(time.Hour),
		} {
			if err := st.CreateRefreshToken(ctx, a.ID, h, exp); err != nil {
				t.Fatal(err)
			}
		}
		del := func(before time.Time, want int) {
			t.Helper()
			if n, err := st.DeleteRefreshTokensBefore(ctx, before); err != nil || n != want {
				t.Errorf("DeleteRefreshTokensBefore(%v) = %d, %v; want %d", before.Sub(base), n, err, want)
			}
		}
		del(base, 1)
		_, err := st.ConsumeRefreshToken(ctx, "rt-old", base.Add(-time.Hour))
		wantErr(t, "ConsumeRefreshToken(deleted)", err, signing.ErrNotFound)
		if got, err := st.ConsumeRefreshToken(ctx, "rt-edge", base.Add(-time.Hour)); err != nil || got != a.ID {
			t.Errorf("ConsumeRefreshToken(rt-edge) = %q, %v; want %q", got, err, a.ID)
		}
		del(base, 0)
		del(base.Add(2*time.Hour), 1)
		_, err = st.ConsumeRefreshToken(ctx, "rt-new", base)
		wantErr(t, "ConsumeRefreshToken(deleted)", err, signing.ErrNotFound)
	}},
}
