package signing

import (
	"context"
	"errors"
	"time"
)

// Code is a one-time code sent to a signer who signs on Signet's own page
// (provider local). Only a keyed hash of it is kept.
type Code struct {
	SignerID  string
	SessionID string
	Hash      string
	SentAt    time.Time
	ExpiresAt time.Time
}

// The outcomes of using a code, beside success.
var (
	// ErrTooManyCodes: the signer was sent as many codes as an hour allows.
	ErrTooManyCodes = errors.New("too many codes sent")
	// ErrCodeWrong: the code does not match; a try was used.
	ErrCodeWrong = errors.New("wrong code")
	// ErrCodeExpired: there is no code, or it expired.
	ErrCodeExpired = errors.New("no valid code")
	// ErrCodeUsedUp: too many wrong tries; the code is gone.
	ErrCodeUsedUp = errors.New("code used up")
)

// CodeStore keeps one-time codes, one at a time per signer.
type CodeStore interface {
	// IssueCode stores c as the signer's code, replacing an earlier one,
	// unless perHour codes were sent to the signer in the hour before
	// c.SentAt (ErrTooManyCodes; nothing changes).
	IssueCode(ctx context.Context, c Code, perHour int) error
	// UseCode checks the signer's code at now, atomically: with none or an
	// expired one, ErrCodeExpired; when matches(hash) is true the code is
	// deleted and UseCode returns nil; otherwise a try is counted and it
	// returns ErrCodeWrong, or ErrCodeUsedUp (deleting the code) once
	// maxTries wrong tries were made. matches must compare in constant time.
	UseCode(ctx context.Context, signerID string, now time.Time, maxTries int, matches func(hash string) bool) error
}
