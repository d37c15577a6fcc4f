package digio_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/digio"
	"github.com/signet-dev/signet/internal/provider/digio/sim"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// These tests run the adapter against the simulator over real HTTP, the
// way Signet runs in sandbox mode: the simulator mounted under
// /sandbox/digio/, Signet's callback route at /callbacks/digio.

const (
	clientID      = "AI1SANDBOXCLIENT"
	clientSecret  = "sandbox-client-secret"
	webhookSecret = "sandbox-webhook-secret"
)

type harness struct {
	*simtest.Flow
	sim     *sim.Server
	adapter *digio.Adapter

	mu      sync.Mutex
	uploads []map[string]any // upload bodies the adapter sent
}

func newHarness(t *testing.T, mutate ...func(*digio.Config)) *harness {
	t.Helper()
	h := &harness{Flow: simtest.NewFlow(t)}
	base := h.Srv.URL + "/sandbox/digio"
	s, err := sim.New(sim.Config{BaseURL: base, ClientID: clientID, ClientSecret: clientSecret, WebhookSecret: webhookSecret,
		WebhookURL: h.Srv.URL + "/callbacks/digio", HTTPClient: h.Srv.Client(), Now: h.Clock.Now, WebhookRetries: []time.Duration{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	h.sim = s
	h.Mount("/sandbox/digio", h.recordUploads(s))
	h.adapter = simtest.Build(t, digio.Config{BaseURL: base, GatewayURL: s.GatewayURL(), ClientID: clientID, ClientSecret: clientSecret,
		WebhookSecret: webhookSecret, HTTPClient: h.Srv.Client(), Now: h.Clock.Now}, mutate, digio.New)
	h.Provider, h.Request, h.Faults = h.adapter, h.request, s
	h.Name, h.Secrets = digio.Name, []string{clientSecret, webhookSecret}
	h.HandleCallbacks("/callbacks/digio")
	return h
}

// recordUploads keeps a copy of every upload body on its way to the
// simulator.
func (h *harness) recordUploads(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/client/document/uploadpdf" {
			b, _ := io.ReadAll(r.Body)
			var m map[string]any
			_ = json.Unmarshal(b, &m)
			h.mu.Lock()
			h.uploads = append(h.uploads, m)
			h.mu.Unlock()
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		next.ServeHTTP(w, r)
	})
}

func (h *harness) request() signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d",
		OrderID:       "order-1",
		SignerDetails: json.RawMessage(`{"name":"Asha Verma","identifier":"asha.verma@example.com","reason":"Loan agreement"}`),
		Language:      "en",
		Document:      signing.Document{Filename: "loan.pdf", Content: pdf.Sample(2, "Loan agreement")},
		ReturnURL:     "https://client.example/return?order=1",
		CallbackURL:   h.Srv.URL + "/callbacks/digio",
		ExpiresAt:     h.Clock.Now().Add(48 * time.Hour),
	}
}

var wantUpdate = simtest.WantUpdate

