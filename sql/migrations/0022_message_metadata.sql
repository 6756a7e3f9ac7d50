-- 0022: messages.metadata, the string keys and values an application attached to a message
-- (X-Waybill-Metadata, the HTTP API's metadata, Postmark's Metadata, SendGrid's custom_args);
-- and the message's tags and metadata on every event webhookd sends.
ALTER TABLE messages ADD COLUMN metadata jsonb NOT NULL DEFAULT '{}'::jsonb;

-- Columns appended at the end, so CREATE OR REPLACE keeps the view's grants. The join is on
-- the messages primary key; queries that do not use the new columns lose it (join removal).
CREATE OR REPLACE VIEW webhook_event_source AS
    SELECT 'events'::text AS source, e.id, e.occurred_at, e.type, e.message_id, e.recipient_id, e.recipient,
           e.sender, e.url, host(e.ip) AS ip, e.user_agent, e.machine, e.machine_reason, e.details,
           m.tags, m.metadata
    FROM events e LEFT JOIN messages m ON m.id = e.message_id
    UNION ALL
    SELECT 'inbound', id, received_at, 'inbound', NULL::uuid, NULL::uuid, envelope_recipient,
           envelope_sender, NULL, NULL, NULL, false, NULL,
           jsonb_build_object('queue_id', queue_id, 'message_id_header', message_id_header,
                              'from', from_header, 'to', to_header, 'subject', subject,
                              'text_body', text_body, 'html_body', html_body,
                              'attachments', attachments),
           NULL::text[], NULL::jsonb
    FROM inbound_messages;
