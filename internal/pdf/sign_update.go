package pdf

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// updateDoc is what an incremental update needs to know about a document:
// where its last cross-reference section is and in which form, the trailer
// entries to repeat, and the objects a new signature field changes.
type updateDoc struct {
	prevXref   int64 // offset of the last cross-reference section
	xrefStream bool  // the last section is a cross-reference stream
	size       int   // the trailer's /Size: the first free object number
	root       types.IndirectRef
	info       *types.IndirectRef
	id         types.Array
	ctx        *model.Context
	catalog    types.Dict
	page       types.IndirectRef // the last page: the widget's page
	pageDict   types.Dict
}

// startxrefRE finds the offset of the last cross-reference section.
var (
	startxrefRE = regexp.MustCompile(`startxref\s+(\d+)\s+%%EOF`)
	xrefObjRE   = regexp.MustCompile(`\A\s*\d+\s+\d+\s+obj\b`)
)

// readForUpdate reads what an incremental update of b needs. It refuses
// files whose startxref does not point at a cross-reference section (a
// reader repairing them would not find our update either) and certified
// documents that forbid changes.
func readForUpdate(b []byte) (doc *updateDoc, err error) {
	doc = &updateDoc{}
	tail := b[max(0, len(b)-eofWindow):]
	m := startxrefRE.FindAllSubmatch(tail, -1)
	if m == nil {
		return nil, errors.New("no startxref before %%EOF")
	}
	doc.prevXref, err = strconv.ParseInt(string(m[len(m)-1][1]), 10, 64)
	if err != nil || doc.prevXref <= 0 || doc.prevXref >= int64(len(b)) {
		return nil, fmt.Errorf("startxref %s is outside the file", m[len(m)-1][1])
	}
	at := b[doc.prevXref:]
	switch {
	case bytes.HasPrefix(bytes.TrimLeft(at, " \t\r\n\f\x00"), []byte("xref")):
	case xrefObjRE.Match(at[:min(len(at), 64)]):
		doc.xrefStream = true
	default:
		return nil, fmt.Errorf("startxref %d does not point at a cross-reference section", doc.prevXref)
	}

	ctx, err := readRaw(b)
	if err != nil {
		return nil, err
	}
	if ctx.Root == nil || ctx.Size == nil {
		return nil, errors.New("trailer without /Root or /Size")
	}
	doc.ctx, doc.root, doc.info, doc.id, doc.size = ctx, *ctx.Root, ctx.Info, ctx.ID, *ctx.Size
	if doc.catalog, err = ctx.DereferenceDict(doc.root); err != nil || doc.catalog == nil {
		return nil, fmt.Errorf("catalog: %v", err)
	}
	if certifiedNoChanges(ctx, doc.catalog) {
		return nil, ErrCertified
	}
	if err := ctx.EnsurePageCount(); err != nil {
		return nil, err
	}
	pageDict, pageRef, _, err := ctx.PageDict(ctx.PageCount, false)
	if err != nil {
		return nil, fmt.Errorf("last page: %w", err)
	}
	doc.page, doc.pageDict = *pageRef, pageDict
	return doc, nil
}

// readRaw parses b with pdfcpu, without validating or changing anything.
func readRaw(b []byte) (ctx *model.Context, err error) {
	defer func() {
		if r := recover(); r != nil {
			ctx, err = nil, malformed(fmt.Errorf("parser failure: %v", r))
		}
	}()
	ctx, err = api.ReadContext(bytes.NewReader(b), newConfig(model.VALIDATE))
	if err != nil {
		if isPasswordError(err) {
			return nil, ErrEncrypted
		}
		return nil, malformed(err)
	}
	if ctx.Root == nil {
		return nil, malformed(errors.New("trailer without /Root"))
	}
	return ctx, nil
}

