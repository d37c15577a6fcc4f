package db_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/postgres"
	"github.com/signet-dev/signet/internal/postgres/pgtest"
	"github.com/signet-dev/signet/internal/signing"
)

// pgRows is Rows on the tables of migration 0004, in the SQL that
// internal/postgres's Store is to carry (its methods can be these).
type pgRows struct{ pool *pgxpool.Pool }

func pgErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, signing.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", op, err)
	}
	return nil
}

const pgPutChunk = `INSERT INTO blob_chunks (key, n, data) VALUES ($1, $2, $3)
	ON CONFLICT (key, n) DO UPDATE SET data = EXCLUDED.data`

func (r pgRows) PutBlobChunk(ctx context.Context, key string, n int64, data []byte) error {
	_, err := r.pool.Exec(ctx, pgPutChunk, key, n, data)
	return pgErr("put blob chunk", err)
}

// PutBlob sends both statements in one batch: one round trip, one
// transaction.
func (r pgRows) PutBlob(ctx context.Context, h db.Header, last []byte) error {
	b := &pgx.Batch{}
	if last != nil {
		b.Queue(pgPutChunk, h.Key, h.Chunks()-1, last)
	}
	b.Queue(`INSERT INTO blobs (key, size, sha256, chunk_size) VALUES ($1, $2, $3, $4)`, h.Key, h.Size, h.SHA256, h.ChunkSize)
	return pgErr("put blob", pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	}))
}

func (r pgRows) BlobHeader(ctx context.Context, key string) (db.Header, error) {
	h := db.Header{Key: key}
	err := r.pool.QueryRow(ctx, `SELECT size, sha256, chunk_size FROM blobs WHERE key = $1`, key).
		Scan(&h.Size, &h.SHA256, &h.ChunkSize)
	return h, pgErr("blob "+key, err)
}

func (r pgRows) BlobChunk(ctx context.Context, key string, n int64) ([]byte, error) {
	var data []byte
	err := r.pool.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE key = $1 AND n = $2`, key, n).Scan(&data)
	return data, pgErr(fmt.Sprintf("blob %s chunk %d", key, n), err)
}

func (r pgRows) DeleteBlob(ctx context.Context, key string) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM blobs WHERE key = $1`, key)
	b.Queue(`DELETE FROM blob_chunks WHERE key = $1`, key)
	return pgErr("delete blob", pgx.BeginFunc(ctx, r.pool, func(tx pgx.Tx) error {
		return tx.SendBatch(ctx, b).Close()
	}))
}

func (r pgRows) BlobKeys(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := r.pool.Query(ctx, `
		(SELECT key FROM blobs WHERE key > $1 ORDER BY key LIMIT $2)
		UNION
		(SELECT DISTINCT key FROM blob_chunks WHERE key > $1 ORDER BY key LIMIT $2)
		ORDER BY key LIMIT $2`, after, limit)
	if err != nil {
		return nil, pgErr("blob keys", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return keys, pgErr("blob keys", err)
}

// openPostgres migrates a new schema with the real store, then opens a
// pool on it for the blob tables.
func openPostgres(t *testing.T) pgRows {
	t.Helper()
	dsn := pgtest.DSN(t)
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pgRows{pool: pool}
}

func TestConformancePostgres(t *testing.T) {
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, openPostgres(t), db.Config{Now: now})
		},
		MaxPutHeap: 16 << 20,
	})
}
