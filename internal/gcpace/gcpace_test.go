package gcpace

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mb = 1 << 20
	for _, c := range []struct {
		heap, roots, minHeap uint64
		want                 int
	}{
		{0, 0, 40 * mb, 100},            // before the first collection: Go's default
		{6 * mb, 0, 40 * mb, 566},       // a small live heap: the goal is the minimum, (40-6)/6
		{6 * mb, 2 * mb, 40 * mb, 425},  // stacks and globals scale too: (40-6)/(6+2)
		{10 * mb, 0, 40 * mb, 300},      // (40-10)/10
		{16 * mb, 0, 40 * mb, 150},      // (40-16)/16
		{18 * mb, 2 * mb, 40 * mb, 110}, // (40-18)/(18+2)
		{19 * mb, 2 * mb, 40 * mb, 100}, // 19 + 19 + 2 = 40: the default reaches the minimum
		{20 * mb, 0, 40 * mb, 100},      // half the minimum live: the default reaches it
		{200 * mb, 0, 40 * mb, 100},     // much more: the default
		{1024, 0, 40 * mb, 999},         // under the runtime's 4 MiB minimum: a goal of about 40 MiB
		{mb, mb / 2, 40 * mb, 975},      // (40-1)/4
		{4 * mb, 0, 40 * mb, 900},       // at the runtime's minimum
		{6 * mb, 0, 0, 100},             // no minimum
		{mb, 0, 3 * mb, 100},            // a minimum under the runtime's: never below the default
		{12 * mb, 0, 40 * mb, 233},      // rounds down
	} {
		if got := Percent(c.heap, c.roots, c.minHeap); got != c.want {
			t.Errorf("Percent(%d, %d, %d MiB) = %d, want %d", c.heap, c.roots, c.minHeap>>20, got, c.want)
		}
	}
}

// read returns what is live as the pacer reads it (heap, stacks and
// globals), the GOGC in force and the heap goal.
func read(t *testing.T) (heap, roots uint64, gogc int, goal uint64) {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}}
	for _, name := range liveMetrics {
		s = append(s, metrics.Sample{Name: name})
	}
	metrics.Read(s)
	for _, v := range s[3:] {
		roots += v.Value.Uint64()
	}
	return s[2].Value.Uint64(), roots, int(s[0].Value.Uint64()), s[1].Value.Uint64()
}

// collectUntil runs collections until GOGC is what the live heap calls
// for with minHeap (the pacer adjusts in a cleanup, which runs soon
// after a collection, not during it), checks the heap goal that gives,
// and fails after 5 s.
func collectUntil(t *testing.T, minHeap uint64) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		heap, roots, gogc, goal := read(t)
		if gogc == Percent(heap, roots, minHeap) {
			// The goal is the minimum asked for (less the heap while the
			// scanned total is under the runtime's own 4 MiB minimum),
			// within GOGC's rounding; not that 4 MiB scaled up with GOGC,
			// nor short by the stacks and globals.
			const slack = 1 << 20
			if gogc > 100 && (goal > minHeap+slack || goal+heap+slack < minHeap || heap+roots >= heapMinimum && goal+slack < minHeap) {
				t.Errorf("heap goal %d KiB with %d KiB live on the heap, %d KiB of stacks and globals and a minimum of %d KiB",
					goal>>10, heap>>10, roots>>10, minHeap>>10)
			}
			return gogc
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d with %d bytes live and %d of stacks and globals, want %d", gogc, heap, roots, Percent(heap, roots, minHeap))
		}
	}
}

var keep [][]byte // kept live so the collections find it

// TestPacerFollowsTheLiveHeap: after each collection GOGC makes the
// minimum the next goal while less than half of it is live, and is Go's
// default once more is; and Stop puts back the GOGC that was in force.
// Not parallel: GOGC is the process's.
func TestPacerFollowsTheLiveHeap(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	const minHeap = 256 << 20

	p := Start(minHeap)
	small := collectUntil(t, minHeap)
	if small <= 1000 {
		t.Fatalf("GOGC %d with a small live heap and a 256 MiB minimum, want it far above the default", small)
	}

	keep = [][]byte{make([]byte, 64<<20)} // 64 MiB more live
	keep[0][0] = 1
	grown := collectUntil(t, minHeap)
	if grown >= small || grown < 200 || grown > 300 {
		t.Errorf("GOGC %d with 64 MiB more live (%d before), want about (256-64)/64 = 300", grown, small)
	}

	keep = append(keep, make([]byte, 128<<20)) // 192 MiB: more than half the minimum
	if busy := collectUntil(t, minHeap); busy != 100 {
		t.Errorf("GOGC %d with 192 MiB live, want the default, 100", busy)
	}

	keep = nil
	if shrunk := collectUntil(t, minHeap); shrunk <= grown {
		t.Errorf("GOGC %d once the 192 MiB was freed, want more than %d", shrunk, grown)
	}

	p.Stop()
	if _, _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after Stop, want the 150 in force before Start", gogc)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if _, _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after a collection after Stop, want 150: the pacer did not stop", gogc)
	}
	p.Stop() // twice is harmless
	if _, _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after a second Stop, want 150", gogc)
	}
}
