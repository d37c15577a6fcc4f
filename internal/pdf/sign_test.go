package pdf

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dpdf "github.com/digitorus/pdf"
	"github.com/digitorus/pdfsign/sign"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signet-dev/signet/internal/pki"
	"github.com/signet-dev/signet/internal/pki/pkitest"
)

// signInputs are the documents the signer must handle: a classic xref
// table, object streams with a cross-reference stream, pdfcpu's output
// (what Stamp and AppendPage produce), a form with indirect /Fields and
// /Annots arrays, and a file another tool signed.
func signInputs(t *testing.T) map[string][]byte {
	t.Helper()
	contract, err := os.ReadFile(filepath.Join(fixtureDir, "contract.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	xrefStream, err := os.ReadFile(filepath.Join("testdata", "xref-stream.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(xrefStream, []byte("/ObjStm")) || !bytes.Contains(xrefStream, []byte("/XRef")) {
		t.Fatal("testdata/xref-stream.pdf has no object and cross-reference streams")
	}
	stamped, err := Stamp(Sample(2, "Stamped"), "Signed by Asha Rao")
	if err != nil {
		t.Fatal(err)
	}
	// The local provider's document: marks on the last page, an audit page.
	marked, err := AddMark(Sample(2, "Marked"), Mark{Name: "Asha Rao", Time: fixedNow(), Image: drawnPNG(t, 400, 120)})
	if err != nil {
		t.Fatal(err)
	}
	if marked, err = AppendPage(marked, []string{"Audit trail", "Asha Rao signed"}); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"contract.pdf":        contract,
		"Sample":              Sample(3, "Loan agreement"),
		"xref stream":         xrefStream,
		"pdfcpu output":       stamped,
		"marked, audit page":  marked,
		"form":                formPDF(),
		"signed by pdfsign":   pdfsignSigned(t, Sample(1, "Signed elsewhere"), sign.ApprovalSignature),
		"no trailing newline": bytes.TrimRight(Sample(1, "Tight"), "\n"),
	}
}

func TestSign(t *testing.T) {
	cred := pkitest.Credential(t, "Asha Rao")
	signer := &PAdES{Key: cred.Key, Chain: cred.Chain, Now: fixedNow}
	for name, in := range signInputs(t) {
		t.Run(name, func(t *testing.T) {
			before, err := Verify(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := signer.Sign(context.Background(), in, SignInfo{Name: "Asha Rao", Reason: "I agree"})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out, in) {
				t.Fatal("the input is not a prefix of the output: not an incremental update")
			}
			info, err := Validate(out)
			if err != nil {
				t.Fatalf("signed file does not validate: %v", err)
			}
			if want, _ := Validate(in); info.Pages != want.Pages {
				t.Errorf("pages = %d, want %d", info.Pages, want.Pages)
			}
			sigs := mustVerify(t, out, len(before)+1)
			last := sigs[len(sigs)-1]
			if last.SubFilter != "ETSI.CAdES.detached" || last.SignerName != "Asha Rao" || last.Timestamped {
				t.Errorf("new signature = %+v", last)
			}
			if !last.ClaimedTime.Equal(fixedNow()) || !last.SigningTime.Equal(fixedNow()) {
				t.Errorf("times = %v / %v, want /M %v", last.ClaimedTime, last.SigningTime, fixedNow())
			}
			checkPdfsig(t, out, len(sigs))
			checkQpdf(t, out)
		})
	}
}

// TestSignForm checks that the signature field joins an existing form and
// the last page's annotations when both arrays are indirect objects, and
// gets a name no other field has.
func TestSignForm(t *testing.T) {
	cred := pkitest.Credential(t, "Seal")
	out, err := (&PAdES{Key: cred.Key, Chain: cred.Chain}).Sign(context.Background(), formPDF(), SignInfo{})
	if err != nil {
		t.Fatal(err)
	}
	sigs := mustVerify(t, out, 1)
	if got := sigs[0].Field; got != "Signature2" {
		t.Errorf("field name = %q, want Signature2 (Signature1 is taken)", got)
	}
	ctx, err := readRaw(out)
	if err != nil {
		t.Fatal(err)
	}
	for nr, what := range map[int]string{6: "/Fields", 8: "/Annots"} {
		arr, err := ctx.DereferenceArray(*types.NewIndirectRef(nr, 0))
		if err != nil || len(arr) != 2 {
			t.Errorf("%s array (object %d) = %v, want the text field and the signature", what, nr, arr)
		}
	}
}

// TestSignThree signs a document three times, as a session with more
// signers does, with and without timestamps: every signature stays valid
// and only the last covers the whole file.
func TestSignThree(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	for _, withTSA := range []bool{false, true} {
		t.Run(fmt.Sprintf("TSA=%v", withTSA), func(t *testing.T) {
			b := Sample(2, "Three signers")
			for i, name := range []string{"Asha Rao", "Ravi Kumar", "Signet Seal"} {
				cred := pkitest.Credential(t, name)
				p := &PAdES{Key: cred.Key, Chain: cred.Chain}
				if withTSA {
					p.TSA = &pki.TSA{URL: tsa.URL}
				}
				var err error
				if b, err = p.Sign(context.Background(), b, SignInfo{Name: name}); err != nil {
					t.Fatalf("signature %d: %v", i+1, err)
				}
			}
			sigs := mustVerify(t, b, 3)
			for i, want := range []string{"Asha Rao", "Ravi Kumar", "Signet Seal"} {
				if sigs[i].SignerName != want || sigs[i].Timestamped != withTSA {
					t.Errorf("signature %d: signer %q, timestamped %v; want %q, %v", i+1, sigs[i].SignerName, sigs[i].Timestamped, want, withTSA)
				}
			}
			checkPdfsig(t, b, 3)
			checkQpdf(t, b)
		})
	}
}

func TestSignRSA(t *testing.T) {
	ca, err := pki.NewCA("RSA CA", pki.RSA2048, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	cred := pkitest.Issue(t, ca, pki.Request{Name: "RSA Seal", KeyType: pki.RSA2048})
	tsa := pkitest.NewTSA(t)
	out, err := (&PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}}).Sign(context.Background(), Sample(1, "RSA"), SignInfo{})
	if err != nil {
		t.Fatal(err)
	}
	sigs := mustVerify(t, out, 1)
	if !sigs[0].Timestamped {
		t.Errorf("not timestamped: %v", sigs[0].Problems)
	}
	checkPdfsig(t, out, 1)
	checkQpdf(t, out)
}

