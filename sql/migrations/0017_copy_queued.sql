-- 0017: a per-recipient copy's queue file as Postfix's queue manager saw it.
-- waybill-logd sets queued_at when qmgr logs "<queue id>: from=<...>, size=..., nrcpt=...
-- (queue active)" for a copy's queue id: the file was committed. A transaction retried after
-- the copy listener went away with a copy's answer (message_copies.confirmed = false) then
-- skips that copy instead of sending it a second time.
ALTER TABLE message_copy_queue_ids ADD COLUMN queued_at timestamptz;

-- Grants added after 0015, per daemon role: waybill_grant_daemon_roles() (what `waybill db
-- init` and every `waybill db migrate` call) runs 0015's grants, then these. A later migration
-- that widens a role adds rows here.
CREATE TABLE waybill_daemon_grants (
    role       text NOT NULL,
    statement  text NOT NULL,
    PRIMARY KEY (role, statement)
);
INSERT INTO waybill_daemon_grants VALUES
    ('waybill_logd', 'GRANT UPDATE (queued_at) ON message_copy_queue_ids TO waybill_logd');

ALTER FUNCTION waybill_grant_daemon_roles() RENAME TO waybill_grant_daemon_roles_0015;
CREATE FUNCTION waybill_grant_daemon_roles() RETURNS text[]
LANGUAGE plpgsql SET search_path = public, pg_temp AS $grant$
DECLARE
    granted text[] := waybill_grant_daemon_roles_0015();
    extra   record;
BEGIN
    FOR extra IN SELECT * FROM waybill_daemon_grants WHERE role = ANY(granted) ORDER BY role, statement LOOP
        EXECUTE extra.statement;
    END LOOP;
    RETURN granted;
END;
$grant$;

SELECT waybill_grant_daemon_roles();
