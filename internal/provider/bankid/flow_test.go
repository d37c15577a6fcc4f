package bankid_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/bankid"
	"github.com/signet-dev/signet/internal/provider/bankid/bankidtest"
	"github.com/signet-dev/signet/internal/provider/bankid/sim"
	"github.com/signet-dev/signet/internal/provider/providertest"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/web"
)

// TestConformance runs the provider conformance suite against the adapter
// and the simulator over mutual TLS.
func TestConformance(t *testing.T) {
	providertest.Run(t, bankidtest.Sandbox)
}

// These tests run the adapter against the simulator over real mutual TLS,
// the way Signet runs in sandbox mode: the RP API on its own TLS server
// with the simulator's throwaway PKI, the simulated app and Signet's
// BankID page on a plain-HTTP server.

const pnr = "199001011239"

type harness struct {
	t       *testing.T
	pki     *sim.PKI
	web     *httptest.Server // the page and the simulated app
	api     *httptest.Server // the RP API, mutual TLS
	sim     *sim.Server
	adapter *bankid.Adapter
	clock   *simtest.Clock
	browser *http.Client
	doc     signing.Document

	mu       sync.Mutex
	sessions map[string]*signing.Session
}

func newHarness(t *testing.T, mutate ...func(*bankid.Config)) *harness {
	t.Helper()
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	content := pdf.Sample(2, "Loan agreement")
	h := &harness{t: t, pki: pki, clock: simtest.NewClock(simtest.Epoch),
		sessions: map[string]*signing.Session{},
		doc:      signing.Document{Filename: "loan.pdf", Content: content, SHA256: signing.SHA256Hex(content)}}
	mux := http.NewServeMux()
	h.web = httptest.NewServer(mux)
	t.Cleanup(h.web.Close)

	h.sim, err = sim.New(sim.Config{BaseURL: h.web.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName, Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/sandbox/bankid/", h.sim)
	pages, err := web.New(web.Config{Now: h.clock.Now, BankID: &web.BankIDConfig{Lookup: h.lookup, SimAppURL: h.sim.AppURL}})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle("/", pages.Handler())

	h.api = httptest.NewUnstartedServer(h.sim)
	h.api.TLS = pki.ServerTLS
	h.api.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes tests provoke
	h.api.StartTLS()
	t.Cleanup(h.api.Close)

	cfg := bankid.Config{
		BaseURL:   h.api.URL + sim.APIPath,
		TLS:       pki.ClientTLS,
		PublicURL: h.web.URL,
		Timeout:   2 * time.Second,
		Now:       h.clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	h.adapter, err = bankid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.browser = simtest.NoRedirects()
	return h
}

func (h *harness) lookup(_ context.Context, id string) (*signing.Session, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	s, ok := h.sessions[id]
	if !ok {
		return nil, signing.ErrNotFound
	}
	return s.Clone(), nil
}

func (h *harness) request(sessionID string) signing.InitiateRequest {
	return signing.InitiateRequest{
		SessionID:     sessionID,
		OrderID:       "order-1",
		SignerDetails: json.RawMessage(`{"identity":"` + pnr + `","name":"Anna Svensson"}`),
		Language:      "en",
		Document:      h.doc,
		ReturnURL:     "https://client.example/return",
		CallbackURL:   h.web.URL + "/callbacks/bankid",
		ExpiresAt:     h.clock.Now().Add(time.Hour),
	}
}

// initiate starts an order and records the session as Signet would.
func (h *harness) initiate() (signing.Initiated, signing.ProviderRef) {
	h.t.Helper()
	const id = "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d"
	in, err := h.adapter.Initiate(context.Background(), h.request(id))
	if err != nil {
		h.t.Fatalf("Initiate: %v", err)
	}
	h.mu.Lock()
	h.sessions[id] = &signing.Session{ID: id, Status: signing.StatusPending, Provider: bankid.Name, Language: "en",
		DocumentName: h.doc.Filename, ReturnURL: "https://client.example/return", ExpiresAt: h.clock.Now().Add(time.Hour),
		ProviderRef: in.Ref, ProviderState: in.State}
	h.mu.Unlock()
	return in, h.ref(id, in)
}

func (h *harness) ref(id string, in signing.Initiated) signing.ProviderRef {
	return signing.ProviderRef{SessionID: id, Ref: in.Ref, State: in.State,
		LoadOriginal: func(context.Context) (signing.Document, error) { return h.doc, nil }}
}

func (h *harness) refresh(ref signing.ProviderRef) signing.Update {
	h.t.Helper()
	u, err := h.adapter.Refresh(context.Background(), ref)
	if err != nil {
		h.t.Fatalf("Refresh: %v", err)
	}
	return u
}

// press is the signer using the sandbox form on Signet's page.
func (h *harness) press(in signing.Initiated, action string) *http.Response {
	h.t.Helper()
	return providertest.SubmitForm(h.t, in.RedirectURL, action)
}

func wantUpdate(t *testing.T, u signing.Update, status signing.Status, provider string) {
	t.Helper()
	if u.Status != status || u.ProviderStatus != provider {
		t.Fatalf("update = (%s, %q, %q), want (%s, %q)", u.Status, u.ProviderStatus, u.Reason, status, provider)
	}
}

func providerError(t *testing.T, err error, op string, retryable bool) *signing.ProviderError {
	t.Helper()
	return simtest.ProviderError(t, err, "bankid", op, retryable)
}

func attachments(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	aa, err := api.ExtractAttachmentsRaw(bytes.NewReader(b), "", nil, model.NewDefaultConfiguration())
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, a := range aa {
		data, err := io.ReadAll(a)
		if err != nil {
			t.Fatal(err)
		}
		m[a.FileName] = data
	}
	return m
}

func TestSignFlow(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	if want := h.web.URL + "/bankid/0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d?t="; !strings.HasPrefix(in.RedirectURL, want) {
		t.Errorf("RedirectURL %q, want Signet's page %s…", in.RedirectURL, want)
	}
	st, err := bankid.ParseState(in.State)
	if err != nil || len(st.PageToken) < 40 || st.StartedAt != h.clock.Now().Unix() || st.DocumentSHA256 != h.doc.SHA256 {
		t.Fatalf("state %+v, %v", st, err)
	}

	// What BankID got.
	o, ok := h.sim.Order(in.Ref)
	if !ok {
		t.Fatal("the simulator has no order")
	}
	if o.PersonalNumber != pnr || o.EndUserIP != "127.0.0.1" || o.UserVisibleDataFormat != "simpleMarkdownV1" ||
		o.UserNonVisibleData != "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d" || o.ReturnURL != in.RedirectURL {
		t.Errorf("order %+v", o)
	}
	if !strings.Contains(o.UserVisibleData, "loan.pdf") || !strings.Contains(o.UserVisibleData, h.doc.SHA256[:32]+"\n"+h.doc.SHA256[32:]) {
		t.Errorf("userVisibleData %q names neither the contract nor its hash", o.UserVisibleData)
	}

	wantUpdate(t, h.refresh(ref), signing.StatusPending, "pending/outstandingTransaction")
	if err := h.sim.Open(in.Ref); err != nil { // the signer scans the QR code
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(ref), signing.StatusInProgress, "pending/started")
	wantUpdate(t, h.refresh(ref), signing.StatusInProgress, "pending/userSign")

	resp := h.press(in, "sign")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != in.RedirectURL {
		t.Fatalf("sign: %d to %q, want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"))
	}

	u := h.refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "complete")
	var ev struct {
		OrderRef       string `json:"orderRef"`
		CompletionData struct {
			User struct {
				PersonalNumber string `json:"personalNumber"`
				Name           string `json:"name"`
			} `json:"user"`
			Device struct {
				IPAddress string `json:"ipAddress"`
			} `json:"device"`
			BankIDIssueDate string `json:"bankIdIssueDate"`
			Signature       string `json:"signature"`
			OCSPResponse    string `json:"ocspResponse"`
		} `json:"completionData"`
	}
	if err := json.Unmarshal(u.Evidence, &ev); err != nil {
		t.Fatal(err)
	}
	cd := ev.CompletionData
	if ev.OrderRef != in.Ref || cd.User.PersonalNumber != pnr || cd.User.Name == "" || cd.Device.IPAddress == "" ||
		cd.BankIDIssueDate == "" || cd.Signature == "" || cd.OCSPResponse == "" {
		t.Errorf("evidence %s", u.Evidence)
	}

	// The signed document: the original, one page more, BankID's signature attached.
	info, err := pdf.Validate(u.Signed)
	if err != nil {
		t.Fatalf("signed PDF: %v", err)
	}
	if info.Pages != 3 {
		t.Errorf("signed PDF has %d pages, want the original's 2 and the audit page", info.Pages)
	}
	att := attachments(t, u.Signed)
	sig := att[bankid.SignatureAttachment]
	if !bytes.HasPrefix(sig, []byte("<?xml")) || !bytes.Contains(sig, []byte("bankIdSignedData")) {
		t.Errorf("attachments %v: no signature XML", len(att))
	}
	if len(att[bankid.OCSPAttachment]) == 0 {
		t.Error("no OCSP response attached")
	}

	// Within 3 minutes the document can be rebuilt from a new collect.
	doc, err := h.adapter.FetchDocument(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if info, err := pdf.Validate(doc); err != nil || info.Pages != 3 {
		t.Errorf("FetchDocument: %+v, %v", info, err)
	}

	// The order is finished: cancelling it is harmless.
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Errorf("Cancel after completion: %v", err)
	}
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	resp := h.press(in, "decline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != in.RedirectURL {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	u := h.refresh(ref)
	wantUpdate(t, u, signing.StatusFailed, "failed/userCancel")
	if u.Reason != "The signer declined to sign in the BankID app" || u.Signed != nil {
		t.Errorf("reason %q", u.Reason)
	}
	_, err := h.adapter.FetchDocument(context.Background(), ref)
	providerError(t, err, "document", false)
}

func TestCancel(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(ref), signing.StatusCancelled, "failed/cancelled")
	// BankID refuses to cancel twice (invalidParameters): still success.
	if err := h.adapter.Cancel(context.Background(), ref); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
	// The signer can no longer sign: the app refuses the order.
	resp, err := h.browser.PostForm(h.sim.AppURL(in.Ref), url.Values{"action": {"sign"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after cancel: %d, want 409", resp.StatusCode)
	}
	wantUpdate(t, h.refresh(ref), signing.StatusCancelled, "failed/cancelled")
}

func TestCompletedOrderForgottenAfterThreeMinutes(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	h.press(in, "sign")
	h.clock.Add(2*time.Minute + 59*time.Second)
	wantUpdate(t, h.refresh(ref), signing.StatusCompleted, "complete")
	h.clock.Add(time.Second)
	_, err := h.adapter.Refresh(context.Background(), ref)
	pe := providerError(t, err, "refresh", false)
	if !errors.Is(err, signing.ErrNotFound) || pe.StatusCode != 400 || pe.Message != "No such order" {
		t.Errorf("collect after 3 minutes: %+v", pe)
	}
	_, err = h.adapter.FetchDocument(context.Background(), ref)
	pe = providerError(t, err, "document", false)
	if !errors.Is(err, signing.ErrNotFound) || !strings.Contains(pe.Message, "3 minutes") {
		t.Errorf("document after 3 minutes: %+v", pe)
	}
}

func TestOrderExpires(t *testing.T) {
	h := newHarness(t)
	_, ref := h.initiate()
	h.clock.Add(3 * time.Minute)
	wantUpdate(t, h.refresh(ref), signing.StatusExpired, "failed/expiredTransaction")
}

func TestSecondOrderForSamePersonIsRefusedAndCancelsTheFirst(t *testing.T) {
	h := newHarness(t)
	_, ref := h.initiate()
	_, err := h.adapter.Initiate(context.Background(), h.request("6f0a1f2b-3c4d-4a43-9f0e-0d8f9a528b1e"))
	pe := providerError(t, err, "initiate", false)
	if pe.StatusCode != 400 || pe.Message != "Order already in progress for pno" {
		t.Errorf("second order: %+v", pe)
	}
	wantUpdate(t, h.refresh(ref), signing.StatusCancelled, "failed/cancelled")
}

func TestHintCodes(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	if err := h.sim.SetHint(in.Ref, "futureHintCode"); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(ref), signing.StatusPending, "pending/futureHintCode")
	if err := h.sim.FailOrder(in.Ref, "certificateErr"); err != nil {
		t.Fatal(err)
	}
	u := h.refresh(ref)
	wantUpdate(t, u, signing.StatusFailed, "failed/certificateErr")
	if !strings.Contains(u.Reason, "BankID is blocked") {
		t.Errorf("reason %q", u.Reason)
	}

	h2 := newHarness(t)
	in, ref = h2.initiate()
	if err := h2.sim.FailOrder(in.Ref, "somethingNew"); err != nil {
		t.Fatal(err)
	}
	u = h2.refresh(ref)
	wantUpdate(t, u, signing.StatusFailed, "failed/somethingNew")
	if u.Reason != "BankID reported the signing failed (somethingNew)" {
		t.Errorf("reason %q", u.Reason)
	}
}

func TestProviderErrors(t *testing.T) {
	h := newHarness(t, func(c *bankid.Config) { c.Timeout = 200 * time.Millisecond })
	for _, status := range []int{500, 503} {
		h.sim.FailNext(sim.OpSign, status)
		_, err := h.adapter.Initiate(context.Background(), h.request("a"))
		if pe := providerError(t, err, "initiate", true); pe.StatusCode != status {
			t.Errorf("%d: %+v", status, pe)
		}
	}
	_, ref := h.initiate()
	h.sim.FailNextWith(sim.OpCollect, 400, "invalidParameters", "Invalid orderRef")
	_, err := h.adapter.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", false); pe.Message != "Invalid orderRef" || errors.Is(err, signing.ErrNotFound) {
		t.Errorf("400: %+v", pe)
	}
	h.sim.FailNextWith(sim.OpCollect, 500, "requestTimeout", "")
	_, err = h.adapter.Refresh(context.Background(), ref)
	providerError(t, err, "refresh", true)
	h.sim.ThrottleNext(sim.OpCollect, 30*time.Second)
	_, err = h.adapter.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", true); pe.StatusCode != 429 || pe.RetryAfter != 30*time.Second {
		t.Errorf("throttled: %+v", pe)
	}

	h.sim.DelayNext(sim.OpCollect, 3*time.Second)
	start := time.Now()
	_, err = h.adapter.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", true); pe.Message != "BankID did not answer in time" || time.Since(start) > 2*time.Second {
		t.Errorf("timeout: %+v after %v", pe, time.Since(start))
	}
	h.sim.FailNext(sim.OpCancel, 503)
	providerError(t, h.adapter.Cancel(context.Background(), ref), "cancel", true)
	wantUpdate(t, h.refresh(ref), signing.StatusPending, "pending/outstandingTransaction") // the faults are used up
}