// TestSignTimestamp checks that a B-T signature reports the TSA's time,
// not the signer's clock, and carries a token over its signature value.
func TestSignTimestamp(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	genTime := time.Date(2026, 11, 21, 10, 0, 5, 0, time.UTC)
	tsa.Now = func() time.Time { return genTime }
	cred := pkitest.Credential(t, "Seal")
	p := &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}, Now: fixedNow}
	out, err := p.Sign(context.Background(), Sample(1, "B-T"), SignInfo{})
	if err != nil {
		t.Fatal(err)
	}
	s := mustVerify(t, out, 1)[0]
	if !s.Timestamped || !s.SigningTime.Equal(genTime) || !s.ClaimedTime.Equal(fixedNow()) {
		t.Errorf("timestamped %v, signing time %v, claimed %v; want true, %v, %v", s.Timestamped, s.SigningTime, s.ClaimedTime, genTime, fixedNow())
	}
	if got := tsa.Requests(); got != 1 {
		t.Errorf("TSA requests = %d, want 1", got)
	}
}

// bigTokenTSA returns a "token" larger than the space Sign reserves, to
// exercise the second layout.
type bigTokenTSA struct{ calls int }

func (b *bigTokenTSA) Timestamp(ctx context.Context, data []byte) ([]byte, error) {
	b.calls++
	return append([]byte{0x04, 0x82, 0x4e, 0x20}, make([]byte, 20000)...), nil // OCTET STRING of 20000 bytes
}

