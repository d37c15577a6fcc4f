package sqlite_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/storetest"
)

func TestConsoleConformance(t *testing.T) {
	storetest.RunConsole(t, func(t *testing.T) storetest.ConsoleStore {
		return open(t, filepath.Join(t.TempDir(), "signet.db"))
	})
}

// TestKeysFromBeforeTheConsole: keys made before migration 0010 get an id
// (no prefix: their text was never kept) and keep working.
func TestKeysFromBeforeTheConsole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob("migrations/*.sql")
	sort.Strings(files)
	for _, f := range files {
		if filepath.Base(f) >= "0010" {
			break
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Exec(string(b)); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if _, err := db.Exec(`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if base := filepath.Base(f); base < "0010" {
			v, _ := strconv.Atoi(base[:4])
			db.Exec(`INSERT INTO schema_migrations VALUES (?, ?, 0)`, v, base)
		}
	}
	for _, q := range []string{`INSERT INTO tenants VALUES ('t1', 'acme', 1)`,
		`INSERT INTO api_keys (key_hash, tenant_id, created_at) VALUES ('old-hash-1', 't1', 2), ('old-hash-2', 't1', 3)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()

	st := open(t, path)
	keys, err := st.APIKeys(t.Context(), "")
	if err != nil || len(keys) != 2 || keys[0].ID == keys[1].ID {
		t.Fatalf("APIKeys after the migration = %+v, %v", keys, err)
	}
	for _, k := range keys {
		if !auth.ValidKeyID(k.ID) || k.Prefix != "" || k.Display() != "sk_…" || k.Tenant.Name != "acme" {
			t.Errorf("an old key after the migration: %+v", k)
		}
	}
	if _, err := st.APIKeyByHash(t.Context(), "old-hash-1"); err != nil {
		t.Errorf("an old key no longer works: %v", err)
	}
}

// TestWatchRevocations: a revocation committed through another Store on
// the same file (as `signet apikey revoke` is another process) reaches
// the watcher; stopping it says the cache may no longer be trusted.
func TestWatchRevocations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "signet.db")
	a, b := open(t, path), open(t, path)
	tn, err := a.CreateTenant(t.Context(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	k := auth.APIKey{ID: auth.NewKeyID(), Tenant: tn, Prefix: "sk_test", CreatedAt: time.Now()}
	if err := a.InsertAPIKey(t.Context(), k, "hash"); err != nil {
		t.Fatal(err)
	}
	revoked, ready := make(chan struct{}, 10), make(chan bool, 10)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.WatchRevocations(ctx, func() { revoked <- struct{}{} }, func(up bool, _ error) { ready <- up })
	}()
	if up := <-ready; !up {
		t.Fatal("the watcher did not start")
	}
	if _, err := a.RevokeAPIKey(t.Context(), k.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-revoked:
	case <-time.After(30 * time.Second): // a deadline, not a timing claim
		t.Fatal("the revocation never reached the watcher")
	}
	cancel()
	<-done
	if up := <-ready; up {
		t.Error("stopping did not report the watcher down")
	}
	select {
	case <-revoked:
		t.Error("a second revocation was reported for one")
	default:
	}
}
