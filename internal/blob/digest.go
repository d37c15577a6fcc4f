package blob

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
)

// Digest reads through to the reader given to Put, hashing and counting
// what passes and holding it to the size the caller gave. It remembers
// the reader's own failure, so that a store can tell it from its
// backend's (a client that broke off its upload is not a 503).
type Digest struct {
	r    io.Reader
	size int64
	n    int64
	h    hash.Hash
	err  error
}

// NewDigest reads from r, which should yield size bytes (-1: unknown).
func NewDigest(r io.Reader, size int64) *Digest {
	return &Digest{r: r, size: size, h: sha256.New()}
}

// Read reads from the input. Past the size given, or at an end before
// it, it fails with ErrSize; the input's own errors come wrapped in a
// ReaderError.
func (d *Digest) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	n, err := d.r.Read(p)
	d.h.Write(p[:n])
	d.n += int64(n)
	switch {
	case d.size >= 0 && d.n > d.size:
		d.err = ErrSize
	case errors.Is(err, io.EOF) && d.size >= 0 && d.n != d.size:
		d.err = ErrSize
	case err != nil && !errors.Is(err, io.EOF):
		d.err = &ReaderError{Err: err}
	default:
		return n, err
	}
	return n, d.err
}

// Finish reads on to the end of the input (which must be there already,
// if the size given has been read: one more byte is an error). It
// returns the error Read gave or gives, if any.
func (d *Digest) Finish() error {
	_, err := io.Copy(io.Discard, d)
	return err
}

// Err returns the error the input gave (or ErrSize), or nil.
func (d *Digest) Err() error { return d.err }

// Info is the Info of the bytes read so far, under key.
func (d *Digest) Info(key string) Info {
	return Info{Key: key, Size: d.n, SHA256: hex.EncodeToString(d.h.Sum(nil))}
}

// Len is the number of bytes read so far.
func (d *Digest) Len() int64 { return d.n }

// Sum is the SHA-256 of the bytes read so far.
func (d *Digest) Sum() []byte { return d.h.Sum(nil) }
