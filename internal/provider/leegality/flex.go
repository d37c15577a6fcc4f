package leegality

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Leegality's answers differ between API versions and between what its
// documentation shows and what integrations see (booleans as strings,
// null for absent, a lone object for a list). These types read a field
// whatever its JSON type and never fail: a value that makes no sense reads
// as absent, so that an odd field can never turn a good answer into an
// error.

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

// set reports whether s carries a value ("", "null", "NA" and "-" do not).
func (s text) set() bool {
	switch strings.ToLower(strings.TrimSpace(string(s))) {
	case "", "null", "na", "n/a", "none", "-":
		return false
	}
	return true
}

// trimmed is s without surrounding space.
func (s text) trimmed() string { return strings.TrimSpace(string(s)) }

// word is s upper-cased with spaces, underscores and hyphens removed, for
// comparing status words: "OTP Verified", "otp_verified" and "OTP-VERIFIED"
// are all "OTPVERIFIED".
func (s text) word() string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '_', '-', '\t', '\n', '\r':
			return -1
		}
		return r
	}, strings.ToUpper(string(s)))
}

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

// list reads a JSON array of objects leniently: non-object items are
// skipped, a single object reads as a list of one, and a string holding
// JSON is parsed. Anything else reads as an empty list.
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

// message is one entry of an envelope's messages: Leegality sends
// {"code": "…", "message": "…"}; a bare string is read as the message.
type message struct {
	Code    text `json:"code"`
	Message text `json:"message"`
}

// messages is an envelope's messages, read leniently.
type messages []message

func (m *messages) UnmarshalJSON(b []byte) error {
	*m = nil
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
	case '{', '"':
		raws = []json.RawMessage{b}
	default:
		return nil
	}
	for _, r := range raws {
		r = bytes.TrimSpace(r)
		if len(r) == 0 {
			continue
		}
		switch r[0] {
		case '{':
			var v message
			if json.Unmarshal(r, &v) == nil && (v.Code.set() || v.Message.set()) {
				*m = append(*m, v)
			}
		case '"':
			var s string
			if json.Unmarshal(r, &s) == nil && strings.TrimSpace(s) != "" {
				*m = append(*m, message{Message: text(s)})
			}
		}
	}
	return nil
}
