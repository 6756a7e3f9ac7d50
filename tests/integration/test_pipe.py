"""Issue 7: waybill-pipe through real Postfix and PostgreSQL.

Delivery reports for three loopback sinks (accept, 4xx, 5xx) reach the right recipient rows and the
hard bounce is refused by policyd on the next send; a database outage makes Postfix keep the message
(exit 75) and store it exactly once later; inbound mail is stored with its parts and announced with
NOTIFY; complaints, mailto unsubscribes, auto-replies and garbage are stored as what they are.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import select
import smtplib
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from scripted_sink import ScriptedSink  # noqa: E402
from waybill_rig import Rig, Sink, free_port, insert_sent_message, wait_port, wait_until  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, OnStack, WaybillStack, route_to_pipes, skip_unless_built  # noqa: E402

BOUNCE_DOMAIN = "bounces.test"
INBOUND_DOMAIN = "inbound.test"
SENDER = "news@sender.test"
KEY_ID, KEY_HEX = TOKEN_KEY_LINE.split()


def token(kind: str, recipient_id: uuid.UUID) -> str:
    """core/token/tracking_token.h wire form: version, key id, kind, uuid, 16-byte HMAC."""
    body = bytes([1, int(KEY_ID), ord(kind)]) + recipient_id.bytes
    mac = hmac.new(bytes.fromhex(KEY_HEX), body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")


def verp(recipient_id: uuid.UUID) -> str:
    return f"bounce+{token('b', recipient_id)}@{BOUNCE_DOMAIN}"


# A 5xx sink: smtp-sink's reject mode answers "500 5.3.0", but a hard bounce needs what real
# servers say about a missing mailbox.
UNKNOWN_USER = "550 5.1.1 <gone@reject.test>: Recipient address rejected: User unknown in local recipient table"


# ---------------------------------------------------------------------------------------------
# Fixture: Postfix routes the bounce and inbound domains to waybill-pipe, three sink domains to
# three sinks; policyd checks RCPT; Postfix itself reports every outcome (smtp-sink's DSN support
# is hidden so Postfix writes the "relayed" notice itself).


class PipeStack(OnStack):
    def __init__(self, stack: WaybillStack, defer_sink: Sink, policyd_port: int) -> None:
        super().__init__(stack)
        self.defer_sink = defer_sink
        self.policyd_port = policyd_port

    def pipe(self, raw: bytes, recipient: str, queue_id: str = "TESTQ", sender: str = "") -> subprocess.CompletedProcess:
        """Runs waybill-pipe by hand, as Postfix would."""
        return subprocess.run([str(self.stack.binary("waybill-pipe")), "--config", str(self.stack.config),
                               f"--sender={sender}", f"--recipient={recipient}", f"--queue-id={queue_id}"],
                              input=raw, capture_output=True, timeout=30)

    def add_message(self, addresses: list[str]) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
        return insert_sent_message(self.pg, SENDER, addresses, subject="pipe")

    def events(self, recipient_id: uuid.UUID) -> list[tuple]:
        return self.pg.query("SELECT type, details FROM events WHERE recipient_id = %s ORDER BY occurred_at",
                             (str(recipient_id),))


@pytest.fixture(scope="module")
def ps(bin_dir: Path):
    skip_unless_built(bin_dir, "waybill", "waybill-pipe", "waybill-policyd")
    policyd_port = free_port()
    reject = ScriptedSink(free_port(), answer=lambda address: UNKNOWN_USER)
    reject.start()
    with Rig(policy_service=f"inet:127.0.0.1:{policyd_port}") as rig:
        stack = WaybillStack(rig, bin_dir, sections={
            "pipe": {"bounce_domain": BOUNCE_DOMAIN, "inbound_domains": INBOUND_DOMAIN, "soft_bounce_limit": "2"},
            "log": {"syslog": "false", "stderr": "true", "level": "warning"}})
        stack.migrate()
        defer_sink = Sink(rig.path("defer"), mode="tempfail")
        try:
            route_to_pipes(rig, stack, {"accept.test": f"smtp:[127.0.0.1]:{rig.sink.port}",
                                        "defer.test": f"smtp:[127.0.0.1]:{defer_sink.port}",
                                        "reject.test": f"smtp:[127.0.0.1]:{reject.port}",
                                        BOUNCE_DOMAIN: "waybill-pipe:", INBOUND_DOMAIN: "waybill-pipe:"},
                           {"waybill-pipe": stack.binary("waybill-pipe")},
                           smtp_discard_ehlo_keywords="dsn", delay_warning_time="1s")
            rig.spawn([stack.binary("waybill-policyd"), "--config", str(stack.config),
                       "--policyd.listen", f"127.0.0.1:{policyd_port}", "--log.level", "info"], name="waybill-policyd")
            wait_port(policyd_port)
            assert wait_until(lambda: "suppression list loaded" in rig.log_of("waybill-policyd"), 10)
            yield PipeStack(stack, defer_sink, policyd_port)
        finally:
            defer_sink.stop()
            reject.stop()


def submit_with_dsn(ps: PipeStack, envelope_sender: str, recipient: str, header_id: str) -> None:
    data = (f"From: {SENDER}\r\nTo: {recipient}\r\nSubject: dsn test\r\nMessage-ID: {header_id}\r\n\r\n"
            "Hello.\r\n").encode()
    with smtplib.SMTP("127.0.0.1", ps.postfix.smtp_port, local_hostname="client.test", timeout=30) as s:
        s.ehlo()
        s.sendmail(envelope_sender, [recipient], data, rcpt_options=["NOTIFY=SUCCESS,DELAY,FAILURE"])


def wait_event(ps: PipeStack, recipient_id: uuid.UUID, event_type: str, timeout: float = 30) -> dict:
    found: list[dict] = []

    def seen() -> bool:
        found[:] = [d for t, d in ps.events(recipient_id) if t == event_type]
        return bool(found)

    assert wait_until(seen, timeout, 0.2), (event_type, ps.events(recipient_id), ps.postfix.diagnostics())
    return found[0]


# ---------------------------------------------------------------------------------------------


def test_delivered_deferred_and_bounced_reach_the_right_rows(ps: PipeStack) -> None:
    _, header, (ok, slow, gone) = ps.add_message(["ok@accept.test", "slow@defer.test", "gone@reject.test"])
    for rid, address in ((ok, "ok@accept.test"), (slow, "slow@defer.test"), (gone, "gone@reject.test")):
        submit_with_dsn(ps, verp(rid), address, header)

    delivered = wait_event(ps, ok, "delivered")
    assert delivered["action"] == "relayed" and delivered["status"].startswith("2.")
    assert delivered["diagnostic"].startswith("250"), delivered  # the sink's own reply

    bounced = wait_event(ps, gone, "bounced")
    assert bounced["hardbounce"] is True and bounced["class"] == "hard" and bounced["reason"] == "userunknown"
    assert bounced["status"] == "5.1.1" and bounced["replycode"] == "550"
    assert "User unknown in local recipient table" in bounced["diagnostic"]

    deferred = wait_event(ps, slow, "deferred")
    assert deferred["action"] == "delayed" and deferred["status"].startswith("4.")

    statuses = dict(ps.pg.query("SELECT address, status FROM recipients WHERE id IN (%s, %s, %s)",
                                (str(ok), str(slow), str(gone))))
    assert statuses == {"ok@accept.test": "delivered", "slow@defer.test": "deferred", "gone@reject.test": "bounced"}
    # No other recipient got these events.
    assert ps.pg.query("SELECT count(*) FROM events WHERE type = 'bounced' AND recipient = 'gone@reject.test'") == [(1,)]

    # The hard bounce became a suppression; policyd (LISTEN/NOTIFY) refuses the next send.
    assert ps.pg.query("SELECT reason, source FROM suppressions WHERE recipient = 'gone@reject.test'") == [("hard_bounce", "pipe")]

    def refused() -> bool:
        with smtplib.SMTP("127.0.0.1", ps.postfix.smtp_port, local_hostname="client.test", timeout=30) as s:
            s.ehlo()
            s.mail(SENDER)
            code, _ = s.rcpt("gone@reject.test")
            return code == 554

    assert wait_until(refused, 5, 0.2), ps.rig.log_of("waybill-policyd")[-2000:]


def bounce_for(recipient: str, header_id: str) -> bytes:
    """A Postfix-style DSN (multipart/report) naming one failed recipient."""
    return (f"From: MAILER-DAEMON@mx.test (Mail Delivery System)\nTo: {SENDER}\n"
            "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nI'm sorry.\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.test\n\n"
            f"Final-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.2.2\n"
            f"Diagnostic-Code: smtp; 552 5.2.2 <{recipient}>: mailbox full\n\n"
            f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {header_id}\nFrom: {SENDER}\nTo: {recipient}\n\n--B--\n").encode()


def test_database_outage_tempfails_and_the_retry_stores_once(ps: PipeStack) -> None:
    _, header, (rid,) = ps.add_message(["full@elsewhere.test"])
    ps.pg.stop()
    try:
        result = ps.postfix.sendmail("", [verp(rid)], bounce_for("full@elsewhere.test", header))
        assert result.returncode == 0
        match = ps.postfix.wait_log(r"(\w+): to=<bounce\+[^>]*>, relay=waybill-pipe.*status=deferred")
        queue_id = match.group(1)
        assert any(m["queue_id"] == queue_id for m in ps.postfix.queue())  # Postfix kept it
        # A second attempt while the database is still away defers again, nothing lost.
        ps.postfix.flush()
        assert wait_until(lambda: ps.postfix.log_text().count(f"{queue_id}: to=<bounce+") >= 2, 15, 0.2)
    finally:
        ps.pg.start()
    ps.postfix.flush()
    event = wait_event(ps, rid, "bounced")
    assert event["reason"] == "mailboxfull" and event["hardbounce"] is False
    assert wait_until(lambda: all(m["queue_id"] != queue_id for m in ps.postfix.queue()), 20, 0.2)
    assert len(ps.events(rid)) == 1
    # A retry after the commit (e.g. killed before exit) finds it stored and changes nothing.
    [(delivered_bytes,)] = ps.pg.query("SELECT raw FROM pipe_messages WHERE queue_id = %s", (queue_id,))
    rerun = ps.pipe(bytes(delivered_bytes), verp(rid), queue_id=queue_id)
    assert rerun.returncode == 0, rerun.stderr
    assert len(ps.events(rid)) == 1
    assert ps.pg.query("SELECT count(*) FROM pipe_messages WHERE queue_id = %s", (queue_id,)) == [(1,)]


def test_pipe_exits_75_when_the_database_is_unreachable(ps: PipeStack, tmp_path: Path) -> None:
    config = tmp_path / "down.conf"
    config.write_text(ps.stack.config.read_text().replace(f":{ps.pg.port}/", f":{free_port()}/"))
    result = subprocess.run([str(ps.stack.binary("waybill-pipe")), "--config", str(config), "--recipient=x@bounces.test"],
                            input=b"Subject: x\n\nx\n", capture_output=True, timeout=30)
    assert result.returncode == 75, result


def test_inbound_mail_is_stored_with_its_parts_and_announced(ps: PipeStack) -> None:
    listener = psycopg2.connect(ps.pg.url, connect_timeout=5)
    listener.autocommit = True
    listener.cursor().execute("LISTEN waybill_inbound")
    raw = (f"From: Ann <ann@customer.test>\nTo: support@{INBOUND_DOMAIN}\nSubject: =?utf-8?q?Hall=C3=B6?=\n"
           "Message-ID: <in-1@customer.test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"M\"\n\n"
           "--M\nContent-Type: multipart/alternative; boundary=\"A\"\n\n"
           "--A\nContent-Type: text/plain; charset=utf-8\n\nPlain body\n"
           "--A\nContent-Type: text/html; charset=utf-8\n\n<p>HTML body</p>\n--A--\n"
           "--M\nContent-Type: application/pdf; name=\"invoice.pdf\"\nContent-Disposition: attachment; filename=\"invoice.pdf\"\n"
           "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n--M--\n").encode()
    try:
        assert ps.postfix.sendmail("ann@customer.test", [f"support@{INBOUND_DOMAIN}"], raw).returncode == 0
        notified = []

        def got_notify() -> bool:
            if select.select([listener], [], [], 0.2)[0]:
                listener.poll()
                notified.extend(listener.notifies)
                listener.notifies.clear()
            return bool(notified)

        assert wait_until(got_notify, 30, 0.05), ps.postfix.diagnostics()
    finally:
        listener.close()
    [row] = ps.pg.query("SELECT id, envelope_sender, envelope_recipient, subject, text_body, html_body, attachments, "
                        "octet_length(raw) FROM inbound_messages WHERE message_id_header = '<in-1@customer.test>'")
    assert f'"{row[0]}"' in notified[0].payload
    assert row[1:4] == ("ann@customer.test", f"support@{INBOUND_DOMAIN}", "Hallö")
    assert row[4].strip() == "Plain body" and row[5].strip() == "<p>HTML body</p>"
    assert row[6] == [{"filename": "invoice.pdf", "content_type": "application/pdf", "size": 9}]
    assert row[7] >= len(raw)


ARF = """From: feedback@provider.test
To: {verp}
Subject: complaint
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: Test/1.0
Version: 1
Original-Rcpt-To: {rcpt}

