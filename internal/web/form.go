package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FormTokenField is the name of the hidden input that carries a form's
// token.
const FormTokenField = "csrf_token"

// Errors of FormTokens.Verify.
var (
	// ErrFormToken is a missing, malformed or forged token, or one issued
	// for another subject.
	ErrFormToken = errors.New("web: invalid form token")
	// ErrFormExpired is a genuine token past its expiry.
	ErrFormExpired = errors.New("web: form token expired")
)

// maxExpiryDigits bounds the token's expiry field (Unix seconds).
const maxExpiryDigits = 19

// FormTokens issues and checks the hidden token of state-changing forms:
// "<expiry>.<mac>", where expiry is Unix seconds and mac is the
// base64url HMAC-SHA256 of the expiry and the subject (a signer id, a
// console login session) under a key derived from the server secret.
// The token needs no storage, so every replica that shares the secret
// accepts it. It is the second line after CrossOriginProtection: a
// non-browser client (no Origin, no Sec-Fetch-Site) passes that check
// and still needs the token it read from the page.
type FormTokens struct {
	key []byte
	ttl time.Duration
	now func() time.Time
}

// NewFormTokens returns FormTokens keyed by secret (at least 16 bytes),
// issuing tokens valid for ttl.
func NewFormTokens(secret []byte, ttl time.Duration, now func() time.Time) (*FormTokens, error) {
	if len(secret) < 16 {
		return nil, fmt.Errorf("web: the form key has %d bytes, want at least 16", len(secret))
	}
	if ttl <= 0 {
		return nil, fmt.Errorf("web: form token lifetime %v is not positive", ttl)
	}
	if now == nil {
		now = time.Now
	}
	// A key of its own, so that the server secret may serve other uses.
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("signet web form token v1"))
	return &FormTokens{key: mac.Sum(nil), ttl: ttl, now: now}, nil
}

// Issue returns a token for subject, valid until now + ttl.
func (f *FormTokens) Issue(subject string) string {
	exp := strconv.FormatInt(f.now().Add(f.ttl).Unix(), 10)
	return exp + "." + base64.RawURLEncoding.EncodeToString(f.mac(exp, subject))
}

// Verify checks that token was issued for subject and has not expired.
// It returns an error wrapping ErrFormExpired for a genuine token past
// its time, and ErrFormToken for anything else.
func (f *FormTokens) Verify(token, subject string) error {
	exp, sig, ok := strings.Cut(token, ".")
	if !ok || !canonicalUnix(exp) || base64.RawURLEncoding.DecodedLen(len(sig)) != sha256.Size {
		return fmt.Errorf("%w: malformed", ErrFormToken)
	}
	got, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil {
		return fmt.Errorf("%w: malformed", ErrFormToken)
	}
	if !hmac.Equal(got, f.mac(exp, subject)) {
		return fmt.Errorf("%w: not issued for this subject", ErrFormToken)
	}
	t, err := strconv.ParseInt(exp, 10, 64)
	if err != nil { // canonicalUnix let through a number past int64
		return fmt.Errorf("%w: malformed", ErrFormToken)
	}
	if !f.now().Before(time.Unix(t, 0)) {
		return fmt.Errorf("%w: expired at %s", ErrFormExpired, time.Unix(t, 0).UTC().Format(time.RFC3339))
	}
	return nil
}

// mac is the token's MAC of exp and subject; the NUL keeps the two
// fields apart (exp holds digits only).
func (f *FormTokens) mac(exp, subject string) []byte {
	m := hmac.New(sha256.New, f.key)
	m.Write([]byte(exp))
	m.Write([]byte{0})
	m.Write([]byte(subject))
	return m.Sum(nil)
}

// canonicalUnix reports whether s is a decimal as Issue writes it: digits
// only, no sign, no leading zero.
func canonicalUnix(s string) bool {
	if s == "" || len(s) > maxExpiryDigits || (s[0] == '0' && len(s) > 1) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formToken is the token a page puts into a form that changes state on
// behalf of subject (render it with {{template "form-token" .FormToken}}).
func (s *Site) formToken(subject string) string { return s.forms.Issue(subject) }

// checkForm verifies the token of a posted form for subject. When it
// fails it answers the request itself — 400 for a body that cannot be
// read, 403 with a page that says to reload the form otherwise — and
// returns false; the handler must then stop.
func (s *Site) checkForm(w http.ResponseWriter, r *http.Request, subject string) bool {
	if err := r.ParseForm(); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "error.bad_request")
		return false
	}
	if err := s.forms.Verify(r.PostForm.Get(FormTokenField), subject); err != nil {
		s.log.Info("web: form refused", "route", r.Pattern, "err", err) // a path may hold a signer's token
		s.renderError(w, r, http.StatusForbidden, "error.form_token")
		return false
	}
	return true
}

// crossOrigin answers a state-changing request that CrossOriginProtection
// refused.
func (s *Site) crossOrigin(w http.ResponseWriter, r *http.Request) {
	s.log.Info("web: cross-origin request refused", "method", r.Method, "route", r.Pattern,
		"origin", r.Header.Get("Origin"), "secFetchSite", r.Header.Get("Sec-Fetch-Site"))
	s.renderError(w, r, http.StatusForbidden, "error.cross_origin")
}
