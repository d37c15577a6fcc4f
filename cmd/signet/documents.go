package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/s3"
)

// documentStore is the object store --documents names, checked (the
// bucket is there, the credentials work) before serve takes requests;
// nil for --documents database.
func documentStore(ctx context.Context, cfg *s3.Config) (blob.Store, error) {
	if cfg == nil {
		return nil, nil
	}
	st, err := s3.New(*cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: --documents: %v", errUsage, err)
	}
	if err := st.Check(ctx); err != nil {
		return nil, fmt.Errorf("--documents %s: %w", cfg, err)
	}
	return st, nil
}

// sweeper deletes orphaned document blobs every interval (package blob:
// blobs whose create or update failed before its row was committed).
type sweeper struct {
	sweep    blob.Sweeper
	interval time.Duration
	grace    time.Duration
	now      func() time.Time
	log      *slog.Logger

	whole time.Time // when a sweep last covered every blob

	stop   chan struct{}
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// sweepWindow is how far back behind the grace period a sweep looks: far
// more than any clock skew between replicas, and cheap, as keys are in
// time order. Once per window a sweep looks at everything, for the rare
// orphan that is older (a signed document replaced days after it was
// made).
const sweepWindow = 24 * time.Hour

// start runs the sweeps until Stop, the first at once.
func (s *sweeper) start(ctx context.Context) {
	s.stop = make(chan struct{})
	ctx, s.cancel = context.WithCancel(ctx)
	s.done.Add(1)
	go func() {
		defer s.done.Done()
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
			s.once(ctx)
			t.Reset(s.interval)
		}
	}()
}

// once sweeps once: every blob older than the grace period if no sweep
// has covered them all for sweepWindow (so the first of a process does),
// else sweepWindow's worth of them.
func (s *sweeper) once(ctx context.Context) {
	now := s.now()
	to := now.Add(-s.grace)
	var from time.Time
	if now.Sub(s.whole) < sweepWindow {
		from = to.Add(-sweepWindow)
	}
	n, err := s.sweep.Sweep(ctx, from, to)
	if err != nil {
		s.log.Warn("sweeping orphaned documents failed; the next sweep tries again", "deleted", n, "err", err)
		return
	}
	if n > 0 {
		s.log.Info("deleted orphaned documents", "count", n)
	}
	if from.IsZero() {
		s.whole = now
	}
}

// Stop stops the sweeps, cutting one in progress short.
func (s *sweeper) Stop() {
	if s.stop != nil {
		close(s.stop)
		s.cancel()
		s.done.Wait()
		s.stop = nil
	}
}
