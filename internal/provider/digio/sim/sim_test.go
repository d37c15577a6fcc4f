package sim

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

var (
	docIDRE   = regexp.MustCompile(`^DID[0-9]{16}[A-Z0-9]{13}$`)
	tokenIDRE = regexp.MustCompile(`^GWT[0-9]{16}[A-Z0-9]{13}$`)
	hookIDRE  = regexp.MustCompile(`^WHN[0-9]{16}[A-Z0-9]{13}$`)
)

func TestUploadAnswer(t *testing.T) {
	e := newEnv(t)
	status, m := e.api(http.MethodPost, "/v2/client/document/uploadpdf", uploadBody())
	if status != http.StatusOK {
		t.Fatalf("status %d: %v", status, m)
	}
	simtest.WantFields(t, "upload", m, "id", "is_agreement", "agreement_type", "agreement_status", "file_name", "created_at", "self_signed",
		"self_sign_type", "no_of_pages", "signing_parties", "sign_request_details", "channel", "other_doc_details", "access_token",
		"attached_estamp_details")
	id := m["id"].(string)
	if !docIDRE.MatchString(id) || !strings.HasPrefix(id, "DID261121153000") {
		t.Errorf("id %q is not DID + yyMMddHHmmss (IST) + 17", id)
	}
	if m["agreement_status"] != "requested" || m["created_at"] != "2026-11-21 15:30:00" || m["no_of_pages"] != 2.0 || m["file_name"] != "loan-agreement.pdf" {
		t.Errorf("upload answer %v", m)
	}
	p := party0(m)
	simtest.WantFields(t, "signing party", p, "name", "status", "type", "signature_type", "identifier", "reason", "expire_on")
	if p["status"] != "requested" || p["type"] != "self" || p["signature_type"] != "aadhaar" || p["expire_on"] != "2026-12-01 23:59:59" {
		t.Errorf("signing party %v", p)
	}
	at := m["access_token"].(map[string]any)
	if !tokenIDRE.MatchString(at["id"].(string)) || at["entity_id"] != id || at["valid_till"] != "2026-11-21 16:30:00" {
		t.Errorf("access_token %v", at)
	}
	// Details never carry the token; an upload without
	// generate_access_token has none.
	if _, ok := e.details(id)["access_token"]; ok {
		t.Error("details carry the access token")
	}
	_, m = e.api(http.MethodPost, "/v2/client/document/uploadpdf", func() map[string]any {
		b := uploadBody()
		delete(b, "generate_access_token")
		return b
	}())
	if _, ok := m["access_token"]; ok {
		t.Error("access token without generate_access_token")
	}
}

