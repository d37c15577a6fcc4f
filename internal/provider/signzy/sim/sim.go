// Package sim simulates Signzy's Contract360 API over real HTTP, for
// Signet's sandbox mode and for tests: the same endpoints, payloads,
// statuses, errors and callbacks as Signzy (see PROVIDERS.md, Signzy section,
// and the seed's SignzyRefreshSigning), plus a signer page that stands in
// for the Aadhaar eSign journey. Each signer's signature is a real PAdES
// signature by a sandbox eSign CA (simkit.ESigner) whose certificate names
// the signer, added by incremental update, as Aadhaar eSign does.
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
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simkit"
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
	// RetainBytes bounds the PDFs kept in memory; past it the oldest
	// contracts are forgotten (simkit.DefaultRetainBytes if zero).
	RetainBytes int64
}

// Server is the simulator, an http.Handler. It is safe for concurrent use.
type Server struct {
	*simkit.Core // ServeHTTP, Close, ESignCA; FailNext, ThrottleNext and DelayNext on the Op* operations

	cfg        Config
	customerID string

	mu        sync.Mutex
	contracts map[string]*contract        // by contractId
	signers   map[string]string           // signerId → contractId
	retained  *simkit.Retained[*contract] // the contracts' PDF bytes, oldest first
}

// New returns a simulator for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.CallbackTimeout <= 0 {
		cfg.CallbackTimeout = 5 * time.Second
	}
	if cfg.CallbackRetries == nil {
		cfg.CallbackRetries = []time.Duration{2 * time.Second, 10 * time.Second, 30 * time.Second}
	}
	core, err := simkit.NewCore(simkit.CoreConfig{Name: "signzy sim", BaseURL: cfg.BaseURL,
		Errors: writeError, NotFound: "Not Found", Ops: []string{OpInitiate, OpPullData, OpDownload},
		HTTPClient: cfg.HTTPClient, CallbackTimeout: cfg.CallbackTimeout, CallbackRetries: cfg.CallbackRetries,
		ESignProvider: eSignProvider, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("signzy sim: Token is required")
	}
	s := &Server{
		Core:       core,
		cfg:        cfg,
		customerID: uuid.NewString(),
		contracts:  map[string]*contract{},
		signers:    map[string]string{},
	}
	s.retained = simkit.NewRetained(cfg.RetainBytes, (*contract).finished, s.forget)
	mux := core.Mount.Mux
	mux.HandleFunc("POST /api/v3/contract/initiate", s.initiate)
	mux.HandleFunc("POST /api/v3/contract/pullData", s.pullData)
	mux.HandleFunc("GET /api/v3/contract/esign/{signerId}", s.page)
	mux.HandleFunc("POST /api/v3/contract/esign/{signerId}", s.submit)
	mux.HandleFunc("GET /api/files/{contractId}/download/{file}", s.file)
	return s, nil
}

// admit applies the fault queued for op, if any, then checks the
// Authorization header against the token. It answers the request itself
// when either stops it (and returns false).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, op string) bool {
	if s.Inject(w, r, op) {
		return false
	}
	if !httpx.SameSecret(r.Header.Get("Authorization"), s.cfg.Token) {
		writeError(w, http.StatusUnauthorized, "", "Unauthorized")
		return false
	}
	return true
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

// writeError answers Signzy's error body; reason is the reason code, ""
// for the one that goes with status.
func writeError(w http.ResponseWriter, status int, reason, message string) {
	if reason == "" {
		reason = errorReasons[status]
	}
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
	simkit.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
