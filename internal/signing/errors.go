package signing

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The domain's error vocabulary. Stores, providers and services wrap these
// with %w; the HTTP layer maps them onto statuses in one table.
var (
	// ErrNotFound: no such session, endpoint, key or token in this tenant.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request conflicts with the current state.
	ErrConflict = errors.New("conflict")
	// ErrTerminal: a terminal session would change. It is a conflict.
	ErrTerminal = fmt.Errorf("%w: session is terminal", ErrConflict)
	// ErrStale: a conditional update lost to a concurrent writer; reload and retry.
	ErrStale = errors.New("stale version")
	// ErrNoChange: the trigger leaves the session as it is.
	ErrNoChange = errors.New("no change")
	// ErrInvalidTransition: an unknown status or trigger (a programming error).
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrUnauthorized: missing or wrong credentials, or a forged callback.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInvalid: the input breaks a rule; see ValidationError.
	ErrInvalid = errors.New("invalid input")
	// ErrUnavailable: a dependency (a provider) cannot answer now; try later.
	ErrUnavailable = errors.New("unavailable")
)

// FieldError names one invalid field of a request, by its JSON path.
type FieldError struct {
	Field   string
	Message string
}

// ValidationError lists every invalid field of a request.
type ValidationError struct {
	Errors []FieldError
}

// Add records one invalid field. A field is listed once: its first
// problem is the one reported.
func (v *ValidationError) Add(field, format string, args ...any) {
	for _, e := range v.Errors {
		if e.Field == field {
			return
		}
	}
	v.Errors = append(v.Errors, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// Err returns v as an error, or nil when no field was invalid.
func (v *ValidationError) Err() error {
	if v == nil || len(v.Errors) == 0 {
		return nil
	}
	return v
}

func (v *ValidationError) Error() string {
	parts := make([]string, len(v.Errors))
	for i, e := range v.Errors {
		parts[i] = e.Field + ": " + e.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (v *ValidationError) Unwrap() error { return ErrInvalid }

// Error is an error with a message written for the client. A problem
// shows only Message; Error(), the whole chain, goes to the log.
type Error struct {
	Kind    error  // a sentinel above: decides the HTTP status
	Message string // for the client: no Go prefixes, no driver's words
	Err     error  // the cause, for the log; may be nil
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap makes errors.Is see both the kind and the cause.
func (e *Error) Unwrap() []error {
	if e.Err != nil {
		return []error{e.Kind, e.Err}
	}
	return []error{e.Kind}
}

// Errorf returns an error of kind with a message for the client.
func Errorf(kind error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns err as an error of kind with a message for the client; err
// stays in the chain for the log.
func Wrap(kind, err error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Err: err}
}

// Message is the part of err written for the client: the outermost
// *Error's message or a validation summary; "" when err carries none.
func Message(err error) string {
	var e *Error
	var v *ValidationError
	switch {
	case errors.As(err, &v):
		parts := make([]string, len(v.Errors))
		for i, f := range v.Errors {
			parts[i] = f.Field + " " + f.Message
		}
		return strings.Join(parts, "; ")
	case errors.As(err, &e):
		return e.Message
	}
	return ""
}

// Invalid returns a ValidationError for one field.
func Invalid(field, format string, args ...any) error {
	v := &ValidationError{}
	v.Add(field, format, args...)
	return v
}

// ProviderError is a failure reported by, or on the way to, a provider.
// Retryable errors (5xx, timeouts, refused connections) leave the session
// unchanged to be tried again; permanent ones (4xx) fail the session with
// the provider's message.
type ProviderError struct {
	Provider   string
	Op         string // initiate, refresh, cancel, document
	Retryable  bool
	StatusCode int    // the provider's HTTP status, 0 if none came
	Message    string // the provider's own words, fit for failureReason
	// RetryAfter is the wait the provider asked for before the next call
	// (its Retry-After on a 429 or 503), 0 if it asked for none.
	RetryAfter time.Duration
	// Gone says the provider answered, in its own words, that the request
	// does not exist (any more): not merely an HTTP 404, which a wrong
	// base URL gives too. A refresh that keeps getting it fails the
	// session (see gone.go).
	Gone bool
	Err  error
}

func (e *ProviderError) Error() string {
	s := fmt.Sprintf("%s %s: %s", e.Provider, e.Op, e.Message)
	if e.StatusCode != 0 {
		s += fmt.Sprintf(" (HTTP %d)", e.StatusCode)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap keeps the cause visible to errors.Is and errors.As (a timeout is
// still context.DeadlineExceeded) and makes a retryable error also
// ErrUnavailable.
func (e *ProviderError) Unwrap() []error {
	var errs []error
	if e.Retryable {
		errs = append(errs, ErrUnavailable)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// IsRetryable reports whether err is worth trying again later.
func IsRetryable(err error) bool {
	var pe *ProviderError
	if errors.As(err, &pe) {
		return pe.Retryable
	}
	return errors.Is(err, ErrUnavailable)
}

// Quote quotes s for a message, cut to 64 characters: messages may echo
// what a client sent, but never unbounded.
func Quote(s string) string {
	if r := []rune(s); len(r) > 64 {
		s = string(r[:64]) + "…"
	}
	return strconv.Quote(s)
}
