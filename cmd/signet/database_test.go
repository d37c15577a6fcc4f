package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/postgres/pgtest"
)

// The acceptance tests of this package run on SQLite; TestOnPostgreSQL
// runs them all again, in a child process of this test binary, with
// SIGNET_TEST_DATABASE=postgres, where each test gets its own schema.
const databaseEnv = "SIGNET_TEST_DATABASE"

// testDatabase is a fresh, empty database for one test, as a --database value.
func testDatabase(t *testing.T) string {
	t.Helper()
	if os.Getenv(databaseEnv) == "postgres" {
		return pgtest.DSN(t)
	}
	return "sqlite:" + filepath.Join(t.TempDir(), "signet.db")
}

func TestOnPostgreSQL(t *testing.T) {
	if os.Getenv(databaseEnv) != "" {
		t.Skip("this is the PostgreSQL run")
	}
	if testing.Short() {
		t.Skip("runs the whole package again")
	}
	pgtest.DSN(t) // skips, saying why, when PostgreSQL is not reachable
	t.Parallel()
	args := []string{"-test.count=1", "-test.timeout=10m"}
	if testing.Verbose() {
		args = append(args, "-test.v")
	}
	cmd := exec.CommandContext(t.Context(), os.Args[0], args...)
	cmd.Env = append(os.Environ(), databaseEnv+"=postgres", "SIGNET_REQUIRE_POSTGRES=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the acceptance tests failed on PostgreSQL: %v\n%s", err, tail(string(out), 200))
	}
	t.Logf("acceptance tests passed on PostgreSQL:\n%s", tail(string(out), 5))
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
