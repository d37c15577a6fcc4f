package main

import (
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestAuthentication(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, key := range []string{"", "sk_wrong"} {
		r := h.expect(h.do("GET", "/signing", key, nil), 401)
		if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("401 Content-Type = %q", ct)
		}
	}
	h.expect(h.do("GET", "/signing", "", nil, "Authorization", "Bearer at_forged.sig"), 401)
	ping := h.expect(h.do("GET", "/auth/ping", h.key, nil), 200).json(t)
	if ping["tenant"] != "acme" {
		t.Errorf("ping = %v", ping)
	}
	for _, path := range []string{"/healthz", "/readyz", "/openapi.json", "/metrics"} {
		h.expect(h.do("GET", path, "", nil), 200)
	}
}

func TestBearerTokens(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	pair := h.expect(h.do("POST", "/auth/token", h.key, nil), 200).json(t)
	if pair["tokenType"] != "Bearer" || pair["expiresIn"].(float64) <= 0 {
		t.Fatalf("token pair %v", pair)
	}
	bearer := "Bearer " + str(pair["accessToken"])
	if got := h.expect(h.do("GET", "/auth/ping", "", nil, "Authorization", bearer), 200).json(t); got["tenant"] != "acme" {
		t.Errorf("ping with bearer = %v", got)
	}
	h.expect(h.do("POST", "/signing", "", createBody("bearer-order"), "Authorization", bearer), 201)
	// A bearer token cannot mint new tokens; only an API key can.
	h.expect(h.do("POST", "/auth/token", "", nil, "Authorization", bearer), 401)

	old := str(pair["refreshToken"])
	next := h.expect(h.do("POST", "/auth/refresh", "", map[string]string{"refreshToken": old}), 200).json(t)
	if next["refreshToken"] == old || next["accessToken"] == pair["accessToken"] {
		t.Error("refresh did not rotate the tokens")
	}
	h.expect(h.do("POST", "/auth/refresh", "", map[string]string{"refreshToken": old}), 401)
	h.expect(h.do("POST", "/auth/refresh", "", map[string]string{"refreshToken": "rt_unknown"}), 401)
	h.expect(h.do("POST", "/auth/refresh", "", map[string]string{}), 400)

	h.clock.Advance(16 * time.Minute)
	h.expect(h.do("GET", "/auth/ping", "", nil, "Authorization", "Bearer "+str(next["accessToken"])), 401)
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	other := h.apiKey("globex")
	s := h.create("shared-order")
	id := str(s["signingSessionId"])
	for _, r := range []struct{ method, path string }{
		{"GET", "/signing/" + id},
		{"DELETE", "/signing/" + id},
		{"POST", "/signing/" + id + "/refresh"},
		{"GET", "/signing/" + id + "/document"},
		{"GET", "/signing/" + id + "/events"},
	} {
		h.expect(h.do(r.method, r.path, other, nil), 404)
	}
	list := h.expect(h.do("GET", "/signing?orderId=shared-order", other, nil), 200).json(t)
	if n := len(list["data"].([]any)); n != 0 {
		t.Errorf("other tenant lists %d sessions", n)
	}
	if h.get(id)["status"] != "PENDING" {
		t.Error("the other tenant's cancel changed the session")
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, r := range []struct{ method, path, key string }{
		{"GET", "/signing/6c1b3c9e-0000-4000-8000-000000000000", h.key},
		{"GET", "/signing/not-a-uuid", h.key},
		{"DELETE", "/signing/%00", h.key},
		{"GET", "/nope", ""},
		{"GET", "/signing/6c1b3c9e-0000-4000-8000-000000000000/nope", h.key},
	} {
		got := h.do(r.method, r.path, r.key, nil)
		if got.status != 404 || got.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d %s, want a 404 problem", r.method, r.path, got.status, got.header.Get("Content-Type"))
		}
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	s := h.create("cancel-me")
	id := str(s["signingSessionId"])
	page := h.providerPage(str(s["redirectUrl"])) // the signer keeps Signzy's own page open
	c := h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 200).json(t)
	if c["status"] != "CANCELLED" {
		t.Fatalf("cancelled session %v", c)
	}
	again := h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 200).json(t)
	if again["updatedAt"] != c["updatedAt"] {
		t.Error("a second cancel changed the session")
	}
	// The signer link now says it ended, and no longer forwards.
	if r := h.do("GET", strings.TrimPrefix(str(s["redirectUrl"]), h.base), "", nil); r.status != 410 {
		t.Errorf("signer link of a cancelled session: %d, want 410", r.status)
	}
	// Signzy has no withdrawal: the signer can still sign at its own page.
	// That changes nothing, but Signzy's callback is recorded.
	h.signAtProvider(page, "sign")
	h.expect(h.do("POST", "/signing/"+id+"/refresh", h.key, nil), 200)
	if got := h.get(id)["status"]; got != "CANCELLED" {
		t.Errorf("after a late signature the session is %v", got)
	}
	h.waitEvent(id, "provider.late_signature")
}

