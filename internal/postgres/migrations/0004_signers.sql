-- The PostgreSQL twin of sqlite/migrations/0004_signers.sql: sessions
-- have signers, kept as one json array in the session's row (json, not
-- jsonb: it reads back byte for byte); signer links are found by the
-- SHA-256 of their token.
ALTER TABLE sessions ADD COLUMN signers json NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN signing_order text NOT NULL DEFAULT 'sequential';
ALTER TABLE sessions ADD COLUMN provider_completed_at timestamptz;

UPDATE sessions SET signers = json_build_array(json_strip_nulls(json_build_object(
    'id', 'sgn_' || id,
    'details', signer_details,
    'status', CASE status
        WHEN 'IN_PROGRESS' THEN 'IN_PROGRESS'
        WHEN 'COMPLETED' THEN 'SIGNED'
        WHEN 'FAILED' THEN 'FAILED'
        ELSE 'PENDING' END,
    'signedAt', CASE WHEN status = 'COMPLETED' THEN (extract(epoch FROM completed_at) * 1000000)::bigint END,
    'failureReason', CASE WHEN status = 'FAILED' THEN failure_reason ELSE '' END,
    'providerUrl', redirect_url)));

CREATE TABLE signer_links (
    token_hash text PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    signer_id  text NOT NULL UNIQUE
);

DROP INDEX sessions_due_expiry;
CREATE INDEX sessions_due_expiry ON sessions (expires_at, id)
    WHERE status IN ('PENDING', 'IN_PROGRESS') AND provider_completed_at IS NULL;
