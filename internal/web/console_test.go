package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/storetest"
	"github.com/signet-dev/signet/internal/web"
)

const (
	opEmail    = "ops@example.com"
	opPassword = "correct horse battery"
)

var consoleStart = time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)

// consoleFixture is the site with the console on a real SQLite store,
// real operators, and a session service and redeliverer that record what
// they were asked.
type consoleFixture struct {
	t       *testing.T
	srv     *httptest.Server
	store   *sqlite.Store
	clock   *simtest.Clock
	svc     *fakeService
	retries *fakeRetries
	revoked int
	acme    signing.Tenant
	globex  signing.Tenant
}

func newConsoleFixture(t *testing.T, secure bool) *consoleFixture {
	t.Helper()
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	f := &consoleFixture{t: t, store: store, clock: simtest.NewClock(consoleStart), retries: &fakeRetries{}}
	f.svc = &fakeService{store: store}
	ops, err := auth.NewOperators(auth.OperatorsConfig{Store: store, Now: f.clock.Now, Log: discard,
		Params: &argon2id.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ops.Create(ctx, opEmail, opPassword); err != nil {
		t.Fatal(err)
	}
	if f.acme, err = store.CreateTenant(ctx, "acme"); err != nil {
		t.Fatal(err)
	}
	if f.globex, err = store.CreateTenant(ctx, "globex"); err != nil {
		t.Fatal(err)
	}
	site := newSite(t, web.Config{Now: f.clock.Now, Console: &web.ConsoleConfig{Operators: ops, Store: store,
		Sessions: f.svc, Webhooks: f.retries, Secure: secure, Revoked: func() { f.revoked++ }}})
	f.srv = httptest.NewServer(site.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// session stores a session of tenant, created at c, with the given order
// id and status.
func (f *consoleFixture) session(tenant signing.Tenant, order string, status signing.Status, c time.Time) *signing.Session {
	f.t.Helper()
	s := storetest.NewSession(tenant, c)
	s.OrderID, s.Status = order, status
	s.SignerDetails = json.RawMessage(`{"name":"Asha Rao","email":"asha@example.com","phone":"+91 98765 43210"}`)
	s.Signers[0].Details = s.SignerDetails
	s.Metadata = map[string]string{"segment": "retail"}
	e := signing.AuditEntry{Type: signing.EventCreated, ToStatus: signing.StatusPending, Detail: "created", CreatedAt: c}
	if err := f.store.CreateSession(context.Background(), s,
		signing.Document{Filename: "loan.pdf", Content: []byte("%PDF-1.7 the contract"), SHA256: "ab", CreatedAt: c},
		[]signing.AuditEntry{e}); err != nil {
		f.t.Fatal(err)
	}
	return s
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects, posting forms as a same-origin page would.
type browser struct {
	t      *testing.T
	f      *consoleFixture
	client *http.Client
}

func (f *consoleFixture) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: f.t, f: f, client: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, hdr ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.f.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", b.f.srv.URL)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return page{resp.StatusCode, resp.Header, string(out)}
}

func (b *browser) get(path string, hdr ...string) page {
	b.t.Helper()
	return b.do("GET", path, nil, hdr...)
}

var tokenRe = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

// token is the form token of the page at path.
func (b *browser) token(path string) string {
	b.t.Helper()
	p := b.get(path)
	m := tokenRe.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("GET %s (%d) has no form token:\n%s", path, p.status, p.body)
	}
	return m[1]
}

// post submits a form of the page at from to path, with its token.
func (b *browser) post(from, path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.token(from))
	return b.do("POST", path, form)
}

func (b *browser) signIn() {
	b.t.Helper()
	p := b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {opPassword}, "next": {"/console/"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/" {
		b.t.Fatalf("sign-in: %d %s\n%s", p.status, p.header.Get("Location"), p.body)
	}
}

func wantStatus(t *testing.T, what string, p page, status int) {
	t.Helper()
	if p.status != status {
		t.Fatalf("%s: %d, want %d\n%s", what, p.status, status, p.body)
	}
}

func wantBody(t *testing.T, what string, p page, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(p.body, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, p.body)
		}
	}
}

