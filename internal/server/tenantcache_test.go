package server

import (
	"errors"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

func TestTenantCache(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	c := newTenantCache(time.Minute, 2, func() time.Time { return now })
	loads := 0
	load := func(id string, err error) func() (signing.Tenant, error) {
		return func() (signing.Tenant, error) { loads++; return signing.Tenant{ID: id}, err }
	}
	lookup := func(key string, l func() (signing.Tenant, error)) signing.Tenant {
		t.Helper()
		got, _ := c.lookup(key, l)
		return got
	}
	if got := lookup("k1", load("t1", nil)); got.ID != "t1" || loads != 1 {
		t.Fatalf("first lookup = %v, %d loads", got, loads)
	}
	if got := lookup("k1", load("other", nil)); got.ID != "t1" || loads != 1 {
		t.Errorf("cached lookup = %v, %d loads; want t1 from the cache", got, loads)
	}
	// Failures are never cached.
	if _, err := c.lookup("k2", load("", signing.ErrNotFound)); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("failed load: %v", err)
	}
	if got := lookup("k2", load("t2", nil)); got.ID != "t2" || loads != 3 {
		t.Errorf("after a failure = %v, %d loads; want a fresh load", got, loads)
	}
	// Entries expire.
	now = now.Add(time.Minute)
	if got := lookup("k1", load("t1b", nil)); got.ID != "t1b" {
		t.Errorf("expired entry served: %v", got)
	}
	// The size stays bounded.
	lookup("k3", load("t3", nil))
	if len(c.entries) > 2 {
		t.Errorf("%d entries, want at most 2", len(c.entries))
	}
}
