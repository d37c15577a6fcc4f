package db_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

// A Fallback over an empty earlier store is a store like any other.
func TestConformanceFallback(t *testing.T) {
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return blob.Fallback{
				Primary: newStore(t, newMemRows(), db.Config{Now: now}),
				Earlier: newStore(t, newMemRows(), db.Config{Now: now}),
			}
		},
		Down: func(t *testing.T) blob.Store {
			rows := newMemRows()
			rows.down = true
			return blob.Fallback{Primary: newStore(t, rows, db.Config{}), Earlier: newStore(t, newMemRows(), db.Config{})}
		},
	})
}

// TestFallbackReadsEarlierBlobs: a blob of the earlier store is read
// through the Fallback, whole and in parts; new blobs go to the primary
// store only; a delete reaches both; List and so the sweep see the
// primary store only; and a primary store that is down is never taken for
// one that lacks the key.
func TestFallbackReadsEarlierBlobs(t *testing.T) {
	ctx := context.Background()
	primaryRows := newMemRows()
	primary := newStore(t, primaryRows, db.Config{ChunkSize: 1000})
	earlier := newStore(t, newMemRows(), db.Config{ChunkSize: 1000})
	f := blob.Fallback{Primary: primary, Earlier: earlier}

	old := bytes.Repeat([]byte("earlier "), 500)
	oldInfo, err := earlier.Put(ctx, bytes.NewReader(old), int64(len(old)))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := f.Stat(ctx, oldInfo.Key); err != nil || info != oldInfo {
		t.Fatalf("Stat of an earlier blob = %+v, %v; want %+v", info, err, oldInfo)
	}
	if got := readAll(t, f, oldInfo.Key, 1500, 1000); !bytes.Equal(got, old[1500:2500]) {
		t.Errorf("a range of an earlier blob differs")
	}

	fresh := []byte("%PDF-1.7 new")
	newInfo, err := f.Put(ctx, bytes.NewReader(fresh), int64(len(fresh)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := earlier.Stat(ctx, newInfo.Key); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("a new blob reached the earlier store: %v", err)
	}
	if keys, err := f.List(ctx, "", 10); err != nil || !slices.Equal(keys, []string{newInfo.Key}) {
		t.Errorf("List = %v, %v; want the primary store's key only", keys, err)
	}

	primaryRows.down = true
	if _, err := f.Stat(ctx, oldInfo.Key); !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Stat with the primary store down = %v, want ErrUnavailable", err)
	}
	if _, err := f.Open(ctx, oldInfo.Key, 0, -1); !errors.Is(err, signing.ErrUnavailable) {
		t.Errorf("Open with the primary store down = %v, want ErrUnavailable", err)
	}
	primaryRows.down = false

	if err := f.Delete(ctx, oldInfo.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Stat(ctx, oldInfo.Key); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("Stat after Delete = %v, want ErrNotFound", err)
	}
	if err := f.Delete(ctx, newInfo.Key); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Open(ctx, newInfo.Key, 0, -1); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("Open after Delete = %v, want ErrNotFound", err)
	}
}

func readAll(t *testing.T, s blob.Store, key string, offset, length int64) []byte {
	t.Helper()
	r, err := s.Open(context.Background(), key, offset, length)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
