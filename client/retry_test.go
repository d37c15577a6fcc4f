package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/api"
)

// fake is a scripted server: it answers the i-th request with answers[i]
// (the last one again when the script runs out) and records every request.
type fake struct {
	mu       sync.Mutex
	answers  []answer
	requests []*http.Request
}

type answer struct {
	status int
	header map[string]string
	body   string
}

func (f *fake) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	a := f.answers[min(len(f.requests), len(f.answers)-1)]
	f.requests = append(f.requests, r.Clone(context.Background()))
	f.mu.Unlock()
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	w.WriteHeader(a.status)
	fmt.Fprint(w, a.body)
}

func (f *fake) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

// newFake starts a scripted server and a client of it whose sleeps are
// recorded instead of slept.
func newFake(t *testing.T, answers ...answer) (*fake, *Client, *[]time.Duration) {
	t.Helper()
	f := &fake{answers: answers}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	var waits []time.Duration
	c := New(srv.URL, "sk_test")
	c.sleep = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	return f, c, &waits
}

const sessionJSON = `{"signingSessionId":"f7d2295f-0dd4-4ebe-8ec5-de2d0f41be7e","orderId":"o-1","status":"PENDING",` +
	`"signerDetails":{"name":"A"},"createdAt":"2024-01-15T10:00:00Z","updatedAt":"2024-01-15T10:00:00Z",` +
	`"provider":"signzy","language":"en","expiresAt":"2024-01-16T10:00:00Z"}`

func problemAnswer(status int, header map[string]string) answer {
	h := map[string]string{"Content-Type": "application/problem+json"}
	for k, v := range header {
		h[k] = v
	}
	return answer{status, h, fmt.Sprintf(`{"type":"urn:signet:problem:x","title":%q,"status":%d,"detail":"d"}`, http.StatusText(status), status)}
}

var okSession = answer{201, map[string]string{"Content-Type": "application/json"}, sessionJSON}

// TestRetryPolicy: which answers are retried, how often, and that every
// attempt of one call carries the same idempotency key.
func TestRetryPolicy(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		status   int
		attempts int // with the default 3 retries, always failing
	}{
		{400, 1}, {401, 1}, {403, 1}, {404, 1}, {409, 1}, {413, 1}, {422, 1}, {501, 1},
		{429, 4}, {500, 4}, {502, 4}, {503, 4}, {504, 4},
	} {
		t.Run(fmt.Sprint(c.status), func(t *testing.T) {
			t.Parallel()
			f, cl, waits := newFake(t, problemAnswer(c.status, nil))
			_, err := cl.CreateSession(context.Background(), &api.CreateSessionRequest{OrderID: "o-1"})
			var p *Problem
			if !errors.As(err, &p) || p.StatusCode != c.status || p.Status != c.status {
				t.Fatalf("err = %v, want a *Problem with status %d", err, c.status)
			}
			if got := f.count(); got != c.attempts {
				t.Errorf("attempts = %d, want %d", got, c.attempts)
			}
			if len(*waits) != c.attempts-1 {
				t.Errorf("waited %d times, want %d", len(*waits), c.attempts-1)
			}
			keys := map[string]bool{}
			for _, r := range f.requests {
				keys[r.Header.Get("X-Idempotency-Key")] = true
			}
			if len(keys) != 1 || keys[""] {
				t.Errorf("idempotency keys across attempts: %v, want one non-empty key", keys)
			}
		})
	}
}

