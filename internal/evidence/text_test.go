package evidence

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
)

// utf8Of decodes WinAnsi bytes, to compare with readable strings.
func utf8Of(t *testing.T, s string) string {
	t.Helper()
	out, err := charmap.Windows1252.NewDecoder().String(s)
	if err != nil {
		t.Fatalf("decode %q: %v", s, err)
	}
	return out
}

func TestEncode(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		approx   bool
	}{
		{"Åsa Öberg", "Åsa Öberg", false},
		{"Jörgen Lindqvist, Malmö", "Jörgen Lindqvist, Malmö", false},
		{"François Müller-Lüdenscheidt", "François Müller-Lüdenscheidt", false},
		{"€5 – “quoted” … ‘ok’ • œuvre", "€5 – “quoted” … ‘ok’ • œuvre", false},
		{"A\u030angström", "Ångström", false}, // composed first
		{"Dvořák", "Dvorák", true},
		{"Łukasz Żółć", "Lukasz Zólc", true},
		{"Nguyễn Văn An", "Nguyen Van An", true},
		{"आशा राव", "Asha Rav", true},
		{"山田太郎", "????", true},
		{"Иван", "????", true},
		{"zero\u200bwidth\u200e marks\u00ad", "zerowidth marks", false},
		{"tab\there\x00\x07", "tab here", false},
		{"two\r\nlines", "two\nlines", false},
		{"non\u00a0breaking\u2009thin", "non breaking thin", false},
		{"bad \xff byte", "bad ? byte", true},
	} {
		got := encode(tc.in)
		if s := utf8Of(t, got.s); s != tc.want || got.approx != tc.approx {
			t.Errorf("encode(%q) = %q, approx %v; want %q, approx %v", tc.in, s, got.approx, tc.want, tc.approx)
		}
	}
}

func TestTransliterate(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// Hindi: the final inherent a is dropped, except after a conjunct.
		{"राम", "Ram"},
		{"कमल", "Kamal"},
		{"अमित शर्मा", "Amit Sharma"},
		{"प्रिया", "Priya"},
		{"लक्ष्मी", "Lakshmi"},
		{"चंद्र", "Chandra"},
		{"मिश्र", "Mishra"},
		{"अंबानी", "Ambani"},
		{"सुरेश", "Suresh"},
		{"दिल्ली", "Dilli"},
		{"क", "Ka"},
		{"ज़ोया", "Zoya"},    // nukta
		{"फ़रहान", "Farhan"}, // nukta; a medial a dropped
		{"कमला", "Kamla"},
		{"बलराम", "Balram"},
		{"जनक", "Janak"},
		{"रमेश", "Ramesh"},
		{"प्रकाश", "Prakash"},
		{"२०२६", "2026"},       // digits
		{"मैं।", "Main."},      // nasal, danda
		{"ਸਿੰਘ", "Singh"},      // Gurmukhi
		{"সৌরভ", "Saurabh"},    // Bengali
		{"રાજેશ", "Rajesh"},    // Gujarati
		{"రామ", "Rama"},        // Telugu keeps the final a
		{"முருகன்", "Murukan"}, // Tamil
		{"കേരളം", "Keralam"},   // Malayalam
		{"ಕನ್ನಡ", "Kannada"},   // Kannada
	} {
		got := encode(tc.in)
		if got.s != tc.want || !got.approx {
			t.Errorf("encode(%q) = %q, approx %v; want %q, approx", tc.in, got.s, got.approx, tc.want)
		}
	}
}

func TestWrap(t *testing.T) {
	l := newLayout()
	w := l.widths[regular]
	const hash = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	const url = "https://signzy.example/api/v3/contract/auditcertificate/6f1c2d3e4b5a?token=abcdefghijklmnop"
	for _, tc := range []struct {
		name  string
		in    string
		width float64
		want  []string // nil: only check the invariants
	}{
		{"fits", "Signed by Asha Rao", 200, []string{"Signed by Asha Rao"}},
		{"words", "one two three four five six", 50, []string{"one two", "three four", "five six"}},
		{"spaces collapse", "  one   two  ", 200, []string{"one two"}},
		{"line breaks", "one\ntwo\n\nthree", 200, []string{"one", "two", "three"}},
		{"empty", "", 100, []string{}},
		{"url breaks after punctuation", url, 160, nil},
		{"hash", hash, 90, nil},
		{"narrower than a character", "WWW", 1, []string{"W", "W", "W"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := w.wrap(tc.in, 9, tc.width)
			if tc.want != nil && strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("wrap = %q, want %q", got, tc.want)
			}
			for _, line := range got {
				if w.measure(line, 9) > tc.width && len(line) > 1 {
					t.Errorf("line %q is %.1f wide, more than %.1f", line, w.measure(line, 9), tc.width)
				}
			}
			if tc.want == nil {
				if joined := strings.Join(got, ""); joined != tc.in {
					t.Errorf("the pieces of %q join to %q", tc.in, joined)
				}
				if len(got) < 2 {
					t.Errorf("wrap(%q) = %q, want it broken", tc.in, got)
				}
			}
		})
	}
	// The URL breaks after a slash or the query's punctuation.
	lines := w.wrap(url, 9, 160)
	for _, line := range lines[:len(lines)-1] {
		if !strings.ContainsRune("/?=.", rune(line[len(line)-1])) {
			t.Errorf("URL line %q does not end at punctuation", line)
		}
	}
}

func TestFit(t *testing.T) {
	w := newLayout().widths[regular]
	if got := w.fit("short", 8, 100); got != "short" {
		t.Errorf("fit(short) = %q", got)
	}
	got := w.fit(strings.Repeat("long ", 40), 8, 100)
	if !strings.HasSuffix(got, "\x85") || w.measure(got, 8) > 100 {
		t.Errorf("fit(long) = %q (%.1f wide), want it cut to 100 with an ellipsis", got, w.measure(got, 8))
	}
}

func TestBytesText(t *testing.T) {
	for n, want := range map[int]string{0: "0 bytes", 1: "1 byte", 999: "999 bytes", 1000: "1,000 bytes", 1234567: "1,234,567 bytes"} {
		if got := bytesText(n); got != want {
			t.Errorf("bytesText(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFileName(t *testing.T) {
	taken := map[string]bool{DataFile: true}
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"bankid-signature.xml", 1, "bankid-signature.xml"},
		{"bankid-signature.xml", 2, "bankid-signature-2.xml"},
		{"../../etc/passwd", 3, "passwd"},
		{`C:\evil\name.pdf`, 4, "name.pdf"},
		{"", 5, "evidence-5.bin"},
		{"\x00\x01", 6, "evidence-6.bin"},
		{DataFile, 7, "certificate-2.json"},
		{"Åsa's kvitto.pdf", 8, "Åsa's kvitto.pdf"},
	} {
		if got := uniqueName(fileName(tc.in, tc.n), taken); got != tc.want {
			t.Errorf("file name for %q = %q, want %q", tc.in, got, tc.want)
		}
	}
}
