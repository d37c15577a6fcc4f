package blob

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	for _, tc := range []struct {
		h              string
		offset, length int64
		kind           rangeKind
	}{
		{"bytes=0-99", 0, 100, rangeOne},
		{"bytes=100-", 100, 900, rangeOne},
		{"bytes=-100", 900, 100, rangeOne},
		{"bytes=-5000", 0, 1000, rangeOne},
		{"bytes=990-5000", 990, 10, rangeOne},
		{"bytes=999-999", 999, 1, rangeOne},
		{"BYTES=1-2", 1, 2, rangeOne},
		{"bytes= 1-2 ", 1, 2, rangeOne},
		{"bytes=1-2,", 1, 2, rangeOne},
		{"bytes=,1-2", 1, 2, rangeOne},
		{"bytes=5-99999999999999999999", 5, 995, rangeOne},
		{"bytes=1000-", 0, 0, rangeUnsatisfiable},
		{"bytes=1000-2000", 0, 0, rangeUnsatisfiable},
		{"bytes=99999999999999999999-", 0, 0, rangeUnsatisfiable},
		{"bytes=-0", 0, 0, rangeUnsatisfiable},
		{"bytes=0-1,5-6", 0, 0, rangeNone},
		{"bytes=5-3", 0, 0, rangeNone},
		{"bytes=a-3", 0, 0, rangeNone},
		{"bytes=+1-3", 0, 0, rangeNone},
		{"bytes=-", 0, 0, rangeNone},
		{"bytes=", 0, 0, rangeNone},
		{"bytes=1", 0, 0, rangeNone},
		{"bytes=1-2-3", 0, 0, rangeNone},
		{"items=1-2", 0, 0, rangeNone},
		{"bytes 1-2", 0, 0, rangeNone},
		{"", 0, 0, rangeNone},
	} {
		offset, length, kind := parseRange(tc.h, size)
		if offset != tc.offset || length != tc.length || kind != tc.kind {
			t.Errorf("parseRange(%q, %d) = %d, %d, %d; want %d, %d, %d", tc.h, size, offset, length, kind, tc.offset, tc.length, tc.kind)
		}
	}
	for _, h := range []string{"bytes=0-", "bytes=-1", "bytes=0-0"} {
		if _, _, kind := parseRange(h, 0); kind != rangeUnsatisfiable {
			t.Errorf("parseRange(%q, 0) = %d, want unsatisfiable: an empty blob has no bytes to give", h, kind)
		}
	}
}

func TestNoneMatch(t *testing.T) {
	const tag = `"abc"`
	for _, tc := range []struct {
		list string
		want bool
	}{
		{`"abc"`, true},
		{`W/"abc"`, true},
		{`"x", "abc"`, true},
		{`"x" ,  W/"abc" `, true},
		{`*`, true},
		{`"abcd"`, false},
		{`abc`, false},
		{`"x", abc, "abc"`, false}, // malformed from the second entry on
		{`"ab`, false},
		{``, false},
		{`W/`, false},
		{`"a"bc"`, false},
	} {
		if got := noneMatch(tc.list, tag); got != tc.want {
			t.Errorf("noneMatch(%q, %s) = %v, want %v", tc.list, tag, got, tc.want)
		}
	}
}

// memOpener serves blobs from memory and counts what it is asked.
type memOpener struct {
	b     []byte
	err   error
	opens int
	last  [2]int64
}

func (m *memOpener) Open(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	m.opens++
	m.last = [2]int64{offset, length}
	if m.err != nil {
		return nil, m.err
	}
	end := int64(len(m.b))
	if length >= 0 {
		end = min(end, offset+length)
	}
	return io.NopCloser(bytes.NewReader(m.b[offset:end])), nil
}

func infoOf(b []byte) Info {
	s := sha256.Sum256(b)
	return Info{Key: NewKey(time.Now()), Size: int64(len(b)), SHA256: hex.EncodeToString(s[:])}
}

