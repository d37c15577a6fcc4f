package evidence

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Helpers that run poppler-utils and qpdf on a PDF in a temporary file.

// tool runs name with args, in which "FILE" stands for b written to a
// temporary file, and returns its output. It skips the test when the tool
// is missing.
func tool(t *testing.T, b []byte, name string, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath(name); err != nil {
		pkg := "poppler-utils"
		if name == "qpdf" {
			pkg = "qpdf"
		}
		t.Skipf("%s not installed: apt-get install %s", name, pkg)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "doc.pdf")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "FILE", f)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "HOME="+dir)
	out, err := cmd.Output()
	if err != nil && name != "pdfsig" { // pdfsig's exit status says nothing
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// pdftotext returns the text of pages first to last (0: all pages).
func pdftotext(t *testing.T, b []byte, first, last int) string {
	t.Helper()
	args := []string{"-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", strconv.Itoa(first), "-l", strconv.Itoa(last))
	}
	return tool(t, b, "pdftotext", append(args, "FILE", "-")...)
}

// flat collapses all white space, for matching text across line breaks.
func flat(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\u00a0", " ")), " ")
}

// checkQpdf requires qpdf --check to find nothing wrong.
func checkQpdf(t *testing.T, b []byte) {
	t.Helper()
	out := tool(t, b, "qpdf", "--check", "FILE")
	if !strings.Contains(out, "No syntax or stream encoding errors found") || strings.Contains(out, "WARNING") {
		t.Errorf("qpdf --check:\n%s", out)
	}
}

// attachmentNames lists the embedded files as pdfdetach sees them.
func attachmentNames(t *testing.T, b []byte) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(tool(t, b, "pdfdetach", "-list", "FILE"), "\n") {
		if _, name, ok := strings.Cut(line, ": "); ok {
			names = append(names, name)
		}
	}
	return names
}

// detach returns the content of the embedded file number n (from 1,
// in pdfdetach's order).
func detach(t *testing.T, b []byte, n int) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "attachment")
	tool(t, b, "pdfdetach", "-save", strconv.Itoa(n), "-o", out, "FILE")
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// pageCount returns the number of pages pdfinfo reports.
func pageCount(t *testing.T, b []byte) int {
	t.Helper()
	for _, line := range strings.Split(tool(t, b, "pdfinfo", "FILE"), "\n") {
		if v, ok := strings.CutPrefix(line, "Pages:"); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("pdfinfo: %q", line)
			}
			return n
		}
	}
	t.Fatal("pdfinfo reports no page count")
	return 0
}
