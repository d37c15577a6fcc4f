package client

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/signet-dev/signet/api"
)

// Problem is an error the API answered: its RFC 9457 problem details
// (Type, Title, Status, Detail, Instance and, for validation errors, the
// invalid fields in Errors), the HTTP status code and Retry-After.
type Problem struct {
	api.Problem
	// StatusCode is the HTTP status of the answer (Status is the one the
	// body states; they agree unless a proxy answered).
	StatusCode int
	// RetryAfter is how long the server asked the client to wait (429,
	// 503), zero when it did not say.
	RetryAfter time.Duration
}

// Error says what went wrong, with each invalid field.
func (p *Problem) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "signet: %d %s", p.StatusCode, p.Title)
	if p.Detail != "" {
		b.WriteString(": " + p.Detail)
	}
	for i, f := range p.Errors {
		sep := "; "
		if i == 0 {
			sep = " ("
		}
		fmt.Fprintf(&b, "%s%s: %s", sep, f.Field, f.Message)
		if i == len(p.Errors)-1 {
			b.WriteString(")")
		}
	}
	return b.String()
}

// Temporary reports whether the same request may succeed later: a 429 or
// a server fault (5xx other than 501 Not Implemented).
func (p *Problem) Temporary() bool {
	return p.StatusCode == http.StatusTooManyRequests ||
		(p.StatusCode >= 500 && p.StatusCode != http.StatusNotImplemented)
}
