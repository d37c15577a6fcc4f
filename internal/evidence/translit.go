package evidence

import "strings"

// The Indic scripts of Unicode (U+0900 to U+0D7F, 128 code points each)
// share one layout inherited from ISCII: the same offset in each block is
// the same letter, so one table read by offset transliterates all nine
// scripts, with a few exceptions per script.

const (
	indicFirst = 0x0900 // Devanagari
	indicLast  = 0x0D7F // the end of Malayalam
	devanagari = 0x0900
	bengali    = 0x0980
	gurmukhi   = 0x0A00
	gujarati   = 0x0A80
	odia       = 0x0B00
	telugu     = 0x0C00
	kannada    = 0x0C80
	malayalam  = 0x0D00
)

// indicBase returns the first code point of r's Indic block, or 0.
func indicBase(r rune) rune {
	if r < indicFirst || r > indicLast {
		return 0
	}
	return r &^ 0x7f
}

// Classes of the letters by offset in their block.
type indicClass int

const (
	other indicClass = iota // no Latin form: shown as ?
	consonant
	vowel     // an independent vowel
	vowelSign // a dependent vowel: replaces the inherent a
	virama    // suppresses the inherent a
	nukta     // modifies the consonant before it
	nasal     // anusvara, candrabindu: n, or m before p, b, m
	sign      // visarga and the like: written after the syllable
	symbol    // digits and punctuation: end the word
)

type indicLetter struct {
	class indicClass
	latin string
}

// indicTable holds the letters of the Devanagari block by offset.
var indicTable = [0x80]indicLetter{
	0x01: {nasal, "n"}, 0x02: {nasal, "n"}, 0x03: {sign, "h"},
	0x04: {vowel, "a"}, 0x05: {vowel, "a"}, 0x06: {vowel, "a"}, 0x07: {vowel, "i"},
	0x08: {vowel, "i"}, 0x09: {vowel, "u"}, 0x0a: {vowel, "u"}, 0x0b: {vowel, "ri"},
	0x0c: {vowel, "li"}, 0x0d: {vowel, "e"}, 0x0e: {vowel, "e"}, 0x0f: {vowel, "e"},
	0x10: {vowel, "ai"}, 0x11: {vowel, "o"}, 0x12: {vowel, "o"}, 0x13: {vowel, "o"},
	0x14: {vowel, "au"},
	0x15: {consonant, "k"}, 0x16: {consonant, "kh"}, 0x17: {consonant, "g"},
	0x18: {consonant, "gh"}, 0x19: {consonant, "n"}, 0x1a: {consonant, "ch"},
	0x1b: {consonant, "chh"}, 0x1c: {consonant, "j"}, 0x1d: {consonant, "jh"},
	0x1e: {consonant, "n"}, 0x1f: {consonant, "t"}, 0x20: {consonant, "th"},
	0x21: {consonant, "d"}, 0x22: {consonant, "dh"}, 0x23: {consonant, "n"},
	0x24: {consonant, "t"}, 0x25: {consonant, "th"}, 0x26: {consonant, "d"},
	0x27: {consonant, "dh"}, 0x28: {consonant, "n"}, 0x29: {consonant, "n"},
	0x2a: {consonant, "p"}, 0x2b: {consonant, "ph"}, 0x2c: {consonant, "b"},
	0x2d: {consonant, "bh"}, 0x2e: {consonant, "m"}, 0x2f: {consonant, "y"},
	0x30: {consonant, "r"}, 0x31: {consonant, "r"}, 0x32: {consonant, "l"},
	0x33: {consonant, "l"}, 0x34: {consonant, "zh"}, 0x35: {consonant, "v"},
	0x36: {consonant, "sh"}, 0x37: {consonant, "sh"}, 0x38: {consonant, "s"},
	0x39: {consonant, "h"},
	0x3a: {vowelSign, "o"}, 0x3b: {vowelSign, "o"}, 0x3c: {nukta, ""}, 0x3d: {sign, ""},
	0x3e: {vowelSign, "a"}, 0x3f: {vowelSign, "i"}, 0x40: {vowelSign, "i"},
	0x41: {vowelSign, "u"}, 0x42: {vowelSign, "u"}, 0x43: {vowelSign, "ri"},
	0x44: {vowelSign, "ri"}, 0x45: {vowelSign, "e"}, 0x46: {vowelSign, "e"},
	0x47: {vowelSign, "e"}, 0x48: {vowelSign, "ai"}, 0x49: {vowelSign, "o"},
	0x4a: {vowelSign, "o"}, 0x4b: {vowelSign, "o"}, 0x4c: {vowelSign, "au"},
	0x4d: {virama, ""}, 0x4e: {vowelSign, "e"}, 0x4f: {vowelSign, "au"},
	0x50: {symbol, "Om"}, 0x51: {sign, ""}, 0x52: {sign, ""}, 0x53: {sign, ""}, 0x54: {sign, ""},
	0x55: {vowelSign, "e"}, 0x56: {vowelSign, "u"}, 0x57: {vowelSign, "u"},
	0x58: {consonant, "q"}, 0x59: {consonant, "kh"}, 0x5a: {consonant, "gh"},
	0x5b: {consonant, "z"}, 0x5c: {consonant, "r"}, 0x5d: {consonant, "rh"},
	0x5e: {consonant, "f"}, 0x5f: {consonant, "y"},
	0x60: {vowel, "ri"}, 0x61: {vowel, "li"}, 0x62: {vowelSign, "li"}, 0x63: {vowelSign, "li"},
	0x64: {symbol, "."}, 0x65: {symbol, "."},
	0x66: {symbol, "0"}, 0x67: {symbol, "1"}, 0x68: {symbol, "2"}, 0x69: {symbol, "3"},
	0x6a: {symbol, "4"}, 0x6b: {symbol, "5"}, 0x6c: {symbol, "6"}, 0x6d: {symbol, "7"},
	0x6e: {symbol, "8"}, 0x6f: {symbol, "9"}, 0x70: {symbol, "."}, 0x71: {sign, ""},
	0x72: {vowel, "a"}, 0x73: {vowel, "e"}, 0x74: {vowel, "o"}, 0x75: {vowel, "au"},
	0x76: {vowel, "u"}, 0x77: {vowel, "u"},
}

