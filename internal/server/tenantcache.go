package server

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/signet-dev/signet/internal/auth"
)

// keyCache remembers recent successful API key lookups (by the key's hash
// or, for bearer tokens, by its id) for a short time: every authenticated
// request needs one, and on PostgreSQL it is a round trip as costly as
// the request's own query. Failures are not cached, so a new key works at
// once.
//
// A revoked key must stop working at once on every replica, so the cache
// serves only while something promises to tell it of every revocation
// (enable, from the store's revocation listener), and forgets everything
// when told (flush). It starts disabled: without such a promise (SQLite,
// whose lookups are local and cheap) every lookup goes to the store.
// A generation counter closes the race in which a lookup reads a key just
// before its revocation and stores it just after the flush: a load only
// enters the cache if no flush happened since it began.
type keyCache struct {
	ttl time.Duration
	max int
	now func() time.Time

	on      atomic.Bool
	mu      sync.Mutex
	gen     uint64
	entries map[string]cachedKey
}

type cachedKey struct {
	key     auth.APIKey
	expires time.Time
}

func newKeyCache(ttl time.Duration, max int, now func() time.Time) *keyCache {
	return &keyCache{ttl: ttl, max: max, now: now, entries: map[string]cachedKey{}}
}

// lookup returns the cached key under name, or calls load and caches a
// successful answer.
func (c *keyCache) lookup(name string, load func() (auth.APIKey, error)) (auth.APIKey, error) {
	if !c.on.Load() {
		return load()
	}
	now := c.now()
	c.mu.Lock()
	e, ok := c.entries[name]
	gen := c.gen
	c.mu.Unlock()
	if ok && now.Before(e.expires) {
		return e.key, nil
	}
	k, err := load()
	if err != nil {
		return k, err
	}
	c.mu.Lock()
	if c.gen == gen && c.on.Load() {
		if len(c.entries) >= c.max { // bounded: start over rather than track age
			clear(c.entries)
		}
		c.entries[name] = cachedKey{key: k, expires: now.Add(c.ttl)}
	}
	c.mu.Unlock()
	return k, nil
}

// flush forgets every entry, and every load in flight.
func (c *keyCache) flush() {
	c.mu.Lock()
	c.gen++
	clear(c.entries)
	c.mu.Unlock()
}

// enable turns the cache on or off; either way it starts empty.
func (c *keyCache) enable(on bool) {
	c.on.Store(on)
	c.flush()
}

// gauge reports whether the cache serves (1) or every lookup goes to the
// store (0), for /metrics.
func (c *keyCache) gauge() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "signet_api_key_cache_enabled",
		Help: "1 while API key lookups are cached (revocations are being reported), 0 while every lookup goes to the database.",
	}, func() float64 {
		if c.on.Load() {
			return 1
		}
		return 0
	})
}
