package httpx

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"hash"
	"strings"

	"github.com/signet-dev/signet/internal/signing"
)

// DecodeCallback reads a callback's body, which must be one JSON object,
// into v. Anything else is a *signing.ValidationError naming "body", so
// that every provider refuses a malformed callback in the same words.
func DecodeCallback(body []byte, v any) error {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return signing.Invalid("body", "must be a JSON object")
	}
	if err := json.Unmarshal(trimmed, v); err != nil {
		return signing.Invalid("body", "is not valid JSON")
	}
	return nil
}

// CallbackString reads a callback field that must be a JSON string (a
// number, an object or an absent field is not; null reads as ""): a
// callback's ids and proofs are taken only as the provider writes them.
func CallbackString(raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// ValidMAC reports whether mac (hex, either case, surrounding space
// ignored) is the HMAC of message keyed with key, comparing in constant
// time: how a provider's callback proves it comes from the provider.
func ValidMAC(h func() hash.Hash, key string, message []byte, mac string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(mac))
	if err != nil || len(got) != h().Size() {
		return false
	}
	m := hmac.New(h, []byte(key))
	m.Write(message)
	return hmac.Equal(got, m.Sum(nil))
}

// SameSecret compares a credential that was sent with the expected one in
// constant time; comparing digests keeps even the length from leaking.
func SameSecret(got, want string) bool {
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return hmac.Equal(g[:], w[:])
}
