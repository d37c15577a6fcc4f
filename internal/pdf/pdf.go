// Package pdf validates uploaded contracts and produces the "signed" PDFs the
// provider simulators return. Everything works on byte slices in memory;
// the package never touches the file system. Validate reads only what it
// must with a small reader of its own; rewrites use pdfcpu. Every
// operation runs under Limits.
package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

func init() {
	// pdfcpu's default configuration lazily creates a config dir with
	// config.yml, fonts and certificates under the user's config home the
	// first time any API call builds a configuration, including the ones it
	// builds internally. Disabling it process-wide before any call makes
	// pdfcpu use its built-in defaults and write nothing.
	api.DisableConfigDir()
}

// Errors returned by Validate (wrapped with detail where useful), so that
// callers can tell a wrong file type from a broken or unusable PDF.
var (
	ErrNotPDF    = errors.New("not a PDF: missing %PDF- header")
	ErrMalformed = errors.New("PDF does not parse")
	ErrEncrypted = errors.New("PDF is encrypted")
	ErrNoPages   = errors.New("PDF has no pages")
)

// Info describes a PDF that passed Validate.
type Info struct {
	Pages   int    // number of pages
	Version string // effective PDF version ("1.7"): the catalog's /Version if set, else the header's
}

// headerRE matches the header versions readers accept: PDF 1.0 to 1.7 and
// 2.0. It must be at offset 0: viewers tolerate leading junk, but it is a
// sign of a mangled upload, and a strict rule is simpler to explain in a 400.
var headerRE = regexp.MustCompile(`\A%PDF-(?:1\.[0-7]|2\.0)(?:[^0-9]|\z)`)

// eofWindow is how far from the end the %%EOF marker may be.
const eofWindow = 1024

// maxErrDetail caps the parser detail in error messages: they end up in API
// responses, and pdfcpu messages can embed long dumps of objects.
const maxErrDetail = 200

// Validate checks, under DefaultLimits, that b is a PDF: it has a header,
// a cross-reference table (or one that can be rebuilt), a catalog and a
// page tree whose pages and content streams all exist, and it is not
// encrypted and has at least one page. It never panics. Errors are
// ErrNotPDF, ErrMalformed, ErrEncrypted, ErrNoPages or a *LimitError.
func Validate(b []byte) (Info, error) {
	return DefaultLimits().Validate(context.Background(), b)
}

// Validate is the package-level Validate under l. It reads only what the
// check needs: the cross-reference information, the catalog, the page
// tree and the content streams (decoded within the limits, never held),
// so its cost grows with the pages, not with the bytes of fonts and
// images. A rewrite reads the rest under the same limits.
func (l Limits) Validate(ctx context.Context, b []byte) (Info, error) {
	l = l.withDefaults()
	ctx, cancel := context.WithTimeout(ctx, l.Timeout)
	defer cancel()
	return check(newBudget(ctx, l), b)
}

// newConfig returns a fresh pdfcpu configuration for one operation (pdfcpu
// mutates it, so it must not be shared between goroutines).
func newConfig(cmd model.CommandMode) *model.Configuration {
	conf := model.NewDefaultConfiguration()
	conf.Cmd = cmd
	conf.ValidationMode = model.ValidationRelaxed
	conf.ValidateLinks = false
	conf.Offline = true // never fetch anything (CRLs, OCSP, links) from the network
	return conf
}

// read parses b with pdfcpu, for a rewrite, after check has found b within
// the limits. pdfcpu reads every object and keeps it in memory; its own
// limits are set to ours as a second line. With optimize it also runs
// pdfcpu's optimizer, which its writing operations expect (shared fonts,
// resources).
//
// pdfcpu's own validation does not run: it follows references without
// bound (a resource that lists itself recurses until the stack overflows,
// which kills the process), and check has done what rewriting needs of it.
// What the writer takes from it is done here: the page count, and the
// pages marked valid (it writes no other pages).
func read(c context.Context, b []byte, l Limits, cmd model.CommandMode, optimize bool) (ctx *model.Context, err error) {
	// pdfcpu turns its own failures into errors but re-panics on runtime
	// errors (index out of range, nil maps) that hostile input can trigger.
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, malformed(fmt.Errorf("parser failure: %v", r))
		}
	}()

	conf := newConfig(cmd)
	conf.Limits.MaxStreamBytes = int64(len(b))
	conf.Limits.MaxDecodeBytes = l.MaxStreamBytes // per stream, while reading
	conf.Limits.MaxObjectCount = l.MaxObjects
	conf.Limits.MaxObjectStreamCount = l.MaxObjects
	conf.Limits.MaxXRefEntries = l.MaxObjects
	conf.Limits.MaxRecursionDepth = l.MaxDepth
	ctx, err = pdfcpu.ReadWithContext(c, bytes.NewReader(b), conf)
	if err != nil {
		if isPasswordError(err) {
			return nil, ErrEncrypted
		}
		return nil, pdfcpuError(c, l, err)
	}
	// pdfcpu silently decrypts files with an empty user password
	// (owner-only "protection"); check already refused those.
	if ctx.Encrypt != nil || ctx.E != nil {
		return nil, ErrEncrypted
	}
	// pdfcpu reads a reference to a missing object as null, which a
	// truncated or spliced file has: every page must be there.
	pages, err := checkPages(ctx, l.MaxPageTreeDepth)
	if err != nil {
		return nil, malformed(err)
	}
	if pages < 1 {
		return nil, ErrNoPages
	}
	ctx.PageCount = pages
	if optimize {
		if err = api.OptimizeContext(ctx); err != nil {
			return nil, pdfcpuError(c, l, err)
		}
	}
	return ctx, nil
}

