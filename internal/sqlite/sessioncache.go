package sqlite

import (
	"sync"

	"github.com/signet-dev/signet/internal/signing"
)

// sessionCacheSize bounds the sessions kept: a few MB at most, and more
// than the sessions a deployment on one machine has open and polled at
// once.
const sessionCacheSize = 4096

// sessionCache keeps the sessions read most recently, so that a session
// read again and again (a client polling GET /signing/{id} while its
// signer signs) costs no query. It is only correct while this store is
// the database's one writer of sessions: Open takes the database's lock
// when it is enabled (WithSessionCache), and every write of a session
// row passes through forget once it has committed or failed.
//
// A read that races a write must not put back what the write replaced:
// a reader notes the epoch before its query and puts its row only if no
// forget came in between (forget bumps the epoch under the same lock).
// A put that lands before the forget is removed by it; one after it is
// refused.
type sessionCache struct {
	mu    sync.Mutex
	epoch uint64
	m     map[string]*signing.Session // never mutated once stored
}

func newSessionCache() *sessionCache {
	return &sessionCache{m: make(map[string]*signing.Session)}
}

// get returns a copy of the cached session id of tenant, if any. A nil
// cache has nothing.
func (c *sessionCache) get(tenantID, id string) (*signing.Session, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	s, ok := c.m[id]
	c.mu.Unlock()
	if !ok || (tenantID != "" && s.TenantID != tenantID) {
		return nil, false
	}
	return s.Clone(), true
}

// begin is the epoch a reader notes before its query.
func (c *sessionCache) begin() uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.epoch
}

// put keeps a copy of s, read by a query that began at epoch, unless a
// write came since.
func (c *sessionCache) put(s *signing.Session, epoch uint64) {
	if c == nil {
		return
	}
	s = s.Clone()
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.epoch != epoch {
		return
	}
	if _, ok := c.m[s.ID]; !ok && len(c.m) >= sessionCacheSize {
		for id := range c.m { // any one: map order is random enough
			delete(c.m, id)
			break
		}
	}
	c.m[s.ID] = s
}

// forget drops the sessions of ids, written (or maybe written) since they
// were read.
func (c *sessionCache) forget(ids ...string) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	for _, id := range ids {
		delete(c.m, id)
	}
}

// forgetAll drops every session: a write whose sessions are not known.
func (c *sessionCache) forgetAll() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.epoch++
	clear(c.m)
}

// forgetChanges is forget for the sessions of changes.
func (c *sessionCache) forgetChanges(changes []signing.Change) {
	if c == nil {
		return
	}
	ids := make([]string, len(changes))
	for i, ch := range changes {
		ids[i] = ch.Session.ID
	}
	c.forget(ids...)
}
