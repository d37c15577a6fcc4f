package pdf

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// hostileCase is a committed hostile file, or a fresh build of it.
type hostileCase struct {
	name  string
	limit string // as in hostileFiles
	in    []byte
}

func hostileCases(t *testing.T) []hostileCase {
	t.Helper()
	var cases []hostileCase
	for _, h := range hostileFiles() {
		b, err := os.ReadFile(filepath.Join(hostileDir, h.name))
		if err != nil {
			t.Fatalf("%v (run TestHostileFixtures with -update)", err)
		}
		cases = append(cases, hostileCase{h.name, h.limit, b})
	}
	return cases
}

// wantHostileError checks err against what the case expects.
func wantHostileError(t *testing.T, op string, h hostileCase, err error) {
	t.Helper()
	var le *LimitError
	switch h.limit {
	case "ok":
		if err != nil {
			t.Errorf("%s(%s) error = %v, want success", op, h.name, err)
		}
	case "":
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s(%s) error = %v, want ErrMalformed", op, h.name, err)
		}
	default:
		if !errors.As(err, &le) || le.Limit != h.limit {
			t.Errorf("%s(%s) error = %v, want a LimitError for %q", op, h.name, err, h.limit)
		}
	}
}

// TestHostile checks that every operation refuses each hostile file with
// the right error, and reports (without asserting) how long that takes.
func TestHostile(t *testing.T) {
	for _, h := range hostileCases(t) {
		t.Run(h.name, func(t *testing.T) {
			start := time.Now()
			info, err := Validate(h.in)
			t.Logf("Validate: %v in %v", err, time.Since(start).Round(time.Microsecond))
			wantHostileError(t, "Validate", h, err)
			if err != nil {
				if info != (Info{}) {
					t.Errorf("Validate() info = %+v on error, want zero", info)
				}
				if msg := err.Error(); strings.ContainsAny(msg, "\r\n") || len(msg) > maxErrDetail+50 {
					t.Errorf("error message is not a short single line: %q", msg)
				}
			}
			_, err = Stamp(h.in, "Signed by Hostile")
			wantHostileError(t, "Stamp", h, err)
			_, err = AppendPage(h.in, []string{"audit"})
			wantHostileError(t, "AppendPage", h, err)
			_, err = Attach(h.in, "sig.xml", []byte("<x/>"))
			wantHostileError(t, "Attach", h, err)
		})
	}
}

// TestHostileGenerator checks that the generator still builds files that
// fail as the committed ones do.
func TestHostileGenerator(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every hostile file")
	}
	for _, h := range hostileFiles() {
		_, err := Validate(h.build())
		wantHostileError(t, "Validate", hostileCase{h.name, h.limit, nil}, err)
	}
}

// allocated returns the bytes f allocates (on all goroutines: the tests
// of this package do not run in parallel).
func allocated(f func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	f()
	runtime.ReadMemStats(&m1)
	return m1.TotalAlloc - m0.TotalAlloc
}

// TestHostileMemory checks that refusing a bomb costs little memory:
// content is counted as it inflates, never held, and tables are never
// allocated for what a file merely claims.
func TestHostileMemory(t *testing.T) {
	bound := map[string]uint64{
		"flate-bomb.pdf":           1 << 20,
		"flate-bomb-one-layer.pdf": 1 << 20,
		"shared-content-bomb.pdf":  4 << 20,
		"object-bomb.pdf":          1 << 20,
		// An object stream is held while it is read: up to MaxStreamBytes,
		// doubled while it grows.
		"object-stream-bomb.pdf": 2*defaultMaxStreamBytes + 4<<20,
		"deep-arrays.pdf":        1 << 20,
		"deep-dicts.pdf":         1 << 20,
		"pages-20000.pdf":        16 << 20,
	}
	for _, h := range hostileCases(t) {
		max, ok := bound[h.name]
		if !ok {
			continue
		}
		for _, op := range []struct {
			name string
			f    func() error
		}{
			{"Validate", func() error { _, err := Validate(h.in); return err }},
			{"Stamp", func() error { _, err := Stamp(h.in, "x"); return err }},
		} {
			var err error
			got := allocated(func() { err = op.f() })
			if err == nil {
				t.Fatalf("%s(%s) succeeded", op.name, h.name)
			}
			if got > max {
				t.Errorf("%s(%s) allocated %d bytes, want at most %d", op.name, h.name, got, max)
			}
		}
	}
}