func TestInvalidSignerDetails(t *testing.T) {
	h := newHarness(t)
	for _, sd := range []string{`{}`, `{"identity":199001011239}`, `{"identity":"199001011238"}`, `{"identity":"` + pnr + `","endUserIp":"nope"}`, `[]`} {
		req := h.request("x")
		req.SignerDetails = json.RawMessage(sd)
		_, err := h.adapter.Initiate(context.Background(), req)
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%s: %v, want a ValidationError", sd, err)
			continue
		}
		if sd != `[]` && !strings.HasPrefix(ve.Errors[0].Field, "signerDetails.") {
			t.Errorf("%s: field %q", sd, ve.Errors[0].Field)
		}
	}
	req := h.request("x")
	req.SignerDetails = json.RawMessage(`{"identity":"` + pnr + `","endUserIp":"203.0.113.7"}`)
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := h.sim.Order(in.Ref); o.EndUserIP != "203.0.113.7" {
		t.Errorf("endUserIp %q", o.EndUserIP)
	}
}

func TestSwedishText(t *testing.T) {
	h := newHarness(t)
	req := h.request("x")
	req.Language = "sv"
	req.Document.Filename = "avtal *viktigt*.pdf"
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := h.sim.Order(in.Ref)
	if !strings.HasPrefix(o.UserVisibleData, "# Underteckna avtalet\n") || !strings.Contains(o.UserVisibleData, `avtal \*viktigt\*.pdf`) {
		t.Errorf("userVisibleData %q", o.UserVisibleData)
	}
}

