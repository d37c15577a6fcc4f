package sqlite_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/storetest"
)

func open(t testing.TB, path string, opts ...sqlite.Option) *sqlite.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), path, opts...)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
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
		return open(t, filepath.Join(t.TempDir(), "signet.db"))
	})
}

// TestConformanceWithSessionCache runs the suite on a store that caches
// the sessions it reads (as signet serve opens it): every read after a
// write must see the write.
func TestConformanceWithSessionCache(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "signet.db"), sqlite.WithSessionCache())
	})
}

func TestWebhookConformance(t *testing.T) {
	storetest.RunWebhooks(t, func(t *testing.T) storetest.Store {
		return open(t, filepath.Join(t.TempDir(), "signet.db"))
	}, func(t *testing.T, st storetest.Store, eventType string) {
		// A trigger fails the insert, inside the transaction, after
		// everything the write did before it.
		err := st.(*sqlite.Store).Exec(t.Context(), `CREATE TRIGGER break_outbox
			BEFORE INSERT ON webhook_deliveries WHEN NEW.event_type = '`+eventType+`'
			BEGIN SELECT RAISE(ABORT, 'outbox broken on purpose'); END`)
		if err != nil {
			t.Fatal(err)
		}
	})
}

func TestMigrateIsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	// Opening an existing file migrates too, and must change nothing.
	storetest.MigrateIsIdempotent(t, open(t, path), func() storetest.Store { return open(t, path) })
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("database file mode = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	storetest.OpenConcurrently(t, 5, func() (io.Closer, error) {
		st, err := sqlite.Open(context.Background(), path)
		return st, err
	})
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signet.db")
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	s := storetest.NewSession(tn, time.Now())
	if err := st.CreateSession(ctx, s, signing.Document{Filename: "c.pdf", Content: []byte("%PDF")}, nil); err != nil {
		t.Fatal(err)
	}
	secret, err := st.Secret(ctx, "jwt", func() []byte { return []byte("s3cret") })
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	st = open(t, path)
	got, err := st.Session(ctx, tn.ID, s.ID)
	if err != nil || got.OrderID != s.OrderID || got.Version != s.Version {
		t.Errorf("Session after reopening = %+v, %v", got, err)
	}
	if v, err := st.Secret(ctx, "jwt", func() []byte { return []byte("other") }); err != nil || string(v) != string(secret) {
		t.Errorf("Secret after reopening = %q, %v; want %q", v, err, secret)
	}
}

