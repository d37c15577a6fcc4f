// Package bench is `signet bench`: a load generator, the baselines it
// compares Signet with, a webhook receiver, child-process management and
// the Markdown report. Everything runs on one machine: Signet and the
// baselines are child processes of the bench, driven over loopback by the
// same generator, so the ratios compare like with like.
package bench

import (
	"math"
	"slices"
	"sync"
	"time"
)

// Recorder collects latency samples. It keeps every sample (a 10 s run at
// tens of thousands of requests a second is a few MB) and sorts them once
// when summarised, so percentiles are exact rather than bucketed.
// A Recorder is safe for concurrent use; the load generators give each
// worker its own and merge them, so the lock is never contended.
type Recorder struct {
	mu      sync.Mutex
	samples []time.Duration
	errors  int64
	dropped int64
	firstEr string
}

// Record adds one successful request's latency.
func (r *Recorder) Record(d time.Duration) {
	r.mu.Lock()
	r.samples = append(r.samples, d)
	r.mu.Unlock()
}

// Error counts one failed request; the first error's text is kept for
// the report.
func (r *Recorder) Error(err error) {
	r.mu.Lock()
	r.errors++
	if r.firstEr == "" && err != nil {
		r.firstEr = err.Error()
	}
	r.mu.Unlock()
}

// Drop counts one request a fixed-rate generator could not even send.
func (r *Recorder) Drop() {
	r.mu.Lock()
	r.dropped++
	r.mu.Unlock()
}

// Merge adds o's samples, errors and drops to r.
func (r *Recorder) Merge(o *Recorder) {
	o.mu.Lock()
	samples, errs, dropped, first := o.samples, o.errors, o.dropped, o.firstEr
	o.mu.Unlock()
	r.mu.Lock()
	r.samples = append(r.samples, samples...)
	r.errors += errs
	r.dropped += dropped
	if r.firstEr == "" {
		r.firstEr = first
	}
	r.mu.Unlock()
}

// Summary is one measurement: how many requests succeeded and failed over
// how long, and their latency distribution.
type Summary struct {
	OK         int
	Errors     int64
	Dropped    int64 // fixed-rate runs: due requests never sent, the generator being over a second behind
	FirstError string
	Elapsed    time.Duration
	P50, P90   time.Duration
	P99, Max   time.Duration
	Mean       time.Duration
}

// Rate is successful requests per second over the elapsed time.
func (s Summary) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.OK) / s.Elapsed.Seconds()
}

// Summarize sorts the samples and computes the percentiles; elapsed is
// the wall time the samples were taken over.
func (r *Recorder) Summarize(elapsed time.Duration) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	slices.Sort(r.samples)
	s := Summary{OK: len(r.samples), Errors: r.errors, Dropped: r.dropped, FirstError: r.firstEr, Elapsed: elapsed}
	if len(r.samples) == 0 {
		return s
	}
	s.P50 = Percentile(r.samples, 50)
	s.P90 = Percentile(r.samples, 90)
	s.P99 = Percentile(r.samples, 99)
	s.Max = r.samples[len(r.samples)-1]
	var sum time.Duration
	for _, d := range r.samples {
		sum += d
	}
	s.Mean = sum / time.Duration(len(r.samples))
	return s
}

// Percentile is the nearest-rank p-th percentile (0 < p ≤ 100) of sorted:
// the smallest sample such that at least p % of the samples are ≤ it.
// It is 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}
