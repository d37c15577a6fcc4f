package db

import (
	"context"
	"fmt"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

// Staged is a document's blob written up to its header: every chunk but
// the last is stored; the header and the last chunk (PutBlob's rows) are
// for the transaction of the row that names the blob to write, so that a
// contract that fits in one chunk is stored, with its session, in a
// single transaction. If that transaction fails, Abandon.
type Staged struct {
	Header Header
	Last   []byte // the last chunk, nil for an empty blob
	store  *Store
	stored int64 // chunks stored already
}

// StageDocument stages d's content (which is in memory already: its
// chunks are slices of it, not copies) and returns d naming the blob
// (BlobKey set, Content nil). A document that names a blob already is
// returned as it is, with a nil Staged.
func (s *Store) StageDocument(ctx context.Context, d signing.Document) (signing.Document, *Staged, error) {
	if d.BlobKey != "" {
		return d, nil, nil
	}
	if d.SHA256 == "" {
		d.SHA256 = signing.SHA256Hex(d.Content)
	}
	size, cs := int64(len(d.Content)), int64(s.chunkSize)
	st := &Staged{Header: Header{Key: blob.NewKey(s.now()), Size: size, SHA256: d.SHA256, ChunkSize: cs}, store: s}
	for n := range st.Header.Chunks() {
		chunk := d.Content[n*cs : min((n+1)*cs, size)]
		if n == st.Header.Chunks()-1 {
			st.Last = chunk
			break
		}
		if err := s.rows.PutBlobChunk(ctx, st.Header.Key, n, chunk); err != nil {
			st.Abandon()
			return d, nil, fmt.Errorf("storing document %s/%s: blob/db: put %s chunk %d: %w", d.SessionID, d.Kind, st.Header.Key, n, err)
		}
		st.stored = n + 1
	}
	d.BlobKey, d.Content = st.Header.Key, nil
	return d, st, nil
}

// Abandon deletes the chunks staged already, if any, even if the
// caller's context is done; what it cannot delete, the sweep will.
func (st *Staged) Abandon() {
	if st != nil {
		st.store.abandon(st.Header.Key, st.stored)
	}
}

// Placed is where a create put its document before its transaction:
// staged in this database (Staged's rows then go in the transaction), or
// whole in another blob store.
type Placed struct {
	Staged *Staged
	other  blob.Store
	key    string
}

// Place stores d's content before the transaction that names it: staged
// in own if the documents live in the database (own is not nil), else put
// whole in docs (blob.PutDocument).
func Place(ctx context.Context, own *Store, docs blob.Store, d signing.Document) (signing.Document, Placed, error) {
	if own != nil {
		d, st, err := own.StageDocument(ctx, d)
		return d, Placed{Staged: st}, err
	}
	d, key, err := blob.PutDocument(ctx, docs, d)
	return d, Placed{other: docs, key: key}, err
}

// Discard undoes Place after its transaction failed.
func (p Placed) Discard() {
	p.Staged.Abandon()
	if p.key != "" {
		blob.Discard(p.other, p.key)
	}
}
