package digio_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/provider/digio/sim"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// signersRequest is the harness's request with the given signers
// (name, identifier) in order.
func (h *harness) signersRequest(order signing.SigningOrder, people ...[2]string) signing.InitiateRequest {
	req := h.request()
	for i, p := range people {
		d, _ := json.Marshal(map[string]string{"name": p[0], "identifier": p[1]})
		req.Signers = append(req.Signers, signing.SignerRequest{ID: fmt.Sprintf("sgn_%d", i), Details: d})
	}
	req.SignerDetails, req.SigningOrder = req.Signers[0].Details, order
	return req
}

// startSigners initiates req and returns the answer and the reference
// as Signet keeps it, with the signers' statuses at the start.
func (h *harness) startSigners(req signing.InitiateRequest) (signing.Initiated, signing.ProviderRef) {
	h.T.Helper()
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil {
		h.T.Fatalf("Initiate: %v", err)
	}
	if len(in.Signers) != len(req.Signers) {
		h.T.Fatalf("%d signers initiated, want %d: %+v", len(in.Signers), len(req.Signers), in.Signers)
	}
	ref := signing.ProviderRef{SessionID: req.SessionID, Ref: in.Ref, State: in.State, SigningOrder: req.SigningOrder}
	for i, s := range req.Signers {
		ref.Signers = append(ref.Signers, signing.Signer{ID: s.ID, Details: s.Details, Status: signing.SignerPending,
			ProviderRef: in.Signers[i].Ref, ProviderURL: in.Signers[i].URL})
	}
	return in, ref
}

// pressOK submits a signer's page with action, which must succeed (Digio
// then sends the signer to the returnUrl).
func (h *harness) pressOK(link, action string) {
	h.T.Helper()
	if resp := h.Press(link, action); resp.StatusCode != http.StatusSeeOther {
		h.T.Fatalf("%s: %d, want 303 to the returnUrl", action, resp.StatusCode)
	}
}

// signerStatuses is the update's signers as "index:STATUS" words, in order.
func signerStatuses(u signing.Update) string {
	var out []string
	for _, s := range u.Signers {
		out = append(out, fmt.Sprintf("%d:%s", s.Index, s.Status))
	}
	return strings.Join(out, " ")
}

