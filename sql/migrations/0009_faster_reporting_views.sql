-- 0009: report_sender_daily and waybill_report_summary de-duplicate once (issue 9).
--
-- 0006 counted unique message copies with ten count(DISTINCT waybill_copy_key(...)) FILTER (...)
-- aggregates, which PostgreSQL evaluates as ten separate sorts of the group's rows (spilling to
-- disk with the default work_mem for a busy sender). Now an inner GROUP BY produces one row per
-- (sender, day, type, machine, bounce class, copy) with its number of events, and one outer
-- aggregate counts those rows with FILTER: a single hash (or sort) aggregate instead of ten sorts.
-- Same results, same columns (names, types and order), so CREATE OR REPLACE keeps analysts'
-- queries and `waybill report` working, and nothing is rewritten in events: safe on a populated
-- database (it only takes a brief lock on the view and function).
--
-- The copy key only matters for the kinds counted uniquely; accepted and suppressed are counted
-- per event, so their key is left NULL and each day's accepted (suppressed) events fold into one
-- inner group whose event count the outer query sums. count(copy) ignores NULL keys just as
-- count(DISTINCT key) did.
--
-- A `WHERE sender = ... AND day >= ...` on the view still reaches the scan: both are grouping
-- columns of both levels, so PostgreSQL pushes them through the two GROUP BYs into the WHERE on
-- events, where they match events_sender_day_idx (lower(sender), UTC day) in each partition.

CREATE OR REPLACE VIEW report_sender_daily AS
SELECT c.sender,
       c.day,
       COALESCE(sum(c.events) FILTER (WHERE c.type = 'accepted'), 0)::bigint AS accepted,
       count(c.copy) FILTER (WHERE c.type = 'delivered') AS delivered,
       count(c.copy) FILTER (WHERE c.type = 'deferred') AS deferred,
       count(c.copy) FILTER (WHERE c.type = 'bounced' AND c.bounce_class = 'hard') AS bounced_hard,
       count(c.copy) FILTER (WHERE c.type = 'bounced' AND c.bounce_class = 'soft') AS bounced_soft,
       count(c.copy) FILTER (WHERE c.type = 'opened' AND NOT c.machine) AS opened_human,
       count(c.copy) FILTER (WHERE c.type = 'opened' AND c.machine) AS opened_machine,
       count(c.copy) FILTER (WHERE c.type = 'clicked' AND NOT c.machine) AS clicked_human,
       count(c.copy) FILTER (WHERE c.type = 'clicked' AND c.machine) AS clicked_machine,
       count(c.copy) FILTER (WHERE c.type = 'unsubscribed') AS unsubscribed,
       count(c.copy) FILTER (WHERE c.type = 'complained') AS complained,
       COALESCE(sum(c.events) FILTER (WHERE c.type = 'suppressed'), 0)::bigint AS suppressed
FROM (SELECT lower(e.sender) AS sender,
             (e.occurred_at AT TIME ZONE 'UTC')::date AS day,
             e.type,
             e.machine,
             CASE WHEN e.type = 'bounced' THEN waybill_bounce_class(e.details) END AS bounce_class,
             CASE WHEN e.type NOT IN ('accepted', 'suppressed')
                  THEN waybill_copy_key(e.recipient_id, e.message_id, e.recipient) END AS copy,
             count(*) AS events
      FROM events e
      WHERE e.sender IS NOT NULL
      GROUP BY 1, 2, 3, 4, 5, 6) c
GROUP BY 1, 2;

-- Same shape for the period totals (uniques over the whole period, no day in the inner key).
-- Still a single-SELECT STABLE SQL function, so PostgreSQL inlines it and plans it with the
-- caller's values: the occurred_at range prunes partitions, the sender uses the expression index.
CREATE OR REPLACE FUNCTION waybill_report_summary(p_since timestamptz, p_until timestamptz, p_sender text DEFAULT NULL)
RETURNS TABLE (sender text, accepted bigint, delivered bigint, deferred bigint, bounced_hard bigint,
               bounced_soft bigint, opened_human bigint, opened_machine bigint, clicked_human bigint,
               clicked_machine bigint, unsubscribed bigint, complained bigint, suppressed bigint)
LANGUAGE sql STABLE AS $$
    SELECT c.sender,
           COALESCE(sum(c.events) FILTER (WHERE c.type = 'accepted'), 0)::bigint,
           count(c.copy) FILTER (WHERE c.type = 'delivered'),
           count(c.copy) FILTER (WHERE c.type = 'deferred'),
           count(c.copy) FILTER (WHERE c.type = 'bounced' AND c.bounce_class = 'hard'),
           count(c.copy) FILTER (WHERE c.type = 'bounced' AND c.bounce_class = 'soft'),
           count(c.copy) FILTER (WHERE c.type = 'opened' AND NOT c.machine),
           count(c.copy) FILTER (WHERE c.type = 'opened' AND c.machine),
           count(c.copy) FILTER (WHERE c.type = 'clicked' AND NOT c.machine),
           count(c.copy) FILTER (WHERE c.type = 'clicked' AND c.machine),
           count(c.copy) FILTER (WHERE c.type = 'unsubscribed'),
           count(c.copy) FILTER (WHERE c.type = 'complained'),
           COALESCE(sum(c.events) FILTER (WHERE c.type = 'suppressed'), 0)::bigint
    FROM (SELECT lower(e.sender) AS sender,
                 e.type,
                 e.machine,
                 CASE WHEN e.type = 'bounced' THEN waybill_bounce_class(e.details) END AS bounce_class,
                 CASE WHEN e.type NOT IN ('accepted', 'suppressed')
                      THEN waybill_copy_key(e.recipient_id, e.message_id, e.recipient) END AS copy,
                 count(*) AS events
          FROM events e
          WHERE e.sender IS NOT NULL
            AND (p_sender IS NULL OR lower(e.sender) = lower(p_sender))
            AND e.occurred_at >= p_since AND e.occurred_at < p_until
          GROUP BY 1, 2, 3, 4, 5) c
    GROUP BY 1
    ORDER BY 1
$$;
