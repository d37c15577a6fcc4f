package pdf

import (
	"bufio"
	"bytes"
	"compress/lzw"
	"context"
	"encoding/ascii85"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
)

func TestNumber(t *testing.T) {
	for _, tt := range []struct {
		in     string
		isInt  bool
		n      int64
		number bool
	}{
		{"0", true, 0, true}, {"42", true, 42, true}, {"-7", true, -7, true}, {"+3", true, 3, true},
		{"1.5", false, 0, true}, {".5", false, 0, true}, {"-.5", false, 0, true}, {"4.", false, 0, true},
		{"99999999999999999999", false, 0, true}, // too large for int64: a real
		{"", false, 0, false}, {"-", false, 0, false}, {".", false, 0, false}, {"1.2.3", false, 0, false},
		{"12a", false, 0, false}, {"--1", false, 0, false},
	} {
		isInt, n, ok := number([]byte(tt.in))
		if ok != tt.number || isInt != tt.isInt || (isInt && n != tt.n) {
			t.Errorf("number(%q) = %v, %d, %v; want %v, %d, %v", tt.in, isInt, n, ok, tt.isInt, tt.n, tt.number)
		}
	}
}

func TestLexer(t *testing.T) {
	l := lexer{b: []byte("%comment\r\n/Name#20x 12 -3.5 (str (nested) \\) esc) <48 65> << >> [ ] true obj")}
	want := []struct {
		tok  token
		text string
	}{
		{tokName, "Name#20x"}, {tokInt, "12"}, {tokReal, "-3.5"}, {tokString, `(str (nested) \) esc)`},
		{tokHexString, "<48 65>"}, {tokDictOpen, "<<"}, {tokDictClose, ">>"}, {tokArrayOpen, "["},
		{tokArrayClose, "]"}, {tokKeyword, "true"}, {tokKeyword, "obj"}, {tokEOF, ""},
	}
	for _, w := range want {
		if err := l.next(); err != nil {
			t.Fatal(err)
		}
		if l.tok != w.tok || string(l.text()) != w.text {
			t.Fatalf("token = %d %q, want %d %q", l.tok, l.text(), w.tok, w.text)
		}
	}
	for _, bad := range []string{"(unterminated", "<4g>", "<48", "> x", ")", "{"} {
		l := lexer{b: []byte(bad)}
		if err := l.next(); !errors.Is(err, errSyntax) {
			t.Errorf("next(%q) error = %v, want a syntax error", bad, err)
		}
	}
}

func TestParseValue(t *testing.T) {
	for _, tt := range []struct {
		in   string
		kind kind
		raw  string
		num  int64
	}{
		{"12 0 R", kindRef, "12 0 R", 12},
		{"12 0 Rx", kindInt, "12", 12}, // "Rx" is no R
		{"12 0 %c\nR", kindInt, "12", 12},
		{"12 -1 R", kindInt, "12", 12},
		{"-12 0 R", kindInt, "-12", -12},
		{"12", kindInt, "12", 12},
		{"[1 2 0 R (x) <</A [3]>>]", kindArray, "[1 2 0 R (x) <</A [3]>>]", 0},
		{"<</Kids[5 0 R]/Count 1>>", kindDict, "<</Kids[5 0 R]/Count 1>>", 0},
		{"/Name", kindName, "Name", 0},
		{"(a)", kindString, "(a)", 0},
		{"null", kindNull, "null", 0},
		{"true", kindBool, "true", 1},
		{"2.5", kindReal, "2.5", 0},
	} {
		p := parser{lexer: lexer{b: []byte(tt.in)}, maxDepth: 10}
		o, err := p.value()
		if err != nil {
			t.Errorf("value(%q): %v", tt.in, err)
			continue
		}
		if o.kind != tt.kind || string(o.raw) != tt.raw || o.num != tt.num {
			t.Errorf("value(%q) = %d %q %d, want %d %q %d", tt.in, o.kind, o.raw, o.num, tt.kind, tt.raw, tt.num)
		}
	}
	for _, bad := range []string{"", "]", ">>", "<< 1 2 >>", "<< /A >>", "[1 2", "<< /A 1", "endobj", "[1 (x]"} {
		p := parser{lexer: lexer{b: []byte(bad)}, maxDepth: 10}
		if _, err := p.value(); !errors.Is(err, errSyntax) {
			t.Errorf("value(%q) error = %v, want a syntax error", bad, err)
		}
	}
}

