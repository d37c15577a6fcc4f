package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/web/browsertest"
)

func noEnv(string) string { return "" }

func TestAPIKeyCreatePrintsTheKeyAlone(t *testing.T) {
	t.Parallel()
	db := "sqlite:" + filepath.Join(t.TempDir(), "s.db")
	var out, errOut bytes.Buffer
	if code := run(context.Background(), []string{"apikey", "create", "--tenant", "acme", "--database", db}, noEnv, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if !regexp.MustCompile(`^sk_[A-Za-z0-9_-]{43}\n$`).MatchString(out.String()) {
		t.Errorf("stdout = %q, want the key alone", out.String())
	}
	// The same tenant gets another, different key.
	var out2 bytes.Buffer
	run(context.Background(), []string{"apikey", "create", "--tenant", "acme", "--database", db}, noEnv, &out2, io.Discard)
	if out2.String() == out.String() || out2.Len() == 0 {
		t.Errorf("second key %q", out2.String())
	}
	// SIGNET_DATABASE is read when --database is absent.
	env := func(k string) string {
		if k == "SIGNET_DATABASE" {
			return db
		}
		return ""
	}
	if code := run(context.Background(), []string{"migrate"}, env, io.Discard, io.Discard); code != 0 {
		t.Errorf("migrate exit %d", code)
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{},
		{"bogus"},
		{"apikey"},
		{"apikey", "create"},
		{"serve", "--poll-interval", "soon"},
		{"serve", "--webhook-retries", "5s,,x"},
		{"serve", "--public-url", "ftp://x"},
		{"serve", "--database", "mysql://x"},
		{"serve", "--documents", "files"},
		{"serve", "--documents", "s3://"},
		{"serve", "--documents", "s3://bucket?endpoint=ftp://x"},
		{"serve", "--documents", "s3://bucket?colour=blue"},
		{"serve", "--documents-sweep-grace", "1s"},
		{"serve", "--gc-min-heap-mb", "-1"},
		{"serve", "--gc-min-heap-mb", "5000"},
		{"serve", "--sandbox-documents-mb", "0"},
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), args, noEnv, io.Discard, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut.String())
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	t.Parallel()
	cfg, err := parseServe(nil, noEnv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:8080" || cfg.Database != "sqlite:signet.db" || cfg.PublicURL != "http://127.0.0.1:8080" ||
		!cfg.Sandbox.value || !cfg.AllowPrivateWebhooks.value || cfg.DefaultProvider != "local" ||
		cfg.PollInterval != 30*time.Second || len(cfg.WebhookRetries) != 7 || cfg.RateLimit != 0 || cfg.GCMinHeap != 40<<20 || cfg.SandboxDocumentBytes != 64<<20 {
		t.Errorf("defaults: %+v", cfg)
	}
	// Credentials switch the sandbox off unless it is asked for.
	env := map[string]string{"SIGNET_SIGNZY_TOKEN": "tok", "SIGNET_SIGNZY_CALLBACK_SECRET": "sec"}
	cfg, err = parseServe(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Sandbox.value || cfg.AllowPrivateWebhooks.value {
		t.Errorf("with credentials: sandbox %v, private webhooks %v, err %v", cfg.Sandbox.value, cfg.AllowPrivateWebhooks.value, err)
	}
	cfg, _ = parseServe([]string{"--sandbox"}, func(k string) string { return env[k] }, io.Discard)
	if !cfg.Sandbox.value {
		t.Error("--sandbox did not win over credentials")
	}
	env["SIGNET_SANDBOX"] = "true"
	cfg, _ = parseServe(nil, func(k string) string { return env[k] }, io.Discard)
	if !cfg.Sandbox.value {
		t.Error("SIGNET_SANDBOX=true ignored")
	}
}

// TestGCPacing: `signet serve` paces the collector for --gc-min-heap-mb
// unless GOGC is set or the headroom is 0, and puts GOGC back when it
// stops. Not parallel: GOGC is the process's.
func TestGCPacing(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	gogc := func() int {
		s := []runtimemetrics.Sample{{Name: "/gc/gogc:percent"}}
		runtimemetrics.Read(s)
		return int(s[0].Value.Uint64())
	}
	withEnv := func(env map[string]string) func(string) string { return func(k string) string { return env[k] } }

	m := &Main{Config: &Config{GCMinHeap: 1 << 30}}
	stop := m.paceGC(noEnv)
	runtime.GC()
	deadline := time.Now().Add(5 * time.Second)
	for gogc() == 100 && time.Now().Before(deadline) { // the pacer adjusts just after a collection
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	if got := gogc(); got <= 100 {
		t.Errorf("GOGC %d with a 1 GiB minimum heap, want it raised", got)
	}
	stop()
	if got := gogc(); got != 100 {
		t.Errorf("GOGC %d after the pacing stopped, want 100 back", got)
	}

	for name, c := range map[string]struct {
		minHeap int64
		env     map[string]string
	}{
		"GOGC set":  {1 << 30, map[string]string{"GOGC": "100"}},
		"minimum 0": {0, nil},
	} {
		m := &Main{Config: &Config{GCMinHeap: c.minHeap}}
		stop := m.paceGC(withEnv(c.env))
		runtime.GC()
		time.Sleep(50 * time.Millisecond)
		if got := gogc(); got != 100 {
			t.Errorf("%s: GOGC %d, want 100 left alone", name, got)
		}
		stop()
	}
}

func TestDocumentsFlag(t *testing.T) {
	t.Parallel()
	cfg, err := parseServe(nil, noEnv, io.Discard)
	if err != nil || cfg.Documents != nil || cfg.SweepInterval != 10*time.Minute || cfg.SweepGrace != time.Hour {
		t.Fatalf("default: documents %v, sweep every %v after %v, err %v", cfg.Documents, cfg.SweepInterval, cfg.SweepGrace, err)
	}
	env := map[string]string{"SIGNET_DOCUMENTS": "s3://contracts/signet?endpoint=http://127.0.0.1:7070&region=eu-north-1",
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "secret"}
	cfg, err = parseServe(nil, func(k string) string { return env[k] }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Documents
	if d == nil || d.Bucket != "contracts" || d.Prefix != "signet/" || d.Endpoint != "http://127.0.0.1:7070" || d.Region != "eu-north-1" ||
		d.AccessKey != "AKID" || d.SecretKey != "secret" {
		t.Errorf("SIGNET_DOCUMENTS read as %+v", d)
	}
	// The flag wins over the environment; "database" is the default's name.
	cfg, err = parseServe([]string{"--documents", "database"}, func(k string) string { return env[k] }, io.Discard)
	if err != nil || cfg.Documents != nil {
		t.Errorf("--documents database: %+v, %v", cfg.Documents, err)
	}
	_, err = parseServe([]string{"--documents", "s3:/contracts"}, noEnv, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--documents") {
		t.Errorf("a bad --documents: %v, want an error naming the flag", err)
	}
	delete(env, "AWS_SECRET_ACCESS_KEY")
	if _, err := parseServe(nil, func(k string) string { return env[k] }, io.Discard); err == nil || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Errorf("half the credentials: %v, want an error naming the missing one", err)
	}
}

// TestServeBinary builds the real binary and runs it as a user would: the
// first start logs an API key, SIGTERM shuts down cleanly, and a restart
// on the same database keeps every acknowledged session.
func TestServeBinary(t *testing.T) {
	t.Parallel()
	bin := signetBinary(t)
	db := testDatabase(t)

	srv, base, key := serveBinary(t, bin, "--database", db)
	if key == "" {
		t.Fatal("first start did not log an API key")
	}
	c := client{t: t, base: base, key: key}
	created := c.must("POST", "/signing", createBody("binary-order"), 201)

	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly on SIGTERM: %v", err)
	}

	srv2, base2, key2 := serveBinary(t, bin, "--database", db)
	if key2 != "" {
		t.Error("a restart on a used database logged a new key")
	}
	c.base = base2
	c.must("GET", "/signing/"+str(created["signingSessionId"]), nil, 200)
	srv2.Process.Signal(syscall.SIGTERM)
	srv2.Wait()
}

// binary is the signet binary, built once for every test that runs it.
var binary struct {
	once sync.Once
	path string
	err  error
}

// signetBinary builds the binary (once per test run) and returns its path.
func signetBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	binary.once.Do(func() {
		dir, err := os.MkdirTemp("", "signet-test-bin")
		if err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(dir, "signet")
		if out, err := exec.Command("go", "build", "-o", binary.path, ".").CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// TestMain removes the built binary after the run, and stops the
// Chromium that the browser tests share.
func TestMain(m *testing.M) {
	code := browsertest.Main(m)
	if binary.path != "" {
		os.RemoveAll(filepath.Dir(binary.path))
	}
	os.Exit(code)
}

// serveBinary starts `signet serve` on a free port and waits until it
// serves; it returns the process, its base URL and the API key a first
// start logs ("" on a used database).
func serveBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, string, string) {
	t.Helper()
	addr := freeAddr(t)
	srv, logs := startBinary(t, bin, append([]string{"serve", "--addr", addr}, args...)...)
	key := ""
	keyRe := regexp.MustCompile(`apiKey=(sk_[A-Za-z0-9_-]+)`)
	waitFor(t, logs, func(line string) bool {
		if m := keyRe.FindStringSubmatch(line); m != nil {
			key = m[1]
		}
		return strings.Contains(line, "signet serving")
	})
	return srv, "http://" + addr, key
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startBinary(t *testing.T, bin string, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	return startBinaryEnv(t, bin, nil, args...)
}

// startBinaryEnv is startBinary with env added to the child's environment.
func startBinaryEnv(t *testing.T, bin string, env []string, args ...string) (*exec.Cmd, <-chan string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "SIGNET_LOG_LEVEL=info"), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select { // never block the server's stderr once nobody listens
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	return cmd, lines
}

func waitFor(t *testing.T, lines <-chan string, done func(string) bool) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatal("server exited before it was ready")
			}
			if done(line) {
				return
			}
		case <-timeout:
			t.Fatal("server not ready after 30 s")
		}
	}
}