func TestRetrySucceeds(t *testing.T) {
	t.Parallel()
	f, cl, _ := newFake(t, problemAnswer(503, nil), problemAnswer(502, nil), okSession)
	s, err := cl.CreateSession(context.Background(), &api.CreateSessionRequest{OrderID: "o-1"})
	if err != nil || s.OrderID != "o-1" {
		t.Fatalf("CreateSession = %v, %v", s, err)
	}
	if f.count() != 3 {
		t.Errorf("attempts = %d, want 3", f.count())
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	t.Run("honoured", func(t *testing.T) {
		t.Parallel()
		f, cl, waits := newFake(t, problemAnswer(429, map[string]string{"Retry-After": "7"}), okSession)
		if _, err := cl.CreateSession(context.Background(), &api.CreateSessionRequest{}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(*waits, []time.Duration{7 * time.Second}) || f.count() != 2 {
			t.Errorf("waits %v after %d attempts, want [7s] and 2", *waits, f.count())
		}
	})
	t.Run("over the cap", func(t *testing.T) {
		t.Parallel()
		f, cl, waits := newFake(t, problemAnswer(503, map[string]string{"Retry-After": "120"}), okSession)
		_, err := cl.CreateSession(context.Background(), &api.CreateSessionRequest{})
		var p *Problem
		if !errors.As(err, &p) || p.RetryAfter != 120*time.Second {
			t.Fatalf("err = %v, want the 503 with RetryAfter 2m", err)
		}
		if len(*waits) != 0 || f.count() != 1 {
			t.Errorf("waits %v after %d attempts: a Retry-After over the cap must end the call", *waits, f.count())
		}
	})
	t.Run("past the caller's deadline", func(t *testing.T) {
		t.Parallel()
		f, cl, _ := newFake(t, problemAnswer(429, map[string]string{"Retry-After": "20"}), okSession)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := cl.CreateSession(ctx, &api.CreateSessionRequest{}); err == nil || f.count() != 1 {
			t.Errorf("err %v after %d attempts: a wait past the deadline must end the call", err, f.count())
		}
	})
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2024, 1, 15, 10, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"5", 5 * time.Second}, {" 5 ", 5 * time.Second}, {"-3", 0}, {"soon", 0},
		{"Mon, 15 Jan 2024 10:00:30 GMT", 30 * time.Second},
		{"Mon, 15 Jan 2024 09:00:00 GMT", 0},
	} {
		if got := retryAfter(c.in, now); got != c.want {
			t.Errorf("retryAfter(%q) = %v, want %v", c.in, got, c.want)
		}
	}
}

func TestBackoffIsJitteredAndCapped(t *testing.T) {
	t.Parallel()
	c := New("http://x", "k", WithBackoff(100*time.Millisecond, time.Second))
	for attempt, step := range []time.Duration{100, 200, 400, 800, 1000, 1000} {
		step *= time.Millisecond
		for range 50 {
			if d := c.backoff(attempt); d < step/2 || d > step {
				t.Fatalf("backoff(%d) = %v, want within [%v, %v]", attempt, d, step/2, step)
			}
		}
	}
	if d := c.backoff(1000); d > time.Second {
		t.Errorf("backoff(1000) = %v, over the cap", d)
	}
}

// TestIdempotencyKeys: POST and DELETE carry a key, a new one per call
// unless the caller gives one; GET carries none.
func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	f, cl, _ := newFake(t, okSession)
	ctx := context.Background()
	cl.CreateSession(ctx, &api.CreateSessionRequest{})
	cl.CreateSession(ctx, &api.CreateSessionRequest{})
	cl.CancelSession(ctx, "id")
	cl.Session(ctx, "id")
	cl.CreateSession(ctx, &api.CreateSessionRequest{}, IdempotencyKey("order-1-sign"))
	var keys []string
	for _, r := range f.requests {
		keys = append(keys, r.Header.Get("X-Idempotency-Key"))
	}
	if keys[0] == "" || keys[1] == "" || keys[0] == keys[1] || keys[2] == "" || keys[3] != "" || keys[4] != "order-1-sign" {
		t.Errorf("keys = %q; want two different keys, one on DELETE, none on GET, then the caller's", keys)
	}
}

func TestTransportErrorsAreRetried(t *testing.T) {
	t.Parallel()
	// A server that cuts every connection without answering.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	}))
	defer srv.Close()
	var waits int
	c := New(srv.URL, "k", WithMaxRetries(2))
	c.sleep = func(context.Context, time.Duration) error { waits++; return nil }
	if _, err := c.Session(context.Background(), "x"); err == nil || waits != 2 {
		t.Errorf("err %v after %d waits, want an error after 2 retries", err, waits)
	}
	// A URL that can never work is not retried.
	waits = 0
	c = New("ftp://127.0.0.1:1", "k")
	c.sleep = func(context.Context, time.Duration) error { waits++; return nil }
	if _, err := c.Session(context.Background(), "x"); err == nil || waits != 0 {
		t.Errorf("unsupported scheme: err %v after %d waits, want no retry", err, waits)
	}
}