func TestParseDepth(t *testing.T) {
	for _, tt := range []struct {
		in    string
		depth int
	}{
		{"[[[]]]", 3}, {"<</A <</B [1]>>>>", 3}, {"[<<>> [] <<>>]", 2}, {"1", 0},
	} {
		for _, max := range []int{tt.depth, max(tt.depth-1, 0)} {
			p := parser{lexer: lexer{b: []byte(tt.in)}, maxDepth: max}
			_, err := p.value()
			var le *LimitError
			if ok := errors.As(err, &le) && le.Limit == LimitDepth; ok != (max < tt.depth) {
				t.Errorf("value(%q) with maxDepth %d: error = %v", tt.in, max, err)
			}
		}
	}
}

func TestDictLookup(t *testing.T) {
	p := parser{lexer: lexer{b: []byte("<< /Type /Page /Res << /Type /Font >> /Arr [/Type] /K#69ds [1 0 R] /Type /Pages >>")}, maxDepth: 10}
	d, err := p.value()
	if err != nil {
		t.Fatal(err)
	}
	if got := d.get("Type"); !got.isName("Pages") {
		t.Errorf("get(Type) = %q, want Pages (the last of two)", got.raw)
	}
	if got := d.get("Kids"); got.kind != kindArray {
		t.Errorf("get(Kids) through an escaped name = %d %q, want the array", got.kind, got.raw)
	}
	if got, ok := d.lookup("Missing"); ok || got.kind != kindNull {
		t.Errorf("lookup(Missing) = %v, %v", got, ok)
	}
	var n int
	d.get("Kids").each(func(_ []byte, v object) bool { n++; return v.kind == kindRef && v.num == 1 })
	if n != 1 {
		t.Errorf("Kids has %d elements, want 1", n)
	}
	if !nameIs([]byte("A#20B"), "A B") || nameIs([]byte("A#2"), "A ") || nameString([]byte("x#4g")) != "x#4g" {
		t.Error("name escapes are not decoded as in 7.3.5")
	}
}

// decodeWith decodes data through filters given as PDF syntax.
func decodeWith(t *testing.T, filters, parms string, data []byte) ([]byte, error) {
	t.Helper()
	in := writeTestPDF(append(onePage(""), streamObj(fmt.Sprintf("<< /Filter %s /DecodeParms %s >>", filters, parms), data)), testLayout{})
	d, err := openDocument(in, newBudget(context.Background(), DefaultLimits()))
	if err != nil {
		t.Fatal(err)
	}
	s, err := d.load(4)
	if err != nil {
		t.Fatal(err)
	}
	n, err := d.countDecoded(s)
	if err != nil {
		return nil, err
	}
	out, err := d.decodeAll(s)
	if err == nil && int64(len(out)) != n && !strings.Contains(parms, "Predictor") {
		t.Errorf("countDecoded = %d, decodeAll has %d bytes", n, len(out))
	}
	return out, err
}

