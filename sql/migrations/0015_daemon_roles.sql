-- 0015: one database role per daemon, with only the privileges that daemon's statements need.
-- The schema owner (the role of database.url, `waybill` in the package) keeps DDL, DROP and
-- everything the operator's `waybill` commands do; the daemons' roles own nothing, so a bug in
-- trackd (which faces the internet) cannot read message contents, webhook or inbound data, drop
-- a table or write outside its own few rows.
--
--   waybill_milter    records messages, recipients, links, copies, holds; reads suppressions
--   waybill_policyd   reads suppressions; releases held mail (scheduled_messages, recipients)
--   waybill_trackd    opens, clicks, unsubscribes: events and suppressions, a few columns read
--   waybill_pipe      bounces, complaints, unsubscribes, inbound mail
--   waybill_webhookd  the webhook outbox and deliveries
--   waybill_logd      Postfix's delivery log: outcomes, positions, recipient status
--
-- Roles belong to the server, not the database, and creating them needs a superuser:
-- `waybill db init` creates each (LOGIN, for peer authentication by the Unix user of the same
-- name) and then calls waybill_grant_daemon_roles(), as does every `waybill db migrate`. This
-- migration grants to the roles that exist already. A later migration that adds a table a daemon
-- uses replaces this function with one that grants it too.
--
-- Triggers that write tables the inserting role may not touch (the webhook outbox) run as the
-- schema owner (SECURITY DEFINER with a fixed search_path), like 0013's suppression trigger.

ALTER FUNCTION waybill_webhook_enqueue_events() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION waybill_webhook_enqueue_inbound() SECURITY DEFINER SET search_path = public, pg_temp;
ALTER FUNCTION waybill_notify_inbound() SECURITY DEFINER SET search_path = public, pg_temp;

-- Nobody but the owner creates objects in the schema (PostgreSQL 15's default, also on older ones).
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

-- Grants each existing daemon role its privileges, after revoking whatever it had (so a narrowed
-- grant takes effect); returns the roles granted. Idempotent.
CREATE OR REPLACE FUNCTION waybill_grant_daemon_roles() RETURNS text[]
LANGUAGE plpgsql SET search_path = public, pg_temp AS $grant$
DECLARE
    daemon  record;
    granted text[] := '{}';
BEGIN
    FOR daemon IN SELECT * FROM (VALUES
        ('waybill_milter', $sql$
            GRANT SELECT, INSERT, UPDATE ON messages, recipients, links, message_copies, message_copy_queue_ids,
                                           scheduled_messages TO waybill_milter;
            GRANT SELECT, INSERT ON events, delivery_outcomes TO waybill_milter;
            GRANT SELECT ON suppressions, suppression_deletions TO waybill_milter;
        $sql$),
        ('waybill_policyd', $sql$
            GRANT SELECT ON messages, suppressions, suppression_deletions TO waybill_policyd;
            GRANT SELECT, UPDATE ON recipients, scheduled_messages TO waybill_policyd;
            GRANT SELECT, INSERT ON events TO waybill_policyd;
        $sql$),
        ('waybill_trackd', $sql$
            GRANT SELECT (id, message_id, address, status, updated_at) ON recipients TO waybill_trackd;
            GRANT SELECT (id, envelope_sender, created_at) ON messages TO waybill_trackd;
            GRANT SELECT (id), INSERT ON events TO waybill_trackd;
            -- ON CONFLICT (recipient, scope, scope_value) reads those columns: not the reason.
            GRANT SELECT (recipient, scope, scope_value), INSERT ON suppressions TO waybill_trackd;
            GRANT USAGE ON SEQUENCE suppressions_id_seq TO waybill_trackd;
        $sql$),
        ('waybill_pipe', $sql$
            GRANT SELECT ON messages TO waybill_pipe;
            GRANT SELECT, UPDATE ON recipients TO waybill_pipe;
            GRANT SELECT, INSERT ON events, suppressions, soft_bounces, pipe_messages, inbound_messages,
                                   delivery_outcomes TO waybill_pipe;
            GRANT USAGE ON SEQUENCE suppressions_id_seq TO waybill_pipe;
        $sql$),
        ('waybill_webhookd', $sql$
            GRANT SELECT ON webhook_event_source TO waybill_webhookd;
            GRANT SELECT, INSERT, UPDATE, DELETE ON webhook_outbox, webhook_deliveries TO waybill_webhookd;
            GRANT SELECT, UPDATE ON webhook_state TO waybill_webhookd;
            GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO waybill_webhookd;
        $sql$),
        ('waybill_logd', $sql$
            GRANT SELECT ON messages, message_copy_queue_ids TO waybill_logd;
            GRANT SELECT, UPDATE ON recipients TO waybill_logd;
            GRANT SELECT, INSERT ON events, delivery_outcomes TO waybill_logd;
            GRANT SELECT, INSERT, UPDATE ON delivery_log_positions TO waybill_logd;
        $sql$)
    ) AS d(role, statements) LOOP
        CONTINUE WHEN NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = daemon.role);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', daemon.role);
        EXECUTE format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM %I', daemon.role);
        EXECUTE daemon.statements;
        granted := granted || daemon.role::text;
    END LOOP;
    RETURN granted;
END;
$grant$;

SELECT waybill_grant_daemon_roles();
