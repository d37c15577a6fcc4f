-- The operator console (CONTRACT.md §9): API keys an operator can name,
-- list and revoke; operators, their sign-in sessions and the record of
-- wrong passwords; indexes for the console's reads across tenants.
-- Times as in 0001.

-- An API key gets an id (what the console and `signet apikey` call it),
-- the visible start of the key (the 8 characters after sk_; '' for keys
-- made before, whose plain text was never kept) and the times of its
-- last use (written at most once a minute) and of its revocation.
-- ADD COLUMN cannot add NOT NULL without a constant default: the store
-- always sets id.
ALTER TABLE api_keys ADD COLUMN id TEXT;
ALTER TABLE api_keys ADD COLUMN prefix TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
ALTER TABLE api_keys ADD COLUMN revoked_at INTEGER;
UPDATE api_keys SET id = 'key_' || lower(hex(randomblob(16))) WHERE id IS NULL;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
-- The keys of a tenant (and of all), newest first.
CREATE INDEX api_keys_list ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE operators (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
    password_hash TEXT NOT NULL CHECK (password_hash <> ''),  -- argon2id, PHC string
    created_at    INTEGER NOT NULL
) STRICT;

-- A signed-in browser. The cookie carries a random token; only its
-- SHA-256 is kept, so a copy of the database signs no one in.
CREATE TABLE operator_sessions (
    id           TEXT PRIMARY KEY,   -- hex SHA-256 of the cookie's token
    operator_id  TEXT NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,   -- for the idle timeout; written at most once a minute
    expires_at   INTEGER NOT NULL    -- the absolute end, whatever the activity
) STRICT;
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

-- Wrong passwords by e-mail address and by client address, so that every
-- replica slows down the same guesser. A row is forgotten after a quiet
-- window (the store resets its count) and deleted by housekeeping.
CREATE TABLE login_failures (
    key             TEXT PRIMARY KEY,   -- "email:<address>" or "ip:<address>"
    failures        INTEGER NOT NULL CHECK (failures > 0),
    last_failure_at INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_last ON login_failures (last_failure_at);

-- The console lists the sessions of every tenant newest first, also by
-- order id (a tenant filter uses 0001's indexes).
CREATE INDEX sessions_all ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_all_order ON sessions (order_id, created_at DESC, id DESC);
-- A provider's recent failures: few rows, so a partial index stays small.
CREATE INDEX audit_entries_provider_errors ON audit_entries (id) WHERE type = 'provider.error';
