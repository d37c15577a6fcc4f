package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// NewClient returns an HTTP/1.1 client that keeps up to conns connections
// alive to one host, so a closed-loop run at concurrency conns reuses its
// connections instead of dialling (and running out of ephemeral ports).
func NewClient(conns int) *http.Client {
	conns = max(conns, 1)
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Timeout: opGrace,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			MaxIdleConns:          2 * conns,
			MaxIdleConnsPerHost:   conns,
			IdleConnTimeout:       90 * time.Second,
			ResponseHeaderTimeout: opGrace,
			DisableCompression:    true,
			ForceAttemptHTTP2:     false,
			WriteBufferSize:       64 << 10,
			ReadBufferSize:        64 << 10,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// API calls one Signet server with one API key.
type API struct {
	Base   string // http://host:port
	Key    string
	Client *http.Client
}

// StatusError is an answer with an unexpected status.
type StatusError struct {
	Method, Path string
	Status       int
	Body         string
	RetryAfter   time.Duration // the Retry-After header in seconds, 0 if none
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Do sends one request and returns the answer's body if its status is
// want; the body is read in full either way, so the connection is reused.
func (a *API) Do(ctx context.Context, method, path string, body []byte, want int) ([]byte, error) {
	var buf bytes.Buffer
	if err := a.do(ctx, method, path, body, want, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Discard is Do for the hot path: the body is read and thrown away.
func (a *API) Discard(ctx context.Context, method, path string, body []byte, want int) error {
	return a.do(ctx, method, path, body, want, io.Discard)
}

func (a *API) do(ctx context.Context, method, path string, body []byte, want int, out io.Writer) error {
	if body == nil {
		return a.send(ctx, method, path, nil, 0, want, out)
	}
	return a.send(ctx, method, path, bytes.NewReader(body), int64(len(body)), want, out)
}

// Stream sends a JSON body of size bytes read from body (large bodies are
// not copied into one slice) and discards the answer.
func (a *API) Stream(ctx context.Context, method, path string, body io.Reader, size int64, want int) error {
	return a.send(ctx, method, path, body, size, want, io.Discard)
}

func (a *API) send(ctx context.Context, method, path string, body io.Reader, size int64, want int, out io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, body)
	if err != nil {
		return err
	}
	if a.Key != "" {
		req.Header.Set("X-API-Key", a.Key)
	}
	if body != nil {
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := a.Client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		_, _ = io.Copy(io.Discard, resp.Body)
		secs, _ := strconv.Atoi(resp.Header.Get("Retry-After"))
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b)),
			RetryAfter: time.Duration(max(secs, 0)) * time.Second}
	}
	_, err = io.Copy(out, resp.Body)
	return err
}
