package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

var _ signing.WebhookStore = (*Store)(nil)

// The hot webhook queries; export_test.go checks their plans. As in
// work.go, the WHERE terms repeat the partial index's condition.
const (
	// queryFanOut is the transactional outbox: one delivery of an audit
	// entry's webhook per endpoint of the tenant that wants its type, due
	// at once. The id is a UUIDv7: the first 64 bits (time and sequence)
	// come from Go, one prefix per entry; the rest is random per row,
	// with the RFC 9562 variant bits.
	queryFanOut = `INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, session_id, event_id,
			event_type, payload, state, attempts, next_attempt_at, created_at)
		SELECT 'msg_' || ? || substr('89ab', abs(random() % 4) + 1, 1) || substr(lower(hex(randomblob(2))), 2)
				|| '-' || lower(hex(randomblob(6))),
			e.tenant_id, e.id, ?, ?, ?, ?, 'pending', 0, ?, ?
		FROM webhook_endpoints e
		WHERE e.tenant_id = ?
			AND (e.events = '[]' OR EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = ?))`

	// queryClaimCandidates walks the due index in order and skips a
	// delivery while an earlier event of its session for its endpoint was
	// never attempted. CROSS JOIN keeps the deliveries as the outer loop,
	// so that SQLite never sorts.
	// queryClaimCandidates skips the busy endpoints (a JSON array).
	// queryClaimCandidates walks the endpoints, not the due deliveries:
	// each endpoint's oldest due deliveries are found by its own index,
	// so that thousands due at an endpoint that hangs cost nothing to
	// skip. Parameters: now, per endpoint, busy endpoints, limit.
	queryClaimCandidates = `SELECT ` + deliveryCols + `
		FROM webhook_endpoints e CROSS JOIN webhook_deliveries d ON d.id IN (
			SELECT x.id FROM webhook_deliveries x
			WHERE x.endpoint_id = e.id AND x.state = 'pending' AND x.next_attempt_at <= ?
				AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p
					WHERE p.endpoint_id = x.endpoint_id AND p.session_id = x.session_id AND p.event_id < x.event_id
						AND p.state = 'pending' AND p.attempts = 0)
			ORDER BY x.next_attempt_at, x.id LIMIT ?)
		WHERE e.id NOT IN (SELECT value FROM json_each(?))
		ORDER BY d.next_attempt_at, d.id LIMIT ?`

	queryAttempts = `SELECT a.id, a.delivery_id, a.endpoint_id, a.tenant_id, d.event_type, a.attempt,
			a.attempted_at, a.succeeded, a.response_status, a.error, a.duration_ms
		FROM webhook_attempts a CROSS JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE a.endpoint_id = ? AND a.tenant_id = ?
		ORDER BY a.attempted_at DESC, a.id DESC LIMIT ?`

	queryBacklog = `SELECT
		(SELECT count(*) FROM webhook_deliveries WHERE state = 'pending'),
		(SELECT min(next_attempt_at) FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= ?)`
)

const endpointCols = `id, tenant_id, url, events, secret, created_at`

func scanEndpoint(sc scanner) (signing.Endpoint, error) {
	var (
		e       signing.Endpoint
		events  string
		created int64
	)
	if err := sc.Scan(&e.ID, &e.TenantID, &e.URL, &events, &e.Secret, &created); err != nil {
		return signing.Endpoint{}, err
	}
	if err := json.Unmarshal([]byte(events), &e.Events); err != nil {
		return signing.Endpoint{}, fmt.Errorf("endpoint %s: events: %w", e.ID, err)
	}
	if len(e.Events) == 0 {
		e.Events = nil
	}
	e.CreatedAt = fromMicros(created)
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
		next    sql.NullInt64
		created int64
	)
	err := sc.Scan(&d.ID, &d.TenantID, &d.EndpointID, &d.SessionID, &d.EventID, &d.EventType, &payload,
		&d.State, &d.Attempts, &next, &created, &d.URL, &d.Secret)
	if err != nil {
		return signing.Delivery{}, err
	}
	d.Payload = json.RawMessage(payload)
	d.NextAttemptAt = fromNullMicros(next)
	d.CreatedAt = fromMicros(created)
	return d, nil
}

