package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// TestMain points the user's home and config dirs at an empty directory
// and fails if anything (pdfcpu's config dir in particular) appears there.
func TestMain(m *testing.M) {
	home, err := os.MkdirTemp("", "pdf-home-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	os.Setenv("HOME", home)
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(home, ".config"))
	code := m.Run()
	if entries, _ := os.ReadDir(home); len(entries) > 0 && code == 0 {
		fmt.Fprintf(os.Stderr, "FAIL: the package wrote to the home directory: %v\n", entries)
		code = 1
	}
	os.RemoveAll(home)
	os.Exit(code)
}

func TestValidate(t *testing.T) {
	valid := Sample(2, "Loan agreement")
	eof := bytes.LastIndex(valid, []byte("%%EOF"))
	randBytes := make([]byte, 4096)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range randBytes {
		randBytes[i] = byte(rng.UintN(256))
	}

	tests := []struct {
		name        string
		in          []byte
		wantErr     error // nil: valid
		wantPages   int
		wantVersion string
	}{
		{name: "one page", in: Sample(1, "One"), wantPages: 1, wantVersion: "1.7"},
		{name: "several pages", in: Sample(7, "Seven"), wantPages: 7, wantVersion: "1.7"},
		{name: "most pages accepted", in: Sample(1000, "Many"), wantPages: 1000, wantVersion: "1.7"},
		{name: "100 KB", in: SampleOfSize(100 << 10), wantPages: 24, wantVersion: "1.7"},
		{name: "PDF 2.0", in: replace(valid, "%PDF-1.7", "%PDF-2.0"), wantPages: 2, wantVersion: "2.0"},
		{name: "PDF 1.4", in: replace(valid, "%PDF-1.7", "%PDF-1.4"), wantPages: 2, wantVersion: "1.4"},
		{name: "catalog version wins", in: replace(valid, "/Type /Catalog /Pages 2 0 R", "/Type /Catalog /Version /1.6 /Pages 2 0 R"), wantPages: 2, wantVersion: "1.6"},
		{name: "trailing whitespace after EOF", in: append(clone(valid), "\r\n\n  "...), wantPages: 2, wantVersion: "1.7"},
		{name: "no binary comment line", in: replace(valid, "%\xe2\xe3\xcf\xd3\n", "%abcd\n"), wantPages: 2, wantVersion: "1.7"},

		{name: "nil", in: nil, wantErr: ErrNotPDF},
		{name: "empty", in: []byte{}, wantErr: ErrNotPDF},
		{name: "random bytes", in: randBytes, wantErr: ErrNotPDF},
		{name: "JPEG", in: []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"), wantErr: ErrNotPDF},
		{name: "PNG", in: []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), wantErr: ErrNotPDF},
		{name: "DOCX (zip)", in: []byte("PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00"), wantErr: ErrNotPDF},
		{name: "PostScript", in: []byte("%!PS-Adobe-3.0\n%%EOF\n"), wantErr: ErrNotPDF},
		{name: "HTML", in: []byte("<!doctype html><title>%PDF-1.7</title>"), wantErr: ErrNotPDF},
		{name: "text", in: []byte("this is not a pdf\n"), wantErr: ErrNotPDF},
		{name: "UTF-8 BOM before header", in: append([]byte("\xef\xbb\xbf"), valid...), wantErr: ErrNotPDF},
		{name: "junk before header", in: append([]byte("junk\n"), valid...), wantErr: ErrNotPDF},
		{name: "lowercase header", in: replace(valid, "%PDF-1.7", "%pdf-1.7"), wantErr: ErrNotPDF},
		{name: "unknown version 1.9", in: replace(valid, "%PDF-1.7", "%PDF-1.9"), wantErr: ErrNotPDF},
		{name: "unknown version 3.0", in: replace(valid, "%PDF-1.7", "%PDF-3.0"), wantErr: ErrNotPDF},
		{name: "version 1.17", in: replace(valid, "%PDF-1.7\n", "%PDF-1.17"), wantErr: ErrNotPDF},

		{name: "header only", in: []byte("%PDF-1.7\n"), wantErr: ErrMalformed},
		{name: "header without newline", in: []byte("%PDF-1.7"), wantErr: ErrMalformed},
		{name: "header and EOF marker", in: []byte("%PDF-1.7\n%%EOF\n"), wantErr: ErrMalformed},
		{name: "garbage body", in: []byte("%PDF-1.7\n" + strings.Repeat("garbage ", 200) + "\n%%EOF\n"), wantErr: ErrMalformed},
		{name: "random body", in: append(append([]byte("%PDF-1.7\n"), randBytes...), "\n%%EOF\n"...), wantErr: ErrMalformed},
		{name: "truncated to half", in: valid[:len(valid)/2], wantErr: ErrMalformed},
		{name: "truncated before EOF marker", in: valid[:eof], wantErr: ErrMalformed},
		{name: "EOF marker too far from the end", in: append(clone(valid), bytes.Repeat([]byte{' '}, 2000)...), wantErr: ErrMalformed},
		{name: "truncated and EOF appended", in: append(clone(valid[:len(valid)/2]), "\n%%EOF\n"...), wantErr: ErrMalformed},
		{name: "page object cut out", in: cutObjects(valid, 7, 8), wantErr: ErrMalformed},
		{name: "content stream cut out", in: cutObjects(valid, 8, 9), wantErr: ErrMalformed},
		{name: "page count lies", in: replace(valid, "/Count 2", "/Count 9"), wantErr: ErrMalformed},
		{name: "page tree cycle", in: replace(valid, "/Kids [5 0 R 7 0 R]", "/Kids [5 0 R 2 0 R]"), wantErr: ErrMalformed},
		{name: "page with wrong type", in: replace(valid, "<< /Type /Page /Parent", "<< /Type /Font /Parent"), wantErr: ErrMalformed},
		{name: "no catalog", in: replace(valid, "/Root 1 0 R", "/Root 9 0 R"), wantErr: ErrMalformed},
		{name: "no pages", in: replace(valid, "/Kids [5 0 R 7 0 R] /Count 2", "/Kids []          /Count 0"), wantErr: ErrNoPages},
		{name: "encrypted, empty user password", in: encrypt(t, valid, ""), wantErr: ErrEncrypted},
		{name: "encrypted, user password", in: encrypt(t, valid, "secret"), wantErr: ErrEncrypted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info, err := Validate(tt.in)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("Validate() error = %v, want %v", err, tt.wantErr)
				}
				if info != (Info{}) {
					t.Errorf("Validate() info = %+v on error, want zero", info)
				}
				if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(msg) > maxErrDetail+50 {
					t.Errorf("error message is not a short single line: %q", msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("Validate() error = %v", err)
			}
			if info.Pages != tt.wantPages || info.Version != tt.wantVersion {
				t.Errorf("Validate() = %+v, want {Pages:%d Version:%s}", info, tt.wantPages, tt.wantVersion)
			}
		})
	}
}

