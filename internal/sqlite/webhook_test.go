package sqlite_test

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
)

// queueDeliveries stores one endpoint per name and n sessions of one
// tenant, each with a signing.created webhook, due at now.
func queueDeliveries(t *testing.T, st *sqlite.Store, now time.Time, n int, endpoints ...string) signing.Tenant {
	t.Helper()
	ctx := t.Context()
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range endpoints {
		if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: id, TenantID: tn.ID, URL: "https://hooks.example/" + id,
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: now}, 100); err != nil {
			t.Fatal(err)
		}
	}
	for range n {
		s := session(tn, now)
		e := signing.AuditEntry{Type: signing.EventCreated, ToStatus: s.Status, CreatedAt: now,
			Webhook: json.RawMessage(fmt.Sprintf(`{"type":"signing.created","data":{"signingSessionId":%q}}`, s.ID))}
		if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
			t.Fatal(err)
		}
	}
	return tn
}

// TestClaimAcrossProcesses has claimers on two Stores of one file (as two
// processes would be) drain the queue; none may get a delivery twice.
func TestClaimAcrossProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	now := time.Now()
	const sessions = 100
	queueDeliveries(t, stores[0], now, sessions, "ep-1", "ep-2")

	var mu sync.Mutex
	got := map[string]int{}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range sessions {
				list, err := stores[i%2].ClaimDueDeliveries(t.Context(), now, time.Minute, 7)
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
		}()
	}
	wg.Wait()
	for id, n := range got {
		if n != 1 {
			t.Errorf("delivery %s claimed %d times, want once", id, n)
		}
	}
	if len(got) != 2*sessions {
		t.Errorf("%d deliveries claimed, want %d", len(got), 2*sessions)
	}
}

// TestDeliveryIDsAreUUIDv7 checks the message and attempt ids: msg_ and
// att_ followed by a lowercase RFC 9562 version 7 UUID of about now.
func TestDeliveryIDsAreUUIDv7(t *testing.T) {
	ctx := t.Context()
	st := open(t, filepath.Join(t.TempDir(), "signet.db"))
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
	st := open(t, filepath.Join(t.TempDir(), "signet.db"))
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
	for table, want := range map[string]int{"webhook_deliveries": 5, "webhook_attempts": 5} {
		var n int
		if err := st.QueryRow(ctx, `SELECT count(*) FROM `+table+` WHERE endpoint_id = 'ep-2'`, &n); err != nil || n != want {
			t.Errorf("%s of ep-2: %d, %v; want %d", table, n, err, want)
		}
		if err := st.QueryRow(ctx, `SELECT count(*) FROM `+table, &n); err != nil || n != want {
			t.Errorf("%s: %d rows, %v; want %d (ep-1's deleted)", table, n, err, want)
		}
	}
}

// BenchmarkDeliveryQueue measures the store's side of webhook delivery:
// claiming batches of 200 and recording their outcomes, per delivery.
func BenchmarkDeliveryQueue(b *testing.B) {
	ctx := b.Context()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "signet.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		b.Fatal(err)
	}
	for _, id := range []string{"ep-1", "ep-2"} {
		if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: id, TenantID: tn.ID, URL: "https://hooks.example/" + id,
			Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", CreatedAt: now}, 100); err != nil {
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
