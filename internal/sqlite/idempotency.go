package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
)

const idemCols = `tenant_id, key, fingerprint, done, status_code, header, body, created_at`

func scanIdem(sc scanner) (idempotency.Record, error) {
	var (
		r       idempotency.Record
		done    int
		header  sql.NullString
		created int64
	)
	if err := sc.Scan(&r.TenantID, &r.Key, &r.Fingerprint, &done, &r.StatusCode, &header, &r.Body, &created); err != nil {
		return idempotency.Record{}, err
	}
	h, err := decodeMap(header)
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("idempotency %s: header: %w", r.Key, err)
	}
	r.Done, r.Header, r.CreatedAt = done != 0, h, fromMicros(created)
	return r, nil
}

// BeginIdempotent claims rec.Key for rec.TenantID. The upsert inserts a new
// unfinished record, or replaces one created before expiredBefore; in every
// other case it changes nothing and returns no row, and the existing record
// is read in the same transaction. A zero rec.CreatedAt means now.
func (s *Store) BeginIdempotent(ctx context.Context, rec idempotency.Record, expiredBefore time.Time) (idempotency.Record, bool, error) {
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = s.now()
	}
	var (
		got     idempotency.Record
		claimed bool
	)
	err := s.tx(ctx, func(tx wtx) error {
		r, err := scanIdem(tx.QueryRowContext(ctx, `INSERT INTO idempotency (tenant_id, key, fingerprint, created_at)
			VALUES (?, ?, ?, ?)
			ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, done = 0,
				status_code = 0, header = NULL, body = NULL, created_at = excluded.created_at
			WHERE idempotency.created_at < ?
			RETURNING `+idemCols,
			rec.TenantID, rec.Key, rec.Fingerprint, micros(rec.CreatedAt), micros(expiredBefore)))
		if err == nil {
			got, claimed = r, true
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		got, err = scanIdem(tx.QueryRowContext(ctx, `SELECT `+idemCols+` FROM idempotency
			WHERE tenant_id = ? AND key = ?`, rec.TenantID, rec.Key))
		return err
	})
	if err != nil {
		return idempotency.Record{}, false, dbErr("begin idempotent "+rec.Key, err)
	}
	return got, claimed, nil
}

// FinishIdempotent stores the response on the record that rec claimed (same
// tenant, key and fingerprint); ErrNotFound if that claim is gone.
func (s *Store) FinishIdempotent(ctx context.Context, rec idempotency.Record) error {
	header, err := encodeMap(rec.Header)
	if err != nil {
		return fmt.Errorf("sqlite: finish idempotent %s: %w: header: %w", rec.Key, signing.ErrInvalid, err)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE idempotency SET done = 1, status_code = ?, header = ?, body = ?
		WHERE tenant_id = ? AND key = ? AND fingerprint = ?`,
		rec.StatusCode, header, rec.Body, rec.TenantID, rec.Key, rec.Fingerprint)
	if err != nil {
		return dbErr("finish idempotent "+rec.Key, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return dbErr("finish idempotent "+rec.Key, err)
	} else if n == 0 {
		return fmt.Errorf("sqlite: finish idempotent %s: %w", rec.Key, signing.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotent forgets an unfinished claim; a finished record stays,
// so that a late release can never unlock a replayable response.
func (s *Store) ReleaseIdempotent(ctx context.Context, tenantID, key string) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM idempotency WHERE tenant_id = ? AND key = ? AND done = 0`, tenantID, key)
	return dbErr("release idempotent "+key, err)
}

// IdempotentRecord reads a record; ErrNotFound if none.
func (s *Store) IdempotentRecord(ctx context.Context, tenantID, key string) (idempotency.Record, error) {
	r, err := scanIdem(s.readRow(ctx, `SELECT `+idemCols+` FROM idempotency
		WHERE tenant_id = ? AND key = ?`, tenantID, key))
	if err != nil {
		return idempotency.Record{}, dbErr("idempotent record "+key, err)
	}
	return r, nil
}

// DeleteIdempotentBefore deletes records created before t.
func (s *Store) DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM idempotency WHERE created_at < ?`, micros(t))
	if err != nil {
		return 0, dbErr("delete idempotent", err)
	}
	n, err := res.RowsAffected()
	return int(n), dbErr("delete idempotent", err)
}
