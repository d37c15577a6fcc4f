-- A session update that changes an indexed column (status, expires_at,
-- next_poll_at: every expiry) is not HOT and adds an entry to every index
-- of sessions. The order-id indexes cost the most: order ids are
-- scattered, so each entry lands on its own leaf page (a full-page image
-- in the WAL after each checkpoint). sessions_all_order (0010) already
-- leads with order_id, and an order id has a session or a few, so a
-- tenant's list by order id is served by it, filtering on tenant_id, in
-- the same order: sessions_list_order is one order-id index too many.
DROP INDEX sessions_list_order;
