// Package s3test runs S3-compatible servers for tests: versitygw, a real
// S3 gateway over a directory, in a child process, and gofakes3 in this
// one (a fallback where versitygw is not installed).
//
// versitygw is installed with
//
//	go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// and found on PATH, in $SIGNET_VERSITYGW, or in $(go env GOPATH)/bin.
// Without it, Versity skips the test, or fails it if SIGNET_REQUIRE_S3=1
// (for CI, which installs it).
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/signet-dev/signet/internal/bench"
	"github.com/signet-dev/signet/internal/blob/s3"
)

// Install is the command that installs versitygw.
const Install = "go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Server is a running S3-compatible server.
type Server struct {
	Endpoint  string // http://127.0.0.1:PORT, or https:// for gofakes3
	AccessKey string
	SecretKey string
	Region    string
	// InProcess is true for gofakes3, whose memory (holding every object)
	// is the test's own.
	InProcess bool
	// Transport trusts the server's certificate, if it has one.
	Transport http.RoundTripper

	stop func()
	once sync.Once
}

// Stop stops the server (Cleanup does too); then requests to it fail.
func (s *Server) Stop() { s.once.Do(s.stop) }

// Config returns a Config for a new, empty bucket on s, with keys made at
// the times now gives (nil: time.Now).
func (s *Server) Config(t testing.TB, now func() time.Time) s3.Config {
	t.Helper()
	return s3.Config{
		Bucket:     s.Bucket(t),
		Endpoint:   s.Endpoint,
		Region:     s.Region,
		AccessKey:  s.AccessKey,
		SecretKey:  s.SecretKey,
		MaxRetries: 1,
		Now:        now,
		Transport:  s.Transport,
	}
}

// Bucket creates a new, empty bucket and returns its name. This is the
// only place where Signet's code creates a bucket.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	c, err := s.Client()
	if err != nil {
		t.Fatal(err)
	}
	name := "signet-" + randomHex(8)
	if err := c.MakeBucket(context.Background(), name, minio.MakeBucketOptions{Region: s.Region}); err != nil {
		t.Fatalf("creating bucket %s on %s: %v", name, s.Endpoint, err)
	}
	return name
}

// Client is a plain client of s, for what a test does behind the store's
// back.
func (s *Server) Client() (*minio.Client, error) {
	u, err := url.Parse(s.Endpoint)
	if err != nil {
		return nil, err
	}
	return minio.New(u.Host, &minio.Options{
		Creds:     credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
		Secure:    u.Scheme == "https",
		Region:    s.Region,
		Transport: s.Transport,
	})
}

// Fake serves gofakes3 (in memory) in this process until t ends.
func Fake(t testing.TB) *Server {
	t.Helper()
	fake := gofakes3.New(s3mem.New(), gofakes3.WithTimeSkewLimit(0))
	// Over TLS, since gofakes3 cannot read the streaming signature that
	// clients use over http in a multipart upload's parts.
	ts := httptest.NewTLSServer(fake.Server())
	s := &Server{Endpoint: ts.URL, AccessKey: "fake", SecretKey: "fakefakefake", Region: "us-east-1",
		InProcess: true, Transport: ts.Client().Transport, stop: ts.Close}
	t.Cleanup(s.Stop)
	return s
}

// Versity starts versitygw over a new directory until t ends, or skips t
// if it is not installed.
func Versity(t testing.TB) *Server {
	t.Helper()
	bin, err := versityBinary()
	if err != nil {
		msg := "versitygw not installed (" + Install + "): " + err.Error()
		if os.Getenv("SIGNET_REQUIRE_S3") == "1" {
			t.Fatal(msg)
		}
		t.Skip(msg + " (set SIGNET_REQUIRE_S3=1 to fail instead)")
	}
	// The port is free when we look, but another process may take it
	// before versitygw does: then try another.
	var last error
	for range 3 {
		s, err := startVersity(t, bin)
		if err == nil {
			return s
		}
		last = err
	}
	t.Fatal(last)
	return nil
}

// VersityWanted reports whether Versity will run rather than skip:
// versitygw is installed, or SIGNET_REQUIRE_S3=1 makes its absence fail.
func VersityWanted() bool {
	_, err := versityBinary()
	return err == nil || os.Getenv("SIGNET_REQUIRE_S3") == "1"
}

// DocumentsFlag is the --documents value of a `signet serve` that keeps
// its documents in bucket, and Env the environment variables with the
// credentials it reads.
func (s *Server) DocumentsFlag(bucket string) string {
	return fmt.Sprintf("s3://%s?endpoint=%s&region=%s", bucket, url.QueryEscape(s.Endpoint), s.Region)
}

// Env is the credentials of s, as `signet serve` reads them.
func (s *Server) Env() []string {
	return []string{"AWS_ACCESS_KEY_ID=" + s.AccessKey, "AWS_SECRET_ACCESS_KEY=" + s.SecretKey}
}

func startVersity(t testing.TB, bin string) (*Server, error) {
	addr, err := bench.FreeAddr()
	if err != nil {
		return nil, err
	}
	s := &Server{Endpoint: "http://" + addr, AccessKey: "signet" + randomHex(4), SecretKey: randomHex(16), Region: "us-east-1"}
	dir := t.TempDir()
	out := &syncBuffer{}
	cmd := exec.Command(bin, "--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey,
		"--region", s.Region, "--quiet", "posix", dir)
	cmd.Stdout, cmd.Stderr = out, out
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	s.stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	if err := waitReady(s.Endpoint, exited); err != nil {
		s.Stop()
		return nil, fmt.Errorf("versitygw on %s: %w (exit: %v); its output:\n%s", addr, err, waitErr, out.String())
	}
	t.Cleanup(s.Stop)
	return s, nil
}

// waitReady polls the endpoint until it answers HTTP (versitygw answers
// an unsigned request with 403), the process exits, or a minute passes.
func waitReady(endpoint string, exited <-chan struct{}) error {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return errors.New("exited before it was ready")
		default:
		}
		if resp, err := client.Get(endpoint + "/"); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("not ready after a minute")
}

// versityBinary finds versitygw.
func versityBinary() (string, error) {
	if p := os.Getenv("SIGNET_VERSITYGW"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("SIGNET_VERSITYGW: %w", err)
		}
		return p, nil
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	out, err := exec.Command("go", "env", "-json", "GOBIN", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("not on PATH, and go env failed: %w", err)
	}
	var env struct{ GOBIN, GOPATH string }
	if err := json.Unmarshal(out, &env); err != nil {
		return "", fmt.Errorf("not on PATH, and go env said %q: %w", out, err)
	}
	var dirs []string
	if env.GOBIN != "" {
		dirs = append(dirs, env.GOBIN)
	}
	for _, p := range filepath.SplitList(env.GOPATH) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("not on PATH nor in %s", strings.Join(dirs, ", "))
}

// DeadEndpoint is the URL of a loopback port that nothing listens on: a
// server that is down.
func DeadEndpoint(t testing.TB) string {
	t.Helper()
	addr, err := bench.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects a child's output from its two pipes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
