package bankid

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/provider/bankid/errcode"
	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/signing"
)

// maxResponse bounds what BankID sends back. A collect answer carries
// the signature XML and the OCSP response (tens of kilobytes).
const maxResponse = 4 << 20

// retryableCodes are the error codes worth asking again later: BankID's
// own trouble. Every other code is the relying party's mistake and is
// permanent.
var retryableCodes = map[string]bool{errcode.RequestTimeout: true, errcode.InternalError: true, errcode.Maintenance: true}

// codeMessages explain BankID's error codes when its details are empty.
var codeMessages = map[string]string{
	errcode.AlreadyInProgress: "an order is already in progress for this personal number",
	errcode.InvalidParameters: "BankID refused the request's parameters",
	errcode.Unauthorized:      "BankID does not accept Signet's relying-party certificate",
	errcode.NotFound:          "BankID does not know the request's path",
	errcode.MethodNotAllowed:  "BankID does not allow the request's method",
	errcode.RequestTimeout:    "BankID timed out reading the request",
	errcode.UnsupportedMedia:  "BankID does not accept the request's content type",
	errcode.InternalError:     "BankID had an internal error",
	errcode.Maintenance:       "BankID is down for maintenance",
}

// readError reads BankID's error body: {"errorCode": "…", "details": "…"}.
func readError(body []byte) (code, details string) {
	var e struct {
		ErrorCode string `json:"errorCode"`
		Details   string `json:"details"`
	}
	_ = json.Unmarshal(body, &e) // a proxy's HTML page leaves e empty
	return strings.TrimSpace(e.ErrorCode), e.Details
}

// post sends body as JSON to BankID's path and decodes a 2xx answer into
// out (if not nil). Every failure is a *signing.ProviderError for op.
// retryBadBody says whether a 2xx answer that cannot be read is worth
// asking again (true for collect; false for sign, where an order was
// created).
func (a *Adapter) post(ctx context.Context, op, path string, body, out any, retryBadBody bool) error {
	_, err := a.http.DoJSON(ctx, httpx.Request{Op: op, Method: http.MethodPost, Path: path, JSON: body,
		Limit: maxResponse, RetryBadBody: retryBadBody}, out)
	return err
}

// tlsMessage words a failed TLS handshake. Like every failure to get an
// answer it is retryable: a certificate BankID refuses, or a server
// Signet does not trust, is a configuration problem an operator fixes,
// after which the open sessions carry on, rather than a reason to fail
// them.
func tlsMessage(err error) string {
	var (
		certErr  *tls.CertificateVerificationError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
	)
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostname):
		return "BankID's server certificate is not trusted (check the BankID CA configured for Signet)"
	case errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		return "the TLS handshake with BankID failed (check Signet's relying-party certificate)"
	}
	return ""
}

// refine applies BankID's error codes to a non-2xx answer. Retryable are
// requestTimeout, internalError and maintenance, and, whatever the body,
// 5xx, 408 and 429; the relying party's mistakes (unauthorized,
// alreadyInProgress, invalidParameters, notFound) are permanent whatever
// the status. An order BankID does not know (notFound, or
// invalidParameters with "No such order", which is what v6.0 answers for
// an unknown, too old or already collected order) wraps signing.ErrNotFound;
// nothing else does, not even an HTTP 404 without BankID's body.
func refine(pe *signing.ProviderError, body []byte) {
	code, details := readError(body)
	pe.Retryable = pe.Retryable || retryableCodes[code]
	if code == errcode.Unauthorized || code == errcode.AlreadyInProgress || code == errcode.InvalidParameters || code == errcode.NotFound {
		pe.Retryable = false
	}
	pe.Err = nil
	if code != "" {
		pe.Err = &codeError{Code: httpx.Clip(code, 100), UnknownOrder: isUnknownOrder(code, details)}
	}
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
	if code == errcode.NotFound {
		return true
	}
	return code == errcode.InvalidParameters && strings.Contains(strings.ToLower(details), "no such order")
}

// errorMessage is BankID's details, or a sentence for the error code
// when there are none.
func errorMessage(body []byte) string {
	code, details := readError(body)
	if details = httpx.Clip(details, httpx.MaxMessage); details != "" {
		return details
	}
	if m := codeMessages[code]; m != "" {
		return m
	}
	if code != "" {
		return "BankID error " + httpx.Clip(code, 100)
	}
	return ""
}
