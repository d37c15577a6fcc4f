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
	testClientID      = "AI1TESTCLIENT"
	testClientSecret  = "test-client-secret"
	testWebhookSecret = "test-webhook-secret"
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

// webhooks records the webhooks a test receiver got.
type webhooks struct {
	mu      sync.Mutex
	got     []received
	failFor int // answer 500 to this many webhooks first
}

type received struct {
	header http.Header
	raw    []byte
	body   map[string]any
}

func (wh *webhooks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.got = append(wh.got, received{header: r.Header.Clone(), raw: b, body: m})
	if wh.failFor > 0 {
		wh.failFor--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (wh *webhooks) all() []received {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]received(nil), wh.got...)
}

// env is a simulator mounted under /sandbox/digio/ (behind StripPrefix,
// as Signet mounts it) next to a webhook receiver at /callbacks/digio.
type env struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	clock  *clock
	hooks  *webhooks
	client *http.Client // a browser that does not follow redirects
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, clock: &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, hooks: &webhooks{}}
	cfg := Config{
		BaseURL:        srv.URL + "/sandbox/digio",
		ClientID:       testClientID,
		ClientSecret:   testClientSecret,
		WebhookSecret:  testWebhookSecret,
		WebhookURL:     srv.URL + "/callbacks/digio",
		HTTPClient:     srv.Client(),
		Now:            e.clock.Now,
		WebhookRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond},
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
	mux.Handle("/sandbox/digio/", http.StripPrefix("/sandbox/digio", s))
	mux.Handle("/callbacks/digio", e.hooks)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

var sampleDoc = pdf.Sample(2, "Loan agreement")

// uploadBody is a valid upload request, as a map for easy mutation.
func uploadBody() map[string]any {
	return map[string]any{
		"signers": []any{map[string]any{
			"identifier": "asha.verma@example.com", "name": "Asha Verma", "sign_type": "aadhaar", "reason": "Loan agreement",
		}},
		"expire_in_days":        10,
		"display_on_page":       "all",
		"notify_signers":        false,
		"send_sign_link":        false,
		"generate_access_token": true,
		"file_name":             "loan-agreement.pdf",
		"file_data":             base64.StdEncoding.EncodeToString(sampleDoc),
	}
}

// call calls the simulated API with Basic credentials (none if id is
// empty) and returns the status and raw answer.
func (e *env) call(method, path, id, secret string, body any) (int, http.Header, []byte) {
	e.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.srv.URL+"/sandbox/digio"+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if id != "" {
		req.SetBasicAuth(id, secret)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// api calls the simulated API with the right credentials and decodes the
// JSON answer.
func (e *env) api(method, path string, body any) (int, map[string]any) {
	e.t.Helper()
	status, _, raw := e.call(method, path, testClientID, testClientSecret, body)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, raw)
	}
	return status, m
}

// upload creates a document and returns its id and access token id.
func (e *env) upload(mutate ...func(map[string]any)) (string, string) {
	e.t.Helper()
	body := uploadBody()
	for _, m := range mutate {
		m(body)
	}
	status, m := e.api(http.MethodPost, "/v2/client/document/uploadpdf", body)
	if status != http.StatusOK {
		e.t.Fatalf("upload: status %d: %v", status, m)
	}
	tok := ""
	if at, ok := m["access_token"].(map[string]any); ok {
		tok = at["id"].(string)
	}
	return m["id"].(string), tok
}

func (e *env) details(id string) map[string]any {
	e.t.Helper()
	status, m := e.api(http.MethodGet, "/v2/client/document/"+id, nil)
	if status != http.StatusOK {
		e.t.Fatalf("details: status %d: %v", status, m)
	}
	return m
}

func party0(m map[string]any) map[string]any {
	return m["signing_parties"].([]any)[0].(map[string]any)
}

// link is the signer's gateway link, as the adapter builds it.
func (e *env) link(id, identifier, token, redirect string) string {
	u := e.srv.URL + "/sandbox/digio/gateway/login/" + id + "/txn-1/" + url.PathEscape(identifier)
	q := url.Values{}
	if token != "" {
		q.Set("token_id", token)
	}
	if redirect != "" {
		q.Set("redirect_url", redirect)
	}
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

func (e *env) get(u string) (int, http.Header, string) {
	e.t.Helper()
	resp, err := e.client.Get(u)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// submit posts the page's form with an action (and no other field: the
// link's query carries the rest).
func (e *env) submit(link, action string) (*http.Response, string) {
	e.t.Helper()
	resp, err := e.client.Post(link, "application/x-www-form-urlencoded", strings.NewReader(url.Values{"action": {action}}.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
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
