package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

// The store's side of the operator console (CONTRACT.md §9): API keys
// with ids, prefixes, last use and revocation; operators, their sessions
// and the record of wrong passwords; the console's reads across tenants;
// and the notice of revocations to every replica (WatchRevocations).

// keyCols is the column list every API key query selects, in the order
// scanKey reads.
const keyCols = `k.id, k.prefix, k.created_at, k.last_used_at, k.revoked_at, t.id, t.name, t.created_at`

const keyFrom = ` FROM api_keys k JOIN tenants t ON t.id = k.tenant_id`

func scanKey(sc scanner) (auth.APIKey, error) {
	var k auth.APIKey
	err := sc.Scan(&k.ID, &k.Prefix, &k.CreatedAt, &k.LastUsedAt, &k.RevokedAt, &k.Tenant.ID, &k.Tenant.Name, &k.Tenant.CreatedAt)
	return k, err
}

// InsertAPIKey stores a new key. ErrConflict if its id or hash exists,
// ErrNotFound if its tenant does not.
func (s *Store) InsertAPIKey(ctx context.Context, k auth.APIKey, keyHash string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO api_keys (key_hash, tenant_id, created_at, id, prefix)
		VALUES ($1, $2, $3, $4, $5)`, keyHash, k.Tenant.ID, dbcodec.OrDefault(k.CreatedAt, s.now()), k.ID, k.Prefix)
	return dbErr("insert api key", err)
}

// APIKeyByHash finds the working (not revoked) key of a hash; ErrNotFound
// if none.
func (s *Store) APIKeyByHash(ctx context.Context, keyHash string) (auth.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.key_hash = $1 AND k.revoked_at IS NULL`, keyHash))
	return k, dbErr("api key by hash", err)
}

// APIKeyByID reads a key, revoked or not; ErrNotFound if none.
func (s *Store) APIKeyByID(ctx context.Context, id string) (auth.APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.id = $1`, id))
	return k, dbErr("api key "+id, err)
}

// APIKeys lists the keys of a tenant, or of every tenant when tenantID is
// empty, revoked ones too, newest first.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]auth.APIKey, error) {
	q, args := `SELECT `+keyCols+keyFrom, []any{}
	if tenantID != "" {
		q += ` WHERE k.tenant_id = $1`
		args = append(args, tenantID)
	}
	rows, err := s.pool.Query(ctx, q+` ORDER BY k.created_at DESC, k.id DESC`, args...)
	if err != nil {
		return nil, dbErr("api keys", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.APIKey, error) { return scanKey(r) })
	if list == nil {
		list = []auth.APIKey{}
	}
	return list, dbErr("api keys", err)
}

// revocationChannel is the channel RevokeAPIKey notifies and
// WatchRevocations listens on: one per schema, so that Signets sharing a
// database in separate schemas (and the tests) leave each other alone.
const revocationChannel = `'signet_revoked_' || left(md5(coalesce(current_schema(), '')), 16)`

// RevokeAPIKey marks a key revoked at at unless it already is, and
// returns it. In the same transaction it notifies every replica's
// WatchRevocations, which PostgreSQL delivers once the revocation is
// committed. ErrNotFound if there is no such key.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (auth.APIKey, error) {
	var k auth.APIKey
	err := s.tx(ctx, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, at, id)
		if err != nil {
			return err
		}
		if tag.RowsAffected() > 0 {
			if _, err := tx.Exec(ctx, `SELECT pg_notify(`+revocationChannel+`, $1)`, id); err != nil {
				return err
			}
		}
		k, err = scanKey(tx.QueryRow(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.id = $1`, id))
		return err
	})
	return k, dbErr("revoke api key "+id, err)
}

// TouchAPIKeys moves each key's last use forward to the given time, in
// one statement.
func (s *Store) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	ids := make([]string, 0, len(used))
	times := make([]time.Time, 0, len(used))
	for id, at := range used {
		ids = append(ids, id)
		times = append(times, at)
	}
	_, err := s.pool.Exec(ctx, `UPDATE api_keys k SET last_used_at = u.at
		FROM unnest($1::text[], $2::timestamptz[]) AS u (id, at)
		WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.at)`, ids, times)
	return dbErr("touch api keys", err)
}

