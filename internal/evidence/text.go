package evidence

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/unicode/norm"
)

// The certificate is set in the standard PDF fonts (Helvetica, Courier),
// which every reader has and which need no embedding, with WinAnsiEncoding:
// Windows-1252, Latin-1 and a few typographic characters. Text outside it
// is shown as closely as those fonts allow and flagged, and the exact text
// travels in the certificate.json attachment:
//
//   - Latin letters with other diacritics lose them (Dvořák → Dvorák,
//     Łukasz → Lukasz).
//   - Indic scripts (Devanagari, Bengali, Gurmukhi, Gujarati, Odia, Tamil,
//     Telugu, Kannada, Malayalam) are transliterated into Latin letters in
//     the style of Indian passports and Hunterian romanisation (आशा राव →
//     Asha Rav).
//   - Anything else becomes '?'.

// winAnsi is the text encoding of the certificate's fonts.
var winAnsi = charmap.Windows1252

// encoded is text in the fonts' encoding (one byte a character), and
// whether it differs from the original in more than invisible characters.
type encoded struct {
	s      string
	approx bool
}

// encode converts s to WinAnsi bytes. Line breaks survive as '\n'; other
// control and formatting characters are dropped or become spaces.
func encode(s string) encoded {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(strings.ReplaceAll(s, "\r\n", "\n"))
	var b strings.Builder
	b.Grow(len(s))
	approx := false
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if base := indicBase(r); base != 0 {
			j := i
			for j < len(s) {
				r, n := utf8.DecodeRuneInString(s[j:])
				if indicBase(r) != base {
					break
				}
				j += n
			}
			b.WriteString(transliterate(s[i:j], base))
			approx = true
			i = j
			continue
		}
		i += n
		switch c, kind := encodeRune(r); kind {
		case exact:
			b.WriteByte(c)
		case approximate:
			b.WriteByte(c)
			approx = true
		case decomposed:
			ok := false
			for _, d := range norm.NFD.String(string(r)) {
				if c, k := encodeRune(d); k == exact {
					b.WriteByte(c)
					ok = true
				}
			}
			if !ok {
				b.WriteByte('?')
			}
			approx = true
		}
	}
	return encoded{b.String(), approx}
}

type runeKind int

const (
	dropped     runeKind = iota // invisible: nothing to show
	exact                       // the font has it
	approximate                 // shown as a look-alike
	decomposed                  // try its base letters
)

// lookalikes are characters outside WinAnsi with an obvious stand-in.
var lookalikes = map[rune]byte{
	'ł': 'l', 'Ł': 'L', 'đ': 'd', 'Đ': 'D', 'ħ': 'h', 'Ħ': 'H', 'ı': 'i',
	'ŀ': 'l', 'Ŀ': 'L', 'ŧ': 't', 'Ŧ': 'T', 'ĸ': 'k', 'ſ': 's',
	'‐': '-', '‑': '-', '‒': '-', '−': '-', '′': '\'', '″': '"', '⁄': '/',
}

// encodeRune classifies one character and returns its code when the font
// has it or a look-alike.
func encodeRune(r rune) (byte, runeKind) {
	switch {
	case r == '\n':
		return '\n', exact
	case r == '\t', r == 0xa0:
		return ' ', exact
	case r < 0x20, r >= 0x7f && r < 0xa0, r == 0xad:
		return 0, dropped // control characters, soft hyphen
	case unicode.Is(unicode.Zs, r):
		return ' ', exact
	case unicode.Is(unicode.Cf, r), unicode.Is(unicode.Mn, r):
		return 0, dropped // zero-width, bidi controls, lone combining marks
	}
	if c, ok := winAnsi.EncodeRune(r); ok {
		return c, exact
	}
	if c, ok := lookalikes[r]; ok {
		return c, approximate
	}
	return '?', decomposed
}

// widths holds the advance of each WinAnsi code in thousandths of the
// font size.
type widths [256]uint16

// units returns the width of s in thousandths of the font size.
func (w *widths) units(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n += int(w[s[i]])
	}
	return n
}

// measure returns the width of s in points at size.
func (w *widths) measure(s string, size float64) float64 {
	return float64(w.units(s)) * size / 1000
}

// limit converts a width in points at size to units.
func limit(max, size float64) int {
	return int(max * 1000 / size)
}

// breakAfter are the characters after which a long word (a URL, an id, a
// path) is best broken.
const breakAfter = "/-_.,;:?&=@+)]}|\\"

// wrap breaks s into lines no wider than max points at size: at spaces,
// and inside words too long for a line, preferably after punctuation.
// Explicit line breaks are kept, blank lines are not. Empty text gives no
// lines. It takes time linear in the length of s.
func (w *widths) wrap(s string, size, max float64) []string {
	lim, space := limit(max, size), int(w[' '])
	var lines []string
	for para := range strings.SplitSeq(s, "\n") {
		line, lineW := "", 0
		for word := range strings.FieldsSeq(para) {
			ww := w.units(word)
			if line != "" && lineW+space+ww <= lim {
				line, lineW = line+" "+word, lineW+space+ww
				continue
			}
			if line != "" {
				lines = append(lines, line)
			}
			for ww > lim {
				cut, cutW := w.cut(word, lim)
				lines = append(lines, word[:cut])
				word, ww = word[cut:], ww-cutW
			}
			line, lineW = word, ww
		}
		if line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// cut returns how many bytes of word go on a line lim units wide, and
// their width: at least one byte, up to the last break character in the
// second half of what fits, if any.
func (w *widths) cut(word string, lim int) (int, int) {
	fit, fitW := 1, int(w[word[0]])
	for fit < len(word) && fitW+int(w[word[fit]]) <= lim {
		fitW += int(w[word[fit]])
		fit++
	}
	for i, iw := fit, fitW; i > fit/2; i-- {
		if strings.IndexByte(breakAfter, word[i-1]) >= 0 {
			return i, iw
		}
		iw -= int(w[word[i-1]])
	}
	return fit, fitW
}

// fit returns s cut to max points, ending in an ellipsis when cut.
func (w *widths) fit(s string, size, max float64) string {
	lim := limit(max, size)
	if w.units(s) <= lim {
		return s
	}
	const ellipsis = "\x85" // … in WinAnsi
	n, used := 0, int(w[ellipsis[0]])
	for n < len(s) && used+int(w[s[n]]) <= lim {
		used += int(w[s[n]])
		n++
	}
	return strings.TrimRight(s[:n], " ") + ellipsis
}