func TestUploadValidation(t *testing.T) {
	e := newEnv(t)
	signer := simtest.EditFirst("signers")
	tests := []struct {
		name    string
		mutate  func(map[string]any)
		message string
		details string
	}{
		{"no signers", func(b map[string]any) { delete(b, "signers") }, "signers is required", "signers"},
		{"empty signers", func(b map[string]any) { b["signers"] = []any{} }, "signers must contain at least one signer", "signers"},
		{"signer not an object", func(b map[string]any) { b["signers"] = []any{"x"} }, "signers[0] must be an object", "signers"},
		{"no identifier", signer(func(s map[string]any) { delete(s, "identifier") }), "signers[0].identifier is required", "signers[0].identifier"},
		{"bad identifier", signer(func(s map[string]any) { s["identifier"] = "12345" }),
			"signers[0].identifier must be a valid email address or 10 digit mobile number", "signers[0].identifier"},
		{"bad sign type", signer(func(s map[string]any) { s["sign_type"] = "pen" }),
			"signers[0].sign_type must be one of [aadhaar, electronic, dsc]", "signers[0].sign_type"},
		{"repeated signer", func(b map[string]any) {
			s := b["signers"].([]any)[0]
			b["signers"] = []any{s, s}
		}, "signers[1].identifier is repeated; each signer must be different", "signers[1].identifier"},
		{"expiry not a number", func(b map[string]any) { b["expire_in_days"] = "soon" }, "expire_in_days must be a whole number", "expire_in_days"},
		{"expiry zero", func(b map[string]any) { b["expire_in_days"] = 0 }, "expire_in_days must be between 1 and 90", "expire_in_days"},
		{"bad display", func(b map[string]any) { b["display_on_page"] = "middle" }, "display_on_page must be one of [first, last, all, custom]", "display_on_page"},
		{"custom without coordinates", func(b map[string]any) { b["display_on_page"] = "custom" },
			"sign_coordinates is required when display_on_page is custom", "sign_coordinates"},
		{"flag not a boolean", func(b map[string]any) { b["notify_signers"] = "maybe" }, "notify_signers must be a boolean", "notify_signers"},
		{"long file name", func(b map[string]any) { b["file_name"] = strings.Repeat("x", 101) }, "file_name must be at most 100 characters", "file_name"},
		{"no file", func(b map[string]any) { delete(b, "file_data") }, "file_data is required", "file_data"},
		{"file not base64", func(b map[string]any) { b["file_data"] = "%%%" }, "file_data must be a base64 encoded PDF", "file_data"},
		{"file not a PDF", func(b map[string]any) { b["file_data"] = "aGVsbG8=" }, "file_data is not a valid PDF document", "file_data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := uploadBody()
			tt.mutate(b)
			status, m := e.api(http.MethodPost, "/v2/client/document/uploadpdf", b)
			if status != http.StatusBadRequest || m["code"] != codeValidation || m["message"] != tt.message || m["details"] != tt.details {
				t.Errorf("got %d %v, want 400 %q (%s)", status, m, tt.message, tt.details)
			}
		})
	}
	for name, body := range map[string]string{"not JSON": "{", "not an object": "[]"} {
		req, _ := http.NewRequest(http.MethodPost, e.Srv.URL+"/sandbox/digio/v2/client/document/uploadpdf", strings.NewReader(body))
		req.SetBasicAuth(testClientID, testClientSecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d", name, resp.StatusCode)
		}
	}
	// Optional fields have defaults; names may be left out.
	b := uploadBody()
	for _, k := range []string{"expire_in_days", "display_on_page", "notify_signers", "send_sign_link", "file_name"} {
		delete(b, k)
	}
	b["signers"] = []any{map[string]any{"identifier": "9876543210"}}
	status, m := e.api(http.MethodPost, "/v2/client/document/uploadpdf", b)
	if status != http.StatusOK || m["file_name"] != "document.pdf" || party0(m)["signature_type"] != "aadhaar" || party0(m)["expire_on"] != "2026-12-01 23:59:59" {
		t.Errorf("defaults: %d %v", status, m)
	}
}

func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	id, _ := e.upload()
	for _, route := range []struct{ method, path string }{
		{http.MethodPost, "/v2/client/document/uploadpdf"},
		{http.MethodGet, "/v2/client/document/" + id},
		{http.MethodGet, "/v2/client/document/download?document_id=" + id},
		{http.MethodPost, "/v2/client/document/" + id + "/cancel"},
	} {
		for _, cred := range [][2]string{{"", ""}, {testClientID, "wrong"}, {"wrong", testClientSecret}, {testClientID + testClientSecret, ""}} {
			status, _, raw := e.call(route.method, route.path, cred[0], cred[1], map[string]any{})
			var m map[string]any
			_ = json.Unmarshal(raw, &m)
			if status != http.StatusUnauthorized || m["code"] != codeUnauthorized || m["message"] == "" {
				t.Errorf("%s %s with %v: %d %s", route.method, route.path, cred, status, raw)
			}
		}
	}
	if d := e.details(id); d["agreement_status"] != "requested" {
		t.Errorf("an unauthorized cancel changed the document: %v", d)
	}
}

func TestNotFound(t *testing.T) {
	e := newEnv(t)
	for _, route := range []struct{ method, path string }{
		{http.MethodGet, "/v2/client/document/DID0000000000000000000000000000X"},
		{http.MethodGet, "/v2/client/document/download?document_id=DID0000000000000000000000000000X"},
		{http.MethodPost, "/v2/client/document/DID0000000000000000000000000000X/cancel"},
		{http.MethodGet, "/v2/client/elsewhere"},
	} {
		status, m := e.api(route.method, route.path, nil)
		if status != http.StatusNotFound || m["code"] != codeNotFound {
			t.Errorf("%s %s: %d %v", route.method, route.path, status, m)
		}
	}
	if status, m := e.api(http.MethodGet, "/v2/client/document/download", nil); status != http.StatusBadRequest || m["message"] != "document_id is required" {
		t.Errorf("download without document_id: %d %v", status, m)
	}
}

