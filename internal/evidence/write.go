package evidence

import (
	"bytes"
	"compress/zlib"
	"crypto/md5"
	"crypto/sha256"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// writer lays out a PDF file object by object, with a classic
// cross-reference table. The output depends only on its input: no clock,
// no random IDs.
type writer struct {
	buf     bytes.Buffer
	offsets []int // by object number; 0: not written yet
	z       bytes.Buffer
	zw      *zlib.Writer // reused: a compressor allocates much
}

// alloc reserves an object number.
func (w *writer) alloc() int {
	w.offsets = append(w.offsets, 0)
	return len(w.offsets) - 1
}

func (w *writer) obj(nr int, body string) {
	w.offsets[nr] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n%s\nendobj\n", nr, body)
}

// stream writes a stream object, compressed when that makes it smaller.
// dict holds the entries besides /Length and /Filter.
func (w *writer) stream(nr int, dict string, data []byte) {
	w.z.Reset()
	if w.zw == nil {
		w.zw = zlib.NewWriter(&w.z)
	} else {
		w.zw.Reset(&w.z)
	}
	w.zw.Write(data) // writes to a bytes.Buffer do not fail
	w.zw.Close()
	filter := ""
	if w.z.Len() < len(data) {
		data, filter = w.z.Bytes(), " /Filter /FlateDecode"
	}
	w.offsets[nr] = w.buf.Len()
	fmt.Fprintf(&w.buf, "%d 0 obj\n<< %s /Length %d%s >>\nstream\n", nr, dict, len(data), filter)
	w.buf.Write(data)
	w.buf.WriteString("\nendstream\nendobj\n")
}

// write returns the certificate as a PDF; with outline it has bookmarks
// for its sections.
func (d *document) write(outline bool) []byte {
	w := &writer{offsets: []int{0}}
	w.buf.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	catalog, pages, info := w.alloc(), w.alloc(), w.alloc()
	var fonts [numFonts]int
	var fontRes strings.Builder
	for f := range fonts {
		fonts[f] = w.alloc()
		fmt.Fprintf(&fontRes, "/F%d %d 0 R ", f+1, fonts[f])
	}
	pageNrs := make([]int, len(d.l.pages))
	var kids strings.Builder
	for i := range pageNrs {
		pageNrs[i] = w.alloc()
		fmt.Fprintf(&kids, "%d 0 R ", pageNrs[i])
	}

	extra := ""
	if outline && len(d.l.anchors) > 0 {
		extra += fmt.Sprintf(" /Outlines %d 0 R /PageMode /UseOutlines", d.writeOutline(w, pageNrs))
	}
	if len(d.files) > 0 {
		extra += fmt.Sprintf(" /Names << /EmbeddedFiles %d 0 R >>", d.writeFiles(w))
	}
	w.obj(catalog, fmt.Sprintf("<< /Type /Catalog /Pages %d 0 R /Lang (en) /ViewerPreferences << /DisplayDocTitle true >>%s >>", pages, extra))
	w.obj(pages, fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", strings.TrimSpace(kids.String()), len(pageNrs)))
	w.obj(info, d.info())
	for f, nr := range fonts {
		w.obj(nr, fmt.Sprintf("<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>", fontNames[f]))
	}
	for i, p := range d.l.pages {
		content := w.alloc()
		w.obj(pageNrs[i], fmt.Sprintf("<< /Type /Page /Parent %d 0 R /MediaBox [0 0 %s %s] /CropBox [0 0 %s %s] /Rotate 0 "+
			"/Resources << /Font << %s>> /ProcSet [/PDF /Text] >> /Contents %d 0 R >>",
			pages, fmtNum(pageWidth), fmtNum(pageHeight), fmtNum(pageWidth), fmtNum(pageHeight), fontRes.String(), content))
		w.stream(content, "", p.content.Bytes())
	}

	xref := w.buf.Len()
	fmt.Fprintf(&w.buf, "xref\n0 %d\n0000000000 65535 f \n", len(w.offsets))
	for _, off := range w.offsets[1:] {
		fmt.Fprintf(&w.buf, "%010d 00000 n \n", off)
	}
	id := sha256.Sum256(w.buf.Bytes())
	fmt.Fprintf(&w.buf, "trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R /ID [<%x> <%x>] >>\nstartxref\n%d\n%%%%EOF\n",
		len(w.offsets), catalog, info, id[:16], id[:16], xref)
	return w.buf.Bytes()
}

// info returns the document information dictionary, in Unicode.
func (d *document) info() string {
	s := d.c.Session
	subject := "Audit certificate of signing session " + s.ID
	if s.OrderID != "" {
		subject += ", order " + s.OrderID
	}
	out := fmt.Sprintf("<< /Title %s /Subject %s /Author (Signet) /Creator (Signet) /Producer (Signet)",
		textString(d.title()), textString(subject))
	if !d.c.GeneratedAt.IsZero() {
		out += " /CreationDate " + textString(pdfDate(d.c.GeneratedAt))
	}
	return out + " >>"
}

// writeOutline writes bookmarks for the sections and returns the outline
// root's object number.
func (d *document) writeOutline(w *writer, pageNrs []int) int {
	root := w.alloc()
	items := make([]int, len(d.l.anchors))
	for i := range items {
		items[i] = w.alloc()
	}
	for i, a := range d.l.anchors {
		links := ""
		if i > 0 {
			links += fmt.Sprintf(" /Prev %d 0 R", items[i-1])
		}
		if i+1 < len(items) {
			links += fmt.Sprintf(" /Next %d 0 R", items[i+1])
		}
		w.obj(items[i], fmt.Sprintf("<< /Title %s /Parent %d 0 R%s /Dest [%d 0 R /XYZ 0 %s null] >>",
			textString(a.title), root, links, pageNrs[a.page], fmtNum(a.y+10)))
	}
	w.obj(root, fmt.Sprintf("<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>", items[0], items[len(items)-1], len(items)))
	return root
}

// writeFiles embeds the attachments and returns the object number of
// the name tree that lists them.
func (d *document) writeFiles(w *writer) int {
	// A name tree's keys are sorted by their bytes (the hex of the UTF-16
	// keeps that order); the files' names are unique.
	files := append([]attachment(nil), d.files...)
	slices.SortFunc(files, func(a, b attachment) int { return strings.Compare(textString(a.name), textString(b.name)) })
	var names strings.Builder
	for _, f := range files {
		data, spec := w.alloc(), w.alloc()
		sum := md5.Sum(f.data) // the checksum PDF defines for embedded files, not a security measure
		params := fmt.Sprintf("/Params << /Size %d /CheckSum <%x>", len(f.data), sum)
		if !d.c.GeneratedAt.IsZero() {
			params += " /ModDate " + textString(pdfDate(d.c.GeneratedAt))
		}
		w.stream(data, fmt.Sprintf("/Type /EmbeddedFile /Subtype %s %s >>", pdfName(f.mime), params), f.data)
		w.obj(spec, fmt.Sprintf("<< /Type /Filespec /F %s /UF %s /EF << /F %d 0 R /UF %d 0 R >> /Desc %s >>",
			literal(asciiName(f.name)), textString(f.name), data, data, textString(f.desc)))
		fmt.Fprintf(&names, "%s %d 0 R ", textString(f.name), spec)
	}
	tree := w.alloc()
	w.obj(tree, "<< /Names ["+strings.TrimSpace(names.String())+"] >>")
	return tree
}

// textString encodes s as a PDF text string: UTF-16BE with a byte order
// mark, as hex, so that any character survives.
func textString(s string) string {
	return fmt.Sprintf("<%X>", types.EncodeUTF16String(strings.ToValidUTF8(s, "\uFFFD")))
}

// asciiName is the file name for readers that ignore /UF: printable ASCII.
func asciiName(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e {
			return '_'
		}
		return r
	}, s)
}

// pdfName writes s as a PDF name, escaping what names cannot hold.
func pdfName(s string) string {
	var b strings.Builder
	b.WriteByte('/')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || strings.IndexByte("#/()<>[]{}%", c) >= 0 {
			fmt.Fprintf(&b, "#%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// pdfDate formats t as a PDF date in UTC.
func pdfDate(t time.Time) string {
	return t.UTC().Format("D:20060102150405") + "Z"
}
