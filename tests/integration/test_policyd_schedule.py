"""Issue 6, scheduled sending: X-Waybill-Send-At through real Postfix + waybill-milter +
waybill-policyd. A message due 10 s ahead waits in the hold queue and reaches the sink after its
time, not before; a cancelled one never arrives; a time in the past sends at once; and a hold
longer than Postfix's queue lifetime still goes out. The 20-day case is shown with shortened
Postfix lifetimes (maximal_queue_lifetime 8 s standing for the default 5 days, a 10 s hold for
20 days): the released message must survive a failed first delivery attempt, where a message
released the stock way (`postsuper -H`) expires."""

from __future__ import annotations

import datetime
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402


def rfc3339(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def message(subject: str, send_at: float | None) -> bytes:
    header = f"X-Waybill-Send-At: {rfc3339(send_at)}\n" if send_at is not None else ""
    return (f"From: App <app@sender.example>\nTo: someone@dest.example\nSubject: {subject}\n{header}"
            "X-Waybill-Track: none\n\nHello at the right time.\n").encode()


def start_stack(rig: Rig, bin_dir: Path, milter_port: int) -> WaybillStack:
    stack = WaybillStack(rig, bin_dir, sections={"policyd": {
        "postfix_config_dir": str(rig.postfix.config_dir),
        "hold_helper": str(bin_dir / "waybill-hold-helper"),  # the tests run as root: no sudo
        "schedule_interval": "1"}})
    stack.migrate()
    stack.start_milter(milter_port)
    port = free_port()
    rig.spawn([stack.binary("waybill-policyd"), "--config", str(stack.config), "--policyd.listen",
               f"127.0.0.1:{port}"], name="waybill-policyd")
    wait_port(port)
    return stack


def queue_names(rig: Rig) -> dict[str, str]:
    return {e["queue_id"]: e["queue_name"] for e in rig.postfix.queue()}


def arrived(rig: Rig, subject: str) -> list:
    return [m for m in rig.sink.messages() if m.email["Subject"] == subject]


def held_queue_id(stack: WaybillStack, subject: str) -> str:
    [(queue_id,)] = stack.rig.pg.query(
        "SELECT s.queue_id FROM scheduled_messages s JOIN messages m ON m.id = s.message_id WHERE m.subject = %s",
        (subject,))
    return queue_id


def event_types(stack: WaybillStack, subject: str) -> list[str]:
    return [t for (t,) in stack.rig.pg.query(
        "SELECT e.type FROM events e JOIN messages m ON m.id = e.message_id WHERE m.subject = %s"
        " ORDER BY e.occurred_at", (subject,))]


def test_due_message_waits_in_hold_queue_cancelled_never_arrives_past_sends_now(bin_dir: Path) -> None:
    port = free_port()
    with Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)]) as rig:
        stack = start_stack(rig, bin_dir, port)
        due = time.time() + 10
        for subject, send_at, rcpt in (("later", due, "ann@dest.example"), ("cancel me", due, "bob@dest.example"),
                                       ("past", time.time() - 3600, "cat@dest.example")):
            code, text = rig.postfix.send_smtp("app@sender.example", [rcpt], message(subject, send_at))
            assert code == 250, (subject, text)

        later, cancelled = held_queue_id(stack, "later"), held_queue_id(stack, "cancel me")
        assert queue_names(rig)[later] == "hold" and queue_names(rig)[cancelled] == "hold"
        [past] = rig.sink.wait_for(1)
        assert past.email["Subject"] == "past" and past.email["X-Waybill-Send-At"] is None
        listed = stack.waybill("schedule", "list").stdout
        assert later in listed and cancelled in listed and rfc3339(due) in listed

        out = stack.waybill("schedule", "cancel", cancelled).stdout
        assert f"(queue {cancelled})" in out
        assert cancelled not in queue_names(rig)

        # Not before its time...
        while time.time() < due - 0.5:
            assert not arrived(rig, "later"), "arrived before X-Waybill-Send-At"
            time.sleep(0.2)
        # ...but soon after it.
        assert wait_until(lambda: arrived(rig, "later"), 15, 0.1), rig.postfix.diagnostics()
        [msg] = arrived(rig, "later")
        assert msg.path.stat().st_mtime >= due - 1  # the sink file is written on receipt (second precision)
        assert msg.recipients == ["ann@dest.example"] and msg.email["X-Waybill-Send-At"] is None

        time.sleep(1.5)  # the cancelled one had the same time: it never comes
        assert not arrived(rig, "cancel me")
        assert event_types(stack, "later") == ["accepted", "held", "released"]
        assert event_types(stack, "cancel me") == ["accepted", "held", "cancelled"]
        assert rig.pg.query("SELECT status FROM recipients WHERE address = 'bob@dest.example'") == [("cancelled",)]
        assert "status=sent" in rig.postfix.log_text()


def test_hold_longer_than_queue_lifetime_still_goes_out(bin_dir: Path) -> None:
    port = free_port()
    lifetimes = {"maximal_queue_lifetime": "8s", "bounce_queue_lifetime": "8s"}
    with Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)], extra_main=lifetimes) as rig:
        stack = start_stack(rig, bin_dir, port)
        due = time.time() + 10  # held longer than the queue lifetime
        for subject, send_at in (("long hold", due), ("stock release", time.time() + 3600)):
            code, text = rig.postfix.send_smtp("app@sender.example", ["dan@dest.example"], message(subject, send_at))
            assert code == 250, text
        ours, stock = held_queue_id(stack, "long hold"), held_queue_id(stack, "stock release")

        time.sleep(max(0.0, due - 2 - time.time()))
        rig.sink.stop()  # the first delivery attempt after release fails
        assert wait_until(lambda: "released" in event_types(stack, "long hold"), 15, 0.2), rig.log_of("waybill-policyd")
        # The control: the same kind of message released the stock way, older than the lifetime.
        subprocess.run(["postsuper", "-c", str(rig.postfix.config_dir), "-H", stock], check=True, capture_output=True)
        rig.postfix.flush()
        rig.postfix.wait_log(rf"{stock}: from=<app@sender\.example>, status=expired", timeout=15)

        rig.sink.start()
        rig.postfix.flush()
        assert wait_until(lambda: arrived(rig, "long hold"), 20, 0.2), rig.postfix.diagnostics()
        assert not arrived(rig, "stock release")
