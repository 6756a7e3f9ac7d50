-- 0021: waybill_apid, the database role of waybill-apid (the HTTP submission API). It checks keys
-- (and moves last_used_at), keeps Idempotency-Key answers, reads the messages, recipients and
-- events of its applications, and adds or lifts their suppressions; nothing else. Messages are
-- recorded by the milter, never by apid. `waybill db init` creates the role; every grant
-- function call (db init, db migrate) revokes what it had and grants this.
INSERT INTO waybill_daemon_grants VALUES
    ('waybill_apid', 'GRANT SELECT, UPDATE (last_used_at) ON api_keys TO waybill_apid'),
    ('waybill_apid', 'GRANT SELECT, INSERT, UPDATE, DELETE ON api_idempotency TO waybill_apid'),
    ('waybill_apid', 'GRANT SELECT ON messages, recipients, events TO waybill_apid'),
    ('waybill_apid', 'GRANT SELECT, INSERT, UPDATE, DELETE ON suppressions TO waybill_apid'),
    ('waybill_apid', 'GRANT USAGE ON SEQUENCE suppressions_id_seq TO waybill_apid');

ALTER FUNCTION waybill_grant_daemon_roles() RENAME TO waybill_grant_daemon_roles_0017;
CREATE FUNCTION waybill_grant_daemon_roles() RETURNS text[]
LANGUAGE plpgsql SET search_path = public, pg_temp AS $grant$
DECLARE
    granted text[] := waybill_grant_daemon_roles_0017();
    extra   record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'waybill_apid') THEN
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM waybill_apid;
        REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM waybill_apid;
        FOR extra IN SELECT * FROM waybill_daemon_grants WHERE role = 'waybill_apid' ORDER BY statement LOOP
            EXECUTE extra.statement;
        END LOOP;
        granted := granted || 'waybill_apid'::text;
    END IF;
    RETURN granted;
END;
$grant$;

SELECT waybill_grant_daemon_roles();