// fanOut queues one delivery of e's webhook per subscribed endpoint of the
// session's tenant, inside the transaction that wrote the entry (eventID).
func fanOut(ctx context.Context, tx wtx, sess *signing.Session, e signing.AuditEntry, eventID int64, at time.Time) error {
	u, err := uuid.NewV7()
	if err != nil {
		return err
	}
	prefix := u.String()[:19] // "tttttttt-tttt-7sss-": time, version, sequence
	_, err = tx.ExecContext(ctx, queryFanOut,
		prefix, sess.ID, eventID, e.Type, []byte(e.Webhook), micros(at), micros(at),
		sess.TenantID, e.Type)
	return err
}

// CreateEndpoint stores a webhook endpoint. An empty Events list stores as
// "every type"; a zero CreatedAt means now. ErrConflict if the id exists,
// ErrNotFound if the tenant does not, ErrInvalid without id, URL or
// secret, and ErrConflict if the tenant has max endpoints already.
func (s *Store) CreateEndpoint(ctx context.Context, e signing.Endpoint, max int) error {
	events := e.Events
	if events == nil {
		events = []string{}
	}
	b, err := json.Marshal(events)
	if err != nil {
		return fmt.Errorf("sqlite: create endpoint: %w: events: %w", signing.ErrInvalid, err)
	}
	// One writer connection makes the count and the insert atomic.
	err = s.tx(ctx, func(tx wtx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_endpoints WHERE tenant_id = ?`, e.TenantID).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return fmt.Errorf("%w: a tenant may have at most %d webhook endpoints", signing.ErrConflict, max)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (`+endpointCols+`) VALUES (?, ?, ?, ?, ?, ?)`,
			e.ID, e.TenantID, e.URL, string(b), e.Secret, micros(dbcodec.OrDefault(e.CreatedAt, s.now())))
		return err
	})
	return dbErr("create endpoint "+e.ID, err)
}

