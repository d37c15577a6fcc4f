package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

// problem is an RFC 9457 problem and the headers that go with it.
type problem struct {
	api.Problem
	retryAfter string // Retry-After header, for 429 and 503
}

func (p *problem) Error() string { return p.Title + ": " + p.Detail }

// Errors the HTTP layer itself raises, beside the domain's.
var (
	errTooLarge         = errors.New("request body too large")
	errRateLimited      = errors.New("rate limit exceeded")
	errBadGateway       = errors.New("provider refused")
	errMethodNotAllowed = errors.New("method not allowed")
)

// statusTable is the one place that maps errors onto HTTP statuses; it is
// read top to bottom and the first match wins. detail is what the client
// reads when the error carries no message written for it.
var statusTable = []struct {
	err    error
	status int
	slug   string
	title  string
	detail string
}{
	{signing.ErrInvalid, http.StatusBadRequest, "validation", "Invalid request", "the request is invalid"},
	{errBadBody, http.StatusBadRequest, "bad-body", "Unreadable request body", "the request body could not be read"},
	{signing.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized", "missing or invalid credentials"},
	{signing.ErrNotFound, http.StatusNotFound, "not-found", "Not found", "there is no such resource in this tenant"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method-not-allowed", "Method not allowed", "this method is not allowed on this path"},
	{signing.ErrConflict, http.StatusConflict, "conflict", "Conflict", "the request conflicts with the resource's current state"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too-large", "Request body too large", "the request body exceeds the limit"},
	{errRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests", "over this tenant's rate limit; retry after the time in Retry-After"},
	{signing.ErrUnavailable, http.StatusServiceUnavailable, "unavailable", "Service unavailable", "a service Signet depends on cannot answer now; retry later"},
	{errBadGateway, http.StatusBadGateway, "provider-error", "Provider error", "the signing provider refused the request"},
}

// retryLater is an error whose client may try again after seconds
// (its Retry-After), when the server knows better than the default.
type retryLater struct {
	error
	seconds int
}

func (e retryLater) Unwrap() error { return e.error }

func problemType(slug string) string { return "urn:signet:problem:" + slug }

// problemFor turns any error into the problem the client sees: the status
// from statusTable and only a message written for the client (never the
// error chain, which may hold Go prefixes or a database driver's words).
// Server faults are logged in full and shown as "internal error"; the
// access log records the chain of the others.
func problemFor(r *http.Request, err error, log *slog.Logger) *problem {
	var p *problem
	if errors.As(err, &p) {
		return p
	}
	detail := signing.Message(err)
	var pe *signing.ProviderError
	if errors.As(err, &pe) && !pe.Retryable {
		// The provider refused (even with "not found"): that is the
		// provider's answer, not a missing resource of this API.
		err = errors.Join(errBadGateway, err)
		detail = "the provider refused the request: " + pe.Message
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = errTooLarge
	}
	for _, row := range statusTable {
		if !errors.Is(err, row.err) {
			continue
		}
		if detail == "" {
			detail = row.detail
		}
		p := &problem{Problem: api.Problem{Type: problemType(row.slug), Title: row.title, Status: row.status, Detail: detail, Instance: r.URL.Path}}
		var ve *signing.ValidationError
		if errors.As(err, &ve) {
			p.Errors = present.FieldErrors(ve.Errors)
		}
		if row.status == http.StatusServiceUnavailable {
			p.retryAfter = "5"
		}
		var later retryLater
		if errors.As(err, &later) {
			p.retryAfter = strconv.Itoa(later.seconds)
		}
		noteError(r, err)
		return p
	}
	log.Error("internal error", "method", r.Method, "route", routeOf(r), "requestId", requestIDOf(r), "err", err)
	noteError(r, err)
	return &problem{Problem: api.Problem{Type: problemType("internal"), Title: "Internal server error", Status: http.StatusInternalServerError,
		Detail: "internal error", Instance: r.URL.Path}}
}

func writeProblem(w http.ResponseWriter, p *problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if p.retryAfter != "" {
		w.Header().Set("Retry-After", p.retryAfter)
	}
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="signet", ApiKey realm="signet" header="X-API-Key"`)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p.Problem)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := encodeJSON(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	writeEncoded(w, status, b)
}

// encodeJSON is v as a JSON answer's body, with its final newline.
func encodeJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := json.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeEncoded answers with body, a JSON answer from encodeJSON.
func writeEncoded(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
