// Package sim simulates Leegality's Document Execution API v3 over real
// HTTP, for Signet's sandbox mode and for tests: the same endpoints,
// envelopes, statuses, quirks and webhooks as Leegality (see PROVIDERS.md,
// Leegality section), plus a signing page that stands in for the Aadhaar
// eSign journey.
//
// Routes, relative to the mount point (Config.BaseURL, which plays
// https://sandbox.leegality.com/api):
//
//	POST   /v3.0/sign/request                                  create a document from a workflow (X-Auth-Token)
//	GET    /v3.2/sign/request?documentId=                      its invitations (requests[]) and file links (X-Auth-Token)
//	GET    /v3.3/document/details?documentId=&file=&auditTrail= its details (invitations[]) (X-Auth-Token)
//	GET    /v3.3/document/fetchDocument?documentId=&documentDownloadType=
//	                                                           a short-lived download link (X-Auth-Token)
//	DELETE /v3.0/sign/request?documentId=                      delete the document (X-Auth-Token)
//	GET    /sign/{invitationId}                                the invitee's signing page (signUrl)
//	POST   /sign/{invitationId}                                its form: action=sign|decline
//	GET    /cdn/{token}/{file}                                 a download link (no token; expires)
//
// Mount it either behind http.StripPrefix (the prefix being BaseURL's
// path) or as is: a request whose path still starts with BaseURL's path
// has that prefix removed first.
//
// Signing is real: each invitee's Aadhaar eSign adds a PAdES signature by a
// one-time certificate naming them, issued by a sandbox eSign CA
// (simkit.ESigner), each later invitee signing the file as the earlier
// ones left it, so the completed document holds one valid signature per
// invitee. With requestSignOrder true, an invitee whose turn has not come
// is refused on the signing page, as Leegality does; the details and the
// webhooks report every invitation on its own.
//
// Leegality's quirks are reproduced: failures come as HTTP 200 with
// "status": 0 and messages[{code, message}]; dates are "DD-MM-YYYY
// HH:MM:SS" in IST with no zone; a rejection or an expiry shows on the
// invitation (action "Rejected", rejected/expired: true) while the
// document stays SENT; the details API says "SENT"/"COMPLETED" where the
// webhook says "Sent"/"Completed". A missing or wrong X-Auth-Token is
// answered HTTP 401 with the same envelope; injected outages (FailNext)
// use HTTP error statuses, injected refusals (RefuseNext) the status-0
// form. Webhooks go to the workflow's webhook
// URL (Config.WebhookURL), carry mac = hex HMAC-SHA1(private salt,
// documentId), and are re-sent 3 more times after a non-2xx answer.
//
// State is in memory.
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
	// http://127.0.0.1:8080/sandbox/leegality; signUrls and download
	// links are built on it.
	BaseURL string
	// Token is the API token clients must send as X-Auth-Token.
	Token string
	// PrivateSalt is the account's private salt, the key of the webhooks'
	// mac.
	PrivateSalt string
	// ProfileID is the one workflow the simulated account has. Creating
	// from another profileId is refused; empty accepts any.
	ProfileID string
	// WebhookURL is the workflow's webhook URL (Leegality configures it on
	// the dashboard, for success and error events alike). Empty: no
	// webhooks are sent.
	WebhookURL string
	// HTTPClient sends webhooks (a client with no timeout of its own is
	// fine: each attempt has WebhookTimeout).
	HTTPClient *http.Client
	// Now is the simulator's clock (time.Now if nil).
	Now func() time.Time
	// InvitationExpiry is how long an invitation stays signable (10 days,
	// Leegality's default, if zero).
	InvitationExpiry time.Duration
	// DownloadTTL is how long a fetchDocument link works (5 minutes, as
	// Leegality's CDN links, if zero).
	DownloadTTL time.Duration
	// WebhookTimeout bounds one webhook attempt (5 s if zero).
	WebhookTimeout time.Duration
	// WebhookRetries are the waits before each re-send of a webhook that
	// was not answered 2xx. Leegality re-sends 3 more times; nil means
	// 10 s, 1 min, 5 min; empty means no re-sends.
	WebhookRetries []time.Duration
	// RetainBytes bounds the PDFs kept in memory; past it the oldest
	// documents are forgotten (simkit.DefaultRetainBytes if zero).
	RetainBytes int64
}

// ESignProvider names the sandbox eSign service in the organization of
// every signer certificate the simulator issues.
const ESignProvider = "Leegality Sandbox eSign"

