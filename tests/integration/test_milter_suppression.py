"""Suppression on every submission path and outbound-only, through real Postfix + waybill-milter
(+ waybill-policyd for the scheduler). Postfix here never consults policyd (SMTP clients in
mynetworks are permitted before any policy check), so every refusal below is the milter's:
- SMTP and sendmail: a suppressed recipient is removed from the envelope and gets a `suppressed`
  event, the others are delivered; with no recipient left, SMTP is refused with 5.7.1 and
  sendmail's message is discarded (with its events).
- The list follows changes by id (migration 0013): a 10 KB address can be suppressed, a removed
  suppression stops applying.
- Scheduled mail is checked again when released: a recipient who unsubscribed while the message
  was held never receives it, the other one does; a held message with no recipient left is deleted.
- Outbound only: mail from an untrusted client (127.0.0.2, outside milter.trusted_networks) to a
  local domain reaches the sink unsigned and unchanged; the same message from a trusted client,
  or from 127.0.0.2 after SASL authentication (Postfix's Dovecot SASL protocol, answered by a
  small fake auth server here), is signed and rewritten (so the comparison can fail)."""

from __future__ import annotations

import base64
import datetime
import re
import smtplib
import socketserver
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, run, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

SENDER = "app@sender.example"


def message(subject: str, extra_headers: str = "") -> bytes:
    return (f"From: App <{SENDER}>\nTo: list@dest.example\nSubject: {subject}\n{extra_headers}"
            "Content-Type: text/plain\n\nSee https://shop.example/offer for details.\n").encode()


class FakeDovecotAuth(socketserver.StreamRequestHandler):
    """Just enough of Dovecot's auth protocol (as Postfix's xsasl_dovecot speaks it) for PLAIN:
    user `app`, password `secret`."""

    def handle(self) -> None:
        self.wfile.write(b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" + b"0" * 32 + b"\nDONE\n")
        for line in self.rfile:
            fields = line.rstrip(b"\n").split(b"\t")
            if fields[0] != b"AUTH":
                continue
            request_id = fields[1]
            response = next((f[5:] for f in fields if f.startswith(b"resp=")), None)
            if response is None:  # no initial response: ask for it
                self.wfile.write(b"CONT\t" + request_id + b"\t\n")
                response = self.rfile.readline().rstrip(b"\n").split(b"\t")[-1]
            _, user, password = base64.b64decode(response).split(b"\0")
            ok = (user, password) == (b"app", b"secret")
            self.wfile.write((b"OK\t" + request_id + b"\tuser=app\n") if ok else (b"FAIL\t" + request_id + b"\n"))


@pytest.fixture(scope="module")
def stack(bin_dir: Path):
    port = free_port()
    auth = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeDovecotAuth)
    auth.daemon_threads = True
    threading.Thread(target=auth.serve_forever, daemon=True).start()
    extra_main = {"mynetworks": "127.0.0.1/32", "relay_domains": "local.example",
                  "smtpd_sasl_auth_enable": "yes", "smtpd_sasl_type": "dovecot",
                  "smtpd_sasl_path": f"inet:127.0.0.1:{auth.server_address[1]}",
                  "smtpd_recipient_restrictions":
                      "permit_mynetworks, permit_sasl_authenticated, permit_auth_destination, reject"}
    with Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)], extra_main=extra_main) as rig:
        keys = rig.path("keys")
        keys.mkdir()
        run([bin_dir / "waybill", "keys", "generate", "--domain", "sender.example", "--selector", "s1",
             "--algorithm", "rsa", "--dir", keys])
        (keys / "KeyTable").write_text(f"k1 sender.example:s1:{keys / 'sender.example.s1.key'}\n")
        (keys / "SigningTable").write_text("*@sender.example k1\n")
        s = WaybillStack(rig, bin_dir, sections={
            "milter": {"trusted_networks": "127.0.0.1/32"},
            "dkim": {"key_table": str(keys / "KeyTable"), "signing_table": str(keys / "SigningTable")},
            "policyd": {"postfix_config_dir": str(rig.postfix.config_dir),
                        "hold_helper": str(bin_dir / "waybill-hold-helper"), "schedule_interval": "1"}})
        s.migrate()
        s.milter_metrics_port = free_port()
        s.start_milter(port, "--milter.metrics_listen", f"127.0.0.1:{s.milter_metrics_port}")
        assert wait_until(lambda: "suppression list loaded" in rig.log_of("waybill-milter"), 10)
        policyd_port = free_port()
        rig.spawn([s.binary("waybill-policyd"), "--config", str(s.config), "--policyd.listen",
                   f"127.0.0.1:{policyd_port}"], name="waybill-policyd")
        wait_port(policyd_port)
        assert wait_until(lambda: "suppression list loaded" in rig.log_of("waybill-policyd"), 10)
        yield s


