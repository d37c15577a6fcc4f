package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

// The hot webhook queries; store_test.go checks their plans.
const (
	// queryFanOut is the transactional outbox: it stores an audit entry
	// ($1…$9, as queryAddEntry) and, in the same statement, one delivery
	// of its webhook ($11) per endpoint of the tenant that wants its type,
	// due at once. The id is a UUIDv7: the first 64 bits (time, version
	// and sequence) come from Go, one prefix per entry ($10); the rest,
	// the RFC 9562 variant included, is the tail of a fresh random UUIDv4
	// per row (whose variant nibble is 8, 9, a or b, as v7 wants).
	// FOR KEY SHARE holds the endpoints until the transaction ends: an
	// endpoint deleted meanwhile is skipped instead of failing the
	// delivery's foreign key.
	queryFanOut = `WITH entry AS (` + queryAddEntry + `
			RETURNING id, session_id, tenant_id, type, created_at)
		INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, session_id, event_id,
			event_type, payload, state, attempts, next_attempt_at, created_at)
		SELECT 'msg_' || $10::text || substr(gen_random_uuid()::text, 20),
			e.tenant_id, e.id, entry.session_id, entry.id, entry.type, $11::bytea, 'pending', 0,
			entry.created_at, entry.created_at
		FROM entry JOIN webhook_endpoints e ON e.tenant_id = entry.tenant_id
		WHERE e.tenant_id = $2 AND (cardinality(e.events) = 0 OR entry.type = ANY (e.events))
		FOR KEY SHARE OF e`

	// queryClaimDeliveries walks the due index in order, skips a delivery
	// while an earlier event of its session for its endpoint was never
	// attempted, and skips rows another claimer holds (SKIP LOCKED); it
	// leases what it picked in the same statement and returns it with the
	// endpoint, in the order it was picked. A row leased and committed by
	// another claimer after this statement's snapshot is re-checked once
	// locked and dropped, since it is no longer due.
	//
	// OFFSET 0 keeps the ordering check a subplan, one probe of
	// webhook_deliveries_pending_order per candidate: as an anti-join,
	// with the stale statistics of a queue that just filled up, the
	// planner may compare every due delivery with every pending one
	// (seconds, not milliseconds, for a few thousand).
	// queryClaimDeliveries skips the busy endpoints ($4).
	// queryClaimDeliveries walks the endpoints, not the due deliveries:
	// each endpoint's oldest due deliveries are found by its own index
	// (webhook_deliveries_endpoint_due), so that thousands due at an
	// endpoint that hangs cost nothing to skip.
	queryClaimDeliveries = `WITH picked AS (
			SELECT c.id, c.due FROM webhook_endpoints e
			CROSS JOIN LATERAL (
				SELECT d.id, d.next_attempt_at AS due FROM webhook_deliveries d
				WHERE d.endpoint_id = e.id AND d.state = 'pending' AND d.next_attempt_at <= $1
					AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
						WHERE p.endpoint_id = d.endpoint_id AND p.session_id = d.session_id AND p.event_id < d.event_id
							AND p.state = 'pending' AND p.attempts = 0
						OFFSET 0)
				ORDER BY d.next_attempt_at, d.id LIMIT $5
				FOR UPDATE OF d SKIP LOCKED) c
			WHERE e.id <> ALL($4::text[])
			ORDER BY c.due, c.id LIMIT $3),
		leased AS (
			UPDATE webhook_deliveries d SET next_attempt_at = $2
			FROM picked WHERE d.id = picked.id
			RETURNING d.*, picked.due)
		SELECT ` + deliveryCols + `
		FROM leased d JOIN webhook_endpoints e ON e.id = d.endpoint_id
		ORDER BY d.due, d.id`

	queryAttempts = `SELECT a.id, a.delivery_id, a.endpoint_id, a.tenant_id, d.event_type, a.attempt,
			a.attempted_at, a.succeeded, a.response_status, a.error, a.duration_ms
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE a.endpoint_id = $1 AND a.tenant_id = $2
		ORDER BY a.attempted_at DESC, a.id DESC LIMIT $3`

	queryDeliveryBacklog = `SELECT
		(SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),
		(SELECT min(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1)`

	// queryRecordAttempt counts an attempt on its delivery and stores it,
	// numbered by the new count, under the delivery's endpoint and tenant;
	// nothing if the delivery is gone.
	queryRecordAttempt = `WITH d AS (
			UPDATE webhook_deliveries SET attempts = attempts + 1, state = $2, next_attempt_at = $3
			WHERE id = $1 RETURNING id, endpoint_id, tenant_id, attempts)
		INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, tenant_id,
			attempt, attempted_at, succeeded, response_status, error, duration_ms)
		SELECT $4, d.id, d.endpoint_id, d.tenant_id, d.attempts, $5, $6, $7, $8, $9 FROM d`
)

