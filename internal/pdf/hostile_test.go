package pdf

import (
	"bytes"
	"compress/flate"
	"compress/zlib"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// This file writes the hostile PDFs committed under testdata/hostile: a
// few kilobytes each, built to cost a reader gigabytes, hours or its
// stack. TestHostileFixtures keeps the files in sync with the code here;
// regenerate them with
//
//	go test ./internal/pdf -run TestHostileFixtures -update

const hostileDir = "testdata/hostile"

// testObj is one indirect object for writeTestPDF: body is the object,
// or a stream's dictionary (its /Length is added unless it has one), data
// a stream's encoded data.
type testObj struct {
	body   string
	data   []byte
	stream bool
}

func dictObj(format string, args ...any) testObj { return testObj{body: fmt.Sprintf(format, args...)} }

func streamObj(dict string, data []byte) testObj {
	return testObj{body: dict, data: data, stream: true}
}

// testLayout says how writeTestPDF lays out the objects.
type testLayout struct {
	// compressed puts every non-stream object into one object stream and
	// writes a cross-reference stream (PDF 1.5), which is how small files
	// carry many objects.
	compressed bool
	// flateLayers deflates the object stream that many times.
	flateLayers int
	// claimSize, if larger, is the /Size the cross-reference stream claims,
	// with all-zero (free) entries for the objects beyond the real ones.
	claimSize int
	// objStmData, if set, replaces the object stream's (encoded) data.
	objStmData []byte
}

// writeTestPDF writes objs as objects 1..n with object 1 the catalog.
func writeTestPDF(objs []testObj, lay testLayout) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	n := len(objs)
	type loc struct {
		typ      byte
		off, idx int
	}
	locs := make([]loc, n+3) // objects, object stream, xref stream
	writeObj := func(num int, o testObj) {
		locs[num] = loc{typ: 1, off: b.Len()}
		fmt.Fprintf(&b, "%d 0 obj\n", num)
		if !o.stream {
			b.WriteString(o.body)
			b.WriteString("\nendobj\n")
			return
		}
		body := strings.TrimSpace(o.body)
		if !strings.Contains(body, "/Length") {
			body = fmt.Sprintf("%s /Length %d >>", strings.TrimSuffix(body, ">>"), len(o.data))
		}
		fmt.Fprintf(&b, "%s\nstream\n", body)
		b.Write(o.data)
		b.WriteString("\nendstream\nendobj\n")
	}
	if !lay.compressed {
		for i, o := range objs {
			writeObj(i+1, o)
		}
		xref := b.Len()
		fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", n+1)
		for _, l := range locs[1 : n+1] {
			fmt.Fprintf(&b, "%010d 00000 n \n", l.off)
		}
		fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", n+1, xref)
		return b.Bytes()
	}
	stm := n + 1
	var head, body bytes.Buffer
	count := 0
	for i, o := range objs {
		if o.stream {
			writeObj(i+1, o)
			continue
		}
		locs[i+1] = loc{typ: 2, off: stm, idx: count}
		fmt.Fprintf(&head, "%d %d ", i+1, body.Len())
		body.WriteString(o.body)
		body.WriteByte('\n')
		count++
	}
	data := append(head.Bytes(), body.Bytes()...)
	filters := ""
	for range max(lay.flateLayers, 1) {
		data = deflate(data)
		filters += "/FlateDecode "
	}
	if lay.objStmData != nil {
		data = lay.objStmData
	}
	writeObj(stm, streamObj(fmt.Sprintf("<< /Type /ObjStm /N %d /First %d /Filter [%s] >>", count, head.Len(), filters), data))
	xrefNum := stm + 1
	locs[xrefNum] = loc{typ: 1, off: b.Len()}
	size := max(lay.claimSize, xrefNum+1)
	rows := make([]byte, 0, 7*size)
	for i := range size {
		var l loc
		if i < len(locs) {
			l = locs[i]
		}
		rows = append(rows, l.typ)
		f2, f3 := l.off, l.idx
		if i == 0 {
			f3 = 0xffff
		}
		rows = binary.BigEndian.AppendUint32(rows, uint32(f2))
		rows = binary.BigEndian.AppendUint16(rows, uint16(f3))
	}
	rows = deflate(rows)
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n",
		xrefNum, size, len(rows))
	b.Write(rows)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", locs[xrefNum].off)
	return b.Bytes()
}

func deflate(b []byte) []byte {
	var out bytes.Buffer
	w, _ := zlib.NewWriterLevel(&out, zlib.BestCompression)
	w.Write(b)
	w.Close()
	return out.Bytes()
}