// indicExceptions are the letters whose offset means something else in a
// script than in Devanagari.
var indicExceptions = map[rune]indicLetter{
	0x09ce: {consonant, "t"}, // Bengali khanda ta: a final t
	0x09f0: {consonant, "r"}, // Assamese ra
	0x09f1: {consonant, "w"}, // Assamese wa
	0x0a70: {nasal, "n"},     // Gurmukhi tippi
	0x0a71: {sign, ""},       // Gurmukhi addak (doubles the next consonant)
	0x0a72: {vowel, ""},      // Gurmukhi iri and ura carry vowel signs
	0x0a73: {vowel, ""},      //
	0x0a74: {symbol, "Ek Onkar"},
	0x0a75: {sign, "y"},       // Gurmukhi yakash
	0x0b71: {consonant, "w"},  // Odia wa
	0x0c58: {consonant, "ts"}, // Telugu tsa
	0x0c59: {consonant, "dz"}, // Telugu dza
	0x0c5a: {consonant, "r"},  // Telugu rrra
	0x0cde: {consonant, "zh"}, // Kannada llla
	0x0d4e: {sign, "r"},       // Malayalam dot reph
	0x0d54: {sign, "m"},       // Malayalam chillu letters: final consonants
	0x0d55: {sign, "y"}, 0x0d56: {sign, "zh"}, 0x0d57: {sign, ""},
	0x0d7a: {sign, "n"}, 0x0d7b: {sign, "n"}, 0x0d7c: {sign, "r"},
	0x0d7d: {sign, "l"}, 0x0d7e: {sign, "l"}, 0x0d7f: {sign, "k"},
}

// nuktaForms are the consonants a nukta changes, by offset.
var nuktaForms = map[rune]string{
	0x15: "q", 0x16: "kh", 0x17: "gh", 0x1c: "z", 0x21: "r", 0x22: "rh", 0x2b: "f", 0x2f: "y",
}

// schwaDeletion holds the scripts of languages that drop the inherent a
// at the end of a word (Hindi Ram, not Rama); the Dravidian languages and
// Odia keep it.
func schwaDeletion(base rune) bool {
	return base == devanagari || base == bengali || base == gurmukhi || base == gujarati
}

func indicLookup(r, base rune) indicLetter {
	if l, ok := indicExceptions[r]; ok {
		return l
	}
	return indicTable[r-base]
}

