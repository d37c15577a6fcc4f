package webhook

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/signing"
)

// DefaultRetries is the retry schedule of CONTRACT.md §3.
var DefaultRetries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// Config tunes a Dispatcher; zero values take the defaults.
type Config struct {
	Store   signing.WebhookStore
	Sender  *Sender
	Logger  *slog.Logger
	Now     func() time.Time
	Retries []time.Duration // delays after the 1st, 2nd, … failed attempt
	// Workers is how many attempts are in flight at once (default 64);
	// Batch is the most deliveries one claim or one write of outcomes
	// takes (default 64).
	Batch, Workers int
	// PerEndpoint is how many attempts to one endpoint are in flight at
	// once (default Workers/2, at least 1), so that an endpoint that
	// hangs until the timeout holds up only its own deliveries, not the
	// other endpoints' (head-of-line blocking). An endpoint whose last
	// attempt stalled (failed after at least half the attempt timeout)
	// gets one attempt at a time until one does not: a receiver that
	// hangs then holds one worker, not half. One that refuses at once
	// holds none for long and keeps its share; its retry schedule paces it.
	PerEndpoint int
	// Lease is how long a claim holds a delivery (default 30 s, well over
	// the 10 s attempt timeout: a delivery is claimed only when a worker
	// is free to attempt it at once). A crashed process's claims return
	// when their lease ends.
	Lease time.Duration
	// Idle is how long the loop sleeps when nothing was due, unless woken
	// (default 250 ms; other replicas' events are found within it).
	Idle     time.Duration
	Registry prometheus.Registerer
}

// Dispatcher delivers due webhooks until stopped.
type Dispatcher struct {
	cfg Config
	// inflight counts attempts in flight per endpoint; stalled holds
	// the endpoints whose last attempt stalled.
	mu       sync.Mutex
	inflight map[string]int
	stalled  map[string]bool
	// capped is set while the last claim was cut short by an endpoint's
	// bound.
	capped  atomic.Bool
	log     *slog.Logger
	wake    chan struct{}
	cancel  context.CancelFunc
	done    sync.WaitGroup
	metrics *metrics
}