// Endpoints lists a tenant's endpoints newest first (CreatedAt, then ID,
// descending).
func (s *Store) Endpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error) {
	rows, err := s.readRows(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE tenant_id = ? ORDER BY created_at DESC, id DESC`, tenantID)
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
	e, err := scanEndpoint(s.readRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints
		WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if err != nil {
		return signing.Endpoint{}, dbErr("endpoint "+id, err)
	}
	return e, nil
}

// DeleteEndpoint removes an endpoint of a tenant; the foreign keys cascade
// to its deliveries (whatever their state) and their attempts. ErrNotFound
// if the tenant has no such endpoint.
func (s *Store) DeleteEndpoint(ctx context.Context, tenantID, id string) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ? AND tenant_id = ?`, id, tenantID)
	if err != nil {
		return dbErr("delete endpoint "+id, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr("delete endpoint "+id, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: delete endpoint %s: %w", id, signing.ErrNotFound)
	}
	return nil
}

// ClaimDueDeliveries leases up to limit due deliveries, oldest due first
// (and returns them in that order). Selecting the candidates and moving
// their NextAttemptAt to now+lease happen in one write transaction; since
// that takes the database's write lock at BEGIN, no other claimer, in this
// process or another, can see the same candidates before the lease is set.
func (s *Store) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, c signing.DeliveryClaim) ([]signing.Delivery, error) {
	limit := c.Limit
	if limit < 1 || lease <= 0 {
		return nil, fmt.Errorf("sqlite: claim due deliveries: %w: limit %d, lease %v", signing.ErrInvalid, limit, lease)
	}
	busy, err := json.Marshal(append([]string{}, c.Busy...))
	if err != nil {
		return nil, fmt.Errorf("sqlite: claim due deliveries: %w", err)
	}
	until := now.Add(lease)
	var list []signing.Delivery
	err = s.tx(ctx, func(tx wtx) error {
		list = []signing.Delivery{}
		rows, err := tx.QueryContext(ctx, queryClaimCandidates, micros(now), c.EndpointBound(), string(busy), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		ids := []string{}
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			d.NextAttemptAt = ptrTime(fromMicros(micros(until)))
			list = append(list, d)
			ids = append(ids, d.ID)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()
		if len(ids) == 0 {
			return nil
		}
		idsJSON, err := json.Marshal(ids)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?
			WHERE id IN (SELECT value FROM json_each(?))`, micros(until), string(idsJSON))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if int(n) != len(ids) {
			return fmt.Errorf("leased %d of %d deliveries", n, len(ids))
		}
		return nil
	})
	if err != nil {
		return nil, dbErr("claim due deliveries", err)
	}
	return list, nil
}

// ReleaseDeliveries makes claimed deliveries due again at due, unattempted.
func (s *Store) ReleaseDeliveries(ctx context.Context, ids []string, due time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("sqlite: release deliveries: %w", err)
	}
	err = s.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?
			WHERE state = 'pending' AND id IN (SELECT value FROM json_each(?))`, micros(due), string(idsJSON))
		return err
	})
	if err != nil {
		return dbErr("release deliveries", err)
	}
	return nil
}

func ptrTime(t time.Time) *time.Time { return &t }

// RecordAttempts stores the attempts and their consequences in one
// transaction. Each attempt is stored under its delivery's endpoint and
// tenant (whatever it says itself), numbered by the delivery's attempt count
// including it, with a fresh att_ id if it has none. A delivery that no
// longer exists (its endpoint was deleted meanwhile) is skipped.
func (s *Store) RecordAttempts(ctx context.Context, results []signing.AttemptResult) error {
	if len(results) == 0 {
		return nil
	}
	for _, r := range results {
		if r.Attempt.DeliveryID == "" {
			return fmt.Errorf("sqlite: record attempts: %w: attempt without a delivery id", signing.ErrInvalid)
		}
	}
	err := s.tx(ctx, func(tx wtx) error {
		for _, r := range results {
			a := r.Attempt
			state, next := signing.DeliverySucceeded, (*time.Time)(nil)
			switch {
			case a.Succeeded:
			case r.NextAttemptAt != nil:
				state, next = signing.DeliveryPending, r.NextAttemptAt
			default:
				state = signing.DeliveryFailed
			}
			var endpointID, tenantID string
			var number int
			err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries
				SET attempts = attempts + 1, state = ?, next_attempt_at = ?
				WHERE id = ? RETURNING endpoint_id, tenant_id, attempts`,
				state, nullMicros(next), a.DeliveryID).Scan(&endpointID, &tenantID, &number)
			if errors.Is(err, sql.ErrNoRows) {
				continue // deleted with its endpoint
			}
			if err != nil {
				return err
			}
			id := a.ID
			if id == "" {
				u, err := uuid.NewV7()
				if err != nil {
					return err
				}
				id = "att_" + u.String()
			}
			var status sql.NullInt64
			if a.ResponseStatus != 0 {
				status = sql.NullInt64{Int64: int64(a.ResponseStatus), Valid: true}
			}
			var errText sql.NullString
			if a.Error != "" {
				errText = sql.NullString{String: a.Error, Valid: true}
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (id, delivery_id, endpoint_id, tenant_id,
					attempt, attempted_at, succeeded, response_status, error, duration_ms)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, a.DeliveryID, endpointID, tenantID, number, micros(a.AttemptedAt), a.Succeeded,
				status, errText, a.DurationMs); err != nil {
				return err
			}
		}
		return nil
	})
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
// with its endpoint's URL and secret. ErrNotFound if the attempt is not
// the tenant's endpoint's.
func (s *Store) RetryDelivery(ctx context.Context, tenantID, endpointID, attemptID string, now time.Time) (signing.Delivery, error) {
	var d signing.Delivery
	err := s.tx(ctx, func(tx wtx) error {
		var id string
		err := tx.QueryRowContext(ctx, `UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = ?
			WHERE id = (SELECT delivery_id FROM webhook_attempts WHERE id = ? AND endpoint_id = ? AND tenant_id = ?)
			RETURNING id`, micros(now), attemptID, endpointID, tenantID).Scan(&id)
		if err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryCols+`
			FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id WHERE d.id = ?`, id))
		return err
	})
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
		oldest sql.NullInt64
	)
	if err := s.readRow(ctx, queryBacklog, micros(now)).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, dbErr("delivery backlog", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromMicros(oldest.Int64), nil
}

// DeleteRefreshTokensBefore deletes refresh tokens whose expiry is strictly
// before t; it returns how many.
func (s *Store) DeleteRefreshTokensBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM refresh_tokens WHERE expires_at < ?`, micros(t))
	if err != nil {
		return 0, dbErr("delete refresh tokens", err)
	}
	n, err := res.RowsAffected()
	return int(n), dbErr("delete refresh tokens", err)
}
