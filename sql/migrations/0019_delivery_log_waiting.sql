-- 0019: delivery attempts that arrive before their recipient is recorded.
-- A per-recipient copy passes the milter (which records its queue id in
-- message_copy_queue_ids) while the original transaction is still making the other copies; it
-- records the recipients only after that. Postfix may deliver the copy in that time, and
-- waybill-logd may read the attempt before the recipient row exists. Such an attempt is parked
-- here, in the same transaction that moves the read position, and stored as its event by the
-- first batch that finds the recipient. Rows whose recipient never appears (the original
-- transaction failed for good) are dropped after seven days.
CREATE TABLE delivery_log_waiting (
    seq           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- the order lines were read in
    queue_id      text NOT NULL,
    recipient_id  uuid NOT NULL,
    line          jsonb NOT NULL,            -- the attempt as waybill-logd parsed it
    parked_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_log_waiting_recipient_idx ON delivery_log_waiting (recipient_id);

INSERT INTO waybill_daemon_grants VALUES
    ('waybill_logd', 'GRANT SELECT, INSERT, DELETE ON delivery_log_waiting TO waybill_logd');

SELECT waybill_grant_daemon_roles();
