package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/signet-dev/signet/internal/blob"
	blobdb "github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/signing"
)

// sessionCols is the column list every session query selects, in the order
// scanSession reads.
const sessionCols = `id, tenant_id, order_id, status, signer_details, provider, language,
	signers, signing_order, provider_completed_at, return_url, failure_reason, metadata, document_name,
	provider_ref, provider_state, created_at, updated_at, completed_at, expires_at,
	next_poll_at, version`

type scanner interface{ Scan(dest ...any) error }

func scanSession(sc scanner) (*signing.Session, error) {
	var (
		s                                      signing.Session
		signer, signers                        string
		metadata, state                        sql.NullString
		created, updated                       int64
		expires                                int64
		completed, nextPoll, providerCompleted sql.NullInt64
	)
	err := sc.Scan(&s.ID, &s.TenantID, &s.OrderID, &s.Status, &signer, &s.Provider, &s.Language,
		&signers, &s.SigningOrder, &providerCompleted, &s.ReturnURL, &s.FailureReason, &metadata, &s.DocumentName,
		&s.ProviderRef, &state, &created, &updated, &completed, &expires,
		&nextPoll, &s.Version)
	if err != nil {
		return nil, err
	}
	if s.Metadata, err = decodeMap(metadata); err != nil {
		return nil, fmt.Errorf("session %s: metadata: %w", s.ID, err)
	}
	if s.Signers, err = dbcodec.DecodeSigners([]byte(signers)); err != nil {
		return nil, fmt.Errorf("session %s: signers: %w", s.ID, err)
	}
	s.ProviderCompletedAt = fromNullMicros(providerCompleted)
	s.SignerDetails = []byte(signer)
	s.ProviderState = fromNullText(state)
	s.CreatedAt = fromMicros(created)
	s.UpdatedAt = fromMicros(updated)
	s.ExpiresAt = fromMicros(expires)
	s.CompletedAt = fromNullMicros(completed)
	s.NextPollAt = fromNullMicros(nextPoll)
	return &s, nil
}

// CreateSession stores a new session at version 1 (and sets s.Version to
// it), with its original document and audit entries (with the deliveries of
// their webhooks), in one transaction.
// ErrConflict if the id exists, ErrNotFound if the tenant does not.
func (s *Store) CreateSession(ctx context.Context, sess *signing.Session, original signing.Document, entries []signing.AuditEntry) error {
	if sess == nil {
		return fmt.Errorf("sqlite: create session: %w: nil session", signing.ErrInvalid)
	}
	metadata, err := encodeMap(sess.Metadata)
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w: metadata: %w", signing.ErrInvalid, err)
	}
	signers, err := dbcodec.EncodeSigners(sess.Signers)
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w: signers: %w", signing.ErrInvalid, err)
	}
	// The document's blob first, then the row that names it (package
	// blob); in this database, the blob's last rows go in the same
	// transaction as the session.
	original, placed, err := blobdb.Place(ctx, s.own, s.docs, original)
	if err != nil {
		return fmt.Errorf("sqlite: create session %s: %w", sess.ID, err)
	}
	const version = 1
	err = s.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (`+sessionCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.ID, sess.TenantID, sess.OrderID, sess.Status, string(sess.SignerDetails), sess.Provider, sess.Language,
			string(signers), string(sess.SigningOrder), nullMicros(sess.ProviderCompletedAt), sess.ReturnURL, sess.FailureReason, metadata, sess.DocumentName,
			sess.ProviderRef, nullText(sess.ProviderState), micros(sess.CreatedAt), micros(sess.UpdatedAt),
			nullMicros(sess.CompletedAt), micros(sess.ExpiresAt), nullMicros(sess.NextPollAt), version)
		if err != nil {
			return err
		}
		if st := placed.Staged; st != nil {
			if err := putBlob(ctx, tx, st.Header, st.Last); err != nil {
				return err
			}
		}
		if err := putDocument(ctx, tx, sess, signing.DocumentOriginal, original); err != nil {
			return err
		}
		if err := addLinks(ctx, tx, sess); err != nil {
			return err
		}
		return addEntries(ctx, tx, sess, entries)
	})
	if err != nil {
		placed.Discard()
		return dbErr("create session "+sess.ID, err)
	}
	sess.Version = version
	return nil
}

// Session reads one session of a tenant; ErrNotFound if none.
func (s *Store) Session(ctx context.Context, tenantID, id string) (*signing.Session, error) {
	if sess, ok := s.sessions.get(tenantID, id); ok {
		return sess, nil
	}
	epoch := s.sessions.begin()
	sess, err := scanSession(s.readRow(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE id = ? AND tenant_id = ?`, id, tenantID))
	if err != nil {
		return nil, dbErr("session "+id, err)
	}
	s.sessions.put(sess, epoch)
	return sess, nil
}

