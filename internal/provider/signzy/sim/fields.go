package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"
)

// fields is a JSON object's members, for validating a request the way
// Signzy's validator (Joi) does: one rule at a time, answering with the
// field's name and what is wrong ("callbackUrl is not allowed to be empty").
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

// requiredString reads key as a non-empty string.
func (f fields) requiredString(key string) (string, string) {
	if !f.present(key) {
		return "", key + " is required"
	}
	s, msg := f.optionalString(key)
	if msg != "" {
		return "", msg
	}
	if strings.TrimSpace(s) == "" {
		return "", key + " is not allowed to be empty"
	}
	return s, ""
}

func (f fields) requiredURI(key string) (string, string) {
	s, msg := f.requiredString(key)
	if msg == "" && !isURI(s) {
		msg = key + " must be a valid uri"
	}
	return s, msg
}

// optionalURI reads key as a URI, allowing "" (Signzy's samples send
// "signerCallbackUrl": "").
func (f fields) optionalURI(key string) (string, string) {
	s, msg := f.optionalString(key)
	if msg == "" && s != "" && !isURI(s) {
		msg = key + " must be a valid uri"
	}
	return s, msg
}

func isURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// boolean reads key as a boolean, also "true"/"false" (false when absent).
func (f fields) boolean(key string) (bool, string) {
	if !f.present(key) {
		return false, ""
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

// maxTTL caps contractTtl at about ten years, far below where the
// milliseconds would overflow a time.Duration.
const maxTTL = 10 * 366 * 24 * 3600 * 1000

// ttl reads contractTtl: milliseconds as a number or a numeric string
// (Signzy documents it as both); defaultTTL when absent.
func (f fields) ttl(key string) (int64, string) {
	if !f.present(key) {
		return defaultTTL.Milliseconds(), ""
	}
	raw := bytes.Trim(bytes.TrimSpace(f[key]), `"`)
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
		return nil, key + " must contain at least 1 items"
	}
	out := make([]fields, len(raws))
	for i, r := range raws {
		o, err := objectFields(r)
		if err != nil {
			return nil, key + "[" + itoa(i) + "] must be of type object"
		}
		out[i] = o
	}
	return out, ""
}

// stringList reads key as an array of strings (nil when absent).
func (f fields) stringList(key string) ([]string, string) {
	if !f.present(key) {
		return nil, ""
	}
	var l []string
	if json.Unmarshal(f[key], &l) != nil {
		return nil, key + " must be an array of strings"
	}
	return l, ""
}

func digits(s string, n int) bool {
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

func itoa(i int) string { return strconv.Itoa(i) }
