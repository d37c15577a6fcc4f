// Package page is Signet's BankID signer page: the session's redirectUrl
// for BankID, which has no signing page of its own. It shows the animated
// QR code (redrawn every second), the autostart link for BankID on the
// same device and the session's status as Signet knows it (Signet's
// poller collects the order every 2 s), and sends the signer on to the
// client's returnUrl once the session is finished. In sandbox mode it
// also carries the simulated BankID app's form (action=sign|decline),
// so that the flow completes without a phone.
//
// Routes, under Config.Prefix (default /bankid), each needing the
// session's page token as query parameter t:
//
//	GET {prefix}/{sessionId}          the page (HTML)
//	GET {prefix}/{sessionId}/qr       {"qrData","t","svg","status","terminal"}: the current QR code
//	GET {prefix}/{sessionId}/status   {"status","terminal","failureReason","returnUrl"}
//
// A wrong or missing token, an unknown session or one at another provider
// all answer 404 alike.
package page

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/page/qr"
	"github.com/signet-dev/signet/internal/signing"
)

// DefaultPrefix is where Signet mounts the page; the adapter builds
// redirectUrl as {PublicURL}/bankid/{sessionId}?t=….
const DefaultPrefix = "/bankid"

// Config configures a Handler. Lookup is required, and SimAppURL in
// sandbox mode.
type Config struct {
	// Lookup reads a session by id, in any tenant (the page token is the
	// signer's only credential). It returns an error wrapping
	// signing.ErrNotFound for an unknown session.
	Lookup func(ctx context.Context, sessionID string) (*signing.Session, error)
	// Refresh, when set, brings an open session up to date with BankID
	// (Signet's refresh: one collect) before the HTML page is drawn, so
	// that a signer sent back here by the app sees the outcome at once
	// rather than after the next poll. The QR and status routes, called
	// every second, never refresh. Its errors are logged and the session
	// is shown as it was.
	Refresh func(ctx context.Context, sess *signing.Session) (*signing.Session, error)
	// Now is the clock for the QR code's time (time.Now if nil).
	Now func() time.Time
	// Sandbox adds the simulated BankID app's sign/decline form.
	Sandbox bool
	// SimAppURL is the simulated app's form URL for an order (the
	// simulator's AppURL); required with Sandbox.
	SimAppURL func(orderRef string) string
	// Prefix is the path the Handler is mounted at (DefaultPrefix if
	// empty); requests work with or without it.
	Prefix string
	// Logger receives lookup failures (slog.Default if nil).
	Logger *slog.Logger
}

// Handler serves the BankID page. It is safe for concurrent use.
type Handler struct {
	cfg    Config
	prefix string
	mux    *http.ServeMux
	log    *slog.Logger
}

// New validates cfg and returns a Handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Lookup == nil {
		return nil, errors.New("bankid page: Lookup is required")
	}
	if cfg.Sandbox && cfg.SimAppURL == nil {
		return nil, errors.New("bankid page: SimAppURL is required in sandbox mode")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Prefix == "" {
		cfg.Prefix = DefaultPrefix
	}
	prefix := "/" + strings.Trim(cfg.Prefix, "/")
	if prefix == "/" {
		prefix = ""
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	h := &Handler{cfg: cfg, prefix: prefix, mux: http.NewServeMux(), log: log}
	h.mux.HandleFunc("GET /{sessionId}", h.page)
	h.mux.HandleFunc("GET /{sessionId}/qr", h.qr)
	h.mux.HandleFunc("GET /{sessionId}/status", h.status)
	h.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w) })
	return h, nil
}

// ServeHTTP serves the page's routes, with or without the prefix.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p := h.prefix; p != "" && strings.HasPrefix(r.URL.Path, p+"/") {
		r2 := new(http.Request)
		*r2 = *r
		u := *r.URL
		u.Path = strings.TrimPrefix(r.URL.Path, p)
		u.RawPath = ""
		r2.URL = &u
		r = r2
	}
	h.mux.ServeHTTP(w, r)
}

// QRData is the content of BankID's animated QR code at t whole seconds
// after the order started: bankid.<qrStartToken>.<t>.<qrAuthCode>, where
// qrAuthCode is the hex HMAC-SHA256 of the decimal t keyed with
// qrStartSecret.
func QRData(qrStartToken, qrStartSecret string, t int64) string {
	mac := hmac.New(sha256.New, []byte(qrStartSecret))
	mac.Write([]byte(strconv.FormatInt(t, 10)))
	return "bankid." + qrStartToken + "." + strconv.FormatInt(t, 10) + "." + hex.EncodeToString(mac.Sum(nil))
}

// view is a session the signer may see: its page token checked.
type view struct {
	sess  *signing.Session
	state bankid.State
	token string
}

