// Package server is Signet's JSON API over HTTP: routing, authentication,
// idempotency, decoding and validation, and one error→status table. The
// rules live in the signing package; handlers only translate.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/idempotency"
	"github.com/signet-dev/signet/internal/present"
	"github.com/signet-dev/signet/internal/signing"
)

// DefaultMaxBody is the request body limit of CONTRACT.md (15 MiB).
const DefaultMaxBody = 15 << 20

// Store is what the server reads itself: credentials, readiness, the
// idempotency records and webhook endpoints.
type Store interface {
	// APIKeyByHash finds the working (not revoked) key of a hash;
	// ErrNotFound if none.
	APIKeyByHash(ctx context.Context, keyHash string) (auth.APIKey, error)
	// APIKeyByID reads a key, revoked or not; ErrNotFound if none.
	APIKeyByID(ctx context.Context, id string) (auth.APIKey, error)
	// AttemptsAfter pages an endpoint's delivery attempts, newest first.
	AttemptsAfter(ctx context.Context, tenantID, endpointID string, limit int, after *signing.Cursor) ([]signing.Attempt, bool, error)
	Ping(ctx context.Context) error
	idempotency.Store
	signing.WebhookStore
}

// Config wires a Server. Service, Store, Webhooks and Issuer are required.
type Config struct {
	Service *signing.Service
	Store   Store
	// Certifier makes audit certificates (required).
	Certifier Certifier
	// Documents streams the documents the store keeps as blobs (the
	// store's blob.Store); nil reads each one whole through Service.
	Documents Documents
	// Webhooks registers endpoints and redelivers events.
	Webhooks Webhooks
	Issuer   *auth.Issuer
	// Presenter builds the JSON answers; its PublicURL must be the one the
	// service was given.
	Presenter present.Presenter
	Logger    *slog.Logger
	// Registry receives the HTTP metrics and is served at /metrics.
	Registry *prometheus.Registry
	// Spec is the OpenAPI document as JSON, served at /openapi.json.
	Spec []byte
	// MaxBody is the request body limit; DefaultMaxBody if zero.
	MaxBody int64
	// UploadBytes bounds the bytes of request bodies read and handled at
	// once (DefaultUploadBytes if zero); an upload that finds no room
	// within UploadWait (DefaultUploadWait if zero) gets 503.
	UploadBytes int64
	UploadWait  time.Duration
	// RateLimit is requests per second per tenant; 0 is off.
	RateLimit float64
	// BodyIdle, BodyGrace, MinBodyRate and WriteIdle move each request's
	// deadlines with its progress (see DefaultBodyIdle); zero values take
	// the defaults.
	BodyIdle, BodyGrace, WriteIdle time.Duration
	MinBodyRate                    int
	// Sandbox maps a provider name to its simulator, mounted under
	// /sandbox/{name}/ with that prefix stripped.
	Sandbox map[string]http.Handler
	// Pages are extra routes (pattern → handler) served without API-key
	// auth, such as Signet's own signing pages.
	Pages map[string]http.Handler
	// KeyUsed, if set, is told the id of the API key of every
	// authenticated request (auth.KeyUsage.Seen); it must be quick.
	KeyUsed func(keyID string)
	Now     func() time.Time
}

// Server serves the API.
type Server struct {
	cfg     Config
	log     *slog.Logger
	limiter *rateLimiter
	idem    *idempotent
	uploads *uploadGate
	metrics *httpMetrics
	keys    *keyCache
	answers *answers
	handler http.Handler
}

