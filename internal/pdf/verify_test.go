package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	dpdf "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	pdfsignverify "github.com/digitorus/pdfsign/verify"

	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/pki/pkitest"
)

// TestVerifyForeign verifies a PDF Signet did not sign: digitorus/pdfsign
// with a self-signed RSA certificate and adbe.pkcs7.detached.
func TestVerifyForeign(t *testing.T) {
	b := pdfsignSigned(t, Sample(1, "Signed elsewhere"), sign.ApprovalSignature)
	s := mustVerify(t, b, 1)[0]
	want := Signature{
		SignerName:         "Other Tool Signer",
		CertificateSubject: "CN=Other Tool Signer,O=Elsewhere Ltd",
		CertificateIssuer:  "CN=Other Tool Signer,O=Elsewhere Ltd",
		SubFilter:          "adbe.pkcs7.detached",
	}
	if s.SignerName != want.SignerName || s.CertificateSubject != want.CertificateSubject ||
		s.CertificateIssuer != want.CertificateIssuer || s.SubFilter != want.SubFilter {
		t.Errorf("got %+v\nwant %+v", s, want)
	}
	if !s.ClaimedTime.Equal(fixedNow()) || s.Timestamped {
		t.Errorf("claimed time %v, timestamped %v; want %v, false", s.ClaimedTime, s.Timestamped, fixedNow())
	}
	out := pdfsig(t, b)
	for _, w := range []string{"Signature is Valid.", "Total document signed", "adbe.pkcs7.detached", "Other Tool Signer"} {
		if !strings.Contains(out, w) {
			t.Errorf("pdfsig disagrees: no %q in\n%s", w, out)
		}
	}
}

// TestVerifyTampered flips one byte inside a signed range (the signature
// must turn invalid, for us and for pdfsig) and appends bytes after the
// end (still valid, no longer the whole document).
func TestVerifyTampered(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	cred := pkitest.Credential(t, "Asha Rao")
	ours := &PAdES{Key: cred.Key, Chain: cred.Chain}
	stamped := &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}}
	files := []struct {
		name string
		b    []byte
		n    int // signatures
	}{
		{"Signet", mustSign(t, ours, Sample(1, "Tamper")), 1},
		{"Signet B-T", mustSign(t, stamped, Sample(1, "Tamper")), 1},
		{"Signet twice", mustSign(t, ours, mustSign(t, ours, Sample(1, "Tamper"))), 2},
		{"other tool", pdfsignSigned(t, Sample(1, "Tamper"), sign.ApprovalSignature), 1},
		{"other tool then Signet", mustSign(t, ours, pdfsignSigned(t, Sample(1, "Tamper"), sign.ApprovalSignature)), 2},
	}
	for _, f := range files {
		b, n := f.b, f.n
		mustVerify(t, b, n)
		t.Run(f.name+"/flipped byte", func(t *testing.T) {
			// A digit of the last signature dictionary's /M: inside the
			// last signed range, outside earlier ones.
			at := bytes.Index(b[bytes.LastIndex(b, []byte("/M")):], []byte("D:")) + bytes.LastIndex(b, []byte("/M")) + 2
			bad := bytes.Clone(b)
			bad[at] ^= 0x01
			sigs, err := Verify(bad)
			if err != nil {
				t.Fatal(err)
			}
			last := sigs[len(sigs)-1]
			if last.Valid || !strings.Contains(strings.Join(last.Problems, " "), "digest does not match") {
				t.Errorf("last signature after a flipped byte: valid %v, problems %v", last.Valid, last.Problems)
			}
			for i, s := range sigs[:len(sigs)-1] {
				if !s.Valid {
					t.Errorf("signature %d, which does not cover the byte, turned invalid: %v", i+1, s.Problems)
				}
			}
			out := pdfsig(t, bad)
			if got := strings.Count(out, "Signature is Valid."); got != n-1 {
				t.Errorf("pdfsig: %d valid signatures after the flip, want %d:\n%s", got, n-1, out)
			}
		})
		t.Run(f.name+"/appended bytes", func(t *testing.T) {
			more := append(bytes.Clone(b), "\n% appended after signing\n"...)
			sigs, err := Verify(more)
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range sigs {
				if !s.Valid || s.CoversWholeDocument {
					t.Errorf("signature %d: valid %v, whole %v; want true, false", i+1, s.Valid, s.CoversWholeDocument)
				}
			}
			out := pdfsig(t, more)
			if strings.Contains(out, "Total document signed") || !strings.Contains(out, "Not total document signed") {
				t.Errorf("pdfsig still says the whole document is signed:\n%s", out)
			}
		})
	}
}

