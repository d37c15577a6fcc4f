package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

// docRows is the documents table as the Mover sees it: row name → blob
// key. vanish, if set, is a row deleted just before its blob is renamed.
type docRows struct {
	mu        sync.Mutex
	rows      map[string]string
	vanish    string
	lostReply bool
}

func (d *docRows) ReferencedBlobs(_ context.Context, keys []string) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var named []string
	for _, k := range keys {
		for _, v := range d.rows {
			if v == k && !slices.Contains(named, k) {
				named = append(named, k)
			}
		}
	}
	return named, nil
}

func (d *docRows) RenameBlob(_ context.Context, from, to string) (n int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lostReply {
		// The rename commits, but its answer never arrives.
		defer func() { n, err = 0, fmt.Errorf("connection reset: %w", signing.ErrUnavailable) }()
	}
	if d.vanish != "" && d.rows[d.vanish] == from {
		delete(d.rows, d.vanish)
	}
	for name, v := range d.rows {
		if v == from {
			d.rows[name] = to
			n++
		}
	}
	return n, nil
}

func putAt(t *testing.T, s blob.Store, b []byte) string {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	return info.Key
}

func keysOf(t *testing.T, s blob.Store) []string {
	t.Helper()
	keys, err := s.List(context.Background(), "", 100)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}

