package client_test

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/provider/providertest"
)

// The Signet server every test and example of this package talks to: the
// real `signet serve --sandbox`, built from this module and started once.
var (
	signetURL string // its base URL
	apiKey    string // the API key of tenant "default", as its first start logs it

	signetBin, signetDB string // the binary and its database, for tenantKey
)

func TestMain(m *testing.M) {
	flag.Parse()
	stop, err := startSignet()
	if err != nil {
		fmt.Fprintln(os.Stderr, "client tests: starting signet serve:", err)
		os.Exit(1)
	}
	code := m.Run()
	stop()
	os.Exit(code)
}

// startSignet builds cmd/signet, starts it on a fresh SQLite database and
// a free loopback port, and waits until it serves.
func startSignet() (stop func(), err error) {
	dir, err := os.MkdirTemp("", "signet-client-test")
	if err != nil {
		return nil, err
	}
	cleanup := func() { os.RemoveAll(dir) }
	bin := filepath.Join(dir, "signet")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/signet-dev/signet/cmd/signet").CombinedOutput(); err != nil {
		cleanup()
		return nil, fmt.Errorf("go build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cleanup()
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "serve", "--addr", addr, "--database", "sqlite:"+filepath.Join(dir, "signet.db"),
		"--sandbox", "--poll-interval", "1s", "--default-provider", "signzy")
	cmd.Env = append(os.Environ(), "SIGNET_LOG_LEVEL=info")
	logs, err := cmd.StderrPipe()
	if err != nil {
		cleanup()
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		cleanup()
		return nil, err
	}
	stop = func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
		cleanup()
	}
	ready := make(chan error, 1)
	go func() {
		keyRe := regexp.MustCompile(`apiKey=(sk_[A-Za-z0-9_-]+)`)
		sc := bufio.NewScanner(logs)
		for sc.Scan() {
			if m := keyRe.FindStringSubmatch(sc.Text()); m != nil {
				apiKey = m[1]
			}
			if strings.Contains(sc.Text(), "signet serving") {
				ready <- nil
				io.Copy(io.Discard, logs) // keep the pipe drained
				return
			}
		}
		ready <- errors.New("signet serve exited before it was ready")
	}()
	select {
	case err = <-ready:
	case <-time.After(60 * time.Second):
		err = errors.New("signet serve not ready after 60 s")
	}
	if err == nil && apiKey == "" {
		err = errors.New("signet serve logged no API key")
	}
	if err != nil {
		stop()
		return nil, err
	}
	signetURL = "http://" + addr
	signetBin, signetDB = bin, "sqlite:"+filepath.Join(dir, "signet.db")
	return stop, nil
}

// tenantKey makes a new tenant and returns its API key, for a test that
// must see only its own sessions and webhooks.
func tenantKey(t *testing.T, tenant string) string {
	t.Helper()
	out, err := exec.Command(signetBin, "apikey", "create", "--tenant", tenant, "--database", signetDB).Output()
	if err != nil {
		t.Fatalf("signet apikey create: %v", err)
	}
	return strings.TrimSpace(string(out))
}

// signerTB lets the examples use providertest.SubmitForm, which reports
// trouble through a testing.TB: here, by panicking.
type signerTB struct{ testing.TB }

func (signerTB) Helper()                        {}
func (signerTB) Fatalf(format string, a ...any) { panic(fmt.Sprintf(format, a...)) }

// signAtSandbox does what the signer does: opens the session's redirectUrl
// in the provider's sandbox and presses Sign (action "sign") or Decline.
func signAtSandbox(redirectURL, action string) {
	providertest.SubmitForm(signerTB{}, redirectURL, action)
}
