// Package auth issues and checks Signet's credentials: API keys (stored
// only as hashes, with an id, a visible prefix, their last use and their
// revocation), short-lived signed bearer tokens and single-use rotating
// refresh tokens, both tied to the key that obtained them, and the
// operators of the console (argon2id password hashes, sessions kept in
// the database, wrong passwords slowed down).
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/signet-dev/signet/api"
	"github.com/signet-dev/signet/internal/signing"
)

// Prefixes make each credential recognisable in logs and secret scanners.
const (
	apiKeyPrefix       = "sk_"
	accessTokenPrefix  = "at_"
	refreshTokenPrefix = "rt_"
	// SecretName is the name of the token-signing key in the store's secrets.
	SecretName = "token-signing-key"
)

// NewAPIKey returns a fresh API key and the hash to store for it.
func NewAPIKey() (key, hash string) {
	key = apiKeyPrefix + randomToken()
	return key, Hash(key)
}

// Hash is the stored form of a credential. Keys and refresh tokens carry
// 256 random bits, so a plain SHA-256 is enough and allows lookup by hash.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("auth: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// TokenStore is what the Issuer keeps: its signing key, refresh tokens
// and the API keys tokens are tied to.
type TokenStore interface {
	// CreateRefreshToken stores a refresh token's hash.
	CreateRefreshToken(ctx context.Context, tenantID, tokenHash string, expiresAt time.Time) error
	// ConsumeRefreshToken deletes a refresh token and returns its tenant
	// id, atomically; ErrNotFound if unknown, used or expired at now.
	ConsumeRefreshToken(ctx context.Context, tokenHash string, now time.Time) (string, error)
	// Secret returns the named server secret, storing gen() first if none.
	Secret(ctx context.Context, name string, gen func() []byte) ([]byte, error)
	// APIKeyByID reads a key, revoked or not; ErrNotFound if none.
	APIKeyByID(ctx context.Context, id string) (APIKey, error)
}

// Issuer issues and verifies bearer tokens. Every token names the API
// key that obtained it (POST /auth/token), so that revoking the key
// ends its tokens too: the server checks an access token's key on each
// request (through its cache), Refresh checks a refresh token's.
type Issuer struct {
	store      TokenStore
	key        []byte
	now        func() time.Time
	accessTTL  time.Duration
	refreshTTL time.Duration
}

// TokenPair is the answer of POST /auth/token and /auth/refresh.
type TokenPair = api.TokenPair

// NewIssuer loads (or creates) the shared token-signing key from the store,
// so that every replica on one database accepts every replica's tokens.
func NewIssuer(ctx context.Context, store TokenStore, now func() time.Time) (*Issuer, error) {
	key, err := store.Secret(ctx, SecretName, func() []byte {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			panic("auth: crypto/rand failed: " + err.Error())
		}
		return b
	})
	if err != nil {
		return nil, fmt.Errorf("auth: loading token key: %w", err)
	}
	if now == nil {
		now = time.Now
	}
	return &Issuer{store: store, key: key, now: now, accessTTL: 15 * time.Minute, refreshTTL: 30 * 24 * time.Hour}, nil
}

type claims struct {
	Tenant  string `json:"t"`
	Key     string `json:"k"` // the API key's id
	Expires int64  `json:"e"`
	Nonce   string `json:"n"` // makes every token distinct, even within a second
}

// Issue returns a new access and refresh token pair for a tenant,
// obtained with its API key keyID.
func (i *Issuer) Issue(ctx context.Context, tenantID, keyID string) (TokenPair, error) {
	if !ValidKeyID(keyID) {
		return TokenPair{}, fmt.Errorf("auth: issue: key id %q", keyID)
	}
	now := i.now()
	payload, err := json.Marshal(claims{Tenant: tenantID, Key: keyID, Expires: now.Add(i.accessTTL).Unix(), Nonce: randomToken()[:16]})
	if err != nil {
		return TokenPair{}, err
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	access := accessTokenPrefix + body + "." + i.sign(body)
	// The key's id rides in the refresh token: the stored hash covers
	// it, so it cannot be swapped, and Refresh can check the key.
	refresh := refreshTokenPrefix + randomToken() + "." + keyID
	if err := i.store.CreateRefreshToken(ctx, tenantID, Hash(refresh), now.Add(i.refreshTTL)); err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(i.accessTTL / time.Second)}, nil
}

// Refresh exchanges a refresh token for a new pair; the old refresh token
// stops working. ErrUnauthorized if it is unknown, used or expired, or
// its API key was revoked.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	rest, ok := strings.CutPrefix(refreshToken, refreshTokenPrefix)
	_, keyID, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !ValidKeyID(keyID) {
		return TokenPair{}, signing.Errorf(signing.ErrUnauthorized, "not a refresh token")
	}
	tenantID, err := i.store.ConsumeRefreshToken(ctx, Hash(refreshToken), i.now())
	if errors.Is(err, signing.ErrNotFound) {
		return TokenPair{}, signing.Errorf(signing.ErrUnauthorized, "the refresh token is unknown, used or expired")
	}
	if err != nil {
		return TokenPair{}, err
	}
	k, err := i.store.APIKeyByID(ctx, keyID)
	if errors.Is(err, signing.ErrNotFound) || err == nil && (k.RevokedAt != nil || k.Tenant.ID != tenantID) {
		return TokenPair{}, signing.Errorf(signing.ErrUnauthorized, "the API key this refresh token came from was revoked")
	}
	if err != nil {
		return TokenPair{}, err
	}
	return i.Issue(ctx, tenantID, keyID)
}

// Verify checks an access token's signature and expiry and returns its
// tenant's id and its API key's id. Whether the key still works is the
// caller's to check (the server does, through its cache).
func (i *Issuer) Verify(token string) (tenantID, keyID string, err error) {
	rest, ok := strings.CutPrefix(token, accessTokenPrefix)
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !hmac.Equal([]byte(sig), []byte(i.sign(body))) {
		return "", "", signing.Errorf(signing.ErrUnauthorized, "invalid bearer token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var c claims
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Tenant == "" {
		return "", "", signing.Errorf(signing.ErrUnauthorized, "invalid bearer token")
	}
	if i.now().Unix() >= c.Expires {
		return "", "", signing.Errorf(signing.ErrUnauthorized, "the bearer token has expired; get a new one with POST /auth/refresh")
	}
	if !ValidKeyID(c.Key) { // a token from before tokens named their key
		return "", "", signing.Errorf(signing.ErrUnauthorized, "the bearer token is from an older version of Signet; get a new one with POST /auth/token")
	}
	return c.Tenant, c.Key, nil
}

func (i *Issuer) sign(body string) string {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