func TestSignFlow(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	wantPrefix := h.Srv.URL + "/sandbox/digio/gateway/login/" + in.Ref + "/0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d/asha.verma@example.com?token_id=GWT"
	if !strings.HasPrefix(in.RedirectURL, wantPrefix) || !strings.HasSuffix(in.RedirectURL, "&redirect_url=https%3A%2F%2Fclient.example%2Freturn%3Forder%3D1") {
		t.Errorf("RedirectURL %q", in.RedirectURL)
	}
	var st map[string]string
	if err := json.Unmarshal(in.State, &st); err != nil || st["identifier"] != "asha.verma@example.com" || !strings.HasPrefix(st["accessTokenId"], "GWT") {
		t.Errorf("State %s", in.State)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "")

	page := h.Page(in.RedirectURL)
	for _, want := range []string{`<form method="post">`, `name="action" value="sign"`, `name="action" value="decline"`, "Asha Verma", "loan.pdf"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page uses JavaScript")
	}
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusInProgress, "")
	if u.ProviderStatus != "requested/viewed" {
		t.Errorf("ProviderStatus = %q", u.ProviderStatus)
	}

	resp := h.Press(in.RedirectURL, "sign")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "client.example" || loc.Query().Get("order") != "1" ||
		loc.Query().Get("digio_doc_id") != in.Ref || loc.Query().Get("status") != "success" {
		t.Fatalf("sign: %d to %q, want 303 to the returnUrl with Digio's parameters", resp.StatusCode, resp.Header.Get("Location"))
	}

	// The webhook is verified and, carrying the details, already says
	// COMPLETED.
	if cb := h.WantOneCallback(in.Ref); cb.Update == nil || cb.Update.Status != signing.StatusCompleted || cb.Update.ProviderStatus != "doc.signed/completed/signed" {
		t.Errorf("callback update %+v", cb.Update)
	}

	u = h.Refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "")
	var ev map[string]string
	if u.ProviderStatus != "completed/signed" || json.Unmarshal(u.Evidence, &ev) != nil || ev["documentId"] != in.Ref {
		t.Errorf("ProviderStatus %q, Evidence %s", u.ProviderStatus, u.Evidence)
	}

	if pages := h.SignedPDF(ref); pages != 2 {
		t.Errorf("the signed PDF has %d pages, want 2", pages)
	}

	// A completed document cannot be cancelled: Digio refuses, for good.
	if pe := h.WantFailure("cancel", ref, false); pe.StatusCode != 400 || !strings.Contains(pe.Message, "completed") {
		t.Errorf("cancel of a completed document: %+v", pe)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusCompleted, "")

	// What the adapter sent.
	h.mu.Lock()
	up := h.uploads[0]
	h.mu.Unlock()
	if up["expire_in_days"] != 2.0 || up["display_on_page"] != "all" || up["generate_access_token"] != true ||
		up["notify_signers"] != false || up["send_sign_link"] != false || up["file_name"] != "loan.pdf" {
		t.Errorf("upload body %v", up)
	}
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	h.Page(in.RedirectURL)
	resp := h.Press(in.RedirectURL, "decline")
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Query().Get("status") != "failure" {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	cbs, _ := h.Received()
	if len(cbs) != 1 || cbs[0].Ref != in.Ref || cbs[0].Update == nil {
		t.Fatalf("callbacks %+v", cbs)
	}
	wantUpdate(t, *cbs[0].Update, signing.StatusFailed, "Signer declined to sign")
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusFailed, "Signer declined to sign")
	if u.ProviderStatus != "rejected/rejected" {
		t.Errorf("ProviderStatus = %q", u.ProviderStatus)
	}
	h.WantFailure("document", ref, false)
	// The signer cannot sign afterwards.
	if resp := h.Press(in.RedirectURL, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after decline: %d", resp.StatusCode)
	}
}

func TestESignFailure(t *testing.T) {
	h := newHarness(t)
	_, ref := h.InitiateThen(func(ref string) error {
		return h.sim.FailSigning(ref, "ESP_AUTH_FAILED", "Aadhaar OTP validation failed")
	})
	cbs, _ := h.Received()
	if len(cbs) != 1 || cbs[0].Update == nil {
		t.Fatalf("callbacks %+v", cbs)
	}
	wantUpdate(t, *cbs[0].Update, signing.StatusFailed, "Aadhaar OTP validation failed")
	wantUpdate(t, h.Refresh(ref), signing.StatusFailed, "Aadhaar OTP validation failed")
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusCancelled, "")
	// Cancelling again is harmless, and the signer can no longer sign.
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Errorf("second cancel: %v", err)
	}
	if page := h.Page(in.RedirectURL); strings.Contains(page, "<form") || !strings.Contains(page, "cancelled") {
		t.Errorf("page after cancel offers a form:\n%s", page)
	}
	if resp := h.Press(in.RedirectURL, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after cancel: %d", resp.StatusCode)
	}
	if cbs, _ := h.Received(); len(cbs) != 0 {
		t.Errorf("callbacks after a cancel: %+v", cbs)
	}

	h.sim.FailNext(sim.OpCancel, 503)
	h.ProviderError(h.adapter.Cancel(context.Background(), ref), "cancel", true)
	err := h.adapter.Cancel(context.Background(), signing.ProviderRef{Ref: "DID0000000000000000000000000000X"})
	if pe := h.ProviderError(err, "cancel", false); pe.StatusCode != 404 || !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("cancel of an unknown document: %+v", pe)
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	// expire_in_days 2: Digio's deadline is the end of that day, IST.
	h.Clock.Add(48 * time.Hour)
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "")
	h.Clock.Add(24 * time.Hour)
	wantUpdate(t, h.Refresh(ref), signing.StatusExpired, "")
	if page := h.Page(in.RedirectURL); !strings.Contains(page, "expired") {
		t.Errorf("page after expiry:\n%s", page)
	}
}

func TestFetchBeforeCompletionIsRetryable(t *testing.T) {
	h := newHarness(t)
	_, ref := h.Initiate()
	if pe := h.WantFailure("document", ref, true); !strings.Contains(pe.Message, "not signed") {
		t.Errorf("fetch before completion: %+v", pe)
	}
}

