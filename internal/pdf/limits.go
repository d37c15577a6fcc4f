package pdf

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Limits bounds the work of one operation on one PDF: reading it, checking
// it, or rewriting it. Every exported operation of the package runs under
// Limits (the package-level functions under DefaultLimits); code that reads
// PDFs elsewhere (signing, rendering) should use the same values, so that
// nothing that passed the upload check is refused, or hurts, later.
// Uploads are checked under Limits, documents being signed (and rewrites)
// under Limits.Signed, which leaves room for what signing adds.
//
// A zero field means the default for that field, so Limits{MaxPages: 2000}
// raises one limit and keeps the others. There is no "unlimited".
type Limits struct {
	// MaxDecodedBytes bounds the bytes one operation produces by
	// decompressing streams: page content streams, object streams and
	// cross-reference streams, together. Decoding stops when it is
	// reached; nothing is inflated first and measured after.
	MaxDecodedBytes int64

	// MaxStreamBytes bounds the decoded size of one object stream or
	// cross-reference stream: a reader holds those in memory to read
	// the objects in them.
	MaxStreamBytes int64

	// MaxObjects bounds the number of indirect objects (the size of the
	// cross-reference table), and the number of object references a check
	// follows.
	MaxObjects int

	// MaxPages bounds the number of pages.
	MaxPages int

	// MaxDepth bounds how deeply arrays and dictionaries nest inside one
	// object.
	MaxDepth int

	// MaxPageTreeDepth bounds the levels of the page tree.
	MaxPageTreeDepth int

	// Timeout bounds the wall time of one operation: of a check, and of
	// a rewrite once it runs (waiting for memory that other rewrites hold
	// is bounded by the caller's context). It is checked while reading
	// and between the steps of a rewrite; the other limits bound the work
	// of each step.
	Timeout time.Duration
}

// The defaults are sized for contracts: up to a few hundred pages of text,
// scans or forms, with room to spare, while one operation at the limits
// stays within tens of megabytes and a few seconds on one core.
const (
	// 32 MiB: the content streams of a 1000-page text contract decode to
	// a few megabytes, a page of dense vector drawing to a few hundred
	// kilobytes. A rewrite holds the decoded content and its re-encoding:
	// stamping 1000 pages with 30 MiB of content peaks at 81 MiB of heap
	// (TestStampAtLimits), so this bounds the memory of a stamp.
	defaultMaxDecodedBytes = 32 << 20
	// 8 MiB: object streams hold a few hundred objects, tens of
	// kilobytes; a cross-reference stream for 50,000 objects is 350 KB.
	defaultMaxStreamBytes = 8 << 20
	// 50,000: a text page needs 2 to 10 objects (page, contents, fonts,
	// images, annotations), and a tagged (accessible) page a few dozen
	// more for its structure tree. pdfcpu holds every object of a file it
	// rewrites in memory: 1000 pages and 46,000 objects peak at 68 MiB.
	defaultMaxObjects = 50_000
	// 1000 pages: contracts run to a few hundred pages with their
	// schedules. Stamping cost grows faster than the page count (0.2 s
	// for 1000 short pages, 175 s for 20,000).
	defaultMaxPages = 1000
	// 64 levels: real documents nest a few levels (a form's default
	// resources are four deep); the parsers recurse once per level.
	defaultMaxDepth = 64
	// 32 levels: a balanced tree holds a million pages in 7 levels of
	// 8 kids; generators that nest one level per section stay far below.
	defaultMaxPageTreeDepth = 32
	// 10 s: the upload check at the limits takes well under a second, a
	// stamp at the limits 1 to 4 s on a busy core.
	defaultTimeout = 10 * time.Second
)

// DefaultLimits returns the limits the package-level functions use.
func DefaultLimits() Limits {
	return Limits{
		MaxDecodedBytes:  defaultMaxDecodedBytes,
		MaxStreamBytes:   defaultMaxStreamBytes,
		MaxObjects:       defaultMaxObjects,
		MaxPages:         defaultMaxPages,
		MaxDepth:         defaultMaxDepth,
		MaxPageTreeDepth: defaultMaxPageTreeDepth,
		Timeout:          defaultTimeout,
	}
}

// withDefaults fills zero (or negative) fields with their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxDecodedBytes <= 0 {
		l.MaxDecodedBytes = d.MaxDecodedBytes
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = d.MaxStreamBytes
	}
	l.MaxStreamBytes = min(l.MaxStreamBytes, l.MaxDecodedBytes)
	if l.MaxObjects <= 0 {
		l.MaxObjects = d.MaxObjects
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPageTreeDepth <= 0 {
		l.MaxPageTreeDepth = d.MaxPageTreeDepth
	}
	if l.Timeout <= 0 {
		l.Timeout = d.Timeout
	}
	return l
}

