-- Documents as blobs (internal/blob): a document row names its blob by
-- key, in the database's blobs table or in an object store, instead of
-- holding the bytes. Rows written before keep their content and stay
-- readable; a row has exactly one of the two.
ALTER TABLE documents ALTER COLUMN content DROP NOT NULL;
ALTER TABLE documents ADD COLUMN blob_key text COLLATE "C";
ALTER TABLE documents ADD CONSTRAINT documents_content_or_blob
    CHECK ((content IS NULL) <> (blob_key IS NULL));

-- The orphan sweep asks which of a page of keys a row names.
CREATE INDEX documents_blob_key ON documents (blob_key) WHERE blob_key IS NOT NULL;
