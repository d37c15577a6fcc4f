package blob

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// Renamer re-points the rows that name a blob.
type Renamer interface {
	// RenameBlob makes every row that names blob from name blob to
	// instead, in one transaction, and says how many rows it changed.
	RenameBlob(ctx context.Context, from, to string) (int64, error)
}

// Mover moves the blobs that rows name from one store to another: the
// documents of an installation whose --documents moved from the database
// to an object store (`signet documents move`).
//
// Each blob is copied, the copy's size and SHA-256 are checked against
// the original's, the rows are re-pointed at the copy in one transaction,
// and only when every blob is across, and Drain has passed for reads
// that began before their rows moved, are the originals deleted, so that
// a server reading through a Fallback meanwhile finds each document in
// one store or the other. A run that stops midway (a crash, a store that
// went down) leaves every row naming a complete blob: at worst a copy
// that no row names yet, which the destination's sweep deletes, and
// originals no row names any more. Blobs of From that no row names are
// not moved; once older than Grace (a create's blob is written before
// its row) they are deleted, which also finishes an interrupted run.
type Mover struct {
	From, To Store
	Rows     interface {
		Referrer
		Renamer
	}
	// Inline, if set, also moves the documents that rows hold themselves
	// (InlineDocument) to To.
	Inline  Inliner
	Grace   time.Duration    // how old an unnamed blob must be to be deleted
	Now     func() time.Time // nil means time.Now
	Page    int              // keys per List; 0 means DefaultPage
	Workers int              // blobs copied at once; 0 means 1
	// Drain is how long the originals outlive the move of their rows: a
	// download that looked up a row before then still reads its blob.
	Drain time.Duration
	// Progress, if set, is told what was done after each page of keys.
	Progress func(Moved)
}

// Moved is what a Move did.
type Moved struct {
	Blobs   int   // blobs copied and re-pointed
	Inline  int   // documents held in their rows, copied and re-pointed
	Bytes   int64 // the total size of both
	Deleted int   // originals deleted once every blob was across
	Unnamed int   // blobs no row named, older than Grace, deleted
	// Mismatched are rows whose bytes are not those their recorded
	// SHA-256 names: left as they are, for someone to look at.
	Mismatched []InlineDocument
}

// Move moves every named blob of From to To.
func (m *Mover) Move(ctx context.Context) (Moved, error) {
	page := m.Page
	if page <= 0 {
		page = DefaultPage
	}
	var done Moved
	var moved []string // originals whose rows now name a copy
	after := ""
	for {
		keys, err := m.From.List(ctx, after, page)
		if err != nil {
			return done, fmt.Errorf("blob: move: %w", err)
		}
		if len(keys) == 0 {
			break
		}
		after = keys[len(keys)-1]
		named, err := m.Rows.ReferencedBlobs(ctx, keys)
		if err != nil {
			return done, fmt.Errorf("blob: move: which blobs are named: %w", err)
		}
		copied, err := m.copyAll(ctx, named)
		for _, c := range copied {
			done.Blobs++
			done.Bytes += c.size
			moved = append(moved, c.key)
		}
		if err != nil {
			return done, err
		}
		if m.Progress != nil {
			m.Progress(done)
		}
		if len(keys) < page {
			break
		}
	}
	if m.Inline != nil {
		if err := m.moveInline(ctx, page, &done); err != nil {
			return done, err
		}
	}
	if len(moved) > 0 && m.Drain > 0 {
		select {
		case <-ctx.Done():
			return done, ctx.Err()
		case <-time.After(m.Drain):
		}
	}
	for _, key := range moved {
		if err := m.From.Delete(ctx, key); err != nil {
			return done, fmt.Errorf("blob: move: delete the original %s: %w", key, err)
		}
		done.Deleted++
	}
	now := time.Now
	if m.Now != nil {
		now = m.Now
	}
	sweep := Sweeper{Store: m.From, Refs: m.Rows, Page: m.Page}
	n, err := sweep.Sweep(ctx, time.Time{}, now().Add(-m.Grace))
	done.Unnamed = n
	return done, err
}

type copied struct {
	key  string
	size int64
}

// copyAll copies keys, Workers at a time, and returns those copied and
// re-pointed. After a failure no more copies start; those under way
// finish, and the first error is returned.
func (m *Mover) copyAll(ctx context.Context, keys []string) ([]copied, error) {
	var (
		mu   sync.Mutex
		done []copied
	)
	err := m.each(len(keys), func(i int) error {
		size, err := m.copy(ctx, keys[i])
		if errors.Is(err, errUnnamed) {
			return nil
		}
		if err != nil {
			return err
		}
		mu.Lock()
		done = append(done, copied{keys[i], size})
		mu.Unlock()
		return nil
	})
	return done, err
}

// each runs fn(0) … fn(n-1), Workers at a time. After one fails no more
// start; those under way finish, and the first error is returned.
func (m *Mover) each(n int, fn func(i int) error) error {
	var (
		mu    sync.Mutex
		first error
		wg    sync.WaitGroup
	)
	slots := make(chan struct{}, max(m.Workers, 1))
	for i := range n {
		mu.Lock()
		failed := first != nil
		mu.Unlock()
		if failed {
			break
		}
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := fn(i); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// place puts size bytes from r in To as the copy of what, whose SHA-256
// is sum, closes r, and has repoint make the rows name the copy; repoint says
// whether any row did. A copy that differs from its original, or that no
// row took, is deleted (errUnnamed for the latter). One that repoint
// failed on stays: an update that failed on the way back may have
// committed, and then the rows name it; if they do not, the
// destination's sweep deletes it.
func (m *Mover) place(ctx context.Context, what string, r io.ReadCloser, size int64, sum string, repoint func(copy string) (bool, error)) error {
	put, err := m.To.Put(ctx, r, size)
	r.Close()
	if err != nil {
		return fmt.Errorf("blob: move %s: %w", what, err)
	}
	if put.SHA256 != sum {
		_ = m.To.Delete(ctx, put.Key)
		return fmt.Errorf("blob: move %s: the copy's SHA-256 %s is not the original's %s; nothing was changed", what, put.SHA256, sum)
	}
	took, err := repoint(put.Key)
	if err != nil {
		return fmt.Errorf("blob: move %s: %w", what, err)
	}
	if !took {
		_ = m.To.Delete(ctx, put.Key)
		return errUnnamed
	}
	return nil
}

// errUnnamed: the rows stopped naming a blob, or the blob went, while it
// was copied.
var errUnnamed = errors.New("blob: no row names it any more")

// copy copies blob key to To and re-points its rows; it returns its size.
func (m *Mover) copy(ctx context.Context, key string) (int64, error) {
	// A blob gone meanwhile (another run moved it, a server replaced the
	// document) has nothing left to move.
	info, err := m.From.Stat(ctx, key)
	if errors.Is(err, signing.ErrNotFound) {
		return 0, errUnnamed
	}
	if err != nil {
		return 0, fmt.Errorf("blob: move %s: %w", key, err)
	}
	r, err := m.From.Open(ctx, key, 0, -1)
	if errors.Is(err, signing.ErrNotFound) {
		return 0, errUnnamed
	}
	if err != nil {
		return 0, fmt.Errorf("blob: move %s: %w", key, err)
	}
	err = m.place(ctx, key, r, info.Size, info.SHA256, func(copy string) (bool, error) {
		n, err := m.Rows.RenameBlob(ctx, key, copy)
		return n > 0, err
	})
	if err != nil {
		return 0, err
	}
	return info.Size, nil
}
