package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/signing"
)

// BankIDConfig configures the BankID page: the redirectUrl of a BankID
// session, since BankID has no signing page of its own. The page shows
// the animated QR code (redrawn every second), the autostart link for
// BankID on the same device and the session's status as Signet knows it
// (Signet's poller collects the order every 2 s), and sends the signer on
// to the client's returnUrl once the session is finished. In sandbox mode
// it also carries the simulated BankID app's form (action=sign|decline),
// so that the flow completes without a phone.
//
// Routes, each needing the session's page token as query parameter t:
//
//	GET /bankid/{sessionId}          the page (HTML)
//	GET /bankid/{sessionId}/qr       {"qrData","t","svg","status","terminal"}: the current QR code
//	GET /bankid/{sessionId}/status   {"status","terminal","failureReason","returnUrl"}
//
// A wrong or missing token, an unknown session or one at another provider
// all answer 404 alike.
type BankIDConfig struct {
	// Lookup reads a session by id, in any tenant (the page token is the
	// signer's only credential). It returns an error wrapping
	// signing.ErrNotFound for an unknown session. Required.
	Lookup func(ctx context.Context, sessionID string) (*signing.Session, error)
	// Refresh, when set, brings an open session up to date with BankID
	// (Signet's refresh: one collect) before the HTML page is drawn, so
	// that a signer sent back here by the app sees the outcome at once
	// rather than after the next poll. The QR and status routes, called
	// every second, never refresh. Its errors are logged and the session
	// is shown as it was.
	Refresh func(ctx context.Context, sess *signing.Session) (*signing.Session, error)
	// SimAppURL, in sandbox mode, is the simulated app's form URL for an
	// order (the simulator's AppURL); when set, the page carries that form.
	SimAppURL func(orderRef string) string
}

// bankidPage serves the BankID page.
type bankidPage struct {
	site *Site
	cfg  BankIDConfig
}

