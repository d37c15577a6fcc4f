// Package sim simulates Swedish BankID's Relying Party API v6.0 over real
// HTTPS with mutual TLS, for Signet's sandbox mode and for tests: the same
// endpoints, payloads, hint codes and errors as BankID (see PROVIDERS.md,
// BankID section), plus a simulated BankID app that a browser can drive.
//
// Routes, relative to the mount point:
//
//	POST /rp/v6.0/sign      start a sign order            (client certificate)
//	POST /rp/v6.0/collect   the order's status             (client certificate)
//	POST /rp/v6.0/cancel    cancel a pending order         (client certificate)
//	GET  /app/{orderRef}    the simulated app's screen: opening it starts the order
//	POST /app/{orderRef}    the app's form: action=sign|decline, then 303 to the
//	                        order's returnUrl (or a result page without one)
//	GET  /app?autostarttoken=…  the autostart link, as the app on the same device
//	POST /app/scan          the app scanning a QR code: form field qr=bankid.…
//
// The RP API is answered only over TLS with a verified client certificate
// (and, with Config.RPCommonName, only for that relying party); anything
// else gets BankID's 401 unauthorized. Serve it on its own TLS listener
// (ListenTLS, or httptest with PKI.ServerTLS); the /app routes are for
// browsers and work over plain HTTP too, so Signet also mounts the
// Server under /sandbox/bankid/ on its main listener. A request whose
// path still starts with BaseURL's path has that prefix removed first, so
// the Server works behind http.StripPrefix or without it.
//
// Orders follow BankID as strictly as BankID itself: pending with
// hintCode outstandingTransaction until the app picks them up (a scanned
// QR code, the autostart link), which must happen within StartWindow
// (BankID: 30 seconds) or the order fails with startFailed; a started
// order expires (failed/expiredTransaction) after OrderTTL without
// action. A finished order can be collected once: the collect that
// reports it complete or failed is the last, and every later one answers
// 400 invalidParameters "No such order", as does a collect after the
// relying party's /cancel. A finished order nobody collects is forgotten
// after CompletedRetention (complete) or FailedRetention (failed). A sign
// for a personal number with an order in progress fails with
// alreadyInProgress and cancels that order (failed/cancelled), as BankID
// does: one order per person at a time.
//
// A completed order carries what BankID's does: a signature XML
// (XMLDSig, enveloping bankIdSignedData, signed with the simulated user's
// own key and carrying the user's certificate) and a real OCSP response
// for that certificate from the simulated issuing CA (UserCA), its nonce
// bound to the signature as BankID binds it. State is in memory.
package sim

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid/errcode"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// APIPath is where the RP API lives under the mount, as on BankID's hosts.
const APIPath = "/rp/v6.0"

// Defaults for the optional Config fields, BankID's own numbers.
const (
	DefaultStartWindow        = 30 * time.Second
	DefaultOrderTTL           = 3 * time.Minute
	DefaultCompletedRetention = 3 * time.Minute
	DefaultFailedRetention    = 3 * time.Minute
)

// Config configures a Server.
type Config struct {
	// BaseURL is the public URL of the mount that browsers reach, e.g.
	// http://127.0.0.1:8080/sandbox/bankid; the simulated app's pages are
	// under it (AppURL).
	BaseURL string
	// RPCommonName, when set, is the common name the relying party's
	// client certificate must carry; other certificates are answered 401
	// unauthorized, like a relying party BankID has no agreement with.
	RPCommonName string
	// Now is the simulator's clock (time.Now if nil).
	Now func() time.Time
	// StartWindow is how long a new order waits for the app to pick it up
	// before it fails with startFailed (DefaultStartWindow if zero).
	StartWindow time.Duration
	// OrderTTL is how long a started order lives without action before it
	// fails with expiredTransaction (DefaultOrderTTL if zero).
	OrderTTL time.Duration
	// CompletedRetention and FailedRetention are how long finished orders
	// can still be collected (the defaults if zero).
	CompletedRetention time.Duration
	FailedRetention    time.Duration
	// Logger receives the TLS listener's errors (failed handshakes, at
	// debug level); they are dropped if nil.
	Logger *slog.Logger
}

// Server is the simulator, an http.Handler. It is safe for concurrent use.
type Server struct {
	*simkit.Faults // FailNext, ThrottleNext and DelayNext on the Op* operations

	cfg   Config
	mount *simkit.Mount
	ca    *issuer

	mu         sync.Mutex
	orders     map[string]*order    // by orderRef
	users      map[string]User      // by personal number
	identities map[string]*identity // the users' keys and certificates, made on first use
	servers    []*http.Server       // started by ListenTLS
}