// certifiedNoChanges reports whether a certification signature forbids
// any change: a DocMDP transform with /P 1. The catalog's /Perms names the
// certification signature, but some signers (digitorus/pdfsign) leave it
// out, so every signature's /Reference counts.
func certifiedNoChanges(ctx *model.Context, catalog types.Dict) bool {
	var sigs []types.Dict
	if perms, err := ctx.DereferenceDict(catalog["Perms"]); err == nil && perms != nil {
		if sig, err := ctx.DereferenceDict(perms["DocMDP"]); err == nil && sig != nil {
			sigs = append(sigs, sig)
		}
	}
	for _, f := range signatureFields(ctx) {
		sigs = append(sigs, f.sig)
	}
	for _, sig := range sigs {
		refs, err := ctx.DereferenceArray(sig["Reference"])
		if err != nil {
			continue
		}
		for _, r := range refs {
			ref, err := ctx.DereferenceDict(r)
			if err != nil || ref == nil || ref.NameEntry("TransformMethod") == nil || *ref.NameEntry("TransformMethod") != "DocMDP" {
				continue
			}
			params, err := ctx.DereferenceDict(ref["TransformParams"])
			if err != nil || params == nil {
				continue
			}
			if p := params.IntEntry("P"); p != nil && *p == 1 {
				return true
			}
		}
	}
	return false
}

// sigDict describes the signature dictionary to write.
type sigDict struct {
	info    SignInfo
	time    time.Time
	reserve int // bytes of CMS /Contents can hold
}

// byteRangePlaceholder is as wide as the largest /ByteRange we write, so
// filling it in moves nothing.
const byteRangePlaceholder = "[0 0000000000 0000000000 0000000000]"

// appendSignature returns b with an incremental update that adds an
// invisible signature field on the last page and its signature dictionary,
// /Contents zero-filled, /ByteRange filled in. contents is the [start, end)
// of the /Contents hex string including its angle brackets.
func (d *updateDoc) appendSignature(b []byte, sig sigDict) (out []byte, contents [2]int, err error) {
	u := &increment{doc: d, next: d.size, changed: map[int]updated{}}
	sigRef := u.newRef()
	widgetRef := u.newRef()

	if err := u.addField(widgetRef); err != nil {
		return nil, contents, err
	}
	if err := u.addAnnot(widgetRef); err != nil {
		return nil, contents, err
	}

	var buf bytes.Buffer
	buf.Grow(len(b) + 2*sig.reserve + 4096)
	buf.Write(b)
	if n := len(b); n > 0 && b[n-1] != '\n' && b[n-1] != '\r' {
		buf.WriteByte('\n')
	}
	offsets := map[int]int{} // object number → offset

	// The signature dictionary, with /Contents and /ByteRange to fill in.
	offsets[sigRef.ObjectNumber.Value()] = buf.Len()
	fmt.Fprintf(&buf, "%d 0 obj\n<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange", sigRef.ObjectNumber)
	byteRangeAt := buf.Len()
	buf.WriteString(byteRangePlaceholder)
	buf.WriteString("/Contents")
	contents[0] = buf.Len()
	buf.WriteByte('<')
	buf.Write(bytes.Repeat([]byte{'0'}, 2*sig.reserve))
	buf.WriteByte('>')
	contents[1] = buf.Len()
	fmt.Fprintf(&buf, "/M%s", infoString(pdfDate(sig.time)))
	for _, e := range []struct{ key, val string }{
		{"Name", sig.info.Name}, {"Reason", sig.info.Reason},
		{"Location", sig.info.Location}, {"ContactInfo", sig.info.ContactInfo},
	} {
		if e.val != "" {
			fmt.Fprintf(&buf, "/%s%s", e.key, infoString(e.val))
		}
	}
	buf.WriteString("/Prop_Build<</App<</Name/Signet>>>>>>\nendobj\n")

	widget := types.Dict{
		"Type": types.Name("Annot"), "Subtype": types.Name("Widget"), "FT": types.Name("Sig"),
		"T": types.StringLiteral(d.fieldName()), "V": sigRef, "P": d.page,
		"F":    types.Integer(132), // print, locked
		"Rect": types.Array{types.Integer(0), types.Integer(0), types.Integer(0), types.Integer(0)},
	}
	u.changed[widgetRef.ObjectNumber.Value()] = updated{gen: 0, body: widget}

	for _, nr := range slices.Sorted(maps.Keys(u.changed)) {
		o := u.changed[nr]
		offsets[nr] = buf.Len()
		fmt.Fprintf(&buf, "%d %d obj\n%s\nendobj\n", nr, o.gen, o.body.PDFString())
	}

	gens := map[int]int{}
	for nr, o := range u.changed {
		gens[nr] = o.gen
	}
	if d.xrefStream {
		u.writeXrefStream(&buf, offsets, gens)
	} else {
		u.writeXrefTable(&buf, offsets, gens)
	}

	out = buf.Bytes()
	br := fmt.Sprintf("[0 %d %d %d]", contents[0], contents[1], len(out)-contents[1])
	if len(br) > len(byteRangePlaceholder) {
		return nil, contents, errors.New("file too large for a signature")
	}
	copy(out[byteRangeAt:], br+strings.Repeat(" ", len(byteRangePlaceholder)-len(br)))
	return out, contents, nil
}

