package bench

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Receiver is a webhook endpoint for the bench: it answers every POST with
// the status set by SetStatus (200 by default) and records when each
// delivery arrived, at which path, and the event's type and timestamp.
// Paths under HangPrefix never answer: the request is held until its
// context ends (the sender gives up or the receiver's server closes), a
// stand-in for a customer endpoint that accepts connections and hangs.
type Receiver struct {
	status atomic.Int32
	now    func() time.Time

	mu        sync.Mutex
	arrivals  []Arrival
	delivered map[deliveryKey]bool // distinct deliveries seen → answered 2xx at least once
	succeeded int
}

// Arrival is one delivery attempt that reached the receiver.
type Arrival struct {
	At        time.Time // when the request reached the handler
	Path      string    // one path per registered endpoint
	WebhookID string    // the webhook-id header: one per event and endpoint, stable across retries
	Type      string    // the event's type
	Timestamp time.Time // the event's timestamp field
	Status    int       // what the receiver answered; 0 at a hanging path
}

// HangPrefix starts the paths the receiver holds without answering.
const HangPrefix = "/hang"

// statusHung is the Status of an Arrival at a hanging path: no answer.
const statusHung = 0

// NewReceiver returns a receiver answering 200.
func NewReceiver() *Receiver {
	r := &Receiver{now: time.Now, delivered: map[deliveryKey]bool{}}
	r.status.Store(http.StatusOK)
	return r
}

// SetStatus sets the status later deliveries are answered with.
func (r *Receiver) SetStatus(code int) { r.status.Store(int32(code)) }

// ServeHTTP records the delivery and answers it.
func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at := r.now()
	status := int(r.status.Load())
	var ev struct {
		Type      string    `json:"type"`
		Timestamp time.Time `json:"timestamp"`
	}
	body, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
	if err != nil || json.Unmarshal(body, &ev) != nil {
		status = http.StatusBadRequest
	}
	hang := strings.HasPrefix(req.URL.Path, HangPrefix)
	if hang {
		status = statusHung
	}
	a := Arrival{At: at, Path: req.URL.Path, WebhookID: req.Header.Get("webhook-id"), Type: ev.Type, Timestamp: ev.Timestamp, Status: status}
	k, ok := deliveryKey{a.Path, a.WebhookID}, status >= 200 && status <= 299
	r.mu.Lock()
	r.arrivals = append(r.arrivals, a)
	if prev, seen := r.delivered[k]; !seen || ok && !prev {
		r.delivered[k] = ok
		if ok {
			r.succeeded++
		}
	}
	r.mu.Unlock()
	if hang {
		<-req.Context().Done()
		return
	}
	w.WriteHeader(status)
}

// Arrivals returns a copy of what has arrived so far.
func (r *Receiver) Arrivals() []Arrival {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.arrivals)
}

// Reset forgets all arrivals.
func (r *Receiver) Reset() {
	r.mu.Lock()
	r.arrivals, r.delivered, r.succeeded = nil, map[deliveryKey]bool{}, 0
	r.mu.Unlock()
}

// Counts says how many distinct deliveries (event × endpoint) have
// arrived at all, and how many of them were answered with a 2xx.
func (r *Receiver) Counts() (attempted, succeeded int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.delivered), r.succeeded
}

// CountsAt is Counts for the deliveries to one path.
func (r *Receiver) CountsAt(path string) (attempted, succeeded int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, ok := range r.delivered {
		if k.path == path {
			attempted++
			if ok {
				succeeded++
			}
		}
	}
	return attempted, succeeded
}

type deliveryKey struct{ path, id string }

// FirstSuccesses is the first successful arrival of each distinct
// delivery, in arrival order. Redeliveries of a delivery already answered
// 2xx (at-least-once) are left out.
func FirstSuccesses(arrivals []Arrival) []Arrival {
	seen := map[deliveryKey]bool{}
	var out []Arrival
	for _, a := range arrivals {
		if a.Status < 200 || a.Status > 299 {
			continue
		}
		k := deliveryKey{a.Path, a.WebhookID}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, a)
	}
	slices.SortStableFunc(out, func(a, b Arrival) int { return a.At.Compare(b.At) })
	return out
}

// Drain is the delivery rate of a drained backlog: distinct successful
// deliveries from the first to the last success of the burst. Deliveries
// that arrive after a pause of StragglerGap or more (a lease running out,
// a retry) are counted as late instead, so that a few stragglers do not
// turn a throughput figure into a timeout figure.
type Drain struct {
	Delivered   int // in the burst
	First, Last time.Time
	Late        int       // arrived after the burst
	LastLate    time.Time // when the last of them arrived
}

// StragglerGap is the pause in arrivals that ends a drain's burst.
const StragglerGap = 5 * time.Second

// Rate is deliveries per second between the first and the last success
// of the burst (the first one starts the clock, so it is not counted).
func (d Drain) Rate() float64 {
	span := d.Last.Sub(d.First)
	if d.Delivered < 2 || span <= 0 {
		return 0
	}
	return float64(d.Delivered-1) / span.Seconds()
}

// Span is the time from the first to the last success of the burst.
func (d Drain) Span() time.Duration { return d.Last.Sub(d.First) }

// DrainOf measures the drain in arrivals.
func DrainOf(arrivals []Arrival) Drain {
	ok := FirstSuccesses(arrivals)
	if len(ok) == 0 {
		return Drain{}
	}
	end := len(ok)
	for i := 1; i < len(ok); i++ {
		if ok[i].At.Sub(ok[i-1].At) >= StragglerGap {
			end = i
			break
		}
	}
	d := Drain{Delivered: end, First: ok[0].At, Last: ok[end-1].At, Late: len(ok) - end}
	if d.Late > 0 {
		d.LastLate = ok[len(ok)-1].At
	}
	return d
}

// Lags is, for each distinct delivery of an event of type typ, how long
// after the event's timestamp it was first delivered successfully.
func Lags(arrivals []Arrival, typ string) []time.Duration {
	var out []time.Duration
	for _, a := range FirstSuccesses(arrivals) {
		if a.Type == typ {
			out = append(out, a.At.Sub(a.Timestamp))
		}
	}
	return out
}

// TypeCounts counts distinct successful deliveries by event type.
func TypeCounts(arrivals []Arrival) map[string]int {
	out := map[string]int{}
	for _, a := range FirstSuccesses(arrivals) {
		out[a.Type]++
	}
	return out
}
