-- 0016: webhooks without head-of-line blocking.
-- An event the receiver keeps refusing (it answers, with an error, `park_after` times) is
-- `parked`: set aside until an operator replays it, while the endpoint moves on. To keep each
-- recipient's order, a later event of the same recipient (`recipient_key`: the lower-cased
-- address; NULL, so never held back, for inbound mail and events without a recipient) is parked
-- with it rather than sent ahead of it. Parked rows are not pruned: they wait for
-- `waybill webhooks replay`.

ALTER TABLE webhook_deliveries DROP CONSTRAINT webhook_deliveries_status_check;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_status_check
    CHECK (status IN ('pending', 'delivered', 'failed', 'parked'));
ALTER TABLE webhook_deliveries ADD COLUMN recipient_key text;
ALTER TABLE webhook_deliveries ADD COLUMN parked_at timestamptz;
ALTER TABLE webhook_deliveries ADD COLUMN parked_behind uuid;  -- the earlier parked event it waits for

-- Rows still to be sent get their key; finished ones never need it.
UPDATE webhook_deliveries d SET recipient_key = lower(s.recipient)
FROM webhook_event_source s
WHERE d.status = 'pending' AND s.source = 'events' AND d.source = 'events'
  AND s.id = d.event_id AND s.occurred_at = d.occurred_at;

-- "Has this recipient a parked event at this endpoint?", asked before every batch.
CREATE INDEX webhook_deliveries_parked_idx ON webhook_deliveries (endpoint, recipient_key) WHERE status = 'parked';
