-- Sessions have signers (CONTRACT.md §8): one JSON array in the session's
-- row, written with it in one conditional update. Every session made
-- before becomes a one-signer session whose signer stands where the
-- session stood. Signer links are found by the SHA-256 of their token in
-- signer_links (the tokens themselves are never stored); links of the
-- signers made here are added by the server at start (they need its key).
ALTER TABLE sessions ADD COLUMN signers TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN signing_order TEXT NOT NULL DEFAULT 'sequential';
-- When the provider reported every signature while the signed document is
-- still to be fetched: such a session never expires.
ALTER TABLE sessions ADD COLUMN provider_completed_at INTEGER;

UPDATE sessions SET signers = json_array(json_object(
    'id', 'sgn_' || id,
    'details', json(signer_details),
    'status', CASE status
        WHEN 'IN_PROGRESS' THEN 'IN_PROGRESS'
        WHEN 'COMPLETED' THEN 'SIGNED'
        WHEN 'FAILED' THEN 'FAILED'
        ELSE 'PENDING' END,
    'signedAt', CASE WHEN status = 'COMPLETED' THEN completed_at END,
    'failureReason', CASE WHEN status = 'FAILED' THEN failure_reason ELSE '' END,
    'providerUrl', redirect_url));

CREATE TABLE signer_links (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    signer_id  TEXT NOT NULL UNIQUE
) STRICT;

-- Expiry skips sessions whose provider has every signature.
DROP INDEX sessions_due_expiry;
CREATE INDEX sessions_due_expiry ON sessions (expires_at, id)
    WHERE status IN ('PENDING', 'IN_PROGRESS') AND provider_completed_at IS NULL;
