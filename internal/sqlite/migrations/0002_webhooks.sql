-- Outbound webhooks: endpoints, the delivery queue (the far side of the
-- transactional outbox: session writes insert deliveries in their own
-- transaction) and the history of attempts. Times as in 0001.

CREATE TABLE webhook_endpoints (
    id         TEXT PRIMARY KEY CHECK (id <> ''),
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    url        TEXT NOT NULL CHECK (url <> ''),
    events     TEXT NOT NULL DEFAULT '[]'   -- JSON array of event types; '[]' = all
               CHECK (json_valid(events) AND json_type(events) = 'array'),
    secret     TEXT NOT NULL CHECK (secret <> ''),
    created_at INTEGER NOT NULL
) STRICT;

-- GET /webhooks (newest first) and the outbox's fan-out to a tenant's endpoints.
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,   -- msg_<uuidv7>: the webhook-id header
    tenant_id       TEXT NOT NULL,
    endpoint_id     TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    session_id      TEXT NOT NULL,
    event_id        INTEGER NOT NULL,   -- audit_entries.id; orders a session's events
    event_type      TEXT NOT NULL,
    payload         BLOB NOT NULL,      -- the exact body, frozen when the event happened
    state           TEXT NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,            -- due time or lease end; NULL once done
    created_at      INTEGER NOT NULL,
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
) STRICT;

-- Due work: only pending deliveries are in it, so it stays small.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
-- The per-session ordering check of the claim, and the cascade from endpoints.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, session_id, event_id);

CREATE TABLE webhook_attempts (
    id              TEXT PRIMARY KEY,   -- att_<uuidv7>
    delivery_id     TEXT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     TEXT NOT NULL,
    tenant_id       TEXT NOT NULL,
    attempt         INTEGER NOT NULL,   -- 1 for the first attempt of the delivery
    attempted_at    INTEGER NOT NULL,
    succeeded       INTEGER NOT NULL CHECK (succeeded IN (0, 1)),
    response_status INTEGER,            -- NULL when no HTTP answer
    error           TEXT,               -- NULL when none
    duration_ms     INTEGER NOT NULL
) STRICT;

-- GET /webhooks/{id}/deliveries: newest first.
CREATE INDEX webhook_attempts_list ON webhook_attempts (endpoint_id, attempted_at DESC, id DESC);
-- The cascade from deliveries.
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- The sweeper deletes expired refresh tokens.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
