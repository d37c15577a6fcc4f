package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/blobtest"
	"github.com/signet-dev/signet/internal/blob/db"
	"github.com/signet-dev/signet/internal/signing"
	"github.com/signet-dev/signet/internal/sqlite"
)

// sqliteRows is Rows on the tables of migration 0004, in the SQL that
// internal/sqlite's Store is to carry (its methods can be these).
type sqliteRows struct{ db *sql.DB }

func sqliteErr(op string, err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s: %w", op, signing.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", op, err)
	}
	return nil
}

func (r sqliteRows) PutBlobChunk(ctx context.Context, key string, n int64, data []byte) error {
	_, err := r.db.ExecContext(ctx, `INSERT INTO blob_chunks (key, n, data) VALUES (?, ?, ?)
		ON CONFLICT (key, n) DO UPDATE SET data = excluded.data`, key, n, data)
	return sqliteErr("put blob chunk", err)
}

func (r sqliteRows) PutBlob(ctx context.Context, h db.Header, last []byte) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return sqliteErr("put blob", err)
	}
	defer tx.Rollback()
	if last != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO blob_chunks (key, n, data) VALUES (?, ?, ?)
			ON CONFLICT (key, n) DO UPDATE SET data = excluded.data`, h.Key, h.Chunks()-1, last); err != nil {
			return sqliteErr("put blob", err)
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO blobs (key, size, sha256, chunk_size) VALUES (?, ?, ?, ?)`,
		h.Key, h.Size, h.SHA256, h.ChunkSize); err != nil {
		return sqliteErr("put blob", err)
	}
	return sqliteErr("put blob", tx.Commit())
}

func (r sqliteRows) BlobHeader(ctx context.Context, key string) (db.Header, error) {
	h := db.Header{Key: key}
	err := r.db.QueryRowContext(ctx, `SELECT size, sha256, chunk_size FROM blobs WHERE key = ?`, key).
		Scan(&h.Size, &h.SHA256, &h.ChunkSize)
	return h, sqliteErr("blob "+key, err)
}

func (r sqliteRows) BlobChunk(ctx context.Context, key string, n int64) ([]byte, error) {
	var data []byte
	err := r.db.QueryRowContext(ctx, `SELECT data FROM blob_chunks WHERE key = ? AND n = ?`, key, n).Scan(&data)
	return data, sqliteErr(fmt.Sprintf("blob %s chunk %d", key, n), err)
}

func (r sqliteRows) DeleteBlob(ctx context.Context, key string) error {
	tx, err := r.db.BeginTx(ctx, nil)
	if err != nil {
		return sqliteErr("delete blob", err)
	}
	defer tx.Rollback()
	// The header first: from then on the blob is gone, whatever follows.
	for _, q := range []string{`DELETE FROM blobs WHERE key = ?`, `DELETE FROM blob_chunks WHERE key = ?`} {
		if _, err := tx.ExecContext(ctx, q, key); err != nil {
			return sqliteErr("delete blob", err)
		}
	}
	return sqliteErr("delete blob", tx.Commit())
}

// BlobKeys bounds each side of the union by the limit, so that a page
// reads no more than it returns, however many blobs there are.
func (r sqliteRows) BlobKeys(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := r.db.QueryContext(ctx, `
		SELECT key FROM (SELECT key FROM blobs WHERE key > ?1 ORDER BY key LIMIT ?2)
		UNION
		SELECT key FROM (SELECT DISTINCT key FROM blob_chunks WHERE key > ?1 ORDER BY key LIMIT ?2)
		ORDER BY key LIMIT ?2`, after, limit)
	if err != nil {
		return nil, sqliteErr("blob keys", err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, sqliteErr("blob keys", err)
		}
		keys = append(keys, k)
	}
	return keys, sqliteErr("blob keys", rows.Err())
}

// openSQLite migrates a new database with the real store, then opens it
// for the blob tables.
func openSQLite(t *testing.T) sqliteRows {
	t.Helper()
	path := filepath.Join(t.TempDir(), "signet.db")
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	d, err := sql.Open("sqlite", path+"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return sqliteRows{db: d}
}

func TestConformanceSQLite(t *testing.T) {
	blobtest.Run(t, blobtest.Harness{
		New: func(t *testing.T, now func() time.Time) blob.Store {
			return newStore(t, openSQLite(t), db.Config{Now: now})
		},
		MaxPutHeap: 16 << 20,
	})
}