func TestServe(t *testing.T) {
	b := []byte("%PDF-1.7 0123456789abcdefghijklmnopqrstuvwxyz!") // 46 bytes
	n := int64(len(b))
	info := infoOf(b)
	tag := `"` + info.SHA256 + `"`
	for _, tc := range []struct {
		name         string
		method       string
		header       http.Header
		status       int
		body         string
		contentRange string
		opened       [2]int64 // what was asked of the backend; {0, 0}: nothing
	}{
		{"whole", "GET", nil, 200, string(b), "", [2]int64{0, n}},
		{"head", "HEAD", nil, 200, "", "", [2]int64{}},
		{"range", "GET", http.Header{"Range": {"bytes=0-3"}}, 206, "%PDF", "bytes 0-3/46", [2]int64{0, 4}},
		{"open range", "GET", http.Header{"Range": {"bytes=40-"}}, 206, "vwxyz!", "bytes 40-45/46", [2]int64{40, 6}},
		{"suffix", "GET", http.Header{"Range": {"bytes=-3"}}, 206, "yz!", "bytes 43-45/46", [2]int64{43, 3}},
		{"past the end", "GET", http.Header{"Range": {"bytes=46-"}}, 416, "", "bytes */46", [2]int64{}},
		{"two ranges: the whole", "GET", http.Header{"Range": {"bytes=0-1,3-4"}}, 200, string(b), "", [2]int64{0, n}},
		{"two Range lines: the whole", "GET", http.Header{"Range": {"bytes=0-1", "bytes=3-4"}}, 200, string(b), "", [2]int64{0, n}},
		{"malformed: the whole", "GET", http.Header{"Range": {"bytes=3-1"}}, 200, string(b), "", [2]int64{0, n}},
		{"range on HEAD: ignored", "HEAD", http.Header{"Range": {"bytes=0-3"}}, 200, "", "", [2]int64{}},
		{"if-none-match", "GET", http.Header{"If-None-Match": {tag}}, 304, "", "", [2]int64{}},
		{"if-none-match weak", "GET", http.Header{"If-None-Match": {`"x", W/` + tag}}, 304, "", "", [2]int64{}},
		{"if-none-match on a second line", "GET", http.Header{"If-None-Match": {`"x"`, tag}}, 304, "", "", [2]int64{}},
		{"if-none-match *", "HEAD", http.Header{"If-None-Match": {"*"}}, 304, "", "", [2]int64{}},
		{"if-none-match other", "GET", http.Header{"If-None-Match": {`"x"`}}, 200, string(b), "", [2]int64{0, n}},
		{"if-none-match beats range", "GET", http.Header{"If-None-Match": {tag}, "Range": {"bytes=0-3"}}, 304, "", "", [2]int64{}},
		{"if-range match", "GET", http.Header{"If-Range": {tag}, "Range": {"bytes=0-3"}}, 206, "%PDF", "bytes 0-3/46", [2]int64{0, 4}},
		{"if-range other", "GET", http.Header{"If-Range": {`"x"`}, "Range": {"bytes=0-3"}}, 200, string(b), "", [2]int64{0, n}},
		{"if-range weak", "GET", http.Header{"If-Range": {"W/" + tag}, "Range": {"bytes=0-3"}}, 200, string(b), "", [2]int64{0, n}},
		{"if-range date", "GET", http.Header{"If-Range": {"Sat, 01 Jun 2024 10:00:00 GMT"}, "Range": {"bytes=0-3"}}, 200, string(b), "", [2]int64{0, n}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &memOpener{b: b}
			req := httptest.NewRequest(tc.method, "/doc", nil)
			for k, v := range tc.header {
				req.Header[k] = v
			}
			w := httptest.NewRecorder()
			if err := Serve(w, req, o, info); err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if w.Code != tc.status || w.Body.String() != tc.body || w.Header().Get("Content-Range") != tc.contentRange {
				t.Errorf("got %d %q Content-Range %q; want %d %q %q", w.Code, w.Body.String(), w.Header().Get("Content-Range"), tc.status, tc.body, tc.contentRange)
			}
			if got := w.Header().Get("ETag"); got != tag {
				t.Errorf("ETag %q, want %q", got, tag)
			}
			if o.last != tc.opened || (tc.opened == [2]int64{}) != (o.opens == 0) {
				t.Errorf("opened %d times, last %v; want %v", o.opens, o.last, tc.opened)
			}
			switch tc.status {
			case 200, 206:
				want := strconv.FormatInt(max(int64(len(tc.body)), tc.opened[1]), 10)
				if tc.method == "HEAD" {
					want = strconv.FormatInt(n, 10)
				}
				if got := w.Header().Get("Content-Length"); got != want {
					t.Errorf("Content-Length %q, want %q", got, want)
				}
				if got := w.Header().Get("Content-Type"); got != ContentType {
					t.Errorf("Content-Type %q, want %q", got, ContentType)
				}
				if got := w.Header().Get("Accept-Ranges"); got != "bytes" {
					t.Errorf("Accept-Ranges %q, want bytes", got)
				}
			case 304:
				if w.Header().Get("Content-Type") != "" || w.Header().Get("Content-Length") != "" {
					t.Errorf("304 carries Content-Type %q, Content-Length %q", w.Header().Get("Content-Type"), w.Header().Get("Content-Length"))
				}
			}
		})
	}
}