func TestGatewayPage(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(func(b map[string]any) {
		b["signers"].([]any)[0].(map[string]any)["name"] = `<script>alert("x")</script>`
	})
	link := e.link(id, "asha.verma@example.com", tok, "https://client.example/done")
	status, h, page := e.get(link)
	if status != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", status, h.Get("Content-Type"))
	}
	if strings.Contains(page, "<script") || !strings.Contains(page, "&lt;script&gt;") {
		t.Error("the signer's name is not escaped")
	}
	forms := regexp.MustCompile(`(?s)<form.*?</form>`).FindAllString(page, -1)
	if len(forms) != 1 || !strings.HasPrefix(forms[0], `<form method="post">`) {
		t.Fatalf("forms %q", forms)
	}
	for _, in := range regexp.MustCompile(`<input[^>]*>`).FindAllString(forms[0], -1) {
		if !strings.Contains(in, `type="hidden"`) {
			t.Errorf("a visible input: %s", in)
		}
	}
	if !strings.Contains(forms[0], `<button type="submit" name="action" value="sign">`) || !strings.Contains(forms[0], `<button type="submit" name="action" value="decline">`) {
		t.Errorf("buttons missing in %s", forms[0])
	}
	if d := e.details(id); party0(d)["status"] != "viewed" {
		t.Errorf("opening the link did not mark the signer viewed: %v", party0(d))
	}
	if !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Error("no CSP")
	}

	// The preview serves the original document.
	pv := regexp.MustCompile(`href="([^"]*/preview[^"]*)"`).FindStringSubmatch(page)
	if pv == nil {
		t.Fatal("no preview link")
	}
	status, h, body := e.get(strings.ReplaceAll(pv[1], "&amp;", "&"))
	if status != http.StatusOK || h.Get("Content-Type") != "application/pdf" || body != string(sampleDoc) {
		t.Errorf("preview: %d %s", status, h.Get("Content-Type"))
	}

	// Links that name no signer or another document's token.
	for _, bad := range []string{
		e.link("DID0000000000000000000000000000X", "asha.verma@example.com", "", ""),
		e.link(id, "someone@example.com", "", ""),
	} {
		if status, _, _ := e.get(bad); status != http.StatusNotFound {
			t.Errorf("%s: %d", bad, status)
		}
	}
	id2, tok2 := e.upload()
	if status, _, _ := e.get(e.link(id, "asha.verma@example.com", tok2, "")); status != http.StatusForbidden {
		t.Errorf("foreign token: %d", status)
	}
	if resp, _ := e.Submit(e.link(id, "asha.verma@example.com", tok2, ""), "sign"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("signing with a foreign token: %d", resp.StatusCode)
	}
	if resp, _ := e.Submit(link, "approve"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("bad action: %d", resp.StatusCode)
	}

	// Without a token, or with an expired one, the page notes the OTP
	// login Digio would ask for, and signing still works.
	if _, _, page := e.get(e.link(id2, "asha.verma@example.com", "", "")); !strings.Contains(page, "log in with an OTP") {
		t.Error("no OTP note without a token")
	}
	e.Clock.Add(2 * time.Hour)
	_, _, page = e.get(e.link(id2, "asha.verma@example.com", tok2, ""))
	if !strings.Contains(page, "log in with an OTP") {
		t.Error("no OTP note with an expired token")
	}
	if resp, _ := e.Submit(e.link(id2, "asha.verma@example.com", tok2, ""), "sign"); resp.StatusCode != http.StatusOK {
		t.Errorf("signing with an expired token: %d", resp.StatusCode)
	}
}

