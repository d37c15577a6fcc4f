package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/signet-dev/signet/internal/signing"
)

// APIKey is a tenant's API key as Signet keeps it: never the key itself,
// only its hash (in the store), an id and the key's visible start.
type APIKey struct {
	// ID names the key in the console and in `signet apikey`: "key_" and
	// 32 hex digits.
	ID     string
	Tenant signing.Tenant
	// Prefix is the 8 characters after "sk_" (empty for keys made before
	// Signet kept them), enough to tell keys apart, too few to guess one.
	Prefix    string
	CreatedAt time.Time
	// LastUsedAt is when the key last authenticated a request, to within
	// a minute (KeyUsage); nil if never.
	LastUsedAt *time.Time
	// RevokedAt is when the key was revoked; nil while it works.
	RevokedAt *time.Time
}

// PrefixLen is how many characters of a key after "sk_" are shown.
const PrefixLen = 8

// Display is how the key is shown: "sk_AbCd1234…", or "sk_…" when its
// start is unknown.
func (k APIKey) Display() string { return apiKeyPrefix + k.Prefix + "…" }

// KeyStore creates tenants and API keys.
type KeyStore interface {
	// CreateTenant creates a tenant, or returns the existing one of that name.
	CreateTenant(ctx context.Context, name string) (signing.Tenant, error)
	// InsertAPIKey stores a new key: its id, tenant (by Tenant.ID),
	// prefix and creation time, and the hash of the key. ErrConflict if
	// the id or hash exists, ErrNotFound if the tenant does not.
	InsertAPIKey(ctx context.Context, k APIKey, keyHash string) error
}

// CreateAPIKey creates the tenant if it is new and a key for it, made at
// now; it returns the key, which is shown once and never kept.
func CreateAPIKey(ctx context.Context, store KeyStore, tenantName string, now time.Time) (string, APIKey, error) {
	tenantName = strings.TrimSpace(tenantName)
	if tenantName == "" {
		return "", APIKey{}, signing.Invalid("tenant", "must not be empty")
	}
	if len(tenantName) > MaxTenantNameLen {
		return "", APIKey{}, signing.Invalid("tenant", "must be at most %d bytes", MaxTenantNameLen)
	}
	t, err := store.CreateTenant(ctx, tenantName)
	if err != nil {
		return "", APIKey{}, err
	}
	key, hash := NewAPIKey()
	k := APIKey{ID: NewKeyID(), Tenant: t, Prefix: KeyPrefix(key), CreatedAt: now.UTC().Truncate(time.Microsecond)}
	if err := store.InsertAPIKey(ctx, k, hash); err != nil {
		return "", APIKey{}, err
	}
	return key, k, nil
}

// MaxTenantNameLen bounds a tenant's name.
const MaxTenantNameLen = 100

// NewKeyID returns a fresh key id: "key_" and a UUIDv7 in hex, so that
// ids sort by creation.
func NewKeyID() string {
	return "key_" + strings.ReplaceAll(uuid.Must(uuid.NewV7()).String(), "-", "")
}

// ValidKeyID reports whether id has the shape of a key id, so that a
// mistyped one is refused before it reaches the store.
func ValidKeyID(id string) bool {
	hex, ok := strings.CutPrefix(id, "key_")
	if !ok || len(hex) != 32 {
		return false
	}
	for i := 0; i < len(hex); i++ {
		if c := hex[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// KeyPrefix is the visible start of key: the PrefixLen characters after
// "sk_" ("" for anything that is not an API key).
func KeyPrefix(key string) string {
	rest, ok := strings.CutPrefix(key, apiKeyPrefix)
	if !ok || len(rest) < PrefixLen {
		return ""
	}
	return rest[:PrefixLen]
}

// RevokeStore revokes API keys.
type RevokeStore interface {
	// RevokeAPIKey marks the key revoked at at, unless it already is, and
	// returns it (RevokedAt is the first revocation's time). ErrNotFound
	// if there is no such key. Once it returns, no replica's lookup finds
	// the key (PostgreSQL also notifies every replica's credential cache).
	RevokeAPIKey(ctx context.Context, id string, at time.Time) (APIKey, error)
}

// RevokeAPIKey revokes the key id: from this moment it authenticates
// nothing, nor do the bearer tokens it obtained. It reports whether this
// call revoked it; revoking a revoked key returns it unchanged.
func RevokeAPIKey(ctx context.Context, store RevokeStore, id string, now time.Time) (APIKey, bool, error) {
	if !ValidKeyID(id) {
		return APIKey{}, false, signing.Errorf(signing.ErrNotFound, "there is no API key %q: key ids look like key_ and 32 hex digits", clip(id))
	}
	at := now.UTC().Truncate(time.Microsecond)
	k, err := store.RevokeAPIKey(ctx, id, at)
	if errors.Is(err, signing.ErrNotFound) {
		return APIKey{}, false, signing.Wrap(signing.ErrNotFound, err, "there is no API key %s", id)
	}
	if err != nil {
		return APIKey{}, false, fmt.Errorf("revoking API key %s: %w", id, err)
	}
	return k, k.RevokedAt != nil && k.RevokedAt.Equal(at), nil
}

// clip keeps an echoed value short.
func clip(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}
