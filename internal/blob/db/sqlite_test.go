package db_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/sqlite"
)

// openSQLite opens a new, migrated database with the real store, whose
// methods are Rows.
func openSQLite(t *testing.T) db.Rows {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "signet.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformanceSQLite(t *testing.T) {
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, openSQLite(t), db.Config{Now: now})
		},
		MaxPutHeap: 16 << 20,
	})
}
