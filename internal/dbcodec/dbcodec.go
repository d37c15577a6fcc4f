// Package dbcodec holds the value conventions both stores share for
// columns without a native Go type: string maps kept as JSON objects, raw
// JSON and bodies that may be empty. Keeping them in one place keeps the
// stores reading back exactly the same values (empty becomes nil), which
// the conformance suite (storetest) expects of both.
package dbcodec

import (
	"encoding/json"
	"time"
)

// EncodeMap is m as a JSON object, or nil (to be stored as NULL) when m is
// empty, so that it reads back as a nil map.
func EncodeMap(m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

// DecodeMap reads what EncodeMap wrote; NULL, nothing and an empty object
// all read back as a nil map.
func DecodeMap(b []byte) (map[string]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// NullJSON is nil (NULL) for empty raw JSON, so that it reads back as nil.
func NullJSON(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// FromNullJSON reads NULL (or nothing) back as nil.
func FromNullJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// Blob keeps an empty body non-NULL where the column requires a value.
func Blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// OrDefault is t, or def if t is zero: a record's unset CreatedAt takes
// the time of the write that stores it.
func OrDefault(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
