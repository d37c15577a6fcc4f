package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// ExplainDueQueries returns PostgreSQL's plans (EXPLAIN, not executed) of
// the background work's hot queries at now, by name: "expiry"
// (DueForExpiry), "poll_claim" (ClaimDuePolls), "delivery_claim"
// (ClaimDueDeliveries), "due_backlog" (DueBacklog) and "delivery_backlog"
// (DeliveryBacklog). They should be scans of the partial indexes
// sessions_due_expiry, sessions_due_poll and webhook_deliveries_due, whose
// size is the due work, not the history; benchmarks and tests show them.
func (s *Store) ExplainDueQueries(ctx context.Context, now time.Time) (map[string]string, error) {
	const limit, lease = 100, time.Minute
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
