package bankid_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
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

// These tests run the adapter against the simulator over real mutual TLS,
// the way Signet runs in sandbox mode: the RP API on its own TLS server
// with the simulator's throwaway PKI, the simulated app and Signet's
// BankID page on a plain-HTTP server, one clock for all. The store and
// the service's start of a signer are bankidtest.Provider's.

const (
	pnr      = "199001011239"
	otherPNR = "201212121212"
	session1 = "0d8f9a52-8b1e-4a43-9f0e-6f0a1f2b3c4d"
	session2 = "6f0a1f2b-3c4d-4a43-9f0e-0d8f9a528b1e"
)

type harness struct {
	*simtest.Env // the page and the simulated app
	pki          *sim.PKI
	api          *httptest.Server // the RP API, mutual TLS
	sim          *sim.Server
	adapter      *bankid.Adapter
	p            *bankidtest.Provider
	doc          signing.Document
}

func newHarness(t *testing.T, mutate ...func(*bankid.Config)) *harness {
	t.Helper()
	pki, err := sim.NewTestPKI(nil)
	if err != nil {
		t.Fatal(err)
	}
	content := pdf.Sample(2, "Loan agreement")
	h := &harness{Env: simtest.NewEnv(t), pki: pki,
		doc: signing.Document{Filename: "loan.pdf", Content: content, SHA256: signing.SHA256Hex(content)}}
	h.sim, err = sim.New(sim.Config{BaseURL: h.Srv.URL + "/sandbox/bankid", RPCommonName: pki.ClientCommonName, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	h.Mux.Handle("/sandbox/bankid/", h.sim)
	h.api = simtest.ServeTLS(t, h.sim, pki.ServerTLS)

	cfg := bankid.Config{
		BaseURL:   h.api.URL + sim.APIPath,
		TLS:       pki.ClientTLS,
		PublicURL: h.Srv.URL,
		Timeout:   2 * time.Second,
		Now:       h.Clock.Now,
	}
	for _, m := range mutate {
		m(&cfg)
	}
	h.adapter, err = bankid.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.p = bankidtest.NewProvider(h.adapter, h.Clock.Now)
	pages, err := web.New(web.Config{Now: h.Clock.Now, Logger: slog.New(slog.DiscardHandler), BankID: &web.BankIDConfig{Lookup: h.p.Lookup, Start: h.p.StartSigner, SimAppURL: h.sim.AppURL}})
	if err != nil {
		t.Fatal(err)
	}
	h.Mux.Handle("/", pages.Handler())
	return h
}

// request is a session of the contract for the signers with these
// personal numbers.
func (h *harness) request(sessionID string, order signing.SigningOrder, pnrs ...string) signing.InitiateRequest {
	req := signing.InitiateRequest{
		SessionID:    sessionID,
		OrderID:      "order-1",
		Language:     "en",
		Document:     h.doc,
		ReturnURL:    "https://client.example/return",
		CallbackURL:  h.Srv.URL + "/callbacks/bankid",
		ExpiresAt:    h.Clock.Now().Add(24 * time.Hour),
		SigningOrder: order,
	}
	for i, n := range pnrs {
		d := json.RawMessage(`{"identity":"` + n + `","name":"Signer ` + string(rune('A'+i)) + `"}`)
		req.Signers = append(req.Signers, signing.SignerRequest{ID: "sgn_" + n, Details: d})
	}
	req.SignerDetails = req.Signers[0].Details
	return req
}

// initiate accepts a session, kept as Signet keeps it.
func (h *harness) initiate(sessionID string, order signing.SigningOrder, pnrs ...string) signing.Initiated {
	h.T.Helper()
	in, err := h.p.Initiate(context.Background(), h.request(sessionID, order, pnrs...))
	if err != nil {
		h.T.Fatalf("Initiate: %v", err)
	}
	return in
}

// refresh refreshes a kept session (applying the update to it).
func (h *harness) refresh(sessionID string) signing.Update {
	h.T.Helper()
	u, err := h.p.Refresh(context.Background(), signing.ProviderRef{Ref: sessionID})
	if err != nil {
		h.T.Fatalf("Refresh: %v", err)
	}
	return u
}

// qrAnswer is the page's poll.
type qrAnswer struct {
	Phase    string `json:"phase"`
	QRData   string `json:"qrData"`
	T        int64  `json:"t"`
	App      string `json:"app"`
	Started  bool   `json:"started"`
	Terminal bool   `json:"terminal"`
}

// poll is the page's script polling its QR route.
func (h *harness) poll(page string) qrAnswer {
	h.T.Helper()
	resp, err := h.Browser.Get(strings.Replace(page, "?t=", "/qr?t=", 1))
	if err != nil {
		h.T.Fatal(err)
	}
	defer resp.Body.Close()
	var q qrAnswer
	if err := json.NewDecoder(resp.Body).Decode(&q); err != nil {
		h.T.Fatal(err)
	}
	return q
}

// order is signer i's current orderRef ("" if none).
func (h *harness) order(sessionID string, i int) string {
	ref, err := h.p.OrderRef(sessionID, i)
	if err != nil {
		return ""
	}
	return ref
}

// press is the signer using the sandbox form on their page.
func (h *harness) press(page, action string) *http.Response {
	h.T.Helper()
	return providertest.SubmitForm(h.T, page, action)
}

func (h *harness) signerStatus(sessionID string, i int) signing.SignerStatus {
	return h.p.Session(sessionID).Signers[i].Status
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

// TestOrderStartsWhenTheSignerArrives: Initiate calls BankID not at all;
// a page opened a minute later (BankID would have failed an order
// started with the session 30 s after its start) starts the order, and
// the signature completes with the completion data as the signer's
// evidence, from which the signed document is built without BankID.
func TestOrderStartsWhenTheSignerArrives(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	if in.Ref != session1 || len(in.Signers) != 1 || in.RedirectURL != in.Signers[0].URL ||
		!strings.HasPrefix(in.RedirectURL, h.Srv.URL+"/bankid/"+session1+"?t=") {
		t.Fatalf("Initiated %+v", in)
	}
	if n := len(h.sim.Orders()); n != 0 {
		t.Fatalf("Initiate started %d BankID orders", n)
	}
	wantUpdate(t, h.refresh(session1), signing.StatusPending, "") // nothing to collect

	h.Clock.Add(61 * time.Second)
	page := h.Page(in.RedirectURL)
	ref := h.order(session1, 0)
	o, ok := h.sim.Order(ref)
	if !ok {
		t.Fatalf("opening the page started no order:\n%s", page)
	}
	if o.PersonalNumber != pnr || o.EndUserIP != "127.0.0.1" || o.UserVisibleDataFormat != "simpleMarkdownV1" ||
		o.UserNonVisibleData != session1 || o.ReturnURL != in.RedirectURL {
		t.Errorf("order %+v", o)
	}
	if !strings.Contains(o.UserVisibleData, "loan.pdf") || !strings.Contains(o.UserVisibleData, h.doc.SHA256[:32]+"\n"+h.doc.SHA256[32:]) {
		t.Errorf("userVisibleData %q names neither the contract nor its hash", o.UserVisibleData)
	}
	if !strings.Contains(page, `action="`+h.sim.AppURL(ref)+`"`) || !strings.Contains(page, "<svg") {
		t.Error("the page shows neither the QR code nor the sandbox app of the new order")
	}
	// Opening the page again starts nothing more.
	h.Page(in.RedirectURL)
	if got := h.order(session1, 0); got != ref || len(h.sim.Orders()) != 1 {
		t.Errorf("a second opening changed the order: %s, %d orders", got, len(h.sim.Orders()))
	}

	wantUpdate(t, h.refresh(session1), signing.StatusPending, "pending/outstandingTransaction")
	if err := h.sim.Open(ref); err != nil { // the signer scans the QR code
		t.Fatal(err)
	}
	u := h.refresh(session1)
	wantUpdate(t, u, signing.StatusInProgress, "pending/started")
	if len(u.Signers) != 1 || u.Signers[0].Status != signing.SignerInProgress {
		t.Errorf("signers %+v", u.Signers)
	}
	if q := h.poll(in.RedirectURL); q.Phase != "order" || !q.Started {
		t.Errorf("the page after the scan: %+v", q)
	}

	resp := h.press(in.RedirectURL, "sign")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != in.RedirectURL {
		t.Fatalf("sign: %d to %q, want 303 back to the page", resp.StatusCode, resp.Header.Get("Location"))
	}
	u = h.refresh(session1)
	wantUpdate(t, u, signing.StatusCompleted, "complete")
	if len(u.Signers) != 1 || u.Signers[0].Status != signing.SignerSigned || !bytes.Equal(u.Signers[0].Evidence, u.Evidence) || u.State == nil {
		t.Fatalf("the completion is not the signer's evidence: %+v", u)
	}
	var ev struct {
		OrderRef       string `json:"orderRef"`
		CollectedAt    string `json:"collectedAt"`
		CompletionData struct {
			User struct {
				PersonalNumber string `json:"personalNumber"`
				Name           string `json:"name"`
			} `json:"user"`
			Signature    string `json:"signature"`
			OCSPResponse string `json:"ocspResponse"`
		} `json:"completionData"`
	}
	if err := json.Unmarshal(u.Evidence, &ev); err != nil {
		t.Fatal(err)
	}
	if cd := ev.CompletionData; ev.OrderRef != ref || ev.CollectedAt != h.Clock.Now().Format(time.RFC3339) ||
		cd.User.PersonalNumber != pnr || cd.User.Name == "" || cd.Signature == "" || cd.OCSPResponse == "" {
		t.Errorf("evidence %s", u.Evidence)
	}
	if st, _ := bankid.ParseState(u.State, session1); st.Signers[0].Order != nil {
		t.Error("the finished order is still in the state")
	}

	// BankID has forgotten the order (collected once); the document comes
	// from the evidence alone.
	h.sim.FailNext(sim.OpCollect, 500)
	signed, err := h.p.FetchDocument(context.Background(), signing.ProviderRef{Ref: session1})
	if err != nil {
		t.Fatal(err)
	}
	info, err := pdf.Validate(signed)
	if err != nil || info.Pages != 3 {
		t.Fatalf("signed PDF: %+v, %v", info, err)
	}
	att := attachments(t, signed)
	sig, _ := decodeStd(ev.CompletionData.Signature)
	ocsp, _ := decodeStd(ev.CompletionData.OCSPResponse)
	if !bytes.Equal(att[bankid.SignatureAttachment], sig) || !bytes.Equal(att[bankid.OCSPAttachment], ocsp) {
		t.Errorf("attachments %d: not BankID's signature and OCSP response", len(att))
	}
	// The finished order is gone: cancelling is harmless.
	if err := h.p.Cancel(context.Background(), signing.ProviderRef{Ref: session1}); err != nil {
		t.Errorf("Cancel after completion: %v", err)
	}
}

// TestCompletionCollectedOnce: a completion BankID handed out once is
// not lost to a second collect of the same order: this process answers
// it again; another process (another replica) ends the attempt quietly,
// the first one's write having the signature.
func TestCompletionCollectedOnce(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	stale := h.p.Session(session1) // as a concurrent poller read it
	ref := h.order(session1, 0)
	if err := h.sim.Sign(ref, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	first := h.refresh(session1)
	wantUpdate(t, first, signing.StatusCompleted, "complete")

	staleRef := signing.ProviderRef{SessionID: session1, Ref: session1, State: stale.ProviderState, Signers: stale.Signers}
	again, err := h.adapter.Refresh(context.Background(), staleRef)
	if err != nil || again.Status != signing.StatusCompleted || len(again.Signers) != 1 {
		t.Errorf("a second collect in this process: %+v, %v", again, err)
	}

	other, err := bankid.New(bankid.Config{BaseURL: h.api.URL + sim.APIPath, TLS: h.pki.ClientTLS, PublicURL: h.Srv.URL, Now: h.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	u, err := other.Refresh(context.Background(), staleRef)
	if err != nil || u.Status != signing.StatusPending || len(u.Signers) != 0 || u.State == nil || u.ProviderStatus != "No such order" {
		t.Errorf("a second collect elsewhere: %+v, %v", u, err)
	}
}

// TestTimedOutOrderIsReplaced: an order nobody scans fails at BankID
// after 30 s; the open page starts the next by itself, up to
// maxAutoStarts in a row, then waits for the signer to press Start again.
func TestTimedOutOrderIsReplaced(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	first := h.order(session1, 0)
	q0 := h.poll(in.RedirectURL)
	seen := map[string]bool{first: true}
	for i := 1; i <= 5; i++ {
		h.Clock.Add(30 * time.Second)
		u := h.refresh(session1)
		if u.Status != signing.StatusPending || u.ProviderStatus != "failed/startFailed" || u.State == nil || len(u.Signers) != 0 {
			t.Fatalf("timed-out order %d: %+v", i, u)
		}
		q := h.poll(in.RedirectURL)
		next := h.order(session1, 0)
		if q.Phase != "order" || seen[next] || q.QRData == q0.QRData || q.T != 0 || q.App != h.sim.AppURL(next) {
			t.Fatalf("after timeout %d the page shows %+v (order %s)", i, q, next)
		}
		seen[next] = true
	}
	h.Clock.Add(30 * time.Second)
	h.refresh(session1)
	if q := h.poll(in.RedirectURL); q.Phase != "timedOut" || q.QRData != "" || h.order(session1, 0) != "" {
		t.Fatalf("after 6 unanswered orders: %+v", q)
	}
	if page := h.Page(in.RedirectURL + "&auto=1"); !strings.Contains(page, "The QR code has expired") || h.order(session1, 0) != "" {
		t.Error("the page's own refresh started an order")
	}
	// The signer asks again (the Start again button is the page itself).
	page := h.Page(in.RedirectURL)
	ref := h.order(session1, 0)
	if ref == "" || seen[ref] || !strings.Contains(page, "Waiting for the BankID app") {
		t.Fatalf("Start again: order %q", ref)
	}
	if err := h.sim.Sign(ref, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(session1), signing.StatusCompleted, "complete")
}

// TestSamePersonElsewhereCancelsNothing: BankID refuses a second order
// for a person (alreadyInProgress) and cancels the one in progress. No
// session is cancelled or failed: the refused signer's page says another
// signing is in progress and waits for them to start again; the
// interrupted one says so too; each signs when its signer asks.
func TestSamePersonElsewhereCancelsNothing(t *testing.T) {
	h := newHarness(t)
	a := h.initiate(session1, "", pnr)
	b := h.initiate(session2, "", pnr)
	h.Page(a.RedirectURL)
	orderA := h.order(session1, 0)

	page := h.Page(b.RedirectURL)
	if h.order(session2, 0) != "" || !strings.Contains(page, "Another BankID signing is in progress for your personal number") ||
		!strings.Contains(page, "Start again") {
		t.Fatalf("the refused page:\n%s", page)
	}
	if q := h.poll(b.RedirectURL); q.Phase != "busy" || h.order(session2, 0) != "" {
		t.Errorf("the refused page's poll started an order: %+v", q)
	}
	st, _ := bankid.ParseState(h.p.Session(session2).ProviderState, session2)
	if st.Signers[0].Halt != bankid.HaltBusy || !strings.Contains(st.Signers[0].Detail, "already in progress") {
		t.Errorf("state of the refused signer %+v", st.Signers[0])
	}

	// BankID cancelled A's order: A is interrupted, not cancelled.
	u := h.refresh(session1)
	if u.Status != signing.StatusPending || len(u.Signers) != 0 || u.ProviderStatus != "failed/cancelled" {
		t.Fatalf("the interrupted session: %+v", u)
	}
	if s := h.p.Session(session1); s.Status != signing.StatusPending || s.Signers[0].Status != signing.SignerPending {
		t.Fatalf("the interrupted session is %s", s.Status)
	}
	if _, ok := h.sim.Order(orderA); ok {
		t.Error("BankID still has the cancelled order after its collect")
	}
	if q := h.poll(a.RedirectURL); q.Phase != "interrupted" || h.order(session1, 0) != "" {
		t.Errorf("the interrupted page's poll: %+v", q)
	}

	// The person signs B, then A.
	h.Page(b.RedirectURL)
	if err := h.sim.Sign(h.order(session2, 0), "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(session2), signing.StatusCompleted, "complete")
	page = h.Page(a.RedirectURL)
	if !strings.Contains(page, "<svg") {
		t.Fatalf("A's page after Start again:\n%s", page)
	}
	if err := h.sim.Sign(h.order(session1, 0), "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(session1), signing.StatusCompleted, "complete")
}

// TestSequentialSigners: one order per signer, one after another; the
// second's page starts nothing before their turn.
func TestSequentialSigners(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, signing.Sequential, pnr, otherPNR)
	if len(in.Signers) != 2 || in.Signers[0].URL == in.Signers[1].URL {
		t.Fatalf("Initiated signers %+v", in.Signers)
	}
	second := in.Signers[1].URL
	if page := h.Page(second); !strings.Contains(page, "It is not your turn to sign yet: Signer A has to sign first.") || h.order(session1, 1) != "" {
		t.Fatalf("the second signer's page before their turn:\n%s", page)
	}
	h.Page(in.Signers[0].URL)
	h.press(in.Signers[0].URL, "sign")
	u := h.refresh(session1)
	wantUpdate(t, u, signing.StatusInProgress, "signer 1: complete")
	if len(u.Signers) != 1 || u.Signers[0].Index != 0 || u.Signers[0].Status != signing.SignerSigned || u.Signers[0].Evidence == nil {
		t.Fatalf("signers %+v", u.Signers)
	}
	if page := h.Page(in.Signers[0].URL); !strings.Contains(page, "You have signed") {
		t.Error("the first signer's page after signing does not say so")
	}
	if h.signerStatus(session1, 1) != signing.SignerPending {
		t.Fatal("the second signer's turn did not come")
	}
	h.Page(second)
	if o, ok := h.sim.Order(h.order(session1, 1)); !ok || o.PersonalNumber != otherPNR {
		t.Fatalf("the second signer's order: %+v", o)
	}
	h.press(second, "sign")
	wantUpdate(t, h.refresh(session1), signing.StatusCompleted, "signer 2: complete")

	signed, err := h.p.FetchDocument(context.Background(), signing.ProviderRef{Ref: session1})
	if err != nil {
		t.Fatal(err)
	}
	att := attachments(t, signed)
	for _, name := range []string{"bankid-signature-1.xml", "bankid-signature-2.xml", "bankid-ocsp-response-1.der", "bankid-ocsp-response-2.der"} {
		if len(att[name]) == 0 {
			t.Errorf("no %s among %d attachments", name, len(att))
		}
	}
}

// TestParallelSigners: every signer's own order when they open their
// page; a decline by one fails the session with their reason.
func TestParallelSigners(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, signing.Parallel, pnr, otherPNR, "198112189876")
	for _, s := range in.Signers {
		h.Page(s.URL)
	}
	refs := map[string]bool{}
	for i := range in.Signers {
		refs[h.order(session1, i)] = true
	}
	if len(refs) != 3 || refs[""] {
		t.Fatalf("orders %v: want one per signer", refs)
	}
	h.press(in.Signers[2].URL, "sign")
	h.press(in.Signers[0].URL, "sign")
	u := h.refresh(session1)
	if u.Status != signing.StatusInProgress || len(u.Signers) != 2 || !strings.Contains(u.ProviderStatus, "signer 2: pending/outstandingTransaction") {
		t.Fatalf("two of three signed: %+v", u)
	}
	var evidence []json.RawMessage
	if err := json.Unmarshal(u.Evidence, &evidence); err != nil || len(evidence) != 2 {
		t.Errorf("the update's evidence: %s", u.Evidence)
	}
	h.press(in.Signers[1].URL, "decline")
	u = h.refresh(session1)
	if u.Status != signing.StatusFailed || u.Reason != "The signer declined to sign in the BankID app" ||
		len(u.Signers) != 1 || u.Signers[0].Index != 1 || u.Signers[0].Status != signing.SignerFailed {
		t.Fatalf("a decline: %+v", u)
	}
}

// TestCancelWithdrawsEveryOrder: Cancel cancels each signer's running
// order; BankID then forgets them.
func TestCancelWithdrawsEveryOrder(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, signing.Parallel, pnr, otherPNR)
	h.Page(in.Signers[0].URL)
	h.Page(in.Signers[1].URL)
	refs := []string{h.order(session1, 0), h.order(session1, 1)}
	if err := h.p.Cancel(context.Background(), signing.ProviderRef{Ref: session1}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		if _, ok := h.sim.Order(ref); ok {
			t.Errorf("order %s still at BankID", ref)
		}
		resp := h.Press(h.sim.AppURL(ref), "sign")
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("sign after cancel: %d, want 404", resp.StatusCode)
		}
	}
	// A cancelled session's page starts nothing.
	if page := h.Page(in.Signers[0].URL); !strings.Contains(page, "<h1>Cancelled</h1>") || len(h.sim.Orders()) != 0 {
		t.Errorf("the page of a cancelled session started an order")
	}
	// The same orders again (a retried withdrawal): BankID's "No such
	// order" is success.
	if err := h.adapter.Cancel(context.Background(), signing.ProviderRef{Ref: session1, State: mustState(t, h, refs)}); err != nil {
		t.Errorf("second Cancel: %v", err)
	}
}

// mustState is a state whose two signers have the orders refs.
func mustState(t *testing.T, h *harness, refs []string) json.RawMessage {
	t.Helper()
	st, err := bankid.ParseState(h.p.Session(session1).ProviderState, session1)
	if err != nil {
		t.Fatal(err)
	}
	for i, ref := range refs {
		st.Signers[i].Order = &bankid.Order{OrderRef: ref, QRStartToken: "x", QRStartSecret: "y"}
	}
	b, _ := json.Marshal(st)
	return b
}

func TestDecline(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	resp := h.press(in.RedirectURL, "decline")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != in.RedirectURL {
		t.Fatalf("decline: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	u := h.refresh(session1)
	wantUpdate(t, u, signing.StatusFailed, "failed/userCancel")
	if u.Reason != "The signer declined to sign in the BankID app" || u.Evidence != nil {
		t.Errorf("reason %q", u.Reason)
	}
	_, err := h.p.FetchDocument(context.Background(), signing.ProviderRef{Ref: session1})
	providerError(t, err, "document", false)
}

func TestHintCodes(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	if err := h.sim.SetHint(h.order(session1, 0), "futureHintCode"); err != nil {
		t.Fatal(err)
	}
	wantUpdate(t, h.refresh(session1), signing.StatusPending, "pending/futureHintCode")
	if err := h.sim.FailOrder(h.order(session1, 0), "certificateErr"); err != nil {
		t.Fatal(err)
	}
	u := h.refresh(session1)
	wantUpdate(t, u, signing.StatusFailed, "failed/certificateErr")
	if !strings.Contains(u.Reason, "BankID is blocked") {
		t.Errorf("reason %q", u.Reason)
	}

	in = h.initiate(session2, "", otherPNR)
	h.Page(in.RedirectURL)
	if err := h.sim.FailOrder(h.order(session2, 0), "somethingNew"); err != nil {
		t.Fatal(err)
	}
	u = h.refresh(session2)
	wantUpdate(t, u, signing.StatusFailed, "failed/somethingNew")
	if u.Reason != "BankID reported the signing failed (somethingNew)" {
		t.Errorf("reason %q", u.Reason)
	}
}

func TestStartErrors(t *testing.T) {
	h := newHarness(t, func(c *bankid.Config) { c.Timeout = 200 * time.Millisecond })
	in := h.initiate(session1, "", pnr)
	ctx := context.Background()
	// BankID down: the page retries by itself after a moment.
	h.sim.FailNext(sim.OpSign, 503)
	if _, err := h.p.StartSigner(ctx, h.p.Session(session1), 0, true); !signing.IsRetryable(err) {
		t.Fatalf("start during an outage: %v", err)
	}
	if q := h.poll(in.RedirectURL); q.Phase != "starting" || h.order(session1, 0) != "" {
		t.Errorf("retried at once: %+v", q)
	}
	h.Clock.Add(5 * time.Second)
	if q := h.poll(in.RedirectURL); q.Phase != "order" {
		t.Errorf("not retried after 5 s: %+v", q)
	}
	// A refusal waits for the signer.
	h2 := newHarness(t)
	in = h2.initiate(session2, "", pnr)
	h2.sim.FailNextWith(sim.OpSign, 400, "invalidParameters", "Invalid endUserIp")
	page := h2.Page(in.RedirectURL)
	if !strings.Contains(page, "BankID could not start the signing.") || !strings.Contains(page, "Invalid endUserIp") {
		t.Errorf("a refused start:\n%s", page)
	}
	if q := h2.poll(in.RedirectURL); q.Phase != "refused" {
		t.Errorf("after a refusal: %+v", q)
	}
}

func TestProviderErrors(t *testing.T) {
	h := newHarness(t, func(c *bankid.Config) { c.Timeout = 200 * time.Millisecond })
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	ref := signing.ProviderRef{Ref: session1}
	h.sim.FailNextWith(sim.OpCollect, 400, "invalidParameters", "Invalid orderRef")
	_, err := h.p.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", false); pe.Message != "Invalid orderRef" || errors.Is(err, signing.ErrNotFound) {
		t.Errorf("400: %+v", pe)
	}
	h.sim.FailNextWith(sim.OpCollect, 500, "requestTimeout", "")
	_, err = h.p.Refresh(context.Background(), ref)
	providerError(t, err, "refresh", true)
	h.sim.ThrottleNext(sim.OpCollect, 30*time.Second)
	_, err = h.p.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", true); pe.StatusCode != 429 || pe.RetryAfter != 30*time.Second {
		t.Errorf("throttled: %+v", pe)
	}
	h.sim.DelayNext(sim.OpCollect, 3*time.Second)
	start := time.Now()
	_, err = h.p.Refresh(context.Background(), ref)
	if pe := providerError(t, err, "refresh", true); pe.Message != "BankID did not answer in time" || time.Since(start) > 2*time.Second {
		t.Errorf("timeout: %+v after %v", pe, time.Since(start))
	}
	h.sim.FailNext(sim.OpCancel, 503)
	providerError(t, h.adapter.Cancel(context.Background(), signing.ProviderRef{Ref: session1, State: h.p.Session(session1).ProviderState}), "cancel", true)
	wantUpdate(t, h.refresh(session1), signing.StatusPending, "pending/outstandingTransaction") // the faults are used up
}

func decodeStd(s string) ([]byte, error) { return base64.StdEncoding.DecodeString(s) }

func TestInvalidSignerDetails(t *testing.T) {
	h := newHarness(t)
	for _, sd := range []string{`{}`, `{"identity":199001011239}`, `{"identity":"199001011238"}`, `{"identity":"` + pnr + `","endUserIp":"nope"}`, `[]`} {
		req := h.request("x", "", pnr)
		req.Signers[0].Details = json.RawMessage(sd)
		_, err := h.adapter.Initiate(context.Background(), req)
		var ve *signing.ValidationError
		if !errors.As(err, &ve) || !errors.Is(err, signing.ErrInvalid) {
			t.Errorf("%s: %v, want a ValidationError", sd, err)
			continue
		}
		if !strings.HasPrefix(ve.Errors[0].Field, "signerDetails") {
			t.Errorf("%s: field %q", sd, ve.Errors[0].Field)
		}
	}
	// With several signers the field names the signer.
	req := h.request("x", signing.Parallel, pnr, "199001011238")
	_, err := h.adapter.Initiate(context.Background(), req)
	var ve *signing.ValidationError
	if !errors.As(err, &ve) || ve.Errors[0].Field != "signers[1].signerDetails.identity" {
		t.Errorf("second signer invalid: %v", err)
	}
	// endUserIp is sent with the signer's orders.
	req = h.request(session1, "", pnr)
	req.Signers[0].Details = json.RawMessage(`{"identity":"` + pnr + `","endUserIp":"203.0.113.7"}`)
	in, err := h.p.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	h.Page(in.RedirectURL)
	if o, _ := h.sim.Order(h.order(session1, 0)); o.EndUserIP != "203.0.113.7" {
		t.Errorf("endUserIp %q", o.EndUserIP)
	}
}

func TestSwedishText(t *testing.T) {
	h := newHarness(t)
	req := h.request(session1, "", pnr)
	req.Language = "sv"
	req.Document.Filename = "avtal *viktigt*.pdf"
	in, err := h.p.Initiate(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	h.Page(in.RedirectURL)
	o, _ := h.sim.Order(h.order(session1, 0))
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

// TestSignatureMustCoverTheDocument: a completion for another text than
// Signet sent fails the signer; a stored original that lost the hash the
// signer approved yields no signed document.
func TestSignatureMustCoverTheDocument(t *testing.T) {
	h := newHarness(t)
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	h.press(in.RedirectURL, "sign")
	sess := h.p.Session(session1)
	var st map[string]any
	_ = json.Unmarshal(sess.ProviderState, &st)
	st["userVisibleData"] = "b3RoZXIgdGV4dA=="
	other, _ := json.Marshal(st)
	u, err := h.adapter.Refresh(context.Background(), signing.ProviderRef{Ref: session1, State: other, Signers: sess.Signers})
	if err != nil || u.Status != signing.StatusFailed || !strings.Contains(u.Reason, "does not cover") {
		t.Errorf("another text: %+v, %v", u, err)
	}

	h.refresh(session1) // the completion, answered again from this process's memory
	tampered := signing.ProviderRef{Ref: session1, LoadOriginal: func(context.Context) (signing.Document, error) {
		return signing.Document{Filename: "loan.pdf", Content: pdf.Sample(2, "Another agreement")}, nil
	}}
	_, err = h.p.FetchDocument(context.Background(), tampered)
	if pe := providerError(t, err, "document", false); !strings.Contains(pe.Message, "SHA-256") {
		t.Errorf("tampered original: %+v", pe)
	}
	_, err = h.adapter.FetchDocument(context.Background(), signing.ProviderRef{Ref: session1, State: sess.ProviderState})
	providerError(t, err, "document", false) // no original, no signers
}

// TestLegacyState: a session made by an earlier release (its one order
// started with the session, its orderRef the session's reference) is
// still collected and drawn.
func TestLegacyState(t *testing.T) {
	h := newHarness(t)
	st, err := h.adapter.Initiate(context.Background(), h.request(session1, "", pnr))
	if err != nil {
		t.Fatal(err)
	}
	cur, _ := bankid.ParseState(st.State, st.Ref)
	started, err := h.adapter.Start(context.Background(), signing.ProviderRef{SessionID: session1, Ref: st.Ref, State: st.State}, 0)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := started.Record(st.State, h.Clock.Now())
	now, _ := bankid.ParseState(raw, st.Ref)
	o := now.Signers[0].Order
	legacy, _ := json.Marshal(map[string]any{
		"autoStartToken": o.AutoStartToken, "qrStartToken": o.QRStartToken, "qrStartSecret": o.QRStartSecret,
		"startedAt": o.StartedAt, "pageToken": cur.Signers[0].PageToken, "documentSha256": cur.DocumentSHA256,
		"userVisibleData": cur.UserVisibleData, "personalNumber": pnr,
	})
	back, err := bankid.ParseState(legacy, o.OrderRef)
	if err != nil || len(back.Signers) != 1 || back.Signers[0].Order.OrderRef != o.OrderRef || back.Signer(cur.Signers[0].PageToken) != 0 {
		t.Fatalf("legacy state read as %+v, %v", back, err)
	}
	if err := h.sim.Sign(o.OrderRef, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	u, err := h.adapter.Refresh(context.Background(), signing.ProviderRef{Ref: o.OrderRef, State: legacy})
	if err != nil || u.Status != signing.StatusCompleted {
		t.Errorf("legacy refresh: %+v, %v", u, err)
	}
	for _, bad := range []string{`{}`, `{"signers":[{"personalNumber":"x"}]}`, `{"signers":[{"pageToken":"t","order":{"orderRef":"r"}}]}`, `[]`} {
		if _, err := bankid.ParseState(json.RawMessage(bad), "r"); err == nil {
			t.Errorf("state %s accepted", bad)
		}
	}
}

// Mutual TLS: the handshake is the relying party's only credential.

// startWith starts a signer's order through an adapter of its own.
func (h *harness) startWith(a *bankid.Adapter) error {
	h.T.Helper()
	in, err := a.Initiate(context.Background(), h.request("x", "", pnr))
	if err != nil {
		h.T.Fatal(err)
	}
	_, err = a.Start(context.Background(), signing.ProviderRef{SessionID: "x", Ref: in.Ref, State: in.State}, 0)
	return err
}

func TestClientWithoutCertificateFailsHandshake(t *testing.T) {
	h := newHarness(t)
	noCert := &tls.Config{RootCAs: h.pki.ClientTLS.RootCAs, MinVersion: tls.VersionTLS12}
	if pe := providerError(t, h.startWith(h.otherAdapter(noCert)), "initiate", true); !strings.Contains(pe.Message, "TLS handshake") {
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
	if pe := providerError(t, h.startWith(h.otherAdapter(cfg)), "initiate", true); !strings.Contains(pe.Message, "TLS handshake") {
		t.Errorf("client from another CA: %+v", pe)
	}
}

func TestUntrustedServerIsRefused(t *testing.T) {
	h := newHarness(t)
	cfg := h.pki.ClientTLS.Clone()
	cfg.RootCAs = nil // the system's roots do not know the sandbox CA
	if pe := providerError(t, h.startWith(h.otherAdapter(cfg)), "initiate", true); !strings.Contains(pe.Message, "server certificate is not trusted") {
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
	if pe := providerError(t, h.startWith(h.otherAdapter(cfg)), "initiate", false); pe.StatusCode != 401 || pe.Message != "RP does not have access to the service" {
		t.Errorf("unknown RP: %+v", pe)
	}
}

// otherAdapter is an adapter to h's simulator with a TLS configuration of
// its own. A TLS configuration without a client certificate is refused by
// New, so it comes in an HTTPClient.
func (h *harness) otherAdapter(cfg *tls.Config) *bankid.Adapter {
	h.T.Helper()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: cfg}}
	h.T.Cleanup(client.CloseIdleConnections)
	a, err := bankid.New(bankid.Config{BaseURL: h.api.URL + sim.APIPath, PublicURL: h.Srv.URL, HTTPClient: client, Timeout: 2 * time.Second})
	if err != nil {
		h.T.Fatal(err)
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
	in := h.initiate(session1, "", pnr)
	h.Page(in.RedirectURL)
	h.Clock.Add(4 * time.Second)
	q := h.poll(in.RedirectURL)
	if q.T != 4 {
		t.Errorf("t = %d, want 4", q.T)
	}
	// The simulated app checks the code with its own HMAC.
	resp, err := h.Browser.PostForm(h.Srv.URL+"/sandbox/bankid/app/scan", url.Values{"qr": {q.QRData}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ref := h.order(session1, 0)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != h.sim.AppURL(ref) {
		t.Fatalf("scan: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	wantUpdate(t, h.refresh(session1), signing.StatusInProgress, "pending/started")
	// Picked up, the order outlives the 30 s start window.
	h.Clock.Add(time.Minute)
	wantUpdate(t, h.refresh(session1), signing.StatusInProgress, "pending/userSign")
}