func TestSignGrowsReservation(t *testing.T) {
	cred := pkitest.Credential(t, "Seal")
	tsa := &bigTokenTSA{}
	out, err := (&PAdES{Key: cred.Key, Chain: cred.Chain, TSA: tsa}).Sign(context.Background(), Sample(1, "Big"), SignInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if tsa.calls != 2 {
		t.Errorf("TSA calls = %d, want 2 (the first CMS did not fit)", tsa.calls)
	}
	s := mustVerify(t, out, 1)[0]
	// The signature is intact; the bogus token is reported, not trusted.
	if s.Timestamped || len(s.Problems) == 0 {
		t.Errorf("timestamped %v, problems %v: a bogus token must be reported", s.Timestamped, s.Problems)
	}
}

func TestSignErrors(t *testing.T) {
	cred := pkitest.Credential(t, "Seal")
	other := pkitest.Credential(t, "Other")
	good := &PAdES{Key: cred.Key, Chain: cred.Chain}
	edKey := ed25519Credential(t)
	certified := pdfsignSigned(t, Sample(1, "Certified"), sign.CertificationSignature)
	tests := []struct {
		name    string
		p       *PAdES
		in      []byte
		want    error
		wantMsg string
	}{
		{name: "no key", p: &PAdES{Chain: cred.Chain}, in: Sample(1, "x"), wantMsg: "needs a key"},
		{name: "key of another certificate", p: &PAdES{Key: other.Key, Chain: cred.Chain}, in: Sample(1, "x"), wantMsg: "does not belong"},
		{name: "Ed25519 key", p: edKey, in: Sample(1, "x"), wantMsg: "unsupported key"},
		{name: "not a PDF", p: good, in: []byte("hello"), want: ErrNotPDF},
		{name: "encrypted", p: good, in: encrypt(t, Sample(1, "x"), "pw"), want: ErrEncrypted},
		{name: "certified, no changes allowed", p: good, in: certified, want: ErrCertified},
		// Unsigned, such a file is written out again and signed (see
		// TestSignRepairedFile); signed, that would break its signature.
		{name: "signed, startxref points nowhere", p: good, in: brokenStartxref(mustSign(t, good, Sample(1, "x"))), wantMsg: "cross-reference section"},
		{name: "TSA down", p: &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: "http://127.0.0.1:1/"}}, in: Sample(1, "x"), wantMsg: "timestamp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := tt.p.Sign(context.Background(), tt.in, SignInfo{})
			if err == nil {
				t.Fatalf("no error, %d bytes", len(out))
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tt.wantMsg)
			}
		})
	}
}

