package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pdfTool runs an outside PDF tool (pdfsig, pdftotext, qpdf …) on doc,
// with args before the file's path, and returns what it printed; ok is
// false, after a log line saying how to install it, when it is absent.
// Its exit status is not judged: pdfsig exits 0 either way, and callers
// read the text.
func pdfTool(t *testing.T, doc []byte, tool string, args ...string) (out string, ok bool) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		pkg := "poppler-utils"
		if tool == "qpdf" {
			pkg = "qpdf"
		}
		t.Logf("%s not installed (apt-get install %s): that outside check is skipped", tool, pkg)
		return "", false
	}
	path := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(path, doc, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	args = append(args, path)
	if tool == "pdftotext" {
		args = append(args, "-")
	}
	b, _ := exec.CommandContext(ctx, tool, args...).CombinedOutput()
	return string(b), true
}

// pdfWords is doc's text with every run of white space one space, and
// ok false when pdftotext is absent.
func pdfWords(t *testing.T, doc []byte) (string, bool) {
	t.Helper()
	out, ok := pdfTool(t, doc, "pdftotext", "-layout")
	return strings.Join(strings.Fields(out), " "), ok
}

// qpdfCheck fails the test when qpdf --check finds an error in doc.
func qpdfCheck(t *testing.T, doc []byte, what string) {
	t.Helper()
	if out, ok := pdfTool(t, doc, "qpdf", "--check"); ok && !strings.Contains(out, "No syntax or stream encoding errors found") {
		t.Errorf("qpdf --check on %s:\n%s", what, out)
	}
}
