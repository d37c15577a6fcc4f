package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func TestKeys(t *testing.T) {
	times := []time.Time{
		time.Unix(0, 0),
		time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 1, 12, 0, 0, int(time.Millisecond), time.UTC),
		time.Date(2025, 6, 1, 12, 0, 1, 0, time.UTC),
		time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC),
	}
	var keys []string
	for _, at := range times {
		k := NewKey(at)
		if got, ok := KeyTime(k); !ok || !got.Equal(at) {
			t.Errorf("KeyTime(NewKey(%v)) = %v, %v", at, got, ok)
		}
		if len(k) != 36 || strings.ToLower(k) != k || k[14] != '7' {
			t.Errorf("NewKey(%v) = %q, want a lowercase UUIDv7", at, k)
		}
		if b := Bound(at); !(b < k) || !strings.HasPrefix(k, b) {
			t.Errorf("Bound(%v) = %q, want a prefix of %q", at, b, k)
		}
		keys = append(keys, k)
	}
	if !slices.IsSorted(keys) {
		t.Errorf("keys made in time order do not sort in it: %v", keys)
	}
	for i := 1; i < len(times); i++ {
		if !(keys[i-1] < Bound(times[i])) {
			t.Errorf("key made at %v does not sort before Bound(%v)", times[i-1], times[i])
		}
	}
	if a, b := NewKey(times[1]), NewKey(times[1]); a == b {
		t.Errorf("two keys of one millisecond are both %s", a)
	}
	for _, k := range []string{"", "x", "0190a1b2-c3d4-4e5f-8a6b-7c8d9e0f1a2b", "0190A1B2-C3D4-7E5F-8A6B-7C8D9E0F1A2B",
		"{0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b}", "urn:uuid:0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b", "0190a1b2c3d47e5f8a6b7c8d9e0f1a2b",
		"0190a1b2-c3d4-7e5f-cа6b-7c8d9e0f1a2b", "0190a1b2-c3d4-7e5f-0a6b-7c8d9e0f1a2b"} {
		if ValidKey(k) {
			t.Errorf("ValidKey(%q) = true", k)
		}
	}
	if k := "0190a1b2-c3d4-7e5f-8a6b-7c8d9e0f1a2b"; !ValidKey(k) {
		t.Errorf("ValidKey(%q) = false", k)
	}
}

func TestDigest(t *testing.T) {
	b := []byte(strings.Repeat("signet", 1000))
	sum := sha256.Sum256(b)
	broke := errors.New("broke")
	for _, tc := range []struct {
		name string
		r    io.Reader
		size int64
		want error
	}{
		{"exact", bytes.NewReader(b), int64(len(b)), nil},
		{"unknown", iotest.HalfReader(bytes.NewReader(b)), -1, nil},
		{"short", bytes.NewReader(b), int64(len(b)) + 1, ErrSize},
		{"long", bytes.NewReader(b), int64(len(b)) - 1, ErrSize},
		{"failing", io.MultiReader(bytes.NewReader(b), iotest.ErrReader(broke)), -1, broke},
		{"data with EOF", iotest.DataErrReader(bytes.NewReader(b)), int64(len(b)), nil},
	} {
		d := NewDigest(tc.r, tc.size)
		err := d.Finish()
		if !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
			t.Errorf("%s: Finish = %v, want %v", tc.name, err, tc.want)
		}
		if !errors.Is(d.Err(), tc.want) {
			t.Errorf("%s: Err = %v, want %v", tc.name, d.Err(), tc.want)
		}
		if tc.want == broke && !IsReaderError(err) {
			t.Errorf("%s: IsReaderError(%v) = false", tc.name, err)
		}
		if tc.want == ErrSize && (!errors.Is(err, signing.ErrInvalid) || IsReaderError(err)) {
			t.Errorf("%s: %v is not ErrInvalid, or is a reader error", tc.name, err)
		}
		if tc.want == nil {
			if info := d.Info("k"); info.Size != int64(len(b)) || info.SHA256 != hex.EncodeToString(sum[:]) {
				t.Errorf("%s: Info = %+v, want %d bytes, %x", tc.name, info, len(b), sum)
			}
		}
	}
}

