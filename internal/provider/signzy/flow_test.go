package signzy_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/signzy"
	"github.com/signet-dev/signet/internal/provider/signzy/sim"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// These tests run the adapter against the simulator over real HTTP, the
// way Signet runs in sandbox mode: the simulator mounted under
// /sandbox/signzy/, Signet's callback route at /callbacks/signzy.

const (
	token  = "sandbox-token"
	secret = "sandbox-callback-secret"
)

type harness struct {
	*simtest.Flow
	sim     *sim.Server
	adapter *signzy.Adapter
}

func newHarness(t *testing.T, mutate ...func(*signzy.Config)) *harness {
	t.Helper()
	h := &harness{Flow: simtest.NewFlow(t)}
	base := h.Srv.URL + "/sandbox/signzy"
	s, err := sim.New(sim.Config{BaseURL: base, Token: token, HTTPClient: h.Srv.Client(), Now: h.Clock.Now, CallbackRetries: []time.Duration{}})
	h.sim = simtest.Serve(h.Env, "/sandbox/signzy", s, err)
	h.adapter = simtest.Build(t, signzy.Config{BaseURL: base, Token: token, CallbackSecret: secret, HTTPClient: h.Srv.Client(), Now: h.Clock.Now},
		mutate, signzy.New)
	h.Provider, h.Request, h.Faults = h.adapter, h.request, s
	h.Name, h.Secrets = signzy.Name, []string{token, secret}
	h.HandleCallbacks("/callbacks/signzy")
	return h
}

func (h *harness) request() signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d",
		OrderID:       "order-1",
		SignerDetails: json.RawMessage(`{"name":"Asha Verma","gender":"female","yearOfBirth":"1990","uidLastFourDigits":"1234"}`),
		Language:      "en",
		Document:      signing.Document{Filename: "loan.pdf", Content: pdf.Sample(2, "Loan agreement")},
		ReturnURL:     "https://client.example/return",
		CallbackURL:   h.Srv.URL + "/callbacks/signzy",
		ExpiresAt:     h.Clock.Now().Add(time.Hour),
	}
}

var wantUpdate = simtest.WantUpdate

func TestSignFlow(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	if !strings.HasPrefix(in.RedirectURL, h.Srv.URL+"/sandbox/signzy/") {
		t.Errorf("RedirectURL %q is not the simulator's page", in.RedirectURL)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "")

	page := h.Page(in.RedirectURL)
	if !strings.Contains(page, `value="sign"`) || !strings.Contains(page, `value="decline"`) {
		t.Fatal("the page has no sign/decline buttons")
	}
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusInProgress, "")
	if u.ProviderStatus != "ACTIVE/IN_PROGRESS" {
		t.Errorf("ProviderStatus = %q", u.ProviderStatus)
	}

	h.PressTo(in.RedirectURL, "sign", "https://client.example/return")
	if cb := h.WantOneCallback(in.Ref); cb.Update != nil {
		t.Fatalf("the callback carries an update: %+v", cb.Update)
	}

	u = h.Refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "")
	if u.ProviderStatus != "COMPLETED/SIGNED" || !json.Valid(u.Evidence) {
		t.Errorf("ProviderStatus %q, Evidence %s", u.ProviderStatus, u.Evidence)
	}

	h.SignedPDF(ref)

	// Cancel is a no-op at Signzy; the completed contract stays completed.
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusCompleted, "")
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	h.Page(in.RedirectURL)
	h.PressTo(in.RedirectURL, "decline", "https://client.example/return")
	if cbs, _ := h.Received(); len(cbs) != 1 || cbs[0].Ref != in.Ref {
		t.Errorf("callbacks %+v", cbs)
	}
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusFailed, "Signer declined to sign")
	if u.ProviderStatus != "CANCELLED/CANCELLED" {
		t.Errorf("ProviderStatus = %q", u.ProviderStatus)
	}
	if _, err := h.adapter.FetchDocument(context.Background(), ref); err == nil {
		t.Error("FetchDocument of a declined contract succeeded")
	}
}

func TestAadhaarFailure(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	h.Page(in.RedirectURL)
	if err := h.sim.FailAadhaar(in.Ref, "OTP validation failed", true); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusInProgress, "")
	if err := h.sim.FailAadhaar(in.Ref, "Aadhaar authentication failed", false); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.Refresh(ref), signing.StatusFailed, "Aadhaar authentication failed")
}

func TestCancelledAtSignzy(t *testing.T) {
	h := newHarness(t)
	_, ref := h.InitiateThen(h.sim.CancelContract)
	wantUpdate(t, h.Refresh(ref), signing.StatusCancelled, "")
}

func TestExpiredContractIsNotFound(t *testing.T) {
	h := newHarness(t)
	_, ref := h.Initiate()
	h.Clock.Add(time.Hour)
	_, err := h.adapter.Refresh(context.Background(), ref)
	pe := h.ProviderError(err, "refresh", false)
	if pe.StatusCode != 404 || pe.Message != "Contract not found" || !errors.Is(err, signing.ErrNotFound) || !pe.Gone {
		t.Errorf("expired: %+v", pe)
	}
}

func TestWrongTokenIsPermanent(t *testing.T) {
	h := newHarness(t, func(c *signzy.Config) { c.Token = "not-the-token" })
	h.WantUnauthorized("Unauthorized", signing.ProviderRef{Ref: "3c54deeb-b91d-4893-8ec9-46573e85f45b"})
}

