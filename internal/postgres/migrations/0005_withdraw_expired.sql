-- An EXPIRED session whose request is still to be withdrawn at its
-- provider keeps a next_poll_at, as a CANCELLED one does: the poll queue
-- carries that work durably, and the index covers it.
DROP INDEX sessions_due_poll;
CREATE INDEX sessions_due_poll ON sessions (next_poll_at, id)
    WHERE next_poll_at IS NOT NULL AND status IN ('PENDING', 'IN_PROGRESS', 'CANCELLED', 'EXPIRED');
