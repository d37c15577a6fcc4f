package leegality_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/leegality/sim"
	"github.com/signet-dev/signet/internal/provider/simkit"
	"github.com/signet-dev/signet/internal/provider/simtest"
	"github.com/signet-dev/signet/internal/signing"
)

// startTwo starts a sequential session of two signers at the simulator
// and returns it as Signet keeps it.
func (h *harness) startTwo() signing.ProviderRef {
	h.T.Helper()
	req := h.request()
	second := json.RawMessage(`{"name":"Ravi Kumar","phone":"9123456780"}`)
	req.Signers = []signing.SignerRequest{{ID: "s-1", Details: req.SignerDetails}, {ID: "s-2", Details: second}}
	req.SigningOrder = signing.Sequential
	in, err := h.adapter.Initiate(context.Background(), req)
	if err != nil || len(in.Signers) != 2 {
		h.T.Fatalf("Initiate: %+v, %v", in, err)
	}
	ref := signing.ProviderRef{SessionID: req.SessionID, Ref: in.Ref, State: in.State, SigningOrder: signing.Sequential}
	for i, s := range in.Signers {
		ref.Signers = append(ref.Signers, signing.Signer{ID: req.Signers[i].ID, Details: req.Signers[i].Details,
			Status: signing.SignerPending, ProviderRef: s.Ref, ProviderURL: s.URL})
	}
	ref.Signers[1].Status = signing.SignerWaiting
	return ref
}

// apply records an update's signer news in ref, as Signet does.
func apply(ref *signing.ProviderRef, u signing.Update) {
	for _, su := range u.Signers {
		sg := &ref.Signers[su.Index]
		if sg.Status.Terminal() {
			continue
		}
		sg.Status, sg.FailureReason = su.Status, su.Reason
		if su.Evidence != nil {
			sg.Evidence = su.Evidence
		}
	}
}

// TestTwoSignersSequential runs a sequential session of two signers
// against the simulator: the second cannot sign first, each signature is
// reported on its own, the session completes with both, and the evidence
// says how each was identified.
func TestTwoSignersSequential(t *testing.T) {
	h := newHarness(t)
	ref := h.startTwo()
	first, second := ref.Signers[0].ProviderURL, ref.Signers[1].ProviderURL

	if resp := h.Press(second, "sign"); resp.StatusCode != http.StatusConflict {
		t.Fatalf("second signer out of turn: %d", resp.StatusCode)
	}
	u := h.Refresh(ref)
	if u.Status != signing.StatusPending || len(u.Signers) != 0 {
		t.Fatalf("after a refused signature: %+v", u)
	}

	h.PressTo(first, "sign", "https://client.example/return")
	u = h.Refresh(ref)
	if u.Status != signing.StatusInProgress || len(u.Signers) != 1 || u.Signers[0].Index != 0 || u.Signers[0].Status != signing.SignerSigned {
		t.Fatalf("after the first: %+v", u)
	}
	apply(&ref, u)

	h.Clock.Add(2 * time.Minute)
	h.Open(second)
	if u = h.Refresh(ref); u.Status != signing.StatusInProgress || len(u.Signers) != 2 || u.Signers[1].Status != signing.SignerInProgress {
		t.Fatalf("second opened: %+v", u)
	}
	h.PressTo(second, "sign", "https://client.example/return")
	u = h.Refresh(ref)
	if u.Status != signing.StatusCompleted || len(u.Signers) != 2 || u.Signers[1].Status != signing.SignerSigned {
		t.Fatalf("after both: %+v", u)
	}
	apply(&ref, u)
	signed, err := h.adapter.FetchDocument(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	simtest.WantESigned(t, signed, h.sim, sim.ESignProvider, "Asha Verma", "Ravi Kumar")

	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signers) != 2 {
		t.Fatalf("evidence signers %+v", ev.Signers)
	}
	for i, want := range []struct{ name, signedAt string }{
		{"Asha Verma", "2026-11-21 10:00:00 UTC (21-11-2026 15:30:00 IST)"},
		{"Ravi Kumar", "2026-11-21 10:02:00 UTC (21-11-2026 15:32:00 IST)"},
	} {
		id := ev.Signers[i]
		f := simtest.Facts(id)
		if id.Method != "Aadhaar eSign via Leegality" || f["Leegality document"] != ref.Ref || f["Signed at Leegality"] != want.signedAt ||
			f["Name on the eSign certificate"] != want.name || f["State on the eSign certificate"] == "" ||
			f["eSign certificate issued by"] != simkit.ESignCAName || f["Aadhaar eSign signature"] != "valid" {
			t.Errorf("signer %d: %s %+v", i, id.Method, id.Facts)
		}
		for _, v := range f {
			if strings.Contains(v, "9876543210") || strings.Contains(v, "9123456780") || strings.Contains(v, "@") {
				t.Errorf("signer %d evidence keeps a contact: %v", i, f)
			}
		}
	}
	if len(ev.Files) != 1 {
		t.Fatalf("files %+v", ev.Files)
	}
	trail := ev.Files[0]
	if trail.Missing != "" || trail.ContentType != "application/pdf" || !bytes.HasPrefix(trail.Content, []byte("%PDF-")) ||
		bytes.Equal(trail.Content, signed) || trail.FileName == "" || trail.Name == "" {
		t.Errorf("audit trail %+v (%d bytes)", trail, len(trail.Content))
	}
}