func TestFilters(t *testing.T) {
	plain := []byte("BT /F1 12 Tf (Hello, PDF) Tj ET\n" + strings.Repeat("0 0 m 10 10 l S\n", 50))
	var lzw0 bytes.Buffer
	w := lzw.NewWriter(&lzw0, lzw.MSB, 8)
	w.Write(plain)
	w.Close()
	a85 := func(b []byte) []byte {
		out := make([]byte, ascii85.MaxEncodedLen(len(b)))
		return append(out[:ascii85.Encode(out, b)], "~>"...)
	}
	for _, tt := range []struct {
		name, filters, parms string
		data, want           []byte
	}{
		{"flate", "/FlateDecode", "null", deflate(plain), plain},
		{"abbreviated", "/Fl", "null", deflate(plain), plain},
		{"hex", "/ASCIIHexDecode", "null", []byte("48 65 6C6c\n6f 2>"), []byte("Hello ")},
		{"hex, odd digit", "/AHx", "null", []byte("414>"), []byte("A@")},
		{"ascii85", "/ASCII85Decode", "null", a85(plain), plain},
		{"run length", "/RunLengthDecode", "null", []byte{2, 'a', 'b', 'c', 254, 'x', 128, 'z'}, []byte("abcxxx")},
		// The example of ISO 32000-1, 7.4.4.2, with early change.
		{"lzw", "/LZWDecode", "null", []byte{0x80, 0x0b, 0x60, 0x50, 0x22, 0x0c, 0x0c, 0x85, 0x01}, []byte{45, 45, 45, 45, 45, 65, 45, 45, 45, 66}},
		{"lzw, no early change", "/LZWDecode", "<< /EarlyChange 0 >>", lzw0.Bytes(), plain},
		{"chain", "[/ASCIIHexDecode /FlateDecode]", "[null null]", []byte(fmt.Sprintf("%x>", deflate(plain))), plain},
		{"identity crypt", "/Crypt", "<< /Name /Identity >>", plain, plain},
	} {
		got, err := decodeWith(t, tt.filters, tt.parms, tt.data)
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("%s: decoded %q, %v; want %q", tt.name, got, err, tt.want)
		}
	}
	for _, tt := range []struct{ name, filters string }{
		{"image filter", "/DCTDecode"}, {"unknown", "/Rot13Decode"}, {"not a name", "(x)"},
		{"too many", "[/AHx /AHx /AHx /AHx /AHx]"},
	} {
		if _, err := decodeWith(t, tt.filters, "null", []byte("00>")); err == nil {
			t.Errorf("%s: decoded, want an error", tt.name)
		}
	}
	if _, err := decodeWith(t, "/FlateDecode", "null", []byte("not zlib")); err == nil {
		t.Error("corrupt flate data: decoded, want an error")
	}
	// A stream cut short still counts what it has, as pdfcpu reads it.
	cut := deflate(plain)
	if got, err := decodeWith(t, "/FlateDecode", "null", cut[:len(cut)/2]); err != nil || len(got) == 0 {
		t.Errorf("truncated flate data: %d bytes, %v", len(got), err)
	}
}

func TestPredictors(t *testing.T) {
	// Row r is encoded with PNG filter type r, as a writer would.
	rows := [][]byte{{10, 20, 30, 40}, {11, 22, 33, 44}, {0, 255, 1, 2}, {9, 9, 200, 7}, {5, 250, 3, 128}}
	var png []byte
	prev := make([]byte, 4)
	for typ, row := range rows {
		png = append(png, byte(typ))
		for j, x := range row {
			var left, ul byte
			if j > 0 {
				left, ul = row[j-1], prev[j-1]
			}
			up := prev[j]
			switch typ {
			case 0:
				png = append(png, x)
			case 1:
				png = append(png, x-left)
			case 2:
				png = append(png, x-up)
			case 3:
				png = append(png, x-byte((int(left)+int(up))/2))
			case 4:
				png = append(png, x-paeth(left, up, ul))
			}
		}
		prev = row
	}
	got, err := decodeWith(t, "/FlateDecode", "<< /Predictor 12 /Columns 4 >>", deflate(png))
	if want := bytes.Join(rows, nil); err != nil || !bytes.Equal(got, want) {
		t.Errorf("PNG predictor: %v, %v; want %v", got, err, want)
	}
	tiff := []byte{10, 10, 10, 10, 1, 2, 3, 4}
	got, err = decodeWith(t, "/FlateDecode", "<< /Predictor 2 /Columns 4 >>", deflate(tiff))
	if want := []byte{10, 20, 30, 40, 1, 3, 6, 10}; err != nil || !bytes.Equal(got, want) {
		t.Errorf("TIFF predictor: %v, %v; want %v", got, err, want)
	}
	for _, parms := range []string{"<< /Predictor 7 >>", "<< /Predictor 12 /Colors 0 >>", "<< /Predictor 12 /BitsPerComponent 3 >>", "<< /Predictor 2 /BitsPerComponent 16 >>"} {
		if _, err := decodeWith(t, "/FlateDecode", parms, deflate([]byte{0, 1, 2, 3})); err == nil {
			t.Errorf("predictor %s: decoded, want an error", parms)
		}
	}
}

