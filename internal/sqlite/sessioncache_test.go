package sqlite_test

import (
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
	"github.com/signet-dev/signet/internal/storetest"
)

// TestSessionCacheNeverServesAnOlderVersion: writers bump a session's
// version while readers read it through the cache; once a write has
// returned, no read that starts after it may see an older version (the
// race a cache must not lose: a read that began before a write putting
// back the row the write replaced).
func TestSessionCacheNeverServesAnOlderVersion(t *testing.T) {
	ctx := t.Context()
	st := open(t, filepath.Join(t.TempDir(), "signet.db"), sqlite.WithSessionCache())
	tn, err := st.CreateTenant(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	sess := storetest.NewSession(tn, time.Now().UTC().Truncate(time.Microsecond))
	if err := st.CreateSession(ctx, sess, signing.Document{SessionID: sess.ID, Kind: signing.DocumentOriginal,
		Filename: "c.pdf", Content: []byte("%PDF-1.7"), SHA256: "x", CreatedAt: sess.CreatedAt}, nil); err != nil {
		t.Fatal(err)
	}

	var committed atomic.Int64 // the newest version a write returned
	committed.Store(sess.Version)
	const writes = 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := committed.Load()
				got, err := st.Session(ctx, tn.ID, sess.ID)
				if err != nil {
					t.Error(err)
					return
				}
				if got.Version < floor {
					t.Errorf("read version %d after version %d was committed", got.Version, floor)
					return
				}
				got.OrderID = "mutated by a reader" // must not reach the cache
			}
		})
	}
	cur := sess
	for i := range writes {
		next := cur.Clone()
		next.FailureReason = strings.Repeat("x", i%7)
		if err := st.UpdateSession(ctx, signing.Change{Session: next, ExpectVersion: cur.Version}); err != nil {
			t.Fatalf("write %d: %v", i, err)
		}
		committed.Store(next.Version)
		cur = next
	}
	close(stop)
	wg.Wait()

	got, err := st.Session(ctx, tn.ID, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != cur.Version || got.OrderID != sess.OrderID {
		t.Errorf("after the writes: version %d order %q, want %d %q", got.Version, got.OrderID, cur.Version, sess.OrderID)
	}
	if _, err := st.Session(ctx, "another-tenant", sess.ID); !errors.Is(err, signing.ErrNotFound) {
		t.Errorf("another tenant's read of a cached session: %v, want ErrNotFound", err)
	}
}

// TestSessionCacheTakesTheDatabase: a store that caches sessions must be
// the database's only one; a second is refused with a message that says
// what to do, stores without the cache (signet apikey, migrate) still
// open, and the database is free again once the first is closed.
func TestSessionCacheTakesTheDatabase(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "signet.db")
	first, err := sqlite.Open(ctx, path, sqlite.WithSessionCache())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sqlite.Open(ctx, path, sqlite.WithSessionCache()); err == nil ||
		!strings.Contains(err.Error(), "another process serves this database") || !strings.Contains(err.Error(), "PostgreSQL") {
		t.Errorf("second store with the cache: %v, want refused", err)
	}
	open(t, path) // without the cache: fine
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	open(t, path, sqlite.WithSessionCache())
}
