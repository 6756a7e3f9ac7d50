"""Issue 2: every message through real Postfix + waybill-milter is recorded, completed with
Message-ID/Date, and never accepted untracked while PostgreSQL is away."""

from __future__ import annotations

import re
import subprocess
import email.utils
from datetime import datetime, timedelta, timezone
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_stack import WaybillStack, milter_rig  # noqa: E402

RECIPIENTS = ["ann@dest.example", "bob@dest.example", "cat@other.example"]


# RFC 5322 allows a one- or two-digit day and Postfix pads a one-digit day with a space
# and follows the zone with a comment ("Tue,  1 Dec 2026 09:30:00 +0000 (UTC)"), so the shape is
# checked loosely and the value by parsing it.
DATE_SHAPE = re.compile(r"\w{3}, +\d{1,2} \w{3} \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}( \([^()]*\))?")


def assert_recent_rfc5322_date(value: str) -> None:
    assert DATE_SHAPE.fullmatch(value.strip()), value
    stamped = email.utils.parsedate_to_datetime(value)
    assert stamped.tzinfo is not None, value
    assert abs(datetime.now(timezone.utc) - stamped) < timedelta(minutes=10), value


def message(subject: str, *, with_ids: bool = False, extra: str = "") -> bytes:
    head = f"From: App <app@sender.example>\nTo: ann@dest.example\nSubject: {subject}\n{extra}"
    if with_ids:
        head += "Message-ID: <given-1@sender.example>\nDate: Mon, 02 Nov 2026 10:00:00 +0000\n"
    return (head + "\nHello there.\n").encode()


@pytest.fixture(scope="module")
def stack(bin_dir: Path):
    # Postfix adds Message-ID/Date itself for clients on its own addresses; switch that off so
    # SMTP mail exercises the milter's own headers (sendmail mail still gets Postfix's).
    with milter_rig(extra_main={"local_header_rewrite_clients": ""}) as (rig, port):
        s = WaybillStack(rig, bin_dir)
        s.migrate()
        s.start_milter(port)
        yield s


def arrivals(stack: WaybillStack, subject: str, count: int):
    """Sink messages with this subject once `count` recipients have arrived."""
    def matching():
        return [m for m in stack.rig.sink.messages() if m.email["Subject"] == subject]
    import time
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = matching()
        if sum(len(m.recipients) for m in found) >= count:
            return found
        time.sleep(0.1)
    raise AssertionError(f"{subject}: not all recipients arrived\n{stack.rig.postfix.diagnostics()}")


def recorded(stack: WaybillStack, subject: str):
    return stack.rig.pg.query(
        "SELECT id, queue_id, message_id_header, envelope_sender, submitted_via, tags, track_mode, client_address"
        " FROM messages WHERE subject = %s", (subject,))


def check_tracked(stack: WaybillStack, subject: str, via: str) -> None:
    pg = stack.rig.pg
    found = arrivals(stack, subject, len(RECIPIENTS))
    assert sorted(r for m in found for r in m.recipients) == sorted(RECIPIENTS)
    rows = recorded(stack, subject)
    assert len(rows) == 1, rows
    message_id, queue_id, message_id_header, sender, submitted_via, _, _, client = rows[0]
    assert sender == "app@sender.example"
    assert submitted_via == via
    # The milter asks Postfix for {client_addr} (not among Postfix's default connect macros).
    assert client == "127.0.0.1", client
    # The Message-ID the milter generated is the one that left, exactly once per copy.
    for m in found:
        assert m.email.get_all("Message-ID") == [f"<{message_id_header}>"]
        assert len(m.email.get_all("Date")) == 1
        assert_recent_rfc5322_date(m.email["Date"])
    recipients = pg.query("SELECT address, status, queue_id FROM recipients WHERE message_id = %s ORDER BY address",
                          (message_id,))
    assert [r[0] for r in recipients] == sorted(RECIPIENTS)
    assert all(r[1] in ("accepted", "delivered") for r in recipients)
    # The recorded queue id is the one Postfix logged for this message.
    assert queue_id and re.fullmatch(r"[0-9A-F]{6,}|[0-9A-Za-z]{10,}", queue_id), queue_id
    stack.rig.postfix.wait_log(rf"{queue_id}: from=<app@sender\.example>, size=\d+, nrcpt=3")
    events = pg.query("SELECT type, recipient FROM events WHERE message_id = %s", (message_id,))
    assert sorted(events) == sorted(("accepted", r) for r in RECIPIENTS)


def test_smtp_message_with_three_recipients_is_recorded_and_completed(stack: WaybillStack) -> None:
    subject = f"smtp {uuid.uuid4()}"
    code, text = stack.rig.postfix.send_smtp("app@sender.example", RECIPIENTS, message(subject))
    assert code == 250, text
    check_tracked(stack, subject, "smtp")
    # The milter, not Postfix, made the Message-ID (Postfix's would be QUEUEID@host).
    [row] = recorded(stack, subject)
    assert row[2].endswith(".waybill@sender.example"), row[2]