// New validates cfg and builds the routes.
func New(cfg Config) (*Server, error) {
	if cfg.Service == nil || cfg.Store == nil || cfg.Issuer == nil || cfg.Webhooks == nil || cfg.Certifier == nil {
		return nil, fmt.Errorf("server: Service, Store, Webhooks, Issuer and Certifier are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.BodyIdle <= 0 {
		cfg.BodyIdle = DefaultBodyIdle
	}
	if cfg.BodyGrace <= 0 {
		cfg.BodyGrace = DefaultBodyGrace
	}
	if cfg.MinBodyRate <= 0 {
		cfg.MinBodyRate = DefaultMinBodyRate
	}
	if cfg.WriteIdle <= 0 {
		cfg.WriteIdle = DefaultWriteIdle
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.UploadBytes <= 0 {
		cfg.UploadBytes = max(DefaultUploadBytes, cfg.MaxBody)
	}
	if cfg.UploadWait <= 0 {
		cfg.UploadWait = DefaultUploadWait
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	s := &Server{cfg: cfg, log: cfg.Logger, keys: newKeyCache(30*time.Second, 10_000, cfg.Now), answers: newAnswers()}
	s.limiter = newRateLimiter(cfg.RateLimit, cfg.Now)
	s.idem = &idempotent{store: cfg.Store, now: cfg.Now, log: cfg.Logger}
	m, err := newHTTPMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	if s.uploads, err = newUploadGate(cfg.UploadBytes, cfg.MaxBody, cfg.UploadWait, cfg.Registry); err != nil {
		return nil, err
	}
	if err := cfg.Registry.Register(s.keys.gauge()); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	return s, nil
}

// CacheCredentials turns the cache of API key lookups on or off (it is
// off at first). Turn it on only while every revocation made by any
// process on the database is reported to ForgetCredentials (PostgreSQL's
// WatchRevocations), and off as soon as that stops.
func (s *Server) CacheCredentials(on bool) { s.keys.enable(on) }

// ForgetCredentials empties the cache of API key lookups, so that a key
// revoked a moment ago is refused from the next request on.
func (s *Server) ForgetCredentials() { s.keys.flush() }

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	api := func(pattern string, h handlerFunc) {
		mux.Handle(pattern, s.authenticated(h))
	}
	idem := func(pattern string, h handlerFunc) {
		mux.Handle(pattern, s.authenticated(s.uploads.admit(s.idem.wrap(h))))
	}
	idem("POST /signing", s.createSession)
	api("GET /signing", s.listSessions)
	api("GET /signing/providers", s.listProviders)
	api("GET /signing/{id}", s.getSession)
	idem("DELETE /signing/{id}", s.cancelSession)
	idem("POST /signing/{id}/refresh", s.refreshSession)
	api("GET /signing/{id}/document", s.getDocument)
	api("GET /signing/{id}/events", s.listEvents)
	api("GET /signing/{id}/audit-certificate", s.getAuditCertificate)
	api("GET /signing/{id}/verification", s.getVerification)

	idem("POST /webhooks", s.createWebhook)
	api("GET /webhooks", s.listWebhooks)
	api("GET /webhooks/{id}", s.getWebhook)
	idem("DELETE /webhooks/{id}", s.deleteWebhook)
	api("GET /webhooks/{id}/deliveries", s.listDeliveries)
	idem("POST /webhooks/{id}/deliveries/{deliveryId}/retry", s.retryDelivery)

	mux.Handle("POST /auth/token", s.authenticated(apiKeyOnly(s.issueToken)))
	mux.Handle("POST /auth/refresh", s.public(s.refreshToken))
	api("GET /auth/ping", s.ping)

	mux.Handle("POST /callbacks/{provider}", s.public(s.callback))

	mux.Handle("GET /healthz", s.public(s.healthz))
	mux.Handle("GET /readyz", s.public(s.readyz))
	mux.Handle("GET /openapi.json", s.public(s.openapi))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.cfg.Registry, promhttp.HandlerOpts{}))

	for name, h := range s.cfg.Sandbox {
		prefix := "/sandbox/" + name
		mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
	}
	for pattern, h := range s.cfg.Pages {
		mux.Handle(pattern, h)
	}
	// Everything else is a problem, never the mux's plain text: 405 with
	// Allow for a known path with another method, else 404.
	mux.Handle("/", s.public(func(w http.ResponseWriter, r *http.Request) error {
		if allow := allowed(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			return signing.Errorf(errMethodNotAllowed, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, " or "))
		}
		return signing.Errorf(signing.ErrNotFound, "there is no %s %s in this API", r.Method, r.URL.Path)
	}))
	return s.observe(s.recoverer(s.deadlines(s.limitBody(mux))))
}

// methods are those a route may have, in the order Allow lists them.
var methods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// allowed lists the methods that have a route (other than the catch-all)
// for r's path.
func allowed(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range methods {
		probe := &http.Request{Method: m, URL: r.URL, Host: r.Host, Header: http.Header{}}
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// handlerFunc is a handler that returns its error for the one renderer.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

func (s *Server) serve(w http.ResponseWriter, r *http.Request, h handlerFunc) {
	if err := h(w, r); err != nil {
		writeProblem(w, problemFor(r, err, s.log))
	}
}

// public serves h without authentication.
func (s *Server) public(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, h) })
}

// limitBody caps every request body; reading past it fails with
// *http.MaxBytesError, which the error table answers with 413.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.cfg.MaxBody {
			writeProblem(w, problemFor(r, errTooLarge, s.log))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBody)
		next.ServeHTTP(w, r)
	})
}

// recoverer turns a panic into a 500 problem, logged with its value.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeProblem(w, problemFor(r, fmt.Errorf("panic: %v", v), s.log))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const credentialKey ctxKey = iota

func tenantFrom(ctx context.Context) signing.Tenant { return keyFrom(ctx).Tenant }

// keyFrom is the API key that authenticated the request (with its tenant):
// kept in the request's requestInfo when observe made one, which saves
// a copy of the request per call, else in a context value of its own.
func keyFrom(ctx context.Context) auth.APIKey {
	if info, _ := ctx.Value(infoKey).(*requestInfo); info != nil && info.key != nil {
		return *info.key
	}
	k, _ := ctx.Value(credentialKey).(auth.APIKey)
	return k
}
