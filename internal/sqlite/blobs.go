package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

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

const queryPutChunk = `INSERT INTO blob_chunks (key, n, data) VALUES (?, ?, ?)
	ON CONFLICT (key, n) DO UPDATE SET data = excluded.data`

// PutBlobChunk stores chunk n of blob key.
func (s *Store) PutBlobChunk(ctx context.Context, key string, n int64, data []byte) error {
	err := s.tx(ctx, func(tx wtx) error {
		_, err := tx.ExecContext(ctx, queryPutChunk, key, n, data)
		return err
	})
	return dbErr("put blob chunk", err)
}

// PutBlob stores a blob's header, and its last chunk, in one transaction.
func (s *Store) PutBlob(ctx context.Context, h db.Header, last []byte) error {
	err := s.tx(ctx, func(tx wtx) error { return putBlob(ctx, tx, h, last) })
	return dbErr("put blob "+h.Key, err)
}

// putBlob writes PutBlob's rows in tx.
func putBlob(ctx context.Context, tx wtx, h db.Header, last []byte) error {
	if last != nil {
		if _, err := tx.ExecContext(ctx, queryPutChunk, h.Key, h.Chunks()-1, last); err != nil {
			return err
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO blobs (key, size, sha256, chunk_size) VALUES (?, ?, ?, ?)`,
		h.Key, h.Size, h.SHA256, h.ChunkSize)
	return err
}

// BlobHeader reads blob key's header.
func (s *Store) BlobHeader(ctx context.Context, key string) (db.Header, error) {
	h := db.Header{Key: key}
	err := s.readRow(ctx, `SELECT size, sha256, chunk_size FROM blobs WHERE key = ?`, key).
		Scan(&h.Size, &h.SHA256, &h.ChunkSize)
	return h, dbErr("blob "+key, err)
}

// BlobChunk reads chunk n of blob key.
func (s *Store) BlobChunk(ctx context.Context, key string, n int64) ([]byte, error) {
	var data []byte
	err := s.readRow(ctx, `SELECT data FROM blob_chunks WHERE key = ? AND n = ?`, key, n).Scan(&data)
	return data, dbErr(fmt.Sprintf("blob %s chunk %d", key, n), err)
}

// DeleteBlob deletes blob key's header, then its chunks.
func (s *Store) DeleteBlob(ctx context.Context, key string) error {
	err := s.tx(ctx, func(tx wtx) error {
		for _, q := range []string{`DELETE FROM blobs WHERE key = ?`, `DELETE FROM blob_chunks WHERE key = ?`} {
			if _, err := tx.ExecContext(ctx, q, key); err != nil {
				return err
			}
		}
		return nil
	})
	return dbErr("delete blob "+key, err)
}

// BlobKeys bounds each side of the union by the limit, so that a page
// reads no more than it returns, however many blobs there are.
func (s *Store) BlobKeys(ctx context.Context, after string, limit int) ([]string, error) {
	return s.keys(ctx, "blob keys", `
		SELECT key FROM (SELECT key FROM blobs WHERE key > ?1 ORDER BY key LIMIT ?2)
		UNION
		SELECT key FROM (SELECT DISTINCT key FROM blob_chunks WHERE key > ?1 ORDER BY key LIMIT ?2)
		ORDER BY key LIMIT ?2`, after, limit)
}

// ReferencedBlobs returns those of keys that a document row names.
func (s *Store) ReferencedBlobs(ctx context.Context, keys []string) ([]string, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return s.keys(ctx, "referenced blobs", `SELECT DISTINCT blob_key FROM documents
		WHERE blob_key IN (SELECT value FROM json_each(?))`, string(list))
}

// keys runs a query on the readers that returns one text column.
func (s *Store) keys(ctx context.Context, op, query string, args ...any) ([]string, error) {
	rows, err := s.readRows(ctx, query, args...)
	if err != nil {
		return nil, dbErr(op, err)
	}
	defer rows.Close()
	var keys []string
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, dbErr(op, err)
		}
		keys = append(keys, k)
	}
	return keys, dbErr(op, rows.Err())
}

// RenameBlob re-points the document rows that name blob from at blob to
// (`signet documents move`).
func (s *Store) RenameBlob(ctx context.Context, from, to string) (int64, error) {
	n, err := s.update(ctx, `UPDATE documents SET blob_key = ? WHERE blob_key = ?`, to, from)
	return n, dbErr("rename blob "+from, err)
}

// update runs one statement in its own write transaction and returns how
// many rows it changed.
func (s *Store) update(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := s.tx(ctx, func(tx wtx) error {
		res, err := tx.ExecContext(ctx, query, args...)
		if err == nil {
			n, err = res.RowsAffected()
		}
		return err
	})
	return n, err
}

// InlineDocuments lists document rows that hold their bytes (written
// before documents were blobs), for `signet documents move`.
func (s *Store) InlineDocuments(ctx context.Context, after blob.InlineDocument, limit int) ([]blob.InlineDocument, error) {
	rows, err := s.readRows(ctx, `SELECT session_id, kind FROM documents
		WHERE content IS NOT NULL AND (session_id, kind) > (?, ?)
		ORDER BY session_id, kind LIMIT ?`, after.SessionID, after.Kind, limit)
	if err != nil {
		return nil, dbErr("inline documents", err)
	}
	defer rows.Close()
	var list []blob.InlineDocument
	for rows.Next() {
		var d blob.InlineDocument
		if err := rows.Scan(&d.SessionID, &d.Kind); err != nil {
			return nil, dbErr("inline documents", err)
		}
		list = append(list, d)
	}
	return list, dbErr("inline documents", rows.Err())
}

// InlineContent reads the bytes a document row holds, and their digest.
func (s *Store) InlineContent(ctx context.Context, d blob.InlineDocument) ([]byte, string, error) {
	var (
		content []byte
		sum     string
	)
	err := s.readRow(ctx, `SELECT content, sha256 FROM documents
		WHERE session_id = ? AND kind = ? AND content IS NOT NULL`, d.SessionID, d.Kind).Scan(&content, &sum)
	return content, sum, dbErr("inline document "+d.String(), err)
}

// PointInlineAt makes a document row name blob key instead of holding its
// bytes, if it still holds bytes recorded with sha256.
func (s *Store) PointInlineAt(ctx context.Context, d blob.InlineDocument, sha256, key string) (bool, error) {
	n, err := s.update(ctx, `UPDATE documents SET content = NULL, blob_key = ?
		WHERE session_id = ? AND kind = ? AND content IS NOT NULL AND sha256 = ?`, key, d.SessionID, d.Kind, sha256)
	return n == 1, dbErr("point inline document "+d.String()+" at its blob", err)
}