// WatchRevocations listens for API key revocations committed by any
// process on the database until ctx ends, and reconnects when the
// connection is lost. It calls ready(true, nil) once it listens, so that
// every revocation committed from then on reaches it, then revoked()
// after each one; and ready(false, why) as soon as it can no longer
// promise that (the connection failed, or did not answer a check within
// checkEvery). A credential cache is safe while ready holds if it forgets
// everything on revoked and on each change of ready.
func (s *Store) WatchRevocations(ctx context.Context, revoked func(), ready func(up bool, why error)) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		began := time.Now()
		if err := s.listen(ctx, revoked, ready); ctx.Err() == nil {
			ready(false, err)
		}
		if time.Since(began) > time.Minute {
			backoff = 100 * time.Millisecond
		}
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
	ready(false, ctx.Err())
}

// checkEvery is how long the listener waits for a notification before it
// checks that its connection still answers.
const checkEvery = 10 * time.Second

// listen serves one connection of WatchRevocations until it fails.
func (s *Store) listen(ctx context.Context, revoked func(), ready func(bool, error)) error {
	conn, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig.Copy())
	if err != nil {
		return fmt.Errorf("postgres: listen for revocations: %w", err)
	}
	defer func() {
		closing, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		conn.Close(closing)
	}()
	var channel string
	if err := conn.QueryRow(ctx, `SELECT `+revocationChannel).Scan(&channel); err != nil {
		return fmt.Errorf("postgres: listen for revocations: %w", err)
	}
	if _, err := conn.Exec(ctx, `LISTEN `+pgx.Identifier{channel}.Sanitize()); err != nil {
		return fmt.Errorf("postgres: listen for revocations: %w", err)
	}
	ready(true, nil)
	for {
		wait, cancel := context.WithTimeout(ctx, checkEvery)
		_, err := conn.WaitForNotification(wait)
		cancel()
		if err == nil {
			revoked()
			continue
		}
		if ctx.Err() != nil || conn.PgConn().IsClosed() || !pgconn.Timeout(err) {
			return fmt.Errorf("postgres: listening for revocations: %w", err)
		}
		check, cancel := context.WithTimeout(ctx, checkEvery/2)
		err = conn.Ping(check)
		cancel()
		if err != nil {
			return fmt.Errorf("postgres: the revocation listener does not answer: %w", err)
		}
	}
}

// CreateOperator stores an operator; ErrConflict if the e-mail exists.
func (s *Store) CreateOperator(ctx context.Context, op auth.Operator) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO operators (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)`,
		op.ID, op.Email, op.PasswordHash, dbcodec.OrDefault(op.CreatedAt, s.now()))
	return dbErr("create operator", err)
}

// OperatorByEmail finds an operator by e-mail; ErrNotFound if none.
func (s *Store) OperatorByEmail(ctx context.Context, email string) (auth.Operator, error) {
	var op auth.Operator
	err := s.pool.QueryRow(ctx, `SELECT id, email, password_hash, created_at FROM operators WHERE email = $1`, email).
		Scan(&op.ID, &op.Email, &op.PasswordHash, &op.CreatedAt)
	return op, dbErr("operator by email", err)
}

// CreateOperatorSession stores a console session; ErrNotFound if its
// operator does not exist, ErrConflict if its id does.
func (s *Store) CreateOperatorSession(ctx context.Context, os auth.OperatorSession) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO operator_sessions (id, operator_id, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5)`, os.ID, os.Operator.ID, os.CreatedAt, os.LastSeenAt, os.ExpiresAt)
	return dbErr("create operator session", err)
}

// OperatorSession reads a console session with its operator (without
// the password hash); ErrNotFound if none.
func (s *Store) OperatorSession(ctx context.Context, id string) (auth.OperatorSession, error) {
	var os auth.OperatorSession
	err := s.pool.QueryRow(ctx, `SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, o.id, o.email, o.created_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.id = $1`, id).
		Scan(&os.ID, &os.CreatedAt, &os.LastSeenAt, &os.ExpiresAt, &os.Operator.ID, &os.Operator.Email, &os.Operator.CreatedAt)
	return os, dbErr("operator session", err)
}

