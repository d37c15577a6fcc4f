package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// The stores (internal/sqlite, internal/postgres) keep a document's row
// and its blob with these, in the order the package doc prescribes:
// PutDocument before the transaction that writes the row, Discard at once
// if that transaction fails.

// PutDocument stores d's content in s and returns d naming the new blob
// (BlobKey set, Content nil) and the key it made. A document that names
// a blob already, or a nil store, is returned as it is, with no key.
func PutDocument(ctx context.Context, s Store, d signing.Document) (signing.Document, string, error) {
	if s == nil || d.BlobKey != "" {
		return d, "", nil
	}
	info, err := s.Put(ctx, bytes.NewReader(d.Content), int64(len(d.Content)))
	if err != nil {
		return d, "", fmt.Errorf("storing document %s/%s: %w", d.SessionID, d.Kind, err)
	}
	if d.SHA256 == "" {
		d.SHA256 = info.SHA256
	}
	d.BlobKey, d.Content = info.Key, nil
	return d, info.Key, nil
}

// discardTimeout bounds Discard: it runs after a failure, perhaps of a
// context that is done already.
const discardTimeout = 10 * time.Second

// Discard deletes the blobs of rows that were never committed, whatever
// became of the caller's context; what it cannot delete (the backend is
// down), the sweep will.
func Discard(s Store, keys ...string) {
	ctx, cancel := context.WithTimeout(context.Background(), discardTimeout)
	defer cancel()
	for _, k := range keys {
		if k != "" {
			_ = s.Delete(ctx, k)
		}
	}
}

// ReadDocument fills d.Content from its blob, if it names one. A blob that
// a row names but the store lacks is lost data, not a missing document:
// the error then does not wrap signing.ErrNotFound.
func ReadDocument(ctx context.Context, s Store, d *signing.Document) error {
	if d.BlobKey == "" {
		return nil
	}
	if s == nil {
		return fmt.Errorf("document %s/%s is blob %s, but no blob store is configured", d.SessionID, d.Kind, d.BlobKey)
	}
	r, err := s.Open(ctx, d.BlobKey, 0, -1)
	if err == nil {
		d.Content, err = io.ReadAll(r)
		r.Close()
	}
	if errors.Is(err, signing.ErrNotFound) {
		return fmt.Errorf("document %s/%s: its blob %s is missing: %v", d.SessionID, d.Kind, d.BlobKey, err)
	}
	if err != nil {
		return fmt.Errorf("document %s/%s: %w", d.SessionID, d.Kind, err)
	}
	return nil
}

// Puts are changes whose signed documents are stored as blobs already,
// before the transaction that writes their rows.
type Puts struct {
	Changes []signing.Change // the changes, naming the blobs
	store   Store
	keys    []string // per change, the blob put for it, or ""
}

// PutSigned stores the signed documents of changes as blobs and returns
// the changes naming them; the caller's changes and documents stay as
// they are. If one Put fails, those before it are deleted.
func PutSigned(ctx context.Context, s Store, changes []signing.Change) (Puts, error) {
	p := Puts{Changes: changes, store: s, keys: make([]string, len(changes))}
	copied := false
	for i, c := range changes {
		if c.Signed == nil {
			continue
		}
		d, key, err := PutDocument(ctx, s, *c.Signed)
		if err != nil {
			p.Discard(nil)
			return Puts{}, err
		}
		if !copied {
			p.Changes, copied = append([]signing.Change(nil), changes...), true
		}
		p.Changes[i].Signed, p.keys[i] = &d, key
	}
	return p, nil
}

// Discard deletes the blobs of the changes whose rows were not written:
// all of them if results is nil (the transaction failed), else those
// whose slot holds an error (skipped by UpdateSessions).
func (p Puts) Discard(results []error) {
	var lost []string
	for i, k := range p.keys {
		if k != "" && (results == nil || results[i] != nil) {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		Discard(p.store, lost...)
	}
}
