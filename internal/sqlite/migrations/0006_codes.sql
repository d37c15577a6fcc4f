-- One-time codes for signers who sign on Signet's own page (provider
-- local): one code at a time per signer, kept as a keyed hash, with its
-- wrong tries; and when codes were sent, for the hourly limit.
CREATE TABLE signer_codes (
    signer_id  TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    sent_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE signer_code_sends (
    signer_id TEXT NOT NULL,
    sent_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX signer_code_sends_by_signer ON signer_code_sends (signer_id, sent_at);
