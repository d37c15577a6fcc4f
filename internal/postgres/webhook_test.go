package postgres_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/storetest"
)

// TestClaimAcrossProcesses has claimers on two Stores (two pools, as two
// replicas would have) of one schema drain the queues at once.
func TestClaimAcrossProcesses(t *testing.T) {
	dsn := pgtest.DSN(t)
	storetest.ClaimAcrossStores(t, [2]storetest.Store{open(t, dsn), open(t, dsn)}, 150)
}

func TestDeliveryIDsAreUUIDv7(t *testing.T) {
	storetest.DeliveryIDsAreUUIDv7(t, open(t, pgtest.DSN(t)))
}

func TestDeleteEndpointDeletesRows(t *testing.T) {
	st := open(t, pgtest.DSN(t))
	storetest.DeleteEndpointDeletesRows(t, st, st)
}

// TestFanOutSkipsEndpointDeletedMeanwhile deletes an endpoint while a
// session write that fans out to it waits: the write must neither fail
// nor queue a delivery for the deleted endpoint.
func TestFanOutSkipsEndpointDeletedMeanwhile(t *testing.T) {
	ctx := t.Context()
	st := open(t, pgtest.DSN(t))
	now := time.Now()
	tn := storetest.QueueDeliveries(t, st, now, 0, "ep-1", "ep-2")
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
	s := storetest.NewSession(tn, now)
	e := signing.AuditEntry{Type: signing.EventCreated, CreatedAt: now, Webhook: json.RawMessage(`{}`)}
	if err := st.CreateSession(ctx, s, signing.Document{Content: []byte("%PDF")}, []signing.AuditEntry{e}); err != nil {
		t.Errorf("CreateSession while an endpoint is deleted: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	list, err := st.ClaimDueDeliveries(ctx, now, time.Minute, signing.DeliveryClaim{Limit: 10})
	if err != nil || len(list) != 1 || list[0].EndpointID != "ep-2" {
		t.Errorf("ClaimDueDeliveries = %+v, %v; want one delivery to ep-2", list, err)
	}
}

func BenchmarkDeliveryQueue(b *testing.B) {
	storetest.DeliveryQueue(b, open(b, pgtest.DSN(b)))
}
