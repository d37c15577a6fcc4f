package simtest

import (
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Hook is one callback (or webhook) a Receiver got.
type Hook struct {
	Header http.Header
	Raw    []byte
	Body   map[string]any // Raw decoded, nil if it is not a JSON object
}

// Receiver is a test callback endpoint: it records what simulators post
// to it and answers Status (204 No Content if zero).
type Receiver struct {
	Status int

	mu      sync.Mutex
	got     []Hook
	failFor int
}

// ServeHTTP records the callback.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.got = append(rc.got, Hook{Header: r.Header.Clone(), Raw: b, Body: m})
	if rc.failFor > 0 {
		rc.failFor--
		w.WriteHeader(http.StatusInternalServerError)
		return
	}
	if rc.Status == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.WriteHeader(rc.Status)
}

// FailFor makes the receiver answer 500 to the next n callbacks.
func (rc *Receiver) FailFor(n int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.failFor = n
}

// All returns the callbacks received so far, failed ones included.
func (rc *Receiver) All() []Hook {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Hook(nil), rc.got...)
}

// Bodies returns the decoded bodies of the callbacks received so far.
func (rc *Receiver) Bodies() []map[string]any {
	var out []map[string]any
	for _, h := range rc.All() {
		out = append(out, h.Body)
	}
	return out
}

// Raws returns the raw bodies of the callbacks received so far.
func (rc *Receiver) Raws() [][]byte {
	var out [][]byte
	for _, h := range rc.All() {
		out = append(out, h.Raw)
	}
	return out
}

// WantClosed checks that stop (a simulator's Close, with a re-send of a
// failed callback pending) returns at once rather than when the re-send
// is due, and, unless rc is nil, that rc got the first attempt only.
func WantClosed(t *testing.T, stop func() error, rc *Receiver) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = stop(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Close did not stop the pending re-send")
	}
	if rc != nil && len(rc.All()) != 1 {
		t.Errorf("%d attempts", len(rc.All()))
	}
}

// WantFields checks that the JSON object m has each of fields.
func WantFields(t *testing.T, what string, m map[string]any, fields ...string) {
	t.Helper()
	for _, f := range fields {
		if _, ok := m[f]; !ok {
			t.Errorf("%s: field %q missing", what, f)
		}
	}
}
