package web

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/cursor"
	"github.com/signet-dev/signet/internal/signing"
)

// ConsoleConfig configures the operator console under /console/
// (CONTRACT.md §9): server-rendered pages, usable without JavaScript, for
// the people who run Signet. Its reads cross tenants, so every page but
// the sign-in form needs a signed-in operator (a cookie holding a console
// session kept in the database); a tenant's API key opens nothing here.
// Every form that changes something carries a token bound to the console
// session, on top of the site's cross-origin protection.
//
// Routes:
//
//	GET  /console/login, POST /console/login, POST /console/logout
//	GET  /console/                          sessions of every tenant (filters, paging)
//	GET  /console/sessions/{id}             a session: fields, signers, events, documents
//	POST /console/sessions/{id}/cancel, …/refresh
//	GET  /console/sessions/{id}/documents/{kind}
//	GET  /console/webhooks, /console/webhooks/{id}   endpoints, an endpoint's deliveries
//	POST /console/webhooks/{id}/redeliver
//	GET  /console/keys                      tenants and their API keys
//	POST /console/keys, /console/keys/{id}/revoke
//	GET  /console/providers                 providers and their recent failures
type ConsoleConfig struct {
	// Operators signs operators in and out. Required.
	Operators OperatorAuth
	// Store reads across tenants and keeps API keys. Required.
	Store ConsoleStore
	// Sessions reads, cancels and refreshes sessions (signing.Service). Required.
	Sessions SessionService
	// Webhooks redelivers events (webhook.Endpoints). Required.
	Webhooks Redeliverer
	// Sandbox says that the providers are Signet's simulators.
	Sandbox bool
	// Secure marks the console's cookie Secure: set it when the public
	// URL is https.
	Secure bool
	// Revoked, if set, is called once a key is revoked, before the page
	// answers (the server's ForgetCredentials), so that this process
	// refuses the key from the next request on.
	Revoked func()
	// ClientIP is the address sign-in failures are counted under (the
	// connection's peer if nil). Behind a proxy, give one that reads the
	// proxy's header, or every operator shares the proxy's address.
	ClientIP func(*http.Request) string
}

// OperatorAuth signs operators in and out (auth.Operators).
type OperatorAuth interface {
	// SignIn returns a new session's cookie token; auth.ErrBadCredentials
	// or *auth.ThrottledError when it may not.
	SignIn(ctx context.Context, email, password, clientIP string) (string, auth.OperatorSession, error)
	// Session returns the session of a cookie's token; auth.ErrNoSession
	// if it has ended.
	Session(ctx context.Context, token string) (auth.OperatorSession, error)
	// SignOut ends the session of a token.
	SignOut(ctx context.Context, token string) error
}

// ConsoleStore is what the console reads and writes itself.
type ConsoleStore interface {
	auth.KeyStore
	auth.RevokeStore
	// Tenants lists every tenant by name.
	Tenants(ctx context.Context) ([]signing.Tenant, error)
	// APIKeys lists a tenant's keys ("" for all), newest first.
	APIKeys(ctx context.Context, tenantID string) ([]auth.APIKey, error)
	// AllSessions lists sessions of a tenant ("" for all), newest first.
	AllSessions(ctx context.Context, tenantID string, f signing.ListFilter) ([]*signing.Session, bool, error)
	// SessionByID reads a session of any tenant; ErrNotFound if none.
	SessionByID(ctx context.Context, id string) (*signing.Session, error)
	// AuditTrail lists a session's audit entries oldest first.
	AuditTrail(ctx context.Context, tenantID, sessionID string) ([]signing.AuditEntry, error)
	// Document returns a session's document of a kind; ErrNotFound if none.
	Document(ctx context.Context, tenantID, sessionID string, kind signing.DocumentKind) (signing.Document, error)
	// AllEndpoints lists a tenant's webhook endpoints ("" for all), newest first.
	AllEndpoints(ctx context.Context, tenantID string) ([]signing.Endpoint, error)
	// EndpointByID reads an endpoint of any tenant; ErrNotFound if none.
	EndpointByID(ctx context.Context, id string) (signing.Endpoint, error)
	// AttemptsAfter pages an endpoint's delivery attempts, newest first.
	AttemptsAfter(ctx context.Context, tenantID, endpointID string, limit int, after *signing.Cursor) ([]signing.Attempt, bool, error)
	// RecentEntries lists the newest audit entries of a type at a provider.
	RecentEntries(ctx context.Context, eventType, provider string, limit int) ([]signing.AuditEntry, error)
}

