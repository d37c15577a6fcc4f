package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/mail/mailtest"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// localBody is a POST /signing body for provider local.
func localBody(orderID string, signers ...string) map[string]any {
	b := map[string]any{
		"orderId":   orderID,
		"provider":  "local",
		"document":  map[string]any{"filename": "loan.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl": "https://app.example.com/orders/" + orderID + "/done",
	}
	details := func(s string) map[string]any {
		name, email, _ := strings.Cut(s, "|")
		return map[string]any{"name": name, "email": email}
	}
	if len(signers) == 1 {
		b["signerDetails"] = details(signers[0])
		return b
	}
	var list []any
	for _, s := range signers {
		list = append(list, map[string]any{"signerDetails": details(s)})
	}
	b["signers"] = list
	return b
}

// signer plays a signer's browser without JavaScript on Signet's pages.
type signer struct {
	t       *testing.T
	browser *http.Client
	page    string // the signing page's URL
	body    string // the last page
}

func newSigner(t *testing.T) *signer {
	jar, _ := cookiejar.New(nil)
	return &signer{t: t, browser: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// open follows the signer link to the signing page.
func (s *signer) open(link string) {
	s.t.Helper()
	resp, err := s.browser.Get(link)
	if err != nil {
		s.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		s.t.Fatalf("signer link %s: %d, want 303", link, resp.StatusCode)
	}
	u, _ := url.Parse(link)
	loc, _ := u.Parse(resp.Header.Get("Location"))
	s.page = loc.String()
	if status := s.get(s.page); status != http.StatusOK {
		s.t.Fatalf("signing page: %d\n%s", status, s.body)
	}
}

func (s *signer) get(u string) int {
	s.t.Helper()
	resp, err := s.browser.Get(u)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.body = string(b)
	return resp.StatusCode
}

var (
	hiddenRE = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)">`)
	formRE   = regexp.MustCompile(`(?s)<form method="post" action="([^"]+)"[^>]*>(.*?)</form>`)
)

// post submits the page's first form with the given fields beside its
// hidden inputs, and returns the answer's status and Location.
func (s *signer) post(fields url.Values) (int, string) {
	s.t.Helper()
	m := formRE.FindStringSubmatch(s.body)
	if m == nil {
		s.t.Fatalf("no form on the page:\n%s", s.body)
	}
	vals := url.Values{}
	for _, h := range hiddenRE.FindAllStringSubmatch(m[2], -1) {
		vals.Set(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	for k, v := range fields {
		vals[k] = v
	}
	base, _ := url.Parse(s.page)
	target, _ := base.Parse(html.UnescapeString(m[1]))
	resp, err := s.browser.PostForm(target.String(), vals)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	s.body = string(b)
	return resp.StatusCode, resp.Header.Get("Location")
}

// sendCode asks for a code and lands on the code step.
func (s *signer) sendCode() {
	s.t.Helper()
	status, loc := s.post(url.Values{"action": {"send_code"}})
	if status != http.StatusSeeOther || !strings.HasSuffix(loc, "?step=code") {
		s.t.Fatalf("send_code: %d %q\n%s", status, loc, s.body)
	}
	if st := s.get(s.page + "?step=code"); st != http.StatusOK || !strings.Contains(s.body, `name="code"`) {
		s.t.Fatalf("code step: %d", st)
	}
}

// mailbox reads the codes Signet mails, from a real SMTP server.
type mailbox struct {
	t   *testing.T
	srv *mailtest.Server
}

func (m mailbox) code(to string) string {
	m.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msg, err := m.srv.Wait(ctx, to)
	if err != nil {
		m.t.Fatalf("no mail to %s: %v", to, err)
	}
	code, err := mailtest.SixDigitCode(msg.Text)
	if err != nil {
		m.t.Fatalf("mail to %s (%q): %v", to, msg.Subject, err)
	}
	return code
}

// startLocal is a server whose mail goes to an SMTP server of the test's.
func startLocal(t *testing.T) (*harness, mailbox) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{})
	h := startServer(t, "--smtp-url", smtp.URL(), "--mail-from", "signet@example.com")
	return h, mailbox{t: t, srv: smtp}
}

// TestLocalSigningEndToEnd is CONTRACT.md §6.2 and §7 black-box: a local
// session from create to COMPLETED through the signer link and its forms,
// the code read from a real SMTP server, a wrong code first, and the
// signed document checked by outside tools.
func TestLocalSigningEndToEnd(t *testing.T) {
	t.Parallel()
	h, mail := startLocal(t)
	s := h.expect(h.do("POST", "/signing", h.key, localBody("local-1", "Asha Rao|asha@example.com")), 201).json(t)
	id := str(s["signingSessionId"])
	if s["provider"] != "local" || s["status"] != "PENDING" || !strings.HasPrefix(str(s["redirectUrl"]), h.base+"/s/") {
		t.Fatalf("created %v", s)
	}
	mail.srv.Wait(context.Background(), "asha@example.com") // the invitation

	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	for _, want := range []string{"Asha Rao", "loan.pdf", `value="send_code"`} {
		if !strings.Contains(sg.body, want) {
			t.Errorf("signing page lacks %q", want)
		}
	}
	if got := h.get(id)["status"]; got != "IN_PROGRESS" {
		t.Errorf("after opening: %v", got)
	}
	sg.sendCode()
	code := mail.code("asha@example.com")

	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {wrong}, "signature": {"Asha Rao"}}); status != http.StatusOK ||
		!strings.Contains(sg.body, "That code is not right") {
		t.Fatalf("wrong code: %d", status)
	}
	if got := h.get(id)["status"]; got != "IN_PROGRESS" {
		t.Fatalf("a wrong code changed the session: %v", got)
	}
	status, loc := sg.post(url.Values{"action": {"sign"}, "code": {code}, "signature": {"Asha Rao"}})
	if status != http.StatusSeeOther || loc != "https://app.example.com/orders/local-1/done" {
		t.Fatalf("sign: %d %q\n%s", status, loc, sg.body)
	}
	// Completed before the answer was sent.
	done := h.get(id)
	if done["status"] != "COMPLETED" || done["signers"].([]any)[0].(map[string]any)["status"] != "SIGNED" {
		t.Fatalf("after signing: %v", done)
	}
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	checkSealed(t, doc, "Asha Rao", "asha@example.com", contractPDF)

	// The link now says it is signed; the form cannot sign again.
	if r := h.do("GET", strings.TrimPrefix(str(s["redirectUrl"]), h.base), "", nil); r.status != 410 {
		t.Errorf("link after signing: %d", r.status)
	}
	if st := sg.get(sg.page); st != http.StatusGone {
		t.Errorf("signing page after signing: %d, want 410", st)
	}
}

// checkSealed checks a local signed document: the seal verifies in Go and
// with pdfsig, qpdf finds no error, and the audit page names the signer
// and the original's digest.
func checkSealed(t *testing.T, doc []byte, name, email string, original []byte) {
	t.Helper()
	sigs, err := pdf.Verify(doc)
	if err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument || sigs[0].SubFilter != "ETSI.CAdES.detached" {
		t.Fatalf("signatures %+v, %v", sigs, err)
	}
	if !bytes.HasPrefix(doc, original) && len(doc) <= len(original) {
		t.Error("the signed document is not longer than the original")
	}
	if out, ok := pdfTool(t, doc, "pdfsig"); ok {
		for _, want := range []string{"Signature is Valid.", "Total document signed", "ETSI.CAdES.detached"} {
			if !strings.Contains(out, want) {
				t.Errorf("pdfsig lacks %q:\n%s", want, out)
			}
		}
	}
	qpdfCheck(t, doc, "the signed document")
	if text, ok := pdfWords(t, doc); ok {
		for _, want := range []string{name, email, "Signed with Signet"} {
			if !strings.Contains(text, want) {
				t.Errorf("the signed document's text lacks %q", want)
			}
		}
		if sum := signing.SHA256Hex(original); !strings.Contains(strings.ReplaceAll(text, " ", ""), sum) {
			t.Errorf("the audit page lacks the original's SHA-256 %s", sum)
		}
	}
}

// TestLocalDecline: a decline fails the session naming the signer and
// their reason, and closes the link.
func TestLocalDecline(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.expect(h.do("POST", "/signing", h.key, localBody("local-decline", "Bo Ek|bo@example.com")), 201).json(t)
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	status, loc := sg.post(url.Values{"action": {"decline"}, "reason": {"the amount is wrong"}})
	if status != http.StatusSeeOther || loc != "https://app.example.com/orders/local-decline/done" {
		t.Fatalf("decline: %d %q", status, loc)
	}
	got := h.get(str(s["signingSessionId"]))
	if got["status"] != "FAILED" || got["failureReason"] != "Bo Ek declined to sign: the amount is wrong" {
		t.Errorf("after the decline: %v %q", got["status"], got["failureReason"])
	}
	if r := h.do("GET", strings.TrimPrefix(str(s["redirectUrl"]), h.base), "", nil); r.status != 410 || !strings.Contains(string(r.body), "declined") {
		t.Errorf("link after the decline: %d", r.status)
	}
}

// TestLocalFormsNeverSignWrongly: bad and replayed posts never sign and
// never answer 5xx.
func TestLocalFormsNeverSignWrongly(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.expect(h.do("POST", "/signing", h.key, localBody("local-bad", "Cai|cai@example.com")), 201).json(t)
	id := str(s["signingSessionId"])
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	page := sg.body
	for name, fields := range map[string]url.Values{
		"no action":        {},
		"unknown action":   {"action": {"approve"}},
		"no code":          {"action": {"sign"}, "signature": {"Cai"}},
		"letters for code": {"action": {"sign"}, "code": {"abcdef"}, "signature": {"Cai"}},
		"no code sent":     {"action": {"sign"}, "code": {"123456"}, "signature": {"Cai"}},
		"no signature":     {"action": {"sign"}, "code": {"123456"}, "signature": {"  "}},
		"bad image":        {"action": {"sign"}, "code": {"123456"}, "signature": {"Cai"}, "signatureImage": {"data:image/png;base64,AAAA"}},
	} {
		sg.body = page
		if status, _ := sg.post(fields); status >= 500 || status == http.StatusSeeOther {
			t.Errorf("%s: %d", name, status)
		}
	}
	// A stale or forged form token is refused.
	sg.body = strings.Replace(page, `name="csrf_token" value="`, `name="csrf_token" value="x`, 1)
	if status, _ := sg.post(url.Values{"action": {"send_code"}}); status != http.StatusForbidden {
		t.Errorf("forged form token: %d, want 403", status)
	}
	if got := h.get(id); got["status"] == "COMPLETED" || got["status"] == "FAILED" {
		t.Fatalf("bad posts changed the session: %v", got["status"])
	}
	// A decline, then a sign: the sign changes nothing.
	sg.body = page
	sg.post(url.Values{"action": {"decline"}})
	sg.body = page
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {"123456"}, "signature": {"Cai"}}); status != http.StatusGone {
		t.Errorf("sign after decline: %d, want 410", status)
	}
	if got := h.get(id)["status"]; got != "FAILED" {
		t.Errorf("after a decline and a sign: %v", got)
	}
}

// TestLocalSequentialSigners: three signers in order; each one's link
// waits for their turn, each signature is a signer_signed event, the
// next signer gets their invitation when their turn comes, and the
// document carries one mark per signer under one seal.
func TestLocalSequentialSigners(t *testing.T) {
	t.Parallel()
	h, mail := startLocal(t)
	body := localBody("local-seq", "Ann|ann@example.com", "Ben|ben@example.com", "Cy|cy@example.com")
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id := str(s["signingSessionId"])
	signers := s["signers"].([]any)
	links := make([]string, len(signers))
	for i, v := range signers {
		m := v.(map[string]any)
		links[i] = str(m["redirectUrl"])
		want := "WAITING"
		if i == 0 {
			want = "PENDING"
		}
		if m["status"] != want {
			t.Errorf("signer %d is %v, want %s", i, m["status"], want)
		}
	}
	if s["signingOrder"] != "sequential" || s["redirectUrl"] != links[0] {
		t.Errorf("session %v", s)
	}
	// Ben's link says whose signature is awaited, and does not forward.
	if r := h.do("GET", strings.TrimPrefix(links[1], h.base), "", nil); r.status != 200 || !strings.Contains(string(r.body), "Ann has to sign") {
		t.Errorf("Ben's link before his turn: %d", r.status)
	}
	for i, who := range []string{"ann", "ben", "cy"} {
		mail.srv.Wait(context.Background(), who+"@example.com") // the invitation, when their turn came
		sg := newSigner(t)
		sg.open(links[i])
		sg.sendCode()
		if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {mail.code(who + "@example.com")}, "signature": {strings.ToUpper(who[:1]) + who[1:]}}); status != http.StatusSeeOther {
			t.Fatalf("%s signing: %d\n%s", who, status, sg.body)
		}
	}
	done := h.get(id)
	if done["status"] != "COMPLETED" {
		t.Fatalf("after three signatures: %v", done["status"])
	}
	events := h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(t)["data"].([]any)
	var signed int
	var last string
	for _, e := range events {
		e := e.(map[string]any)
		if e["type"] == "signing.signer_signed" {
			signed++
			if e["signerId"] == nil {
				t.Error("a signer_signed event names no signer")
			}
		}
		if strings.HasPrefix(str(e["type"]), "signing.") {
			last = str(e["type"])
		}
	}
	if signed != 3 || last != "signing.completed" {
		t.Errorf("%d signer_signed events, last status event %s", signed, last)
	}
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	checkSealed(t, doc, "Ben", "cy@example.com", contractPDF)
}

// TestLocalExpiredCodeAndDoubleSubmit: a code used after its ten minutes
// signs nothing and says so; a fresh code signs once, and the same form
// posted again (a double click) neither signs twice nor fails.
func TestLocalExpiredCodeAndDoubleSubmit(t *testing.T) {
	t.Parallel()
	h, mail := startLocal(t)
	s := h.expect(h.do("POST", "/signing", h.key, localBody("local-expired-code", "Dev|dev@example.com")), 201).json(t)
	id := str(s["signingSessionId"])
	mail.srv.Wait(context.Background(), "dev@example.com") // the invitation
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	sg.sendCode()
	code := mail.code("dev@example.com")
	h.clock.Advance(11 * time.Minute)
	form := sg.body
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {code}, "signature": {"Dev"}}); status != http.StatusOK || !strings.Contains(sg.body, "expired") {
		t.Fatalf("an expired code: %d, want the page saying it expired\n%s", status, sg.body)
	}
	if got := h.get(id)["status"]; got == "COMPLETED" {
		t.Fatal("an expired code signed")
	}
	sg.body = form
	sg.sendCode()
	code = mail.code("dev@example.com")
	form = sg.body
	fields := url.Values{"action": {"sign"}, "code": {code}, "signature": {"Dev"}}
	if status, _ := sg.post(fields); status != http.StatusSeeOther {
		t.Fatalf("a fresh code: %d\n%s", status, sg.body)
	}
	sg.body = form
	if status, _ := sg.post(fields); status >= 500 || status == http.StatusSeeOther && h.get(id)["status"] != "COMPLETED" {
		t.Errorf("the same form again: %d", status)
	}
	h.waitStatus(id, "COMPLETED")
	events := h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(t)["data"].([]any)
	n := 0
	for _, e := range events {
		if e.(map[string]any)["type"] == "signing.signer_signed" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d signer_signed events after a double submit, want 1", n)
	}
}
