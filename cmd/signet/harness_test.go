package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/pdf"
	"github.com/signet-dev/signet/internal/provider/providertest"
)

// clock is real time plus an offset a test can move forward, so that
// expiry can be tested without sleeping while timeouts still work.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// harness is one `signet serve --sandbox` on a fresh database (see
// testDatabase), listening on a free loopback port.
type harness struct {
	t      *testing.T
	main   *Main
	base   string
	key    string // API key of tenant "acme"
	clock  *clock
	client *http.Client
}

func startServer(t *testing.T, extraArgs ...string) *harness {
	t.Helper()
	return startLogged(t, io.Discard, extraArgs...)
}

// startLogged is startServer with the server's log written to logs (at
// level error unless extraArgs say otherwise).
func startLogged(t *testing.T, logs io.Writer, extraArgs ...string) *harness {
	t.Helper()
	args := append([]string{"--addr", "127.0.0.1:0", "--database", testDatabase(t),
		"--sandbox", "--poll-interval", "1s", "--log-level", "error"}, extraArgs...)
	m, err := NewMain(args, func(string) string { return "" }, logs)
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, main: m, clock: &clock{}}
	m.Now = h.clock.Now
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
		if err := m.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	h.base = "http://" + m.Addr()
	h.client = &http.Client{
		Timeout:       30 * time.Second,
		Transport:     newSpecValidator(t, http.DefaultTransport),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	h.key = h.apiKey("acme")
	return h
}

// apiKey creates a tenant's key the way `signet apikey create` does.
func (h *harness) apiKey(tenant string) string {
	h.t.Helper()
	key, _, err := auth.CreateAPIKey(context.Background(), h.main.store, tenant, time.Now())
	if err != nil {
		h.t.Fatal(err)
	}
	return key
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("status %d body %q is not a JSON object: %v", r.status, r.body, err)
	}
	return m
}

// do sends a request with the given API key (none if key is "") and
// extra headers (name, value pairs).
func (h *harness) do(method, path, key string, body any, headers ...string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("X-API-Key", key)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

func (h *harness) expect(r response, status int) response {
	h.t.Helper()
	if r.status != status {
		h.t.Fatalf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	return r
}

var contractPDF = pdf.Sample(2, "Loan agreement")

// createBody is a valid POST /signing body for Signzy.
func createBody(orderID string) map[string]any {
	return map[string]any{
		"orderId":       orderID,
		"provider":      "signzy",
		"signerDetails": map[string]any{"name": "Asha Rao", "email": "asha@example.com"},
		"document":      map[string]any{"filename": "loan.pdf", "content": base64.StdEncoding.EncodeToString(contractPDF)},
		"returnUrl":     "https://app.example.com/orders/" + orderID + "/done",
		"metadata":      map[string]string{"segment": "retail"},
	}
}

func (h *harness) create(orderID string) map[string]any {
	h.t.Helper()
	return h.expect(h.do("POST", "/signing", h.key, createBody(orderID)), 201).json(h.t)
}

func (h *harness) get(id string) map[string]any {
	h.t.Helper()
	return h.expect(h.do("GET", "/signing/"+id, h.key, nil), 200).json(h.t)
}

// waitStatus polls the session until it has status want (callbacks and
// the 1 s poller make this quick; the deadline is generous for -race).
func (h *harness) waitStatus(id, want string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := h.get(id)
		if s["status"] == want {
			return s
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("session %s is %v, want %s", id, s["status"], want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// providerPage opens a signer link as a browser would and returns where
// it forwards to (the provider's page); the link must answer 303.
func (h *harness) providerPage(link string) string {
	h.t.Helper()
	resp, err := h.client.Get(link)
	if err != nil {
		h.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") == "" {
		h.t.Fatalf("signer link %s answered %d, want a 303 to the provider", link, resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// signAtProvider follows the session's redirectUrl as a signer's browser
// would, and submits the page's form with the given action.
func (h *harness) signAtProvider(redirectURL, action string) *http.Response {
	h.t.Helper()
	return providertest.SubmitForm(h.t, redirectURL, action)
}

func str(v any) string { return fmt.Sprint(v) }

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// waitEvent polls the session's audit trail until it holds an entry of
// type want, and returns that entry.
func (h *harness) waitEvent(id, want string) map[string]any {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		events := h.expect(h.do("GET", "/signing/"+id+"/events", h.key, nil), 200).json(h.t)["data"].([]any)
		for _, e := range events {
			if e := e.(map[string]any); e["type"] == want {
				return e
			}
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("session %s has no %s event: %v", id, want, events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
