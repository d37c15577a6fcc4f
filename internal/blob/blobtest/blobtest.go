// Package blobtest is the conformance suite of blob.Store: Run checks an
// implementation against the contract written on the interface and in
// the package doc of blob.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/signing"
)

// Harness is what the suite needs of an implementation.
type Harness struct {
	// New returns a new, empty store that makes its keys at the times now
	// gives.
	New func(t *testing.T, now func() time.Time) blob.Store
	// Down returns a store whose backend cannot be reached; nil skips
	// that test.
	Down func(t *testing.T) blob.Store
	// MaxPutHeap, if not 0, bounds how much the Go heap may grow while a
	// Large-byte blob is put from a stream (sampled with
	// runtime.ReadMemStats as the stream is read). Leave it 0 for a
	// backend that keeps what it stores in this process's heap.
	MaxPutHeap uint64
	// Large is the size of the large blobs; 0 means 20 MiB.
	Large int64
}

// base is the time the suite's clocks start at.
var base = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// Run runs the suite against h.
func Run(t *testing.T, h Harness) {
	if h.Large == 0 {
		h.Large = 20 << 20
	}
	for _, tc := range []struct {
		name string
		fn   func(*testing.T, Harness)
	}{
		{"RoundTrip", testRoundTrip},
		{"Large", testLarge},
		{"Ranges", testRanges},
		{"NotFound", testNotFound},
		{"WrongSize", testWrongSize},
		{"Concurrent", testConcurrent},
		{"List", testList},
		{"Sweep", testSweep},
		{"Serve", testServe},
		{"Down", testDown},
	} {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, h) })
	}
}

// clock is a settable clock for a store's keys.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func newStore(t *testing.T, h Harness) (blob.Store, *clock) {
	t.Helper()
	c := &clock{t: base}
	return h.New(t, c.Now), c
}

// stream is a reader that is only a reader: no Seek, no ReadAt, no
// WriteTo, so that a store must take it as a stream.
type stream struct{ r io.Reader }

func (s stream) Read(p []byte) (int, error) { return s.r.Read(p) }

// content is n bytes that differ from blob to blob.
func content(seed uint64, n int) []byte {
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(seedBytes(seed)).Read(b)
	return b
}