// readerFor opens b and returns its document, failing the test on error.
func readerFor(t *testing.T, b []byte) *document {
	t.Helper()
	d, err := openDocument(b, newBudget(context.Background(), DefaultLimits()))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestIncrementalUpdate reads a file with an appended update that
// replaces page 1's content: the newest version counts.
func TestIncrementalUpdate(t *testing.T) {
	base := Sample(1, "Original")
	x := bytes.LastIndex(base, []byte("startxref\n"))
	var prev int
	fmt.Sscan(string(base[x+len("startxref\n"):]), &prev)
	var b bytes.Buffer
	b.Write(base)
	off := b.Len()
	b.WriteString("6 0 obj\n<< /Length 5 >>\nstream\nBT ET\nendstream\nendobj\n")
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n6 1\n%010d 00000 n \ntrailer\n<< /Size 7 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", off, prev, xref)
	d := readerFor(t, b.Bytes())
	s, err := d.load(6)
	if err != nil || string(s.data) != "BT ET" {
		t.Fatalf("object 6 = %q, %v; want the updated stream", s.data, err)
	}
	if d.repaired {
		t.Error("a well-formed update was repaired")
	}
	mustValidate(t, b.Bytes(), 1)
	out, err := Stamp(b.Bytes(), "x")
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 1)
}

// TestHybridFile reads a file whose table marks the objects of an object
// stream free and whose /XRefStm lists them (7.5.8.4).
func TestHybridFile(t *testing.T) {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 /MediaBox [0 0 595 842] >>",
		"<< /Type /Page /Parent 2 0 R /Contents 4 0 R >>",
	}
	var head, body bytes.Buffer
	for i, o := range objs {
		fmt.Fprintf(&head, "%d %d ", i+1, body.Len())
		body.WriteString(o + "\n")
	}
	var b bytes.Buffer
	b.WriteString("%PDF-1.5\n")
	off4 := b.Len()
	b.WriteString("4 0 obj\n<< /Length 5 >>\nstream\nBT ET\nendstream\nendobj\n")
	off5 := b.Len()
	stm := append(head.Bytes(), body.Bytes()...)
	fmt.Fprintf(&b, "5 0 obj\n<< /Type /ObjStm /N 3 /First %d /Length %d >>\nstream\n%s\nendstream\nendobj\n", head.Len(), len(stm), stm)
	off6 := b.Len()
	var rows []byte
	for i := range 3 {
		rows = append(rows, 2)
		rows = binary.BigEndian.AppendUint16(rows, 5)
		rows = append(rows, byte(i))
	}
	fmt.Fprintf(&b, "6 0 obj\n<< /Type /XRef /Size 7 /Index [1 3] /W [1 2 1] /Length %d >>\nstream\n%s\nendstream\nendobj\n", len(rows), rows)
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 7\n0000000000 65535 f \n0000000000 00000 f \n0000000000 00000 f \n0000000000 00000 f \n%010d 00000 n \n%010d 00000 n \n%010d 00000 n \n", off4, off5, off6)
	fmt.Fprintf(&b, "trailer\n<< /Size 7 /Root 1 0 R /XRefStm %d >>\nstartxref\n%d\n%%%%EOF\n", off6, xref)
	info, err := Validate(b.Bytes())
	if err != nil || info.Pages != 1 {
		t.Fatalf("Validate = %+v, %v", info, err)
	}
	if d := readerFor(t, b.Bytes()); d.repaired || d.xref[1].kind != entryInStream {
		t.Errorf("repaired %v, entry 1 = %+v: want the stream's entry", d.repaired, d.xref[1])
	}
}

