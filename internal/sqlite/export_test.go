package sqlite

import (
	"context"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// Queries whose plans store_test.go checks.
var (
	QueryDueForExpiry   = queryDueForExpiry
	QueryDuePolls       = queryDuePolls
	QueryByProviderRef  = queryByProviderRef
	QueryList, _        = listQuery("t", signing.ListFilter{Limit: 20, After: &signing.Cursor{}})
	QueryListByOrder, _ = listQuery("t", signing.ListFilter{Limit: 20, OrderID: "o"})
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
