package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/storetest"
)

// openWithTenant opens a store on a fresh schema with one tenant, "acme".
func openWithTenant(t *testing.T) (*postgres.Store, signing.Tenant) {
	t.Helper()
	st := open(t, pgtest.DSN(t))
	tn, err := st.CreateTenant(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	return st, tn
}

func open(t testing.TB, dsn string) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return st
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, pgtest.DSN(t))
	})
}

func TestWebhookConformance(t *testing.T) {
	storetest.RunWebhooks(t, func(t *testing.T) storetest.Store {
		return open(t, pgtest.DSN(t))
	}, breakOutbox)
}

// breakOutbox makes a trigger fail the insert of a delivery of eventType,
// inside the transaction, after everything the write did before it.
func breakOutbox(t *testing.T, st storetest.Store, eventType string) {
	t.Helper()
	err := st.(*postgres.Store).Exec(t.Context(), `
		CREATE FUNCTION break_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			RAISE EXCEPTION 'outbox broken on purpose';
		END $$;
		CREATE TRIGGER break_outbox BEFORE INSERT ON webhook_deliveries
			FOR EACH ROW WHEN (NEW.event_type = '`+eventType+`') EXECUTE FUNCTION break_outbox();`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	dsn := pgtest.DSN(t)
	st := open(t, dsn)
	storetest.MigrateIsIdempotent(t, st, func() storetest.Store { return open(t, dsn) })
	var n int
	if err := st.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`, &n); err != nil || n != postgres.MigrationCount() {
		t.Errorf("schema_migrations has %d rows, %v; want %d", n, err, postgres.MigrationCount())
	}
}

// TestOpenConcurrentlyMigratesOnce starts several stores (as replicas
// would) on one fresh schema at once: the advisory lock lets exactly one
// of them create the tables, and none fails.
func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	dsn := pgtest.DSN(t)
	storetest.OpenConcurrently(t, 6, func() (io.Closer, error) {
		st, err := postgres.Open(context.Background(), dsn)
		return st, err
	})
	st := open(t, dsn)
	var n, distinct int
	if err := st.QueryRow(t.Context(), `SELECT count(*), count(DISTINCT applied_at) FROM schema_migrations`, &n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != postgres.MigrationCount() || distinct != 1 {
		t.Errorf("schema_migrations: %d rows from %d transactions, want %d from 1", n, distinct, postgres.MigrationCount())
	}
}

// TestSearchPathIsolates shows that the DSN's search_path decides where
// the tables are: two schemas on one database do not share rows.
func TestSearchPathIsolates(t *testing.T) {
	a, b := open(t, pgtest.DSN(t)), open(t, pgtest.DSN(t))
	if _, err := a.CreateTenant(t.Context(), "only-in-a"); err != nil {
		t.Fatal(err)
	}
	if n, err := b.CountTenants(t.Context()); err != nil || n != 0 {
		t.Errorf("CountTenants in another schema = %d, %v; want 0", n, err)
	}
}

func TestPoolSize(t *testing.T) {
	dsn := pgtest.DSN(t)
	if got, want := open(t, dsn).MaxConns(), int32(max(8, 4*runtime.GOMAXPROCS(0))); got != want {
		t.Errorf("default pool size = %d, want %d", got, want)
	}
	sep := "&"
	if !strings.Contains(dsn, "://") {
		sep = " " // a key=value DSN
	}
	if got := open(t, dsn+sep+"pool_max_conns=3").MaxConns(); got != 3 {
		t.Errorf("pool size with pool_max_conns=3 = %d, want 3", got)
	}
}

func TestOpenFails(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for _, dsn := range []string{"mysql://x", "postgres://127.0.0.1:1/none?connect_timeout=1"} {
		if st, err := postgres.Open(ctx, dsn); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded, want an error", dsn)
		}
	}
}

func TestErrorsWrapSentinels(t *testing.T) {
	st := open(t, pgtest.DSN(t))
	storetest.ErrorsWrapSentinels(t, st, map[string]func(*signing.Session){
		"NUL in text":       func(s *signing.Session) { s.OrderID = "a\x00b" },
		"invalid JSON":      func(s *signing.Session) { s.SignerDetails = []byte(`{"a":`) },
		"no signer details": func(s *signing.Session) { s.SignerDetails = nil },
	})
	// A cancelled context stays a context error.
	cctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := st.CountTenants(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("CountTenants(cancelled) = %v, want context.Canceled", err)
	}
}

// TestUpdateSessionsMany expires a few thousand sessions in one call, with
// a stale and a missing one among them.
func TestUpdateSessionsMany(t *testing.T) {
	ctx := t.Context()
	st, tn := openWithTenant(t)
	if err := st.CreateEndpoint(ctx, signing.Endpoint{ID: "ep", TenantID: tn.ID, URL: "https://hooks.example/",
		Secret: storetest.TestSecret, Events: []string{signing.EventExpired}}, 10); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const n = 2500
	if err := st.Exec(ctx, `INSERT INTO sessions (id, tenant_id, order_id, status, signer_details, provider,
			language, created_at, updated_at, expires_at, version)
		SELECT gen_random_uuid()::text, $1, 'o', 'PENDING', '{}', 'local', 'en', $2, $2, $2, 1
		FROM generate_series(1, $3)`, tn.ID, now, n); err != nil {
		t.Fatal(err)
	}
	due, err := st.DueForExpiry(ctx, now, n)
	if err != nil || len(due) != n {
		t.Fatalf("DueForExpiry = %d, %v; want %d", len(due), err, n)
	}
	changes := make([]signing.Change, 0, n+1)
	for _, s := range due {
		c := s.Clone()
		c.Status, c.UpdatedAt = signing.StatusExpired, now
		changes = append(changes, signing.Change{Session: c, ExpectVersion: s.Version, Entries: []signing.AuditEntry{{
			Type: signing.EventExpired, FromStatus: s.Status, ToStatus: c.Status,
			Webhook: []byte(fmt.Sprintf(`{"id":%q}`, s.ID))}}})
	}
	changes[7].ExpectVersion = 99
	missing := storetest.NewSession(tn, now)
	changes = append(changes, signing.Change{Session: missing, ExpectVersion: 1})
	start := time.Now()
	results, err := st.UpdateSessions(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("UpdateSessions(%d) took %v", len(changes), time.Since(start))
	for i, r := range results {
		switch i {
		case 7:
			if !errors.Is(r, signing.ErrStale) {
				t.Errorf("result %d = %v, want ErrStale", i, r)
			}
		case n:
			if !errors.Is(r, signing.ErrNotFound) {
				t.Errorf("result %d = %v, want ErrNotFound", i, r)
			}
		default:
			if r != nil || changes[i].Session.Version != 2 {
				t.Fatalf("result %d = %v, version %d; want nil, 2", i, r, changes[i].Session.Version)
			}
		}
	}
	if changes[7].Session.Version != 1 {
		t.Errorf("the stale change's version = %d, want it untouched (1)", changes[7].Session.Version)
	}
	if left, err := st.DueForExpiry(ctx, now, n); err != nil || len(left) != 1 || left[0].ID != due[7].ID {
		t.Errorf("DueForExpiry after the sweep = %d, %v; want only the stale one", len(left), err)
	}
	if pending, _, err := st.DeliveryBacklog(ctx, now); err != nil || pending != n-1 {
		t.Errorf("DeliveryBacklog = %d, %v; want %d", pending, err, n-1)
	}
}

// TestUpdateSessionsRepeats gives UpdateSessions the same session three
// times: its changes apply in their order (each expecting the version the
// one before made), and the trail keeps its entries in that order.
func TestUpdateSessionsRepeats(t *testing.T) {
	ctx := t.Context()
	st, tn := openWithTenant(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	s := storetest.NewSession(tn, now)
	other := storetest.NewSession(tn, now)
	for _, sess := range []*signing.Session{s, other} {
		if err := st.CreateSession(ctx, sess, signing.Document{Content: []byte("%PDF")}, nil); err != nil {
			t.Fatal(err)
		}
	}
	var changes []signing.Change
	for i, reason := range []string{"one", "two", "three"} {
		c := s.Clone()
		c.FailureReason = reason
		changes = append(changes, signing.Change{Session: c, ExpectVersion: int64(i + 1),
			Entries: []signing.AuditEntry{{Type: "note", Detail: reason, CreatedAt: now}}})
	}
	changes = append(changes, signing.Change{Session: other.Clone(), ExpectVersion: 1})
	results, err := st.UpdateSessions(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r != nil {
			t.Errorf("result %d = %v, want nil", i, r)
		}
	}
	got, err := st.Session(ctx, tn.ID, s.ID)
	if err != nil || got.Version != 4 || got.FailureReason != "three" {
		t.Fatalf("Session = %+v, %v; want version 4, the last change's reason", got, err)
	}
	trail, err := st.AuditTrail(ctx, tn.ID, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, e := range trail {
		details = append(details, e.Detail)
	}
	if !slices.Equal(details, []string{"one", "two", "three"}) {
		t.Errorf("trail details = %q, want one, two, three", details)
	}
}

// openWithEndpoint is openWithTenant with one webhook endpoint, "ep".
func openWithEndpoint(t *testing.T) (*postgres.Store, signing.Tenant) {
	t.Helper()
	st, tn := openWithTenant(t)
	if err := st.CreateEndpoint(t.Context(), signing.Endpoint{ID: "ep", TenantID: tn.ID, URL: "https://hooks.example/",
		Secret: storetest.TestSecret}, 10); err != nil {
		t.Fatal(err)
	}
	return st, tn
}

func TestExplainDueQueries(t *testing.T) {
	ctx := t.Context()
	st, tn := openWithEndpoint(t)
	// Many finished sessions and deliveries, a few due ones: what a
	// database that has run for a while looks like.
	now := time.Now()
	for _, q := range []string{
		`INSERT INTO sessions (id, tenant_id, order_id, status, signer_details, provider, language,
			created_at, updated_at, expires_at, next_poll_at, version)
		SELECT gen_random_uuid()::text, $1, 'o', CASE WHEN i % 500 = 0 THEN 'PENDING' ELSE 'COMPLETED' END,
			'{}', 'local', 'en', $2, $2, $2::timestamptz - make_interval(secs => i),
			$2::timestamptz - make_interval(secs => i), 1
		FROM generate_series(1, 20000) i`,
		`INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, session_id, event_id, event_type, payload,
			state, attempts, next_attempt_at, created_at)
		SELECT 'msg_' || i, $1, 'ep', 's' || i, i, 'signing.created', '\x7b7d',
			CASE WHEN i % 500 = 0 THEN 'pending' ELSE 'succeeded' END, 1,
			CASE WHEN i % 500 = 0 THEN $2::timestamptz - make_interval(secs => i) END, $2
		FROM generate_series(1, 20000) i`,
	} {
		if err := st.Exec(ctx, q, tn.ID, now); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	plans, err := st.ExplainDueQueries(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, plan := range plans {
		t.Logf("%s:\n%s", name, plan)
	}
	for name, index := range map[string]string{
		"expiry":           "sessions_due_expiry",
		"poll_claim":       "sessions_due_poll",
		"delivery_claim":   "webhook_deliveries_endpoint_due",
		"due_backlog":      "sessions_due_poll",
		"delivery_backlog": "webhook_deliveries_due",
	} {
		plan, ok := plans[name]
		if !ok {
			t.Errorf("no plan for %s", name)
			continue
		}
		if !containsAll(plan, index) || containsAll(plan, "Seq Scan on sessions") || containsAll(plan, "Seq Scan on webhook_deliveries") {
			t.Errorf("plan of %s =\n%s\nwant a scan of %s and no sequential scan", name, plan, index)
		}
	}
	if p := plans["delivery_claim"]; !containsAll(p, "webhook_deliveries_pending_order") {
		t.Errorf("plan of delivery_claim =\n%s\nwant the ordering check on webhook_deliveries_pending_order", p)
	}
	if p := plans["due_backlog"]; !containsAll(p, "sessions_due_expiry") {
		t.Errorf("plan of due_backlog =\n%s\nwant sessions_due_expiry too", p)
	}
}

// TestClaimOrderCheckWithStaleStatistics: a queue that filled up since
// the last ANALYZE (a burst of creates, autovacuum behind) must still
// have its per-session ordering check made with one probe per candidate
// on the index of never-attempted pending deliveries. With only the
// endpoint's due index to choose besides the full ordering index, the
// planner took the former, and each probe filtered every pending row of
// the endpoint: claims of 0.2–1.5 s under 500 events/s, and a webhook
// lag p99 of a second (BENCHMARKS.md).
func TestClaimOrderCheckWithStaleStatistics(t *testing.T) {
	ctx := t.Context()
	st, tn := openWithEndpoint(t)
	now := time.Now()
	insert := `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, session_id, event_id, event_type, payload,
			state, attempts, next_attempt_at, created_at)
		SELECT 'msg_' || $3 || i, $1, 'ep', 's' || $3 || i, i, 'signing.created', '\x7b7d',
			$4, $5, CASE WHEN $4 = 'pending' THEN $2::timestamptz - make_interval(secs => i) END, $2
		FROM generate_series(1, $6::int) i`
	if err := st.Exec(ctx, insert, tn.ID, now, "old", "succeeded", 1, 20000); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	if err := st.Exec(ctx, insert, tn.ID, now, "burst", "pending", 0, 5000); err != nil {
		t.Fatal(err)
	}
	plans, err := st.ExplainDueQueries(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	plan := plans["delivery_claim"]
	sub := plan[strings.Index(plan, "SubPlan"):]
	if !containsAll(sub, "webhook_deliveries_pending_order", "session_id = d_1.session_id") {
		t.Errorf("plan of delivery_claim =\n%s\nwant the ordering check probing webhook_deliveries_pending_order by session", plan)
	}
}

// TestDueWorkIsPlannedAfresh: the due-work queries are never kept as
// prepared statements, whose generic plan, made while a queue was empty,
// PostgreSQL would keep after it filled (planAfresh). Run more often
// than the five custom plans after which a generic one is cached, on one
// connection, none of them is among its prepared statements.
func TestDueWorkIsPlannedAfresh(t *testing.T) {
	ctx := t.Context()
	dsn := pgtest.DSN(t)
	st := open(t, dsn+"&pool_max_conns=1")
	now := time.Now()
	for range 8 {
		if _, err := st.ClaimDueDeliveries(ctx, now, time.Minute, signing.DeliveryClaim{Limit: 10, PerEndpoint: 5}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.ClaimDuePolls(ctx, now, time.Minute, 10); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DueForExpiry(ctx, now, 10); err != nil {
			t.Fatal(err)
		}
		if _, err := st.DueBacklog(ctx, now); err != nil {
			t.Fatal(err)
		}
		if _, _, err := st.DeliveryBacklog(ctx, now); err != nil {
			t.Fatal(err)
		}
	}
	var cached int
	if err := st.QueryRow(ctx, `SELECT count(*) FROM pg_prepared_statements
		WHERE statement NOT LIKE '%pg_prepared_statements%' AND (statement LIKE '%webhook_deliveries%'
			OR statement LIKE '%next_poll_at <=%' OR statement LIKE '%expires_at <=%')`, &cached); err != nil {
		t.Fatal(err)
	}
	if cached != 0 {
		var list string
		_ = st.QueryRow(ctx, `SELECT string_agg(left(statement, 120), E'\n') FROM pg_prepared_statements`, &list)
		t.Errorf("%d due-work queries are cached as prepared statements, whose generic plans outlive the statistics they were made for:\n%s", cached, list)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestMigratesPreviousRelease: a database made by the release before
// signers (migrations 0001–0003) opens with every session a one-signer
// session.
func TestMigratesPreviousRelease(t *testing.T) {
	dsn := pgtest.DSN(t)
	const tenant = "tenant-old"
	err := postgres.PreviousRelease(t.Context(), dsn, 3, func(conn *pgx.Conn) error {
		ctx := t.Context()
		if _, err := conn.Exec(ctx, `INSERT INTO tenants (id, name, created_at) VALUES ($1, 'old', now())`, tenant); err != nil {
			return err
		}
		for _, s := range storetest.PreviousReleaseSessions {
			if _, err := conn.Exec(ctx, `INSERT INTO sessions (id, tenant_id, order_id, status, signer_details, provider, language,
				redirect_url, failure_reason, created_at, updated_at, completed_at, expires_at, version)
				VALUES ($1, $2, 'o', $3, $4, 'signzy', 'en', $5, $6, now(), now(), $7, now() + interval '1 day', 1)`,
				s.ID, tenant, s.Status, s.SignerDetails, s.RedirectURL, s.FailureReason, s.CompletedAt); err != nil {
				return err
			}
		}
		// A document as releases before blobs stored it: in its row.
		_, err := conn.Exec(ctx, `INSERT INTO documents (session_id, kind, filename, content, sha256, created_at)
			VALUES ($1, 'original', 'legacy.pdf', $2, $3, now())`, storetest.PreviousReleaseSessions[0].ID, storetest.LegacyDocument, storetest.LegacyDocumentSHA256)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, dsn)
	storetest.CheckMigratedFromPreviousRelease(t, st, tenant)
	storetest.CheckLegacyDocument(t, st, tenant, storetest.PreviousReleaseSessions[0].ID)
	storetest.CheckLegacyDocumentMoves(t, st, tenant, storetest.PreviousReleaseSessions[0].ID)
}

func TestDocuments(t *testing.T) {
	storetest.RunDocuments(t, func(t *testing.T, docs blob.Store) storetest.DocStore {
		var opts []postgres.Option
		if docs != nil {
			opts = append(opts, postgres.WithDocuments(docs))
		}
		st, err := postgres.Open(t.Context(), pgtest.DSN(t), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
