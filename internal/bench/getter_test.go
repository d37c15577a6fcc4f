package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
)

func TestGetterSendsTheKeyAndChecksTheStatus(t *testing.T) {
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		switch {
		case r.Header.Get("X-API-Key") != "sk_test":
			http.Error(w, "no key", http.StatusUnauthorized)
		case r.URL.Path == "/signing/missing":
			http.Error(w, "there is no signing session missing", http.StatusNotFound)
		default:
			_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
		}
	}))
	defer srv.Close()

	g, err := NewGetter(srv.URL, "sk_test", 2)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	for range 5 { // kept-alive connections are reused
		if err := g.Get(context.Background(), "/signing/s1", http.StatusOK); err != nil {
			t.Fatalf("GET /signing/s1: %v", err)
		}
	}
	err = g.Get(context.Background(), "/signing/missing", http.StatusOK)
	var se *StatusError
	if !errors.As(err, &se) || se.Status != http.StatusNotFound || se.Body != "there is no signing session missing" || se.Path != "/signing/missing" {
		t.Errorf("a 404: %v, want a StatusError with its status and body", err)
	}
	if got := requests.Load(); got != 6 {
		t.Errorf("the server saw %d requests, want 6: none retried", got)
	}

	noKey, _ := NewGetter(srv.URL, "", 1)
	if err := noKey.Get(context.Background(), "/signing/s1", http.StatusOK); !errors.As(err, &se) || se.Status != http.StatusUnauthorized {
		t.Errorf("without a key: %v, want 401", err)
	}
	for _, bad := range []string{"127.0.0.1:80", "https://example.com", "http://"} {
		if _, err := NewGetter(bad, "", 1); err == nil {
			t.Errorf("NewGetter(%q) succeeded, want an error", bad)
		}
	}
}
