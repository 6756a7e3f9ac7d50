"""waybill-logd: every delivery attempt Postfix logs for mail Waybill accepted becomes one event,
through real Postfix and a scripted SMTP sink that accepts some recipients, answers 4xx to others
until the test releases them, and 5xx to the rest.

Mid-stream the reader is restarted, the log is rotated (rename + postfix reload, as logrotate
does) and PostgreSQL is stopped for a few seconds: afterwards every attempt the sink answered is
exactly one event (attempt numbers 1..n, the sink's reply text), and recipients.status follows the
last attempt. Per-recipient copies and sendmail submissions map to their own queue ids.
"""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from scripted_sink import ScriptedSink  # noqa: E402
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

SENDER = "app@sender.example"
SOFT_REPLY = "450 4.2.0 greylisted by the scripted sink"
HARD_REPLY = "550 5.1.1 no such user here"


def message(recipients: list[str], n: int) -> bytes:
    return (f"From: App <{SENDER}>\r\nTo: {', '.join(recipients)}\r\nSubject: attempt test {n}\r\n"
            f"Message-ID: <logd-{n}@sender.example>\r\nDate: Tue, 1 Dec 2026 10:00:00 +0000\r\n"
            f"\r\nHello {n}, see https://shop.example/item/{n}\r\n").encode()


def start_logd(rig: Rig, stack: WaybillStack, metrics_port: int) -> subprocess.Popen:
    proc = rig.spawn([stack.binary("waybill-logd"), "--config", str(stack.config)], name="waybill-logd")
    wait_port(metrics_port)
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    assert proc.wait(10) == 0


def top_received_queue_id(data: bytes) -> str:
    """The queue id in the newest Received header: the queue file the sink got this from."""
    headers = data.split(b"\r\n\r\n", 1)[0].decode(errors="replace")
    unfolded = re.sub(r"\r\n[ \t]+", " ", headers)
    received = next(line for line in unfolded.split("\r\n") if line.lower().startswith("received:"))
    return re.search(r"\bid ([0-9A-Za-z]+)", received).group(1)


def log_events(rig: Rig) -> list[tuple]:
    return rig.pg.query(
        "SELECT lower(r.address), e.type, (e.details->>'attempt')::int, e.details->>'reply', e.details->>'queue_id', "
        "e.details->>'relay_address' "
        "FROM events e JOIN recipients r ON r.id = e.recipient_id "
        "WHERE e.type IN ('delivered', 'deferred', 'bounced') ORDER BY 1, 3")