// zeros deflates n zero bytes (a whole number of MiB) in layers. The
// first layer repeats one compressed block of a MiB of zeros, which is
// valid after any zeros: compressing a GiB would take seconds.
func zeros(n int64, layers int) []byte {
	const mib = 1 << 20
	var buf bytes.Buffer
	fw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zero := make([]byte, mib)
	fw.Write(zero)
	fw.Flush()
	first := bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Write(zero)
	fw.Flush()
	block := bytes.Clone(buf.Bytes())
	buf.Reset()
	fw.Close() // the final, empty block
	last := buf.Bytes()

	data := []byte{0x78, 0xda} // zlib header: deflate, best compression
	data = append(data, first...)
	for range n/mib - 1 {
		data = append(data, block...)
	}
	data = append(data, last...)
	// Adler-32 of n zeros: a stays 1, b gains 1 per byte.
	data = binary.BigEndian.AppendUint32(data, uint32(n%65521)<<16|1)
	for range layers - 1 {
		data = deflate(data)
	}
	return data
}

// onePage returns the catalog, page tree and one page whose dictionary
// has extra entries and whose content is object 4.
func onePage(extra string) []testObj {
	return []testObj{
		catalog,
		dictObj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>"),
		dictObj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R %s >>", extra),
	}
}

func filterList(layers int) string {
	return "[" + strings.TrimSpace(strings.Repeat("/FlateDecode ", layers)) + "]"
}

// hostileFiles are the committed hostile PDFs and the limit each exceeds
// ("" for a structural error that is ErrMalformed, "ok" for a file that
// is fine).
func hostileFiles() []struct {
	name  string
	limit string
	build func() []byte
} {
	return []struct {
		name  string
		limit string
		build func() []byte
	}{
		// 1 GiB of zeros, deflated twice: a few kilobytes.
		{"flate-bomb.pdf", LimitDecodedBytes, func() []byte {
			return writeTestPDF(append(onePage(""), streamObj("<< /Filter "+filterList(2)+" >>", zeros(1<<30, 2))), testLayout{})
		}},
		// 100 MiB in one layer, as the probe's bomb (~100 KB).
		{"flate-bomb-one-layer.pdf", LimitDecodedBytes, func() []byte {
			return writeTestPDF(append(onePage(""), streamObj("<< /Filter /FlateDecode >>", zeros(100<<20, 1))), testLayout{})
		}},
		// 900 pages share one content stream of 1 MiB: small each time,
		// 900 MiB for a stamp that decodes it once per page.
		{"shared-content-bomb.pdf", LimitDecodedBytes, func() []byte {
			return flatTree([]testObj{catalog, {}, streamObj("<< /Filter /FlateDecode >>", zeros(1<<20, 1))},
				900, 900, "<< /Type /Page /Parent 2 0 R /Contents 3 0 R >>")
		}},
		// An object stream that inflates to 1 GiB.
		{"object-stream-bomb.pdf", LimitStreamBytes, func() []byte {
			return writeTestPDF(append(onePage(""), streamObj("<< >>", []byte("BT ET"))),
				testLayout{compressed: true, flateLayers: 2, objStmData: zeros(1<<30, 2)})
		}},
		// 20,000 pages in object streams (~60 KB): /Count tells.
		{"pages-20000.pdf", LimitPages, func() []byte { return manyPages(20000, 20000) }},
		// The same, with a root /Count that lies: the walk counts.
		{"pages-20000-count-lies.pdf", LimitPages, func() []byte { return manyPages(20000, 1) }},
		// Arrays nested 10,000 deep in a page's dictionary.
		{"deep-arrays.pdf", LimitDepth, func() []byte {
			return writeTestPDF(append(onePage("/Nest "+strings.Repeat("[", 10000)+strings.Repeat("]", 10000)), streamObj("<< >>", nil)), testLayout{})
		}},
		// Dictionaries nested 10,000 deep in the catalog.
		{"deep-dicts.pdf", LimitDepth, func() []byte {
			objs := append(onePage(""), streamObj("<< >>", nil))
			objs[0] = dictObj("<< /Type /Catalog /Pages 2 0 R /Nest %s1%s >>", strings.Repeat("<< /A ", 10000), strings.Repeat(" >>", 10000))
			return writeTestPDF(objs, testLayout{})
		}},
		// A page tree 5,000 levels deep, one page at the bottom.
		{"deep-page-tree.pdf", LimitPageTreeDepth, func() []byte {
			const levels = 5000
			objs := []testObj{catalog}
			for i := range levels {
				parent := ""
				if i > 0 {
					parent = fmt.Sprintf("/Parent %d 0 R", 1+i)
				}
				objs = append(objs, dictObj("<< /Type /Pages %s /Kids [%d 0 R] /Count 1 /MediaBox [0 0 595 842] >>", parent, 3+i))
			}
			objs = append(objs, dictObj("<< /Type /Page /Parent %d 0 R >>", 1+levels))
			return writeTestPDF(objs, testLayout{compressed: true})
		}},
		// A page tree whose inner node lists its parent as a kid.
		{"page-tree-cycle.pdf", "", func() []byte {
			return writeTestPDF([]testObj{
				catalog,
				dictObj("<< /Type /Pages /Kids [3 0 R] /Count 2 /MediaBox [0 0 595 842] >>"),
				dictObj("<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 2 0 R] /Count 2 >>"),
				dictObj("<< /Type /Page /Parent 3 0 R >>"),
			}, testLayout{})
		}},
		// A page whose contents array contains itself.
		{"contents-cycle.pdf", "", func() []byte {
			objs := onePage("")
			objs[2] = dictObj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>")
			return writeTestPDF(append(objs, dictObj("[4 0 R]")), testLayout{})
		}},
		// Loops that are legal (a dictionary that refers to itself, to its
		// page, a /Prev that points at its own table): a reader must get
		// through them, once.
		{"reference-cycles.pdf", "ok", func() []byte {
			pdf := writeTestPDF([]testObj{
				dictObj("<< /Type /Catalog /Pages 2 0 R /Loop 5 0 R >>"),
				dictObj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>"),
				dictObj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources << /Properties << /P0 5 0 R >> >> >>"),
				streamObj("<< >>", []byte("BT ET")),
				dictObj("<< /Self 5 0 R /Page 3 0 R /Next << /Back 5 0 R >> >>"),
			}, testLayout{})
			// Point the trailer's /Prev at its own table.
			x := bytes.LastIndex(pdf, []byte("startxref\n"))
			off := strings.TrimSpace(strings.SplitN(string(pdf[x+len("startxref\n"):]), "\n", 2)[0])
			return bytes.Replace(pdf, []byte("/Root 1 0 R >>"), []byte("/Root 1 0 R /Prev "+off+" >>"), 1)
		}},
		// Resources that contain themselves, through a property list:
		// pdfcpu's validation recursed on it until the stack overflowed,
		// which killed the process (found by FuzzValidate).
		{"resource-cycle.pdf", "ok", func() []byte {
			return writeTestPDF([]testObj{
				catalog,
				dictObj("<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>"),
				dictObj("<< /Type /Page /Parent 2 0 R /Contents 4 0 R /Resources 5 0 R >>"),
				streamObj("<< >>", []byte("BT ET")),
				dictObj("<< /Properties << /P0 6 0 R >> >>"),
				dictObj("<< /Resources 5 0 R >>"),
			}, testLayout{})
		}},
		// Two streams whose /Length is each other.
		{"length-cycle.pdf", "", func() []byte {
			return writeTestPDF(append(onePage(""),
				streamObj("<< /Length 5 0 R >>", []byte("BT ET")),
				streamObj("<< /Length 4 0 R >>", []byte("x"))), testLayout{})
		}},
		// A cross-reference stream that claims 5 million objects.
		{"object-bomb.pdf", LimitObjects, func() []byte {
			return writeTestPDF(append(onePage(""), streamObj("<< >>", nil)), testLayout{compressed: true, claimSize: 5_000_000})
		}},
	}
}

