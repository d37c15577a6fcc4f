package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Limits on what AppendPages copies and merges, against hostile input.
const (
	maxNameTreeDepth   = 32
	maxNameTreeEntries = 10000
	maxCopiedObjects   = 100000
)

// AppendPages returns b with the pages of tail added after its last page,
// and tail's embedded files added to b's, in one incremental update: b's
// bytes stay exactly as they are, so its pages are not touched and a
// reader can still show the document as it was.
//
// Each page of tail comes with everything it references (content streams,
// fonts, images, annotations), and with the attributes it inherits from
// tail's page tree made its own. Tail's other document-level parts
// (outlines, forms, structure tree, metadata) are left out. Both documents
// must pass Validate; b must not be certified against changes.
func AppendPages(b, tail []byte) (out []byte, err error) {
	if _, err := Validate(b); err != nil {
		return nil, fmt.Errorf("append pages: %w", err)
	}
	if _, err := Validate(tail); err != nil {
		return nil, fmt.Errorf("append pages: tail: %w", err)
	}
	doc, err := readForUpdate(b)
	if err != nil {
		return nil, fmt.Errorf("append pages: %w", err)
	}
	src, err := readRaw(tail)
	if err != nil {
		return nil, fmt.Errorf("append pages: tail: %w", err)
	}
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("append pages: internal pdfcpu failure: %v", r)
		}
	}()
	u := &increment{doc: doc, next: doc.size, changed: map[int]updated{}}
	c := &copier{src: src, u: u, refs: map[int]types.IndirectRef{}}
	if err := c.pages(); err != nil {
		return nil, fmt.Errorf("append pages: %w", err)
	}
	if err := c.embeddedFiles(); err != nil {
		return nil, fmt.Errorf("append pages: embedded files: %w", err)
	}
	if err := c.drain(); err != nil {
		return nil, fmt.Errorf("append pages: %w", err)
	}
	return u.write(b), nil
}

// copier copies objects of src into the increment u under new numbers.
type copier struct {
	src   *model.Context
	u     *increment
	refs  map[int]types.IndirectRef // src object number → new reference
	queue []int                     // src objects referenced but not yet copied
}

// inheritable are the page attributes a page may take from its ancestors.
var inheritable = []string{"Resources", "MediaBox", "CropBox", "Rotate"}

// pages copies src's pages to the end of the document's page tree. The new
// pages hang directly off the tree's root.
func (c *copier) pages() error {
	root, ok := c.u.doc.catalog["Pages"].(types.IndirectRef)
	if !ok {
		return errors.New("catalog /Pages is not an indirect reference")
	}
	tree, err := c.u.dict(root)
	if err != nil {
		return fmt.Errorf("page tree: %w", err)
	}
	count := tree.IntEntry("Count")
	if count == nil {
		return errors.New("page tree without /Count")
	}
	if err := c.src.EnsurePageCount(); err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	type page struct {
		dict types.Dict
		ref  types.IndirectRef
	}
	pages := make([]page, 0, c.src.PageCount)
	// Number all pages first, so that references between them (an
	// annotation's /P, a link's destination) find their copies.
	for i := 1; i <= c.src.PageCount; i++ {
		d, ref, inh, err := c.src.PageDict(i, false)
		if err != nil {
			return fmt.Errorf("tail page %d: %w", i, err)
		}
		d = d.Clone().(types.Dict)
		for _, k := range inheritable {
			if _, ok := d[k]; ok {
				continue
			}
			if v := inherited(k, inh); v != nil {
				d[k] = v
			}
		}
		// Whatever the page does not set it would inherit from the
		// document's page tree: a rotation, a crop box.
		if _, ok := d["Rotate"]; !ok {
			d["Rotate"] = types.Integer(0)
		}
		if _, ok := d["Resources"]; !ok {
			d["Resources"] = types.Dict{}
		}
		if _, ok := d["CropBox"]; !ok && d["MediaBox"] != nil {
			d["CropBox"] = d["MediaBox"]
		}
		// The parent, and parts that belong to the tail's document-level
		// structures, which are not copied.
		for _, k := range []string{"Parent", "StructParents", "B", "PieceInfo"} {
			delete(d, k)
		}
		nr := c.u.newRef()
		c.refs[ref.ObjectNumber.Value()] = nr
		pages = append(pages, page{d, nr})
	}
	for _, p := range pages {
		body, err := c.value(p.dict, 0)
		if err != nil {
			return err
		}
		d := body.(types.Dict)
		d["Parent"] = root
		c.u.changed[p.ref.ObjectNumber.Value()] = updated{body: d}
		if err := c.u.appendTo(tree, "Kids", p.ref); err != nil {
			return fmt.Errorf("page tree: %w", err)
		}
	}
	tree["Count"] = types.Integer(*count + len(pages))
	c.u.changed[root.ObjectNumber.Value()] = updated{gen: root.GenerationNumber.Value(), body: tree}
	return nil
}

