package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/signing"
)

// planAfresh runs a due-work query (the expiry sweep's, the claims of
// polls and of webhook deliveries, the backlog gauges) as an unnamed
// statement, which PostgreSQL plans for each run's parameters and
// statistics. As a cached prepared statement (pgx's default) it gets a
// generic plan after five runs, kept for the connection's life: a plan
// made while a queue was empty, kept once it filled, made each delivery
// claim take 5 s and the webhooks of a fresh installation crawl at 13 a
// second until the next ANALYZE. Planning costs about a millisecond,
// against claims made a few times a second.
const planAfresh = pgx.QueryExecModeExec

// The WHERE terms below repeat the partial indexes' own conditions word
// for word, so that the planner sees that the query implies them.
const (
	queryDueForExpiry = `SELECT ` + sessionCols + ` FROM sessions
		WHERE status IN ('PENDING', 'IN_PROGRESS') AND expires_at <= $1 AND provider_completed_at IS NULL
		ORDER BY expires_at, id LIMIT $2`

	// queryClaimPolls picks the longest overdue sessions, skipping rows
	// that another claimer (or any writer) holds, and leases them in the
	// same statement. A row that a concurrent claim leased and committed
	// meanwhile is re-checked against the WHERE terms after its lock is
	// taken, and dropped since its next_poll_at moved on.
	queryClaimPolls = `WITH picked AS (
			SELECT id FROM sessions
			WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED', 'EXPIRED') AND next_poll_at <= $1
			ORDER BY next_poll_at, id LIMIT $3
			FOR UPDATE SKIP LOCKED)
		UPDATE sessions s SET next_poll_at = $2, version = s.version + 1
		FROM picked WHERE s.id = picked.id
		RETURNING ` + sessionColsOfS

	queryDueBacklog = `SELECT p.n, p.oldest, e.n, e.oldest
		FROM (SELECT count(*) AS n, min(next_poll_at) AS oldest FROM sessions
			WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED', 'EXPIRED') AND next_poll_at <= $1) p,
		(SELECT count(*) AS n, min(expires_at) AS oldest FROM sessions
			WHERE status IN ('PENDING', 'IN_PROGRESS') AND expires_at <= $1 AND provider_completed_at IS NULL) e`
)

// sessionColsOfS is sessionCols qualified by the alias s, for statements
// that join.
const sessionColsOfS = `s.id, s.tenant_id, s.order_id, s.status, s.signer_details, s.provider, s.language,
	s.signers, s.signing_order, s.provider_completed_at, s.return_url, s.failure_reason, s.metadata, s.document_name,
	s.provider_ref, s.provider_state, s.created_at, s.updated_at, s.completed_at, s.expires_at,
	s.next_poll_at, s.version`

// DueForExpiry returns up to limit open sessions whose ExpiresAt is at or
// before now, oldest deadline first.
func (s *Store) DueForExpiry(ctx context.Context, now time.Time, limit int) ([]*signing.Session, error) {
	if limit < 1 {
		return nil, fmt.Errorf("postgres: due for expiry: %w: limit %d", signing.ErrInvalid, limit)
	}
	list, err := s.querySessions(ctx, s.pool, queryDueForExpiry, planAfresh, now, limit)
	if err != nil {
		return nil, dbErr("due for expiry", err)
	}
	return list, nil
}

// ClaimDuePolls leases up to limit sessions due for a poll (open, or
// CANCELLED or EXPIRED with a request still to withdraw at the provider), the longest
// overdue first (the result itself is unordered). One statement picks them
// with FOR UPDATE SKIP LOCKED and moves them, so that claimers in any
// process never take the same row and never wait for each other. The claim
// is a write: it bumps Version (but not UpdatedAt), and the returned
// sessions carry the new version.
func (s *Store) ClaimDuePolls(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]*signing.Session, error) {
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("postgres: claim due polls: %w: limit %d, lease %v", signing.ErrInvalid, limit, lease)
	}
	list, err := s.querySessions(ctx, s.pool, queryClaimPolls, planAfresh, now, now.Add(lease), limit)
	if err != nil {
		return nil, dbErr("claim due polls", err)
	}
	return list, nil
}

// DueBacklog counts the sessions due for a poll and for expiry at now, in
// one statement (one snapshot) over the two partial indexes.
func (s *Store) DueBacklog(ctx context.Context, now time.Time) (signing.Backlog, error) {
	var (
		b                        signing.Backlog
		oldestPoll, oldestExpiry *time.Time
	)
	err := s.pool.QueryRow(ctx, queryDueBacklog, planAfresh, now).Scan(&b.DuePolls, &oldestPoll, &b.DueExpiries, &oldestExpiry)
	if err != nil {
		return signing.Backlog{}, dbErr("due backlog", err)
	}
	if oldestPoll != nil {
		b.OldestPollDue = *oldestPoll
	}
	if oldestExpiry != nil {
		b.OldestExpiryDue = *oldestExpiry
	}
	return b, nil
}