// TestSubcommandHelp: each command's -h lists its own flags only.
func TestSubcommandHelp(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"apikey", "create", "-h"}, []string{"-tenant", "-database"}, []string{"-addr", "-signzy-token", "-poll-interval"}},
		{[]string{"migrate", "-h"}, []string{"-database"}, []string{"-tenant", "-addr", "-sandbox"}},
		{[]string{"serve", "-h"}, []string{"-addr", "-database", "-sandbox", "-signzy-token", "-webhook-lease"}, []string{"-tenant"}},
	} {
		var errOut bytes.Buffer
		if code := run(context.Background(), c.args, noEnv, io.Discard, &errOut); code != 0 {
			t.Errorf("%v: exit %d", c.args, code)
		}
		help := errOut.String()
		for _, w := range c.want {
			if !strings.Contains(help, w+" ") && !strings.Contains(help, w+"\n") {
				t.Errorf("%v: help lacks %s:\n%s", c.args, w, help)
			}
		}
		for _, n := range c.not {
			if strings.Contains(help, n+" ") || strings.Contains(help, n+"\n") {
				t.Errorf("%v: help shows %s, a flag of another command", c.args, n)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if code := run(context.Background(), []string{"version"}, noEnv, &out, io.Discard); code != 0 || !strings.HasPrefix(out.String(), "signet ") {
		t.Errorf("version: exit %d, %q", code, out.String())
	}
}

// TestBadConfigurationMakesNoTenant: a fresh database whose serve
// configuration fails its checks gets no tenant and no key, and the error
// says what to do.
func TestBadConfigurationMakesNoTenant(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--default-provider", "nope"}, `there is no provider "nope"`},
		{[]string{"--sandbox=false", "--default-provider", "signzy"}, "add its credentials (--signzy-token and --signzy-callback-secret) or drop --sandbox=false"},
	} {
		path := filepath.Join(t.TempDir(), "s.db")
		var out, errOut bytes.Buffer
		args := append([]string{"serve", "--addr", "127.0.0.1:0", "--database", "sqlite:" + path}, c.args...)
		if code := run(context.Background(), args, noEnv, &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		if !strings.Contains(errOut.String(), c.want) {
			t.Errorf("%v: error %q lacks %q", c.args, errOut.String(), c.want)
		}
		if strings.Contains(out.String()+errOut.String(), "sk_") {
			t.Errorf("%v: an API key was shown: %s", c.args, errOut.String())
		}
		store, err := openStore(context.Background(), "sqlite:"+path, nil, false)
		if err != nil {
			t.Fatal(err)
		}
		n, err := store.CountTenants(context.Background())
		store.Close()
		if err != nil || n != 0 {
			t.Errorf("%v: %d tenants (%v) after a failed start, want 0", c.args, n, err)
		}
	}
}
