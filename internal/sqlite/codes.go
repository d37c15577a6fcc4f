package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// IssueCode stores c as the signer's one code, unless perHour codes were
// sent to the signer in the hour before c.SentAt.
func (s *Store) IssueCode(ctx context.Context, c signing.Code, perHour int) error {
	var limited bool
	err := s.tx(ctx, func(tx wtx) error {
		hourAgo := micros(c.SentAt) - 3600*1_000_000
		if _, err := tx.ExecContext(ctx, `DELETE FROM signer_code_sends WHERE signer_id = ? AND sent_at <= ?`, c.SignerID, hourAgo); err != nil {
			return err
		}
		var sent int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM signer_code_sends WHERE signer_id = ?`, c.SignerID).Scan(&sent); err != nil {
			return err
		}
		if sent >= perHour {
			limited = true
			return nil
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO signer_code_sends (signer_id, sent_at) VALUES (?, ?)`, c.SignerID, micros(c.SentAt)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO signer_codes (signer_id, session_id, code_hash, sent_at, expires_at, tries)
			VALUES (?, ?, ?, ?, ?, 0)
			ON CONFLICT (signer_id) DO UPDATE SET session_id = excluded.session_id, code_hash = excluded.code_hash,
				sent_at = excluded.sent_at, expires_at = excluded.expires_at, tries = 0`,
			c.SignerID, c.SessionID, c.Hash, micros(c.SentAt), micros(c.ExpiresAt))
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

// UseCode checks and, on a match, consumes the signer's code, in one
// write transaction (SQLite's single writer makes it atomic).
func (s *Store) UseCode(ctx context.Context, signerID string, now time.Time, maxTries int, matches func(hash string) bool) error {
	var outcome error
	err := s.tx(ctx, func(tx wtx) error {
		var hash string
		var expires int64
		var tries int
		err := tx.QueryRowContext(ctx, `SELECT code_hash, expires_at, tries FROM signer_codes WHERE signer_id = ?`, signerID).
			Scan(&hash, &expires, &tries)
		if errors.Is(err, sql.ErrNoRows) {
			outcome = signing.ErrCodeExpired
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case expires <= micros(now):
			outcome = signing.ErrCodeExpired
		case matches(hash):
			outcome = nil
		case tries+1 >= maxTries:
			outcome = signing.ErrCodeUsedUp
		default:
			_, err := tx.ExecContext(ctx, `UPDATE signer_codes SET tries = tries + 1 WHERE signer_id = ?`, signerID)
			outcome = signing.ErrCodeWrong
			return err
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM signer_codes WHERE signer_id = ?`, signerID)
		return err
	})
	if err != nil {
		return dbErr("use code", err)
	}
	return outcome
}
