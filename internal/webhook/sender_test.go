package webhook

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/signet-dev/signet/internal/signing"
)

func delivery(url string) signing.Delivery {
	return signing.Delivery{ID: "msg_1", EndpointID: "ep_1", TenantID: "t", EventType: signing.EventCompleted,
		Payload: []byte(`{"type":"signing.completed","timestamp":"2026-01-01T00:00:00Z","data":{}}`),
		URL:     url, Secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", Attempts: 2}
}

func TestSendSignsPerStandardWebhooks(t *testing.T) {
	var got http.Header
	var body []byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, body = r.Header.Clone(), mustRead(r.Body)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	s := NewSender(Guard{AllowPrivate: true}, time.Now, 0)
	d := delivery(srv.URL)
	a := s.Send(context.Background(), d)
	if !a.Succeeded || a.ResponseStatus != 204 || a.Attempt != 3 || a.Error != "" || a.DeliveryID != "msg_1" {
		t.Fatalf("attempt %+v", a)
	}
	wh, _ := standardwebhooks.NewWebhook(d.Secret)
	if err := wh.Verify(body, got); err != nil {
		t.Errorf("the receiver cannot verify the signature: %v", err)
	}
	if got.Get("webhook-id") != "msg_1" || !strings.HasPrefix(got.Get("webhook-signature"), "v1,") {
		t.Errorf("headers %v", got)
	}
}

func TestSendFailures(t *testing.T) {
	redirect := httptest.NewServer(http.RedirectHandler("http://example.com/", http.StatusFound))
	defer redirect.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) }))
	defer failing.Close()
	s := NewSender(Guard{AllowPrivate: true}, time.Now, 0)
	for name, url := range map[string]string{"redirect": redirect.URL, "500": failing.URL, "refused": "http://127.0.0.1:1/"} {
		a := s.Send(context.Background(), delivery(url))
		if a.Succeeded || a.Error == "" {
			t.Errorf("%s: attempt %+v, want a failure with an error", name, a)
		}
	}
	// The guard applies at connect time.
	strict := NewSender(Guard{}, time.Now, 0)
	if a := strict.Send(context.Background(), delivery(failing.URL)); a.Succeeded || !strings.Contains(a.Error, "non-public") {
		t.Errorf("loopback delivery with the guard on: %+v", a)
	}
}

func mustRead(r io.Reader) []byte {
	b, _ := io.ReadAll(r)
	return b
}

func TestStalled(t *testing.T) {
	s := NewSender(Guard{}, time.Now, 10*time.Second)
	for _, tc := range []struct {
		a    signing.Attempt
		want bool
	}{
		{signing.Attempt{Succeeded: false, DurationMs: 10_000}, true}, // timed out
		{signing.Attempt{Succeeded: false, DurationMs: 6_000}, true},  // a 503 after 6 s
		{signing.Attempt{Succeeded: false, DurationMs: 20}, false},    // refused at once
		{signing.Attempt{Succeeded: true, DurationMs: 9_000}, false},  // slow, but answered
	} {
		if got := s.Stalled(tc.a); got != tc.want {
			t.Errorf("Stalled(%+v) = %v, want %v", tc.a, got, tc.want)
		}
	}
}
