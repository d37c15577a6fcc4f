package api_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/api"
)

// The code generators a user is likely to point at GET /openapi.json, at
// the versions checked here. Each must generate code that compiles, at its
// defaults.
const (
	oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"
	ogen        = "github.com/ogen-go/ogen/cmd/ogen@v1.24.0"
)

// TestGeneratedClientsCompile runs oapi-codegen (default generate:
// types, client, echo server, embedded spec) and ogen (client and server)
// on api.JSON() in a new module and builds the result. It needs the Go
// module proxy (or a module cache holding the generators and what their
// code imports) and skips when that cannot be had.
func TestGeneratedClientsCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and runs code generators")
	}
	spec, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []struct {
		name string
		args func(spec string) []string
	}{
		{"oapi-codegen", func(spec string) []string {
			return []string{"run", oapiCodegen, "-package", "signet", "-o", "signet.gen.go", spec}
		}},
		{"ogen", func(spec string) []string {
			return []string{"run", ogen, "-package", "signet", "-target", ".", "-clean", spec}
		}},
	} {
		t.Run(g.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			specFile := filepath.Join(dir, "openapi.json")
			if err := os.WriteFile(specFile, spec, 0o644); err != nil {
				t.Fatal(err)
			}
			gen := filepath.Join(dir, "gen")
			if err := os.Mkdir(gen, 0o755); err != nil {
				t.Fatal(err)
			}
			goCmd(t, gen, "mod", "init", "example.com/signetclient")
			goCmd(t, gen, g.args(specFile)...)
			goCmd(t, gen, "mod", "tidy")
			if out, err := goCommand(t, gen, "build", "./...").CombinedOutput(); err != nil {
				t.Fatalf("the code %s generated from /openapi.json does not compile:\n%s", g.name, out)
			}
		})
	}
}

// goCmd runs the go command in dir; a failure to reach the module proxy
// skips the test, any other failure fails it.
func goCmd(t *testing.T, dir string, args ...string) {
	t.Helper()
	out, err := goCommand(t, dir, args...).CombinedOutput()
	if err == nil {
		return
	}
	for _, offline := range []string{"dial tcp", "no such host", "proxy.golang.org", "connection refused", "i/o timeout", "GOPROXY=off", "TLS handshake", "403 Forbidden", "410 Gone"} {
		if strings.Contains(string(out), offline) {
			t.Skipf("go %s: the module proxy cannot be reached (%s):\n%s", strings.Join(args, " "), offline, out)
		}
	}
	t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
}

func goCommand(t *testing.T, dir string, args ...string) *exec.Cmd {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	// The new module is not part of this one, whatever the environment says.
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	return cmd
}
