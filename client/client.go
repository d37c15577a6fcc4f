// Package client is the Go client of Signet's HTTP API (CONTRACT.md §2,
// api/openapi.yaml): one typed method per operation over the wire types of
// package api.
//
// Every call retries what is safe to retry: connection errors, timeouts of
// one attempt, 429 and 5xx answers, waiting with jittered exponential
// backoff or as long as Retry-After asks (up to a cap). Every POST and
// DELETE carries an X-Idempotency-Key, generated once per call and sent
// again with each of its retries, so that a retried create makes one
// session. Errors the API answers are *Problem values:
//
//	var p *client.Problem
//	if errors.As(err, &p) && p.StatusCode == http.StatusNotFound { … }
//
// Lists are iterators that fetch the next page as they go.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/api"
)

// Client calls one Signet server. It is safe for concurrent use.
type Client struct {
	base          string
	apiKey        string
	bearer        string
	http          *http.Client
	userAgent     string
	maxRetries    int
	minBackoff    time.Duration
	maxBackoff    time.Duration
	maxRetryAfter time.Duration
	timeout       time.Duration
	pollMin       time.Duration
	pollMax       time.Duration

	// now and sleep are the clock; tests replace them.
	now   func() time.Time
	sleep func(ctx context.Context, d time.Duration) error
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sends requests with hc instead of a client of its own
// (for a proxy, custom TLS or a test transport).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.http = hc } }

// WithBearerToken authenticates with an access token from POST /auth/token
// (Authorization: Bearer) instead of the API key.
func WithBearerToken(token string) Option { return func(c *Client) { c.bearer = token } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.userAgent = ua } }

// WithMaxRetries sets how many times a call is retried after its first
// attempt (default 3; 0 turns retries off).
func WithMaxRetries(n int) Option { return func(c *Client) { c.maxRetries = max(n, 0) } }

// WithBackoff sets the wait before the first retry and the most any wait
// between retries may grow to (defaults 500 ms and 10 s). Each wait is
// drawn at random between half and all of its exponential step.
func WithBackoff(first, limit time.Duration) Option {
	return func(c *Client) { c.minBackoff, c.maxBackoff = first, max(first, limit) }
}

// WithMaxRetryAfter caps how long a call waits when the server answers
// Retry-After (default 30 s); a longer Retry-After ends the call with the
// *Problem, whose RetryAfter tells the caller when to come back.
func WithMaxRetryAfter(d time.Duration) Option { return func(c *Client) { c.maxRetryAfter = d } }

// WithTimeout bounds each attempt of a call (default 60 s); an attempt
// that runs out is retried. The context passed to a method bounds the
// whole call, retries included.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithPollInterval sets how often Wait reads the session: first after
// first, growing to at most limit (defaults 500 ms and 5 s).
func WithPollInterval(first, limit time.Duration) Option {
	return func(c *Client) { c.pollMin, c.pollMax = first, max(first, limit) }
}

