package db_test

import (
	"context"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
)

// openPostgres migrates a new schema with the real store, whose methods
// are Rows.
func openPostgres(t *testing.T) db.Rows {
	t.Helper()
	dsn := pgtest.DSN(t)
	st, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformancePostgres(t *testing.T) {
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, openPostgres(t), db.Config{Now: now})
		},
		MaxPutHeap: 16 << 20,
	})
}
