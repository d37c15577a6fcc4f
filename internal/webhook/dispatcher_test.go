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

// add queues a delivery to endpoint "ep" at url, due now, as the only
// event of session id.
func (m *memStore) add(id, url string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	due := time.Now().UTC()
	m.dels = append(m.dels, &signing.Delivery{ID: id, EndpointID: "ep", SessionID: id, EventType: "signing.created",
		Payload: []byte(`{}`), State: signing.DeliveryPending, NextAttemptAt: &due, URL: url, Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"})
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

// TestStalledEndpointGetsOneAttemptAtATime: an endpoint's first attempts
// may run PerEndpoint at once; once one has stalled (here, a 500 after
// more than half the attempt timeout), it gets one at a time.
func TestStalledEndpointGetsOneAttemptAtATime(t *testing.T) {
	var mu sync.Mutex
	var inHandler int
	var seenAtOnce []int // per arrival, the attempts in the handler with it
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inHandler++
		seenAtOnce = append(seenAtOnce, inHandler)
		mu.Unlock()
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		inHandler--
		mu.Unlock()
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer failing.Close()

	st := &memStore{}
	now := time.Now().UTC()
	for i := range 10 {
		due := now.Add(time.Duration(i) * time.Millisecond)
		st.dels = append(st.dels, &signing.Delivery{ID: fmt.Sprintf("fail-%02d", i), EndpointID: "fail", SessionID: fmt.Sprint(i),
			EventType: "signing.created", Payload: []byte(`{}`), State: signing.DeliveryPending, NextAttemptAt: &due,
			URL: failing.URL, Secret: "whsec_c2VjcmV0c2VjcmV0c2VjcmV0"})
	}
	d, err := NewDispatcher(Config{Store: st, Sender: NewSender(Guard{AllowPrivate: true}, time.Now, 80*time.Millisecond),
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now.Add(time.Second) },
		Retries: []time.Duration{time.Hour}, Workers: 8, PerEndpoint: 4, Idle: 5 * time.Millisecond, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(seenAtOnce)
		mu.Unlock()
		if n >= 10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	d.Stop()
	mu.Lock()
	defer mu.Unlock()
	if len(seenAtOnce) != 10 {
		t.Fatalf("%d attempts arrived, want one per delivery (10)", len(seenAtOnce))
	}
	for i, n := range seenAtOnce {
		if i < 4 && n > 4 || i >= 4 && n > 1 {
			t.Fatalf("attempts at once, at each arrival = %v: want at most 4 in the first wave, then one at a time", seenAtOnce)
		}
	}
}

// TestRoomComesBackAfterASuccess: a stalled attempt leaves an endpoint
// one attempt at a time; one that did not stall gives it its full share.
func TestRoomComesBackAfterASuccess(t *testing.T) {
	d, err := NewDispatcher(Config{Store: &memStore{}, Sender: NewSender(Guard{}, time.Now, 0), Workers: 8, PerEndpoint: 4,
		Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	busy := func() []string { return d.claim(8).Busy }
	d.inflight["ep"] = 1
	if b := busy(); len(b) != 0 {
		t.Fatalf("busy with 1 of 4 in flight: %v", b)
	}
	d.inflight["ep"]++
	d.finished("ep", true) // one stalled; one still in flight
	if b := busy(); !slices.Equal(b, []string{"ep"}) {
		t.Fatalf("after a stall with 1 in flight, busy = %v, want [ep]", b)
	}
	d.finished("ep", false)
	d.inflight["ep"] = 3
	if b := busy(); len(b) != 0 {
		t.Fatalf("after an attempt that did not stall, with 3 of 4 in flight, busy = %v, want none", b)
	}
}

func TestCapped(t *testing.T) {
	del := func(ep string) signing.Delivery { return signing.Delivery{EndpointID: ep} }
	if capped([]signing.Delivery{del("a"), del("b"), del("a")}, 3) {
		t.Error("2 of a and 1 of b, bound 3: capped")
	}
	if !capped([]signing.Delivery{del("a"), del("b"), del("a"), del("a")}, 3) {
		t.Error("3 of a, bound 3: not capped")
	}
}

// slowBacklog is a store whose backlog count never ends (until the
// dispatcher stops), as on a bloated queue table.
type slowBacklog struct {
	*memStore
	counting atomic.Int32
}

func (s *slowBacklog) DeliveryBacklog(ctx context.Context, _ time.Time) (int, time.Time, error) {
	s.counting.Add(1)
	<-ctx.Done()
	return 0, time.Time{}, ctx.Err()
}

// TestSlowBacklogCountHoldsUpNoDelivery: the backlog gauges are counted
// beside the claim loop, so an event that arrives while the count runs
// is delivered at once.
func TestSlowBacklogCountHoldsUpNoDelivery(t *testing.T) {
	var delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		delivered.Add(1)
	}))
	defer srv.Close()
	st := &slowBacklog{memStore: &memStore{}}
	d, err := NewDispatcher(Config{Store: st, Sender: NewSender(Guard{AllowPrivate: true}, time.Now, time.Minute),
		Logger: slog.New(slog.DiscardHandler), Workers: 8, PerEndpoint: 8, Idle: time.Hour, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	defer d.Stop()
	deadline := time.Now().Add(10 * time.Second)
	for st.counting.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	for i := range 5 {
		st.add(fmt.Sprintf("d-%02d", i), srv.URL)
	}
	d.Wake() // as a create in this process does
	for delivered.Load() < 5 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := delivered.Load(); got != 5 {
		t.Errorf("%d of 5 deliveries arrived while the backlog was being counted", got)
	}
}

// TestBusyEndpointIsLookedAtAgainWhenRoomComes: an event that arrives
// while its endpoint is at its bound is claimed as soon as an attempt
// ends, not at the next idle tick.
func TestBusyEndpointIsLookedAtAgainWhenRoomComes(t *testing.T) {
	release := make(chan struct{})
	var delivered atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("Webhook-Id") != "late" {
			<-release
		}
		delivered.Add(1)
	}))
	defer srv.Close()
	st := &countingClaims{memStore: &memStore{}}
	st.add("first", srv.URL)
	st.add("second", srv.URL)
	d, err := NewDispatcher(Config{Store: st, Sender: NewSender(Guard{AllowPrivate: true}, time.Now, time.Minute),
		Logger: slog.New(slog.DiscardHandler), Workers: 4, PerEndpoint: 2, Idle: time.Hour, Registry: prometheus.NewRegistry()})
	if err != nil {
		t.Fatal(err)
	}
	d.Start(context.Background())
	defer d.Stop()
	deadline := time.Now().Add(10 * time.Second)
	inFlight := func() int {
		d.mu.Lock()
		defer d.mu.Unlock()
		return d.inflight["ep"]
	}
	for inFlight() < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	claims := st.claims.Load()
	st.add("late", srv.URL)
	d.Wake() // the endpoint is at its bound: this claim skips it
	for st.claims.Load() == claims && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	for delivered.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := delivered.Load(); got != 3 {
		t.Errorf("%d of 3 deliveries arrived; the one that came while its endpoint was busy waited for the idle tick", got)
	}
}

// countingClaims counts the claims made of a memStore.
type countingClaims struct {
	*memStore
	claims atomic.Int32
}

func (c *countingClaims) ClaimDueDeliveries(ctx context.Context, now time.Time, lease time.Duration, claim signing.DeliveryClaim) ([]signing.Delivery, error) {
	defer c.claims.Add(1)
	return c.memStore.ClaimDueDeliveries(ctx, now, lease, claim)
}
