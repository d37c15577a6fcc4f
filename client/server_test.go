package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/client"
	"github.com/signet-dev/signet/internal/pdf"
)

var contract = pdf.Sample(1, "Loan agreement")

func newOrder() string { return "order-" + uuid.NewString() }

func createRequest(order string) *api.CreateSessionRequest {
	return &api.CreateSessionRequest{
		OrderID:       order,
		Provider:      "signzy",
		SignerDetails: json.RawMessage(`{"name":"Asha Rao","email":"asha@example.com"}`),
		Document:      api.Document{Filename: "loan.pdf", Content: contract},
		ReturnURL:     "https://app.example.com/done",
		Metadata:      map[string]string{"segment": "retail"},
	}
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// collect drains an iterator, failing the test on its error.
func collect[T any](t *testing.T, seq func(func(T, error) bool)) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func wantProblem(t *testing.T, err error, status int) *client.Problem {
	t.Helper()
	var p *client.Problem
	if !errors.As(err, &p) || p.StatusCode != status || p.Status != status || p.Detail == "" {
		t.Fatalf("err = %v, want a %d problem", err, status)
	}
	return p
}

func TestSessionLifecycle(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, apiKey)
	order := newOrder()
	s, err := c.CreateSession(ctx, createRequest(order))
	if err != nil {
		t.Fatal(err)
	}
	if s.Status != api.StatusPending || s.OrderID != order || s.Provider != "signzy" || s.Metadata["segment"] != "retail" || s.RedirectURL == "" {
		t.Fatalf("created %+v", s)
	}
	got, err := c.Session(ctx, s.SigningSessionID)
	if err != nil || got.SigningSessionID != s.SigningSessionID || got.Status != api.StatusPending {
		t.Fatalf("Session = %+v, %v", got, err)
	}
	if r, err := c.RefreshSession(ctx, s.SigningSessionID); err != nil || r.Status != api.StatusPending {
		t.Fatalf("RefreshSession = %+v, %v", r, err)
	}
	_, err = c.Document(ctx, s.SigningSessionID)
	wantProblem(t, err, http.StatusConflict)

	cancelled, err := c.CancelSession(ctx, s.SigningSessionID)
	if err != nil || cancelled.Status != api.StatusCancelled {
		t.Fatalf("CancelSession = %+v, %v", cancelled, err)
	}
	again, err := c.CancelSession(ctx, s.SigningSessionID)
	if err != nil || again.Status != api.StatusCancelled || !again.UpdatedAt.Equal(cancelled.UpdatedAt) {
		t.Fatalf("second cancel = %+v, %v; want the session unchanged", again, err)
	}
	var types []string
	for _, e := range collect(t, c.Events(ctx, s.SigningSessionID)) {
		types = append(types, e.Type)
	}
	if len(types) < 2 || types[0] != api.EventCreated || !slices.Contains(types, api.EventCancelled) {
		t.Errorf("events = %v", types)
	}

	_, err = c.Session(ctx, uuid.NewString())
	wantProblem(t, err, http.StatusNotFound)
	bad := createRequest(order)
	bad.SignerDetails = json.RawMessage(`{"email":"asha@example.com"}`)
	_, err = c.CreateSession(ctx, bad)
	if p := wantProblem(t, err, http.StatusBadRequest); len(p.Errors) == 0 || p.Errors[0].Field != "signerDetails.name" {
		t.Errorf("validation problem lists %v, want signerDetails.name", p.Errors)
	}
}

// TestSignAndWait: the whole signing through the client: create, the signer
// signs, Wait sees COMPLETED, the signed PDF downloads.
func TestSignAndWait(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, apiKey, client.WithPollInterval(100*time.Millisecond, time.Second))
	s, err := c.CreateSession(ctx, createRequest(newOrder()))
	if err != nil {
		t.Fatal(err)
	}
	signAtSandbox(s.RedirectURL, "sign")
	done, err := c.Wait(ctx, s.SigningSessionID)
	if err != nil || done.Status != api.StatusCompleted || done.CompletedAt == nil || done.DocumentURL == "" {
		t.Fatalf("Wait = %+v, %v", done, err)
	}
	doc, err := c.Document(ctx, s.SigningSessionID)
	if err != nil {
		t.Fatal(err)
	}
	if doc.ContentType != "application/pdf" || !bytes.HasPrefix(doc.Content, []byte("%PDF-")) || doc.Name == "" {
		t.Errorf("document %q, %s, %d bytes", doc.Name, doc.ContentType, len(doc.Content))
	}
	// Wait on a terminal session answers at once.
	if again, err := c.Wait(ctx, s.SigningSessionID); err != nil || again.Status != api.StatusCompleted {
		t.Errorf("Wait again = %v, %v", again, err)
	}
}

