package evidence

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/pki/pkitest"
	"github.com/signet-dev/signet/internal/web/browsertest"
)

// mustRender renders c and requires the result to pass pdf.Validate.
func mustRender(t *testing.T, c Certificate) []byte {
	t.Helper()
	b, err := Render(c)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if _, err := pdf.Validate(b); err != nil {
		t.Fatalf("Validate(Render): %v", err)
	}
	return b
}

// requireText requires every string of want in text (white space collapsed).
func requireText(t *testing.T, text string, want ...string) {
	t.Helper()
	text = flat(text)
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("the text has no %q", w)
		}
	}
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestRender(t *testing.T) {
	c := sample(50)
	b := mustRender(t, c)
	checkQpdf(t, b)
	text := pdftotext(t, b, 0, 0)
	requireText(t, text, testSessionID, testOrderID, testOriginal, testSigned,
		"Certificate of completion", "Loan agreement 2026-11.pdf • 3 pages", "COMPLETED", "All 3 signers signed.",
		"Swedish BankID (bankid)", "sequential, 3 signers",
		"Created 2026-11-21 09:58:12 UTC", "Completed 2026-11-21 10:45:12 UTC", "Expires 2026-11-28 09:58:12 UTC",
		"Generated 2026-11-21 10:46:12 UTC", "Issued by Signet at https://sign.example.com on 2026-11-21 10:46:12 UTC.",
		// Swedish names as they are; Hindi transliterated and flagged.
		"1. Åsa Öberg", "Åsa Märta Öberg", "19850412-XXXX", "3. Jörgen Lindqvist",
		"2. Asha Rao (Asha Rav) †", "Name (Aadhaar) Asha Rav †", "† This text has characters",
		"Identified by Swedish BankID", "Identified by Aadhaar eSign (OTP)", "Identified by E-mail one-time code",
		"Signed at 2026-11-21 10:10:12 UTC")
	for _, s := range c.Signers {
		requireText(t, text, s.Email, s.IP)
	}
	for _, typ := range eventTypes {
		requireText(t, text, typ)
	}
	for i, e := range c.Events {
		requireText(t, text, fmt.Sprintf("Event %d:", i+1), e.Time.Format("2006-01-02 15:04:05"))
	}
	for _, it := range c.Evidence {
		requireText(t, text, it.Name, it.FileName, sha(it.Attached))
	}
	// The long URL is broken into lines, and all of it is there.
	if !strings.Contains(strings.Join(strings.Fields(text), ""), c.Evidence[2].Note) {
		t.Errorf("the text has no %q", c.Evidence[2].Note)
	}
	n := pageCount(t, b)
	for p := 1; p <= n; p++ {
		requireText(t, pdftotext(t, b, p, p), fmt.Sprintf("Page %d of %d", p, n),
			"Signet audit certificate • session "+testSessionID)
	}
}

func TestRenderAttachments(t *testing.T) {
	c := sample(3)
	b := mustRender(t, c)
	want := map[string][]byte{}
	for _, it := range c.Evidence {
		want[it.FileName] = it.Attached
	}
	names := attachmentNames(t, b)
	if got, w := slices.Sorted(slices.Values(names)), []string{"bankid-ocsp.der", "bankid-signature.xml", DataFile, "signzy-audit.pdf"}; !slices.Equal(got, w) {
		t.Fatalf("pdfdetach -list: %q, want %q", got, w)
	}
	for i, name := range names {
		got := detach(t, b, i+1)
		if name == DataFile {
			checkData(t, got, c)
			continue
		}
		if !bytes.Equal(got, want[name]) {
			t.Errorf("attachment %s: %d bytes, want the %d bytes of the evidence", name, len(got), len(want[name]))
		}
	}
}

// checkData requires the certificate.json attachment to hold c, every
// text in its original characters and the digests of attached files.
func checkData(t *testing.T, data []byte, c Certificate) {
	t.Helper()
	var got Certificate
	if err := json.Unmarshal(data, &got); err != nil {
		t.Fatalf("%s: %v", DataFile, err)
	}
	if got.Signers[1].Name != "Asha Rao (आशा राव)" || got.Signers[1].IdentityDetails[0].Value != "आशा राव" {
		t.Errorf("%s: signer 2 is %+v, want the names in Devanagari", DataFile, got.Signers[1])
	}
	if got.Session != c.Session || got.Document != c.Document || !got.GeneratedAt.Equal(c.GeneratedAt) {
		t.Errorf("%s: session %+v, document %+v; want %+v, %+v", DataFile, got.Session, got.Document, c.Session, c.Document)
	}
	if !slices.Equal(got.Events, c.Events) {
		t.Errorf("%s: events differ:\n got %+v\nwant %+v", DataFile, got.Events, c.Events)
	}
	for i, it := range c.Evidence {
		if g := got.Evidence[i]; g.SHA256 != sha(it.Attached) || g.FileName != it.FileName || g.Name != it.Name {
			t.Errorf("%s: evidence %d is %+v, want %s with SHA-256 %s", DataFile, i, g, it.FileName, sha(it.Attached))
		}
	}
}

