-- 0001: the tables analysts query (names are part of the contract; columns may grow).
-- Ids are UUIDs minted by the daemons themselves, so tokens can be issued before the database
-- round trip and event retries are idempotent (INSERT ... ON CONFLICT DO NOTHING).

-- One row per message submitted to Postfix and seen by waybill-milter.
CREATE TABLE messages (
    id                 uuid PRIMARY KEY,
    queue_id           text,                      -- Postfix queue id of the first copy
    message_id_header  text,                      -- Message-ID as it left (generated when missing)
    envelope_sender    text NOT NULL,             -- MAIL FROM as submitted (before VERP)
    from_header        text,
    subject            text,
    tags               text[] NOT NULL DEFAULT '{}',
    track_mode         text NOT NULL DEFAULT 'all'
                       CHECK (track_mode IN ('all', 'opens', 'clicks', 'none')),
    submitted_via      text NOT NULL DEFAULT 'smtp' CHECK (submitted_via IN ('smtp', 'sendmail')),
    client_address     text,
    size_bytes         bigint,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX messages_created_at_idx ON messages (created_at);
CREATE INDEX messages_queue_id_idx ON messages (queue_id);
CREATE INDEX messages_message_id_header_idx ON messages (message_id_header);
CREATE INDEX messages_sender_created_idx ON messages (lower(envelope_sender), created_at);

-- One row per message and envelope recipient, with its current status.
CREATE TABLE recipients (
    id             uuid PRIMARY KEY,
    message_id     uuid NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    address        text NOT NULL,
    queue_id       text,                          -- the Postfix queue file carrying this copy
    status         text NOT NULL DEFAULT 'accepted'
                   CHECK (status IN ('accepted', 'held', 'deferred', 'delivered', 'bounced',
                                     'suppressed', 'cancelled')),
    status_detail  text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (message_id, address)
);
CREATE INDEX recipients_address_idx ON recipients (lower(address));
CREATE INDEX recipients_queue_id_idx ON recipients (queue_id);

-- One row per event. `machine` flags opens/clicks by privacy proxies, prefetchers and scanners.
CREATE TABLE events (
    id              uuid PRIMARY KEY,
    occurred_at     timestamptz NOT NULL DEFAULT now(),
    type            text NOT NULL
                    CHECK (type IN ('accepted', 'deferred', 'delivered', 'bounced', 'opened',
                                    'clicked', 'unsubscribed', 'complained', 'suppressed',
                                    'held', 'released', 'cancelled')),
    message_id      uuid,
    recipient_id    uuid,
    recipient       text,
    sender          text,
    url             text,
    ip              inet,
    user_agent      text,
    machine         boolean NOT NULL DEFAULT false,
    machine_reason  text,
    details         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX events_recipient_idx ON events (recipient_id, occurred_at);
CREATE INDEX events_message_idx ON events (message_id, occurred_at);
CREATE INDEX events_type_time_idx ON events (type, occurred_at);
CREATE INDEX events_sender_time_idx ON events (lower(sender), occurred_at);

-- Who must not be mailed, by whom. scope: 'sender' (scope_value = sender address),
-- 'domain' (scope_value = sender domain) or 'global' (scope_value = '').
CREATE TABLE suppressions (
    id           bigserial PRIMARY KEY,
    recipient    text NOT NULL CHECK (recipient = lower(recipient)),
    scope        text NOT NULL CHECK (scope IN ('sender', 'domain', 'global')),
    scope_value  text NOT NULL DEFAULT '' CHECK (scope_value = lower(scope_value)),
    reason       text NOT NULL
                 CHECK (reason IN ('unsubscribed', 'hard_bounce', 'soft_bounce', 'complaint', 'manual')),
    source       text,                            -- trackd, pipe, cli, ...
    details      jsonb NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (recipient, scope, scope_value)
);
CREATE INDEX suppressions_created_idx ON suppressions (created_at);

-- Mail received for the configured inbound domains (replies, inbound routes).
CREATE TABLE inbound_messages (
    id                 uuid PRIMARY KEY,
    received_at        timestamptz NOT NULL DEFAULT now(),
    queue_id           text,
    envelope_sender    text,
    envelope_recipient text NOT NULL,
    message_id_header  text,
    from_header        text,
    to_header          text,
    subject            text,
    headers            jsonb NOT NULL DEFAULT '[]',
    text_body          text,
    html_body          text,
    attachments        jsonb NOT NULL DEFAULT '[]',
    raw                bytea NOT NULL
);
CREATE INDEX inbound_messages_received_idx ON inbound_messages (received_at);
CREATE INDEX inbound_messages_recipient_idx ON inbound_messages (lower(envelope_recipient), received_at);