func TestCheckRange(t *testing.T) {
	for _, tc := range []struct {
		size, offset, length int64
		ok                   bool
	}{
		{10, 0, -1, true}, {10, 9, 1, true}, {10, 9, 100, true}, {0, 0, -1, true}, {0, 0, 5, true},
		{10, 10, -1, false}, {10, 11, 1, false}, {10, -1, 1, false}, {10, 0, -2, false}, {0, 1, -1, false},
	} {
		err := CheckRange(tc.size, tc.offset, tc.length)
		if (err == nil) != tc.ok || (err != nil && !errors.Is(err, signing.ErrInvalid)) {
			t.Errorf("CheckRange(%d, %d, %d) = %v, want ok %v", tc.size, tc.offset, tc.length, err, tc.ok)
		}
	}
}

// listStore is the part of a Store that the sweep uses, over a list of
// keys, with failures on demand.
type listStore struct {
	Store
	keys      []string
	deleted   []string
	listErr   error
	deleteErr error
	lists     int
}

func (s *listStore) List(_ context.Context, after string, limit int) ([]string, error) {
	s.lists++
	if s.listErr != nil {
		return nil, s.listErr
	}
	i, _ := slices.BinarySearch(s.keys, after)
	if i < len(s.keys) && s.keys[i] == after {
		i++
	}
	return s.keys[i:min(i+limit, len(s.keys))], nil
}

func (s *listStore) Delete(_ context.Context, key string) error {
	if s.deleteErr != nil {
		return s.deleteErr
	}
	s.deleted = append(s.deleted, key)
	return nil
}

type setRefs struct {
	live  map[string]bool
	err   error
	asked []int
}

func (r *setRefs) ReferencedBlobs(_ context.Context, keys []string) ([]string, error) {
	r.asked = append(r.asked, len(keys))
	if r.err != nil {
		return nil, r.err
	}
	var out []string
	for _, k := range keys {
		if r.live[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

func TestSweep(t *testing.T) {
	t0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var keys []string
	for i := range 10 {
		keys = append(keys, NewKey(t0.Add(time.Duration(i)*time.Minute)))
	}
	keys = append(keys, keys[9][:9]+"not-ours") // sorts among them; never deleted
	slices.Sort(keys)
	ctx := context.Background()

	st := &listStore{keys: keys}
	refs := &setRefs{live: map[string]bool{keys[2]: true}}
	sw := &Sweeper{Store: st, Refs: refs, Page: 3}
	n, err := sw.Sweep(ctx, t0.Add(time.Minute), t0.Add(6*time.Minute))
	if err != nil || n != 4 {
		t.Errorf("Sweep = %d, %v; want 4", n, err)
	}
	var want []string
	for _, k := range keys {
		if kt, ok := KeyTime(k); ok && !kt.Before(t0.Add(time.Minute)) && kt.Before(t0.Add(6*time.Minute)) && k != keys[2] {
			want = append(want, k)
		}
	}
	if !slices.Equal(st.deleted, want) {
		t.Errorf("deleted %v, want %v", st.deleted, want)
	}
	for _, n := range refs.asked {
		if n > 3 {
			t.Errorf("ReferencedBlobs asked about %d keys, more than a page", n)
		}
	}

	for _, tc := range []struct {
		name string
		st   *listStore
		refs *setRefs
	}{
		{"list fails", &listStore{keys: keys, listErr: signing.ErrUnavailable}, &setRefs{}},
		{"refs fail", &listStore{keys: keys}, &setRefs{err: signing.ErrUnavailable}},
		{"delete fails", &listStore{keys: keys, deleteErr: signing.ErrUnavailable}, &setRefs{}},
	} {
		_, err := (&Sweeper{Store: tc.st, Refs: tc.refs}).Sweep(ctx, time.Time{}, t0.Add(time.Hour))
		if !errors.Is(err, signing.ErrUnavailable) {
			t.Errorf("%s: Sweep = %v, want the failure", tc.name, err)
		}
		if tc.name != "delete fails" && len(tc.st.deleted) > 0 {
			t.Errorf("%s: deleted %v anyway", tc.name, tc.st.deleted)
		}
	}
}
