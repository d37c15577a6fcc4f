package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/signing"
)

// IssueCode stores c as the signer's one code, unless perHour codes were
// sent to the signer in the hour before c.SentAt. A lock on the signer's
// id serialises concurrent sends, so the limit holds across replicas.
func (s *Store) IssueCode(ctx context.Context, c signing.Code, perHour int) error {
	var limited bool
	err := s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('signet.code:' || $1, 0))`, c.SignerID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM signer_code_sends WHERE signer_id = $1 AND sent_at <= $2`, c.SignerID, c.SentAt.Add(-time.Hour)); err != nil {
			return err
		}
		var sent int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM signer_code_sends WHERE signer_id = $1`, c.SignerID).Scan(&sent); err != nil {
			return err
		}
		if sent >= perHour {
			limited = true
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO signer_code_sends (signer_id, sent_at) VALUES ($1, $2)`, c.SignerID, c.SentAt); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO signer_codes (signer_id, session_id, code_hash, sent_at, expires_at, tries)
			VALUES ($1, $2, $3, $4, $5, 0)
			ON CONFLICT (signer_id) DO UPDATE SET session_id = excluded.session_id, code_hash = excluded.code_hash,
				sent_at = excluded.sent_at, expires_at = excluded.expires_at, tries = 0`,
			c.SignerID, c.SessionID, c.Hash, c.SentAt, c.ExpiresAt)
		return err
	})
	if err != nil {
		return dbErr("issue code", err)
	}
	if limited {
		return signing.ErrTooManyCodes
	}
	return nil
}

// UseCode checks and, on a match, consumes the signer's code; the row is
// locked for the check, so concurrent tries are counted one by one.
func (s *Store) UseCode(ctx context.Context, signerID string, now time.Time, maxTries int, matches func(hash string) bool) error {
	var outcome error
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var hash string
		var expires time.Time
		var tries int
		err := tx.QueryRow(ctx, `SELECT code_hash, expires_at, tries FROM signer_codes WHERE signer_id = $1 FOR UPDATE`, signerID).
			Scan(&hash, &expires, &tries)
		if errors.Is(err, pgx.ErrNoRows) {
			outcome = signing.ErrCodeExpired
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case !expires.After(now):
			outcome = signing.ErrCodeExpired
		case matches(hash):
			outcome = nil
		case tries+1 >= maxTries:
			outcome = signing.ErrCodeUsedUp
		default:
			_, err := tx.Exec(ctx, `UPDATE signer_codes SET tries = tries + 1 WHERE signer_id = $1`, signerID)
			outcome = signing.ErrCodeWrong
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM signer_codes WHERE signer_id = $1`, signerID)
		return err
	})
	if err != nil {
		return dbErr("use code", err)
	}
	return outcome
}
