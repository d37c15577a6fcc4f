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
		live, minHeap uint64
		want          int
	}{
		{0, 40 * mb, 100},        // before the first collection: Go's default
		{6 * mb, 40 * mb, 566},   // a small live heap: the goal is the minimum, (40-6)/6
		{10 * mb, 40 * mb, 300},  // (40-10)/10
		{16 * mb, 40 * mb, 150},  // (40-16)/16
		{20 * mb, 40 * mb, 100},  // half the minimum live: the default reaches it
		{25 * mb, 40 * mb, 100},  // more: the default
		{200 * mb, 40 * mb, 100}, // much more: the default
		{1024, 40 * mb, 999},     // under the runtime's 4 MiB minimum: a goal of about 40 MiB
		{mb, 40 * mb, 975},       // (40-1)/4
		{4 * mb, 40 * mb, 900},   // at the runtime's minimum
		{6 * mb, 0, 100},         // no minimum
		{mb, 3 * mb, 100},        // a minimum under the runtime's: never below the default
		{12 * mb, 40 * mb, 233},  // rounds down
	} {
		if got := Percent(c.live, c.minHeap); got != c.want {
			t.Errorf("Percent(%d MiB, %d MiB) = %d, want %d", c.live>>20, c.minHeap>>20, got, c.want)
		}
	}
}

// read returns what is live as the pacer counts it, the GOGC in force
// and the heap goal.
func read(t *testing.T) (live uint64, gogc int, goal uint64) {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}, {Name: "/gc/heap/goal:bytes"}}
	for _, name := range liveMetrics {
		s = append(s, metrics.Sample{Name: name})
	}
	metrics.Read(s)
	for _, v := range s[2:] {
		live += v.Value.Uint64()
	}
	return live, int(s[0].Value.Uint64()), s[1].Value.Uint64()
}

// collectUntil runs collections until GOGC is what the live heap calls
// for with minHeap (the pacer adjusts in a cleanup, which runs soon
// after a collection, not during it), and fails after 5 s.
func collectUntil(t *testing.T, minHeap uint64) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		live, gogc, goal := read(t)
		if gogc == Percent(live, minHeap) {
			// The goal is the minimum asked for, not Go's own 4 MiB
			// minimum scaled up with GOGC.
			if gogc > 100 && (goal > minHeap+heapMinimum || goal < minHeap-heapMinimum) {
				t.Errorf("heap goal %d MiB with %d MiB live and a minimum of %d MiB", goal>>20, live>>20, minHeap>>20)
			}
			return gogc
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d with %d bytes live, want %d", gogc, live, Percent(live, minHeap))
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
	if _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after Stop, want the 150 in force before Start", gogc)
	}
	runtime.GC()
	time.Sleep(50 * time.Millisecond)
	if _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after a collection after Stop, want 150: the pacer did not stop", gogc)
	}
	p.Stop() // twice is harmless
	if _, gogc, _ := read(t); gogc != 150 {
		t.Errorf("GOGC %d after a second Stop, want 150", gogc)
	}
}
