// Package blob stores documents (originals, signed documents, audit
// certificates) as immutable blobs, in the database (package blob/db) or
// in any S3-compatible object store (package blob/s3), behind one Store
// interface that one conformance suite (blob/blobtest) checks.
//
// # Keys
//
// A Store names what it stores: Put picks a new key, a UUIDv7 in its
// text form, and returns it with the blob's size and SHA-256. The caller
// records the key in its own row (the documents table); a blob is never
// changed, only deleted. UUIDv7 keys begin with the millisecond they were
// made in, so their text order is the order they were written in: List
// walks them in that order, and Bound turns a time into a key to start or
// stop at.
//
// # Writing a blob, then the row that names it
//
// A create stores its document first, then commits the session that names
// it. If Put fails, nothing is written and the error says why: a backend
// that cannot be reached wraps signing.ErrUnavailable (a 503), so a
// session is never created without its document. If the commit fails,
// the caller deletes the blob at once. What escapes both (a crash, or a
// Delete that failed because the backend was down) is an orphan: a blob
// that no row names. Sweeper finds them: it lists the keys written in a
// time window that ends a grace period ago (an hour is ample: longer than
// any create can take between its Put and its commit), asks the database
// which of them a row still names (Referrer, a single query per page),
// and deletes the rest. The database stays the only record of what is
// live: no blob is ever marked "committed" outside the transaction that
// commits it, so no crash can leave a live document marked for deletion
// or a dead one marked live. Sweeping a recent window (say the last day)
// every few minutes is cheap because keys are in time order; a sweep from
// the zero time covers everything.
//
// # Errors
//
// Stat and Open of a key that is not there return an error wrapping
// signing.ErrNotFound; Delete of such a key succeeds. A backend that is
// down or overloaded gives an error wrapping signing.ErrUnavailable. A
// reader given to Put that fails makes Put fail with that reader's error.
package blob

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/signet-dev/signet/internal/signing"
)

// ContentType is the media type of every blob: they are PDFs.
const ContentType = "application/pdf"

// Info describes a stored blob.
type Info struct {
	Key    string
	Size   int64
	SHA256 string // lowercase hex
}

// Store keeps blobs. Implementations are safe for concurrent use.
type Store interface {
	// Put stores what r yields under a new key. size is the number of
	// bytes r yields, or -1 if unknown; a reader that yields a different
	// number of bytes fails the Put with an error wrapping
	// signing.ErrInvalid. r is read once, as a stream. A Put that fails
	// leaves nothing behind, or, at worst (the backend went down midway),
	// an orphan for the sweep.
	Put(ctx context.Context, r io.Reader, size int64) (Info, error)
	// Stat describes blob key without reading it; signing.ErrNotFound if
	// there is no such blob.
	Stat(ctx context.Context, key string) (Info, error)
	// Open streams blob key from byte offset: length bytes, or to the end
	// if length is -1; a length past the end stops at the end.
	// signing.ErrNotFound if there is no such blob, signing.ErrInvalid if
	// offset is past the end (offset 0 of an empty blob is not). The
	// caller closes the reader.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	// Delete removes blob key; deleting a blob that is not there succeeds.
	Delete(ctx context.Context, key string) error
	// List returns up to limit keys after after (all keys if after is
	// ""), in order, with those of blobs whose Put has not finished (or
	// never will): that is what the sweep is for.
	List(ctx context.Context, after string, limit int) ([]string, error)
}

// NotFound is the error for a key a store does not have.
func NotFound(key string) error {
	return fmt.Errorf("blob %s: %w", key, signing.ErrNotFound)
}

// CheckRange reports whether Open may read from offset of a blob of size
// bytes, with an error wrapping signing.ErrInvalid if not.
func CheckRange(size, offset, length int64) error {
	if offset < 0 || length < -1 || (offset > 0 && offset >= size) {
		return fmt.Errorf("blob: range %d+%d of %d bytes: %w", offset, length, size, signing.ErrInvalid)
	}
	return nil
}

// ErrSize is wrapped by Put errors for a reader that yields more or
// fewer bytes than the size it was given.
var ErrSize = fmt.Errorf("blob: reader's length is not the size given: %w", signing.ErrInvalid)

// IsReaderError reports whether err came from the reader given to Put.
func IsReaderError(err error) bool {
	var re *ReaderError
	return errors.As(err, &re)
}

// ReaderError is a failure of the reader given to Put, not of the store.
type ReaderError struct{ Err error }

func (e *ReaderError) Error() string { return "blob: reading the input: " + e.Err.Error() }
func (e *ReaderError) Unwrap() error { return e.Err }
