package signzy

import (
	"math"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/provider/flexjson"
)

// Signzy's published schema (the seed) types every field as "string", its
// documentation shows numbers and booleans, and integrations report both.
// These types read a field whatever its JSON type and never fail: a value
// that makes no sense is read as absent, so that an odd field can never
// turn a good answer into an error (see flexjson).

// text is a string field that also accepts numbers and booleans (as their
// literal text); null, objects and arrays read as "".
type text string

func (s *text) UnmarshalJSON(b []byte) error {
	*s = text(flexjson.Text(b))
	return nil
}

// none is what Signzy and integrations write for "no value": Signzy leaves
// unset fields empty, and a few integrations see "NA", "null" or 0.
var none = flexjson.None{"", "na", "n/a", "null", "none", "0", "false"}

// set reports whether s carries a value.
func (s text) set() bool { return none.Set(string(s)) }

// word is s trimmed and upper-cased, for comparing status words.
func (s text) word() string { return strings.ToUpper(strings.TrimSpace(string(s))) }

// flag is a boolean that also accepts "true"/"false", "yes"/"no" and 1/0,
// as a number or a string. Anything else is false.
type flag = flexjson.Flag

// count is a non-negative integer that also accepts a numeric string.
// Known tells a real 0 from an absent or unreadable field.
type count struct {
	N     int
	Known bool
}

func (c *count) UnmarshalJSON(b []byte) error {
	*c = count{}
	f, err := strconv.ParseFloat(strings.TrimSpace(flexjson.Text(b)), 64)
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
type list[T any] = flexjson.QuotedList[T]
