package server

import (
	"context"
	"errors"
	"fmt"
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
		t, err := s.tenantOf(r)
		if err != nil {
			return err
		}
		if wait, ok := s.limiter.allow(t.ID); !ok {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
			return fmt.Errorf("%w: over %g requests per second", errRateLimited, s.cfg.RateLimit)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), tenantKey, t)))
	})
}

// apiKeyOnly refuses bearer tokens, so that an access token cannot mint
// itself successors: only the API key holder may start a token chain.
func apiKeyOnly(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if r.Header.Get("X-API-Key") == "" {
			return fmt.Errorf("%w: POST /auth/token needs the X-API-Key header", signing.ErrUnauthorized)
		}
		return h(w, r)
	}
}

func (s *Server) tenantOf(r *http.Request) (signing.Tenant, error) {
	if key := r.Header.Get("X-API-Key"); key != "" {
		hash := auth.Hash(key)
		t, err := s.tenants.lookup("key:"+hash, func() (signing.Tenant, error) {
			return s.cfg.Store.TenantByAPIKey(r.Context(), hash)
		})
		if errors.Is(err, signing.ErrNotFound) {
			return t, fmt.Errorf("%w: unknown API key", signing.ErrUnauthorized)
		}
		return t, err
	}
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		id, err := s.cfg.Issuer.Verify(strings.TrimSpace(token))
		if err != nil {
			return signing.Tenant{}, err
		}
		t, err := s.tenants.lookup("id:"+id, func() (signing.Tenant, error) {
			return s.cfg.Store.TenantByID(r.Context(), id)
		})
		if errors.Is(err, signing.ErrNotFound) {
			return t, fmt.Errorf("%w: the token's tenant no longer exists", signing.ErrUnauthorized)
		}
		return t, err
	}
	return signing.Tenant{}, fmt.Errorf("%w: send an X-API-Key header or an Authorization: Bearer token", signing.ErrUnauthorized)
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

func (m *httpMetrics) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		route := r.Pattern
		if route == "" || route == "/" {
			route = "unmatched"
		}
		m.requests.WithLabelValues(route, strconv.Itoa(sw.status)).Inc()
		m.duration.WithLabelValues(route).Observe(time.Since(start).Seconds())
	})
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
