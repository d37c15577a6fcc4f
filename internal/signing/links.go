package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
)

// Links makes the signer links of CONTRACT.md §6.1, {public-url}/s/{token}.
// A token is an HMAC of the signer's id under a server secret, so it is
// unguessable, names exactly one signer of one session, and can be shown
// again on every read of the session without being stored: the store
// keeps only its SHA-256, to find the signer when the link is opened.
type Links struct {
	key       []byte
	publicURL string
}

// LinkSecretName is the name of the signer-link key in the store's secrets.
const LinkSecretName = "signer-links"

// NewLinks returns Links keyed by key (at least 32 bytes, shared by every
// replica), with links under publicURL.
func NewLinks(key []byte, publicURL string) (*Links, error) {
	if len(key) < 32 {
		return nil, errors.New("signing: the signer-link key must be at least 32 bytes")
	}
	return &Links{key: key, publicURL: publicURL}, nil
}

// Token is the signer link token of signer id.
func (l *Links) Token(signerID string) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte("signet signer link\x00"))
	m.Write([]byte(signerID))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// URL is the signer link of signer id.
func (l *Links) URL(signerID string) string { return l.publicURL + "/s/" + l.Token(signerID) }

// HashToken is the stored form of a token, by which its signer is found.
func HashToken(token string) string { return SHA256Hex([]byte(token)) }

// SignerLink is the stored form of one signer's link.
type SignerLink struct {
	TokenHash string
	SessionID string
	SignerID  string
}
