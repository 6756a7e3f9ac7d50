-- 0022: messages.metadata, the string keys and values an application attached to a message
-- (X-Waybill-Metadata, the HTTP API's metadata, Postmark's Metadata, SendGrid's custom_args).
-- waybill-webhookd sends the message's tags and metadata with each of its events, so it may read
-- those two columns of messages (and the key to find them), nothing else of it.
ALTER TABLE messages ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb;

INSERT INTO waybill_daemon_grants VALUES
    ('waybill_webhookd', 'GRANT SELECT (id, tags, metadata) ON messages TO waybill_webhookd');

SELECT waybill_grant_daemon_roles();
