package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail"`
	Instance string               `json:"instance,omitempty"`
	Errors   []signing.FieldError `json:"errors,omitempty"`

	retryAfter string // Retry-After header, for 429 and 503
}

func (p *Problem) Error() string { return p.Title + ": " + p.Detail }

// Errors the HTTP layer itself raises, beside the domain's.
var (
	errTooLarge    = errors.New("request body too large")
	errRateLimited = errors.New("rate limit exceeded")
	errBadGateway  = errors.New("provider refused")
)

// statusTable is the one place that maps errors onto HTTP statuses; it is
// read top to bottom and the first match wins.
var statusTable = []struct {
	err    error
	status int
	slug   string
	title  string
}{
	{signing.ErrInvalid, http.StatusBadRequest, "validation", "Invalid request"},
	{signing.ErrUnauthorized, http.StatusUnauthorized, "unauthorized", "Unauthorized"},
	{signing.ErrNotFound, http.StatusNotFound, "not-found", "Not found"},
	{signing.ErrConflict, http.StatusConflict, "conflict", "Conflict"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "too-large", "Request body too large"},
	{errRateLimited, http.StatusTooManyRequests, "rate-limited", "Too many requests"},
	{signing.ErrUnavailable, http.StatusServiceUnavailable, "provider-unavailable", "Provider unavailable"},
	{errBadGateway, http.StatusBadGateway, "provider-error", "Provider error"},
}

func problemType(slug string) string { return "urn:signet:problem:" + slug }

// problemFor turns any error into the problem the client sees. Server
// faults are logged in full and shown only as "internal error".
func problemFor(r *http.Request, err error, log *slog.Logger) *Problem {
	var p *Problem
	if errors.As(err, &p) {
		return p
	}
	var pe *signing.ProviderError
	if errors.As(err, &pe) && !pe.Retryable {
		// The provider refused (even with "not found"): that is the
		// provider's answer, not a missing resource of this API.
		err = fmt.Errorf("%w: %v", errBadGateway, pe)
	}
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		err = errTooLarge
	}
	for _, row := range statusTable {
		if errors.Is(err, row.err) {
			p := &Problem{Type: problemType(row.slug), Title: row.title, Status: row.status, Detail: detailOf(err), Instance: r.URL.Path}
			var ve *signing.ValidationError
			if errors.As(err, &ve) {
				p.Errors = ve.Errors
				p.Detail = summary(ve)
			}
			if row.status == http.StatusServiceUnavailable {
				p.retryAfter = "5"
			}
			return p
		}
	}
	log.Error("internal error", "method", r.Method, "path", r.URL.Path, "err", err)
	return &Problem{Type: problemType("internal"), Title: "Internal server error", Status: http.StatusInternalServerError,
		Detail: "internal error", Instance: r.URL.Path}
}

func detailOf(err error) string {
	if errors.Is(err, errTooLarge) {
		return "the request body exceeds the limit"
	}
	return err.Error()
}

func summary(ve *signing.ValidationError) string {
	parts := make([]string, len(ve.Errors))
	for i, e := range ve.Errors {
		parts[i] = e.Field + " " + e.Message
	}
	return strings.Join(parts, "; ")
}

func writeProblem(w http.ResponseWriter, p *Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	if p.retryAfter != "" {
		w.Header().Set("Retry-After", p.retryAfter)
	}
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}