--F
Content-Type: text/rfc822-headers

Message-ID: {header}
From: news@sender.test
To: {rcpt}

--F--
"""


def test_complaint_unsubscribe_auto_reply_and_garbage(ps: PipeStack) -> None:
    _, header, (complainer, leaver, away) = ps.add_message(["c@x.test", "u@x.test", "v@x.test"])

    arf = ARF.format(verp=verp(complainer), rcpt="c@x.test", header=header).encode()
    assert ps.pipe(arf, verp(complainer), "Q1").returncode == 0
    assert [t for t, _ in ps.events(complainer)] == ["complained"]
    assert ps.pg.query("SELECT reason FROM suppressions WHERE recipient = 'c@x.test'") == [("complaint",)]

    unsub = f"unsub+{token('u', leaver)}@{BOUNCE_DOMAIN}"
    assert ps.pipe(b"From: u@x.test\nSubject: unsubscribe\n\n", unsub, "Q2", "u@x.test").returncode == 0
    assert [t for t, _ in ps.events(leaver)] == ["unsubscribed"]
    assert ps.pg.query("SELECT reason, scope, scope_value FROM suppressions WHERE recipient = 'u@x.test'") == [
        ("unsubscribed", "sender", SENDER)]

    reply = (b"From: v@x.test\nTo: news@sender.test\nSubject: Out of Office: pipe\nAuto-Submitted: auto-replied\n\n"
             b"I am away until Monday.\n")
    assert ps.pipe(reply, verp(away), "Q3").returncode == 0
    assert ps.events(away) == []  # recorded, never counted as a bounce
    assert ps.pg.query("SELECT kind FROM pipe_messages WHERE queue_id = 'Q3'") == [("auto_reply",)]

    assert ps.pipe(b"\x00\xff garbage without headers", f"bounce+nonsense@{BOUNCE_DOMAIN}", "Q4").returncode == 0
    [(kind, size)] = ps.pg.query("SELECT kind, octet_length(raw) FROM pipe_messages WHERE queue_id = 'Q4'")
    assert kind == "unclassified" and size == 26


def test_soft_bounces_suppress_after_the_configured_count(ps: PipeStack) -> None:
    _, header, (first, second) = ps.add_message(["soft@x.test", "other@x.test"])
    for n, rid in enumerate((first, first)):
        assert ps.pipe(bounce_for("soft@x.test", header), verp(rid), f"S{n}").returncode == 0
        expected = [] if n == 0 else [("soft_bounce",)]
        assert ps.pg.query("SELECT reason FROM suppressions WHERE recipient = 'soft@x.test'") == expected
    assert ps.pg.query("SELECT count(*) FROM events WHERE recipient = 'soft@x.test' AND type = 'bounced'") == [(2,)]
    assert ps.events(second) == []


def test_classify_only_prints_json_lines_and_stores_nothing(ps: PipeStack) -> None:
    import json

    golden = Path(__file__).resolve().parents[1] / "golden" / "dsn" / "postfix-bounce-userunknown.eml"
    before = ps.pg.query("SELECT count(*) FROM pipe_messages")
    result = subprocess.run([str(ps.stack.binary("waybill-pipe")), "--config", str(ps.stack.config), "--classify-only"],
                            input=golden.read_bytes(), capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    [line] = [json.loads(x) for x in result.stdout.decode().splitlines()]
    wanted = {"recipient": "gone@reject.test", "action": "failed", "status": "5.1.1", "replycode": "550",
              "reason": "userunknown", "hardbounce": True, "feedbacktype": ""}
    assert {k: line[k] for k in wanted} == wanted
    assert ps.pg.query("SELECT count(*) FROM pipe_messages") == before


def test_mangled_token_falls_back_to_message_id_and_final_recipient(ps: PipeStack) -> None:
    _, header, (first, second) = ps.add_message(["one@x.test", "two@x.test"])
    mangled = verp(second)[:-20] + "xx@" + BOUNCE_DOMAIN  # a relay rewrote the address
    assert ps.pipe(bounce_for("two@x.test", header), mangled, "M1").returncode == 0
    [(event_type, details)] = ps.events(second)
    assert event_type == "bounced" and details["reason"] == "mailboxfull"
    assert ps.events(first) == []
    # A forged token naming the other recipient is not believed either.
    assert ps.pipe(bounce_for("two@x.test", header), f"bounce+{token('b', uuid.uuid4())}xyz@{BOUNCE_DOMAIN}",
                   "M2").returncode == 0
    assert ps.events(first) == [] and len(ps.events(second)) == 2