// New returns a client of the Signet server at baseURL (such as
// "http://127.0.0.1:8080") that authenticates with apiKey (X-API-Key).
func New(baseURL, apiKey string, opts ...Option) *Client {
	c := &Client{
		base:          strings.TrimRight(baseURL, "/"),
		apiKey:        apiKey,
		http:          http.DefaultClient,
		userAgent:     "signet-go",
		maxRetries:    3,
		minBackoff:    500 * time.Millisecond,
		maxBackoff:    10 * time.Second,
		maxRetryAfter: 30 * time.Second,
		timeout:       60 * time.Second,
		pollMin:       500 * time.Millisecond,
		pollMax:       5 * time.Second,
		now:           time.Now,
		sleep:         sleep,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// CallOption changes one call.
type CallOption func(*request)

// IdempotencyKey makes a POST or DELETE use key as its X-Idempotency-Key
// instead of a random one, so that the operation happens once even across
// restarts of the caller (a key derived from your order, say). The server
// remembers a key for 24 hours.
func IdempotencyKey(key string) CallOption { return func(r *request) { r.key = key } }

// request is one logical call, sent once plus its retries.
type request struct {
	method, path string
	query        url.Values
	body         []byte // JSON, nil for none
	accept       string
	key          string // X-Idempotency-Key of a POST or DELETE
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxBody bounds what a call reads of an answer, signed PDFs included.
const maxBody = 256 << 20

// call sends one logical request and decodes a JSON answer into out (when
// out is not nil).
func (c *Client) call(ctx context.Context, method, path string, in, out any, opts ...CallOption) error {
	r := &request{method: method, path: path, accept: "application/json, application/problem+json"}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("signet: encoding the request: %w", err)
		}
		r.body = b
	}
	resp, err := c.send(ctx, r, opts...)
	if err != nil || out == nil {
		return err
	}
	return decode(resp, out)
}

// do is call with a new T to decode the answer into.
func do[T any](ctx context.Context, c *Client, method, path string, in any, opts ...CallOption) (*T, error) {
	var out T
	if err := c.call(ctx, method, path, in, &out, opts...); err != nil {
		return nil, err
	}
	return &out, nil
}

// decode reads a JSON answer into out.
func decode(resp *response, out any) error {
	if err := json.Unmarshal(resp.body, out); err != nil {
		return fmt.Errorf("signet: decoding the answer (status %d): %w", resp.status, err)
	}
	return nil
}

// send sends r until it succeeds, fails for good or runs out of retries.
func (c *Client) send(ctx context.Context, r *request, opts ...CallOption) (*response, error) {
	for _, o := range opts {
		o(r)
	}
	if r.key == "" && (r.method == http.MethodPost || r.method == http.MethodDelete) {
		r.key = uuid.NewString()
	}
	for attempt := 0; ; attempt++ {
		resp, err := c.attempt(ctx, r)
		if err == nil {
			return resp, nil
		}
		wait, retry := c.retryable(ctx, err, attempt)
		if !retry {
			return nil, err
		}
		if deadline, ok := ctx.Deadline(); ok && c.now().Add(wait).After(deadline) {
			return nil, err // the caller's deadline comes first: no point in waiting
		}
		if serr := c.sleep(ctx, wait); serr != nil {
			return nil, errors.Join(err, serr)
		}
	}
}

// retryable says whether a failed attempt is retried and after how long.
func (c *Client) retryable(ctx context.Context, err error, attempt int) (time.Duration, bool) {
	if attempt >= c.maxRetries || ctx.Err() != nil {
		return 0, false
	}
	var p *Problem
	if errors.As(err, &p) {
		if !p.Temporary() {
			return 0, false
		}
		if p.RetryAfter > 0 {
			return p.RetryAfter, p.RetryAfter <= c.maxRetryAfter
		}
	}
	if p == nil && !transient(err) {
		return 0, false
	}
	return c.backoff(attempt), true
}

// transient reports whether a transport error may pass on a retry: the
// connection was refused, reset or cut, or the attempt timed out. A
// malformed URL or an unsupported scheme will not.
func transient(err error) bool {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// backoff is the jittered wait before retry number attempt+1: half to all
// of minBackoff·2^attempt, at most maxBackoff.
func (c *Client) backoff(attempt int) time.Duration {
	d := c.maxBackoff
	if attempt < 30 {
		d = min(c.minBackoff<<attempt, c.maxBackoff)
	}
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// attempt sends r once. Errors are a *Problem for an answer of the server
// and a transport error otherwise.
func (c *Client) attempt(ctx context.Context, r *request) (*response, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, fmt.Errorf("signet: %w", err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", r.accept)
	req.Header.Set("User-Agent", c.userAgent)
	switch {
	case c.bearer != "":
		req.Header.Set("Authorization", "Bearer "+c.bearer)
	case c.apiKey != "":
		req.Header.Set("X-API-Key", c.apiKey)
	}
	if r.key != "" {
		req.Header.Set("X-Idempotency-Key", r.key)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("signet: %s %s: %w", r.method, r.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("signet: %s %s: reading the answer: %w", r.method, r.path, err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("signet: %s %s: the answer is over %d bytes", r.method, r.path, maxBody)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
	}
	return nil, c.problem(resp, b)
}

// problem reads an error answer: an RFC 9457 problem when the server sent
// one, else a Problem made of the status and the start of the body.
func (c *Client) problem(resp *http.Response, body []byte) *Problem {
	p := &Problem{StatusCode: resp.StatusCode, RetryAfter: retryAfter(resp.Header.Get("Retry-After"), c.now())}
	mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if mt == "application/problem+json" || mt == "application/json" {
		if json.Unmarshal(body, &p.Problem) == nil && p.Title != "" {
			return p
		}
	}
	p.Problem = api.Problem{Type: "about:blank", Title: http.StatusText(resp.StatusCode), Status: resp.StatusCode, Detail: snippet(body)}
	return p
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		return time.Duration(max(s, 0)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// snippet is the start of a non-problem error body, as one line of text.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(b[:min(len(b), 300)]), "")), " ")
	if len(b) > 300 {
		s += "…"
	}
	return s
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// escape makes an id one path segment.
func escape(id string) string { return url.PathEscape(id) }