func TestServeKeepsCallersContentType(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Content-Type", "application/octet-stream")
	b := []byte("x")
	if err := Serve(w, httptest.NewRequest("GET", "/", nil), &memOpener{b: b}, infoOf(b)); err != nil {
		t.Fatal(err)
	}
	if got := w.Header().Get("Content-Type"); got != "application/octet-stream" {
		t.Errorf("Content-Type %q, want the caller's", got)
	}
}

func TestServeEmpty(t *testing.T) {
	for _, rng := range []string{"", "bytes=0-", "bytes=-10"} {
		o := &memOpener{}
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/", nil)
		if rng != "" {
			r.Header.Set("Range", rng)
		}
		if err := Serve(w, r, o, infoOf(nil)); err != nil {
			t.Fatal(err)
		}
		if w.Code != 200 || w.Body.Len() != 0 || w.Header().Get("Content-Length") != "0" || o.opens != 0 {
			t.Errorf("empty blob, Range %q: %d, %d bytes, Content-Length %q, %d opens; want 200, 0, 0, none",
				rng, w.Code, w.Body.Len(), w.Header().Get("Content-Length"), o.opens)
		}
	}
}

// An error from the backend leaves w untouched, for the caller's problem.
func TestServeBackendError(t *testing.T) {
	for _, want := range []error{signing.ErrNotFound, signing.ErrUnavailable} {
		w := httptest.NewRecorder()
		b := []byte("abc")
		err := Serve(w, httptest.NewRequest("GET", "/", nil), &memOpener{b: b, err: fmt.Errorf("backend: %w", want)}, infoOf(b))
		if !errors.Is(err, want) {
			t.Errorf("Serve: %v, want %v", err, want)
		}
		if len(w.Header()) != 0 || w.Body.Len() != 0 {
			t.Errorf("after a backend error, w has %v and %d bytes", w.Header(), w.Body.Len())
		}
	}
}