// updated is a changed or new indirect object of an incremental update.
type updated struct {
	gen  int
	body types.Object // a Dict or an Array
}

// increment collects the objects an incremental update writes.
type increment struct {
	doc     *updateDoc
	next    int             // the next free object number
	changed map[int]updated // by object number
}

func (u *increment) newRef() types.IndirectRef {
	r := types.NewIndirectRef(u.next, 0)
	u.next++
	return *r
}

// dict returns a copy of the dictionary ref points at, as changed so far.
func (u *increment) dict(ref types.IndirectRef) (types.Dict, error) {
	if o, ok := u.changed[ref.ObjectNumber.Value()]; ok {
		if d, ok := o.body.(types.Dict); ok {
			return d, nil
		}
	}
	d, err := u.doc.ctx.DereferenceDict(ref)
	if err != nil || d == nil {
		return nil, fmt.Errorf("object %s: not a dictionary", ref)
	}
	return d.Clone().(types.Dict), nil
}

// appendTo adds ref to the array held by d[key], which may be missing, a
// direct array, or a reference to one (then that object changes).
func (u *increment) appendTo(d types.Dict, key string, ref types.IndirectRef) error {
	switch v := d[key].(type) {
	case nil:
		d[key] = types.Array{ref}
	case types.Array:
		d[key] = append(slices.Clone(v), ref)
	case types.IndirectRef:
		var arr types.Array
		if o, ok := u.changed[v.ObjectNumber.Value()]; ok {
			arr, _ = o.body.(types.Array)
		} else {
			a, err := u.doc.ctx.DereferenceArray(v)
			if err != nil {
				return fmt.Errorf("/%s: %w", key, err)
			}
			arr = slices.Clone(a)
		}
		u.changed[v.ObjectNumber.Value()] = updated{gen: v.GenerationNumber.Value(), body: append(arr, ref)}
	default:
		return fmt.Errorf("/%s is a %T, not an array", key, v)
	}
	return nil
}

// addField adds the signature field to the AcroForm, creating the form if
// the document has none, and marks the document as signed.
func (u *increment) addField(field types.IndirectRef) error {
	root := u.doc.root
	catalog, err := u.dict(root)
	if err != nil {
		return err
	}
	var form types.Dict
	formRef, indirect := catalog["AcroForm"].(types.IndirectRef)
	switch v := catalog["AcroForm"].(type) {
	case nil:
		form = types.Dict{}
	case types.IndirectRef:
		if form, err = u.dict(v); err != nil {
			return fmt.Errorf("AcroForm: %w", err)
		}
	case types.Dict:
		form = v.Clone().(types.Dict)
	default:
		return fmt.Errorf("AcroForm is a %T", v)
	}
	if err := u.appendTo(form, "Fields", field); err != nil {
		return fmt.Errorf("AcroForm: %w", err)
	}
	form["SigFlags"] = types.Integer(3) // SignaturesExist | AppendOnly
	if indirect {
		u.changed[formRef.ObjectNumber.Value()] = updated{gen: formRef.GenerationNumber.Value(), body: form}
		return nil
	}
	if catalog["AcroForm"] == nil {
		ref := u.newRef()
		u.changed[ref.ObjectNumber.Value()] = updated{body: form}
		catalog["AcroForm"] = ref
	} else {
		catalog["AcroForm"] = form
	}
	u.changed[root.ObjectNumber.Value()] = updated{gen: root.GenerationNumber.Value(), body: catalog}
	return nil
}

// addAnnot adds the widget to the last page's annotations.
func (u *increment) addAnnot(widget types.IndirectRef) error {
	page, err := u.dict(u.doc.page)
	if err != nil {
		return err
	}
	if err := u.appendTo(page, "Annots", widget); err != nil {
		return fmt.Errorf("last page: %w", err)
	}
	if _, indirect := page["Annots"].(types.IndirectRef); !indirect {
		u.changed[u.doc.page.ObjectNumber.Value()] = updated{gen: u.doc.page.GenerationNumber.Value(), body: page}
	}
	return nil
}

