-- A CANCELLED session whose cancel is still to be withdrawn at its provider
-- keeps a next_poll_at, so the poll queue (claimed under a lease, as polls
-- are) carries that work durably; the index now covers it.
DROP INDEX sessions_due_poll;
CREATE INDEX sessions_due_poll ON sessions (next_poll_at, id)
    WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED');
