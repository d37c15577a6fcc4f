package main

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/signing"
)

// TestBankIDPageOpenedLateStillSigns is issue 11's check: a BankID order
// must be picked up within 30 s of its start, so Signet starts it when
// the signer opens the page, not at POST /signing; a page opened a
// minute after the session was created still signs. The simulator runs
// on the server's clock.
func TestBankIDPageOpenedLateStillSigns(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.createAt("bankid", "bankid-late")
	id := str(s["signingSessionId"])
	h.clock.Advance(61 * time.Second)
	h.signAtProvider(str(s["redirectUrl"]), "sign")
	h.waitStatus(id, "COMPLETED")
	doc := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200)
	if info, err := pdf.Validate(doc.body); err != nil || info.Pages != 3 {
		t.Errorf("signed document: %+v, %v", info, err)
	}
	started := h.waitEvent(id, "provider.accepted")
	if d := str(started["detail"]); d == "" {
		t.Errorf("the trail does not say the session was accepted: %v", started)
	}
}

// TestBankIDTwoSignersInOrder: two BankID signers, one order each, the
// second only after the first signed.
func TestBankIDTwoSignersInOrder(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := map[string]any{
		"orderId": "bankid-two", "provider": "bankid", "signingOrder": "sequential",
		"signers": []any{map[string]any{"signerDetails": map[string]any{"identity": "199001011239"}},
			map[string]any{"signerDetails": map[string]any{"identity": "201212121212"}}},
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
	h.signAtProvider(second, "sign")
	h.waitStatus(id, "COMPLETED")

	// The audit certificate names each signer as BankID identified them,
	// masks their personal numbers but for the birth date, and carries
	// their signature XML and OCSP response.
	signed := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	// BankID signs data, not PDFs: the document Signet builds (original,
	// audit page, BankID's XML and OCSP attached) carries Signet's seal.
	if sigs, err := pdf.Verify(signed); err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument {
		t.Errorf("the signed document's seal: %+v, %v", sigs, err)
	}
	if out, ok := pdfTool(t, signed, "pdfsig"); ok && !strings.Contains(out, "Signature is Valid.") {
		t.Errorf("pdfsig on the signed document:\n%s", out)
	}
	qpdfCheck(t, signed, "the BankID document")
	cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200).body
	checkCertificate(t, cert, id, "bankid-two", signing.SHA256Hex(signed))
	for _, doc := range []struct {
		name string
		pdf  []byte
	}{{"certificate", cert}, {"signed document", signed}} {
		text, ok := pdfWords(t, doc.pdf)
		if !ok {
			break
		}
		for _, want := range []string{"19900101-****", "20121212-****"} {
			if !strings.Contains(text, want) {
				t.Errorf("the %s lacks %q", doc.name, want)
			}
		}
		if strings.Contains(text, "19900101-1239") || strings.Contains(text, "199001011239") || strings.Contains(text, "201212121212") {
			t.Errorf("the %s shows a whole personal number", doc.name)
		}
	}
	if out, ok := pdfTool(t, cert, "pdfdetach", "-list"); ok {
		for _, want := range []string{"bankid-signature-1.xml", "bankid-ocsp-response-1.der", "bankid-signature-2.xml", "bankid-ocsp-response-2.der"} {
			if !strings.Contains(out, want) {
				t.Errorf("the certificate does not attach %s:\n%s", want, out)
			}
		}
	}
}

// TestBankIDLiveNeedsCA: without --bankid-ca Signet refuses to start, and
// says what to do: the system roots never validate BankID's server.
func TestBankIDLiveNeedsCA(t *testing.T) {
	t.Parallel()
	m, err := NewMain([]string{"--addr", "127.0.0.1:0", "--database", testDatabase(t), "--log-level", "error",
		"--bankid-cert", "rp.crt", "--bankid-key", "rp.key"}, func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	err = m.Open(context.Background())
	if err == nil || !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "--bankid-ca is required") || !strings.Contains(err.Error(), "BankID's own root CA") {
		t.Fatalf("Open without --bankid-ca: %v", err)
	}
}
