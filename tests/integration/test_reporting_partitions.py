"""Issue 9: converting a populated pre-partitioning database keeps every row; the partitioned
`events` stays idempotent for writers, never refuses a row, and `waybill db prune` drops whole
old months only."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig  # noqa: E402

MIGRATIONS = Path(os.environ.get("WAYBILL_MIGRATIONS_DIR",
                                 Path(__file__).resolve().parents[2] / "sql" / "migrations"))

# Rows spread over 20 months before today and 2 after, every event type, machine flags, details.
POPULATE = """
INSERT INTO messages (id, envelope_sender, subject, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 's' || (g % 3) || '@s.test',
       'subject ' || g, now() - (g * interval '1 day')
FROM generate_series(1, 500) g;
INSERT INTO recipients (id, message_id, address)
SELECT gen_random_uuid(), m.id, 'r' || k || '@d' || (k % 4) || '.test'
FROM messages m, generate_series(1, 3) k;
INSERT INTO events (id, occurred_at, type, message_id, recipient_id, recipient, sender, url, machine, details)
SELECT gen_random_uuid(), now() - (g * interval '97 minutes') + interval '60 days',
       (ARRAY['accepted','deferred','delivered','bounced','opened','clicked','unsubscribed','complained',
              'suppressed','held','released','cancelled'])[1 + g % 12],
       r.message_id, r.id, r.address, 's' || (g % 3) || '@s.test',
       CASE WHEN g % 12 = 5 THEN 'https://x.test/' || (g % 7) END, g % 5 = 0,
       jsonb_build_object('n', g, 'bounce_class', CASE WHEN g % 2 = 0 THEN 'hard' ELSE 'soft' END)
FROM generate_series(1, 10000) g
JOIN LATERAL (SELECT id, message_id, address FROM recipients ORDER BY id OFFSET g % 1500 LIMIT 1) r ON true;
INSERT INTO suppressions (recipient, scope, scope_value, reason)
SELECT 'r' || g || '@d.test', 'global', '', 'manual' FROM generate_series(1, 40) g;
INSERT INTO inbound_messages (id, envelope_recipient, raw)
SELECT gen_random_uuid(), 'in' || g || '@in.test', 'raw'::bytea FROM generate_series(1, 10) g;
"""

# A fingerprint of every row of every table over the columns 0001 created (later migrations may
# add columns): equal before and after means nothing was lost or changed.
COLUMNS_0001 = {
    "messages": "id, queue_id, message_id_header, envelope_sender, from_header, subject, tags, track_mode,"
                " submitted_via, client_address, size_bytes, created_at",
    "recipients": "id, message_id, address, queue_id, status, status_detail, created_at, updated_at",
    "events": "id, occurred_at, type, message_id, recipient_id, recipient, sender, url, ip, user_agent, machine,"
              " machine_reason, details",
    "suppressions": "id, recipient, scope, scope_value, reason, source, details, created_at",
    "inbound_messages": "id, received_at, queue_id, envelope_sender, envelope_recipient, message_id_header,"
                        " from_header, to_header, subject, headers, text_body, html_body, attachments, raw",
}
FINGERPRINTS = {
    table: f"SELECT count(*), md5(string_agg(md5(row({columns})::text), '' ORDER BY md5(row({columns})::text)))"
           f" FROM {table}"
    for table, columns in COLUMNS_0001.items()
}


def waybill(binary: Path, url: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([binary, "--database.url", url, *args], capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def migrated(waybill_bin, tmp_path_factory):
    """A database populated under the 0001 schema, then migrated; yields (rig, before, waybill)."""
    binary = waybill_bin("waybill")
    only_initial = tmp_path_factory.mktemp("migrations-0001")
    shutil.copy(MIGRATIONS / "0001_initial.sql", only_initial)
    with Rig(postfix=False) as rig:
        first = waybill(binary, rig.pg.url, "db", "migrate", "--migrations", str(only_initial))
        assert first.returncode == 0, first.stderr
        rig.pg.execute(POPULATE)
        before = {t: rig.pg.query(q)[0] for t, q in FINGERPRINTS.items()}
        full = waybill(binary, rig.pg.url, "db", "migrate", "--migrations", str(MIGRATIONS))
        assert full.returncode == 0, full.stderr
        assert "0007_partition_events.sql" in full.stdout
        yield rig, before, binary


def partitions(pg) -> list[str]:
    return [r[0] for r in pg.query("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                                   " WHERE i.inhparent = 'events'::regclass ORDER BY 1")]


def test_migration_keeps_every_row(migrated):
    rig, before, _ = migrated
    assert before["events"][0] == 10000
    after = {t: rig.pg.query(q)[0] for t, q in FINGERPRINTS.items()}
    assert after == before
    assert rig.pg.query("SELECT relkind FROM pg_class WHERE relname = 'events'") == [("p",)]
    # Rows sit in their months' partitions, none left in the default one.
    assert rig.pg.query("SELECT count(*) FROM events_default") == [(0,)]
    assert len(partitions(rig.pg)) >= 17


def test_views_work_on_the_migrated_table(migrated):
    rig, _, _ = migrated
    total = rig.pg.query("SELECT sum(accepted) FROM report_sender_daily")[0][0]
    assert total == rig.pg.query("SELECT count(*) FROM events WHERE type = 'accepted'")[0][0] > 0


def test_writers_stay_idempotent_without_a_conflict_target(migrated):
    rig, _, _ = migrated
    event_id = str(uuid.uuid4())
    insert = ("INSERT INTO events (id, occurred_at, type, sender) VALUES (%s, '2026-01-15 10:00:00+00', 'opened',"
              " 'retry@s.test') ON CONFLICT DO NOTHING")
    assert rig.pg.execute(insert, (event_id,)) == 1
    assert rig.pg.execute(insert, (event_id,)) == 0
    assert rig.pg.execute(insert.replace("DO NOTHING", "(id, occurred_at) DO NOTHING"), (event_id,)) == 0
    with pytest.raises(psycopg2.Error, match="no unique or exclusion constraint"):
        rig.pg.execute(insert.replace("DO NOTHING", "(id) DO NOTHING"), (event_id,))


def test_a_month_without_partition_is_kept_then_moved_out(migrated):
    rig, _, _ = migrated
    rig.pg.execute("INSERT INTO events (id, occurred_at, type, sender) VALUES"
                   " (gen_random_uuid(), '2031-05-05 05:00:00+00', 'opened', 'future@s.test')")
    assert rig.pg.query("SELECT count(*) FROM events_default") == [(1,)]
    assert rig.pg.query("SELECT waybill_events_ensure_partitions('2031-05-01', '2031-05-31')") == [(1,)]
    assert rig.pg.query("SELECT count(*) FROM events_default") == [(0,)]
    assert rig.pg.query("SELECT count(*) FROM events_p2031_05") == [(1,)]


def test_prune_drops_whole_old_months_only(migrated):
    rig, _, binary = migrated
    kept_from = ("date_trunc('month', (now() AT TIME ZONE 'UTC') - interval '13 months') AT TIME ZONE 'UTC'")
    expected = rig.pg.query(f"SELECT count(*) FROM events WHERE occurred_at >= {kept_from}")[0][0]
    total = rig.pg.query("SELECT count(*) FROM events")[0][0]
    assert 0 < expected < total  # the fixture spans more than 13 months

    dry = waybill(binary, rig.pg.url, "db", "prune", "--older-than", "13months", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would drop events_p" in dry.stdout
    assert rig.pg.query("SELECT count(*) FROM events")[0][0] == total

    pruned = waybill(binary, rig.pg.url, "db", "prune", "--older-than", "13months")
    assert pruned.returncode == 0, pruned.stderr
    assert rig.pg.query("SELECT count(*) FROM events")[0][0] == expected
    assert rig.pg.query(f"SELECT count(*) FROM events WHERE occurred_at < {kept_from}") == [(0,)]
    oldest = rig.pg.query("SELECT min(c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
                          " WHERE i.inhparent = 'events'::regclass AND c.relname LIKE 'events_p%'")[0][0]
    assert oldest == rig.pg.query(f"SELECT waybill_events_partition_name({kept_from})")[0][0]
    # Twelve months ahead exist after a prune, so next year's events land in their own months.
    ahead = rig.pg.query("SELECT waybill_events_partition_name(now() + interval '12 months')")[0][0]
    assert ahead in partitions(rig.pg)
    again = waybill(binary, rig.pg.url, "db", "prune", "--older-than", "13months")
    assert again.returncode == 0 and "0 of" in again.stdout, again.stdout
    assert waybill(binary, rig.pg.url, "db", "prune", "--older-than", "13").returncode == 64