// TestSequentialSigners: three signers in order, each on their own
// gateway link; Digio lets each sign only in turn; every refresh says
// where each stands; the completed document holds one valid signature
// per signer, and the evidence what Digio's Aadhaar eKYC said of each.
func TestSequentialSigners(t *testing.T) {
	h := newHarness(t)
	people := [][2]string{{"Asha Verma", "asha.verma@example.com"}, {"Vikram Shah", "9876543210"}, {"Meera Iyer", "meera@example.com"}}
	in, ref := h.startSigners(h.signersRequest(signing.Sequential, people...))

	h.mu.Lock()
	up := h.uploads[0]
	h.mu.Unlock()
	if up["sequential"] != true || len(up["signers"].([]any)) != 3 {
		t.Fatalf("upload body %v", up)
	}
	for i, s := range up["signers"].([]any) {
		if m := s.(map[string]any); m["name"] != people[i][0] || m["identifier"] != people[i][1] || m["sign_type"] != "aadhaar" {
			t.Errorf("upload signer %d: %v", i, m)
		}
	}
	for i, s := range in.Signers {
		if s.Ref != people[i][1] || !strings.Contains(s.URL, "/"+in.Ref+"/") || !strings.Contains(s.URL, "/"+people[i][1]+"?token_id=GWT") {
			t.Errorf("signer %d: %+v", i, s)
		}
	}
	if in.RedirectURL != in.Signers[0].URL {
		t.Errorf("RedirectURL %q is not the first signer's link", in.RedirectURL)
	}
	var st struct{ Identifiers []string }
	if json.Unmarshal(in.State, &st) != nil || len(st.Identifiers) != 3 || st.Identifiers[1] != "9876543210" {
		t.Errorf("State %s", in.State)
	}

	// Out of turn: Digio shows no form and refuses a signature.
	if page := h.Page(in.Signers[1].URL); strings.Contains(page, "<form") || !strings.Contains(page, "Asha Verma") {
		t.Errorf("second signer's page before the first signed:\n%s", page)
	}
	if resp := h.Press(in.Signers[1].URL, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("out-of-turn signature: %d", resp.StatusCode)
	}
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusPending, "")
	if len(u.Signers) != 0 {
		t.Errorf("signers before anyone acted: %s", signerStatuses(u))
	}

	h.Page(in.Signers[0].URL)
	if u := h.Refresh(ref); u.Status != signing.StatusInProgress || signerStatuses(u) != "0:IN_PROGRESS" {
		t.Errorf("after the first opened: %s %s", u.Status, signerStatuses(u))
	}
	for i := range people {
		h.pressOK(in.Signers[i].URL, "sign")
		u = h.Refresh(ref)
		ref.Signers[i].Status = signing.SignerSigned
		var ev map[string]string
		_ = json.Unmarshal(u.Signers[i].Evidence, &ev)
		if u.Signers[i].Status != signing.SignerSigned || ev["aadhaarName"] != people[i][0] || len(ev["aadhaarSuffix"]) != 4 || ev["documentId"] != in.Ref {
			t.Errorf("signer %d after signing: %+v, evidence %v", i, u.Signers[i], ev)
		}
		ref.Signers[i].Evidence = u.Signers[i].Evidence
		if i < len(people)-1 && (u.Status != signing.StatusInProgress || len(u.Signers) != i+1) {
			t.Errorf("after %d of 3 signed: %s, %s", i+1, u.Status, signerStatuses(u))
		}
	}
	if u.Status != signing.StatusCompleted || signerStatuses(u) != "0:SIGNED 1:SIGNED 2:SIGNED" {
		t.Errorf("after all signed: %s, %s", u.Status, signerStatuses(u))
	}
	signed, err := h.adapter.FetchDocument(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	simtest.WantESigned(t, signed, h.sim, sim.ESignProvider, people[0][0], people[1][0], people[2][0])

	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil || len(ev.Signers) != 3 || len(ev.Files) != 0 {
		t.Fatalf("Evidence: %+v, %v", ev, err)
	}
	for i, id := range ev.Signers {
		facts := map[string]string{}
		for _, f := range id.Facts {
			facts[f.Label] = f.Value
		}
		if id.Method != "Aadhaar eSign (OTP) via Digio" || facts["Name (as on Aadhaar)"] != people[i][0] ||
			!strings.HasPrefix(facts["Aadhaar number"], "XXXX XXXX ") || len(facts["Aadhaar number"]) != 14 ||
			facts["Postal code (Aadhaar)"] == "" || facts["Year of birth (Aadhaar)"] == "" || facts["Sign type (Digio)"] != "aadhaar" ||
			facts["Signed (Digio)"] != "2026-11-21 10:00:00 UTC" || facts["Digio document"] != in.Ref {
			t.Errorf("signer %d: %+v", i, id)
		}
		if g := facts["Gender (Aadhaar)"]; g != "Male" && g != "Female" {
			t.Errorf("signer %d: gender %q", i, g)
		}
	}
}

