package bench

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestCreateRetryingWaitsOutRetryAfter(t *testing.T) {
	var calls atomic.Int32
	var lastLen atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		lastLen.Store(int64(len(b)))
		switch calls.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
		default:
			w.WriteHeader(http.StatusCreated)
		}
	}))
	defer srv.Close()
	api := &API{Base: srv.URL, Key: "k", Client: NewClient(1)}
	body := newCreateBody([]byte("%PDF-1.7\n"), providerLocal)
	var deferred atomic.Int64
	t0 := time.Now()
	if err := createRetrying(context.Background(), api, body, "o-1", &deferred); err != nil {
		t.Fatal(err)
	}
	if calls.Load() != 2 || deferred.Load() != 1 {
		t.Errorf("%d calls, %d deferred; want 2, 1", calls.Load(), deferred.Load())
	}
	if waited := time.Since(t0); waited < time.Second {
		t.Errorf("retried after %s, before Retry-After's 1 s", waited)
	}
	if lastLen.Load() != int64(len(body.With("o-1"))) {
		t.Errorf("the retry sent %d bytes", lastLen.Load())
	}
}

func TestCreateRetryingFailsOnOther503s(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable) // no Retry-After: an error, not back-pressure
	}))
	defer srv.Close()
	api := &API{Base: srv.URL, Client: NewClient(1)}
	var deferred atomic.Int64
	err := createRetrying(context.Background(), api, newCreateBody([]byte("x"), providerLocal), "o-1", &deferred)
	if err == nil || calls.Load() != 1 || deferred.Load() != 0 {
		t.Errorf("err %v, %d calls, %d deferred", err, calls.Load(), deferred.Load())
	}
}
