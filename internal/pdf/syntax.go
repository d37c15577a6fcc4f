package pdf

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// This file reads PDF object syntax (ISO 32000-1, 7.2 and 7.3) from a
// byte slice without copying it: the upload check reads a few dozen
// objects of a file and should cost accordingly.

// kind is the type of a PDF object.
type kind uint8

const (
	kindNull kind = iota
	kindBool
	kindInt
	kindReal
	kindString
	kindName
	kindArray
	kindDict
	kindRef
	kindStream
)

// object is one parsed PDF object. It points into the buffer it was
// parsed from. Arrays and dictionaries keep their source text, which was
// checked once when parsed, and are read again on access: a check looks
// up a few keys of each object, and this costs no allocations.
type object struct {
	kind kind
	// raw is the source text: a name without its '/', a string with its
	// delimiters, an array or dictionary whole. For a stream it is the
	// stream's dictionary.
	raw  []byte
	num  int64  // an integer's value, a reference's object number, 1 for true
	gen  int64  // a reference's generation
	data []byte // a stream's encoded data
}

var errSyntax = errors.New("syntax error")

func syntaxError(pos int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", errSyntax, pos, what)
}

// token is the type of a lexical token.
type token uint8

const (
	tokEOF token = iota
	tokInt
	tokReal
	tokName
	tokString
	tokHexString
	tokArrayOpen
	tokArrayClose
	tokDictOpen
	tokDictClose
	tokKeyword
)

// lexer splits PDF syntax into tokens. After next, tok, start, end and
// num describe the token; pos is just past it.
type lexer struct {
	b          []byte
	pos        int
	tok        token
	start, end int   // the token's text: a name without its '/'
	num        int64 // an integer token's value
}

// Character classes (7.2.2), looked up per byte.
const (
	classRegular = iota
	classSpace
	classDelimiter
)

var classes = func() (c [256]uint8) {
	for _, b := range []byte(" \n\r\t\f\x00") {
		c[b] = classSpace
	}
	for _, b := range []byte("()<>[]{}/%") {
		c[b] = classDelimiter
	}
	return c
}()

func isSpace(c byte) bool     { return classes[c] == classSpace }
func isDelimiter(c byte) bool { return classes[c] == classDelimiter }
func isRegular(c byte) bool   { return classes[c] == classRegular }

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// skipSpace skips white space and comments.
func (l *lexer) skipSpace() {
	for l.pos < len(l.b) {
		switch c := l.b[l.pos]; {
		case isSpace(c):
			l.pos++
		case c == '%':
			for l.pos < len(l.b) && l.b[l.pos] != '\n' && l.b[l.pos] != '\r' {
				l.pos++
			}
		default:
			return
		}
	}
}

func (l *lexer) text() []byte { return l.b[l.start:l.end] }

// keyword reports whether the token is the keyword kw.
func (l *lexer) keyword(kw string) bool {
	return l.tok == tokKeyword && string(l.text()) == kw
}

// next reads the next token.
func (l *lexer) next() error {
	l.skipSpace()
	l.start = l.pos
	if l.pos >= len(l.b) {
		l.tok, l.end = tokEOF, l.pos
		return nil
	}
	c := l.b[l.pos]
	switch c {
	case '/':
		l.pos++
		l.start = l.pos
		for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
			l.pos++
		}
		l.tok = tokName
	case '(':
		if err := l.literalString(); err != nil {
			return err
		}
		l.tok = tokString
	case '<':
		if l.pos+1 < len(l.b) && l.b[l.pos+1] == '<' {
			l.pos += 2
			l.tok = tokDictOpen
			break
		}
		if err := l.hexString(); err != nil {
			return err
		}
		l.tok = tokHexString
	case '>':
		if l.pos+1 >= len(l.b) || l.b[l.pos+1] != '>' {
			return syntaxError(l.pos, "unexpected '>'")
		}
		l.pos += 2
		l.tok = tokDictClose
	case '[':
		l.pos++
		l.tok = tokArrayOpen
	case ']':
		l.pos++
		l.tok = tokArrayClose
	case ')', '{', '}':
		return syntaxError(l.pos, fmt.Sprintf("unexpected %q", c))
	default:
		for l.pos < len(l.b) && isRegular(l.b[l.pos]) {
			l.pos++
		}
		l.tok = tokKeyword
		if c < 'A' || c == '.' { // keywords start with a letter
			isInt, n, ok := number(l.b[l.start:l.pos])
			if !ok {
				break
			}
			l.tok, l.num = tokReal, 0
			if isInt {
				l.tok, l.num = tokInt, n
			}
		}
	}
	l.end = l.pos
	return nil
}

