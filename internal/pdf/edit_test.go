package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

const signedBy = "Signed by Asha Rao via Aadhaar eSign (sandbox) 2026-11-21T10:00:00Z"

func TestStamp(t *testing.T) {
	in := Sample(3, "Loan agreement")
	orig := clone(in)
	out, err := Stamp(in, signedBy)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(in, orig) {
		t.Fatal("Stamp modified its input")
	}
	mustValidate(t, out, 3)
	text := pdfText(t, out)
	// Once per page: the stamp form is shared or repeated, but present.
	if !strings.Contains(text, signedBy) {
		t.Errorf("stamp text not found in output")
	}
	if !strings.Contains(text, "Loan agreement") {
		t.Errorf("original page content lost")
	}
}

// TestStampRotated stamps a landscape page and a rotated page: pdfcpu
// folds /Rotate into the page while stamping, and the page count must hold.
func TestStampRotated(t *testing.T) {
	// The inserted bytes shift the xref offsets; pdfcpu repairs that.
	in := replace(Sample(2, "Rotated"), "7 0 obj\n<< /Type /Page", "7 0 obj\n<< /Type /Page /Rotate 90")
	in = replace(in, "5 0 obj\n<< /Type /Page", "5 0 obj\n<< /Type /Page /MediaBox [0 0 842 595]")
	mustValidate(t, in, 2)
	out, err := Stamp(in, signedBy)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	if out, err = AppendPage(out, []string{"audit"}); err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 3)
}

func TestStampStacks(t *testing.T) {
	out := Sample(1, "Two signers")
	texts := []string{"Signed by A", "Signed by B\nwith a second line", "Signed by C"}
	for _, s := range texts {
		var err error
		if out, err = Stamp(out, s); err != nil {
			t.Fatal(err)
		}
	}
	mustValidate(t, out, 1)
	if got := stampLines(t, out); got != 4 {
		t.Errorf("stamp line count = %d, want 4", got)
	}
	text := pdfText(t, out)
	for _, want := range []string{"Signed by A", "Signed by B", "with a second line", "Signed by C"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q not found in output", want)
		}
	}
	// Each stamp sits higher than the one before, so none overlaps another.
	if ys := stampOffsets(t, out); len(ys) != 3 || !(ys[0] < ys[1] && ys[1] < ys[2]) {
		t.Errorf("stamp y offsets = %v, want 3 increasing", ys)
	}
}

func TestStampText(t *testing.T) {
	in := Sample(1, "Text")
	for _, tt := range []struct{ in, want string }{
		{"100% done", "100% done"},
		{"page %p of %P at %t by %v", "page % p of % P at % t by % v"},
		{"(parens) and back\\slash", "(parens) and back\\slash"},
		{"Jos\u00e9 M\u00fcller", "Jos\u00e9 M\u00fcller"},
		{"Asha \u2013 \u201cRao\u201d", "Asha - \"Rao\""},
		{"tab\tand\x00nul", "tab and nul"},
		{"literal \\n stays", "literal \\ n stays"},
	} {
		out, err := Stamp(in, tt.in)
		if err != nil {
			t.Fatalf("Stamp(%q): %v", tt.in, err)
		}
		mustValidate(t, out, 1)
		if text := pdfText(t, out); !strings.Contains(text, latin1(tt.want)) {
			t.Errorf("Stamp(%q): %q not found in output", tt.in, tt.want)
		}
	}
	// Characters outside Latin-1 cannot be drawn with a standard font, but
	// must not break the document.
	out, err := Stamp(in, "\u0906\u0936\u093e \u0930\u093e\u0935 \u2713")
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 1)
}

func TestStampErrors(t *testing.T) {
	if _, err := Stamp(Sample(1, "x"), " \n\n"); err == nil {
		t.Error("Stamp with blank text: want error")
	}
	if _, err := Stamp([]byte("not a pdf"), "x"); !errors.Is(err, ErrNotPDF) {
		t.Errorf("Stamp(not a PDF) error = %v, want ErrNotPDF", err)
	}
	if _, err := Stamp([]byte("%PDF-1.7\n%%EOF\n"), "x"); !errors.Is(err, ErrMalformed) {
		t.Errorf("Stamp(broken PDF) error = %v, want ErrMalformed", err)
	}
	if _, err := Stamp(encrypt(t, Sample(1, "x"), ""), "x"); !errors.Is(err, ErrEncrypted) {
		t.Errorf("Stamp(encrypted) error = %v, want ErrEncrypted", err)
	}
}