const endpointCols = `id, tenant_id, url, events, secret, created_at`

func scanEndpoint(sc scanner) (signing.Endpoint, error) {
	var e signing.Endpoint
	if err := sc.Scan(&e.ID, &e.TenantID, &e.URL, &e.Events, &e.Secret, &e.CreatedAt); err != nil {
		return signing.Endpoint{}, err
	}
	if len(e.Events) == 0 {
		e.Events = nil
	}
	return e, nil
}

// deliveryCols selects a delivery d joined with its endpoint e, in the
// order scanDelivery reads.
const deliveryCols = `d.id, d.tenant_id, d.endpoint_id, d.session_id, d.event_id, d.event_type, d.payload,
	d.state, d.attempts, d.next_attempt_at, d.created_at, e.url, e.secret`

func scanDelivery(sc scanner) (signing.Delivery, error) {
	var (
		d       signing.Delivery
		payload []byte
	)
	err := sc.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.SessionID, &d.EventID, &d.EventType, &payload,
		&d.State, &d.Attempts, &d.NextAttemptAt, &d.CreatedAt, &d.URL, &d.Secret)
	if err != nil {
		return signing.Delivery{}, err
	}
	d.Payload = payload
	return d, nil
}

// CreateEndpoint stores a webhook endpoint unless its tenant already has
// limit of them. It locks the tenant's row first (FOR NO KEY UPDATE, which
// does not hold up the tenant's other writes), so that concurrent creates
// for one tenant count and insert one after the other. An empty Events
// list stores as "every type"; a zero CreatedAt means now. ErrConflict if
// the id exists or the tenant is full, ErrNotFound if the tenant does not
// exist, ErrInvalid without id, URL or secret. A limit below 1 refuses
// every endpoint.
func (s *Store) CreateEndpoint(ctx context.Context, e signing.Endpoint, limit int) error {
	events := e.Events
	if events == nil {
		events = []string{}
	}
	err := s.tx(ctx, func(tx pgx.Tx) error {
		// Lock first, count in a later statement: a statement's snapshot
		// is taken before it waits for a lock, so a count in the locking
		// statement could miss the insert of the transaction it waited for.
		var one int
		err := tx.QueryRow(ctx, `SELECT 1 FROM tenants WHERE id = $1 FOR NO KEY UPDATE`, e.TenantID).Scan(&one)
		if err != nil {
			return err // no rows: the tenant does not exist
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = $1`, e.TenantID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return fmt.Errorf("%w: the tenant has %d endpoints already (at most %d)", signing.ErrConflict, n, limit)
		}
		_, err = tx.Exec(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES ($1, $2, $3, $4, $5, $6)`,
			e.ID, e.TenantID, e.URL, events, e.Secret, dbcodec.OrDefault(e.CreatedAt, s.now()))
		return err
	})
	return dbErr("create endpoint "+e.ID, err)
}

// Endpoints lists a tenant's endpoints newest first (CreatedAt, then ID,
// descending).
func (s *Store) Endpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC`, tenantID)
	if err != nil {
		return nil, dbErr("endpoints", err)
	}
	defer rows.Close()
	list := []signing.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, dbErr("endpoints", err)
		}
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("endpoints", err)
	}
	return list, nil
}

// Endpoint reads one endpoint of a tenant; ErrNotFound if none.
func (s *Store) Endpoint(ctx context.Context, tenantID, id string) (signing.Endpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return signing.Endpoint{}, dbErr("endpoint "+id, err)
	}
	return e, nil
}

// DeleteEndpoint removes an endpoint of a tenant; the foreign keys cascade
// to its deliveries (whatever their state) and their attempts. ErrNotFound
// if the tenant has no such endpoint.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2`, id, tenantID)
	if err != nil {
		return dbErr("delete endpoint "+id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: delete endpoint %s: %w", id, signing.ErrNotFound)
	}
	return nil
}