def test_sendmail_message_goes_through_non_smtpd_milters(stack: WaybillStack) -> None:
    subject = f"sendmail {uuid.uuid4()}"
    result = stack.rig.postfix.sendmail("app@sender.example", RECIPIENTS, message(subject))
    assert result.returncode == 0, result
    check_tracked(stack, subject, "sendmail")


def test_present_message_id_and_date_are_untouched(stack: WaybillStack) -> None:
    subject = f"given ids {uuid.uuid4()}"
    code, text = stack.rig.postfix.send_smtp("app@sender.example", RECIPIENTS[:1], message(subject, with_ids=True))
    assert code == 250, text
    [arrived] = arrivals(stack, subject, 1)
    assert arrived.email.get_all("Message-ID") == ["<given-1@sender.example>"]
    assert arrived.email.get_all("Date") == ["Mon, 02 Nov 2026 10:00:00 +0000"]
    [row] = recorded(stack, subject)
    assert row[2] == "given-1@sender.example"


def test_control_headers_are_stored_and_removed(stack: WaybillStack) -> None:
    subject = f"control {uuid.uuid4()}"
    extra = "X-Waybill-Tags: welcome, onboarding\nX-Waybill-Track: opens\n"
    code, text = stack.rig.postfix.send_smtp("app@sender.example", RECIPIENTS[:1], message(subject, extra=extra))
    assert code == 250, text
    [arrived] = arrivals(stack, subject, 1)
    assert not [k for k in arrived.email.keys() if k.lower().startswith("x-waybill-")]
    [row] = recorded(stack, subject)
    assert row[5] == ["welcome", "onboarding"]
    assert row[6] == "opens"


def test_database_down_means_tempfail_then_tracked_once(stack: WaybillStack) -> None:
    subject = f"outage {uuid.uuid4()}"
    pg = stack.rig.pg
    pg.stop()
    try:
        code, text = stack.rig.postfix.send_smtp("app@sender.example", RECIPIENTS, message(subject))
        assert 400 <= code < 500, (code, text)
    finally:
        pg.start()
    code, text = stack.rig.postfix.send_smtp("app@sender.example", RECIPIENTS, message(subject))
    assert code == 250, text
    check_tracked(stack, subject, "smtp")
    assert len(recorded(stack, subject)) == 1
    assert "tempfail: cannot record message" in stack.rig.log_of("waybill-milter")


def schema_dump(stack: WaybillStack) -> str:
    pg = stack.rig.pg
    out = subprocess.run(["/usr/lib/postgresql/15/bin/pg_dump", "--schema-only", "-d", pg.url],
                         capture_output=True, text=True, check=True)
    # pg_dump's \restrict/\unrestrict lines carry a random key per run.
    return "\n".join(l for l in out.stdout.splitlines() if not l.startswith(("\\restrict", "\\unrestrict")))


def test_migrate_twice_leaves_schema_unchanged(stack: WaybillStack) -> None:
    before = schema_dump(stack)
    second = stack.migrate()
    assert "schema up to date" in second
    assert schema_dump(stack) == before
    versions = stack.rig.pg.query("SELECT count(*) FROM schema_migrations")[0][0]
    migrations = Path(__file__).resolve().parents[2] / "sql" / "migrations"
    assert versions == len(list(migrations.glob("[0-9][0-9][0-9][0-9]_*.sql")))


def test_bad_configuration_stops_with_one_clear_line(stack: WaybillStack) -> None:
    result = subprocess.run([str(stack.binary("waybill-milter")), "--config", str(stack.config),
                             "--tracking.default_mode", "sometimes"], capture_output=True, text=True, timeout=10)
    assert result.returncode == 78
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "tracking.default_mode" in lines[0], result.stderr



@pytest.mark.parametrize("day", range(1, 32))
def test_date_check_accepts_every_day_of_the_month(day: int) -> None:
    """Both ways a day is written (Postfix pads it with a space, the milter with a zero) pass the
    shape check and parse to that day, on every day of a month; a two-digit year fails."""
    for value in (f"Thu, {day:2d} Dec 2026 09:30:00 +0000 (UTC)", f"Thu, {day:02d} Dec 2026 09:30:00 +0000"):
        assert DATE_SHAPE.fullmatch(value), value
        assert email.utils.parsedate_to_datetime(value).day == day
    assert not DATE_SHAPE.fullmatch(f"Thu, {day:2d} Dec 26 09:30:00 +0000")


def test_milter_refuses_to_start_tracking_without_a_public_base_url(bin_dir: Path, tmp_path: Path) -> None:
    key_file = tmp_path / "token.keys"
    key_file.write_text("1 " + "ab" * 32 + "\n")
    key_file.chmod(0o600)
    common = [str(bin_dir / "waybill-milter"), "--config", "/dev/null", "--database.url",
              "postgresql://nobody@127.0.0.1:1/none", "--tracking.key_file", str(key_file)]
    for extra, says in (([], "option 'tracking.base_url': required"),
                        (["--tracking.base_url", "https://track.example.com"], "placeholder")):
        done = subprocess.run(common + extra, capture_output=True, text=True, timeout=30)
        assert done.returncode == 78, (extra, done.returncode, done.stderr)
        assert says in done.stderr, done.stderr
