package leegality_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/leegality"
	"github.com/signet-dev/signet/internal/provider/leegality/sim"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// These tests run the adapter against the simulator over real HTTP, the
// way Signet runs in sandbox mode: the simulator mounted under
// /sandbox/leegality/, the workflow's webhook pointing at Signet's
// /callbacks/leegality.

const (
	token   = "sandbox-token"
	salt    = "sandbox-private-salt"
	profile = "wf-loans"
)

type harness struct {
	*simtest.Flow
	sim     *sim.Server
	adapter *leegality.Adapter
}

func newHarness(t *testing.T, mutate ...func(*leegality.Config)) *harness {
	t.Helper()
	h := &harness{Flow: simtest.NewFlow(t)}
	base := h.Srv.URL + "/sandbox/leegality"
	s, err := sim.New(sim.Config{BaseURL: base, Token: token, PrivateSalt: salt, ProfileID: profile, WebhookURL: h.Srv.URL + "/callbacks/leegality",
		HTTPClient: h.Srv.Client(), Now: h.Clock.Now, WebhookRetries: []time.Duration{}})
	h.sim = simtest.Serve(h.Env, "/sandbox/leegality", s, err)
	h.adapter = simtest.Build(t, leegality.Config{BaseURL: base, AuthToken: token, ProfileID: profile, PrivateSalt: salt,
		HTTPClient: h.Srv.Client(), Now: h.Clock.Now}, mutate, leegality.New)
	h.Provider, h.Request, h.Faults = h.adapter, h.request, s
	h.Name, h.Secrets = leegality.Name, []string{token, salt}
	h.HandleCallbacks("/callbacks/leegality")
	return h
}

func (h *harness) request() signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d",
		OrderID:       "order-1",
		SignerDetails: json.RawMessage(`{"name":"Asha Verma","email":"asha.verma@example.com","phone":"9876543210"}`),
		Language:      "en",
		Document:      signing.Document{Filename: "loan.pdf", Content: pdf.Sample(2, "Loan agreement")},
		ReturnURL:     "https://client.example/return",
		CallbackURL:   h.Srv.URL + "/callbacks/leegality",
		ExpiresAt:     h.Clock.Now().Add(24 * time.Hour),
	}
}

// wantUpdate checks the provider status too: Leegality's carries the
// document's and the invitation's.
func wantUpdate(t *testing.T, u signing.Update, status signing.Status, reason, providerStatus string) {
	t.Helper()
	if u.Status != status || u.Reason != reason || u.ProviderStatus != providerStatus {
		t.Fatalf("update = (%s, %q, %q), want (%s, %q, %q)", u.Status, u.Reason, u.ProviderStatus, status, reason, providerStatus)
	}
}

func TestSignFlow(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	if !strings.HasPrefix(in.RedirectURL, h.Srv.URL+"/sandbox/leegality/sign/") || len(in.Ref) != 26 {
		t.Errorf("Initiated %+v", in)
	}
	// The invitation expires in the workflow's 10 days, read from IST.
	var st struct {
		InvitationExpiresAt string `json:"invitationExpiresAt"`
	}
	if err := json.Unmarshal(in.State, &st); err != nil || st.InvitationExpiresAt != "2026-12-01T10:00:00Z" {
		t.Errorf("State = %s", in.State)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "", "SENT")

	status, page := h.Open(in.RedirectURL)
	if status != http.StatusOK || !strings.Contains(page, `method="post"`) || !strings.Contains(page, `value="sign"`) || !strings.Contains(page, `value="decline"`) {
		t.Fatalf("page %d:\n%s", status, page)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusInProgress, "", "SENT/VIEWED")

	h.PressTo(in.RedirectURL, "sign", "https://client.example/return")
	if cb := h.WantOneCallback(in.Ref); cb.Update != nil {
		t.Fatalf("the webhook carries an update: %+v", cb.Update)
	}

	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "", "COMPLETED/SIGNED")
	var ev map[string]string
	if err := json.Unmarshal(u.Evidence, &ev); err != nil || ev["documentId"] != in.Ref || ev["irn"] != h.request().SessionID ||
		ev["signedAt"] != "2026-11-21T10:00:00Z" || ev["signedDate"] != "21-11-2026 15:30:00" {
		t.Errorf("evidence %s", u.Evidence)
	}

	h.SignedPDF(ref)

	// A completed document cannot be deleted: Leegality's status 0.
	if pe := h.WantFailure("cancel", ref, false); pe.Message != "Document is already completed and cannot be deleted." || pe.StatusCode != 200 {
		t.Errorf("cancel after completion: %+v", pe)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusCompleted, "", "COMPLETED/SIGNED")
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	h.Open(in.RedirectURL)
	h.PressTo(in.RedirectURL, "decline", "https://client.example/return")
	if hooks, _ := h.Received(); len(hooks) != 1 || hooks[0].Ref != in.Ref {
		t.Errorf("webhooks %+v", hooks)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusFailed, "Rejected by the signer on the signing page", "SENT/REJECTED")
	h.WantFailure("document", ref, true) // Leegality's no.document.found
	if status, _ := h.Open(in.RedirectURL); status != http.StatusOK {
		t.Errorf("page after rejection: %d", status)
	}
	if resp := h.Press(in.RedirectURL, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("signing a rejected document: %d", resp.StatusCode)
	}
}