func TestSignFlow(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload()
	status, h, raw := e.call(http.MethodGet, "/v2/client/document/download?document_id="+id, testClientID, testClientSecret, nil)
	if status != http.StatusOK || !bytes.Equal(raw, sampleDoc) {
		t.Fatalf("download before signing: %d, %d bytes", status, len(raw))
	}

	e.Clock.Add(time.Minute)
	link := e.link(id, "asha.verma@example.com", tok, "https://client.example/done?order=7")
	resp, _ := e.Submit(link, "sign")
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Host != "client.example" || loc.Path != "/done" {
		t.Fatalf("sign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if q := loc.Query(); q.Get("order") != "7" || q.Get("digio_doc_id") != id || q.Get("status") != "success" || q.Get("message") != "Document Signed Successfully!" {
		t.Errorf("redirect query %v", q)
	}

	d := e.details(id)
	if d["agreement_status"] != "completed" || party0(d)["status"] != "signed" || party0(d)["updated_at"] != "2026-11-21 15:31:00" {
		t.Errorf("details after signing: %v", d)
	}
	status, h, raw = e.call(http.MethodGet, "/v2/client/document/download?document_id="+id, testClientID, testClientSecret, nil)
	if status != http.StatusOK || h.Get("Content-Type") != "application/pdf" || bytes.Equal(raw, sampleDoc) {
		t.Fatalf("download after signing: %d %s", status, h.Get("Content-Type"))
	}
	if info, err := pdf.Validate(raw); err != nil || info.Pages != 2 {
		t.Errorf("signed PDF: %+v %v", info, err)
	}

	// One doc.signed webhook, with Digio's envelope and checksum.
	hooks := e.Hooks.All()
	if len(hooks) != 1 {
		t.Fatalf("%d webhooks", len(hooks))
	}
	wh := hooks[0]
	m := hmac.New(sha256.New, []byte(testWebhookSecret))
	m.Write(wh.Raw)
	if got := wh.Header.Get("X-Digio-Checksum"); got != hex.EncodeToString(m.Sum(nil)) || wh.Header.Get("Content-Type") != "application/json" {
		t.Errorf("checksum %q over %s", got, wh.Raw)
	}
	simtest.WantFields(t, "webhook", wh.Body, "entities", "payload", "created_at", "id", "event")
	if wh.Body["event"] != "doc.signed" || !hookIDRE.MatchString(wh.Body["id"].(string)) || wh.Body["created_at"] != 1795255260000.0 {
		t.Errorf("webhook %v", wh.Body)
	}
	doc := wh.Body["payload"].(map[string]any)["document"].(map[string]any)
	if doc["id"] != id || doc["agreement_status"] != "completed" || doc["updated_at"] != 1795255260000.0 {
		t.Errorf("payload.document %v", doc)
	}
	if o := doc["others"].(map[string]any); o["has_all_signed"] != true || o["last_signed_by"] != "asha.verma@example.com" {
		t.Errorf("others %v", o)
	}
	if _, ok := doc["access_token"]; ok {
		t.Error("the webhook carries the access token")
	}

	// Signing is once.
	e.WantSignedOnce(link, 1)
}

func TestDecline(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload()
	resp, page := e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "decline")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Signing rejected by the signer") {
		t.Errorf("decline without redirect_url: %d\n%s", resp.StatusCode, page)
	}
	d := e.details(id)
	if d["agreement_status"] != "rejected" || party0(d)["status"] != "rejected" || party0(d)["review_comment"] != declineMessage {
		t.Errorf("details after decline: %v", d)
	}
	hooks := e.Hooks.All()
	if len(hooks) != 1 || hooks[0].Body["event"] != "doc.sign.rejected" {
		t.Fatalf("webhooks %v", hooks)
	}
	doc := hooks[0].Body["payload"].(map[string]any)["document"].(map[string]any)
	if doc["error_message"] != declineMessage || doc["signer_identifier"] != "asha.verma@example.com" || doc["error_code"] == "" {
		t.Errorf("rejected payload %v", doc)
	}
}

