package server

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gateFixture is a gate of 3 MiB with a handler that holds every
// request until release is closed.
type gateFixture struct {
	gate    *uploadGate
	h       http.Handler
	entered chan int64
	release chan struct{}
}

func newGateFixture(t *testing.T, wait time.Duration) *gateFixture {
	t.Helper()
	g, err := newUploadGate(3<<20, 1<<20, wait, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	f := &gateFixture{gate: g, entered: make(chan int64, 10), release: make(chan struct{})}
	f.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := g.admit(func(w http.ResponseWriter, r *http.Request) error {
			f.entered <- r.ContentLength
			<-f.release
			w.WriteHeader(http.StatusCreated)
			return nil
		})(w, r)
		if err != nil {
			writeProblem(w, problemFor(r, err, nil))
		}
	})
	return f
}

func upload(f *gateFixture, size int) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/signing", bytes.NewReader(make([]byte, size))))
	return rec
}

func TestUploadGateWaitsThenRefuses(t *testing.T) {
	f := newGateFixture(t, 100*time.Millisecond)
	var wg sync.WaitGroup
	answers := make(chan int, 3)
	for range 3 { // 3 × 1 MiB fill the 3 MiB bound
		wg.Go(func() { answers <- upload(f, 1<<20).Code })
	}
	for range 3 {
		<-f.entered
	}
	if got := value(f.gate.inFlight); got != 3<<20 {
		t.Errorf("bytes in flight = %v, want %d", got, 3<<20)
	}

	// A fourth upload finds no room within the wait: 503, Retry-After.
	rec := upload(f, 1<<20)
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") != "2" {
		t.Fatalf("upload over the bound: %d, Retry-After %q; want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"))
	}
	if !strings.Contains(rec.Body.String(), "retry after") || !strings.Contains(rec.Header().Get("Content-Type"), "problem+json") {
		t.Errorf("refusal body %s", rec.Body)
	}
	if got := value(f.gate.refused); got != 1 {
		t.Errorf("refused = %v, want 1", got)
	}

	// A small body is not counted: it passes at once.
	small := make(chan int, 1)
	go func() { small <- upload(f, 1000).Code }()
	if n := <-f.entered; n != 1000 {
		t.Fatalf("entered with %d bytes, want the small body", n)
	}

	// An upload that waits gets in as soon as one ends.
	waiting := make(chan int, 1)
	f.gate.wait = 10 * time.Second
	go func() { waiting <- upload(f, 1<<20).Code }()
	time.Sleep(20 * time.Millisecond)
	select {
	case <-f.entered:
		t.Fatal("an upload over the bound entered before any ended")
	default:
	}
	close(f.release) // every held request ends
	if n := <-f.entered; n != 1<<20 {
		t.Fatalf("entered with %d bytes, want the waiting upload", n)
	}
	wg.Wait()
	for range 3 {
		if code := <-answers; code != http.StatusCreated {
			t.Errorf("held upload answered %d", code)
		}
	}
	if c := <-waiting; c != http.StatusCreated {
		t.Errorf("the waiting upload answered %d", c)
	}
	<-small
	if got := value(f.gate.inFlight); got != 0 {
		t.Errorf("bytes in flight after all ended = %v, want 0", got)
	}
}

// A body sent without a Content-Length may be as large as the limit: it
// counts as that much.
func TestUploadGateCountsUnknownLengthAsTheLimit(t *testing.T) {
	f := newGateFixture(t, 50*time.Millisecond)
	close(f.release)
	req := httptest.NewRequest(http.MethodPost, "/signing", strings.NewReader("{}"))
	req.ContentLength = -1
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if n := <-f.entered; n != -1 || rec.Code != http.StatusCreated {
		t.Fatalf("entered with %d, answered %d", n, rec.Code)
	}
}

func TestUploadGateBoundBelowBodyLimit(t *testing.T) {
	if _, err := newUploadGate(1<<20, 2<<20, time.Second, prometheus.NewRegistry()); err == nil {
		t.Fatal("a bound below the body limit was accepted")
	}
}

// value reads a gauge's or a counter's value.
func value(m prometheus.Metric) float64 {
	var d dto.Metric
	if err := m.Write(&d); err != nil {
		panic(err)
	}
	if d.Gauge != nil {
		return d.Gauge.GetValue()
	}
	return d.Counter.GetValue()
}
