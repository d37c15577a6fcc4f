package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// ExplainDueQueries returns PostgreSQL's plans (EXPLAIN, not executed) of
// the background work's hot queries at now, by name: "expiry"
// (DueForExpiry), "poll_claim" (ClaimDuePolls), "delivery_claim"
// (ClaimDueDeliveries), "due_backlog" (DueBacklog) and "delivery_backlog"
// (DeliveryBacklog). They should be scans of the partial indexes
// sessions_due_expiry, sessions_due_poll and webhook_deliveries_due, whose
// size is the due work, not the history; benchmarks and tests show them.
// Then the writes of an expiry sweep's batch (UpdateSessions), for the
// sessions due at now: "update_many", which should walk the arrays with
// one probe of sessions_pkey per row, and "add_entries".
func (s *Store) ExplainDueQueries(ctx context.Context, now time.Time) (map[string]string, error) {
	const limit, lease = 100, time.Minute
	update, entries, err := s.sweepArgs(ctx, now, limit)
	if err != nil {
		return nil, fmt.Errorf("postgres: explain: %w", err)
	}
	queries := []struct {
		name  string
		query string
		args  []any
	}{
		{"expiry", queryDueForExpiry, []any{now, limit}},
		{"poll_claim", queryClaimPolls, []any{now, now.Add(lease), limit}},
		{"delivery_claim", queryClaimDeliveries, []any{now, now.Add(lease), limit, []string{}, limit}},
		{"due_backlog", queryDueBacklog, []any{now}},
		{"delivery_backlog", queryDeliveryBacklog, []any{now}},
		{"update_many", queryUpdateMany, update},
		{"add_entries", queryAddEntries, entries},
	}
	plans := map[string]string{}
	for _, q := range queries {
		rows, err := s.pool.Query(ctx, "EXPLAIN "+q.query, q.args...)
		if err != nil {
			return nil, fmt.Errorf("postgres: explain %s: %w", q.name, err)
		}
		var lines []string
		var line string
		for rows.Next() {
			if err := rows.Scan(&line); err != nil {
				rows.Close()
				return nil, fmt.Errorf("postgres: explain %s: %w", q.name, err)
			}
			lines = append(lines, line)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("postgres: explain %s: %w", q.name, err)
		}
		plans[q.name] = strings.Join(lines, "\n")
	}
	return plans, nil
}

// sweepArgs are the arguments of the statements UpdateSessions would run
// to expire the first limit sessions due at now.
func (s *Store) sweepArgs(ctx context.Context, now time.Time, limit int) (update, entries []any, err error) {
	due, err := s.DueForExpiry(ctx, now, limit)
	if err != nil {
		return nil, nil, err
	}
	changes := make([]signing.Change, len(due))
	slots := make([]int, len(due))
	var a entryArrays
	for i, sess := range due {
		changes[i], slots[i] = signing.Change{Session: sess, ExpectVersion: sess.Version}, i
		e := signing.AuditEntry{Type: signing.StatusEventType(signing.StatusExpired), FromStatus: sess.Status, ToStatus: signing.StatusExpired,
			Webhook: []byte(`{}`)}
		if err := a.add(sess, e); err != nil {
			return nil, nil, err
		}
	}
	update, err = updateArgs(changes, slots)
	return update, a.args(), err
}