// TouchOperatorSession moves a session's last activity forward to at.
func (s *Store) TouchOperatorSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE operator_sessions SET last_seen_at = $1 WHERE id = $2 AND last_seen_at < $1`, at, id)
	return dbErr("touch operator session", err)
}

// DeleteOperatorSession ends a console session (a missing one is fine).
func (s *Store) DeleteOperatorSession(ctx context.Context, id string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM operator_sessions WHERE id = $1`, id)
	return dbErr("delete operator session", err)
}

// DeleteOperatorSessionsBefore deletes sessions that expired before t.
func (s *Store) DeleteOperatorSessionsBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, `DELETE FROM operator_sessions WHERE expires_at < $1`, t)
}

// LoginFailures returns the failure records of the keys that have one.
func (s *Store) LoginFailures(ctx context.Context, keys []string) ([]auth.LoginFailures, error) {
	rows, err := s.pool.Query(ctx, `SELECT key, failures, last_failure_at FROM login_failures WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, dbErr("login failures", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (auth.LoginFailures, error) {
		var f auth.LoginFailures
		err := r.Scan(&f.Key, &f.Failures, &f.Last)
		return f, err
	})
	return list, dbErr("login failures", err)
}

// RecordLoginFailure counts a failure under key in one statement (the
// row lock of the upsert orders concurrent ones); the count restarts at 1
// after window without failures.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	var n int
	err := s.pool.QueryRow(ctx, `INSERT INTO login_failures AS f (key, failures, last_failure_at) VALUES ($1, 1, $2)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN f.last_failure_at <= $3 THEN 1 ELSE f.failures + 1 END,
			last_failure_at = greatest(f.last_failure_at, excluded.last_failure_at)
		RETURNING failures`, key, at, at.Add(-window)).Scan(&n)
	return n, dbErr("record login failure", err)
}

// ClearLoginFailures forgets key's failures.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM login_failures WHERE key = $1`, key)
	return dbErr("clear login failures", err)
}

// DeleteLoginFailuresBefore deletes records last failed before t.
func (s *Store) DeleteLoginFailuresBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, `DELETE FROM login_failures WHERE last_failure_at < $1`, t)
}

func (s *Store) deleteBefore(ctx context.Context, query string, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, query, t)
	if err != nil {
		return 0, dbErr("delete expired", err)
	}
	return int(tag.RowsAffected()), nil
}

// Tenants lists every tenant by name.
func (s *Store) Tenants(ctx context.Context) ([]signing.Tenant, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, name, created_at FROM tenants ORDER BY name COLLATE "C", id COLLATE "C"`)
	if err != nil {
		return nil, dbErr("tenants", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (signing.Tenant, error) {
		var t signing.Tenant
		err := r.Scan(&t.ID, &t.Name, &t.CreatedAt)
		return t, err
	})
	if list == nil {
		list = []signing.Tenant{}
	}
	return list, dbErr("tenants", err)
}

// AllSessions lists sessions newest first like ListSessions, of every
// tenant when tenantID is empty: up to f.Limit and whether more follow.
func (s *Store) AllSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error) {
	if tenantID != "" {
		return s.ListSessions(ctx, tenantID, f)
	}
	if f.Limit < 1 {
		return nil, false, fmt.Errorf("postgres: all sessions: %w: limit %d", signing.ErrInvalid, f.Limit)
	}
	q, args := allSessionsQuery(f)
	list, err := s.querySessions(ctx, s.pool, q, args...)
	if err != nil {
		return nil, false, dbErr("all sessions", err)
	}
	more := len(list) > f.Limit
	if more {
		list = list[:f.Limit]
	}
	return list, more, nil
}

// allSessionsQuery is listQuery without the tenant, over 0010's indexes.
func allSessionsQuery(f signing.ListFilter) (string, []any) {
	var (
		where []string
		args  []any
	)
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.OrderID != "" {
		where = append(where, `order_id = `+arg(f.OrderID))
	}
	if f.Status != "" {
		where = append(where, `status = `+arg(string(f.Status)))
	}
	if f.Provider != "" {
		where = append(where, `provider = `+arg(f.Provider))
	}
	if f.After != nil {
		where = append(where, `(created_at, id) < (`+arg(f.After.CreatedAt)+`, `+arg(f.After.ID)+`)`)
	}
	q := `SELECT ` + sessionCols + ` FROM sessions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return q + ` ORDER BY created_at DESC, id DESC LIMIT ` + arg(f.Limit+1), args
}

