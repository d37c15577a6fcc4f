package postgres_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/signing"
)

const testSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// queueDeliveries stores one endpoint per name and n sessions of one
// tenant, each with a signing.created webhook, due at now, and due for a
// poll at now.
func queueDeliveries(t testing.TB, st *postgres.Store, now time.Time, n int, endpoints ...string) signing.Tenant {
	t.Helper()
	ctx := t.Context()
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range endpoints {
		if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: id, TenantID: tn.ID, URL: "https://hooks.example/" + id,
			Secret: testSecret, CreatedAt: now}, 100); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		s := session(tn, now)
		s.NextPollAt = &now
		e := signing.AuditEntry{Type: signing.EventCreated, ToStatus: s.Status, CreatedAt: now,
			Webhook: json.RawMessage(fmt.Sprintf(`{"type":"signing.created","data":{"signingSessionId":%q}}`, s.ID))}
		if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// TestClaimAcrossProcesses has claimers on two Stores (two pools, as two
// replicas would have) of one schema drain the delivery queue and the poll
// queue at once; none may get a row twice, and together they get all.
func TestClaimAcrossProcesses(t *testing.T) {
	dsn := pgtest.DSN(t)
	stores := []*postgres.Store{open(t, dsn), open(t, dsn)}
	now := time.Now()
	const sessions = 150
	queueDeliveries(t, stores[0], now, sessions, "ep-1", "ep-2")

	var (
		mu         sync.Mutex
		deliveries = map[string]int{}
		polls      = map[string]int{}
		wg         sync.WaitGroup
	)
	start := make(chan struct{})
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[i%2]
			<-start
			for range 2 * sessions { // bounded, should claims never run dry
				var got []string
				if i%3 == 0 {
					list, err := st.ClaimDuePolls(t.Context(), now, time.Minute, 4)
					if err != nil {
						t.Errorf("ClaimDuePolls: %v", err)
						return
					}
					for _, s := range list {
						got = append(got, s.ID)
					}
				} else {
					list, err := st.ClaimDueDeliveries(t.Context(), now, time.Minute, 7)
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
					if i%3 == 0 {
						polls[id]++
					} else {
						deliveries[id]++
					}
				}
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
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

// TestDeliveryIDsAreUUIDv7 checks the message and attempt ids: msg_ and
// att_ followed by a lowercase RFC 9562 version 7 UUID of about now.
func TestDeliveryIDsAreUUIDv7(t *testing.T) {
	ctx := t.Context()
	st := open(t, pgtest.DSN(t))
	now := time.Now()
	tn := queueDeliveries(t, st, now, 3, "ep-1", "ep-2", "ep-3")
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, 100)
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

// TestDeleteEndpointDeletesRows shows that the cascade removes the rows,
// not only hides them.
func TestDeleteEndpointDeletesRows(t *testing.T) {
	ctx := t.Context()
	st := open(t, pgtest.DSN(t))
	now := time.Now()
	tn := queueDeliveries(t, st, now, 5, "ep-1", "ep-2")
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, 100)
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
		if err := st.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE endpoint_id = 'ep-2') FROM `+table, &all, &ep2); err != nil {
			t.Fatal(err)
		}
		if all != 5 || ep2 != 5 {
			t.Errorf("%s: %d rows, %d of ep-2; want 5 of ep-2 only (ep-1's deleted)", table, all, ep2)
		}
	}
}

// TestFanOutSkipsEndpointDeletedMeanwhile deletes an endpoint while a
// session write that fans out to it waits: the write must neither fail
// nor queue a delivery for the deleted endpoint.
func TestFanOutSkipsEndpointDeletedMeanwhile(t *testing.T) {
	ctx := t.Context()
	st := open(t, pgtest.DSN(t))
	now := time.Now()
	tn := queueDeliveries(t, st, now, 0, "ep-1", "ep-2")
	// The delete holds ep-1's row until it commits; the fan-out, started
	// meanwhile, waits for it and then skips the deleted endpoint.
	if err := st.Exec(ctx, `CREATE FUNCTION slow_delete() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN PERFORM pg_sleep(0.3); RETURN OLD; END $$;
		CREATE TRIGGER slow_delete AFTER DELETE ON webhook_endpoints FOR EACH ROW EXECUTE FUNCTION slow_delete();`); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.DeleteEndpoint(ctx, tn.ID, "ep-1") }()
	time.Sleep(100 * time.Millisecond)
	s := session(tn, now)
	e := signing.AuditEntry{Type: signing.EventCreated, CreatedAt: now, Webhook: json.RawMessage(`{}`)}
	if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
		t.Errorf("CreateSession while an endpoint is deleted: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, 10)
	if err != nil || len(list) != 1 || list[0].EndpointID != "ep-2" {
		t.Errorf("ClaimDueDeliveries = %+v, %v; want one delivery to ep-2", list, err)
	}
}

// BenchmarkDeliveryQueue measures the store's side of webhook delivery:
// claiming batches of 200 and recording their outcomes, per delivery.
func BenchmarkDeliveryQueue(b *testing.B) {
	ctx := b.Context()
	st := open(b, pgtest.DSN(b))
	now := time.Now()
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{"ep-1", "ep-2"} {
		if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: id, TenantID: tn.ID, URL: "https://hooks.example/" + id,
			Secret: testSecret, CreatedAt: now}, 100); err != nil {
			b.Fatal(err)
		}
	}
	for i := 0; i < b.N; i += 2 {
		s := session(tn, now)
		e := signing.AuditEntry{Type: signing.EventCreated, ToStatus: s.Status, CreatedAt: now,
			Webhook: json.RawMessage(`{"type":"signing.created","data":{}}`)}
		if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	done := 0
	for done < b.N {
		list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, 200)
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