// TestEvidence: the §7 endpoints, 409 while open, then a sealed
// certificate and the signatures of the signed document.
func TestEvidence(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, apiKey, client.WithPollInterval(100*time.Millisecond, time.Second))
	s, err := c.CreateSession(ctx, createRequest(newOrder()))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.AuditCertificate(ctx, s.SigningSessionID)
	wantProblem(t, err, http.StatusConflict) // the session is open
	_, err = c.Verification(ctx, s.SigningSessionID)
	wantProblem(t, err, http.StatusConflict)

	signAtSandbox(s.RedirectURL, "sign")
	if _, err := c.Wait(ctx, s.SigningSessionID); err != nil {
		t.Fatal(err)
	}
	cert, err := c.AuditCertificate(ctx, s.SigningSessionID)
	if err != nil || cert.ContentType != "application/pdf" || !bytes.HasPrefix(cert.Content, []byte("%PDF-")) {
		t.Fatalf("AuditCertificate = %v, %v", cert, err)
	}
	v, err := c.Verification(ctx, s.SigningSessionID)
	if err != nil || len(v.DocumentSHA256) != 64 || len(v.Signatures) == 0 {
		t.Fatalf("Verification = %+v, %v", v, err)
	}
}

// TestListFollowsCursors: five sessions of one order, listed two a page,
// come back newest first, each once.
func TestListFollowsCursors(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, apiKey)
	order := newOrder()
	var ids []string
	for range 5 {
		s, err := c.CreateSession(ctx, createRequest(order))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, s.SigningSessionID)
	}
	slices.Reverse(ids)
	var listed []string
	for _, s := range collect(t, c.Sessions(ctx, client.ListSessionsParams{OrderID: order, Limit: 2})) {
		listed = append(listed, s.SigningSessionID)
	}
	if !slices.Equal(listed, ids) {
		t.Errorf("listed %v, want newest first %v", listed, ids)
	}
	if got := collect(t, c.Sessions(ctx, client.ListSessionsParams{OrderID: order, Status: api.StatusCancelled})); len(got) != 0 {
		t.Errorf("status filter: %d sessions", len(got))
	}
	for _, err := range c.Sessions(ctx, client.ListSessionsParams{Status: "SIGNED"}) {
		wantProblem(t, err, http.StatusBadRequest)
	}
}

// flaky is a reverse proxy to the server that spoils the answer to the
// first POST /signing after passing the request on: the server creates the
// session, the client never hears of it and retries.
type flaky struct {
	proxy *httputil.ReverseProxy
	spoil func(w http.ResponseWriter, r *http.Request)

	mu     sync.Mutex
	posts  []string // X-Idempotency-Key of each POST /signing
	failed string   // what the server answered the first POST, when not 201
}

func (f *flaky) seen() ([]string, string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.posts), f.failed
}

func (f *flaky) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/signing" {
		f.proxy.ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	f.posts = append(f.posts, r.Header.Get("X-Idempotency-Key"))
	first := len(f.posts) == 1
	f.mu.Unlock()
	if !first {
		f.proxy.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	f.proxy.ServeHTTP(rec, r.WithContext(context.WithoutCancel(r.Context())))
	if rec.Code != http.StatusCreated {
		f.mu.Lock()
		f.failed = rec.Body.String()
		f.mu.Unlock()
	}
	f.spoil(w, r)
}

// TestRetriedCreateMakesOneSession: whatever loses the answer to a create
// (a 5xx from a proxy, a timeout, a cut connection), the client retries
// with the same idempotency key and the server creates one session.
func TestRetriedCreateMakesOneSession(t *testing.T) {
	t.Parallel()
	target, _ := url.Parse(signetURL)
	for _, c := range []struct {
		name  string
		spoil func(w http.ResponseWriter, r *http.Request)
	}{
		{"502 from a proxy", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "upstream went away", http.StatusBadGateway)
		}},
		{"503 with Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "0")
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, `{"type":"about:blank","title":"Service Unavailable","status":503,"detail":"busy"}`)
		}},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			<-r.Context().Done() // answer nothing until the client gives up
		}},
		{"connection cut", func(w http.ResponseWriter, r *http.Request) {
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := testContext(t)
			f := &flaky{proxy: httputil.NewSingleHostReverseProxy(target), spoil: c.spoil}
			proxy := httptest.NewServer(f)
			defer proxy.Close()
			cl := client.New(proxy.URL, apiKey, client.WithBackoff(10*time.Millisecond, 50*time.Millisecond), client.WithTimeout(2*time.Second))
			order := newOrder()
			s, err := cl.CreateSession(ctx, createRequest(order))
			if err != nil {
				t.Fatalf("CreateSession through a flaky proxy: %v", err)
			}
			posts, failed := f.seen()
			if failed != "" {
				t.Fatalf("the first POST did not create a session: %s", failed)
			}
			if len(posts) != 2 || posts[0] == "" || posts[0] != posts[1] {
				t.Errorf("POSTs with keys %q, want two with one key", posts)
			}
			list := collect(t, client.New(signetURL, apiKey).Sessions(ctx, client.ListSessionsParams{OrderID: order}))
			if len(list) != 1 || list[0].SigningSessionID != s.SigningSessionID {
				t.Errorf("order %s has %d sessions, want exactly the one returned (%s)", order, len(list), s.SigningSessionID)
			}
		})
	}
}