def test_every_attempt_once_through_restart_rotation_and_outage(bin_dir: Path) -> None:
    milter_port, metrics_port = free_port(), free_port()
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)]) as rig:
        released = threading.Event()

        def answer(address: str) -> str | None:
            if address.startswith("hard"):
                return HARD_REPLY
            if address.startswith("soft") and not released.is_set():
                return SOFT_REPLY
            return None

        rig.sink.stop()  # the scripted sink takes smtp-sink's port (Postfix relays there)
        sink = ScriptedSink(rig.sink.port, answer)
        sink.start()
        stack = WaybillStack(rig, bin_dir, sections={"logd": {
            "log_file": str(rig.postfix.log_file), "poll_ms": "100", "metrics_listen": f"127.0.0.1:{metrics_port}"}})
        stack.migrate()
        stack.start_milter(milter_port)
        logd = start_logd(rig, stack, metrics_port)

        expected_status: dict[str, str] = {}
        for n in range(100):
            kind = "ok" if n < 40 else "soft" if n < 70 else "hard"
            address = f"{kind}{n}@rcpt.example"
            expected_status[address] = "bounced" if kind == "hard" else "delivered"
            code, text = rig.postfix.send_smtp(SENDER, [address], message([address], n))
            assert code == 250, text
        # Per-recipient copies (SMTP) and sendmail submissions, one and several recipients.
        copies = [f"copy{i}@rcpt.example" for i in range(3)]
        assert rig.postfix.send_smtp(SENDER, copies, message(copies, 200))[0] == 250
        by_sendmail = [f"pickup{i}@rcpt.example" for i in range(2)]
        rig.postfix.sendmail(SENDER, by_sendmail, message(by_sendmail, 201))
        rig.postfix.sendmail(SENDER, ["single@rcpt.example"], message(["single@rcpt.example"], 202))
        for address in copies + by_sendmail + ["single@rcpt.example"]:
            expected_status[address] = "delivered"

        # Mid-stream: soft recipients keep being deferred (Postfix retries every second or two).
        assert wait_until(lambda: sum(len(sink.answers[a]) for a in sink.answers if a.startswith("soft")) >= 30, 30)
        stop(logd)
        logd = start_logd(rig, stack, metrics_port)
        time.sleep(1.5)
        rig.postfix.log_file.rename(rig.postfix.log_file.with_name("maillog.1"))
        rig.postfix.reload()  # postlogd starts a new file, as after logrotate
        assert wait_until(rig.postfix.log_file.exists, 15)
        time.sleep(1.5)
        rig.pg.stop()
        attempts_before = sum(len(v) for v in sink.answers.values())
        assert wait_until(lambda: sum(len(v) for v in sink.answers.values()) >= attempts_before + 30, 30), \
            "Postfix kept delivering while PostgreSQL was away"
        assert wait_until(lambda: "cannot store" in rig.log_of("waybill-logd"), 15), rig.log_of("waybill-logd")
        time.sleep(3)  # several retries while attempts keep being logged
        rig.pg.start()
        released.set()

        # After the reload qmgr may leave mail in the incoming queue until its next wakeup; a flush
        # now and then asks it to look (what is measured is the reader, not Postfix's schedule).
        def queue_empty() -> bool:
            if not rig.postfix.queue():
                return True
            rig.postfix.flush()
            return False
        assert wait_until(queue_empty, 90, interval=3), rig.postfix.diagnostics()
        expected_events = sum(len(v) for a, v in sink.answers.items() if a in expected_status)
        assert wait_until(lambda: len(log_events(rig)) >= expected_events, 30), \
            f"{len(log_events(rig))} of {expected_events} events\n{rig.log_of('waybill-logd')[-3000:]}"
        time.sleep(0.5)  # anything doubled would show up now
        events = log_events(rig)
        assert len(events) == expected_events

        by_address: dict[str, list[tuple]] = defaultdict(list)
        for row in events:
            by_address[row[0]].append(row)
        for address, status in expected_status.items():
            answers = sink.answers[address]
            rows = by_address[address]
            assert [r[2] for r in rows] == list(range(1, len(answers) + 1)), (address, rows)
            assert [r[1] for r in rows[:-1]] == ["deferred"] * (len(answers) - 1), (address, rows)
            for row, answered in zip(rows, answers):
                if answered.startswith("450"):
                    assert row[1] == "deferred" and SOFT_REPLY in row[3], row
                    assert row[5] == "127.0.0.1", row
            last = rows[-1]
            assert last[1] == status, (address, rows)
            if status == "bounced":
                assert HARD_REPLY in last[3], last
            else:
                (data, final), = sink.delivered_to(address)
                assert final in last[3], (last, final)
                assert last[4] == top_received_queue_id(data), (address, last)

        statuses = dict(rig.pg.query("SELECT lower(address), status FROM recipients"))
        assert {a: statuses[a] for a in expected_status} == expected_status
        # recipients.queue_id names the queue file each recipient was delivered from.
        queue_ids = dict(rig.pg.query("SELECT lower(address), queue_id FROM recipients"))
        for address in copies + by_sendmail + ["single@rcpt.example"]:
            (data, _), = sink.delivered_to(address)
            assert queue_ids[address] == top_received_queue_id(data), address
        assert len({queue_ids[a] for a in copies}) == 3 and len({queue_ids[a] for a in by_sendmail}) == 2
        assert rig.pg.query("SELECT count(*) FROM messages WHERE subject IN ('attempt test 200', 'attempt test 201')") \
            == [(2,)]

        # The reader went through all three: the outage (retried, then stored), the rotated file
        # (attempts in both files) and now follows the new file.
        logd_log = rig.log_of("waybill-logd")
        assert "stored again after" in logd_log and "from offset" in logd_log, logd_log
        rotated = rig.postfix.log_file.with_name("maillog.1").read_text()
        assert "status=deferred" in rotated and "status=deferred" in rig.postfix.log_text()
        positions = rig.pg.query("SELECT log_file, inode, byte_offset FROM delivery_log_positions")
        assert positions[0][0].endswith(":" + str(rig.postfix.log_file)), positions
        assert positions[0][1] == rig.postfix.log_file.stat().st_ino and positions[0][2] > 0, positions
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        assert re.search(r"^waybill_logd_lag_seconds 0$", metrics, re.M), metrics
        assert "Waybill cannot" not in rig.log_of("waybill-logd")
        stop(logd)
        sink.stop()


