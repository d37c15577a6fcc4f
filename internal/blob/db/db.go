// Package db keeps blobs in the database, through Rows, which the stores
// (internal/sqlite, internal/postgres) implement over two tables:
// blobs, one header row per finished blob, and blob_chunks, its content
// cut into chunks (256 KiB by default).
//
// Chunks keep memory bounded: Put holds one chunk at a time, whatever the
// document's size, and so does a reader from Open, which reads the chunks
// its range covers one by one (a 64 KiB range of a 20 MB document reads
// one chunk, not the document). A blob that fits in one chunk, as most
// contracts do, is written in a single transaction (PutBlob); a larger one
// writes each full chunk in a statement of its own, so that a slow reader
// never holds the database's write lock, and its header last: until then
// the blob is invisible to Stat and Open, and if the Put never finishes
// its chunks are listed for the sweep, like any orphan.
package db

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

// DefaultChunkSize is the size of a chunk unless Config says otherwise.
const DefaultChunkSize = 256 << 10

// Header is a finished blob's row in the blobs table.
type Header struct {
	Key       string
	Size      int64
	SHA256    string // lowercase hex
	ChunkSize int64  // every chunk but the last is this long
}

// Chunks is how many chunks the blob has.
func (h Header) Chunks() int64 {
	return (h.Size + h.ChunkSize - 1) / h.ChunkSize
}

// Rows is the storage the database offers: SQL lives in the stores.
// Chunks are numbered from 0. A data slice passed in is only valid during
// the call. Errors follow the stores' rules (signing.ErrNotFound for a
// missing row, signing.ErrUnavailable for a database that cannot be
// reached).
type Rows interface {
	// PutBlobChunk stores chunk n of blob key, replacing one there.
	PutBlobChunk(ctx context.Context, key string, n int64, data []byte) error
	// PutBlob stores h, which makes the blob visible, and, in the same
	// transaction, its last chunk (number h.Chunks()-1) if last is not
	// nil. The chunks before it are already stored.
	PutBlob(ctx context.Context, h Header, last []byte) error
	// BlobHeader returns blob key's header; signing.ErrNotFound if none.
	BlobHeader(ctx context.Context, key string) (Header, error)
	// BlobChunk returns chunk n of blob key; signing.ErrNotFound if none.
	BlobChunk(ctx context.Context, key string, n int64) ([]byte, error)
	// DeleteBlob deletes blob key's header and chunks; nil if none.
	DeleteBlob(ctx context.Context, key string) error
	// BlobKeys returns up to limit keys greater than after, in byte
	// order: those of headers and those of chunks without one.
	BlobKeys(ctx context.Context, after string, limit int) ([]string, error)
}

// Config configures a Store; the zero Config is the default.
type Config struct {
	ChunkSize int              // bytes per chunk; 0 means DefaultChunkSize
	Now       func() time.Time // for keys; nil means time.Now
}

// Store is a blob.Store in the database.
type Store struct {
	rows      Rows
	chunkSize int
	now       func() time.Time
}

var _ blob.Store = (*Store)(nil)

