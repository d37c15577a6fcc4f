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

// BankIDConfig configures the BankID page: the page of each signer of a
// BankID session (their signer link forwards there), since BankID has no
// signing page of its own. A BankID order must be picked up within about
// 30 seconds of its start, so the page starts the signer's order when
// the signer is there (Start), and starts a new one when the last timed
// out unscanned while the page stays open. It shows the animated QR code
// (redrawn every second), the autostart link for BankID on the same
// device and how the signer stands (Signet's poller collects the order
// every 2 s), and sends the signer on to the client's returnUrl once the
// session is finished. In sandbox mode it also carries the simulated
// BankID app's form (action=sign|decline), so that the flow completes
// without a phone.
//
// Routes, each needing the signer's page token as query parameter t:
//
//	GET /bankid/{sessionId}          the page (HTML); opening it is the signer asking for an order
//	GET /bankid/{sessionId}/qr       {"phase","qrData","t","svg",…}: the current QR code and links
//	GET /bankid/{sessionId}/status   {"status","terminal","failureReason","returnUrl"}
//
// The page with auto=1 (its own refresh without JavaScript) is the page
// polling, not the signer asking. A wrong or missing token, an unknown
// session or one at another provider all answer 404 alike.
type BankIDConfig struct {
	// Lookup reads a session by id, in any tenant (the page token is the
	// signer's only credential). It returns an error wrapping
	// signing.ErrNotFound for an unknown session. Required.
	Lookup func(ctx context.Context, sessionID string) (*signing.Session, error)
	// Refresh, when set, brings an open session up to date with BankID
	// (Signet's refresh: one collect per open order) before the HTML page
	// is drawn, so that a signer sent back here by the app sees the
	// outcome at once rather than after the next poll. The QR and status
	// routes, called every second, never refresh. Its errors are logged
	// and the session is shown as it was.
	Refresh func(ctx context.Context, sess *signing.Session) (*signing.Session, error)
	// Start starts the signer's BankID order when they need one
	// (Signet's Service.StartSigner): asked is true when the signer opened
	// or reloaded the page, false when the page polls. It returns the
	// session after it; errors wrapping signing.ErrConflict (the signer
	// may not sign now) are expected, others are logged, and either way
	// the page shows how the signer stands. Without it the page only
	// shows orders started elsewhere.
	Start func(ctx context.Context, sess *signing.Session, signer int, asked bool) (*signing.Session, error)
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

// bankidSession is a session the signer may see: their page token
// checked, their index and their part of the state found.
type bankidSession struct {
	sess   *signing.Session
	state  bankid.State
	signer int
	token  string
}

// signerState is the signer's part of the state.
func (v *bankidSession) signerState() *bankid.SignerState { return &v.state.Signers[v.signer] }

// The ways the page can load a session.
const (
	loadOnly  = iota // read it (the status route)
	loadPoll         // read it, and start an order if one is due (the QR route, the page's own refresh)
	loadAsked        // bring it up to date, and start an order: the signer opened the page
)

// load finds the session of a request and the signer whose page token it
// carries, then, as mode says, brings it up to date (BankIDConfig.Refresh)
// and starts the signer's order (BankIDConfig.Start). It answers the
// request itself (404 or 500) and returns nil when it cannot go on.
func (p *bankidPage) load(w http.ResponseWriter, r *http.Request, mode int) *bankidSession {
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
	st, err := bankid.ParseState(sess.ProviderState, sess.ProviderRef)
	i := st.Signer(token)
	if err != nil || i < 0 || (len(sess.Signers) > 0 && len(sess.Signers) != len(st.Signers)) {
		s.notFound(w, r)
		return nil
	}
	v := &bankidSession{sess: sess, state: st, signer: i, token: token}
	if mode == loadAsked && p.cfg.Refresh != nil && !sess.Status.Terminal() {
		if fresh, err := p.cfg.Refresh(r.Context(), sess); err != nil {
			s.log.Info("web: BankID page: refresh failed", "session", id, "err", err)
		} else {
			v.use(fresh)
		}
	}
	if mode != loadOnly && p.cfg.Start != nil && p.startDue(v) {
		fresh, err := p.cfg.Start(r.Context(), v.sess, i, mode == loadAsked)
		if err != nil && !errors.Is(err, signing.ErrConflict) {
			s.log.Info("web: BankID page: starting the order failed", "session", id, "signer", i+1, "err", err)
		}
		v.use(fresh)
	}
	if !v.sess.Status.Terminal() && !v.sess.ExpiresAt.IsZero() && !s.cfg.Now().Before(v.sess.ExpiresAt) {
		// Never shown as open after expiresAt, even before the sweeper ran.
		c := *v.sess
		c.Status = signing.StatusExpired
		v.sess = &c
	}
	return v
}

// use takes fresh as the session shown, if it is v's and its state reads.
func (v *bankidSession) use(fresh *signing.Session) {
	if fresh == nil || fresh.ID != v.sess.ID {
		return
	}
	st, err := bankid.ParseState(fresh.ProviderState, fresh.ProviderRef)
	if err != nil || v.signer >= len(st.Signers) {
		return
	}
	v.sess, v.state = fresh, st
}

// startDue reports whether asking for a start may do something: the
// session is open and the signer has no order that may still run.
// (Whether one is started is the service's and the adapter's decision.)
func (p *bankidPage) startDue(v *bankidSession) bool {
	return !v.sess.Status.Terminal() && !v.signerState().Live(p.site.cfg.Now())
}

// The phases of a signer's page.
const (
	phaseOrder    = "order"    // an order runs: the QR code
	phaseStarting = "starting" // an order is being started
	phaseTurn     = "turn"     // not the signer's turn yet
	phaseSigned   = "signed"   // the signer signed; the session waits for others
	phaseEnded    = "ended"    // the session is finished
)

// phase is what the signer's page shows: one of the phase constants or,
// when no order is started until the signer asks, why (a bankid.Halt*
// constant).
func (p *bankidPage) phase(v *bankidSession) string {
	if v.sess.Status.Terminal() {
		return phaseEnded
	}
	if v.signer < len(v.sess.Signers) {
		switch v.sess.Signers[v.signer].Status {
		case signing.SignerSigned:
			return phaseSigned
		case signing.SignerWaiting:
			return phaseTurn
		}
	}
	sg := v.signerState()
	if sg.Live(p.site.cfg.Now()) {
		return phaseOrder
	}
	if h := sg.Held(); h != "" {
		return h
	}
	return phaseStarting
}

// elapsed is the QR code's t: whole seconds since the order started.
func (p *bankidPage) elapsed(o *bankid.Order) int64 {
	t := p.site.cfg.Now().Unix() - o.StartedAt
	if t < 0 {
		return 0
	}
	return t
}

// orderView is what the page shows of a running order.
type orderView struct {
	QRData    string
	QRSVG     string
	Scheme    string
	Universal string
	SimAppURL string
	Started   bool
}

// order is the view of v's running order, or nil.
func (p *bankidPage) order(v *bankidSession) *orderView {
	o := v.signerState().Order
	if p.phase(v) != phaseOrder || o == nil {
		return nil
	}
	ov := &orderView{QRData: QRData(o.QRStartToken, o.QRStartSecret, p.elapsed(o)), Started: o.Started()}
	ov.QRSVG = qrSVG(ov.QRData)
	ov.Scheme, ov.Universal = autostartLinks(o.AutoStartToken)
	if p.cfg.SimAppURL != nil {
		ov.SimAppURL = p.cfg.SimAppURL(o.OrderRef)
	}
	return ov
}

// qrPayload is the answer of GET …/qr.
type qrPayload struct {
	Phase     string         `json:"phase"`
	Started   bool           `json:"started"`
	QRData    string         `json:"qrData,omitempty"`
	T         int64          `json:"t"`
	SVG       string         `json:"svg,omitempty"`
	Autostart string         `json:"autostart,omitempty"`
	Universal string         `json:"universal,omitempty"`
	App       string         `json:"app,omitempty"`
	Status    signing.Status `json:"status"`
	Terminal  bool           `json:"terminal"`
}

// qr handles GET …/qr, the page's poll: it starts a new order when the
// last one timed out, and answers the current QR code and links.
func (p *bankidPage) qr(w http.ResponseWriter, r *http.Request) {
	v := p.load(w, r, loadPoll)
	if v == nil {
		return
	}
	q := qrPayload{Phase: p.phase(v), Status: v.sess.Status, Terminal: v.sess.Status.Terminal()}
	if ov := p.order(v); ov != nil {
		q.T = p.elapsed(v.signerState().Order)
		q.QRData, q.SVG, q.Started = ov.QRData, ov.QRSVG, ov.Started
		q.Autostart, q.Universal, q.App = ov.Scheme, ov.Universal, ov.SimAppURL
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
	v := p.load(w, r, loadOnly)
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

	// Phase is the signer's phase (see phase); Detail BankID's words
	// about a refusal.
	Phase  string
	Detail string
	// Awaited names the signer whose turn it is (phase turn).
	Awaited string

	Document string
	Hash     string

	// Order is the running order, nil when there is none.
	Order     *orderView
	QRSVG     template.HTML
	Scheme    template.URL
	QRPath    string
	AgainPath string // the page itself: the signer asking again
	AutoPath  string // the page as its own refresh (not asking)
	Sandbox   bool
}

// page handles GET /bankid/{sessionId}: the signer's page. Opening it
// (with auto=1: the page refreshing itself) brings the session up to
// date and starts the signer's order if they need one.
func (p *bankidPage) page(w http.ResponseWriter, r *http.Request) {
	mode := loadAsked
	if r.URL.Query().Get("auto") == "1" {
		mode = loadPoll
	}
	v := p.load(w, r, mode)
	if v == nil {
		return
	}
	base := "/bankid/" + url.PathEscape(v.sess.ID)
	q := "?t=" + url.QueryEscape(v.token)
	d := bankidView{Document: v.sess.DocumentName, Hash: v.state.DocumentSHA256, Phase: p.phase(v),
		QRPath: base + "/qr" + q, AgainPath: base + q, AutoPath: base + q + "&auto=1", Sandbox: p.cfg.SimAppURL != nil}
	switch d.Phase {
	case phaseEnded:
		d.Terminal = true
		d.Outcome = "bankid.outcome." + strings.ToLower(string(v.sess.Status))
		if v.sess.Status == signing.StatusFailed {
			d.FailureReason = v.sess.FailureReason
		}
		d.ReturnURL = safeURL(v.sess.ReturnURL)
	case phaseTurn:
		if c := signing.CurrentSigner(v.sess.Signers); c >= 0 {
			d.Awaited = signing.SignerName(v.sess.Signers[c].Details)
		}
	case phaseSigned:
		d.ReturnURL = safeURL(v.sess.ReturnURL)
	default:
		d.Detail = v.signerState().Detail
		if d.Order = p.order(v); d.Order != nil {
			d.QRSVG = template.HTML(d.Order.QRSVG)  // drawn by qrSVG from numbers only: no user data in it
			d.Scheme = template.URL(d.Order.Scheme) // built from an escaped token: safe
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
