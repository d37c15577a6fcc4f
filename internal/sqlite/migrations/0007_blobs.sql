-- Documents as blobs in the database (internal/blob/db): a header row per
-- finished blob, written last, which makes it visible, and its content in
-- chunks, so that neither writing nor reading a large document holds it
-- whole in memory. Keys are UUIDv7 text, whose byte order is the order
-- they were made in: the orphan sweep walks them in that order. Chunks
-- come before their header, so they have no foreign key to it.
CREATE TABLE blobs (
    key        TEXT PRIMARY KEY,
    size       INTEGER NOT NULL CHECK (size >= 0),
    sha256     TEXT NOT NULL,
    chunk_size INTEGER NOT NULL CHECK (chunk_size > 0)
) STRICT, WITHOUT ROWID;

CREATE TABLE blob_chunks (
    key  TEXT NOT NULL,
    n    INTEGER NOT NULL CHECK (n >= 0),
    data BLOB NOT NULL,
    PRIMARY KEY (key, n)
) STRICT;
