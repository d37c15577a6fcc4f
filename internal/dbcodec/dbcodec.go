// Package dbcodec holds the value conventions both stores share for
// columns without a native Go type: string maps kept as JSON objects, raw
// JSON and bodies that may be empty. Keeping them in one place keeps the
// stores reading back exactly the same values (empty becomes nil), which
// the conformance suite (storetest) expects of both.
package dbcodec

import (
	"github.com/signet-dev/signet/internal/signing"

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

// signerJSON is how both stores keep a session's signers: one JSON array
// in the session's row, so that the signers change with the session in
// one conditional write (they are part of its aggregate). Times are unix
// microseconds, as the stores keep every time.
type signerJSON struct {
	ID            string          `json:"id"`
	Details       json.RawMessage `json:"details"`
	Status        string          `json:"status"`
	SignedAt      *int64          `json:"signedAt,omitempty"`
	FailureReason string          `json:"failureReason,omitempty"`
	OpenedAt      *int64          `json:"openedAt,omitempty"`
	ProviderRef   string          `json:"providerRef,omitempty"`
	ProviderURL   string          `json:"providerUrl,omitempty"`
	LinkHash      string          `json:"linkHash,omitempty"`
	Evidence      json.RawMessage `json:"evidence,omitempty"`
}

// EncodeSigners is signers as the stores keep them.
func EncodeSigners(signers []signing.Signer) ([]byte, error) {
	out := make([]signerJSON, len(signers))
	for i, s := range signers {
		out[i] = signerJSON{ID: s.ID, Details: s.Details, Status: string(s.Status), SignedAt: micros(s.SignedAt),
			FailureReason: s.FailureReason, OpenedAt: micros(s.OpenedAt), ProviderRef: s.ProviderRef,
			ProviderURL: s.ProviderURL, LinkHash: s.LinkHash, Evidence: NullJSON(s.Evidence)}
	}
	return json.Marshal(out)
}

// DecodeSigners reads what EncodeSigners wrote.
func DecodeSigners(b []byte) ([]signing.Signer, error) {
	var in []signerJSON
	if err := json.Unmarshal(b, &in); err != nil {
		return nil, err
	}
	out := make([]signing.Signer, len(in))
	for i, s := range in {
		out[i] = signing.Signer{ID: s.ID, Details: s.Details, Status: signing.SignerStatus(s.Status), SignedAt: fromMicros(s.SignedAt),
			FailureReason: s.FailureReason, OpenedAt: fromMicros(s.OpenedAt), ProviderRef: s.ProviderRef,
			ProviderURL: s.ProviderURL, LinkHash: s.LinkHash, Evidence: FromNullJSON(s.Evidence)}
	}
	return out, nil
}

func micros(t *time.Time) *int64 {
	if t == nil {
		return nil
	}
	m := t.UnixMicro()
	return &m
}

func fromMicros(m *int64) *time.Time {
	if m == nil {
		return nil
	}
	t := time.UnixMicro(*m).UTC()
	return &t
}
