package simkit

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Fault is one injected misbehaviour of a simulated call: a delay, then
// the normal answer (Status 0) or an error in the provider's format.
type Fault struct {
	Delay   time.Duration
	Status  int    // the HTTP status answered; 0: answer normally
	Code    string // the provider's error code; "" for the one that goes with Status
	Message string
	// RetryAfter, when not zero, is sent as the Retry-After header (in
	// whole seconds, rounded up).
	RetryAfter time.Duration
}

// Faults queues faults per operation of a simulated API. It is safe for
// concurrent use.
type Faults struct {
	write ErrorWriter
	ops   map[string]bool

	mu   sync.Mutex
	next map[string][]Fault
}

// NewFaults returns empty queues for the operations ops, answering errors
// with write.
func NewFaults(write ErrorWriter, ops ...string) *Faults {
	f := &Faults{write: write, ops: map[string]bool{}, next: map[string][]Fault{}}
	for _, op := range ops {
		f.ops[op] = true
	}
	return f
}

// Add queues x for the next request of op that has none queued before
// it: two Adds fault the next two requests. It panics for an op the
// simulator does not have (a test's typo).
func (f *Faults) Add(op string, x Fault) {
	if !f.ops[op] {
		panic(fmt.Sprintf("simkit: unknown op %q", op))
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.next[op] = append(f.next[op], x)
}

// FailNext makes the next request of op answer status, with the
// provider's error body for it.
func (f *Faults) FailNext(op string, status int) {
	f.Add(op, Fault{Status: status, Message: "Simulated failure: " + http.StatusText(status)})
}

// ThrottleNext makes the next request of op answer 429 Too Many Requests
// with a Retry-After of d, as a rate-limited provider does.
func (f *Faults) ThrottleNext(op string, d time.Duration) {
	f.Add(op, Fault{Status: http.StatusTooManyRequests, Message: "Simulated failure: Too Many Requests", RetryAfter: d})
}

// DelayNext makes the next request of op wait d before answering
// normally, so that a client with a shorter timeout gives up. The wait
// ends early when the client goes away.
func (f *Faults) DelayNext(op string, d time.Duration) {
	f.Add(op, Fault{Delay: d})
}

// Inject applies the next fault queued for op, if any, and reports
// whether it answered the request. A handler calls it after reading the
// request's body: only then does net/http notice a client that goes away
// during a delay, whose connection is then dropped without an answer.
func (f *Faults) Inject(w http.ResponseWriter, r *http.Request, op string) bool {
	f.mu.Lock()
	q := f.next[op]
	if len(q) == 0 {
		f.mu.Unlock()
		return false
	}
	x := q[0]
	f.next[op] = q[1:]
	f.mu.Unlock()

	if x.Delay > 0 {
		t := time.NewTimer(x.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-r.Context().Done():
			// Nobody reads an answer; net/http would otherwise send an
			// empty 200.
			panic(http.ErrAbortHandler)
		}
	}
	if x.Status == 0 {
		return false
	}
	if x.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((x.RetryAfter+time.Second-1)/time.Second), 10))
	}
	f.write(w, x.Status, x.Code, x.Message)
	return true
}
