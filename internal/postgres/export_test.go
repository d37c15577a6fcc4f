package postgres

import (
	"context"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/sqlmigrate"
)

// Queries whose plans store_test.go checks.
var (
	QueryDueForExpiry    = queryDueForExpiry
	QueryClaimPolls      = queryClaimPolls
	QueryClaimDeliveries = queryClaimDeliveries
)

// Exec runs a statement, for tests that break or fill the schema on
// purpose.
func (s *Store) Exec(ctx context.Context, query string, args ...any) error {
	_, err := s.pool.Exec(ctx, query, args...)
	return err
}

// QueryRow runs a query and scans its one row into dest.
func (s *Store) QueryRow(ctx context.Context, query string, dest ...any) error {
	return s.pool.QueryRow(ctx, query).Scan(dest...)
}

// MaxConns is the size of the pool.
func (s *Store) MaxConns() int32 { return s.pool.Config().MaxConns }

// MigrationCount is how many migrations the store embeds.
func MigrationCount() int {
	ms, err := sqlmigrate.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	return len(ms)
}

// PreviousRelease makes, in the schema of dsn, the database of a release
// whose schema stopped at migration upTo, and runs fill on it.
func PreviousRelease(ctx context.Context, dsn string, upTo int, fill func(conn *pgx.Conn) error) error {
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	ms, err := sqlmigrate.Load(migrationFiles, "migrations/*.sql")
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	for _, m := range ms {
		if m.Version > upTo {
			break
		}
		if _, err := conn.Exec(ctx, m.SQL); err != nil {
			return err
		}
		if _, err := conn.Exec(ctx, `INSERT INTO schema_migrations (version, name) VALUES ($1, $2)`, m.Version, m.Name); err != nil {
			return err
		}
	}
	return fill(conn)
}
