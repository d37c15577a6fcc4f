package db_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

// inlineRow is a document row as the Mover sees it: its bytes and
// recorded digest, or the blob it names.
type inlineRow struct {
	content []byte
	sha256  string
	key     string
}

// inlineRows is the documents table of an installation from before
// documents were blobs. replace, if set, is a row whose document is
// replaced (now naming a blob) just before its move re-points it;
// lostReply is an update that commits but whose answer never arrives.
type inlineRows struct {
	docRows
	mu        sync.Mutex
	inline    map[blob.InlineDocument]*inlineRow
	replace   blob.InlineDocument
	lostReply bool
}

func newInlineRows(contents map[blob.InlineDocument][]byte) *inlineRows {
	r := &inlineRows{docRows: docRows{rows: map[string]string{}}, inline: map[blob.InlineDocument]*inlineRow{}}
	for d, c := range contents {
		r.inline[d] = &inlineRow{content: c, sha256: signing.SHA256Hex(c)}
	}
	return r
}

func (r *inlineRows) InlineDocuments(_ context.Context, after blob.InlineDocument, limit int) ([]blob.InlineDocument, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var list []blob.InlineDocument
	for d, row := range r.inline {
		if row.content != nil && compareInline(d, after) > 0 {
			list = append(list, d)
		}
	}
	slices.SortFunc(list, compareInline)
	return list[:min(limit, len(list))], nil
}

func compareInline(a, b blob.InlineDocument) int {
	if c := strings.Compare(a.SessionID, b.SessionID); c != 0 {
		return c
	}
	return strings.Compare(a.Kind, b.Kind)
}

func (r *inlineRows) InlineContent(_ context.Context, d blob.InlineDocument) ([]byte, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	row, ok := r.inline[d]
	if !ok || row.content == nil {
		return nil, "", fmt.Errorf("inline document %s: %w", d, signing.ErrNotFound)
	}
	return bytes.Clone(row.content), row.sha256, nil
}

func (r *inlineRows) PointInlineAt(_ context.Context, d blob.InlineDocument, sha256, key string) (ok bool, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.lostReply {
		defer func() { ok, err = false, fmt.Errorf("connection reset: %w", signing.ErrUnavailable) }()
	}
	row := r.inline[d]
	if d == r.replace {
		row.content, row.sha256, row.key = nil, "another", "a-newer-blob"
	}
	if row == nil || row.content == nil || row.sha256 != sha256 {
		return false, nil
	}
	row.content, row.key = nil, key
	return true, nil
}

