package postgres_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return open(t, pgtest.DSN(t))
	})
}

// watcher records what WatchRevocations reports.
type watcher struct {
	revoked chan struct{}
	ready   chan bool
}

func watch(t *testing.T, ctx context.Context, st interface {
	WatchRevocations(context.Context, func(), func(bool, error))
}) (*watcher, chan struct{}) {
	w := &watcher{revoked: make(chan struct{}, 10), ready: make(chan bool, 10)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		st.WatchRevocations(ctx, func() { w.revoked <- struct{}{} }, func(up bool, _ error) { w.ready <- up })
	}()
	return w, done
}

// next waits for the next value of ch (a deadline, not a timing claim:
// it fails only if nothing ever arrives).
func next[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(30 * time.Second):
		t.Fatalf("no %s", what)
		panic("unreachable")
	}
}

// TestWatchRevocations: a revocation committed by one process reaches
// another's watcher; a revocation in another schema does not; a lost
// connection is reported and the watcher comes back by itself.
func TestWatchRevocations(t *testing.T) {
	dsn := pgtest.DSN(t)
	a, b := open(t, dsn), open(t, dsn)
	other := open(t, pgtest.DSN(t))
	ctx, cancel := context.WithCancel(t.Context())
	w, done := watch(t, ctx, b)
	defer func() {
		cancel()
		<-done
		// Stopping says the cache may no longer be trusted.
		for {
			select {
			case up := <-w.ready:
				if !up {
					return
				}
			default:
				t.Error("the watcher stopped without ready(false)")
				return
			}
		}
	}()
	if up := next(t, w.ready, "ready"); !up {
		t.Fatal("the first report is ready(false)")
	}

	key := func(st storetest.ConsoleStore) auth.APIKey {
		_, k, err := auth.CreateAPIKey(t.Context(), st, "acme", time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	k := key(a)
	// Another schema's revocation is not this database's business.
	if _, err := other.RevokeAPIKey(t.Context(), key(other).ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.RevokeAPIKey(t.Context(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	next(t, w.revoked, "notice of the revocation")
	select {
	case <-w.revoked:
		t.Error("two notices for one revocation (or one from another schema)")
	default:
	}
	// Revoking it again changes nothing and says nothing.
	if _, err := a.RevokeAPIKey(t.Context(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}

	// The listener's connection dies: ready(false), then back by itself.
	var killed int
	err := a.QueryRow(t.Context(), fmt.Sprintf(`SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE 'LISTEN %%' AND pid <> pg_backend_pid() AND query LIKE '%%%s%%'`, channelOf(t, a)), &killed)
	if err != nil || killed != 1 {
		t.Fatalf("terminating the listener: %d, %v", killed, err)
	}
	if up := next(t, w.ready, "ready(false) after the connection died"); up {
		t.Fatal("ready(true) while the connection was down")
	}
	if up := next(t, w.ready, "ready(true) after reconnecting"); !up {
		t.Fatal("not ready again")
	}
	if _, err := a.RevokeAPIKey(t.Context(), key(a).ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	next(t, w.revoked, "notice after reconnecting")
}

// channelOf is the revocation channel of st's schema.
func channelOf(t *testing.T, st interface {
	QueryRow(context.Context, string, ...any) error
}) string {
	t.Helper()
	var ch string
	if err := st.QueryRow(t.Context(), `SELECT 'signet_revoked_' || left(md5(coalesce(current_schema(), '')), 16)`, &ch); err != nil {
		t.Fatal(err)
	}
	return ch
}

// TestKeysFromBeforeTheConsole: keys made before migration 0010 get an id
// (no prefix: their text was never kept) and keep working.
func TestKeysFromBeforeTheConsole(t *testing.T) {
	dsn := pgtest.DSN(t)
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	sort.Strings(files)
	stmts := []string{`CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`}
	for _, f := range files {
		base := filepath.Base(f)
		if base >= "0010" {
			break
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v, _ := strconv.Atoi(base[:4])
		stmts = append(stmts, string(b), fmt.Sprintf(`INSERT INTO schema_migrations (version, name) VALUES (%d, '%s')`, v, base))
	}
	stmts = append(stmts, `INSERT INTO tenants VALUES ('t1', 'acme', now())`,
		`INSERT INTO api_keys (key_hash, tenant_id, created_at) VALUES ('old-hash-1', 't1', now()), ('old-hash-2', 't1', now())`)
	for _, q := range stmts {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%.60s: %v", q, err)
		}
	}
	conn.Close(t.Context())

	st := open(t, dsn)
	keys, err := st.APIKeys(t.Context(), "")
	if err != nil || len(keys) != 2 || keys[0].ID == keys[1].ID {
		t.Fatalf("APIKeys after the migration = %+v, %v", keys, err)
	}
	for _, k := range keys {
		if !auth.ValidKeyID(k.ID) || k.Prefix != "" || k.Tenant.Name != "acme" {
			t.Errorf("an old key after the migration: %+v", k)
		}
	}
	if _, err := st.APIKeyByHash(t.Context(), "old-hash-1"); err != nil {
		t.Errorf("an old key no longer works: %v", err)
	}
}
