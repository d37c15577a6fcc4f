-- Documents as blobs (internal/blob): a document row names its blob by
-- key, in the database's blobs table or in an object store, instead of
-- holding the bytes. Rows written before keep their content and stay
-- readable; a row has exactly one of the two. SQLite cannot drop a NOT
-- NULL, so the table is rebuilt; nothing refers to it.
CREATE TABLE documents_new (
    session_id TEXT NOT NULL REFERENCES sessions (id),
    kind       TEXT NOT NULL CHECK (kind IN ('original', 'signed')),
    filename   TEXT NOT NULL,
    content    BLOB,
    blob_key   TEXT,
    sha256     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind),
    CHECK ((content IS NULL) <> (blob_key IS NULL))
) STRICT;
INSERT INTO documents_new (session_id, kind, filename, content, sha256, created_at)
    SELECT session_id, kind, filename, content, sha256, created_at FROM documents;
DROP TABLE documents;
ALTER TABLE documents_new RENAME TO documents;

-- The orphan sweep asks which of a page of keys a row names.
CREATE INDEX documents_blob_key ON documents (blob_key) WHERE blob_key IS NOT NULL;