// TestXrefStreamPredictor reads a cross-reference stream encoded with the
// PNG Up predictor, as most writers do.
func TestXrefStreamPredictor(t *testing.T) {
	plain := writeTestPDF(append(onePage(""), streamObj("<< >>", []byte("BT ET"))), testLayout{})
	d := readerFor(t, plain)
	var b bytes.Buffer
	b.Write(plain[:bytes.Index(plain, []byte("xref\n"))])
	xrefOff := b.Len()
	const cols = 5 // W [1 3 1]
	var rows []byte
	prev := make([]byte, cols)
	for num := range len(d.xref) + 1 {
		row := make([]byte, cols)
		switch {
		case num == len(d.xref): // the stream itself
			row[0] = 1
			row[1], row[2], row[3] = byte(xrefOff>>16), byte(xrefOff>>8), byte(xrefOff)
		case d.xref[num].kind == entryInFile:
			off := d.xref[num].off
			row[0] = 1
			row[1], row[2], row[3] = byte(off>>16), byte(off>>8), byte(off)
		}
		rows = append(rows, 2) // Up
		for i := range row {
			rows = append(rows, row[i]-prev[i])
		}
		prev = row
	}
	data := deflate(rows)
	fmt.Fprintf(&b, "%d 0 obj\n<< /Type /XRef /Size %d /W [1 3 1] /Root 1 0 R /Filter /FlateDecode /DecodeParms << /Predictor 12 /Columns %d >> /Length %d >>\nstream\n",
		len(d.xref), len(d.xref)+1, cols, len(data))
	b.Write(data)
	fmt.Fprintf(&b, "\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n", xrefOff)
	if d := readerFor(t, b.Bytes()); d.repaired {
		t.Error("the cross-reference stream was not read")
	}
	mustValidate(t, b.Bytes(), 1)
}

// TestRepair checks the ways a broken table is read: offsets shifted,
// startxref off, a /Length that lies, an object stream whose table index
// is wrong, no trailer at all.
func TestRepair(t *testing.T) {
	valid := Sample(2, "Repair")
	shifted := replace(valid, "5 0 obj\n<< /Type /Page", "5 0 obj\n<< /Type /Page /Rotate 0")
	xref := bytes.Index(valid, []byte("\nxref\n")) + 1
	for _, tt := range []struct {
		name     string
		in       []byte
		repaired bool
	}{
		{"shifted objects", shifted, true},
		{"startxref off, table found", replace(valid, fmt.Sprintf("startxref\n%d", xref), fmt.Sprintf("startxref\n%d", xref-3)), false},
		{"length lies", replace(valid, "<< /Length ", "<< /Length 1"), false},
		{"no trailer, catalog found", replace(valid, "/Root 1 0 R", "/Rot 1 0 R"), true},
		{"broken table entry", replace(valid, " 00000 n \n", " 00000 x \n"), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, d, err := inspect(newBudget(context.Background(), DefaultLimits()), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.repaired != tt.repaired {
				t.Errorf("repaired = %v, want %v", d.repaired, tt.repaired)
			}
			mustValidate(t, tt.in, 2)
			// pdfcpu reads what the check read, rebuilt if need be.
			out, err := Stamp(tt.in, "x")
			if err != nil {
				t.Fatalf("Stamp: %v", err)
			}
			mustValidate(t, out, 2)
		})
	}
}

func TestIndirectLength(t *testing.T) {
	data := []byte("BT ET")
	ok := writeTestPDF(append(onePage(""), streamObj("<< /Length 5 0 R >>", data), dictObj("%d", len(data))), testLayout{})
	mustValidate(t, ok, 1)
	out, err := Stamp(ok, "x")
	if err != nil {
		t.Fatal(err)
	}
	mustValidate(t, out, 1)
	missing := writeTestPDF(append(onePage(""), streamObj("<< /Length 9 0 R >>", data)), testLayout{})
	mustValidate(t, missing, 1) // found by its endstream
	notInt := writeTestPDF(append(onePage(""), streamObj("<< /Length 5 0 R >>", data), dictObj("(five)")), testLayout{})
	if _, err := Validate(notInt); !errors.Is(err, ErrMalformed) {
		t.Errorf("Validate(/Length a string) error = %v, want ErrMalformed", err)
	}
}