// manyObjects returns a one-page PDF with n more objects, in object
// streams: real objects, where object-bomb.pdf only claims them.
func manyObjects(n int) []byte {
	objs := append(onePage(""), streamObj("<< >>", nil))
	for range n {
		objs = append(objs, dictObj("null"))
	}
	return writeTestPDF(objs, testLayout{compressed: true})
}

// catalog is object 1 of the test files: the page tree is object 2.
var catalog = dictObj("<< /Type /Catalog /Pages 2 0 R >>")

// manyPages writes pages empty pages under one node whose /Count says
// count, in object streams.
func manyPages(pages, count int) []byte {
	return flatTree([]testObj{catalog, {}}, pages, count, "<< /Type /Page /Parent 2 0 R >>")
}

// flatTree appends pages copies of page to objs, whose object 2 becomes
// the root of a page tree that lists them and claims count pages, and
// writes the PDF with object streams.
func flatTree(objs []testObj, pages, count int, page string) []byte {
	var kids strings.Builder
	for range pages {
		fmt.Fprintf(&kids, "%d 0 R ", len(objs)+1)
		objs = append(objs, dictObj("%s", page))
	}
	objs[1] = dictObj("<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids.String(), count)
	return writeTestPDF(objs, testLayout{compressed: true})
}

// TestHostileFixtures writes testdata/hostile with -update. The files
// are the test data; the generator is checked to still build files that
// fail the same way (deflate output may change between Go versions, so
// the bytes are not compared).
func TestHostileFixtures(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/hostile")
	}
	if err := os.MkdirAll(hostileDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, h := range hostileFiles() {
		b := h.build()
		if len(b) > 200<<10 {
			t.Errorf("%s has %d bytes; hostile files should stay small", h.name, len(b))
		}
		if err := os.WriteFile(filepath.Join(hostileDir, h.name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