func newBankIDPage(s *Site, cfg BankIDConfig) (*bankidPage, error) {
	if cfg.Lookup == nil {
		return nil, errors.New("web: BankID page: Lookup is required")
	}
	return &bankidPage{site: s, cfg: cfg}, nil
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

// bankidSession is a session the signer may see: its page token checked.
type bankidSession struct {
	sess  *signing.Session
	state bankid.State
	token string
}

// load finds the session of a request and checks its page token, then,
// with refresh, brings it up to date (BankIDConfig.Refresh). It answers
// the request itself (404 or 500) and returns nil when it cannot go on.
func (p *bankidPage) load(w http.ResponseWriter, r *http.Request, refresh bool) *bankidSession {
	s := p.site
	id := r.PathValue("sessionId")
	token := r.URL.Query().Get("t")
	if id == "" || token == "" || len(token) > 200 || len(id) > 200 {
		s.notFound(w, r)
		return nil
	}
	sess, err := p.cfg.Lookup(r.Context(), id)
	if err != nil {
		if !errors.Is(err, signing.ErrNotFound) {
			s.log.Error("web: BankID page: session lookup failed", "session", id, "err", err)
			s.renderError(w, r, http.StatusInternalServerError, "error.internal")
			return nil
		}
		s.notFound(w, r)
		return nil
	}
	if sess == nil || sess.Provider != bankid.Name || sess.ProviderRef == "" {
		s.notFound(w, r)
		return nil
	}
	st, err := bankid.ParseState(sess.ProviderState)
	if err != nil || !sameToken(token, st.PageToken) {
		s.notFound(w, r)
		return nil
	}
	if refresh && p.cfg.Refresh != nil && !sess.Status.Terminal() {
		if fresh, err := p.cfg.Refresh(r.Context(), sess); err != nil {
			s.log.Info("web: BankID page: refresh failed", "session", id, "err", err)
		} else if fresh != nil && fresh.ID == sess.ID {
			sess = fresh
		}
	}
	if !sess.Status.Terminal() && !sess.ExpiresAt.IsZero() && !s.cfg.Now().Before(sess.ExpiresAt) {
		// Never shown as open after expiresAt, even before the sweeper ran.
		c := *sess
		c.Status = signing.StatusExpired
		sess = &c
	}
	return &bankidSession{sess: sess, state: st, token: token}
}

// sameToken compares tokens in constant time; comparing digests keeps
// even the length from leaking.
func sameToken(got, want string) bool {
	g := sha256.Sum256([]byte(got))
	w := sha256.Sum256([]byte(want))
	return hmac.Equal(g[:], w[:])
}

// elapsed is the QR code's t: whole seconds since the order started.
func (p *bankidPage) elapsed(st bankid.State) int64 {
	t := p.site.cfg.Now().Unix() - st.StartedAt
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

func (p *bankidPage) qr(w http.ResponseWriter, r *http.Request) {
	v := p.load(w, r, false)
	if v == nil {
		return
	}
	q := qrPayload{Status: v.sess.Status, Terminal: v.sess.Status.Terminal()}
	if !q.Terminal {
		q.T = p.elapsed(v.state)
		q.QRData = QRData(v.state.QRStartToken, v.state.QRStartSecret, q.T)
		q.SVG = qrSVG(q.QRData)
	}
	p.site.writeJSON(w, r, q)
}

// statusPayload is the answer of GET …/status.
type statusPayload struct {
	Status        signing.Status `json:"status"`
	Terminal      bool           `json:"terminal"`
	FailureReason string         `json:"failureReason,omitempty"`
	ReturnURL     string         `json:"returnUrl,omitempty"`
}

func (p *bankidPage) status(w http.ResponseWriter, r *http.Request) {
	v := p.load(w, r, false)
	if v == nil {
		return
	}
	q := statusPayload{Status: v.sess.Status, Terminal: v.sess.Status.Terminal()}
	if q.Terminal {
		q.ReturnURL = safeURL(v.sess.ReturnURL)
		if v.sess.Status == signing.StatusFailed {
			q.FailureReason = v.sess.FailureReason
		}
	}
	p.site.writeJSON(w, r, q)
}

// bankidView fills templates/pages/bankid.html.
type bankidView struct {
	Terminal      bool
	Outcome       string // the outcome's message key: bankid.outcome.completed, …
	FailureReason string
	ReturnURL     string
	InProgress    bool

	Document string
	Hash     string

	QRData    string
	QRSVG     template.HTML
	QRPath    string
	Scheme    template.URL
	Universal string

	SimAppURL string
}

// page handles GET /bankid/{sessionId}: the QR page while the session is
// open, its outcome once finished.
func (p *bankidPage) page(w http.ResponseWriter, r *http.Request) {
	v := p.load(w, r, true)
	if v == nil {
		return
	}
	d := bankidView{Document: v.sess.DocumentName, Hash: v.state.DocumentSHA256}
	if v.sess.Status.Terminal() {
		d.Terminal = true
		d.Outcome = "bankid.outcome." + strings.ToLower(string(v.sess.Status))
		if v.sess.Status == signing.StatusFailed {
			d.FailureReason = v.sess.FailureReason
		}
		d.ReturnURL = safeURL(v.sess.ReturnURL)
	} else {
		d.InProgress = v.sess.Status == signing.StatusInProgress
		d.QRData = QRData(v.state.QRStartToken, v.state.QRStartSecret, p.elapsed(v.state))
		d.QRSVG = template.HTML(qrSVG(d.QRData)) // drawn by qrSVG from numbers only: no user data in it
		d.QRPath = "/bankid/" + url.PathEscape(v.sess.ID) + "/qr?t=" + url.QueryEscape(v.token)
		scheme, universal := autostartLinks(v.state.AutoStartToken)
		d.Scheme = template.URL(scheme) // built from an escaped token: safe
		d.Universal = universal
		if p.cfg.SimAppURL != nil {
			d.SimAppURL = p.cfg.SimAppURL(v.sess.ProviderRef)
		}
	}
	p.site.render(w, r, http.StatusOK, Lang(v.sess.Language), "bankid", d)
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

// writeJSON answers v as JSON (the site's headers are already set).
func (s *Site) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("web: encode JSON", "path", r.URL.Path, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
}
