package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// BankID's documented example: qrStartSecret
// d28db9a7-4cde-429e-a983-359be676944c at time 0 gives the auth code
// dc69358e…; the others were computed with
// `printf 10 | openssl dgst -sha256 -hmac d28db9a7-4cde-429e-a983-359be676944c`.
func TestQRData(t *testing.T) {
	tests := []struct {
		t    int64
		want string
	}{
		{0, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"},
		{1, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"},
		{10, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.10.2822ca616ce1e64a1c171df69154ebc5adef4011244c867d6ad88a02db178962"},
	}
	for _, tt := range tests {
		if got := web.QRData(qrStartToken, qrStartSecret, tt.t); got != tt.want {
			t.Errorf("QRData(t=%d) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

const (
	sessionID     = "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d"
	orderRef      = "131daac9-16c6-4618-beb0-365768f37288"
	pageToken     = "kX9v2mQ7rL0pW4sT8yZ1aB3cD5eF6gH7iJ8kL9mN0oP"
	qrStartToken  = "67df3917-fa0d-44e5-b327-edcc928297f8"
	qrStartSecret = "d28db9a7-4cde-429e-a983-359be676944c"
	autoStart     = "46f6aa68-1a8d-4a32-a6f3-1b5e4a1c2d3e"
)

var started = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

// fixture is the BankID page over a table of sessions standing in for
// Signet's store.
type fixture struct {
	srv   *httptest.Server
	mux   *http.ServeMux // the site at /; tests may add routes
	clock *simtest.Clock
	mu    sync.Mutex
	sess  map[string]*signing.Session
	err   error  // Lookup fails with it when set
	app   string // the simulated app's base URL
}

// newFixture serves the site with the BankID page; cfg may change its
// configuration (Lookup is the fixture's).
func newFixture(t *testing.T, sandbox bool, cfg ...func(*web.BankIDConfig)) *fixture {
	t.Helper()
	f := &fixture{clock: simtest.NewClock(started), sess: map[string]*signing.Session{}, mux: http.NewServeMux(),
		app: "http://127.0.0.1:8080/sandbox/bankid/app/"}
	st, _ := json.Marshal(bankid.State{DocumentSHA256: strings.Repeat("ab", 32), Signers: []bankid.SignerState{{
		PageToken: pageToken, PersonalNumber: "199001011239",
		Order: &bankid.Order{OrderRef: orderRef, AutoStartToken: autoStart, QRStartToken: qrStartToken, QRStartSecret: qrStartSecret, StartedAt: started.Unix()},
	}}})
	f.sess[sessionID] = &signing.Session{ID: sessionID, Status: signing.StatusPending, Provider: bankid.Name, Language: "en",
		DocumentName: "loan.pdf", ReturnURL: "https://client.example/return?x=1&y=2", ExpiresAt: started.Add(24 * time.Hour),
		ProviderRef: sessionID, ProviderState: st, Signers: []signing.Signer{{ID: "sgn_1", Status: signing.SignerPending}}}
	bc := web.BankIDConfig{Lookup: f.lookup}
	if sandbox {
		bc.SimAppURL = func(ref string) string {
			f.mu.Lock()
			defer f.mu.Unlock()
			return f.app + ref
		}
	}
	for _, c := range cfg {
		c(&bc)
	}
	f.mux.Handle("/", newSite(t, web.Config{Now: f.clock.Now, BankID: &bc}).Handler())
	f.srv = httptest.NewServer(f.mux)
	t.Cleanup(f.srv.Close)
	return f
}

func newSite(t *testing.T, cfg web.Config) *web.Site {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := web.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func (f *fixture) lookup(_ context.Context, id string) (*signing.Session, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	s, ok := f.sess[id]
	if !ok {
		return nil, signing.ErrNotFound
	}
	return s.Clone(), nil
}

func (f *fixture) update(fn func(*signing.Session)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f.sess[sessionID])
}

// state changes the session's BankID state with fn.
func (f *fixture) state(fn func(st *bankid.State)) {
	f.update(func(s *signing.Session) {
		st, err := bankid.ParseState(s.ProviderState, s.ProviderRef)
		if err != nil {
			panic(err)
		}
		fn(&st)
		s.ProviderState, _ = json.Marshal(st)
	})
}

func (f *fixture) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	return get(t, f.srv.URL+path, nil)
}

// get fetches u with the headers in hdr ("Name", "value" pairs).
func get(t *testing.T, u string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest("GET", u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func pagePath(suffix string) string {
	return "/bankid/" + sessionID + suffix + "?t=" + pageToken
}

func TestWrongTokenIsNotFound(t *testing.T) {
	f := newFixture(t, true)
	other := *f.sess[sessionID]
	other.ID, other.Provider = "other", "signzy"
	f.sess["other"] = &other
	for _, path := range []string{
		"/bankid/" + sessionID,                                        // no token
		"/bankid/" + sessionID + "?t=",                                // empty token
		"/bankid/" + sessionID + "?t=" + pageToken[:len(pageToken)-1], // a prefix of it
		"/bankid/" + sessionID + "?t=" + pageToken + "x",              // longer
		"/bankid/" + sessionID + "/qr?t=wrong",                        // the QR code
		"/bankid/" + sessionID + "/status?t=wrong",                    // the status
		"/bankid/11111111-2222-4333-8444-555555555555?t=" + pageToken, // another session
		"/bankid/other?t=" + pageToken,                                // a session at another provider
		"/bankid/" + sessionID + "/nothing?t=" + pageToken,            // no such route
	} {
		code, _, body := f.get(t, path)
		if code != http.StatusNotFound || strings.Contains(body, "bankid.") {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}
	if code, _, _ := f.get(t, pagePath("")); code != http.StatusOK {
		t.Errorf("the right token: %d", code)
	}

	f.err = errors.New("database is down")
	if code, _, body := f.get(t, pagePath("")); code != http.StatusInternalServerError || strings.Contains(body, "database") {
		t.Errorf("lookup failure: %d %q", code, body)
	}
}

func TestBankIDPage(t *testing.T) {
	f := newFixture(t, false)
	code, hdr, body := f.get(t, pagePath(""))
	if code != http.StatusOK || hdr.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("%d %s", code, hdr.Get("Content-Type"))
	}
	wantSecurityHeaders(t, hdr)
	script := regexp.MustCompile(`<script src="(/assets/bankid\.[0-9a-f]{10}\.js)" defer></script>`).FindStringSubmatch(body)
	if script == nil {
		t.Fatalf("the page does not load its script from /assets/:\n%s", body)
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "style=") {
		t.Error("inline script or style on the page")
	}
	if code, hdr, js := f.get(t, script[1]); code != 200 || !strings.Contains(js, "data-src") ||
		hdr.Get("Cache-Control") != "public, max-age=31536000, immutable" {
		t.Errorf("GET %s: %d %q", script[1], code, hdr.Get("Cache-Control"))
	}
	for _, want := range []string{
		`<html lang="en" dir="ltr">`,
		"<title>Sign with BankID · Signet</title>",
		"<strong>loan.pdf</strong>",
		strings.Repeat("ab", 32),
		`role="img" aria-label="QR code for the BankID app"`,
		`<svg xmlns="http://www.w3.org/2000/svg"`, // the QR code, drawn server-side
		`href="bankid:///?autostarttoken=` + autoStart + `&amp;redirect=null"`,
		`href="https://app.bankid.com/?autostarttoken=` + autoStart + `&amp;redirect=null"`,
		`data-src="/bankid/` + sessionID + `/qr?t=` + pageToken + `"`,
		"Waiting for the BankID app",
		`<noscript><meta http-equiv="refresh" content="3;url=/bankid/` + sessionID + `?t=` + pageToken + `&amp;auto=1"></noscript>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "<form") || strings.Contains(body, `value="sign"`) {
		t.Error("a sandbox form outside sandbox mode")
	}

	f.update(func(s *signing.Session) { s.Status = signing.StatusInProgress; s.Language = "sv" })
	f.state(func(st *bankid.State) { st.Signers[0].Order.Hint = "userSign" })
	_, _, body = f.get(t, pagePath(""))
	for _, want := range []string{`<html lang="sv"`, "<title>Signera med BankID · Signet</title>", "Fortsätt i BankID-appen."} {
		if !strings.Contains(body, want) {
			t.Errorf("the Swedish page of an IN_PROGRESS session lacks %s", want)
		}
	}
	f.update(func(s *signing.Session) { s.Language = "hi" })
	if _, _, body = f.get(t, pagePath("")); !strings.Contains(body, `<html lang="hi"`) || !strings.Contains(body, "BankID से हस्ताक्षर करें") {
		t.Error("no Hindi page for a session in hi")
	}
	f.update(func(s *signing.Session) { s.Language = "fi" })
	if _, _, body = f.get(t, pagePath("")); !strings.Contains(body, `<html lang="en"`) {
		t.Error("a language without a translation does not fall back to English")
	}
}

func TestSandboxForm(t *testing.T) {
	f := newFixture(t, true)
	_, _, body := f.get(t, pagePath(""))
	forms := regexp.MustCompile(`(?s)<form[^>]*>.*?</form>`).FindAllString(body, -1)
	if len(forms) != 1 {
		t.Fatalf("%d forms on the page, want the sandbox app's alone", len(forms))
	}
	for _, want := range []string{
		`<form method="post" id="app" action="http://127.0.0.1:8080/sandbox/bankid/app/` + orderRef + `">`,
		`<button type="submit" name="action" value="sign">`,
		`<button type="submit" name="action" value="decline"`,
	} {
		if !strings.Contains(forms[0], want) {
			t.Errorf("the sandbox form lacks %s:\n%s", want, forms[0])
		}
	}
}

// qrAnswer is the JSON of GET …/qr.
type qrAnswer struct {
	QRData   string `json:"qrData"`
	T        int64  `json:"t"`
	SVG      string `json:"svg"`
	Status   string `json:"status"`
	Terminal bool   `json:"terminal"`
}

func (f *fixture) qr(t *testing.T) qrAnswer {
	t.Helper()
	code, hdr, body := f.get(t, pagePath("/qr"))
	if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" || hdr.Get("Cache-Control") != "no-store" {
		t.Fatalf("GET qr: %d %v", code, hdr)
	}
	var q qrAnswer
	if err := json.Unmarshal([]byte(body), &q); err != nil {
		t.Fatal(err)
	}
	return q
}

func TestQRFollowsTime(t *testing.T) {
	f := newFixture(t, false)
	q0 := f.qr(t)
	if q0.T != 0 || q0.QRData != web.QRData(qrStartToken, qrStartSecret, 0) || !strings.HasPrefix(q0.SVG, "<svg") || q0.Status != "PENDING" {
		t.Errorf("at start: %+v", q0)
	}
	if got := decodeSVG(t, q0.SVG); got != q0.QRData {
		t.Errorf("the SVG reads %q, want %q", got, q0.QRData)
	}
	f.clock.Add(1500 * time.Millisecond)
	q1 := f.qr(t)
	if q1.T != 1 || q1.QRData == q0.QRData || q1.SVG == q0.SVG {
		t.Errorf("after 1.5 s: t=%d, same data %v, same svg %v", q1.T, q1.QRData == q0.QRData, q1.SVG == q0.SVG)
	}
	if got := decodeSVG(t, q1.SVG); got != web.QRData(qrStartToken, qrStartSecret, 1) {
		t.Errorf("the SVG after 1.5 s reads %q", got)
	}
	f.clock.Add(30 * time.Second)
	if q := f.qr(t); q.T != 31 {
		t.Errorf("after 31.5 s: t=%d", q.T)
	}
	// The page draws the current code too.
	_, _, body := f.get(t, pagePath(""))
	svg := regexp.MustCompile(`<svg.*?</svg>`).FindString(body)
	if got := decodeSVG(t, svg); got != web.QRData(qrStartToken, qrStartSecret, 31) {
		t.Errorf("the page's QR code reads %q", got)
	}
}

func TestStatusAndOutcome(t *testing.T) {
	f := newFixture(t, true)
	status := func() map[string]any {
		t.Helper()
		_, _, body := f.get(t, pagePath("/status"))
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := status(); m["status"] != "PENDING" || m["terminal"] != false || m["returnUrl"] != nil {
		t.Errorf("open: %v", m)
	}

	f.update(func(s *signing.Session) {
		s.Status, s.FailureReason = signing.StatusFailed, `The signer declined <script>alert(1)</script>`
	})
	if m := status(); m["status"] != "FAILED" || m["terminal"] != true || m["returnUrl"] != "https://client.example/return?x=1&y=2" ||
		!strings.Contains(m["failureReason"].(string), "declined") {
		t.Errorf("failed: %v", m)
	}
	_, _, body := f.get(t, pagePath(""))
	for _, want := range []string{
		"<h1>Not signed</h1>",
		"The signer declined &lt;script&gt;alert(1)&lt;/script&gt;",
		`<meta http-equiv="refresh" content="3;url=https://client.example/return?x=1&amp;y=2">`,
		`<a class="button" href="https://client.example/return?x=1&amp;y=2">Return to the service</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the outcome page lacks %s", want)
		}
	}
	if strings.Contains(body, "<svg") || strings.Contains(body, "<form") || strings.Contains(body, "<script") {
		t.Error("a finished session still shows the QR code, the form or the script")
	}
	if q := f.qr(t); q.QRData != "" || q.SVG != "" || !q.Terminal {
		t.Errorf("qr of a finished session: %+v", q)
	}

	f.update(func(s *signing.Session) { s.Status, s.ReturnURL = signing.StatusCompleted, "javascript:alert(1)" })
	_, _, body = f.get(t, pagePath(""))
	if !strings.Contains(body, "<h1>Signed</h1>") || strings.Contains(body, "javascript") {
		t.Error("a COMPLETED page must show the outcome and never follow a non-http returnUrl")
	}
	for _, tt := range []struct {
		status signing.Status
		lang   string
		want   string
	}{
		{signing.StatusExpired, "en", "<h1>Expired</h1>"},
		{signing.StatusCancelled, "en", "<h1>Cancelled</h1>"},
		{signing.StatusCompleted, "sv", "<h1>Undertecknat</h1>"},
		{signing.StatusFailed, "sv", "<h1>Inte undertecknat</h1>"},
		{signing.StatusExpired, "hi", "<h1>समय समाप्त</h1>"},
		{signing.StatusCancelled, "hi", "<h1>रद्द किया गया</h1>"},
	} {
		f.update(func(s *signing.Session) { s.Status, s.Language = tt.status, tt.lang })
		if _, _, body := f.get(t, pagePath("")); !strings.Contains(body, tt.want) {
			t.Errorf("%s in %s: the page lacks %s", tt.status, tt.lang, tt.want)
		}
	}
}

func TestOpenSessionPastExpiresAtShowsExpired(t *testing.T) {
	f := newFixture(t, true)
	f.clock.Add(24 * time.Hour)
	_, _, body := f.get(t, pagePath(""))
	if !strings.Contains(body, "<h1>Expired</h1>") || strings.Contains(body, "<form") {
		t.Error("a session past expiresAt is shown as open")
	}
}

func TestBankIDConfigNeedsLookup(t *testing.T) {
	if _, err := web.New(web.Config{BankID: &web.BankIDConfig{}}); err == nil {
		t.Error("a BankID page without Lookup accepted")
	}
}

func TestRefreshBeforeDrawingThePage(t *testing.T) {
	var (
		mu    sync.Mutex
		calls int
		fail  bool
	)
	refresh := func(_ context.Context, s *signing.Session) (*signing.Session, error) {
		mu.Lock()
		defer mu.Unlock()
		calls++
		if fail {
			return nil, errors.New("collect failed")
		}
		s.Status = signing.StatusCompleted
		return s, nil
	}
	f := newFixture(t, true, func(c *web.BankIDConfig) { c.Refresh = refresh })
	count := func() int { mu.Lock(); defer mu.Unlock(); return calls }
	f.get(t, pagePath("/qr"))
	f.get(t, pagePath("/status"))
	if n := count(); n != 0 {
		t.Errorf("the QR and status routes refreshed %d times", n)
	}
	mu.Lock()
	fail = true
	mu.Unlock()
	if _, _, body := f.get(t, pagePath("")); !strings.Contains(body, "Waiting for the BankID app") {
		t.Error("a failed refresh did not show the session as it was")
	}
	mu.Lock()
	fail = false
	mu.Unlock()
	if _, _, body := f.get(t, pagePath("")); !strings.Contains(body, "<h1>Signed</h1>") || count() != 2 {
		t.Errorf("after a refresh to COMPLETED (%d calls) the page shows:\n%s", count(), body)
	}
}

// startCall is one call of BankIDConfig.Start.
type startCall struct {
	signer int
	asked  bool
}

// startingFixture is a fixture whose signer has no order yet and whose
// Start records its calls and starts order ref with QR secret secret.
func startingFixture(t *testing.T) (*fixture, func() []startCall) {
	t.Helper()
	var (
		mu    sync.Mutex
		calls []startCall
	)
	var f *fixture
	f = newFixture(t, true, func(c *web.BankIDConfig) {
		c.Start = func(_ context.Context, s *signing.Session, i int, asked bool) (*signing.Session, error) {
			mu.Lock()
			calls = append(calls, startCall{i, asked})
			mu.Unlock()
			f.state(func(st *bankid.State) {
				st.Signers[i].Order = &bankid.Order{OrderRef: "order-2", AutoStartToken: "auto-2", QRStartToken: "qr-2", QRStartSecret: "secret-2", StartedAt: f.clock.Now().Unix()}
			})
			return f.lookup(context.Background(), s.ID)
		}
	})
	f.state(func(st *bankid.State) { st.Signers[0].Order = nil })
	return f, func() []startCall { mu.Lock(); defer mu.Unlock(); return slices.Clone(calls) }
}

// TestPageStartsTheOrder: opening the page is the signer asking for an
// order; the page's polls (and its own refresh) start one without
// asking; the status route starts nothing; with an order running nothing
// is started.
func TestPageStartsTheOrder(t *testing.T) {
	f, calls := startingFixture(t)
	f.get(t, pagePath("/status"))
	if c := calls(); len(c) != 0 {
		t.Fatalf("the status route started an order: %v", c)
	}
	if q := f.qr(t); q.QRData != web.QRData("qr-2", "secret-2", 0) || q.Status != "PENDING" {
		t.Errorf("the poll after starting: %+v", q)
	}
	if c := calls(); !slices.Equal(c, []startCall{{0, false}}) {
		t.Errorf("calls %v, want one poll start", c)
	}
	f.qr(t)
	f.get(t, pagePath(""))
	if c := calls(); len(c) != 1 {
		t.Errorf("with an order running: %v", c)
	}
	f.state(func(st *bankid.State) { st.Signers[0].Order = nil })
	_, _, body := f.get(t, pagePath(""))
	if c := calls(); len(c) != 2 || !c[1].asked || !strings.Contains(body, `action="http://127.0.0.1:8080/sandbox/bankid/app/order-2"`) {
		t.Errorf("opening the page: %v\n%s", c, body)
	}
	f.state(func(st *bankid.State) { st.Signers[0].Order = nil })
	f.get(t, pagePath("")+"&auto=1")
	if c := calls(); len(c) != 3 || c[2].asked {
		t.Errorf("the page's own refresh: %v", c)
	}
	// A finished session starts nothing.
	f.state(func(st *bankid.State) { st.Signers[0].Order = nil })
	f.update(func(s *signing.Session) { s.Status = signing.StatusCancelled })
	f.get(t, pagePath(""))
	f.qr(t)
	if c := calls(); len(c) != 3 {
		t.Errorf("a cancelled session: %v", c)
	}
}

// TestPagePhases: what the page says when no order runs, and for a
// signer whose turn has not come or who has signed.
func TestPagePhases(t *testing.T) {
	f := newFixture(t, true)
	tests := []struct {
		set  func(sg *bankid.SignerState)
		want []string
	}{
		{func(sg *bankid.SignerState) {
			sg.Order, sg.Halt, sg.Detail = nil, bankid.HaltBusy, "Order already in progress for pno"
		},
			[]string{"Another BankID signing is in progress for your personal number", "Nothing was cancelled.", "Order already in progress for pno", `href="/bankid/` + sessionID + `?t=` + pageToken + `">Start again</a>`}},
		{func(sg *bankid.SignerState) { sg.Order, sg.Halt = nil, bankid.HaltInterrupted },
			[]string{"This signing was interrupted", "Start again</a>"}},
		{func(sg *bankid.SignerState) { sg.Order, sg.AutoStarts = nil, 5 },
			[]string{"The QR code has expired", "Start again</a>"}},
		{func(sg *bankid.SignerState) {
			sg.Order, sg.Halt, sg.Detail = nil, bankid.HaltRefused, "Invalid endUserIp"
		},
			[]string{"BankID could not start the signing.", "Invalid endUserIp"}},
		{func(sg *bankid.SignerState) { sg.Order = nil },
			[]string{"Starting BankID…", `<p id="again" data-when="held" hidden>`}},
	}
	for _, tt := range tests {
		f.state(func(st *bankid.State) {
			st.Signers[0] = bankid.SignerState{PageToken: pageToken}
			tt.set(&st.Signers[0])
		})
		_, _, body := f.get(t, pagePath(""))
		for _, want := range tt.want {
			if !strings.Contains(body, want) {
				t.Errorf("the page lacks %s:\n%s", want, body)
			}
		}
		if !strings.Contains(body, `<div class="qr" id="qr" role="img" aria-label="QR code for the BankID app" data-when="order" hidden>`) {
			t.Error("a QR code without an order")
		}
	}

	f.update(func(s *signing.Session) {
		s.Signers = []signing.Signer{{ID: "a", Status: signing.SignerPending, Details: json.RawMessage(`{"name":"Anna"}`)}, {ID: "b", Status: signing.SignerWaiting}}
	})
	f.state(func(st *bankid.State) {
		st.Signers = []bankid.SignerState{{PageToken: "other-token"}, {PageToken: pageToken}}
	})
	if _, _, body := f.get(t, pagePath("")); !strings.Contains(body, "It is not your turn to sign yet: Anna has to sign first.") || strings.Contains(body, "<script") {
		t.Errorf("a waiting signer's page:\n%s", body)
	}
	f.update(func(s *signing.Session) {
		s.Signers[0].Status, s.Signers[1].Status = signing.SignerPending, signing.SignerSigned
	})
	if _, _, body := f.get(t, pagePath("")); !strings.Contains(body, "<h1>You have signed</h1>") {
		t.Errorf("a signed signer's page:\n%s", body)
	}
	if q := f.qr(t); q.Terminal || q.QRData != "" {
		t.Errorf("a signed signer's poll: %+v", q)
	}
}