// inherited returns the value of the inheritable attribute k, or nil.
func inherited(k string, inh *model.InheritedPageAttrs) types.Object {
	if inh == nil {
		return nil
	}
	switch k {
	case "Resources":
		if inh.Resources != nil {
			return inh.Resources
		}
	case "MediaBox":
		if inh.MediaBox != nil {
			return inh.MediaBox.Array()
		}
	case "CropBox":
		if inh.CropBox != nil {
			return inh.CropBox.Array()
		}
	case "Rotate":
		if inh.Rotate != 0 {
			return types.Integer(inh.Rotate)
		}
	}
	return nil
}

// maxValueDepth bounds the nesting of direct objects copied.
const maxValueDepth = 64

// value returns o with every indirect reference replaced by the reference
// to its copy, queueing the objects not yet copied.
func (c *copier) value(o types.Object, depth int) (types.Object, error) {
	if depth > maxValueDepth {
		return nil, errors.New("objects nested too deeply")
	}
	switch v := o.(type) {
	case types.IndirectRef:
		return c.ref(v)
	case types.Dict:
		d := types.Dict{}
		for k, e := range v {
			e, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			if e != nil {
				d[k] = e
			}
		}
		return d, nil
	case types.Array:
		a := make(types.Array, len(v))
		for i, e := range v {
			e, err := c.value(e, depth+1)
			if err != nil {
				return nil, err
			}
			a[i] = e
		}
		return a, nil
	}
	return o, nil
}

// ref returns the reference to the copy of the object r points at. A
// reference to a part of the tail that is not copied (its page tree, its
// catalog) becomes null.
func (c *copier) ref(r types.IndirectRef) (types.Object, error) {
	nr := r.ObjectNumber.Value()
	if to, ok := c.refs[nr]; ok {
		return to, nil
	}
	o, err := c.src.Dereference(r)
	if err != nil {
		return nil, fmt.Errorf("tail object %d: %w", nr, err)
	}
	if d, ok := o.(types.Dict); ok {
		if t := d.Type(); t != nil && (*t == "Pages" || *t == "Page" || *t == "Catalog") {
			return nil, nil
		}
	}
	if len(c.refs) >= maxCopiedObjects {
		return nil, errors.New("tail has too many objects")
	}
	to := c.u.newRef()
	c.refs[nr] = to
	c.queue = append(c.queue, nr)
	return to, nil
}

// drain copies the queued objects and the ones they reference in turn.
func (c *copier) drain() error {
	for len(c.queue) > 0 {
		nr := c.queue[0]
		c.queue = c.queue[1:]
		o, err := c.src.Dereference(*types.NewIndirectRef(nr, 0))
		if err != nil {
			return fmt.Errorf("tail object %d: %w", nr, err)
		}
		var body types.Object
		switch v := o.(type) {
		case types.StreamDict:
			d, err := c.value(v.Dict, 0)
			if err != nil {
				return err
			}
			sd := v
			sd.Dict = d.(types.Dict)
			sd.Dict["Length"] = types.Integer(len(v.Raw))
			body = sd
		default:
			if body, err = c.value(o, 0); err != nil {
				return err
			}
		}
		c.u.changed[c.refs[nr].ObjectNumber.Value()] = updated{body: body}
	}
	return nil
}

// nameEntry is a key and value of a name tree.
type nameEntry struct {
	key []byte
	val types.Object
}

