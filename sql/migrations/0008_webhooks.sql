-- 0008: what waybill-webhookd needs.
-- 1. `webhook_outbox`: every new events row (and inbound_messages row) is queued here by a
--    statement trigger in the inserting transaction, so nothing committed is ever missed and
--    nothing rolled back is ever sent; the trigger then NOTIFYs `waybill_webhooks` to wake
--    webhookd. webhookd takes rows out in seq order and fans them out to the endpoints whose
--    filters want them. A queue that is emptied (rather than a cursor on seq) cannot skip rows
--    whose sequence numbers commit out of order.
-- 2. `webhook_deliveries`: one row per endpoint and event: pending, delivered or failed, with
--    attempts and the first failure (retries resume after a restart where they stopped).
-- 3. `webhook_state.enabled`: webhookd turns it on when it has endpoints; while it is off the
--    triggers queue nothing, so installations without webhooks do not grow an outbox.
-- 4. `webhook_event_source`: events and inbound mail as the rows webhookd sends.

CREATE TABLE webhook_state (
    singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    enabled     boolean NOT NULL DEFAULT false,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO webhook_state DEFAULT VALUES;

CREATE TABLE webhook_outbox (
    seq          bigserial PRIMARY KEY,
    source       text NOT NULL CHECK (source IN ('events', 'inbound')),
    event_id     uuid NOT NULL,
    occurred_at  timestamptz NOT NULL,          -- with event_id, the key of the events row
    enqueued_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE webhook_deliveries (
    endpoint          text NOT NULL,             -- [webhooks] endpoint NAME
    event_id          uuid NOT NULL,
    source            text NOT NULL CHECK (source IN ('events', 'inbound')),
    occurred_at       timestamptz NOT NULL,
    seq               bigint NOT NULL,           -- delivery order
    enqueued_at       timestamptz NOT NULL,      -- when the event was queued (lag is measured from here)
    status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts          integer NOT NULL DEFAULT 0,
    first_failure_at  timestamptz,
    last_error        text,
    finished_at       timestamptz,               -- delivered or given up
    PRIMARY KEY (endpoint, event_id)
);
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (endpoint, seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_failed_idx ON webhook_deliveries (endpoint, finished_at) WHERE status = 'failed';
-- webhookd deletes finished rows after a while (delivered: 7 days, failed: 30); events stay.
CREATE INDEX webhook_deliveries_finished_idx ON webhook_deliveries (finished_at) WHERE status <> 'pending';

CREATE FUNCTION waybill_webhook_enqueue_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT enabled FROM webhook_state) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_outbox (source, event_id, occurred_at)
        SELECT 'events', id, occurred_at FROM new_rows ORDER BY occurred_at;
    IF FOUND THEN
        PERFORM pg_notify('waybill_webhooks', '');  -- one per transaction: PostgreSQL folds duplicates
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER events_webhook_outbox
    AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waybill_webhook_enqueue_events();

CREATE FUNCTION waybill_webhook_enqueue_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT (SELECT enabled FROM webhook_state) THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_outbox (source, event_id, occurred_at)
        SELECT 'inbound', id, received_at FROM new_rows ORDER BY received_at;
    IF FOUND THEN
        PERFORM pg_notify('waybill_webhooks', '');
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER inbound_messages_webhook_outbox
    AFTER INSERT ON inbound_messages REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION waybill_webhook_enqueue_inbound();

-- The body of every webhook, whatever its source. Inbound mail carries its parsed parts in
-- details (not the raw bytes: an application that wants them reads inbound_messages).
CREATE VIEW webhook_event_source AS
    SELECT 'events'::text AS source, id, occurred_at, type, message_id, recipient_id, recipient,
           sender, url, host(ip) AS ip, user_agent, machine, machine_reason, details
    FROM events
    UNION ALL
    SELECT 'inbound', id, received_at, 'inbound', NULL::uuid, NULL::uuid, envelope_recipient,
           envelope_sender, NULL, NULL, NULL, false, NULL,
           jsonb_build_object('queue_id', queue_id, 'message_id_header', message_id_header,
                              'from', from_header, 'to', to_header, 'subject', subject,
                              'text_body', text_body, 'html_body', html_body,
                              'attachments', attachments)
    FROM inbound_messages;
