-- The PostgreSQL twin of sqlite/migrations/0001_init.sql. Times are
-- timestamptz (microseconds, as the store's contract wants); optional
-- times are NULL when absent, optional text is ''. Opaque JSON from
-- clients and adapters is json, not jsonb, so that it reads back byte for
-- byte as SQLite gives it back. Ids that lists order by are COLLATE "C":
-- byte order, as in SQLite and Go, whatever the database's locale.

CREATE TABLE tenants (
    id         text PRIMARY KEY,
    name       text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);

CREATE TABLE api_keys (
    key_hash   text PRIMARY KEY,
    tenant_id  text NOT NULL REFERENCES tenants (id),
    created_at timestamptz NOT NULL
);

CREATE TABLE refresh_tokens (
    token_hash text PRIMARY KEY,
    tenant_id  text NOT NULL REFERENCES tenants (id),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE secrets (
    name       text PRIMARY KEY,
    value      bytea NOT NULL,
    created_at timestamptz NOT NULL
);

CREATE TABLE sessions (
    id             text COLLATE "C" PRIMARY KEY,
    tenant_id      text NOT NULL REFERENCES tenants (id),
    order_id       text NOT NULL,
    status         text NOT NULL CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED')),
    signer_details json NOT NULL,
    provider       text NOT NULL,
    language       text NOT NULL,
    redirect_url   text NOT NULL DEFAULT '',
    return_url     text NOT NULL DEFAULT '',
    document_url   text NOT NULL DEFAULT '',
    failure_reason text NOT NULL DEFAULT '',
    metadata       json,          -- object; NULL when empty
    document_name  text NOT NULL DEFAULT '',
    provider_ref   text NOT NULL DEFAULT '',
    provider_state json,          -- adapter-private; NULL when none
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    expires_at     timestamptz NOT NULL,
    next_poll_at   timestamptz,
    version        bigint NOT NULL
);

-- GET /signing: newest first, keyset-paginated, with and without a filter.
CREATE INDEX sessions_list          ON sessions (tenant_id, created_at DESC, id DESC);
CREATE INDEX sessions_list_order    ON sessions (tenant_id, order_id, created_at DESC, id DESC);
CREATE INDEX sessions_list_status   ON sessions (tenant_id, status, created_at DESC, id DESC);
CREATE INDEX sessions_list_provider ON sessions (tenant_id, provider, created_at DESC, id DESC);

-- Due work: only open sessions are in these, so they stay small.
CREATE INDEX sessions_due_expiry ON sessions (expires_at, id)
    WHERE status IN ('PENDING', 'IN_PROGRESS');
CREATE INDEX sessions_due_poll ON sessions (next_poll_at, id)
    WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS');

-- Callbacks carry the provider's reference, not ours; the newest of any
-- duplicates wins, hence the trailing columns.
CREATE INDEX sessions_provider_ref ON sessions (provider, provider_ref, created_at DESC, id DESC);

CREATE TABLE documents (
    session_id text COLLATE "C" NOT NULL REFERENCES sessions (id),
    kind       text NOT NULL CHECK (kind IN ('original', 'signed')),
    filename   text NOT NULL,
    content    bytea NOT NULL,
    sha256     text NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (session_id, kind)
);

CREATE TABLE audit_entries (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id  text COLLATE "C" NOT NULL REFERENCES sessions (id),
    tenant_id   text NOT NULL,
    type        text NOT NULL,
    from_status text NOT NULL DEFAULT '',
    to_status   text NOT NULL DEFAULT '',
    detail      text NOT NULL DEFAULT '',
    data        json,             -- NULL when none
    created_at  timestamptz NOT NULL
);

CREATE INDEX audit_entries_session ON audit_entries (session_id, id);

CREATE TABLE idempotency (
    tenant_id   text NOT NULL REFERENCES tenants (id),
    key         text NOT NULL,
    fingerprint text NOT NULL,
    done        boolean NOT NULL DEFAULT false,
    status_code integer NOT NULL DEFAULT 0,
    header      json,             -- object; NULL when none
    body        bytea,
    created_at  timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

-- The sweeper deletes records older than 24 h.
CREATE INDEX idempotency_created ON idempotency (created_at);
