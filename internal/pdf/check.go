package pdf

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
)

// check is Validate under a budget: it reads the cross-reference
// information and trailer, the catalog, the page tree and each page's
// content streams, which it decodes within the limits, and the object
// streams pdfcpu would decode when rewriting the file. Other objects
// (fonts, images, annotations) are not read: a viewer or a provider
// judges them, and a rewrite reads them under the same limits.
func check(bud *budget, b []byte) (Info, error) {
	info, _, err := inspect(bud, b)
	return info, err
}

// inspect is check that also returns what it read.
func inspect(bud *budget, b []byte) (info Info, d *document, err error) {
	if !headerRE.Match(b) {
		return Info{}, nil, ErrNotPDF
	}
	// A complete file ends with %%EOF; readers look for it in the last
	// 1024 bytes, and so do we. Without this, half an upload could pass
	// as a repaired file.
	if !bytes.Contains(b[max(0, len(b)-eofWindow):], []byte("%%EOF")) {
		return Info{}, nil, malformed(errors.New("missing %%EOF marker (truncated file?)"))
	}
	defer func() {
		if r := recover(); r != nil {
			info, d, err = Info{}, nil, malformed(fmt.Errorf("reader failure: %v", r))
		}
	}()
	if d, err = openDocument(b, bud); err != nil {
		return Info{}, nil, failure(err)
	}
	// Stamping would drop or re-apply any encryption and a provider would
	// reject the file, so refuse all encrypted input, even with an empty
	// user password.
	if d.encrypt {
		return Info{}, nil, ErrEncrypted
	}
	catalog, err := d.resolve(d.root)
	if err != nil {
		return Info{}, nil, failure(err)
	}
	if catalog.kind != kindDict {
		return Info{}, nil, malformed(errors.New("missing catalog"))
	}
	if !catalog.get("Type").isName("Catalog") {
		return Info{}, nil, malformed(errors.New("catalog has no /Type /Catalog"))
	}
	pages, err := d.pageTree(catalog)
	if err != nil {
		if errors.Is(err, ErrNoPages) {
			return Info{}, nil, err
		}
		return Info{}, nil, failure(err)
	}
	if err := d.decodeRest(catalog); err != nil {
		return Info{}, nil, failure(err)
	}
	return Info{Pages: pages, Version: version(b, catalog)}, d, nil
}

// failure returns a limit error as it is, without the context it was
// wrapped in (its message is for the client), and reports anything else
// but cancellation as a malformed file.
func failure(err error) error {
	var le *LimitError
	if errors.As(err, &le) {
		return le
	}
	if isFatal(err) {
		return err
	}
	return malformed(err)
}

// version is the catalog's /Version if it is valid and the header allows
// it (1.4 and later), else the header's, as pdfcpu reads it.
func version(b []byte, catalog object) string {
	header := string(b[5:8])
	v := catalog.get("Version")
	if v.kind != kindName || header < "1.4" {
		return header
	}
	s := nameString(v.raw)
	if rv, err := model.PDFVersion(s); err == nil {
		return rv.String()
	}
	if rv, err := model.PDFVersionRelaxed(s); err == nil {
		return rv.String()
	}
	return header
}

// pageNode is a page tree node waiting to be visited.
type pageNode struct {
	obj      object
	depth    int
	kid      bool // listed in a /Kids array: every node but the root
	mediaBox bool // an ancestor has a /MediaBox
}

