// Package gcpace gives the Go garbage collector a minimum headroom: the
// heap may grow by at least that many bytes past what the last
// collection found live before the next collection starts.
//
// Go's default pacing (GOGC=100) starts a collection when the heap has
// doubled. A server whose live heap is small (Signet's is about 6 MB,
// mostly templates and compiled schemas that never change) then collects
// every few megabytes of garbage, which at 15,000 requests a second is
// ten times a second, and each collection's mark phase takes a share of
// two cores for several milliseconds: the requests caught behind it are
// the GET p99. A headroom of tens of megabytes makes collections rare
// while the live heap is small, and changes nothing once it is large
// (headroom below the live heap leaves GOGC at 100), so the memory a
// busy server holds stays what Go's default would give plus at most the
// headroom.
//
// Go has no "minimum heap" setting (GOMEMLIMIT is a maximum), so the
// pacer sets GOGC after every collection from the live heap it found:
// percent = 100 × max(live, headroom) / live. This is what heap ballasts
// did before GOMEMLIMIT, without keeping a ballast.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Default is the headroom `signet serve` gives when neither
// --gc-headroom-mb nor GOGC says otherwise.
const Default = 32 << 20

// heapMinimum is the Go runtime's smallest heap goal at GOGC=100: the
// goal is never below heapMinimum × GOGC/100, so a GOGC computed from a
// live heap smaller than this would aim past the headroom.
const heapMinimum = 4 << 20

// The runtime metrics the pacer reads: GOGC scales the live heap plus
// the stacks and globals a collection scans, so those count as live.
var liveMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Percent is the GOGC that lets the heap grow headroom bytes past a live
// heap of live bytes before the next collection, never less than Go's
// default of 100. A live heap under the runtime's 4 MiB minimum counts
// as 4 MiB, so that the goal is the headroom, not the minimum scaled up.
// Before the first collection (live 0) it is Go's default, so the first
// collection comes as early as it would anyway and measures the heap.
func Percent(live, headroom uint64) int {
	if live == 0 {
		return 100
	}
	base := max(live, heapMinimum)
	if headroom <= base {
		return 100
	}
	return int(headroom * 100 / base)
}

// Pacer re-sets GOGC after every collection until Stop.
type Pacer struct {
	headroom uint64
	mu       sync.Mutex // Stop and the cleanups, which may run in parallel
	stopped  bool
	previous int
	sample   []metrics.Sample
}

// Start paces collections with headroom bytes above the live heap, from
// now (it sets GOGC from the live heap of the last collection at once).
// The caller should not start one when the operator set GOGC.
func Start(headroom uint64) *Pacer {
	p := &Pacer{headroom: headroom, sample: make([]metrics.Sample, len(liveMetrics))}
	for i, name := range liveMetrics {
		p.sample[i].Name = name
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.previous = debug.SetGCPercent(Percent(p.live(), headroom))
	p.arm()
	return p
}

// Stop ends the pacing and puts back the GOGC that was in force before
// Start.
func (p *Pacer) Stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		p.stopped = true
		debug.SetGCPercent(p.previous)
	}
}

// arm allocates an object that only the next collection frees: its
// cleanup runs once that collection has ended, adjusts the pace, and
// arms again. The object holds a pointer so the tiny allocator, which
// batches small pointer-free objects, does not keep it alive with a
// neighbour.
func (p *Pacer) arm() {
	token := &struct{ _ *byte }{}
	runtime.AddCleanup(token, (*Pacer).collected, p)
}

func (p *Pacer) collected() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stopped {
		debug.SetGCPercent(Percent(p.live(), p.headroom))
		p.arm()
	}
}

// live is what the last collection found live (heap, stacks, globals),
// 0 before the first. The caller holds mu.
func (p *Pacer) live() uint64 {
	metrics.Read(p.sample)
	var sum uint64
	for _, v := range p.sample {
		if v.Value.Kind() == metrics.KindUint64 {
			sum += v.Value.Uint64()
		}
	}
	if p.sample[0].Value.Kind() != metrics.KindUint64 || p.sample[0].Value.Uint64() == 0 {
		return 0
	}
	return sum
}