func seedBytes(seed uint64) [32]byte {
	var s [32]byte
	for i := range 8 {
		s[i] = byte(seed >> (8 * i))
	}
	return s
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func put(t *testing.T, s blob.Store, b []byte) blob.Info {
	t.Helper()
	info, err := s.Put(context.Background(), bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("Put(%d bytes): %v", len(b), err)
	}
	return info
}

// read reads all of Open(key, offset, length).
func read(t *testing.T, s blob.Store, key string, offset, length int64) []byte {
	t.Helper()
	rc, err := s.Open(context.Background(), key, offset, length)
	if err != nil {
		t.Fatalf("Open(%s, %d, %d): %v", key, offset, length, err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("reading Open(%s, %d, %d): %v", key, offset, length, err)
	}
	return b
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Errorf("%s: error %v, want one wrapping %v", what, err, want)
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	s, c := newStore(t, h)
	ctx := context.Background()
	readers := []struct {
		name string
		r    func(b []byte) (io.Reader, int64)
	}{
		{"seekable", func(b []byte) (io.Reader, int64) { return bytes.NewReader(b), int64(len(b)) }},
		{"stream", func(b []byte) (io.Reader, int64) { return stream{bytes.NewReader(b)}, int64(len(b)) }},
		{"unknown size", func(b []byte) (io.Reader, int64) { return stream{bytes.NewReader(b)}, -1 }},
		{"one byte at a time", func(b []byte) (io.Reader, int64) { return iotest.OneByteReader(bytes.NewReader(b)), -1 }},
	}
	for i, n := range []int{0, 1, 1000, 100 << 10, 1<<20 + 1} {
		for j, rd := range readers {
			if n > 1000 && rd.name == "one byte at a time" {
				continue
			}
			t.Run(fmt.Sprintf("%d/%s", n, rd.name), func(t *testing.T) {
				b := content(uint64(i*10+j), n)
				at := base.Add(time.Duration(i*10+j) * time.Second)
				c.Set(at)
				r, size := rd.r(b)
				info, err := s.Put(ctx, r, size)
				if err != nil {
					t.Fatalf("Put: %v", err)
				}
				want := blob.Info{Key: info.Key, Size: int64(n), SHA256: digest(b)}
				if info != want {
					t.Errorf("Put = %+v, want %+v", info, want)
				}
				if kt, ok := blob.KeyTime(info.Key); !ok || !kt.Equal(at) {
					t.Errorf("KeyTime(%q) = %v, %v; want %v, true", info.Key, kt, ok, at)
				}
				if got, err := s.Stat(ctx, info.Key); err != nil || got != want {
					t.Errorf("Stat = %+v, %v; want %+v", got, err, want)
				}
				if got := read(t, s, info.Key, 0, -1); !bytes.Equal(got, b) {
					t.Errorf("Open(0, -1) read %d bytes (sha256 %s), want %d (%s)", len(got), digest(got), n, want.SHA256)
				}
			})
		}
	}
}

// sampler is a generated stream that samples the Go heap as it is read.
type sampler struct {
	r         io.Reader
	next, n   int64
	baseline  uint64
	peak      uint64
	samples   int
	sampleGap int64
}

func newSampler(seed uint64, n int64) *sampler {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return &sampler{r: io.LimitReader(rand.NewChaCha8(seedBytes(seed)), n), baseline: m.HeapAlloc, sampleGap: 1 << 20, next: 1 << 20}
}

func (s *sampler) Read(p []byte) (int, error) {
	// Small reads, so that a store that asks for a whole part at once is
	// still sampled every MiB.
	n, err := s.r.Read(p[:min(len(p), 64<<10)])
	s.n += int64(n)
	if s.n >= s.next || err != nil {
		s.sample()
		s.next += s.sampleGap
	}
	return n, err
}

func (s *sampler) sample() {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s.peak = max(s.peak, m.HeapAlloc)
	s.samples++
}

// growth is the largest growth of the heap seen over the baseline.
func (s *sampler) growth() uint64 {
	if s.peak < s.baseline {
		return 0
	}
	return s.peak - s.baseline
}

func testLarge(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	ctx := context.Background()
	n := h.Large
	want := func() string {
		d := sha256.New()
		_, _ = io.Copy(d, io.LimitReader(rand.NewChaCha8(seedBytes(7)), n))
		return hex.EncodeToString(d.Sum(nil))
	}()
	for _, size := range []int64{n, -1} {
		t.Run(fmt.Sprintf("size %d", size), func(t *testing.T) {
			src := newSampler(7, n)
			info, err := s.Put(ctx, src, size)
			src.sample()
			if err != nil {
				t.Fatalf("Put(%d-byte stream, size %d): %v", n, size, err)
			}
			t.Logf("Put of %d MiB (size %d): the Go heap grew by at most %.1f MiB (%d samples)",
				n>>20, size, float64(src.growth())/(1<<20), src.samples)
			if h.MaxPutHeap > 0 && src.growth() > h.MaxPutHeap {
				t.Errorf("Put of a %d-byte stream grew the heap by %d bytes, want at most %d", n, src.growth(), h.MaxPutHeap)
			}
			if info.Size != n || info.SHA256 != want {
				t.Errorf("Put = %+v, want size %d, sha256 %s", info, n, want)
			}
			rc, err := s.Open(ctx, info.Key, 0, -1)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer rc.Close()
			d := sha256.New()
			got, err := io.Copy(d, rc)
			if err != nil || got != n || hex.EncodeToString(d.Sum(nil)) != want {
				t.Errorf("read back %d bytes, sha256 %x, err %v; want %d, %s", got, d.Sum(nil), err, n, want)
			}
			// The middle, across whatever chunks or parts the store cut.
			mid := n/2 - 3
			part := read(t, s, info.Key, mid, 1<<20+7)
			whole := make([]byte, mid+1<<20+7)
			_, _ = io.ReadFull(rand.NewChaCha8(seedBytes(7)), whole)
			if !bytes.Equal(part, whole[mid:]) {
				t.Errorf("Open(%d, %d) read %d bytes that differ from the blob's", mid, 1<<20+7, len(part))
			}
		})
	}
}

func testRanges(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	ctx := context.Background()
	const n = 10000
	b := content(1, n)
	key := put(t, s, b).Key
	for _, tc := range []struct{ offset, length, from, to int64 }{
		{0, -1, 0, n},
		{0, n, 0, n},
		{0, 2 * n, 0, n},
		{0, 1, 0, 1},
		{1, 1, 1, 2},
		{n - 1, 1, n - 1, n},
		{n - 1, -1, n - 1, n},
		{n - 1, 100, n - 1, n},
		{5000, 100, 5000, 5100},
		{123, 4567, 123, 4690},
		{4000, 0, 4000, 4000},
	} {
		if got := read(t, s, key, tc.offset, tc.length); !bytes.Equal(got, b[tc.from:tc.to]) {
			t.Errorf("Open(%d, %d) read %d bytes, want bytes [%d, %d)", tc.offset, tc.length, len(got), tc.from, tc.to)
		}
	}
	for _, tc := range []struct{ offset, length int64 }{{n, -1}, {n, 1}, {2 * n, 5}, {-1, 5}, {0, -2}} {
		_, err := s.Open(ctx, key, tc.offset, tc.length)
		wantErr(t, fmt.Sprintf("Open(%d, %d) of %d bytes", tc.offset, tc.length, n), err, signing.ErrInvalid)
	}
	empty := put(t, s, nil).Key
	for _, length := range []int64{-1, 0, 10} {
		if got := read(t, s, empty, 0, length); len(got) != 0 {
			t.Errorf("Open(0, %d) of an empty blob read %d bytes", length, len(got))
		}
	}
	// A reader read in small steps, and closed early.
	rc, err := s.Open(ctx, key, 10, 1000)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(iotest.OneByteReader(io.LimitReader(rc, 7)))
	if err != nil || !bytes.Equal(got, b[10:17]) {
		t.Errorf("7 bytes read one at a time = %v, %v; want %v", got, err, b[10:17])
	}
	if err := rc.Close(); err != nil {
		t.Errorf("Close after a partial read: %v", err)
	}
}

func testNotFound(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	ctx := context.Background()
	for _, key := range []string{blob.NewKey(base), "", "../../etc/passwd", "not-a-key", "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b"} {
		_, err := s.Stat(ctx, key)
		wantErr(t, fmt.Sprintf("Stat(%q)", key), err, signing.ErrNotFound)
		_, err = s.Open(ctx, key, 0, -1)
		wantErr(t, fmt.Sprintf("Open(%q)", key), err, signing.ErrNotFound)
		if err := s.Delete(ctx, key); err != nil {
			t.Errorf("Delete(%q) of nothing: %v", key, err)
		}
	}
	info := put(t, s, content(2, 300<<10))
	other := put(t, s, content(3, 10))
	for range 2 {
		if err := s.Delete(ctx, info.Key); err != nil {
			t.Errorf("Delete(%s): %v", info.Key, err)
		}
	}
	_, err := s.Stat(ctx, info.Key)
	wantErr(t, "Stat after Delete", err, signing.ErrNotFound)
	_, err = s.Open(ctx, info.Key, 0, -1)
	wantErr(t, "Open after Delete", err, signing.ErrNotFound)
	if got, err := s.Stat(ctx, other.Key); err != nil || got != other {
		t.Errorf("Stat of another blob after Delete = %+v, %v; want %+v", got, err, other)
	}
}

// failing yields n bytes, then fails with err.
func failing(n int, err error) io.Reader {
	return io.MultiReader(bytes.NewReader(content(4, n)), iotest.ErrReader(err))
}

func testWrongSize(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	ctx := context.Background()
	broke := errors.New("client went away")
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
		want error
	}{
		{"short seekable", bytes.NewReader(content(5, 10)), 20, signing.ErrInvalid},
		{"long seekable", bytes.NewReader(content(5, 30)), 20, signing.ErrInvalid},
		{"short stream", stream{bytes.NewReader(content(5, 10))}, 20, signing.ErrInvalid},
		{"long stream", stream{bytes.NewReader(content(5, 30))}, 20, signing.ErrInvalid},
		{"long large stream", stream{bytes.NewReader(content(5, 600<<10))}, 300 << 10, signing.ErrInvalid},
		{"failing stream", failing(100, broke), 1000, broke},
		{"failing large stream", failing(700<<10, broke), -1, broke},
		{"failing after 2 MiB", failing(2<<20, broke), -1, broke},
	} {
		_, err := s.Put(ctx, tc.r, tc.size)
		wantErr(t, "Put("+tc.name+")", err, tc.want)
		if errors.Is(err, signing.ErrUnavailable) {
			t.Errorf("Put(%s): %v is not the backend's failure", tc.name, err)
		}
		if tc.want == broke && !blob.IsReaderError(err) {
			t.Errorf("Put(%s): IsReaderError(%v) = false", tc.name, err)
		}
	}
	if keys, err := s.List(ctx, "", 100); err != nil || len(keys) != 0 {
		t.Errorf("after failed Puts, List = %v, %v; want none left behind", keys, err)
	}
}

func testConcurrent(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	ctx := context.Background()
	const n = 16
	infos := make([]blob.Info, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			b := content(uint64(100+i), 100<<10+i)
			var r io.Reader = bytes.NewReader(b)
			if i%2 == 1 {
				r = stream{r}
			}
			info, err := s.Put(ctx, r, int64(len(b)))
			if err != nil {
				t.Errorf("Put %d: %v", i, err)
				return
			}
			infos[i] = info
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i, info := range infos {
		if info.Key == "" {
			continue
		}
		if seen[info.Key] {
			t.Errorf("two Puts got key %s", info.Key)
		}
		seen[info.Key] = true
		b := content(uint64(100+i), 100<<10+i)
		if info.SHA256 != digest(b) || !bytes.Equal(read(t, s, info.Key, 0, -1), b) {
			t.Errorf("blob %d (%s) does not read back as written", i, info.Key)
		}
	}
}

func testList(t *testing.T, h Harness) {
	s, c := newStore(t, h)
	ctx := context.Background()
	var keys []string
	for i := range 5 {
		c.Set(base.Add(time.Duration(i) * time.Minute))
		keys = append(keys, put(t, s, content(uint64(200+i), 10)).Key)
	}
	for _, tc := range []struct {
		after string
		limit int
		want  []string
	}{
		{"", 100, keys},
		{"", 2, keys[:2]},
		{keys[1], 2, keys[2:4]},
		{keys[4], 10, nil},
		{blob.Bound(base.Add(2 * time.Minute)), 10, keys[2:]},
		{blob.Bound(base.Add(2*time.Minute + time.Millisecond)), 10, keys[3:]},
	} {
		got, err := s.List(ctx, tc.after, tc.limit)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("List(%q, %d) = %v, %v; want %v", tc.after, tc.limit, got, err, tc.want)
		}
	}
}

// refs is a Referrer over a set of keys.
type refs map[string]bool

func (r refs) ReferencedBlobs(_ context.Context, keys []string) ([]string, error) {
	var live []string
	for _, k := range keys {
		if r[k] {
			live = append(live, k)
		}
	}
	return live, nil
}

func testSweep(t *testing.T, h Harness) {
	s, c := newStore(t, h)
	ctx := context.Background()
	var in []blob.Info
	for i := range 5 {
		c.Set(base.Add(time.Duration(i) * time.Second))
		in = append(in, put(t, s, content(uint64(300+i), 1000)))
	}
	c.Set(base.Add(-2 * time.Hour))
	before := put(t, s, content(310, 10))
	c.Set(base.Add(2 * time.Hour))
	after := put(t, s, content(311, 10))
	named := refs{in[0].Key: true, in[3].Key: true}

	sw := &blob.Sweeper{Store: s, Refs: named, Page: 2}
	n, err := sw.Sweep(ctx, base.Add(-time.Hour), base.Add(time.Hour))
	if err != nil || n != 3 {
		t.Errorf("Sweep = %d, %v; want 3 deleted", n, err)
	}
	for _, tc := range []struct {
		info blob.Info
		live bool
	}{{in[0], true}, {in[1], false}, {in[2], false}, {in[3], true}, {in[4], false}, {before, true}, {after, true}} {
		_, err := s.Stat(ctx, tc.info.Key)
		if live := err == nil; live != tc.live {
			t.Errorf("after Sweep, Stat(%s) = %v; want live %v", tc.info.Key, err, tc.live)
		}
	}
	if n, err := sw.Sweep(ctx, base.Add(-time.Hour), base.Add(time.Hour)); err != nil || n != 0 {
		t.Errorf("second Sweep = %d, %v; want 0", n, err)
	}
	// From the start of time to now: the rest of the orphans.
	if n, err := sw.Sweep(ctx, time.Time{}, base.Add(3*time.Hour)); err != nil || n != 2 {
		t.Errorf("Sweep of all = %d, %v; want 2", n, err)
	}
}

func testServe(t *testing.T, h Harness) {
	s, _ := newStore(t, h)
	b := content(400, 5000)
	info := put(t, s, b)
	etag := `"` + info.SHA256 + `"`
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		body   []byte
	}{
		{"whole", nil, http.StatusOK, b},
		{"range", http.Header{"Range": {"bytes=100-199"}}, http.StatusPartialContent, b[100:200]},
		{"suffix", http.Header{"Range": {"bytes=-10"}}, http.StatusPartialContent, b[4990:]},
		{"not modified", http.Header{"If-None-Match": {etag}}, http.StatusNotModified, nil},
		{"unsatisfiable", http.Header{"Range": {"bytes=5000-"}}, http.StatusRequestedRangeNotSatisfiable, nil},
	} {
		req := httptest.NewRequest(http.MethodGet, "/doc", nil)
		for k, v := range tc.header {
			req.Header[k] = v
		}
		w := httptest.NewRecorder()
		if err := blob.Serve(w, req, s, info); err != nil {
			t.Errorf("%s: Serve: %v", tc.name, err)
			continue
		}
		if w.Code != tc.status || !bytes.Equal(w.Body.Bytes(), tc.body) || w.Header().Get("ETag") != etag {
			t.Errorf("%s: %d with %d bytes, ETag %s; want %d with %d bytes, ETag %s",
				tc.name, w.Code, w.Body.Len(), w.Header().Get("ETag"), tc.status, len(tc.body), etag)
		}
	}
	gone := info
	gone.Key = blob.NewKey(base)
	w := httptest.NewRecorder()
	err := blob.Serve(w, httptest.NewRequest(http.MethodGet, "/doc", nil), s, gone)
	wantErr(t, "Serve of a missing blob", err, signing.ErrNotFound)
	if len(w.Header()) > 0 || w.Body.Len() > 0 {
		t.Errorf("Serve of a missing blob set %v and wrote %d bytes; want w untouched", w.Header(), w.Body.Len())
	}
}

func testDown(t *testing.T, h Harness) {
	if h.Down == nil {
		t.Skip("no way to take this backend down")
	}
	s := h.Down(t)
	ctx := context.Background()
	key := blob.NewKey(base)
	_, err := s.Put(ctx, bytes.NewReader(content(500, 1000)), 1000)
	wantErr(t, "Put (seekable)", err, signing.ErrUnavailable)
	_, err = s.Put(ctx, stream{bytes.NewReader(content(500, 1000))}, 1000)
	wantErr(t, "Put (stream)", err, signing.ErrUnavailable)
	_, err = s.Put(ctx, stream{bytes.NewReader(content(500, 2<<20))}, -1)
	wantErr(t, "Put (unknown size)", err, signing.ErrUnavailable)
	_, err = s.Stat(ctx, key)
	wantErr(t, "Stat", err, signing.ErrUnavailable)
	_, err = s.Open(ctx, key, 0, -1)
	wantErr(t, "Open", err, signing.ErrUnavailable)
	wantErr(t, "Delete", s.Delete(ctx, key), signing.ErrUnavailable)
	_, err = s.List(ctx, "", 10)
	wantErr(t, "List", err, signing.ErrUnavailable)
}
