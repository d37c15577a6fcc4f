package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// The WHERE terms below repeat the partial indexes' own conditions word for
// word: SQLite uses a partial index only when the query implies it.
const (
	queryDueForExpiry = `SELECT ` + sessionCols + ` FROM sessions
		WHERE status IN ('PENDING', 'IN_PROGRESS') AND expires_at <= ? AND provider_completed_at IS NULL
		ORDER BY expires_at, id LIMIT ?`
	queryDuePolls = `SELECT id FROM sessions
		WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED', 'EXPIRED') AND next_poll_at <= ?
		ORDER BY next_poll_at, id LIMIT ?`
	queryPollBacklog = `SELECT count(*), min(next_poll_at) FROM sessions
		WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED', 'EXPIRED') AND next_poll_at <= ?`
	queryExpiryBacklog = `SELECT count(*), min(expires_at) FROM sessions
		WHERE status IN ('PENDING', 'IN_PROGRESS') AND expires_at <= ? AND provider_completed_at IS NULL`
)

// DueBacklog counts the sessions due for a poll and for expiry at now.
func (s *Store) DueBacklog(ctx context.Context, now time.Time) (signing.Backlog, error) {
	var b signing.Backlog
	var oldestPoll, oldestExpiry sql.NullInt64
	err := s.readRow(ctx, queryPollBacklog, micros(now)).Scan(&b.DuePolls, &oldestPoll)
	if err == nil {
		err = s.readRow(ctx, queryExpiryBacklog, micros(now)).Scan(&b.DueExpiries, &oldestExpiry)
	}
	if err != nil {
		return b, dbErr("due backlog", err)
	}
	if oldestPoll.Valid {
		b.OldestPollDue = fromMicros(oldestPoll.Int64)
	}
	if oldestExpiry.Valid {
		b.OldestExpiryDue = fromMicros(oldestExpiry.Int64)
	}
	return b, nil
}

// DueForExpiry returns up to limit open sessions whose ExpiresAt is at or
// before now, oldest deadline first.
func (s *Store) DueForExpiry(ctx context.Context, now time.Time, limit int) ([]*signing.Session, error) {
	if limit < 1 {
		return nil, fmt.Errorf("sqlite: due for expiry: %w: limit %d", signing.ErrInvalid, limit)
	}
	list, err := s.querySessions(ctx, cachedReads{s}, queryDueForExpiry, micros(now), limit)
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
		s.sessions.forgetAll() // some may have been claimed
		return nil, dbErr("claim due polls", err)
	}
	ids := make([]string, len(list))
	for i, sess := range list {
		ids[i] = sess.ID
	}
	s.sessions.forget(ids...)
	return list, nil
}