func TestConsoleNeedsASignedInOperator(t *testing.T) {
	f := newConsoleFixture(t, false)
	s := f.session(f.acme, "order-1", signing.StatusPending, consoleStart)
	key, _, err := auth.CreateAPIKey(context.Background(), f.store, "acme", consoleStart)
	if err != nil {
		t.Fatal(err)
	}
	b := f.browser()
	for path, want := range map[string]string{
		"/console/":                       "/console/login",
		"/console/keys":                   "/console/login?next=%2Fconsole%2Fkeys",
		"/console/sessions/" + s.ID:       "/console/login?next=%2Fconsole%2Fsessions%2F" + s.ID,
		"/console/providers?x=1":          "/console/login?next=%2Fconsole%2Fproviders%3Fx%3D1",
		"/console/sessions/x/documents/x": "/console/login?next=%2Fconsole%2Fsessions%2Fx%2Fdocuments%2Fx",
	} {
		for _, hdr := range [][]string{nil, {"X-API-Key", key}, {"Authorization", "Bearer " + key}} {
			p := b.get(path, hdr...)
			if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
				t.Errorf("GET %s %v: %d → %q, want 303 → %q", path, hdr, p.status, p.header.Get("Location"), want)
			}
			wantSecurityHeaders(t, p.header)
		}
	}
	// A post without a sign-in changes nothing and leads to the form.
	p := b.do("POST", "/console/sessions/"+s.ID+"/cancel", url.Values{"csrf_token": {"x"}})
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/login" || len(f.svc.calls()) != 0 {
		t.Errorf("a cancel without a sign-in: %d → %s, calls %v", p.status, p.header.Get("Location"), f.svc.calls())
	}
	if p := b.get("/console"); p.status != http.StatusMovedPermanently || p.header.Get("Location") != "/console/" {
		t.Errorf("GET /console: %d → %s", p.status, p.header.Get("Location"))
	}
	if p := b.get("/console/nothing/here"); p.status != http.StatusNotFound || !strings.Contains(p.body, "Page not found") {
		t.Errorf("an unknown console page: %d", p.status)
	}
}

func TestConsoleSignIn(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprintf("Secure=%v", secure), func(t *testing.T) {
			f := newConsoleFixture(t, secure)
			b := f.browser()
			login := b.get("/console/login?next=%2Fconsole%2Fkeys")
			wantStatus(t, "the sign-in form", login, 200)
			wantBody(t, "the sign-in form", login, `name="next" value="/console/keys"`, `autocomplete="current-password"`)

			// A post without the form's token is refused, with a way back.
			p := b.do("POST", "/console/login", url.Values{"email": {opEmail}, "password": {opPassword}})
			wantStatus(t, "a sign-in without a token", p, http.StatusForbidden)

			p = b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {"wrong"}, "next": {"/console/keys"}})
			wantStatus(t, "a wrong password", p, http.StatusUnauthorized)
			wantBody(t, "a wrong password", p, "The e-mail address or the password is wrong.", `value="ops@example.com"`)
			p = b.post("/console/login", "/console/login", url.Values{"email": {"nobody@example.com"}, "password": {opPassword}})
			wantStatus(t, "an unknown e-mail", p, http.StatusUnauthorized)
			wantBody(t, "an unknown e-mail", p, "The e-mail address or the password is wrong.")

			p = b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {opPassword}, "next": {"/console/keys"}})
			if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/keys" {
				t.Fatalf("sign-in: %d → %q\n%s", p.status, p.header.Get("Location"), p.body)
			}
			cookie := p.header.Get("Set-Cookie")
			for _, want := range []string{"signet_console=", "Path=/console", "HttpOnly", "SameSite=Lax", "Max-Age=43200"} {
				if !strings.Contains(cookie, want) {
					t.Errorf("cookie %q lacks %s", cookie, want)
				}
			}
			if strings.Contains(cookie, "Secure") != secure {
				t.Errorf("cookie %q: Secure should be %v", cookie, secure)
			}
			if secure {
				return // the jar keeps Secure cookies for https only
			}
			wantStatus(t, "the keys page after sign-in", b.get("/console/keys"), 200)

			// Sign-out ends the session in the store: the old cookie is dead.
			old := b.client.Jar.Cookies(mustURL(f.srv.URL + "/console/"))
			p = b.post("/console/", "/console/logout", nil)
			if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/console/login") ||
				!strings.Contains(p.header.Get("Set-Cookie"), "Max-Age=0") {
				t.Errorf("sign-out: %d → %s, cookie %q", p.status, p.header.Get("Location"), p.header.Get("Set-Cookie"))
			}
			wantBody(t, "after sign-out", b.get(p.header.Get("Location")), "You are signed out.")
			b.client.Jar.SetCookies(mustURL(f.srv.URL+"/console/"), old)
			if p := b.get("/console/"); p.status != http.StatusSeeOther {
				t.Errorf("the signed-out cookie still opens the console: %d", p.status)
			}
		})
	}
}

