-- 0004: what waybill-policyd needs.
-- 1. Every change to `suppressions` is announced on channel `waybill_suppressions`, so each
--    policyd applies it to its in-memory list within a second instead of reloading the list.
--    The payload is the changed row as JSON (recipient addresses are short; NOTIFY allows 8000
--    bytes). TRUNCATE announces {"op":"reload"}.
-- 2. `scheduled_messages`: messages the milter put on hold because X-Waybill-Send-At lies in the
--    future; policyd's scheduler releases them from Postfix's hold queue when due.

CREATE FUNCTION waybill_notify_suppression() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed suppressions;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := OLD;
    ELSE
        changed := NEW;
    END IF;
    -- An UPDATE that moves a row to another recipient/scope removes the old one first.
    IF TG_OP = 'UPDATE' AND (OLD.recipient, OLD.scope, OLD.scope_value)
                            IS DISTINCT FROM (NEW.recipient, NEW.scope, NEW.scope_value) THEN
        PERFORM pg_notify('waybill_suppressions', json_build_object(
            'op', 'delete', 'recipient', OLD.recipient, 'scope', OLD.scope,
            'scope_value', OLD.scope_value, 'reason', OLD.reason,
            'since', floor(extract(epoch FROM OLD.created_at)))::text);
    END IF;
    PERFORM pg_notify('waybill_suppressions', json_build_object(
        'op', CASE TG_OP WHEN 'DELETE' THEN 'delete' ELSE 'upsert' END,
        'recipient', changed.recipient, 'scope', changed.scope,
        'scope_value', changed.scope_value, 'reason', changed.reason,
        'since', floor(extract(epoch FROM changed.created_at)))::text);
    RETURN NULL;
END;
$$;

CREATE TRIGGER suppressions_notify
    AFTER INSERT OR UPDATE OR DELETE ON suppressions
    FOR EACH ROW EXECUTE FUNCTION waybill_notify_suppression();

CREATE FUNCTION waybill_notify_suppression_reload() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('waybill_suppressions', '{"op":"reload"}');
    RETURN NULL;
END;
$$;

CREATE TRIGGER suppressions_notify_truncate
    AFTER TRUNCATE ON suppressions
    FOR EACH STATEMENT EXECUTE FUNCTION waybill_notify_suppression_reload();

-- One row per message put on hold until its time. queue_id is the Postfix queue file in the
-- hold queue; status moves held -> released | cancelled (or failed, with the reason in detail).
CREATE TABLE scheduled_messages (
    message_id   uuid PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    queue_id     text NOT NULL,
    host         text NOT NULL DEFAULT '',        -- the Postfix host holding it (queue ids are per host)
    send_at      timestamptz NOT NULL,
    status       text NOT NULL DEFAULT 'held'
                 CHECK (status IN ('held', 'released', 'cancelled', 'failed')),
    detail       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX scheduled_messages_due_idx ON scheduled_messages (host, send_at) WHERE status = 'held';
CREATE INDEX scheduled_messages_queue_id_idx ON scheduled_messages (queue_id);
