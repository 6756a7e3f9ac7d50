-- 0005: what waybill-pipe needs.
-- 1. `pipe_messages`: every message Postfix handed to waybill-pipe for the bounce domain (DSNs,
--    text bounces, complaints, auto-replies, unsubscribe mail, and what could not be read, kept
--    as 'unclassified' so nothing is dropped). dedupe_key makes a retried delivery (Postfix
--    retries after exit 75, or after a crash between COMMIT and exit) store its events once.
-- 2. `soft_bounces`: one row per soft bounce, to count "N within D days" without scanning events.
-- 3. inbound_messages gets a dedupe key too, and every new row is announced on channel
--    `waybill_inbound` (payload: {"id": ..., "envelope_recipient": ...}) so applications react.

CREATE TABLE pipe_messages (
    id                  uuid PRIMARY KEY,
    dedupe_key          text NOT NULL UNIQUE,
    received_at         timestamptz NOT NULL DEFAULT now(),
    queue_id            text,
    envelope_sender     text,
    envelope_recipient  text NOT NULL,
    kind                text NOT NULL
                        CHECK (kind IN ('dsn', 'text_bounce', 'complaint', 'auto_reply', 'unsubscribe',
                                        'unclassified')),
    recipient_id        uuid,                      -- from the VERP token, when it verified
    classification      jsonb NOT NULL DEFAULT '[]',
    raw                 bytea NOT NULL
);
CREATE INDEX pipe_messages_received_idx ON pipe_messages (received_at);
CREATE INDEX pipe_messages_kind_idx ON pipe_messages (kind, received_at);

CREATE TABLE soft_bounces (
    recipient    text NOT NULL CHECK (recipient = lower(recipient)),
    occurred_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX soft_bounces_recipient_idx ON soft_bounces (recipient, occurred_at);

ALTER TABLE inbound_messages ADD COLUMN dedupe_key text UNIQUE;

CREATE FUNCTION waybill_notify_inbound() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('waybill_inbound', json_build_object(
        'id', NEW.id, 'envelope_recipient', NEW.envelope_recipient)::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER inbound_messages_notify
    AFTER INSERT ON inbound_messages
    FOR EACH ROW EXECUTE FUNCTION waybill_notify_inbound();