func TestConsoleSignInNext(t *testing.T) {
	f := newConsoleFixture(t, false)
	for next, want := range map[string]string{
		"/console/keys?x=1":    "/console/keys?x=1",
		"":                     "/console/",
		"//evil.example/":      "/console/",
		"https://evil.example": "/console/",
		"/signing":             "/console/",
		"/console/\\evil":      "/console/",
	} {
		b := f.browser()
		p := b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {opPassword}, "next": {next}})
		if p.status != http.StatusSeeOther || p.header.Get("Location") != want {
			t.Errorf("next %q: %d → %q, want %q", next, p.status, p.header.Get("Location"), want)
		}
	}
}

func TestConsoleSlowsDownWrongPasswords(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	for range auth.EmailThrottle.Free {
		p := b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {"guess"}})
		wantStatus(t, "a wrong password", p, http.StatusUnauthorized)
	}
	p := b.post("/console/login", "/console/login", url.Values{"email": {opEmail}, "password": {opPassword}})
	wantStatus(t, "the right password during the pause", p, http.StatusTooManyRequests)
	wantBody(t, "the pause", p, "Too many wrong passwords. Wait 1 s before you try again.")
	f.clock.Add(time.Second)
	b.signIn()
}

func TestConsoleFormsAreProtected(t *testing.T) {
	f := newConsoleFixture(t, false)
	s := f.session(f.acme, "order-1", signing.StatusPending, consoleStart)
	b, other := f.browser(), f.browser()
	b.signIn()
	other.signIn()
	cancel := "/console/sessions/" + s.ID + "/cancel"
	for what, req := range map[string]struct {
		form url.Values
		hdr  []string
	}{
		"no token":                 {url.Values{}, nil},
		"another operator's token": {url.Values{"csrf_token": {other.token("/console/")}}, nil},
		"the sign-in form's token": {url.Values{"csrf_token": {b.token("/console/login")}}, nil},
		"a valid token from a cross-site page": {url.Values{"csrf_token": {b.token("/console/")}},
			[]string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"}},
	} {
		p := b.do("POST", cancel, req.form, req.hdr...)
		if p.status != http.StatusForbidden {
			t.Errorf("a cancel with %s: %d, want 403", what, p.status)
		}
		wantSecurityHeaders(t, p.header)
	}
	if calls := f.svc.calls(); len(calls) != 0 {
		t.Fatalf("refused posts reached the service: %v", calls)
	}
	p := b.post("/console/sessions/"+s.ID, cancel, nil)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/console/sessions/"+s.ID+"?done=cancelled" {
		t.Errorf("a cancel from the session's page: %d → %s", p.status, p.header.Get("Location"))
	}
	if calls := f.svc.calls(); len(calls) != 1 || calls[0] != "Cancel "+f.acme.ID+" "+s.ID {
		t.Errorf("service calls %v", calls)
	}
}

