package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/dbcodec"
	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/signing"
)

const idemCols = `tenant_id, key, fingerprint, done, status_code, header, body, created_at`

func scanIdem(sc scanner) (idempotency.Record, error) {
	var (
		r      idempotency.Record
		header []byte
	)
	if err := sc.Scan(&r.TenantID, &r.Key, &r.Fingerprint, &r.Done, &r.StatusCode, &header, &r.Body, &r.CreatedAt); err != nil {
		return idempotency.Record{}, err
	}
	h, err := dbcodec.DecodeMap(header)
	if err != nil {
		return idempotency.Record{}, fmt.Errorf("idempotency %s: header: %w", r.Key, err)
	}
	r.Header = h
	return r, nil
}

// BeginIdempotent claims rec.Key for rec.TenantID. The upsert inserts a new
// unfinished record, or replaces one created before expiredBefore; in every
// other case it changes nothing and returns no row, but it still locks the
// existing record, so that the read that follows, in the same
// transaction, returns it as it stands (no release can delete it in
// between). A zero rec.CreatedAt means now.
func (s *Store) BeginIdempotent(ctx context.Context, rec idempotency.Record, expiredBefore time.Time) (idempotency.Record, bool, error) {
	if rec.CreatedAt.IsZero() {
		rec.CreatedAt = s.now()
	}
	var (
		got     idempotency.Record
		claimed bool
	)
	err := s.tx(ctx, func(tx pgx.Tx) error {
		r, err := scanIdem(tx.QueryRow(ctx, `INSERT INTO idempotency (tenant_id, key, fingerprint, created_at)
			VALUES ($1, $2, $3, $4)
			ON CONFLICT (tenant_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, done = false,
				status_code = 0, header = NULL, body = NULL, created_at = excluded.created_at
			WHERE idempotency.created_at < $5
			RETURNING `+idemCols,
			rec.TenantID, rec.Key, rec.Fingerprint, rec.CreatedAt, expiredBefore))
		if err == nil {
			got, claimed = r, true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		got, err = scanIdem(tx.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency
			WHERE tenant_id = $1 AND key = $2`, rec.TenantID, rec.Key))
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
	header, err := dbcodec.EncodeMap(rec.Header)
	if err != nil {
		return fmt.Errorf("postgres: finish idempotent %s: %w: header: %w", rec.Key, signing.ErrInvalid, err)
	}
	tag, err := s.pool.Exec(ctx, `UPDATE idempotency SET done = true, status_code = $1, header = $2, body = $3
		WHERE tenant_id = $4 AND key = $5 AND fingerprint = $6`,
		rec.StatusCode, header, rec.Body, rec.TenantID, rec.Key, rec.Fingerprint)
	if err != nil {
		return dbErr("finish idempotent "+rec.Key, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("postgres: finish idempotent %s: %w", rec.Key, signing.ErrNotFound)
	}
	return nil
}

// ReleaseIdempotent forgets an unfinished claim; a finished record stays,
// so that a late release can never unlock a replayable response.
func (s *Store) ReleaseIdempotent(ctx context.Context, tenantID, key string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE tenant_id = $1 AND key = $2 AND NOT done`, tenantID, key)
	return dbErr("release idempotent "+key, err)
}

// IdempotentRecord reads a record; ErrNotFound if none.
func (s *Store) IdempotentRecord(ctx context.Context, tenantID, key string) (idempotency.Record, error) {
	r, err := scanIdem(s.pool.QueryRow(ctx, `SELECT `+idemCols+` FROM idempotency
		WHERE tenant_id = $1 AND key = $2`, tenantID, key))
	if err != nil {
		return idempotency.Record{}, dbErr("idempotent record "+key, err)
	}
	return r, nil
}

// DeleteIdempotentBefore deletes records created before t.
func (s *Store) DeleteIdempotentBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.pool.Exec(ctx, `DELETE FROM idempotency WHERE created_at < $1`, t)
	if err != nil {
		return 0, dbErr("delete idempotent", err)
	}
	return int(tag.RowsAffected()), nil
}
