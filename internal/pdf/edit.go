package pdf

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
	"golang.org/x/sync/semaphore"
)

// Stamp layout, in points. Stamps sit in the bottom-left margin, the
// position the providers' "BottomLeft" signature placement uses.
const (
	stampFontSize   = 8
	stampLineHeight = 11
	stampX, stampY  = 36, 14
	auditFontSize   = 10
	auditMargin     = 56
	maxAuditLines   = 60 // what fits on an A4 page at auditFontSize
)

// Stamp returns a copy of the PDF b with text drawn in the bottom-left
// margin of every page, e.g. "Signed by Asha Rao via Aadhaar eSign (sandbox)
// 2026-11-21T10:00:00Z". A line break in text starts a new line. Each call
// stacks its stamp above the previous ones, so several signers stay readable.
//
// The text is drawn with standard Helvetica: characters outside Latin-1 show
// as spaces. The whole file is rewritten, so existing signatures in b break.
// Stamp runs under DefaultLimits.
func Stamp(b []byte, text string) ([]byte, error) {
	return DefaultLimits().Stamp(context.Background(), b, text)
}

// Stamp is the package-level Stamp under l.
func (l Limits) Stamp(c context.Context, b []byte, text string) ([]byte, error) {
	lines := textLines(text)
	if len(lines) == 0 {
		return nil, errors.New("stamp: empty text")
	}
	return l.modify(c, b, model.ADDWATERMARKS, func(ctx *model.Context) error {
		n := stampCount(ctx)
		desc := fmt.Sprintf("fontname:Helvetica, points:%d, scalefactor:1 abs, rotation:0, opacity:1, "+
			"position:bl, offset:%d %d, aligntext:l, fillcolor:#1a237e",
			stampFontSize, stampX, stampY+n*stampLineHeight)
		if err := addText(ctx, nil, lines, desc); err != nil {
			return err
		}
		return setStampCount(ctx, n+len(lines))
	})
}

// AppendPage returns a copy of the PDF b with one A4 portrait page added at
// the end that shows lines top to bottom (at most 60; long lines are cut at
// the page edge). Like Stamp it uses Helvetica, rewrites the whole file and
// runs under DefaultLimits.
func AppendPage(b []byte, lines []string) ([]byte, error) {
	return DefaultLimits().AppendPage(context.Background(), b, lines)
}

// AppendPage is the package-level AppendPage under l. The result has one
// page more than b: Validate it under l.Signed().
func (l Limits) AppendPage(c context.Context, b []byte, lines []string) ([]byte, error) {
	if len(lines) == 0 {
		return nil, errors.New("append page: no lines")
	}
	if len(lines) > maxAuditLines {
		return nil, fmt.Errorf("append page: %d lines, at most %d fit on a page", len(lines), maxAuditLines)
	}
	text := make([]string, len(lines))
	for i, l := range lines {
		text[i] = strings.Join(textLines(l), " ")
		if text[i] == "" {
			text[i] = " " // pdfcpu drops empty lines
		}
	}
	return l.modify(c, b, model.INSERTPAGESAFTER, func(ctx *model.Context) error {
		last := ctx.PageCount
		// A fixed size, not the last page's: maxAuditLines must fit.
		a4 := &types.Dim{Width: 595.28, Height: 841.89}
		if err := ctx.InsertBlankPages(types.IntSet{last: true}, a4, false); err != nil {
			return fmt.Errorf("insert page: %w", err)
		}
		// InsertBlankPages rewrites the page tree but not the cached count.
		ctx.PageCount++
		desc := fmt.Sprintf("fontname:Helvetica, points:%d, scalefactor:1 abs, rotation:0, opacity:1, "+
			"position:tl, offset:%d -%d, aligntext:l, fillcolor:#000000",
			auditFontSize, auditMargin, auditMargin)
		return addText(ctx, types.IntSet{last + 1: true}, text, desc)
	})
}

// Attach returns a copy of the PDF b with content embedded as a file
// attachment called name (e.g. BankID's signature XML). Attaching a name that
// already exists replaces that attachment. Attach runs under DefaultLimits.
func Attach(b []byte, name string, content []byte) ([]byte, error) {
	return DefaultLimits().Attach(context.Background(), b, name, content)
}

// Attach is the package-level Attach under l.
func (l Limits) Attach(c context.Context, b []byte, name string, content []byte) ([]byte, error) {
	if name == "" || len(name) > 255 || !utf8.ValidString(name) || strings.ContainsAny(name, "/\\\x00") {
		return nil, fmt.Errorf("attach: invalid file name %q", name)
	}
	return l.modify(c, b, model.ADDATTACHMENTS, func(ctx *model.Context) error {
		if err := embeddedFiles(ctx, l.MaxDepth); err != nil {
			return fmt.Errorf("attach %q: %w", name, err)
		}
		// pdfcpu's name tree keeps duplicate keys, so drop any old one first.
		if _, err := ctx.RemoveAttachments([]string{name}); err != nil {
			return fmt.Errorf("attach %q: replace: %w", name, err)
		}
		a := model.Attachment{Reader: bytes.NewReader(content), ID: name, FileName: name}
		if err := ctx.AddAttachment(a, false); err != nil {
			return fmt.Errorf("attach %q: %w", name, err)
		}
		return nil
	})
}