func TestLimitErrorMessages(t *testing.T) {
	for _, tt := range []struct {
		err  *LimitError
		want string
	}{
		{&LimitError{Limit: LimitPages, Max: 1000, Got: 20000}, "PDF has 20000 pages; at most 1000 are accepted"},
		{&LimitError{Limit: LimitPages, Max: 1000, Got: 1001}, "PDF has more than 1000 pages; at most 1000 are accepted"},
		{&LimitError{Limit: LimitObjects, Max: 50000, Got: 5000000}, "PDF has 5000000 objects; at most 50000 are accepted"},
		{&LimitError{Limit: LimitDecodedBytes, Max: 32 << 20, Got: 32<<20 + 1}, "PDF content decompresses to more than 32 MiB; at most 32 MiB is accepted"},
		{&LimitError{Limit: LimitDecodedBytes, Max: 1536 << 10, Got: 3 << 30}, "PDF content decompresses to 3 GiB; at most 1.5 MiB is accepted"},
		{&LimitError{Limit: LimitStreamBytes, Max: 8 << 20, Got: 8<<20 + 1}, "PDF has an object stream that decompresses to more than 8 MiB; at most 8 MiB is accepted"},
		{&LimitError{Limit: LimitDepth, Max: 64, Got: 65}, "PDF nests objects more than 64 levels deep; at most 64 levels are accepted"},
		{&LimitError{Limit: LimitPageTreeDepth, Max: 32, Got: 33}, "PDF page tree is more than 32 levels deep; at most 32 levels are accepted"},
		{&LimitError{Limit: LimitTime, Max: int64(10 * time.Second)}, "PDF takes longer than 10s to process, the time allowed"},
		{&LimitError{Limit: "widgets", Max: 3}, "PDF exceeds the widgets limit of 3"},
	} {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

func TestByteSize(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 bytes"}, {1023, "1023 bytes"}, {1024, "1 KiB"}, {1536, "1.5 KiB"},
		{64 << 20, "64 MiB"}, {1 << 30, "1 GiB"}, {5 << 40, "5 TiB"}, {5 << 50, "5120 TiB"},
	} {
		if got := byteSize(tt.n); got != tt.want {
			t.Errorf("byteSize(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestLimitsDefaults(t *testing.T) {
	d := DefaultLimits()
	if got := (Limits{}).withDefaults(); got != d {
		t.Errorf("Limits{}.withDefaults() = %+v, want %+v", got, d)
	}
	l := Limits{MaxPages: 5, Timeout: -1, MaxDecodedBytes: 1 << 20}.withDefaults()
	want := d
	want.MaxPages, want.MaxDecodedBytes, want.MaxStreamBytes = 5, 1<<20, 1<<20
	if l != want {
		t.Errorf("withDefaults() = %+v, want %+v (one field set, the stream limit capped by the total)", l, want)
	}
}

// TestLimitsConfigurable checks that each limit can be raised and
// lowered, and that the same document passes or fails accordingly.
func TestLimitsConfigurable(t *testing.T) {
	ctx := context.Background()
	deep := writeTestPDF(append(onePage("/Nest [[[[[[1]]]]]]"), streamObj("<< >>", nil)), testLayout{})
	content := writeTestPDF(append(onePage(""), streamObj("<< /Filter /FlateDecode >>", zeros(3<<20, 1))), testLayout{})
	for _, tt := range []struct {
		name      string
		in        []byte
		ok, tight Limits
		limit     string
		// rewrite: the document is also beyond tight.Signed(), under
		// which rewrites check their input.
		rewrite bool
	}{
		{"pages", Sample(1200, "x"), Limits{MaxPages: 1200}, Limits{}, LimitPages, true},
		{"pages, lowered", Sample(3, "x"), Limits{}, Limits{MaxPages: 2}, LimitPages, false},
		{"objects", Sample(20, "x"), Limits{}, Limits{MaxObjects: 20}, LimitObjects, false},
		{"decoded bytes", content, Limits{MaxDecodedBytes: 4 << 20}, Limits{MaxDecodedBytes: 2 << 20}, LimitDecodedBytes, true},
		{"stream bytes", manyObjects(2000), Limits{}, Limits{MaxStreamBytes: 4 << 10}, LimitStreamBytes, true},
		{"nesting depth", deep, Limits{MaxDepth: 7}, Limits{MaxDepth: 6}, LimitDepth, true},
		{"time", Sample(100, "x"), Limits{}, Limits{Timeout: time.Nanosecond}, LimitTime, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.ok.Validate(ctx, tt.in); err != nil {
				t.Fatalf("Validate under %+v: %v", tt.ok, err)
			}
			_, err := tt.tight.Validate(ctx, tt.in)
			var le *LimitError
			if !errors.As(err, &le) || le.Limit != tt.limit {
				t.Fatalf("Validate under %+v: error = %v, want LimitError %q", tt.tight, err, tt.limit)
			}
			_, err = tt.tight.Stamp(ctx, tt.in, "x")
			if tt.rewrite && (!errors.As(err, &le) || le.Limit != tt.limit) {
				t.Errorf("Stamp under %+v: error = %v, want LimitError %q", tt.tight, err, tt.limit)
			}
			if !tt.rewrite && err != nil {
				t.Errorf("Stamp under %+v, within its Signed(): %v", tt.tight, err)
			}
		})
	}
}

func TestPageTreeDepthLimit(t *testing.T) {
	// Sample has a root and pages: one level of inner nodes.
	_, err := Limits{MaxPageTreeDepth: 1}.Validate(context.Background(), Sample(2, "x"))
	if err != nil {
		t.Fatalf("depth 1: %v", err)
	}
	in := writeTestPDF([]testObj{
		catalog,
		dictObj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>"),
		dictObj("<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>"),
		dictObj("<< /Type /Page /Parent 3 0 R >>"),
	}, testLayout{})
	_, err = Limits{MaxPageTreeDepth: 1}.Validate(context.Background(), in)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitPageTreeDepth {
		t.Fatalf("depth 2 under 1: error = %v, want LimitError %q", err, LimitPageTreeDepth)
	}
	if _, err := (Limits{MaxPageTreeDepth: 2}).Validate(context.Background(), in); err != nil {
		t.Fatalf("depth 2 under 2: %v", err)
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	in := Sample(100, "x")
	if _, err := DefaultLimits().Validate(ctx, in); !errors.Is(err, context.Canceled) {
		t.Errorf("Validate(canceled) error = %v, want context.Canceled", err)
	}
	if _, err := DefaultLimits().Stamp(ctx, in, "x"); !errors.Is(err, context.Canceled) {
		t.Errorf("Stamp(canceled) error = %v, want context.Canceled", err)
	}
}

// TestSignedAtTheLimits signs a document right at the page limit the way
// the simulators and BankID do (a stamp, then an audit page): the result
// is one page over l, and within l.Signed().
func TestSignedAtTheLimits(t *testing.T) {
	l := Limits{MaxPages: 3}
	ctx := context.Background()
	stamped, err := l.Stamp(ctx, Sample(3, "x"), signedBy)
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.AppendPage(ctx, stamped, []string{"audit"})
	if err != nil {
		t.Fatal(err)
	}
	var le *LimitError
	if _, err := l.Validate(ctx, out); !errors.As(err, &le) || le.Limit != LimitPages {
		t.Errorf("Validate(4 pages) under MaxPages 3: error = %v, want a pages LimitError", err)
	}
	if info, err := l.Signed().Validate(ctx, out); err != nil || info.Pages != 4 {
		t.Errorf("Validate(4 pages) under Signed() = %+v, %v; want 4 pages", info, err)
	}
	// BankID attaches its signature to the document with its audit page.
	if _, err := l.Attach(ctx, out, "signature.xml", []byte("<x/>")); err != nil {
		t.Errorf("Attach(4 pages) under MaxPages 3: %v", err)
	}
	if _, err := l.AppendPage(ctx, Sample(l.Signed().MaxPages+1, "x"), []string{"audit"}); !errors.As(err, &le) || le.Limit != LimitPages {
		t.Errorf("AppendPage beyond Signed(): error = %v, want a pages LimitError", err)
	}
	d := DefaultLimits()
	if s := d.Signed(); s.MaxPages <= d.MaxPages || s.MaxObjects <= d.MaxObjects || s.MaxDecodedBytes <= d.MaxDecodedBytes {
		t.Errorf("Signed() = %+v gives no room over %+v", s, d)
	}
}

// TestStampAtLimits stamps documents at the default limits and checks
// that each succeeds and that its peak heap stays within what the
// rewrite gate reserves for it. Times are logged, not asserted.
func TestStampAtLimits(t *testing.T) {
	if testing.Short() {
		t.Skip("stamps 1000-page documents")
	}
	for _, c := range atLimitsCases() {
		t.Run(c.name, func(t *testing.T) {
			in := c.build()
			info, err := Validate(in)
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			// The time limit is its own test; here a slow machine (two
			// cores under -race) must not fail what is about memory.
			l := DefaultLimits()
			l.Timeout = 10 * time.Minute
			var out []byte
			peak, total, d := measure(func() { out, err = l.Stamp(context.Background(), in, signedBy) })
			if err != nil {
				t.Fatalf("Stamp: %v", err)
			}
			t.Logf("%d pages, %d bytes: Stamp peak heap %d MiB, allocated %d MiB, %v",
				info.Pages, len(in), peak>>20, total>>20, d.Round(time.Millisecond))
			if peak > rewriteMemory+32<<20 {
				t.Errorf("Stamp peak heap %d MiB, want at most %d MiB", peak>>20, (rewriteMemory+32<<20)>>20)
			}
			mustValidate(t, out, info.Pages)
		})
	}
}

// measure returns f's peak heap (sampled every half millisecond, above
// the heap before), its allocations and its duration.
func measure(f func()) (peak, total uint64, d time.Duration) {
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)
	stop := make(chan struct{})
	done := make(chan uint64)
	go func() {
		var max uint64
		var m runtime.MemStats
		for {
			select {
			case <-stop:
				done <- max
				return
			case <-time.After(500 * time.Microsecond):
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > base.HeapAlloc && m.HeapAlloc-base.HeapAlloc > max {
					max = m.HeapAlloc - base.HeapAlloc
				}
			}
		}
	}()
	start := time.Now()
	f()
	d = time.Since(start)
	close(stop)
	peak = <-done
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	return peak, after.TotalAlloc - base.TotalAlloc, d
}

// atLimitsCases are documents just within the default limits.
func atLimitsCases() []struct {
	name  string
	build func() []byte
} {
	return []struct {
		name  string
		build func() []byte
	}{
		{"1000 pages of 30 KiB content", func() []byte { return textPDF(1000, 30<<10, 0) }},
		{"1000 pages and 46000 objects", func() []byte { return textPDF(1000, 1<<10, 46000) }},
		{"100 pages of 300 KiB content", func() []byte { return textPDF(100, 300<<10, 0) }},
	}
}

// textPDF returns a PDF of pages pages, each with about perPage bytes of
// (deflated) text content, and extra objects referenced from the catalog.
func textPDF(pages, perPage, extra int) []byte {
	objs := []testObj{dictObj("<< /Type /Catalog /Pages 2 0 R /Extra 3 0 R >>"), {}, {},
		dictObj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")}
	var kids, cs strings.Builder
	for i := range pages {
		cs.Reset()
		cs.WriteString("BT /F1 10 Tf 14 TL 56 800 Td\n")
		for k := 0; cs.Len() < perPage; k++ {
			fmt.Fprintf(&cs, "%s '\n", textString(fmt.Sprintf("%d.%d %s", i+1, k+1, clauseTexts[k%len(clauseTexts)])))
		}
		cs.WriteString("ET\n")
		page := len(objs) + 1
		fmt.Fprintf(&kids, "%s ", ref(page))
		objs = append(objs,
			dictObj("<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents %s >>", ref(page+1)),
			streamObj("<< /Filter /FlateDecode >>", deflate([]byte(cs.String()))))
	}
	objs[1] = dictObj("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids.String(), pages)
	var list strings.Builder
	for i := range extra {
		fmt.Fprintf(&list, "%s ", ref(len(objs)+1+i))
	}
	objs[2] = dictObj("[%s]", list.String())
	for i := range extra {
		objs = append(objs, dictObj("<< /N %d /S (object %d) >>", i, i))
	}
	return writeTestPDF(objs, testLayout{compressed: true})
}

func ref(n int) string { return fmt.Sprintf("%d 0 R", n) }

// TestRewritesQueue checks that a rewrite waits for memory that others
// hold, for as long as its caller lets it.
func TestRewritesQueue(t *testing.T) {
	if err := rewrites.Acquire(context.Background(), rewriteMemory); err != nil {
		t.Fatal(err)
	}
	in := Sample(2, "x")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := DefaultLimits().Stamp(ctx, in, "x"); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Stamp while the memory is taken: error = %v, want the caller's deadline", err)
	}
	// Validate needs no rewrite memory.
	if _, err := Validate(in); err != nil {
		t.Errorf("Validate while the memory is taken: %v", err)
	}
	// A rewrite that waits starts its Timeout once it runs.
	done := make(chan error)
	go func() {
		_, err := Limits{Timeout: time.Second}.Stamp(context.Background(), in, "x")
		done <- err
	}()
	time.Sleep(1500 * time.Millisecond)
	rewrites.Release(rewriteMemory)
	if err := <-done; err != nil {
		t.Errorf("Stamp after waiting longer than its Timeout: %v", err)
	}
}
