package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// The WHERE terms below repeat the partial indexes' own conditions word for
// word: SQLite uses a partial index only when the query implies it.
const (
	queryDueForExpiry = `SELECT ` + sessionCols + ` FROM sessions
		WHERE status IN ('PENDING', 'IN_PROGRESS') AND expires_at <= ?
		ORDER BY expires_at, id LIMIT ?`
	queryDuePolls = `SELECT id FROM sessions
		WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS') AND next_poll_at <= ?
		ORDER BY next_poll_at, id LIMIT ?`
)

// DueForExpiry returns up to limit open sessions whose ExpiresAt is at or
// before now, oldest deadline first.
func (s *Store) DueForExpiry(ctx context.Context, now time.Time, limit int) ([]*signing.Session, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: due for expiry: %w: limit %d", signing.ErrInvalid, limit)
	}
	list, err := s.querySessions(ctx, s.read, queryDueForExpiry, micros(now), limit)
	return list, dbErr("due for expiry", err)
}

// ClaimDuePolls leases up to limit open sessions due for a poll, the longest
// overdue first (the result itself is unordered). One UPDATE … RETURNING
// picks and moves them, so two workers never claim the same row. The claim is a write: it bumps Version (but not
// UpdatedAt), and the returned sessions carry the new version.
func (s *Store) ClaimDuePolls(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*signing.Session, error) {
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim due polls: %w: limit %d, lease %v", signing.ErrInvalid, limit, lease)
	}
	list, err := s.querySessions(ctx, s.write, `UPDATE sessions SET next_poll_at = ?, version = version + 1
		WHERE id IN (`+queryDuePolls+`)
		RETURNING `+sessionCols, micros(now.Add(lease)), micros(now), limit)
	if err != nil {
		return nil, dbErr("claim due polls", err)
	}
	return list, nil
}
