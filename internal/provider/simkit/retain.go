package simkit

import "slices"

// DefaultRetainBytes bounds the documents one simulator keeps in memory.
// The real services keep documents for days; a sandbox in one process
// that a load test sends thousands of contracts would otherwise grow by
// every PDF (the server peaked at 520–810 MB in `signet bench`'s POST
// phase at provider signzy; 221 MB with this bound). Past the bound the oldest documents are forgotten, as if
// their retention had run out: the simulator answers for them as it does
// for an expired one.
const DefaultRetainBytes = 64 << 20

// Retained tracks the bytes of the documents a simulator keeps, oldest
// first, and says which to forget once they add up to more than its
// bound. It is not safe for concurrent use: the simulator calls it under
// its own lock.
type Retained struct {
	max   int64
	total int64
	sizes map[string]int64
	order []string // ids in the order they were added; may hold forgotten ones
}

// NewRetained returns a Retained that keeps at most max bytes (the most
// recent document is kept even if it alone is larger).
func NewRetained(max int64) *Retained {
	return &Retained{max: max, sizes: map[string]int64{}}
}

// Add counts n more bytes kept for id (a new document, or one that grew:
// a signed copy, an audit certificate), which makes it the newest, and
// returns the ids of the oldest documents, never id itself, that the
// simulator must now forget; they are no longer tracked.
func (r *Retained) Add(id string, n int64) (forget []string) {
	if _, ok := r.sizes[id]; ok {
		r.order = slices.DeleteFunc(r.order, func(o string) bool { return o == id })
	}
	r.order = append(r.order, id)
	r.sizes[id] += n
	r.total += n
	for r.total > r.max && r.order[0] != id {
		oldest := r.order[0]
		r.order = r.order[1:]
		if size, ok := r.sizes[oldest]; ok {
			delete(r.sizes, oldest)
			r.total -= size
			forget = append(forget, oldest)
		}
	}
	return forget
}

// Remove stops tracking id, which the simulator forgot by its own rules
// (expiry, retention).
func (r *Retained) Remove(id string) {
	size, ok := r.sizes[id]
	if !ok {
		return
	}
	delete(r.sizes, id)
	r.total -= size
	if len(r.order) > 64 && len(r.order) > 2*len(r.sizes) { // drop the forgotten ids now and then
		kept := r.order[:0]
		for _, id := range r.order {
			if _, ok := r.sizes[id]; ok {
				kept = append(kept, id)
			}
		}
		r.order = kept
	}
}

// Bytes is what is kept now.
func (r *Retained) Bytes() int64 { return r.total }
