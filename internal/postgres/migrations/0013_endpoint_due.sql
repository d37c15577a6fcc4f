-- Each endpoint's due deliveries in order, for claims that walk the
-- endpoints: an endpoint's backlog no longer lies in every claim's way.
CREATE INDEX webhook_deliveries_endpoint_due ON webhook_deliveries (endpoint_id, next_attempt_at, id) WHERE state = 'pending';