func TestExpiry(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := createBody("expiring")
	body["expiresAt"] = h.clock.Now().Add(time.Hour).UTC().Format(time.RFC3339Nano)
	s := h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)
	id := str(s["signingSessionId"])
	h.clock.Advance(time.Hour + time.Second)
	// Read before the sweeper may have run: never shown open.
	if got := h.get(id)["status"]; got != "EXPIRED" {
		t.Errorf("after expiresAt the session reads %v", got)
	}
	h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 409)

	// The sweeper expires sessions nobody reads.
	body["orderId"] = "expiring-unread"
	body["expiresAt"] = h.clock.Now().Add(time.Minute).UTC().Format(time.RFC3339Nano)
	unread := str(h.expect(h.do("POST", "/signing", h.key, body), 201).json(t)["signingSessionId"])
	h.clock.Advance(2 * time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for {
		events := h.expect(h.do("GET", "/signing/"+unread+"/events", h.key, nil), 200).body
		if strings.Contains(string(events), "signing.expired") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sweeper did not expire the session: %s", events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestListPagination(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	want := map[string]bool{}
	for i := 0; i < 25; i++ {
		want[str(h.create(fmt.Sprintf("page-%02d", i%3))["signingSessionId"])] = true
	}
	seen := map[string]bool{}
	var lastCreated time.Time
	cursor := ""
	pages := 0
	for {
		path := "/signing?limit=10"
		if cursor != "" {
			path += "&cursor=" + cursor
		}
		page := h.expect(h.do("GET", path, h.key, nil), 200).json(t)
		pages++
		for _, item := range page["data"].([]any) {
			s := item.(map[string]any)
			id := str(s["signingSessionId"])
			if seen[id] {
				t.Fatalf("session %s listed twice", id)
			}
			seen[id] = true
			created, err := time.Parse(time.RFC3339Nano, str(s["createdAt"]))
			if err != nil {
				t.Fatalf("createdAt %v: %v", s["createdAt"], err)
			}
			if created.After(lastCreated) && !lastCreated.IsZero() {
				t.Errorf("not newest first: %s after %s", created, lastCreated)
			}
			lastCreated = created
		}
		next, ok := page["nextCursor"]
		if !ok {
			break
		}
		cursor = str(next)
	}
	if pages != 3 || len(seen) != 25 {
		t.Errorf("%d pages, %d sessions; want 3 and 25", pages, len(seen))
	}
	byOrder := h.expect(h.do("GET", "/signing?orderId=page-01&status=PENDING&provider=signzy", h.key, nil), 200).json(t)
	if n := len(byOrder["data"].([]any)); n != 8 {
		t.Errorf("filter by orderId found %d, want 8", n)
	}
	for _, bad := range []string{"limit=0", "limit=101", "limit=x", "status=DONE", "provider=nope", "cursor=garbage", "bogus=1"} {
		r := h.expect(h.do("GET", "/signing?"+bad, h.key, nil), 400).json(t)
		field := strings.SplitN(bad, "=", 2)[0]
		if !strings.Contains(string(mustMarshal(r["errors"])), `"field":"`+field+`"`) {
			t.Errorf("%s: errors %v do not name %s", bad, r["errors"], field)
		}
	}
}

func TestIdempotency(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := createBody("idem-1")
	first := h.expect(h.do("POST", "/signing", h.key, body, "X-Idempotency-Key", "key-1"), 201)
	again := h.expect(h.do("POST", "/signing", h.key, body, "X-Idempotency-Key", "key-1"), 201)
	if string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay differs: %s vs %s (header %q)", again.body, first.body, again.header.Get("Idempotent-Replayed"))
	}
	if first.header.Get("Idempotent-Replayed") != "" {
		t.Error("first response marked as replayed")
	}
	h.expect(h.do("POST", "/signing", h.key, createBody("idem-2"), "X-Idempotency-Key", "key-1"), 409)
	h.expect(h.do("POST", "/signing", h.key, body, "X-Idempotency-Key", strings.Repeat("k", 257)), 400)
	h.expect(h.do("POST", "/signing", h.key, body, "X-Idempotency-Key", strings.Repeat("k", 256)), 201)
	// Keys are per tenant: another tenant's same key executes anew.
	other := h.apiKey("globex")
	h.expect(h.do("POST", "/signing", other, body, "X-Idempotency-Key", "key-1"), 201)
	// A 4xx outcome is remembered too.
	bad := map[string]any{"orderId": ""}
	h.expect(h.do("POST", "/signing", h.key, bad, "X-Idempotency-Key", "key-bad"), 400)
	if r := h.expect(h.do("POST", "/signing", h.key, bad, "X-Idempotency-Key", "key-bad"), 400); r.header.Get("Idempotent-Replayed") != "true" {
		t.Error("400 was not replayed")
	}
	// Cancel is idempotent under a key as well.
	id := str(first.json(t)["signingSessionId"])
	c1 := h.expect(h.do("DELETE", "/signing/"+id, h.key, nil, "X-Idempotency-Key", "cancel-1"), 200)
	c2 := h.expect(h.do("DELETE", "/signing/"+id, h.key, nil, "X-Idempotency-Key", "cancel-1"), 200)
	if string(c1.body) != string(c2.body) {
		t.Error("cancel replay differs")
	}
	// After 24 h the key may be reused.
	h.clock.Advance(25 * time.Hour)
	if r := h.expect(h.do("POST", "/signing", h.key, createBody("idem-3"), "X-Idempotency-Key", "key-1"), 201); r.header.Get("Idempotent-Replayed") != "" {
		t.Error("a 25 h old key was replayed")
	}
}

