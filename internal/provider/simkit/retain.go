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

// Retained tracks the documents a simulator keeps, oldest first, with
// their bytes, and hands the oldest to the simulator's forget once they
// add up to more than its bound. It is not safe for concurrent use: the
// simulator calls it under its own lock.
type Retained[T any] struct {
	max    int64
	forget func(T)
	total  int64
	kept   map[string]retainedItem[T]
	order  []string // ids in the order they were added; may hold forgotten ones
}

type retainedItem[T any] struct {
	item T
	size int64
}

// NewRetained returns a Retained that keeps at most max bytes (the most
// recent document is kept even if it alone is larger) and calls forget
// for each document it drops.
func NewRetained[T any](max int64, forget func(T)) *Retained[T] {
	return &Retained[T]{max: max, forget: forget, kept: map[string]retainedItem[T]{}}
}

// Add counts n more bytes kept for item id (a new document, or one that
// grew: a signed copy, an audit certificate), which makes it the newest,
// then forgets the oldest documents, never id itself, until what is kept
// is within the bound.
func (r *Retained[T]) Add(id string, item T, n int64) {
	if _, ok := r.kept[id]; ok {
		r.order = slices.DeleteFunc(r.order, func(o string) bool { return o == id })
	}
	r.order = append(r.order, id)
	k := r.kept[id]
	r.kept[id] = retainedItem[T]{item: item, size: k.size + n}
	r.total += n
	var dropped []T
	for r.total > r.max && r.order[0] != id {
		oldest := r.order[0]
		r.order = r.order[1:]
		if k, ok := r.kept[oldest]; ok {
			delete(r.kept, oldest)
			r.total -= k.size
			dropped = append(dropped, k.item)
		}
	}
	for _, item := range dropped {
		r.forget(item)
	}
}

// Remove stops tracking id, which the simulator forgot by its own rules
// (expiry, retention) or is forgetting at Retained's word.
func (r *Retained[T]) Remove(id string) {
	k, ok := r.kept[id]
	if !ok {
		return
	}
	delete(r.kept, id)
	r.total -= k.size
	if len(r.order) > 64 && len(r.order) > 2*len(r.kept) { // drop the forgotten ids now and then
		r.order = slices.DeleteFunc(r.order, func(id string) bool { _, ok := r.kept[id]; return !ok })
	}
}

// Bytes is what is kept now.
func (r *Retained[T]) Bytes() int64 { return r.total }
