"""Hostile bounces change nothing: the bounce domain as an attacker would use it.

Through real Postfix -> waybill-pipe -> waybill-piped --serve (and the one-shot program, as its
own pipe transport) -> PostgreSQL: forged DSNs, ARF reports and mailto unsubscribes (no token, a
token for another recipient, a Message-ID not ours, 1,000 victims in one DSN, a 10 KB address)
change no suppression, no event and no recipient's status, and are listed in the view
unattributed_results with the reason; genuine ones still count. Non-UTF-8 bytes in every field a
bounce or report can carry are stored (daemon and one-shot) and the daemon is the same process after.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pipe import BOUNCE_DOMAIN, SENDER, token  # noqa: E402
from waybill_rig import Rig, insert_sent_message, pid_alive, wait_until  # noqa: E402
from waybill_stack import OnStack, WaybillStack, pipe_daemon_stack, route_to_pipes, skip_unless_built  # noqa: E402

BAD = b"\xff\xfe\xc3(\x80\xed\xa0\x80"  # invalid bytes, a broken sequence, a UTF-16 surrogate


def verp(recipient_id: uuid.UUID, local: str = "bounce") -> str:
    return f"{local}+{token('b', recipient_id)}@{BOUNCE_DOMAIN}"


def dsn(results: list[bytes], message_id: str | bytes, extra_headers: bytes = b"", reporting_mta: bytes = b"mx.test") -> bytes:
    message_id = message_id.encode() if isinstance(message_id, str) else message_id
    return (b"From: MAILER-DAEMON@mx.test (Mail Delivery System)\nTo: " + SENDER.encode() + b"\n"
            b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n" + extra_headers +
            b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            b"--B\nContent-Type: text/plain\n\nI'm sorry.\n\n"
            b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; " + reporting_mta + b"\n\n" +
            b"".join(results) +
            b"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: " + message_id + b"\n\n--B--\n")


def failed(address: bytes | str, action: bytes = b"failed", status: bytes = b"5.1.1",
           diagnostic: bytes = b"550 5.1.1 user unknown", more: bytes = b"") -> bytes:
    address = address.encode() if isinstance(address, str) else address
    return (b"Final-Recipient: rfc822; " + address + b"\nAction: " + action + b"\nStatus: " + status + b"\n" + more +
            b"Diagnostic-Code: smtp; " + diagnostic + b"\n\n")


def arf(rcpt: bytes | str, message_id: str, feedback_type: bytes = b"abuse", more: bytes = b"",
        subject: bytes = b"complaint") -> bytes:
    rcpt = rcpt.encode() if isinstance(rcpt, str) else rcpt
    return (b"From: feedback@provider.test\nSubject: " + subject + b"\nMIME-Version: 1.0\n"
            b'Content-Type: multipart/report; report-type=feedback-report; boundary="F"\n\n'
            b"--F\nContent-Type: text/plain\n\nThis is an abuse report.\n"
            b"--F\nContent-Type: message/feedback-report\n\nFeedback-Type: " + feedback_type + b"\nVersion: 1\n"
            b"User-Agent: Test/1.0\nOriginal-Rcpt-To: " + rcpt + b"\n" + more + b"\n"
            b"--F\nContent-Type: text/rfc822-headers\n\nMessage-ID: " + message_id.encode() + b"\nTo: " + rcpt +
            b"\n\n--F--\n")


class HostileStack(OnStack):
    def __init__(self, stack: WaybillStack, daemon) -> None:
        super().__init__(stack)
        self.daemon = daemon

    def add_message(self, addresses: list[str]) -> tuple[str, list[uuid.UUID]]:
        _, header, ids = insert_sent_message(self.pg, SENDER, addresses)
        return header, ids

    def deliver(self, envelope_recipient: str, raw: bytes, one_shot: bool = False) -> None:
        """Hands Postfix one message for the bounce domain and waits until waybill-pipe stored it.

        one_shot: the 'oneshot' local part, routed to waybill-piped run once per message."""
        if one_shot:
            envelope_recipient = "oneshot" + envelope_recipient[envelope_recipient.index("+"):] \
                if "+" in envelope_recipient else "oneshot@" + envelope_recipient.split("@")[1]
        before = self.stored(envelope_recipient)
        assert self.postfix.sendmail("", [envelope_recipient], raw).returncode == 0
        assert wait_until(lambda: self.stored(envelope_recipient) > before, 30, 0.1), self.postfix.diagnostics()

    def stored(self, envelope_recipient: str) -> int:
        [(count,)] = self.pg.query("SELECT count(*) FROM pipe_messages WHERE envelope_recipient = %s",
                                   (envelope_recipient,))
        return count

    def consequences(self) -> tuple:
        """Everything a bounce may change: suppressions, events, recipients' statuses."""
        return (self.pg.query("SELECT recipient, scope, reason FROM suppressions ORDER BY 1, 2, 3"),
                self.pg.query("SELECT type, recipient_id, recipient FROM events ORDER BY 2, 1"),
                self.pg.query("SELECT id, status FROM recipients ORDER BY id"))

    def whys(self, envelope_recipient: str) -> list[str]:
        return [w for (w,) in self.pg.query("SELECT why FROM unattributed_results WHERE envelope_recipient = %s",
                                            (envelope_recipient,))]