func TestIdempotencyConcurrent(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	body := createBody("idem-concurrent")
	const n = 20
	var wg sync.WaitGroup
	results := make([]response, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = h.do("POST", "/signing", h.key, body, "X-Idempotency-Key", "same-key")
		}(i)
	}
	wg.Wait()
	var created string
	for _, r := range results {
		switch r.status {
		case 201:
			if created == "" {
				created = string(r.body)
			} else if string(r.body) != created {
				t.Errorf("two different 201 bodies: %s / %s", created, r.body)
			}
		case 409:
		default:
			t.Errorf("status %d: %s", r.status, r.body)
		}
	}
	list := h.expect(h.do("GET", "/signing?orderId=idem-concurrent", h.key, nil), 200).json(t)
	if got := len(list["data"].([]any)); got != 1 {
		t.Errorf("%d sessions created by 20 same-key requests, want 1", got)
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	big := `{"orderId":"big","signerDetails":{"name":"A"},"document":{"filename":"a.pdf","content":"` +
		base64.StdEncoding.EncodeToString(make([]byte, 12<<20)) + `"}}`
	r := h.expect(h.do("POST", "/signing", h.key, big), 413)
	if r.header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("413 Content-Type %q", r.header.Get("Content-Type"))
	}
	list := h.expect(h.do("GET", "/signing", h.key, nil), 200).json(t)
	if n := len(list["data"].([]any)); n != 0 {
		t.Errorf("a rejected body stored %d sessions", n)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	h := startServer(t, "--rate-limit", "2")
	var limited response
	for i := 0; i < 10; i++ {
		if r := h.do("GET", "/signing", h.key, nil); r.status == 429 {
			limited = r
			break
		}
	}
	if limited.status != 429 || limited.header.Get("Retry-After") == "" {
		t.Fatalf("no 429 with Retry-After after 10 quick requests at 2/s: %d", limited.status)
	}
	other := h.apiKey("globex")
	h.expect(h.do("GET", "/signing", other, nil), 200)
}

