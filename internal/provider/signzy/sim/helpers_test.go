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

const testToken = "test-token-123"

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

// callbacks records the callbacks a test receiver got.
type callbacks struct {
	mu      sync.Mutex
	got     []received
	failFor int // answer 500 to this many callbacks first
}

type received struct {
	auth string
	body map[string]any
}

func (cb *callbacks) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	cb.mu.Lock()
	defer cb.mu.Unlock()
	cb.got = append(cb.got, received{auth: r.Header.Get("Authorization"), body: m})
	if cb.failFor > 0 {
		cb.failFor--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (cb *callbacks) all() []received {
	cb.mu.Lock()
	defer cb.mu.Unlock()
	return append([]received(nil), cb.got...)
}

// env is a simulator mounted under /sandbox/signzy/ (behind StripPrefix,
// as Signet mounts it) next to a callback receiver at /callbacks/signzy.
type env struct {
	t      *testing.T
	sim    *Server
	srv    *httptest.Server
	clock  *clock
	cb     *callbacks
	client *http.Client // a browser that does not follow redirects
}

func newEnv(t *testing.T, mutate ...func(*Config)) *env {
	t.Helper()
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &env{t: t, srv: srv, clock: &clock{t: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)}, cb: &callbacks{}}
	cfg := Config{
		BaseURL:         srv.URL + "/sandbox/signzy",
		Token:           testToken,
		HTTPClient:      srv.Client(),
		Now:             e.clock.Now,
		CallbackRetries: []time.Duration{10 * time.Millisecond, 10 * time.Millisecond},
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
	mux.Handle("/sandbox/signzy/", http.StripPrefix("/sandbox/signzy", s))
	mux.Handle("/callbacks/signzy", e.cb)
	e.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return e
}

// initiateBody is a valid initiate request, as map for easy mutation.
func (e *env) initiateBody() map[string]any {
	return map[string]any{
		"pdf":                            base64.StdEncoding.EncodeToString(pdf.Sample(1, "Loan agreement")),
		"contractName":                   "Loan agreement",
		"contractExecuterName":           "Acme Finance",
		"successRedirectUrl":             "https://client.example/done",
		"failureRedirectUrl":             "https://client.example/failed",
		"contractTtl":                    3600000,
		"callbackUrl":                    e.srv.URL + "/callbacks/signzy",
		"callbackUrlAuthorizationHeader": "cb-secret",
		"eSignProvider":                  "EMUDHRA",
		"signerdetail": []any{map[string]any{
			"signerName":        "Asha Verma",
			"signerGender":      "female",
			"signatureType":     "AADHAARESIGN-OTP",
			"uidLastFourDigits": "1234",
			"signerYearOfBirth": "1990",
			"signatures":        []any{map[string]any{"pageNo": []string{"All"}, "signaturePosition": []string{"BottomLeft"}}},
		}},
	}
}

// post calls the simulated API and decodes the JSON answer.
func (e *env) post(path, token string, body any) (int, map[string]any) {
	e.t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		e.t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sandbox/signzy"+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &m); err != nil {
		e.t.Fatalf("POST %s: answer is not JSON: %v: %s", path, err, raw)
	}
	return resp.StatusCode, m
}

// initiate creates a contract and returns its id and the signer's URL.
func (e *env) initiate() (contractID, esignURL string) {
	e.t.Helper()
	status, m := e.post("/api/v3/contract/initiate", testToken, e.initiateBody())
	if status != http.StatusOK {
		e.t.Fatalf("initiate: status %d: %v", status, m)
	}
	signer := m["signerdetail"].([]any)[0].(map[string]any)
	return m["contractId"].(string), signer["esignUrl"].(string)
}

func (e *env) pull(id string, b64 bool) map[string]any {
	e.t.Helper()
	status, m := e.post("/api/v3/contract/pullData", testToken, map[string]any{"contractId": id, "base64EncodedOutput": b64})
	if status != http.StatusOK {
		e.t.Fatalf("pullData: status %d: %v", status, m)
	}
	return m
}

func signer0(m map[string]any) map[string]any {
	return m["signerdetail"].([]any)[0].(map[string]any)
}

// open GETs the signer page.
func (e *env) open(esignURL string) (int, string) {
	e.t.Helper()
	resp, err := e.client.Get(esignURL)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// submit posts the page's form with an action.
func (e *env) submit(esignURL, action string) *http.Response {
	e.t.Helper()
	form := url.Values{"action": {action}}
	resp, err := e.client.Post(esignURL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
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

// waitFor polls cond until it holds or a second passes.
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
