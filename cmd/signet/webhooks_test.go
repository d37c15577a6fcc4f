package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// receiver is a client's webhook endpoint that records what it gets and
// can be told to fail its first n requests.
type receiver struct {
	mu       sync.Mutex
	srv      *httptest.Server
	failures int
	got      []received
}

type received struct {
	header http.Header
	body   []byte
	typ    string
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{failures: failFirst}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		var ev struct{ Type string }
		json.Unmarshal(body, &ev)
		r.mu.Lock()
		defer r.mu.Unlock()
		r.got = append(r.got, received{req.Header.Clone(), body, ev.Type})
		if r.failures > 0 {
			r.failures--
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// waitFor waits until the receiver got n requests.
func (r *receiver) waitFor(t *testing.T, n int) []received {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if got := r.all(); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("receiver got %d requests, want %d", len(r.all()), n)
	return nil
}

func (h *harness) registerWebhook(key, url string, events ...string) map[string]any {
	h.t.Helper()
	body := map[string]any{"url": url}
	if len(events) > 0 {
		body["events"] = events
	}
	return h.expect(h.do("POST", "/webhooks", key, body), 201).json(h.t)
}

func TestWebhooksDeliveredSignedAndFiltered(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	all, completedOnly, otherTenant := newReceiver(t, 0), newReceiver(t, 0), newReceiver(t, 0)
	epAll := h.registerWebhook(h.key, all.srv.URL)
	h.registerWebhook(h.key, completedOnly.srv.URL, "signing.completed")
	other := h.apiKey("globex")
	h.registerWebhook(other, otherTenant.srv.URL)

	s := h.create("webhook-order")
	h.signAtProvider(str(s["redirectUrl"]), "sign")
	h.waitStatus(str(s["signingSessionId"]), "COMPLETED")

	got := all.waitFor(t, 4)
	wh, err := standardwebhooks.NewWebhook(str(epAll["secret"]))
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	var types []string
	for _, r := range got {
		if err := wh.Verify(r.body, r.header); err != nil {
			t.Errorf("signature does not verify: %v", err)
		}
		ids[r.header.Get("webhook-id")] = true
		types = append(types, r.typ)
		var ev map[string]any
		json.Unmarshal(r.body, &ev)
		if ev["timestamp"] == nil || ev["data"].(map[string]any)["signingSessionId"] != s["signingSessionId"] {
			t.Errorf("event body %s", r.body)
		}
	}
	if len(ids) != len(got) || strings.Join(types, ",") != "signing.created,signing.in_progress,signing.signer_signed,signing.completed" {
		t.Errorf("events %v with %d distinct ids; want created, in_progress, signer_signed, completed", types, len(ids))
	}
	if got := completedOnly.waitFor(t, 1); len(got) != 1 || got[0].typ != "signing.completed" {
		t.Errorf("filtered endpoint got %v", got)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(otherTenant.all()); n != 0 {
		t.Errorf("another tenant's endpoint got %d events", n)
	}
	if n := len(completedOnly.all()); n != 1 {
		t.Errorf("filtered endpoint got %d events", n)
	}
}

func TestWebhookRetriesKeepTheID(t *testing.T) {
	t.Parallel()
	h := startServer(t, "--webhook-retries", "0s,0s,0s")
	flaky := newReceiver(t, 2)
	ep := h.registerWebhook(h.key, flaky.srv.URL, "signing.created")
	h.create("retry-order")
	got := flaky.waitFor(t, 3)
	if id := got[0].header.Get("webhook-id"); got[1].header.Get("webhook-id") != id || got[2].header.Get("webhook-id") != id {
		t.Errorf("retries changed the webhook-id")
	}
	var attempts []any
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		attempts = h.expect(h.do("GET", "/webhooks/"+str(ep["id"])+"/deliveries", h.key, nil), 200).json(t)["data"].([]any)
		if len(attempts) == 3 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if len(attempts) != 3 {
		t.Fatalf("deliveries list has %d attempts, want 3", len(attempts))
	}
	newest := attempts[0].(map[string]any)
	if newest["succeeded"] != true || newest["attempt"] != float64(3) || newest["responseStatus"] != float64(200) {
		t.Errorf("newest attempt %v", newest)
	}
	oldest := attempts[2].(map[string]any)
	if oldest["succeeded"] != false || oldest["responseStatus"] != float64(503) || oldest["error"] == nil {
		t.Errorf("first attempt %v", oldest)
	}
	// A manual retry redelivers the same event.
	h.expect(h.do("POST", "/webhooks/"+str(ep["id"])+"/deliveries/"+str(newest["id"])+"/retry", h.key, nil), 202)
	if got := flaky.waitFor(t, 4); got[3].header.Get("webhook-id") != got[0].header.Get("webhook-id") {
		t.Error("manual retry changed the webhook-id")
	}
}

func TestWebhookEndpointsAPI(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	r := newReceiver(t, 0)
	ep := h.registerWebhook(h.key, r.srv.URL, "signing.completed", "signing.failed")
	id := str(ep["id"])
	if s, _ := ep["secret"].(string); len(s) < 10 {
		t.Errorf("no secret in %v", ep)
	}
	got := h.expect(h.do("GET", "/webhooks/"+id, h.key, nil), 200).json(t)
	if _, has := got["secret"]; has {
		t.Error("GET shows the secret again")
	}
	list := h.expect(h.do("GET", "/webhooks", h.key, nil), 200).json(t)["data"].([]any)
	if len(list) != 1 {
		t.Errorf("list %v", list)
	}
	other := h.apiKey("globex")
	h.expect(h.do("GET", "/webhooks/"+id, other, nil), 404)
	h.expect(h.do("DELETE", "/webhooks/"+id, other, nil), 404)
	h.expect(h.do("GET", "/webhooks/"+id+"/deliveries", other, nil), 404)
	for _, bad := range []map[string]any{
		{"url": "not a url"}, {"url": "ftp://example.com"}, {}, {"url": r.srv.URL, "events": []string{"signing.nope"}},
	} {
		h.expect(h.do("POST", "/webhooks", h.key, bad), 400)
	}
	h.expect(h.do("DELETE", "/webhooks/"+id, h.key, nil), 204)
	h.expect(h.do("GET", "/webhooks/"+id, h.key, nil), 404)
}

func TestWebhookSSRFGuard(t *testing.T) {
	t.Parallel()
	h := startServer(t, "--allow-private-webhooks=false")
	for _, url := range []string{"http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.0.0.1/x", "http://localhost/x"} {
		p := h.expect(h.do("POST", "/webhooks", h.key, map[string]any{"url": url}), 400).json(t)
		if b, _ := json.Marshal(p["errors"]); !json.Valid(b) || !containsField(p, "url") {
			t.Errorf("%s: %v", url, p)
		}
	}
}
