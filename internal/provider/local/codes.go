package local

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/signet-dev/signet/internal/mail"
	"github.com/signet-dev/signet/internal/signing"
)

// The rules of CONTRACT.md §6.2 for one-time codes.
const (
	CodeTTL      = 10 * time.Minute
	CodeTries    = 5
	CodesPerHour = 5
)

// Codes sends signers their one-time codes and checks them. A code is six
// random digits, e-mailed to the signer and kept only as an HMAC (a leaked
// table does not give the codes away: six digits are quick to try against
// a plain hash).
type Codes struct {
	Store  signing.CodeStore
	Mailer mail.Mailer
	// Key keys the codes' HMAC; replicas must share it (Store.Secret).
	Key []byte
	Now func() time.Time
}

// ErrNoEmail is a signer without an e-mail address to send a code to.
var ErrNoEmail = errors.New("the signer has no e-mail address")

// Send e-mails signer i of sess a new code, replacing any earlier one. It
// returns signing.ErrTooManyCodes past the hourly limit, and a mail error
// when the mail could not be sent (the code is then useless but stored).
func (c *Codes) Send(ctx context.Context, sess *signing.Session, i int) error {
	sg := sess.Signers[i]
	to := signerEmail(sg)
	if to == "" {
		return ErrNoEmail
	}
	code, err := newCode()
	if err != nil {
		return err
	}
	now := c.Now().UTC()
	err = c.Store.IssueCode(ctx, signing.Code{SignerID: sg.ID, SessionID: sess.ID, Hash: c.hash(sg.ID, code),
		SentAt: now, ExpiresAt: now.Add(CodeTTL)}, CodesPerHour)
	if err != nil {
		return err
	}
	return c.Mailer.Send(ctx, codeMail(sess.Language, to, signing.SignerName(sg.Details), code))
}

// Check uses signer i's code: nil when code is right (the code is then
// gone), else signing.ErrCodeWrong, ErrCodeExpired or ErrCodeUsedUp.
func (c *Codes) Check(ctx context.Context, sess *signing.Session, i int, code string) error {
	id := sess.Signers[i].ID
	want := c.hash(id, code)
	return c.Store.UseCode(ctx, id, c.Now().UTC(), CodeTries, func(stored string) bool {
		return subtle.ConstantTimeCompare([]byte(stored), []byte(want)) == 1
	})
}

// hash is the stored form of a signer's code.
func (c *Codes) hash(signerID, code string) string {
	m := hmac.New(sha256.New, c.Key)
	fmt.Fprintf(m, "signet code\x00%s\x00%s", signerID, code)
	return hex.EncodeToString(m.Sum(nil))
}

// newCode is six uniformly random digits.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%06d", n.Int64()), nil
}

// signerEmail is the e-mail address in a signer's details.
func signerEmail(sg signing.Signer) string {
	return detail(sg, "email")
}
