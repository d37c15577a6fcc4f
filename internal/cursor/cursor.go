// Package cursor writes a position in a newest-first listing as the
// opaque string that API responses and console links carry: base64url of
// {"t": unix microseconds, "i": the row's id}.
package cursor

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// maxLen bounds what Decode reads: a cursor of Encode is far shorter.
const maxLen = 512

type wire struct {
	T int64  `json:"t"`
	I string `json:"i"`
}

// Encode is c as an opaque string.
func Encode(c signing.Cursor) string {
	b, _ := json.Marshal(wire{T: c.CreatedAt.UnixMicro(), I: c.ID})
	return base64.RawURLEncoding.EncodeToString(b)
}

// errMalformed is any string Encode did not write.
var errMalformed = errors.New("cursor: malformed")

// Decode reads Encode's string: a positive time and a non-empty id.
// Whether the id has the right shape is the caller's to check.
func Decode(s string) (signing.Cursor, error) {
	if s == "" || len(s) > maxLen {
		return signing.Cursor{}, errMalformed
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return signing.Cursor{}, errMalformed
	}
	var w wire
	if err := json.Unmarshal(b, &w); err != nil || w.T <= 0 || w.I == "" {
		return signing.Cursor{}, errMalformed
	}
	return signing.Cursor{CreatedAt: time.UnixMicro(w.T).UTC(), ID: w.I}, nil
}