// embeddedFiles reads the catalog's EmbeddedFiles name tree into pdfcpu's
// model, which its attachment code edits and which pdfcpu's validation
// (not run, see read) would have built. It refuses a tree deeper than
// maxDepth or with a node twice.
func embeddedFiles(ctx *model.Context, maxDepth int) error {
	catalog, err := ctx.Catalog()
	if err != nil {
		return err
	}
	names, err := ctx.DereferenceDict(catalog["Names"])
	if err != nil || names == nil {
		return err
	}
	root, err := ctx.DereferenceDict(names["EmbeddedFiles"])
	if err != nil || root == nil {
		return err
	}
	seen := map[int]bool{}
	var build func(d types.Dict, depth int) (*model.Node, error)
	build = func(d types.Dict, depth int) (*model.Node, error) {
		if depth > maxDepth {
			return nil, errors.New("EmbeddedFiles name tree too deep")
		}
		n := &model.Node{D: d}
		if kids, found := d.Find("Kids"); found {
			a, err := ctx.DereferenceArray(kids)
			if err != nil {
				return nil, err
			}
			for _, k := range a {
				if ir, ok := k.(types.IndirectRef); ok {
					if seen[ir.ObjectNumber.Value()] {
						return nil, errors.New("EmbeddedFiles name tree: a node appears twice")
					}
					seen[ir.ObjectNumber.Value()] = true
				}
				kd, err := ctx.DereferenceDict(k)
				if err != nil || kd == nil {
					return nil, fmt.Errorf("EmbeddedFiles name tree: bad kid %v", k)
				}
				kid, err := build(kd, depth+1)
				if err != nil {
					return nil, err
				}
				if len(n.Kids) == 0 {
					n.Kmin = kid.Kmin
				}
				n.Kmax = kid.Kmax
				n.Kids = append(n.Kids, kid)
			}
			return n, nil
		}
		a, err := ctx.DereferenceArray(d["Names"])
		if err != nil {
			return nil, err
		}
		for i := 0; i+1 < len(a); i += 2 {
			k, err := ctx.Dereference(a[i])
			if err != nil {
				return nil, err
			}
			key, err := types.StringOrHexLiteral(k)
			if err != nil {
				return nil, fmt.Errorf("EmbeddedFiles name tree: key: %w", err)
			}
			if i == 0 {
				n.Kmin = *key
			}
			n.Kmax = *key
			n.AppendToNames(*key, a[i+1])
		}
		return n, nil
	}
	n, err := build(root, 0)
	if err != nil {
		return err
	}
	ctx.Names["EmbeddedFiles"] = n
	return nil
}

// modify checks b under l.Signed(), reads it with pdfcpu, applies fn and
// writes the result. The check bounds everything pdfcpu will decode (page
// contents, object streams, metadata) and the objects it will hold, so
// that the rewrite's memory is bounded by l. Rewrites work on documents
// being signed, which passed l at upload and may have grown since (a
// stamp per signer, an audit page before an attachment), hence Signed.
// Like Validate it turns any pdfcpu panic into an error.
func (l Limits) modify(c context.Context, b []byte, cmd model.CommandMode, fn func(*model.Context) error) (out []byte, err error) {
	l = l.Signed()
	checkCtx, cancel := context.WithTimeout(c, l.Timeout)
	bud := newBudget(checkCtx, l)
	info, d, err := inspect(bud, b)
	cancel()
	if err != nil {
		return nil, err
	}
	// Waiting for memory that other rewrites hold is bounded by the
	// caller's context only: each of them ends within its Timeout.
	cost := min(rewriteCost(info.Pages, len(d.xref), bud.decoded, len(b)), rewriteMemory)
	if err := rewrites.Acquire(c, cost); err != nil {
		return nil, fmt.Errorf("pdf: waiting for other rewrites: %w", err)
	}
	defer rewrites.Release(cost)
	c, cancel = context.WithTimeout(c, l.Timeout)
	defer cancel()
	bud.ctx = c
	// pdfcpu is stricter than the check about cross-reference tables, and
	// repairs them differently: where the check had to, or pdfcpu fails,
	// pdfcpu reads the table the check used.
	var ctx *model.Context
	if !d.repaired {
		ctx, err = read(c, b, l, cmd, true)
	}
	if d.repaired || (err != nil && !isFatal(err) && !errors.Is(err, ErrEncrypted)) {
		ctx, err = read(c, d.rebuilt(), l, cmd, true)
	}
	if err != nil {
		return nil, err
	}
	if ctx.PageCount != info.Pages {
		return nil, malformed(fmt.Errorf("page tree: pdfcpu reads %d pages, the check %d", ctx.PageCount, info.Pages))
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("pdf: internal pdfcpu failure: %v", r)
		}
	}()
	if err := fn(ctx); err != nil {
		return nil, err
	}
	if err := bud.alive(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	buf.Grow(len(b) + 4096)
	if err := api.WriteContext(ctx, &buf); err != nil {
		return nil, fmt.Errorf("pdf: write: %w", err)
	}
	return buf.Bytes(), nil
}