// NewDispatcher checks cfg and registers the webhook metrics.
func NewDispatcher(cfg Config) (*Dispatcher, error) {
	if cfg.Retries == nil {
		cfg.Retries = DefaultRetries
	}
	if cfg.Batch <= 0 {
		cfg.Batch = 64
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 64
	}
	if cfg.PerEndpoint <= 0 {
		cfg.PerEndpoint = max(1, cfg.Workers/2)
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Idle <= 0 {
		cfg.Idle = 250 * time.Millisecond
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
	return &Dispatcher{cfg: cfg, log: cfg.Logger, wake: make(chan struct{}, 1), metrics: m,
		inflight: map[string]int{}, stalled: map[string]bool{}}, nil
}

// Wake makes the loop look for due deliveries now (called after this
// process commits an event), instead of at its next idle tick.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Start runs the loop in one goroutine until Stop.
func (d *Dispatcher) Start(ctx context.Context) {
	ctx, d.cancel = context.WithCancel(ctx)
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		d.run(ctx)
	}()
	d.done.Add(1)
	go func() {
		defer d.done.Done()
		d.gauge(ctx)
	}()
}

// backlogEvery is how often the backlog gauges are brought up to date.
const backlogEvery = 5 * time.Second

// gauge updates the backlog gauges every backlogEvery, beside the claim
// loop rather than in it: on a queue table that autovacuum has not caught
// up with, counting its backlog took 0.2–0.4 s on PostgreSQL, and every
// claim waited for it.
func (d *Dispatcher) gauge(ctx context.Context) {
	t := time.NewTicker(backlogEvery)
	defer t.Stop()
	for {
		d.updateBacklog(ctx, d.cfg.Now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop ends the loop after the attempts in flight finish (each is bounded
// by the attempt timeout) and their outcomes are recorded.
func (d *Dispatcher) Stop() {
	if d.cancel != nil {
		d.cancel()
	}
	d.done.Wait()
}

// run claims due deliveries only while it has free workers, so that every
// claimed delivery is attempted at once (its lease runs from the claim
// and outlasts the attempt timeout) and a slow receiver holds up no other
// delivery. Outcomes are recorded in batches by one recorder.
func (d *Dispatcher) run(ctx context.Context) {
	results := make(chan signing.AttemptResult, d.cfg.Workers)
	recorded := make(chan struct{})
	go func() {
		defer close(recorded)
		d.record(results)
	}()
	free := make(chan struct{}, d.cfg.Workers) // one token per idle worker
	for range d.cfg.Workers {
		free <- struct{}{}
	}
	var inflight sync.WaitGroup
	idle := time.NewTimer(0)
	defer idle.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-d.wake:
		case <-idle.C:
		}
		d.fill(ctx, free, results, &inflight)
		idle.Reset(d.cfg.Idle)
	}
	// Attempts in flight run to completion and are recorded: a claimed
	// delivery that was sent must have its outcome written.
	inflight.Wait()
	close(results)
	<-recorded
}

// fill claims and starts due deliveries until none is due, no worker is
// free or ctx ends. Only fill takes tokens from free, so a token it sees
// is there to take.
func (d *Dispatcher) fill(ctx context.Context, free chan struct{}, results chan<- signing.AttemptResult, inflight *sync.WaitGroup) {
	sendCtx := context.WithoutCancel(ctx)
	for ctx.Err() == nil {
		if len(free) == 0 {
			select {
			case <-ctx.Done():
				return
			case tok := <-free: // a worker came free
				free <- tok
			}
		}
		limit := min(len(free), d.cfg.Batch)
		// The claim is not cancelled by shutdown: a claim the database
		// committed but this process never saw would sit leased until
		// its lease ran out. Claimed deliveries are always attempted.
		claimCtx, cancel := context.WithTimeout(sendCtx, 10*time.Second)
		claim := d.claim(limit)
		batch, err := d.cfg.Store.ClaimDueDeliveries(claimCtx, d.cfg.Now().UTC(), d.cfg.Lease, claim)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				d.log.Error("claiming webhook deliveries failed", "err", err)
			}
			return
		}
		claimed := len(batch)
		batch = d.admit(ctx, batch)
		// A claim that some endpoint's bound cut short, or that skipped
		// an endpoint at its bound, may have left due deliveries behind:
		// then each attempt that ends looks again at once, rather than at
		// the next idle tick.
		d.capped.Store(claimed > len(batch) || capped(batch, d.cfg.PerEndpoint) || len(claim.Busy) > 0)
		for _, del := range batch {
			<-free
			inflight.Add(1)
			go func() {
				defer inflight.Done()
				res := d.attempt(sendCtx, del)
				results <- res
				d.finished(del.EndpointID, d.cfg.Sender.Stalled(res.Attempt))
				free <- struct{}{}
				if d.capped.Load() {
					d.Wake()
				}
			}()
		}
		if len(batch) < limit {
			return
		}
	}
}

// capped reports whether batch holds per deliveries of one endpoint: as
// many as a claim takes, so more of them may be due.
func capped(batch []signing.Delivery, per int) bool {
	n := map[string]int{}
	for _, del := range batch {
		if n[del.EndpointID]++; n[del.EndpointID] >= per {
			return true
		}
	}
	return false
}

// claim bounds the next claim: at most limit in all, none of an endpoint
// that has PerEndpoint attempts in flight.
func (d *Dispatcher) claim(limit int) signing.DeliveryClaim {
	d.mu.Lock()
	defer d.mu.Unlock()
	c := signing.DeliveryClaim{Limit: limit, PerEndpoint: d.cfg.PerEndpoint}
	for ep, n := range d.inflight {
		if n >= d.room(ep) {
			c.Busy = append(c.Busy, ep)
		}
	}
	return c
}

// room is how many attempts endpoint may have in flight; d.mu is held.
func (d *Dispatcher) room(endpoint string) int {
	if d.stalled[endpoint] {
		return 1
	}
	return d.cfg.PerEndpoint
}

// admit keeps the claimed deliveries that fit their endpoint's
// PerEndpoint, counting them as in flight, and hands the others back at
// once: due again now, they are claimed when their endpoint has room. A
// failed hand-back loses nothing: their lease runs out.
func (d *Dispatcher) admit(ctx context.Context, batch []signing.Delivery) []signing.Delivery {
	var keep []signing.Delivery
	var back []string
	d.mu.Lock()
	for _, del := range batch {
		if d.inflight[del.EndpointID] >= d.room(del.EndpointID) {
			back = append(back, del.ID)
			continue
		}
		d.inflight[del.EndpointID]++
		keep = append(keep, del)
	}
	d.mu.Unlock()
	if len(back) > 0 {
		releaseCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := d.cfg.Store.ReleaseDeliveries(releaseCtx, back, d.cfg.Now().UTC()); err != nil {
			d.log.Warn("handing back webhook deliveries failed; they are retried when their lease ends", "count", len(back), "err", err)
		}
	}
	return keep
}

// finished ends an attempt to endpoint, which stalled or not.
func (d *Dispatcher) finished(endpoint string, stalled bool) {
	d.mu.Lock()
	if d.inflight[endpoint]--; d.inflight[endpoint] <= 0 {
		delete(d.inflight, endpoint)
	}
	if stalled {
		d.stalled[endpoint] = true
	} else {
		delete(d.stalled, endpoint)
	}
	d.mu.Unlock()
}

// record writes outcomes as they come, each write taking all that are
// ready (up to a batch), so the store sees few, larger transactions under
// load and no delay when idle. A failed write loses nothing: the
// deliveries' leases run out and they are attempted again.
func (d *Dispatcher) record(results <-chan signing.AttemptResult) {
	buf := make([]signing.AttemptResult, 0, d.cfg.Batch)
	for r := range results {
		buf = append(buf[:0], r)
	more:
		for len(buf) < d.cfg.Batch {
			select {
			case r, ok := <-results:
				if !ok {
					break more
				}
				buf = append(buf, r)
			default:
				break more
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := d.cfg.Store.RecordAttempts(ctx, buf); err != nil {
			d.log.Error("recording webhook attempts failed; they are retried when their lease ends", "count", len(buf), "err", err)
		}
		cancel()
	}
}

func (d *Dispatcher) attempt(ctx context.Context, del signing.Delivery) signing.AttemptResult {
	a := d.cfg.Sender.Send(ctx, del)
	res := signing.AttemptResult{Attempt: a}
	if a.Succeeded {
		d.metrics.attempts.WithLabelValues("success").Inc()
		d.metrics.latency.Observe(d.cfg.Now().Sub(del.CreatedAt).Seconds())
		return res
	}
	d.metrics.attempts.WithLabelValues("failure").Inc()
	if a.Attempt <= len(d.cfg.Retries) {
		next := a.AttemptedAt.Add(d.cfg.Retries[a.Attempt-1])
		res.NextAttemptAt = &next
		d.log.Info("webhook delivery failed; will retry", "delivery", del.ID, "endpoint", del.EndpointID, "event", del.EventType,
			"attempt", a.Attempt, "status", a.ResponseStatus, "err", a.Error, "nextAttempt", next)
		return res
	}
	d.metrics.exhausted.Inc()
	d.log.Warn("webhook delivery failed for good", "delivery", del.ID, "endpoint", del.EndpointID, "event", del.EventType,
		"attempts", a.Attempt, "status", a.ResponseStatus, "err", a.Error)
	return res
}

func (d *Dispatcher) updateBacklog(ctx context.Context, now time.Time) {
	pending, oldest, err := d.cfg.Store.DeliveryBacklog(ctx, now)
	if err != nil {
		return
	}
	d.metrics.queue.Set(float64(pending))
	lag := 0.0
	if !oldest.IsZero() {
		lag = now.Sub(oldest).Seconds()
	}
	d.metrics.lag.Set(lag)
}

type metrics struct {
	attempts  *prometheus.CounterVec
	latency   prometheus.Histogram
	exhausted prometheus.Counter
	queue     prometheus.Gauge
	lag       prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "signet_webhook_attempts_total",
			Help: "Webhook delivery attempts by outcome."}, []string{"outcome"}),
		latency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: "signet_webhook_delivery_latency_seconds",
			Help:    "Time from the event to its successful delivery.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 60, 600, 3600}}),
		exhausted: prometheus.NewCounter(prometheus.CounterOpts{Name: "signet_webhook_deliveries_failed_total",
			Help: "Deliveries that failed every attempt of the retry schedule."}),
		queue: prometheus.NewGauge(prometheus.GaugeOpts{Name: "signet_webhook_queue_depth",
			Help: "Pending webhook deliveries."}),
		lag: prometheus.NewGauge(prometheus.GaugeOpts{Name: "signet_webhook_queue_lag_seconds",
			Help: "How overdue the oldest due delivery is."}),
	}
	if reg != nil {
		for _, c := range []prometheus.Collector{m.attempts, m.latency, m.exhausted, m.queue, m.lag} {
			if err := reg.Register(c); err != nil {
				return nil, err
			}
		}
	}
	return m, nil
}
