package leegality

import (
	"encoding/json"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
)

// Leegality's answers differ between API versions and between what its
// documentation shows and what integrations see (booleans as strings,
// null for absent, a lone object for a list). These types read a field
// whatever its JSON type and never fail: a value that makes no sense reads
// as absent, so that an odd field can never turn a good answer into an
// error (see flexjson).

// text is a string field that also accepts numbers and booleans (as their
// literal text); null, objects and arrays read as "".
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	*s = text(flexjson.Text(b))
	return nil
}

// none is what Leegality writes for "no value".
var none = flexjson.None{"", "null", "na", "n/a", "none", "-"}

// set reports whether s carries a value ("", "null", "NA" and "-" do not).
func (s text) set() bool { return none.Set(string(s)) }

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
type flag = flexjson.Flag

// list reads a JSON array of objects leniently: non-object items are
// skipped, a single object reads as a list of one, and a string holding
// JSON is parsed. Anything else reads as an empty list.
type list[T any] = flexjson.QuotedList[T]

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
	for _, r := range flexjson.Items(b, `{"`) {
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
