package webhook

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/signing"
)

// memStore is the part of a WebhookStore the dispatcher uses, in memory,
// with the same claim rules: due oldest first, leased, busy endpoints
// skipped, released deliveries due again.
type memStore struct {
	signing.WebhookStore // not used by the dispatcher beyond the methods below

	mu   sync.Mutex
	dels []*signing.Delivery
}

func (m *memStore) ClaimDueDeliveries(_ context.Context, now time.Time, lease time.Duration, c signing.DeliveryClaim) ([]signing.Delivery, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []signing.Delivery
	for _, d := range m.dels {
		if len(out) == c.Limit {
			break
		}
		if d.State != signing.DeliveryPending || d.NextAttemptAt.After(now) || slices.Contains(c.Busy, d.EndpointID) {
			continue
		}
		until := now.Add(lease)
		d.NextAttemptAt = &until
		out = append(out, *d)
	}
	return out, nil
}

func (m *memStore) ReleaseDeliveries(_ context.Context, ids []string, due time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, d := range m.dels {
		if slices.Contains(ids, d.ID) && d.State == signing.DeliveryPending {
			d.NextAttemptAt = &due
		}
	}
	return nil
}

func (m *memStore) RecordAttempts(_ context.Context, results []signing.AttemptResult) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range results {
		for _, d := range m.dels {
			if d.ID == r.Attempt.DeliveryID {
				d.Attempts++
				switch {
				case r.Attempt.Succeeded:
					d.State = signing.DeliverySucceeded
				case r.NextAttemptAt != nil:
					d.NextAttemptAt = r.NextAttemptAt
				default:
					d.State = signing.DeliveryFailed
				}
			}
		}
	}
	return nil
}

func (m *memStore) DeliveryBacklog(context.Context, time.Time) (int, time.Time, error) {
	return 0, time.Time{}, nil
}

// TestHangingEndpointBlocksOnlyItself: with 4 workers, 2 per endpoint,
// an endpoint that hangs gets 2 attempts in flight and no more, while
// another endpoint's 30 deliveries all arrive meanwhile.
func TestHangingEndpointBlocksOnlyItself(t *testing.T) {
	release := make(chan struct{})
	var hanging, hangingPeak, hangingSeen atomic.Int32
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hangingSeen.Add(1)
		n := hanging.Add(1)
		for p := hangingPeak.Load(); n > p && !hangingPeak.CompareAndSwap(p, n); p = hangingPeak.Load() {
		}
		defer hanging.Add(-1)
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer hang.Close()
	var delivered atomic.Int32
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		delivered.Add(1)
	}))
	defer healthy.Close()

	st := &memStore{}
	now := time.Now().UTC()
	for i := range 30 { // the hanging endpoint's events are older: first in line
		for _, ep := range []struct{ id, url string }{{"hang", hang.URL}, {"ok", healthy.URL}} {
			due := now.Add(time.Duration(i) * time.Millisecond)
			if ep.id == "ok" {
				due = due.Add(time.Second)
			}
			st.dels = append(st.dels, &signing.Delivery{ID: fmt.Sprintf("%s-%02d", ep.id, i), EndpointID: ep.id, SessionID: fmt.Sprint(i),
				EventType: "signing.created", Payload: []byte(`{}`), State: signing.DeliveryPending, NextAttemptAt: &due,
				URL: ep.url, Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"})
		}
	}
	d, err := NewDispatcher(Config{Store: st, Sender: NewSender(Guard{AllowPrivate: true}, time.Now, time.Minute),
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now.Add(2 * time.Second) },
		Workers: 4, PerEndpoint: 2, Idle: 10 * time.Millisecond, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	deadline := time.Now().Add(30 * time.Second)
	for delivered.Load() < 30 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got, peak, seen := delivered.Load(), hangingPeak.Load(), hangingSeen.Load()
	close(release)
	d.Stop()
	if got != 30 {
		t.Errorf("the healthy endpoint got %d of 30 deliveries while the other hung", got)
	}
	if peak > 2 || seen > 2 {
		t.Errorf("the hanging endpoint had %d attempts at once (%d in all), want at most 2", peak, seen)
	}
}