// ClaimDueDeliveries leases up to limit due deliveries, oldest due first
// (and returns them in that order), in one statement: see
// queryClaimDeliveries.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, c signing.DeliveryClaim) ([]signing.Delivery, error) {
	limit := c.Limit
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("postgres: claim due deliveries: %w: limit %d, lease %v", signing.ErrInvalid, limit, lease)
	}
	busy := append([]string{}, c.Busy...)
	rows, err := s.pool.Query(ctx, queryClaimDeliveries, planAfresh, now, now.Add(lease), limit, busy, c.EndpointBound())
	if err != nil {
		return nil, dbErr("claim due deliveries", err)
	}
	defer rows.Close()
	list := []signing.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, dbErr("claim due deliveries", err)
		}
		list = append(list, d)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("claim due deliveries", err)
	}
	return list, nil
}

// ReleaseDeliveries makes claimed deliveries due again at due, unattempted.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []string, due time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	if _, err := s.pool.Exec(ctx, `UPDATE webhook_deliveries SET next_attempt_at = $1
		WHERE state = 'pending' AND id = ANY($2::text[])`, due, ids); err != nil {
		return dbErr("release deliveries", err)
	}
	return nil
}

// RecordAttempts stores the attempts and their consequences in one
// transaction, one statement each, sent as one batch. Each attempt is
// stored under its delivery's endpoint and tenant (whatever it says
// itself), numbered by the delivery's attempt count including it, with a
// fresh att_ id if it has none. A delivery that no longer exists (its
// endpoint was deleted meanwhile) is skipped.
func (s *Store) RecordAttempts(ctx context.Context, results []signing.AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	b := &pgx.Batch{}
	for _, r := range results {
		a := r.Attempt
		if a.DeliveryID == "" {
			return fmt.Errorf("postgres: record attempts: %w: attempt without a delivery id", signing.ErrInvalid)
		}
		state, next := signing.DeliverySucceeded, (*time.Time)(nil)
		switch {
		case a.Succeeded:
		case r.NextAttemptAt != nil:
			state, next = signing.DeliveryPending, r.NextAttemptAt
		default:
			state = signing.DeliveryFailed
		}
		id := a.ID
		if id == "" {
			u, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("postgres: record attempts: %w", err)
			}
			id = "att_" + u.String()
		}
		var status *int
		if a.ResponseStatus != 0 {
			status = &a.ResponseStatus
		}
		var errText *string
		if a.Error != "" {
			errText = &a.Error
		}
		b.Queue(queryRecordAttempt, a.DeliveryID, string(state), next,
			id, a.AttemptedAt, a.Succeeded, status, errText, a.DurationMs)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	return dbErr("record attempts", err)
}

// Attempts lists an endpoint's attempts newest first (AttemptedAt, then
// ID, descending), at most limit. ErrNotFound if the tenant has no such
// endpoint.
func (s *Store) Attempts(ctx context.Context, tenantID, endpointID string, limit int) ([]signing.Attempt, error) {
	list, _, err := s.AttemptsAfter(ctx, tenantID, endpointID, limit, nil)
	return list, err
}

// RetryDelivery makes the delivery of an attempt pending and due at now,
// whatever its state, keeping its attempt count; it returns the delivery
// with its endpoint's URL and secret, in one statement. ErrNotFound if the
// attempt is not the tenant's endpoint's.
func (s *Store) RetryDelivery(ctx context.Context, tenantID, endpointID, attemptID string, now time.Time) (signing.Delivery, error) {
	d, err := scanDelivery(s.pool.QueryRow(ctx, `WITH d AS (
			UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1
			WHERE id = (SELECT delivery_id FROM webhook_attempts WHERE id = $2 AND endpoint_id = $3 AND tenant_id = $4)
			RETURNING *)
		SELECT `+deliveryCols+` FROM d JOIN webhook_endpoints e ON e.id = d.endpoint_id`,
		now, attemptID, endpointID, tenantID))
	if err != nil {
		return signing.Delivery{}, dbErr("retry delivery of attempt "+attemptID, err)
	}
	return d, nil
}

// DeliveryBacklog counts pending deliveries (leased ones and those waiting
// for a retry included) and returns the earliest NextAttemptAt among those
// due at now, or the zero time if none is.
func (s *Store) DeliveryBacklog(ctx context.Context, now time.Time) (int, time.Time, error) {
	var (
		n      int
		oldest *time.Time
	)
	if err := s.pool.QueryRow(ctx, queryDeliveryBacklog, planAfresh, now).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, dbErr("delivery backlog", err)
	}
	if oldest == nil {
		return n, time.Time{}, nil
	}
	return n, *oldest, nil
}