// literalString reads a string in balanced parentheses.
func (l *lexer) literalString() error {
	start := l.pos
	depth := 0
	for l.pos < len(l.b) {
		switch l.b[l.pos] {
		case '\\':
			l.pos++ // the escaped byte cannot open or close
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				l.pos++
				return nil
			}
		}
		l.pos++
	}
	return syntaxError(start, "unterminated string")
}

// hexString reads a string in angle brackets.
func (l *lexer) hexString() error {
	start := l.pos
	for l.pos++; l.pos < len(l.b); l.pos++ {
		c := l.b[l.pos]
		if c == '>' {
			l.pos++
			return nil
		}
		if _, ok := unhex(c); !ok && !isSpace(c) {
			return syntaxError(l.pos, "bad hex string")
		}
	}
	return syntaxError(start, "unterminated hex string")
}

// number parses an integer or real number token. Integers too large for
// int64 count as reals, as in other readers.
func number(t []byte) (isInt bool, n int64, ok bool) {
	i := 0
	if i < len(t) && (t[i] == '+' || t[i] == '-') {
		i++
	}
	digits, dots := 0, 0
	overflow := false
	for ; i < len(t); i++ {
		switch c := t[i]; {
		case '0' <= c && c <= '9':
			digits++
			if dots == 0 {
				if n > (math.MaxInt64-int64(c-'0'))/10 {
					overflow = true
				}
				n = n*10 + int64(c-'0')
			}
		case c == '.':
			dots++
		default:
			return false, 0, false
		}
	}
	if digits == 0 || dots > 1 {
		return false, 0, false
	}
	if t[0] == '-' {
		n = -n
	}
	return dots == 0 && !overflow, n, true
}

// parser builds objects from tokens.
type parser struct {
	lexer
	maxDepth int
}

// revalidated is the depth allowance for reading an array or dictionary
// again: its text was checked against the real limit when first parsed.
const revalidated = math.MaxInt32

// value reads the object that starts at the next token.
func (p *parser) value() (object, error) {
	if err := p.next(); err != nil {
		return object{}, err
	}
	return p.valueAt(0)
}

// valueAt reads the object that starts at the current token, which is
// nested depth levels deep.
func (p *parser) valueAt(depth int) (object, error) {
	start := p.start
	switch p.tok {
	case tokInt:
		o := object{kind: kindInt, num: p.num, raw: p.text()}
		// "12 0 R" is a reference; anything else leaves the integer.
		if o.num >= 0 {
			if gen, end, ok := refTail(p.b, p.pos); ok {
				p.pos = end
				return object{kind: kindRef, num: o.num, gen: gen, raw: p.b[start:end]}, nil
			}
		}
		return o, nil
	case tokReal:
		return object{kind: kindReal, raw: p.text()}, nil
	case tokName:
		return object{kind: kindName, raw: p.text()}, nil
	case tokString, tokHexString:
		return object{kind: kindString, raw: p.text()}, nil
	case tokKeyword:
		switch string(p.text()) {
		case "null":
			return object{kind: kindNull, raw: p.text()}, nil
		case "true":
			return object{kind: kindBool, num: 1, raw: p.text()}, nil
		case "false":
			return object{kind: kindBool, raw: p.text()}, nil
		}
		return object{}, syntaxError(start, fmt.Sprintf("unexpected %.20q", p.text()))
	case tokArrayOpen, tokDictOpen:
		if depth >= p.maxDepth {
			return object{}, overLimit(LimitDepth, int64(p.maxDepth), int64(p.maxDepth)+1)
		}
		dict := p.tok == tokDictOpen
		closing := tokArrayClose
		if dict {
			closing = tokDictClose
		}
		for {
			if err := p.next(); err != nil {
				return object{}, err
			}
			if p.tok == closing {
				break
			}
			if dict {
				if p.tok != tokName {
					return object{}, syntaxError(p.start, "dictionary key is not a name")
				}
				if err := p.next(); err != nil {
					return object{}, err
				}
			}
			if p.tok == tokEOF {
				return object{}, syntaxError(start, "unterminated array or dictionary")
			}
			if _, err := p.valueAt(depth + 1); err != nil {
				return object{}, err
			}
		}
		if dict {
			return object{kind: kindDict, raw: p.b[start:p.pos]}, nil
		}
		return object{kind: kindArray, raw: p.b[start:p.pos]}, nil
	case tokEOF:
		return object{}, syntaxError(start, "unexpected end of data")
	}
	return object{}, syntaxError(start, fmt.Sprintf("unexpected %.20q", p.text()))
}