// SessionService is the signing service's side the console uses.
type SessionService interface {
	Get(ctx context.Context, tenantID, id string) (*signing.Session, error)
	Cancel(ctx context.Context, tenantID, id string) (*signing.Session, error)
	Refresh(ctx context.Context, tenantID, id string) (*signing.Session, error)
	Providers() []signing.ProviderInfo
}

// Redeliverer queues a delivery attempt's event again (webhook.Endpoints).
type Redeliverer interface {
	Retry(ctx context.Context, tenantID, endpointID, attemptID string) (signing.Delivery, error)
}

// consoleCookie holds the console session's token.
const consoleCookie = "signet_console"

// consolePrefix is where the console lives.
const consolePrefix = "/console/"

// console serves the operator console.
type console struct {
	site *Site
	cfg  ConsoleConfig
}

func newConsole(s *Site, cfg ConsoleConfig) (*console, error) {
	if cfg.Operators == nil || cfg.Store == nil || cfg.Sessions == nil || cfg.Webhooks == nil {
		return nil, errors.New("web: console: Operators, Store, Sessions and Webhooks are required")
	}
	if cfg.ClientIP == nil {
		cfg.ClientIP = peerIP
	}
	return &console{site: s, cfg: cfg}, nil
}

// peerIP is the host of the connection's peer.
func peerIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// routes are the console's routes.
func (c *console) routes() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /console":        c.toHome,
		"GET /console/login":  c.loginPage,
		"POST /console/login": c.login,
		"/console/":           c.site.notFound,

		"POST /console/logout":                        c.signedIn(c.logout),
		"GET /console/{$}":                            c.signedIn(c.sessions),
		"GET /console/sessions/{id}":                  c.signedIn(c.session),
		"POST /console/sessions/{id}/cancel":          c.signedIn(c.cancel),
		"POST /console/sessions/{id}/refresh":         c.signedIn(c.refresh),
		"GET /console/sessions/{id}/documents/{kind}": c.signedIn(c.document),
		"GET /console/webhooks":                       c.signedIn(c.endpoints),
		"GET /console/webhooks/{id}":                  c.signedIn(c.endpoint),
		"POST /console/webhooks/{id}/redeliver":       c.signedIn(c.redeliver),
		"GET /console/keys":                           c.signedIn(c.keys),
		"POST /console/keys":                          c.signedIn(c.createKey),
		"POST /console/keys/{id}/revoke":              c.signedIn(c.revokeKey),
		"GET /console/providers":                      c.signedIn(c.providers),
	}
}

// toHome sends /console to /console/.
func (c *console) toHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, consolePrefix, http.StatusMovedPermanently)
}

// request is one request of a signed-in operator.
type request struct {
	w    http.ResponseWriter
	r    *http.Request
	op   auth.OperatorSession
	lang string
}

// subject binds a console form's token to the console session.
func (q *request) subject() string { return "console:" + q.op.ID }

