package sim

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/signet-dev/signet/internal/provider/simkit"
)

// fields is a JSON object's members, for validating a request the way
// Digio does: one rule at a time, answering with the field's name and what
// is wrong.
type fields struct{ simkit.Fields }

// wording is Digio's wording of a broken rule.
var wording = &simkit.Wording{
	NotObject: "request body must be a JSON object",
	BadJSON:   "request body is not valid JSON",
	Required:  " is required",
	NotString: " must be a string",
	Empty:     " must not be empty",
	NotBool:   " must be a boolean",
	NotArray:  " must be an array",
	NoItems:   " must contain at least one signer",
	NotItem:   " must be an object",
}

func objectFields(b []byte) (fields, error) {
	f, err := wording.Parse(b)
	return fields{f}, err
}

// integer reads key as a whole number in [lo, hi], also as a numeric
// string (def when absent).
func (f fields) integer(key string, def, lo, hi int) (int, string) {
	if !f.Present(key) {
		return def, ""
	}
	raw := strings.TrimSpace(string(bytes.Trim(bytes.TrimSpace(f.Raw(key)), `"`)))
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(n) || n != math.Trunc(n) {
		return 0, key + " must be a whole number"
	}
	if n < float64(lo) || n > float64(hi) {
		return 0, key + " must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi)
	}
	return int(n), ""
}
