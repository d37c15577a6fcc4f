// Package sim simulates Signzy's Contract360 API over real HTTP, for
// Signet's sandbox mode and for tests: the same endpoints, payloads,
// statuses, errors and callbacks as Signzy (see PROVIDERS.md, Signzy section,
// and the seed's SignzyRefreshSigning), plus a signer page that stands in
// for the Aadhaar eSign journey.
//
// Routes, relative to the mount point (Config.BaseURL):
//
//	POST /api/v3/contract/initiate               create a contract (Authorization: <token>)
//	POST /api/v3/contract/pullData               read a contract (Authorization: <token>)
//	GET  /api/v3/contract/esign/{signerId}       the signer's page (esignUrl)
//	POST /api/v3/contract/esign/{signerId}       the page's form: action=sign|decline
//	GET  /api/files/{contractId}/download/{file} the original, signed and audit PDFs
//
// Mount it either behind http.StripPrefix (the prefix being BaseURL's
// path) or as is: a request whose path still starts with BaseURL's path
// has that prefix removed first.
//
// State is in memory. Contracts expire at their contractTtl: an unsigned
// contract then answers 404 "Contract not found", like Signzy.
package sim

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Config configures a Server.
type Config struct {
	// BaseURL is the public URL of the mount, e.g.
	// http://127.0.0.1:8080/sandbox/signzy; esignUrl and file links are
	// built on it.
	BaseURL string
	// Token is the access token clients must send as Authorization.
	Token string
	// HTTPClient sends callbacks (a client with no timeout of its own is
	// fine: each callback has CallbackTimeout).
	HTTPClient *http.Client
	// Now is the simulator's clock (time.Now if nil).
	Now func() time.Time
	// CallbackTimeout bounds one callback attempt (5 s if zero).
	CallbackTimeout time.Duration
	// CallbackRetries are the waits between the background re-sends of a
	// callback that failed (2 s, 10 s, 30 s if nil; empty for none).
	CallbackRetries []time.Duration
}

// Server is the simulator, an http.Handler. It is safe for concurrent use.
type Server struct {
	cfg        Config
	base       string // BaseURL without a trailing slash
	basePath   string // BaseURL's path without a trailing slash
	customerID string
	mux        *http.ServeMux

	mu        sync.Mutex
	contracts map[string]*contract // by contractId
	signers   map[string]string    // signerId → contractId
	faults    map[string][]fault   // by op, in order
	closed    bool

	ctx    context.Context // ends at Close; stops callback retries
	cancel context.CancelFunc
	wg     sync.WaitGroup // background callback retries
}

// New returns a simulator for cfg.
func New(cfg Config) (*Server, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("signzy sim: BaseURL must be an absolute http(s) URL")
	}
	if cfg.Token == "" {
		return nil, errors.New("signzy sim: Token is required")
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CallbackTimeout <= 0 {
		cfg.CallbackTimeout = 5 * time.Second
	}
	if cfg.CallbackRetries == nil {
		cfg.CallbackRetries = []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second}
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		cfg:        cfg,
		base:       strings.TrimRight(cfg.BaseURL, "/"),
		basePath:   strings.TrimRight(u.Path, "/"),
		customerID: uuid.NewString(),
		mux:        http.NewServeMux(),
		contracts:  map[string]*contract{},
		signers:    map[string]string{},
		faults:     map[string][]fault{},
		ctx:        ctx,
		cancel:     cancel,
	}
	s.mux.HandleFunc("POST /api/v3/contract/initiate", s.initiate)
	s.mux.HandleFunc("POST /api/v3/contract/pullData", s.pullData)
	s.mux.HandleFunc("GET /api/v3/contract/esign/{signerId}", s.page)
	s.mux.HandleFunc("POST /api/v3/contract/esign/{signerId}", s.submit)
	s.mux.HandleFunc("GET /api/files/{contractId}/download/{file}", s.file)
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "Not Found")
	})
	return s, nil
}

// ServeHTTP serves the simulated API, with or without BaseURL's path in
// front of the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := s.basePath; p != "" && strings.HasPrefix(r.URL.Path, p+"/") {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = strings.TrimPrefix(r.URL.Path, p)
		u.RawPath = ""
		r2.URL = &u
		r = r2
	}
	s.mux.ServeHTTP(w, r)
}

// Close stops the background callback retries and waits for them to end.
// The Server keeps answering requests, but sends no more retries.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// authorized checks the Authorization header against the token in
// constant time.
func (s *Server) authorized(r *http.Request) bool {
	got := sha256.Sum256([]byte(r.Header.Get("Authorization")))
	want := sha256.Sum256([]byte(s.cfg.Token))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// errorBody is Signzy's error shape.
type errorBody struct {
	Name       string `json:"name"`
	Message    string `json:"message"`
	Reason     string `json:"reason"`
	Type       string `json:"type"`
	StatusCode int    `json:"statusCode"`
}

// errorReasons are the reason codes Signzy puts in its error bodies.
var errorReasons = map[int]string{
	http.StatusBadRequest:            "VALIDATION_ERROR",
	http.StatusUnauthorized:          "AUTHORIZATION_FAILED",
	http.StatusNotFound:              "NOT_FOUND",
	http.StatusRequestEntityTooLarge: "VALIDATION_ERROR",
	http.StatusTooManyRequests:       "RATE_LIMITED",
}

func writeError(w http.ResponseWriter, status int, message string) {
	reason := errorReasons[status]
	if reason == "" {
		reason = "INTERNAL_SERVER_ERROR"
		if status < 500 {
			reason = "CLIENT_ERROR"
		}
	}
	writeJSON(w, status, errorBody{Name: "error", Message: message, Reason: reason,
		Type: http.StatusText(status), StatusCode: status})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
