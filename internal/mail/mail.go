// Package mail sends Signet's e-mail (one-time codes to signers): over
// SMTP to a real server, or into an in-memory outbox that the sandbox
// shows at /sandbox/mail.
package mail

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"strings"
	"unicode/utf8"
)

// Mailer sends one message. Errors satisfy IsTemporary when trying again
// later may succeed.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// Message is one e-mail to one recipient. Text is always sent (as
// text/plain); HTML, when set, is offered as an alternative.
type Message struct {
	To      string // one address: "a@example.com" or "Name <a@example.com>"
	Subject string
	Text    string
	HTML    string
}

// Limits on a message, far above what Signet sends, so that nothing
// unbounded reaches a server or the outbox.
const (
	MaxSubjectLength = 998 // RFC 5322's line limit
	MaxBodyLength    = 1 << 20
)

// Validate reports what makes m unsendable: a missing or malformed
// recipient, a subject with line breaks, an empty text body, or text
// that is not UTF-8.
func (m Message) Validate() error {
	if _, err := parseAddress(m.To); err != nil {
		return fmt.Errorf("mail: recipient: %w", err)
	}
	switch {
	case strings.ContainsAny(m.Subject, "\r\n"):
		return errors.New("mail: subject must be one line")
	case len(m.Subject) > MaxSubjectLength:
		return fmt.Errorf("mail: subject is longer than %d bytes", MaxSubjectLength)
	case strings.TrimSpace(m.Text) == "":
		return errors.New("mail: the text body is required")
	case len(m.Text) > MaxBodyLength || len(m.HTML) > MaxBodyLength:
		return fmt.Errorf("mail: a body is longer than %d bytes", MaxBodyLength)
	case !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Text) || !utf8.ValidString(m.HTML):
		return errors.New("mail: subject and bodies must be UTF-8")
	}
	return nil
}

// parseAddress accepts exactly one address, with or without a display
// name, and no line breaks (which would smuggle headers).
func parseAddress(s string) (*netmail.Address, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("an address is required")
	}
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("an address must be one line")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an e-mail address", truncate(s, 80))
	}
	return a, nil
}

// Error is a failed Send. Temporary says whether trying again later may
// succeed: the server was unreachable, timed out or answered 4xx. A 5xx
// answer, a refused login or a configuration problem is permanent.
type Error struct {
	Temporary bool
	Code      int    // the SMTP reply code, when the server gave one
	Server    string // the server, password redacted
	Err       error
}

func (e *Error) Error() string {
	kind := "permanent"
	if e.Temporary {
		kind = "temporary"
	}
	if e.Code != 0 {
		kind += fmt.Sprintf(", SMTP %d", e.Code)
	}
	return fmt.Sprintf("mail: sending via %s failed (%s): %v", e.Server, kind, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// IsTemporary reports whether err is a send failure worth retrying.
func IsTemporary(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Temporary
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
