package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// TestSignzyTwoSigners is CONTRACT.md §7–§8 black-box for Signzy's
// sandbox: two signers in parallel, each through their own signer link to
// their own Signzy page; the signed PDF holds one valid eSign signature
// per signer, naming them (for pdfsig too); the audit certificate
// describes both as Aadhaar eSign and carries Signzy's own certificate.
func TestSignzyTwoSigners(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := map[string]any{
		"orderId": "signzy-two", "provider": "signzy", "signingOrder": "parallel",
		"signers": []any{
			map[string]any{"signerDetails": map[string]any{"name": "Asha Verma", "uidLastFourDigits": "1234"}},
			map[string]any{"signerDetails": map[string]any{"name": "Ravi Kumar"}},
		},
		"document":  map[string]any{"filename": "loan.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl": "https://app.example.com/done",
	}
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id := str(s["signingSessionId"])
	signers := s["signers"].([]any)
	if len(signers) != 2 {
		t.Fatalf("signers %v", signers)
	}
	links := []string{str(signers[0].(map[string]any)["redirectUrl"]), str(signers[1].(map[string]any)["redirectUrl"])}
	pages := []string{h.providerPage(links[0]), h.providerPage(links[1])}
	if pages[0] == pages[1] || !strings.HasPrefix(pages[1], h.base+"/sandbox/signzy/") {
		t.Fatalf("the signer links forward to %v, want a Signzy page each", pages)
	}

	h.signAtProvider(links[1], "sign")
	for deadline := 0; h.get(id)["signers"].([]any)[1].(map[string]any)["status"] != "SIGNED"; deadline++ {
		if deadline > 400 {
			t.Fatalf("the second signer's signature never reached the session: %v", h.get(id))
		}
		h.do("POST", "/signing/"+id+"/refresh", h.key, nil)
	}
	if got := h.get(id); got["status"] != "IN_PROGRESS" {
		t.Fatalf("after one of two: %v", got["status"])
	}
	h.signAtProvider(links[0], "sign")
	done := h.waitStatus(id, "COMPLETED")
	for i, sg := range done["signers"].([]any) {
		if sg.(map[string]any)["status"] != "SIGNED" {
			t.Errorf("signer %d: %v", i, sg)
		}
	}

	signed := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	v := h.expect(h.do("GET", "/signing/"+id+"/verification", h.key, nil), 200).json(t)
	sigs, _ := v["signatures"].([]any)
	if len(sigs) != 2 {
		t.Fatalf("verification found %d signatures, want one per signer: %v", len(sigs), v)
	}
	for i, name := range []string{"Ravi Kumar", "Asha Verma"} { // in the order they signed
		sig := sigs[i].(map[string]any)
		if sig["valid"] != true || sig["signerName"] != name || !strings.Contains(str(sig["certificateIssuer"]), "eSign") {
			t.Errorf("signature %d: %v, want a valid eSign signature by %s", i, sig, name)
		}
	}
	if out, ok := pdfTool(t, signed, "pdfsig"); ok {
		if n := strings.Count(out, "Signature is Valid."); n != 2 {
			t.Errorf("pdfsig finds %d valid signatures, want 2:\n%s", n, out)
		}
		for _, name := range []string{"Asha Verma", "Ravi Kumar"} {
			if !strings.Contains(out, name) {
				t.Errorf("pdfsig does not name %s:\n%s", name, out)
			}
		}
	}
	qpdfCheck(t, signed, "Signzy's signed contract")

	signedSum := sha256.Sum256(signed)
	cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
	checkCertificate(t, cert, id, "signzy-two", hex.EncodeToString(signedSum[:]))
	if text, ok := pdfWords(t, cert); ok {
		for _, want := range []string{"Aadhaar eSign (OTP) via Signzy", "ASHA VERMA", "XXXX XXXX 1234", "Signzy audit certificate"} {
			if !strings.Contains(text, want) {
				t.Errorf("the certificate does not say %q:\n%s", want, text)
			}
		}
		if strings.Contains(text, "Not available") {
			t.Errorf("the certificate misses some of Signzy's evidence:\n%s", text)
		}
	}
}
