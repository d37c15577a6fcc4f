package bench

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Getter sends the GET phases' requests. It is built on fasthttp's
// HostClient rather than net/http because the load generator shares the
// machine's two cores with the server it measures: net/http's client
// hands every request between three goroutines (the caller, the
// connection's writer and its reader) and allocates its request and
// response, which made the generator use more CPU than the server and
// put its own scheduling delays under the measured tail. A HostClient
// writes and reads on the calling goroutine with pooled buffers.
type Getter struct {
	client *fasthttp.HostClient
	host   string
	key    string
}

// NewGetter returns a Getter for the server at base (http://host:port)
// keeping up to conns connections to it, sending key as X-API-Key.
func NewGetter(base, key string, conns int) (*Getter, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("bench: %q is not an http://host:port address", base)
	}
	return &Getter{
		client: &fasthttp.HostClient{
			Addr:                      u.Host,
			MaxConns:                  max(conns, 1),
			MaxIdemponentCallAttempts: 1, // a failed request is counted, not retried
			ReadBufferSize:            16 << 10,
			WriteBufferSize:           4 << 10,
			NoDefaultUserAgentHeader:  true,
			DisablePathNormalizing:    true,
			MaxIdleConnDuration:       90 * time.Second,
		},
		host: u.Host,
		key:  key,
	}, nil
}

// Get sends GET path, reads the whole answer and returns an error unless
// its status is want.
func (g *Getter) Get(ctx context.Context, path string, want int) error {
	if err := ctx.Err(); err != nil { // fasthttp takes a deadline, not a context
		return err
	}
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(path)
	req.Header.SetHost(g.host)
	if g.key != "" {
		req.Header.Set("X-API-Key", g.key)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(opGrace)
	}
	if err := g.client.DoDeadline(req, resp, deadline); err != nil {
		return err
	}
	if status := resp.StatusCode(); status != want {
		body := resp.Body()
		return &StatusError{Method: "GET", Path: path, Status: status, Body: strings.TrimSpace(string(body[:min(len(body), 512)]))}
	}
	return nil
}

// Close closes the Getter's idle connections.
func (g *Getter) Close() { g.client.CloseIdleConnections() }
