// Package worker runs Signet's background work: expiring sessions past
// their deadline, polling providers as a safety net for lost callbacks
// (and withdrawing cancels at them), and forgetting idempotency keys and
// refresh tokens once they expire. All of it is rows with a due time in
// the store, claimed under leases, so any number of replicas can run it.
package worker

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/signing"
)

// Service is what the worker asks of the signing service: the batch
// expiry step and the single-session poll step.
type Service interface {
	ExpireDue(ctx context.Context, limit int) (int, error)
	Poll(ctx context.Context, sess *signing.Session)
}

// Config tunes the worker; zero values take the defaults.
type Config struct {
	Service Service
	Store   signing.WorkStore
	Logger  *slog.Logger
	Now     func() time.Time
	// Tick is how often due work is looked for (default 1 s).
	Tick time.Duration
	// Batch is how many due polls one claim takes (default 100).
	Batch int
	// PollLease is how long a claimed poll is kept from other workers; it
	// must outlast a provider call (default 2 min).
	PollLease time.Duration
	// PollConcurrency is how many claimed sessions are polled at once
	// (default 8).
	PollConcurrency int
	// ExpiryBatch is how many due sessions one expiry step finds (default
	// 1000); the service commits them in ExpiryWriters transactions at once.
	ExpiryBatch int
	// CleanupEvery is how often expired idempotency keys and refresh
	// tokens are deleted (default 10 min).
	CleanupEvery time.Duration
	// Registry, if set, gets the poller's metrics.
	Registry prometheus.Registerer
}

// Worker runs the loops. Start launches one goroutine; Stop cancels it and
// waits until the batch in hand is finished.
type Worker struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	cancel  context.CancelFunc
	done    sync.WaitGroup
}

// New returns a Worker for cfg; it fails only if its metrics cannot be
// registered.
func New(cfg Config) (*Worker, error) {
	if cfg.Tick <= 0 {
		cfg.Tick = time.Second
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 100
	}
	if cfg.PollLease <= 0 {
		cfg.PollLease = 2 * time.Minute
	}
	if cfg.PollConcurrency <= 0 {
		cfg.PollConcurrency = 8
	}
	if cfg.ExpiryBatch <= 0 {
		cfg.ExpiryBatch = 1000
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
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	return &Worker{cfg: cfg, log: cfg.Logger, metrics: m}, nil
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
		w.measure(ctx)
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
		n, err := w.cfg.Service.ExpireDue(ctx, w.cfg.ExpiryBatch)
		if err != nil {
			w.log.Error("expiry sweep failed", "err", err)
			break
		}
		if n < w.cfg.ExpiryBatch {
			break
		}
	}
	for ctx.Err() == nil {
		n, err := w.PollDue(ctx, w.cfg.Batch)
		if err != nil {
			w.log.Error("provider polling failed", "err", err)
			break
		}
		if n < w.cfg.Batch {
			break
		}
	}
}

// PollDue polls (or initiates, or withdraws at the provider) up to limit
// sessions that are due, leasing them so that concurrent workers and
// replicas never poll one session at once. Up to PollConcurrency sessions
// are handled at a time. Once ctx ends no further session is started: the
// claimed ones not yet started are released at once for another worker,
// and those in flight are finished (their provider calls are bounded by
// the adapters' own timeouts). It returns how many it claimed.
func (w *Worker) PollDue(ctx context.Context, limit int) (int, error) {
	// The claim itself is not cancelled by shutdown (a claim committed but
	// never seen would stay leased); what it claimed is worked or released.
	work := context.WithoutCancel(ctx)
	claimCtx, cancel := context.WithTimeout(work, 30*time.Second)
	due, err := w.cfg.Store.ClaimDuePolls(claimCtx, w.cfg.Now().UTC(), w.cfg.PollLease, limit)
	cancel()
	if err != nil {
		return 0, err
	}
	sem := make(chan struct{}, w.cfg.PollConcurrency)
	var wg sync.WaitGroup
	for i, sess := range due {
		select {
		case <-ctx.Done():
		case sem <- struct{}{}:
		}
		if ctx.Err() != nil {
			w.release(work, due[i:])
			break
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			w.cfg.Service.Poll(work, sess)
		}()
	}
	wg.Wait()
	return len(due), nil
}

// release gives claimed sessions back to the queue, due now, unless they
// changed since the claim (then their lease is someone else's business).
func (w *Worker) release(ctx context.Context, claimed []*signing.Session) {
	now := w.cfg.Now().UTC().Truncate(time.Microsecond)
	changes := make([]signing.Change, len(claimed))
	for i, sess := range claimed {
		next := sess.Clone()
		next.NextPollAt = &now
		changes[i] = signing.Change{Session: next, ExpectVersion: sess.Version}
	}
	if _, err := w.cfg.Store.UpdateSessions(ctx, changes); err != nil {
		w.log.Warn("releasing claimed polls failed; they return when their lease ends", "count", len(claimed), "err", err)
	}
}

func (w *Worker) cleanup(ctx context.Context) {
	now := w.cfg.Now()
	if n, err := w.cfg.Store.DeleteIdempotentBefore(ctx, now.Add(-24*time.Hour)); err != nil {
		w.log.Error("idempotency cleanup failed", "err", err)
	} else if n > 0 {
		w.log.Info("expired idempotency keys deleted", "count", n)
	}
	if n, err := w.cfg.Store.DeleteRefreshTokensBefore(ctx, now); err != nil {
		w.log.Error("refresh token cleanup failed", "err", err)
	} else if n > 0 {
		w.log.Info("expired refresh tokens deleted", "count", n)
	}
}

// measure sets the backlog gauges from what is due now: how much waits and
// how long the longest-waiting item has been due (the poller's lag).
func (w *Worker) measure(ctx context.Context) {
	if w.metrics == nil {
		return
	}
	now := w.cfg.Now()
	b, err := w.cfg.Store.DueBacklog(ctx, now)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("measuring the backlog failed", "err", err)
		}
		return
	}
	w.metrics.set(now, b)
}