func TestRenderEventsAcrossPages(t *testing.T) {
	short := mustRender(t, sample(50))
	long := mustRender(t, sample(200))
	checkQpdf(t, long)
	n50, n200 := pageCount(t, short), pageCount(t, long)
	if n200 <= n50 {
		t.Fatalf("200 events take %d pages, 50 take %d: want more", n200, n50)
	}
	// Every page the table continues on repeats its header. (In layout
	// mode pdftotext keeps a table's rows, and its header, on one line.)
	tablePages := 0
	for p := 1; p <= n200; p++ {
		text := flat(tool(t, long, "pdftotext", "-layout", "-enc", "UTF-8", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), "FILE", "-"))
		if !strings.Contains(text, "Event ") || !strings.Contains(text, "ACCEPTED") {
			continue
		}
		tablePages++
		if !strings.Contains(text, "TIME (UTC) EVENT SIGNER DETAILS") {
			t.Errorf("page %d has events but no table header:\n%s", p, text)
		}
		if tablePages > 1 && !strings.Contains(text, "Events (continued)") {
			t.Errorf("page %d continues the events without saying so:\n%s", p, text)
		}
		requireText(t, text, fmt.Sprintf("Page %d of %d", p, n200))
	}
	if tablePages < 3 {
		t.Errorf("the events fill %d pages, want at least 3", tablePages)
	}
	// All events, in order (in layout mode, pdftotext keeps a table's
	// rows together).
	text, at := tool(t, long, "pdftotext", "-layout", "-enc", "UTF-8", "FILE", "-"), 0
	for i := range 200 {
		k := strings.Index(text[at:], fmt.Sprintf("Event %d:", i+1))
		if k < 0 {
			t.Fatalf("event %d is missing or out of order", i+1)
		}
		at += k
	}
}

func TestRenderOutcomes(t *testing.T) {
	failed := sample(5)
	failed.Session.Status, failed.Session.FailureReason = "FAILED", "Jörgen Lindqvist declined: wrong amount"
	failed.Signers[2].Status, failed.Signers[2].SignedAt = "FAILED", time.Time{}
	failed.Signers[2].FailureReason = "Declined: the amount in clause 4 is wrong"
	failed.Document.SignedSHA256 = ""

	cancelled := sample(2)
	cancelled.Session.Status = "CANCELLED"
	cancelled.Signers = cancelled.Signers[:1]
	cancelled.Signers[0].Status, cancelled.Signers[0].SignedAt = "PENDING", time.Time{}

	expired := sample(2)
	expired.Session.Status = "EXPIRED"
	expired.Signers[2].Status = "WAITING"

	open := sample(2)
	open.Session.Status, open.Session.EndedAt = "IN_PROGRESS", time.Time{}
	open.Signers[1].Status, open.Signers[2].Status = "IN_PROGRESS", "WAITING"

	for _, tc := range []struct {
		name   string
		c      Certificate
		want   []string
		absent []string
	}{
		{"failed", failed, []string{"Audit certificate", "FAILED", "The signing failed; 2 of 3 signers signed.",
			"Jörgen Lindqvist declined: wrong amount", "Failure reason Declined: the amount in clause 4 is wrong",
			"Ended 2026-11-21 10:45:12 UTC", "None: the session did not complete."}, []string{testSigned}},
		{"cancelled", cancelled, []string{"CANCELLED", "The session was cancelled; 0 of 1 signer signed.", "PENDING"}, nil},
		{"expired", expired, []string{"EXPIRED", "The session expired; 2 of 3 signers signed.", "WAITING"}, []string{testSigned}},
		{"open", open, []string{"IN_PROGRESS", "The session is open; 1 of 3 signers signed so far."}, nil},
		{"empty", Certificate{}, []string{"Audit certificate", "UNKNOWN", "No signers are recorded.",
			"The provider delivered no evidence", "No events are recorded.", "Not recorded.", "Page 1 of 1"}, nil},
		{"single signer completed", func() Certificate {
			c := sample(1)
			c.Signers = c.Signers[:1]
			c.Title = "Intyg om underskrift"
			return c
		}(), []string{"Intyg om underskrift", "The signer signed.", "sequential, 1 signer", testSigned}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := mustRender(t, tc.c)
			checkQpdf(t, b)
			text := flat(pdftotext(t, b, 0, 0))
			requireText(t, text, tc.want...)
			for _, a := range tc.absent {
				if strings.Contains(text, a) {
					t.Errorf("the text has %q", a)
				}
			}
		})
	}
}