func TestProblemFromAnyAnswer(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		a    answer
		want Problem
	}{
		{"problem", answer{400, map[string]string{"Content-Type": "application/problem+json"},
			`{"type":"urn:signet:problem:validation","title":"Invalid request","status":400,"detail":"bad","errors":[{"field":"signerDetails.name","message":"is required"}]}`},
			Problem{Problem: api.Problem{Type: "urn:signet:problem:validation", Title: "Invalid request", Status: 400, Detail: "bad",
				Errors: []api.FieldError{{Field: "signerDetails.name", Message: "is required"}}}, StatusCode: 400}},
		{"proxy page", answer{502, map[string]string{"Content-Type": "text/html"}, "<html>\n<h1>Bad   gateway</h1></html>"},
			Problem{Problem: api.Problem{Type: "about:blank", Title: "Bad Gateway", Status: 502, Detail: "<html> <h1>Bad gateway</h1></html>"}, StatusCode: 502}},
		{"JSON that is no problem", answer{404, map[string]string{"Content-Type": "application/json"}, `{"error":"nope"}`},
			Problem{Problem: api.Problem{Type: "about:blank", Title: "Not Found", Status: 404, Detail: `{"error":"nope"}`}, StatusCode: 404}},
	} {
		_, cl, _ := newFake(t, c.a)
		_, err := cl.Session(context.Background(), "x")
		var p *Problem
		if !errors.As(err, &p) {
			t.Fatalf("%s: err = %v, want a *Problem", c.name, err)
		}
		got, _ := json.Marshal(p)
		want, _ := json.Marshal(c.want)
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, want)
		}
	}
	p := &Problem{Problem: api.Problem{Title: "Invalid request", Detail: "2 invalid fields",
		Errors: []api.FieldError{{Field: "a", Message: "x"}, {Field: "b", Message: "y"}}}, StatusCode: 400}
	if got, want := p.Error(), "signet: 400 Invalid request: 2 invalid fields (a: x; b: y)"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestPaths: ids are escaped into one path segment, and the base URL may
// carry a path.
func TestPaths(t *testing.T) {
	t.Parallel()
	f, _, _ := newFake(t, okSession)
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := New(srv.URL+"/api/", "k")
	c.Session(context.Background(), "../webhooks?x")
	if got := f.requests[0].URL.EscapedPath(); got != "/api/signing/..%2Fwebhooks%3Fx" {
		t.Errorf("path = %q", got)
	}
	if f.requests[0].Header.Get("X-API-Key") != "k" || f.requests[0].Header.Get("Authorization") != "" {
		t.Errorf("credentials: %v", f.requests[0].Header)
	}
	New(srv.URL, "k", WithBearerToken("tok")).Ping(context.Background())
	if h := f.requests[1].Header; h.Get("Authorization") != "Bearer tok" || h.Get("X-API-Key") != "" {
		t.Errorf("bearer credentials: %v", h)
	}
}

// TestPagination follows nextCursor, sends the filters on every page and
// fetches no page the loop does not reach.
func TestPagination(t *testing.T) {
	t.Parallel()
	page := func(ids []string, next string) answer {
		var items []string
		for _, id := range ids {
			items = append(items, strings.Replace(sessionJSON, "o-1", id, 1))
		}
		body := `{"data":[` + strings.Join(items, ",") + `]`
		if next != "" {
			body += `,"nextCursor":"` + next + `"`
		}
		return answer{200, map[string]string{"Content-Type": "application/json"}, body + "}"}
	}
	f, cl, _ := newFake(t, page([]string{"a", "b"}, "c1"), page([]string{"c", "d"}, "c2"), page([]string{"e"}, ""))
	var got []string
	for s, err := range cl.Sessions(context.Background(), ListSessionsParams{OrderID: "o 1", Status: api.StatusPending, Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, s.OrderID)
	}
	if strings.Join(got, ",") != "a,b,c,d,e" {
		t.Errorf("listed %v", got)
	}
	var queries []string
	for _, r := range f.requests {
		queries = append(queries, r.URL.RawQuery)
	}
	want := []string{"limit=2&orderId=o+1&status=PENDING", "cursor=c1&limit=2&orderId=o+1&status=PENDING", "cursor=c2&limit=2&orderId=o+1&status=PENDING"}
	if !slices.Equal(queries, want) {
		t.Errorf("queries = %q, want %q", queries, want)
	}

	f, cl, _ = newFake(t, page([]string{"a", "b"}, "c1"), page([]string{"c"}, ""))
	for range cl.Sessions(context.Background(), ListSessionsParams{}) {
		break
	}
	if f.count() != 1 {
		t.Errorf("breaking after the first item fetched %d pages, want 1", f.count())
	}

	_, cl, _ = newFake(t, page([]string{"a"}, "c1"), page([]string{"b"}, "c1"))
	var last error
	for _, err := range cl.Sessions(context.Background(), ListSessionsParams{}) {
		last = err
	}
	if last == nil {
		t.Error("a cursor that repeats must end the listing with an error")
	}
}