// pageTree walks the page tree and returns the number of pages, which
// must be the root's /Count. It requires what pdfcpu needs to rewrite the
// file: every node exists, is referenced once and indirectly, has a /Type
// (/Pages or /Page) and a /Parent, and every page a /MediaBox of its own
// or inherited. It checks each page's content streams with contents. A
// reference to a missing object reads as null, as in a truncated or
// spliced file, and is an error here.
func (d *document) pageTree(catalog object) (int, error) {
	ref := catalog.get("Pages")
	root, err := d.resolve(ref)
	if err != nil {
		return 0, err
	}
	if root.kind != kindDict {
		return 0, errors.New("missing page tree")
	}
	count, err := d.resolve(root.get("Count"))
	if err != nil {
		return 0, err
	}
	if count.kind != kindInt {
		return 0, errors.New("page tree root has no /Count")
	}
	if count.num > int64(d.bud.MaxPages) {
		return 0, overLimit(LimitPages, int64(d.bud.MaxPages), count.num)
	}
	var seen bitset
	stack := []pageNode{{obj: ref}}
	pages := 0
	for len(stack) > 0 {
		n := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if n.kid {
			if n.obj.kind == kindNull || (n.obj.kind == kindRef && n.obj.num == 0) {
				continue // pdfcpu skips these
			}
			if n.obj.kind != kindRef {
				return 0, fmt.Errorf("page tree: kid %s is not a reference", describe(n.obj))
			}
		}
		if n.obj.kind == kindRef && n.obj.num < int64(len(d.xref)) {
			if seen.has(n.obj.num) {
				return 0, fmt.Errorf("page tree: object %d appears twice", n.obj.num)
			}
			seen.add(n.obj.num)
		}
		node, err := d.resolve(n.obj)
		if err != nil {
			return 0, err
		}
		if node.kind != kindDict {
			return 0, fmt.Errorf("page tree: missing node %s", describe(n.obj))
		}
		var typ, kids, parent, mediaBox object
		node.each(func(k []byte, v object) bool {
			switch {
			case nameIs(k, "Type"):
				typ = v
			case nameIs(k, "Kids"):
				kids = v
			case nameIs(k, "Parent"):
				parent = v
			case nameIs(k, "MediaBox"):
				mediaBox = v
			}
			return true
		})
		if n.kid {
			if typ.kind != kindName || !(typ.isName("Pages") || typ.isName("Page")) {
				return 0, fmt.Errorf("page tree: %s has /Type %.40s, not /Pages or /Page", describe(n.obj), typ.raw)
			}
			if parent.kind != kindRef {
				return 0, fmt.Errorf("page tree: %s has no /Parent", describe(n.obj))
			}
		}
		if mediaBox, err = d.resolve(mediaBox); err != nil {
			return 0, err
		}
		if mediaBox.kind != kindNull && !isRectangle(mediaBox) {
			return 0, fmt.Errorf("page tree: %s has a /MediaBox that is not four numbers", describe(n.obj))
		}
		hasMediaBox := n.mediaBox || mediaBox.kind == kindArray
		if !n.kid || typ.isName("Pages") {
			if n.depth >= d.bud.MaxPageTreeDepth {
				return 0, overLimit(LimitPageTreeDepth, int64(d.bud.MaxPageTreeDepth), int64(d.bud.MaxPageTreeDepth)+1)
			}
			if kids, err = d.resolve(kids); err != nil {
				return 0, err
			}
			if kids.kind != kindArray {
				return 0, fmt.Errorf("page tree: %s has no /Kids array", describe(n.obj))
			}
			base := len(stack)
			kids.each(func(_ []byte, k object) bool {
				stack = append(stack, pageNode{obj: k, depth: n.depth + 1, kid: true, mediaBox: hasMediaBox})
				return len(stack) <= d.bud.MaxObjects
			})
			if len(stack) > d.bud.MaxObjects {
				return 0, overLimit(LimitObjects, int64(d.bud.MaxObjects), int64(d.bud.MaxObjects)+1)
			}
			// Reversed, so that pages are visited in order.
			for i, j := base, len(stack)-1; i < j; i, j = i+1, j-1 {
				stack[i], stack[j] = stack[j], stack[i]
			}
			continue
		}
		pages++
		if pages > d.bud.MaxPages {
			return 0, overLimit(LimitPages, int64(d.bud.MaxPages), max(count.num, int64(pages)))
		}
		if !hasMediaBox {
			return 0, fmt.Errorf("page %d has no /MediaBox", pages)
		}
		if err := d.contents(node, pages); err != nil {
			return 0, err
		}
	}
	if int64(pages) != count.num {
		return 0, fmt.Errorf("page tree: found %d pages, expected %d", pages, count.num)
	}
	if pages < 1 {
		return 0, ErrNoPages
	}
	return pages, nil
}

// contents requires a page's /Contents, when present, to be streams, and
// decodes them within the budget: stamping decodes them again, once for
// each page that uses them, so each use counts.
func (d *document) contents(page object, nr int) error {
	c, ok := page.lookup("Contents")
	if !ok {
		return nil // a blank page
	}
	one := func(o object) error {
		s, err := d.resolve(o)
		if err != nil {
			return err
		}
		if s.kind != kindStream {
			return fmt.Errorf("page %d: missing content stream", nr)
		}
		if err := d.countUse(o, s); err != nil {
			return fmt.Errorf("page %d: content stream: %w", nr, err)
		}
		return nil
	}
	v, err := d.resolve(c)
	if err != nil {
		return err
	}
	if v.kind != kindArray {
		return one(c)
	}
	v.each(func(_ []byte, o object) bool {
		err = one(o)
		return err == nil
	})
	return err
}

// countUse counts one use of stream s, found through o, against the
// budget; a stream used again is not decoded again.
func (d *document) countUse(o, s object) error {
	if o.kind == kindRef {
		if n, ok := d.decoded[o.num]; ok {
			return d.bud.decode(int(n))
		}
	}
	n, err := d.countDecoded(s)
	if err != nil {
		return err
	}
	if o.kind == kindRef {
		if d.decoded == nil {
			d.decoded = map[int64]int64{}
		}
		d.decoded[o.num] = n
	}
	return nil
}

// decodeRest decodes, within the budget, the streams a pdfcpu rewrite
// decodes besides page contents: the catalog's XMP metadata, and every
// object stream the cross-reference table names.
func (d *document) decodeRest(catalog object) error {
	if m, err := d.resolve(catalog.get("Metadata")); err != nil {
		return err
	} else if m.kind == kindStream {
		if _, err := d.countDecoded(m); err != nil && isFatal(err) {
			return err // pdfcpu forgives metadata it cannot decode
		}
	}
	var done bitset
	for _, e := range d.xref {
		if e.kind != entryInStream || e.off >= int64(len(d.xref)) || d.streams[e.off] != nil || done.has(e.off) {
			continue // a stream beyond the table: its objects read as null
		}
		done.add(e.off)
		if _, err := d.objStream(e.off); err != nil {
			return err
		}
	}
	return nil
}

// isRectangle reports whether o is an array of four numbers (7.9.5).
func isRectangle(o object) bool {
	if o.kind != kindArray {
		return false
	}
	n, numbers := 0, true
	o.each(func(_ []byte, v object) bool {
		n++
		numbers = v.kind == kindInt || v.kind == kindReal
		return numbers
	})
	return numbers && n == 4
}

// describe names an object in an error message.
func describe(o object) string {
	if o.kind == kindRef {
		return fmt.Sprintf("object %d", o.num)
	}
	return fmt.Sprintf("%.40q", o.raw)
}

// bitset is a set of small non-negative integers.
type bitset []uint64

func (s bitset) has(i int64) bool {
	return i >= 0 && int(i/64) < len(s) && s[i/64]&(1<<(i%64)) != 0
}

func (s *bitset) add(i int64) {
	if i < 0 {
		return
	}
	for int(i/64) >= len(*s) {
		*s = append(*s, 0)
	}
	(*s)[i/64] |= 1 << (i % 64)
}
