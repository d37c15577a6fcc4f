package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

// The store's side of the operator console (CONTRACT.md §9): API keys
// with ids, prefixes, last use and revocation; operators, their sessions
// and the record of wrong passwords; and the console's reads across
// tenants. SQLite is one process's database (or a few on one machine):
// a revocation is seen by the next lookup of any process, since the
// server caches credentials only where it can be told of revocations
// (PostgreSQL's LISTEN/NOTIFY).

// keyCols is the column list every API key query selects, in the order
// scanKey reads.
const keyCols = `k.id, k.prefix, k.created_at, k.last_used_at, k.revoked_at, t.id, t.name, t.created_at`

const keyFrom = ` FROM api_keys k JOIN tenants t ON t.id = k.tenant_id`

func scanKey(sc scanner) (auth.APIKey, error) {
	var (
		k                 auth.APIKey
		created, tcreated int64
		used, revoked     sql.NullInt64
	)
	if err := sc.Scan(&k.ID, &k.Prefix, &created, &used, &revoked, &k.Tenant.ID, &k.Tenant.Name, &tcreated); err != nil {
		return auth.APIKey{}, err
	}
	k.CreatedAt = fromMicros(created)
	k.LastUsedAt = fromNullMicros(used)
	k.RevokedAt = fromNullMicros(revoked)
	k.Tenant.CreatedAt = fromMicros(tcreated)
	return k, nil
}

// InsertAPIKey stores a new key. ErrConflict if its id or hash exists,
// ErrNotFound if its tenant does not.
func (s *Store) InsertAPIKey(ctx context.Context, k auth.APIKey, keyHash string) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO api_keys (key_hash, tenant_id, created_at, id, prefix)
		VALUES (?, ?, ?, ?, ?)`, keyHash, k.Tenant.ID, micros(dbcodec.OrDefault(k.CreatedAt, s.now())), k.ID, k.Prefix)
	return dbErr("insert api key", err)
}

// APIKeyByHash finds the working (not revoked) key of a hash; ErrNotFound
// if none.
func (s *Store) APIKeyByHash(ctx context.Context, keyHash string) (auth.APIKey, error) {
	k, err := scanKey(s.readRow(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.key_hash = ? AND k.revoked_at IS NULL`, keyHash))
	return k, dbErr("api key by hash", err)
}

