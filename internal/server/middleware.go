package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

// authenticated serves h for a caller with a valid X-API-Key or bearer
// token, with the tenant in the request context and its rate limit applied.
func (s *Server) authenticated(h handlerFunc) http.Handler {
	return s.public(func(w http.ResponseWriter, r *http.Request) error {
		k, err := s.tenantOf(r)
		if err != nil {
			return err
		}
		t := k.Tenant
		if wait, ok := s.limiter.allow(t.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return signing.Errorf(errRateLimited, "over this tenant's limit of %g requests per second; retry after %s s", s.cfg.RateLimit, w.Header().Get("Retry-After"))
		}
		if info := infoFrom(r); info != nil {
			info.tenant, info.tenantID, info.key = t.Name, t.ID, &k
			return h(w, r)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), credentialKey, k)))
	})
}

// apiKeyOnly refuses bearer tokens, so that an access token cannot mint
// itself successors: only the API key holder may start a token chain.
func apiKeyOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("X-API-Key") == "" {
			return signing.Errorf(signing.ErrUnauthorized, "POST /auth/token needs the X-API-Key header; a bearer token cannot mint tokens")
		}
		return h(w, r)
	}
}

// tenantOf authenticates r: by its API key, or by a bearer token whose
// API key still works. It returns the key (with its tenant) and notes
// its use.
func (s *Server) tenantOf(r *http.Request) (auth.APIKey, error) {
	k, err := s.keyOf(r)
	if err == nil && s.cfg.KeyUsed != nil {
		s.cfg.KeyUsed(k.ID)
	}
	return k, err
}

func (s *Server) keyOf(r *http.Request) (auth.APIKey, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		hash := auth.Hash(key)
		k, err := s.keys.lookup("key:"+hash, func() (auth.APIKey, error) {
			return s.cfg.Store.APIKeyByHash(r.Context(), hash)
		})
		if errors.Is(err, signing.ErrNotFound) {
			return k, signing.Errorf(signing.ErrUnauthorized, "unknown API key, or one that was revoked")
		}
		return k, err
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		tenantID, keyID, err := s.cfg.Issuer.Verify(strings.TrimSpace(token))
		if err != nil {
			return auth.APIKey{}, err
		}
		k, err := s.keys.lookup("id:"+keyID, func() (auth.APIKey, error) {
			k, err := s.cfg.Store.APIKeyByID(r.Context(), keyID)
			if err == nil && k.RevokedAt != nil {
				return auth.APIKey{}, signing.ErrNotFound
			}
			return k, err
		})
		if errors.Is(err, signing.ErrNotFound) || err == nil && k.Tenant.ID != tenantID {
			return auth.APIKey{}, signing.Errorf(signing.ErrUnauthorized, "the API key this bearer token came from was revoked")
		}
		return k, err
	}
	return auth.APIKey{}, signing.Errorf(signing.ErrUnauthorized, "send an X-API-Key header or an Authorization: Bearer token")
}

// rateLimiter is a token bucket per tenant: rate tokens a second, a burst
// of one second's worth.
type rateLimiter struct {
	rate    float64
	now     func() time.Time
	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newRateLimiter(rate float64, now func() time.Time) *rateLimiter {
	return &rateLimiter{rate: rate, now: now, buckets: map[string]*bucket{}}
}

// allow takes a token for tenant, or says how long until one is free.
func (l *rateLimiter) allow(tenant string) (time.Duration, bool) {
	if l.rate <= 0 {
		return 0, true
	}
	burst := math.Max(1, l.rate)
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	b, ok := l.buckets[tenant]
	if !ok {
		b = &bucket{tokens: burst, at: now}
		l.buckets[tenant] = b
	}
	b.tokens = math.Min(burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return 0, true
	}
	return time.Duration((1 - b.tokens) / l.rate * float64(time.Second)), false
}

// httpMetrics counts and times requests by route pattern (never by raw
// path, which would explode the label space).
type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newHTTPMetrics(reg prometheus.Registerer) (*httpMetrics, error) {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "signet_http_requests_total", Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "signet_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route"}),
	}
	for _, c := range []prometheus.Collector{m.requests, m.duration} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// requestInfo is what the access log learns while a request is served:
// handlers fill it in through the request's context.
type requestInfo struct {
	id       string
	tenant   string       // its name, for people
	tenantID string       // as the session lines name it
	key      *auth.APIKey // the key that authenticated the request
	err      error
}

const infoKey ctxKey = iota + 100

func infoFrom(r *http.Request) *requestInfo {
	info, _ := r.Context().Value(infoKey).(*requestInfo)
	return info
}

// noteError records the error a request ended with, for the access log.
func noteError(r *http.Request, err error) {
	if info := infoFrom(r); info != nil {
		info.err = err
	}
}

