package simkit

// The request-field reader: the fields of a request to a simulator, for
// validating it the way the provider does: one rule at a time, answering
// with the field's name and what is wrong with it. The rules and their
// order are shared; the words are the provider's own, given as a Wording.

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
)

// Wording is how a provider words a broken rule. NotObject and BadJSON are
// whole messages about a request body; the others follow the field's name
// ("callbackUrl" + " is required").
type Wording struct {
	NotObject string // the body is not a JSON object
	BadJSON   string // the body is not valid JSON

	Required  string // a required field is absent or null
	NotString string // the field is not a string
	Empty     string // a required string is blank
	NotBool   string // the field is not a boolean
	NotArray  string // the field is not an array
	NoItems   string // a required list is empty
	NotItem   string // an item of an object list is not an object; follows "key[i]"
}

// Fields is a JSON object's members. Those read by Parse carry no Wording
// and offer only the unworded readers (Present, Raw, String); those read by
// a Wording's Parse offer all.
type Fields struct {
	m map[string]json.RawMessage
	w *Wording
}

// The errors of Parse.
var (
	ErrNotObject = errors.New("not a JSON object")
	ErrBadJSON   = errors.New("not valid JSON")
)

// Parse reads b as a JSON object's members. It fails with ErrNotObject or
// ErrBadJSON.
func Parse(b []byte) (Fields, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return Fields{}, ErrNotObject
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return Fields{}, ErrBadJSON
	}
	return Fields{m: m}, nil
}

// Parse reads b as a JSON object's members, worded by w. Its error is w's
// NotObject or BadJSON.
func (w *Wording) Parse(b []byte) (Fields, error) {
	f, err := Parse(b)
	switch err {
	case nil:
		f.w = w
		return f, nil
	case ErrNotObject:
		return Fields{}, errors.New(w.NotObject)
	default:
		return Fields{}, errors.New(w.BadJSON)
	}
}

// Present reports whether key is there and not null.
func (f Fields) Present(key string) bool {
	v, ok := f.m[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// Raw is key's JSON as sent (nil when absent).
func (f Fields) Raw(key string) json.RawMessage { return f.m[key] }

// String reads key as a string ("" when absent); ok is false when it is
// there and not a string.
func (f Fields) String(key string) (s string, ok bool) {
	if !f.Present(key) {
		return "", true
	}
	if json.Unmarshal(f.m[key], &s) != nil {
		return "", false
	}
	return s, true
}

// Broken is the first rule a request broke: the field it is about and
// what is wrong; zero while none is.
type Broken struct{ Key, Msg string }

// Read reads key with get (a Fields reader, or a simulator's own) into
// *v, unless b already holds a broken rule, and keeps in b what get says
// is wrong. A parser reads a run of fields in turn, then checks b once:
// the first broken rule is the one the provider answers with.
func Read[T any](b *Broken, v *T, get func(key string) (T, string), key string) {
	if b.Msg != "" {
		return
	}
	var msg string
	if *v, msg = get(key); msg != "" {
		*b = Broken{Key: key, Msg: msg}
	}
}

// OptionalString reads key as a string ("" when absent). The second result
// is what is wrong, "" when nothing is.
func (f Fields) OptionalString(key string) (string, string) {
	s, ok := f.String(key)
	if !ok {
		return "", key + f.w.NotString
	}
	return s, ""
}

// RequiredString reads key as a non-blank string.
func (f Fields) RequiredString(key string) (string, string) {
	if !f.Present(key) {
		return "", key + f.w.Required
	}
	s, msg := f.OptionalString(key)
	if msg != "" {
		return "", msg
	}
	if strings.TrimSpace(s) == "" {
		return "", key + f.w.Empty
	}
	return s, ""
}

// Bool reads key as a boolean, also as a string strconv.ParseBool takes
// ("true", "false", …); def when absent.
func (f Fields) Bool(key string, def bool) (bool, string) {
	if !f.Present(key) {
		return def, ""
	}
	var b bool
	if json.Unmarshal(f.m[key], &b) == nil {
		return b, ""
	}
	var s string
	if json.Unmarshal(f.m[key], &s) == nil {
		if v, err := strconv.ParseBool(s); err == nil {
			return v, ""
		}
	}
	return false, key + f.w.NotBool
}

// ObjectList reads key as a non-empty array of objects, each worded as f.
func (f Fields) ObjectList(key string) ([]Fields, string) {
	if !f.Present(key) {
		return nil, key + f.w.Required
	}
	var raws []json.RawMessage
	if json.Unmarshal(f.m[key], &raws) != nil {
		return nil, key + f.w.NotArray
	}
	if len(raws) == 0 {
		return nil, key + f.w.NoItems
	}
	out := make([]Fields, len(raws))
	for i, r := range raws {
		o, err := Parse(r)
		if err != nil {
			return nil, key + "[" + strconv.Itoa(i) + "]" + f.w.NotItem
		}
		o.w = f.w
		out[i] = o
	}
	return out, ""
}

// Digits reports whether s is exactly n ASCII digits.
func Digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
