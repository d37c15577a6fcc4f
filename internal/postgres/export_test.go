package postgres

import "context"

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
