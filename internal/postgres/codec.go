package postgres

import (
	"encoding/json"
	"time"
)

// Times need no codec: timestamptz keeps microseconds, pgx truncates Go's
// nanoseconds on the way in, and the pool scans them back in UTC (Open).
// A nil *time.Time is NULL both ways.

// nullJSON stores empty raw JSON as NULL.
func nullJSON(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// fromNullJSON reads NULL (or nothing) back as nil.
func fromNullJSON(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	return json.RawMessage(b)
}

// encodeMap stores an empty map as NULL, so that it reads back as nil.
func encodeMap(m map[string]string) ([]byte, error) {
	if len(m) == 0 {
		return nil, nil
	}
	return json.Marshal(m)
}

func decodeMap(b []byte) (map[string]string, error) {
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

// blob keeps an empty body non-NULL where the column requires a value.
func blob(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

func orDefault(t, def time.Time) time.Time {
	if t.IsZero() {
		return def
	}
	return t
}