func TestRenderKeepsUnicodeInInfo(t *testing.T) {
	c := sample(1)
	c.Title = "हस्ताक्षर प्रमाणपत्र"
	b := mustRender(t, c)
	requireText(t, tool(t, b, "pdfinfo", "FILE"), "Title: हस्ताक्षर प्रमाणपत्र")
	requireText(t, pdftotext(t, b, 1, 1), "Hastakshar Pramanapatra †")
}

func TestRenderDeterministic(t *testing.T) {
	a, b := mustRender(t, sample(20)), mustRender(t, sample(20))
	if !bytes.Equal(a, b) {
		t.Error("two renderings of one certificate differ")
	}
}

func TestRenderTooMuchEvidence(t *testing.T) {
	c := sample(1)
	big := make([]byte, MaxAttached/2+1)
	c.Evidence = []Item{{Name: "one", Attached: big}, {Name: "two", Attached: big}}
	if _, err := Render(c); err == nil {
		t.Fatal("Render with 64 MiB and 2 bytes of evidence: no error")
	}
}

// TestRenderPNG renders the first page of the sample certificate, and
// with SIGNET_UPDATE_DOCS=1 writes it to docs/audit-certificate.png, where
// the README shows it.
func TestRenderPNG(t *testing.T) {
	if _, err := exec.LookPath("pdftoppm"); err != nil {
		t.Skip("pdftoppm not installed: apt-get install poppler-utils")
	}
	b := mustRender(t, sample(50))
	dir := t.TempDir()
	f := filepath.Join(dir, "cert.pdf")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "1", "-singlefile", f, filepath.Join(dir, "page")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v\n%s", err, out)
	}
	img, err := os.ReadFile(filepath.Join(dir, "page.png"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := png.Decode(bytes.NewReader(img))
	if err != nil {
		t.Fatal(err)
	}
	// A4 at 80 dpi (pdftoppm rounds up); and ink on the page.
	if got := m.Bounds().Size(); got.X < 661 || got.X > 662 || got.Y < 935 || got.Y > 936 {
		t.Errorf("page 1 is %v pixels, want A4 at 80 dpi, 661×935", got)
	}
	dark := 0
	for y := range m.Bounds().Dy() {
		for x := range m.Bounds().Dx() {
			if r, g, bl, _ := m.At(x, y).RGBA(); r+g+bl < 3*0x8000 {
				dark++
			}
		}
	}
	if dark < 5000 {
		t.Errorf("page 1 has %d dark pixels: is it blank?", dark)
	}
	if err := os.WriteFile(browsertest.DocsPath(t, "audit-certificate.png"), img, 0o644); err != nil {
		t.Fatal(err)
	}
}

// appendInputs are the documents AppendAudit must handle.
func appendInputs(t *testing.T) map[string][]byte {
	t.Helper()
	contract, err := os.ReadFile(filepath.Join("..", "..", "testdata", "contract.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	xrefStream, err := os.ReadFile(filepath.Join("..", "pdf", "testdata", "xref-stream.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	marked, err := pdf.AddMark(pdf.Sample(2, "Marked"), pdf.Mark{Name: "Åsa Öberg", Time: t0})
	if err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{
		"Sample":       pdf.Sample(3, "Loan agreement"),
		"contract.pdf": contract,
		"xref stream":  xrefStream,
		"marked":       marked,
	}
}

func TestAppendAudit(t *testing.T) {
	c := sample(50)
	for name, in := range appendInputs(t) {
		t.Run(name, func(t *testing.T) {
			info, err := pdf.Validate(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := AppendAudit(in, c)
			if err != nil {
				t.Fatalf("AppendAudit: %v", err)
			}
			if !bytes.HasPrefix(out, in) {
				t.Fatal("AppendAudit changed the original's bytes")
			}
			after, err := pdf.Validate(out)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			checkQpdf(t, out)
			if after.Pages < info.Pages+2 {
				t.Fatalf("%d pages after appending to %d, want at least 2 more", after.Pages, info.Pages)
			}
			if got, want := pdftotext(t, out, 1, info.Pages), pdftotext(t, in, 1, info.Pages); got != want {
				t.Errorf("the original pages' text changed:\n got %q\nwant %q", got, want)
			}
			audit := pdftotext(t, out, info.Pages+1, after.Pages)
			requireText(t, audit, "Audit trail", testSessionID, testOrderID, testOriginal,
				"These pages are part of the signed document", "Event 50:",
				fmt.Sprintf("Audit trail page 1 of %d", after.Pages-info.Pages))
			for _, s := range c.Signers {
				requireText(t, audit, s.Email)
			}
			if strings.Contains(audit, testSigned) {
				t.Error("the appended pages show a signed document's SHA-256")
			}
			if got := len(attachmentNames(t, out)); got != len(c.Evidence)+1 {
				t.Errorf("%d attachments, want %d", got, len(c.Evidence)+1)
			}
		})
	}
}

func TestAppendAuditKeepsAttachments(t *testing.T) {
	in, err := pdf.Attach(pdf.Sample(1, "With attachment"), DataFile, []byte(`{"theirs":true}`))
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendAudit(in, sample(2))
	if err != nil {
		t.Fatal(err)
	}
	names := attachmentNames(t, out)
	if len(names) != 5 {
		t.Fatalf("attachments %q, want the original's and the certificate's 4", names)
	}
	found := false
	for i := range names {
		if string(detach(t, out, i+1)) == `{"theirs":true}` {
			found = true
		}
	}
	if !found {
		t.Error("the original's attachment is gone")
	}
}

func TestAppendAuditErrors(t *testing.T) {
	if _, err := AppendAudit([]byte("not a pdf"), sample(1)); !errors.Is(err, pdf.ErrNotPDF) {
		t.Errorf("AppendAudit(not a PDF) = %v, want ErrNotPDF", err)
	}
	c := sample(1)
	big := make([]byte, MaxAttached+1)
	c.Evidence = []Item{{Name: "big", Attached: big}}
	if _, err := AppendAudit(pdf.Sample(1, "x"), c); err == nil {
		t.Error("AppendAudit with too much evidence: no error")
	}
}

// seal signs b as Signet seals its documents and requires pdf.Verify and
// pdfsig to find one valid signature over the whole file.
func seal(t *testing.T, b []byte) []byte {
	t.Helper()
	cred := pkitest.Credential(t, "Signet Seal")
	signer := &pdf.PAdES{Key: cred.Key, Chain: cred.Chain, Now: func() time.Time { return t0.Add(time.Hour) }}
	signed, err := signer.Sign(context.Background(), b, pdf.SignInfo{Reason: "Sealed by Signet"})
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	sigs, err := pdf.Verify(signed)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || !sigs[0].Valid || !sigs[0].CoversWholeDocument {
		t.Fatalf("Verify: %+v, want one valid signature over the whole document", sigs)
	}
	checkQpdf(t, signed)
	out := tool(t, signed, "pdfsig", "-no-ocsp", "FILE")
	for _, want := range []string{"Signature is Valid.", "Total document signed", "ETSI.CAdES.detached"} {
		if !strings.Contains(out, want) {
			t.Errorf("pdfsig: no %q:\n%s", want, out)
		}
	}
	return signed
}

// TestAppendAuditThenSign follows the local provider: marks on the last
// page, the audit pages, then Signet's seal over the whole file.
func TestAppendAuditThenSign(t *testing.T) {
	c := sample(30)
	for name, in := range appendInputs(t) {
		t.Run(name, func(t *testing.T) {
			marked, err := pdf.AddMark(in, pdf.Mark{Name: "Jörgen Lindqvist", Time: t0.Add(47 * time.Minute)})
			if err != nil {
				t.Fatal(err)
			}
			audited, err := AppendAudit(marked, c)
			if err != nil {
				t.Fatal(err)
			}
			signed := seal(t, audited)
			requireText(t, pdftotext(t, signed, 0, 0), testSessionID, testOriginal, "Signed by Jörgen Lindqvist")
		})
	}
}

// TestRenderThenSign follows the audit-certificate endpoint: the
// certificate, sealed.
func TestRenderThenSign(t *testing.T) {
	signed := seal(t, mustRender(t, sample(50)))
	if got := len(attachmentNames(t, signed)); got != 4 {
		t.Errorf("the sealed certificate has %d attachments, want 4", got)
	}
}

func BenchmarkRender(b *testing.B) {
	c := sample(50)
	for b.Loop() {
		if _, err := Render(c); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendAudit(b *testing.B) {
	c, in := sample(50), pdf.Sample(3, "Loan agreement")
	for b.Loop() {
		if _, err := AppendAudit(in, c); err != nil {
			b.Fatal(err)
		}
	}
}
