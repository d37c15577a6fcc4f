package server

import (
	"errors"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/auth"
	"github.com/signet-dev/signet/internal/signing"
)

func TestKeyCache(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	c := newKeyCache(time.Minute, 2, func() time.Time { return now })
	loads := 0
	load := func(id string, err error) func() (auth.APIKey, error) {
		return func() (auth.APIKey, error) { loads++; return auth.APIKey{ID: id}, err }
	}
	lookup := func(name string, l func() (auth.APIKey, error)) auth.APIKey {
		t.Helper()
		got, _ := c.lookup(name, l)
		return got
	}
	// Off (the default), every lookup loads.
	lookup("k1", load("t1", nil))
	if got := lookup("k1", load("t1b", nil)); got.ID != "t1b" || loads != 2 {
		t.Fatalf("a disabled cache answered %v after %d loads; want a fresh load", got, loads)
	}
	c.enable(true)
	loads = 0
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
	// A flush (a revocation) forgets everything.
	c.flush()
	if got := lookup("k3", load("t3-revoked", nil)); got.ID != "t3-revoked" {
		t.Errorf("after a flush the cache answered %v", got)
	}
	// Disabling (the revocation listener lost) forgets and stops caching.
	c.enable(false)
	if got := lookup("k3", load("fresh", nil)); got.ID != "fresh" {
		t.Errorf("a disabled cache answered %v", got)
	}
	if len(c.entries) != 0 {
		t.Errorf("a disabled cache keeps %d entries", len(c.entries))
	}
}

// TestKeyCacheFlushDuringLoad: a key read just before its revocation and
// stored just after the flush must not stay in the cache.
func TestKeyCacheFlushDuringLoad(t *testing.T) {
	c := newKeyCache(time.Hour, 10, time.Now)
	c.enable(true)
	got, err := c.lookup("k", func() (auth.APIKey, error) {
		c.flush() // the revocation's notice arrives while the store answers
		return auth.APIKey{ID: "stale"}, nil
	})
	if err != nil || got.ID != "stale" {
		t.Fatalf("lookup = %v, %v", got, err)
	}
	fresh, _ := c.lookup("k", func() (auth.APIKey, error) { return auth.APIKey{ID: "fresh"}, nil })
	if fresh.ID != "fresh" {
		t.Errorf("a load that raced a flush was cached: the next lookup answered %q", fresh.ID)
	}
}
