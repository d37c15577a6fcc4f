// Package sim simulates Digio's document (eSign) API over real HTTP, for
// Signet's sandbox mode and for tests: the same endpoints, payloads,
// statuses, errors and webhooks as Digio (see PROVIDERS.md, Digio
// section), plus a gateway page that stands in for Digio's signing
// journey (Aadhaar OTP, electronic or DSC signature).
//
// Routes, relative to the mount point (Config.BaseURL):
//
//	POST /v2/client/document/uploadpdf                 create a document (HTTP Basic)
//	GET  /v2/client/document/{id}                      its details (HTTP Basic)
//	GET  /v2/client/document/download?document_id=    the PDF as it stands (HTTP Basic)
//	POST /v2/client/document/{id}/cancel               withdraw it (HTTP Basic)
//	GET  /gateway/login/{id}/{txnId}/{identifier}      the signer's page (?token_id=&redirect_url=)
//	POST /gateway/login/{id}/{txnId}/{identifier}      the page's form: action=sign|decline
//	GET  /gateway/login/{id}/{txnId}/{identifier}/preview  the document, for the signer to read
//
// Digio's real gateway is a single-page app routed after a "#"
// (https://app.digio.in/#/gateway/login/…); the simulator serves the same
// route as a path, so that its page works without JavaScript.
//
// Mount it either behind http.StripPrefix (the prefix being BaseURL's
// path) or as is: a request whose path still starts with BaseURL's path
// has that prefix removed first.
//
// A document has one or more signers (signers[]), each with their own
// gateway link; with the upload's "sequential": true they sign in the
// order given, and a signer whose turn has not come is turned away. Each
// signature is a real one: the sandbox eSign service (simkit.ESigner)
// signs the document as it stands with a certificate naming the signer,
// as an Aadhaar eSign service provider does, so the completed document
// holds one valid signature per signer. A signer who signed with Aadhaar
// is reported with the (made-up) Aadhaar record in pki_signature_details.
//
// Webhooks (doc.signed, doc.sign.rejected, doc.sign.failed) go to
// Config.WebhookURL, Digio's per-account webhook, with X-Digio-Checksum,
// and are re-sent in the background on a non-2xx answer until Close.
// State is in memory; documents expire at their expire_on.
//
// Test hooks: FailNext, FailNextWith, ThrottleNext and DelayNext inject
// faults into the API; Expire, UnknownStatusNext and FailSigning make
// Digio report an expiry, an unknown status or a failed eSign.
// digiotest.Sandbox builds the adapter and simulator pair for the
// conformance suite.
package sim

import (
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// Config configures a Server.
type Config struct {
	// BaseURL is the public URL of the mount, e.g.
	// http://127.0.0.1:8080/sandbox/digio; the gateway lives under it.
	BaseURL string
	// ClientID and ClientSecret are the credentials clients must send
	// (HTTP Basic).
	ClientID     string
	ClientSecret string
	// WebhookSecret keys the webhooks' X-Digio-Checksum. Empty sends
	// webhooks without a checksum, as Digio does for an account that has
	// none configured.
	WebhookSecret string
	// WebhookURL receives the account's webhooks; empty sends none.
	WebhookURL string
	// HTTPClient sends webhooks (a client with no timeout of its own is
	// fine: each attempt has WebhookTimeout).
	HTTPClient *http.Client
	// Now is the simulator's clock (time.Now if nil).
	Now func() time.Time
	// WebhookTimeout bounds one webhook attempt (10 s, the time Digio
	// gives a receiver to answer, if zero).
	WebhookTimeout time.Duration
	// WebhookRetries are the waits between the background re-sends of a
	// webhook that was not answered 2xx (5 s, 30 s, 2 min if nil; empty
	// for none).
	WebhookRetries []time.Duration
	// TokenTTL is how long an access token (token_id) is valid (1 h if
	// zero).
	TokenTTL time.Duration
	// RetainBytes bounds the PDFs kept in memory; past it the oldest
	// documents are forgotten (simkit.DefaultRetainBytes if zero).
	RetainBytes int64
}

// Server is the simulator, an http.Handler. It is safe for concurrent use.
// Its eSign service signs for the signers, as Digio's does.
type Server struct {
	*simkit.Core // ServeHTTP, Close, ESignCA; FailNext, ThrottleNext and DelayNext on the Op* operations

	cfg Config

	mu       sync.Mutex
	docs     map[string]*doc        // by document id
	tokens   map[string]string      // access token id → document id
	retained *simkit.Retained[*doc] // the documents' PDF bytes, oldest first
}

// New returns a simulator for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 10 * time.Second
	}
	if cfg.WebhookRetries == nil {
		cfg.WebhookRetries = []time.Duration{5 * time.Second, 30 * time.Second, 2 * time.Minute}
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = time.Hour
	}
	core, err := simkit.NewCore(simkit.CoreConfig{Name: "digio sim", BaseURL: cfg.BaseURL,
		Errors: writeError, NotFound: "Resource not found", Ops: []string{OpUpload, OpDetails, OpDownload, OpCancel},
		HTTPClient: cfg.HTTPClient, CallbackTimeout: cfg.WebhookTimeout, CallbackRetries: cfg.WebhookRetries,
		ESignProvider: ESignProvider, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.ClientID == "" || cfg.ClientSecret == "":
		return nil, errors.New("digio sim: ClientID and ClientSecret are required")
	case cfg.WebhookURL != "" && !httpx.IsHTTPURL(cfg.WebhookURL):
		return nil, errors.New("digio sim: WebhookURL must be an absolute http(s) URL")
	}
	s := &Server{
		Core:   core,
		cfg:    cfg,
		docs:   map[string]*doc{},
		tokens: map[string]string{},
	}
	s.retained = simkit.NewRetained(cfg.RetainBytes, func(d *doc) bool { return !d.open() }, s.forget)
	mux := core.Mount.Mux
	mux.HandleFunc("POST /v2/client/document/uploadpdf", s.upload)
	mux.HandleFunc("GET /v2/client/document/download", s.download)
	mux.HandleFunc("GET /v2/client/document/{id}", s.details)
	mux.HandleFunc("POST /v2/client/document/{id}/cancel", s.cancelDoc)
	mux.HandleFunc("GET /gateway/login/{id}/{txn}/{identifier}", s.page)
	mux.HandleFunc("POST /gateway/login/{id}/{txn}/{identifier}", s.submit)
	mux.HandleFunc("GET /gateway/login/{id}/{txn}/{identifier}/preview", s.preview)
	return s, nil
}

