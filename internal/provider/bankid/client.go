package bankid

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// Operation names, as in signing.ProviderError.Op.
const (
	opInitiate = "initiate"
	opRefresh  = "refresh"
	opCancel   = "cancel"
	opDocument = "document"
)

// Size limits for what BankID sends back. A collect answer carries the
// signature XML and the OCSP response (tens of kilobytes); error bodies
// are small.
const (
	maxResponse  = 4 << 20
	maxErrorBody = 64 << 10
	maxMessage   = 500 // runes of BankID's details kept for failureReason
)

// BankID's error codes (the errorCode of an error body).
const (
	codeAlreadyInProgress = "alreadyInProgress"
	codeInvalidParameters = "invalidParameters"
	codeUnauthorized      = "unauthorized"
	codeNotFound          = "notFound"
	codeMethodNotAllowed  = "methodNotAllowed"
	codeRequestTimeout    = "requestTimeout"
	codeUnsupportedMedia  = "unsupportedMediaType"
	codeInternalError     = "internalError"
	codeMaintenance       = "maintenance"
)

// retryableCodes are the error codes worth asking again later: BankID's
// own trouble. Every other code is the relying party's mistake and is
// permanent.
var retryableCodes = map[string]bool{codeRequestTimeout: true, codeInternalError: true, codeMaintenance: true}

// codeMessages explain BankID's error codes when its details are empty.
var codeMessages = map[string]string{
	codeAlreadyInProgress: "an order is already in progress for this personal number",
	codeInvalidParameters: "BankID refused the request's parameters",
	codeUnauthorized:      "BankID does not accept Signet's relying-party certificate",
	codeNotFound:          "BankID does not know the request's path",
	codeMethodNotAllowed:  "BankID does not allow the request's method",
	codeRequestTimeout:    "BankID timed out reading the request",
	codeUnsupportedMedia:  "BankID does not accept the request's content type",
	codeInternalError:     "BankID had an internal error",
	codeMaintenance:       "BankID is down for maintenance",
}

// apiError is BankID's error body: {"errorCode": "…", "details": "…"}.
type apiError struct {
	ErrorCode string `json:"errorCode"`
	Details   string `json:"details"`
}

// post sends body as JSON to BankID's path and decodes a 2xx answer into
// out. Every failure is a *signing.ProviderError for op. badBodyRetryable
// says whether a 2xx answer that cannot be read is worth asking again
// (true for collect; false for sign, where an order was created).
func (a *Adapter) post(ctx context.Context, op, path string, body, out any, badBodyRetryable bool) error {
	payload, err := json.Marshal(body)
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Message: "cannot encode the request", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, a.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, bytes.NewReader(payload))
	if err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Message: "cannot build the request", Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")

	resp, err := a.client.Do(req)
	if err != nil {
		return transportError(ctx, op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return statusError(op, resp.StatusCode, b)
	}
	b, err := httpx.ReadLimited(resp.Body, maxResponse)
	if err == nil && ctx.Err() != nil && len(b) == 0 {
		err = ctx.Err() // the answer was cut short by the timeout
	}
	if err != nil {
		if ctx.Err() != nil {
			return transportError(ctx, op, err)
		}
		return &signing.ProviderError{Provider: Name, Op: op, Retryable: !errors.Is(err, httpx.ErrTooLarge),
			StatusCode: resp.StatusCode, Message: "cannot read BankID's answer", Err: err}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return &signing.ProviderError{Provider: Name, Op: op, Retryable: badBodyRetryable,
			StatusCode: resp.StatusCode, Message: "BankID's answer is not the expected JSON", Err: err}
	}
	return nil
}

// transportError wraps a failure to get any answer. Refused connections,
// resets, DNS and timeouts are worth trying again later; so is a failed
// TLS handshake (a certificate BankID refuses, or a server Signet does not
// trust): it is a configuration problem an operator fixes, after which
// the open sessions carry on, rather than a reason to fail them.
func transportError(ctx context.Context, op string, err error) error {
	msg := "BankID could not be reached"
	var (
		certErr  *tls.CertificateVerificationError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		msg = "BankID did not answer in time"
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostname):
		msg = "BankID's server certificate is not trusted (check the BankID CA configured for Signet)"
	case errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		msg = "the TLS handshake with BankID failed (check Signet's relying-party certificate)"
	}
	return &signing.ProviderError{Provider: Name, Op: op, Retryable: true, Message: msg, Err: err}
}

// statusError turns a non-2xx answer into a ProviderError carrying
// BankID's details. Retryable are requestTimeout, internalError and
// maintenance, and, whatever the body, 5xx, 408 and 429; every other code
// is permanent. An order BankID does not know (notFound, or
// invalidParameters with "No such order", which is what v6.0 answers for
// an unknown, too old or already collected order) wraps signing.ErrNotFound.
func statusError(op string, status int, body []byte) error {
	var e apiError
	_ = json.Unmarshal(body, &e) // a proxy's HTML page leaves e empty
	code := strings.TrimSpace(e.ErrorCode)
	pe := &signing.ProviderError{
		Provider:   Name,
		Op:         op,
		StatusCode: status,
		Retryable: retryableCodes[code] ||
			httpx.RetryableStatus(status),
		Message: errorMessage(status, code, e.Details),
	}
	if code == codeUnauthorized || code == codeAlreadyInProgress || code == codeInvalidParameters || code == codeNotFound {
		pe.Retryable = false
	}
	if code != "" {
		pe.Err = &codeError{Code: clip(code, 100), UnknownOrder: isUnknownOrder(code, e.Details)}
	}
	return pe
}

// codeError carries BankID's errorCode in a ProviderError.
type codeError struct {
	Code         string
	UnknownOrder bool // BankID does not know the order: wraps signing.ErrNotFound
}

func (e *codeError) Error() string { return "errorCode " + e.Code }

func (e *codeError) Unwrap() error {
	if e.UnknownOrder {
		return signing.ErrNotFound
	}
	return nil
}

// errorCode is BankID's errorCode in a permanent error from post, or "".
func errorCode(err error) string {
	var ce *codeError
	if errors.As(err, &ce) {
		return ce.Code
	}
	return ""
}

// isUnknownOrder reports whether an error says BankID has no such order.
func isUnknownOrder(code, details string) bool {
	if code == codeNotFound {
		return true
	}
	return code == codeInvalidParameters && strings.Contains(strings.ToLower(details), "no such order")
}

// errorMessage is BankID's details, or a sentence for the error code or
// the status when there are none.
func errorMessage(status int, code, details string) string {
	if details = clip(details, maxMessage); details != "" {
		return details
	}
	if m := codeMessages[code]; m != "" {
		return m
	}
	if code != "" {
		return "BankID error " + clip(code, 100)
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP %d", status)
}

// clip makes s fit a log line or failureReason: control characters become
// spaces and it is cut to n runes.
func clip(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.TrimSpace(s))
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
