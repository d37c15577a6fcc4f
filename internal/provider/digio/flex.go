package digio

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Digio's answers are read leniently. Its details API writes times as
// "2006-01-02 15:04:05" strings while its webhooks write the same fields as
// epoch milliseconds, and integrations see null for unset fields. These
// types read a field whatever its JSON type and never fail: a value that
// makes no sense is read as absent, so that an odd field can never turn a
// good answer into an error.

// text is a string field that also accepts numbers and booleans (as their
// literal text); null, objects and arrays read as "".
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*s = ""
	if len(b) == 0 {
		return nil
	}
	switch b[0] {
	case '"':
		var v string
		if json.Unmarshal(b, &v) == nil {
			*s = text(v)
		}
	case 'n', '{', '[':
	default: // number, true, false
		*s = text(b)
	}
	return nil
}

// set reports whether s carries a value. Digio leaves unset fields null
// or empty; a few integrations see "NA" or "null" for "none".
func (s text) set() bool {
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "", "na", "n/a", "null", "nil", "none":
		return false
	}
	return true
}

// word is s trimmed and lower-cased, for comparing Digio's status words
// (which it writes in lower case; event names appear upper-cased in its
// dashboard).
func (s text) word() string { return strings.ToLower(strings.TrimSpace(string(s))) }

// flag is a boolean that also accepts "true"/"false", "yes"/"no" and 1/0,
// as a number or a string. Anything else is false.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	var t text
	_ = t.UnmarshalJSON(b)
	switch t.word() {
	case "true", "yes", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

// list reads a JSON array of objects leniently: non-object items are
// skipped and a single object reads as a list of one. Anything else reads
// as an empty list.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	var raws []json.RawMessage
	switch b[0] {
	case '[':
		if json.Unmarshal(b, &raws) != nil {
			return nil
		}
	case '{':
		raws = []json.RawMessage{b}
	default:
		return nil
	}
	for _, r := range raws {
		r = bytes.TrimSpace(r)
		if len(r) == 0 || r[0] != '{' {
			continue
		}
		var v T
		if json.Unmarshal(r, &v) == nil {
			*l = append(*l, v)
		}
	}
	return nil
}

// object reads a JSON object leniently: anything that is not an object
// (null, a string, an array) reads as the zero value.
type object[T any] struct{ V T }

func (o *object[T]) UnmarshalJSON(b []byte) error {
	o.V = *new(T)
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	var v T
	if json.Unmarshal(b, &v) == nil {
		o.V = v
	}
	return nil
}
