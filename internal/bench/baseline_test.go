package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func TestBaselineHandlerServesTheBytes(t *testing.T) {
	body := []byte(`{"signingSessionId":"x","status":"PENDING"}` + "\n")
	srv := httptest.NewServer(BaselineHandler(body))
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/signing/0196a0c4-0000-7000-8000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(got) != string(body) || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("%d %q %v", resp.StatusCode, got, resp.Header)
	}
	resp, _ = http.Get(srv.URL + "/readyz")
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("readyz %d", resp.StatusCode)
	}
}

func TestServeBaselineStopsWithContext(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeBaseline(ctx, addr, []byte("{}")) }()
	api := &API{Base: "http://" + addr, Client: NewClient(1)}
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, err := api.Do(ctx, http.MethodGet, "/signing/x", nil, 200)
		if err == nil {
			if string(b) != "{}" {
				t.Errorf("body %q", b)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := api.Discard(ctx, http.MethodGet, "/nothing", nil, 200); err == nil || !strings.Contains(err.Error(), "HTTP 404") {
		t.Errorf("unexpected status not reported: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("ServeBaseline: %v", err)
	}
}

func testRow(id string) Row {
	return Row{ID: id, TenantID: "bench", OrderID: "o-" + id, SignerDetails: []byte(`{"name":"A"}`), Metadata: []byte(`{"k":"v"}`),
		CreatedAt: time.Now(), Document: []byte("%PDF-1.7 fake")}
}

func TestSQLiteInserterIsDurableWAL(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "baseline.db")
	in, err := OpenSQLiteInserter(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for _, id := range []string{newUUID(), newUUID(), newUUID()} {
		if err := in.Insert(ctx, testRow(id)); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := in.Count(ctx); err != nil || n != 3 {
		t.Errorf("count %d, %v", n, err)
	}
	db := in.(*sqliteInserter).db
	for pragma, want := range map[string]string{"journal_mode": "wal", "synchronous": "1", "busy_timeout": "10000"} {
		var got string
		if err := db.QueryRowContext(ctx, "PRAGMA "+pragma).Scan(&got); err != nil || got != want {
			t.Errorf("PRAGMA %s = %q (%v), want %q", pragma, got, err, want)
		}
	}
	if err := in.Insert(ctx, testRow("dup")); err != nil {
		t.Fatal(err)
	}
	if err := in.Insert(ctx, testRow("dup")); err == nil {
		t.Error("duplicate id inserted")
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file: %v", err)
	}
}

// testPostgres is the admin DSN of a PostgreSQL the tests may create a
// schema in, or it skips the test.
func testPostgres(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("SIGNET_TEST_POSTGRES")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		if os.Getenv("SIGNET_REQUIRE_POSTGRES") == "1" {
			t.Fatalf("PostgreSQL not reachable: %v", err)
		}
		t.Skipf("PostgreSQL not reachable at %s: %v", redact(dsn), err)
	}
	conn.Close(context.Background())
	return dsn
}

func TestPostgresSchemaAndInserter(t *testing.T) {
	admin := testPostgres(t)
	ctx := context.Background()
	name := "bench_test_" + randHex(6)
	schema, err := CreatePostgresSchema(ctx, admin, name)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := schema.Drop(ctx); err != nil {
			t.Errorf("drop: %v", err)
		}
	}()
	if !strings.Contains(schema.DSN, "search_path="+name) {
		t.Errorf("DSN %s does not select the schema", schema.DSN)
	}
	in, err := OpenPostgresInserter(ctx, schema.DSN, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	for range 3 {
		if err := in.Insert(ctx, testRow(newUUID())); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := in.Count(ctx); err != nil || n != 3 {
		t.Errorf("count %d, %v", n, err)
	}
	// The table is in the run's schema, not in public.
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var where string
	if err := conn.QueryRow(ctx, `SELECT table_schema FROM information_schema.tables WHERE table_name = 'bench_raw_sessions' AND table_schema = $1`, name).Scan(&where); err != nil {
		t.Errorf("table not in schema %s: %v", name, err)
	}
}

func TestPostgresNamesAndDSNs(t *testing.T) {
	got, err := WithSearchPath("postgres://u:pw@db:5432/signet?sslmode=disable", "bench_ab12")
	if err != nil || got != "postgres://u:pw@db:5432/signet?search_path=bench_ab12&sslmode=disable" {
		t.Errorf("WithSearchPath = %q, %v", got, err)
	}
	if _, err := WithSearchPath("sqlite:x.db", "s"); err == nil {
		t.Error("a non-postgres DSN was accepted")
	}
	if _, err := CreatePostgresSchema(context.Background(), "postgres://x/y", "Robert'); DROP"); err == nil {
		t.Error("an unsafe schema name was accepted")
	}
	for name, ok := range map[string]bool{"bench_1a": true, "_x": true, "1x": false, "Bench": false, "": false, "a-b": false} {
		if validIdent(name) != ok {
			t.Errorf("validIdent(%q) = %v", name, !ok)
		}
	}
	if r := redact("postgres://u:secret@h/db"); strings.Contains(r, "secret") {
		t.Errorf("redact kept the password: %s", r)
	}
	if !IsPostgres("postgresql://h/db") || IsPostgres("sqlite:x") {
		t.Error("IsPostgres")
	}
}