func TestAppendPage(t *testing.T) {
	in := Sample(2, "Contract")
	lines := []string{"BankID signature audit", "", "Signer: Bo Ek", "Signed: 2026-11-21T10:00:00Z", "Order ref: 131daac9-16c6-4618-beb0-365768f37288"}
	out, err := AppendPage(in, lines)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 3)
	text := pdfText(t, out)
	for _, l := range lines {
		if !strings.Contains(text, l) {
			t.Errorf("line %q not found in output", l)
		}
	}
	// The text is on the new last page only.
	if got := pageText(t, out, 2); strings.Contains(got, "BankID") {
		t.Error("audit text found on page 2")
	}
	if got := pageText(t, out, 3); !strings.Contains(got, "BankID") {
		t.Error("audit text not on page 3")
	}

	// Stamping after appending covers the audit page too, and vice versa.
	stamped, err := Stamp(out, signedBy)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, stamped, 3)
	again, err := AppendPage(stamped, []string{"second audit page"})
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, again, 4)
}

func TestAppendPageLimits(t *testing.T) {
	in := Sample(1, "x")
	if _, err := AppendPage(in, nil); err == nil {
		t.Error("AppendPage(no lines): want error")
	}
	full := make([]string, maxAuditLines)
	for i := range full {
		full[i] = fmt.Sprintf("line %d: %s", i+1, strings.Repeat("x", 60))
	}
	out, err := AppendPage(in, full)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	if _, err := AppendPage(in, append(full, "one too many")); err == nil {
		t.Error("AppendPage(too many lines): want error")
	}
	if _, err := AppendPage([]byte("nope"), []string{"x"}); !errors.Is(err, ErrNotPDF) {
		t.Errorf("AppendPage(not a PDF) error = %v, want ErrNotPDF", err)
	}
}

