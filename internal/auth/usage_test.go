package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/provider/simtest"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// usageStore records what KeyUsage writes, and fails while fail is set.
type usageStore struct {
	mu     sync.Mutex
	writes []map[string]time.Time
	fail   bool
}

func (s *usageStore) TouchAPIKeys(_ context.Context, used map[string]time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return errors.New("database down")
	}
	s.writes = append(s.writes, maps.Clone(used))
	return nil
}

func TestKeyUsageWritesAKeyAtMostOnceAMinute(t *testing.T) {
	clock := simtest.NewClock(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	store := &usageStore{}
	u := auth.NewKeyUsage(store, discard, clock.Now, time.Minute, time.Hour)
	ctx := context.Background()
	t0 := clock.Now()
	for range 1000 { // a busy key
		u.Seen("key_a")
	}
	u.Seen("key_b")
	clock.Add(30 * time.Second)
	u.Seen("key_a") // within the minute: not written again
	u.Flush(ctx)
	if len(store.writes) != 1 || len(store.writes[0]) != 2 || !store.writes[0]["key_a"].Equal(t0) || !store.writes[0]["key_b"].Equal(t0) {
		t.Fatalf("writes = %v, want one batch with both keys at their first use", store.writes)
	}
	u.Flush(ctx)
	if len(store.writes) != 1 {
		t.Errorf("a flush with nothing new wrote %v", store.writes[1:])
	}
	clock.Add(30 * time.Second)
	u.Seen("key_a") // a minute after the first: written
	store.fail = true
	u.Flush(ctx) // fails: kept for the next
	store.fail = false
	u.Flush(ctx)
	if len(store.writes) != 2 || len(store.writes[1]) != 1 || !store.writes[1]["key_a"].Equal(clock.Now()) {
		t.Errorf("writes = %v, want key_a's second use written once the store answered", store.writes)
	}
}

func TestKeyUsageStopWritesWhatIsLeft(t *testing.T) {
	store := &usageStore{}
	u := auth.NewKeyUsage(store, discard, nil, 0, time.Hour)
	u.Start(context.Background())
	u.Seen("key_a")
	u.Stop()
	if len(store.writes) != 1 || len(store.writes[0]) != 1 {
		t.Errorf("after Stop: writes %v, want key_a's use", store.writes)
	}
	auth.NewKeyUsage(store, nil, nil, 0, 0).Stop() // never started: nothing to stop
}