// A backend that fails midway cuts the response short, and says so.
func TestServeCutShort(t *testing.T) {
	b := []byte(strings.Repeat("z", 100))
	o := &cutOpener{n: 10}
	w := httptest.NewRecorder()
	err := Serve(w, httptest.NewRequest("GET", "/", nil), o, infoOf(b))
	if err == nil || w.Body.Len() != 10 || w.Header().Get("Content-Length") != "100" {
		t.Errorf("Serve = %v with %d bytes of Content-Length %s; want an error after 10 of 100", err, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

type cutOpener struct{ n int }

func (c *cutOpener) Open(context.Context, string, int64, int64) (io.ReadCloser, error) {
	return io.NopCloser(io.MultiReader(strings.NewReader(strings.Repeat("z", c.n)), errReader{})), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

// FuzzServe holds Serve to what it promises for any Range, If-None-Match
// and If-Range, and its 206, 304 and 416 answers to net/http's
// ServeContent's (which also serves several ranges, as a multipart body,
// and refuses malformed ones with 416, where Serve sends the whole blob).
func FuzzServe(f *testing.F) {
	for _, s := range []struct{ rng, inm, ir string }{
		{"bytes=0-3", "", ""},
		{"bytes=-3", "", ""},
		{"bytes=40-", "", ""},
		{"bytes=46-", "", ""},
		{"bytes=0-1,3-4", "", ""},
		{"bytes=3-1", "", ""},
		{"bytes=-0", "", ""},
		{"", `W/"x", "y"`, ""},
		{"bytes=1-2", "", `"x"`},
		{"bytes= 5 - 9 ", "*", ""},
	} {
		f.Add(s.rng, s.inm, s.ir, uint16(46))
	}
	f.Fuzz(func(t *testing.T, rng, inm, ir string, size uint16) {
		if strings.ContainsAny(rng+inm+ir, "\r\n\x00") {
			return // no HTTP server hands a handler such a header value
		}
		b := bytes.Repeat([]byte("0123456789"), int(size)/10+1)[:size]
		info := infoOf(b)
		tag := `"` + info.SHA256 + `"`
		req := func() *http.Request {
			r := httptest.NewRequest("GET", "/", nil)
			for k, v := range map[string]string{"Range": rng, "If-None-Match": inm, "If-Range": ir} {
				if v != "" {
					r.Header.Set(k, strings.ReplaceAll(v, "TAG", tag))
				}
			}
			return r
		}
		w := httptest.NewRecorder()
		if err := Serve(w, req(), &memOpener{b: b}, info); err != nil {
			t.Fatal(err)
		}
		body := w.Body.Bytes()
		cl, _ := strconv.Atoi(w.Header().Get("Content-Length"))
		switch w.Code {
		case 200:
			if !bytes.Equal(body, b) || cl != len(b) {
				t.Fatalf("200 with %d bytes, Content-Length %d; want the blob's %d", len(body), cl, len(b))
			}
		case 206:
			var first, last, total int
			if _, err := fmt.Sscanf(w.Header().Get("Content-Range"), "bytes %d-%d/%d", &first, &last, &total); err != nil {
				t.Fatalf("206 with Content-Range %q: %v", w.Header().Get("Content-Range"), err)
			}
			if total != len(b) || first > last || last >= len(b) || !bytes.Equal(body, b[first:last+1]) || cl != len(body) {
				t.Fatalf("206 %s with %d bytes, Content-Length %d: not that range of %d bytes", w.Header().Get("Content-Range"), len(body), cl, len(b))
			}
		case 304, 416:
			if len(body) != 0 {
				t.Fatalf("%d with a body of %d bytes", w.Code, len(body))
			}
		default:
			t.Fatalf("status %d", w.Code)
		}

		// net/http's answer, for what both honour. (ServeContent takes the
		// unit "bytes" in lowercase only; RFC 9110 §14.1 says any case.)
		if rng != "" && !strings.HasPrefix(rng, "bytes=") {
			return
		}
		ref := httptest.NewRecorder()
		ref.Header().Set("ETag", tag)
		http.ServeContent(ref, req(), "", time.Time{}, bytes.NewReader(b))
		if ref.Code == 206 && ref.Body.Len() == 0 {
			// ServeContent answers "bytes=-0" with an empty 206; RFC 9110
			// §14.1.1 makes a zero suffix unsatisfiable, as Serve does.
			return
		}
		switch {
		case ref.Code == 304 || w.Code == 304:
			if ref.Code != w.Code {
				t.Fatalf("Serve %d, ServeContent %d", w.Code, ref.Code)
			}
		case w.Code == 206: // (a 200 may answer what ServeContent serves in parts, or reads more leniently: "bytes=0-+1")
			if ref.Code != w.Code || ref.Header().Get("Content-Range") != w.Header().Get("Content-Range") {
				t.Fatalf("Serve %d %q, ServeContent %d %q", w.Code, w.Header().Get("Content-Range"), ref.Code, ref.Header().Get("Content-Range"))
			}
		case w.Code == 416:
			if ref.Code != 416 {
				t.Fatalf("Serve 416, ServeContent %d", ref.Code)
			}
		}
	})
}