func TestWait(t *testing.T) {
	t.Parallel()
	sess := func(status string) answer {
		body := strings.Replace(sessionJSON, `"PENDING"`, `"`+status+`"`, 1)
		if status == "FAILED" {
			body = strings.Replace(body, `"language"`, `"failureReason":"declined","language"`, 1)
		}
		return answer{200, map[string]string{"Content-Type": "application/json"}, body}
	}
	f, cl, waits := newFake(t, sess("PENDING"), sess("IN_PROGRESS"), problemAnswer(503, nil), sess("IN_PROGRESS"), sess("FAILED"))
	cl.pollMin, cl.pollMax = time.Second, 3*time.Second
	s, err := cl.Wait(context.Background(), "id")
	if err != nil || s.Status != api.StatusFailed || s.FailureReason != "declined" {
		t.Fatalf("Wait = %+v, %v", s, err)
	}
	if f.count() != 5 {
		t.Errorf("%d reads, want 5", f.count())
	}
	// Poll waits grow 1s, 2s, 3s (capped); the 503 was retried with backoff in between.
	var polls []time.Duration
	for _, w := range *waits {
		if w >= time.Second {
			polls = append(polls, w)
		}
	}
	if !slices.Equal(polls, []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}) {
		t.Errorf("poll waits %v", *waits)
	}

	// A context that ends stops the wait, with the last session seen.
	_, cl, _ = newFake(t, sess("PENDING"))
	ctx, cancel := context.WithCancel(context.Background())
	cl.sleep = func(context.Context, time.Duration) error { cancel(); return context.Canceled }
	s, err = cl.Wait(ctx, "id")
	if !errors.Is(err, context.Canceled) || s == nil || s.Status != api.StatusPending {
		t.Errorf("Wait after cancel = %v, %v; want the PENDING session and context.Canceled", s, err)
	}

	// An error answer ends it at once.
	_, cl, _ = newFake(t, problemAnswer(404, nil))
	if _, err := cl.Wait(context.Background(), "id"); err == nil {
		t.Error("Wait on a 404 did not fail")
	}
}

func TestDownloadFilename(t *testing.T) {
	t.Parallel()
	_, cl, _ := newFake(t, answer{200, map[string]string{"Content-Type": "application/pdf",
		"Content-Disposition": `attachment; filename="signed-_.pdf"; filename*=UTF-8''signed-%C3%A5.pdf`}, "%PDF-1.7\n"})
	f, err := cl.Document(context.Background(), "id")
	if err != nil || f.Name != "signed-å.pdf" || f.ContentType != "application/pdf" || string(f.Content) != "%PDF-1.7\n" {
		t.Errorf("Document = %+v, %v", f, err)
	}
}

// FuzzProblem: whatever an error answer holds, the client makes a Problem
// of it with the answer's status and a title, and never panics.
func FuzzProblem(f *testing.F) {
	f.Add(400, "application/problem+json", `{"type":"about:blank","title":"Bad","status":400,"detail":"x","errors":[{"field":"a","message":"b"}]}`, "")
	f.Add(429, "application/problem+json; charset=utf-8", `{"title":"Too many","status":429}`, "3")
	f.Add(502, "text/html", "<html>\xff\xfe bad gateway</html>", "Mon, 15 Jan 2024 10:00:30 GMT")
	f.Add(503, "application/json", `{"title":null}`, "-1")
	f.Fuzz(func(t *testing.T, status int, contentType, body, retry string) {
		if status < 400 || status > 599 {
			return
		}
		c := New("http://x", "k")
		resp := &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {contentType}, "Retry-After": {retry}}}
		p := c.problem(resp, []byte(body))
		if p.StatusCode != status || p.Title == "" || p.RetryAfter < 0 {
			t.Fatalf("problem = %+v", p)
		}
		if p.Error() == "" {
			t.Fatal("empty Error()")
		}
	})
}
