package server

import (
	"sync"

	"github.com/signet-dev/signet/internal/signing"
)

// answersKept bounds the answers kept: about a kilobyte each.
const answersKept = 4096

// answers keeps the JSON answer of the sessions answered most recently,
// by session id and version, so that a client polling its session does
// not pay for presenting and encoding it again (a third of the CPU of a
// GET /signing/{id} that hits the store's cache). An answer is a function
// of the session at one version and of the presenter, which does not
// change while the server runs, and every write of a session bumps its
// version, so an answer kept for a version is never stale; a newer
// version simply replaces it.
type answers struct {
	mu sync.Mutex
	m  map[string]answer
}

type answer struct {
	version int64
	body    []byte // never modified once kept
}

func newAnswers() *answers { return &answers{m: make(map[string]answer)} }

// get returns the answer kept for s at its version, if any.
func (a *answers) get(s *signing.Session) ([]byte, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	got, ok := a.m[s.ID]
	if !ok || got.version != s.Version {
		return nil, false
	}
	return got.body, true
}

// put keeps body as the answer for s at its version, unless a newer one
// is kept already.
func (a *answers) put(s *signing.Session, body []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if got, ok := a.m[s.ID]; ok {
		if got.version > s.Version {
			return
		}
	} else if len(a.m) >= answersKept {
		for id := range a.m { // any one: map order is random enough
			delete(a.m, id)
			break
		}
	}
	a.m[s.ID] = answer{version: s.Version, body: body}
}
