package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/signet-dev/signet/internal/signing"
)

// InlineDocument names a document row that holds its bytes itself, as
// releases before blobs wrote them (migration 0011 left those rows as
// they were, and they read on unchanged).
type InlineDocument struct {
	SessionID string
	Kind      string
}

func (d InlineDocument) String() string { return d.SessionID + "/" + d.Kind }

// Inliner is the database's side of moving inline documents to a blob
// store; the stores implement it.
type Inliner interface {
	// InlineDocuments lists up to limit rows that hold their bytes, in
	// (session, kind) order, after after (its zero value: from the first).
	InlineDocuments(ctx context.Context, after InlineDocument, limit int) ([]InlineDocument, error)
	// InlineContent reads such a row's bytes and the SHA-256 (lowercase
	// hex) recorded beside them; signing.ErrNotFound if it holds none now.
	InlineContent(ctx context.Context, d InlineDocument) (content []byte, sha256 string, err error)
	// PointInlineAt makes the row name blob key instead of holding its
	// bytes, in one statement, if it still holds bytes recorded with
	// sha256; it says whether it did.
	PointInlineAt(ctx context.Context, d InlineDocument, sha256, key string) (bool, error)
}

// moveInline moves the documents that m.Inline's rows hold to To, a page
// at a time, Workers at once. Each row's bytes are read whole (they were
// written whole, within the upload limit), checked against the SHA-256
// recorded beside them, copied, checked again, and the row re-pointed in
// the statement that drops its bytes: a reader sees either the bytes or
// the blob, so nothing waits for a drain. A row whose bytes do not match
// its digest is left as it is and reported in done.Mismatched.
func (m *Mover) moveInline(ctx context.Context, page int, done *Moved) error {
	var after InlineDocument
	for {
		rows, err := m.Inline.InlineDocuments(ctx, after, page)
		if err != nil {
			return fmt.Errorf("blob: move: which documents are held in their rows: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		after = rows[len(rows)-1]
		var mu sync.Mutex
		err = m.each(len(rows), func(i int) error {
			size, err := m.copyInline(ctx, rows[i])
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, errUnnamed):
			case errors.Is(err, errMismatch):
				done.Mismatched = append(done.Mismatched, rows[i])
			case err != nil:
				return err
			default:
				done.Inline++
				done.Bytes += size
			}
			return nil
		})
		if err != nil {
			return err
		}
		if m.Progress != nil {
			m.Progress(*done)
		}
		if len(rows) < page {
			return nil
		}
	}
}

// errMismatch: a row's bytes are not those its recorded SHA-256 names.
var errMismatch = errors.New("blob: the bytes do not match their recorded SHA-256")

// copyInline copies row d's bytes to To and re-points the row; it returns
// their size.
func (m *Mover) copyInline(ctx context.Context, d InlineDocument) (int64, error) {
	content, sum, err := m.Inline.InlineContent(ctx, d)
	if errors.Is(err, signing.ErrNotFound) {
		return 0, errUnnamed // moved meanwhile, or its session went
	}
	if err != nil {
		return 0, fmt.Errorf("blob: move %s: %w", d, err)
	}
	if signing.SHA256Hex(content) != sum {
		return 0, errMismatch
	}
	err = m.place(ctx, d.String(), io.NopCloser(bytes.NewReader(content)), int64(len(content)), sum, func(copy string) (bool, error) {
		return m.Inline.PointInlineAt(ctx, d, sum, copy)
	})
	if err != nil {
		return 0, err
	}
	return int64(len(content)), nil
}
