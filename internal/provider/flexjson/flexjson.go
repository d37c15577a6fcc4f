// Package flexjson reads the fields of a provider's JSON answers leniently.
//
// Providers' answers differ between API versions and between what their
// documentation shows and what integrations see: numbers and booleans as
// strings, null for absent, a lone object for a list, a list sent as a
// string holding its JSON. The readers here accept a field whatever its JSON
// type and never fail: a value that makes no sense reads as absent, so that
// an odd field can never turn a good answer into an error.
//
// What differs between providers (the words they write for "none", how
// their status words are compared) stays with each provider.
package flexjson

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text reads b, one JSON value, as text: a string as its value, a number
// or a boolean as its literal text. Null, objects, arrays and a string
// that does not decode read as "".
func Text(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		var v string
		if json.Unmarshal(b, &v) == nil {
			return v
		}
		return ""
	case 'n', '{', '[':
		return ""
	}
	return string(b) // number, true, false
}

// None is the words, in lower case, that a provider writes for "no value".
type None []string

// Set reports whether s carries a value: whether s, trimmed and
// lower-cased, is none of n's words.
func (n None) Set(s string) bool {
	return !slices.Contains(n, strings.ToLower(strings.TrimSpace(s)))
}

// Flag is a boolean that also accepts "true"/"false", "yes"/"no" and 1/0,
// as a number or a string. Anything else is false.
type Flag bool

// UnmarshalJSON reads b leniently; it never fails.
func (f *Flag) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.TrimSpace(Text(b))) {
	case "true", "yes", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

// List reads a JSON array of objects leniently: items that are not
// objects, or do not decode as T, are skipped, and a single object reads
// as a list of one. Anything else reads as an empty list.
type List[T any] []T

// UnmarshalJSON reads b leniently; it never fails.
func (l *List[T]) UnmarshalJSON(b []byte) error {
	*l = objects[T](b)
	return nil
}

// Object reads a JSON object leniently: anything that is not an object
// (null, a string, an array), or does not decode as T, reads as the zero
// value.
type Object[T any] struct{ V T }

// UnmarshalJSON reads b leniently; it never fails.
func (o *Object[T]) UnmarshalJSON(b []byte) error {
	o.V = ObjectOf[T](b)
	return nil
}

// ObjectOf reads b as Object does, for a type whose own UnmarshalJSON
// wants that leniency: T is then a plain copy of the type, without the
// method.
func ObjectOf[T any](b []byte) T {
	var v T
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, &v) != nil {
		return *new(T)
	}
	return v
}

// QuotedList is a List that also reads a JSON string holding the list's
// JSON (a schema that types every field as "string", taken literally).
type QuotedList[T any] []T

// UnmarshalJSON reads b leniently; it never fails.
func (l *QuotedList[T]) UnmarshalJSON(b []byte) error {
	*l = objects[T](unquote(b))
	return nil
}

// unquote is the text of b when b is a JSON string (nil when it does not
// decode), and b otherwise.
func unquote(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '"' {
		return b
	}
	var inner string
	if json.Unmarshal(b, &inner) != nil {
		return nil
	}
	return []byte(inner)
}

// Items reads b as the items of a JSON array, or as a list of one when b
// is a lone value whose first byte is one of lone ("{" for a lone object).
// Anything else, and an array that does not decode, reads as no items. Each
// item is trimmed of surrounding space.
func Items(b []byte, lone string) []json.RawMessage {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] == '[' {
		var raws []json.RawMessage
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
		for i, r := range raws {
			raws[i] = bytes.TrimSpace(r)
		}
		return raws
	}
	if strings.IndexByte(lone, b[0]) >= 0 {
		return []json.RawMessage{b}
	}
	return nil
}

// objects reads b as an array of objects or a lone object, keeping the
// objects that decode as T.
func objects[T any](b []byte) []T {
	var out []T
	for _, r := range Items(b, "{") {
		if len(r) == 0 || r[0] != '{' {
			continue
		}
		var v T
		if json.Unmarshal(r, &v) == nil {
			out = append(out, v)
		}
	}
	return out
}

// Base64 reads a file a provider sent as text: standard or URL-safe
// base64, padded or not, broken into lines, with or without a data: URL
// prefix.
func Base64(s string) ([]byte, error) {
	if i := strings.Index(s, ";base64,"); i >= 0 && strings.HasPrefix(s, "data:") {
		s = s[i+len(";base64,"):]
	}
	s = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\r', ' ', '\t':
			return -1
		case '-':
			return '+'
		case '_':
			return '/'
		}
		return r
	}, s)
	return base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "="))
}

// MaxID bounds an id a provider sends (in a callback, say). Providers'
// ids are 26 to 36 characters; the bound is loose so that a format change
// does not drop callbacks, but keeps junk out of lookups and logs.
const MaxID = 128

// ID reports whether s can be a provider's id: not empty, at most MaxID
// bytes, and without control or space characters or invalid UTF-8 (nor
// the replacement character a JSON decoder puts in its place).
func ID(s string) bool {
	return s != "" && len(s) <= MaxID && !strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) || unicode.IsSpace(r) || r == utf8.RuneError
	})
}