// TestConcurrentWriters has 50 goroutines, on two Stores of one file (as two
// processes would be), write at once; none may fail with SQLITE_BUSY.
func TestConcurrentWriters(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signet.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	tn, err := stores[0].CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	const writers, rounds = 50, 10
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make(chan error, writers*rounds*3)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := stores[i%2]
			<-start
			for r := range rounds {
				s := storetest.NewSession(tn, time.Now())
				if err := st.CreateSession(ctx, s, signing.Document{Filename: "c.pdf", Content: []byte("%PDF")}, nil); err != nil {
					errs <- fmt.Errorf("create: %w", err)
					continue
				}
				c := s.Clone()
				c.Status = signing.StatusInProgress
				err := st.UpdateSession(ctx, signing.Change{Session: c, ExpectVersion: s.Version,
					Entries: []signing.AuditEntry{{Type: signing.EventInProgress}}})
				if err != nil {
					errs <- fmt.Errorf("update: %w", err)
				}
				if _, err := st.CreateTenant(ctx, fmt.Sprintf("t-%d-%d", i, r%3)); err != nil {
					errs <- fmt.Errorf("tenant: %w", err)
				}
				if _, _, err := st.ListSessions(ctx, tn.ID, signing.ListFilter{Limit: 5}); err != nil {
					errs <- fmt.Errorf("list: %w", err)
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	list, _, err := stores[1].ListSessions(ctx, tn.ID, signing.ListFilter{Limit: 1000})
	if err != nil || len(list) != writers*rounds {
		t.Errorf("ListSessions = %d sessions, %v; want %d", len(list), err, writers*rounds)
	}
}

func TestPragmasOnEveryConnection(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "signet.db"))
	got, err := st.ConnPragmas(t.Context(), 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range got {
		want := "journal_mode=wal foreign_keys=1 busy_timeout=10000 synchronous=1 query_only=1"
		if i == 0 { // the writer
			want = strings.Replace(want, "query_only=1", "query_only=0", 1)
		}
		if line != want {
			t.Errorf("connection %d: %s\nwant          %s", i, line, want)
		}
	}
}

// TestWriteTxIsImmediate shows that a write transaction holds the write
// lock from BEGIN, so that it can never fail half-way on an upgrade.
func TestWriteTxIsImmediate(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signet.db")
	a := open(t, path)
	b, err := sqlite.Open(ctx, path, sqlite.WithBusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = a.InWriteTx(ctx, func() error {
		_, err := b.CreateTenant(ctx, "blocked")
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "SQLITE_BUSY") {
		t.Errorf("a write while another connection is in BEGIN = %v, want SQLITE_BUSY", err)
	}
	if _, err := b.CreateTenant(ctx, "after"); err != nil {
		t.Errorf("a write after the transaction ended: %v", err)
	}
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, p := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
		if st, err := sqlite.Open(t.Context(), p); err == nil {
			st.Close()
			t.Errorf("Open(%q) succeeded, want an error", p)
		}
	}
}

// TestQueryPlans checks that the hot queries use their indexes.
func TestQueryPlans(t *testing.T) {
	st := open(t, filepath.Join(t.TempDir(), "signet.db"))
	// The delivery claim walks the endpoints (a small table) and takes
	// each one's oldest due deliveries from its own index; only the
	// candidates so found (at most endpoints × PerEndpoint) are sorted.
	const claimDriver = "SCAN e"
	for _, tt := range []struct {
		query, index string
		driver       string // the one full pass the query may make
		sorts        bool
	}{
		{query: sqlite.QueryDueForExpiry, index: "sessions_due_expiry"},
		{query: sqlite.QueryDuePolls, index: "sessions_due_poll"},
		{query: sqlite.QueryList, index: "sessions_list"},
		{query: sqlite.QueryListByOrder, index: "sessions_list_order"},
		{query: sqlite.QueryByProviderRef, index: "sessions_provider_ref"},
		{query: sqlite.QueryFanOut, index: "webhook_endpoints_tenant"},
		{query: sqlite.QueryClaimCandidates, index: "webhook_deliveries_endpoint_due", driver: claimDriver, sorts: true},
		{query: sqlite.QueryClaimCandidates, index: "webhook_deliveries_order", driver: claimDriver, sorts: true}, // the per-session ordering check
		{query: sqlite.QueryAttempts, index: "webhook_attempts_list"},
		{query: sqlite.QueryBacklog, index: "webhook_deliveries_due"},
	} {
		plan, err := st.ExplainQueryPlan(t.Context(), tt.query)
		if err != nil {
			t.Fatalf("explain %q: %v", tt.query, err)
		}
		if !strings.Contains(plan, "INDEX "+tt.index) || (!tt.sorts && strings.Contains(plan, "TEMP B-TREE")) {
			t.Errorf("plan of %q =\n%s\nwant INDEX %s and no sorting", tt.query, plan, tt.index)
		}
		// A SCAN is a full pass; only the backlog's count may make one, over
		// the partial index of pending deliveries, and the claim, over the
		// endpoints.
		for _, line := range strings.Split(plan, "\n") {
			if strings.HasPrefix(line, "SCAN ") && !strings.HasPrefix(line, "SCAN json_each") &&
				!strings.HasPrefix(line, "SCAN CONSTANT ROW") && (tt.driver == "" || line != tt.driver) &&
				line != "SCAN webhook_deliveries USING COVERING INDEX webhook_deliveries_due" {
				t.Errorf("plan of %q =\n%s\nwant no full scan", tt.query, plan)
			}
		}
	}
}

func TestErrorsWrapSentinels(t *testing.T) {
	storetest.ErrorsWrapSentinels(t, open(t, filepath.Join(t.TempDir(), "signet.db")), nil)
}

// TestMigratesPreviousRelease: a database made by the release before
// signers (migrations 0001–0003) opens with every session a one-signer
// session.
func TestMigratesPreviousRelease(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	const tenant = "tenant-old"
	err := sqlite.PreviousRelease(t.Context(), path, 3, func(db *sql.DB) error {
		if _, err := db.Exec(`INSERT INTO tenants (id, name, created_at) VALUES (?, 'old', 0)`, tenant); err != nil {
			return err
		}
		for _, s := range storetest.PreviousReleaseSessions {
			var completed any
			if s.CompletedAt != nil {
				completed = s.CompletedAt.UnixMicro()
			}
			if _, err := db.Exec(`INSERT INTO sessions (id, tenant_id, order_id, status, signer_details, provider, language,
				redirect_url, failure_reason, created_at, updated_at, completed_at, expires_at, version)
				VALUES (?, ?, 'o', ?, ?, 'signzy', 'en', ?, ?, 1, 1, ?, 2, 1)`,
				s.ID, tenant, s.Status, s.SignerDetails, s.RedirectURL, s.FailureReason, completed); err != nil {
				return err
			}
		}
		// A document as releases before blobs stored it: in its row.
		_, err := db.Exec(`INSERT INTO documents (session_id, kind, filename, content, sha256, created_at)
			VALUES (?, 'original', 'legacy.pdf', ?, ?, 1)`, storetest.PreviousReleaseSessions[0].ID, storetest.LegacyDocument, storetest.LegacyDocumentSHA256)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, path)
	storetest.CheckMigratedFromPreviousRelease(t, st, tenant)
	storetest.CheckLegacyDocument(t, st, tenant, storetest.PreviousReleaseSessions[0].ID)
	storetest.CheckLegacyDocumentMoves(t, st, tenant, storetest.PreviousReleaseSessions[0].ID)
}

func TestDocuments(t *testing.T) {
	storetest.RunDocuments(t, func(t *testing.T, docs blob.Store) storetest.DocStore {
		var opts []sqlite.Option
		if docs != nil {
			opts = append(opts, sqlite.WithDocuments(docs))
		}
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "signet.db"), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	})
}
