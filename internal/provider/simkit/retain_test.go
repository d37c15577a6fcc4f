package simkit

import (
	"slices"
	"strconv"
	"testing"
)

// retained is a Retained of ids whose forget notes what add made it
// forget; the ids in finished are finished documents.
type retained struct {
	*Retained[string]
	finished map[string]bool
	dropped  []string
}

func newRetained(max int64) *retained {
	r := &retained{finished: map[string]bool{}}
	r.Retained = NewRetained(max, func(id string) bool { return r.finished[id] },
		func(id string) { r.dropped = append(r.dropped, id) })
	return r
}

// add is Add, returning what it forgot.
func (r *retained) add(id string, n int64) []string {
	r.dropped = nil
	r.Retained.Add(id, id, n)
	return r.dropped
}

func TestRetainedForgetsTheOldestPastTheBound(t *testing.T) {
	r := newRetained(100)
	for i := range 4 {
		if got := r.add("c"+strconv.Itoa(i), 25); got != nil {
			t.Fatalf("adding c%d within the bound forgot %v", i, got)
		}
	}
	// 125 bytes: c0 goes.
	if got := r.add("c4", 25); !slices.Equal(got, []string{"c0"}) || r.Bytes() != 100 {
		t.Fatalf("past the bound: forgot %v, %d bytes kept; want [c0], 100", got, r.Bytes())
	}
	// A document that grows (a signed copy) counts its new bytes and
	// becomes the newest: the oldest others go.
	if got := r.add("c1", 30); !slices.Equal(got, []string{"c2", "c3"}) || r.Bytes() != 80 {
		t.Fatalf("c1 grew by 30: forgot %v, %d bytes kept; want [c2 c3], 80", got, r.Bytes())
	}
	if got := r.add("c5", 10); got != nil || r.Bytes() != 90 {
		t.Fatalf("then c5: forgot %v, %d bytes kept; want nothing, 90", got, r.Bytes())
	}
	// A document larger than the bound alone is kept, and pushes out the rest.
	if got := r.add("big", 500); !slices.Equal(got, []string{"c4", "c1", "c5"}) || r.Bytes() != 500 {
		t.Fatalf("a 500-byte document: forgot %v, %d bytes kept", got, r.Bytes())
	}
}

func TestRetainedRemove(t *testing.T) {
	r := newRetained(100)
	r.add("a", 40)
	r.add("b", 40)
	r.Remove("a") // forgotten by the simulator's own rules
	r.Remove("a") // twice is harmless
	r.Remove("never-added")
	if r.Bytes() != 40 {
		t.Fatalf("%d bytes kept after removing a, want 40", r.Bytes())
	}
	// a is not forgotten a second time when the bound is passed.
	if got := r.add("c", 70); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("forgot %v, want [b]", got)
	}
	// Many adds and removes keep the order list from growing without bound.
	for i := range 10000 {
		id := "x" + strconv.Itoa(i)
		r.add(id, 1)
		r.Remove(id)
	}
	if len(r.order) > 200 {
		t.Errorf("the order list holds %d ids for %d documents", len(r.order), len(r.kept))
	}
	// An id added again after Remove is the newest, once.
	r = newRetained(100)
	r.add("a", 10)
	r.Remove("a")
	r.add("b", 60)
	if got := r.add("a", 60); !slices.Equal(got, []string{"b"}) || r.Bytes() != 60 {
		t.Fatalf("a again after its removal: forgot %v, %d bytes kept; want [b], 60", got, r.Bytes())
	}
	if got := r.add("c", 50); !slices.Equal(got, []string{"a"}) || r.Bytes() != 50 {
		t.Fatalf("then c: forgot %v, %d bytes kept; want [a], 50", got, r.Bytes())
	}
}

// TestRetainedForgetsFinishedDocumentsFirst: a contract still being
// signed outlives older finished ones, and goes only when the open ones
// alone are over the bound.
func TestRetainedForgetsFinishedDocumentsFirst(t *testing.T) {
	r := newRetained(100)
	r.add("open-1", 30)
	r.add("done-1", 30)
	r.add("done-2", 30)
	r.finished["done-1"], r.finished["done-2"] = true, true
	if got := r.add("open-2", 30); !slices.Equal(got, []string{"done-1"}) {
		t.Fatalf("over the bound with finished documents: forgot %v, want [done-1]", got)
	}
	if got := r.add("open-3", 50); !slices.Equal(got, []string{"done-2", "open-1"}) || r.Bytes() != 80 {
		t.Fatalf("then only open ones left to go: forgot %v, %d bytes kept; want [done-2 open-1], 80", got, r.Bytes())
	}
	// A document shrinking (a smaller copy replacing a larger one) counts down.
	if got := r.add("open-2", -10); got != nil || r.Bytes() != 70 {
		t.Fatalf("open-2 shrank: forgot %v, %d bytes kept; want nothing, 70", got, r.Bytes())
	}
}
