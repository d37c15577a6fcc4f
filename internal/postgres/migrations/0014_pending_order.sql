-- The claim's ordering check (is an earlier event of this session for
-- this endpoint still unattempted?) as one probe: the never-attempted
-- pending deliveries by endpoint, session and event. With only
-- webhook_deliveries_endpoint_due as a pending-only index, the planner,
-- on the stale statistics of a queue that just filled up, probed that
-- by endpoint alone and filtered every pending row at each candidate.
CREATE INDEX webhook_deliveries_pending_order ON webhook_deliveries (endpoint_id, session_id, event_id)
    WHERE state = 'pending' AND attempts = 0;

-- A queue table: every delivery is inserted, leased and finished within
-- seconds, so it is all dead tuples unless vacuumed often. The defaults
-- (a fifth of the table) let the due indexes fill with dead entries that
-- every claim and backlog count then steps over; vacuum and analyze it
-- after every 2 % instead.
ALTER TABLE webhook_deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);
