package signing

import (
	"errors"
	"math/bits"
	"sync"
	"time"
)

// failures counts each session's consecutive failed refreshes in this
// process, so that a provider that keeps failing for a session (a
// sandbox that forgot its requests after a restart, a provider that is
// down) is polled ever less often and logged once, not on every poll.
// The count lives in memory: after a restart, or on another replica, a
// session starts again from one failure, which costs one log line.
type failures struct {
	mu    sync.Mutex
	count map[string]int
}

// maxTracked bounds the map; past it, the oldest knowledge is dropped
// wholesale (the cost is a log line per session, never a missed poll).
const maxTracked = 100_000

// maxBackoff is the longest wait between polls of a failing session.
const maxBackoff = 30 * time.Minute

// failed records one more failure of the session and returns how many in
// a row it has had.
func (f *failures) failed(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil || len(f.count) >= maxTracked {
		f.count = map[string]int{}
	}
	f.count[id]++
	return f.count[id]
}

// current is the session's failures in a row so far.
func (f *failures) current(id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.count[id]
}

// succeeded forgets the session's failures.
func (f *failures) succeeded(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.count, id)
}

// worthLogging says whether the n-th failure in a row is logged: the
// first, then the 2nd, 4th, 8th… so a lasting failure stays visible.
func worthLogging(n int) bool { return n > 0 && bits.OnesCount(uint(n)) == 1 }

// backoff is the wait before the next poll after the n-th failure in a
// row: base doubled per failure up to maxBackoff, and never less than
// what the provider asked for (Retry-After).
func backoff(base time.Duration, n int, err error) time.Duration {
	d := base
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	var pe *ProviderError
	if errors.As(err, &pe) && pe.RetryAfter > d {
		d = min(pe.RetryAfter, maxBackoff)
	}
	return d
}