// embeddedFiles adds tail's embedded files to the document's, renaming
// those whose names are taken. The merged tree is written as one leaf.
func (c *copier) embeddedFiles() error {
	srcCatalog, err := c.src.Catalog()
	if err != nil {
		return fmt.Errorf("tail: %w", err)
	}
	added, err := embeddedFileEntries(c.src, srcCatalog)
	if err != nil || len(added) == 0 {
		return err
	}
	root := c.u.doc.root
	catalog, err := c.u.dict(root)
	if err != nil {
		return err
	}
	existing, err := embeddedFileEntries(c.u.doc.ctx, catalog)
	if err != nil {
		return err
	}
	taken := map[string]bool{}
	for _, e := range existing {
		taken[string(e.key)] = true
	}
	entries := existing
	for _, e := range added {
		key := string(e.key)
		for n := 2; taken[key]; n++ {
			key = string(e.key) + " (" + strconv.Itoa(n) + ")"
		}
		taken[key] = true
		val, err := c.value(e.val, 0)
		if err != nil {
			return err
		}
		entries = append(entries, nameEntry{[]byte(key), val})
	}
	slices.SortFunc(entries, func(x, y nameEntry) int { return bytes.Compare(x.key, y.key) })
	var arr types.Array
	for _, e := range entries {
		arr = append(arr, types.HexLiteral(fmt.Sprintf("%X", e.key)), e.val)
	}
	leaf := c.u.newRef()
	c.u.changed[leaf.ObjectNumber.Value()] = updated{body: types.Dict{"Names": arr}}

	switch v := catalog["Names"].(type) {
	case types.IndirectRef:
		names, err := c.u.dict(v)
		if err != nil {
			return fmt.Errorf("/Names: %w", err)
		}
		names["EmbeddedFiles"] = leaf
		c.u.changed[v.ObjectNumber.Value()] = updated{gen: v.GenerationNumber.Value(), body: names}
		return nil
	case types.Dict:
		names := v.Clone().(types.Dict)
		names["EmbeddedFiles"] = leaf
		catalog["Names"] = names
	default:
		catalog["Names"] = types.Dict{"EmbeddedFiles": leaf}
	}
	c.u.changed[root.ObjectNumber.Value()] = updated{gen: root.GenerationNumber.Value(), body: catalog}
	return nil
}

// embeddedFileEntries returns the entries of the catalog's /EmbeddedFiles
// name tree, if any.
func embeddedFileEntries(ctx *model.Context, catalog types.Dict) ([]nameEntry, error) {
	names, err := ctx.DereferenceDict(catalog["Names"])
	if err != nil || names == nil {
		return nil, err
	}
	var out []nameEntry
	if err := walkNameTree(ctx, names["EmbeddedFiles"], 0, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// walkNameTree appends the entries of the name tree node o to out.
func walkNameTree(ctx *model.Context, o types.Object, depth int, out *[]nameEntry) error {
	if depth > maxNameTreeDepth {
		return errors.New("name tree too deep")
	}
	node, err := ctx.DereferenceDict(o)
	if err != nil || node == nil {
		return err
	}
	kids, err := ctx.DereferenceArray(node["Kids"])
	if err != nil {
		return err
	}
	for _, k := range kids {
		if err := walkNameTree(ctx, k, depth+1, out); err != nil {
			return err
		}
	}
	arr, err := ctx.DereferenceArray(node["Names"])
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(arr); i += 2 {
		if len(*out) >= maxNameTreeEntries {
			return errors.New("name tree has too many entries")
		}
		key, err := ctx.Dereference(arr[i])
		if err != nil {
			return err
		}
		var kb []byte
		switch k := key.(type) {
		case types.StringLiteral:
			kb, err = types.Unescape(k.Value())
		case types.HexLiteral:
			kb, err = k.Bytes()
		default:
			err = fmt.Errorf("name tree key is a %T", key)
		}
		if err != nil {
			return err
		}
		*out = append(*out, nameEntry{kb, arr[i+1]})
	}
	return nil
}

// write returns b followed by the update's objects and cross-reference
// section. Unlike a signature's update it may hold streams.
func (u *increment) write(b []byte) []byte {
	var buf bytes.Buffer
	buf.Write(b)
	if n := len(b); n > 0 && b[n-1] != '\n' && b[n-1] != '\r' {
		buf.WriteByte('\n')
	}
	offsets, gens := map[int]int{}, map[int]int{}
	for _, nr := range slices.Sorted(maps.Keys(u.changed)) {
		o := u.changed[nr]
		offsets[nr], gens[nr] = buf.Len(), o.gen
		fmt.Fprintf(&buf, "%d %d obj\n", nr, o.gen)
		if sd, ok := o.body.(types.StreamDict); ok {
			buf.WriteString(sd.Dict.PDFString())
			buf.WriteString("\nstream\n")
			buf.Write(sd.Raw)
			buf.WriteString("\nendstream")
		} else {
			buf.WriteString(o.body.PDFString())
		}
		buf.WriteString("\nendobj\n")
	}
	if u.doc.xrefStream {
		u.writeXrefStream(&buf, offsets, gens)
	} else {
		u.writeXrefTable(&buf, offsets, gens)
	}
	return buf.Bytes()
}