// TestProblemsAreWrittenForClients: a problem's detail is a message for
// the client, the same on every database, with no Go error prefixes or a
// driver's words in it.
func TestProblemsAreWrittenForClients(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	done := h.create("problem-texts")
	id := str(done["signingSessionId"])
	h.expect(h.do("DELETE", "/signing/"+id, h.key, nil), 200)
	for _, c := range []struct {
		method, path, key string
		status            int
		want              string
	}{
		{"GET", "/signing/6c1b3c9e-0000-4000-8000-000000000000", h.key, 404, "there is no signing session 6c1b3c9e-0000-4000-8000-000000000000"},
		{"GET", "/signing/6c1b3c9e-0000-4000-8000-000000000000/events", h.key, 404, "there is no signing session"},
		{"GET", "/signing/" + id + "/document", h.key, 409, "the signed document exists only when it is COMPLETED"},
		{"GET", "/webhooks/ep_0000", h.key, 404, `there is no webhook endpoint "ep_0000"`},
		{"GET", "/signing", "sk_wrong", 401, "unknown API key"},
		{"GET", "/nope", "", 404, "there is no GET /nope in this API"},
	} {
		got := h.do(c.method, c.path, c.key, nil)
		p := got.json(t)
		detail := str(p["detail"])
		if got.status != c.status || !strings.Contains(detail, c.want) {
			t.Errorf("%s %s = %d %q; want %d with %q", c.method, c.path, got.status, detail, c.status, c.want)
		}
		for _, leak := range []string{"sqlite", "postgres", "pgx", "SQLSTATE", "conflict:", "not found:", "unauthorized:", "%!"} {
			if strings.Contains(strings.ToLower(detail), strings.ToLower(leak)) {
				t.Errorf("%s %s: detail %q shows %q", c.method, c.path, detail, leak)
			}
		}
	}
}

// TestMethodNotAllowed: a wrong method on a known path answers 405 with
// Allow (GET routes serve HEAD too), as a problem.
func TestMethodNotAllowed(t *testing.T) {
	t.Parallel()
	h := startServer(t)
	for _, c := range []struct{ method, path, allow string }{
		{"PUT", "/signing", "GET, HEAD, POST"},
		{"PATCH", "/signing/6c1b3c9e-0000-4000-8000-000000000000", "GET, HEAD, DELETE"},
		{"GET", "/signing/6c1b3c9e-0000-4000-8000-000000000000/refresh", "POST"},
		{"DELETE", "/webhooks", "GET, HEAD, POST"},
		{"GET", "/callbacks/signzy", "POST"},
		{"POST", "/healthz", "GET, HEAD"},
	} {
		got := h.do(c.method, c.path, h.key, nil)
		if got.status != 405 || got.header.Get("Allow") != c.allow || got.header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d Allow %q (%s); want 405 Allow %q", c.method, c.path, got.status, got.header.Get("Allow"),
				got.header.Get("Content-Type"), c.allow)
		}
	}
}
