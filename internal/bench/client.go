package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.Base+path, rd)
	if err != nil {
		return err
	}
	if a.Key != "" {
		req.Header.Set("X-API-Key", a.Key)
	}
	if body != nil {
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
		return &StatusError{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	_, err = io.Copy(out, resp.Body)
	return err
}
