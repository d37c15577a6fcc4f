// Package httpx holds what every provider adapter's HTTP client shares:
// bounded body reads and the rules for which failures are worth retrying.
package httpx

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/signet-dev/signet/internal/signing"
)

// ErrTooLarge is returned by ReadLimited for a body over its limit.
var ErrTooLarge = errors.New("response body over the size limit")

// ReadLimited reads all of r, failing with ErrTooLarge past limit bytes.
func ReadLimited(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, ErrTooLarge
	}
	return b, nil
}

// RetryableStatus reports whether an HTTP status from a provider means
// "try again later": 5xx, 429 Too Many Requests and 408 Request Timeout.
// Other 4xx are the provider refusing for good.
func RetryableStatus(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// Unreachable wraps a failure to get any answer from a provider: refused
// connections, resets, DNS and timeouts are all worth trying again later.
// display is the provider's name as people read it ("Signzy").
func Unreachable(provider, display, op string, err error) *signing.ProviderError {
	msg := display + " could not be reached"
	if errors.Is(err, context.DeadlineExceeded) {
		msg = display + " did not answer in time"
	}
	return &signing.ProviderError{Provider: provider, Op: op, Retryable: true, Message: msg, Err: err}
}
