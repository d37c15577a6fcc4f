package main

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/web/browsertest"
)

// sharedSignzy is one simulated Signzy account, served apart from Signet,
// that several replicas use as their live provider; it returns the serve
// flags that point at it.
func sharedSignzy(t *testing.T) []string {
	t.Helper()
	_, flags := signzyAccount(t)
	return flags
}

// consolePassword is the test operator's password.
const consolePassword = "correct horse battery staple"

// TestBrowserConsole drives the operator console in Chromium against two
// `signet serve` replicas on one PostgreSQL database: a wrong password,
// sign-in, finding a session by its order id, cancelling it, redelivering
// a failed webhook delivery, creating a key and revoking it (refused at
// once by the other replica, which had it cached), sign-out, and a
// cross-site form post refused. It writes the README's screenshots.
func TestBrowserConsole(t *testing.T) {
	if os.Getenv(databaseEnv) != "" {
		t.Skip("runs once, in the main run")
	}
	dsn := pgtest.DSN(t) // skips, saying why, without PostgreSQL
	bin := signetBinary(t)
	began := time.Now()

	admin := exec.Command(bin, "admin", "create", "--email", "ops@example.com", "--database", dsn)
	admin.Stdin = strings.NewReader(consolePassword + "\n")
	if out, err := admin.CombinedOutput(); err != nil {
		t.Fatalf("admin create: %v\n%s", err, out)
	}
	keys := map[string]string{}
	for _, tenant := range []string{"acme", "globex"} {
		out, err := exec.Command(bin, "apikey", "create", "--tenant", tenant, "--database", dsn).Output()
		if err != nil {
			t.Fatalf("apikey create: %v", err)
		}
		keys[tenant] = strings.TrimSpace(string(out))
	}

	provider := sharedSignzy(t)
	var bases []string
	for range 2 {
		addr := freeAddr(t)
		args := append([]string{"serve", "--addr", addr, "--database", dsn, "--allow-private-webhooks",
			"--poll-interval", "1s", "--webhook-retries", "1h", "--webhook-timeout", "2s", "--webhook-lease", "3s"}, provider...)
		_, logs := startBinary(t, bin, args...)
		waitFor(t, logs, func(line string) bool { return strings.Contains(line, "signet serving") })
		bases = append(bases, "http://"+addr)
	}
	a := client{t: t, base: bases[0], key: keys["acme"]}
	b := client{t: t, base: bases[1], key: keys["acme"]}
	globex := client{t: t, base: bases[1], key: keys["globex"]}

	// A webhook receiver that fails until told otherwise.
	var healthy atomic.Bool
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !healthy.Load() {
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		}
	}))
	defer receiver.Close()
	a.must("POST", "/webhooks", map[string]any{"url": receiver.URL + "/hooks/signet", "events": []string{"signing.completed", "signing.failed"}}, 201)

	// Sessions of two tenants in every state, as the screenshots show them.
	signers := []string{"Asha Rao", "Vikram Singh", "Priya Nair", "Erik Lindqvist", "Meera Iyer", "Kabir Shah", "Ananya Das", "Rohan Mehta"}
	var completed string
	for i, name := range signers {
		c := []client{a, globex}[i%3/2]
		body := createBody(fmt.Sprintf("order-%d", 1001+i))
		body["signerDetails"] = map[string]any{"name": name, "email": strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@example.com"}
		s := c.must("POST", "/signing", body, 201)
		switch id := str(s["signingSessionId"]); i % 4 {
		case 0:
			providertest.SubmitForm(t, str(s["redirectUrl"]), "sign")
			if completed == "" && c.key == a.key {
				completed = id
			}
		case 1:
			providertest.SubmitForm(t, str(s["redirectUrl"]), "decline")
		case 2:
			c.must("DELETE", "/signing/"+id, nil, 200)
		}
	}

	target := a.must("POST", "/signing", createBody("order-cancel-me"), 201)
	targetID := str(target["signingSessionId"])
	spared := str(a.must("POST", "/signing", createBody("order-keep-me"), 201)["signingSessionId"])
	waitClientStatus(t, a, completed, "COMPLETED")
	t.Logf("two replicas with %d sessions ready in %v", len(signers)+2, time.Since(began).Round(time.Millisecond))

	// A tenant's API key opens no console page.
	req, _ := http.NewRequest("GET", bases[0]+"/console/", nil)
	req.Header.Set("X-API-Key", keys["acme"])
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/console/login" {
		t.Errorf("/console/ with an API key: %d %s, want 303 to the sign-in form", resp.StatusCode, resp.Header.Get("Location"))
	}

	br := browsertest.New(t)
	quiet := 0 // console lines expected so far
	shots := func(t *testing.T, name string) {
		t.Helper()
		screenshots(t, br, name)
		if c := br.Console(); len(c) > quiet {
			t.Errorf("the browser console:\n%s", strings.Join(c[quiet:], "\n"))
		}
	}
	steps := time.Now()
	br.Navigate(bases[0] + "/console/")
	br.WaitURL(bases[0] + "/console/login")
	if got := br.Text("h1"); got != "Sign in to the console" {
		t.Fatalf("the console without a sign-in shows %q", got)
	}

	t.Run("WrongPassword", func(t *testing.T) {
		br.Type("#email", "ops@example.com")
		br.Type("#password", "not the password")
		br.Submit(`button[type="submit"]`)
		if got := br.Text("#login-error"); got != "The e-mail address or the password is wrong." {
			t.Errorf("a wrong password: %q", got)
		}
		quiet = len(br.Console()) // the browser logs the 401 itself
	})

	t.Run("SignIn", func(t *testing.T) {
		br.Type("#password", consolePassword) // the e-mail is kept in the form
		br.Submit(`button[type="submit"]`)
		br.WaitURL(bases[0] + "/console/")
		if got := br.Text("h1"); got != "Signing sessions" {
			t.Fatalf("after sign-in: %q", got)
		}
		if n := browsertest.Eval[int](br, `document.querySelectorAll("tbody tr").length`); n != len(signers)+2 {
			t.Errorf("the sessions list has %d rows, want %d (both tenants)", n, len(signers)+2)
		}
		// The console session is in the database: the other replica knows it.
		br.Navigate(bases[1] + "/console/keys")
		if got := br.Text("h1"); got != "Tenants and API keys" {
			t.Errorf("the other replica's console: %q, want the keys page without signing in again", got)
		}
		br.Navigate(bases[0] + "/console/")
		shots(t, "console-sessions")
	})

	t.Run("FindAndCancel", func(t *testing.T) {
		br.Type("#f-order", "order-cancel-me")
		br.Submit(`.filters button[type="submit"]`)
		if n := browsertest.Eval[int](br, `document.querySelectorAll("tbody tr").length`); n != 1 {
			t.Fatalf("filtering by order id: %d rows, want 1", n)
		}
		br.Submit("tbody tr a")
		br.WaitURL(bases[0] + "/console/sessions/" + targetID)
		if got := br.Text("h1"); !strings.Contains(got, "order-cancel-me") || !strings.Contains(got, "Pending") {
			t.Errorf("the session's page: %q", got)
		}
		br.Click("#cancel") // asks first
		br.Submit("#cancel-confirm")
		br.WaitText(".notice.ok", "The session is cancelled.")
		if got := br.Text("h1 .badge"); got != "Cancelled" {
			t.Errorf("after Cancel the badge says %q", got)
		}
		if got := b.must("GET", "/signing/"+targetID, nil, 200)["status"]; got != "CANCELLED" {
			t.Errorf("the API says %v after Cancel", got)
		}
		if got := br.Text(".timeline"); !strings.Contains(got, "signing.cancelled") {
			t.Errorf("the timeline lacks the cancel:\n%s", got)
		}
		br.Navigate(bases[0] + "/console/sessions/" + completed)
		br.WaitText("h1 .badge", "Completed")
		shots(t, "console-session")
	})

	t.Run("Redeliver", func(t *testing.T) {
		br.Navigate(bases[0] + "/console/webhooks")
		br.Submit("tbody tr a")
		br.WaitVisible("tr.attempt")
		if got := br.Text("tr.attempt .badge"); got != "Failed" {
			t.Fatalf("the first delivery attempt: %q, want Failed", got)
		}
		failedRows := browsertest.Eval[int](br, `document.querySelectorAll("tr.attempt").length`)
		healthy.Store(true)
		br.Submit("tr.attempt button")
		br.WaitText(".notice.ok", "queued for delivery again")
		page := br.URL()
		br.WaitFor("the redelivery's attempt", func() bool {
			br.Navigate(page)
			return browsertest.Eval[int](br, `document.querySelectorAll("tr.attempt").length`) > failedRows
		})
		if got := br.Text("tr.attempt .badge"); got != "Delivered" {
			t.Errorf("the newest attempt after Redeliver: %q, want Delivered", got)
		}
	})

	t.Run("CreateAndRevokeKey", func(t *testing.T) {
		br.Navigate(bases[0] + "/console/keys")
		br.Type("#new-tenant", "acme")
		br.Submit("#create-key")
		key := br.Text("#new-key")
		if !strings.HasPrefix(key, "sk_") {
			t.Fatalf("the new key shown: %q", key)
		}
		fresh := client{t: t, base: bases[1], key: key}
		here := client{t: t, base: bases[0], key: key}
		fresh.must("GET", "/auth/ping", nil, 200) // both replicas now have it cached
		here.must("GET", "/auth/ping", nil, 200)
		if !strings.Contains(metrics(t, bases[1]), "signet_api_key_cache_enabled 1") {
			t.Error("the other replica does not cache keys: the revocation below would prove nothing")
		}
		br.Navigate(bases[0] + "/console/keys")
		if got := br.Text("tr.key-row td"); !strings.HasPrefix(got, key[:11]) {
			t.Errorf("the newest key's row starts %q, want its prefix %s…", got, key[:11])
		}
		if strings.Contains(br.Text("main"), key) {
			t.Error("the keys page shows the whole key again")
		}
		revoked := time.Now()
		br.Click("tr.key-row summary") // asks first
		br.Submit("tr.key-row form button")
		br.WaitText(".notice.ok", "The key is revoked.")
		// This replica, where it was revoked, refuses it at once.
		if code, _, _ := here.call("GET", "/auth/ping", nil); code != http.StatusUnauthorized {
			t.Errorf("the replica that revoked the key answered %d", code)
		}
		// The other replica, which has the key cached, refuses it once the
		// revocation's NOTIFY reaches it: within milliseconds, never the
		// cache's 30 s (the wait gives up after 15 s).
		early := 0
		br.WaitFor("the other replica to refuse the revoked key", func() bool {
			code, _, err := fresh.call("GET", "/auth/ping", nil)
			if err != nil {
				t.Fatal(err)
			}
			if code != http.StatusUnauthorized {
				early++
			}
			return code == http.StatusUnauthorized
		})
		t.Logf("revoked key refused by the other replica %v after the click (%d requests before)",
			time.Since(revoked).Round(time.Millisecond), early)
		b.must("GET", "/auth/ping", nil, 200) // the tenant's other key still works
	})

	t.Run("SignOut", func(t *testing.T) {
		br.Submit(".signout button")
		br.WaitURL(bases[0] + "/console/login")
		br.WaitText(".notice.ok", "You are signed out.")
		br.Navigate(bases[0] + "/console/")
		br.WaitURL(bases[0] + "/console/login")
	})

	t.Run("CrossSitePostRefused", func(t *testing.T) {
		br.Type("#email", "ops@example.com")
		br.Type("#password", consolePassword)
		br.Submit(`button[type="submit"]`)
		br.WaitURL(bases[0] + "/console/")
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `<!doctype html><title>Win a prize</title><link rel="icon" href="data:,">
<form method="post" action="%s/console/sessions/%s/cancel"><input type="hidden" name="csrf_token" value="forged">
<button type="submit" id="go">Claim</button></form>`, bases[0], html.EscapeString(spared))
		}))
		defer evil.Close()
		br.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)) // another site
		br.Submit("#go")
		if got := br.Text("h1"); got != "Request refused" {
			t.Errorf("a cross-site post answered %q", got)
		}
		if got := a.must("GET", "/signing/"+spared, nil, 200)["status"]; got != "PENDING" {
			t.Errorf("after a cross-site cancel the session is %v", got)
		}
	})
	t.Logf("the console in the browser, sign-in to sign-out: %v", time.Since(steps).Round(time.Millisecond))
}

// metrics is a replica's /metrics.
func metrics(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// noRedirects is a client that shows redirects rather than following them.
var noRedirects = &http.Client{Timeout: 10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// screenshots writes name-phone.png and name-desktop.png (to docs/ with
// SIGNET_UPDATE_DOCS=1) and checks that the page fits a phone's width.
func screenshots(t *testing.T, br *browsertest.Browser, name string) {
	t.Helper()
	browsertest.Eval[bool](br, "document.activeElement.blur(), true")
	phone := br.Screenshot(375, name+"-phone.png")
	if w := browsertest.Eval[int](br, "document.documentElement.scrollWidth"); w > 375 {
		t.Errorf("%s is %d px wide at a 375 px viewport: it scrolls sideways", name, w)
	}
	desktop := br.Screenshot(1280, name+"-desktop.png")
	t.Logf("screenshots: %s, %s", phone, desktop)
}