func TestExpiry(t *testing.T) {
	h := newHarness(t)
	_, ref := h.InitiateThen(h.sim.Expire)
	wantUpdate(t, h.Refresh(ref), signing.StatusExpired, "", "SENT/EXPIRED")

	// Time running out: the invitation's 10 days pass.
	_, ref = h.Initiate()
	h.Clock.Add(10*24*time.Hour - time.Second)
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "", "SENT")
	h.Clock.Add(time.Second)
	wantUpdate(t, h.Refresh(ref), signing.StatusExpired, "", "SENT/EXPIRED")
}

func TestCancelDeletes(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	_, err := h.adapter.Refresh(context.Background(), ref)
	if pe := h.ProviderError(err, "refresh", false); pe.Message != "Document not found." || !errors.Is(err, signing.ErrNotFound) || !pe.Gone {
		t.Errorf("refresh after cancel: %+v", pe)
	}
	if status, _ := h.Open(in.RedirectURL); status != http.StatusGone {
		t.Errorf("page after cancel: %d", status)
	}
	// Cancelling again is not an error: the document is gone already.
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Errorf("second cancel: %v", err)
	}
}

func TestRefusalsCarryLeegalitysMessage(t *testing.T) {
	h := newHarness(t, func(c *leegality.Config) { c.ProfileID = "wf-unknown" })
	if pe := h.WantFailure("initiate", signing.ProviderRef{}, false); pe.Message != "No workflow found for the given Profile ID." || pe.StatusCode != 200 {
		t.Errorf("unknown workflow: %+v", pe)
	}

	h = newHarness(t)
	req := h.request()
	req.Document.Content = []byte("not a pdf")
	_, err := h.adapter.Initiate(context.Background(), req)
	if pe := h.ProviderError(err, "initiate", false); pe.Message != "Invalid file. Only PDF files are supported." {
		t.Errorf("not a PDF: %+v", pe)
	}

	_, ref := h.Initiate()
	h.sim.RefuseNext(sim.OpDetails, "documentId.invalid", "Invalid Document ID.")
	if pe := h.WantFailure("refresh", ref, false); pe.Message != "Invalid Document ID." {
		t.Errorf("refused refresh: %+v", pe)
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	h := newHarness(t, func(c *leegality.Config) { c.AuthToken = "not-the-token" })
	h.WantUnauthorized("Invalid auth token.", signing.ProviderRef{Ref: "01M7YRRT801H1NW31AD668CETA"})
}

func TestServerErrorsAreRetryable(t *testing.T) {
	h := newHarness(t)
	in, ref := h.WantOutages(sim.OpCreate, sim.OpDetails)
	h.WantRetryable("cancel", ref, sim.OpDelete, 503)

	h.Press(in.RedirectURL, "sign")
	h.WantRetryable("document", ref, sim.OpFetch, 503)
	h.WantRetryable("document", ref, sim.OpDownload, 502)
	if _, err := h.adapter.FetchDocument(context.Background(), ref); err != nil { // the faults are used up
		t.Error(err)
	}
}

func TestTimeoutIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *leegality.Config) { c.Timeout = 100 * time.Millisecond })
	_, ref := h.Initiate()
	h.WantTimeout("refresh", ref, sim.OpDetails, "Leegality did not answer in time")
	h.WantTimeout("initiate", ref, sim.OpCreate, "")
}

func TestUnreachableIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *leegality.Config) { c.BaseURL = simtest.UnreachableURL() })
	h.WantUnreachable(signing.ProviderRef{Ref: "01M7YRRT801H1NW31AD668CETA"})
}

func TestUnknownStatusChangesNothing(t *testing.T) {
	h := newHarness(t)
	_, ref := h.InitiateThen(h.sim.UnknownStatusNext)
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "", "ON_HOLD/ESCALATED")
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "", "SENT") // once only
}

func TestWebhookFromAnotherAccountIsRefused(t *testing.T) {
	// A simulator whose account has another private salt: its webhooks
	// must not pass this adapter.
	h := newHarness(t)
	e := simtest.NewEnv(t)
	other, err := sim.New(sim.Config{BaseURL: e.Srv.URL, Token: token, PrivateSalt: "someone-else", WebhookURL: h.Srv.URL + "/callbacks/leegality",
		HTTPClient: e.Srv.Client(), WebhookRetries: []time.Duration{}})
	simtest.Serve(e, "", other, err)
	a, err := leegality.New(leegality.Config{BaseURL: e.Srv.URL, AuthToken: token, ProfileID: profile, PrivateSalt: "someone-else", HTTPClient: e.Srv.Client()})
	if err != nil {
		t.Fatal(err)
	}
	in, err := a.Initiate(context.Background(), h.request())
	if err != nil {
		t.Fatal(err)
	}
	h.WantCallbackRefused(in.RedirectURL)
}