func TestConsoleSessions(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	wantBody(t, "an empty list", b.get("/console/"), "No signing sessions yet.")
	var all []*signing.Session // newest first
	for i := range 30 {
		tenant := []signing.Tenant{f.acme, f.globex}[i%2]
		st := signing.Statuses[i%len(signing.Statuses)]
		s := f.session(tenant, fmt.Sprintf("order-%02d", i), st, consoleStart.Add(time.Duration(i)*time.Minute))
		all = append([]*signing.Session{s}, all...)
	}
	home := b.get("/console/")
	wantStatus(t, "the sessions list", home, 200)
	wantBody(t, "the sessions list", home, all[0].ID, "order-29", "Asha Rao", "globex", "In progress", "Completed", "Cancelled",
		`rel="next"`)
	if strings.Contains(home.body, all[25].ID) {
		t.Errorf("the first page shows the 26th session")
	}
	next := regexp.MustCompile(`href="(/console/\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(home.body)
	if next == nil {
		t.Fatal("no next page link")
	}
	second := b.get(strings.ReplaceAll(next[1], "&amp;", "&"))
	wantBody(t, "the second page", second, all[25].ID, all[29].ID, `href="/console/"`)
	if strings.Contains(second.body, all[24].ID) || strings.Contains(second.body, `rel="next"`) {
		t.Errorf("the second page repeats the first or has a third")
	}

	for _, tt := range []struct {
		query string
		want  func(*signing.Session) bool
	}{
		{"order=order-07", func(s *signing.Session) bool { return s.OrderID == "order-07" }},
		{"tenant=" + f.globex.ID, func(s *signing.Session) bool { return s.TenantID == f.globex.ID }},
		{"status=FAILED", func(s *signing.Session) bool { return s.Status == signing.StatusFailed }},
		{"provider=signzy&status=CANCELLED&tenant=" + f.globex.ID, func(s *signing.Session) bool {
			return s.Status == signing.StatusCancelled && s.TenantID == f.globex.ID
		}},
		{"status=BOGUS&provider=nobody&tenant=x&cursor=garbage", func(*signing.Session) bool { return true }},
	} {
		p := b.get("/console/?" + tt.query)
		wantStatus(t, tt.query, p, 200)
		shown := 0
		for _, s := range all {
			in := strings.Contains(p.body, s.ID)
			if in {
				shown++
			}
			if in && !tt.want(s) {
				t.Errorf("?%s shows %s (%s, %s)", tt.query, s.OrderID, s.Status, s.TenantID)
			}
		}
		if shown == 0 {
			t.Errorf("?%s shows nothing", tt.query)
		}
	}
	wantBody(t, "a filter with no match", b.get("/console/?order=nothing"), "No session matches these filters.")
}

func TestConsoleSessionPage(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	open := f.session(f.acme, "order-open", signing.StatusPending, consoleStart)
	done := f.session(f.globex, "order-done", signing.StatusCompleted, consoleStart)
	p := b.get("/console/sessions/" + open.ID)
	wantStatus(t, "an open session", p, 200)
	wantBody(t, "an open session", p, "order-open", "Pending", "acme", "Asha Rao", "asha@example.com", "98765 43210",
		"segment", "retail", "signing.created", "Original document", `action="/console/sessions/`+open.ID+`/cancel"`,
		`action="/console/sessions/`+open.ID+`/refresh"`)
	if strings.Contains(p.body, "Signed document") {
		t.Error("an open session offers a signed document")
	}
	p = b.get("/console/sessions/" + done.ID)
	wantBody(t, "a completed session", p, "Completed", "globex", "Signed document")
	if strings.Contains(p.body, "/cancel") {
		t.Error("a completed session offers Cancel")
	}
	doc := b.get("/console/sessions/" + open.ID + "/documents/original")
	if doc.status != 200 || doc.header.Get("Content-Type") != "application/pdf" || doc.body != "%PDF-1.7 the contract" ||
		doc.header.Get("Content-Disposition") != `attachment; filename="original-loan.pdf"` {
		t.Errorf("the original: %d %v %q", doc.status, doc.header, doc.body)
	}
	for _, path := range []string{"/console/sessions/" + open.ID + "/documents/signed", "/console/sessions/" + open.ID + "/documents/other",
		"/console/sessions/00000000-0000-4000-8000-000000000000", "/console/sessions/" + strings.Repeat("x", 100)} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, p.status)
		}
	}

	// An open session past its deadline is shown expired (the service's
	// Get expires it) and offers no Cancel.
	f.clock.Add(25 * time.Hour)
	f.svc.now = f.clock.Now
	b.signIn() // the console session is long over too
	p = b.get("/console/sessions/" + open.ID)
	wantBody(t, "a session past expiresAt", p, "Expired")
	if strings.Contains(p.body, "/cancel") {
		t.Error("an expired session offers Cancel")
	}
	wantBody(t, "the list past expiresAt", b.get("/console/?order=order-open"), "Expired")
}

func TestConsoleCancelAndRefresh(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	s := f.session(f.acme, "order-1", signing.StatusPending, consoleStart)
	page := "/console/sessions/" + s.ID
	p := b.post(page, page+"/refresh", nil)
	if p.header.Get("Location") != page+"?done=refreshed" {
		t.Errorf("refresh → %s", p.header.Get("Location"))
	}
	p = b.post(page, page+"/cancel", nil)
	if p.header.Get("Location") != page+"?done=cancelled" {
		t.Errorf("cancel → %s", p.header.Get("Location"))
	}
	wantBody(t, "after cancel", b.get(page+"?done=cancelled"), "The session is cancelled.", "Cancelled")
	f.svc.fail = signing.ErrTerminal
	p = b.post(page, page+"/cancel", nil)
	if p.header.Get("Location") != page+"?failed=terminal" {
		t.Errorf("cancel of a finished session → %s", p.header.Get("Location"))
	}
	wantBody(t, "after a refused cancel", b.get(page+"?failed=terminal"), "already finished")
	// Only known outcomes are shown.
	if p := b.get(page + "?done=%3Cscript%3E&failed=bogus"); strings.Contains(p.body, "notice") {
		t.Errorf("an unknown outcome was shown:\n%s", p.body)
	}
	want := []string{"Refresh " + f.acme.ID + " " + s.ID, "Cancel " + f.acme.ID + " " + s.ID, "Cancel " + f.acme.ID + " " + s.ID}
	if got := f.svc.calls(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("service calls %v, want %v", got, want)
	}
}

func TestConsoleWebhooks(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	ctx := context.Background()
	wantBody(t, "no endpoints", b.get("/console/webhooks"), "No webhook endpoints.")
	tn := storetest.QueueDeliveries(t, f.store, consoleStart, 30, "ep_one")
	ds, err := f.store.ClaimDueDeliveries(ctx, consoleStart, time.Minute, signing.DeliveryClaim{Limit: 100})
	if err != nil || len(ds) != 30 {
		t.Fatalf("claim: %d, %v", len(ds), err)
	}
	var results []signing.AttemptResult
	for i, d := range ds {
		results = append(results, signing.AttemptResult{Attempt: signing.Attempt{DeliveryID: d.ID, EndpointID: d.EndpointID,
			TenantID: d.TenantID, EventType: d.EventType, Attempt: 1, AttemptedAt: consoleStart.Add(time.Duration(i) * time.Second),
			ResponseStatus: 503, Error: "endpoint answered HTTP 503", DurationMs: 12}})
	}
	if err := f.store.RecordAttempts(ctx, results); err != nil {
		t.Fatal(err)
	}
	list := b.get("/console/webhooks")
	wantBody(t, "the endpoints", list, "https://hooks.example/ep_one", "ep_one", "All events")
	p := b.get("/console/webhooks/ep_one")
	wantStatus(t, "the endpoint", p, 200)
	wantBody(t, "the endpoint", p, "signing.created", "Failed", "HTTP 503", "12 ms", `rel="next"`)
	if n := strings.Count(p.body, `class="attempt"`); n != 25 {
		t.Errorf("the first page shows %d attempts, want 25", n)
	}
	next := regexp.MustCompile(`href="(/console/webhooks/ep_one\?cursor=[^"]+)" rel="next"`).FindStringSubmatch(p.body)
	if next == nil {
		t.Fatal("no next page")
	}
	if n := strings.Count(b.get(next[1]).body, `class="attempt"`); n != 5 {
		t.Errorf("the second page shows %d attempts, want 5", n)
	}
	attempt := regexp.MustCompile(`name="attempt" value="(att_[^"]+)"`).FindStringSubmatch(p.body)
	p = b.post("/console/webhooks/ep_one", "/console/webhooks/ep_one/redeliver", url.Values{"attempt": {attempt[1]}})
	if p.header.Get("Location") != "/console/webhooks/ep_one?done=redelivered" {
		t.Errorf("redeliver → %s", p.header.Get("Location"))
	}
	if got := f.retries.calls; len(got) != 1 || got[0] != tn.ID+" ep_one "+attempt[1] {
		t.Errorf("redeliveries %v", got)
	}
	f.retries.fail = signing.ErrNotFound
	p = b.post("/console/webhooks/ep_one", "/console/webhooks/ep_one/redeliver", url.Values{"attempt": {"att_nope"}})
	if p.header.Get("Location") != "/console/webhooks/ep_one?failed=notfound" {
		t.Errorf("redeliver of an unknown attempt → %s", p.header.Get("Location"))
	}
	for _, path := range []string{"/console/webhooks/ep_none", "/console/webhooks/nope"} {
		if p := b.get(path); p.status != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, p.status)
		}
	}
}

