package blob

import (
	"context"
	"errors"
	"io"

	"github.com/signet-dev/signet/internal/signing"
)

// Fallback is the store documents are written to (Primary) in front of
// the one they were kept in before (Earlier): an installation whose
// --documents moved from the database to an object store still has its
// older documents in the database. Reads look in Primary first and, for a
// key it does not have, in Earlier, so switching loses no document;
// writes go to Primary only; a delete removes the key from both. List,
// and so the orphan sweep, sees Primary only: Earlier is read, not
// managed.
//
// A Primary that is down is down: its error is returned, never hidden by
// a look in Earlier, which could only answer "not found" for a key that
// lives in Primary.
type Fallback struct {
	Primary Store
	Earlier Store
}

var _ Store = Fallback{}

// Put stores in Primary.
func (f Fallback) Put(ctx context.Context, r io.Reader, size int64) (Info, error) {
	return f.Primary.Put(ctx, r, size)
}

// Stat describes key from Primary, else from Earlier.
func (f Fallback) Stat(ctx context.Context, key string) (Info, error) {
	info, err := f.Primary.Stat(ctx, key)
	if errors.Is(err, signing.ErrNotFound) {
		return f.Earlier.Stat(ctx, key)
	}
	return info, err
}

// Open streams key from Primary, else from Earlier.
func (f Fallback) Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	r, err := f.Primary.Open(ctx, key, offset, length)
	if errors.Is(err, signing.ErrNotFound) {
		return f.Earlier.Open(ctx, key, offset, length)
	}
	return r, err
}

// Delete removes key from both stores (deleting a missing key succeeds).
// Earlier is asked first whether it has the key: a read, where a delete
// would be a write (on SQLite, a turn of its one writer) for every blob
// the server deletes, nearly all of them Primary's.
func (f Fallback) Delete(ctx context.Context, key string) error {
	if err := f.Primary.Delete(ctx, key); err != nil {
		return err
	}
	_, err := f.Earlier.Stat(ctx, key)
	if errors.Is(err, signing.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	return f.Earlier.Delete(ctx, key)
}

// List lists Primary's keys.
func (f Fallback) List(ctx context.Context, after string, limit int) ([]string, error) {
	return f.Primary.List(ctx, after, limit)
}