// observe gives every request an id (the client's X-Request-Id when it is
// a sane one, else a fresh one; echoed in the response), counts and times
// it by route pattern, and writes one access-log line. The line names the
// route pattern, never the raw path, which may carry a signer's token.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r.Header.Get("X-Request-Id"))}
		w.Header().Set("X-Request-Id", info.id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		r = r.WithContext(context.WithValue(r.Context(), infoKey, info))
		next.ServeHTTP(sw, r)
		route := routeOf(r)
		d := time.Since(start)
		s.metrics.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		s.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		if !s.log.Enabled(r.Context(), slog.LevelInfo) {
			return // the access log is off: build none of its line
		}
		attrs := []any{"method", r.Method, "route", route, "status", sw.status,
			"duration", d.Round(time.Microsecond), "requestId", info.id}
		if info.tenant != "" {
			attrs = append(attrs, "tenant", info.tenant, "tenantId", info.tenantID)
		}
		if info.err != nil && sw.status != http.StatusInternalServerError { // internal errors were logged in full already
			msg := info.err.Error()
			if route == "unmatched" { // the 404 and 405 problems name the raw path
				msg = strings.ReplaceAll(msg, r.URL.Path, "{path}")
			}
			attrs = append(attrs, "err", msg)
		}
		s.log.Info("request", attrs...)
	})
}

// routeOf is the route pattern a request matched, which logs name
// instead of the raw path: that may carry a signer's token.
func routeOf(r *http.Request) string {
	if r.Pattern == "" || r.Pattern == "/" {
		return "unmatched"
	}
	return r.Pattern
}

// requestIDOf is the id observe gave the request.
func requestIDOf(r *http.Request) string {
	if info := infoFrom(r); info != nil {
		return info.id
	}
	return ""
}

// requestID returns the client's id if it is short and plain (it is
// echoed and logged), else a new random one.
func requestID(given string) string {
	if len(given) >= 8 && len(given) <= 64 && strings.Trim(given, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == "" {
		return given
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Body and response deadlines. A fixed read timeout would cut off a large
// upload on a slow link (15 MiB at 1 Mbit/s takes two minutes), and none
// at all would let a client hold a connection by trickling bytes. So the
// deadlines move with progress: a body must keep arriving (at most
// BodyIdle between reads) at an average of at least MinBodyRate once
// BodyGrace has passed, and a response must keep being taken (WriteIdle).
const (
	DefaultBodyIdle    = 30 * time.Second
	DefaultBodyGrace   = 20 * time.Second
	DefaultMinBodyRate = 4 << 10 // bytes per second
	DefaultWriteIdle   = 60 * time.Second
)

// errTooSlow is a request body arriving below minBodyRate.
type errTooSlow struct{}

func (errTooSlow) Error() string   { return "request body arriving too slowly" }
func (errTooSlow) Timeout() bool   { return true }
func (errTooSlow) Temporary() bool { return false }

// deadlines applies the moving read and write deadlines to every request.
func (s *Server) deadlines(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		_ = rc.SetReadDeadline(now.Add(s.cfg.BodyIdle))
		_ = rc.SetWriteDeadline(now.Add(s.cfg.WriteIdle))
		p := &progress{rc: rc, cfg: &s.cfg, start: now, last: now}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = &progressBody{ReadCloser: r.Body, p: p}
		}
		next.ServeHTTP(&progressWriter{ResponseWriter: w, p: p}, r)
	})
}

// progress moves a connection's deadlines as its request body and
// response make progress.
type progress struct {
	rc    *http.ResponseController
	cfg   *Config
	start time.Time
	last  time.Time // when the deadlines were last moved
	read  int64
}

func (p *progress) extend(read bool) {
	now := time.Now()
	if now.Sub(p.last) < p.cfg.BodyIdle/16 { // move deadlines only now and then
		return
	}
	p.last = now
	if read {
		_ = p.rc.SetReadDeadline(now.Add(p.cfg.BodyIdle))
	}
	_ = p.rc.SetWriteDeadline(now.Add(p.cfg.WriteIdle))
}

type progressBody struct {
	io.ReadCloser
	p *progress
}

func (b *progressBody) Read(buf []byte) (int, error) {
	n, err := b.ReadCloser.Read(buf)
	if n > 0 {
		b.p.read += int64(n)
		if elapsed := time.Since(b.p.start); elapsed > b.p.cfg.BodyGrace && float64(b.p.read)/elapsed.Seconds() < float64(b.p.cfg.MinBodyRate) {
			return n, errTooSlow{}
		}
		b.p.extend(true)
	}
	return n, err
}

type progressWriter struct {
	http.ResponseWriter
	p *progress
}

func (w *progressWriter) Write(b []byte) (int, error) {
	w.p.extend(false)
	return w.ResponseWriter.Write(b)
}

func (w *progressWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
