package storetest

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// due is a fixture row for the due-work queries.
type due struct {
	name   string
	tenant int // 0 or 1
	status signing.Status
	at     *time.Time // ExpiresAt or NextPollAt; nil = none
}

// storeDue stores one session per row (ExpiresAt or, with poll, NextPollAt
// set to at) and returns them by name.
func storeDue(t *testing.T, st Store, rows []due, poll bool) map[string]*signing.Session {
	t.Helper()
	tenants := []signing.Tenant{newTenant(t, st, "a"), newTenant(t, st, "b")}
	out := map[string]*signing.Session{}
	for _, r := range rows {
		s := newSession(tenants[r.tenant], base.Add(-48*time.Hour))
		s.Status = r.status
		if poll {
			s.NextPollAt = r.at
		} else {
			s.ExpiresAt = *r.at
		}
		out[r.name] = create(t, st, s)
	}
	return out
}

// names maps sessions back to their fixture names ("?" for strangers).
func names(byName map[string]*signing.Session, list []*signing.Session) []string {
	var out []string
	for _, s := range list {
		name := "?" + s.ID
		for n, v := range byName {
			if v.ID == s.ID {
				name = n
			}
		}
		out = append(out, name)
	}
	return out
}

func at(d time.Duration) *time.Time { return ptr(base.Add(d)) }

var expiryTests = []test{
	{"DueForExpiry", func(t *testing.T, st Store) {
		byName := storeDue(t, st, []due{
			{"pending-3h", 0, signing.StatusPending, at(-3 * time.Hour)},
			{"progress-2h", 0, signing.StatusInProgress, at(-2 * time.Hour)},
			{"other-tenant-1h", 1, signing.StatusPending, at(-time.Hour)},
			{"pending-now", 0, signing.StatusPending, at(0)},
			{"pending-later", 0, signing.StatusPending, at(time.Microsecond)},
			{"completed", 0, signing.StatusCompleted, at(-5 * time.Hour)},
			{"failed", 0, signing.StatusFailed, at(-5 * time.Hour)},
			{"expired", 0, signing.StatusExpired, at(-5 * time.Hour)},
			{"cancelled", 1, signing.StatusCancelled, at(-5 * time.Hour)},
		}, false)
		order := []string{"pending-3h", "progress-2h", "other-tenant-1h", "pending-now"}
		for _, tt := range []struct {
			now   time.Time
			limit int
			want  []string
		}{
			{base, 10, order},
			{base, 2, order[:2]},
			{base, 1, order[:1]},
			{base.Add(-2 * time.Hour), 10, order[:2]},
			{base.Add(-4 * time.Hour), 10, nil},
		} {
			got, err := st.DueForExpiry(t.Context(), tt.now, tt.limit)
			if err != nil {
				t.Fatalf("DueForExpiry: %v", err)
			}
			if n := names(byName, got); !slices.Equal(n, tt.want) {
				t.Errorf("DueForExpiry(%v, %d) = %v, want %v", tt.now.Sub(base), tt.limit, n, tt.want)
			}
			for i, s := range got {
				checkSession(t, s, byName[tt.want[i]])
			}
		}
	}},
}

var backlogTests = []test{
	{"DueBacklog", func(t *testing.T, st Store) {
		check := func(now time.Time, want signing.Backlog) {
			t.Helper()
			got, err := st.DueBacklog(t.Context(), now)
			if err != nil {
				t.Fatalf("DueBacklog: %v", err)
			}
			if got.DuePolls != want.DuePolls || got.DueExpiries != want.DueExpiries ||
				!got.OldestPollDue.Equal(want.OldestPollDue) || !got.OldestExpiryDue.Equal(want.OldestExpiryDue) {
				t.Errorf("DueBacklog(%v) = %+v, want %+v", now.Sub(base), got, want)
			}
			for _, tm := range []time.Time{got.OldestPollDue, got.OldestExpiryDue} {
				if !tm.IsZero() && tm.Location() != time.UTC {
					t.Errorf("DueBacklog time %v not in UTC", tm)
				}
			}
		}
		check(base, signing.Backlog{})
		storeDue(t, st, []due{
			{"pending-2m", 0, signing.StatusPending, at(-2 * time.Minute)},
			{"progress-1m", 1, signing.StatusInProgress, at(-time.Minute)},
			{"cancelled-3m", 0, signing.StatusCancelled, at(-3 * time.Minute)},
			{"completed-9m", 0, signing.StatusCompleted, at(-9 * time.Minute)},
			{"later", 0, signing.StatusPending, at(time.Minute)},
		}, true)
		storeDue(t, st, []due{
			{"expire-5m", 0, signing.StatusPending, at(-5 * time.Minute)},
			{"expire-4m", 1, signing.StatusInProgress, at(-4 * time.Minute)},
			{"expired-9m", 0, signing.StatusExpired, at(-9 * time.Minute)},
			{"expire-later", 0, signing.StatusPending, at(time.Hour)},
		}, false)
		// storeDue's sessions expire 24 h after creation (base-48 h) unless
		// set, so the poll fixture's three open ones are due for expiry too.
		check(base, signing.Backlog{DuePolls: 3, OldestPollDue: *at(-3 * time.Minute),
			DueExpiries: 3 + 2, OldestExpiryDue: base.Add(-24 * time.Hour)})
		check(base.Add(-150*time.Second), signing.Backlog{DuePolls: 1, OldestPollDue: *at(-3 * time.Minute),
			DueExpiries: 3 + 2, OldestExpiryDue: base.Add(-24 * time.Hour)})
		check(base.Add(-30*time.Hour), signing.Backlog{})
	}},
}

