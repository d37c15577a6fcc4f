-- Times are INTEGER unix microseconds (UTC): they sort as numbers and
-- round-trip exactly. Optional times are NULL when absent; optional text is ''.

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_keys (
    key_hash   TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    expires_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE secrets (
    name       TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    order_id       TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('PENDING', 'IN_PROGRESS', 'COMPLETED', 'FAILED', 'EXPIRED', 'CANCELLED')),
    signer_details TEXT NOT NULL,
    provider       TEXT NOT NULL,
    language       TEXT NOT NULL,
    redirect_url   TEXT NOT NULL DEFAULT '',
    return_url     TEXT NOT NULL DEFAULT '',
    document_url   TEXT NOT NULL DEFAULT '',
    failure_reason TEXT NOT NULL DEFAULT '',
    metadata       TEXT,          -- JSON object; NULL when empty
    document_name  TEXT NOT NULL DEFAULT '',
    provider_ref   TEXT NOT NULL DEFAULT '',
    provider_state TEXT,          -- adapter-private JSON; NULL when none
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    completed_at   INTEGER,
    expires_at     INTEGER NOT NULL,
    next_poll_at   INTEGER,
    version        INTEGER NOT NULL
) STRICT;

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
    session_id TEXT NOT NULL REFERENCES sessions (id),
    kind       TEXT NOT NULL CHECK (kind IN ('original', 'signed')),
    filename   TEXT NOT NULL,
    content    BLOB NOT NULL,
    sha256     TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (session_id, kind)
) STRICT;

CREATE TABLE audit_entries (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  TEXT NOT NULL REFERENCES sessions (id),
    tenant_id   TEXT NOT NULL,
    type        TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT '',
    data        TEXT,             -- JSON; NULL when none
    created_at  INTEGER NOT NULL
) STRICT;

CREATE INDEX audit_entries_session ON audit_entries (session_id, id);

CREATE TABLE idempotency (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    key         TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    status_code INTEGER NOT NULL DEFAULT 0,
    header      TEXT,             -- JSON object; NULL when none
    body        BLOB,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
) STRICT;

-- The sweeper deletes records older than 24 h.
CREATE INDEX idempotency_created ON idempotency (created_at);
