package bench

import (
	"context"
	"sync"
	"time"
)

// Op is one request of a load test. worker is the index of the goroutine
// making it (0 ≤ worker < workers), for ops that keep per-worker state.
type Op func(ctx context.Context, worker int) error

// opGrace bounds how long requests still in flight at the end of a run
// may take before they are cancelled (and counted as errors).
const opGrace = 30 * time.Second

// ClosedLoop runs op back to back on workers goroutines for d: each worker
// starts its next request as soon as the previous one ends, so the load is
// as high as the system under test allows. Requests started before d ends
// are allowed to finish; the elapsed time includes them.
func ClosedLoop(ctx context.Context, workers int, d time.Duration, op Op) Summary {
	workers = max(workers, 1)
	ctx, cancel := context.WithTimeout(ctx, d+opGrace)
	defer cancel()
	recs := make([]Recorder, workers)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := &recs[w]
			for ctx.Err() == nil && time.Now().Before(deadline) {
				t0 := time.Now()
				if err := op(ctx, w); err != nil {
					rec.Error(err)
					continue
				}
				rec.Record(time.Since(t0))
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var all Recorder
	for i := range recs {
		all.Merge(&recs[i])
	}
	return all.Summarize(elapsed)
}

// FixedRate offers op at rate requests per second for d, open-loop: the
// i-th request is due at start + i/rate whether or not earlier ones have
// finished, and its latency is measured from that due time, not from when
// a worker got to it. A slow system therefore shows its queueing delay in
// the percentiles instead of quietly lowering the load (no coordinated
// omission). workers bounds the requests in flight; due requests wait for
// a free worker in a queue of at most one second's worth, beyond which
// they are dropped (Summary.Dropped): the system is then far past its
// capacity, and queueing more would only measure the queue. It returns the summary and how many
// requests were offered.
func FixedRate(ctx context.Context, rate float64, d time.Duration, workers int, op Op) (Summary, int) {
	workers = max(workers, 1)
	if rate <= 0 {
		return Summary{Elapsed: d}, 0
	}
	ctx, cancel := context.WithTimeout(ctx, d+opGrace)
	defer cancel()
	queue := make(chan time.Time, max(int(rate), workers))
	recs := make([]Recorder, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := &recs[w]
			for due := range queue {
				if ctx.Err() != nil {
					rec.Error(ctx.Err())
					continue
				}
				if err := op(ctx, w); err != nil {
					rec.Error(err)
					continue
				}
				rec.Record(time.Since(due))
			}
		}()
	}
	var behind Recorder
	start := time.Now()
	sched := NewSchedule(start, rate, d)
	offered := 0
	for {
		due, ok := sched.Next()
		if !ok {
			break
		}
		if wait := time.Until(due); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			break
		}
		offered++
		select {
		case queue <- due:
		default:
			behind.Drop()
		}
	}
	close(queue)
	wg.Wait()
	elapsed := time.Since(start)
	all := &behind
	for i := range recs {
		all.Merge(&recs[i])
	}
	return all.Summarize(elapsed), offered
}

// Schedule yields the due times of a fixed-rate run: start, start + 1/rate,
// start + 2/rate, … up to (not including) start + d. Due times are computed
// from the start rather than accumulated, so they do not drift.
type Schedule struct {
	start time.Time
	rate  float64
	end   time.Duration
	i     int
}

// NewSchedule returns the schedule of rate requests per second for d.
func NewSchedule(start time.Time, rate float64, d time.Duration) *Schedule {
	return &Schedule{start: start, rate: rate, end: d}
}

// Next is the next due time, or false when the run is over.
func (s *Schedule) Next() (time.Time, bool) {
	if s.rate <= 0 {
		return time.Time{}, false
	}
	off := time.Duration(float64(s.i) / s.rate * float64(time.Second))
	if off >= s.end {
		return time.Time{}, false
	}
	s.i++
	return s.start.Add(off), true
}
