// Package httpx is the one HTTP policy of every provider adapter: how a
// call is made (JSON or raw answer, a timeout per call, the adapter's
// headers), how much of an answer is read, which failures are worth
// retrying, and how the provider's own words reach a
// signing.ProviderError. An adapter brings only what is its provider's:
// paths, credentials and the shape of its error bodies.
package httpx

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/signet-dev/signet/internal/signing"
)

// Limits of what is read from a provider, and of how long it may take.
const (
	// DefaultTimeout bounds a call when an adapter is configured with none.
	DefaultTimeout = 10 * time.Second
	// DefaultLimit bounds a 2xx answer when Request.Limit is zero.
	DefaultLimit = 4 << 20
	// MaxErrorBody bounds what is read of a non-2xx answer.
	MaxErrorBody = 64 << 10
	// MaxMessage is how many runes of a provider's message are kept for
	// a ProviderError (and so a session's failureReason).
	MaxMessage = 500
	// MaxRetryAfter caps a Retry-After: a provider asking for more is
	// asked again after this long, not left alone for days on its word.
	MaxRetryAfter = 24 * time.Hour
)

// The operations of an adapter, as in signing.ProviderError.Op.
const (
	OpInitiate = "initiate" // starting a signing
	OpRefresh  = "refresh"  // reading its state
	OpCancel   = "cancel"   // withdrawing it
	OpDocument = "document" // fetching the signed document
)

// ErrTooLarge is returned by ReadLimited for a body over its limit.
var ErrTooLarge = errors.New("response body over the size limit")

// Client makes one provider's calls. The zero value of each optional
// field has the default its comment gives.
type Client struct {
	// Provider is the provider's name in Signet's API ("signzy"), the
	// ProviderError's Provider.
	Provider string
	// Display is the provider's name as people read it ("Signzy"), used in
	// messages.
	Display string
	// Base is the provider's API root, which a Request's Path follows.
	Base string
	// HTTP makes the calls (http.DefaultClient if nil).
	HTTP *http.Client
	// Timeout bounds each call, answer included (none if zero).
	Timeout time.Duration
	// Message finds the provider's own words in the body of a non-2xx
	// answer, "" when the body is not its error shape (a proxy's HTML
	// page); the status text is used then. The result is clipped to
	// MaxMessage.
	Message func(body []byte) string
	// Refine, if set, adjusts the error of a non-2xx answer to the
	// provider's own error codes (which of them are retryable, which mean
	// "not found").
	Refine func(pe *signing.ProviderError, body []byte)
	// TransportMessage, if set, words a failure to get any answer that is
	// not a timeout (a refused TLS certificate, say); "" keeps "<Display>
	// could not be reached".
	TransportMessage func(err error) string
	// Now is the clock Retry-After dates are read against (time.Now if nil).
	Now func() time.Time
}

// Request is one call to a provider.
type Request struct {
	// Op is the operation (initiate, refresh, cancel, document), the
	// ProviderError's Op.
	Op string
	// Method is the HTTP method (GET if empty).
	Method string
	// URL is the absolute URL called; if empty, Path under the Client's
	// Base is.
	URL  string
	Path string
	// Header is sent as is: the provider's credentials, usually. Nil for
	// none (a pre-authorised download link).
	Header http.Header
	// JSON, when not nil, is encoded as the request body.
	JSON any
	// Accept is the Accept header (application/json if empty).
	Accept string
	// Limit bounds the 2xx answer read (DefaultLimit if zero).
	Limit int64
	// RetryBadBody says whether a 2xx answer that DoJSON cannot decode is
	// worth asking again: true for reads, false for calls that create
	// something, where asking again could create it twice.
	RetryBadBody bool
}

// New is the Client of an adapter configured with baseURL (an absolute
// http(s) URL without query or fragment: ParseBase), the HTTP client hc
// and the timeout (DefaultTimeout if zero). Its errors name the provider
// and the setting.
func New(provider, display, baseURL string, hc *http.Client, timeout time.Duration) (*Client, error) {
	base, err := ParseBase(baseURL)
	if err != nil {
		return nil, fmt.Errorf("%s: BaseURL %w", provider, err)
	}
	if timeout < 0 {
		return nil, fmt.Errorf("%s: Timeout must not be negative", provider)
	}
	return &Client{Provider: provider, Display: display, Base: base, HTTP: hc, Timeout: cmp.Or(timeout, DefaultTimeout)}, nil
}

