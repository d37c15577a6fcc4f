package auth_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
)

func newStore(t *testing.T) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "a.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestAPIKeyStoredOnlyAsHash(t *testing.T) {
	store := newStore(t)
	key, k, err := auth.CreateAPIKey(context.Background(), store, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "sk_") || len(key) < 40 {
		t.Errorf("key %q", key)
	}
	if !auth.ValidKeyID(k.ID) || k.Prefix != key[3:11] || k.Display() != key[:11]+"…" || k.Tenant.Name != "acme" {
		t.Errorf("key record %+v for %q: want an id, the 8 characters after sk_, tenant acme", k, key)
	}
	got, err := store.TenantByAPIKey(context.Background(), auth.Hash(key))
	if err != nil || got.ID != k.Tenant.ID {
		t.Fatalf("lookup by hash: %v %v", got, err)
	}
	if _, err := store.TenantByAPIKey(context.Background(), key); !errors.Is(err, signing.ErrNotFound) {
		t.Error("the plain key was found: it must be stored only as a hash")
	}
	if _, _, err := auth.CreateAPIKey(context.Background(), store, "  ", time.Now()); err == nil {
		t.Error("blank tenant name accepted")
	}
}

func TestTokens(t *testing.T) {
	store := newStore(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	iss, err := auth.NewIssuer(context.Background(), store, clock)
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := auth.CreateAPIKey(context.Background(), store, "acme", now)
	if err != nil {
		t.Fatal(err)
	}
	tenant := k.Tenant
	pair, err := iss.Issue(context.Background(), tenant.ID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id, keyID, err := iss.Verify(pair.AccessToken); err != nil || id != tenant.ID || keyID != k.ID {
		t.Fatalf("Verify = %q, %q, %v; want %s, %s", id, keyID, err, tenant.ID, k.ID)
	}
	// A second issuer on the same store (another replica) accepts it.
	iss2, _ := auth.NewIssuer(context.Background(), store, clock)
	if _, _, err := iss2.Verify(pair.AccessToken); err != nil {
		t.Errorf("another replica rejects the token: %v", err)
	}
	for _, bad := range []string{"", "at_", pair.AccessToken + "x", strings.Replace(pair.AccessToken, "at_e", "at_f", 1), pair.RefreshToken} {
		if _, _, err := iss.Verify(bad); !errors.Is(err, signing.ErrUnauthorized) {
			t.Errorf("Verify(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	// Refresh tokens are single use, even under concurrency.
	var wg sync.WaitGroup
	var wins int32
	var winMu sync.Mutex
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := iss.Refresh(context.Background(), pair.RefreshToken); err == nil {
				winMu.Lock()
				wins++
				winMu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("a refresh token was used %d times", wins)
	}
	mu.Lock()
	now = now.Add(15*time.Minute + time.Second)
	mu.Unlock()
	if _, _, err := iss.Verify(pair.AccessToken); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("expired token accepted: %v", err)
	}
}

// TestRevokedKeyEndsItsRefreshTokens: a refresh token names the key that
// obtained it; once the key is revoked the token gets nothing, and a
// token whose key id was changed is not one Signet issued.
func TestRevokedKeyEndsItsRefreshTokens(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	iss, err := auth.NewIssuer(ctx, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, k, err := auth.CreateAPIKey(ctx, store, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	_, other, err := auth.CreateAPIKey(ctx, store, "acme", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pair, err := iss.Issue(ctx, k.Tenant.ID, k.ID)
	if err != nil {
		t.Fatal(err)
	}
	swapped := strings.Replace(pair.RefreshToken, k.ID, other.ID, 1)
	if _, err := iss.Refresh(ctx, swapped); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("a refresh token naming another key: %v, want ErrUnauthorized", err)
	}
	next, err := iss.Refresh(ctx, pair.RefreshToken)
	if err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	if _, keyID, err := iss.Verify(next.AccessToken); err != nil || keyID != k.ID {
		t.Errorf("the refreshed token names key %q (%v), want %s", keyID, err, k.ID)
	}
	if _, fresh, err := auth.RevokeAPIKey(ctx, store, k.ID, time.Now()); err != nil || !fresh {
		t.Fatalf("RevokeAPIKey = %v, %v; want a fresh revocation", fresh, err)
	}
	if _, fresh, err := auth.RevokeAPIKey(ctx, store, k.ID, time.Now()); err != nil || fresh {
		t.Errorf("RevokeAPIKey again = %v, %v; want the earlier revocation", fresh, err)
	}
	if _, err := iss.Refresh(ctx, next.RefreshToken); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("Refresh after the key was revoked: %v, want ErrUnauthorized", err)
	}
	for _, bad := range []string{"rt_abc", "rt_abc.key_x", "xx_abc." + k.ID, ""} {
		if _, err := iss.Refresh(ctx, bad); !errors.Is(err, signing.ErrUnauthorized) {
			t.Errorf("Refresh(%q) = %v, want ErrUnauthorized", bad, err)
		}
	}
	if _, err := iss.Issue(ctx, k.Tenant.ID, "not-a-key-id"); err == nil {
		t.Error("Issue without a key id succeeded")
	}
}

func TestKeyIDsAndPrefixes(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{auth.NewKeyID(), true},
		{"key_0123456789abcdef0123456789abcdef", true},
		{"key_0123456789ABCDEF0123456789abcdef", false},
		{"key_0123456789abcdef0123456789abcde", false},
		{"key_0123456789abcdef0123456789abcdef0", false},
		{"sk_0123456789abcdef0123456789abcdef", false},
		{"", false},
	} {
		if got := auth.ValidKeyID(tt.id); got != tt.want {
			t.Errorf("ValidKeyID(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
	for key, want := range map[string]string{"sk_AbCd1234rest": "AbCd1234", "sk_short": "", "at_AbCd1234rest": "", "": ""} {
		if got := auth.KeyPrefix(key); got != want {
			t.Errorf("KeyPrefix(%q) = %q, want %q", key, got, want)
		}
	}
	if a, b := auth.NewKeyID(), auth.NewKeyID(); a == b {
		t.Error("two key ids are equal")
	}
}

func TestRevokeAPIKeyRefusesMalformedIDs(t *testing.T) {
	store := newStore(t)
	for _, id := range []string{"", "sk_abc", "key_../../etc"} {
		if _, _, err := auth.RevokeAPIKey(context.Background(), store, id, time.Now()); !errors.Is(err, signing.ErrNotFound) {
			t.Errorf("RevokeAPIKey(%q) = %v, want ErrNotFound", id, err)
		}
	}
	if _, _, err := auth.RevokeAPIKey(context.Background(), store, auth.NewKeyID(), time.Now()); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("RevokeAPIKey(unknown) = %v, want ErrNotFound", err)
	}
}
