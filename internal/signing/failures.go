package signing

import (
	"errors"
	"math/bits"
	"sync"
	"time"
)

// perSession is what this process remembers about sessions between
// polls, bounded: past maxTracked sessions it forgets them all at once
// (the cost is a log line or a longer wait per session, never a missed
// poll). It lives in memory: after a restart, or on another replica, a
// session starts again from nothing.
type perSession[T any] struct {
	mu sync.Mutex
	m  map[string]T
}

// update applies f to the session's value and returns the new value.
func (p *perSession[T]) update(id string, f func(*T)) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil || len(p.m) >= maxTracked {
		p.m = map[string]T{}
	}
	v := p.m[id]
	f(&v)
	p.m[id] = v
	return v
}

// get returns the session's value (the zero value if none).
func (p *perSession[T]) get(id string) T {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[id]
}

// forget drops the session's value.
func (p *perSession[T]) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.m, id)
}

// failures counts each session's consecutive failed refreshes, so that
// a provider that keeps failing for a session (a sandbox that forgot its
// requests after a restart, a provider that is down) is polled ever less
// often and logged once, not on every poll.
type failures struct{ perSession[int] }

// maxTracked bounds what perSession remembers.
const maxTracked = 100_000

// maxBackoff is the longest wait between polls of a failing session.
const maxBackoff = 30 * time.Minute

// failed records one more failure of the session and returns how many in
// a row it has had.
func (f *failures) failed(id string) int { return f.update(id, func(n *int) { *n++ }) }

// current is the session's failures in a row so far.
func (f *failures) current(id string) int { return f.get(id) }

// succeeded forgets the session's failures.
func (f *failures) succeeded(id string) { f.forget(id) }

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
