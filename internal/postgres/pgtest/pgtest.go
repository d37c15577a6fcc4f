// Package pgtest gives tests a PostgreSQL schema of their own: DSN creates
// a fresh, empty schema and returns a connection string whose search_path
// is that schema, so that tests (and test binaries) running at once on
// one database never see each other's rows.
//
// The admin connection string comes from SIGNET_TEST_POSTGRES (default
// DefaultDSN). If the server cannot be reached, tests are skipped, unless
// SIGNET_REQUIRE_POSTGRES=1, which makes that a failure (for CI).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultDSN is the admin connection string used without SIGNET_TEST_POSTGRES.
const DefaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// connectTimeout bounds the wait for an unreachable server.
const connectTimeout = 2 * time.Second

// unreachable remembers a failed connection, so that a package of many
// tests waits for the timeout once, not once per test.
var unreachable struct {
	sync.Mutex
	err error
}

// AdminDSN is the connection string DSN connects with to create schemas.
func AdminDSN() string {
	if v := os.Getenv("SIGNET_TEST_POSTGRES"); v != "" {
		return v
	}
	return DefaultDSN
}

// DSN creates a fresh schema, drops it (with everything in it) when t
// ends, and returns AdminDSN with search_path set to the schema. Register
// cleanups that close stores on the DSN after calling DSN, so that they
// run before the drop.
func DSN(t testing.TB) string {
	t.Helper()
	admin := AdminDSN()
	conn, err := connect(admin)
	if err != nil {
		msg := fmt.Sprintf("PostgreSQL not reachable at %s: %v", redact(admin), err)
		if os.Getenv("SIGNET_REQUIRE_POSTGRES") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set SIGNET_TEST_POSTGRES, or SIGNET_REQUIRE_POSTGRES=1 to fail instead)")
	}
	defer conn.Close(context.Background())

	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "signet_test_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := conn.Exec(ctx, `CREATE SCHEMA `+schema); err != nil {
		t.Fatalf("pgtest: create schema: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		c, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
			return
		}
		defer c.Close(ctx)
		if _, err := c.Exec(ctx, `DROP SCHEMA `+schema+` CASCADE`); err != nil {
			t.Errorf("pgtest: drop schema %s: %v", schema, err)
		}
	})
	dsn, err := WithSearchPath(admin, schema)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return dsn
}

// connect opens the admin connection, failing fast (and for good, for
// this process) if the server does not answer.
func connect(dsn string) (*pgx.Conn, error) {
	unreachable.Lock()
	defer unreachable.Unlock()
	if unreachable.err != nil {
		return nil, unreachable.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		unreachable.err = err
		return nil, err
	}
	return conn, nil
}

// WithSearchPath returns dsn with its search_path runtime parameter set.
func WithSearchPath(dsn, schema string) (string, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		u, err := url.Parse(dsn)
		if err != nil {
			return "", fmt.Errorf("parse %s: %w", redact(dsn), err)
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		return u.String(), nil
	}
	return dsn + " search_path=" + schema, nil
}

// redact hides a password in a URL connection string.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