func TestCancelAndHooks(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload()
	status, m := e.api(http.MethodPost, "/v2/client/document/"+id+"/cancel", map[string]any{})
	if status != http.StatusOK || m["agreement_status"] != "cancelled" || party0(m)["status"] != "cancelled" {
		t.Fatalf("cancel: %d %v", status, m)
	}
	if status, m = e.api(http.MethodPost, "/v2/client/document/"+id+"/cancel", nil); status != http.StatusOK {
		t.Errorf("second cancel: %d %v", status, m)
	}
	if resp, _ := e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after cancel: %d", resp.StatusCode)
	}
	if err := e.Sim.Expire(id); !errors.Is(err, ErrFinished) {
		t.Errorf("Expire of a cancelled document: %v", err)
	}
	if err := e.Sim.Expire("DIDX"); !errors.Is(err, ErrUnknownDocument) {
		t.Errorf("Expire of an unknown document: %v", err)
	}
	if err := e.Sim.UnknownStatusNext("DIDX"); !errors.Is(err, ErrUnknownDocument) {
		t.Errorf("UnknownStatusNext of an unknown document: %v", err)
	}

	// Finished documents cannot be cancelled.
	id, _ = e.upload()
	if err := e.Sim.Expire(id); err != nil {
		t.Fatal(err)
	}
	status, m = e.api(http.MethodPost, "/v2/client/document/"+id+"/cancel", nil)
	if status != http.StatusBadRequest || m["code"] != codeInvalidState || m["message"] != "Document is already expired and cannot be cancelled" {
		t.Errorf("cancel of an expired document: %d %v", status, m)
	}

	// An eSign failure.
	id, _ = e.upload()
	if err := e.Sim.FailSigning(id, "ESP_AUTH_FAILED", "Aadhaar OTP validation failed"); err != nil {
		t.Fatal(err)
	}
	d := e.details(id)
	if d["agreement_status"] != "failed" || party0(d)["status"] != "failed" || party0(d)["error_message"] != "Aadhaar OTP validation failed" {
		t.Errorf("details after a failure: %v", d)
	}
	hooks := e.Hooks.All()
	doc := hooks[len(hooks)-1].Body["payload"].(map[string]any)["document"].(map[string]any)
	if hooks[len(hooks)-1].Body["event"] != "doc.sign.failed" || doc["error_code"] != "ESP_AUTH_FAILED" {
		t.Errorf("failed webhook %v", hooks[len(hooks)-1].Body)
	}

	// An unknown status, once.
	id, _ = e.upload()
	if err := e.Sim.UnknownStatusNext(id); err != nil {
		t.Fatal(err)
	}
	if d := e.details(id); d["agreement_status"] != "under_review" || party0(d)["status"] != "pending_verification" {
		t.Errorf("unknown status: %v", d)
	}
	if d := e.details(id); d["agreement_status"] != "requested" {
		t.Errorf("after the unknown status: %v", d)
	}
}

func TestExpiryByClock(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(func(b map[string]any) { b["expire_in_days"] = 1 })
	e.Clock.Add(31*time.Hour + 59*time.Minute) // 2026-11-22 23:29 IST
	if d := e.details(id); d["agreement_status"] != "requested" {
		t.Errorf("before expire_on: %v", d["agreement_status"])
	}
	e.Clock.Add(31 * time.Minute)
	d := e.details(id)
	if d["agreement_status"] != "expired" || party0(d)["status"] != "expired" || d["updated_at"] != "2026-11-22 23:59:59" {
		t.Errorf("after expire_on: %v", d)
	}
	if status, _, page := e.get(e.link(id, "asha.verma@example.com", tok, "")); status != http.StatusOK || !strings.Contains(page, "expired") {
		t.Errorf("page after expiry: %d", status)
	}
}

func TestWebhookRetries(t *testing.T) {
	e := newEnv(t)
	e.Hooks.FailFor(2)
	id, tok := e.upload()
	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	simtest.WaitFor(t, "three attempts", func() bool { return len(e.Hooks.All()) == 3 })
	hooks := e.Hooks.All()
	for _, h := range hooks[1:] {
		if !bytes.Equal(h.Raw, hooks[0].Raw) || h.Header.Get(ChecksumHeader) != hooks[0].Header.Get(ChecksumHeader) {
			t.Error("a retry differs from the first attempt")
		}
	}
	time.Sleep(50 * time.Millisecond)
	if n := len(e.Hooks.All()); n != 3 {
		t.Errorf("%d attempts after a success", n)
	}
}

func TestCloseStopsRetries(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WebhookRetries = []time.Duration{time.Hour} })
	e.Hooks.FailFor(10)
	id, tok := e.upload()
	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	simtest.WantClosed(t, e.Sim.Close, e.Hooks)
}

func TestWebhookTimeout(t *testing.T) {
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // only then does the server notice the sender leave
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	defer slow.Close()
	e := newEnv(t, func(c *Config) {
		c.WebhookURL, c.WebhookTimeout, c.WebhookRetries = slow.URL, 50*time.Millisecond, []time.Duration{}
	})
	id, tok := e.upload()
	start := time.Now()
	if resp, _ := e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign"); resp.StatusCode != http.StatusOK {
		t.Errorf("sign: %d", resp.StatusCode)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a slow receiver held the signer for %v", took)
	}
}

