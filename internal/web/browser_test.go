package web_test

import (
	"bytes"
	"fmt"
	"html"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
	"github.com/signet-dev/signet/internal/web/browsertest"
)

// elementQR decodes the QR code that the browser shows in sel.
func elementQR(b *browsertest.Browser, sel string) (string, error) {
	img, err := png.Decode(bytes.NewReader(b.ElementPNG(sel)))
	if err != nil {
		return "", err
	}
	return readQR(img)
}

// wantQuietConsole fails if the page logged anything: a script error or
// a Content-Security-Policy violation shows up there.
func wantQuietConsole(t *testing.T, b *browsertest.Browser) {
	t.Helper()
	if c := b.Console(); len(c) > 0 {
		t.Errorf("the browser console:\n%s", strings.Join(c, "\n"))
	}
}

// TestBrowserBankIDPage opens the BankID page in Chromium: the QR code it
// draws reads back as BankID's data and follows the clock, the status
// line follows the session, and the sandbox app's Sign button completes
// the signing and leads back to the client.
func TestBrowserBankIDPage(t *testing.T) {
	f := newFixture(t, true)
	f.mux.HandleFunc("POST /sandbox/bankid/app/{ref}", func(w http.ResponseWriter, r *http.Request) {
		// The simulated app: the order is signed, and the app goes back
		// to the page (the order's returnUrl).
		if r.PathValue("ref") != orderRef || r.PostFormValue("action") != "sign" {
			http.Error(w, "unexpected "+r.PostFormValue("action"), http.StatusBadRequest)
			return
		}
		f.update(func(s *signing.Session) { s.Status = signing.StatusCompleted })
		http.Redirect(w, r, pagePath(""), http.StatusSeeOther)
	})
	f.mux.HandleFunc("GET /client/return", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, clientPage)
	})
	f.mu.Lock()
	f.app = f.srv.URL + "/sandbox/bankid/app/"
	f.mu.Unlock()
	f.update(func(s *signing.Session) { s.ReturnURL = f.srv.URL + "/client/return" })

	b := browsertest.New(t)
	start := time.Now()
	b.Navigate(f.srv.URL + pagePath(""))
	if got := b.Text("h1"); got != "Sign with BankID" {
		t.Errorf("h1 %q", got)
	}
	// The keyboard's first stop is the skip link, with a visible focus ring.
	b.Press("\t")
	focus := browsertest.Eval[string](b, `(function(){var e=document.activeElement,s=getComputedStyle(e);`+
		`return e.className+" "+s.outlineStyle+" "+s.outlineWidth+" "+(e.getBoundingClientRect().top>=0)})()`)
	if focus != "skip solid 3px true" {
		t.Errorf("after Tab the focus is %q, want the skip link, outlined and on screen", focus)
	}
	browsertest.Eval[bool](b, "document.activeElement.blur(), true") // not in the screenshots
	b.WaitVisible("#qr svg")
	// The code on screen reads as BankID's data, and a second later the
	// script has drawn the next one.
	for i := int64(0); i < 2; i++ {
		want := web.QRData(qrStartToken, qrStartSecret, i)
		b.WaitFor(fmt.Sprintf("the QR code of t=%d", i), func() bool {
			got, _ := elementQR(b, "#qr")
			return got == want
		})
		f.clock.Add(time.Second)
	}

	f.update(func(s *signing.Session) { s.Status = signing.StatusInProgress })
	f.state(func(st *bankid.State) { st.Signers[0].Order.Hint = "userSign" }) // the app has the order
	b.WaitText("#status", "Continue in the BankID app.")

	phone := b.Screenshot(375, "bankid-phone.png")
	if w := browsertest.Eval[int](b, "document.documentElement.scrollWidth"); w > 375 {
		t.Errorf("the page is %d px wide at a 375 px viewport: it scrolls sideways", w)
	}
	desktop := b.Screenshot(1280, "bankid-desktop.png")
	t.Logf("screenshots: %s, %s", phone, desktop)

	b.Submit(`button[value="sign"]`)
	if got := b.Text("h1"); got != "Signed" {
		t.Errorf("after Sign the page says %q", got)
	}
	// The outcome page takes the signer back to the client by itself.
	b.WaitURL(f.srv.URL + "/client/return")
	if got := b.Text("h1"); got != "Back at the client" {
		t.Errorf("at the client: %q", got)
	}
	wantQuietConsole(t, b)
	t.Logf("the BankID page in the browser, from open to back at the client: %v", time.Since(start).Round(time.Millisecond))
}

