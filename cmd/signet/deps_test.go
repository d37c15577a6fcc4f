package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestNoTestCodeInBinary keeps test helpers out of the signet binary: the
// package testing (which registers its flags and pulls in test machinery),
// net/http/httptest, and this module's own *test packages (pkitest,
// providertest, storetest, mailtest, ...) may only be imported by _test.go
// files. A library that imports testing from a non-test file (as
// digitorus/pkcs7 does) trips this too.
func TestNoTestCodeInBinary(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("no go command to list the binary's packages: %v", err)
	}
	module := goList(t, goTool, "list", "-m")
	deps := strings.Fields(goList(t, goTool, "list", "-deps", "."))
	if !slices.Contains(deps, module+"/cmd/signet") {
		t.Fatalf("go list -deps does not list cmd/signet itself: %v", deps)
	}
	for _, pkg := range deps {
		if isTestPackage(pkg, module) {
			t.Errorf("the signet binary imports %s, test-only code", pkg)
		}
	}
}

// isTestPackage reports whether pkg is test-only code.
func isTestPackage(pkg, module string) bool {
	switch {
	case pkg == "testing", strings.HasPrefix(pkg, "testing/"), pkg == "net/http/httptest":
		return true
	case strings.HasPrefix(pkg, module+"/"):
		last := pkg[strings.LastIndex(pkg, "/")+1:]
		return strings.HasSuffix(last, "test")
	}
	return false
}

func TestIsTestPackage(t *testing.T) {
	const module = "github.com/signet-dev/signet"
	for pkg, want := range map[string]bool{
		"testing":                                  true,
		"testing/fstest":                           true,
		"net/http/httptest":                        true,
		module + "/internal/pki/pkitest":           true,
		module + "/internal/provider/providertest": true,
		module + "/internal/storetest":             true,
		module + "/internal/pki":                   false,
		module + "/internal/provider/bankid/sim":   false,
		"net/http":                                 false,
		"internal/synctest":                        false, // a standard library internal, not test code
		"github.com/other/thing/footest":           false,
	} {
		if got := isTestPackage(pkg, module); got != want {
			t.Errorf("isTestPackage(%q) = %v, want %v", pkg, got, want)
		}
	}
}

func goList(t *testing.T, goTool string, args ...string) string {
	t.Helper()
	out, err := exec.Command(goTool, args...).Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		}
		t.Fatalf("go %s: %v", strings.Join(args, " "), err)
	}
	return strings.TrimSpace(string(out))
}
