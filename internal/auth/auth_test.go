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

func newStore(t *testing.T) signing.Store {
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
	key, tenant, err := auth.CreateAPIKey(context.Background(), store, "acme")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(key, "sk_") || len(key) < 40 {
		t.Errorf("key %q", key)
	}
	got, err := store.TenantByAPIKey(context.Background(), auth.Hash(key))
	if err != nil || got.ID != tenant.ID {
		t.Fatalf("lookup by hash: %v %v", got, err)
	}
	if _, err := store.TenantByAPIKey(context.Background(), key); !errors.Is(err, signing.ErrNotFound) {
		t.Error("the plain key was found: it must be stored only as a hash")
	}
	if _, _, err := auth.CreateAPIKey(context.Background(), store, "  "); err == nil {
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
	tenant, err := store.CreateTenant(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	pair, err := iss.Issue(context.Background(), tenant.ID)
	if err != nil {
		t.Fatal(err)
	}
	if id, err := iss.Verify(pair.AccessToken); err != nil || id != tenant.ID {
		t.Fatalf("Verify = %q, %v", id, err)
	}
	// A second issuer on the same store (another replica) accepts it.
	iss2, _ := auth.NewIssuer(context.Background(), store, clock)
	if _, err := iss2.Verify(pair.AccessToken); err != nil {
		t.Errorf("another replica rejects the token: %v", err)
	}
	for _, bad := range []string{"", "at_", pair.AccessToken + "x", strings.Replace(pair.AccessToken, "at_e", "at_f", 1), pair.RefreshToken} {
		if _, err := iss.Verify(bad); !errors.Is(err, signing.ErrUnauthorized) {
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
	if _, err := iss.Verify(pair.AccessToken); !errors.Is(err, signing.ErrUnauthorized) {
		t.Errorf("expired token accepted: %v", err)
	}
}
