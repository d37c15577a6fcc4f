package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/pdfsign/sign"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"github.com/signet-dev/signet/internal/pki/pkitest"
)

func TestAppendPages(t *testing.T) {
	// Sample's pages inherit their /MediaBox from the page tree; the
	// attachment must come along.
	tail, err := Attach(Sample(2, "Appended tail"), "evidence.xml", []byte("<evidence/>"))
	if err != nil {
		t.Fatal(err)
	}
	cred := pkitest.Credential(t, "Signet Seal")
	signer := &PAdES{Key: cred.Key, Chain: cred.Chain, Now: fixedNow}
	for name, in := range signInputs(t) {
		t.Run(name, func(t *testing.T) {
			before, err := Validate(in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := AppendPages(in, tail)
			if err != nil {
				t.Fatalf("AppendPages: %v", err)
			}
			if !bytes.HasPrefix(out, in) {
				t.Fatal("AppendPages changed the document's bytes")
			}
			mustValidate(t, out, before.Pages+2)
			checkQpdf(t, out)
			for i := range before.Pages {
				if got, want := pageText(t, out, i+1), pageText(t, in, i+1); got != want {
					t.Errorf("page %d changed", i+1)
				}
			}
			for _, nr := range []int{before.Pages + 1, before.Pages + 2} {
				if text := pageText(t, out, nr); !strings.Contains(text, "(Appended tail)") {
					t.Errorf("page %d does not show the tail: %q", nr, text)
				}
				d, _, _, err := readCtx(t, out).PageDict(nr, false)
				if err != nil {
					t.Fatal(err)
				}
				if box := d.ArrayEntry("MediaBox"); len(box) != 4 {
					t.Errorf("page %d: /MediaBox %v, want the one inherited in the tail", nr, d["MediaBox"])
				}
			}
			if got := attachments(t, out); string(got["evidence.xml"]) != "<evidence/>" {
				t.Errorf("attachments %v, want evidence.xml", keys(got))
			}
			// The result signs like any document, and signatures made
			// before stay valid.
			sigs, err := Verify(in)
			if err != nil {
				t.Fatal(err)
			}
			signed := mustSign(t, signer, out)
			mustVerify(t, signed, len(sigs)+1)
			checkPdfsig(t, signed, len(sigs)+1)
		})
	}
}

func TestAppendPagesOwnAttributes(t *testing.T) {
	// The document's page tree would pass its rotation and crop box on.
	doc := func(tree string) []byte {
		return handPDF("<< /Type /Catalog /Pages 2 0 R >>",
			"<< /Type /Pages /Kids [3 0 R] /Count 1 "+tree+" >>",
			"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
			"<< /Length 0 >>\nstream\n\nendstream")
	}
	in := doc("/MediaBox [0 0 595 842] /Rotate 90 /CropBox [0 0 100 100] /Resources << >>")
	tail := doc("/MediaBox [0 0 600 800]")
	out, err := AppendPages(in, tail)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	ctx := readCtx(t, out)
	d, _, _, err := ctx.PageDict(2, false)
	if err != nil {
		t.Fatal(err)
	}
	if r := d.IntEntry("Rotate"); r == nil || *r != 0 {
		t.Errorf("appended page /Rotate = %v, want 0", d["Rotate"])
	}
	for _, k := range []string{"MediaBox", "CropBox"} {
		var got []float64
		for _, v := range d.ArrayEntry(k) {
			switch n := v.(type) {
			case types.Integer:
				got = append(got, float64(n))
			case types.Float:
				got = append(got, float64(n))
			}
		}
		if want := []float64{0, 0, 600, 800}; !slices.Equal(got, want) {
			t.Errorf("appended page /%s = %v, want the tail's %v", k, d[k], want)
		}
	}
}

func TestAppendPagesMergesAttachments(t *testing.T) {
	in, err := Attach(Sample(1, "Original"), "a.txt", []byte("original a"))
	if err != nil {
		t.Fatal(err)
	}
	if in, err = Attach(in, "b.txt", []byte("original b")); err != nil {
		t.Fatal(err)
	}
	tail, err := Attach(Sample(1, "Tail"), "a.txt", []byte("tail a"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := AppendPages(in, tail)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	checkQpdf(t, out)
	// Both a.txt are there: the tail's under a new key in the name tree.
	aa, err := api.ExtractAttachmentsRaw(bytes.NewReader(out), "", nil, newConfig(model.EXTRACTATTACHMENTS))
	if err != nil {
		t.Fatal(err)
	}
	var contents []string
	for _, a := range aa {
		data, err := io.ReadAll(a)
		if err != nil {
			t.Fatal(err)
		}
		contents = append(contents, a.FileName+": "+string(data))
	}
	slices.Sort(contents)
	if want := []string{"a.txt: original a", "a.txt: tail a", "b.txt: original b"}; !slices.Equal(contents, want) {
		t.Errorf("attachments %q, want %q", contents, want)
	}
}

func TestAppendPagesKeepsSignatures(t *testing.T) {
	in := pdfsignSigned(t, Sample(1, "Signed elsewhere"), sign.ApprovalSignature)
	out, err := AppendPages(in, Sample(1, "Tail"))
	if err != nil {
		t.Fatal(err)
	}
	sigs, err := Verify(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(sigs) != 1 || !sigs[0].Valid || sigs[0].CoversWholeDocument {
		t.Fatalf("Verify: %+v, want the earlier signature valid over the earlier revision", sigs)
	}
}

func TestAppendPagesErrors(t *testing.T) {
	good := Sample(1, "Good")
	for _, tc := range []struct {
		name    string
		b, tail []byte
		want    error
	}{
		{"document not a PDF", []byte("hello"), good, ErrNotPDF},
		{"tail not a PDF", good, []byte("hello"), ErrNotPDF},
		{"truncated tail", good, good[:len(good)/2], ErrMalformed},
		{"certified document", pdfsignSigned(t, good, sign.CertificationSignature), good, ErrCertified},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := AppendPages(tc.b, tc.tail); !errors.Is(err, tc.want) {
				t.Errorf("AppendPages = %v, want %v", err, tc.want)
			}
		})
	}
}

// withFiles is a one-page document whose embedded files hang in a name
// tree of the given shape: names is the catalog's /Names value, extra
// objects (from number 6) hold the tree.
func withFiles(names string, extra ...string) []byte {
	content := "BT /F1 12 Tf 50 800 Td (Files) Tj ET"
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /Names " + names + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >> >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
	}
	return handPDF(append(objs, extra...)...)
}

// fileSpec is an embedded file's specification and its stream.
var fileSpec = []string{
	"<< /Type /Filespec /F (old.txt) /UF (old.txt) /EF << /F 99 0 R >> >>",
	"<< /Type /EmbeddedFile /Length 3 >>\nstream\nold\nendstream",
}

// appendFuzzSeeds are the seeds of FuzzAppendPages: documents whose page
// trees and name trees AppendPages must read.
func appendFuzzSeeds() map[string][]byte {
	spec := func(tree ...string) []string {
		// The file specification and its stream follow the tree's objects.
		n := 6 + len(tree)
		s := strings.Replace(fileSpec[0], "99 0 R", fmt.Sprintf("%d 0 R", n+1), 1)
		return append(tree, s, fileSpec[1])
	}
	return map[string][]byte{
		"sample":             Sample(2, "Fuzz"),
		"form":               formPDF(),
		"names-leaf":         withFiles("<< /EmbeddedFiles 6 0 R >>", spec("<< /Names [(old.txt) 7 0 R] >>")...),
		"names-indirect":     withFiles("6 0 R", spec("<< /EmbeddedFiles 7 0 R >>", "<< /Names [<6F6C642E747874> 8 0 R] >>")...),
		"names-kids":         withFiles("<< /EmbeddedFiles 6 0 R >>", spec("<< /Kids [7 0 R] >>", "<< /Names [(old.txt) 8 0 R] /Limits [(old.txt) (old.txt)] >>")...),
		"names-cycle":        withFiles("<< /EmbeddedFiles 6 0 R >>", "<< /Kids [6 0 R] >>"),
		"names-bad-key":      withFiles("<< /EmbeddedFiles 6 0 R >>", spec("<< /Names [42 7 0 R] >>")...),
		"names-odd":          withFiles("<< /EmbeddedFiles 6 0 R >>", spec("<< /Names [(old.txt) 7 0 R (dangling)] >>")...),
		"names-not-dict":     withFiles("[1 2 3]"),
		"pages-count-string": bytes.Replace(Sample(1, "Fuzz"), []byte("/Count 1"), []byte("/Count (1)"), 1),
	}
}

// FuzzAppendPages feeds arbitrary documents to AppendPages (the tail is
// Signet's own): it must not panic, and what it returns must validate,
// keep the document's bytes and have the tail's pages added.
func FuzzAppendPages(f *testing.F) {
	for _, b := range appendFuzzSeeds() {
		f.Add(b)
	}
	tail, err := Attach(Sample(1, "Tail"), "old.txt", []byte("tail"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		start := time.Now()
		out, err := AppendPages(b, tail)
		if d := time.Since(start); d > slowInput && len(b) < 1<<20 {
			t.Fatalf("AppendPages took %v on %d bytes", d, len(b))
		}
		if err != nil {
			return
		}
		before, err := Validate(b)
		if err != nil {
			t.Fatalf("AppendPages accepted a document that does not validate: %v", err)
		}
		if !bytes.HasPrefix(out, b) {
			t.Fatal("AppendPages changed the document's bytes")
		}
		after, err := Validate(out)
		if err != nil {
			t.Fatalf("output does not validate: %v", err)
		}
		if after.Pages != before.Pages+1 {
			t.Fatalf("output has %d pages, want %d", after.Pages, before.Pages+1)
		}
	})
}

// TestAppendPagesFuzzSeeds keeps testdata/fuzz/FuzzAppendPages in sync
// with appendFuzzSeeds, and checks what the seeds exercise.
func TestAppendPagesFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzAppendPages")
	seeds := appendFuzzSeeds()
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			if err := os.WriteFile(filepath.Join(dir, name), corpusFile(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, b := range seeds {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, corpusFile(b)) {
			t.Errorf("seed %s differs from appendFuzzSeeds (run with -update)", name)
		}
	}
	tail := Sample(1, "Tail")
	for _, name := range []string{"names-leaf", "names-indirect", "names-kids"} {
		out, err := AppendPages(seeds[name], tail)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got := attachments(t, out); string(got["old.txt"]) != "old" {
			t.Errorf("%s: attachments %v, want old.txt kept", name, keys(got))
		}
	}
	// A cyclic name tree is read with a depth limit, when there are files
	// to add to it.
	withFile, err := Attach(tail, "new.txt", []byte("new"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := AppendPages(seeds["names-cycle"], withFile); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Errorf("names-cycle: %v, want an error about the tree's depth", err)
	}
}
