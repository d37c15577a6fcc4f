package main

import (
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// TestLeegalityTwoSignersInOrder is CONTRACT.md §7–§8 through Leegality's
// sandbox: two invitees sign in turn on their own links, the signed
// document holds an Aadhaar eSign signature naming each, and the audit
// certificate says how Leegality identified them and attaches its audit
// trail.
func TestLeegalityTwoSignersInOrder(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := map[string]any{
		"orderId": "leegality-two", "provider": "leegality", "signingOrder": "sequential",
		"signers": []any{map[string]any{"signerDetails": map[string]any{"name": "Asha Verma", "email": "asha@example.com"}},
			map[string]any{"signerDetails": map[string]any{"name": "Ravi Kumar", "phone": "9123456780"}}},
		"document":  map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl": "https://app.example.com/done",
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id, signers := str(s["signingSessionId"]), s["signers"].([]any)
	first, second := str(signers[0].(map[string]any)["redirectUrl"]), str(signers[1].(map[string]any)["redirectUrl"])
	if first == second || !strings.HasPrefix(second, h.base+"/s/") {
		t.Fatalf("signer links %q, %q", first, second)
	}
	h.signAtProvider(first, "sign")
	deadline := time.Now().Add(20 * time.Second)
	for h.get(id)["signers"].([]any)[0].(map[string]any)["status"] != "SIGNED" {
		if time.Now().After(deadline) {
			t.Fatalf("the first signature was never seen: %v", h.get(id))
		}
		h.do("POST", "/signing/"+id+"/refresh", h.key, nil)
		time.Sleep(50 * time.Millisecond)
	}
	if got := h.get(id); got["status"] != "IN_PROGRESS" || got["signers"].([]any)[1].(map[string]any)["status"] != "PENDING" {
		t.Fatalf("after the first signature: %v", got)
	}
	h.signAtProvider(second, "sign")
	h.waitStatus(id, "COMPLETED")

	signed := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	sigs, err := pdf.Verify(signed)
	if err != nil || len(sigs) != 2 || !sigs[0].Valid || !sigs[1].Valid || sigs[0].SignerName != "Asha Verma" || sigs[1].SignerName != "Ravi Kumar" {
		t.Fatalf("signed document: %+v, %v", sigs, err)
	}
	if out, ok := pdfTool(t, signed, "pdfsig"); ok && strings.Count(out, "Signature is Valid.") != 2 {
		t.Errorf("pdfsig on the signed document:\n%s", out)
	}
	cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
	checkCertificate(t, cert, id, "leegality-two", signing.SHA256Hex(signed))
	if text, ok := pdfWords(t, cert); ok {
		for _, want := range []string{"Aadhaar eSign via Leegality", "Asha Verma", "Ravi Kumar", "Leegality audit trail"} {
			if !strings.Contains(text, want) {
				t.Errorf("the certificate lacks %q", want)
			}
		}
	}
}
