package simkit

import "slices"

// DefaultRetainBytes bounds the documents one simulator keeps in memory.
// The real services keep documents for days; a sandbox in one process
// that a load test sends thousands of contracts would otherwise grow by
// every PDF (the server peaked at 520–810 MB in `signet bench`'s POST
// phase at provider signzy; 221 MB with this bound). Past the bound
// documents are forgotten, as if their retention had run out: the
// simulator answers for them as it does for an expired one.
const DefaultRetainBytes = 64 << 20

// Retained tracks the documents a simulator keeps, oldest first, with
// their bytes, and hands documents to the simulator's forget once they
// add up to more than its bound: the oldest finished ones first (their
// sessions have ended at Signet and are read again only for their
// documents), open ones only when those alone are over the bound. It is
// not safe for concurrent use: the simulator calls it under its own lock.
type Retained[T any] struct {
	max      int64
	finished func(T) bool
	forget   func(T)
	total    int64
	kept     map[string]retainedItem[T]
	order    []orderEntry // oldest first; entries whose turn is not the id's current one are stale
	turn     uint64
}

type retainedItem[T any] struct {
	item T
	size int64
	turn uint64 // the id's entry in order
}

type orderEntry struct {
	id   string
	turn uint64
}

// NewRetained returns a Retained that keeps at most max bytes
// (DefaultRetainBytes if max ≤ 0; the most recent document is kept even
// if it alone is larger), asks finished whether a document may go before
// the open ones, and calls forget for each document it drops.
func NewRetained[T any](max int64, finished func(T) bool, forget func(T)) *Retained[T] {
	if max <= 0 {
		max = DefaultRetainBytes
	}
	return &Retained[T]{max: max, finished: finished, forget: forget, kept: map[string]retainedItem[T]{}}
}

// Add counts n more bytes kept for item id (a new document, or one that
// grew: a signed copy, an audit certificate; n may be negative when a
// copy replaced a larger one), which makes it the newest, then forgets
// documents other than id until what is kept is within the bound.
func (r *Retained[T]) Add(id string, item T, n int64) {
	r.turn++
	k := r.kept[id]
	r.kept[id] = retainedItem[T]{item: item, size: k.size + n, turn: r.turn}
	r.order = append(r.order, orderEntry{id: id, turn: r.turn})
	r.total += n
	var dropped []T
	for r.total > r.max {
		victim := r.oldest(id, true)
		if victim < 0 {
			if victim = r.oldest(id, false); victim < 0 {
				break // id alone is over the bound
			}
		}
		e := r.order[victim]
		k := r.kept[e.id]
		delete(r.kept, e.id)
		r.total -= k.size
		dropped = append(dropped, k.item)
	}
	r.compact()
	for _, item := range dropped {
		r.forget(item)
	}
}

// oldest is the index in order of the oldest document kept other than
// id, among the finished ones if onlyFinished; -1 if there is none.
func (r *Retained[T]) oldest(id string, onlyFinished bool) int {
	for i, e := range r.order {
		k, ok := r.kept[e.id]
		if !ok || k.turn != e.turn || e.id == id {
			continue
		}
		if !onlyFinished || r.finished(k.item) {
			return i
		}
	}
	return -1
}

// Remove stops tracking id, which the simulator forgot by its own rules
// (expiry, retention) or is forgetting at Retained's word.
func (r *Retained[T]) Remove(id string) {
	if k, ok := r.kept[id]; ok {
		delete(r.kept, id)
		r.total -= k.size
		r.compact()
	}
}

// compact drops the stale entries of order once they are most of it.
func (r *Retained[T]) compact() {
	if len(r.order) > 64 && len(r.order) > 2*len(r.kept) {
		r.order = slices.DeleteFunc(r.order, func(e orderEntry) bool {
			k, ok := r.kept[e.id]
			return !ok || k.turn != e.turn
		})
	}
}

// Bytes is what is kept now.
func (r *Retained[T]) Bytes() int64 { return r.total }