// TestVerifyByteRangeGap moves the /ByteRange so that its gap leaves out
// more than /Contents: unsigned bytes there must not pass.
func TestVerifyByteRangeGap(t *testing.T) {
	cred := pkitest.Credential(t, "Seal")
	b := mustSign(t, &PAdES{Key: cred.Key, Chain: cred.Chain}, Sample(1, "Gap"))
	re := regexp.MustCompile(`/ByteRange\[0 (\d+) (\d+) (\d+)\] *`)
	m := re.FindSubmatchIndex(b)
	var a, c, d int
	fmt.Sscan(string(b[m[2]:m[3]])+" "+string(b[m[4]:m[5]])+" "+string(b[m[6]:m[7]]), &a, &c, &d)
	moved := fmt.Sprintf("/ByteRange[0 %d %d %d]", a-12, c, d)
	bad := bytes.Clone(b)
	copy(bad[m[0]:m[1]], moved+strings.Repeat(" ", m[1]-m[0]-len(moved)))
	sigs, err := Verify(bad)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || sigs[0].Valid || !strings.Contains(strings.Join(sigs[0].Problems, " "), "gap") {
		t.Errorf("signature with a widened gap: %+v", sigs)
	}
}

// TestVerifyAgreesWithPdfsignVerify cross-checks Signet's signatures with
// digitorus/pdfsign's verifier, which parses CMS with another library.
func TestVerifyAgreesWithPdfsignVerify(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	cred := pkitest.Credential(t, "Asha Rao")
	p := &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}}
	b := mustSign(t, p, mustSign(t, p, Sample(1, "Cross-check")))
	resp, err := pdfsignverify.VerifyWithOptions(bytes.NewReader(b), int64(len(b)), &pdfsignverify.VerifyOptions{AllowUntrustedRoots: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Signers) != 2 {
		t.Fatalf("pdfsign/verify found %d signers, want 2 (error %q)", len(resp.Signers), resp.Error)
	}
	for i, s := range resp.Signers {
		if !s.ValidSignature || s.TimeStamp == nil {
			t.Errorf("pdfsign/verify signer %d: valid %v, timestamp %v", i+1, s.ValidSignature, s.TimeStamp)
		}
	}
}

func TestVerifyChain(t *testing.T) {
	ca := pkitest.CA(t, "eSign CA")
	cred := pkitest.Issue(t, ca, pki.Request{Name: "Asha Rao"})
	b := mustSign(t, &PAdES{Key: cred.Key, Chain: cred.Chain}, Sample(1, "Chain"))
	s := mustVerify(t, b, 1)[0]
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	if err := s.VerifyChain(roots); err != nil {
		t.Errorf("chain to the issuing CA: %v", err)
	}
	other := x509.NewCertPool()
	other.AddCert(pkitest.CA(t, "Other CA").Cert)
	if err := s.VerifyChain(other); err == nil {
		t.Error("chain to an unrelated CA: no error")
	}
	if err := (Signature{}).VerifyChain(roots); err == nil {
		t.Error("chain without certificates: no error")
	}
}

