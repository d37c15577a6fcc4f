package postgres_test

import (
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/storetest"
)

// seed inserts the sweep's fixture in one statement (see storetest.Seed)
// and then settles the database as it would be in steady state: a
// checkpoint, so that the sweep does not pay for the load's own, and a
// vacuum of the tables the sweep writes, so that their visibility maps
// and statistics are current (as autovacuum would have them by then).
func seed(st *postgres.Store) storetest.Seed {
	return func(tb testing.TB, tenantID string, total, due int, now time.Time) {
		past, later, old := now.Add(-time.Minute), now.Add(24*time.Hour), now.Add(-30*24*time.Hour)
		err := st.Exec(tb.Context(), `INSERT INTO sessions (id, tenant_id, order_id, status, signer_details,
				provider, language, created_at, updated_at, completed_at, expires_at, next_poll_at, version)
			SELECT format('00000000-0000-4000-8000-%s', lpad(i::text, 12, '0')), $1, 'order-' || i,
				CASE WHEN i < $3 THEN 'PENDING' WHEN i % 20 = 0 THEN 'IN_PROGRESS' ELSE 'COMPLETED' END,
				'{"name":"Ada"}', 'idle', 'en', $4, $4,
				CASE WHEN i < $3 OR i % 20 = 0 THEN NULL ELSE $4::timestamptz END,
				CASE WHEN i < $3 THEN $5::timestamptz ELSE $6::timestamptz END,
				NULL, 1
			FROM generate_series(0, $2 - 1) i`,
			tenantID, total, due, old, past, later)
		for _, q := range []string{`VACUUM (ANALYZE) sessions, audit_entries, webhook_deliveries`, `CHECKPOINT`} {
			if err == nil {
				err = st.Exec(tb.Context(), q)
			}
		}
		if err != nil {
			tb.Fatal(err)
		}
		plans, err := st.ExplainDueQueries(tb.Context(), now)
		if err != nil {
			tb.Fatal(err)
		}
		for _, q := range []string{"expiry", "poll_claim", "delivery_claim", "update_many", "add_entries"} {
			tb.Logf("plan of %s with %d sessions:\n%s", q, total, plans[q])
		}
	}
}

// BenchmarkExpirySweep: 1 M stored sessions (SIGNET_SWEEP_TOTAL), 10 k of
// them due; find and expire them all as the worker does. Run with
// -benchtime=1x.
func BenchmarkExpirySweep(b *testing.B) {
	st := open(b, pgtest.DSN(b))
	storetest.ExpirySweep(b, st, seed(st), storetest.SweepTotal(), 10_000, 1000)
}