// fieldName returns "Signature<n>" for the lowest n that no top-level
// field of the document's form has as its name.
func (d *updateDoc) fieldName() string {
	taken := map[string]bool{}
	if form, err := d.ctx.DereferenceDict(d.catalog["AcroForm"]); err == nil && form != nil {
		fields, _ := d.ctx.DereferenceArray(form["Fields"])
		for _, f := range fields {
			if fd, err := d.ctx.DereferenceDict(f); err == nil && fd != nil {
				if t := fd.StringEntry("T"); t != nil {
					taken[*t] = true
				}
			}
		}
	}
	for n := 1; ; n++ {
		if name := "Signature" + strconv.Itoa(n); !taken[name] {
			return name
		}
	}
}

// trailer returns the trailer entries every update repeats.
func (u *increment) trailer(size int) types.Dict {
	t := types.Dict{"Size": types.Integer(size), "Root": u.doc.root, "Prev": types.Integer(u.doc.prevXref)}
	if u.doc.info != nil {
		t["Info"] = *u.doc.info
	}
	if len(u.doc.id) == 2 {
		t["ID"] = u.doc.id
	} else {
		// PDF 2.0 requires an ID; older files may lack one.
		sum := sha256.Sum256([]byte(u.doc.root.String() + strconv.FormatInt(u.doc.prevXref, 10)))
		id := types.HexLiteral(fmt.Sprintf("%X", sum[:16]))
		t["ID"] = types.Array{id, id}
	}
	return t
}

// writeXrefTable writes a classic cross-reference section, the trailer and
// the end of file.
func (u *increment) writeXrefTable(buf *bytes.Buffer, offsets, gens map[int]int) {
	start := buf.Len()
	buf.WriteString("xref\n")
	nrs := slices.Sorted(maps.Keys(offsets))
	for _, run := range runs(nrs) {
		fmt.Fprintf(buf, "%d %d\n", run[0], len(run))
		for _, nr := range run {
			fmt.Fprintf(buf, "%010d %05d n\r\n", offsets[nr], gens[nr])
		}
	}
	fmt.Fprintf(buf, "trailer\n%s\nstartxref\n%d\n%%%%EOF\n", u.trailer(max(u.doc.size, nrs[len(nrs)-1]+1)).PDFString(), start)
}

// writeXrefStream writes a cross-reference stream (the form the document
// already uses) and the end of file. The stream is not compressed: it has a
// few entries.
func (u *increment) writeXrefStream(buf *bytes.Buffer, offsets, gens map[int]int) {
	self := u.newRef().ObjectNumber.Value()
	start := buf.Len()
	offsets[self] = start
	nrs := slices.Sorted(maps.Keys(offsets))
	width := 4
	if start > 1<<32-1 {
		width = 8
	}
	var index types.Array
	var data []byte
	for _, run := range runs(nrs) {
		index = append(index, types.Integer(run[0]), types.Integer(len(run)))
		for _, nr := range run {
			var off [8]byte
			binary.BigEndian.PutUint64(off[:], uint64(offsets[nr]))
			data = append(data, 1)
			data = append(data, off[8-width:]...)
			data = binary.BigEndian.AppendUint16(data, uint16(gens[nr]))
		}
	}
	d := u.trailer(self + 1)
	d["Type"] = types.Name("XRef")
	d["W"] = types.Array{types.Integer(1), types.Integer(width), types.Integer(2)}
	d["Index"] = index
	d["Length"] = types.Integer(len(data))
	fmt.Fprintf(buf, "%d 0 obj\n%s\nstream\n", self, d.PDFString())
	buf.Write(data)
	fmt.Fprintf(buf, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", start)
}

// runs splits sorted object numbers into runs of consecutive numbers: the
// subsections of a cross-reference section.
func runs(nrs []int) [][]int {
	var out [][]int
	for i, nr := range nrs {
		if i > 0 && nr == nrs[i-1]+1 {
			out[len(out)-1] = append(out[len(out)-1], nr)
			continue
		}
		out = append(out, []int{nr})
	}
	return out
}

// pdfDate formats t as a PDF date in UTC: D:YYYYMMDDHHmmSS+00'00'.
func pdfDate(t time.Time) string {
	return t.UTC().Format("D:20060102150405") + "+00'00'"
}
