package evidence

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/font"
)

// A4 portrait, in points, and the margins of the text area.
const (
	pageWidth    = 595.28
	pageHeight   = 841.89
	marginX      = 56
	marginTop    = 54
	marginBottom = 64 // room for the footer
	contentWidth = pageWidth - 2*marginX
	footerRule   = 46 // the footer's rule, from the bottom edge
	footerLine   = 34 // its text's baseline
)

// fontID names the four standard fonts the certificate uses; its value is
// the number in the resource name (/F1 … /F4).
type fontID int

const (
	regular fontID = iota
	bold
	italic
	mono
	numFonts
)

var fontNames = [numFonts]string{"Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Courier"}

type rgb [3]float64

// The palette: navy for structure, near-black text, grey labels and rules.
var (
	navy     = rgb{0.102, 0.137, 0.494}
	ink      = rgb{0.13, 0.13, 0.14}
	muted    = rgb{0.40, 0.42, 0.45}
	hairline = rgb{0.80, 0.82, 0.86}
	tint     = rgb{0.955, 0.965, 1}
	band     = rgb{0.905, 0.918, 0.965}
	zebra    = rgb{0.972, 0.976, 0.984}
	green    = rgb{0.07, 0.45, 0.20}
	red      = rgb{0.72, 0.11, 0.11}
	amber    = rgb{0.62, 0.38, 0}
	white    = rgb{1, 1, 1}
)

type style struct {
	font  fontID
	size  float64
	color rgb
}

// page is one page's content stream, drawn top to bottom.
type page struct {
	content bytes.Buffer
}

// anchor is a place in the document an outline entry points at.
type anchor struct {
	title string
	page  int
	y     float64
}

// layout places text and rules on pages, starting a new page when the
// current one is full.
type layout struct {
	widths [numFonts]*widths
	pages  []*page
	at     int     // the index of the page drawn on
	y      float64 // the top of the free space on the current page
	// continued draws what a page that continues a section starts with
	// (the section's title, a table's header).
	continued func()
	anchors   []anchor
	approx    bool // some text is shown approximately
}

func newLayout() *layout {
	l := &layout{}
	for f := range numFonts {
		w := &widths{}
		for c := range 256 {
			cw, err := font.CharWidth(fontNames[f], rune(c))
			if err != nil || cw <= 0 {
				cw = 500 // not reached for the standard fonts
			}
			w[c] = uint16(cw)
		}
		// pdfcpu's WinAnsi table lacks these two, which WinAnsiEncoding
		// maps to the space and hyphen glyphs.
		w[0xa0], w[0xad] = w[' '], w['-']
		l.widths[f] = w
	}
	l.newPage()
	return l
}

func (l *layout) cur() *page { return l.pages[l.at] }

// newPage starts a page and draws what continues the current section.
func (l *layout) newPage() {
	l.pages = append(l.pages, &page{})
	l.at = len(l.pages) - 1
	l.y = pageHeight - marginTop
	if len(l.pages) > 1 {
		l.y -= 8 // below the running header
	}
	if l.continued != nil {
		l.continued()
	}
}

// room is the height left on the current page.
func (l *layout) room() float64 { return l.y - marginBottom }

// need starts a new page unless h points fit on this one.
func (l *layout) need(h float64) {
	if h > l.room() {
		l.newPage()
	}
}

// enc converts s for the fonts and notes when that was approximate.
func (l *layout) enc(s string) string {
	e := encode(s)
	if e.approx {
		l.approx = true
		return e.s + "\xa0\x86" // a no-break space and †, see the certificate's notes
	}
	return e.s
}

func (l *layout) measure(s string, st style) float64 {
	return l.widths[st.font].measure(s, st.size)
}

func (l *layout) wrap(s string, st style, w float64) []string {
	return l.widths[st.font].wrap(s, st.size, w)
}

func (l *layout) fit(s string, st style, w float64) string {
	return l.widths[st.font].fit(s, st.size, w)
}

// fmtNum formats a coordinate, size or colour component compactly.
func fmtNum(f float64) string {
	return strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64)
}

// text draws s (WinAnsi) with its baseline at y.
func (l *layout) text(x, y float64, st style, s string) {
	if s == "" {
		return
	}
	c := &l.cur().content
	fmt.Fprintf(c, "BT /F%d %s Tf %s %s %s rg %s %s Td ", st.font+1, fmtNum(st.size),
		fmtNum(st.color[0]), fmtNum(st.color[1]), fmtNum(st.color[2]), fmtNum(x), fmtNum(y))
	c.WriteString(literal(s))
	c.WriteString(" Tj ET\n")
}

// textRight draws s ending at x.
func (l *layout) textRight(x, y float64, st style, s string) {
	l.text(x-l.measure(s, st), y, st, s)
}

// rect fills a rectangle given by its bottom-left corner.
func (l *layout) rect(x, y, w, h float64, fill rgb) {
	fmt.Fprintf(&l.cur().content, "%s %s %s rg %s %s %s %s re f\n",
		fmtNum(fill[0]), fmtNum(fill[1]), fmtNum(fill[2]), fmtNum(x), fmtNum(y), fmtNum(w), fmtNum(h))
}