// APIKeyByID reads a key, revoked or not; ErrNotFound if none.
func (s *Store) APIKeyByID(ctx context.Context, id string) (auth.APIKey, error) {
	k, err := scanKey(s.readRow(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.id = ?`, id))
	return k, dbErr("api key "+id, err)
}

// APIKeys lists the keys of a tenant, or of every tenant when tenantID is
// empty, revoked ones too, newest first.
func (s *Store) APIKeys(ctx context.Context, tenantID string) ([]auth.APIKey, error) {
	q, args := `SELECT `+keyCols+keyFrom, []any{}
	if tenantID != "" {
		q += ` WHERE k.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := s.readRows(ctx, q+` ORDER BY k.created_at DESC, k.id DESC`, args...)
	if err != nil {
		return nil, dbErr("api keys", err)
	}
	defer rows.Close()
	list := []auth.APIKey{}
	for rows.Next() {
		k, err := scanKey(rows)
		if err != nil {
			return nil, dbErr("api keys", err)
		}
		list = append(list, k)
	}
	return list, dbErr("api keys", rows.Err())
}

// RevokeAPIKey marks a key revoked at at unless it already is, and
// returns it. ErrNotFound if there is no such key.
func (s *Store) RevokeAPIKey(ctx context.Context, id string, at time.Time) (auth.APIKey, error) {
	var k auth.APIKey
	err := s.tx(ctx, func(tx wtx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL`,
			micros(at), id); err != nil {
			return err
		}
		var err error
		k, err = scanKey(tx.QueryRowContext(ctx, `SELECT `+keyCols+keyFrom+` WHERE k.id = ?`, id))
		return err
	})
	return k, dbErr("revoke api key "+id, err)
}

// TouchAPIKeys moves each key's last use forward to the given time, in
// one transaction.
func (s *Store) TouchAPIKeys(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx wtx) error {
		for id, at := range used {
			if _, err := tx.ExecContext(ctx, `UPDATE api_keys SET last_used_at = ?
				WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`, micros(at), id, micros(at)); err != nil {
				return err
			}
		}
		return nil
	})
	return dbErr("touch api keys", err)
}

// CreateOperator stores an operator; ErrConflict if the e-mail exists.
func (s *Store) CreateOperator(ctx context.Context, op auth.Operator) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO operators (id, email, password_hash, created_at) VALUES (?, ?, ?, ?)`,
		op.ID, op.Email, op.PasswordHash, micros(dbcodec.OrDefault(op.CreatedAt, s.now())))
	return dbErr("create operator", err)
}

// OperatorByEmail finds an operator by e-mail; ErrNotFound if none.
func (s *Store) OperatorByEmail(ctx context.Context, email string) (auth.Operator, error) {
	var (
		op      auth.Operator
		created int64
	)
	err := s.readRow(ctx, `SELECT id, email, password_hash, created_at FROM operators WHERE email = ?`, email).
		Scan(&op.ID, &op.Email, &op.PasswordHash, &created)
	op.CreatedAt = fromMicros(created)
	return op, dbErr("operator by email", err)
}

// CreateOperatorSession stores a console session; ErrNotFound if its
// operator does not exist, ErrConflict if its id does.
func (s *Store) CreateOperatorSession(ctx context.Context, os auth.OperatorSession) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO operator_sessions (id, operator_id, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?)`, os.ID, os.Operator.ID, micros(os.CreatedAt), micros(os.LastSeenAt), micros(os.ExpiresAt))
	return dbErr("create operator session", err)
}

// OperatorSession reads a console session with its operator (without
// the password hash); ErrNotFound if none.
func (s *Store) OperatorSession(ctx context.Context, id string) (auth.OperatorSession, error) {
	var (
		os                          auth.OperatorSession
		created, seen, exp, opSince int64
	)
	err := s.readRow(ctx, `SELECT s.id, s.created_at, s.last_seen_at, s.expires_at, o.id, o.email, o.created_at
		FROM operator_sessions s JOIN operators o ON o.id = s.operator_id WHERE s.id = ?`, id).
		Scan(&os.ID, &created, &seen, &exp, &os.Operator.ID, &os.Operator.Email, &opSince)
	if err != nil {
		return auth.OperatorSession{}, dbErr("operator session", err)
	}
	os.CreatedAt, os.LastSeenAt, os.ExpiresAt = fromMicros(created), fromMicros(seen), fromMicros(exp)
	os.Operator.CreatedAt = fromMicros(opSince)
	return os, nil
}

// TouchOperatorSession moves a session's last activity forward to at.
func (s *Store) TouchOperatorSession(ctx context.Context, id string, at time.Time) error {
	_, err := s.write.ExecContext(ctx, `UPDATE operator_sessions SET last_seen_at = ?
		WHERE id = ? AND last_seen_at < ?`, micros(at), id, micros(at))
	return dbErr("touch operator session", err)
}

// DeleteOperatorSession ends a console session (a missing one is fine).
func (s *Store) DeleteOperatorSession(ctx context.Context, id string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM operator_sessions WHERE id = ?`, id)
	return dbErr("delete operator session", err)
}

// DeleteOperatorSessionsBefore deletes sessions that expired before t.
func (s *Store) DeleteOperatorSessionsBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, `DELETE FROM operator_sessions WHERE expires_at < ?`, t)
}

// LoginFailures returns the failure records of the keys that have one.
func (s *Store) LoginFailures(ctx context.Context, keys []string) ([]auth.LoginFailures, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	args := make([]any, len(keys))
	for i, k := range keys {
		args[i] = k
	}
	rows, err := s.read.QueryContext(ctx, `SELECT key, failures, last_failure_at FROM login_failures
		WHERE key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
	if err != nil {
		return nil, dbErr("login failures", err)
	}
	defer rows.Close()
	var list []auth.LoginFailures
	for rows.Next() {
		var (
			f    auth.LoginFailures
			last int64
		)
		if err := rows.Scan(&f.Key, &f.Failures, &last); err != nil {
			return nil, dbErr("login failures", err)
		}
		f.Last = fromMicros(last)
		list = append(list, f)
	}
	return list, dbErr("login failures", rows.Err())
}

// RecordLoginFailure counts a failure under key in one statement; the
// count restarts at 1 after a quiet window.
func (s *Store) RecordLoginFailure(ctx context.Context, key string, at time.Time, window time.Duration) (int, error) {
	var n int
	err := s.write.QueryRowContext(ctx, `INSERT INTO login_failures (key, failures, last_failure_at) VALUES (?, 1, ?)
		ON CONFLICT (key) DO UPDATE SET
			failures = CASE WHEN last_failure_at <= ? THEN 1 ELSE failures + 1 END,
			last_failure_at = max(last_failure_at, excluded.last_failure_at)
		RETURNING failures`, key, micros(at), micros(at.Add(-window))).Scan(&n)
	return n, dbErr("record login failure", err)
}

// ClearLoginFailures forgets key's failures.
func (s *Store) ClearLoginFailures(ctx context.Context, key string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM login_failures WHERE key = ?`, key)
	return dbErr("clear login failures", err)
}

