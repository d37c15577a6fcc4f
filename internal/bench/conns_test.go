package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestHoldConnsUsesOneConnectionEach(t *testing.T) {
	var mu sync.Mutex
	remotes := map[string]int{}
	keys := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		remotes[r.RemoteAddr]++
		keys[r.Header.Get("X-API-Key")] = true
		mu.Unlock()
		w.Write([]byte(`{"ok":true}`))
	}))
	defer srv.Close()
	var opened atomic.Bool
	res := HoldConns(context.Background(), HoldOptions{
		Addr: strings.TrimPrefix(srv.URL, "http://"), Key: "sk_test", Conns: 20,
		Interval: 40 * time.Millisecond, Ramp: 20 * time.Millisecond, Hold: 150 * time.Millisecond,
		Path: func(conn, n int) string { return "/signing/x" },
	}, func() { opened.Store(true) })
	if res.Opened != 20 || res.Summary.Errors != 0 || !opened.Load() {
		t.Fatalf("opened %d (callback %v), summary %+v", res.Opened, opened.Load(), res.Summary)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(remotes) != 20 {
		t.Errorf("%d distinct client connections, want 20", len(remotes))
	}
	for addr, n := range remotes {
		if n < 2 {
			t.Errorf("connection %s made %d requests; keep-alive not used", addr, n)
		}
	}
	if !keys["sk_test"] || len(keys) != 1 {
		t.Errorf("API keys seen %v", keys)
	}
}

func TestHoldConnsCountsRefusals(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer srv.Close()
	res := HoldConns(context.Background(), HoldOptions{Addr: strings.TrimPrefix(srv.URL, "http://"), Conns: 3,
		Interval: 10 * time.Millisecond, Hold: 30 * time.Millisecond, Path: func(int, int) string { return "/" }}, nil)
	if res.Summary.OK != 0 || res.Summary.Errors != 3 || !strings.Contains(res.Summary.FirstError, "HTTP 401") {
		t.Errorf("%+v", res.Summary)
	}
}

func TestCreateBodyAndIDs(t *testing.T) {
	c := newCreateBody([]byte("%PDF-1.7\n"), providerLocal)
	var body struct {
		OrderID  string `json:"orderId"`
		Provider string `json:"provider"`
		Signer   struct {
			Name, Email string
		} `json:"signerDetails"`
		Document struct {
			Filename, Content string
		} `json:"document"`
	}
	o := &orders{prefix: "bench-x"}
	a, b := o.next(), o.next()
	if a == b {
		t.Error("order ids repeat")
	}
	if err := json.Unmarshal(c.With(a), &body); err != nil || body.OrderID != a || body.Document.Content != "JVBERi0xLjcK" ||
		body.Provider != "local" || body.Signer.Name == "" || body.Signer.Email == "" {
		t.Errorf("%+v, %v", body, err)
	}
	// Reader streams the same bytes With builds.
	rd, n := c.Reader(a)
	streamed, err := io.ReadAll(rd)
	if err != nil || !bytes.Equal(streamed, c.With(a)) || n != int64(len(streamed)) {
		t.Errorf("Reader: %d bytes (said %d), differ from With: %v", len(streamed), n, err)
	}
	id := newUUID()
	if len(id) != 36 || id[14] != '4' || strings.Count(id, "-") != 4 {
		t.Errorf("uuid %s", id)
	}
}

func TestWaitCount(t *testing.T) {
	n := 0
	if !waitCount(context.Background(), 3, func() int { n++; return n }) {
		t.Error("did not see the count reach 3")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if waitCount(ctx, 3, func() int { return 0 }) {
		t.Error("reported success after cancel")
	}
}
