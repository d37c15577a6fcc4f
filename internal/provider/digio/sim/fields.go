package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// fields is a JSON object's members, for validating a request the way
// Digio does: one rule at a time, answering with the field's name and what
// is wrong.
type fields map[string]json.RawMessage

func objectFields(b []byte) (fields, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("request body must be a JSON object")
	}
	var f fields
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, errors.New("request body is not valid JSON")
	}
	return f, nil
}

func (f fields) present(key string) bool {
	v, ok := f[key]
	return ok && !bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// optionalString reads key as a string ("" when absent).
func (f fields) optionalString(key string) (string, string) {
	if !f.present(key) {
		return "", ""
	}
	var s string
	if json.Unmarshal(f[key], &s) != nil {
		return "", key + " must be a string"
	}
	return s, ""
}

// requiredString reads key as a non-blank string.
func (f fields) requiredString(key string) (string, string) {
	if !f.present(key) {
		return "", key + " is required"
	}
	s, msg := f.optionalString(key)
	if msg != "" {
		return "", msg
	}
	if strings.TrimSpace(s) == "" {
		return "", key + " must not be empty"
	}
	return s, ""
}

// boolean reads key as a boolean, also "true"/"false" (def when absent).
func (f fields) boolean(key string, def bool) (bool, string) {
	if !f.present(key) {
		return def, ""
	}
	var b bool
	if json.Unmarshal(f[key], &b) == nil {
		return b, ""
	}
	var s string
	if json.Unmarshal(f[key], &s) == nil {
		if v, err := strconv.ParseBool(s); err == nil {
			return v, ""
		}
	}
	return false, key + " must be a boolean"
}

// integer reads key as a whole number in [lo, hi], also as a numeric
// string (def when absent).
func (f fields) integer(key string, def, lo, hi int) (int, string) {
	if !f.present(key) {
		return def, ""
	}
	raw := strings.TrimSpace(string(bytes.Trim(bytes.TrimSpace(f[key]), `"`)))
	n, err := strconv.ParseFloat(raw, 64)
	if err != nil || math.IsNaN(n) || n != math.Trunc(n) {
		return 0, key + " must be a whole number"
	}
	if n < float64(lo) || n > float64(hi) {
		return 0, key + " must be between " + strconv.Itoa(lo) + " and " + strconv.Itoa(hi)
	}
	return int(n), ""
}

// objectList reads key as a non-empty array of objects.
func (f fields) objectList(key string) ([]fields, string) {
	if !f.present(key) {
		return nil, key + " is required"
	}
	var raws []json.RawMessage
	if json.Unmarshal(f[key], &raws) != nil {
		return nil, key + " must be an array"
	}
	if len(raws) == 0 {
		return nil, key + " must contain at least one signer"
	}
	out := make([]fields, len(raws))
	for i, r := range raws {
		o, err := objectFields(r)
		if err != nil {
			return nil, key + "[" + strconv.Itoa(i) + "] must be an object"
		}
		out[i] = o
	}
	return out, ""
}