func TestValidateErrorMessages(t *testing.T) {
	for _, tt := range []struct {
		in   []byte
		want string
	}{
		{[]byte("hello"), "not a PDF: missing %PDF- header"},
		{[]byte("%PDF-1.7\n"), "PDF does not parse: "},
		{replace(Sample(1, "x"), "/Kids [5 0 R] /Count 1", "/Kids []      /Count 0"), "PDF has no pages"},
		{encrypt(t, Sample(1, "x"), "pw"), "PDF is encrypted"},
	} {
		_, err := Validate(tt.in)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Validate(%.20q) error = %v, want prefix %q", tt.in, err, tt.want)
		}
	}
}

// TestConcurrent runs the package's operations in parallel for the race
// detector: pdfcpu keeps some global state (configuration, font metrics).
func TestConcurrent(t *testing.T) {
	in := Sample(3, "Concurrent")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			if _, err := Validate(in); err != nil {
				t.Error(err)
			}
			out, err := Stamp(in, fmt.Sprintf("Signed by signer %d", i))
			if err != nil {
				t.Error(err)
				return
			}
			if out, err = AppendPage(out, []string{"audit", fmt.Sprint(i)}); err != nil {
				t.Error(err)
				return
			}
			if _, err = Attach(out, "sig.xml", []byte("<x/>")); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
}