// frame strokes a rectangle.
func (l *layout) frame(x, y, w, h, width float64, color rgb) {
	fmt.Fprintf(&l.cur().content, "%s w %s %s %s RG %s %s %s %s re S\n",
		fmtNum(width), fmtNum(color[0]), fmtNum(color[1]), fmtNum(color[2]), fmtNum(x), fmtNum(y), fmtNum(w), fmtNum(h))
}

// rule draws a horizontal line.
func (l *layout) rule(x1, x2, y, width float64, color rgb) {
	fmt.Fprintf(&l.cur().content, "%s w %s %s %s RG %s %s m %s %s l S\n",
		fmtNum(width), fmtNum(color[0]), fmtNum(color[1]), fmtNum(color[2]), fmtNum(x1), fmtNum(y), fmtNum(x2), fmtNum(y))
}

// baseline returns where text of size sits in a line box of height lead
// whose top is y: optically centred on the capitals.
func baseline(y, lead, size float64) float64 {
	return y - lead/2 - size*0.35
}

// para draws text wrapped to w, line by line, continuing on new pages.
func (l *layout) para(x, w float64, st style, lead float64, s string) {
	for _, line := range l.wrap(s, st, w) {
		l.need(lead)
		l.text(x, baseline(l.y, lead, st.size), st, line)
		l.y -= lead
	}
}

// literal returns s as a PDF literal string; bytes outside printable
// ASCII are octal escapes, so the content stream stays plain text.
func literal(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('(')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '(' || c == ')' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\%03o", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte(')')
	return b.String()
}

// column is a column of a grid: its width and default style.
type column struct {
	width float64
	style style
}

// cell is a grid cell's text (WinAnsi) and, optionally, its own style.
type cell struct {
	text  string
	style *style
}

// grid lays out rows of cells whose text wraps within its column. A row
// too tall for the rest of a page continues on the next; a short one
// moves there whole. A header, if any, repeats on every page.
type grid struct {
	x       float64
	columns []column
	padX    float64 // left and right of a cell's text
	padY    float64 // above and below a row's text
	lead    float64 // line height
	header  []string
	headSt  style
	stripe  bool // shade every other row
	rules   bool // a hairline under each row
}

// keepLines is the most lines a row may have and still never split.
const keepLines = 8

func (g *grid) width() float64 {
	w := 0.0
	for _, c := range g.columns {
		w += c.width
	}
	return w
}

func (g *grid) cellStyle(i int, c cell) style {
	if c.style != nil {
		return *c.style
	}
	return g.columns[i].style
}

// lines wraps each cell of row.
func (g *grid) lines(l *layout, row []cell) ([][]string, int) {
	out := make([][]string, len(row))
	n := 1
	for i, c := range row {
		out[i] = l.wrap(c.text, g.cellStyle(i, c), g.columns[i].width-2*g.padX)
		n = max(n, len(out[i]))
	}
	return out, n
}

// height returns the height rows take, ignoring page breaks.
func (g *grid) height(l *layout, rows [][]cell) float64 {
	h := 0.0
	for _, r := range rows {
		_, n := g.lines(l, r)
		h += float64(n)*g.lead + 2*g.padY
	}
	return h
}

func (g *grid) headerHeight() float64 { return g.lead + 2*g.padY }

func (g *grid) drawHeader(l *layout) {
	h := g.headerHeight()
	l.rect(g.x, l.y-h, g.width(), h, band)
	x := g.x
	for i, t := range g.header {
		l.text(x+g.padX, baseline(l.y-g.padY, g.lead, g.headSt.size), g.headSt, l.fit(t, g.headSt, g.columns[i].width-2*g.padX))
		x += g.columns[i].width
	}
	l.y -= h
}

// draw lays out rows from the cursor down.
func (g *grid) draw(l *layout, rows [][]cell) {
	if len(g.header) > 0 {
		outer := l.continued
		l.continued = func() {
			if outer != nil {
				outer()
			}
			g.drawHeader(l)
		}
		defer func() { l.continued = outer }()
		l.need(g.headerHeight() + g.lead + 2*g.padY)
		g.drawHeader(l)
	}
	for r, row := range rows {
		lines, n := g.lines(l, row)
		if n <= keepLines {
			l.need(float64(n)*g.lead + 2*g.padY)
		}
		for k := 0; k < n; {
			fit := int((l.room() - 2*g.padY) / g.lead)
			if fit < 1 {
				l.newPage()
				continue
			}
			m := min(n-k, fit)
			h := float64(m)*g.lead + 2*g.padY
			if g.stripe && r%2 == 1 {
				l.rect(g.x, l.y-h, g.width(), h, zebra)
			}
			x := g.x
			for i, c := range row {
				st := g.cellStyle(i, c)
				for j := k; j < k+m && j < len(lines[i]); j++ {
					l.text(x+g.padX, baseline(l.y-g.padY-float64(j-k)*g.lead, g.lead, st.size), st, lines[i][j])
				}
				x += g.columns[i].width
			}
			l.y -= h
			if g.rules {
				l.rule(g.x, g.x+g.width(), l.y, 0.4, hairline)
			}
			k += m
		}
	}
}