func TestNoWebhookSecretSendsNoChecksum(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.WebhookSecret = "" })
	id, tok := e.upload()
	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	if hooks := e.Hooks.All(); len(hooks) != 1 || hooks[0].Header.Get(ChecksumHeader) != "" {
		t.Errorf("webhooks %v", hooks)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t)
	id, _ := e.upload()
	e.Sim.FailNext(OpDetails, 503)
	e.Sim.FailNextWith(OpDetails, 400, "BAD_REQUEST", "Invalid document id")
	status, m := e.api(http.MethodGet, "/v2/client/document/"+id, nil)
	if status != 503 || m["code"] != codeUnavailable || m["message"] != "Simulated failure: Service Unavailable" {
		t.Errorf("first: %d %v", status, m)
	}
	status, m = e.api(http.MethodGet, "/v2/client/document/"+id, nil)
	if status != 400 || m["code"] != "BAD_REQUEST" || m["message"] != "Invalid document id" {
		t.Errorf("second: %d %v", status, m)
	}
	if status, _ = e.api(http.MethodGet, "/v2/client/document/"+id, nil); status != 200 {
		t.Errorf("faults not used up: %d", status)
	}
	for _, op := range []string{OpUpload, OpDownload, OpCancel} {
		e.Sim.FailNext(op, 500)
	}
	if status, _ := e.api(http.MethodPost, "/v2/client/document/uploadpdf", uploadBody()); status != 500 {
		t.Errorf("upload: %d", status)
	}
	if status, _ := e.api(http.MethodGet, "/v2/client/document/download?document_id="+id, nil); status != 500 {
		t.Errorf("download: %d", status)
	}
	if status, _ := e.api(http.MethodPost, "/v2/client/document/"+id+"/cancel", nil); status != 500 {
		t.Errorf("cancel: %d", status)
	}

	// A delay ends when the client gives up.
	e.Sim.DelayNext(OpDetails, time.Minute)
	c := &http.Client{Timeout: 100 * time.Millisecond}
	req, _ := http.NewRequest(http.MethodGet, e.Srv.URL+"/sandbox/digio/v2/client/document/"+id, nil)
	req.SetBasicAuth(testClientID, testClientSecret)
	start := time.Now()
	if _, err := c.Do(req); err == nil {
		t.Error("the delayed request answered")
	}
	if time.Since(start) > 2*time.Second {
		t.Error("the delay did not end with the client")
	}
	e.Sim.DelayNext(OpDetails, 10*time.Millisecond)
	if status, _ := e.api(http.MethodGet, "/v2/client/document/"+id, nil); status != 200 {
		t.Errorf("after a short delay: %d", status)
	}

	simtest.WantPanic(t, "an unknown op", func() { e.Sim.FailNext("pullData", 500) })
}

func TestMultipleSigners(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(func(b map[string]any) {
		b["signers"] = []any{
			map[string]any{"identifier": "first@example.com", "name": "First", "sign_type": "electronic"},
			map[string]any{"identifier": "9876543210", "name": "Second"},
		}
	})
	e.Submit(e.link(id, "first@example.com", tok, ""), "sign")
	d := e.details(id)
	parties := d["signing_parties"].([]any)
	if d["agreement_status"] != "requested" || parties[0].(map[string]any)["status"] != "signed" || parties[1].(map[string]any)["status"] != "requested" ||
		parties[0].(map[string]any)["signature_mode"] != "slate" {
		t.Errorf("after the first signature: %v", d)
	}
	hooks := e.Hooks.All()
	if len(hooks) != 1 || hooks[0].Body["payload"].(map[string]any)["document"].(map[string]any)["others"].(map[string]any)["has_all_signed"] != false {
		t.Errorf("first webhook %v", hooks)
	}
	e.Submit(e.link(id, "9876543210", tok, ""), "sign")
	if d := e.details(id); d["agreement_status"] != "completed" {
		t.Errorf("after both signed: %v", d["agreement_status"])
	}
	_, _, raw := e.call(http.MethodGet, "/v2/client/document/download?document_id="+id, testClientID, testClientSecret, nil)
	if _, err := pdf.Validate(raw); err != nil || len(e.Hooks.All()) != 2 {
		t.Errorf("final PDF %v, %d webhooks", err, len(e.Hooks.All()))
	}
}

