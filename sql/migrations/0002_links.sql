-- 0002: what waybill-milter rewrote, for reporting, and the copies it re-injected.

-- One row per tracked link of one recipient's copy, in the order the links appear (text part
-- first, then HTML, as the MIME walker meets them). A click event's url matches one of these.
CREATE TABLE links (
    recipient_id  uuid NOT NULL,
    position      integer NOT NULL,
    message_id    uuid NOT NULL,
    url           text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (recipient_id, position)
);
CREATE INDEX links_message_idx ON links (message_id);

-- One row per per-recipient copy re-injected through sendmail: the idempotency record that keeps
-- a retried SMTP transaction from delivering a recipient twice. Ids are derived from the message
-- (see milter/stages/track_links.h), so a retry finds the rows of its earlier attempt.
CREATE TABLE message_copies (
    recipient_id  uuid PRIMARY KEY,
    message_id    uuid NOT NULL,
    address       text NOT NULL,
    injected_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_copies_message_idx ON message_copies (message_id);
