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

// The runtime metrics the pacer reads: the live heap, then the stacks
// and globals a collection scans, which GOGC scales along with the heap.
var liveMetrics = []string{"/gc/heap/live:bytes", "/gc/scan/stack:bytes", "/gc/scan/globals:bytes"}

// Percent is the GOGC whose next heap goal is minHeap when the last
// collection found heap bytes live on the heap and roots bytes of stacks
// and globals. Go's goal is heap + (heap + roots) × GOGC/100, so that is
// (minHeap − heap) × 100 / (heap + roots), and never below Go's default
// of 100: from heap + (heap + roots) ≥ minHeap on, the default reaches
// the minimum by itself. The goal is also never below the runtime's own
// 4 MiB minimum scaled by GOGC, so a smaller scanned total counts as
// 4 MiB, or the goal would overshoot. Before the first collection (heap
// 0) it is Go's default, so the first collection comes as early as it
// would anyway and measures the heap.
func Percent(heap, roots, minHeap uint64) int {
	if heap == 0 || minHeap <= 2*heap+roots {
		return 100
	}
	return max(100, int((minHeap-heap)*100/max(heap+roots, heapMinimum)))
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
	p.previous = debug.SetGCPercent(p.percent())
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
		debug.SetGCPercent(p.percent())
		p.arm()
	}
}

// percent is Percent for what the last collection found live. The
// caller holds mu.
func (p *Pacer) percent() int {
	metrics.Read(p.sample)
	var heap, roots uint64
	for i, v := range p.sample {
		if v.Value.Kind() != metrics.KindUint64 {
			continue
		}
		if i == 0 {
			heap = v.Value.Uint64()
		} else {
			roots += v.Value.Uint64()
		}
	}
	return Percent(heap, roots, p.minHeap)
}