func TestConsoleKeys(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	ctx := context.Background()
	p := b.post("/console/keys", "/console/keys", url.Values{"tenant": {"initech"}})
	wantStatus(t, "a new key", p, 200)
	key := regexp.MustCompile(`<code class="key" id="new-key">(sk_[^<]+)</code>`).FindStringSubmatch(p.body)
	if key == nil {
		t.Fatalf("the new key is not shown:\n%s", p.body)
	}
	k, err := f.store.APIKeyByHash(ctx, auth.Hash(key[1]))
	if err != nil || k.Tenant.Name != "initech" {
		t.Fatalf("the shown key is not initech's: %+v, %v", k, err)
	}
	if p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("the page with the key may be stored: %q", p.header.Get("Cache-Control"))
	}
	again := b.get("/console/keys")
	wantBody(t, "the keys page", again, "initech", k.Display(), k.ID, "never", "Active")
	if strings.Contains(again.body, key[1]) {
		t.Error("the key is shown a second time")
	}
	p = b.post("/console/keys", "/console/keys", url.Values{"tenant": {"  "}})
	wantStatus(t, "a blank tenant", p, http.StatusBadRequest)
	wantBody(t, "a blank tenant", p, "Give the tenant a name")

	if err := f.store.TouchAPIKeys(ctx, map[string]time.Time{k.ID: consoleStart.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	wantBody(t, "a used key", b.get("/console/keys"), "2026-04-01 11:00:00 UTC")

	p = b.post("/console/keys", "/console/keys/"+k.ID+"/revoke", nil)
	if p.header.Get("Location") != "/console/keys?done=revoked" || f.revoked != 1 {
		t.Errorf("revoke → %s, Revoked called %d times", p.header.Get("Location"), f.revoked)
	}
	if _, err := f.store.APIKeyByHash(ctx, auth.Hash(key[1])); err == nil {
		t.Error("the revoked key still authenticates")
	}
	wantBody(t, "after revoking", b.get("/console/keys?done=revoked"), "The key is revoked.", "Revoked 2026-04-01 10:00:00 UTC")
	p = b.post("/console/keys", "/console/keys/key_nothing/revoke", nil)
	if p.header.Get("Location") != "/console/keys?failed=notfound" || f.revoked != 1 {
		t.Errorf("revoking an unknown key → %s", p.header.Get("Location"))
	}
}

func TestConsoleProviders(t *testing.T) {
	f := newConsoleFixture(t, false)
	b := f.browser()
	b.signIn()
	s := f.session(f.acme, "order-1", signing.StatusPending, consoleStart)
	next := s.Clone()
	if err := f.store.UpdateSession(context.Background(), signing.Change{Session: next, ExpectVersion: s.Version,
		Entries: []signing.AuditEntry{{Type: signing.EventProviderError, Detail: "signzy answered 502", CreatedAt: consoleStart}}}); err != nil {
		t.Fatal(err)
	}
	p := b.get("/console/providers")
	wantStatus(t, "the providers", p, 200)
	wantBody(t, "the providers", p, "Signzy (test)", "Live", "signzy answered 502", `href="/console/sessions/`+s.ID+`"`, "Bank (test)",
		"No failures recorded.")
}

func TestConsoleRoutesAreSecured(t *testing.T) {
	f := newConsoleFixture(t, false)
	site := newSite(t, web.Config{Console: &web.ConsoleConfig{Operators: (*fakeOps)(nil), Store: f.store, Sessions: f.svc, Webhooks: f.retries}})
	for pattern, h := range site.Routes() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/console/x", nil))
		wantSecurityHeaders(t, rec.Header())
		if rec.Code >= 500 {
			t.Errorf("%s with no path values: %d", pattern, rec.Code)
		}
	}
	if _, err := web.New(web.Config{Console: &web.ConsoleConfig{Store: f.store}}); err == nil {
		t.Error("a console without Operators was accepted")
	}
}

