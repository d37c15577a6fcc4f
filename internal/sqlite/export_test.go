package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlmigrate"
)

// Queries whose plans store_test.go checks.
var (
	QueryDueForExpiry   = queryDueForExpiry
	QueryDuePolls       = queryDuePolls
	QueryByProviderRef  = queryByProviderRef
	QueryList, _        = listQuery("t", signing.ListFilter{Limit: 20, After: &signing.Cursor{}})
	QueryListByOrder, _ = listQuery("t", signing.ListFilter{Limit: 20, OrderID: "o"})

	QueryFanOut          = queryFanOut
	QueryClaimCandidates = queryClaimCandidates
	QueryAttempts        = queryAttempts
	QueryBacklog         = queryBacklog
)

// ExplainQueryPlan returns SQLite's plan for query, one step a line.
func (s *Store) ExplainQueryPlan(ctx context.Context, query string) (string, error) {
	args := make([]any, strings.Count(query, "?")) // the plan does not depend on the values
	rows, err := s.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var b strings.Builder
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			return "", err
		}
		b.WriteString(detail + "\n")
	}
	return b.String(), rows.Err()
}

// InWriteTx runs fn inside a write transaction that executes no statement,
// to show that BEGIN itself takes the write lock.
func (s *Store) InWriteTx(ctx context.Context, fn func() error) error {
	return s.tx(ctx, func(wtx) error { return fn() })
}

// ConnPragmas holds the writer and n readers at once and reports the
// pragmas each of these distinct connections runs with.
func (s *Store) ConnPragmas(ctx context.Context, n int) ([]string, error) {
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := range n + 1 {
		db := s.read
		if i == 0 {
			db = s.write
		}
		c, err := db.Conn(ctx)
		if err != nil {
			return nil, err
		}
		conns = append(conns, c)
	}
	var out []string
	for _, c := range conns {
		var line []string
		for _, p := range []string{"journal_mode", "foreign_keys", "busy_timeout", "synchronous", "query_only"} {
			var v string
			if err := c.QueryRowContext(ctx, "PRAGMA "+p).Scan(&v); err != nil {
				return nil, err
			}
			line = append(line, p+"="+v)
		}
		out = append(out, strings.Join(line, " "))
	}
	return out, nil
}

// Exec runs a statement on the writer, for tests that break the schema on
// purpose and for bulk fixtures.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	defer s.sessions.forgetAll() // it may have written sessions
	_, err := s.write.ExecContext(ctx, query, args...)
	return err
}

// QueryRow runs a query on the readers and scans its one row into dest.
func (s *Store) QueryRow(ctx context.Context, query string, dest ...any) error {
	return s.read.QueryRowContext(ctx, query).Scan(dest...)
}

// PreviousRelease makes, at path, the database of a release whose schema
// stopped at migration upTo, and runs fill on it: what a database made by
// that release looks like to the migrations after it.
func PreviousRelease(ctx context.Context, path string, upTo int, fill func(db *sql.DB) error) error {
	db, err := sql.Open("sqlite", dsn(path, time.Second, true))
	if err != nil {
		return err
	}
	defer db.Close()
	ms, err := sqlmigrate.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL) STRICT`); err != nil {
		return err
	}
	for _, m := range ms {
		if m.Version > upTo {
			break
		}
		if _, err := db.ExecContext(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, `INSERT INTO schema_migrations VALUES (?, ?, 0)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return fill(db)
}
