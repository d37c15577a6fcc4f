package digio

import (
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
)

// Digio's answers are read leniently. Its details API writes times as
// "2006-01-02 15:04:05" strings while its webhooks write the same fields as
// epoch milliseconds, and integrations see null for unset fields. These
// types read a field whatever its JSON type and never fail: a value that
// makes no sense is read as absent, so that an odd field can never turn a
// good answer into an error (see flexjson).

// text is a string field that also accepts numbers and booleans (as their
// literal text); null, objects and arrays read as "".
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	*s = text(flexjson.Text(b))
	return nil
}

// none is what Digio and integrations write for "no value": Digio leaves
// unset fields null or empty; a few integrations see "NA" or "null".
var none = flexjson.None{"", "na", "n/a", "null", "nil", "none"}

// set reports whether s carries a value.
func (s text) set() bool { return none.Set(string(s)) }

// word is s trimmed and lower-cased, for comparing Digio's status words
// (which it writes in lower case; event names appear upper-cased in its
// dashboard).
func (s text) word() string { return strings.ToLower(strings.TrimSpace(string(s))) }

// flag is a boolean that also accepts "true"/"false", "yes"/"no" and 1/0,
// as a number or a string. Anything else is false.
type flag = flexjson.Flag

// list reads a JSON array of objects leniently: non-object items are
// skipped and a single object reads as a list of one. Anything else
// (including a string holding JSON) reads as an empty list.
type list[T any] = flexjson.List[T]

// object reads a JSON object leniently: anything that is not an object
// (null, a string, an array) reads as the zero value.
type object[T any] = flexjson.Object[T]