@pytest.fixture(scope="module")
def hs(bin_dir: Path):
    skip_unless_built(bin_dir, "waybill", "waybill-pipe", "waybill-piped")
    with Rig() as rig:
        stack, _ = pipe_daemon_stack(rig, bin_dir, BOUNCE_DOMAIN, log_level="info")
        # recipient_delimiter makes oneshot+TOKEN@ look up oneshot@: the one-shot program's transport.
        route_to_pipes(rig, stack, {f"oneshot@{BOUNCE_DOMAIN}": "waybill-oneshot:", BOUNCE_DOMAIN: "waybill-pipe:"},
                       {"waybill-pipe": stack.binary("waybill-pipe"), "waybill-oneshot": stack.binary("waybill-piped")},
                       recipient_delimiter="+")
        daemon = rig.spawn([stack.binary("waybill-piped"), "--config", str(stack.config), "--serve"],
                           name="waybill-piped")
        assert wait_until(lambda: "serving on" in rig.log_of("waybill-piped"), 30), rig.log_of("waybill-piped")
        yield HostileStack(stack, daemon)


def test_forged_reports_change_nothing_and_say_why(hs: HostileStack) -> None:
    our_header, (attacker, victim) = hs.add_message(["attacker@x.test", "victim@x.test"])
    _, others = hs.add_message([f"customer{i}@big.test" for i in range(1000)])
    not_ours = "<forged-1@elsewhere.test>"
    before = hs.consequences()
    cases = [
        # (envelope recipient, message, the reasons unattributed_results must give)
        (f"nobody@{BOUNCE_DOMAIN}", dsn([failed("victim@x.test")], not_ours), ["message_id_not_ours"]),
        (f"forged+garbage@{BOUNCE_DOMAIN}", dsn([failed("victim@x.test")], "<nope@x>"), ["message_id_not_ours"]),
        (f"noid@{BOUNCE_DOMAIN}", dsn([failed("customer1@big.test")], ""), ["no_token_no_message_id"]),
        # A genuine token of the attacker's own, and the attacker's own Message-ID, naming someone else.
        (verp(attacker, "other"), dsn([failed("customer2@big.test")], our_header), ["token_names_another_recipient"]),
        (f"ourid@{BOUNCE_DOMAIN}", dsn([failed("customer3@big.test")], our_header), ["not_a_recipient_of_that_message"]),
        (f"thousand@{BOUNCE_DOMAIN}", dsn([failed(f"customer{i}@big.test") for i in range(1000)], not_ours),
         ["message_id_not_ours"] * 1000),
        (verp(attacker, "long"), dsn([failed(b"v" * 10240 + b"@x.test")], our_header), ["address_too_long"]),
        (f"long@{BOUNCE_DOMAIN}", dsn([failed("a@" + "d" * 10240)], our_header), ["address_too_long"]),
        (f"arf@{BOUNCE_DOMAIN}", arf("victim@x.test", not_ours), ["message_id_not_ours"]),
        (verp(attacker, "arf"), arf("customer4@big.test", our_header), ["token_names_another_recipient"]),
        (f"unsub+{token('b', victim)}@{BOUNCE_DOMAIN}", b"Subject: unsubscribe\n\n", ["invalid_token"]),
        (f"unsub+{token('u', victim)[:-3]}xyz@{BOUNCE_DOMAIN}", b"Subject: unsubscribe\n\n", ["invalid_token"]),
    ]
    for envelope_recipient, raw, _ in cases:
        hs.deliver(envelope_recipient, raw)
    hs.postfix.wait_queue_empty(30)  # every one answered 0: nothing deferred, nothing poisoning the queue
    assert hs.consequences() == before
    for envelope_recipient, _, whys in cases:
        assert sorted(hs.whys(envelope_recipient)) == sorted(whys), envelope_recipient
    assert len(others) == 1000
    # The operator's report says so too.
    report = hs.stack.waybill("report").stdout
    assert "not attributed to a recipient" in report, report
    assert any(line.split() == ["message_id_not_ours", str(1000 + 3)] for line in report.splitlines()), report


