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
		live, headroom uint64
		want           int
	}{
		{0, 32 * mb, 100},         // before the first collection: Go's default
		{6 * mb, 32 * mb, 533},    // a small live heap gets the headroom
		{32 * mb, 32 * mb, 100},   // headroom no more than the live heap: the default
		{200 * mb, 32 * mb, 100},  // a large live heap: the default
		{1024, 32 * mb, 800},      // under the runtime's 4 MiB minimum: a goal of 32 MiB
		{mb, 32 * mb, 800},        // the same
		{4 * mb, 32 * mb, 800},    // at the minimum
		{6 * mb, 0, 100},          // no headroom
		{mb, 2 * mb, 100},         // headroom under the minimum
		{16 * mb, 64 * mb, 400},   // exact multiple
		{12 * mb, 40 * mb, 333},   // rounds down
		{48 * mb, 64 * mb, 133},   // just above the live heap
		{64*mb + 1, 64 * mb, 100}, // just below
	} {
		if got := Percent(c.live, c.headroom); got != c.want {
			t.Errorf("Percent(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
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
// for with headroom (the pacer adjusts in a cleanup, which runs soon
// after a collection, not during it), and fails after 5 s.
func collectUntil(t *testing.T, headroom uint64) int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
		live, gogc, goal := read(t)
		if gogc == Percent(live, headroom) {
			// The goal is the headroom above what is live (or the
			// headroom itself while that is under the runtime's 4 MiB
			// minimum), not Go's minimum heap scaled up with GOGC.
			if gogc > 100 && goal > max(live, heapMinimum)+headroom+heapMinimum {
				t.Errorf("heap goal %d MiB with %d MiB live and %d MiB of headroom", goal>>20, live>>20, headroom>>20)
			}
			return gogc
		}
		if time.Now().After(deadline) {
			t.Fatalf("GOGC is %d with %d bytes live, want %d", gogc, live, Percent(live, headroom))
		}
	}
}

var keep [][]byte // kept live so the collections find it

// TestPacerFollowsTheLiveHeap: after each collection GOGC gives the
// headroom above what is live, as the live heap grows and shrinks, and
// Stop puts back the GOGC that was in force. Not parallel: GOGC is the
// process's.
func TestPacerFollowsTheLiveHeap(t *testing.T) {
	before := debug.SetGCPercent(150)
	defer debug.SetGCPercent(before)
	const headroom = 256 << 20

	p := Start(headroom)
	small := collectUntil(t, headroom)
	if small <= 150 {
		t.Fatalf("GOGC %d with a small live heap and 256 MiB of headroom, want it raised", small)
	}

	keep = [][]byte{make([]byte, 64<<20), make([]byte, 64<<20)} // 128 MiB more live
	for _, b := range keep {
		b[0] = 1
	}
	grown := collectUntil(t, headroom)
	if grown >= small || grown > 200 {
		t.Errorf("GOGC %d with 128 MiB more live (%d before), want at most 200", grown, small)
	}

	keep = nil
	if shrunk := collectUntil(t, headroom); shrunk <= grown {
		t.Errorf("GOGC %d once the 128 MiB was freed, want more than %d", shrunk, grown)
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
