package simtest

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
)

// NoRedirects returns a browser that does not follow redirects, so tests
// see the 303 a signing page answers.
func NoRedirects() *http.Client {
	return &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Env is one test HTTP server (closed with t.Cleanup) whose mux the test
// mounts a simulator and callback routes on, with a clock at Epoch and a
// browser.
type Env struct {
	T       *testing.T
	Srv     *httptest.Server
	Mux     *http.ServeMux
	Clock   *Clock
	Browser *http.Client // does not follow redirects
	// Base is the path the simulator is mounted under (see Mount).
	Base string
}

// NewEnv starts the server.
func NewEnv(t *testing.T) *Env {
	t.Helper()
	e := &Env{T: t, Mux: http.NewServeMux(), Clock: NewClock(Epoch), Browser: NoRedirects()}
	e.Srv = httptest.NewServer(e.Mux)
	t.Cleanup(e.Srv.Close)
	return e
}

// ServeTLS serves h over TLS with cfg (mutual TLS, say) until the test
// ends. The handshakes a test makes fail are not logged.
func ServeTLS(t *testing.T, h http.Handler, cfg *tls.Config) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = cfg
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// Mount serves h under prefix (such as "/sandbox/signzy") behind
// StripPrefix, as Signet mounts a simulator, and makes prefix the Base of
// Call.
func (e *Env) Mount(prefix string, h http.Handler) {
	e.Base = prefix
	e.Mux.Handle(prefix+"/", http.StripPrefix(prefix, h))
}

// Sim is a provider simulator.
type Sim interface {
	http.Handler
	Close() error
}

// ServeSim builds a simulator from a test's usual cfg, changed by mutate,
// mounts it under prefix and closes it with t.Cleanup.
func ServeSim[C any, S Sim](e *Env, prefix string, cfg C, mutate []func(*C), build func(C) (S, error)) S {
	e.T.Helper()
	for _, m := range mutate {
		m(&cfg)
	}
	s, err := build(cfg)
	return Serve(e, prefix, s, err)
}

// Serve mounts s, just built (err, if not nil, fails the test), under
// prefix and closes it with t.Cleanup.
func Serve[S Sim](e *Env, prefix string, s S, err error) S {
	e.T.Helper()
	if err != nil {
		e.T.Fatal(err)
	}
	e.T.Cleanup(func() { s.Close() })
	e.Mount(prefix, s)
	return s
}

// ServeUnstripped starts an Env and mounts on it, under prefix, the
// simulator build makes for baseURL (the Env's URL, prefix and a slash)
// as it is, without StripPrefix: its routes must work with the base URL's
// path still in front of them. It closes the simulator with t.Cleanup;
// Call's Base is prefix.
func ServeUnstripped[S Sim](t *testing.T, prefix string, build func(baseURL string) (S, error)) (*Env, S) {
	t.Helper()
	e := NewEnv(t)
	s, err := build(e.Srv.URL + prefix + "/")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	e.Base = prefix
	e.Mux.Handle(prefix+"/", s)
	return e, s
}

// Call sends method to Base+path, body JSON-encoded (none if nil, with
// Content-Type application/json otherwise) and headers set by set (if not
// nil), and returns the answer.
func (e *Env) Call(method, path string, body any, set func(*http.Request)) (int, http.Header, []byte) {
	e.T.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.T.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.Srv.URL+e.Base+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if set != nil {
		set(req)
	}
	return e.do(req)
}

// do sends req with the browser and reads the answer.
func (e *Env) do(req *http.Request) (int, http.Header, []byte) {
	e.T.Helper()
	resp, err := e.Browser.Do(req)
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, raw
}

// CallJSON is Call decoding the JSON object answered; an answer that is
// not JSON fails the test.
func (e *Env) CallJSON(method, path string, body any, set func(*http.Request)) (int, map[string]any) {
	e.T.Helper()
	status, _, raw := e.Call(method, path, body, set)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		e.T.Fatalf("%s %s: answer is not JSON: %v: %s", method, path, err, raw)
	}
	return status, m
}

// Get GETs u with the browser.
func (e *Env) Get(u string) (int, http.Header, []byte) {
	e.T.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		e.T.Fatal(err)
	}
	return e.do(req)
}

// Open is the signer opening a signing page.
func (e *Env) Open(link string) (int, string) {
	e.T.Helper()
	status, _, b := e.Get(link)
	return status, string(b)
}

// Page is Open for a page that must answer 200.
func (e *Env) Page(link string) string {
	e.T.Helper()
	status, page := e.Open(link)
	if status != http.StatusOK {
		e.T.Fatalf("GET %s: %d\n%s", link, status, page)
	}
	return page
}

// Submit posts a signing page's form with one of its buttons (a form
// without an action posts back to the link, query included) and returns
// the answer, not followed, and its body.
func (e *Env) Submit(link, action string) (*http.Response, string) {
	e.T.Helper()
	resp, err := e.Browser.PostForm(link, url.Values{"action": {action}})
	if err != nil {
		e.T.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// Press is Submit for when the answer's body does not matter.
func (e *Env) Press(link, action string) *http.Response {
	e.T.Helper()
	resp, _ := e.Submit(link, action)
	return resp
}

// WantPanic checks that f panics (a simulator's fault queue given an op
// it does not have, say); what names the call in the failure.
func WantPanic(t *testing.T, what string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", what)
		}
	}()
	f()
}

// WaitFor polls cond until it holds or two seconds pass.
func WaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// UnreachableURL returns the URL of a test server that has closed: calls
// to it fail to connect.
func UnreachableURL() string {
	srv := httptest.NewServer(http.NotFoundHandler())
	srv.Close()
	return srv.URL
}

// SimEnv is an Env with a simulator mounted under /sandbox/{name}/, as
// Signet mounts it, next to a callback receiver at /callbacks/{name}.
type SimEnv[S Sim] struct {
	*Env
	Sim   S
	Hooks *Receiver
}

// NewSimEnv starts a SimEnv whose simulator build makes from the test's
// usual configuration, cfg (given the simulator's base URL and the
// receiver's URL), changed by mutate.
func NewSimEnv[C any, S Sim](t *testing.T, name string, cfg func(e *Env, base, callbackURL string) C, mutate []func(*C), build func(C) (S, error)) *SimEnv[S] {
	t.Helper()
	e := &SimEnv[S]{Env: NewEnv(t), Hooks: &Receiver{}}
	e.Mux.Handle("/callbacks/"+name, e.Hooks)
	e.Sim = ServeSim(e.Env, "/sandbox/"+name, cfg(e.Env, e.Srv.URL+"/sandbox/"+name, e.Srv.URL+"/callbacks/"+name), mutate, build)
	return e
}

// WantSignedOnce checks that link, whose signer has signed, refuses to be
// signed again (409) and opens on a page without the form, and that the
// receiver has had hooks callbacks in all: the refusal sent none.
func (e *SimEnv[S]) WantSignedOnce(link string, hooks int) {
	e.T.Helper()
	if resp := e.Press(link, "sign"); resp.StatusCode != http.StatusConflict {
		e.T.Errorf("second sign: %d", resp.StatusCode)
	}
	if status, page := e.Open(link); status != http.StatusOK || strings.Contains(page, "<form") {
		e.T.Errorf("page after signing: %d", status)
	}
	if n := len(e.Hooks.All()); n != hooks {
		e.T.Errorf("%d callbacks, want %d", n, hooks)
	}
}