func TestWrongCredentialsArePermanent(t *testing.T) {
	h := newHarness(t, func(c *digio.Config) { c.ClientSecret = "not-the-secret" })
	h.WantUnauthorized("Invalid client credentials", signing.ProviderRef{Ref: "DID0000000000000000000000000000X"})
}

func TestRefusalIsPermanentWithDigiosMessage(t *testing.T) {
	h := newHarness(t)
	h.sim.FailNextWith(sim.OpUpload, 400, "REQUEST_VALIDATION_FAILED", "file_data is not a valid PDF document")
	if pe := h.WantFailure("initiate", signing.ProviderRef{}, false); pe.StatusCode != 400 || pe.Message != "file_data is not a valid PDF document" {
		t.Errorf("400: %+v", pe)
	}
	// A document that is not a PDF reaches Digio and is refused there.
	req := h.request()
	req.Document.Content = []byte("%PDF-1.7\nnot really")
	_, err := h.adapter.Initiate(context.Background(), req)
	if pe := h.ProviderError(err, "initiate", false); pe.Message != "file_data is not a valid PDF document" {
		t.Errorf("not a PDF: %+v", pe)
	}
	_, err = h.adapter.Refresh(context.Background(), signing.ProviderRef{Ref: "DID0000000000000000000000000000X"})
	if pe := h.ProviderError(err, "refresh", false); pe.StatusCode != 404 || !errors.Is(err, signing.ErrNotFound) || !pe.Gone {
		t.Errorf("unknown document: %+v", pe)
	}
	_, err = h.adapter.Refresh(context.Background(), signing.ProviderRef{Ref: "  "})
	if !errors.Is(err, signing.ErrInvalid) {
		t.Errorf("empty ref: %v", err)
	}
}

func TestServerErrorsAreRetryable(t *testing.T) {
	h := newHarness(t)
	in, ref := h.WantOutages(sim.OpUpload, sim.OpDetails)

	h.Press(in.RedirectURL, "sign")
	h.WantRetryable("document", ref, sim.OpDownload, 503)
	h.WantRetryable("document", ref, sim.OpDetails, 502)
	if _, err := h.adapter.FetchDocument(context.Background(), ref); err != nil {
		t.Errorf("the faults are used up, yet: %v", err)
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *digio.Config) { c.Timeout = 100 * time.Millisecond })
	_, ref := h.Initiate()
	h.WantTimeout("refresh", ref, sim.OpDetails, "Digio did not answer in time")
	h.WantTimeout("initiate", ref, sim.OpUpload, "")
	h.WantTimeout("cancel", ref, sim.OpCancel, "")
}

func TestUnreachableIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *digio.Config) { c.BaseURL = simtest.UnreachableURL() })
	h.WantUnreachable(signing.ProviderRef{Ref: "DID0000000000000000000000000000X"})
}

func TestUnknownStatusChangesNothing(t *testing.T) {
	h := newHarness(t)
	_, ref := h.InitiateThen(h.sim.UnknownStatusNext)
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusPending, "")
	if u.ProviderStatus != "under_review/pending_verification" {
		t.Errorf("ProviderStatus = %q", u.ProviderStatus)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "") // only the next answer
}

func TestWebhookWithWrongSecretIsRefused(t *testing.T) {
	// An account whose webhook secret is not the one Signet knows: its
	// webhooks must be refused.
	h := newHarness(t, func(c *digio.Config) { c.WebhookSecret = "someone-else" })
	in, _ := h.Initiate()
	h.WantCallbackRefused(in.RedirectURL)
}

func TestSignerWithMobileIdentifier(t *testing.T) {
	h := newHarness(t)
	req := h.request()
	req.SignerDetails = json.RawMessage(`{"name":"Ravi Kumar","identifier":"9876543210","signType":"electronic"}`)
	req.ReturnURL = ""
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(in.RedirectURL, "/9876543210?token_id=") || strings.Contains(in.RedirectURL, "redirect_url") {
		t.Errorf("RedirectURL %q", in.RedirectURL)
	}
	if page := h.Page(in.RedirectURL); !strings.Contains(page, "Sign electronically") {
		t.Error("the page does not offer an electronic signature")
	}
	// Without a returnUrl, Digio shows its own page after signing.
	resp, err := h.Browser.PostForm(in.RedirectURL, url.Values{"action": {"sign"}})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), "Document Signed Successfully!") {
		t.Errorf("after signing: %d\n%s", resp.StatusCode, b)
	}
	wantUpdate(t, h.Refresh(signing.ProviderRef{Ref: in.Ref}), signing.StatusCompleted, "")
}