// signedIn serves h to a signed-in operator. Anyone else is sent to the
// sign-in form (303), which brings them back to a GET's page afterwards.
func (c *console) signedIn(h func(*request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var token string
		if ck, err := r.Cookie(consoleCookie); err == nil {
			token = ck.Value
		}
		op, err := c.cfg.Operators.Session(r.Context(), token)
		if err != nil {
			if !errors.Is(err, signing.ErrUnauthorized) {
				c.site.log.Error("web: console: reading the sign-in", "err", err)
				c.site.renderError(w, r, http.StatusInternalServerError, "error.internal")
				return
			}
			next := ""
			if r.Method == http.MethodGet {
				next = r.URL.RequestURI()
			}
			http.Redirect(w, r, loginURL(next), http.StatusSeeOther)
			return
		}
		q := &request{w: w, r: r, op: op, lang: Lang(r.Header.Get("Accept-Language"))}
		if r.Method == http.MethodPost && !c.site.checkForm(w, r, q.subject()) {
			return
		}
		h(q)
	}
}

// loginURL is the sign-in form that leads on to next.
func loginURL(next string) string {
	if next == "" || next == consolePrefix {
		return "/console/login"
	}
	return "/console/login?next=" + url.QueryEscape(next)
}

// safeNext is next if it is a console page of this site, else the home.
func safeNext(next string) string {
	if !strings.HasPrefix(next, consolePrefix) || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return consolePrefix
	}
	return next
}

// loginSubject binds the sign-in form's token: there is no session yet.
const loginSubject = "console-login"

// loginView fills console-login.html.
type loginView struct {
	FormToken string
	Next      string
	Email     string
	Error     string // message key
	Wait      string // how long a throttled sign-in waits, when Error says so
	SignedOut bool
}

func (c *console) loginPage(w http.ResponseWriter, r *http.Request) {
	in := r.URL.Query()
	c.renderLogin(w, r, http.StatusOK, loginView{Next: safeNext(in.Get("next")), SignedOut: in.Get("signedOut") != ""})
}

func (c *console) renderLogin(w http.ResponseWriter, r *http.Request, status int, v loginView) {
	v.FormToken = c.site.formToken(loginSubject)
	c.site.render(w, r, status, Lang(r.Header.Get("Accept-Language")), "console-login", v)
}

// login handles the sign-in form: on success a cookie and a 303 to the
// page asked for; otherwise the form again, with what went wrong.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	if !c.site.checkForm(w, r, loginSubject) {
		return
	}
	email, password := r.PostForm.Get("email"), r.PostForm.Get("password")
	v := loginView{Next: safeNext(r.PostForm.Get("next")), Email: email}
	token, sess, err := c.cfg.Operators.SignIn(r.Context(), email, password, c.cfg.ClientIP(r))
	var throttled *auth.ThrottledError
	switch {
	case errors.As(err, &throttled):
		v.Error = "console.login.throttled"
		v.Wait = waitText(throttled.Until.Sub(c.site.cfg.Now()))
		c.renderLogin(w, r, http.StatusTooManyRequests, v)
		return
	case errors.Is(err, signing.ErrUnauthorized):
		v.Error = "console.login.wrong"
		c.renderLogin(w, r, http.StatusUnauthorized, v)
		return
	case err != nil:
		c.site.log.Error("web: console: sign-in failed", "err", err)
		c.site.renderError(w, r, http.StatusInternalServerError, "error.internal")
		return
	}
	c.site.log.Info("web: console: operator signed in", "operator", sess.Operator.Email)
	http.SetCookie(w, c.cookie(token, sess.ExpiresAt.Sub(c.site.cfg.Now())))
	http.Redirect(w, r, v.Next, http.StatusSeeOther)
}

// waitText is a pause as a person reads it: "12 seconds", "3 minutes".
func waitText(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second))) + " s"
	}
	return strconv.Itoa(int((d+time.Minute-1)/time.Minute)) + " min"
}

