-- 0011: delivery attempts from Postfix's own log (waybill-logd).
--
-- 1. delivery_log_positions: how far waybill-logd has read, per log file it follows. It is
--    written in the same transaction as the events of the lines it covers, so after a crash or a
--    database outage the reader resumes exactly after the last committed line: no line is
--    stored twice and none is skipped.
-- 2. message_copy_queue_ids: the Postfix queue id of each per-recipient copy the milter
--    re-injected. The copy passes the milter while (or before) the original transaction records
--    its recipients, so the copy's queue id is kept here, where no row has to exist yet;
--    recipients.queue_id is also set when the row is already there.
-- 3. delivery_outcomes: the one dedupe key of final delivery outcomes. Postfix reports a bounce
--    twice (its log line, and the DSN it mails to the VERP return path, which waybill-pipe reads;
--    the DSN's X-Postfix-Queue-ID names the queue file). Whoever stores `bounced` (or `delivered`)
--    for a recipient in a queue file first claims '<type>/<recipient id>/<queue id>', and the
--    other stores no second event. A recipient has one final outcome per queue file; a remote
--    server's later bounce names no queue file of ours and is stored as before.
-- 4. recipients.delivery_attempts counts the attempts logged for the row (the attempt number in
--    each event's details).

CREATE TABLE delivery_log_positions (
    log_file     text PRIMARY KEY,           -- 'HOST:PATH' of the file followed ([logd] log_file)
    device       bigint NOT NULL,            -- identity of the file read (st_dev, st_ino): a
    inode        bigint NOT NULL,            -- rotated file keeps it under its new name
    byte_offset  bigint NOT NULL,            -- end of the last line whose events are committed
    last_line    text NOT NULL DEFAULT '',   -- digest of that line: a batch whose commit was
                                             -- acknowledged too late is recognised, not redone
    line_time    timestamptz,                -- time of that line, as logged
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE message_copy_queue_ids (
    queue_id      text NOT NULL,
    recipient_id  uuid NOT NULL,
    message_id    uuid NOT NULL,
    recorded_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (queue_id, recipient_id)
);
CREATE INDEX message_copy_queue_ids_recipient_idx ON message_copy_queue_ids (recipient_id);

CREATE TABLE delivery_outcomes (
    dedupe_key   text PRIMARY KEY,           -- '<delivered|bounced>/<recipient id>/<queue id>'
    source       text NOT NULL,              -- log | pipe
    recorded_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE recipients ADD COLUMN delivery_attempts integer NOT NULL DEFAULT 0;

-- Reporting (docs/reporting.md). Deferred attempts per sender, UTC day, receiving domain and
-- reply: the remote server's words without Postfix's "host X[ip] said: " and "(in reply to ...)"
-- wrapping, so equal replies from different hosts of one provider count together.
CREATE VIEW report_deferral_replies AS
SELECT lower(e.sender) AS sender,
       (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
       lower(split_part(e.recipient, '@', 2)) AS receiving_domain,
       left(regexp_replace(regexp_replace(coalesce(e.details->>'reply', ''), '^host \S+ said: ', ''),
                           ' \(in reply to [^)]*\)$', ''), 300) AS reply,
       count(*) AS attempts,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) AS recipients
FROM events e
WHERE e.type = 'deferred' AND e.sender IS NOT NULL
GROUP BY 1, 2, 3, 4;

-- Time from acceptance (the recipients row) to the delivered event of each delivered copy.
CREATE VIEW report_delivery_times AS
SELECT lower(e.sender) AS sender,
       (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
       lower(split_part(e.recipient, '@', 2)) AS receiving_domain,
       e.recipient_id,
       greatest(e.occurred_at - r.created_at, interval '0') AS time_to_delivery
FROM events e
JOIN recipients r ON r.id = e.recipient_id
WHERE e.type = 'delivered' AND e.sender IS NOT NULL;