// ESignProvider names the simulated eSign service in the signers'
// certificates.
const ESignProvider = "Digio Sandbox eSign"

// GatewayURL is the simulated gateway, to configure the adapter with
// (digio.Config.GatewayURL).
func (s *Server) GatewayURL() string { return s.Mount.Base + "/gateway/login" }

// admit applies the fault queued for op, if any, then checks the HTTP
// Basic credentials. It answers the request itself when either stops it
// (and returns false).
func (s *Server) admit(w http.ResponseWriter, r *http.Request, op string) bool {
	if s.Inject(w, r, op) {
		return false
	}
	id, secret, ok := r.BasicAuth()
	if !ok || !httpx.SameSecret(id+"\x00"+secret, s.cfg.ClientID+"\x00"+s.cfg.ClientSecret) {
		writeError(w, http.StatusUnauthorized, codeUnauthorized, "Invalid client credentials")
		return false
	}
	return true
}

// Digio's error codes, as the simulator uses them.
const (
	codeUnauthorized = "UNAUTHORIZED"
	codeNotFound     = "NOT_FOUND"
	codeValidation   = "REQUEST_VALIDATION_FAILED"
	codeTooLarge     = "PAYLOAD_TOO_LARGE"
	codeInvalidState = "INVALID_DOCUMENT_STATE"
	codeRateLimited  = "TOO_MANY_REQUESTS"
	codeInternal     = "INTERNAL_SERVER_ERROR"
	codeUnavailable  = "SERVICE_UNAVAILABLE"
)

// errorBody is Digio's error shape: {"code","message","details"}.
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// statusCode is the code Digio's error body carries for an HTTP status.
func statusCode(status int) string {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return codeUnauthorized
	case status == http.StatusNotFound:
		return codeNotFound
	case status == http.StatusTooManyRequests:
		return codeRateLimited
	case status == http.StatusRequestEntityTooLarge:
		return codeTooLarge
	case status == http.StatusServiceUnavailable || status == http.StatusBadGateway || status == http.StatusGatewayTimeout:
		return codeUnavailable
	case status >= 500:
		return codeInternal
	}
	return codeValidation
}

// writeError answers Digio's error body; code "" is the one that goes
// with status.
func writeError(w http.ResponseWriter, status int, code, message string) {
	writeErrorDetails(w, status, code, message, "")
}

func writeErrorDetails(w http.ResponseWriter, status int, code, message, details string) {
	if code == "" {
		code = statusCode(status)
	}
	writeJSON(w, status, errorBody{Code: code, Message: message, Details: details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	simkit.WriteJSON(w, status, "application/json; charset=utf-8", v)
}