// refTail reports whether " gen R" follows at b[i:], as in "12 0 R", and
// returns the generation and the end of the reference. Comments between
// the parts are legal but unheard of, and read as no reference.
func refTail(b []byte, i int) (gen int64, end int, ok bool) {
	j := i
	for j < len(b) && isSpace(b[j]) {
		j++
	}
	if j == i {
		return 0, 0, false
	}
	k := j
	for k < len(b) && '0' <= b[k] && b[k] <= '9' && k-j < 10 {
		gen = gen*10 + int64(b[k]-'0')
		k++
	}
	if k == j || k == len(b) || !isSpace(b[k]) {
		return 0, 0, false
	}
	for k < len(b) && isSpace(b[k]) {
		k++
	}
	if k == len(b) || b[k] != 'R' || (k+1 < len(b) && isRegular(b[k+1])) {
		return 0, 0, false
	}
	return gen, k + 1, true
}

// each calls fn for the elements of an array (key nil) or the entries of
// a dictionary, in order, until fn returns false. Other objects have none.
func (o object) each(fn func(key []byte, v object) bool) {
	if o.kind != kindArray && o.kind != kindDict && o.kind != kindStream {
		return
	}
	p := parser{lexer: lexer{b: o.raw}, maxDepth: revalidated}
	if p.next() != nil { // the opening bracket
		return
	}
	for {
		if p.next() != nil || p.tok == tokEOF || p.tok == tokArrayClose || p.tok == tokDictClose {
			return
		}
		var key []byte
		if o.kind != kindArray {
			key = p.text()
			if p.next() != nil {
				return
			}
		}
		v, err := p.valueAt(1)
		if err != nil || !fn(key, v) {
			return
		}
	}
}

// get returns the value of key in a dictionary or stream dictionary, or
// null.
func (o object) get(key string) object {
	v, _ := o.lookup(key)
	return v
}

// lookup returns the value of key in a dictionary or stream dictionary
// (the last one, if repeated, as pdfcpu reads it) and whether it is there.
func (o object) lookup(key string) (found object, ok bool) {
	o.each(func(k []byte, v object) bool {
		if nameIs(k, key) {
			found, ok = v, true
		}
		return true
	})
	return found, ok
}

// isName reports whether o is the name s.
func (o object) isName(s string) bool { return o.kind == kindName && nameIs(o.raw, s) }

// nameIs reports whether the name text raw (escapes such as #20 not yet
// decoded) is s.
func nameIs(raw []byte, s string) bool {
	if bytes.IndexByte(raw, '#') < 0 {
		return string(raw) == s
	}
	return nameString(raw) == s
}

// nameString decodes the #xx escapes of a name.
func nameString(raw []byte) string {
	if bytes.IndexByte(raw, '#') < 0 {
		return string(raw)
	}
	out := make([]byte, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		if raw[i] == '#' && i+2 < len(raw) {
			hi, ok1 := unhex(raw[i+1])
			lo, ok2 := unhex(raw[i+2])
			if ok1 && ok2 {
				out = append(out, hi<<4|lo)
				i += 2
				continue
			}
		}
		out = append(out, raw[i])
	}
	return string(out)
}