// TestParallelSignerDeclines: two signers in any order; the second
// declines before the first signed: the document fails with the
// decliner's words, reported for the decliner, and the first can no
// longer sign.
func TestParallelSignerDeclines(t *testing.T) {
	h := newHarness(t)
	in, ref := h.startSigners(h.signersRequest(signing.Parallel, [2]string{"Asha Verma", "asha.verma@example.com"}, [2]string{"Vikram Shah", "9876543210"}))
	h.mu.Lock()
	up := h.uploads[0]
	h.mu.Unlock()
	if up["sequential"] != false {
		t.Errorf("upload sequential = %v", up["sequential"])
	}
	h.pressOK(in.Signers[1].URL, "decline")
	cbs, _ := h.Received()
	if len(cbs) != 1 || cbs[0].Update == nil {
		t.Fatalf("callbacks %+v", cbs)
	}
	for _, u := range []signing.Update{*cbs[0].Update, h.Refresh(ref)} {
		wantUpdate(t, u, signing.StatusFailed, "Signer declined to sign")
		if len(u.Signers) != 1 || u.Signers[0].Index != 1 || u.Signers[0].Status != signing.SignerFailed || u.Signers[0].Reason != "Signer declined to sign" {
			t.Errorf("signers %+v", u.Signers)
		}
	}
	if resp := h.Press(in.Signers[0].URL, "sign"); resp.StatusCode != http.StatusConflict {
		t.Errorf("sign after the other declined: %d", resp.StatusCode)
	}
	// Nobody signed: no evidence to give.
	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil || len(ev.Signers) != 2 || ev.Signers[0].Method != "" || ev.Signers[1].Method != "" {
		t.Errorf("Evidence %+v, %v", ev, err)
	}
}

// TestSingleSignerUnchanged: one signer is uploaded and reported as
// before multi-signer support: no sequential flag, no per-signer answers.
func TestSingleSignerUnchanged(t *testing.T) {
	h := newHarness(t)
	req := h.request()
	req.Signers = []signing.SignerRequest{{ID: "sgn_0", Details: req.SignerDetails}}
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil || in.Signers != nil {
		t.Fatalf("Initiate: %+v, %v", in, err)
	}
	var st map[string]any
	if json.Unmarshal(in.State, &st) != nil || st["identifiers"] != nil {
		t.Errorf("State %s", in.State)
	}
	h.mu.Lock()
	up := h.uploads[0]
	h.mu.Unlock()
	if _, ok := up["sequential"]; ok || len(up["signers"].([]any)) != 1 {
		t.Errorf("upload body %v", up)
	}
	ref := signing.ProviderRef{SessionID: req.SessionID, Ref: in.Ref, State: in.State}
	h.pressOK(in.RedirectURL, "sign")
	u := h.Refresh(ref)
	wantUpdate(t, u, signing.StatusCompleted, "")
	if u.Signers != nil {
		t.Errorf("signers %+v", u.Signers)
	}
}

// TestEvidenceFromStore: when Digio cannot be asked, the evidence comes
// from what Signet stored when the signer signed; with nothing stored
// either, Evidence fails.
func TestEvidenceFromStore(t *testing.T) {
	h := newHarness(t)
	in, ref := h.Initiate()
	h.PressTo(in.RedirectURL, "sign", "https://client.example/return?order=1&digio_doc_id="+in.Ref+"&message=Document+Signed+Successfully%21&status=success")
	u := h.Refresh(ref)
	ref.Signers = []signing.Signer{{ID: "sgn_0", Status: signing.SignerSigned, Evidence: u.Evidence}}

	h.sim.FailNext(sim.OpDetails, http.StatusServiceUnavailable)
	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil || len(ev.Signers) != 1 || ev.Signers[0].Method != "Aadhaar eSign (OTP) via Digio" || len(ev.Signers[0].Facts) == 0 ||
		ev.Signers[0].Facts[0] != (signing.Fact{Label: "Name (as on Aadhaar)", Value: "Asha Verma"}) {
		t.Errorf("Evidence from the store: %+v, %v", ev, err)
	}

	ref.Signers[0].Evidence = nil
	h.sim.FailNext(sim.OpDetails, http.StatusServiceUnavailable)
	if _, err := h.adapter.Evidence(context.Background(), ref); err == nil {
		t.Error("Evidence without Digio or a store succeeded")
	}
	// Digio answering, nothing stored is fine.
	if ev, err := h.adapter.Evidence(context.Background(), ref); err != nil || ev.Signers[0].Facts[0].Value != "Asha Verma" {
		t.Errorf("Evidence from Digio: %+v, %v", ev, err)
	}
}