func TestAttach(t *testing.T) {
	in := Sample(2, "Contract")
	xml := []byte(`<?xml version="1.0"?><Signature xmlns="http://www.w3.org/2000/09/xmldsig#">` + strings.Repeat("A", 5000) + `</Signature>`)
	out, err := Attach(in, "bankid-signature.xml", xml)
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	if got := attachments(t, out); len(got) != 1 || !bytes.Equal(got["bankid-signature.xml"], xml) {
		t.Fatalf("attachments = %v, want bankid-signature.xml with the XML", keys(got))
	}

	// A second name adds, the same name replaces.
	out, err = Attach(out, "ocsp.der", []byte{0x30, 0x82, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	out, err = Attach(out, "bankid-signature.xml", []byte("<v2/>"))
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 2)
	got := attachments(t, out)
	if len(got) != 2 || string(got["bankid-signature.xml"]) != "<v2/>" || !bytes.Equal(got["ocsp.der"], []byte{0x30, 0x82, 0x00}) {
		t.Errorf("attachments = %v", keys(got))
	}

	// Stamping keeps attachments.
	stamped, err := Stamp(out, signedBy)
	if err != nil {
		t.Fatal(err)
	}
	if got := attachments(t, stamped); len(got) != 2 {
		t.Errorf("attachments after Stamp = %v", keys(got))
	}
}

func TestAttachErrors(t *testing.T) {
	in := Sample(1, "x")
	for _, name := range []string{"", "a/b.xml", `a\b.xml`, "nul\x00.xml", "bad\xff.xml", strings.Repeat("n", 256)} {
		if _, err := Attach(in, name, []byte("x")); err == nil {
			t.Errorf("Attach(name %q): want error", name)
		}
	}
	if out, err := Attach(in, "empty.txt", nil); err != nil {
		t.Errorf("Attach(empty content): %v", err)
	} else {
		mustValidate(t, out, 1)
	}
}

func mustValidate(t *testing.T, b []byte, pages int) {
	t.Helper()
	info, err := Validate(b)
	if err != nil {
		t.Fatalf("output does not validate: %v", err)
	}
	if info.Pages != pages {
		t.Fatalf("output has %d pages, want %d", info.Pages, pages)
	}
}

// readCtx parses b for inspection in tests.
func readCtx(t *testing.T, b []byte) *model.Context {
	t.Helper()
	ctx, err := api.ReadAndValidate(bytes.NewReader(b), newConfig(model.VALIDATE))
	if err != nil {
		t.Fatal(err)
	}
	return ctx
}

// pdfText returns the decoded content of every stream in b, with string
// escapes undone, which is enough to find text drawn with a standard font.
func pdfText(t *testing.T, b []byte) string {
	t.Helper()
	ctx := readCtx(t, b)
	var sb strings.Builder
	for nr := range *ctx.Size {
		o, err := ctx.Dereference(types.IndirectRef{ObjectNumber: types.Integer(nr)})
		if err != nil {
			continue
		}
		if sd, ok := o.(types.StreamDict); ok && sd.Decode() == nil {
			sb.Write(sd.Content)
			sb.WriteByte('\n')
		}
	}
	return unescape(sb.String())
}

// pageText returns the decoded content of page nr and of the form XObjects
// it uses.
func pageText(t *testing.T, b []byte, nr int) string {
	t.Helper()
	ctx := readCtx(t, b)
	d, _, _, err := ctx.PageDict(nr, false)
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	if c, err := ctx.PageContent(d, nr); err == nil {
		sb.Write(c)
	}
	if res := d.DictEntry("Resources"); res != nil {
		xobjects := res.DictEntry("XObject")
		for _, name := range slices.Sorted(maps.Keys(xobjects)) { // in a stable order: pages are compared by this text
			if sd, _, err := ctx.DereferenceStreamDict(xobjects[name]); err == nil && sd != nil && sd.Decode() == nil {
				sb.Write(sd.Content)
			}
		}
	}
	return unescape(sb.String())
}

var unescaper = strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`)

func unescape(s string) string { return unescaper.Replace(s) }

// latin1 encodes s the way text is stored for a standard font.
func latin1(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = append(b, byte(r))
	}
	return string(b)
}

func stampLines(t *testing.T, b []byte) int {
	t.Helper()
	ctx := readCtx(t, b)
	d, err := ctx.DereferenceDict(*ctx.Info)
	if err != nil || d == nil {
		t.Fatalf("info dict: %v", err)
	}
	n := d.IntEntry(stampKey)
	if n == nil {
		return 0
	}
	return *n
}

// stampOffsets returns the vertical translation of each stamp drawn on the
// first page, in drawing order.
func stampOffsets(t *testing.T, b []byte) []float64 {
	t.Helper()
	ctx := readCtx(t, b)
	d, _, _, err := ctx.PageDict(1, false)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ctx.PageContent(d, 1)
	if err != nil {
		t.Fatal(err)
	}
	// pdfcpu places each stamp with "q 1 0 0 1 x y cm /GSn gs /FmN Do Q".
	var ys []float64
	fields := strings.Fields(string(c))
	for i, f := range fields {
		if f == "cm" && i >= 6 && i+4 < len(fields) && fields[i+4] == "Do" {
			y, err := strconv.ParseFloat(fields[i-1], 64)
			if err != nil {
				t.Fatalf("stamp placement %q: %v", fields[i-6:i+5], err)
			}
			ys = append(ys, y)
		}
	}
	return ys
}

func attachments(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	aa, err := api.ExtractAttachmentsRaw(bytes.NewReader(b), "", nil, newConfig(model.EXTRACTATTACHMENTS))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, a := range aa {
		data, err := io.ReadAll(a)
		if err != nil {
			t.Fatal(err)
		}
		m[a.FileName] = data
	}
	return m
}

func keys(m map[string][]byte) []string {
	var ks []string
	for k, v := range m {
		ks = append(ks, fmt.Sprintf("%s (%d bytes)", k, len(v)))
	}
	return ks
}

func BenchmarkStamp(b *testing.B) {
	in := SampleOfSize(100 << 10)
	b.SetBytes(int64(len(in)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Stamp(in, signedBy); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAttachMany builds an EmbeddedFiles name tree with intermediate nodes
// (pdfcpu splits a node past three entries) and checks that attaching
// again keeps, and replaces, what is in it.
func TestAttachMany(t *testing.T) {
	out := Sample(1, "Attachments")
	want := map[string][]byte{}
	for i := range 7 {
		name := fmt.Sprintf("file-%d.txt", i)
		want[name] = []byte(fmt.Sprintf("content %d", i))
		var err error
		if out, err = Attach(out, name, want[name]); err != nil {
			t.Fatalf("Attach(%s): %v", name, err)
		}
	}
	want["file-3.txt"] = []byte("replaced")
	out, err := Attach(out, "file-3.txt", want["file-3.txt"])
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 1)
	d := readerFor(t, out)
	catalog, _ := d.resolve(d.root)
	names, _ := d.resolve(catalog.get("Names"))
	if tree, _ := d.resolve(names.get("EmbeddedFiles")); tree.get("Kids").kind != kindArray {
		t.Fatalf("the name tree has no intermediate nodes: %q", tree.raw)
	}
	got := attachments(t, out)
	if len(got) != len(want) {
		t.Fatalf("attachments = %v, want %d", keys(got), len(want))
	}
	for name, content := range want {
		if !bytes.Equal(got[name], content) {
			t.Errorf("attachment %s = %q, want %q", name, got[name], content)
		}
	}
}