func TestParseCallbackAlwaysRefuses(t *testing.T) {
	h := newHarness(t)
	_, err := h.adapter.ParseCallback(http.Header{}, []byte(`{"orderRef":"x","status":"complete"}`))
	if !errors.Is(err, signing.ErrNotFound) || !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("ParseCallback: %v", err)
	}
}

// Mutual TLS: the handshake is the relying party's only credential.

func TestClientWithoutCertificateFailsHandshake(t *testing.T) {
	h := newHarness(t)
	noCert := &tls.Config{RootCAs: h.pki.ClientTLS.RootCAs, MinVersion: tls.VersionTLS12}
	a := h.otherAdapter(noCert)
	_, err := a.Initiate(context.Background(), h.request("x"))
	if pe := providerError(t, err, "initiate", true); !strings.Contains(pe.Message, "TLS handshake") {
		t.Errorf("no client certificate: %+v", pe)
	}
}

func TestClientFromAnotherCAIsRefused(t *testing.T) {
	h := newHarness(t)
	other, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	cfg := other.ClientTLS.Clone()
	cfg.RootCAs = h.pki.ClientTLS.RootCAs // trusts the server, but its certificate is from another CA
	_, err = h.otherAdapter(cfg).Initiate(context.Background(), h.request("x"))
	if pe := providerError(t, err, "initiate", true); !strings.Contains(pe.Message, "TLS handshake") {
		t.Errorf("client from another CA: %+v", pe)
	}
}

