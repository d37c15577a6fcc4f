package storetest

// Tests and fixtures shared by the stores' own test files. Unlike Run and
// RunWebhooks they need what only the store's package can give: a second
// store on the same database, a reopened one, Migrate, or a look at the
// rows behind the interface. The SQL they run is the same in both dialects.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
)

// TestSecret is a valid endpoint secret for fixtures.
const TestSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// NewSession is a minimal valid PENDING session of tenant created at c.
func NewSession(tenant signing.Tenant, c time.Time) *signing.Session { return newSession(tenant, c) }

// RowQuerier runs a query and scans its one row into dest, on the
// database behind the store (each store's export_test.go has one).
type RowQuerier interface {
	QueryRow(ctx context.Context, query string, dest ...any) error
}

// QueueDeliveries stores one endpoint per name and n sessions of one new
// tenant, each with a signing.created webhook, due at now, and due for a
// poll at now.
func QueueDeliveries(tb testing.TB, st Store, now time.Time, n int, endpoints ...string) signing.Tenant {
	tb.Helper()
	ctx := tb.Context()
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		tb.Fatal(err)
	}
	for _, id := range endpoints {
		if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: id, TenantID: tn.ID, URL: "https://hooks.example/" + id,
			Secret: TestSecret, CreatedAt: now}, 100); err != nil {
			tb.Fatal(err)
		}
	}
	for range n {
		s := NewSession(tn, now)
		s.NextPollAt = &now
		e := signing.AuditEntry{Type: signing.EventCreated, ToStatus: s.Status, CreatedAt: now,
			Webhook: json.RawMessage(fmt.Sprintf(`{"type":"signing.created","data":{"signingSessionId":%q}}`, s.ID))}
		if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
			tb.Fatal(err)
		}
	}
	return tn
}

// ClaimAcrossStores has claimers on two stores of one database (as two
// processes or replicas would have) drain the delivery queue and the poll
// queue at once; none may get a row twice, and together they get all.
func ClaimAcrossStores(t *testing.T, stores [2]Store, sessions int) {
	now := time.Now()
	QueueDeliveries(t, stores[0], now, sessions, "ep-1", "ep-2")
	var (
		mu         sync.Mutex
		deliveries = map[string]int{}
		polls      = map[string]int{}
	)
	race(12, func(i int) {
		st, poll := stores[i%2], i%3 == 0
		for range 2 * sessions { // bounded, should claims never run dry
			var got []string
			if poll {
				list, err := st.ClaimDuePolls(t.Context(), now, time.Minute, 4)
				if err != nil {
					t.Errorf("ClaimDuePolls: %v", err)
					return
				}
				for _, s := range list {
					got = append(got, s.ID)
				}
			} else {
				list, err := st.ClaimDueDeliveries(t.Context(), now, time.Minute, signing.DeliveryClaim{Limit: 7})
				if err != nil {
					t.Errorf("ClaimDueDeliveries: %v", err)
					return
				}
				for _, d := range list {
					got = append(got, d.ID)
				}
			}
			if len(got) == 0 {
				return
			}
			mu.Lock()
			for _, id := range got {
				if poll {
					polls[id]++
				} else {
					deliveries[id]++
				}
			}
			mu.Unlock()
		}
	})
	for what, got := range map[string]map[string]int{"delivery": deliveries, "session": polls} {
		for id, n := range got {
			if n != 1 {
				t.Errorf("%s %s claimed %d times, want once", what, id, n)
			}
		}
	}
	if len(deliveries) != 2*sessions || len(polls) != sessions {
		t.Errorf("%d deliveries and %d polls claimed, want %d and %d", len(deliveries), len(polls), 2*sessions, sessions)
	}
}

// DeliveryIDsAreUUIDv7 checks the message and attempt ids: msg_ and att_
// followed by a lowercase RFC 9562 version 7 UUID of about now.
func DeliveryIDsAreUUIDv7(t *testing.T, st Store) {
	ctx := t.Context()
	now := time.Now()
	tn := QueueDeliveries(t, st, now, 3, "ep-1", "ep-2", "ep-3")
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, signing.DeliveryClaim{Limit: 100})
	if err != nil || len(list) != 9 {
		t.Fatalf("ClaimDueDeliveries = %d, %v; want 9", len(list), err)
	}
	checkV7 := func(id, prefix string) uuid.UUID {
		t.Helper()
		rest, ok := strings.CutPrefix(id, prefix)
		u, err := uuid.Parse(rest)
		if !ok || err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != rest {
			t.Errorf("id %q: want %s and a lowercase UUIDv7 (%v)", id, prefix, err)
		}
		return u
	}
	var results []signing.AttemptResult
	for _, d := range list {
		u := checkV7(d.ID, "msg_")
		if sec, _ := u.Time().UnixTime(); sec < now.Unix()-1 || sec > now.Unix()+1 {
			t.Errorf("id %s: time %d, want about %d", d.ID, sec, now.Unix())
		}
		results = append(results, signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID,
			AttemptedAt: now, Succeeded: true, ResponseStatus: 200}})
	}
	if err := st.RecordAttempts(ctx, results); err != nil {
		t.Fatal(err)
	}
	for _, ep := range []string{"ep-1", "ep-2", "ep-3"} {
		atts, err := st.Attempts(ctx, tn.ID, ep, 10)
		if err != nil || len(atts) != 3 {
			t.Fatalf("Attempts(%s) = %d, %v; want 3", ep, len(atts), err)
		}
		for _, a := range atts {
			checkV7(a.ID, "att_")
		}
	}
}