def suppress(stack: WaybillStack, recipient: str) -> None:
    """A global suppression, applied once both daemons have read it (they log each change)."""
    stack.waybill("suppress", "add", recipient, "--global", "--reason", "manual")
    for daemon in ("waybill-milter", "waybill-policyd"):
        assert wait_until(lambda: f"suppression list: added {recipient}" in stack.rig.log_of(daemon), 10), daemon


def delivered_to(stack: WaybillStack, subject: str) -> list[str]:
    return sorted(r for m in stack.rig.sink.messages() if m.email["Subject"] == subject for r in m.recipients)


def wait_delivered(stack: WaybillStack, subject: str, recipients: list[str]) -> None:
    assert wait_until(lambda: delivered_to(stack, subject) == sorted(recipients), 30), delivered_to(stack, subject)
    stack.rig.postfix.wait_queue_empty()  # nothing else of that transaction is still on its way


def suppressed_events(stack: WaybillStack, recipient: str) -> list[dict]:
    return [d for (d,) in stack.rig.pg.query(
        "SELECT details FROM events WHERE type = 'suppressed' AND recipient = %s ORDER BY occurred_at", (recipient,))]


def test_smtp_and_sendmail_remove_suppressed_recipients(stack: WaybillStack) -> None:
    suppress(stack, "gone@dest.example")
    code, text = stack.rig.postfix.send_smtp(SENDER, ["gone@dest.example", "kept@dest.example"], message("smtp"))
    assert code == 250, text
    done = stack.rig.postfix.sendmail(SENDER, ["kept2@dest.example", "gone@dest.example"], message("sendmail"))
    assert done.returncode == 0, done.stderr
    wait_delivered(stack, "smtp", ["kept@dest.example"])
    wait_delivered(stack, "sendmail", ["kept2@dest.example"])
    paths = sorted(d["submitted_via"] for d in suppressed_events(stack, "gone@dest.example"))
    assert paths == ["sendmail", "smtp"]
    assert all(d["checked_by"] == "milter" and d["reason"] == "manual" for d in suppressed_events(stack, "gone@dest.example"))
    # The message is recorded for the recipient it went to only.
    assert stack.rig.pg.query("SELECT r.address FROM recipients r JOIN messages m ON m.id = r.message_id"
                              " WHERE m.subject = 'smtp'") == [("kept@dest.example",)]
    assert milter_metric(stack, "waybill_milter_recipients_suppressed_total") == 2
    assert milter_metric(stack, "waybill_milter_suppressions") == 1


def milter_metric(stack: WaybillStack, name: str) -> float:
    text = urllib.request.urlopen(f"http://127.0.0.1:{stack.milter_metrics_port}/metrics", timeout=5).read().decode()
    return float(re.search(rf"^{name} (\S+)", text, re.M).group(1))


def test_no_recipient_left_is_refused_over_smtp_and_discarded_from_sendmail(stack: WaybillStack) -> None:
    suppress(stack, "all-gone@dest.example")
    code, text = stack.rig.postfix.send_smtp(SENDER, ["all-gone@dest.example"], message("refused"))
    assert code == 550 and "5.7.1" in text, (code, text)
    done = stack.rig.postfix.sendmail(SENDER, ["all-gone@dest.example"], message("discarded"))
    assert done.returncode == 0, done.stderr
    stack.rig.postfix.wait_log(r"milter triggers DISCARD action")
    # A later message to someone else arrives; neither of the two ever does.
    code, _ = stack.rig.postfix.send_smtp(SENDER, ["after@dest.example"], message("after"))
    assert code == 250
    wait_delivered(stack, "after", ["after@dest.example"])
    assert delivered_to(stack, "refused") == [] and delivered_to(stack, "discarded") == []
    assert sorted(d["submitted_via"] for d in suppressed_events(stack, "all-gone@dest.example")) == ["sendmail", "smtp"]


def test_long_address_and_removal_follow_by_id(stack: WaybillStack) -> None:
    long_address = "x" * 10240 + "@dest.example"  # past NOTIFY's 8000-byte payload limit
    stack.rig.pg.execute("INSERT INTO suppressions (recipient, scope, reason, source) VALUES (%s, 'global', 'hard_bounce', 'test')",
                         (long_address,))
    assert wait_until(lambda: f"suppression list: added {long_address[:64]}" in stack.rig.log_of("waybill-milter"), 10)
    stack.rig.pg.execute("DELETE FROM suppressions WHERE recipient = %s", (long_address,))
    # Removal: a suppressed recipient removed from the list receives mail again.
    suppress(stack, "back@dest.example")
    stack.waybill("suppress", "remove", "back@dest.example", "--global")
    assert wait_until(lambda: "suppression list: removed back@dest.example" in stack.rig.log_of("waybill-milter"), 10)
    code, text = stack.rig.postfix.send_smtp(SENDER, ["back@dest.example"], message("back again"))
    assert code == 250, text
    wait_delivered(stack, "back again", ["back@dest.example"])


