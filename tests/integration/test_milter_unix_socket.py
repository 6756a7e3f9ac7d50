"""The shipped milter socket: a UNIX socket in Postfix's queue directory, passed by the socket
unit, that Postfix names relative to the queue directory (unix:waybill/milter.sock, as
`waybill postfix-setup` writes it, chroot-safe).

Mail by SMTP and by sendmail reaches the sink tracked through it; a restart of the milter on the
held socket keeps the socket file (the old instance must not unlink the unit's path) and the next
message goes through the new instance.
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "support"))
from socket_holder import SocketHolder  # noqa: E402
from waybill_rig import Rig, wait_until  # noqa: E402
from waybill_stack import WaybillStack  # noqa: E402

RELATIVE = "unix:waybill/milter.sock"


def message(subject: str) -> bytes:
    return (f"From: App <app@sender.example>\r\nTo: reader@dest.example\r\nSubject: {subject}\r\n"
            "Content-Type: text/html; charset=utf-8\r\n\r\n"
            '<html><body><a href="https://shop.example/x">x</a></body></html>\r\n').encode()


def arrived(rig: Rig, subject: str):
    found: list = []

    def check() -> bool:
        found[:] = [m for m in rig.sink.messages() if m.email["Subject"] == subject]
        return bool(found)
    assert wait_until(check, 30), f"{subject} did not arrive\n{rig.postfix.diagnostics()}"
    return found[0]


def send_both_ways(stack: WaybillStack, tag: str) -> None:
    rig = stack.rig
    smtp_subject, sendmail_subject = f"smtp {tag} {uuid.uuid4()}", f"sendmail {tag} {uuid.uuid4()}"
    code, text = rig.postfix.send_smtp("app@sender.example", ["reader@dest.example"], message(smtp_subject))
    assert code == 250, text
    result = rig.postfix.sendmail("app@sender.example", ["reader@dest.example"], message(sendmail_subject))
    assert result.returncode == 0, result
    for subject in (smtp_subject, sendmail_subject):
        m = arrived(rig, subject)
        body = m.email.get_payload(decode=True)
        assert b"https://shop.example/x" not in body and b"/c/" in body, body  # tracked by the milter
        assert rig.pg.query("SELECT count(*) FROM messages WHERE subject = %s", (subject,)) == [(1,)]


def test_socket_in_queue_directory_named_relative_survives_restart(bin_dir: Path) -> None:
    with Rig() as rig:
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        socket_dir = rig.postfix.queue_dir / "waybill"
        socket_dir.mkdir()
        path = socket_dir / "milter.sock"
        holder = SocketHolder(rig, [bin_dir / "waybill-milter", "--config", stack.config,
                                    "--milter.socket", f"unix:{path}"], name="waybill-milter", unix_path=path)
        with holder:
            assert wait_until(lambda: "socket passed by systemd" in holder.log(), 10), holder.log()
            rig.postfix.configure({"smtpd_milters": RELATIVE, "non_smtpd_milters": RELATIVE,
                                   "milter_default_action": "tempfail", "milter_protocol": "6"})
            send_both_ways(stack, "first")
            status, _ = holder.restart()
            assert status == 0, holder.log()
            assert path.is_socket(), "the old instance unlinked the socket unit's path"
            assert wait_until(lambda: holder.log().count("socket passed by systemd") == 2, 10), holder.log()
            send_both_ways(stack, "after restart")
        assert "warning: milter" not in rig.postfix.log_text()
