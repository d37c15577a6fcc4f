-- The PostgreSQL twin of sqlite/migrations/0010_console.sql: API keys an
-- operator can name, list and revoke; operators, their sign-in sessions
-- and the record of wrong passwords; indexes for the console's reads
-- across tenants. Conventions as in 0001.

ALTER TABLE api_keys
    ADD COLUMN id text COLLATE "C",
    ADD COLUMN prefix text NOT NULL DEFAULT '',
    ADD COLUMN last_used_at timestamptz,
    ADD COLUMN revoked_at timestamptz;
-- md5 of random input: 32 hex digits, like NewKeyID's (gen_random_uuid needs PostgreSQL 13).
UPDATE api_keys SET id = 'key_' || md5(random()::text || clock_timestamp()::text || key_hash) WHERE id IS NULL;
ALTER TABLE api_keys ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX api_keys_id ON api_keys (id);
CREATE INDEX api_keys_list ON api_keys (tenant_id, created_at DESC, id DESC);

CREATE TABLE operators (
    id            text COLLATE "C" PRIMARY KEY,
    email         text NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
    password_hash text NOT NULL CHECK (password_hash <> ''),
    created_at    timestamptz NOT NULL
);

CREATE TABLE operator_sessions (
    id           text PRIMARY KEY,
    operator_id  text NOT NULL REFERENCES operators (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);
CREATE INDEX operator_sessions_operator ON operator_sessions (operator_id);

CREATE TABLE login_failures (
    key             text PRIMARY KEY,
    failures        integer NOT NULL CHECK (failures > 0),
    last_failure_at timestamptz NOT NULL
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);

CREATE INDEX sessions_all ON sessions (created_at DESC, id DESC);
CREATE INDEX sessions_all_order ON sessions (order_id, created_at DESC, id DESC);
CREATE INDEX audit_entries_provider_errors ON audit_entries (id) WHERE type = 'provider.error';
