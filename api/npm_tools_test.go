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

// The npm tools a user is likely to point at the spec, at the versions
// checked here (npx fetches them from the npm registry, or its cache).
const (
	redocly           = "@redocly/cli@2.77.0"
	openapiTypescript = "openapi-typescript@7.13.0"
	typescript        = "typescript@5.9.3" // openapi-typescript 7 wants TypeScript 5
)

// TestSpecLints runs Redocly's linter with redocly.yaml (the recommended
// rules; the deliberate exceptions, with reasons, are in
// .redocly.lint-ignore.yaml) and fails on any error. Warnings are logged.
// It lints openapi.yaml, which TestJSONRoundTrip proves holds what
// /openapi.json serves.
func TestSpecLints(t *testing.T) {
	npxReady(t, redocly, "redocly")
	out, err := npx(t, ".", redocly, "redocly", "lint", "--config", "redocly.yaml", "--format", "stylish")
	if err != nil {
		t.Fatalf("redocly lint finds errors in openapi.yaml (%v):\n%s", err, out)
	}
	if !strings.Contains(out, "Your API description is valid") {
		t.Fatalf("redocly lint passed without saying so:\n%s", out)
	}
	t.Logf("redocly lint:\n%s", out)
}

// TestTypeScriptTypesCompile generates TypeScript types from api.JSON()
// with openapi-typescript at its defaults and type-checks them, together
// with code that uses them the way a client would, with tsc --strict.
func TestTypeScriptTypesCompile(t *testing.T) {
	npxReady(t, openapiTypescript, "openapi-typescript")
	npxReady(t, typescript, "tsc")
	spec, err := api.JSON()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	write(t, filepath.Join(dir, "openapi.json"), string(spec))
	write(t, filepath.Join(dir, "client.ts"), typescriptClient)
	if out, err := npx(t, dir, openapiTypescript, "openapi-typescript", "openapi.json", "-o", "schema.d.ts"); err != nil {
		t.Fatalf("openapi-typescript fails on /openapi.json (%v):\n%s", err, out)
	}
	out, err := npx(t, dir, typescript, "tsc", "--noEmit", "--strict", "--target", "es2022",
		"--module", "esnext", "--moduleResolution", "bundler", "schema.d.ts", "client.ts")
	if err != nil {
		t.Fatalf("the types openapi-typescript generated from /openapi.json do not compile (%v):\n%s", err, out)
	}
}

// typescriptClient uses the generated types as a client would. The
// @ts-expect-error lines prove the types are precise, not `any`: tsc fails
// when the line below one compiles.
const typescriptClient = `import type { components, paths } from "./schema";

type CreateBody = paths["/signing"]["post"]["requestBody"]["content"]["application/json"];
type Created = paths["/signing"]["post"]["responses"]["201"]["content"]["application/json"];
type Problem = components["schemas"]["Problem"];

// The smallest valid POST /signing body: everything else is optional.
export const create: CreateBody = {
  orderId: "order-1",
  signerDetails: { name: "John Doe" },
  document: { filename: "contract.pdf", content: "JVBERi0xLjcK" },
};

// @ts-expect-error document is required
export const noDocument: CreateBody = { orderId: "order-1", signerDetails: {} };

// @ts-expect-error status is one of the SigningStatus values
export const badStatus: Created["status"] = "DONE";

export function signerLink(s: Created): string | undefined {
  return s.status === "PENDING" ? s.redirectUrl : undefined;
}

export function explain(p: Problem): string {
  return p.status + " " + p.title + ": " + p.detail + (p.errors ?? []).map((e) => " " + e.field).join("");
}
`

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// npxReady skips the test in -short mode, without npx, or when npx cannot
// fetch pkg (no npm registry and not in npm's cache); it fails when pkg is
// fetched but its command does not run.
func npxReady(t *testing.T, pkg, command string) {
	t.Helper()
	if testing.Short() {
		t.Skip("downloads and runs npm tools")
	}
	if _, err := exec.LookPath("npx"); err != nil {
		t.Skip("npx is not installed")
	}
	out, err := npx(t, ".", pkg, command, "--version")
	if err == nil {
		return
	}
	for _, offline := range []string{"ENOTFOUND", "EAI_AGAIN", "ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "ENOTCACHED", "ENETUNREACH", "EHOSTUNREACH", "network", "E403", "E5"} {
		if strings.Contains(out, offline) {
			t.Skipf("npx cannot fetch %s: the npm registry cannot be reached (%s):\n%s", pkg, offline, out)
		}
	}
	t.Fatalf("npx %s %s --version: %v\n%s", pkg, command, err, out)
}

// npx runs command of npm package pkg in dir and returns its combined
// output.
func npx(t *testing.T, dir, pkg, command string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npx", append([]string{"--yes", "--package", pkg, "--", command}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"REDOCLY_TELEMETRY=off", "REDOCLY_SUPPRESS_UPDATE_NOTICE=true",
		"NO_UPDATE_NOTIFIER=1", "npm_config_update_notifier=false", "npm_config_fund=false", "npm_config_audit=false")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