func TestUntrustedServerIsRefused(t *testing.T) {
	h := newHarness(t)
	cfg := h.pki.ClientTLS.Clone()
	cfg.RootCAs = nil // the system's roots do not know the sandbox CA
	_, err := h.otherAdapter(cfg).Initiate(context.Background(), h.request("x"))
	if pe := providerError(t, err, "initiate", true); !strings.Contains(pe.Message, "server certificate is not trusted") {
		t.Errorf("untrusted server: %+v", pe)
	}
}

func TestUnknownRelyingPartyIsUnauthorized(t *testing.T) {
	h := newHarness(t)
	cert, err := h.pki.IssueClient("Someone else")
	if err != nil {
		t.Fatal(err)
	}
	cfg := h.pki.ClientTLS.Clone()
	cfg.Certificates = []tls.Certificate{cert}
	_, err = h.otherAdapter(cfg).Initiate(context.Background(), h.request("x"))
	if pe := providerError(t, err, "initiate", false); pe.StatusCode != 401 || pe.Message != "RP does not have access to the service" {
		t.Errorf("unknown RP: %+v", pe)
	}
}

// otherAdapter is an adapter to h's simulator with a TLS configuration of
// its own. A TLS configuration without a client certificate is refused by
// New, so it comes in an HTTPClient.
func (h *harness) otherAdapter(cfg *tls.Config) *bankid.Adapter {
	h.t.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	h.t.Cleanup(client.CloseIdleConnections)
	a, err := bankid.New(bankid.Config{BaseURL: h.api.URL + sim.APIPath, PublicURL: h.web.URL, HTTPClient: client, Timeout: 2 * time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	return a
}

func TestLoadClientPEMAndListenTLS(t *testing.T) {
	pki, err := sim.NewTestPKI([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files := map[string][]byte{"rp.crt": pki.ClientCertPEM, "rp.key": pki.ClientKeyPEM, "ca.crt": pki.CAPEM}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tlsCfg, err := bankid.LoadClientPEM(filepath.Join(dir, "rp.crt"), filepath.Join(dir, "rp.key"), filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := sim.New(sim.Config{BaseURL: "http://127.0.0.1:8080/sandbox/bankid", RPCommonName: pki.ClientCommonName})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	base, err := s.ListenTLS("127.0.0.1:0", pki.ServerTLS)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "https://127.0.0.1:") || !strings.HasSuffix(base, "/rp/v6.0") {
		t.Errorf("ListenTLS = %q", base)
	}
	a, err := bankid.New(bankid.Config{BaseURL: base, TLS: tlsCfg, PublicURL: "http://127.0.0.1:8080"})
	if err != nil {
		t.Fatal(err)
	}
	content := pdf.Sample(1, "c")
	in, err := a.Initiate(context.Background(), signing.InitiateRequest{SessionID: "s", SignerDetails: json.RawMessage(`{"identity":"` + pnr + `"}`),
		Document: signing.Document{Filename: "c.pdf", Content: content}})
	if err != nil {
		t.Fatal(err)
	}
	if u, err := a.Refresh(context.Background(), signing.ProviderRef{Ref: in.Ref, State: in.State}); err != nil || u.Status != signing.StatusPending {
		t.Errorf("refresh: %+v, %v", u, err)
	}

	if _, err := bankid.LoadClientPEM(filepath.Join(dir, "rp.crt"), filepath.Join(dir, "ca.crt"), ""); err == nil {
		t.Error("a certificate without its key was accepted")
	}
	if _, err := bankid.LoadClientPEM(filepath.Join(dir, "rp.crt"), filepath.Join(dir, "rp.key"), filepath.Join(dir, "rp.key")); err == nil {
		t.Error("a CA file without certificates was accepted")
	}
}

func TestNewValidatesConfig(t *testing.T) {
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := bankid.Config{BaseURL: bankid.TestURL, TLS: pki.ClientTLS, PublicURL: "https://signet.example"}
	if _, err := bankid.New(ok); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*bankid.Config){
		"http BaseURL":     func(c *bankid.Config) { c.BaseURL = "http://appapi2.test.bankid.com/rp/v6.0" },
		"no BaseURL":       func(c *bankid.Config) { c.BaseURL = "" },
		"no PublicURL":     func(c *bankid.Config) { c.PublicURL = "" },
		"relative public":  func(c *bankid.Config) { c.PublicURL = "/signet" },
		"no TLS":           func(c *bankid.Config) { c.TLS = nil },
		"TLS without cert": func(c *bankid.Config) { c.TLS = &tls.Config{} },
		"negative timeout": func(c *bankid.Config) { c.Timeout = -1 },
		"bad EndUserIP":    func(c *bankid.Config) { c.EndUserIP = "localhost" },
	} {
		cfg := ok
		mutate(&cfg)
		if _, err := bankid.New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if s := ok.String(); strings.Contains(s, "PRIVATE") || !strings.Contains(s, "ClientCertificates:1") {
		t.Errorf("String() = %s", s)
	}
}

func TestQRCodeOfThePageStartsTheOrder(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	h.clock.Add(4 * time.Second)
	resp, err := h.browser.Get(strings.Replace(in.RedirectURL, "?t=", "/qr?t=", 1))
	if err != nil {
		t.Fatal(err)
	}
	var q struct {
		QRData string `json:"qrData"`
		T      int64  `json:"t"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if q.T != 4 {
		t.Errorf("t = %d, want 4", q.T)
	}
	// The simulated app checks the code with its own HMAC.
	resp, err = h.browser.PostForm(h.web.URL+"/sandbox/bankid/app/scan", url.Values{"qr": {q.QRData}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != h.sim.AppURL(in.Ref) {
		t.Fatalf("scan: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantUpdate(t, h.refresh(ref), signing.StatusInProgress, "pending/started")
}

func TestSignatureMustCoverTheDocument(t *testing.T) {
	h := newHarness(t)
	in, ref := h.initiate()
	h.press(in, "sign")
	// Signet's stored original no longer has the hash the signer approved.
	tampered := ref
	tampered.LoadOriginal = func(context.Context) (signing.Document, error) {
		return signing.Document{Filename: "loan.pdf", Content: pdf.Sample(2, "Another agreement")}, nil
	}
	_, err := h.adapter.Refresh(context.Background(), tampered)
	if pe := providerError(t, err, "refresh", false); !strings.Contains(pe.Message, "SHA-256") {
		t.Errorf("tampered original: %+v", pe)
	}
	// A state claiming another text than BankID signed.
	var st map[string]any
	_ = json.Unmarshal(ref.State, &st)
	st["userVisibleData"] = "b3RoZXIgdGV4dA=="
	other := ref
	other.State, _ = json.Marshal(st)
	_, err = h.adapter.Refresh(context.Background(), other)
	if pe := providerError(t, err, "refresh", false); !strings.Contains(pe.Message, "does not cover") {
		t.Errorf("other text: %+v", pe)
	}
	// Without a way to load the original, the update carries no document.
	bare := ref
	bare.LoadOriginal = nil
	u := h.refresh(bare)
	if u.Status != signing.StatusCompleted || u.Signed != nil || u.Evidence == nil {
		t.Errorf("without LoadOriginal: %+v", u)
	}
	_, err = h.adapter.FetchDocument(context.Background(), bare)
	providerError(t, err, "document", false)
}
