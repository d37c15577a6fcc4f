package main

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/signing"
)

// TestDigioTwoSignersInOrder: two Digio (Aadhaar eSign) signers, the
// second only after the first signed, each on their own signer link. The
// signed document holds one valid eSign signature per signer, by a
// certificate naming them, and the audit certificate says how Digio's
// Aadhaar eKYC identified each, the Aadhaar number masked but for its
// last four digits.
func TestDigioTwoSignersInOrder(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := map[string]any{
		"orderId": "digio-two", "provider": "digio", "signingOrder": "sequential",
		"signers": []any{map[string]any{"signerDetails": map[string]any{"name": "Asha Verma", "identifier": "asha.verma@example.com"}},
			map[string]any{"signerDetails": map[string]any{"name": "Vikram Shah", "identifier": "9876543210"}}},
		"document": map[string]any{"filename": "c.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id, signers := str(s["signingSessionId"]), s["signers"].([]any)
	second := str(signers[1].(map[string]any)["redirectUrl"])
	if r := h.do("GET", strings.TrimPrefix(second, h.base), "", nil); r.status != 200 || !strings.Contains(string(r.body), "turn") {
		t.Fatalf("the second signer's link before their turn: %d", r.status)
	}
	h.signAtProvider(str(signers[0].(map[string]any)["redirectUrl"]), "sign")
	h.waitSigner(id, 1, "PENDING") // the second signer's turn came
	if got := h.get(id); got["status"] != "IN_PROGRESS" || got["signers"].([]any)[0].(map[string]any)["status"] != "SIGNED" {
		t.Errorf("after the first signed: %v", got)
	}
	h.signAtProvider(second, "sign")
	h.waitStatus(id, "COMPLETED")

	v := h.expect(h.do("GET", "/signing/"+id+"/verification", h.key, nil), 200).json(t)
	sigs := v["signatures"].([]any)
	if len(sigs) != 2 {
		t.Fatalf("verification: %v", v)
	}
	for i, want := range []string{"Asha Verma", "Vikram Shah"} {
		if sg := sigs[i].(map[string]any); sg["signerName"] != want || sg["valid"] != true ||
			!strings.Contains(str(sg["certificateIssuer"]), "Aadhaar eSign CA") {
			t.Errorf("signature %d: %v", i, sg)
		}
	}
	signed := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	if out, ok := pdfTool(t, signed, "pdfsig"); ok && strings.Count(out, "Signature is Valid.") != 2 {
		t.Errorf("pdfsig on the signed document:\n%s", out)
	}
	cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
	checkCertificate(t, cert, id, "digio-two", signing.SHA256Hex(signed))
	if text, ok := pdfWords(t, cert); ok {
		for _, want := range []string{"Aadhaar eSign (OTP) via Digio", "Asha Verma", "Vikram Shah", "XXXX XXXX"} {
			if !strings.Contains(text, want) {
				t.Errorf("the certificate lacks %q", want)
			}
		}
	}
}
