package simtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
)

// Fake is a provider's API in an adapter's unit test: it answers every
// call with Status and Answer (JSON) and records the last request.
type Fake struct {
	Status int
	Answer string

	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   map[string]any // the request's JSON body, nil if none
	Calls  int

	Srv *httptest.Server // closed with t.Cleanup
}

// NewFake starts a Fake.
func NewFake(t *testing.T, status int, answer string) *Fake {
	t.Helper()
	f := &Fake{Status: status, Answer: answer}
	f.Srv = httptest.NewServer(f)
	t.Cleanup(f.Srv.Close)
	return f
}

// ServeHTTP records r and answers.
func (f *Fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.Calls++
	f.Method, f.Path, f.Query, f.Header = r.Method, r.URL.Path, r.URL.Query(), r.Header.Clone()
	b, _ := io.ReadAll(r.Body)
	f.Body = nil
	_ = json.Unmarshal(b, &f.Body)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(f.Status)
	_, _ = io.WriteString(w, f.Answer)
}
