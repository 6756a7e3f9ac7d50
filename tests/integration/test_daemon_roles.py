"""Least privilege in the database: `waybill db init` makes one role per daemon and grants each only
what its statements need (migration 0015). Against a real PostgreSQL: waybill_trackd, the role of
the daemon that faces the internet, cannot read message contents, inbound mail, bounces or webhook
data, cannot DROP or create anything and cannot write outside its rows; and waybill-trackd and
waybill-piped, run with database.role set to their roles as the package's units do, still record
every open, click, unsubscription and bounce.

Costs ~4 s (one PostgreSQL cluster, trackd, two one-shot pipe runs).
"""

from __future__ import annotations

import hashlib
import hmac
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import psycopg2
import psycopg2.errors
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, query_and_close, wait_port, wait_until  # noqa: E402

MIGRATIONS = Path(__file__).resolve().parents[2] / "sql" / "migrations"
DATABASE = "waybill_roles"
DAEMON_ROLES = ["waybill_milter", "waybill_policyd", "waybill_trackd", "waybill_pipe", "waybill_webhookd",
                "waybill_logd", "waybill_apid"]
KEY_ID, SECRET = 9, bytes(range(1, 33))
SENDER = "news@sender.example"


def mint(kind: str, recipient: uuid.UUID, url: str = "") -> str:
    """A tracking token in the wire format of core/token/tracking_token.h."""
    payload = bytes([1, KEY_ID, ord(kind)]) + recipient.bytes + url.encode()
    mac = hmac.new(SECRET, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


class Setup:
    def __init__(self, rig: Rig, bin_dir: Path) -> None:
        self.rig, self.bin_dir = rig, bin_dir
        self.owner_url = f"postgresql://waybill@127.0.0.1:{rig.pg.port}/{DATABASE}"
        self.key_file = rig.path("token.keys")
        self.key_file.write_text(f"{KEY_ID} {SECRET.hex()}\n")
        self.key_file.chmod(0o600)
        self.trackd_port = free_port()
        self.config = rig.path("waybill.conf")
        self.config.write_text(
            f"[database]\nurl = {self.owner_url}\n"
            f"[tracking]\nkey_file = {self.key_file}\nbase_url = http://127.0.0.1:{self.trackd_port}\n"
            f"[trackd]\nlisten = 127.0.0.1:{self.trackd_port}\nspool_dir = {rig.path('spool')}\nthreads = 2\n"
            "[pipe]\nbounce_domain = bounces.test\nsocket =\n[log]\nsyslog = false\n")

    def waybill(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / "waybill"), "--config", str(self.config), *args],
                              capture_output=True, text=True, timeout=60,
                              env={**os.environ, "WAYBILL_MIGRATIONS_DIR": str(MIGRATIONS)})

    def connect(self, role: str):
        conn = psycopg2.connect(host="127.0.0.1", port=self.rig.pg.port, user=role, dbname=DATABASE,
                                connect_timeout=5)
        conn.autocommit = True
        return conn

    def owner(self, sql: str, params: tuple = ()) -> list[tuple]:
        return query_and_close(self.connect("waybill"), sql, params)

    def add_recipient(self, address: str) -> uuid.UUID:
        message_id, recipient_id = uuid.uuid4(), uuid.uuid4()
        self.owner("INSERT INTO messages (id, envelope_sender, subject, created_at)"
                   " VALUES (%s, %s, 'secret subject', now() - interval '1 hour')", (str(message_id), SENDER))
        self.owner("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                   (str(recipient_id), str(message_id), address))
        return recipient_id


@pytest.fixture(scope="module")
def setup(bin_dir: Path):
    with Rig(postfix=False) as rig:
        s = Setup(rig, bin_dir)
        made = s.waybill("db", "init", "--admin-url", rig.pg.url_for("postgres"))
        assert made.returncode == 0, made.stderr
        assert f"daemon roles created: {', '.join(DAEMON_ROLES)}" in made.stdout, made.stdout
        yield s


def test_db_init_creates_the_roles_once_and_grants_again(setup: Setup) -> None:
    again = setup.waybill("db", "init", "--admin-url", setup.rig.pg.url_for("postgres"))
    assert again.returncode == 0, again.stderr
    assert "daemon roles created" not in again.stdout and "schema up to date" in again.stdout, again.stdout
    assert f"granted {', '.join(DAEMON_ROLES)}" in again.stdout, again.stdout
    roles = setup.owner("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolinherit FROM pg_roles"
                        " WHERE rolname LIKE 'waybill\\_%%' ORDER BY rolname")
    assert roles == [(name, False, False, False, False) for name in sorted(DAEMON_ROLES)]
    owned = setup.owner("SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                        " WHERE r.rolname LIKE 'waybill\\_%%'")
    assert owned == [(0,)]


DENIED_TO_TRACKD = [
    "SELECT subject FROM messages",
    "SELECT * FROM messages",
    "SELECT raw FROM inbound_messages",
    "SELECT * FROM pipe_messages",
    "SELECT * FROM webhook_deliveries",
    "SELECT * FROM webhook_event_source",
    "SELECT reason FROM suppressions",
    "SELECT details FROM events",
    "UPDATE recipients SET status = 'bounced'",
    "DELETE FROM suppressions",
    "DELETE FROM events",
    "INSERT INTO messages (id, envelope_sender) VALUES (gen_random_uuid(), 'x@y')",
    "INSERT INTO recipients (id, message_id, address) SELECT gen_random_uuid(), id, 'x@y' FROM messages",
    "INSERT INTO webhook_outbox (source, event_id, occurred_at) VALUES ('events', gen_random_uuid(), now())",
    "TRUNCATE suppressions",
    "DROP TABLE events",
    "DROP TABLE suppressions",
    "ALTER TABLE events ADD COLUMN x int",
    "CREATE TABLE stolen (x text)",
    "SELECT waybill_grant_daemon_roles()",
]


@pytest.mark.parametrize("statement", DENIED_TO_TRACKD)
def test_trackd_role_is_refused_everything_outside_its_rows(setup: Setup, statement: str) -> None:
    setup.add_recipient("probe@dest.example")
    conn = setup.connect("waybill_trackd")
    try:
        with conn.cursor() as cur, pytest.raises(psycopg2.Error) as refused:
            cur.execute(statement)
        assert refused.value.pgcode == "42501", (statement, refused.value.pgcode, str(refused.value))
    finally:
        conn.close()


def test_trackd_role_reads_only_the_columns_it_needs(setup: Setup) -> None:
    rcpt = setup.add_recipient("cols@dest.example")
    conn = setup.connect("waybill_trackd")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT r.address, m.envelope_sender FROM recipients r JOIN messages m ON m.id = r.message_id"
                        " WHERE r.id = %s", (str(rcpt),))
            assert cur.fetchall() == [("cols@dest.example", SENDER)]
    finally:
        conn.close()


def request(port: int, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body, headers=headers or {})
    status = conn.getresponse().status
    conn.close()
    return status


def test_trackd_under_its_role_records_opens_clicks_and_unsubscribes(setup: Setup) -> None:
    rcpt = setup.add_recipient("Ann@Dest.Example")
    trackd = setup.rig.spawn([setup.bin_dir / "waybill-trackd", "--config", setup.config,
                              "--database.role", "waybill_trackd"], name="trackd")
    wait_port(setup.trackd_port, pid=trackd.pid)
    browser = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"}
    assert request(setup.trackd_port, "GET", f"/o/{mint('o', rcpt)}", headers=browser) == 200
    assert request(setup.trackd_port, "GET", f"/c/{mint('c', rcpt, 'https://shop.example/a')}", headers=browser) == 302
    assert request(setup.trackd_port, "POST", f"/u/{mint('u', rcpt)}", body=b"List-Unsubscribe=One-Click",
                   headers={"Content-Type": "application/x-www-form-urlencoded"}) == 200

    def recorded() -> bool:
        return len(setup.owner("SELECT 1 FROM events WHERE recipient_id = %s", (str(rcpt),))) == 3
    assert wait_until(recorded, 20), setup.rig.log_of("trackd")[-3000:]
    assert sorted(t for (t,) in setup.owner("SELECT type FROM events WHERE recipient_id = %s", (str(rcpt),))) == [
        "clicked", "opened", "unsubscribed"]
    assert setup.owner("SELECT recipient, scope_value, source FROM suppressions WHERE recipient = 'ann@dest.example'") == [
        ("ann@dest.example", SENDER, "trackd")]
    assert "permission denied" not in setup.rig.log_of("trackd")


def bounce(recipient: str, token_address: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.test\nTo: {token_address}\nSubject: Undelivered Mail\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nNo such user.\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\n\n--B--\n").encode()


def test_the_pipe_under_its_role_stores_a_bounce_and_its_suppression(setup: Setup) -> None:
    rcpt = setup.add_recipient("gone@dest.example")
    address = f"bounce+{mint('b', rcpt)}@bounces.test"
    stored = subprocess.run([str(setup.bin_dir / "waybill-piped"), "--config", str(setup.config),
                             "--database.role", "waybill_pipe", "--sender=", f"--recipient={address}",
                             "--queue-id=ROLEQ"], input=bounce("gone@dest.example", address),
                            capture_output=True, timeout=30)
    assert stored.returncode == 0, stored.stderr.decode(errors="replace")
    assert setup.owner("SELECT type FROM events WHERE recipient_id = %s", (str(rcpt),)) == [("bounced",)]
    assert setup.owner("SELECT status FROM recipients WHERE id = %s", (str(rcpt),)) == [("bounced",)]
    assert setup.owner("SELECT reason, source FROM suppressions WHERE recipient = 'gone@dest.example'") == [
        ("hard_bounce", "pipe")]


def test_logd_under_its_role_records_attempts_and_settles_copies(setup: Setup) -> None:
    """One batch: a copy's queue file taken by qmgr (queued_at) and its delivery (an event)."""
    rcpt = setup.add_recipient("copy@dest.example")
    [(message_id,)] = setup.owner("SELECT message_id FROM recipients WHERE id = %s", (str(rcpt),))
    setup.owner("INSERT INTO message_copy_queue_ids (queue_id, recipient_id, message_id) VALUES ('5C0FFEE123', %s, %s)",
                (str(rcpt), str(message_id)))
    maillog = setup.rig.path("maillog")
    maillog.write_text(
        "Dec  1 21:49:35 h postfix/qmgr[7]: 5C0FFEE123: from=<app@sender.example>, size=900, nrcpt=1 (queue active)\n"
        "Dec  1 21:49:36 h postfix/smtp[8]: 5C0FFEE123: to=<copy@dest.example>, relay=mx.dest.example[192.0.2.1]:25,"
        " delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 ok)\n")
    logd = setup.rig.spawn([setup.bin_dir / "waybill-logd", "--config", setup.config, "--database.role", "waybill_logd",
                            "--logd.log_file", maillog, "--logd.poll_ms", "100"], name="logd")

    def stored() -> bool:
        return (setup.owner("SELECT queued_at IS NOT NULL FROM message_copy_queue_ids WHERE queue_id = '5C0FFEE123'")
                == [(True,)] and setup.owner("SELECT type FROM events WHERE recipient_id = %s", (str(rcpt),)) == [("delivered",)])
    assert wait_until(stored, 20), setup.rig.log_of("logd")[-3000:]
    logd.terminate()
    assert logd.wait(10) == 0


def test_logd_keeps_a_copys_attempt_until_its_recipient_is_recorded(setup: Setup) -> None:
    """A copy delivered (and its line read) before the original transaction records the recipient:
    the attempt waits in delivery_log_waiting and becomes its event once the row is there."""
    message_id, recipient_id = uuid.uuid4(), uuid.uuid4()
    setup.owner("INSERT INTO message_copy_queue_ids (queue_id, recipient_id, message_id) VALUES ('5EA21Y0001', %s, %s)",
                (str(recipient_id), str(message_id)))
    maillog = setup.rig.path("maillog-early")
    delivered = ("Dec  1 21:49:36 h postfix/smtp[8]: 5EA21Y0001: to=<early@dest.example>, relay=mx.dest.example"
                 "[192.0.2.1]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, status=sent (250 ok early)\n")
    maillog.write_text(delivered)
    metrics_port = free_port()
    logd = setup.rig.spawn([setup.bin_dir / "waybill-logd", "--config", setup.config, "--database.role", "waybill_logd",
                            "--logd.log_file", maillog, "--logd.poll_ms", "100",
                            "--logd.metrics_listen", f"127.0.0.1:{metrics_port}"], name="logd-early")

    def read_past() -> bool:
        return setup.owner("SELECT byte_offset FROM delivery_log_positions WHERE log_file LIKE %s",
                           ("%" + str(maillog),)) == [(len(delivered),)]
    assert wait_until(read_past, 20), setup.rig.log_of("logd-early")[-3000:]
    assert setup.owner("SELECT queue_id, recipient_id FROM delivery_log_waiting") == [("5EA21Y0001", str(recipient_id))]
    metrics = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
    assert re.search(r"^waybill_logd_attempts_waiting 1$", metrics, re.M), metrics

    # The original transaction records its recipients now; no further line is logged.
    setup.owner("INSERT INTO messages (id, envelope_sender, subject) VALUES (%s, %s, 'early copy')", (str(message_id), SENDER))
    setup.owner("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, 'Early@dest.example')",
                (str(recipient_id), str(message_id)))

    def stored() -> bool:
        return setup.owner("SELECT type, details->>'reply', (details->>'attempt')::int FROM events WHERE recipient_id = %s",
                           (str(recipient_id),)) == [("delivered", "250 ok early", 1)]
    assert wait_until(stored, 20), setup.rig.log_of("logd-early")[-3000:]
    assert setup.owner("SELECT count(*) FROM delivery_log_waiting") == [(0,)]
    assert setup.owner("SELECT status, queue_id, delivery_attempts FROM recipients WHERE id = %s",
                       (str(recipient_id),)) == [("delivered", "5EA21Y0001", 1)]
    logd.terminate()
    assert logd.wait(10) == 0


def test_apid_under_its_role_checks_keys_reads_and_suppresses(setup: Setup) -> None:
    """Keys (last_used_at), Idempotency-Key claims, reads and suppressions under waybill_apid;
    no Postfix here, so a send is 503 and gives its Idempotency-Key up."""
    made = setup.waybill("api-keys", "create", "--name", "roles", "--sender-domain", "sender.example")
    assert made.returncode == 0, made.stderr
    key = made.stdout.split()[-1]
    port = free_port()
    apid = setup.rig.spawn([setup.bin_dir / "waybill-apid", "--config", setup.config, "--database.role", "waybill_apid",
                            "--api.listen", f"127.0.0.1:{port}", "--api.submit", f"smtp:127.0.0.1:{free_port()}"],
                           name="apid")
    wait_port(port)

    def call(method: str, path: str, body: dict | None = None, headers: dict | None = None) -> tuple[int, dict]:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json", **(headers or {})})
        response = conn.getresponse()
        answer = json.loads(response.read() or b"null")
        conn.close()
        return response.status, answer

    message = {"from": SENDER, "to": "r@dest.example", "subject": "s", "text": "t"}
    status, body = call("POST", "/v1/messages", message, {"Idempotency-Key": "role-1"})
    assert status == 503, body  # Postfix is not there
    assert setup.owner("SELECT count(*) FROM api_idempotency") == [(0,)]  # given up: a retry sends
    assert setup.owner("SELECT last_used_at IS NOT NULL FROM api_keys WHERE name = 'roles'") == [(True,)]
    assert call("GET", "/v1/events?limit=5")[0] == 200
    assert call("GET", "/v1/messages/00000000-0000-4000-8000-000000000000")[0] == 404
    entry = {"recipient": "role@dest.example", "domain": "sender.example"}
    assert call("POST", "/v1/suppressions", entry)[0] == 201
    assert call("GET", "/v1/suppressions?recipient=role@dest.example")[1]["suppressions"][0]["source"] == "api"
    assert call("DELETE", "/v1/suppressions", entry)[0] == 200
    assert "permission denied" not in setup.rig.log_of("apid"), setup.rig.log_of("apid")
    apid.terminate()
    assert apid.wait(10) == 0