func BenchmarkValidate(b *testing.B) {
	inputs := []struct {
		name string
		in   []byte
	}{
		{"10KB", SampleOfSize(10 << 10)},
		{"100KB", SampleOfSize(100 << 10)},
		{"1024KB", SampleOfSize(1 << 20)},
		{"1000pages", Sample(1000, "Many pages")},
		// A scanned contract: 200 pages with a 50 KB image each.
		{"10MB-scanned", scannedPDF(200, 50<<10)},
		// 1000 pages of deflated text, 30 KiB each: the most content the
		// defaults accept.
		{"1000pages-32MiB-content", textPDF(1000, 30<<10, 0)},
	}
	for _, tt := range inputs {
		b.Run(tt.name, func(b *testing.B) {
			b.SetBytes(int64(len(tt.in)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Validate(tt.in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// scannedPDF returns a PDF whose pages each show one image of size bytes
// (random bytes labelled as JPEG: nothing here decodes images).
func scannedPDF(pages, size int) []byte {
	rng := rand.New(rand.NewPCG(3, 4))
	img := make([]byte, size)
	for i := range img {
		img[i] = byte(rng.UintN(256))
	}
	objs := []testObj{catalog, {}}
	var kids strings.Builder
	for range pages {
		page := len(objs) + 1
		fmt.Fprintf(&kids, "%d 0 R ", page)
		objs = append(objs,
			dictObj("<< /Type /Page /Parent 2 0 R /Resources << /XObject << /Im0 %d 0 R >> >> /Contents %d 0 R >>", page+1, page+2),
			streamObj("<< /Type /XObject /Subtype /Image /Width 1240 /Height 1754 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /DCTDecode >>", img),
			streamObj("<< >>", []byte("q 595 0 0 842 0 0 cm /Im0 Do Q")))
	}
	objs[1] = dictObj("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids.String(), pages)
	return writeTestPDF(objs, testLayout{})
}

func replace(b []byte, old, new string) []byte {
	if !bytes.Contains(b, []byte(old)) {
		panic(fmt.Sprintf("replace: %q not found", old))
	}
	return bytes.Replace(b, []byte(old), []byte(new), 1)
}

func clone(b []byte) []byte { return bytes.Clone(b) }

// cutObjects removes the objects from "from 0 obj" up to "to 0 obj" (or the
// xref table), keeping the rest of the file, %%EOF included.
func cutObjects(b []byte, from, to int) []byte {
	i := bytes.Index(b, fmt.Appendf(nil, "\n%d 0 obj", from))
	j := bytes.Index(b, fmt.Appendf(nil, "\n%d 0 obj", to))
	if j < 0 {
		j = bytes.Index(b, []byte("\nxref\n"))
	}
	if i < 0 || j < i {
		panic("cutObjects: objects not found")
	}
	return append(clone(b[:i]), b[j:]...)
}

// encrypt returns b encrypted with AES-256 and the given user password.
func encrypt(t testing.TB, b []byte, userPW string) []byte {
	t.Helper()
	conf := model.NewAESConfiguration(userPW, "owner-secret", 256)
	var out bytes.Buffer
	if err := api.Encrypt(bytes.NewReader(b), &out, conf); err != nil {
		t.Fatalf("encrypt: %v", err)
	}
	return out.Bytes()
}
