-- A session update that changes an indexed column (status, expires_at,
-- next_poll_at: every expiry, for one) is not HOT: it adds an entry to
-- every index of sessions. The order-id indexes cost the most: order ids
-- are scattered, so each new entry lands on a leaf page of its own (a
-- full-page image in the WAL, the first time after each checkpoint), and
-- there were two of them, wide ones. An order id has a session or a few,
-- so one narrow index finds them, for a tenant (filtering on tenant_id)
-- or across tenants, and a sort of those few rows orders them: a third
-- of the size, half the leaf pages an expiry sweep dirties.
DROP INDEX sessions_list_order;
DROP INDEX sessions_all_order;
CREATE INDEX sessions_order ON sessions (order_id);
