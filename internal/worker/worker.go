// Package worker runs Signet's background work: expiring sessions past
// their deadline, polling providers as a safety net for lost callbacks,
// and forgetting idempotency keys after 24 hours.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// Config tunes the worker; zero values take the defaults.
type Config struct {
	Service *signing.Service
	Store   signing.Store
	Logger  *slog.Logger
	Now     func() time.Time
	// Tick is how often due work is looked for (default 1 s).
	Tick time.Duration
	// Batch is how many due rows one query takes (default 100).
	Batch int
	// CleanupEvery is how often expired idempotency keys are deleted.
	CleanupEvery time.Duration
}

// Worker runs the loops. Start launches one goroutine; Stop cancels it and
// waits until the batch in hand is finished.
type Worker struct {
	cfg    Config
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
}

// New returns a Worker for cfg.
func New(cfg Config) *Worker {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.CleanupEvery <= 0 {
		cfg.CleanupEvery = 10 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Worker{cfg: cfg, log: cfg.Logger}
}

// Start runs the loop until ctx ends or Stop is called.
func (w *Worker) Start(ctx context.Context) {
	ctx, w.cancel = context.WithCancel(ctx)
	w.done.Add(1)
	go func() {
		defer w.done.Done()
		w.run(ctx)
	}()
}

// Stop ends the loop and waits for it.
func (w *Worker) Stop() {
	if w.cancel != nil {
		w.cancel()
	}
	w.done.Wait()
}

func (w *Worker) run(ctx context.Context) {
	tick := time.NewTicker(w.cfg.Tick)
	defer tick.Stop()
	var lastCleanup time.Time
	for {
		w.RunOnce(ctx)
		if now := w.cfg.Now(); now.Sub(lastCleanup) >= w.cfg.CleanupEvery {
			w.cleanup(ctx)
			lastCleanup = now
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// RunOnce expires and polls everything due now, batch by batch.
func (w *Worker) RunOnce(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := w.cfg.Service.ExpireDue(ctx, w.cfg.Batch)
		if err != nil {
			w.log.Error("expiry sweep failed", "err", err)
			break
		}
		if n < w.cfg.Batch {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := w.cfg.Service.PollDue(ctx, w.cfg.Batch)
		if err != nil {
			w.log.Error("provider polling failed", "err", err)
			break
		}
		if n < w.cfg.Batch {
			break
		}
	}
}

func (w *Worker) cleanup(ctx context.Context) {
	n, err := w.cfg.Store.DeleteIdempotentBefore(ctx, w.cfg.Now().Add(-24*time.Hour))
	if err != nil {
		w.log.Error("idempotency cleanup failed", "err", err)
		return
	}
	if n > 0 {
		w.log.Info("expired idempotency keys deleted", "count", n)
	}
}