// fakeOps has no sessions.
type fakeOps struct{}

func (*fakeOps) SignIn(context.Context, string, string, string) (string, auth.OperatorSession, error) {
	return "", auth.OperatorSession{}, auth.ErrBadCredentials
}
func (*fakeOps) Session(context.Context, string) (auth.OperatorSession, error) {
	return auth.OperatorSession{}, auth.ErrNoSession
}
func (*fakeOps) SignOut(context.Context, string) error { return nil }

// fakeService reads sessions from the store, moves them to CANCELLED on
// Cancel, and records its calls; fail makes Cancel and Refresh fail.
type fakeService struct {
	store *sqlite.Store
	now   func() time.Time
	fail  error
	mu    sync.Mutex
	log   []string
}

func (s *fakeService) calls() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.log...)
}

func (s *fakeService) Get(ctx context.Context, tenantID, id string) (*signing.Session, error) {
	sess, err := s.store.Session(ctx, tenantID, id)
	if err != nil || s.now == nil || sess.Status.Terminal() || s.now().Before(sess.ExpiresAt) {
		return sess, err
	}
	sess.Status = signing.StatusExpired // as the service's Get does, without writing
	return sess, nil
}

func (s *fakeService) Cancel(ctx context.Context, tenantID, id string) (*signing.Session, error) {
	s.mu.Lock()
	s.log = append(s.log, "Cancel "+tenantID+" "+id)
	s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	sess, err := s.store.Session(ctx, tenantID, id)
	if err != nil {
		return nil, err
	}
	next := sess.Clone()
	next.Status = signing.StatusCancelled
	return next, s.store.UpdateSession(ctx, signing.Change{Session: next, ExpectVersion: sess.Version,
		Entries: []signing.AuditEntry{{Type: signing.EventCancelled, FromStatus: sess.Status, ToStatus: next.Status, CreatedAt: sess.CreatedAt}}})
}

func (s *fakeService) Refresh(ctx context.Context, tenantID, id string) (*signing.Session, error) {
	s.mu.Lock()
	s.log = append(s.log, "Refresh "+tenantID+" "+id)
	s.mu.Unlock()
	if s.fail != nil {
		return nil, s.fail
	}
	return s.store.Session(ctx, tenantID, id)
}

func (s *fakeService) Providers() []signing.ProviderInfo {
	return []signing.ProviderInfo{
		{Name: "signzy", DisplayName: "Signzy (test)", Languages: []string{"en", "hi"}, RequiredSignerFields: []string{"name"}},
		{Name: "bankid", DisplayName: "Bank (test)", Languages: []string{"sv"}, RequiredSignerFields: []string{"identity"}},
	}
}

// fakeRetries records redeliveries; fail makes them fail.
type fakeRetries struct {
	calls []string
	fail  error
}

func (r *fakeRetries) Retry(_ context.Context, tenantID, endpointID, attemptID string) (signing.Delivery, error) {
	if r.fail != nil {
		return signing.Delivery{}, r.fail
	}
	r.calls = append(r.calls, tenantID+" "+endpointID+" "+attemptID)
	return signing.Delivery{}, nil
}

func mustURL(s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}
