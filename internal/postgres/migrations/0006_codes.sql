-- The PostgreSQL twin of sqlite/migrations/0006_codes.sql.
CREATE TABLE signer_codes (
    signer_id  text PRIMARY KEY,
    session_id text COLLATE "C" NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code_hash  text NOT NULL,
    sent_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    tries      integer NOT NULL DEFAULT 0
);

CREATE TABLE signer_code_sends (
    signer_id text NOT NULL,
    sent_at   timestamptz NOT NULL
);
CREATE INDEX signer_code_sends_by_signer ON signer_code_sends (signer_id, sent_at);