func TestMountWithoutStripPrefix(t *testing.T) {
	e, s := simtest.ServeUnstripped(t, "/sandbox/digio", func(base string) (*Server, error) {
		return New(Config{BaseURL: base, ClientID: "id", ClientSecret: "secret"})
	})
	if s.GatewayURL() != e.Srv.URL+"/sandbox/digio/gateway/login" {
		t.Errorf("GatewayURL %q", s.GatewayURL())
	}
	status, m := e.CallJSON(http.MethodPost, "/v2/client/document/uploadpdf", uploadBody(), func(r *http.Request) { r.SetBasicAuth("id", "secret") })
	if status != 200 || m["other_doc_details"].(map[string]any)["web_hook_available"] != false {
		t.Fatalf("upload: %d %v", status, m)
	}
	if status, _ := e.Open(s.GatewayURL() + "/" + m["id"].(string) + "/t/asha.verma@example.com"); status != 200 {
		t.Errorf("page: %d", status)
	}
}

func TestNewValidates(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no base":          {ClientID: "id", ClientSecret: "s"},
		"relative base":    {BaseURL: "/sandbox/digio", ClientID: "id", ClientSecret: "s"},
		"base with query":  {BaseURL: "http://x/?a=1", ClientID: "id", ClientSecret: "s"},
		"no client id":     {BaseURL: "http://x", ClientSecret: "s"},
		"no client secret": {BaseURL: "http://x", ClientID: "id"},
		"relative webhook": {BaseURL: "http://x", ClientID: "id", ClientSecret: "s", WebhookURL: "/callbacks/digio"},
		"ftp webhook":      {BaseURL: "http://x", ClientID: "id", ClientSecret: "s", WebhookURL: "ftp://x/"},
	} {
		if s, err := New(cfg); err == nil {
			s.Close()
			t.Errorf("%s: New accepted %+v", name, cfg)
		}
	}
}

func TestIDs(t *testing.T) {
	now := time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)
	seen := map[string]bool{}
	for range 100 {
		id := newID("DID", now)
		if !docIDRE.MatchString(id) || seen[id] {
			t.Fatalf("id %q", id)
		}
		seen[id] = true
	}
	if got := endOfDay(now, 10); got.Format(time.RFC3339) != "2026-12-01T23:59:59+05:30" {
		t.Errorf("endOfDay = %v", got)
	}
	// 20:00 UTC is already the next day in India.
	if got := endOfDay(time.Date(2026, 11, 21, 20, 0, 0, 0, time.UTC), 1); got.Format(time.RFC3339) != "2026-11-23T23:59:59+05:30" {
		t.Errorf("endOfDay late = %v", got)
	}
}

func TestFormCarriesTheLinksParameters(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(func(b map[string]any) {
		b["signers"].([]any)[0].(map[string]any)["identifier"] = "asha+loans@example.com"
	})
	// Posted to the bare link, the hidden inputs carry the token and the
	// redirect.
	bare := e.link(id, "asha+loans@example.com", "", "")
	form := url.Values{"action": {"sign"}, "token_id": {tok}, "redirect_url": {"https://client.example/done?a=1+2"}}
	resp, err := e.Browser.PostForm(bare, form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("a") != "1 2" || loc.Query().Get("digio_doc_id") != id {
		t.Errorf("sign: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if d := e.details(id); party0(d)["status"] != "signed" || party0(d)["identifier"] != "asha+loans@example.com" {
		t.Errorf("details %v", d)
	}
	// A redirect_url that is not an absolute http(s) URL is not followed.
	id, tok = e.upload()
	resp, page := e.Submit(e.link(id, "asha.verma@example.com", tok, "javascript:alert(1)"), "sign")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Location") != "" || !strings.Contains(page, "Document Signed Successfully!") {
		t.Errorf("unsafe redirect: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestMemoryBound: past RetainBytes the oldest documents are forgotten
// and answer 404 as an unknown one does; the newest are kept.
func TestMemoryBound(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.RetainBytes = 3 * int64(len(sampleDoc)) })
	var ids []string
	for range 5 {
		id, _ := e.upload()
		ids = append(ids, id)
	}
	for i, id := range ids {
		status, m := e.api(http.MethodGet, "/v2/client/document/"+id, nil)
		if kept := i >= 2; kept && status != http.StatusOK || !kept && (status != http.StatusNotFound || m["code"] != codeNotFound) {
			t.Errorf("document %d of 5 with room for 3: %d %v, want kept %v", i, status, m["code"], kept)
		}
	}
}
