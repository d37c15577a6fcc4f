package sim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/pdf"
)

const (
	testToken   = "test-token-123"
	testSalt    = "test-salt"
	testProfile = "wf-1"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// receiver records the webhooks a test endpoint got.
type receiver struct {
	mu      sync.Mutex
	got     []map[string]any
	raw     [][]byte
	failFor int // answer 500 to this many webhooks first
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, m)
	rc.raw = append(rc.raw, b)
	if rc.failFor > 0 {
		rc.failFor--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) all() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...)
}

// env is a simulator mounted under /sandbox/leegality/ (behind
// StripPrefix, as Signet mounts it) next to a webhook receiver at
// /callbacks/leegality.
type env struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	clock  *clock
	hooks  *receiver
	client *http.Client // a browser that does not follow redirects
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, clock: &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, hooks: &receiver{}}
	cfg := Config{
		BaseURL:        srv.URL + "/sandbox/leegality",
		Token:          testToken,
		PrivateSalt:    testSalt,
		ProfileID:      testProfile,
		WebhookURL:     srv.URL + "/callbacks/leegality",
		HTTPClient:     srv.Client(),
		Now:            e.clock.Now,
		WebhookRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
	}
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.sim = s
	mux.Handle("/sandbox/leegality/", http.StripPrefix("/sandbox/leegality", s))
	mux.Handle("/callbacks/leegality", e.hooks)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// createBody is a valid create request, as a map for easy mutation.
func createBody() map[string]any {
	return map[string]any{
		"profileId": testProfile,
		"file":      map[string]any{"name": "Loan agreement.pdf", "file": base64.StdEncoding.EncodeToString(pdf.Sample(1, "Loan agreement"))},
		"invitees": []any{map[string]any{
			"name":        "Asha Verma",
			"email":       "asha.verma@example.com",
			"phone":       "9876543210",
			"redirectUrl": "https://client.example/done",
		}},
		"irn":              "session-1",
		"requestSignOrder": true,
	}
}

// call calls the simulated API and decodes the JSON answer.
func (e *env) call(method, path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/sandbox/leegality"+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, raw)
	}
	return resp.StatusCode, m
}

// ok calls the API and expects HTTP 200 with status 1; it returns data.
func (e *env) ok(method, path string, body any) map[string]any {
	e.t.Helper()
	status, m := e.call(method, path, testToken, body)
	if status != http.StatusOK || m["status"] != float64(1) {
		e.t.Fatalf("%s %s: HTTP %d: %v", method, path, status, m)
	}
	d, _ := m["data"].(map[string]any)
	return d
}

// refused calls the API and expects Leegality's refusal: HTTP 200, status
// 0, one message; it returns the message's code and text.
func (e *env) refused(method, path string, body any) (code, msg string) {
	e.t.Helper()
	status, m := e.call(method, path, testToken, body)
	ms, _ := m["messages"].([]any)
	if status != http.StatusOK || m["status"] != float64(0) || len(ms) != 1 || m["data"] != nil {
		e.t.Fatalf("%s %s: HTTP %d: %v, want a status-0 refusal", method, path, status, m)
	}
	first := ms[0].(map[string]any)
	return first["code"].(string), first["message"].(string)
}

// create creates a document and returns its id and the invitee's signUrl.
func (e *env) create() (documentID, signURL string) {
	e.t.Helper()
	d := e.ok("POST", "/v3.0/sign/request", createBody())
	inv := d["invitees"].([]any)[0].(map[string]any)
	return d["documentId"].(string), inv["signUrl"].(string)
}

func (e *env) details(id string) map[string]any {
	e.t.Helper()
	return e.ok("GET", "/v3.3/document/details?documentId="+url.QueryEscape(id), nil)
}

func invitation0(d map[string]any) map[string]any {
	return d["invitations"].([]any)[0].(map[string]any)
}

// open GETs the signing page.
func (e *env) open(signURL string) (int, string) {
	e.t.Helper()
	resp, err := e.client.Get(signURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// submit posts the page's form with an action.
func (e *env) submit(signURL, action string) *http.Response {
	e.t.Helper()
	form := url.Values{"action": {action}}
	resp, err := e.client.Post(signURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func (e *env) get(u string) (int, []byte) {
	e.t.Helper()
	resp, err := e.client.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// waitFor polls cond until it holds or two seconds pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