func TestValidationErrorIsPermanentWithSignzysMessage(t *testing.T) {
	h := newHarness(t)
	req := h.request()
	req.CallbackURL = ""
	_, err := h.adapter.Initiate(context.Background(), req)
	pe := h.ProviderError(err, "initiate", false)
	if pe.StatusCode != 400 || pe.Message != "callbackUrl is not allowed to be empty" {
		t.Errorf("400: %+v", pe)
	}

	_, ref := h.Initiate()
	h.sim.FailNextWith(sim.OpPullData, 400, "contractId length must be 36 characters long")
	if pe := h.WantFailure("refresh", ref, false); pe.Message != "contractId length must be 36 characters long" {
		t.Errorf("400 on refresh: %+v", pe)
	}
}

func TestServerErrorsAreRetryable(t *testing.T) {
	h := newHarness(t)
	_, ref := h.WantOutages(sim.OpInitiate, sim.OpPullData)
	h.WantRetryable("document", ref, sim.OpPullData, 503)
	wantUpdate(t, h.Refresh(ref), signing.StatusPending, "") // the faults are used up
}

func TestTimeoutIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *signzy.Config) { c.Timeout = 100 * time.Millisecond })
	_, ref := h.Initiate()
	h.WantTimeout("refresh", ref, sim.OpPullData, "Signzy did not answer in time")
	h.WantTimeout("initiate", ref, sim.OpInitiate, "")
}

func TestUnreachableIsRetryable(t *testing.T) {
	h := newHarness(t, func(c *signzy.Config) { c.BaseURL = simtest.UnreachableURL() })
	h.WantUnreachable(signing.ProviderRef{Ref: "3c54deeb-b91d-4893-8ec9-46573e85f45b"})
}

func TestCallbackWithWrongSecretIsRefused(t *testing.T) {
	// A contract initiated with another secret: its callback must fail.
	h := newHarness(t)
	other, err := signzy.New(signzy.Config{BaseURL: h.Srv.URL + "/sandbox/signzy", Token: token,
		CallbackSecret: "someone-else", HTTPClient: h.Srv.Client(), Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	in, err := other.Initiate(context.Background(), h.request())
	if err != nil {
		t.Fatal(err)
	}
	h.WantCallbackRefused(in.RedirectURL)
}

// TestTwoSignersFlow: two signers at one contract, each on their own
// page; Signet hears of each signature, the signed PDF holds both, and
// the evidence describes both and carries Signzy's audit certificate.
func TestTwoSignersFlow(t *testing.T) {
	h := newHarness(t)
	req := h.request()
	req.Signers = []signing.SignerRequest{{ID: "a", Details: req.SignerDetails},
		{ID: "b", Details: json.RawMessage(`{"name":"Ravi Kumar","signatureType":"AADHAARESIGN-FINGERPRINT"}`)}}
	req.SigningOrder = signing.Parallel
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(in.Signers) != 2 || in.Signers[0].URL == in.Signers[1].URL || in.RedirectURL != in.Signers[0].URL {
		t.Fatalf("Initiated signers %+v", in.Signers)
	}
	ref := signing.ProviderRef{Ref: in.Ref, State: in.State, SigningOrder: signing.Parallel, Session: &signing.Session{Status: signing.StatusInProgress}}
	for i, s := range in.Signers {
		ref.Signers = append(ref.Signers, signing.Signer{ID: req.Signers[i].ID, ProviderRef: s.Ref, ProviderURL: s.URL, Status: signing.SignerPending})
	}
	apply := func(u signing.Update) {
		for _, su := range u.Signers {
			ref.Signers[su.Index].Status = su.Status
			if su.Status == signing.SignerSigned {
				ref.Signers[su.Index].Evidence = su.Evidence
			}
		}
	}

	// The second signer goes first: Signzy has no order.
	h.PressTo(in.Signers[1].URL, "sign", "https://client.example/return")
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusInProgress, "")
	if len(u.Signers) != 1 || u.Signers[0].Index != 1 || u.Signers[0].Status != signing.SignerSigned {
		t.Fatalf("after the second signed: %+v", u.Signers)
	}
	apply(u)
	// Signzy calls back after each signer (signerCallbackUrl).
	h.WantOneCallback(in.Ref)

	h.Page(in.Signers[0].URL)
	u = h.Refresh(ref)
	if len(u.Signers) != 2 || u.Signers[0].Status != signing.SignerInProgress {
		t.Fatalf("after the first opened the page: %+v", u.Signers)
	}
	h.PressTo(in.Signers[0].URL, "sign", "https://client.example/return")
	u = h.Refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "")
	apply(u)
	ref.Session.Status = signing.StatusCompleted

	signed, err := h.adapter.FetchDocument(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	simtest.WantESigned(t, signed, h.sim, "Signzy Sandbox eSign", "Ravi Kumar", "Asha Verma") // in the order they signed

	var evidencer signing.Evidencer = h.adapter
	ev, err := evidencer.Evidence(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signers) != 2 || ev.Signers[0].Method != "Aadhaar eSign (OTP) via Signzy" || ev.Signers[1].Method != "Aadhaar eSign (fingerprint) via Signzy" {
		t.Fatalf("evidence signers %+v", ev.Signers)
	}
	got := map[string]string{}
	for _, f := range ev.Signers[0].Facts {
		got[f.Label] = f.Value
	}
	if got["Name on Aadhaar (eSign certificate)"] != "ASHA VERMA" || got["Aadhaar number"] != "XXXX XXXX 1234" || got["IP address (seen by Signzy)"] != "127.0.0.1" {
		t.Errorf("first signer's facts %v", got)
	}
	if len(ev.Files) != 1 || ev.Files[0].Missing != "" {
		t.Fatalf("evidence files %+v", ev.Files)
	}
	if _, err := pdf.Validate(ev.Files[0].Content); err != nil {
		t.Errorf("Signzy's audit certificate: %v", err)
	}
}