def rfc3339(when: float) -> str:
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_scheduled_mail_is_checked_again_when_released(stack: WaybillStack) -> None:
    due = time.time() + 8
    # One queue file for both recipients (no per-recipient copies): the release must cancel one of them.
    held = f"X-Waybill-Send-At: {rfc3339(due)}\nX-Waybill-Track: none\nX-Waybill-Unsubscribe: off\n"
    code, text = stack.rig.postfix.send_smtp(SENDER, ["later-gone@dest.example", "later-kept@dest.example"],
                                             message("scheduled", held))
    assert code == 250, text
    code, text = stack.rig.postfix.send_smtp(SENDER, ["later-gone@dest.example"], message("scheduled alone", held))
    assert code == 250, text
    assert {e["queue_name"] for e in stack.rig.postfix.queue()} == {"hold"}
    suppress(stack, "later-gone@dest.example")  # unsubscribed while the messages wait
    assert time.time() < due, "the suppression must reach policyd before the messages are due"
    wait_delivered(stack, "scheduled", ["later-kept@dest.example"])
    assert wait_until(lambda: stack.rig.pg.query(
        "SELECT s.status FROM scheduled_messages s JOIN messages m ON m.id = s.message_id"
        " WHERE m.subject = 'scheduled alone'") == [("cancelled",)], 20)
    stack.rig.postfix.wait_queue_empty()
    assert delivered_to(stack, "scheduled alone") == []
    assert [d["checked_by"] for d in suppressed_events(stack, "later-gone@dest.example")] == ["release", "release"]
    assert stack.rig.pg.query(
        "SELECT r.status, count(*) FROM recipients r WHERE r.address = 'later-gone@dest.example' GROUP BY 1") == [
        ("suppressed", 2)]


def send_from(source: str, port: int, sender: str, recipients: list[str], data: bytes,
              login: tuple[str, str] | None = None) -> tuple[int, str]:
    with smtplib.SMTP("127.0.0.1", port, local_hostname="mx.internet.example", source_address=(source, 0),
                      timeout=60) as s:
        s.ehlo()
        if login:
            s.login(*login)
        s.mail(sender)
        for recipient in recipients:
            code, text = s.rcpt(recipient)
            assert code == 250, (code, text)
        code, text = s.data(data)
        return code, text.decode(errors="replace")


def test_internet_mail_to_a_local_domain_passes_untouched(stack: WaybillStack) -> None:
    incoming = (b"From: Someone <app@sender.example>\r\nTo: user@local.example\r\nSubject: SUBJECT\r\n"
                b"Message-ID: <inbound-1@internet.example>\r\nDate: Tue, 01 Dec 2026 10:00:00 +0000\r\n"
                b"X-Waybill-Send-At: 2099-01-01T00:00:00Z\r\nX-Waybill-Track: all\r\n"
                b"Content-Type: text/plain\r\n\r\nSee https://shop.example/offer now.\r\n")
    port = stack.rig.postfix.smtp_port
    code, text = send_from("127.0.0.2", port, "app@sender.example", ["user@local.example"],
                           incoming.replace(b"SUBJECT", b"from the internet"))
    assert code == 250, text
    not_held = incoming.replace(b"X-Waybill-Send-At: 2099-01-01T00:00:00Z\r\n", b"")
    code, text = send_from("127.0.0.1", port, "app@sender.example", ["user2@local.example"],
                           not_held.replace(b"SUBJECT", b"from a trusted client"))
    assert code == 250, text
    code, text = send_from("127.0.0.2", port, "app@sender.example", ["user3@local.example"],
                           not_held.replace(b"SUBJECT", b"authenticated"), login=("app", "secret"))
    assert code == 250, text
    wait_delivered(stack, "from the internet", ["user@local.example"])
    wait_delivered(stack, "from a trusted client", ["user2@local.example"])
    wait_delivered(stack, "authenticated", ["user3@local.example"])
    [untrusted] = [m for m in stack.rig.sink.messages() if m.email["Subject"] == "from the internet"]
    [trusted] = [m for m in stack.rig.sink.messages() if m.email["Subject"] == "from a trusted client"]
    [authenticated] = [m for m in stack.rig.sink.messages() if m.email["Subject"] == "authenticated"]
    # Postfix adds its Received: line on top; below it the message is byte for byte as sent.
    body_start = untrusted.raw.index(b"From: Someone")
    assert untrusted.raw[body_start:] == incoming.replace(b"SUBJECT", b"from the internet")
    assert untrusted.email["DKIM-Signature"] is None and untrusted.sender == "app@sender.example"
    assert stack.rig.pg.query("SELECT count(*) FROM messages WHERE subject = 'from the internet'") == [(0,)]
    # The same message from a trusted network or an authenticated client is ours: signed, links
    # tracked, control headers removed, recorded.
    for ours in (trusted, authenticated):
        assert ours.email["DKIM-Signature"] is not None and ours.email["X-Waybill-Track"] is None
        assert re.search(r"https?://127\.0\.0\.1:\d+/c/", ours.raw.decode(errors="replace"))
    assert stack.rig.pg.query("SELECT client_address FROM messages WHERE subject = 'authenticated'") == [("127.0.0.2",)]
