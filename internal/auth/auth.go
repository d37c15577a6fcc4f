// Package auth issues and checks Signet's credentials: API keys (stored
// only as hashes), short-lived signed bearer tokens and single-use
// rotating refresh tokens.
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

// CreateAPIKey creates the tenant if it is new and a key for it.
func CreateAPIKey(ctx context.Context, store signing.TenantStore, tenantName string) (string, signing.Tenant, error) {
	if strings.TrimSpace(tenantName) == "" {
		return "", signing.Tenant{}, errors.New("tenant name must not be empty")
	}
	t, err := store.CreateTenant(ctx, tenantName)
	if err != nil {
		return "", signing.Tenant{}, err
	}
	key, hash := NewAPIKey()
	if err := store.CreateAPIKey(ctx, t.ID, hash); err != nil {
		return "", signing.Tenant{}, err
	}
	return key, t, nil
}

// Issuer issues and verifies bearer tokens.
type Issuer struct {
	store      signing.TenantStore
	key        []byte
	now        func() time.Time
	accessTTL  time.Duration
	refreshTTL time.Duration
}

// TokenPair is the answer of POST /auth/token and /auth/refresh.
type TokenPair = api.TokenPair

// NewIssuer loads (or creates) the shared token-signing key from the store,
// so that every replica on one database accepts every replica's tokens.
func NewIssuer(ctx context.Context, store signing.TenantStore, now func() time.Time) (*Issuer, error) {
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
	Expires int64  `json:"e"`
	Nonce   string `json:"n"` // makes every token distinct, even within a second
}

// Issue returns a new access and refresh token pair for a tenant.
func (i *Issuer) Issue(ctx context.Context, tenantID string) (TokenPair, error) {
	now := i.now()
	payload, err := json.Marshal(claims{Tenant: tenantID, Expires: now.Add(i.accessTTL).Unix(), Nonce: randomToken()[:16]})
	if err != nil {
		return TokenPair{}, err
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	access := accessTokenPrefix + body + "." + i.sign(body)
	refresh := refreshTokenPrefix + randomToken()
	if err := i.store.CreateRefreshToken(ctx, tenantID, Hash(refresh), now.Add(i.refreshTTL)); err != nil {
		return TokenPair{}, err
	}
	return TokenPair{AccessToken: access, RefreshToken: refresh, TokenType: "Bearer", ExpiresIn: int(i.accessTTL / time.Second)}, nil
}

// Refresh exchanges a refresh token for a new pair; the old refresh token
// stops working. ErrUnauthorized if it is unknown, used or expired.
func (i *Issuer) Refresh(ctx context.Context, refreshToken string) (TokenPair, error) {
	if !strings.HasPrefix(refreshToken, refreshTokenPrefix) {
		return TokenPair{}, signing.Errorf(signing.ErrUnauthorized, "not a refresh token")
	}
	tenantID, err := i.store.ConsumeRefreshToken(ctx, Hash(refreshToken), i.now())
	if errors.Is(err, signing.ErrNotFound) {
		return TokenPair{}, signing.Errorf(signing.ErrUnauthorized, "the refresh token is unknown, used or expired")
	}
	if err != nil {
		return TokenPair{}, err
	}
	return i.Issue(ctx, tenantID)
}

// Verify checks an access token's signature and expiry and returns its tenant id.
func (i *Issuer) Verify(token string) (string, error) {
	rest, ok := strings.CutPrefix(token, accessTokenPrefix)
	body, sig, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || !hmac.Equal([]byte(sig), []byte(i.sign(body))) {
		return "", signing.Errorf(signing.ErrUnauthorized, "invalid bearer token")
	}
	raw, err := base64.RawURLEncoding.DecodeString(body)
	var c claims
	if err != nil || json.Unmarshal(raw, &c) != nil || c.Tenant == "" {
		return "", signing.Errorf(signing.ErrUnauthorized, "invalid bearer token")
	}
	if i.now().Unix() >= c.Expires {
		return "", signing.Errorf(signing.ErrUnauthorized, "the bearer token has expired; get a new one with POST /auth/refresh")
	}
	return c.Tenant, nil
}

func (i *Issuer) sign(body string) string {
	m := hmac.New(sha256.New, i.key)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