var pollTests = []test{
	{"ClaimLeases", func(t *testing.T, st Store) {
		ctx := t.Context()
		const lease = time.Minute
		byName := storeDue(t, st, []due{
			{"pending-2m", 0, signing.StatusPending, at(-2 * time.Minute)},
			{"progress-1m", 0, signing.StatusInProgress, at(-time.Minute)},
			{"other-tenant-30s", 1, signing.StatusPending, at(-30 * time.Second)},
			{"pending-now", 0, signing.StatusPending, at(0)},
			{"pending-later", 0, signing.StatusPending, at(2*lease + time.Second)},
			{"no-poll", 0, signing.StatusPending, nil},
			{"completed", 0, signing.StatusCompleted, at(-5 * time.Minute)},
			{"failed", 1, signing.StatusFailed, at(-5 * time.Minute)},
			{"expired", 0, signing.StatusExpired, at(-5 * time.Minute)},
			{"expired-done", 1, signing.StatusExpired, nil},
			{"cancelled", 0, signing.StatusCancelled, at(-90 * time.Second)},
			{"cancelled-done", 1, signing.StatusCancelled, nil},
		}, true)
		// A CANCELLED or EXPIRED session with a NextPollAt still has its
		// request to withdraw at the provider; other terminal ones are
		// never claimed.
		dueNow := []string{"expired", "pending-2m", "cancelled", "progress-1m", "other-tenant-30s", "pending-now"}

		claim := func(now time.Time, want []string) []*signing.Session {
			t.Helper()
			got, err := st.ClaimDuePolls(ctx, now, lease, 100)
			if err != nil {
				t.Fatalf("ClaimDuePolls(%v): %v", now.Sub(base), err)
			}
			n := names(byName, got)
			slices.Sort(n)
			want = slices.Sorted(slices.Values(want))
			if !slices.Equal(n, want) {
				t.Fatalf("ClaimDuePolls(%v) = %v, want %v", now.Sub(base), n, want)
			}
			for _, s := range got {
				checkOptTime(t, "claimed NextPollAt", s.NextPollAt, ptr(now.Add(lease)))
				checkSession(t, mustSession(t, st, s.TenantID, s.ID), s)
			}
			return got
		}
		claim(base, dueNow)
		claim(base, nil)                             // leased
		claim(base.Add(lease-time.Microsecond), nil) // still leased
		claim(base.Add(lease), dueNow)               // the lease ran out
		last := claim(base.Add(2*lease+time.Second), append(dueNow, "pending-later"))

		// The poller writes its result with the version the claim returned.
		next := last[0].Clone()
		next.NextPollAt = at(time.Hour)
		if err := st.UpdateSession(ctx, signing.Change{Session: next, ExpectVersion: last[0].Version}); err != nil {
			t.Fatalf("UpdateSession after a claim: %v", err)
		}
	}},
	{"ClaimLimitEarliestFirst", func(t *testing.T, st Store) {
		byName := storeDue(t, st, []due{
			{"e", 0, signing.StatusPending, at(-1 * time.Second)},
			{"a", 1, signing.StatusPending, at(-5 * time.Second)},
			{"d", 0, signing.StatusInProgress, at(-2 * time.Second)},
			{"b", 0, signing.StatusPending, at(-4 * time.Second)},
			{"c", 1, signing.StatusInProgress, at(-3 * time.Second)},
		}, true)
		for _, want := range [][]string{{"a", "b"}, {"c", "d"}, {"e"}, nil} {
			got, err := st.ClaimDuePolls(t.Context(), base, time.Hour, 2)
			if err != nil {
				t.Fatal(err)
			}
			n := names(byName, got)
			slices.Sort(n)
			if !slices.Equal(n, want) {
				t.Errorf("ClaimDuePolls(limit 2) = %v, want %v", n, want)
			}
		}
	}},
	{"ConcurrentClaimersShare", func(t *testing.T, st Store) {
		tenant := newTenant(t, st, "a")
		const total = 60
		want := map[string]bool{}
		for i := range total {
			s := newSession(tenant, base)
			s.NextPollAt = at(-time.Duration(i) * time.Millisecond)
			want[create(t, st, s).ID] = true
		}
		var mu sync.Mutex
		got := map[string]int{}
		race(8, func(int) {
			for {
				list, err := st.ClaimDuePolls(t.Context(), base, time.Minute, 5)
				if err != nil {
					t.Errorf("ClaimDuePolls: %v", err)
					return
				}
				if len(list) == 0 {
					return
				}
				mu.Lock()
				for _, s := range list {
					got[s.ID]++
				}
				mu.Unlock()
			}
		})
		for id, n := range got {
			if n != 1 || !want[id] {
				t.Errorf("session %s claimed %d times (known: %v), want once", id, n, want[id])
			}
		}
		if len(got) != total {
			t.Errorf("%d sessions claimed, want %d", len(got), total)
		}
	}},
}