// TestMoverMovesInlineDocuments: rows holding their bytes end up naming a
// blob of To with the same bytes, a page at a time; a second run has
// nothing to do.
func TestMoverMovesInlineDocuments(t *testing.T) {
	ctx := context.Background()
	contents := map[blob.InlineDocument][]byte{}
	var total int64
	for i := range 5 {
		for _, kind := range []string{"original", "signed"} {
			c := []byte(fmt.Sprintf("%%PDF-1.4 session %d, %s", i, kind))
			contents[blob.InlineDocument{SessionID: fmt.Sprintf("s%d", i), Kind: kind}] = c
			total += int64(len(c))
		}
	}
	rows := newInlineRows(contents)
	from := newStore(t, newMemRows(), db.Config{})
	to := newStore(t, newMemRows(), db.Config{})
	var pages int
	m := blob.Mover{From: from, To: to, Rows: rows, Inline: rows, Grace: time.Hour, Page: 3, Workers: 3,
		Progress: func(blob.Moved) { pages++ }}
	moved, err := m.Move(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Inline != 10 || moved.Blobs != 0 || moved.Bytes != total || len(moved.Mismatched) != 0 {
		t.Errorf("Move = %+v, want 10 inline documents of %d bytes", moved, total)
	}
	if pages != 4 {
		t.Errorf("progress reported %d times, want once per page of 3 rows: 4", pages)
	}
	for d, c := range contents {
		row := rows.inline[d]
		if row.content != nil || row.key == "" {
			t.Fatalf("%s still holds its bytes (%q) or names no blob", d, row.content)
		}
		if got := readAll(t, to, row.key, 0, -1); !bytes.Equal(got, c) {
			t.Errorf("%s: the blob holds %q, want %q", d, got, c)
		}
	}
	if keys := keysOf(t, to); len(keys) != 10 {
		t.Errorf("the destination holds %d blobs, want 10", len(keys))
	}
	if again, err := m.Move(ctx); err != nil || again.Inline != 0 || again.Bytes != 0 {
		t.Errorf("a second Move = %+v, %v; want nothing to do", again, err)
	}
}

// TestMoverLeavesARowWhoseBytesDoNotMatch: a row whose bytes are not those
// its digest names is reported and left as it is; the others move.
func TestMoverLeavesARowWhoseBytesDoNotMatch(t *testing.T) {
	good := blob.InlineDocument{SessionID: "s1", Kind: "original"}
	bad := blob.InlineDocument{SessionID: "s2", Kind: "original"}
	rows := newInlineRows(map[blob.InlineDocument][]byte{good: []byte("%PDF-1.4 good"), bad: []byte("%PDF-1.4 bad")})
	rows.inline[bad].content = []byte("%PDF-1.4 bad, changed behind its digest")
	to := newStore(t, newMemRows(), db.Config{})
	m := blob.Mover{From: newStore(t, newMemRows(), db.Config{}), To: to, Rows: rows, Inline: rows, Grace: time.Hour}
	moved, err := m.Move(context.Background())
	if err != nil || moved.Inline != 1 || !slices.Equal(moved.Mismatched, []blob.InlineDocument{bad}) {
		t.Fatalf("Move = %+v, %v; want the good row moved and the bad one reported", moved, err)
	}
	if row := rows.inline[bad]; row.content == nil || row.key != "" {
		t.Errorf("the mismatched row was changed: %+v", row)
	}
	if keys := keysOf(t, to); len(keys) != 1 {
		t.Errorf("the destination holds %v, want only the good row's blob", keys)
	}
}

// TestMoverDropsTheCopyOfARowReplacedMeanwhile: a row whose document was
// replaced while its bytes were copied keeps the newer document, and the
// copy is deleted.
func TestMoverDropsTheCopyOfARowReplacedMeanwhile(t *testing.T) {
	d := blob.InlineDocument{SessionID: "s1", Kind: "signed"}
	rows := newInlineRows(map[blob.InlineDocument][]byte{d: []byte("%PDF-1.4 old")})
	rows.replace = d
	to := newStore(t, newMemRows(), db.Config{})
	m := blob.Mover{From: newStore(t, newMemRows(), db.Config{}), To: to, Rows: rows, Inline: rows, Grace: time.Hour}
	moved, err := m.Move(context.Background())
	if err != nil || moved.Inline != 0 {
		t.Errorf("Move = %+v, %v; want nothing moved", moved, err)
	}
	if rows.inline[d].key != "a-newer-blob" {
		t.Errorf("the newer document was overwritten: %+v", rows.inline[d])
	}
	if keys := keysOf(t, to); len(keys) != 0 {
		t.Errorf("the copy was kept: %v", keys)
	}
}

// TestMoverKeepsTheCopyWhenAnInlineUpdateMayHaveCommitted: as for blobs, a
// lost answer may hide a commit, so the copy stays and the run stops.
func TestMoverKeepsTheCopyWhenAnInlineUpdateMayHaveCommitted(t *testing.T) {
	d := blob.InlineDocument{SessionID: "s1", Kind: "original"}
	content := []byte("%PDF-1.4 contract")
	rows := newInlineRows(map[blob.InlineDocument][]byte{d: content})
	rows.lostReply = true
	to := newStore(t, newMemRows(), db.Config{})
	m := blob.Mover{From: newStore(t, newMemRows(), db.Config{}), To: to, Rows: rows, Inline: rows, Grace: time.Hour}
	if _, err := m.Move(context.Background()); !errors.Is(err, signing.ErrUnavailable) {
		t.Fatalf("Move = %v, want the update's error", err)
	}
	if got := readAll(t, to, rows.inline[d].key, 0, -1); !bytes.Equal(got, content) {
		t.Errorf("the row names a copy that is not there")
	}
}

// TestMoverStopsWhenTheDestinationIsDownForInlineRows: no row changes.
func TestMoverStopsWhenTheDestinationIsDownForInlineRows(t *testing.T) {
	d := blob.InlineDocument{SessionID: "s1", Kind: "original"}
	rows := newInlineRows(map[blob.InlineDocument][]byte{d: []byte("%PDF-1.4 contract")})
	down := newMemRows()
	down.down = true
	m := blob.Mover{From: newStore(t, newMemRows(), db.Config{}), To: newStore(t, down, db.Config{}), Rows: rows, Inline: rows, Grace: time.Hour}
	if _, err := m.Move(context.Background()); !errors.Is(err, signing.ErrUnavailable) {
		t.Fatalf("Move to a store that is down = %v, want ErrUnavailable", err)
	}
	if row := rows.inline[d]; row.content == nil || row.key != "" {
		t.Errorf("a failed move changed the row: %+v", row)
	}
}