// load finds the session of a request and checks its page token, then,
// with refresh, brings it up to date (Config.Refresh). It answers the
// request itself (404 or 500) and returns nil when it cannot go on.
func (h *Handler) load(w http.ResponseWriter, r *http.Request, refresh bool) *view {
	id := r.PathValue("sessionId")
	token := r.URL.Query().Get("t")
	if id == "" || token == "" || len(token) > 200 || len(id) > 200 {
		notFound(w)
		return nil
	}
	sess, err := h.cfg.Lookup(r.Context(), id)
	if err != nil {
		if !errors.Is(err, signing.ErrNotFound) {
			h.log.Error("bankid page: session lookup failed", "session", id, "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return nil
		}
		notFound(w)
		return nil
	}
	if sess == nil || sess.Provider != bankid.Name || sess.ProviderRef == "" {
		notFound(w)
		return nil
	}
	st, err := bankid.ParseState(sess.ProviderState)
	if err != nil || !sameToken(token, st.PageToken) {
		notFound(w)
		return nil
	}
	if refresh && h.cfg.Refresh != nil && !sess.Status.Terminal() {
		if fresh, err := h.cfg.Refresh(r.Context(), sess); err != nil {
			h.log.Info("bankid page: refresh failed", "session", id, "err", err)
		} else if fresh != nil && fresh.ID == sess.ID {
			sess = fresh
		}
	}
	if !sess.Status.Terminal() && !sess.ExpiresAt.IsZero() && !h.cfg.Now().Before(sess.ExpiresAt) {
		// Never shown as open after expiresAt, even before the sweeper ran.
		s := *sess
		s.Status = signing.StatusExpired
		sess = &s
	}
	return &view{sess: sess, state: st, token: token}
}

// sameToken compares tokens in constant time; comparing digests keeps
// even the length from leaking.
func sameToken(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return hmac.Equal(g[:], w[:])
}

// elapsed is the QR code's t: whole seconds since the order started.
func (h *Handler) elapsed(st bankid.State) int64 {
	t := h.cfg.Now().Unix() - st.StartedAt
	if t < 0 {
		return 0
	}
	return t
}

// qrPayload is the answer of GET …/qr.
type qrPayload struct {
	QRData   string         `json:"qrData,omitempty"`
	T        int64          `json:"t"`
	SVG      string         `json:"svg,omitempty"`
	Status   signing.Status `json:"status"`
	Terminal bool           `json:"terminal"`
}

func (h *Handler) qr(w http.ResponseWriter, r *http.Request) {
	v := h.load(w, r, false)
	if v == nil {
		return
	}
	p := qrPayload{Status: v.sess.Status, Terminal: v.sess.Status.Terminal()}
	if !p.Terminal {
		p.T = h.elapsed(v.state)
		p.QRData = QRData(v.state.QRStartToken, v.state.QRStartSecret, p.T)
		p.SVG = svg(p.QRData)
	}
	writeJSON(w, p)
}

// statusPayload is the answer of GET …/status.
type statusPayload struct {
	Status        signing.Status `json:"status"`
	Terminal      bool           `json:"terminal"`
	FailureReason string         `json:"failureReason,omitempty"`
	ReturnURL     string         `json:"returnUrl,omitempty"`
}

func (h *Handler) status(w http.ResponseWriter, r *http.Request) {
	v := h.load(w, r, false)
	if v == nil {
		return
	}
	p := statusPayload{Status: v.sess.Status, Terminal: v.sess.Status.Terminal()}
	if p.Terminal {
		p.ReturnURL = safeURL(v.sess.ReturnURL)
		if v.sess.Status == signing.StatusFailed {
			p.FailureReason = v.sess.FailureReason
		}
	}
	writeJSON(w, p)
}

// svg is the QR code of data as SVG, or "" if it cannot be encoded (the
// page then shows the data as text).
func svg(data string) string {
	c, err := qr.Encode([]byte(data), qr.M)
	if err != nil {
		return ""
	}
	return c.SVG()
}

// autostartLinks are BankID's links that start the app on this device:
// the app's own scheme and the universal link (for iOS and browsers that
// block custom schemes). redirect=null: the app returns to the page by
// the returnUrl given with the order.
func autostartLinks(token string) (scheme, universal string) {
	q := "?autostarttoken=" + url.QueryEscape(token) + "&redirect=null"
	return "bankid:///" + q, "https://app.bankid.com/" + q
}

// safeURL is u if it is an absolute http(s) URL, else "" (a returnUrl is
// only ever followed, never interpreted).
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
		return ""
	}
	return u
}

func (h *Handler) path(v *view, suffix string) string {
	return h.prefix + "/" + url.PathEscape(v.sess.ID) + suffix + "?t=" + url.QueryEscape(v.token)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(b)
}

func notFound(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	http.Error(w, "404 page not found", http.StatusNotFound)
}

// newNonce is a fresh nonce for the page's one inline script.
func newNonce() string {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("bankid page: crypto/rand: %v", err)) // the OS has no randomness left
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
