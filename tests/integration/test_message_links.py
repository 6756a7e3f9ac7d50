"""A message's tracked links are stored once (message_links, migration 0023) and `links` shows them
per recipient, as the table did: after an upgrade the rows written the old way read back the same,
and a message recorded the new way has every recipient's links in order."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig  # noqa: E402

MIGRATIONS = Path(os.environ.get("WAYBILL_MIGRATIONS_DIR", Path(__file__).resolve().parents[2] / "sql" / "migrations"))
URLS = ["https://shop.example/a", "https://shop.example/b?x=1", "https://shop.example/c"]


def migrate(waybill: str, url: str, migrations: Path) -> None:
    env = dict(os.environ, WAYBILL_MIGRATIONS_DIR=str(migrations))
    done = subprocess.run([waybill, "--database.url", url, "db", "migrate"], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 0, done.stderr


def insert_message(pg, message: uuid.UUID, recipients: list[uuid.UUID]) -> None:
    pg.execute("INSERT INTO messages (id, envelope_sender, track_mode, submitted_via) "
               "VALUES (%s, 'shop@sender.example', 'all', 'smtp')", (str(message),))
    for n, recipient in enumerate(recipients):
        pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                   (str(recipient), str(message), f"r{n}@dest.example"))


def links_of(pg, message: uuid.UUID) -> list[tuple]:
    return pg.query("SELECT recipient_id::text, position, url FROM links WHERE message_id = %s "
                    "ORDER BY recipient_id, position", (str(message),))


@pytest.fixture()
def rig():
    with Rig(postfix=False) as made:
        yield made


def test_links_written_per_recipient_before_the_upgrade_read_back_the_same(rig, waybill_bin, tmp_path) -> None:
    waybill = waybill_bin("waybill")
    before = tmp_path / "migrations-0022"
    before.mkdir()
    for migration in sorted(MIGRATIONS.glob("*.sql")):
        if migration.name < "0023":
            (before / migration.name).symlink_to(migration)
    migrate(waybill, rig.pg.url, before)
    message, recipients = uuid.uuid4(), sorted([uuid.uuid4(), uuid.uuid4()], key=str)
    insert_message(rig.pg, message, recipients)
    for recipient in recipients:
        for position, url in enumerate(URLS, start=1):
            rig.pg.execute("INSERT INTO links (recipient_id, position, message_id, url) VALUES (%s, %s, %s, %s)",
                           (str(recipient), position, str(message), url))
    written = links_of(rig.pg, message)

    migrate(waybill, rig.pg.url, MIGRATIONS)

    assert links_of(rig.pg, message) == written
    assert rig.pg.query("SELECT urls FROM message_links WHERE message_id = %s", (str(message),)) == [(URLS,)]


def test_every_recipient_of_a_message_has_its_links_in_order(rig, waybill_bin) -> None:
    migrate(waybill_bin("waybill"), rig.pg.url, MIGRATIONS)
    message, recipients = uuid.uuid4(), sorted([uuid.uuid4() for _ in range(3)], key=str)
    other = uuid.uuid4()
    insert_message(rig.pg, message, recipients)
    insert_message(rig.pg, other, [uuid.uuid4()])
    rig.pg.execute("INSERT INTO message_links (message_id, urls) VALUES (%s, %s)", (str(message), URLS))

    assert links_of(rig.pg, message) == [(str(r), p, u) for r in recipients for p, u in enumerate(URLS, start=1)]
    assert links_of(rig.pg, other) == []  # a message without tracked links has no rows
