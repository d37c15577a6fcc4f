package db_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
)

// memRows is Rows in memory, which can be taken down.
type memRows struct {
	mu      sync.Mutex
	down    bool
	headers map[string]db.Header
	chunks  map[string]map[int64][]byte
}

func newMemRows() *memRows {
	return &memRows{headers: map[string]db.Header{}, chunks: map[string]map[int64][]byte{}}
}

var errDown = fmt.Errorf("fake database: %w", signing.ErrUnavailable)

func (m *memRows) lock() error {
	m.mu.Lock()
	if m.down {
		m.mu.Unlock()
		return errDown
	}
	return nil
}

func (m *memRows) putChunk(key string, n int64, data []byte) {
	if m.chunks[key] == nil {
		m.chunks[key] = map[int64][]byte{}
	}
	m.chunks[key][n] = slices.Clone(data)
}

func (m *memRows) PutBlobChunk(_ context.Context, key string, n int64, data []byte) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	m.putChunk(key, n, data)
	return nil
}

func (m *memRows) PutBlob(_ context.Context, h db.Header, last []byte) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	if _, ok := m.headers[h.Key]; ok {
		return fmt.Errorf("fake database: blob %s: %w", h.Key, signing.ErrConflict)
	}
	if last != nil {
		m.putChunk(h.Key, h.Chunks()-1, last)
	}
	m.headers[h.Key] = h
	return nil
}

func (m *memRows) BlobHeader(_ context.Context, key string) (db.Header, error) {
	if err := m.lock(); err != nil {
		return db.Header{}, err
	}
	defer m.mu.Unlock()
	h, ok := m.headers[key]
	if !ok {
		return db.Header{}, fmt.Errorf("fake database: blob %s: %w", key, signing.ErrNotFound)
	}
	return h, nil
}

func (m *memRows) BlobChunk(_ context.Context, key string, n int64) ([]byte, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	c, ok := m.chunks[key][n]
	if !ok {
		return nil, fmt.Errorf("fake database: blob %s chunk %d: %w", key, n, signing.ErrNotFound)
	}
	return c, nil
}

func (m *memRows) DeleteBlob(_ context.Context, key string) error {
	if err := m.lock(); err != nil {
		return err
	}
	defer m.mu.Unlock()
	delete(m.headers, key)
	delete(m.chunks, key)
	return nil
}

func (m *memRows) BlobKeys(_ context.Context, after string, limit int) ([]string, error) {
	if err := m.lock(); err != nil {
		return nil, err
	}
	defer m.mu.Unlock()
	set := map[string]bool{}
	for k := range m.headers {
		set[k] = true
	}
	for k := range m.chunks {
		set[k] = true
	}
	var keys []string
	for k := range set {
		if k > after {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys[:min(limit, len(keys))], nil
}

func newStore(t *testing.T, rows db.Rows, cfg db.Config) *db.Store {
	t.Helper()
	s, err := db.New(rows, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func memHarness(chunk int) blobtest.Harness {
	return blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, newMemRows(), db.Config{ChunkSize: chunk, Now: now})
		},
		Down: func(t *testing.T) blob.Store {
			rows := newMemRows()
			rows.down = true
			return newStore(t, rows, db.Config{ChunkSize: chunk})
		},
	}
}

func TestConformanceMemory(t *testing.T) {
	blobtest.Run(t, memHarness(0))
}

// Small chunks put every chunk boundary case in reach of small blobs.
func TestConformanceMemorySmallChunks(t *testing.T) {
	h := memHarness(1000)
	h.Large = 3 << 20
	blobtest.Run(t, h)
}

func TestChunks(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		size, chunks int64
		stream       bool
	}{{0, 0, false}, {999, 1, false}, {1000, 1, false}, {1000, 1, true}, {1001, 2, true}, {5000, 5, false}} {
		rows := newMemRows()
		s := newStore(t, rows, db.Config{ChunkSize: 1000})
		var r = strings.NewReader(strings.Repeat("x", int(tc.size)))
		size := tc.size
		if tc.stream {
			size = -1
		}
		info, err := s.Put(ctx, r, size)
		if err != nil {
			t.Fatal(err)
		}
		h := rows.headers[info.Key]
		if h.Chunks() != tc.chunks || int64(len(rows.chunks[info.Key])) != tc.chunks || h.ChunkSize != 1000 {
			t.Errorf("%d bytes: header %+v (%d chunks), %d chunk rows; want %d of 1000", tc.size, h, h.Chunks(), len(rows.chunks[info.Key]), tc.chunks)
		}
	}
}

// A Put that fails after writing chunks deletes them; one that never
// finishes (a crash) leaves chunks that List shows and the sweep deletes.
func TestUnfinishedPut(t *testing.T) {
	ctx := context.Background()
	rows := newMemRows()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	s := newStore(t, rows, db.Config{ChunkSize: 1000, Now: func() time.Time { return now }})

	_, err := s.Put(ctx, failingAfter(2500), -1)
	if !blob.IsReaderError(err) {
		t.Fatalf("Put of a failing reader: %v, want a reader error", err)
	}
	if keys, _ := s.List(ctx, "", 10); len(keys) != 0 {
		t.Errorf("after a failed Put, List = %v; want its chunks deleted", keys)
	}

	crashed := blob.NewKey(now)
	if err := rows.PutBlobChunk(ctx, crashed, 0, []byte("half a document")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, crashed); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("Stat of an unfinished blob: %v, want ErrNotFound", err)
	}
	if keys, _ := s.List(ctx, "", 10); !slices.Equal(keys, []string{crashed}) {
		t.Errorf("List = %v, want the unfinished blob %s", keys, crashed)
	}
	sw := &blob.Sweeper{Store: s, Refs: noRefs{}}
	if n, err := sw.Sweep(ctx, now.Add(-time.Hour), now.Add(time.Hour)); n != 1 || err != nil {
		t.Errorf("Sweep = %d, %v; want 1", n, err)
	}
	if len(rows.chunks) != 0 {
		t.Errorf("after the sweep, chunks of %d blobs are left", len(rows.chunks))
	}
}

// A chunk of the wrong length is corruption, not a short document.
func TestCorruptChunk(t *testing.T) {
	ctx := context.Background()
	rows := newMemRows()
	s := newStore(t, rows, db.Config{ChunkSize: 1000})
	info, err := s.Put(ctx, strings.NewReader(strings.Repeat("y", 2500)), 2500)
	if err != nil {
		t.Fatal(err)
	}
	rows.chunks[info.Key][1] = []byte("short")
	rc, err := s.Open(ctx, info.Key, 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 3000)
	n, err := rc.Read(buf)
	if n != 1000 || err != nil {
		t.Fatalf("first Read = %d, %v; want the first chunk", n, err)
	}
	if _, err := rc.Read(buf); err == nil || !strings.Contains(err.Error(), "has 5 bytes, want 1000") {
		t.Errorf("Read of a short chunk: %v, want it named corrupt", err)
	}
}

type noRefs struct{}

func (noRefs) ReferencedBlobs(context.Context, []string) ([]string, error) { return nil, nil }

type failAfter struct{ n int }

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("connection reset")
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

func failingAfter(n int) *failAfter { return &failAfter{n: n} }

func TestNewRefusesNegativeChunks(t *testing.T) {
	if _, err := db.New(newMemRows(), db.Config{ChunkSize: -1}); err == nil {
		t.Error("New with ChunkSize -1 succeeded")
	}
}