def test_genuine_reports_still_count(hs: HostileStack) -> None:
    header, (bounced, mangled, complainer, leaver) = hs.add_message(
        ["gone@x.test", "mangled@x.test", "complains@x.test", "leaves@x.test"])
    hs.deliver(verp(bounced), dsn([failed("gone@x.test")], header))
    broken_token = verp(mangled)[:-20] + "xx@" + BOUNCE_DOMAIN  # our Message-ID + an address of it
    hs.deliver(broken_token, dsn([failed("Mangled@X.test")], header))
    hs.deliver(verp(complainer), arf("complains@x.test", header))
    hs.deliver(f"unsub+{token('u', leaver)}@{BOUNCE_DOMAIN}", b"Subject: unsubscribe\n\n")
    statuses = dict(hs.pg.query("SELECT address, status FROM recipients WHERE message_id = "
                                "(SELECT id FROM messages WHERE message_id_header = %s)", (header,)))
    assert statuses == {"gone@x.test": "bounced", "mangled@x.test": "bounced", "complains@x.test": "accepted",
                        "leaves@x.test": "accepted"}
    suppressed = dict(hs.pg.query("SELECT recipient, reason FROM suppressions WHERE recipient LIKE '%%@x.test'"))
    assert suppressed == {"gone@x.test": "hard_bounce", "mangled@x.test": "hard_bounce",
                          "complains@x.test": "complaint", "leaves@x.test": "unsubscribed"}
    types = hs.pg.query("SELECT type FROM events WHERE recipient_id IN (%s, %s, %s, %s) ORDER BY 1",
                        tuple(str(r) for r in (bounced, mangled, complainer, leaver)))
    assert [t for (t,) in types] == ["bounced", "bounced", "complained", "unsubscribed"]


def non_utf8_messages(rid: uuid.UUID, header: str) -> list[bytes]:
    """Invalid bytes in each field a DSN, an ARF report, a text bounce or an unsubscribe can carry."""
    own = b"bad@x.test"
    return [
        dsn([failed(own, action=b"fail" + BAD)], header),
        dsn([failed(own, status=b"5.1.1" + BAD)], header),
        dsn([failed(own, diagnostic=b"550 5.1.1 " + BAD)], header),
        dsn([failed(own, more=b"Original-Recipient: rfc822; " + BAD + b"@x.test\nRemote-MTA: dns; " + BAD +
                    b"\nDiagnostic-Type: " + BAD + b"\nLast-Attempt-Date: " + BAD + b"\n")], header),
        dsn([failed(BAD + b"@x.test")], header),
        dsn([failed(own)], header, reporting_mta=BAD),
        dsn([failed(own)], header, extra_headers=b"Subject: " + BAD + b"\nFrom: " + BAD + b"\nX-Failed-Recipients: " +
            BAD + b"\n"),
        dsn([failed(own)], header.encode() + BAD),
        arf(own, header, feedback_type=b"abuse" + BAD),
        arf(BAD + b"@x.test", header),
        arf(own, header, more=b"Reporting-MTA: dns; " + BAD + b"\nSource-IP: " + BAD + b"\nOriginal-Mail-From: " +
            BAD + b"\nUser-Agent: " + BAD + b"\nArrival-Date: " + BAD + b"\n", subject=BAD),
        b"From: " + BAD + b"\nSubject: " + BAD + b"\nX-Failed-Recipients: bad@x.test\n\n550 " + BAD + b" bad@x.test\n",
        BAD * 100,
    ]


@pytest.mark.parametrize("one_shot", [False, True], ids=["daemon", "one-shot"])
def test_non_utf8_bytes_in_every_field_are_stored(hs: HostileStack, one_shot: bool) -> None:
    header, (rid,) = hs.add_message(["bad@x.test"])
    daemon_pid = hs.daemon.pid
    messages = non_utf8_messages(rid, header)
    for n, raw in enumerate(messages):
        hs.deliver(verp(rid, f"bad{n}"), raw, one_shot=one_shot)
    hs.postfix.wait_queue_empty(30)
    local = "oneshot" if one_shot else "bad"
    [(stored,)] = hs.pg.query("SELECT count(*) FROM pipe_messages WHERE envelope_recipient LIKE %s",
                              (f"{local}%+{token('b', rid)}@{BOUNCE_DOMAIN}",))
    assert stored == len(messages)
    # The diagnostic one became an event with the bad bytes replaced, not dropped.
    diagnostics = [d["diagnostic"] for t, d in hs.pg.query("SELECT type, details FROM events WHERE recipient_id = %s",
                                                           (str(rid),)) if t == "bounced"]
    assert any("\ufffd" in d for d in diagnostics), diagnostics
    assert hs.daemon.poll() is None and pid_alive(daemon_pid) and hs.daemon.pid == daemon_pid
    assert "internal error" not in hs.rig.log_of("waybill-piped")


def test_one_shot_says_when_it_cuts_a_long_message(hs: HostileStack) -> None:
    header, (rid,) = hs.add_message(["long-input@x.test"])
    raw = dsn([failed("long-input@x.test")], header) + b"X" * (1536 * 1024) + b"\n"
    result = subprocess.run([str(hs.stack.binary("waybill-piped")), "--config", str(hs.stack.config),
                             "--pipe.max_message_mb", "1", "--sender=", f"--recipient={verp(rid, 'cut')}",
                             "--queue-id=CUT1"], input=raw, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert f"queue CUT1: message cut at pipe.max_message_mb (1048576 of {len(raw)} bytes kept)" in \
        result.stderr.decode(), result.stderr
    [(size,)] = hs.pg.query("SELECT octet_length(raw) FROM pipe_messages WHERE queue_id = 'CUT1'")
    assert size == 1048576
    assert [t for (t,) in hs.pg.query("SELECT type FROM events WHERE recipient_id = %s", (str(rid),))] == ["bounced"]