func TestRebuilt(t *testing.T) {
	for _, in := range [][]byte{
		replace(Sample(2, "x"), " 00000 n \n", " 00000 x \n"),
		mustStamp(Sample(2, "x")), // object streams: rebuilt as a cross-reference stream
	} {
		d := readerFor(t, in)
		out := d.rebuilt()
		if !bytes.HasPrefix(out, in) {
			t.Fatal("rebuilt does not append")
		}
		r := readerFor(t, out)
		if r.repaired || len(r.xref) < len(d.xref) {
			t.Fatalf("the rebuilt table does not read: repaired %v, %d entries of %d", r.repaired, len(r.xref), len(d.xref))
		}
		for num := range d.xref {
			a, _ := d.load(int64(num))
			b, _ := r.load(int64(num))
			if a.kind != b.kind || !bytes.Equal(a.raw, b.raw) {
				t.Errorf("object %d differs through the rebuilt table", num)
			}
		}
		mustValidate(t, out, 2)
	}
}

func TestObjStreamIndexWrong(t *testing.T) {
	in := writeTestPDF(append(onePage(""), streamObj("<< >>", nil)), testLayout{compressed: true})
	d := readerFor(t, in)
	for num := range d.xref {
		if d.xref[num].kind == entryInStream {
			d.xref[num].index += 1 // off by one, as some writers are
		}
	}
	o, err := d.load(2)
	if err != nil || !o.get("Type").isName("Pages") {
		t.Fatalf("object 2 = %q, %v", o.raw, err)
	}
}

func TestHexReaderShortReads(t *testing.T) {
	r := &hexReader{r: bufioReader("41 42 43 44>")}
	got, err := io.ReadAll(io.LimitReader(oneByte{r}, 100))
	if err != nil || string(got) != "ABCD" {
		t.Errorf("hexReader = %q, %v", got, err)
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReaderSize(strings.NewReader(s), 512) }

type oneByte struct{ r io.Reader }

func (o oneByte) Read(p []byte) (int, error) { return o.r.Read(p[:min(1, len(p))]) }

// TestRepairCostsOnePass feeds the rebuild of a broken table what would
// make a naive one quadratic, and checks the answers; the time is logged.
func TestRepairCostsOnePass(t *testing.T) {
	headers := []byte("%PDF-1.7\n" + strings.Repeat("1 0 obj stream ", 250_000) + "\n%%EOF\n")
	start := time.Now()
	_, err := Validate(headers)
	var le *LimitError
	if !errors.As(err, &le) || le.Limit != LimitObjects {
		t.Errorf("250,000 headers: error = %v, want an objects LimitError", err)
	}
	t.Logf("250,000 headers without endobj: %v", time.Since(start))

	// 1000 pages whose content streams have wrong lengths and no
	// endstream but the last.
	objs := []testObj{catalog, {}}
	var kids strings.Builder
	for range 1000 {
		fmt.Fprintf(&kids, "%d 0 R ", len(objs)+1)
		objs = append(objs, dictObj("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", len(objs)+2),
			testObj{body: "<< /Length 999999 >>", data: []byte("BT ET"), stream: true})
	}
	objs[1] = dictObj("<< /Type /Pages /Kids [%s] /Count 1000 /MediaBox [0 0 595 842] >>", kids.String())
	broken := writeTestPDF(objs, testLayout{})
	last := bytes.LastIndex(broken, []byte("\nendstream"))
	broken = append(bytes.ReplaceAll(broken[:last], []byte("\nendstream"), []byte("\nendstreax")), broken[last:]...)
	start = time.Now()
	if _, err := Validate(broken); err == nil {
		t.Error("streams that run into each other: validated")
	}
	t.Logf("1000 streams without endstream: %v", time.Since(start))
}