// rewrites bounds the memory of the pdfcpu rewrites running at once in
// the process. pdfcpu holds a whole document, its decoded page content
// included, while it rewrites it (86 MB at its peak for 1000 pages with
// 30 MiB of content), so a burst of stamps of large documents must queue
// rather than exhaust memory together. It is package state, unlike
// everything else here, because what it guards is the process's memory,
// which every caller shares.
var rewrites = semaphore.NewWeighted(rewriteMemory)

// rewriteMemory is what rewrites may use together: one document at the
// default limits, or dozens of ordinary ones.
const rewriteMemory = 128 << 20

// rewriteCost estimates the peak heap of a pdfcpu rewrite, from
// measurements (TestStampAtLimits): the decoded content twice, for
// its decoded and re-encoded forms and garbage, plus per page, per object
// and per input byte.
func rewriteCost(pages, objects int, decoded int64, size int) int64 {
	return 2*decoded + int64(pages)*32<<10 + int64(objects)*1<<10 + 4*int64(size)
}

// addText draws lines on the selected pages (all if nil) as a pdfcpu stamp.
func addText(ctx *model.Context, pages types.IntSet, lines []string, desc string) error {
	text := escapePercent(strings.Join(lines, "\n"))
	wm, err := pdfcpu.ParseTextWatermarkDetails(text, desc, true, types.POINTS)
	if err != nil {
		return fmt.Errorf("stamp: %w", err)
	}
	if err := pdfcpu.AddWatermarks(ctx, pages, wm); err != nil {
		return fmt.Errorf("stamp: %w", err)
	}
	return nil
}

// escapePercent protects '%' from pdfcpu, which expands %p, %P, %t and %v
// in stamp text. Its "%%" escape still arms the next character, so a
// space separates '%' from those letters.
func escapePercent(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		b.WriteString("%%")
		if i+1 < len(s) && strings.IndexByte("pPtv%", s[i+1]) >= 0 {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// stampKey in the document information dictionary counts the stamp lines
// already drawn, so the next stamp goes above them instead of on top.
const stampKey = "SignetStampLines"

func stampCount(ctx *model.Context) int {
	if ctx.Info == nil {
		return 0
	}
	d, err := ctx.DereferenceDict(*ctx.Info)
	if err != nil || d == nil {
		return 0 // a broken info dict only costs us the stacking
	}
	// Bounded so a hostile value cannot push the stamp off the page.
	if n := d.IntEntry(stampKey); n != nil && *n > 0 && *n < 50 {
		return *n
	}
	return 0
}

func setStampCount(ctx *model.Context, n int) error {
	var d types.Dict
	if ctx.Info != nil {
		d, _ = ctx.DereferenceDict(*ctx.Info)
	}
	if d == nil {
		// None, or a broken one (pdfcpu's validation would drop it): a new
		// one.
		d = types.NewDict()
		ir, err := ctx.IndRefForNewObject(d)
		if err != nil {
			return err
		}
		ctx.Info = ir
	}
	d.Update(stampKey, types.Integer(n))
	return nil
}

// typographic replaces punctuation that pdfcpu cannot encode for a standard
// font (it only passes Latin-1 through) with ASCII look-alikes.
var typographic = strings.NewReplacer("‘", "'", "’", "'", "“", `"`, "”", `"`,
	"–", "-", "—", "-", "…", "...", "•", "*", "€", "EUR", "™", "(TM)", "\u00a0", " ")

// textLines splits text into lines, replacing control characters that
// would otherwise reach the content stream, and drops trailing empty lines.
// Other empty lines become a space: pdfcpu would drop them.
func textLines(text string) []string {
	text = typographic.Replace(strings.ReplaceAll(text, "\r\n", "\n"))
	var lines []string
	for l := range strings.SplitSeq(text, "\n") {
		l = strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				return ' '
			}
			return r
		}, l)
		// A literal backslash-n is a line break to pdfcpu.
		lines = append(lines, strings.ReplaceAll(strings.TrimRight(l, " "), `\n`, `\ n`))
	}
	for len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for i, l := range lines {
		if l == "" {
			lines[i] = " "
		}
	}
	return lines
}