// DeleteLoginFailuresBefore deletes records last failed before t.
func (s *Store) DeleteLoginFailuresBefore(ctx context.Context, t time.Time) (int, error) {
	return s.deleteBefore(ctx, `DELETE FROM login_failures WHERE last_failure_at < ?`, t)
}

func (s *Store) deleteBefore(ctx context.Context, query string, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, query, micros(t))
	if err != nil {
		return 0, dbErr("delete expired", err)
	}
	n, err := res.RowsAffected()
	return int(n), dbErr("delete expired", err)
}

// Tenants lists every tenant by name.
func (s *Store) Tenants(ctx context.Context) ([]signing.Tenant, error) {
	rows, err := s.readRows(ctx, `SELECT id, name, created_at FROM tenants ORDER BY name, id`)
	if err != nil {
		return nil, dbErr("tenants", err)
	}
	defer rows.Close()
	list := []signing.Tenant{}
	for rows.Next() {
		var (
			t       signing.Tenant
			created int64
		)
		if err := rows.Scan(&t.ID, &t.Name, &created); err != nil {
			return nil, dbErr("tenants", err)
		}
		t.CreatedAt = fromMicros(created)
		list = append(list, t)
	}
	return list, dbErr("tenants", rows.Err())
}

// AllSessions lists sessions newest first like ListSessions, of every
// tenant when tenantID is empty: up to f.Limit and whether more follow.
func (s *Store) AllSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error) {
	if tenantID != "" {
		return s.ListSessions(ctx, tenantID, f)
	}
	if f.Limit < 1 {
		return nil, false, fmt.Errorf("sqlite: all sessions: %w: limit %d", signing.ErrInvalid, f.Limit)
	}
	q, args := allSessionsQuery(f)
	list, err := s.querySessions(ctx, cachedReads{s}, q, args...)
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
	add := func(cond string, v ...any) {
		where = append(where, cond)
		args = append(args, v...)
	}
	if f.OrderID != "" {
		add(`order_id = ?`, f.OrderID)
	}
	if f.Status != "" {
		add(`status = ?`, f.Status)
	}
	if f.Provider != "" {
		add(`provider = ?`, f.Provider)
	}
	if f.After != nil {
		add(`(created_at, id) < (?, ?)`, micros(f.After.CreatedAt), f.After.ID)
	}
	q := `SELECT ` + sessionCols + ` FROM sessions`
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	return q + ` ORDER BY created_at DESC, id DESC LIMIT ?`, append(args, f.Limit+1)
}

// AllEndpoints lists the webhook endpoints of a tenant, or of every
// tenant when tenantID is empty, newest first.
func (s *Store) AllEndpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error) {
	if tenantID != "" {
		return s.Endpoints(ctx, tenantID)
	}
	rows, err := s.readRows(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, dbErr("all endpoints", err)
	}
	defer rows.Close()
	list := []signing.Endpoint{}
	for rows.Next() {
		e, err := scanEndpoint(rows)
		if err != nil {
			return nil, dbErr("all endpoints", err)
		}
		list = append(list, e)
	}
	return list, dbErr("all endpoints", rows.Err())
}

// EndpointByID reads an endpoint of any tenant; ErrNotFound if none.
func (s *Store) EndpointByID(ctx context.Context, id string) (signing.Endpoint, error) {
	e, err := scanEndpoint(s.readRow(ctx, `SELECT `+endpointCols+` FROM webhook_endpoints WHERE id = ?`, id))
	return e, dbErr("endpoint "+id, err)
}

// queryAttemptsAfter is queryAttempts from a cursor on.
const queryAttemptsAfter = `SELECT a.id, a.delivery_id, a.endpoint_id, a.tenant_id, d.event_type, a.attempt,
		a.attempted_at, a.succeeded, a.response_status, a.error, a.duration_ms
	FROM webhook_attempts a CROSS JOIN webhook_deliveries d ON d.id = a.delivery_id
	WHERE a.endpoint_id = ? AND a.tenant_id = ? AND (a.attempted_at, a.id) < (?, ?)
	ORDER BY a.attempted_at DESC, a.id DESC LIMIT ?`

