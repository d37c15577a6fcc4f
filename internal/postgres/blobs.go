package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/signet-dev/signet/internal/blob"
	"github.com/signet-dev/signet/internal/blob/db"
)

// The Store is blob/db's Rows (documents kept in this database, the
// default) and the sweep's Referrer, whichever blob store holds them.
var (
	_ db.Rows       = (*Store)(nil)
	_ blob.Referrer = (*Store)(nil)
	_ blob.Inliner  = (*Store)(nil)
)

// Documents is the blob store that holds the documents.
func (s *Store) Documents() blob.Store { return s.docs }

const queryPutChunk = `INSERT INTO blob_chunks (key, n, data) VALUES ($1, $2, $3)
	ON CONFLICT (key, n) DO UPDATE SET data = EXCLUDED.data`

// PutBlobChunk stores chunk n of blob key.
func (s *Store) PutBlobChunk(ctx context.Context, key string, n int64, data []byte) error {
	_, err := s.pool.Exec(ctx, queryPutChunk, key, n, data)
	return dbErr("put blob chunk", err)
}

// PutBlob sends the header and the last chunk in one batch: one round
// trip, one transaction.
func (s *Store) PutBlob(ctx context.Context, h db.Header, last []byte) error {
	b := &pgx.Batch{}
	queueBlob(b, h, last)
	return dbErr("put blob "+h.Key, s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }))
}

// queueBlob queues PutBlob's rows in b.
func queueBlob(b *pgx.Batch, h db.Header, last []byte) {
	if last != nil {
		b.Queue(queryPutChunk, h.Key, h.Chunks()-1, last)
	}
	b.Queue(`INSERT INTO blobs (key, size, sha256, chunk_size) VALUES ($1, $2, $3, $4)`, h.Key, h.Size, h.SHA256, h.ChunkSize)
}

// BlobHeader reads blob key's header.
func (s *Store) BlobHeader(ctx context.Context, key string) (db.Header, error) {
	h := db.Header{Key: key}
	err := s.pool.QueryRow(ctx, `SELECT size, sha256, chunk_size FROM blobs WHERE key = $1`, key).
		Scan(&h.Size, &h.SHA256, &h.ChunkSize)
	return h, dbErr("blob "+key, err)
}

// BlobChunk reads chunk n of blob key.
func (s *Store) BlobChunk(ctx context.Context, key string, n int64) ([]byte, error) {
	var data []byte
	err := s.pool.QueryRow(ctx, `SELECT data FROM blob_chunks WHERE key = $1 AND n = $2`, key, n).Scan(&data)
	return data, dbErr(fmt.Sprintf("blob %s chunk %d", key, n), err)
}

// DeleteBlob deletes blob key's header, then its chunks.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM blobs WHERE key = $1`, key)
	b.Queue(`DELETE FROM blob_chunks WHERE key = $1`, key)
	return dbErr("delete blob "+key, s.tx(ctx, func(tx pgx.Tx) error { return tx.SendBatch(ctx, b).Close() }))
}

// BlobKeys bounds each side of the union by the limit, so that a page
// reads no more than it returns, however many blobs there are.
func (s *Store) BlobKeys(ctx context.Context, after string, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		(SELECT key FROM blobs WHERE key > $1 ORDER BY key LIMIT $2)
		UNION
		(SELECT DISTINCT key FROM blob_chunks WHERE key > $1 ORDER BY key LIMIT $2)
		ORDER BY key LIMIT $2`, after, limit)
	if err != nil {
		return nil, dbErr("blob keys", err)
	}
	keys, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return keys, dbErr("blob keys", err)
}

// ReferencedBlobs returns those of keys that a document row names.
func (s *Store) ReferencedBlobs(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT blob_key FROM documents WHERE blob_key = ANY ($1)`, keys)
	if err != nil {
		return nil, dbErr("referenced blobs", err)
	}
	live, err := pgx.CollectRows(rows, pgx.RowTo[string])
	return live, dbErr("referenced blobs", err)
}

// RenameBlob re-points the document rows that name blob from at blob to
// (`signet documents move`).
func (s *Store) RenameBlob(ctx context.Context, from, to string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE documents SET blob_key = $2 WHERE blob_key = $1`, from, to)
	return tag.RowsAffected(), dbErr("rename blob "+from, err)
}

// InlineDocuments lists document rows that hold their bytes (written
// before documents were blobs), for `signet documents move`.
func (s *Store) InlineDocuments(ctx context.Context, after blob.InlineDocument, limit int) ([]blob.InlineDocument, error) {
	rows, err := s.pool.Query(ctx, `SELECT session_id, kind FROM documents
		WHERE content IS NOT NULL AND (session_id, kind) > ($1, $2)
		ORDER BY session_id, kind LIMIT $3`, after.SessionID, after.Kind, limit)
	if err != nil {
		return nil, dbErr("inline documents", err)
	}
	list, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (blob.InlineDocument, error) {
		var d blob.InlineDocument
		err := r.Scan(&d.SessionID, &d.Kind)
		return d, err
	})
	return list, dbErr("inline documents", err)
}

// InlineContent reads the bytes a document row holds, and their digest.
func (s *Store) InlineContent(ctx context.Context, d blob.InlineDocument) ([]byte, string, error) {
	var (
		content []byte
		sum     string
	)
	err := s.pool.QueryRow(ctx, `SELECT content, sha256 FROM documents
		WHERE session_id = $1 AND kind = $2 AND content IS NOT NULL`, d.SessionID, d.Kind).Scan(&content, &sum)
	return content, sum, dbErr("inline document "+d.String(), err)
}

// PointInlineAt makes a document row name blob key instead of holding its
// bytes, if it still holds bytes recorded with sha256.
func (s *Store) PointInlineAt(ctx context.Context, d blob.InlineDocument, sha256, key string) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE documents SET content = NULL, blob_key = $1
		WHERE session_id = $2 AND kind = $3 AND content IS NOT NULL AND sha256 = $4`, key, d.SessionID, d.Kind, sha256)
	if err != nil {
		return false, dbErr("point inline document "+d.String()+" at its blob", err)
	}
	return tag.RowsAffected() == 1, nil
}