// Server is the simulator, an http.Handler. It is safe for concurrent use.
// Its eSign service signs for the invitees, as the eSign service provider
// behind Leegality does: a certificate per signature naming the invitee.
type Server struct {
	*simkit.Core // ServeHTTP, Close, ESignCA; FailNext, ThrottleNext and DelayNext on the Op* operations (and RefuseNext)

	cfg Config

	mu          sync.Mutex
	docs        map[string]*document        // by documentId
	invitations map[string]string           // invitation id → documentId
	links       map[string]*link            // download token → link
	unknownNext map[string]bool             // documentIds whose next read reports unknown words
	retained    *simkit.Retained[*document] // the documents' PDF bytes, oldest first
}

// New returns a simulator for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.InvitationExpiry <= 0 {
		cfg.InvitationExpiry = 10 * 24 * time.Hour
	}
	if cfg.DownloadTTL <= 0 {
		cfg.DownloadTTL = 5 * time.Minute
	}
	if cfg.WebhookTimeout <= 0 {
		cfg.WebhookTimeout = 5 * time.Second
	}
	if cfg.WebhookRetries == nil {
		cfg.WebhookRetries = []time.Duration{10 * time.Second, time.Minute, 5 * time.Minute}
	}
	core, err := simkit.NewCore(simkit.CoreConfig{Name: "leegality sim", BaseURL: cfg.BaseURL,
		Errors: writeError, NotFound: "The requested resource was not found.",
		Ops:        []string{OpCreate, OpStatus, OpDetails, OpFetch, OpDownload, OpDelete},
		HTTPClient: cfg.HTTPClient, CallbackTimeout: cfg.WebhookTimeout, CallbackRetries: cfg.WebhookRetries,
		ESignProvider: ESignProvider, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Token == "":
		return nil, errors.New("leegality sim: Token is required")
	case cfg.PrivateSalt == "":
		return nil, errors.New("leegality sim: PrivateSalt is required")
	case cfg.WebhookURL != "" && !httpx.IsHTTPURL(cfg.WebhookURL):
		return nil, errors.New("leegality sim: WebhookURL must be an absolute http(s) URL")
	}
	s := &Server{
		Core:        core,
		cfg:         cfg,
		docs:        map[string]*document{},
		invitations: map[string]string{},
		links:       map[string]*link{},
		unknownNext: map[string]bool{},
	}
	s.retained = simkit.NewRetained(cfg.RetainBytes, func(d *document) bool { return !d.ended(s.cfg.Now()).IsZero() }, s.forget)
	mux := core.Mount.Mux
	mux.HandleFunc("POST /v3.0/sign/request", s.create)
	mux.HandleFunc("DELETE /v3.0/sign/request", s.delete)
	mux.HandleFunc("GET /v3.2/sign/request", s.status)
	mux.HandleFunc("GET /v3.3/document/details", s.details)
	mux.HandleFunc("GET /v3.3/document/fetchDocument", s.fetchDocument)
	mux.HandleFunc("GET /sign/{invitationId}", s.page)
	mux.HandleFunc("POST /sign/{invitationId}", s.submit)
	mux.HandleFunc("GET /cdn/{token}/{file}", s.download)
	return s, nil
}

// authorized checks X-Auth-Token against the token.
func (s *Server) authorized(r *http.Request) bool {
	return httpx.SameSecret(r.Header.Get("X-Auth-Token"), s.cfg.Token)
}

// message is one entry of an envelope's messages.
type message struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// envelope is Leegality's answer shape: status 1 with data, or status 0
// with messages saying why.
type envelope struct {
	Status   int       `json:"status"`
	Messages []message `json:"messages"`
	Data     any       `json:"data"`
}

// writeOK answers HTTP 200 with status 1 and data.
func writeOK(w http.ResponseWriter, data any, ms ...message) {
	if ms == nil {
		ms = []message{}
	}
	writeJSON(w, http.StatusOK, envelope{Status: 1, Messages: ms, Data: data})
}

// writeRefusal answers the way Leegality refuses a request: HTTP 200 with
// status 0 and a message.
func writeRefusal(w http.ResponseWriter, code, msg string) { writeError(w, http.StatusOK, code, msg) }

// errorCodes are the message codes that go with an HTTP status.
var errorCodes = map[int]string{
	http.StatusBadRequest:            "request.invalid",
	http.StatusUnauthorized:          "auth.token.invalid",
	http.StatusNotFound:              "resource.not.found",
	http.StatusRequestEntityTooLarge: "request.too.large",
	http.StatusTooManyRequests:       "rate.limit.exceeded",
}

// writeError answers the HTTP status with the envelope (status 0) as
// body; code "" is the one that goes with the status.
func writeError(w http.ResponseWriter, status int, code, msg string) {
	if code == "" {
		code = errorCodes[status]
	}
	if code == "" {
		code = "server.error"
	}
	writeJSON(w, status, envelope{Status: 0, Messages: []message{{Code: code, Message: msg}}, Data: nil})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	simkit.WriteJSON(w, status, "application/json;charset=UTF-8", v)
}
