-- 0006: reporting views analysts query directly (documented with example queries in
-- docs/reporting.md). Days are UTC calendar days; senders are lower-cased envelope senders as
-- submitted (before VERP), taken from events.sender, which every event writer fills.
--
-- details keys the views read (writers must use these names):
--   bounced/deferred: reason (sisimai vocabulary), bounce_class ('hard'|'soft'; `class` or a
--                     boolean `hard`/`hard_bounce`/`hardbounce` are accepted too), status
--                     (RFC 3463), remote_mta
--   clicked:          the url column (not details)
-- "Unique" counts count message copies (one recipient of one message), so a person who opens the
-- same message five times counts once, and machine opens (machine = true) never count as human.

-- A bounce's class from whichever key its writer used; sisimai's default for an unknown reason
-- is soft, so a bounce without a class is soft.
CREATE FUNCTION waybill_bounce_class(details jsonb) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN details->>'bounce_class' IN ('hard', 'soft') THEN details->>'bounce_class'
        WHEN details->>'class' IN ('hard', 'soft') THEN details->>'class'
        WHEN 'true' IN (details->>'hard', details->>'hard_bounce', details->>'hardbounce') THEN 'hard'
        ELSE 'soft'
    END
$$;

-- The message copy an event belongs to: the recipient row when known, else message + address.
CREATE FUNCTION waybill_copy_key(recipient_id uuid, message_id uuid, recipient text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE(recipient_id::text, message_id::text || ' ' || lower(recipient), lower(recipient))
$$;

-- Lets the per-sender views find one sender's days without reading its other days.
CREATE INDEX events_sender_day_idx ON events (lower(sender), ((occurred_at AT TIME ZONE 'UTC')::date));

-- Per sender and UTC day: what happened that day. Unique counts are unique within the day.
CREATE VIEW report_sender_daily AS
SELECT lower(e.sender) AS sender,
       (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
       count(*) FILTER (WHERE e.type = 'accepted') AS accepted,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'delivered') AS delivered,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'deferred') AS deferred,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'bounced' AND waybill_bounce_class(e.details) = 'hard') AS bounced_hard,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'bounced' AND waybill_bounce_class(e.details) = 'soft') AS bounced_soft,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'opened' AND NOT e.machine) AS opened_human,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'opened' AND e.machine) AS opened_machine,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'clicked' AND NOT e.machine) AS clicked_human,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'clicked' AND e.machine) AS clicked_machine,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'unsubscribed') AS unsubscribed,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.type = 'complained') AS complained,
       count(*) FILTER (WHERE e.type = 'suppressed') AS suppressed
FROM events e
WHERE e.sender IS NOT NULL
GROUP BY 1, 2;

-- Every event of a message in order, with the message's subject and the bounce fields spelled out.
CREATE VIEW report_message_timeline AS
SELECT e.message_id,
       m.subject,
       lower(e.sender) AS sender,
       lower(e.recipient) AS recipient,
       e.recipient_id,
       e.occurred_at,
       e.occurred_at - m.created_at AS after_submission,
       e.type,
       e.machine,
       e.machine_reason,
       e.url,
       CASE WHEN e.type = 'bounced' THEN waybill_bounce_class(e.details) END AS bounce_class,
       e.details->>'reason' AS reason,
       e.details->>'status' AS status,
       e.details->>'remote_mta' AS remote_mta,
       e.id AS event_id
FROM events e
LEFT JOIN messages m ON m.id = e.message_id;

-- Bounces per sender, day, receiving domain, class and reason (unique message copies).
CREATE VIEW report_bounce_reasons AS
SELECT lower(e.sender) AS sender,
       (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
       lower(split_part(e.recipient, '@', 2)) AS receiving_domain,
       waybill_bounce_class(e.details) AS bounce_class,
       COALESCE(NULLIF(e.details->>'reason', ''), 'undefined') AS reason,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) AS bounces,
       min(e.details->>'status') AS example_status
FROM events e
WHERE e.type = 'bounced' AND e.sender IS NOT NULL
GROUP BY 1, 2, 3, 4, 5;

-- Clicks per sender, day and URL: all clicks, and unique message copies, human and machine apart.
CREATE VIEW report_link_performance AS
SELECT lower(e.sender) AS sender,
       (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
       e.url,
       count(*) FILTER (WHERE NOT e.machine) AS clicks_human,
       count(*) FILTER (WHERE e.machine) AS clicks_machine,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE NOT e.machine) AS unique_human,
       count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
           FILTER (WHERE e.machine) AS unique_machine,
       min(e.occurred_at) AS first_click,
       max(e.occurred_at) AS last_click
FROM events e
WHERE e.type = 'clicked' AND e.url IS NOT NULL AND e.sender IS NOT NULL
GROUP BY 1, 2, 3;

-- Suppressions added per UTC day, scope and reason, with the running total of that scope value
-- and reason. Rows removed later (waybill suppress remove) no longer count anywhere.
CREATE VIEW report_suppression_growth AS
SELECT day, scope, scope_value, reason, added,
       sum(added) OVER (PARTITION BY scope, scope_value, reason ORDER BY day) AS total
FROM (SELECT (created_at AT TIME ZONE 'UTC')::date AS day, scope, scope_value, reason,
             count(*) AS added
      FROM suppressions
      GROUP BY 1, 2, 3, 4) daily;

-- Totals for a period, with uniques over the whole period (summing report_sender_daily would
-- count a recipient who opens on two days twice). p_sender NULL means every sender.
CREATE FUNCTION waybill_report_summary(p_since timestamptz, p_until timestamptz, p_sender text DEFAULT NULL)
RETURNS TABLE (sender text, accepted bigint, delivered bigint, deferred bigint, bounced_hard bigint,
               bounced_soft bigint, opened_human bigint, opened_machine bigint, clicked_human bigint,
               clicked_machine bigint, unsubscribed bigint, complained bigint, suppressed bigint)
LANGUAGE sql STABLE AS $$
    SELECT lower(e.sender),
           count(*) FILTER (WHERE e.type = 'accepted'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'delivered'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'deferred'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
               FILTER (WHERE e.type = 'bounced' AND waybill_bounce_class(e.details) = 'hard'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient))
               FILTER (WHERE e.type = 'bounced' AND waybill_bounce_class(e.details) = 'soft'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'opened' AND NOT e.machine),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'opened' AND e.machine),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'clicked' AND NOT e.machine),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'clicked' AND e.machine),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'unsubscribed'),
           count(DISTINCT waybill_copy_key(e.recipient_id, e.message_id, e.recipient)) FILTER (WHERE e.type = 'complained'),
           count(*) FILTER (WHERE e.type = 'suppressed')
    FROM events e
    WHERE e.sender IS NOT NULL
      AND (p_sender IS NULL OR lower(e.sender) = lower(p_sender))
      AND e.occurred_at >= p_since AND e.occurred_at < p_until
    GROUP BY 1
    ORDER BY 1
$$;
