package pdf

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"strings"
	"unicode/utf16"
)

// Sample returns a small, valid PDF 1.7 with the given number of pages (at
// least 1) and title. The output depends only on the arguments, so tests and
// fixtures can compare bytes. Objects are written by hand with a classic xref
// table: that keeps the generator free of pdfcpu (no timestamps, no IDs from
// the clock) and lets it produce documents with thousands of pages cheaply.
func Sample(pages int, title string) []byte {
	pages = max(pages, 1)
	body := make([][]string, pages)
	for i := range body {
		body[i] = contractClauses(i, 6)
	}
	return buildSample(title, body, 0)
}

// SampleOfSize returns a valid, deterministic PDF of exactly n bytes (or
// the smallest sample, if n is smaller than that). Up to about 1 MB the
// bulk is real page text, 40 lines a page, so a benchmark on it exercises
// page and content stream handling rather than one large blob; a larger
// sample stops at sampleMaxPages pages (a long contract, within the page
// limit) and pads the rest, as a scanned contract's images would.
func SampleOfSize(n int) []byte {
	const linesPerPage = 40
	build := func(lines, pad int) []byte {
		return buildSample("Sample contract", splitPages(contractClauses(0, lines), linesPerPage), pad)
	}
	// The size grows with the line count: find the most lines that fit,
	// then pad the rest.
	lo := 1
	out := build(lo, 0)
	if len(out) >= n {
		return out
	}
	if most := build(sampleMaxPages*linesPerPage, 0); len(most) <= n {
		return build(sampleMaxPages*linesPerPage, n-len(most))
	}
	hi := 2
	for len(build(hi, 0)) <= n {
		lo, hi = hi, hi*2
	}
	for lo+1 < hi {
		if mid := (lo + hi) / 2; len(build(mid, 0)) <= n {
			lo = mid
		} else {
			hi = mid
		}
	}
	out = build(lo, 0)
	return build(lo, n-len(out))
}

// sampleMaxPages is the most pages SampleOfSize writes.
const sampleMaxPages = 250

func splitPages(lines []string, perPage int) [][]string {
	var pages [][]string
	for len(lines) > perPage {
		pages = append(pages, lines[:perPage])
		lines = lines[perPage:]
	}
	return append(pages, lines)
}

var clauseTexts = []string{
	"The Borrower agrees to repay the principal together with interest as set out in Schedule A.",
	"Each party represents that it has full power and authority to enter into this Agreement.",
	"This Agreement is governed by the laws of India and the courts of Bengaluru have jurisdiction.",
	"Notices shall be given in writing to the addresses stated above or as later notified.",
	"Any amendment to this Agreement is valid only if made in writing and signed by both parties.",
	"If any provision is held invalid, the remaining provisions continue in full force and effect.",
	"The parties consent to sign this Agreement electronically under the Information Technology Act.",
}

// contractClauses returns n numbered clauses for page p.
func contractClauses(p, n int) []string {
	out := make([]string, n)
	for i := range out {
		k := p*n + i
		out[i] = fmt.Sprintf("%d. %s", k+1, clauseTexts[k%len(clauseTexts)])
	}
	return out
}

// buildSample writes a PDF with one page per entry of body, plus pad bytes
// of padding.
func buildSample(title string, body [][]string, pad int) []byte {
	n := len(body)
	// Object numbers: 1 catalog, 2 page tree, 3 font, 4 info, then a page
	// and its content stream for each page.
	const firstPage = 5
	total := firstPage + 2*n // including the free object 0

	var b bytes.Buffer
	offsets := make([]int, total)
	obj := func(num int, format string, args ...any) {
		offsets[num] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n", num)
		fmt.Fprintf(&b, format, args...)
		b.WriteString("\nendobj\n")
	}

	// The binary comment line tells transfer tools the file is binary.
	b.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	obj(1, "<< /Type /Catalog /Pages 2 0 R >>")

	var kids strings.Builder
	for i := range n {
		if i > 0 {
			kids.WriteByte(' ')
		}
		fmt.Fprintf(&kids, "%d 0 R", firstPage+2*i)
	}
	obj(2, "<< /Type /Pages /Kids [%s] /Count %d /MediaBox [0 0 595 842] >>", kids.String(), n)
	obj(3, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
	obj(4, "<< /Title %s /Producer (Signet sample generator) >>", infoString(title))

	for i, lines := range body {
		page, content := firstPage+2*i, firstPage+2*i+1
		obj(page, "<< /Type /Page /Parent 2 0 R /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", content)

		var cs bytes.Buffer
		fmt.Fprintf(&cs, "BT\n/F1 18 Tf\n56 780 Td\n%s Tj\nET\n", textString(title))
		cs.WriteString("BT\n/F1 10 Tf\n14 TL\n56 740 Td\n")
		for _, l := range lines {
			fmt.Fprintf(&cs, "%s '\n", textString(l))
		}
		cs.WriteString("ET\n")
		fmt.Fprintf(&cs, "BT\n/F1 9 Tf\n270 40 Td\n(Page %d of %d) Tj\nET\n", i+1, n)
		obj(content, "<< /Length %d >>\nstream\n%s\nendstream", cs.Len(), cs.Bytes())
	}

	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", total)
	for _, off := range offsets[1:] {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	// A stable /ID derived from the body keeps output deterministic.
	id := sha256.Sum256(b.Bytes())
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R /Info 4 0 R /ID [<%x> <%x>] >>\n", total, id[:16], id[:16])
	// Padding after the trailer moves no offset and no /Length, so it
	// sizes the file to the byte: a comment line, or a lone newline.
	if pad >= 2 {
		b.WriteByte('%')
		b.Write(bytes.Repeat([]byte{'x'}, pad-2))
	}
	if pad >= 1 {
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "startxref\n%d\n%%%%EOF\n", xref)
	return b.Bytes()
}

// textString encodes s as a PDF literal string for a WinAnsi-encoded font.
// Characters outside Latin-1 become '?': the sample uses a standard font.
func textString(s string) string {
	var b strings.Builder
	b.WriteByte('(')
	for _, r := range s {
		switch {
		case r == '(' || r == ')' || r == '\\':
			b.WriteByte('\\')
			b.WriteByte(byte(r))
		case r < 0x20 || r == 0x7f:
			b.WriteByte(' ')
		case r < 0x80:
			b.WriteByte(byte(r))
		case r >= 0xa0 && r <= 0xff:
			fmt.Fprintf(&b, "\\%03o", r)
		default:
			if c, ok := winAnsi[r]; ok {
				fmt.Fprintf(&b, "\\%03o", c)
			} else {
				b.WriteByte('?')
			}
		}
	}
	b.WriteByte(')')
	return b.String()
}

// winAnsi maps the common typographic characters that WinAnsiEncoding has
// outside Latin-1 to their codes.
var winAnsi = map[rune]byte{
	'€': 0x80, '…': 0x85, '‘': 0x91, '’': 0x92, '“': 0x93, '”': 0x94,
	'•': 0x95, '–': 0x96, '—': 0x97, '™': 0x99,
}

// infoString encodes s for the document information dictionary: a literal
// string when it is plain ASCII, otherwise UTF-16BE with a byte order mark.
func infoString(s string) string {
	ascii := true
	for _, r := range s {
		if r < 0x20 || r >= 0x7f {
			ascii = false
			break
		}
	}
	if ascii {
		return textString(s)
	}
	var b strings.Builder
	b.WriteString("<FEFF")
	for _, u := range utf16.Encode([]rune(s)) {
		fmt.Fprintf(&b, "%04X", u)
	}
	b.WriteByte('>')
	return b.String()
}
