-- 0007: `events` becomes a table partitioned by month of occurred_at (UTC), so old months are
-- dropped whole (`waybill db prune --older-than 13months`) and queries over recent days read only
-- recent partitions. Every row is copied; columns, defaults, indexes, triggers, sequences and views
-- that other migrations added to `events` are carried over, whatever they are.
--
-- A unique key on a partitioned table must contain the partition key, so the primary key is now
-- (id, occurred_at). Idempotent writers use `INSERT ... ON CONFLICT DO NOTHING` with no conflict
-- target (or `ON CONFLICT (id, occurred_at)`), and set occurred_at themselves so that a retry
-- carries the same value; `ON CONFLICT (id)` no longer has a matching constraint and fails.
--
-- Partitions are named events_pYYYY_MM. events_default catches rows of months without a partition
-- (nothing is ever refused); waybill_events_ensure_partitions() moves them out when it creates
-- their month. The migration creates partitions for every month holding rows and 12 months ahead;
-- `waybill db prune` keeps 12 months ahead.

-- Name of the partition holding a month (any instant within the month, UTC).
CREATE FUNCTION waybill_events_partition_name(p_month timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'events_p' || to_char(p_month AT TIME ZONE 'UTC', 'YYYY_MM')
$$;

-- Creates the partition of one month if missing, moving that month's rows out of events_default.
CREATE FUNCTION waybill_events_create_partition(p_month timestamptz) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    month_start timestamptz := date_trunc('month', p_month AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    month_end   timestamptz := (date_trunc('month', p_month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    part        text := waybill_events_partition_name(p_month);
BEGIN
    IF to_regclass(quote_ident(part)) IS NOT NULL THEN
        RETURN false;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
    -- Attaching checks that events_default holds no row of the month: move them first.
    EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE occurred_at >= %L AND occurred_at < %L RETURNING *)'
                   ' INSERT INTO %I SELECT * FROM moved', month_start, month_end, part);
    EXECUTE format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   part, month_start, month_end);
    RETURN true;
END;
$$;

-- Creates the monthly partitions from p_from's month to p_to's month; returns how many were new.
CREATE FUNCTION waybill_events_ensure_partitions(p_from timestamptz, p_to timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    month   timestamptz := date_trunc('month', p_from AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    created integer := 0;
BEGIN
    WHILE month <= p_to LOOP
        IF waybill_events_create_partition(month) THEN
            created := created + 1;
        END IF;
        month := ((month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    END LOOP;
    RETURN created;
END;
$$;

DO $migrate$
DECLARE
    view_rec  record;
    def       text;
    index_defs   text[];
    trigger_defs text[];
    month     timestamptz;
    seq       record;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_constraint WHERE confrelid = 'events'::regclass) THEN
        RAISE EXCEPTION 'a foreign key references events; it cannot survive partitioning (PRIMARY KEY becomes (id, occurred_at))';
    END IF;

    -- Views over events (and views over those), deepest last, to recreate them in order.
    CREATE TEMP TABLE saved_views ON COMMIT DROP AS
    WITH RECURSIVE dependents(oid, depth) AS (
        SELECT r.ev_class, 1
        FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
        WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = 'events'::regclass
          AND r.ev_class <> 'events'::regclass
        UNION ALL
        SELECT r.ev_class, dep.depth + 1
        FROM dependents dep
        JOIN pg_depend d ON d.refobjid = dep.oid AND d.classid = 'pg_rewrite'::regclass
        JOIN pg_rewrite r ON r.oid = d.objid AND r.ev_class <> dep.oid
    )
    SELECT c.oid, n.nspname, c.relname, max(dep.depth) AS depth, pg_get_viewdef(c.oid) AS definition,
           obj_description(c.oid, 'pg_class') AS comment
    FROM dependents dep JOIN pg_class c ON c.oid = dep.oid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'v'
    GROUP BY c.oid, n.nspname, c.relname;

    SELECT array_agg(pg_get_indexdef(i.indexrelid)) INTO index_defs
    FROM pg_index i
    WHERE i.indrelid = 'events'::regclass
      AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid);
    SELECT array_agg(pg_get_triggerdef(t.oid)) INTO trigger_defs
    FROM pg_trigger t WHERE t.tgrelid = 'events'::regclass AND NOT t.tgisinternal;

    FOR view_rec IN SELECT * FROM saved_views ORDER BY depth DESC LOOP
        EXECUTE format('DROP VIEW IF EXISTS %I.%I', view_rec.nspname, view_rec.relname);
    END LOOP;

    ALTER TABLE events RENAME TO events_unpartitioned;
    FOR def IN SELECT indexrelid::regclass::text FROM pg_index WHERE indrelid = 'events_unpartitioned'::regclass LOOP
        EXECUTE format('ALTER INDEX %s RENAME TO %I', def, 'old_' || md5(def));
    END LOOP;

    CREATE TABLE events (
        LIKE events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING IDENTITY
                                  INCLUDING GENERATED INCLUDING COMMENTS INCLUDING STORAGE,
        PRIMARY KEY (id, occurred_at)
    ) PARTITION BY RANGE (occurred_at);
    CREATE TABLE events_default PARTITION OF events DEFAULT;

    FOR month IN SELECT DISTINCT date_trunc('month', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
                 FROM events_unpartitioned LOOP
        PERFORM waybill_events_create_partition(month);
    END LOOP;
    PERFORM waybill_events_ensure_partitions(now(), now() + interval '12 months');

    INSERT INTO events OVERRIDING SYSTEM VALUE SELECT * FROM events_unpartitioned;

    -- Sequences behind serial columns belong to the old table: hand them over before dropping it.
    FOR seq IN SELECT s.relname AS seqname, a.attname
               FROM pg_depend d JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
               JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
               WHERE d.refobjid = 'events_unpartitioned'::regclass AND d.deptype = 'a' LOOP
        EXECUTE format('ALTER SEQUENCE %I OWNED BY events.%I', seq.seqname, seq.attname);
    END LOOP;
    -- Identity columns got a fresh sequence: continue after the highest copied value.
    FOR seq IN SELECT attname FROM pg_attribute
               WHERE attrelid = 'events'::regclass AND attidentity <> '' AND NOT attisdropped LOOP
        EXECUTE format('SELECT setval(pg_get_serial_sequence(''events'', %L), COALESCE(max(%I), 0) + 1, false) FROM events',
                       seq.attname, seq.attname);
    END LOOP;

    DROP TABLE events_unpartitioned;

    -- Indexes after the bulk copy (faster); triggers after it (so it fires none of them).
    FOREACH def IN ARRAY COALESCE(index_defs, '{}') LOOP
        EXECUTE def;
    END LOOP;
    FOREACH def IN ARRAY COALESCE(trigger_defs, '{}') LOOP
        EXECUTE def;
    END LOOP;
    FOR view_rec IN SELECT * FROM saved_views ORDER BY depth LOOP
        EXECUTE format('CREATE VIEW %I.%I AS %s', view_rec.nspname, view_rec.relname, view_rec.definition);
        IF view_rec.comment IS NOT NULL THEN
            EXECUTE format('COMMENT ON VIEW %I.%I IS %L', view_rec.nspname, view_rec.relname, view_rec.comment);
        END IF;
    END LOOP;
END;
$migrate$;

ANALYZE events;