// SessionByID reads a session regardless of tenant; ErrNotFound if none.
func (s *Store) SessionByID(ctx context.Context, id string) (*signing.Session, error) {
	if sess, ok := s.sessions.get("", id); ok {
		return sess, nil
	}
	epoch := s.sessions.begin()
	sess, err := scanSession(s.readRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = ?`, id))
	if err != nil {
		return nil, dbErr("session "+id, err)
	}
	s.sessions.put(sess, epoch)
	return sess, nil
}

const queryByProviderRef = `SELECT ` + sessionCols + ` FROM sessions
	WHERE provider = ? AND provider_ref = ? ORDER BY created_at DESC, id DESC LIMIT 1`

// SessionByProviderRef finds a session by its provider's reference;
// ErrNotFound if none. Should a provider ever reuse a reference, the newest
// session wins.
func (s *Store) SessionByProviderRef(ctx context.Context, provider, ref string) (*signing.Session, error) {
	if ref == "" {
		return nil, fmt.Errorf("sqlite: session by provider ref: %w: empty ref", signing.ErrNotFound)
	}
	sess, err := scanSession(s.readRow(ctx, queryByProviderRef, provider, ref))
	if err != nil {
		return nil, dbErr("session by provider ref "+provider+"/"+ref, err)
	}
	return sess, nil
}

// ListSessions lists a tenant's sessions newest first, continuing after
// f.After. It fetches one row more than asked to learn whether more follow.
func (s *Store) ListSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error) {
	if f.Limit < 1 {
		return nil, false, fmt.Errorf("sqlite: list sessions: %w: limit %d", signing.ErrInvalid, f.Limit)
	}
	q, args := listQuery(tenantID, f)
	list, err := s.querySessions(ctx, cachedReads{s}, q, args...)
	if err != nil {
		return nil, false, dbErr("list sessions", err)
	}
	more := len(list) > f.Limit
	if more {
		list = list[:f.Limit]
	}
	return list, more, nil
}

// listQuery builds the keyset-paginated list query; the row-value
// comparison lets SQLite seek straight to the cursor in the index.
func listQuery(tenantID string, f signing.ListFilter) (string, []any) {
	var q strings.Builder
	q.WriteString(`SELECT ` + sessionCols + ` FROM sessions WHERE tenant_id = ?`)
	args := []any{tenantID}
	if f.OrderID != "" {
		q.WriteString(` AND order_id = ?`)
		args = append(args, f.OrderID)
	}
	if f.Status != "" {
		q.WriteString(` AND status = ?`)
		args = append(args, f.Status)
	}
	if f.Provider != "" {
		q.WriteString(` AND provider = ?`)
		args = append(args, f.Provider)
	}
	if f.After != nil {
		q.WriteString(` AND (created_at, id) < (?, ?)`)
		args = append(args, micros(f.After.CreatedAt), f.After.ID)
	}
	q.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ?`)
	return q.String(), append(args, f.Limit+1)
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// querySessions runs a query selecting sessionCols; it never returns a nil
// slice without an error.
func (s *Store) querySessions(ctx context.Context, db querier, query string, args ...any) ([]*signing.Session, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	list := []*signing.Session{}
	for rows.Next() {
		sess, err := scanSession(rows)
		if err != nil {
			return nil, err
		}
		list = append(list, sess)
	}
	return list, rows.Err()
}

// UpdateSession applies c in one transaction, conditional on its version.
func (s *Store) UpdateSession(ctx context.Context, c signing.Change) error {
	if c.Session == nil {
		return fmt.Errorf("sqlite: update session: %w: nil session", signing.ErrInvalid)
	}
	put, err := blob.PutSigned(ctx, s.docs, []signing.Change{c})
	if err != nil {
		return fmt.Errorf("sqlite: update session %s: %w", c.Session.ID, err)
	}
	c = put.Changes[0]
	var version int64
	defer s.sessions.forget(c.Session.ID) // committed or not: see sessionCache
	err = s.tx(ctx, func(tx wtx) (err error) {
		version, err = applyChange(ctx, tx, c)
		return err
	})
	if err != nil {
		put.Discard(nil)
		return dbErr("update session "+c.Session.ID, err)
	}
	c.Session.Version = version
	return nil
}

// UpdateSessions applies many changes in one transaction; a change whose
// session moved on (ErrStale) or vanished (ErrNotFound) is skipped and
// reported in its slot, anything else rolls all of them back.
func (s *Store) UpdateSessions(ctx context.Context, changes []signing.Change) ([]error, error) {
	for _, c := range changes {
		if c.Session == nil {
			return nil, fmt.Errorf("sqlite: update sessions: %w: nil session", signing.ErrInvalid)
		}
	}
	put, err := blob.PutSigned(ctx, s.docs, changes)
	if err != nil {
		return nil, fmt.Errorf("sqlite: update sessions: %w", err)
	}
	changes = put.Changes
	results := make([]error, len(changes))
	versions := make([]int64, len(changes))
	defer s.sessions.forgetChanges(changes)
	err = s.tx(ctx, func(tx wtx) error {
		for i, c := range changes {
			v, err := applyChange(ctx, tx, c)
			if errors.Is(err, signing.ErrStale) || errors.Is(err, signing.ErrNotFound) {
				results[i] = err
				continue
			}
			if err != nil {
				return fmt.Errorf("session %s: %w", c.Session.ID, err)
			}
			versions[i], results[i] = v, nil
		}
		return nil
	})
	if err != nil {
		put.Discard(nil)
		return nil, dbErr("update sessions", err)
	}
	put.Discard(results)
	for i, c := range changes {
		if results[i] == nil {
			c.Session.Version = versions[i]
		}
	}
	return results, nil
}

// applyChange writes one change inside tx and returns the new version.
// ErrStale and ErrNotFound are found before anything is written, so that
// UpdateSessions can skip such a change and go on with the next.
func applyChange(ctx context.Context, tx wtx, c signing.Change) (int64, error) {
	n := c.Session
	cols, vals, err := changedColumns(c)
	if err != nil {
		return 0, err
	}
	var q strings.Builder
	q.WriteString("UPDATE sessions SET ")
	for _, col := range cols {
		q.WriteString(col + " = ?, ")
	}
	q.WriteString("version = ? WHERE id = ? AND tenant_id = ? AND version = ?")
	version := c.ExpectVersion + 1
	res, err := tx.ExecContext(ctx, q.String(), append(vals, version, n.ID, n.TenantID, c.ExpectVersion)...)
	if err != nil {
		return 0, err
	}
	if matched, err := res.RowsAffected(); err != nil {
		return 0, err
	} else if matched == 0 {
		// Nothing matched: tell a lost race from a missing session.
		var exists int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE id = ? AND tenant_id = ?`,
			n.ID, n.TenantID).Scan(&exists); err != nil {
			return 0, err
		}
		if exists == 0 {
			return 0, signing.ErrNotFound
		}
		return 0, fmt.Errorf("%w: want version %d", signing.ErrStale, c.ExpectVersion)
	}
	if c.Signed != nil {
		if err := putDocument(ctx, tx, n, signing.DocumentSigned, *c.Signed); err != nil {
			return 0, err
		}
	}
	return version, addEntries(ctx, tx, n, c.Entries)
}

// updatableCols are the columns an update may write, in the order of
// updatableValues; id, tenant_id and created_at never change.
var updatableCols = []string{"order_id", "status", "signer_details", "provider", "language",
	"signers", "signing_order", "provider_completed_at", "return_url", "failure_reason", "metadata", "document_name",
	"provider_ref", "provider_state", "updated_at", "completed_at", "expires_at", "next_poll_at"}

func updatableValues(s *signing.Session) ([]any, error) {
	metadata, err := encodeMap(s.Metadata)
	if err != nil {
		return nil, fmt.Errorf("%w: metadata: %w", signing.ErrInvalid, err)
	}
	signers, err := dbcodec.EncodeSigners(s.Signers)
	if err != nil {
		return nil, fmt.Errorf("%w: signers: %w", signing.ErrInvalid, err)
	}
	return []any{s.OrderID, string(s.Status), string(s.SignerDetails), s.Provider, s.Language,
		string(signers), string(s.SigningOrder), nullMicros(s.ProviderCompletedAt), s.ReturnURL, s.FailureReason, metadata, s.DocumentName,
		s.ProviderRef, nullText(s.ProviderState), micros(s.UpdatedAt), nullMicros(s.CompletedAt),
		micros(s.ExpiresAt), nullMicros(s.NextPollAt)}, nil
}

// changedColumns is what c writes: with c.Before, only the columns whose
// values differ, because SQLite rewrites the index entries of every
// column an UPDATE sets, changed or not; without it, all of them.
func changedColumns(c signing.Change) ([]string, []any, error) {
	vals, err := updatableValues(c.Session)
	if err != nil || c.Before == nil || c.Before.Version != c.ExpectVersion {
		return updatableCols, vals, err
	}
	old, err := updatableValues(c.Before)
	if err != nil {
		return updatableCols, vals, nil
	}
	var cols []string
	var changed []any
	for i, v := range vals {
		if v != old[i] {
			cols, changed = append(cols, updatableCols[i]), append(changed, v)
		}
	}
	return cols, changed, nil
}

// putDocument stores (or replaces) a session's document of a kind. A zero
// CreatedAt defaults to the session's UpdatedAt.
func putDocument(ctx context.Context, tx wtx, sess *signing.Session, kind signing.DocumentKind, d signing.Document) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO documents (session_id, kind, filename, content, blob_key, sha256, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (session_id, kind) DO UPDATE SET filename = excluded.filename,
			content = excluded.content, blob_key = excluded.blob_key, sha256 = excluded.sha256, created_at = excluded.created_at`,
		sess.ID, kind, d.Filename, content(d), nullText([]byte(d.BlobKey)), d.SHA256, micros(dbcodec.OrDefault(d.CreatedAt, sess.UpdatedAt)))
	return err
}

// content is what a document row holds of d: nothing when a blob does.
func content(d signing.Document) any {
	if d.BlobKey != "" {
		return nil
	}
	return dbcodec.Blob(d.Content)
}

// addEntries appends audit entries to a session's trail. Session and tenant
// always come from the session; a zero CreatedAt defaults to its UpdatedAt.
// An entry with a Webhook body also queues its deliveries (fanOut), in the
// same transaction: the outbox.
func addEntries(ctx context.Context, tx wtx, sess *signing.Session, entries []signing.AuditEntry) error {
	for _, e := range entries {
		at := dbcodec.OrDefault(e.CreatedAt, sess.UpdatedAt)
		res, err := tx.ExecContext(ctx, `INSERT INTO audit_entries
			(session_id, tenant_id, type, signer_id, from_status, to_status, detail, data, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			sess.ID, sess.TenantID, e.Type, e.SignerID, e.FromStatus, e.ToStatus, e.Detail, nullText(e.Data), micros(at))
		if err != nil {
			return err
		}
		if len(e.Webhook) == 0 {
			continue
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := fanOut(ctx, tx, sess, e, id, at); err != nil {
			return err
		}
	}
	return nil
}

// Document returns a session's document of a kind, its content read from
// its blob; ErrNotFound if the tenant has no such session or the session
// no such document.
func (s *Store) Document(ctx context.Context, tenantID, sessionID string, kind signing.DocumentKind) (signing.Document, error) {
	d, err := s.DocumentHeader(ctx, tenantID, sessionID, kind)
	if err != nil {
		return d, err
	}
	if err := blob.ReadDocument(ctx, s.docs, &d); err != nil {
		return signing.Document{}, fmt.Errorf("sqlite: %w", err)
	}
	return d, nil
}

// DocumentHeader is Document without reading its blob.
func (s *Store) DocumentHeader(ctx context.Context, tenantID, sessionID string, kind signing.DocumentKind) (signing.Document, error) {
	d := signing.Document{SessionID: sessionID, Kind: kind}
	var created int64
	var key sql.NullString
	err := s.readRow(ctx, `SELECT d.filename, d.content, d.blob_key, d.sha256, d.created_at
		FROM documents d JOIN sessions s ON s.id = d.session_id
		WHERE d.session_id = ? AND d.kind = ? AND s.tenant_id = ?`, sessionID, kind, tenantID).
		Scan(&d.Filename, &d.Content, &key, &d.SHA256, &created)
	if err != nil {
		return signing.Document{}, dbErr(fmt.Sprintf("document %s/%s", sessionID, kind), err)
	}
	d.BlobKey, d.CreatedAt = key.String, fromMicros(created)
	return d, nil
}

// AuditTrail lists a session's audit entries oldest first (in the order
// they were written). ErrNotFound if the tenant has no such session.
func (s *Store) AuditTrail(ctx context.Context, tenantID, sessionID string) ([]signing.AuditEntry, error) {
	var exists int
	if err := s.readRow(ctx, `SELECT count(*) FROM sessions WHERE id = ? AND tenant_id = ?`,
		sessionID, tenantID).Scan(&exists); err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
	}
	if exists == 0 {
		return nil, fmt.Errorf("sqlite: audit trail %s: %w", sessionID, signing.ErrNotFound)
	}
	rows, err := s.readRows(ctx, `SELECT id, session_id, tenant_id, type, from_status, to_status,
		detail, data, created_at, signer_id FROM audit_entries WHERE session_id = ? AND tenant_id = ? ORDER BY id`,
		sessionID, tenantID)
	if err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
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
			&e.Detail, &data, &created, &e.SignerID); err != nil {
			return nil, dbErr("audit trail "+sessionID, err)
		}
		e.Data = fromNullText(data)
		e.CreatedAt = fromMicros(created)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
	}
	return list, nil
}

// addLinks indexes the signer links of a new session.
func addLinks(ctx context.Context, tx wtx, sess *signing.Session) error {
	for _, sg := range sess.Signers {
		if sg.LinkHash == "" {
			continue
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signer_links (token_hash, session_id, signer_id) VALUES (?, ?, ?)`,
			sg.LinkHash, sess.ID, sg.ID); err != nil {
			return err
		}
	}
	return nil
}

// SessionBySignerLink finds the session and signer of a signer link's
// token hash, in any tenant; ErrNotFound if none.
func (s *Store) SessionBySignerLink(ctx context.Context, tokenHash string) (*signing.Session, string, error) {
	var signerID string
	row := s.readRow(ctx, `SELECT `+sessionCols+`, l.signer_id FROM signer_links l JOIN sessions ON sessions.id = l.session_id
		WHERE l.token_hash = ?`, tokenHash)
	sess, err := scanSession(scanWith{row, []any{&signerID}})
	if err != nil {
		return nil, "", dbErr("session by signer link", err)
	}
	return sess, signerID, nil
}

// SignersWithoutLinks lists up to limit signers whose link is not indexed.
func (s *Store) SignersWithoutLinks(ctx context.Context, limit int) ([]signing.SignerLink, error) {
	rows, err := s.readRows(ctx, `SELECT s.id, j.value ->> 'id' FROM sessions s, json_each(s.signers) j
		WHERE NOT EXISTS (SELECT 1 FROM signer_links l WHERE l.signer_id = j.value ->> 'id') LIMIT ?`, limit)
	if err != nil {
		return nil, dbErr("signers without links", err)
	}
	defer rows.Close()
	var out []signing.SignerLink
	for rows.Next() {
		var l signing.SignerLink
		if err := rows.Scan(&l.SessionID, &l.SignerID); err != nil {
			return nil, dbErr("signers without links", err)
		}
		out = append(out, l)
	}
	return out, dbErr("signers without links", rows.Err())
}

// AddSignerLinks indexes signer links, leaving those indexed already.
func (s *Store) AddSignerLinks(ctx context.Context, links []signing.SignerLink) error {
	err := s.tx(ctx, func(tx wtx) error {
		for _, l := range links {
			if _, err := tx.ExecContext(ctx, `INSERT INTO signer_links (token_hash, session_id, signer_id) VALUES (?, ?, ?)
				ON CONFLICT DO NOTHING`, l.TokenHash, l.SessionID, l.SignerID); err != nil {
				return err
			}
		}
		return nil
	})
	return dbErr("add signer links", err)
}

// scanWith scans a row of sessionCols followed by more columns.
type scanWith struct {
	sc    scanner
	extra []any
}

func (w scanWith) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }
