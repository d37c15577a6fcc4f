package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

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
		s                               signing.Session
		signer, signers, meta, provider []byte
	)
	err := sc.Scan(&s.ID, &s.TenantID, &s.OrderID, &s.Status, &signer, &s.Provider, &s.Language,
		&signers, &s.SigningOrder, &s.ProviderCompletedAt, &s.ReturnURL, &s.FailureReason, &meta, &s.DocumentName,
		&s.ProviderRef, &provider, &s.CreatedAt, &s.UpdatedAt, &s.CompletedAt, &s.ExpiresAt,
		&s.NextPollAt, &s.Version)
	if err != nil {
		return nil, err
	}
	if s.Metadata, err = dbcodec.DecodeMap(meta); err != nil {
		return nil, fmt.Errorf("session %s: metadata: %w", s.ID, err)
	}
	if s.Signers, err = dbcodec.DecodeSigners(signers); err != nil {
		return nil, fmt.Errorf("session %s: signers: %w", s.ID, err)
	}
	s.SignerDetails = signer
	s.ProviderState = dbcodec.FromNullJSON(provider)
	return &s, nil
}

// CreateSession stores a new session at version 1 (and sets s.Version to
// it), with its original document and audit entries (with the deliveries of
// their webhooks), in one transaction, sent as one batch.
// ErrConflict if the id exists, ErrNotFound if the tenant does not.
func (s *Store) CreateSession(ctx context.Context, sess *signing.Session, original signing.Document, entries []signing.AuditEntry) error {
	if sess == nil {
		return fmt.Errorf("postgres: create session: %w: nil session", signing.ErrInvalid)
	}
	metadata, err := dbcodec.EncodeMap(sess.Metadata)
	if err != nil {
		return fmt.Errorf("postgres: create session: %w: metadata: %w", signing.ErrInvalid, err)
	}
	signers, err := dbcodec.EncodeSigners(sess.Signers)
	if err != nil {
		return fmt.Errorf("postgres: create session: %w: signers: %w", signing.ErrInvalid, err)
	}
	// The document's blob first, then the row that names it (package
	// blob); in this database, the blob's last rows go in the same
	// transaction as the session.
	original, placed, err := blobdb.Place(ctx, s.own, s.docs, original)
	if err != nil {
		return fmt.Errorf("postgres: create session %s: %w", sess.ID, err)
	}
	const version = 1
	b := &pgx.Batch{}
	if st := placed.Staged; st != nil {
		queueBlob(b, st.Header, st.Last)
	}
	b.Queue(`INSERT INTO sessions (`+sessionCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)`,
		sess.ID, sess.TenantID, sess.OrderID, string(sess.Status), []byte(sess.SignerDetails), sess.Provider, sess.Language,
		signers, string(sess.SigningOrder), sess.ProviderCompletedAt, sess.ReturnURL, sess.FailureReason, metadata, sess.DocumentName,
		sess.ProviderRef, dbcodec.NullJSON(sess.ProviderState), sess.CreatedAt, sess.UpdatedAt,
		sess.CompletedAt, sess.ExpiresAt, sess.NextPollAt, version)
	queueDocument(b, sess, signing.DocumentOriginal, original)
	for _, sg := range sess.Signers {
		if sg.LinkHash != "" {
			b.Queue(`INSERT INTO signer_links (token_hash, session_id, signer_id) VALUES ($1, $2, $3)`, sg.LinkHash, sess.ID, sg.ID)
		}
	}
	if err := queueEntries(b, sess, entries); err != nil {
		placed.Discard()
		return dbErr("create session "+sess.ID, err)
	}
	// A batch sent outside a transaction is one implicit transaction
	// (one Sync): all of it or none, without a BEGIN and a COMMIT round
	// trip of its own.
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		placed.Discard()
		return dbErr("create session "+sess.ID, err)
	}
	sess.Version = version
	return nil
}

// Session reads one session of a tenant; ErrNotFound if none.
func (s *Store) Session(ctx context.Context, tenantID, id string) (*signing.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx,
		`SELECT `+sessionCols+` FROM sessions WHERE id = $1 AND tenant_id = $2`, id, tenantID))
	if err != nil {
		return nil, dbErr("session "+id, err)
	}
	return sess, nil
}

// SessionByID reads a session regardless of tenant; ErrNotFound if none.
func (s *Store) SessionByID(ctx context.Context, id string) (*signing.Session, error) {
	sess, err := scanSession(s.pool.QueryRow(ctx, `SELECT `+sessionCols+` FROM sessions WHERE id = $1`, id))
	if err != nil {
		return nil, dbErr("session "+id, err)
	}
	return sess, nil
}

const queryByProviderRef = `SELECT ` + sessionCols + ` FROM sessions
	WHERE provider = $1 AND provider_ref = $2 ORDER BY created_at DESC, id DESC LIMIT 1`

// SessionByProviderRef finds a session by its provider's reference;
// ErrNotFound if none. Should a provider ever reuse a reference, the newest
// session wins.
func (s *Store) SessionByProviderRef(ctx context.Context, provider, ref string) (*signing.Session, error) {
	if ref == "" {
		return nil, fmt.Errorf("postgres: session by provider ref: %w: empty ref", signing.ErrNotFound)
	}
	sess, err := scanSession(s.pool.QueryRow(ctx, queryByProviderRef, provider, ref))
	if err != nil {
		return nil, dbErr("session by provider ref "+provider+"/"+ref, err)
	}
	return sess, nil
}

// ListSessions lists a tenant's sessions newest first, continuing after
// f.After. It fetches one row more than asked to learn whether more follow.
func (s *Store) ListSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error) {
	if f.Limit < 1 {
		return nil, false, fmt.Errorf("postgres: list sessions: %w: limit %d", signing.ErrInvalid, f.Limit)
	}
	q, args := listQuery(tenantID, f)
	list, err := s.querySessions(ctx, s.pool, q, args...)
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
// comparison lets PostgreSQL seek straight to the cursor in the index.
func listQuery(tenantID string, f signing.ListFilter) (string, []any) {
	var q strings.Builder
	args := []any{tenantID}
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	q.WriteString(`SELECT ` + sessionCols + ` FROM sessions WHERE tenant_id = $1`)
	if f.OrderID != "" {
		q.WriteString(` AND order_id = ` + arg(f.OrderID))
	}
	if f.Status != "" {
		q.WriteString(` AND status = ` + arg(string(f.Status)))
	}
	if f.Provider != "" {
		q.WriteString(` AND provider = ` + arg(f.Provider))
	}
	if f.After != nil {
		q.WriteString(` AND (created_at, id) < (` + arg(f.After.CreatedAt) + `, ` + arg(f.After.ID) + `)`)
	}
	q.WriteString(` ORDER BY created_at DESC, id DESC LIMIT ` + arg(f.Limit+1))
	return q.String(), args
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// querySessions runs a query selecting sessionCols; it never returns a nil
// slice without an error.
func (s *Store) querySessions(ctx context.Context, db querier, query string, args ...any) ([]*signing.Session, error) {
	rows, err := db.Query(ctx, query, args...)
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

// UpdateSession applies c in one transaction: the conditional update, its
// audit entries (with the deliveries of their webhooks) and the signed
// document. ErrStale if the stored version is not c.ExpectVersion,
// ErrNotFound if the tenant has no such session. On success
// c.Session.Version is the new version.
func (s *Store) UpdateSession(ctx context.Context, c signing.Change) error {
	if c.Session == nil {
		return fmt.Errorf("postgres: update session: %w: nil session", signing.ErrInvalid)
	}
	put, err := blob.PutSigned(ctx, s.docs, []signing.Change{c})
	if err != nil {
		return fmt.Errorf("postgres: update session %s: %w", c.Session.ID, err)
	}
	var (
		results  []error
		versions []int64
	)
	err = s.tx(ctx, func(tx pgx.Tx) (err error) {
		results, versions, err = applyChanges(ctx, tx, put.Changes)
		return err
	})
	if err != nil {
		put.Discard(nil)
		return dbErr("update session "+c.Session.ID, err)
	}
	put.Discard(results)
	if results[0] != nil {
		return fmt.Errorf("postgres: update session %s: %w", c.Session.ID, results[0])
	}
	c.Session.Version = versions[0]
	return nil
}

// UpdateSessions applies many changes in one transaction; a change whose
// session moved on (ErrStale) or is not the tenant's (ErrNotFound) is
// skipped and reported in its slot, anything else rolls all of them back.
// The statements go in pipelined batches, so that ten thousand changes
// take a handful of round trips, not ten thousand.
func (s *Store) UpdateSessions(ctx context.Context, changes []signing.Change) ([]error, error) {
	for _, c := range changes {
		if c.Session == nil {
			return nil, fmt.Errorf("postgres: update sessions: %w: nil session", signing.ErrInvalid)
		}
	}
	if len(changes) == 0 {
		return []error{}, nil
	}
	put, err := blob.PutSigned(ctx, s.docs, changes)
	if err != nil {
		return nil, fmt.Errorf("postgres: update sessions: %w", err)
	}
	var (
		results  []error
		versions []int64
	)
	err = s.tx(ctx, func(tx pgx.Tx) (err error) {
		results, versions, err = applyChanges(ctx, tx, put.Changes)
		return err
	})
	if err != nil {
		put.Discard(nil)
		return nil, dbErr("update sessions", err)
	}
	put.Discard(results)
	for i, r := range results {
		if r != nil {
			results[i] = fmt.Errorf("postgres: update session %s: %w", changes[i].Session.ID, r)
		} else {
			changes[i].Session.Version = versions[i]
		}
	}
	return results, nil
}

// queueDocument stores (or replaces) a session's document of a kind. A
// zero CreatedAt defaults to the session's UpdatedAt.
func queueDocument(b *pgx.Batch, sess *signing.Session, kind signing.DocumentKind, d signing.Document) {
	b.Queue(`INSERT INTO documents (session_id, kind, filename, content, blob_key, sha256, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (session_id, kind) DO UPDATE SET filename = excluded.filename,
			content = excluded.content, blob_key = excluded.blob_key, sha256 = excluded.sha256, created_at = excluded.created_at`,
		sess.ID, string(kind), d.Filename, content(d), blobKey(d), d.SHA256, dbcodec.OrDefault(d.CreatedAt, sess.UpdatedAt))
}

// content and blobKey are what a document row holds of d: its blob's
// key, or, for a document given without one, its bytes.
func content(d signing.Document) []byte {
	if d.BlobKey != "" {
		return nil
	}
	return dbcodec.Blob(d.Content)
}

func blobKey(d signing.Document) *string {
	if d.BlobKey == "" {
		return nil
	}
	return &d.BlobKey
}

const queryAddEntry = `INSERT INTO audit_entries
	(session_id, tenant_id, type, from_status, to_status, detail, data, created_at, signer_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`

// queueEntries appends audit entries to a session's trail. Session and
// tenant always come from the session; a zero CreatedAt defaults to its
// UpdatedAt. An entry with a Webhook body also queues its deliveries, in
// the same statement and so the same transaction: the outbox.
func queueEntries(b *pgx.Batch, sess *signing.Session, entries []signing.AuditEntry) error {
	for _, e := range entries {
		at := dbcodec.OrDefault(e.CreatedAt, sess.UpdatedAt)
		args := []any{sess.ID, sess.TenantID, e.Type, string(e.FromStatus), string(e.ToStatus), e.Detail,
			dbcodec.NullJSON(e.Data), at, e.SignerID}
		if len(e.Webhook) == 0 {
			b.Queue(queryAddEntry, args...)
			continue
		}
		u, err := uuid.NewV7()
		if err != nil {
			return err
		}
		prefix := u.String()[:19] // "tttttttt-tttt-7sss-": time, version, sequence
		b.Queue(queryFanOut, append(args, prefix, []byte(e.Webhook))...)
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
		return signing.Document{}, fmt.Errorf("postgres: %w", err)
	}
	return d, nil
}

// DocumentHeader is Document without reading its blob.
func (s *Store) DocumentHeader(ctx context.Context, tenantID, sessionID string, kind signing.DocumentKind) (signing.Document, error) {
	d := signing.Document{SessionID: sessionID, Kind: kind}
	var key *string
	err := s.pool.QueryRow(ctx, `SELECT d.filename, d.content, d.blob_key, d.sha256, d.created_at
		FROM documents d JOIN sessions s ON s.id = d.session_id
		WHERE d.session_id = $1 AND d.kind = $2 AND s.tenant_id = $3`, sessionID, string(kind), tenantID).
		Scan(&d.Filename, &d.Content, &key, &d.SHA256, &d.CreatedAt)
	if err != nil {
		return signing.Document{}, dbErr(fmt.Sprintf("document %s/%s", sessionID, kind), err)
	}
	if key != nil {
		d.BlobKey = *key
	}
	return d, nil
}

// AuditTrail lists a session's audit entries oldest first (in the order
// they were written). ErrNotFound if the tenant has no such session.
func (s *Store) AuditTrail(ctx context.Context, tenantID, sessionID string) ([]signing.AuditEntry, error) {
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM sessions WHERE id = $1 AND tenant_id = $2)`,
		sessionID, tenantID).Scan(&exists); err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
	}
	if !exists {
		return nil, fmt.Errorf("postgres: audit trail %s: %w", sessionID, signing.ErrNotFound)
	}
	rows, err := s.pool.Query(ctx, `SELECT id, session_id, tenant_id, type, from_status, to_status,
		detail, data, created_at, signer_id FROM audit_entries WHERE session_id = $1 AND tenant_id = $2 ORDER BY id`,
		sessionID, tenantID)
	if err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
	}
	defer rows.Close()
	list := []signing.AuditEntry{}
	for rows.Next() {
		var (
			e    signing.AuditEntry
			data []byte
		)
		if err := rows.Scan(&e.ID, &e.SessionID, &e.TenantID, &e.Type, &e.FromStatus, &e.ToStatus,
			&e.Detail, &data, &e.CreatedAt, &e.SignerID); err != nil {
			return nil, dbErr("audit trail "+sessionID, err)
		}
		e.Data = dbcodec.FromNullJSON(data)
		list = append(list, e)
	}
	if err := rows.Err(); err != nil {
		return nil, dbErr("audit trail "+sessionID, err)
	}
	return list, nil
}