// TestSignConcurrent shares one PAdES between goroutines, as the server
// does; run with -race.
func TestSignConcurrent(t *testing.T) {
	tsa := pkitest.NewTSA(t)
	cred := pkitest.Credential(t, "Seal")
	p := &PAdES{Key: cred.Key, Chain: cred.Chain, TSA: &pki.TSA{URL: tsa.URL}}
	errs := make(chan error, 4)
	for i := range 4 {
		go func() {
			out, err := p.Sign(context.Background(), Sample(i+1, "Concurrent"), SignInfo{})
			if err == nil {
				var sigs []Signature
				if sigs, err = Verify(out); err == nil && (len(sigs) != 1 || !sigs[0].Valid || !sigs[0].Timestamped) {
					err = fmt.Errorf("document %d: signatures %+v", i+1, sigs)
				}
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func BenchmarkSign(b *testing.B) {
	in := SampleOfSize(100 << 10)
	cred := pkitest.Credential(b, "Seal")
	p := &PAdES{Key: cred.Key, Chain: cred.Chain}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := p.Sign(context.Background(), in, SignInfo{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	cred := pkitest.Credential(b, "Seal")
	in, err := (&PAdES{Key: cred.Key, Chain: cred.Chain}).Sign(context.Background(), SampleOfSize(100<<10), SignInfo{})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, err := Verify(in); err != nil {
			b.Fatal(err)
		}
	}
}

// Helpers.

func fixedNow() time.Time { return time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC) }

// mustVerify verifies b and requires n signatures, all valid, only the last
// covering the whole document.
func mustVerify(t *testing.T, b []byte, n int) []Signature {
	t.Helper()
	sigs, err := Verify(b)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if len(sigs) != n {
		t.Fatalf("Verify found %d signatures, want %d", len(sigs), n)
	}
	for i, s := range sigs {
		if !s.Valid {
			t.Errorf("signature %d (%s) is not valid: %v", i+1, s.Field, s.Problems)
		}
		if whole := i == n-1; s.CoversWholeDocument != whole {
			t.Errorf("signature %d covers whole document = %v, want %v", i+1, s.CoversWholeDocument, whole)
		}
	}
	return sigs
}

// pdfsig runs poppler's pdfsig on b and returns its report.
func pdfsig(t *testing.T, b []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdfsig"); err != nil {
		t.Skip("pdfsig not installed: apt-get install poppler-utils")
	}
	f := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("pdfsig", "-no-ocsp", f)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	out, err := cmd.CombinedOutput()
	if err != nil && len(out) == 0 {
		t.Fatalf("pdfsig: %v", err)
	}
	return string(out)
}

// checkPdfsig requires pdfsig to find n valid signatures, the last one
// ETSI.CAdES.detached over the whole document.
func checkPdfsig(t *testing.T, b []byte, n int) {
	t.Helper()
	out := pdfsig(t, b)
	if got := strings.Count(out, "Signature Validation: Signature is Valid."); got != n {
		t.Errorf("pdfsig: %d valid signatures, want %d:\n%s", got, n, out)
	}
	sections := strings.Split(out, "Signature #")
	last := sections[len(sections)-1]
	for _, want := range []string{"Signature Type: ETSI.CAdES.detached", "Total document signed", "Signature is Valid."} {
		if !strings.Contains(last, want) {
			t.Errorf("pdfsig on the last signature: no %q:\n%s", want, last)
		}
	}
	if got := strings.Count(out, "Total document signed"); got != 1 {
		t.Errorf("pdfsig: %d signatures cover the whole document, want 1:\n%s", got, out)
	}
}

// checkQpdf requires qpdf --check to find no error.
func checkQpdf(t *testing.T, b []byte) {
	t.Helper()
	if _, err := exec.LookPath("qpdf"); err != nil {
		t.Skip("qpdf not installed: apt-get install qpdf")
	}
	f := filepath.Join(t.TempDir(), "signed.pdf")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("qpdf", "--check", f).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "No syntax or stream encoding errors found") || strings.Contains(string(out), "WARNING") {
		t.Errorf("qpdf --check: %v\n%s", err, out)
	}
}

// handPDF lays out objects 1..n (their bodies given) with a classic xref
// table; object 1 is the catalog.
func handPDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// formPDF is a one-page form with a text field named Signature1, whose
// /Fields and page /Annots arrays are indirect objects 6 and 8.
func formPDF() []byte {
	content := "BT /F1 12 Tf 50 800 Td (Form) Tj ET"
	return handPDF(
		"<< /Type /Catalog /Pages 2 0 R /AcroForm 5 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Annots 8 0 R /Resources << /Font << /F1 9 0 R >> >> >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Fields 6 0 R /DA (/F1 0 Tf 0 g) >>",
		"[7 0 R]",
		"<< /Type /Annot /Subtype /Widget /FT /Tx /T (Signature1) /V (hello) /Rect [50 50 200 80] /P 3 0 R /F 4 >>",
		"[7 0 R]",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	)
}

// pdfsignSigned signs b with digitorus/pdfsign and a self-signed RSA
// certificate unrelated to Signet's PKI: adbe.pkcs7.detached, as many
// other tools sign.
func pdfsignSigned(t *testing.T, b []byte, certType sign.CertType) []byte {
	t.Helper()
	key, cert := selfSigned(t, "Other Tool Signer")
	rdr, err := dpdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err = sign.Sign(bytes.NewReader(b), &out, rdr, int64(len(b)), sign.SignData{
		Signature: sign.SignDataSignature{
			Info:     sign.SignDataSignatureInfo{Name: "Other Tool Signer", Reason: "Approved", Date: fixedNow()},
			CertType: certType, DocMDPPerm: sign.DoNotAllowAnyChangesPerms,
		},
		Signer: key, DigestAlgorithm: crypto.SHA256, Certificate: cert,
	})
	if err != nil {
		t.Fatalf("pdfsign: %v", err)
	}
	return out.Bytes()
}

// selfSigned returns a self-signed RSA certificate for cn, made without
// Signet's pki package. RSA keys are slow to generate: one is shared.
func selfSigned(t *testing.T, cn string) (crypto.Signer, *x509.Certificate) {
	t.Helper()
	rsaOnce.Do(func() { rsaKey, rsaErr = rsa.GenerateKey(rand.Reader, 2048) })
	if rsaErr != nil {
		t.Fatal(rsaErr)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(424242),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{"Elsewhere Ltd"}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, rsaKey.Public(), rsaKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return rsaKey, cert
}

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
	rsaErr  error
)

func ed25519Credential(t *testing.T) *PAdES {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now(), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, priv)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &PAdES{Key: priv, Chain: []*x509.Certificate{cert}}
}

// brokenStartxref points startxref at the middle of an object.
func brokenStartxref(b []byte) []byte {
	re := regexp.MustCompile(`startxref\n\d+`)
	return re.ReplaceAll(bytes.Clone(b), []byte("startxref\n20"))
}

// TestSignRepairedFile: a file whose cross-reference table the upload
// check repaired (pdfcpu cannot find its last section) is written out
// again before its first signature, and the signature verifies.
func TestSignRepairedFile(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "hostile", "reference-cycles.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	cred := pkitest.Credential(t, "Seal")
	for name, in := range map[string][]byte{"reference cycles": b, "startxref points nowhere": brokenStartxref(Sample(1, "x"))} {
		if _, err := Validate(in); err != nil {
			t.Fatalf("%s: the upload check refuses it: %v", name, err)
		}
		signed, err := (&PAdES{Key: cred.Key, Chain: cred.Chain}).Sign(context.Background(), in, SignInfo{Name: "Test"})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sigs, err := Verify(signed)
		if err != nil || len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument {
			t.Fatalf("%s: signatures %+v, %v", name, sigs, err)
		}
	}
}
