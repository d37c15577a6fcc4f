package sim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

// twoSigners makes the upload one for two Aadhaar signers, in order when
// sequential.
func twoSigners(sequential bool) func(map[string]any) {
	return func(b map[string]any) {
		b["signers"] = []any{
			map[string]any{"identifier": "asha.verma@example.com", "name": "Asha Verma", "sign_type": "aadhaar", "reason": "Borrower"},
			map[string]any{"identifier": "9876543210", "name": "Vikram Shah", "sign_type": "aadhaar", "reason": "Guarantor"},
		}
		b["sequential"] = sequential
	}
}

func (e env) download(id string) []byte {
	e.T.Helper()
	status, _, raw := e.call(http.MethodGet, "/v2/client/document/download?document_id="+id, testClientID, testClientSecret, nil)
	if status != http.StatusOK {
		e.T.Fatalf("download: %d", status)
	}
	return raw
}

// TestSignedDocumentVerifies: each signer's signature is a real one by a
// certificate naming them, issued by the sandbox eSign CA; the second
// signs the first's signed file, so both stay valid.
func TestSignedDocumentVerifies(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(twoSigners(false))
	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	sigs, err := pdf.Verify(e.download(id))
	if err != nil || len(sigs) != 1 || !sigs[0].Valid || sigs[0].SignerName != "Asha Verma" {
		t.Fatalf("after the first signature: %+v %v", sigs, err)
	}
	e.Submit(e.link(id, "9876543210", tok, ""), "sign")
	signed := e.download(id)
	sigs = simtest.WantESigned(t, signed, e.Sim, ESignProvider, "Asha Verma", "Vikram Shah")
	if sigs[0].CoversWholeDocument {
		t.Error("the first signature covers the whole file, want the second's incremental update after it")
	}
	if info, err := pdf.Validate(signed); err != nil || info.Pages != 2 {
		t.Errorf("signed PDF: %+v %v", info, err)
	}
}

// TestSequentialOrder: in a sequential document the second signer can
// neither open, sign nor reject before the first signed; after, they can.
func TestSequentialOrder(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(twoSigners(true))
	second := e.link(id, "9876543210", tok, "")
	if status, _, page := e.get(second); status != http.StatusOK || strings.Contains(page, "<form") || !strings.Contains(page, "Not your turn") || !strings.Contains(page, "Asha Verma") {
		t.Errorf("second signer's page before the first signed: %d\n%s", status, page)
	}
	for _, action := range []string{"sign", "decline"} {
		if resp, page := e.Submit(second, action); resp.StatusCode != http.StatusConflict || !strings.Contains(page, "Not your turn") {
			t.Errorf("%s out of turn: %d", action, resp.StatusCode)
		}
	}
	d := e.details(id)
	if p := d["signing_parties"].([]any)[1].(map[string]any); p["status"] != "requested" || d["agreement_status"] != "requested" || len(e.Hooks.All()) != 0 {
		t.Fatalf("out-of-turn attempts changed the document: %v", d)
	}

	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	if status, _, page := e.get(second); status != http.StatusOK || !strings.Contains(page, "<form") {
		t.Errorf("second signer's page in turn: %d", status)
	}
	if resp, _ := e.Submit(second, "sign"); resp.StatusCode != http.StatusOK {
		t.Errorf("sign in turn: %d", resp.StatusCode)
	}
	if d := e.details(id); d["agreement_status"] != "completed" {
		t.Errorf("after both signed: %v", d["agreement_status"])
	}

	// Without "sequential" the second may sign first.
	id, tok = e.upload(twoSigners(false))
	if resp, _ := e.Submit(e.link(id, "9876543210", tok, ""), "sign"); resp.StatusCode != http.StatusOK {
		t.Errorf("parallel, second first: %d", resp.StatusCode)
	}
}

// TestAadhaarDetails: a signer who signed with Aadhaar is reported with
// their Aadhaar record in pki_signature_details, in details answers and
// webhooks; one who has not signed, or signed electronically, is not.
func TestAadhaarDetails(t *testing.T) {
	e := newEnv(t)
	id, tok := e.upload(func(b map[string]any) {
		b["signers"] = []any{
			map[string]any{"identifier": "asha.verma@example.com", "name": "Asha Verma", "sign_type": "aadhaar"},
			map[string]any{"identifier": "first@example.com", "name": "First", "sign_type": "electronic"},
			map[string]any{"identifier": "9876543210", "name": "Vikram Shah"},
		}
	})
	e.Submit(e.link(id, "asha.verma@example.com", tok, ""), "sign")
	e.Submit(e.link(id, "first@example.com", tok, ""), "sign")
	parties := e.details(id)["signing_parties"].([]any)
	pki, ok := parties[0].(map[string]any)["pki_signature_details"].(map[string]any)
	if !ok || pki["name"] != "Asha Verma" || len(pki["aadhaar_suffix"].(string)) != 4 || pki["postal_code"] == "" ||
		(pki["gender"] != "M" && pki["gender"] != "F") || len(pki["year_of_birth"].(string)) != 4 {
		t.Errorf("first signer's pki_signature_details: %v", parties[0])
	}
	for i := 1; i < 3; i++ {
		if _, ok := parties[i].(map[string]any)["pki_signature_details"]; ok {
			t.Errorf("signer %d has pki_signature_details: %v", i, parties[i])
		}
	}
	again := e.details(id)["signing_parties"].([]any)[0].(map[string]any)["pki_signature_details"].(map[string]any)
	if again["aadhaar_suffix"] != pki["aadhaar_suffix"] || again["year_of_birth"] != pki["year_of_birth"] {
		t.Errorf("the record changed: %v then %v", pki, again)
	}
	hooks := e.Hooks.All()
	doc := hooks[0].Body["payload"].(map[string]any)["document"].(map[string]any)
	if p := doc["signing_parties"].([]any)[0].(map[string]any); p["pki_signature_details"].(map[string]any)["name"] != "Asha Verma" {
		t.Errorf("webhook's signer %v", p)
	}
}
