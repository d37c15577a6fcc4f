package main

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/signet-dev/signet/internal/pdf"
)

// TestEvidenceLocal is CONTRACT.md §7 black-box for provider local: 409s
// while open; once COMPLETED, a sealed audit certificate that pdfsig
// finds valid over the whole file and that names the session, the order
// and both SHA-256 values, and a verification that agrees with pdfsig.
func TestEvidenceLocal(t *testing.T) {
	t.Parallel()
	h, mail := startLocal(t)
	s := h.expect(h.do("POST", "/signing", h.key, localBody("evidence-1", "Asha Rao|asha@example.com")), 201).json(t)
	id := str(s["signingSessionId"])
	for _, path := range []string{"/audit-certificate", "/verification"} {
		if r := h.do("GET", "/signing/"+id+path, h.key, nil); r.status != http.StatusConflict {
			t.Errorf("%s of an open session: %d, want 409", path, r.status)
		}
	}
	mail.srv.Wait(t.Context(), "asha@example.com") // the invitation
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	sg.sendCode()
	if status, _ := sg.post(url.Values{"action": {"sign"}, "code": {mail.code("asha@example.com")}, "signature": {"Asha Rao"}}); status != http.StatusSeeOther {
		t.Fatalf("signing: %d", status)
	}
	signed := h.expect(h.do("GET", "/signing/"+id+"/document", h.key, nil), 200).body
	signedSum := sha256.Sum256(signed)

	cert := h.expect(h.do("GET", "/signing/"+id+"/audit-certificate", h.key, nil), 200)
	if ct, cd := cert.header.Get("Content-Type"), cert.header.Get("Content-Disposition"); ct != "application/pdf" ||
		cd != `attachment; filename="audit-certificate-`+id+`.pdf"` {
		t.Errorf("certificate headers: %s; %s", ct, cd)
	}
	checkCertificate(t, cert.body, id, "evidence-1", hex.EncodeToString(signedSum[:]))

	v := h.expect(h.do("GET", "/signing/"+id+"/verification", h.key, nil), 200).json(t)
	if v["documentSha256"] != hex.EncodeToString(signedSum[:]) {
		t.Errorf("verification's documentSha256 %v, want the signed document's", v["documentSha256"])
	}
	sigs, _ := v["signatures"].([]any)
	if len(sigs) != 1 {
		t.Fatalf("verification found %d signatures, want Signet's seal: %v", len(sigs), v)
	}
	sig := sigs[0].(map[string]any)
	if sig["valid"] != true || sig["coversWholeDocument"] != true || sig["subFilter"] != "ETSI.CAdES.detached" || sig["timestamped"] != false {
		t.Errorf("the seal as verified: %v", sig)
	}
	// pdfsig agrees: the same signer and validity.
	if out, ok := pdfTool(t, signed, "pdfsig"); ok {
		if cn := pdfsigField(out, "Signer Certificate Common Name"); cn == "" || cn != sig["signerName"] {
			t.Errorf("pdfsig names %q, verification %q", cn, sig["signerName"])
		}
		if !strings.Contains(out, "Signature is Valid.") {
			t.Errorf("pdfsig does not find the seal valid, verification does:\n%s", out)
		}
	}
}

// TestEvidenceEndedSessions: a cancelled and a declined (FAILED) session
// have certificates that say how they ended; neither has a verification.
func TestEvidenceEndedSessions(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	cancelled := str(h.expect(h.do("POST", "/signing", h.key, localBody("evidence-cancel", "Bo Ek|bo@example.com")), 201).json(t)["signingSessionId"])
	h.expect(h.do("DELETE", "/signing/"+cancelled, h.key, nil), 200)

	s := h.expect(h.do("POST", "/signing", h.key, localBody("evidence-decline", "Cai|cai@example.com")), 201).json(t)
	declined := str(s["signingSessionId"])
	sg := newSigner(t)
	sg.open(str(s["redirectUrl"]))
	if status, _ := sg.post(url.Values{"action": {"decline"}, "reason": {"wrong amount"}}); status != http.StatusSeeOther {
		t.Fatalf("decline: %d", status)
	}
	for _, c := range []struct{ id, order, status, says string }{
		{cancelled, "evidence-cancel", "CANCELLED", "The session was cancelled; 0 of 1 signer signed."},
		{declined, "evidence-decline", "FAILED", "Cai declined to sign: wrong amount"},
	} {
		if got := h.get(c.id)["status"]; got != c.status {
			t.Fatalf("%s: %v, want %s", c.order, got, c.status)
		}
		cert := h.expect(h.do("GET", "/signing/"+c.id+"/audit-certificate", h.key, nil), 200).body
		checkCertificate(t, cert, c.id, c.order, "")
		if text, ok := pdfWords(t, cert); ok && !strings.Contains(text, c.says) {
			t.Errorf("%s's certificate does not say %q", c.order, c.says)
		}
		if r := h.do("GET", "/signing/"+c.id+"/verification", h.key, nil); r.status != http.StatusConflict {
			t.Errorf("verification of a %s session: %d, want 409", c.status, r.status)
		}
	}
	// Another tenant's key finds neither.
	other := h.apiKey("globex")
	if r := h.do("GET", "/signing/"+cancelled+"/audit-certificate", other, nil); r.status != http.StatusNotFound {
		t.Errorf("another tenant's certificate: %d, want 404", r.status)
	}
}

// checkCertificate checks an audit certificate: sealed by Signet over
// the whole file (in Go and by pdfsig), sound under qpdf, and naming the
// session, its order and the documents' digests (signedSum "" when the
// session did not complete).
func checkCertificate(t *testing.T, cert []byte, id, order, signedSum string) {
	t.Helper()
	sigs, err := pdf.Verify(cert)
	if err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument {
		t.Fatalf("the certificate's seal: %+v, %v", sigs, err)
	}
	if out, ok := pdfTool(t, cert, "pdfsig"); ok {
		for _, want := range []string{"Signature is Valid.", "Total document signed"} {
			if !strings.Contains(out, want) {
				t.Errorf("pdfsig on the certificate lacks %q:\n%s", want, out)
			}
		}
	}
	qpdfCheck(t, cert, "the audit certificate")
	text, ok := pdfWords(t, cert)
	if !ok {
		return
	}
	joined := strings.ReplaceAll(text, " ", "") // digests may wrap
	for _, want := range []string{id, order, hex.EncodeToString(contractSum[:])} {
		if !strings.Contains(joined, strings.ReplaceAll(want, " ", "")) {
			t.Errorf("the certificate's text lacks %q:\n%s", want, text)
		}
	}
	if signedSum != "" && !strings.Contains(joined, signedSum) {
		t.Errorf("the certificate lacks the signed document's SHA-256 %s", signedSum)
	}
}

var contractSum = sha256.Sum256(contractPDF)

// pdfsigField is the value of a "  - Name: value" line of pdfsig's report.
func pdfsigField(report, name string) string {
	m := regexp.MustCompile(`(?m)^\s*- ` + regexp.QuoteMeta(name) + `: (.*)$`).FindStringSubmatch(report)
	if m == nil {
		return ""
	}
	return strings.TrimSpace(m[1])
}
