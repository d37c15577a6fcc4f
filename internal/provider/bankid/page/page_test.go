package page_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/page"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// BankID's documented example: qrStartSecret
// d28db9a7-4cde-429e-a983-359be676944c at time 0 gives the auth code
// dc69358e…; the others were computed with
// `printf 10 | openssl dgst -sha256 -hmac d28db9a7-4cde-429e-a983-359be676944c`.
func TestQRData(t *testing.T) {
	const token, secret = "67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c"
	tests := []struct {
		t    int64
		want string
	}{
		{0, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.0.dc69358e712458a66a7525beef148ae8526b1c71610eff2c16cdffb4cdac9bf8"},
		{1, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.1.949d559bf23403952a94d103e67743126381eda00f0b3cbddbf7c96b1adcbce2"},
		{10, "bankid.67df3917-fa0d-44e5-b327-edcc928297f8.10.2822ca616ce1e64a1c171df69154ebc5adef4011244c867d6ad88a02db178962"},
	}
	for _, tt := range tests {
		if got := page.QRData(token, secret, tt.t); got != tt.want {
			t.Errorf("QRData(t=%d) = %s, want %s", tt.t, got, tt.want)
		}
	}
}

const (
	sessionID = "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d"
	orderRef  = "131daac9-16c6-4618-beb0-365768f37288"
	pageToken = "kX9v2mQ7rL0pW4sT8yZ1aB3cD5eF6gH7iJ8kL9mN0oP"
)

var started = time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)

type fixture struct {
	srv   *httptest.Server
	clock *simtest.Clock
	mu    sync.Mutex
	sess  map[string]*signing.Session
	err   error // Lookup fails with it when set
}

func newFixture(t *testing.T, sandbox bool) *fixture {
	t.Helper()
	f := &fixture{clock: simtest.NewClock(started), sess: map[string]*signing.Session{}}
	st, _ := json.Marshal(bankid.State{
		AutoStartToken: "46f6aa68-1a8d-4a32-a6f3-1b5e4a1c2d3e", QRStartToken: "67df3917-fa0d-44e5-b327-edcc928297f8",
		QRStartSecret: "d28db9a7-4cde-429e-a983-359be676944c", StartedAt: started.Unix(), PageToken: pageToken,
		DocumentSHA256: strings.Repeat("ab", 32),
	})
	f.sess[sessionID] = &signing.Session{ID: sessionID, Status: signing.StatusPending, Provider: bankid.Name, Language: "en",
		DocumentName: "loan.pdf", ReturnURL: "https://client.example/return?x=1&y=2", ExpiresAt: started.Add(24 * time.Hour),
		ProviderRef: orderRef, ProviderState: st}
	h, err := page.New(page.Config{
		Lookup: f.lookup, Now: f.clock.Now, Sandbox: sandbox, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		SimAppURL: func(ref string) string { return "http://127.0.0.1:8080/sandbox/bankid/app/" + ref },
	})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/bankid/", h)
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
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

func (f *fixture) get(t *testing.T, path string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Get(f.srv.URL + path)
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
	f.update(func(s *signing.Session) {})
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

func TestPage(t *testing.T) {
	f := newFixture(t, false)
	code, hdr, body := f.get(t, pagePath(""))
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("%d %s", code, hdr.Get("Content-Type"))
	}
	for _, h := range []string{"Referrer-Policy", "Content-Security-Policy", "Cache-Control", "X-Frame-Options"} {
		if hdr.Get(h) == "" {
			t.Errorf("no %s header", h)
		}
	}
	nonce := regexp.MustCompile(`<script nonce="([^"]+)">`).FindStringSubmatch(body)
	if nonce == nil || !strings.Contains(hdr.Get("Content-Security-Policy"), "'nonce-"+nonce[1]+"'") {
		t.Error("the inline script's nonce is not in the CSP")
	}
	for _, want := range []string{
		"<title>Sign with BankID</title>",
		"<strong>loan.pdf</strong>",
		strings.Repeat("ab", 32),
		`<svg xmlns="http://www.w3.org/2000/svg"`, // the QR code, drawn server-side
		`href="bankid:///?autostarttoken=46f6aa68-1a8d-4a32-a6f3-1b5e4a1c2d3e&amp;redirect=null"`,
		`href="https://app.bankid.com/?autostarttoken=46f6aa68-1a8d-4a32-a6f3-1b5e4a1c2d3e&amp;redirect=null"`,
		`data-src="/bankid/` + sessionID + `/qr?t=` + pageToken + `"`,
		"Waiting for the BankID app",
		`<noscript><meta http-equiv="refresh" content="3"></noscript>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(body, "<form") || strings.Contains(body, `value="sign"`) {
		t.Error("a sandbox form outside sandbox mode")
	}

	f.update(func(s *signing.Session) { s.Status = signing.StatusInProgress; s.Language = "sv" })
	_, _, body = f.get(t, pagePath(""))
	if !strings.Contains(body, "<title>Signera med BankID</title>") || !strings.Contains(body, "Fortsätt i BankID-appen.") {
		t.Error("no Swedish page for an IN_PROGRESS session in sv")
	}
}

func TestSandboxForm(t *testing.T) {
	f := newFixture(t, true)
	_, _, body := f.get(t, pagePath(""))
	form := regexp.MustCompile(`(?s)<form[^>]*>.*?</form>`).FindString(body)
	for _, want := range []string{
		`<form method="post" action="http://127.0.0.1:8080/sandbox/bankid/app/` + orderRef + `">`,
		`<button type="submit" name="action" value="sign">`,
		`<button type="submit" name="action" value="decline">`,
	} {
		if !strings.Contains(form, want) {
			t.Errorf("the sandbox form lacks %s:\n%s", want, form)
		}
	}
}

func TestQRFollowsTime(t *testing.T) {
	f := newFixture(t, false)
	read := func() (string, int64, string) {
		t.Helper()
		code, hdr, body := f.get(t, pagePath("/qr"))
		if code != http.StatusOK || hdr.Get("Content-Type") != "application/json" || hdr.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %v", code, hdr)
		}
		var q struct {
			QRData string `json:"qrData"`
			T      int64  `json:"t"`
			SVG    string `json:"svg"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal([]byte(body), &q); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(q.SVG, "<svg") || q.Status != "PENDING" {
			t.Errorf("qr %+v", q)
		}
		return q.QRData, q.T, q.SVG
	}
	d0, t0, svg0 := read()
	if t0 != 0 || d0 != page.QRData("67df3917-fa0d-44e5-b327-edcc928297f8", "d28db9a7-4cde-429e-a983-359be676944c", 0) {
		t.Errorf("at start: %s (t=%d)", d0, t0)
	}
	f.clock.Add(1500 * time.Millisecond)
	d1, t1, svg1 := read()
	if t1 != 1 || d1 == d0 || svg1 == svg0 {
		t.Errorf("after 1.5 s: t=%d, same data %v, same svg %v", t1, d1 == d0, svg1 == svg0)
	}
	f.clock.Add(30 * time.Second)
	if _, t2, _ := read(); t2 != 31 {
		t.Errorf("after 31.5 s: t=%d", t2)
	}
	// The page draws the current code too.
	_, _, body := f.get(t, pagePath(""))
	if !strings.Contains(body, "<svg") {
		t.Error("no QR code on the page")
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
	code, _, qrBody := f.get(t, pagePath("/qr"))
	if code != http.StatusOK || strings.Contains(qrBody, "bankid.") || !strings.Contains(qrBody, `"terminal":true`) {
		t.Errorf("qr of a finished session: %s", qrBody)
	}

	f.update(func(s *signing.Session) { s.Status, s.ReturnURL = signing.StatusCompleted, "javascript:alert(1)" })
	_, _, body = f.get(t, pagePath(""))
	if !strings.Contains(body, "<h1>Signed</h1>") || strings.Contains(body, "javascript") {
		t.Error("a COMPLETED page must show the outcome and never follow a non-http returnUrl")
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

func TestNewValidatesConfig(t *testing.T) {
	if _, err := page.New(page.Config{}); err == nil {
		t.Error("no Lookup accepted")
	}
	lookup := func(context.Context, string) (*signing.Session, error) { return nil, signing.ErrNotFound }
	if _, err := page.New(page.Config{Lookup: lookup, Sandbox: true}); err == nil {
		t.Error("sandbox without SimAppURL accepted")
	}
	h, err := page.New(page.Config{Lookup: lookup, Prefix: "/"})
	if err != nil {
		t.Fatal(err)
	}
	// Mounted at the root (behind http.StripPrefix, say), the routes work without the prefix.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/"+sessionID+"?t=x", nil))
	if rec.Code != http.StatusNotFound {
		t.Errorf("%d", rec.Code)
	}
}

func TestRefreshBeforeDrawingThePage(t *testing.T) {
	var calls int
	var mu sync.Mutex
	fail := false
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
	f := &fixture{clock: simtest.NewClock(started), sess: map[string]*signing.Session{}}
	base := newFixture(t, true)
	f.sess = base.sess
	h, err := page.New(page.Config{Lookup: f.lookup, Refresh: refresh, Now: f.clock.Now,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)

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