// Do makes the call and returns the status and body of a 2xx answer.
// Every failure is a *signing.ProviderError for r.Op:
//
//   - no answer (refused, reset, DNS, timeout), or an answer cut short by
//     the timeout: retryable;
//   - a non-2xx answer: retryable for 5xx, 408 and 429 (RetryableStatus),
//     permanent otherwise, with the provider's message (Client.Message)
//     and, for 429 and 503, the wait its Retry-After asks for; a 404
//     wraps signing.ErrNotFound; Client.Refine has the last word;
//   - a 2xx answer over r.Limit: permanent.
func (c *Client) Do(ctx context.Context, r Request) (int, []byte, error) {
	var body io.Reader
	if r.JSON != nil {
		b, err := json.Marshal(r.JSON)
		if err != nil {
			return 0, nil, c.fail(r.Op, 0, "cannot encode the request", err)
		}
		body = bytes.NewReader(b)
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	target := r.URL
	if target == "" {
		target = c.Base + r.Path
	}
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return 0, nil, c.fail(r.Op, 0, "cannot build the request", err)
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	req.Header.Set("Accept", cmp.Or(r.Accept, "application/json"))
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}

	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, c.unreachable(ctx, r.Op, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxErrorBody))
		return resp.StatusCode, nil, c.StatusError(r.Op, resp.StatusCode, resp.Header, b)
	}
	limit := r.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	b, err := ReadLimited(resp.Body, limit)
	if err == nil && len(b) == 0 && ctx.Err() != nil {
		err = ctx.Err() // the answer was cut short by the timeout
	}
	switch {
	case errors.Is(err, ErrTooLarge):
		pe := c.fail(r.Op, resp.StatusCode, "cannot read "+c.Display+"'s answer", err)
		pe.Retryable = false
		return resp.StatusCode, nil, pe
	case err != nil && ctx.Err() != nil:
		return resp.StatusCode, nil, c.unreachable(ctx, r.Op, err)
	case err != nil:
		pe := c.fail(r.Op, resp.StatusCode, "cannot read "+c.Display+"'s answer", err)
		pe.Retryable = true
		return resp.StatusCode, nil, pe
	}
	return resp.StatusCode, b, nil
}

// DoJSON is Do decoding the 2xx answer into out (nothing is decoded when
// out is nil). An answer that is not that JSON is a ProviderError,
// retryable as r.RetryBadBody says.
func (c *Client) DoJSON(ctx context.Context, r Request, out any) (int, error) {
	status, b, err := c.Do(ctx, r)
	if err != nil || out == nil {
		return status, err
	}
	if err := json.Unmarshal(b, out); err != nil {
		pe := c.fail(r.Op, status, c.Display+"'s answer is not the expected JSON", err)
		pe.Retryable = r.RetryBadBody
		return status, pe
	}
	return status, nil
}

// Error is a permanent ProviderError of this provider for op, with no
// HTTP status: an answer that makes no sense, say. Set Retryable or
// StatusCode on it when they apply.
func (c *Client) Error(op, message string) *signing.ProviderError {
	return c.fail(op, 0, message, nil)
}

func (c *Client) fail(op string, status int, message string, err error) *signing.ProviderError {
	return &signing.ProviderError{Provider: c.Provider, Op: op, StatusCode: status, Message: message, Err: err}
}

// unreachable wraps a failure to get an answer: refused connections,
// resets, DNS, TLS and timeouts are all worth trying again later.
func (c *Client) unreachable(ctx context.Context, op string, err error) *signing.ProviderError {
	msg := c.Display + " could not be reached"
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded):
		msg = c.Display + " did not answer in time"
	case c.TransportMessage != nil:
		if m := c.TransportMessage(err); m != "" {
			msg = m
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) && ue.URL != "" { // logged: a download link's query may be its credential
		if u, perr := url.Parse(ue.URL); perr == nil && u.RawQuery != "" {
			u.RawQuery = "…"
			err = &url.Error{Op: ue.Op, URL: u.String(), Err: ue.Err}
		}
	}
	pe := c.fail(op, 0, msg, err)
	pe.Retryable = true
	return pe
}

// StatusError is the error Do returns for a non-2xx answer with header h
// (nil for none) and body.
func (c *Client) StatusError(op string, status int, h http.Header, body []byte) *signing.ProviderError {
	pe := c.fail(op, status, c.message(status, body), nil)
	pe.Retryable = RetryableStatus(status)
	if status == http.StatusNotFound {
		pe.Err = signing.ErrNotFound
	}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		now := time.Now
		if c.Now != nil {
			now = c.Now
		}
		pe.RetryAfter = RetryAfter(h.Get("Retry-After"), now())
	}
	if c.Refine != nil {
		c.Refine(pe, body)
	}
	return pe
}

// message is the provider's words in an error body, or the status text.
func (c *Client) message(status int, body []byte) string {
	if c.Message != nil {
		if m := Clip(c.Message(body), MaxMessage); m != "" {
			return m
		}
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return fmt.Sprintf("HTTP %d", status)
}

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

// RetryAfter reads a Retry-After header value, delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), as the wait from now it asks for. It is
// zero for an absent, unreadable or past value, and at most MaxRetryAfter.
func RetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if strings.Trim(v, "0123456789") == "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter // too many digits to count: a long wait
		}
		return time.Duration(n) * time.Second
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0
	}
	d := t.Sub(now)
	switch {
	case d <= 0:
		return 0
	case d > MaxRetryAfter:
		return MaxRetryAfter
	}
	return d
}

// Clip makes a provider's text fit a log line or a failureReason:
// surrounding space is trimmed, control characters become spaces, and it
// is cut to n runes.
func Clip(s string, n int) string {
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

// Redacted shows whether a secret is set without showing it, for an
// adapter Config's String method.
func Redacted(s string) string {
	if s == "" {
		return `""`
	}
	return "[redacted]"
}

// IsHTTPURL reports whether s is an absolute http or https URL with a host.
func IsHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// ParseBase checks an adapter's BaseURL (an absolute http(s) URL with no
// query or fragment) and returns it without a trailing slash, for paths
// to be appended to.
func ParseBase(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || !IsHTTPURL(s) {
		return "", errors.New("must be an absolute http(s) URL")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("must not have a query or fragment")
	}
	return strings.TrimRight(s, "/"), nil
}
