package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// flakyReceiver is a webhook endpoint that can be taken down (503) and
// brought back; it keeps every delivery it accepted, by webhook-id.
type flakyReceiver struct {
	srv  *httptest.Server
	down atomic.Bool
	mu   sync.Mutex
	got  map[string]received // by webhook-id, accepted only
	hits atomic.Int64
}

func newFlakyReceiver(t *testing.T) *flakyReceiver {
	r := &flakyReceiver{got: map[string]received{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		body, _ := io.ReadAll(req.Body)
		if r.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		r.mu.Lock()
		r.got[req.Header.Get("webhook-id")] = received{header: req.Header.Clone(), body: body}
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// client is a bare API client for a server run as a process.
type client struct {
	t    *testing.T
	base string
	key  string
}

func (c client) call(method, path string, body any) (int, map[string]any, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(mustMarshal(body))
	}
	req, _ := http.NewRequest(method, c.base+path, rd)
	req.Header.Set("X-API-Key", c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	var out map[string]any
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err // cut off mid-answer: not acknowledged
	}
	json.Unmarshal(b, &out)
	return resp.StatusCode, out, nil
}

func (c client) must(method, path string, body any, want int) map[string]any {
	c.t.Helper()
	code, out, err := c.call(method, path, body)
	if err != nil || code != want {
		c.t.Fatalf("%s %s = %d %v, %v; want %d", method, path, code, out, err, want)
	}
	return out
}

// TestCrashSafety is the kill -9 test of issue #4: under load, with the
// webhook receiver down, the server is killed. After a restart every
// acknowledged create is there, every event committed before the crash
// reaches the receiver once it is back, and nothing arrives that the
// database does not hold.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	bin := signetBinary(t)
	db := testDatabase(t)
	// Short leases: the killed process's claims come back in seconds.
	args := []string{"--database", db, "--webhook-timeout", "2s", "--webhook-lease", "3s", "--poll-lease", "3s", "--webhook-retries", "500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms,500ms"}
	srv, base, key := serveBinary(t, bin, args...)
	c := client{t: t, base: base, key: key}
	rcv := newFlakyReceiver(t)
	rcv.down.Store(true)
	hook := c.must("POST", "/webhooks", map[string]any{"url": rcv.srv.URL}, 201)

	// Load: creates, every other one cancelled, until the kill.
	var (
		mu    sync.Mutex
		acked []string
		stop  atomic.Bool
		wg    sync.WaitGroup
	)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				code, out, err := c.call("POST", "/signing", createBody(fmt.Sprintf("crash-%d-%d", w, i)))
				if err != nil || code != 201 {
					continue
				}
				id := str(out["signingSessionId"])
				mu.Lock()
				acked = append(acked, id)
				mu.Unlock()
				if i%2 == 0 {
					c.call("DELETE", "/signing/"+id, nil)
				}
			}
		}()
	}
	for {
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 60 {
			break
		}
	}
	if err := srv.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	stop.Store(true)
	wg.Wait()
	if rcv.hits.Load() == 0 {
		t.Log("no delivery was attempted before the kill")
	}

	// Restart on the same database; the receiver comes back.
	srv2, base2, _ := serveBinary(t, bin, args...)
	defer func() { srv2.Process.Signal(syscall.SIGTERM); srv2.Wait() }()
	c.base = base2
	rcv.down.Store(false)

	for _, id := range acked {
		c.must("GET", "/signing/"+id, nil, 200)
	}

	// What the database holds: every session and its status events.
	want := map[string]bool{} // "session/type"
	sessions := 0
	for cursor := ""; ; {
		path := "/signing?limit=100"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := c.must("GET", path, nil, 200)
		for _, v := range page["data"].([]any) {
			id := str(v.(map[string]any)["signingSessionId"])
			sessions++
			for _, e := range c.must("GET", "/signing/"+id+"/events", nil, 200)["data"].([]any) {
				typ := str(e.(map[string]any)["type"])
				if len(typ) > 8 && typ[:8] == "signing." {
					want[id+"/"+typ] = true
				}
			}
		}
		next, _ := page["nextCursor"].(string)
		if next == "" {
			break
		}
		cursor = next
	}
	if sessions < len(acked) {
		t.Fatalf("%d sessions stored, fewer than the %d acknowledged", sessions, len(acked))
	}

	// Every committed event arrives, exactly what the database holds.
	restarted := time.Now()
	deadline := restarted.Add(60 * time.Second)
	for {
		rcv.mu.Lock()
		n := len(rcv.got)
		rcv.mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	wh, err := standardwebhooks.NewWebhook(str(hook["secret"]))
	if err != nil {
		t.Fatal(err)
	}
	rcv.mu.Lock()
	defer rcv.mu.Unlock()
	got := map[string]bool{}
	for msgID, r := range rcv.got {
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Errorf("delivery %s: signature: %v", msgID, err)
		}
		var ev struct {
			Type string
			Data struct{ SigningSessionID string }
		}
		if err := json.Unmarshal(r.body, &ev); err != nil {
			t.Fatalf("delivery %s: %v", msgID, err)
		}
		k := ev.Data.SigningSessionID + "/" + ev.Type
		if got[k] {
			t.Errorf("event %s delivered under two webhook ids", k)
		}
		got[k] = true
		if !want[k] {
			t.Errorf("delivered %s, which the database does not hold", k)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("committed event %s never delivered", k)
		}
	}
	t.Logf("%d acknowledged creates, %d sessions stored, %d events delivered %v after the restart",
		len(acked), sessions, len(got), time.Since(restarted).Round(time.Millisecond))
}

// TestGracefulShutdownFinishesDeliveries: SIGTERM while a webhook attempt
// is in flight lets it finish and records it, so that the restarted server
// does not deliver it again.
func TestGracefulShutdownFinishesDeliveries(t *testing.T) {
	t.Parallel()
	bin := signetBinary(t)
	db := testDatabase(t)
	var hits atomic.Int64
	arrived := make(chan struct{}, 10)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		arrived <- struct{}{}
		time.Sleep(1500 * time.Millisecond)
		w.WriteHeader(http.StatusOK)
	}))
	defer slow.Close()

	srv, base, key := serveBinary(t, bin, "--database", db)
	c := client{t: t, base: base, key: key}
	hook := c.must("POST", "/webhooks", map[string]any{"url": slow.URL, "events": []string{"signing.created"}}, 201)
	c.must("POST", "/signing", createBody("graceful"), 201)
	select {
	case <-arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("the webhook never arrived")
	}
	srv.Process.Signal(syscall.SIGTERM)
	if err := srv.Wait(); err != nil {
		t.Fatalf("serve did not exit cleanly: %v", err)
	}

	srv2, base2, _ := serveBinary(t, bin, "--database", db)
	defer func() { srv2.Process.Signal(syscall.SIGTERM); srv2.Wait() }()
	c.base = base2
	atts := c.must("GET", "/webhooks/"+str(hook["id"])+"/deliveries", nil, 200)["data"].([]any)
	if len(atts) != 1 || atts[0].(map[string]any)["succeeded"] != true {
		t.Fatalf("deliveries after a graceful restart = %v, want one successful attempt", atts)
	}
	time.Sleep(time.Second) // a redelivery would be claimed within the dispatcher's idle tick
	if n := hits.Load(); n != 1 {
		t.Errorf("receiver hit %d times, want once", n)
	}
}
