-- Documents as blobs in the database (internal/blob/db): a header row per
-- finished blob, written last, which makes it visible, and its content in
-- chunks, so that neither writing nor reading a large document holds it
-- whole in memory. Keys are UUIDv7 text, whose byte order (collation "C")
-- is the order they were made in: the orphan sweep walks them in that
-- order. Chunks come before their header, so they have no foreign key to it.
CREATE TABLE blobs (
    key        text COLLATE "C" PRIMARY KEY,
    size       bigint NOT NULL CHECK (size >= 0),
    sha256     text NOT NULL,
    chunk_size integer NOT NULL CHECK (chunk_size > 0)
);

CREATE TABLE blob_chunks (
    key  text COLLATE "C" NOT NULL,
    n    bigint NOT NULL CHECK (n >= 0),
    data bytea NOT NULL,
    PRIMARY KEY (key, n)
);

-- PDFs are compressed already: store chunks out of line, uncompressed,
-- rather than spend CPU on compressing them again.
ALTER TABLE blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
