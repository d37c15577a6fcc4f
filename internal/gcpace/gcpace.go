// Package gcpace raises the Go garbage collector's minimum heap: no
// collection starts before the heap has reached that size, however
// little of it is live.
//
// Go's default pacing (GOGC=100) starts a collection when the heap has
// doubled since the last one, and never before 4 MiB. A server whose
// live heap is small (Signet's is about 6 MB, mostly templates and
// compiled schemas that never change) then collects every few megabytes
// of garbage, which at 15,000 requests a second is ten times a second,
// and each collection's mark phase takes a share of two cores for several
// milliseconds: the requests caught behind it are the GET p99. A minimum
// of a few tens of megabytes makes collections rare while the live heap
// is small, and changes nothing once half the minimum is live (the
// default's doubling then reaches past it), so a server busy with
// uploads holds exactly what Go's default gives it.
//
// Go has no setting for this (GOMEMLIMIT is a maximum), so the pacer
// sets GOGC after every collection from what that collection found
// live: the goal live + live × GOGC/100 is then the minimum. This is
// what heap ballasts did before GOMEMLIMIT, without keeping a ballast.
package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// Default is the minimum heap `signet serve` keeps when neither
// --gc-min-heap-mb nor GOGC says otherwise.
const Default = 40 << 20

// heapMinimum is the Go runtime's own minimum heap at GOGC=100: the
// goal is never below heapMinimum × GOGC/100, so a GOGC computed from a
// live heap smaller than this would aim past the minimum asked for.
const heapMinimum = 4 << 20

// The runtime metrics the pacer reads: GOGC scales the live heap plus
// the stacks and globals a collection scans, so those count as live.
var liveMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Percent is the GOGC whose next heap goal, with live bytes live, is
// minHeap: (minHeap − live) × 100 / live, and never below Go's default of
// 100 (from a live heap of half the minimum on, the default reaches it).
// A live heap under the runtime's own 4 MiB minimum counts as 4 MiB, so
// the goal is not that minimum scaled up. Before the first collection
// (live 0) it is Go's default, so the first collection comes as early
// as it would anyway and measures the heap.
func Percent(live, minHeap uint64) int {
	if live == 0 || minHeap <= 2*live {
		return 100
	}
	return max(100, int((minHeap-live)*100/max(live, heapMinimum)))
}

// Pacer re-sets GOGC after every collection until Stop.
type Pacer struct {
	minHeap  uint64
	mu       sync.Mutex // Stop and the cleanups, which may run in parallel
	stopped  bool
	previous int
	sample   []metrics.Sample
}

// Start keeps the heap goal at least minHeap bytes from now on (it sets
// GOGC from what the last collection found live at once).
// The caller should not start one when the operator set GOGC.
func Start(minHeap uint64) *Pacer {
	p := &Pacer{minHeap: minHeap, sample: make([]metrics.Sample, len(liveMetrics))}
	for i, name := range liveMetrics {
		p.sample[i].Name = name
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.previous = debug.SetGCPercent(Percent(p.live(), minHeap))
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
		debug.SetGCPercent(Percent(p.live(), p.minHeap))
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
