package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/signet-dev/signet/internal/provider/httpx"
	"github.com/signet-dev/signet/internal/provider/simkit"
)

// fields is a JSON object's members, for validating a request the way
// Signzy's validator (Joi) does: one rule at a time, answering with the
// field's name and what is wrong ("callbackUrl is not allowed to be empty").
type fields struct{ simkit.Fields }

// joi is Signzy's validator's wording.
var joi = &simkit.Wording{
	NotObject: "request body must be a JSON object",
	BadJSON:   "request body is not valid JSON",
	Required:  " is required",
	NotString: " must be a string",
	Empty:     " is not allowed to be empty",
	NotBool:   " must be a boolean",
	NotArray:  " must be an array",
	NoItems:   " must contain at least 1 items",
	NotItem:   " must be of type object",
}

func objectFields(b []byte) (fields, error) {
	f, err := joi.Parse(b)
	return fields{f}, err
}

func (f fields) requiredURI(key string) (string, string) {
	s, msg := f.RequiredString(key)
	if msg == "" && !httpx.IsHTTPURL(s) {
		msg = key + " must be a valid uri"
	}
	return s, msg
}

// optionalURI reads key as a URI, allowing "" (Signzy's samples send
// "signerCallbackUrl": "").
func (f fields) optionalURI(key string) (string, string) {
	s, msg := f.OptionalString(key)
	if msg == "" && s != "" && !httpx.IsHTTPURL(s) {
		msg = key + " must be a valid uri"
	}
	return s, msg
}

// maxTTL caps contractTtl at about ten years, far below where the
// milliseconds would overflow a time.Duration.
const maxTTL = 10 * 366 * 24 * 3600 * 1000

// ttl reads contractTtl: milliseconds as a number or a numeric string
// (Signzy documents it as both); defaultTTL when absent.
func (f fields) ttl(key string) (int64, string) {
	if !f.Present(key) {
		return defaultTTL.Milliseconds(), ""
	}
	raw := bytes.Trim(bytes.TrimSpace(f.Raw(key)), `"`)
	if len(raw) == 0 {
		return defaultTTL.Milliseconds(), ""
	}
	n, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || n != math.Trunc(n) {
		return 0, key + " must be a number"
	}
	if n < 1 {
		return 0, key + " must be greater than or equal to 1"
	}
	if n > maxTTL {
		return 0, key + " must be less than or equal to " + strconv.FormatInt(maxTTL, 10)
	}
	return int64(n), ""
}

// stringList reads key as an array of strings (nil when absent).
func (f fields) stringList(key string) ([]string, string) {
	if !f.Present(key) {
		return nil, ""
	}
	var l []string
	if json.Unmarshal(f.Raw(key), &l) != nil {
		return nil, key + " must be an array of strings"
	}
	return l, ""
}

func itoa(i int) string { return strconv.Itoa(i) }