// DeleteEndpointDeletesRows shows that deleting an endpoint removes its
// deliveries' and attempts' rows, not only hides them. db looks at the
// database behind st.
func DeleteEndpointDeletesRows(t *testing.T, st Store, db RowQuerier) {
	ctx := t.Context()
	now := time.Now()
	tn := QueueDeliveries(t, st, now, 5, "ep-1", "ep-2")
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, signing.DeliveryClaim{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	var results []signing.AttemptResult
	for _, d := range list {
		results = append(results, signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID, AttemptedAt: now}})
	}
	if err := st.RecordAttempts(ctx, results); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteEndpoint(ctx, tn.ID, "ep-1"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"webhook_deliveries", "webhook_attempts"} {
		var all, ep2 int
		if err := db.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE endpoint_id = 'ep-2') FROM `+table, &all, &ep2); err != nil {
			t.Fatal(err)
		}
		if all != 5 || ep2 != 5 {
			t.Errorf("%s: %d rows, %d of ep-2; want 5 of ep-2 only (ep-1's deleted)", table, all, ep2)
		}
	}
}

// DeliveryQueue measures the store's side of webhook delivery: claiming
// batches of 200 and recording their outcomes, per delivery.
func DeliveryQueue(b *testing.B, st Store) {
	ctx := b.Context()
	now := time.Now()
	QueueDeliveries(b, st, now, (b.N+1)/2, "ep-1", "ep-2")
	b.ResetTimer()
	done := 0
	for done < b.N {
		list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, signing.DeliveryClaim{Limit: 200})
		if err != nil {
			b.Fatal(err)
		}
		if len(list) == 0 {
			break
		}
		results := make([]signing.AttemptResult, len(list))
		for i, d := range list {
			results[i] = signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID, Attempt: 1,
				AttemptedAt: now, Succeeded: true, ResponseStatus: 204, DurationMs: 1}}
		}
		if err := st.RecordAttempts(ctx, results); err != nil {
			b.Fatal(err)
		}
		done += len(list)
	}
	b.ReportMetric(float64(done)/b.Elapsed().Seconds(), "deliveries/s")
}

// Migrator is a store that can apply its migrations again.
type Migrator interface {
	Store
	Migrate(ctx context.Context) error
}

// MigrateIsIdempotent migrates st, which holds a tenant, three more times,
// then reopens its database (which migrates once more): the tenant must
// still be there.
func MigrateIsIdempotent(t *testing.T, st Migrator, reopen func() Store) {
	tn, err := st.CreateTenant(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := st.Migrate(t.Context()); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
	}
	got, err := reopen().TenantByID(t.Context(), tn.ID)
	if err != nil || got.Name != "acme" {
		t.Errorf("TenantByID after re-migrating = %+v, %v", got, err)
	}
}

// OpenConcurrently opens and closes n stores on one fresh database at
// once, as processes or replicas starting together would: each migrates,
// and none may fail.
func OpenConcurrently(t *testing.T, n int, open func() (io.Closer, error)) {
	errs := make([]error, n)
	race(n, func(i int) {
		st, err := open()
		if err == nil {
			err = st.Close()
		}
		errs[i] = err
	})
	for _, err := range errs {
		if err != nil {
			t.Errorf("Open: %v", err)
		}
	}
}

// ErrorsWrapSentinels checks that constraint violations come back as the
// domain's sentinels: a session of an unknown tenant is ErrNotFound, one
// with a bad status, or changed by any of invalid, ErrInvalid.
func ErrorsWrapSentinels(t *testing.T, st Store, invalid map[string]func(*signing.Session)) {
	ctx := t.Context()
	// A session of a tenant that does not exist breaks a foreign key.
	err := st.CreateSession(ctx, NewSession(signing.Tenant{ID: "nobody"}, time.Now()), signing.Document{Content: []byte("%PDF")}, nil)
	if !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("CreateSession(unknown tenant) = %v, want ErrNotFound", err)
	}
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	mods := map[string]func(*signing.Session){"bad status": func(s *signing.Session) { s.Status = "BOGUS" }}
	maps.Copy(mods, invalid)
	for name, mod := range mods {
		s := NewSession(tn, time.Now())
		mod(s)
		err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, nil)
		if !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("CreateSession(%s) = %v, want ErrInvalid", name, err)
		}
	}
}

// SweepTotal is how many sessions the stores' BenchmarkExpirySweep seed:
// 1 M, or SIGNET_SWEEP_TOTAL for a quicker run.
func SweepTotal() int { return envInt("SIGNET_SWEEP_TOTAL", 1_000_000) }

// envInt is the positive integer in the environment variable name, or def.
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}