// New returns a Store over rows.
func New(rows Rows, cfg Config) (*Store, error) {
	if cfg.ChunkSize < 0 {
		return nil, fmt.Errorf("blob/db: chunk size %d is negative", cfg.ChunkSize)
	}
	s := &Store{rows: rows, chunkSize: cfg.ChunkSize, now: cfg.Now}
	if s.chunkSize == 0 {
		s.chunkSize = DefaultChunkSize
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s, nil
}

// Documents is where a database whose blob tables are rows keeps its
// documents. With docs nil, in those tables: own is them, and a create
// stages its document in its own transaction. Otherwise in docs, in front
// of the tables (blob.Fallback), so that documents stored there before
// --documents named an object store stay readable; own is nil.
func Documents(rows Rows, docs blob.Store) (own *Store, all blob.Store) {
	tables, _ := New(rows, Config{}) // the zero Config is valid
	if docs == nil {
		return tables, tables
	}
	return nil, blob.Fallback{Primary: docs, Earlier: tables}
}

// Put stores what r yields, one chunk at a time.
func (s *Store) Put(ctx context.Context, r io.Reader, size int64) (blob.Info, error) {
	key := blob.NewKey(s.now())
	d := blob.NewDigest(r, size)
	buf := make([]byte, s.chunkSize)
	for n := int64(0); ; n++ {
		m, err := io.ReadFull(d, buf)
		switch {
		case err == nil && size >= 0 && d.Len() == size:
			err = d.Finish() // the size given is reached: this chunk is the last
			if err == nil {
				err = io.EOF
			}
		case errors.Is(err, io.ErrUnexpectedEOF):
			err = io.EOF
		}
		if err != nil && !errors.Is(err, io.EOF) {
			s.abandon(key, n)
			return blob.Info{}, fmt.Errorf("blob/db: put: %w", err)
		}
		if err == nil {
			if err := s.rows.PutBlobChunk(ctx, key, n, buf); err != nil {
				s.abandon(key, n+1)
				return blob.Info{}, fmt.Errorf("blob/db: put %s chunk %d: %w", key, n, err)
			}
			continue
		}
		info := d.Info(key)
		var last []byte
		if m > 0 {
			last = buf[:m]
		}
		if err := s.rows.PutBlob(ctx, Header{Key: key, Size: info.Size, SHA256: info.SHA256, ChunkSize: int64(s.chunkSize)}, last); err != nil {
			s.abandon(key, n+1)
			return blob.Info{}, fmt.Errorf("blob/db: put %s: %w", key, err)
		}
		return info, nil
	}
}

// abandon deletes the chunks a failed Put wrote, if any, even if its
// context is done; what it cannot delete, the sweep will.
func (s *Store) abandon(key string, chunks int64) {
	if chunks == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_ = s.rows.DeleteBlob(ctx, key)
}

// Stat reads blob key's header.
func (s *Store) Stat(ctx context.Context, key string) (blob.Info, error) {
	h, err := s.header(ctx, key)
	if err != nil {
		return blob.Info{}, err
	}
	return blob.Info{Key: h.Key, Size: h.Size, SHA256: h.SHA256}, nil
}

func (s *Store) header(ctx context.Context, key string) (Header, error) {
	if !blob.ValidKey(key) {
		return Header{}, blob.NotFound(key)
	}
	h, err := s.rows.BlobHeader(ctx, key)
	if err != nil {
		return Header{}, fmt.Errorf("blob/db: %s: %w", key, err)
	}
	if h.ChunkSize <= 0 || h.Size < 0 {
		return Header{}, fmt.Errorf("blob/db: %s: corrupt header (size %d, chunk size %d)", key, h.Size, h.ChunkSize)
	}
	return h, nil
}

// Open returns a reader that reads the chunks the range covers as it goes.
func (s *Store) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	h, err := s.header(ctx, key)
	if err != nil {
		return nil, err
	}
	if err := blob.CheckRange(h.Size, offset, length); err != nil {
		return nil, err
	}
	end := h.Size
	if length >= 0 {
		end = min(offset+length, h.Size)
	}
	return &reader{ctx: ctx, rows: s.rows, h: h, pos: offset, end: end}, nil
}

// Delete deletes blob key's header and chunks.
func (s *Store) Delete(ctx context.Context, key string) error {
	if !blob.ValidKey(key) {
		return nil
	}
	if err := s.rows.DeleteBlob(ctx, key); err != nil {
		return fmt.Errorf("blob/db: delete %s: %w", key, err)
	}
	return nil
}

// List lists keys of finished and unfinished blobs.
func (s *Store) List(ctx context.Context, after string, limit int) ([]string, error) {
	keys, err := s.rows.BlobKeys(ctx, after, limit)
	if err != nil {
		return nil, fmt.Errorf("blob/db: list: %w", err)
	}
	return keys, nil
}

// reader reads [pos, end) of a blob, a chunk at a time.
type reader struct {
	ctx      context.Context
	rows     Rows
	h        Header
	pos, end int64
	chunk    []byte // the rest of the current chunk, from pos on
}

func (r *reader) Read(p []byte) (int, error) {
	if r.pos >= r.end {
		return 0, io.EOF
	}
	if len(r.chunk) == 0 {
		n := r.pos / r.h.ChunkSize
		data, err := r.rows.BlobChunk(r.ctx, r.h.Key, n)
		if err != nil {
			if errors.Is(err, signing.ErrNotFound) { // deleted while being read
				return 0, fmt.Errorf("blob/db: %s chunk %d is gone: %w", r.h.Key, n, io.ErrUnexpectedEOF)
			}
			return 0, fmt.Errorf("blob/db: %s chunk %d: %w", r.h.Key, n, err)
		}
		if want := min(r.h.ChunkSize, r.h.Size-n*r.h.ChunkSize); int64(len(data)) != want {
			return 0, fmt.Errorf("blob/db: %s chunk %d has %d bytes, want %d", r.h.Key, n, len(data), want)
		}
		r.chunk = data[r.pos-n*r.h.ChunkSize:]
	}
	k := copy(p[:min(int64(len(p)), r.end-r.pos)], r.chunk)
	r.chunk = r.chunk[k:]
	r.pos += int64(k)
	return k, nil
}

func (r *reader) Close() error {
	r.pos, r.chunk = r.end, nil
	return nil
}
