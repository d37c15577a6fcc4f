package signzy

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
)

// Signzy's published schema (the seed) types every field as "string", its
// documentation shows numbers and booleans, and integrations report both.
// These types read a field whatever its JSON type and never fail: a value
// that makes no sense is read as absent, so that an odd field can never
// turn a good answer into an error.

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

// set reports whether s carries a value. Signzy leaves unset fields empty,
// and a few integrations see "NA", "null" or 0 for "none".
func (s text) set() bool {
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "", "na", "n/a", "null", "none", "0", "false":
		return false
	}
	return true
}

// word is s trimmed and upper-cased, for comparing status words.
func (s text) word() string { return strings.ToUpper(strings.TrimSpace(string(s))) }

// flag is a boolean that also accepts "true"/"false", "yes"/"no" and 1/0,
// as a number or a string. Anything else is false.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	var t text
	_ = t.UnmarshalJSON(b)
	switch strings.ToLower(strings.TrimSpace(string(t))) {
	case "true", "yes", "1":
		*f = true
	default:
		*f = false
	}
	return nil
}

// count is a non-negative integer that also accepts a numeric string.
// Known tells a real 0 from an absent or unreadable field.
type count struct {
	N     int
	Known bool
}

func (c *count) UnmarshalJSON(b []byte) error {
	var t text
	_ = t.UnmarshalJSON(b)
	*c = count{}
	f, err := strconv.ParseFloat(strings.TrimSpace(string(t)), 64)
	if err != nil || math.IsNaN(f) || f < 0 || f > 1e9 || f != math.Trunc(f) {
		return nil
	}
	*c = count{N: int(f), Known: true}
	return nil
}

// list reads a JSON array of objects leniently: non-object items are
// skipped, a single object reads as a list of one, and a string holding
// JSON (the seed's "type": "string" taken literally) is parsed. Anything
// else reads as an empty list.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	*l = nil
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var inner string
		if json.Unmarshal(b, &inner) != nil {
			return nil
		}
		b = bytes.TrimSpace([]byte(inner))
	}
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
