package blob

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Opener is what Serve needs of a Store.
type Opener interface {
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
}

// Serve answers a GET or HEAD request r with the blob info describes (from
// Store.Stat, or from the row that names the blob), streaming it from o:
//
//   - ETag is the quoted SHA-256; an If-None-Match that names it (weak
//     comparison, or "*") gets 304 Not Modified.
//   - A GET with one byte range gets 206 with Content-Range, one that
//     cannot be satisfied 416 with "Content-Range: bytes */size". Several
//     ranges, a malformed Range, or an If-Range that is not our ETag get
//     the whole blob (RFC 9110 lets a server ignore Range).
//   - Content-Length is always exact; Content-Type is application/pdf
//     unless the caller set one. The caller sets the rest (disposition,
//     caching) before calling.
//
// Serve opens the blob before it touches w, so that an error from o
// (signing.ErrNotFound, signing.ErrUnavailable) is returned with w
// untouched, for the caller's error table. An error after the body has
// started can only cut the response short; it is returned for the log.
func Serve(w http.ResponseWriter, r *http.Request, o Opener, info Info) error {
	tag := `"` + info.SHA256 + `"`
	status, offset, length := Answer(r, info)
	switch status {
	case http.StatusNotModified:
		h := w.Header()
		h.Del("Content-Type")
		h.Del("Content-Length")
		h.Set("ETag", tag)
		w.WriteHeader(http.StatusNotModified)
		return nil
	case http.StatusRequestedRangeNotSatisfiable:
		h := w.Header()
		h.Del("Content-Type")
		h.Set("ETag", tag)
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", info.Size))
		h.Set("Content-Length", "0")
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return nil
	}

	var body io.ReadCloser
	if r.Method != http.MethodHead && length > 0 {
		var err error
		if body, err = o.Open(r.Context(), info.Key, offset, length); err != nil {
			return err // w untouched: the caller answers with its error
		}
		defer body.Close()
	}
	h := w.Header()
	h.Set("ETag", tag)
	h.Set("Accept-Ranges", "bytes")
	if h.Get("Content-Type") == "" {
		h.Set("Content-Type", ContentType)
	}
	if status == http.StatusPartialContent {
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", offset, offset+length-1, info.Size))
	}
	h.Set("Content-Length", strconv.FormatInt(length, 10))
	w.WriteHeader(status)
	if body == nil {
		return nil
	}
	if _, err := io.CopyN(w, body, length); err != nil {
		return fmt.Errorf("blob: serving %s: %w", info.Key, err)
	}
	return nil
}

// Answer is the status Serve answers r with (200, 206, 304 or 416) and,
// for 200 and 206, the part of the blob it sends. A caller that answers
// 416 in a format of its own asks first.
func Answer(r *http.Request, info Info) (status int, offset, length int64) {
	tag := `"` + info.SHA256 + `"`
	if inm := r.Header.Values("If-None-Match"); len(inm) > 0 && noneMatch(strings.Join(inm, ","), tag) {
		return http.StatusNotModified, 0, 0
	}
	if ranges := r.Header.Values("Range"); r.Method == http.MethodGet && len(ranges) == 1 && ifRange(r, tag) {
		switch off, n, kind := parseRange(ranges[0], info.Size); kind {
		case rangeOne:
			return http.StatusPartialContent, off, n
		case rangeUnsatisfiable:
			if info.Size > 0 {
				return http.StatusRequestedRangeNotSatisfiable, 0, 0
			}
			// Some clients send a Range with every request: as net/http
			// does, give them the empty blob, not a 416.
		}
	}
	return http.StatusOK, 0, info.Size
}

// ifRange reports whether r's Range may be honoured: it has no If-Range,
// or one that is our ETag, by strong comparison. (We send no
// Last-Modified, so an If-Range date never matches.)
func ifRange(r *http.Request, tag string) bool {
	v := r.Header.Values("If-Range")
	return len(v) == 0 || (len(v) == 1 && strings.Trim(v[0], " \t") == tag)
}

// noneMatch reports whether an If-None-Match list names tag by weak
// comparison (RFC 9110 §8.8.3.2), or is "*". A malformed list stops at the
// first entry it cannot read.
func noneMatch(list, tag string) bool {
	for rest := list; ; {
		rest = strings.TrimLeft(rest, " \t")
		switch {
		case rest == "":
			return false
		case rest[0] == ',':
			rest = rest[1:]
			continue
		case rest[0] == '*':
			return true
		}
		t, remain, ok := scanETag(rest)
		if !ok {
			return false
		}
		if strings.TrimPrefix(t, "W/") == strings.TrimPrefix(tag, "W/") {
			return true
		}
		rest = remain
	}
}

// scanETag reads an entity tag (RFC 9110 §8.8.3: [W/] DQUOTE *etagc
// DQUOTE) from the start of s.
func scanETag(s string) (tag, rest string, ok bool) {
	start := 0
	if strings.HasPrefix(s, "W/") {
		start = 2
	}
	if len(s) <= start || s[start] != '"' {
		return "", "", false
	}
	for i := start + 1; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			return s[:i+1], s[i+1:], true
		case c == 0x21 || c >= 0x23 && c != 0x7f:
		default:
			return "", "", false
		}
	}
	return "", "", false
}

// rangeKind is what a Range header asks of a blob.
type rangeKind int

const (
	rangeNone          rangeKind = iota // the whole blob
	rangeOne                            // one range, within the blob
	rangeUnsatisfiable                  // one range, entirely past its end
)

// parseRange reads a Range header (RFC 9110 §14.2) for a blob of size
// bytes. Only a single byte range is honoured: for one it returns its
// offset and length (cut at the end of the blob); several ranges, another
// unit or a malformed header give rangeNone.
func parseRange(s string, size int64) (offset, length int64, kind rangeKind) {
	const unit = "bytes="
	if len(s) < len(unit) || !strings.EqualFold(s[:len(unit)], unit) {
		return 0, 0, rangeNone
	}
	spec := ""
	for p := range strings.SplitSeq(s[len(unit):], ",") {
		if p = strings.Trim(p, " \t"); p == "" {
			continue
		}
		if spec != "" {
			return 0, 0, rangeNone
		}
		spec = p
	}
	first, last, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, rangeNone
	}
	first, last = strings.Trim(first, " \t"), strings.Trim(last, " \t")
	if first == "" { // the last n bytes
		n, ok := digits(last)
		switch {
		case !ok:
			return 0, 0, rangeNone
		case n == 0 || size == 0:
			return 0, 0, rangeUnsatisfiable
		}
		n = min(n, size)
		return size - n, n, rangeOne
	}
	a, ok := digits(first)
	if !ok {
		return 0, 0, rangeNone
	}
	end := size - 1
	if last != "" {
		b, ok := digits(last)
		if !ok || b < a {
			return 0, 0, rangeNone
		}
		end = min(b, end)
	}
	if a >= size {
		return 0, 0, rangeUnsatisfiable
	}
	return a, end - a + 1, rangeOne
}

// digits reads a non-empty run of ASCII digits, saturating at the
// largest int64 (a position past any blob).
func digits(s string) (int64, bool) {
	if s == "" {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil { // only a range error is left
		return 1<<63 - 1, true
	}
	return n, true
}
