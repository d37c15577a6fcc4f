package server

import (
	"sync"
	"time"

	"github.com/signet-dev/signet/internal/signing"
)

// tenantCache remembers recent successful tenant lookups (by API key hash
// or tenant id) for a short time: every authenticated request needs one,
// and on PostgreSQL it is a round trip as costly as the request's own
// query. Failures are not cached, so a new key works at once; a key
// removed from the database stops working within the TTL.
type tenantCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.Mutex
	entries map[string]cachedTenant
}

type cachedTenant struct {
	tenant  signing.Tenant
	expires time.Time
}

func newTenantCache(ttl time.Duration, max int, now func() time.Time) *tenantCache {
	return &tenantCache{ttl: ttl, max: max, now: now, entries: map[string]cachedTenant{}}
}

// lookup returns the cached tenant under key, or calls load and caches a
// successful answer.
func (c *tenantCache) lookup(key string, load func() (signing.Tenant, error)) (signing.Tenant, error) {
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[key]
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.tenant, nil
	}
	t, err := load()
	if err != nil {
		return t, err
	}
	c.mu.Lock()
	if len(c.entries) >= c.max { // bounded: start over rather than track age
		clear(c.entries)
	}
	c.entries[key] = cachedTenant{tenant: t, expires: now.Add(c.ttl)}
	c.mu.Unlock()
	return t, nil
}