def test_outcome_stored_from_a_dsn_first_is_not_stored_again(bin_dir: Path) -> None:
    """The dedupe key waybill-pipe claims for a bounce (delivered_outcomes) stops logd's copy."""
    metrics_port = free_port()
    with Rig(postfix=False) as rig:
        log_file = rig.path("mail.log")
        stack = WaybillStack(rig, bin_dir, sections={"logd": {
            "log_file": str(log_file), "poll_ms": "50", "metrics_listen": f"127.0.0.1:{metrics_port}"}})
        stack.migrate()
        rig.pg.execute("INSERT INTO messages (id, queue_id, envelope_sender) VALUES "
                       "('00000000-0000-4000-8000-000000000001', '4Q1b2c3D4fz5Hk', 'a@sender.example')")
        rig.pg.execute("INSERT INTO recipients (id, message_id, address, queue_id) VALUES "
                       "('00000000-0000-4000-8000-0000000000a1', '00000000-0000-4000-8000-000000000001', "
                       "'X@Rcpt.Example', '4Q1b2c3D4fz5Hk')")
        rig.pg.execute("INSERT INTO delivery_outcomes (dedupe_key, source) VALUES "
                       "('bounced/00000000-0000-4000-8000-0000000000a1/4Q1b2c3D4fz5Hk', 'pipe')")
        line = ("Dec  1 21:49:36 h postfix/smtp[1]: 4Q1b2c3D4fz5Hk: to=<x@rcpt.example>, relay=none, delay=1, "
                "delays=0/0/0/1, dsn=5.1.1, status=bounced (host said: 550 5.1.1 unknown)\n")
        unknown = line.replace("4Q1b2c3D4fz5Hk", "4Q9z9z9z9z9z9z")
        log_file.write_text(unknown + line)
        logd = start_logd(rig, stack, metrics_port)
        assert wait_until(lambda: rig.pg.query("SELECT byte_offset FROM delivery_log_positions")
                          == [(len(unknown) + len(line),)], 15), rig.log_of("waybill-logd")
        assert rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'") == [(0,)]
        assert rig.pg.query("SELECT status, delivery_attempts FROM recipients") == [("bounced", 1)]
        metrics = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10).read().decode()
        assert re.search(r'^waybill_logd_attempts_ignored_total\{reason="duplicate"\} 1$', metrics, re.M), metrics
        assert re.search(r'^waybill_logd_attempts_ignored_total\{reason="unknown"\} 1$', metrics, re.M), metrics
        # Truncated and rewritten (copytruncate): the new line is read; the old one is not replayed.
        log_file.write_text(line.replace("status=bounced", "status=deferred").replace("5.1.1", "4.4.1"))
        assert wait_until(lambda: rig.pg.query("SELECT count(*) FROM events WHERE type = 'deferred'") == [(1,)], 15)
        stop(logd)


def test_a_postfix_bounce_is_one_event_from_its_log_line_and_its_dsn(bin_dir: Path) -> None:
    """Postfix logs the bounce and mails its DSN (X-Postfix-Queue-ID) to the VERP address, which
    waybill-pipe stores: both claim one key, so the attempt is one `bounced` event."""
    milter_port, metrics_port = free_port(), free_port()
    bounce_domain = "bounces.sender.example"
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)]) as rig:
        rig.sink.stop()
        sink = ScriptedSink(rig.sink.port, lambda address: HARD_REPLY if address.startswith("hard") else None)
        sink.start()
        stack = WaybillStack(rig, bin_dir, sections={
            "pipe": {"bounce_domain": bounce_domain, "socket": ""},
            "logd": {"log_file": str(rig.postfix.log_file), "poll_ms": "100",
                     "metrics_listen": f"127.0.0.1:{metrics_port}"}})
        stack.migrate()
        transport = rig.path("transport")
        transport.write_text(f"{bounce_domain} waybill-pipe:\n")
        argv = (f"{stack.binary('waybill-pipe')} --config {stack.config} --sender=${{sender}} "
                f"--recipient=${{recipient}} --queue-id=${{queue_id}}")
        rig.postfix.extra_master = f"waybill-pipe unix - n n - 10 pipe flags=Rq user=nobody\n  argv={argv}\n"
        rig.postfix.configure({"transport_maps": f"texthash:{transport}",
                               "waybill-pipe_destination_recipient_limit": "1"})
        stack.config.chmod(0o644)  # waybill-pipe runs as nobody
        stack.start_milter(milter_port)
        logd = start_logd(rig, stack, metrics_port)
        assert rig.postfix.send_smtp(SENDER, ["hard1@rcpt.example"], message(["hard1@rcpt.example"], 300))[0] == 250

        def both_seen() -> bool:
            [(dsns,)] = rig.pg.query("SELECT count(*) FROM pipe_messages WHERE kind = 'dsn'")
            [(attempts,)] = rig.pg.query("SELECT coalesce(sum(delivery_attempts), 0) FROM recipients")
            return dsns >= 1 and attempts >= 1
        assert wait_until(both_seen, 30), rig.postfix.log_text()[-3000:]
        rig.postfix.wait_queue_empty(timeout=30)
        # The DSN was attributed to the recipient (without the key it would be a second event).
        assert rig.pg.query("SELECT count(*) FROM pipe_messages WHERE kind = 'dsn' AND recipient_id IS NOT NULL") == [(1,)]
        assert rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'") == [(1,)]
        [(key, source)] = rig.pg.query("SELECT dedupe_key, source FROM delivery_outcomes")
        [(queue_id,)] = rig.pg.query("SELECT queue_id FROM recipients")
        assert key.startswith("bounced/") and key.endswith("/" + queue_id) and source in ("log", "pipe")
        assert rig.pg.query("SELECT status FROM recipients") == [("bounced",)]
        stop(logd)
        sink.stop()
