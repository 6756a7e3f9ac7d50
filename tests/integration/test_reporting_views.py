"""Issue 9: every reporting view against a hand-computed fixture on a real (partitioned) schema.

The fixture is small enough to count by hand; the expected numbers below are written out, not
computed by the code under test. It includes the traps the views must handle: machine opens and
clicks (never human), a delivered event stored twice for one copy (a writer's retry with a new id),
two deferrals of one copy, a sender spelled in capitals, and a second sender.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig  # noqa: E402

D1 = dt.date(2026, 3, 10)
D2 = dt.date(2026, 3, 11)
U1 = "https://shop.example/a"
U2 = "https://shop.example/b"
M1 = uuid.UUID("00000000-0000-4000-8000-000000000001")
M2 = uuid.UUID("00000000-0000-4000-8000-000000000002")
R = {name: uuid.UUID(f"00000000-0000-4000-8000-0000000001{i:02d}")
     for i, name in enumerate(["ann", "bob", "cat", "dan", "eve", "fay"])}
ADDRESS = {"ann": "ann@gmail.test", "bob": "bob@yahoo.test", "cat": "cat@gmail.test",
           "dan": "dan@corp.test", "eve": "eve@gmail.test", "fay": "fay@corp.test"}


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.timezone.utc)


# (when, type, who, sender, extra columns)
EVENTS = [
    (at(D1, 8), "accepted", "ann", "a@s.test", {}),
    (at(D1, 8), "accepted", "bob", "a@s.test", {}),
    (at(D1, 8), "accepted", "cat", "a@s.test", {}),
    (at(D1, 8), "accepted", "dan", "a@s.test", {}),
    (at(D1, 8), "accepted", "eve", "A@S.test", {}),          # same sender, other spelling
    (at(D1, 9), "delivered", "ann", "a@s.test", {}),
    (at(D1, 9, 1), "delivered", "ann", "a@s.test", {}),      # a retry stored again: still one copy
    (at(D1, 9), "delivered", "bob", "a@s.test", {}),
    (at(D1, 9), "deferred", "cat", "a@s.test", {"details": {"reason": "mailboxfull", "status": "4.2.2"}}),
    (at(D1, 10), "deferred", "cat", "a@s.test", {"details": {"reason": "mailboxfull", "status": "4.2.2"}}),
    (at(D1, 11), "bounced", "cat", "a@s.test",
     {"details": {"reason": "mailboxfull", "status": "4.2.2", "hard": False, "remote_mta": "mx.gmail.test"}}),
    (at(D1, 9), "bounced", "dan", "a@s.test",
     {"details": {"reason": "userunknown", "status": "5.1.1", "bounce_class": "hard", "remote_mta": "mx.corp.test"}}),
    (at(D1, 12), "opened", "ann", "a@s.test", {}),
    (at(D1, 13), "opened", "ann", "a@s.test", {}),
    (at(D1, 9, 2), "opened", "ann", "a@s.test", {"machine": True, "machine_reason": "proxy"}),
    (at(D1, 9, 3), "opened", "bob", "a@s.test", {"machine": True, "machine_reason": "prefetch"}),
    (at(D1, 12, 5), "clicked", "ann", "a@s.test", {"url": U1}),
    (at(D1, 12, 6), "clicked", "ann", "a@s.test", {"url": U1}),
    (at(D1, 9, 4), "clicked", "bob", "a@s.test", {"url": U1, "machine": True, "machine_reason": "scanner"}),
    (at(D1, 14), "unsubscribed", "bob", "a@s.test", {}),
    (at(D1, 15), "complained", "ann", "a@s.test", {"details": {"feedback_type": "abuse"}}),
    (at(D1, 16), "suppressed", None, "a@s.test", {"recipient": "gone@gmail.test"}),
    (at(D1, 17), "suppressed", None, "a@s.test", {"recipient": "gone@gmail.test"}),
    (at(D2, 8), "opened", "ann", "a@s.test", {}),            # human again the next day
    (at(D2, 9), "clicked", "bob", "a@s.test", {"url": U2}),
    (at(D1, 8), "accepted", "fay", "b@other.test", {}),
    (at(D1, 10), "opened", "fay", "b@other.test", {"machine": True, "machine_reason": "proxy"}),
]

COLUMNS = ["accepted", "delivered", "deferred", "bounced_hard", "bounced_soft", "opened_human",
           "opened_machine", "clicked_human", "clicked_machine", "unsubscribed", "complained", "suppressed"]


def load_fixture(pg) -> None:
    pg.execute("INSERT INTO messages (id, envelope_sender, subject, created_at) VALUES"
               " (%s, 'a@s.test', 'Spring sale', %s), (%s, 'b@other.test', 'Other', %s)",
               (str(M1), at(D1, 8), str(M2), at(D1, 8)))
    for name, rid in R.items():
        pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                   (str(rid), str(M2 if name == "fay" else M1), ADDRESS[name]))
    for when, kind, who, sender, extra in EVENTS:
        message = None if who is None else (M2 if who == "fay" else M1)
        pg.execute(
            "INSERT INTO events (id, occurred_at, type, message_id, recipient_id, recipient, sender, url,"
            " machine, machine_reason, details) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
            (str(uuid.uuid4()), when, kind, message and str(message), who and str(R[who]),
             extra.get("recipient", who and ADDRESS[who]), sender, extra.get("url"),
             extra.get("machine", False), extra.get("machine_reason"), json.dumps(extra.get("details", {}))))
    suppressions = [("bob@yahoo.test", "sender", "a@s.test", "unsubscribed", at(D1, 14)),
                    ("x@yahoo.test", "sender", "a@s.test", "unsubscribed", at(D1, 15)),
                    ("y@yahoo.test", "sender", "a@s.test", "unsubscribed", at(D2, 10)),
                    ("dan@corp.test", "global", "", "hard_bounce", at(D2, 11))]
    for s in suppressions:
        pg.execute("INSERT INTO suppressions (recipient, scope, scope_value, reason, created_at)"
                   " VALUES (%s, %s, %s, %s, %s)", s)


@pytest.fixture(scope="module")
def pg(waybill_bin):
    waybill = waybill_bin("waybill")
    with Rig(postfix=False) as rig:
        subprocess.run([waybill, "--database.url", rig.pg.url, "db", "migrate"], check=True,
                       capture_output=True, timeout=120)
        load_fixture(rig.pg)
        yield rig.pg


def daily(pg, sender: str, day: dt.date) -> dict[str, int]:
    rows = pg.query(f"SELECT {', '.join(COLUMNS)} FROM report_sender_daily WHERE sender = %s AND day = %s",
                    (sender, day))
    assert len(rows) == 1, rows
    return dict(zip(COLUMNS, rows[0]))


def test_sender_daily_first_day(pg):
    assert daily(pg, "a@s.test", D1) == {
        "accepted": 5, "delivered": 2, "deferred": 1, "bounced_hard": 1, "bounced_soft": 1,
        "opened_human": 1, "opened_machine": 2, "clicked_human": 1, "clicked_machine": 1,
        "unsubscribed": 1, "complained": 1, "suppressed": 2}


def test_sender_daily_second_day_and_other_sender(pg):
    expected = dict.fromkeys(COLUMNS, 0)
    assert daily(pg, "a@s.test", D2) == {**expected, "opened_human": 1, "clicked_human": 1}
    assert daily(pg, "b@other.test", D1) == {**expected, "accepted": 1, "opened_machine": 1}
    assert pg.query("SELECT count(*) FROM report_sender_daily")[0][0] == 3


def test_summary_counts_uniques_over_the_period(pg):
    rows = pg.query(f"SELECT sender, {', '.join(COLUMNS)} FROM waybill_report_summary(%s, %s)",
                    (at(D1, 0), at(D2 + dt.timedelta(days=1), 0)))
    summary = {r[0]: dict(zip(COLUMNS, r[1:])) for r in rows}
    # ann opened on both days: one unique human open over the period, where the days count 1 + 1.
    assert summary["a@s.test"] == {
        "accepted": 5, "delivered": 2, "deferred": 1, "bounced_hard": 1, "bounced_soft": 1,
        "opened_human": 1, "opened_machine": 2, "clicked_human": 2, "clicked_machine": 1,
        "unsubscribed": 1, "complained": 1, "suppressed": 2}
    assert set(summary) == {"a@s.test", "b@other.test"}
    only = pg.query("SELECT sender, accepted FROM waybill_report_summary(%s, %s, 'B@other.test')",
                    (at(D1, 0), at(D2, 0)))
    assert only == [("b@other.test", 1)]


def test_bounce_reasons_by_receiving_domain(pg):
    rows = pg.query("SELECT day, receiving_domain, bounce_class, reason, bounces, example_status"
                    " FROM report_bounce_reasons WHERE sender = 'a@s.test' ORDER BY receiving_domain")
    assert rows == [(D1, "corp.test", "hard", "userunknown", 1, "5.1.1"),
                    (D1, "gmail.test", "soft", "mailboxfull", 1, "4.2.2")]


def test_link_performance(pg):
    rows = pg.query("SELECT day, url, clicks_human, clicks_machine, unique_human, unique_machine,"
                    " first_click, last_click FROM report_link_performance WHERE sender = 'a@s.test'"
                    " ORDER BY day, url")
    assert rows == [(D1, U1, 2, 1, 1, 1, at(D1, 9, 4), at(D1, 12, 6)),
                    (D2, U2, 1, 0, 1, 0, at(D2, 9), at(D2, 9))]


def test_message_timeline(pg):
    rows = pg.query("SELECT occurred_at, type, recipient, subject, after_submission, bounce_class, reason,"
                    " remote_mta, machine FROM report_message_timeline"
                    " WHERE message_id = %s AND recipient = 'cat@gmail.test' ORDER BY occurred_at", (str(M1),))
    assert [(r[1], r[0]) for r in rows] == [("accepted", at(D1, 8)), ("deferred", at(D1, 9)),
                                            ("deferred", at(D1, 10)), ("bounced", at(D1, 11))]
    assert {r[3] for r in rows} == {"Spring sale"}
    assert rows[-1][4:] == (dt.timedelta(hours=3), "soft", "mailboxfull", "mx.gmail.test", False)
    assert rows[0][5] is None  # bounce_class only on bounces
    # The whole message: 25 events of a@s.test minus 2 suppressions that belong to no message.
    assert pg.query("SELECT count(*) FROM report_message_timeline WHERE message_id = %s", (str(M1),)) == [(23,)]


def test_suppression_growth(pg):
    rows = pg.query("SELECT day, scope, scope_value, reason, added, total FROM report_suppression_growth"
                    " ORDER BY scope, day")
    assert rows == [(D2, "global", "", "hard_bounce", 1, 1),
                    (D1, "sender", "a@s.test", "unsubscribed", 2, 2),
                    (D2, "sender", "a@s.test", "unsubscribed", 1, 3)]


# --------------------------------------------------------------------------------------------
# `waybill report`: the same fixture through the command, as a table and as an HTML page.

def report(waybill_bin, pg, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([waybill_bin("waybill"), "--database.url", pg.url, "report", *args],
                          capture_output=True, text=True, timeout=60)


def test_report_table_shows_the_period_totals(waybill_bin, pg):
    done = report(waybill_bin, pg, "--since", "2026-03-10", "--until", "2026-03-12")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split()[1:] for line in done.stdout.splitlines()
            if line.startswith(("a@s.test ", "b@other.test ", "all "))}
    # accepted delivered deferred hard soft opens opens(m) clicks clicks(m) unsub complaints suppressed
    assert rows["a@s.test"] == ["5", "2", "1", "1", "1", "1", "2", "2", "1", "1", "1", "2"]
    assert rows["b@other.test"] == ["1", "0", "0", "0", "0", "0", "1", "0", "0", "0", "0", "0"]
    assert rows["all"][0] == "6"
    assert "delivered 33.3% of accepted" in done.stdout
    one = report(waybill_bin, pg, "--sender", "A@S.test", "--since", "2026-03-11", "--until", "2026-03-12")
    assert [line.split()[:2] for line in one.stdout.splitlines() if line.startswith("a@s.test")] == [["a@s.test", "0"]]
    assert report(waybill_bin, pg, "--since", "yesterday").returncode == 64


def test_report_html_is_self_contained(waybill_bin, pg, tmp_path):
    page = tmp_path / "report.html"
    done = report(waybill_bin, pg, "--since", "2026-03-10", "--until", "2026-03-12", "--html", str(page))
    assert done.returncode == 0, done.stderr
    html = page.read_text()
    assert html.count("<svg ") == 3
    assert "<script" not in html and "https://" not in html
    assert "2026-03-10" in html and "userunknown" in html and "mailboxfull" in html


@pytest.mark.parametrize("details, expected", [
    ({"bounce_class": "hard"}, "hard"), ({"bounce_class": "soft", "hard": True}, "soft"),
    ({"class": "hard", "hardbounce": True}, "hard"),   # waybill-pipe's keys
    ({"class": "soft", "hardbounce": False}, "soft"), ({"hard": True}, "hard"), ({"hard_bounce": True}, "hard"),
    ({"hardbounce": False}, "soft"), ({"reason": "userunknown"}, "soft"), ({}, "soft")])
def test_bounce_class_reads_every_writer_spelling(pg, details, expected):
    assert pg.query("SELECT waybill_bounce_class(%s::jsonb)", (json.dumps(details),)) == [(expected,)]
