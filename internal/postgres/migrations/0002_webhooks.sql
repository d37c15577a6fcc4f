-- Outbound webhooks: endpoints, the delivery queue (the far side of the
-- transactional outbox: session writes insert deliveries in their own
-- transaction) and the history of attempts. Types as in 0001.

CREATE TABLE webhook_endpoints (
    id         text COLLATE "C" PRIMARY KEY CHECK (id <> ''),
    tenant_id  text NOT NULL REFERENCES tenants (id),
    url        text NOT NULL CHECK (url <> ''),
    events     text[] NOT NULL DEFAULT '{}'  -- event types; '{}' = all
               CHECK (array_ndims(events) IS NULL OR (array_ndims(events) = 1 AND array_position(events, NULL) IS NULL)),
    secret     text NOT NULL CHECK (secret <> ''),
    created_at timestamptz NOT NULL
);

-- GET /webhooks (newest first) and the outbox's fan-out to a tenant's endpoints.
CREATE INDEX webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at DESC, id DESC);

CREATE TABLE webhook_deliveries (
    id              text COLLATE "C" PRIMARY KEY,  -- msg_<uuidv7>: the webhook-id header
    tenant_id       text NOT NULL,
    endpoint_id     text COLLATE "C" NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    session_id      text COLLATE "C" NOT NULL,
    event_id        bigint NOT NULL,    -- audit_entries.id; orders a session's events
    event_type      text NOT NULL,
    payload         bytea NOT NULL,     -- the exact body, frozen when the event happened
    state           text NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,        -- due time or lease end; NULL once done
    created_at      timestamptz NOT NULL,
    CHECK ((state = 'pending') = (next_attempt_at IS NOT NULL))
);

-- Due work: only pending deliveries are in it, so it stays small.
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE state = 'pending';
-- The per-session ordering check of the claim, and the cascade from endpoints.
CREATE INDEX webhook_deliveries_order ON webhook_deliveries (endpoint_id, session_id, event_id);

CREATE TABLE webhook_attempts (
    id              text COLLATE "C" PRIMARY KEY,  -- att_<uuidv7>
    delivery_id     text COLLATE "C" NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    endpoint_id     text COLLATE "C" NOT NULL,
    tenant_id       text NOT NULL,
    attempt         integer NOT NULL,   -- 1 for the first attempt of the delivery
    attempted_at    timestamptz NOT NULL,
    succeeded       boolean NOT NULL,
    response_status integer,            -- NULL when no HTTP answer
    error           text,               -- NULL when none
    duration_ms     bigint NOT NULL
);

-- GET /webhooks/{id}/deliveries: newest first.
CREATE INDEX webhook_attempts_list ON webhook_attempts (endpoint_id, attempted_at DESC, id DESC);
-- The cascade from deliveries.
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);

-- The sweeper deletes expired refresh tokens.
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
