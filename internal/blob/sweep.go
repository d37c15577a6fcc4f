package blob

import (
	"context"
	"fmt"
	"time"
)

// Referrer is the database's side of the sweep; the stores implement it.
type Referrer interface {
	// ReferencedBlobs returns those of keys that some row names (in any
	// order). It is called with up to Sweeper.Page keys at a time.
	ReferencedBlobs(ctx context.Context, keys []string) ([]string, error)
}

// DefaultPage is how many keys a Sweeper lists, and asks about, at a time.
const DefaultPage = 500

// Sweeper deletes orphans: blobs that no row names (see the package doc).
type Sweeper struct {
	Store Store
	Refs  Referrer
	Page  int // keys per List and per ReferencedBlobs; 0 means DefaultPage
}

// Sweep deletes the blobs made in [from, to) that no row names, and
// returns how many it deleted. to must be at least a grace period in the
// past: a blob made after it may belong to a create still in flight.
// Keys that NewKey did not make (an object someone else put under the
// prefix) are never deleted.
func (s *Sweeper) Sweep(ctx context.Context, from, to time.Time) (int, error) {
	page := s.Page
	if page <= 0 {
		page = DefaultPage
	}
	after, stop := Bound(from), Bound(to)
	deleted := 0
	for {
		keys, err := s.Store.List(ctx, after, page)
		if err != nil {
			return deleted, fmt.Errorf("blob: sweep: %w", err)
		}
		var window []string
		done := len(keys) < page
		for _, k := range keys {
			if k >= stop {
				done = true
				break
			}
			if ValidKey(k) {
				window = append(window, k)
			}
		}
		if len(window) > 0 {
			n, err := s.deleteOrphans(ctx, window)
			deleted += n
			if err != nil {
				return deleted, err
			}
		}
		if done {
			return deleted, nil
		}
		after = keys[len(keys)-1]
	}
}

// deleteOrphans deletes those of keys that no row names.
func (s *Sweeper) deleteOrphans(ctx context.Context, keys []string) (int, error) {
	live, err := s.Refs.ReferencedBlobs(ctx, keys)
	if err != nil {
		return 0, fmt.Errorf("blob: sweep: which blobs are named: %w", err)
	}
	named := make(map[string]bool, len(live))
	for _, k := range live {
		named[k] = true
	}
	n := 0
	for _, k := range keys {
		if named[k] {
			continue
		}
		if err := s.Store.Delete(ctx, k); err != nil {
			return n, fmt.Errorf("blob: sweep: %w", err)
		}
		n++
	}
	return n, nil
}