// TestVerifyDocTimestamp verifies a document timestamp (ETSI.RFC3161)
// added by digitorus/pdfsign with the local TSA.
func TestVerifyDocTimestamp(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	genTime := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	tsa.Now = func() time.Time { return genTime }
	in := Sample(1, "Document timestamp")
	rdr, err := dpdf.NewReader(bytes.NewReader(in), int64(len(in)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(in), &out, rdr, int64(len(in)), sign.SignData{
		Signature:       sign.SignDataSignature{CertType: sign.TimeStampSignature},
		DigestAlgorithm: crypto.SHA256,
		TSA:             sign.TSA{URL: tsa.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := mustVerify(t, out.Bytes(), 1)[0]
	if s.SubFilter != "ETSI.RFC3161" || !s.Timestamped || !s.SigningTime.Equal(genTime) || s.SignerName != "Test TSA" {
		t.Errorf("document timestamp = %+v", s)
	}
}

func TestVerifyNoSignatures(t *testing.T) {
	for name, b := range map[string][]byte{"Sample": Sample(2, "Unsigned"), "form": formPDF()} {
		sigs, err := Verify(b)
		if err != nil || len(sigs) != 0 {
			t.Errorf("%s: %d signatures, err %v; want none", name, len(sigs), err)
		}
	}
	if _, err := Verify([]byte("plain text")); !errors.Is(err, ErrNotPDF) {
		t.Errorf("not a PDF: err = %v, want ErrNotPDF", err)
	}
	if _, err := Verify([]byte("%PDF-1.7\ngarbage")); !errors.Is(err, ErrMalformed) {
		t.Errorf("garbage: err = %v, want ErrMalformed", err)
	}
}

// FuzzVerify feeds Verify broken and hostile variants of signed PDFs. It
// must never panic, and whatever it calls valid must have a sane range.
func FuzzVerify(f *testing.F) {
	for _, seed := range verifyFuzzSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sigs, err := Verify(b)
		if err != nil {
			return
		}
		for _, s := range sigs {
			if s.Valid && (len(s.ByteRange) != 4 || s.ByteRange[2]+s.ByteRange[3] > int64(len(b))) {
				t.Fatalf("valid signature with byte range %v in %d bytes", s.ByteRange, len(b))
			}
			if s.CoversWholeDocument && s.ByteRange[2]+s.ByteRange[3] != int64(len(b)) {
				t.Fatal("whole-document claim with a short range")
			}
		}
	})
}

// verifyFuzzSeeds reads the committed corpus of FuzzVerify (see
// TestVerifyFuzzSeeds).
func verifyFuzzSeeds(tb testing.TB) [][]byte {
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	entries, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var seeds [][]byte
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// TestVerifyFuzzSeeds writes the FuzzVerify corpus with -update: small
// signed files (ours with and without timestamp, another tool's) and
// broken variants. Signatures embed random values, so the files are only
// checked for presence, not compared.
func TestVerifyFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzVerify")
	if !*update {
		if entries, err := os.ReadDir(dir); err != nil || len(entries) < 5 {
			t.Fatalf("FuzzVerify corpus missing (run with -update): %v", err)
		}
		return
	}
	tsa := pkitest.NewTSA(t)
	cred := pkitest.Credential(t, "Fuzz")
	p := &PAdES{Key: cred.Key, Chain: cred.Chain}
	signed := mustSign(t, p, Sample(1, "Fuzz"))
	pt := &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}}
	seeds := map[string][]byte{
		"signet":        signed,
		"signet-bt":     mustSign(t, pt, Sample(1, "Fuzz")),
		"signet-twice":  mustSign(t, p, signed),
		"other-tool":    pdfsignSigned(t, Sample(1, "Fuzz"), sign.ApprovalSignature),
		"truncated":     signed[:len(signed)*2/3],
		"contents-zero": regexp.MustCompile(`/Contents<[0-9a-f]+`).ReplaceAll(bytes.Clone(signed), []byte("/Contents<00")),
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range seeds {
		if err := os.WriteFile(filepath.Join(dir, name), corpusFile(b), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func mustSign(t *testing.T, s Signer, b []byte) []byte {
	t.Helper()
	out, err := s.Sign(context.Background(), b, SignInfo{Reason: "Tested"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