// AllEndpoints lists the webhook endpoints of a tenant, or of every
// tenant when tenantID is empty, newest first.
func (s *Store) AllEndpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error) {
	if tenantID != "" {
		return s.Endpoints(ctx, tenantID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, dbErr("all endpoints", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (signing.Endpoint, error) { return scanEndpoint(r) })
	if list == nil {
		list = []signing.Endpoint{}
	}
	return list, dbErr("all endpoints", err)
}

// EndpointByID reads an endpoint of any tenant; ErrNotFound if none.
func (s *Store) EndpointByID(ctx context.Context, id string) (signing.Endpoint, error) {
	e, err := scanEndpoint(s.pool.QueryRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = $1`, id))
	return e, dbErr("endpoint "+id, err)
}

// queryAttemptsAfter is queryAttempts from a cursor on.
const queryAttemptsAfter = `SELECT a.id, a.delivery_id, a.endpoint_id, a.tenant_id, d.event_type, a.attempt,
		a.attempted_at, a.succeeded, a.response_status, a.error, a.duration_ms
	FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
	WHERE a.endpoint_id = $1 AND a.tenant_id = $2 AND (a.attempted_at, a.id) < ($4, $5)
	ORDER BY a.attempted_at DESC, a.id DESC LIMIT $3`

// AttemptsAfter lists an endpoint's attempts newest first (AttemptedAt,
// then ID, descending), after the position after when it is not nil (its
// CreatedAt is an attempt's AttemptedAt): up to limit, and whether more
// follow. ErrNotFound if the tenant has no such endpoint.
func (s *Store) AttemptsAfter(ctx context.Context, tenantID, endpointID string, limit int, after *signing.Cursor) ([]signing.Attempt, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("postgres: attempts: %w: limit %d", signing.ErrInvalid, limit)
	}
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2)`,
		endpointID, tenantID).Scan(&exists); err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
	}
	if !exists {
		return nil, false, fmt.Errorf("postgres: attempts %s: %w", endpointID, signing.ErrNotFound)
	}
	q, args := queryAttempts, []any{endpointID, tenantID, limit + 1}
	if after != nil {
		q, args = queryAttemptsAfter, append(args, after.CreatedAt, after.ID)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (signing.Attempt, error) {
		var (
			a       signing.Attempt
			status  *int
			errText *string
		)
		err := r.Scan(&a.ID, &a.DeliveryID, &a.EndpointID, &a.TenantID, &a.EventType, &a.Attempt,
			&a.AttemptedAt, &a.Succeeded, &status, &errText, &a.DurationMs)
		if status != nil {
			a.ResponseStatus = *status
		}
		if errText != nil {
			a.Error = *errText
		}
		return a, err
	})
	if err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
	}
	if list == nil {
		list = []signing.Attempt{}
	}
	more := len(list) > limit
	if more {
		list = list[:limit]
	}
	return list, more, nil
}

// RecentEntries lists the newest audit entries of one type (today only
// provider.error has the index for it) of sessions at provider, across
// tenants, newest first, at most limit.
func (s *Store) RecentEntries(ctx context.Context, eventType, provider string, limit int) ([]signing.AuditEntry, error) {
	rows, err := s.pool.Query(ctx, `SELECT a.id, a.session_id, a.tenant_id, a.type, a.from_status, a.to_status,
			a.detail, a.data, a.created_at
		FROM audit_entries a JOIN sessions s ON s.id = a.session_id
		WHERE a.type = $1 AND s.provider = $2 ORDER BY a.id DESC LIMIT $3`, eventType, provider, limit)
	if err != nil {
		return nil, dbErr("recent entries", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (signing.AuditEntry, error) {
		var (
			e    signing.AuditEntry
			data []byte
		)
		err := r.Scan(&e.ID, &e.SessionID, &e.TenantID, &e.Type, &e.FromStatus, &e.ToStatus, &e.Detail, &data, &e.CreatedAt)
		e.Data = dbcodec.FromNullJSON(data)
		return e, err
	})
	if list == nil {
		list = []signing.AuditEntry{}
	}
	return list, dbErr("recent entries", err)
}
