-- 0013: suppression notifications carry row ids, not addresses.
-- NOTIFY payloads are limited to 8000 bytes, and 0004's payload held the recipient and scope
-- value: a bounced address of ~7.9 KB made pg_notify fail and rolled back the transaction that
-- stored it, on every retry. Now each change announces only an id, and the listeners (policyd,
-- the milter) fetch the rows by id:
--   {"op":"upsert","id":N}  the suppressions row N was inserted or updated: read it there
--   {"op":"delete","id":N}  a row left the list: its key (recipient, scope, scope_value) is row
--                           N of suppression_deletions, a short-lived log kept one hour
--   {"op":"reload"}         TRUNCATE: load the whole list again (unchanged)
-- A listener that finds a deletion row gone (it was away over an hour) reloads the whole list,
-- as it does after any reconnect. The trigger runs as the schema owner (SECURITY DEFINER), so a
-- role that may change `suppressions` needs no grant on the log; listeners need SELECT on it.

CREATE TABLE suppression_deletions (
    id           bigserial PRIMARY KEY,
    recipient    text NOT NULL,
    scope        text NOT NULL,
    scope_value  text NOT NULL,
    deleted_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX suppression_deletions_deleted_idx ON suppression_deletions (deleted_at);

CREATE OR REPLACE FUNCTION waybill_notify_suppression() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
    deletion_id bigint;
BEGIN
    -- A DELETE, or an UPDATE that moves a row to another key, removes the old key first.
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND (OLD.recipient, OLD.scope, OLD.scope_value)
                                                 IS DISTINCT FROM (NEW.recipient, NEW.scope, NEW.scope_value)) THEN
        DELETE FROM suppression_deletions WHERE deleted_at < now() - interval '1 hour';
        INSERT INTO suppression_deletions (recipient, scope, scope_value)
        VALUES (OLD.recipient, OLD.scope, OLD.scope_value) RETURNING id INTO deletion_id;
        PERFORM pg_notify('waybill_suppressions', json_build_object('op', 'delete', 'id', deletion_id)::text);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('waybill_suppressions', json_build_object('op', 'upsert', 'id', NEW.id)::text);
    END IF;
    RETURN NULL;
END;
$$;
