package pdf

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Regenerate the committed fixtures with
//
//	go test ./internal/pdf -run 'TestFixtures|TestFuzzSeeds' -update
var update = flag.Bool("update", false, "rewrite testdata fixtures and fuzz seeds")

const (
	contractTitle = "Sample loan agreement"
	fixtureDir    = "../../testdata"
)

func TestSample(t *testing.T) {
	for _, pages := range []int{-1, 0, 1, 2, 10} {
		b := Sample(pages, "Title")
		mustValidate(t, b, max(pages, 1))
		if !bytes.Equal(b, Sample(pages, "Title")) {
			t.Errorf("Sample(%d) is not deterministic", pages)
		}
	}
	if bytes.Equal(Sample(1, "A"), Sample(1, "B")) {
		t.Error("title does not change the output")
	}
	// Titles that need escaping or UTF-16 in the info dictionary.
	for _, title := range []string{"", "(x) \\ y", "Loan \u2013 Jos\u00e9", "\u0905\u0928\u0941\u092c\u0902\u0927", "line\nbreak"} {
		b := Sample(2, title)
		mustValidate(t, b, 2)
		ctx := readCtx(t, b)
		if title != "" && ctx.Title != title {
			t.Errorf("Sample title = %q, want %q", ctx.Title, title)
		}
	}
}

func TestSampleOfSize(t *testing.T) {
	smallest := len(SampleOfSize(0))
	for _, n := range []int{0, 100, smallest, smallest + 1, smallest + 2, smallest + 3, 1000, 4096, 10_000, 100 << 10, 1 << 20, 10 << 20} {
		b := SampleOfSize(n)
		if n >= smallest && len(b) != n {
			t.Errorf("SampleOfSize(%d) has %d bytes", n, len(b))
		}
		info, err := Validate(b)
		if err != nil {
			t.Errorf("SampleOfSize(%d) does not validate: %v", n, err)
		}
		if info.Pages > sampleMaxPages || info.Pages > DefaultLimits().MaxPages {
			t.Errorf("SampleOfSize(%d) has %d pages, over %d", n, info.Pages, sampleMaxPages)
		}
	}
	// Every size near a page boundary converges.
	for n := 4000; n < 4100; n++ {
		if b := SampleOfSize(n); len(b) != n {
			t.Fatalf("SampleOfSize(%d) has %d bytes", n, len(b))
		}
	}
}

// TestFixtures checks the committed fixtures in /testdata against the
// generator, so a change to Sample cannot silently diverge from them.
func TestFixtures(t *testing.T) {
	contract := Sample(2, contractTitle)
	notPDF := []byte("This is a plain text file, not a PDF.\nUploading it as a contract must fail with a 400.\n")
	files := map[string][]byte{"contract.pdf": contract, "not-a-pdf.txt": notPDF}
	if *update {
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(fixtureDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(fixtureDir, name))
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the generator (run with -update)", name)
		}
	}
	mustValidate(t, contract, 2)
	if _, err := Validate(notPDF); !errors.Is(err, ErrNotPDF) {
		t.Errorf("not-a-pdf.txt: error = %v, want ErrNotPDF", err)
	}
}

// fuzzSeeds are the committed seed corpus of FuzzValidate: a valid PDF,
// truncations of it, and a few near misses.
func fuzzSeeds() map[string][]byte {
	small := Sample(1, "Fuzz")
	seeds := map[string][]byte{
		"valid-1-page":      small,
		"valid-2-pages":     Sample(2, "Fuzz"),
		"header-only":       []byte("%PDF-1.7\n"),
		"header-and-eof":    []byte("%PDF-1.7\n%%EOF\n"),
		"truncated-eof":     small[:bytes.LastIndex(small, []byte("%%EOF"))],
		"no-pages":          bytes.Replace(small, []byte("/Kids [5 0 R] /Count 1"), []byte("/Kids []      /Count 0"), 1),
		"page-tree-cycle":   bytes.Replace(small, []byte("/Kids [5 0 R]"), []byte("/Kids [2 0 R]"), 1),
		"xref-stream":       mustStamp(small),
		"jpeg":              []byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00"),
		"broken-xref-entry": bytes.Replace(small, []byte(" 00000 n \n"), []byte(" 00000 x \n"), 1),
	}
	for _, frac := range []int{10, 25, 50, 75, 90} {
		seeds[fmt.Sprintf("truncated-%d", frac)] = small[:len(small)*frac/100]
		// Truncated but with an end marker, to get past the %%EOF check.
		seeds[fmt.Sprintf("truncated-%d-eof", frac)] = append(bytes.Clone(small[:len(small)*frac/100]), "\n%%EOF\n"...)
	}
	// The small hostile files, and files just beyond fuzzLimits.
	for _, name := range []string{"flate-bomb", "object-stream-bomb", "shared-content-bomb", "contents-cycle", "page-tree-cycle", "reference-cycles"} {
		b, err := os.ReadFile(filepath.Join(hostileDir, name+".pdf"))
		if err != nil {
			panic(err)
		}
		seeds["hostile-"+name] = b
	}
	seeds["limit-depth"] = writeTestPDF(append(onePage("/Nest "+strings.Repeat("[", 40)+strings.Repeat("]", 40)), streamObj("<< >>", nil)), testLayout{})
	seeds["limit-pages"] = Sample(fuzzLimits.MaxPages+1, "")
	seeds["limit-objects"] = bytes.Replace(small, []byte("trailer"), []byte("2500 1\n0000000015 00000 n \ntrailer"), 1)
	tree := []testObj{catalog}
	for i := range fuzzLimits.MaxPageTreeDepth + 1 {
		tree = append(tree, dictObj("<< /Type /Pages /Parent %d 0 R /Kids [%d 0 R] /Count 1 /MediaBox [0 0 595 842] >>", 1+i, 3+i))
	}
	seeds["limit-page-tree-depth"] = writeTestPDF(append(tree, dictObj("<< /Type /Page /Parent %d 0 R >>", len(tree))), testLayout{})
	return seeds
}

func mustStamp(b []byte) []byte {
	out, err := Stamp(b, "Signed by Fuzz")
	if err != nil {
		panic(err)
	}
	return out
}

// TestFuzzSeeds keeps testdata/fuzz/FuzzValidate in sync with fuzzSeeds.
func TestFuzzSeeds(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzValidate")
	seeds := fuzzSeeds()
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range seeds {
			if name == "xref-stream" {
				continue // pdfcpu output carries a timestamp: write once, keep
			}
			if err := os.WriteFile(filepath.Join(dir, name), corpusFile(b), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := os.Stat(filepath.Join(dir, "xref-stream")); err != nil {
			if err := os.WriteFile(filepath.Join(dir, "xref-stream"), corpusFile(seeds["xref-stream"]), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, b := range seeds {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if name != "xref-stream" && !bytes.Equal(got, corpusFile(b)) {
			t.Errorf("seed %s differs from fuzzSeeds (run with -update)", name)
		}
	}
}

// corpusFile encodes b in the format of go test's fuzz corpus files.
func corpusFile(b []byte) []byte {
	return []byte("go test fuzz v1\n[]byte(" + strconv.Quote(string(b)) + ")\n")
}