// transliterate returns the Latin form of s, whose characters are all in
// the Indic block starting at base. Words start with a capital letter:
// the text is mostly names.
func transliterate(s string, base rune) string {
	t := &transliterator{schwa: schwaDeletion(base)}
	runes := []rune(s)
	for i, r := range runes {
		l := indicLookup(r, base)
		switch l.class {
		case consonant:
			// Hindi drops the inherent a between a vowel and a consonant
			// followed by a vowel sign (Farhan, Kamla, Balram).
			if t.pending && t.schwa && t.vowelBefore && !t.cluster && vowelSignNext(runes[i+1:], base) {
				t.pending = false
			}
			t.inherent()
			t.cluster = t.afterVirama
			t.vowelBefore, t.afterVowel = t.afterVowel, false
			t.write(l.latin)
			t.last, t.lastOffset, t.pending = len(l.latin), r-base, true
		case nukta:
			if form, ok := nuktaForms[t.lastOffset]; ok && t.pending {
				t.replaceLast(form)
			}
		case vowelSign:
			t.write(l.latin)
			t.pending, t.vowels, t.afterVowel = false, t.vowels+1, true
		case virama:
			t.pending = false
		case vowel:
			t.inherent()
			t.write(l.latin)
			t.vowels, t.afterVowel = t.vowels+1, true
		case nasal:
			t.inherent()
			// m before p, b and m, and at the end of a word where the
			// inherent a is kept (Malayalam Keralam); n elsewhere.
			latin := l.latin
			if i+1 < len(runes) {
				if next := indicLookup(runes[i+1], base); next.class == consonant && strings.ContainsAny(next.latin[:1], "pbm") {
					latin = "m"
				}
			} else if !t.schwa {
				latin = "m"
			}
			t.write(latin)
			t.afterVowel = false
		case sign:
			t.inherent()
			t.write(l.latin)
			t.afterVowel = false
		case symbol:
			t.endWord()
			t.b = append(t.b, l.latin...)
			t.start = true
		default:
			t.endWord()
			t.b = append(t.b, '?')
		}
		t.afterVirama = l.class == virama
	}
	t.endWord()
	return string(t.b)
}

// transliterator is the state of transliterate within a word.
type transliterator struct {
	b           []byte
	schwa       bool
	start       bool // the next letter starts a word (unless nothing was written yet)
	written     bool // a letter of the current word was written
	pending     bool // the last consonant still has its inherent a
	cluster     bool // the last consonant follows a virama: a conjunct
	afterVirama bool
	afterVowel  bool // the last thing written was a vowel
	vowelBefore bool // the pending consonant came after a vowel
	vowels      int  // vowels written in the current word
	last        int  // bytes of the last consonant's Latin form
	lastOffset  rune
}

// write appends a Latin letter group, capitalised at the start of a word.
func (t *transliterator) write(s string) {
	if s == "" {
		return
	}
	if !t.written || t.start {
		s = strings.ToUpper(s[:1]) + s[1:]
		t.written, t.start = true, false
	}
	t.b = append(t.b, s...)
}

// replaceLast replaces the last consonant written with s.
func (t *transliterator) replaceLast(s string) {
	cut := len(t.b) - t.last
	if c := t.b[cut]; c >= 'A' && c <= 'Z' {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	t.b = append(t.b[:cut], s...)
	t.last = len(s)
}

// inherent writes the pending consonant's inherent vowel.
func (t *transliterator) inherent() {
	if t.pending {
		t.b = append(t.b, 'a')
		t.pending, t.vowels, t.afterVowel = false, t.vowels+1, true
	}
}

// vowelSignNext reports whether the next letter of rest, after any nukta,
// is a vowel sign.
func vowelSignNext(rest []rune, base rune) bool {
	for _, r := range rest {
		switch indicLookup(r, base).class {
		case nukta:
			continue
		case vowelSign:
			return true
		}
		return false
	}
	return false
}

// endWord writes or drops the last consonant's inherent vowel: Hindi drops
// it at the end of a word of more than one syllable, unless the word ends
// in a conjunct (Chandra, Mishra).
func (t *transliterator) endWord() {
	if t.pending && t.schwa && t.vowels > 0 && !t.cluster {
		t.pending = false
	}
	t.inherent()
	t.vowels, t.cluster, t.afterVowel = 0, false, false
}