// SessionBySignerLink finds the session and signer of a signer link's
// token hash, in any tenant; ErrNotFound if none.
func (s *Store) SessionBySignerLink(ctx context.Context, tokenHash string) (*signing.Session, string, error) {
	var signerID string
	row := s.pool.QueryRow(ctx, `SELECT `+sessionColsOfS+`, l.signer_id FROM signer_links l JOIN sessions s ON s.id = l.session_id
		WHERE l.token_hash = $1`, tokenHash)
	sess, err := scanSession(scanWith{row, []any{&signerID}})
	if err != nil {
		return nil, "", dbErr("session by signer link", err)
	}
	return sess, signerID, nil
}

// scanWith scans a row of sessionCols followed by more columns.
type scanWith struct {
	sc    scanner
	extra []any
}

func (w scanWith) Scan(dest ...any) error { return w.sc.Scan(append(dest, w.extra...)...) }

// SignersWithoutLinks lists up to limit signers whose link is not indexed.
func (s *Store) SignersWithoutLinks(ctx context.Context, limit int) ([]signing.SignerLink, error) {
	rows, err := s.pool.Query(ctx, `SELECT s.id, j ->> 'id' FROM sessions s, json_array_elements(s.signers) j
		WHERE NOT EXISTS (SELECT 1 FROM signer_links l WHERE l.signer_id = j ->> 'id') LIMIT $1`, limit)
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
	b := &pgx.Batch{}
	for _, l := range links {
		b.Queue(`INSERT INTO signer_links (token_hash, session_id, signer_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
			l.TokenHash, l.SessionID, l.SignerID)
	}
	err := s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() })
	return dbErr("add signer links", err)
}
