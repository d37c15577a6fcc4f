package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// UsageStore writes when API keys were last used.
type UsageStore interface {
	// TouchAPIKeys sets each key's LastUsedAt to the given time unless it
	// is later already; unknown ids are skipped.
	TouchAPIKeys(ctx context.Context, used map[string]time.Time) error
}

// KeyUsage records when API keys are used without slowing requests: Seen
// notes a use in memory (a key at most once per Every), and a goroutine
// writes the notes to the store in one batch every Flush. So a key's
// LastUsedAt is at most about Every+Flush behind, and a busy key costs
// one write a minute per replica, never one per request.
type KeyUsage struct {
	store UsageStore
	log   *slog.Logger
	now   func() time.Time
	every time.Duration
	flush time.Duration

	mu      sync.Mutex
	noted   map[string]time.Time // key id → when last queued
	pending map[string]time.Time // key id → use to write

	stop chan struct{}
	done chan struct{}
}

// maxNoted bounds the memory of when keys were last queued.
const maxNoted = 100_000

// NewKeyUsage returns a KeyUsage that queues a key's use at most once per
// every (a minute if 0) and writes every flush (10 s if 0).
func NewKeyUsage(store UsageStore, log *slog.Logger, now func() time.Time, every, flush time.Duration) *KeyUsage {
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = time.Minute
	}
	if flush <= 0 {
		flush = 10 * time.Second
	}
	return &KeyUsage{store: store, log: log, now: now, every: every, flush: flush,
		noted: map[string]time.Time{}, pending: map[string]time.Time{}}
}

// Seen notes that key id authenticated a request now.
func (u *KeyUsage) Seen(id string) {
	now := u.now()
	u.mu.Lock()
	defer u.mu.Unlock()
	if last, ok := u.noted[id]; ok && now.Sub(last) < u.every {
		return
	}
	if len(u.noted) >= maxNoted {
		clear(u.noted) // a few extra writes, never unbounded memory
	}
	u.noted[id] = now
	u.pending[id] = now.UTC().Truncate(time.Microsecond)
}

// Start writes the noted uses every flush interval until Stop.
func (u *KeyUsage) Start(ctx context.Context) {
	u.stop, u.done = make(chan struct{}), make(chan struct{})
	go func() {
		defer close(u.done)
		t := time.NewTicker(u.flush)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				u.Flush(ctx)
			case <-u.stop:
				u.Flush(context.WithoutCancel(ctx))
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// Stop ends Start's goroutine after a last write. It does nothing if
// Start was not called.
func (u *KeyUsage) Stop() {
	if u.stop == nil {
		return
	}
	close(u.stop)
	<-u.done
}

// Flush writes the uses noted so far. A failed write is logged and its
// uses are kept for the next one.
func (u *KeyUsage) Flush(ctx context.Context) {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[string]time.Time{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := u.store.TouchAPIKeys(ctx, batch); err != nil {
		u.log.Warn("auth: recording API key use failed; will retry", "keys", len(batch), "err", err)
		u.mu.Lock()
		for id, at := range batch {
			if cur, ok := u.pending[id]; !ok || at.After(cur) {
				u.pending[id] = at
			}
		}
		u.mu.Unlock()
	}
}