// TestBrowserProtectedForm posts a protected form from Chromium: from
// its own page it is accepted and the 303 to another origin (a client's
// returnUrl) is followed; from a page on another site it is refused
// even with a valid token; a stale token gets the 403 page, whose link
// leads back to a fresh form.
func TestBrowserProtectedForm(t *testing.T) {
	client := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, clientPage)
	}))
	defer client.Close()
	// Another origin and another site for the browser: localhost, not 127.0.0.1.
	clientURL := strings.Replace(client.URL, "127.0.0.1", "localhost", 1)
	fs := newFormServer(t, clientURL+"/back")

	token := fs.token(t, "alice") // a valid token, as if the attacker had one
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><title>Win a prize</title>
<form method="post" action="%s/test/form?subject=alice">
<input type="hidden" name="csrf_token" value="%s">
<input type="hidden" name="note" value="evil">
<button type="submit" id="go">Claim</button>
</form>`, fs.srv.URL, html.EscapeString(token))
	}))
	defer evil.Close()

	b := browsertest.New(t)
	start := time.Now()
	defer func() { t.Logf("the form in the browser: %v", time.Since(start).Round(time.Millisecond)) }()
	b.Navigate(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1))
	b.Submit("#go")
	if got := b.Text("h1"); got != "Request refused" {
		t.Errorf("a cross-site post answered %q", got)
	}
	if got := fs.accepted(); len(got) != 0 {
		t.Fatalf("a cross-site post was accepted: %q", got)
	}

	b.Navigate(fs.srv.URL + "/test/form")
	b.Type("#note", "hello")
	b.Submit(`button[value="save"]`)
	b.WaitURL(clientURL + "/back")
	if got := fs.accepted(); len(got) != 1 || got[0] != "hello" {
		t.Fatalf("accepted %q, want [hello]", got)
	}

	b.Navigate(fs.srv.URL + "/test/form")
	fs.clock.Add(2 * time.Hour) // the signer went for lunch
	b.Type("#note", "late")
	b.Submit(`button[value="save"]`)
	if got := b.Text("h1"); got != "The form has expired" {
		t.Errorf("a stale form answered %q", got)
	}
	b.Submit("main a.button") // Reload the form
	b.Type("#note", "again")
	b.Submit(`button[value="save"]`)
	b.WaitURL(clientURL + "/back")
	if got := fs.accepted(); len(got) != 2 || got[1] != "again" {
		t.Errorf("accepted %q, want [hello again]", got)
	}
}

// clientPage stands in for the client's app at returnUrl.
const clientPage = `<!doctype html><title>Client</title><link rel="icon" href="data:,"><h1>Back at the client</h1>`

// TestBrowserBankIDOrderReplaced: an order that timed out is replaced
// while the page stays open; the page's script draws the new QR code and
// points the sandbox form at the new order without a reload, and shows
// the Start again button, the QR code hidden, when BankID refused the
// next order because another was in progress for the person.
func TestBrowserBankIDOrderReplaced(t *testing.T) {
	f := newFixture(t, true)
	b := browsertest.New(t)
	b.Navigate(f.srv.URL + pagePath(""))
	browsertest.Eval[bool](b, "window.__samePage = true")
	b.WaitFor("the first order's QR code", func() bool {
		got, _ := elementQR(b, "#qr")
		return got == web.QRData(qrStartToken, qrStartSecret, 0)
	})
	f.state(func(st *bankid.State) {
		st.Signers[0].Order = &bankid.Order{OrderRef: "order-2", AutoStartToken: "auto-2", QRStartToken: "qr-2", QRStartSecret: "secret-2", StartedAt: f.clock.Now().Unix()}
	})
	b.WaitFor("the new order's QR code", func() bool {
		got, _ := elementQR(b, "#qr")
		return got == web.QRData("qr-2", "secret-2", 0)
	})
	if got := browsertest.Eval[string](b, `document.getElementById("app").getAttribute("action")`); got != f.app+"order-2" {
		t.Errorf("the sandbox form posts to %q", got)
	}
	if got := browsertest.Eval[string](b, `document.getElementById("autostart").getAttribute("href")`); !strings.Contains(got, "autostarttoken=auto-2") {
		t.Errorf("the autostart link is %q", got)
	}
	f.state(func(st *bankid.State) { st.Signers[0].Order, st.Signers[0].Halt = nil, bankid.HaltBusy })
	b.WaitText("#status", "Another BankID signing is in progress for your personal number")
	if !browsertest.Eval[bool](b, `!!window.__samePage && document.getElementById("qr").hidden && !document.getElementById("again").hidden`) {
		t.Error("the page reloaded, or still shows the QR code, or hides Start again")
	}
	shot := b.Screenshot(375, "bankid-busy-phone.png")
	t.Logf("screenshot: %s", shot)
	wantQuietConsole(t, b)
}