// TestTwoSignersSecondRejects: a rejection by the second signer fails the
// session with their words; the evidence holds the first signer's
// invitation only, and no audit trail (Leegality has none of a document
// not completed).
func TestTwoSignersSecondRejects(t *testing.T) {
	h := newHarness(t)
	ref := h.startTwo()
	h.PressTo(ref.Signers[0].ProviderURL, "sign", "https://client.example/return")
	apply(&ref, h.Refresh(ref))
	h.PressTo(ref.Signers[1].ProviderURL, "decline", "https://client.example/return")
	u := h.Refresh(ref)
	if u.Status != signing.StatusFailed || u.Reason == "" || len(u.Signers) != 2 || u.Signers[1].Status != signing.SignerFailed ||
		u.Signers[1].Reason != u.Reason {
		t.Fatalf("after the rejection: %+v", u)
	}
	apply(&ref, u)
	ref.Session = &signing.Session{Status: signing.StatusFailed}
	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Signers) != 2 || len(ev.Files) != 0 || ev.Signers[1].Method != "" || len(ev.Signers[1].Facts) != 0 {
		t.Fatalf("evidence %+v", ev)
	}
	f := simtest.Facts(ev.Signers[0])
	if f["Leegality document"] != ref.Ref || f["Signed at Leegality"] == "" || f["Name on the eSign certificate"] != "" {
		t.Errorf("first signer's evidence %+v", ev.Signers[0])
	}
}

// TestEvidenceWithoutAuditTrail: when Leegality will not hand the audit
// trail over, the certificate says so in its place.
func TestEvidenceWithoutAuditTrail(t *testing.T) {
	h := newHarness(t)
	ref := h.startTwo()
	for i := range ref.Signers {
		h.PressTo(ref.Signers[i].ProviderURL, "sign", "https://client.example/return")
		apply(&ref, h.Refresh(ref))
	}
	// Both fetches fail: the signed document's, then the audit trail's.
	h.sim.FailNext(sim.OpFetch, http.StatusServiceUnavailable)
	h.sim.FailNext(sim.OpFetch, http.StatusServiceUnavailable)
	ev, err := h.adapter.Evidence(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Files) != 1 || ev.Files[0].Missing == "" || ev.Files[0].Content != nil {
		t.Errorf("files %+v", ev.Files)
	}
	// Without the signed document, the invitation's facts remain.
	if f := simtest.Facts(ev.Signers[1]); f["Leegality document"] != ref.Ref || f["Name on the eSign certificate"] != "" {
		t.Errorf("second signer's evidence %+v", ev.Signers[1])
	}
}