// New returns a simulator for cfg.
func New(cfg Config) (*Server, error) {
	mount, err := simkit.NewMount(cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("bankid sim: %w", err)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.StartWindow <= 0 {
		cfg.StartWindow = DefaultStartWindow
	}
	if cfg.OrderTTL <= 0 {
		cfg.OrderTTL = DefaultOrderTTL
	}
	if cfg.CompletedRetention <= 0 {
		cfg.CompletedRetention = DefaultCompletedRetention
	}
	if cfg.FailedRetention <= 0 {
		cfg.FailedRetention = DefaultFailedRetention
	}
	ca, err := newIssuer()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Faults:     simkit.NewFaults(writeError, OpSign, OpCollect, OpCancel),
		cfg:        cfg,
		mount:      mount,
		ca:         ca,
		orders:     map[string]*order{},
		users:      map[string]User{},
		identities: map[string]*identity{},
	}
	mux := mount.Mux
	mux.HandleFunc(APIPath+"/sign", s.api(OpSign, s.sign))
	mux.HandleFunc(APIPath+"/collect", s.api(OpCollect, s.collect))
	mux.HandleFunc(APIPath+"/cancel", s.api(OpCancel, s.cancel))
	mux.HandleFunc("GET /app/{orderRef}", s.appScreen)
	mux.HandleFunc("POST /app/{orderRef}", s.appSubmit)
	mux.HandleFunc("GET /app", s.autostart)
	mux.HandleFunc("POST /app/scan", s.scan)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errcode.NotFound, "Not found")
	})
	return s, nil
}

// ServeHTTP serves the simulated API and app, with or without BaseURL's
// path in front of the routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mount.ServeHTTP(w, r) }

// AppURL is the simulated app's screen for an order, on BaseURL; its form
// posts to the same URL.
func (s *Server) AppURL(orderRef string) string {
	return s.mount.Base + "/app/" + url.PathEscape(orderRef)
}

// ListenTLS serves the simulator on a new TLS listener at addr (e.g.
// "127.0.0.1:0") with cfg (PKI.ServerTLS: it must require and verify
// client certificates) and returns the RP API's base URL there,
// https://HOST:PORT/rp/v6.0, for the adapter's BaseURL. Close stops it.
func (s *Server) ListenTLS(addr string, cfg *tls.Config) (string, error) {
	if cfg == nil || len(cfg.Certificates) == 0 && cfg.GetCertificate == nil {
		return "", errors.New("bankid sim: ListenTLS needs a TLS configuration with a server certificate")
	}
	if cfg.ClientAuth != tls.RequireAndVerifyClientCert {
		return "", errors.New("bankid sim: ListenTLS needs ClientAuth RequireAndVerifyClientCert, as BankID's RP API")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", err
	}
	errLog := log.New(io.Discard, "", 0)
	if s.cfg.Logger != nil {
		errLog = slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug)
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	s.mu.Lock()
	s.servers = append(s.servers, srv)
	s.mu.Unlock()
	go func() { _ = srv.Serve(tls.NewListener(ln, cfg.Clone())) }() // ends at Close
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "https://" + net.JoinHostPort(host, port) + APIPath, nil
}

// Close stops the listeners ListenTLS started. The Server itself keeps
// answering requests given to ServeHTTP.
func (s *Server) Close() error {
	s.mu.Lock()
	servers := s.servers
	s.servers = nil
	s.mu.Unlock()
	var errs []error
	for _, srv := range servers {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		if err := srv.Shutdown(ctx); err != nil {
			errs = append(errs, srv.Close())
		}
		cancel()
	}
	return errors.Join(errs...)
}

// statusCodes are the error codes BankID uses with an HTTP status. It
// has none for 429: a gateway in front of it answers that.
var statusCodes = map[int]string{
	http.StatusBadRequest:           errcode.InvalidParameters,
	http.StatusUnauthorized:         errcode.Unauthorized,
	http.StatusForbidden:            errcode.Unauthorized,
	http.StatusNotFound:             errcode.NotFound,
	http.StatusMethodNotAllowed:     errcode.MethodNotAllowed,
	http.StatusRequestTimeout:       errcode.RequestTimeout,
	http.StatusUnsupportedMediaType: errcode.UnsupportedMedia,
	http.StatusServiceUnavailable:   errcode.Maintenance,
	http.StatusTooManyRequests:      "",
}

// codeForStatus is the error code BankID uses with an HTTP status.
func codeForStatus(status int) string {
	if code, ok := statusCodes[status]; ok {
		return code
	}
	if status >= 500 {
		return errcode.InternalError
	}
	return errcode.InvalidParameters
}

// errorBody is BankID's error shape.
type errorBody struct {
	ErrorCode string `json:"errorCode"`
	Details   string `json:"details"`
}

// writeError answers BankID's error body; code "" is the one BankID uses
// with status.
func writeError(w http.ResponseWriter, status int, code, details string) {
	if code == "" {
		code = codeForStatus(status)
	}
	if code == "" {
		http.Error(w, details, status)
		return
	}
	writeJSON(w, status, errorBody{ErrorCode: code, Details: details})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	simkit.WriteJSON(w, status, "application/json", v)
}
