package blob

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// NewKey makes a key for a blob written at t: a UUIDv7 (RFC 9562) in
// lowercase text, whose first 48 bits are t's Unix milliseconds and the
// rest random, so that keys sort by the time they were made.
func NewKey(t time.Time) string {
	var u uuid.UUID
	_, _ = rand.Read(u[:]) // never fails (crypto/rand)
	ms := uint64(max(t.UnixMilli(), 0))
	binary.BigEndian.PutUint16(u[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(u[2:6], uint32(ms))
	u[6] = u[6]&0x0f | 0x70 // version 7
	u[8] = u[8]&0x3f | 0x80 // RFC 9562 variant
	return u.String()
}

// KeyTime returns the time a key made by NewKey was made at (to the
// millisecond), and false for anything else.
func KeyTime(key string) (time.Time, bool) {
	u, err := uuid.Parse(key)
	if err != nil || u.Version() != 7 || u.Variant() != uuid.RFC4122 || u.String() != key {
		return time.Time{}, false
	}
	ms := int64(binary.BigEndian.Uint16(u[0:2]))<<32 | int64(binary.BigEndian.Uint32(u[2:6]))
	return time.UnixMilli(ms), true
}

// ValidKey reports whether key is one that NewKey could have made.
func ValidKey(key string) bool {
	_, ok := KeyTime(key)
	return ok
}

// Bound is the key prefix of t's millisecond: every key made at t or
// later sorts after it, every key made before t before it. List(Bound(t))
// starts at t.
func Bound(t time.Time) string {
	ms := uint64(max(t.UnixMilli(), 0))
	return fmt.Sprintf("%08x-%04x", ms>>16, ms&0xffff)
}