func TestWebhooks(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, tenantKey(t, "webhooks-"+uuid.NewString())) // a tenant of its own: only its events
	var (
		mu       sync.Mutex
		secret   string
		received []api.WebhookEvent
	)
	events := func() []api.WebhookEvent {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(received)
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		ev, err := client.VerifyWebhook(secret, r.Header, body)
		if err != nil {
			t.Errorf("VerifyWebhook: %v", err)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		received = append(received, ev)
	}))
	defer receiver.Close()

	mu.Lock()
	hook, err := c.CreateWebhook(ctx, &api.CreateWebhookRequest{URL: receiver.URL, Events: []string{api.EventCreated}})
	if err == nil {
		secret = hook.Secret
	}
	mu.Unlock()
	if err != nil || hook.ID == "" || hook.Secret == "" || !slices.Equal(hook.Events, []string{api.EventCreated}) {
		t.Fatalf("CreateWebhook = %+v, %v", hook, err)
	}
	got, err := c.Webhook(ctx, hook.ID)
	if err != nil || got.URL != receiver.URL || got.Secret != "" {
		t.Fatalf("Webhook = %+v, %v", got, err)
	}
	if list := collect(t, c.Webhooks(ctx)); len(list) != 1 || list[0].ID != hook.ID {
		t.Errorf("Webhooks = %+v, want the new endpoint", list)
	}

	order := newOrder()
	if _, err := c.CreateSession(ctx, createRequest(order)); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil && len(events()) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	// The attempt is recorded just after the receiver answered.
	attempts := collect(t, c.Deliveries(ctx, hook.ID))
	for ctx.Err() == nil && len(attempts) == 0 {
		time.Sleep(20 * time.Millisecond)
		attempts = collect(t, c.Deliveries(ctx, hook.ID))
	}
	if len(attempts) != 1 || !attempts[0].Succeeded || attempts[0].EventType != api.EventCreated || attempts[0].Attempt != 1 {
		t.Fatalf("deliveries = %+v, want one successful signing.created", attempts)
	}
	if err := c.RetryDelivery(ctx, hook.ID, attempts[0].ID); err != nil {
		t.Fatalf("RetryDelivery: %v", err)
	}
	for ctx.Err() == nil && len(events()) < 2 {
		time.Sleep(20 * time.Millisecond)
	}
	if ev := events(); len(ev) != 2 || ev[0].Data.OrderID != order || ev[1].Data.OrderID != order || ev[1].Type != api.EventCreated {
		t.Errorf("received %+v, want this order's signing.created twice", ev)
	}

	if err := c.DeleteWebhook(ctx, hook.ID); err != nil {
		t.Fatal(err)
	}
	_, err = c.Webhook(ctx, hook.ID)
	wantProblem(t, err, http.StatusNotFound)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	ctx := testContext(t)
	c := client.New(signetURL, apiKey)
	pair, err := c.Token(ctx)
	if err != nil || pair.TokenType != "Bearer" || pair.ExpiresIn <= 0 {
		t.Fatalf("Token = %+v, %v", pair, err)
	}
	if p, err := client.New(signetURL, "", client.WithBearerToken(pair.AccessToken)).Ping(ctx); err != nil || p.Tenant != "default" {
		t.Fatalf("Ping with the bearer token = %+v, %v", p, err)
	}
	next, err := c.RefreshToken(ctx, pair.RefreshToken)
	if err != nil || next.RefreshToken == pair.RefreshToken {
		t.Fatalf("RefreshToken = %+v, %v", next, err)
	}
	_, err = c.RefreshToken(ctx, pair.RefreshToken)
	wantProblem(t, err, http.StatusUnauthorized)

	providers, err := c.Providers(ctx)
	if err != nil || !slices.ContainsFunc(providers, func(p api.Provider) bool { return p.Name == "signzy" }) {
		t.Fatalf("Providers = %+v, %v", providers, err)
	}
	_, err = client.New(signetURL, "sk_wrong").Ping(ctx)
	wantProblem(t, err, http.StatusUnauthorized)
}