// Signed returns l with room for what signing adds to a document that
// passed l: an audit page or a few, a stamp on every page (some hundred
// bytes of content and a few objects), signatures and their objects.
// Check signed documents under it, so that a document right at the limits
// can still be signed.
func (l Limits) Signed() Limits {
	l = l.withDefaults()
	l.MaxPages += 10
	l.MaxObjects += 1000 + 10*l.MaxPages
	l.MaxDecodedBytes += l.MaxDecodedBytes / 8
	l.MaxPageTreeDepth += 2
	return l
}

// Names of the limits in LimitError.Limit.
const (
	LimitDecodedBytes  = "decoded bytes"
	LimitStreamBytes   = "stream bytes"
	LimitObjects       = "objects"
	LimitPages         = "pages"
	LimitDepth         = "nesting depth"
	LimitPageTreeDepth = "page tree depth"
	LimitTime          = "time"
)

// LimitError reports a PDF that exceeds one of its Limits. Read it with
// errors.As; its message is written for the client that sent the file.
type LimitError struct {
	Limit string // which limit: one of the Limit… constants
	Max   int64  // the limit; for LimitTime a time.Duration
	// Got is what the document has, when known: the page count its page
	// tree claims, say. It is Max+1 when counting stopped at the limit.
	Got int64
}

func (e *LimitError) Error() string {
	n := func(v int64) string {
		if e.Limit == LimitDecodedBytes || e.Limit == LimitStreamBytes {
			return byteSize(v)
		}
		return fmt.Sprint(v)
	}
	has := n(e.Got)
	if e.Got <= e.Max+1 {
		has = "more than " + n(e.Max)
	}
	switch e.Limit {
	case LimitPages:
		return fmt.Sprintf("PDF has %s pages; at most %d are accepted", has, e.Max)
	case LimitObjects:
		return fmt.Sprintf("PDF has %s objects; at most %d are accepted", has, e.Max)
	case LimitDecodedBytes:
		return fmt.Sprintf("PDF content decompresses to %s; at most %s is accepted", has, n(e.Max))
	case LimitStreamBytes:
		return fmt.Sprintf("PDF has an object stream that decompresses to %s; at most %s is accepted", has, n(e.Max))
	case LimitDepth:
		return fmt.Sprintf("PDF nests objects %s levels deep; at most %d levels are accepted", has, e.Max)
	case LimitPageTreeDepth:
		return fmt.Sprintf("PDF page tree is %s levels deep; at most %d levels are accepted", has, e.Max)
	case LimitTime:
		return fmt.Sprintf("PDF takes longer than %v to process, the time allowed", time.Duration(e.Max))
	}
	return fmt.Sprintf("PDF exceeds the %s limit of %d", e.Limit, e.Max)
}

// byteSize formats n bytes for a message: "64 MiB", "1.5 GiB", "900 bytes".
func byteSize(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	s := fmt.Sprintf("%.1f", v)
	if s[len(s)-2:] == ".0" {
		s = s[:len(s)-2]
	}
	return s + " " + [...]string{"KiB", "MiB", "GiB", "TiB"}[i]
}

func overLimit(limit string, max, got int64) *LimitError {
	return &LimitError{Limit: limit, Max: max, Got: got}
}

// budget tracks one operation's use of its Limits.
type budget struct {
	Limits
	ctx     context.Context
	decoded int64 // bytes produced by decoding streams so far
	refs    int   // object references followed so far
}

func newBudget(ctx context.Context, l Limits) *budget {
	return &budget{Limits: l, ctx: ctx}
}

// alive reports the operation's time running out (or its caller giving up).
func (b *budget) alive() error {
	if err := b.ctx.Err(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return overLimit(LimitTime, int64(b.Timeout), 0)
		}
		return err
	}
	return nil
}

// decode counts n more decoded bytes.
func (b *budget) decode(n int) error {
	b.decoded += int64(n)
	if b.decoded > b.MaxDecodedBytes {
		return overLimit(LimitDecodedBytes, b.MaxDecodedBytes, b.MaxDecodedBytes+1)
	}
	return b.alive()
}

// follow counts one more object reference followed.
func (b *budget) follow() error {
	b.refs++
	if b.refs > b.MaxObjects {
		return overLimit(LimitObjects, int64(b.MaxObjects), int64(b.MaxObjects)+1)
	}
	if b.refs&63 == 0 {
		return b.alive()
	}
	return nil
}