// AttemptsAfter lists an endpoint's attempts newest first (AttemptedAt,
// then ID, descending), after the position after when it is not nil (its
// CreatedAt is an attempt's AttemptedAt): up to limit, and whether more
// follow. ErrNotFound if the tenant has no such endpoint.
func (s *Store) AttemptsAfter(ctx context.Context, tenantID, endpointID string, limit int, after *signing.Cursor) ([]signing.Attempt, bool, error) {
	if limit < 1 {
		return nil, false, fmt.Errorf("sqlite: attempts: %w: limit %d", signing.ErrInvalid, limit)
	}
	var exists int
	if err := s.readRow(ctx, `SELECT count(*) FROM webhook_endpoints WHERE id = ? AND tenant_id = ?`,
		endpointID, tenantID).Scan(&exists); err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
	}
	if exists == 0 {
		return nil, false, fmt.Errorf("sqlite: attempts %s: %w", endpointID, signing.ErrNotFound)
	}
	q, args := queryAttempts, []any{endpointID, tenantID, limit + 1}
	if after != nil {
		q, args = queryAttemptsAfter, []any{endpointID, tenantID, micros(after.CreatedAt), after.ID, limit + 1}
	}
	rows, err := s.readRows(ctx, q, args...)
	if err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
	}
	defer rows.Close()
	list := []signing.Attempt{}
	for rows.Next() {
		var (
			a         signing.Attempt
			attempted int64
			status    sql.NullInt64
			errText   sql.NullString
		)
		if err := rows.Scan(&a.ID, &a.DeliveryID, &a.EndpointID, &a.TenantID, &a.EventType, &a.Attempt,
			&attempted, &a.Succeeded, &status, &errText, &a.DurationMs); err != nil {
			return nil, false, dbErr("attempts "+endpointID, err)
		}
		a.AttemptedAt = fromMicros(attempted)
		a.ResponseStatus = int(status.Int64)
		a.Error = errText.String
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, false, dbErr("attempts "+endpointID, err)
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
	rows, err := s.readRows(ctx, `SELECT a.id, a.session_id, a.tenant_id, a.type, a.from_status, a.to_status,
			a.detail, a.data, a.created_at
		FROM audit_entries a CROSS JOIN sessions s ON s.id = a.session_id
		WHERE a.type = ? AND s.provider = ? ORDER BY a.id DESC LIMIT ?`, eventType, provider, limit)
	if err != nil {
		return nil, dbErr("recent entries", err)
	}
	defer rows.Close()
	list := []signing.AuditEntry{}
	for rows.Next() {
		var (
			e       signing.AuditEntry
			data    sql.NullString
			created int64
		)
		if err := rows.Scan(&e.ID, &e.SessionID, &e.TenantID, &e.Type, &e.FromStatus, &e.ToStatus,
			&e.Detail, &data, &created); err != nil {
			return nil, dbErr("recent entries", err)
		}
		e.Data = fromNullText(data)
		e.CreatedAt = fromMicros(created)
		list = append(list, e)
	}
	return list, dbErr("recent entries", rows.Err())
}

// RevocationCheck is how often WatchRevocations looks for revocations.
const RevocationCheck = 250 * time.Millisecond

// WatchRevocations reports API key revocations committed by any process
// on the database file (the `signet apikey revoke` command, say) until
// ctx ends. SQLite has no notifications, so it reads a mark of the
// revocations (how many keys are revoked, and the latest time) every
// RevocationCheck: ready(true, nil) once it has read it, revoked() when
// it changes, and ready(false, why) while it cannot read it. A revocation
// therefore reaches a server's key cache within RevocationCheck.
func (s *Store) WatchRevocations(ctx context.Context, revoked func(), ready func(up bool, why error)) {
	var last string
	up := false
	t := time.NewTicker(RevocationCheck)
	defer t.Stop()
	for {
		var n, latest int64
		err := s.readRow(ctx, `SELECT count(*), coalesce(max(revoked_at), 0) FROM api_keys WHERE revoked_at IS NOT NULL`).Scan(&n, &latest)
		switch {
		case ctx.Err() != nil:
		case err != nil && up:
			up = false
			ready(false, dbErr("watch revocations", err))
		case err == nil:
			mark := fmt.Sprint(n, "/", latest)
			if up && mark != last {
				revoked()
			}
			last = mark
			if !up {
				up = true
				ready(true, nil)
			}
		}
		select {
		case <-ctx.Done():
			ready(false, ctx.Err())
			return
		case <-t.C:
		}
	}
}