// TestMoverMovesNamedBlobs: named blobs are copied, their rows re-pointed
// and the originals deleted; unnamed blobs past the grace period are
// deleted, younger ones kept; a second run has nothing to do.
func TestMoverMovesNamedBlobs(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	at := now.Add(-3 * time.Hour)
	clock := func() time.Time { return at }
	from := newStore(t, newMemRows(), db.Config{ChunkSize: 1000, Now: clock})
	to := newStore(t, newMemRows(), db.Config{})

	original := bytes.Repeat([]byte("original "), 700)
	signed := bytes.Repeat([]byte("signed "), 900)
	rows := &docRows{rows: map[string]string{
		"s1/original": putAt(t, from, original),
		"s1/signed":   putAt(t, from, signed),
	}}
	putAt(t, from, []byte("an orphan from a crash")) // 3 h old
	at = now.Add(-10 * time.Minute)
	young := putAt(t, from, []byte("a create's blob, its row not yet committed"))

	var pages []blob.Moved
	m := blob.Mover{From: from, To: to, Rows: rows, Grace: time.Hour, Now: func() time.Time { return now }, Page: 2, Workers: 2,
		Progress: func(p blob.Moved) { pages = append(pages, p) }}
	moved, err := m.Move(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := blob.Moved{Blobs: 2, Bytes: int64(len(original) + len(signed)), Deleted: 2, Unnamed: 1}
	if !reflect.DeepEqual(moved, want) {
		t.Errorf("Move = %+v, want %+v", moved, want)
	}
	if len(pages) != 2 || pages[1].Blobs != 2 {
		t.Errorf("progress after each page of 2 keys: %+v, want 2 reports ending with both blobs copied", pages)
	}
	for name, content := range map[string][]byte{"s1/original": original, "s1/signed": signed} {
		if got := readAll(t, to, rows.rows[name], 0, -1); !bytes.Equal(got, content) {
			t.Errorf("%s: the moved blob differs from the original", name)
		}
	}
	if keys := keysOf(t, from); !slices.Equal(keys, []string{young}) {
		t.Errorf("left in the source: %v, want only the young unnamed blob %s", keys, young)
	}
	if again, err := m.Move(ctx); err != nil || !reflect.DeepEqual(again, blob.Moved{}) {
		t.Errorf("a second Move = %+v, %v; want nothing to do", again, err)
	}
}

// TestMoverStopsWhenTheDestinationIsDown: nothing is re-pointed or
// deleted, and the error says the store is unavailable.
func TestMoverStopsWhenTheDestinationIsDown(t *testing.T) {
	from := newStore(t, newMemRows(), db.Config{})
	downRows := newMemRows()
	downRows.down = true
	rows := &docRows{rows: map[string]string{}}
	for _, name := range []string{"s1/original", "s1/signed", "s2/original"} {
		rows.rows[name] = putAt(t, from, []byte("%PDF-1.7 "+name))
	}
	before := maps.Clone(rows.rows)
	keys := keysOf(t, from)
	m := blob.Mover{From: from, To: newStore(t, downRows, db.Config{}), Rows: rows, Grace: time.Hour, Workers: 2}
	if _, err := m.Move(context.Background()); !errors.Is(err, signing.ErrUnavailable) {
		t.Fatalf("Move to a store that is down = %v, want ErrUnavailable", err)
	}
	if !maps.Equal(rows.rows, before) || !slices.Equal(keysOf(t, from), keys) {
		t.Errorf("a failed move changed the rows (%v) or the source (%v)", rows.rows, keysOf(t, from))
	}
}

// TestMoverDropsTheCopyOfABlobWhoseRowWent: a row deleted while its blob
// is copied leaves no copy behind, and the blob is not counted.
func TestMoverDropsTheCopyOfABlobWhoseRowWent(t *testing.T) {
	from := newStore(t, newMemRows(), db.Config{})
	to := newStore(t, newMemRows(), db.Config{})
	rows := &docRows{rows: map[string]string{"s1/signed": putAt(t, from, []byte("%PDF-1.7 replaced"))}, vanish: "s1/signed"}
	m := blob.Mover{From: from, To: to, Rows: rows, Grace: time.Hour}
	moved, err := m.Move(context.Background())
	if err != nil || moved.Blobs != 0 {
		t.Errorf("Move = %+v, %v; want no blob moved", moved, err)
	}
	if keys := keysOf(t, to); len(keys) != 0 {
		t.Errorf("the copy of a blob no row names was kept: %v", keys)
	}
}

// TestMoverKeepsTheCopyWhenARenameMayHaveCommitted: a rename whose answer
// was lost may have committed; the copy it names is kept, so the row
// never names a missing blob, and the original is kept too.
func TestMoverKeepsTheCopyWhenARenameMayHaveCommitted(t *testing.T) {
	from := newStore(t, newMemRows(), db.Config{})
	to := newStore(t, newMemRows(), db.Config{})
	content := []byte("%PDF-1.7 signed")
	original := putAt(t, from, content)
	rows := &docRows{rows: map[string]string{"s1/signed": original}, lostReply: true}
	m := blob.Mover{From: from, To: to, Rows: rows, Grace: time.Hour}
	if _, err := m.Move(context.Background()); !errors.Is(err, signing.ErrUnavailable) {
		t.Fatalf("Move = %v, want the rename's error", err)
	}
	if got := readAll(t, to, rows.rows["s1/signed"], 0, -1); !bytes.Equal(got, content) {
		t.Errorf("the row names a copy that is not there")
	}
	if got := readAll(t, from, original, 0, -1); !bytes.Equal(got, content) {
		t.Errorf("the original went although the move failed")
	}
}

// TestMoverWaitsOutTheDrain: originals outlive the move of their rows by
// Drain; a run stopped in that time keeps them.
func TestMoverWaitsOutTheDrain(t *testing.T) {
	from := newStore(t, newMemRows(), db.Config{})
	original := putAt(t, from, []byte("%PDF-1.7 contract"))
	rows := &docRows{rows: map[string]string{"s1/original": original}}
	m := blob.Mover{From: from, To: newStore(t, newMemRows(), db.Config{}), Rows: rows, Grace: time.Hour, Drain: time.Hour}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	moved, err := m.Move(ctx)
	if !errors.Is(err, context.DeadlineExceeded) || moved.Blobs != 1 || moved.Deleted != 0 {
		t.Fatalf("Move stopped during the drain = %+v, %v", moved, err)
	}
	if keys := keysOf(t, from); !slices.Equal(keys, []string{original}) {
		t.Errorf("the original was deleted during the drain: %v", keys)
	}
}

// goneStore is a store in which one blob disappears after it was listed,
// as when another run moved it.
type goneStore struct {
	blob.Store
	gone string
}

func (g goneStore) Stat(ctx context.Context, key string) (blob.Info, error) {
	if key == g.gone {
		return blob.Info{}, blob.NotFound(key)
	}
	return g.Store.Stat(ctx, key)
}

// TestMoverSkipsABlobThatWent: a named blob that is gone by the time it
// is copied is skipped, not an error that stops the run.
func TestMoverSkipsABlobThatWent(t *testing.T) {
	from := newStore(t, newMemRows(), db.Config{})
	gone := putAt(t, from, []byte("%PDF-1.7 moved by another run"))
	kept := putAt(t, from, []byte("%PDF-1.7 still here"))
	rows := &docRows{rows: map[string]string{"s1/original": gone, "s2/original": kept}}
	m := blob.Mover{From: goneStore{from, gone}, To: newStore(t, newMemRows(), db.Config{}), Rows: rows, Grace: time.Hour}
	moved, err := m.Move(context.Background())
	if err != nil || moved.Blobs != 1 {
		t.Errorf("Move = %+v, %v; want the one blob still there moved", moved, err)
	}
}