// cookie is the console's cookie holding token for maxAge (a negative
// maxAge deletes it).
func (c *console) cookie(token string, maxAge time.Duration) *http.Cookie {
	ck := &http.Cookie{Name: consoleCookie, Value: token, Path: "/console", HttpOnly: true,
		Secure: c.cfg.Secure, SameSite: http.SameSiteLaxMode, MaxAge: int(maxAge / time.Second)}
	if maxAge < 0 {
		ck.MaxAge = -1
	}
	return ck
}

func (c *console) logout(q *request) {
	ck, _ := q.r.Cookie(consoleCookie)
	if err := c.cfg.Operators.SignOut(q.r.Context(), ck.Value); err != nil {
		c.fail(q, "sign out", err)
		return
	}
	http.SetCookie(q.w, c.cookie("", -1))
	http.Redirect(q.w, q.r, "/console/login?signedOut=1", http.StatusSeeOther)
}

// page is what every signed-in page shows around its own content.
type page struct {
	Operator  string // the signed-in operator's e-mail
	Nav       string // the section this page belongs to
	FormToken string // for every form that changes something
	Done      string // a message key: what the last action did
	Failed    string // a message key: why the last action failed
}

// newPage is the frame of a page of section nav, with the outcome of the
// action that led here (?done=, ?failed=; only known keys are shown).
func (c *console) newPage(q *request, nav string) page {
	p := page{Operator: q.op.Operator.Email, Nav: nav, FormToken: c.site.formToken(q.subject())}
	if d := q.r.URL.Query().Get("done"); doneKeys[d] {
		p.Done = "console.done." + d
	}
	if f := q.r.URL.Query().Get("failed"); failedKeys[f] {
		p.Failed = "console.failed." + f
	}
	return p
}

// The outcomes an action may report on the page it returns to.
var (
	doneKeys   = map[string]bool{"cancelled": true, "refreshed": true, "redelivered": true, "revoked": true}
	failedKeys = map[string]bool{"terminal": true, "unavailable": true, "notfound": true, "invalid": true}
)

// render draws a console page.
func (c *console) render(q *request, name string, data any) {
	c.site.render(q.w, q.r, http.StatusOK, q.lang, name, data)
}

// back answers an action with a 303 to path, with its outcome: done
// when err is nil, else the failedKeys entry err maps to (an error the
// page cannot explain is logged and answered with the error page).
func (c *console) back(q *request, path, done string, err error) {
	outcome := "done=" + done
	if err != nil {
		key := failure(err)
		if key == "" {
			c.fail(q, done, err)
			return
		}
		outcome = "failed=" + key
	}
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(q.w, q.r, path+sep+outcome, http.StatusSeeOther)
}

// failure is the failedKeys entry for an error an operator can act on.
func failure(err error) string {
	switch {
	case errors.Is(err, signing.ErrTerminal), errors.Is(err, signing.ErrConflict):
		return "terminal"
	case errors.Is(err, signing.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, signing.ErrNotFound):
		return "notfound"
	case errors.Is(err, signing.ErrInvalid):
		return "invalid"
	}
	return ""
}

// fail answers a request that failed for a reason the page cannot show.
func (c *console) fail(q *request, what string, err error) {
	if errors.Is(err, signing.ErrNotFound) {
		c.site.notFound(q.w, q.r)
		return
	}
	c.site.log.Error("web: console: "+what, "path", q.r.URL.Path, "err", err)
	c.site.renderError(q.w, q.r, http.StatusInternalServerError, "error.internal")
}

// pageSize is how many rows a console list shows at once.
const pageSize = 25

// decodeCursor reads a console link's position (cursor.Encode); nil for
// anything else (the list then starts at the top).
func decodeCursor(s string) *signing.Cursor {
	c, err := cursor.Decode(s)
	if err != nil || len(c.ID) > 100 {
		return nil
	}
	return &c
}

// when is how the console shows an instant: UTC, to the second.
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05") + " UTC"
}

// whenPtr is when of an optional instant ("" if absent).
func whenPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return when(*t)
}

// machineTime is an instant for a <time datetime> attribute.
func machineTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }
