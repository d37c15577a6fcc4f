package sim

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// istDateRe is Leegality's date: DD-MM-YYYY HH:MM:SS, no zone.
var istDateRe = regexp.MustCompile(`^\d{2}-\d{2}-\d{4} \d{2}:\d{2}:\d{2}$`)

func TestCreateAndDetailsShape(t *testing.T) {
	e := newEnv(t)
	d := e.ok("POST", "/v3.0/sign/request", createBody())
	id, _ := d["documentId"].(string)
	if !regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{26}$`).MatchString(id) || d["irn"] != "session-1" {
		t.Errorf("create data %v", d)
	}
	inv := d["invitees"].([]any)[0].(map[string]any)
	signURL, _ := inv["signUrl"].(string)
	if !strings.HasPrefix(signURL, e.Srv.URL+"/sandbox/leegality/sign/") || inv["active"] != true || inv["name"] != "Asha Verma" {
		t.Errorf("invitee %v", inv)
	}
	// Dates are IST without a zone: 10:00 UTC + 10 days is 15:30 IST.
	if inv["expiryDate"] != "01-12-2026 15:30:00" {
		t.Errorf("expiryDate %v", inv["expiryDate"])
	}

	det := e.details(id)
	for _, k := range []string{"documentId", "irn", "name", "status", "requestSignOrder", "createdDate", "completedDate", "invitations"} {
		if _, ok := det[k]; !ok {
			t.Errorf("details: %s missing", k)
		}
	}
	if det["status"] != "SENT" || det["createdDate"] != "21-11-2026 15:30:00" || det["completedDate"] != nil {
		t.Errorf("details %v", det)
	}
	// The status is also nested under data.document, where integrations read it.
	if nested, _ := det["document"].(map[string]any); nested["status"] != "SENT" || nested["documentId"] != id {
		t.Errorf("details: data.document %v", det["document"])
	}
	iv := invitation0(det)
	for _, k := range []string{"name", "email", "phone", "signUrl", "active", "signed", "expired", "rejected", "action", "comment", "expiryDate", "signedDate"} {
		if _, ok := iv[k]; !ok {
			t.Errorf("invitation: %s missing", k)
		}
	}
	if iv["active"] != true || iv["signed"] != false || iv["action"] != nil || iv["signUrl"] != signURL {
		t.Errorf("invitation %v", iv)
	}
	if _, ok := det["file"]; ok {
		t.Error("file given before completion")
	}
}

func TestSignFlow(t *testing.T) {
	e := newEnv(t)
	id, link := e.create()

	page := e.Page(link)
	for _, want := range []string{`<form method="post">`, `type="hidden" name="invitationId"`, `name="action" value="sign"`, `name="action" value="decline"`, "Asha Verma"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page uses JavaScript")
	}
	if a := invitation0(e.details(id))["action"]; a != "Viewed" {
		t.Errorf("action after opening = %v", a)
	}

	e.Clock.Add(5 * time.Minute)
	resp := e.Press(link, "sign")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://client.example/done" {
		t.Fatalf("sign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	det := e.details(id)
	iv := invitation0(det)
	if det["status"] != "COMPLETED" || det["completedDate"] != "21-11-2026 15:35:00" || iv["signed"] != true ||
		iv["action"] != "Signed" || iv["active"] != false || iv["signedDate"] != "21-11-2026 15:35:00" {
		t.Errorf("details after signing: %v", det)
	}

	// The webhook: Success, documentStatus in title case, the right mac.
	hooks := e.Hooks.Bodies()
	if len(hooks) != 1 {
		t.Fatalf("webhooks %v", hooks)
	}
	h := hooks[0]
	if h["webhookType"] != "Success" || h["documentId"] != id || h["documentStatus"] != "Completed" || h["irn"] != "session-1" ||
		h["mac"] != MAC(testSalt, id) || h["request"].(map[string]any)["signed"] != true {
		t.Errorf("webhook %v", h)
	}
	if len(h["mac"].(string)) != 40 {
		t.Errorf("mac %v is not hex SHA-1", h["mac"])
	}

	// The signed file: a link that works without a token, then expires.
	f := e.ok("GET", "/v3.3/document/fetchDocument?documentId="+id+"&documentDownloadType=DOCUMENT", nil)
	u, _ := f["url"].(string)
	if !strings.HasPrefix(u, e.Srv.URL+"/sandbox/leegality/cdn/") || !istDateRe.MatchString(f["expiryDate"].(string)) {
		t.Fatalf("fetchDocument %v", f)
	}
	code, _, signed := e.Get(u)
	if code != http.StatusOK || !bytes.HasPrefix(signed, []byte("%PDF-")) {
		t.Fatalf("download: %d", code)
	}
	if _, err := pdf.Validate(signed); err != nil {
		t.Errorf("signed PDF: %v", err)
	}
	if bytes.Equal(signed, pdf.Sample(1, "Loan agreement")) {
		t.Error("the signed PDF is the original")
	}
	e.Clock.Add(5 * time.Minute)
	if code, _, _ := e.Get(u); code != http.StatusForbidden {
		t.Errorf("expired link: %d, want 403", code)
	}

	// The audit trail, and the details with file=true.
	a := e.ok("GET", "/v3.3/document/fetchDocument?documentId="+id+"&documentDownloadType=AUDIT_TRAIL", nil)
	if code, _, trail := e.Get(a["url"].(string)); code != http.StatusOK || !bytes.HasPrefix(trail, []byte("%PDF-")) || bytes.Equal(trail, signed) {
		t.Errorf("audit trail: %d", code)
	}
	withFile := e.ok("GET", "/v3.3/document/details?documentId="+id+"&file=true&auditTrail=true", nil)
	if b, err := base64.StdEncoding.DecodeString(withFile["file"].(string)); err != nil || !bytes.Equal(b, signed) {
		t.Errorf("details file=true: %v", err)
	}
	if _, ok := withFile["auditTrail"].(string); !ok {
		t.Error("details auditTrail=true: no audit trail")
	}

	// Signing twice is refused; the page says it is done.
	e.WantSignedOnce(link, 1)
}

func TestStatusV32(t *testing.T) {
	e := newEnv(t)
	id, link := e.create()
	d := e.ok("GET", "/v3.2/sign/request?documentId="+id, nil)
	if _, ok := d["status"]; ok {
		t.Error("v3.2 answer has a document status")
	}
	reqs := d["requests"].([]any)
	if len(reqs) != 1 || reqs[0].(map[string]any)["signed"] != false || len(d["files"].([]any)) != 0 || d["auditTrail"] != nil {
		t.Errorf("v3.2 before signing: %v", d)
	}
	e.Press(link, "sign")
	d = e.ok("GET", "/v3.2/sign/request?documentId="+id, nil)
	files := d["files"].([]any)
	if reqs := d["requests"].([]any); reqs[0].(map[string]any)["signed"] != true || len(files) != 1 {
		t.Fatalf("v3.2 after signing: %v", d)
	}
	if code, _, b := e.Get(files[0].(string)); code != http.StatusOK || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("v3.2 file link: %d", code)
	}
}

func TestDecline(t *testing.T) {
	e := newEnv(t)
	id, link := e.create()
	e.Open(link)
	resp := e.Press(link, "decline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://client.example/done" {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	det := e.details(id)
	iv := invitation0(det)
	// Rejection lives on the invitation; the document stays SENT.
	if det["status"] != "SENT" || iv["rejected"] != true || iv["action"] != "Rejected" || iv["active"] != false || iv["comment"] != rejectComment {
		t.Errorf("details after rejection: %v", det)
	}
	hooks := e.Hooks.Bodies()
	if len(hooks) != 1 || hooks[0]["webhookType"] != "Error" || hooks[0]["documentStatus"] != "Sent" || hooks[0]["mac"] != MAC(testSalt, id) {
		t.Errorf("webhooks %v", hooks)
	}
	if code, _ := e.refused("GET", "/v3.3/document/fetchDocument?documentId="+id+"&documentDownloadType=DOCUMENT", nil); code != "no.document.found" {
		t.Errorf("fetch of a rejected document: %s", code)
	}
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after rejection: %d", resp.StatusCode)
	}
}

func TestNoRedirectShowsClosingPage(t *testing.T) {
	e := newEnv(t)
	body := createBody()
	delete(body["invitees"].([]any)[0].(map[string]any), "redirectUrl")
	d := e.ok("POST", "/v3.0/sign/request", body)
	link := d["invitees"].([]any)[0].(map[string]any)["signUrl"].(string)
	resp, err := e.Browser.PostForm(link, map[string][]string{"action": {"sign"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("sign without redirect: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}

func TestCreateValidation(t *testing.T) {
	e := newEnv(t)
	inv := func(m map[string]any) func(map[string]any) {
		return func(b map[string]any) {
			v := b["invitees"].([]any)[0].(map[string]any)
			for k, x := range m {
				if x == nil {
					delete(v, k)
				} else {
					v[k] = x
				}
			}
		}
	}
	tests := []struct {
		name   string
		mutate func(map[string]any)
		code   string
	}{
		{"no profileId", func(b map[string]any) { delete(b, "profileId") }, "profileId.required"},
		{"blank profileId", func(b map[string]any) { b["profileId"] = " " }, "profileId.required"},
		{"profileId not a string", func(b map[string]any) { b["profileId"] = 7 }, "profileId.invalid"},
		{"unknown workflow", func(b map[string]any) { b["profileId"] = "wf-2" }, "workflow.not.found"},
		{"no file", func(b map[string]any) { delete(b, "file") }, "file.required"},
		{"file not an object", func(b map[string]any) { b["file"] = "JVBERi0=" }, "file.invalid"},
		{"no file name", func(b map[string]any) { delete(b["file"].(map[string]any), "name") }, "file.name.required"},
		{"no file content", func(b map[string]any) { delete(b["file"].(map[string]any), "file") }, "file.file.required"},
		{"bad base64", func(b map[string]any) { b["file"].(map[string]any)["file"] = "%%%not base64" }, "file.invalid"},
		{"not a PDF", func(b map[string]any) {
			b["file"].(map[string]any)["file"] = base64.StdEncoding.EncodeToString([]byte("hello"))
		}, "file.not.pdf"},
		{"no invitees", func(b map[string]any) { delete(b, "invitees") }, "invitees.required"},
		{"empty invitees", func(b map[string]any) { b["invitees"] = []any{} }, "invitees.required"},
		{"invitees not a list", func(b map[string]any) { b["invitees"] = map[string]any{"name": "A"} }, "invitees.invalid"},
		{"invitee not an object", func(b map[string]any) { b["invitees"] = []any{"Asha"} }, "invitees.invalid"},
		{"invitee without name", inv(map[string]any{"name": nil}), "invitee.name.required"},
		{"invitee without contact", inv(map[string]any{"email": nil, "phone": ""}), "invitee.contact.required"},
		{"bad email", inv(map[string]any{"email": "asha@"}), "invitee.email.invalid"},
		{"email with a display name", inv(map[string]any{"email": "Asha <asha@example.com>"}), "invitee.email.invalid"},
		{"bad phone", inv(map[string]any{"phone": "+919876543210"}), "invitee.phone.invalid"},
		{"phone as a number", inv(map[string]any{"phone": 9876543210}), "invitee.phone.invalid"},
		{"bad redirect", inv(map[string]any{"redirectUrl": "javascript:alert(1)"}), "invitee.redirectUrl.invalid"},
		{"irn not a string", func(b map[string]any) { b["irn"] = 42 }, "irn.invalid"},
		{"requestSignOrder not a boolean", func(b map[string]any) { b["requestSignOrder"] = "yes" }, "requestSignOrder.invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := createBody()
			tt.mutate(b)
			code, msg := e.refused("POST", "/v3.0/sign/request", b)
			if code != tt.code || msg == "" {
				t.Errorf("refused with %s %q, want %s", code, msg, tt.code)
			}
		})
	}
	if code, _ := e.refused("POST", "/v3.0/sign/request", "not an object"); code != "request.invalid" {
		t.Errorf("not an object: %s", code)
	}
	// Phone alone, or email alone, is enough.
	for _, drop := range []string{"email", "phone"} {
		b := createBody()
		delete(b["invitees"].([]any)[0].(map[string]any), drop)
		e.ok("POST", "/v3.0/sign/request", b)
	}
}

func TestAuth(t *testing.T) {
	e := newEnv(t)
	id, _ := e.create()
	for _, tok := range []string{"", "wrong", strings.ToUpper(testToken)} {
		for _, c := range []struct{ method, path string }{
			{"POST", "/v3.0/sign/request"}, {"GET", "/v3.3/document/details?documentId=" + id},
			{"GET", "/v3.2/sign/request?documentId=" + id}, {"DELETE", "/v3.0/sign/request?documentId=" + id},
			{"GET", "/v3.3/document/fetchDocument?documentId=" + id + "&documentDownloadType=DOCUMENT"},
		} {
			status, m := e.call(c.method, c.path, tok, createBody())
			ms, _ := m["messages"].([]any)
			if status != http.StatusUnauthorized || m["status"] != float64(0) || len(ms) != 1 {
				t.Errorf("%s %s with token %q: %d %v", c.method, c.path, tok, status, m)
			}
		}
	}
	e.details(id) // still there: the unauthorized DELETE did nothing
}

func TestUnknownDocuments(t *testing.T) {
	e := newEnv(t)
	for _, path := range []string{
		"/v3.3/document/details?documentId=01M7YRRT801H1NW31AD668CETA",
		"/v3.2/sign/request?documentId=nope",
		"/v3.3/document/fetchDocument?documentId=nope&documentDownloadType=DOCUMENT",
	} {
		if code, _ := e.refused("GET", path, nil); code != "document.not.found" {
			t.Errorf("%s: %s", path, code)
		}
	}
	if code, _ := e.refused("DELETE", "/v3.0/sign/request?documentId=nope", nil); code != "document.not.found" {
		t.Errorf("delete: %s", code)
	}
	if code, _ := e.refused("GET", "/v3.3/document/details", nil); code != "documentId.required" {
		t.Errorf("no documentId: %s", code)
	}
	id, _ := e.create()
	for typ, want := range map[string]string{"": "document.download.type.required", "SIGNED": "document.download.type",
		"ATTACHMENT": "no.document.found", "DOCUMENT": "no.document.found"} {
		if code, _ := e.refused("GET", "/v3.3/document/fetchDocument?documentId="+id+"&documentDownloadType="+typ, nil); code != want {
			t.Errorf("fetch %q: %s, want %s", typ, code, want)
		}
	}
	status, m := e.call("GET", "/v9/nothing", testToken, nil)
	if status != http.StatusNotFound || m["status"] != float64(0) {
		t.Errorf("unknown route: %d %v", status, m)
	}
	if status, _ := e.Open(e.Srv.URL + "/sandbox/leegality/sign/not-a-link"); status != http.StatusNotFound {
		t.Errorf("unknown link: %d", status)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t)
	id, link := e.create()
	_, m := e.call("DELETE", "/v3.0/sign/request?documentId="+id, testToken, nil)
	if m["status"] != float64(1) {
		t.Fatalf("delete: %v", m)
	}
	if code, _ := e.refused("GET", "/v3.3/document/details?documentId="+id, nil); code != "document.not.found" {
		t.Errorf("details after delete: %s", code)
	}
	if status, _ := e.Open(link); status != http.StatusGone {
		t.Errorf("page after delete: %d", status)
	}
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusGone {
		t.Errorf("sign after delete: %d", resp.StatusCode)
	}

	id, link = e.create()
	e.Press(link, "sign")
	if code, msg := e.refused("DELETE", "/v3.0/sign/request?documentId="+id, nil); code != "document.completed" || !strings.Contains(msg, "completed") {
		t.Errorf("delete of a completed document: %s %s", code, msg)
	}
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	id, link := e.create()
	if err := e.Sim.Expire(id); err != nil {
		t.Fatal(err)
	}
	det := e.details(id)
	iv := invitation0(det)
	if det["status"] != "SENT" || iv["expired"] != true || iv["active"] != false || iv["expiryDate"] != "21-11-2026 15:30:00" {
		t.Errorf("details after Expire: %v", det)
	}
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after expiry: %d", resp.StatusCode)
	}
	if err := e.Sim.Expire(id); err != ErrFinished {
		t.Errorf("second Expire: %v", err)
	}
	if err := e.Sim.Expire("nope"); err != ErrUnknownDocument {
		t.Errorf("Expire of an unknown document: %v", err)
	}

	// The clock running past the expiryDate does the same.
	id, _ = e.create()
	e.Clock.Add(10*24*time.Hour - time.Second)
	if iv := invitation0(e.details(id)); iv["expired"] != false {
		t.Errorf("a second early: %v", iv)
	}
	e.Clock.Add(time.Second)
	if iv := invitation0(e.details(id)); iv["expired"] != true {
		t.Errorf("at expiry: %v", iv)
	}
	// An ended document is forgotten after 30 days.
	e.Clock.Add(31 * 24 * time.Hour)
	if code, _ := e.refused("GET", "/v3.3/document/details?documentId="+id, nil); code != "document.not.found" {
		t.Errorf("a month after expiry: %s", code)
	}
}

func TestUnknownStatusNext(t *testing.T) {
	e := newEnv(t)
	id, _ := e.create()
	if err := e.Sim.UnknownStatusNext(id); err != nil {
		t.Fatal(err)
	}
	det := e.details(id)
	if det["status"] != unknownStatus || invitation0(det)["action"] != unknownAction {
		t.Errorf("details %v", det)
	}
	if det := e.details(id); det["status"] != "SENT" || invitation0(det)["action"] != nil {
		t.Errorf("second read %v", det)
	}
	if err := e.Sim.UnknownStatusNext("nope"); err != ErrUnknownDocument {
		t.Errorf("unknown document: %v", err)
	}
}

func TestSignOrder(t *testing.T) {
	e := newEnv(t)
	b := createBody()
	b["invitees"] = append(b["invitees"].([]any), map[string]any{"name": "Ravi Kumar", "phone": "9123456780"})
	d := e.ok("POST", "/v3.0/sign/request", b)
	invs := d["invitees"].([]any)
	first, second := invs[0].(map[string]any), invs[1].(map[string]any)
	if first["active"] != true || second["active"] != false {
		t.Fatalf("activity %v %v", first["active"], second["active"])
	}
	if resp := e.Press(second["signUrl"].(string), "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("second signer out of turn: %d", resp.StatusCode)
	}
	e.Press(first["signUrl"].(string), "sign")
	id := d["documentId"].(string)
	det := e.details(id)
	if det["status"] != "SENT" || det["invitations"].([]any)[1].(map[string]any)["active"] != true {
		t.Errorf("after the first signature: %v", det)
	}
	if hooks := e.Hooks.Bodies(); len(hooks) != 1 || hooks[0]["documentStatus"] != "Sent" {
		t.Errorf("webhooks %v", hooks)
	}
	e.Press(second["signUrl"].(string), "sign")
	if det := e.details(id); det["status"] != "COMPLETED" {
		t.Errorf("after both: %v", det)
	}
	if hooks := e.Hooks.Bodies(); len(hooks) != 2 || hooks[1]["documentStatus"] != "Completed" {
		t.Errorf("webhooks %v", hooks)
	}
}

func TestWebhookRetries(t *testing.T) {
	e := newEnv(t)
	e.Hooks.FailFor(2)
	_, link := e.create()
	e.Press(link, "sign")
	simtest.WaitFor(t, "the third attempt", func() bool { return len(e.Hooks.Bodies()) == 3 })
	time.Sleep(50 * time.Millisecond)
	if n := len(e.Hooks.Bodies()); n != 3 {
		t.Errorf("%d attempts, want 3 (stop after the first 2xx)", n)
	}

	// Never answered 2xx: 1 attempt + 3 re-sends, then nothing.
	e = newEnv(t)
	e.Hooks.FailFor(100)
	_, link = e.create()
	e.Press(link, "decline")
	simtest.WaitFor(t, "four attempts", func() bool { return len(e.Hooks.Bodies()) == 4 })
	time.Sleep(50 * time.Millisecond)
	if n := len(e.Hooks.Bodies()); n != 4 {
		t.Errorf("%d attempts, want 4", n)
	}
	raw := e.Hooks.Raws()
	for i := 1; i < len(raw); i++ {
		if !bytes.Equal(raw[i], raw[0]) {
			t.Error("a re-send differs from the first attempt")
		}
	}
}

func TestCloseStopsRetries(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WebhookRetries = []time.Duration{time.Hour} })
	e.Hooks.FailFor(100)
	_, link := e.create()
	e.Press(link, "sign")
	simtest.WantClosed(t, e.Sim.Close, e.Hooks)
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	id, _ := e.create()
	e.Sim.FailNext(OpDetails, 503)
	e.Sim.FailNext(OpDetails, 500)
	for _, want := range []int{503, 500} {
		status, m := e.call("GET", "/v3.3/document/details?documentId="+id, testToken, nil)
		if status != want || m["status"] != float64(0) {
			t.Errorf("fault: %d %v, want %d", status, m, want)
		}
	}
	e.details(id) // the faults are used up

	e.Sim.RefuseNext(OpCreate, "server.busy", "Server busy, try again")
	if code, msg := e.refused("POST", "/v3.0/sign/request", createBody()); code != "server.busy" || msg != "Server busy, try again" {
		t.Errorf("refusal: %s %s", code, msg)
	}

	e.Sim.DelayNext(OpStatus, 100*time.Millisecond)
	start := time.Now()
	e.ok("GET", "/v3.2/sign/request?documentId="+id, nil)
	if time.Since(start) < 100*time.Millisecond {
		t.Error("DelayNext did not delay")
	}

	simtest.WantPanic(t, "an unknown op", func() { e.Sim.FailNext("pullData", 500) })
}

// TestMountedWithoutStripPrefix: the routes work with BaseURL's path still
// in front of them.
func TestMountedWithoutStripPrefix(t *testing.T) {
	base, s := simtest.ServeUnstripped(t, "/sandbox/leegality", func(base string) (*Server, error) {
		return New(Config{BaseURL: base, Token: testToken, PrivateSalt: testSalt})
	})
	e := env{&simtest.SimEnv[*Server]{Env: base, Sim: s, Hooks: &simtest.Receiver{}}}
	id, link := e.create()
	if !strings.HasPrefix(link, e.Srv.URL+"/sandbox/leegality/sign/") {
		t.Errorf("signUrl %s", link)
	}
	if status, _ := e.Open(link); status != http.StatusOK {
		t.Errorf("page: %d", status)
	}
	e.details(id)
}

func TestNewValidates(t *testing.T) {
	ok := Config{BaseURL: "http://127.0.0.1:8080/sandbox/leegality", Token: "t", PrivateSalt: "s"}
	for i, m := range []func(*Config){
		func(c *Config) { c.BaseURL = "" },
		func(c *Config) { c.BaseURL = "/sandbox/leegality" },
		func(c *Config) { c.Token = "" },
		func(c *Config) { c.PrivateSalt = "" },
		func(c *Config) { c.WebhookURL = "not a url" },
	} {
		c := ok
		m(&c)
		if _, err := New(c); err == nil {
			t.Errorf("case %d accepted", i)
		}
	}
	s, err := New(ok)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.cfg.InvitationExpiry != 10*24*time.Hour || s.cfg.DownloadTTL != 5*time.Minute || len(s.cfg.WebhookRetries) != 3 {
		t.Errorf("defaults %+v", s.cfg)
	}
}

func TestIDsAndMAC(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	a, b := newDocumentID(now), newDocumentID(now)
	if len(a) != 26 || a == b || a[:10] != b[:10] || strings.Trim(a, crockford) != "" {
		t.Errorf("ids %s %s", a, b)
	}
	if later := newDocumentID(now.Add(time.Hour)); later <= a {
		t.Errorf("ids do not sort by time: %s then %s", a, later)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(newUUID()) {
		t.Error("newUUID is not a v4 UUID")
	}
	// RFC 2202 test case 2.
	if got := MAC("Jefe", "what do ya want for nothing?"); got != "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" {
		t.Errorf("mac = %s", got)
	}
	if istDate(now) != "21-11-2026 15:30:00" || istDate(time.Time{}) != "" {
		t.Errorf("istDate %q", istDate(now))
	}
}

// TestMemoryBound: past RetainBytes the oldest documents are forgotten,
// as Leegality forgets a deleted one; the newest are kept.
func TestMemoryBound(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RetainBytes = 3 * int64(len(pdf.Sample(1, "Loan agreement"))) })
	var ids []string
	for range 5 {
		id, _ := e.create()
		ids = append(ids, id)
	}
	for i, id := range ids {
		err := e.Sim.Expire(id)
		if kept := i >= 2; kept && err != nil || !kept && err != ErrUnknownDocument {
			t.Errorf("document %d of 5 with room for 3: Expire says %v, want kept %v", i, err, kept)
		}
	}
}
