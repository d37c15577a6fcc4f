package sqlite_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/storetest"
)

// seed inserts the sweep's fixture in one statement (see storetest.Seed).
func seed(st *sqlite.Store) storetest.Seed {
	return func(tb testing.TB, tenantID string, total, due int, now time.Time) {
		past, later, old := now.Add(-time.Minute).UnixMicro(), now.Add(24*time.Hour).UnixMicro(), now.Add(-30*24*time.Hour).UnixMicro()
		err := st.Exec(tb.Context(), `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < ?)
			INSERT INTO sessions (id, tenant_id, order_id, status, signer_details, provider, language,
				created_at, updated_at, completed_at, expires_at, next_poll_at, version)
			SELECT printf('00000000-0000-4000-8000-%012d', i), ?, 'order-' || i,
				CASE WHEN i < ? THEN 'PENDING' WHEN i % 20 = 0 THEN 'IN_PROGRESS' ELSE 'COMPLETED' END,
				'{"name":"Ada"}', 'idle', 'en', ?, ?,
				CASE WHEN i < ? OR i % 20 = 0 THEN NULL ELSE ? END,
				CASE WHEN i < ? THEN ? ELSE ? END,
				NULL, 1
			FROM n`,
			total, tenantID, due, old, old, due, old, due, past, later)
		if err != nil {
			tb.Fatal(err)
		}
		for name, q := range map[string]string{"expiry": sqlite.QueryDueForExpiry, "poll": sqlite.QueryDuePolls, "delivery_claim": sqlite.QueryClaimCandidates} {
			plan, err := st.ExplainQueryPlan(tb.Context(), q)
			if err != nil {
				tb.Fatal(err)
			}
			tb.Logf("plan of %s with %d sessions:\n%s", name, total, plan)
		}
	}
}

// BenchmarkExpirySweep: 1 M stored sessions (SIGNET_SWEEP_TOTAL), 10 k of
// them due; find and expire them all as the worker does. Run with
// -benchtime=1x.
func BenchmarkExpirySweep(b *testing.B) {
	st := open(b, filepath.Join(b.TempDir(), "sweep.db"))
	storetest.ExpirySweep(b, st, seed(st), storetest.SweepTotal(), 10_000, 1000)
}