// pdfcpuError reports a pdfcpu failure as the limit it hit, if it hit one.
func pdfcpuError(c context.Context, l Limits, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(c.Err(), context.DeadlineExceeded):
		return overLimit(LimitTime, int64(l.Timeout), 0)
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, model.ErrMaxRecursionDepthExceeded):
		return overLimit(LimitDepth, int64(l.MaxDepth), int64(l.MaxDepth)+1)
	case errors.Is(err, filter.ErrDecodeLimitExceeded):
		return overLimit(LimitStreamBytes, l.MaxStreamBytes, l.MaxStreamBytes+1)
	}
	return malformed(err)
}

func isPasswordError(err error) bool {
	return errors.Is(err, pdfcpu.ErrWrongPassword) ||
		errors.Is(err, pdfcpu.ErrOwnerPasswordRequired) ||
		errors.Is(err, pdfcpu.ErrEncrypted)
}

// malformed wraps a parser error as ErrMalformed with a short, single-line detail.
func malformed(err error) error {
	msg := err.Error()
	if i := strings.IndexAny(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	if len(msg) > maxErrDetail {
		msg = strings.ToValidUTF8(msg[:maxErrDetail], "") + "…"
	}
	return fmt.Errorf("%w: %s", ErrMalformed, msg)
}

// checkPages walks pdfcpu's page tree, requires every node and every
// page's content streams to exist, marks the pages valid and returns their
// number.
func checkPages(ctx *model.Context, maxDepth int) (int, error) {
	root, err := ctx.Pages()
	if err != nil || root == nil {
		return 0, errors.New("missing page tree")
	}
	type node struct {
		obj   types.Object
		depth int
	}
	stack := []node{{*root, 0}}
	seen := map[int]bool{}
	pages := 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if ir, ok := n.obj.(types.IndirectRef); ok {
			nr := ir.ObjectNumber.Value()
			if seen[nr] {
				return 0, fmt.Errorf("page tree: obj#%d appears twice", nr)
			}
			seen[nr] = true
		}
		d, err := ctx.DereferenceDict(n.obj)
		if err != nil || d == nil {
			return 0, fmt.Errorf("page tree: missing node %v", n.obj)
		}
		// A node with /Kids is an inner node even without /Type, as pdfcpu
		// reads it; counting it as a page would hide its missing kids.
		t := d.Type()
		if _, hasKids := d.Find("Kids"); hasKids || (t != nil && *t == "Pages") {
			if n.depth >= maxDepth {
				return 0, errors.New("page tree: too deep")
			}
			kids, _ := ctx.DereferenceArray(d["Kids"])
			// Push in reverse so pages are visited in order.
			for i := len(kids) - 1; i >= 0; i-- {
				stack = append(stack, node{kids[i], n.depth + 1})
			}
			continue
		}
		// Relaxed readers accept a page without /Type, but nothing else.
		if t != nil && *t != "Page" {
			return 0, fmt.Errorf("page tree: %v has /Type /%s", n.obj, *t)
		}
		pages++
		if err := checkContents(ctx, d, pages); err != nil {
			return 0, err
		}
		if ir, ok := n.obj.(types.IndirectRef); ok {
			if err := ctx.SetValid(ir); err != nil {
				return 0, err
			}
		}
	}
	return pages, nil
}

// checkContents requires a page's /Contents, when present, to be streams.
func checkContents(ctx *model.Context, page types.Dict, nr int) error {
	o, found := page.Find("Contents")
	if !found {
		return nil // a blank page
	}
	o, err := ctx.Dereference(o)
	if err != nil {
		return fmt.Errorf("page %d: contents: %w", nr, err)
	}
	streams, ok := o.(types.Array)
	if !ok {
		streams = types.Array{o}
	}
	for _, s := range streams {
		s, err := ctx.Dereference(s)
		if err != nil {
			return fmt.Errorf("page %d: contents: %w", nr, err)
		}
		if _, ok := s.(types.StreamDict); !ok {
			return fmt.Errorf("page %d: missing content stream", nr)
		}
	}
	return nil
}
