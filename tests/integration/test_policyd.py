"""Issue 6: waybill-policyd through real Postfix. Suppressions by scope, changes reaching policyd
through LISTEN/NOTIFY within a second, quotas whose window rolls, garbage on the wire, PostgreSQL
going away, and draining on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack  # noqa: E402

QUOTA = "domain:quota.example 3/3s"  # short window so the test sees it roll


def message(sender: str, subject: str) -> bytes:
    return f"From: {sender}\nTo: someone@dest.example\nSubject: {subject}\n\nHello.\n".encode()


def policy_request(sender: str, recipient: str, state: str = "RCPT", instance: str = "t1") -> bytes:
    return (f"request=smtpd_access_policy\nprotocol_state={state}\nprotocol_name=ESMTP\n"
            f"sender={sender}\nrecipient={recipient}\ninstance={instance}\nclient_address=127.0.0.1\n\n").encode()


def ask(port: int, *requests: bytes, timeout: float = 5) -> list[str]:
    """Sends requests on one connection; returns the actions answered."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        answers = []
        for request in requests:
            s.sendall(request)
            answers.append(read_answer(s))
        return answers


def read_answers(s: socket.socket, count: int = 1) -> list[str]:
    """Reads exactly `count` answers (a reply may arrive split or several in one segment)."""
    data = b""
    while data.count(b"\n\n") < count:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed after {data!r}")
        data += chunk
    replies = data.split(b"\n\n")[:count]
    assert all(r.startswith(b"action=") for r in replies), data
    return [r[len(b"action="):].decode() for r in replies]


def read_answer(s: socket.socket) -> str:
    return read_answers(s, 1)[0]


def start_policyd(stack: WaybillStack, port: int, *extra: str, name: str = "waybill-policyd") -> subprocess.Popen:
    proc = stack.rig.spawn([stack.binary("waybill-policyd"), "--config", str(stack.config),
                            "--policyd.listen", f"127.0.0.1:{port}", *extra], name=name)
    wait_port(port)
    return proc


@pytest.fixture(scope="module")
def stack(bin_dir: Path):
    port = free_port()
    with Rig(policy_service=f"inet:127.0.0.1:{port}") as rig:
        s = WaybillStack(rig, bin_dir, sections={"policyd": {"quota": QUOTA}})
        s.migrate()
        s.policyd_port = port
        s.policyd = start_policyd(s, port)
        assert wait_until(lambda: "suppression list loaded" in rig.log_of("waybill-policyd"), 10)
        yield s


def send(stack: WaybillStack, sender: str, recipients: list[str], subject: str = "policy") -> tuple[int, str]:
    return stack.rig.postfix.send_smtp(sender, recipients, message(sender, subject))


def suppress(stack: WaybillStack, *args: str) -> None:
    stack.waybill("suppress", *args)


def test_unsubscribe_is_per_sender_and_hard_bounce_is_global(stack: WaybillStack) -> None:
    suppress(stack, "add", "Ann@Dest.example", "--sender", "news@a.example", "--reason", "unsubscribed")
    # A hard bounce recorded the way waybill-pipe records it: a row, no scope flag needed.
    stack.rig.pg.execute("INSERT INTO suppressions (recipient, scope, reason, source)"
                         " VALUES ('gone@dest.example', 'global', 'hard_bounce', 'pipe')")
    assert wait_until(lambda: ask(stack.policyd_port, policy_request("x@y.example", "gone@dest.example"))[0]
                      != "DUNNO", 5)

    code, text = send(stack, "news@a.example", ["ann@dest.example"])
    assert code == 554, text  # REJECT maps to access_map_reject_code (554)
    assert "5.7.1" in text and "suppressed for sender news@a.example: unsubscribed since 20" in text
    assert send(stack, "billing@b.example", ["ann@dest.example"], "other sender")[0] == 250
    for sender in ("news@a.example", "billing@b.example", ""):
        code, text = send(stack, sender, ["gone@dest.example"])
        assert code == 554 and "for every sender: hard bounce since" in text, (sender, text)

    # Events are written in the background, never on the answer's path.
    wanted = {("ann@dest.example", "news@a.example", "unsubscribed"),
              ("gone@dest.example", "billing@b.example", "hard_bounce")}
    events = lambda: set(stack.rig.pg.query(
        "SELECT recipient, sender, details->>'reason' FROM events WHERE type = 'suppressed'"))
    assert wait_until(lambda: wanted <= events(), 5), events()
    [message] = [m for m in stack.rig.sink.wait_for(1) if m.email["Subject"] == "other sender"]
    assert message.recipients == ["ann@dest.example"]


def within_one_second(stack: WaybillStack, change, expect_rejected: bool, recipient: str, sender: str) -> None:
    """Commits a change; policyd must answer accordingly within 1 s of the commit (the contract)."""
    change()
    wanted = lambda: ask(stack.policyd_port, policy_request(sender, recipient))[0].startswith("REJECT") == expect_rejected
    assert wait_until(wanted, 1.0, 0.01), "policyd did not follow the change within 1 s of its commit"


def test_cli_and_trackd_changes_reach_policyd_within_a_second(stack: WaybillStack) -> None:
    rcpt, sender = "dan@dest.example", "news@c.example"
    assert ask(stack.policyd_port, policy_request(sender, rcpt)) == ["DUNNO"]
    within_one_second(stack, lambda: suppress(stack, "add", rcpt, "--sender", sender, "--reason", "unsubscribed"),
                      True, rcpt, sender)
    assert send(stack, sender, [rcpt])[0] == 554
    within_one_second(stack, lambda: suppress(stack, "remove", rcpt, "--sender", sender), False, rcpt, sender)
    assert send(stack, sender, [rcpt])[0] == 250

    # trackd records an unsubscribe with its own INSERT (domain scope here, to cover it too).
    insert = lambda: stack.rig.pg.execute(
        "INSERT INTO suppressions (recipient, scope, scope_value, reason, source)"
        " VALUES (%s, 'domain', 'c.example', 'unsubscribed', 'trackd')", (rcpt,))
    within_one_second(stack, insert, True, rcpt, "other@c.example")
    assert send(stack, sender, [rcpt])[0] == 554
    assert send(stack, "news@d.example", [rcpt])[0] == 250
    delete = lambda: stack.rig.pg.execute("DELETE FROM suppressions WHERE recipient = %s", (rcpt,))
    within_one_second(stack, delete, False, rcpt, sender)

    listed = stack.waybill("suppress", "list", "ann@dest.example").stdout
    assert "news@a.example" in listed and "unsubscribed" in listed and "cli" in listed


def test_quota_defers_the_message_past_the_limit_and_the_window_rolls(stack: WaybillStack) -> None:
    sender = "app@quota.example"
    # Three messages (one with several recipients: a message counts once) fill the quota.
    assert send(stack, sender, ["q1@dest.example", "q2@dest.example", "q3@dest.example"])[0] == 250
    assert send(stack, sender, ["q1@dest.example"])[0] == 250
    assert send(stack, sender, ["q1@dest.example"])[0] == 250
    code, text = send(stack, sender, ["q1@dest.example"])
    assert code == 450, text
    assert "4.7.1" in text and "Sending quota exceeded: 3 messages per 3 s for each sender domain" in text
    assert send(stack, "app@other.example", ["q1@dest.example"])[0] == 250  # other domains unaffected
    # The window rolls: within a few seconds the same sender may send again.
    assert wait_until(lambda: send(stack, sender, ["q1@dest.example"])[0] == 250, 8, 0.5)


def test_garbage_oversized_and_half_requests_do_not_disturb_others(stack: WaybillStack) -> None:
    port = stack.policyd_port
    half = socket.create_connection(("127.0.0.1", port))
    half.sendall(b"request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=ann@dest.ex")  # and stalls

    cases = [b"GET / HTTP/1.0\r\n\r\n", b"\x00\xff\xfe binary\n\n", b"x=" + b"y" * 100000 + b"\n\n",
             b"name_only\n\n", b"\n", b"k=v\n" * 1000 + b"\n"]
    for garbage in cases:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
            try:
                s.sendall(garbage)
                reply = s.recv(4096)
                assert reply.startswith(b"action=DEFER_IF_PERMIT 4.3.5 "), (garbage[:20], reply)
                assert s.recv(4096) == b""  # and the connection is closed
            except ConnectionResetError:
                pass  # closed while we were still sending: also fine
    # A client that sends half a request and hangs up.
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.sendall(b"request=smtpd_access_policy\nsender=a")

    # Meanwhile good requests (pipelined too) get answers, and Postfix still works.
    pipelined = policy_request("news@a.example", "ann@dest.example") + policy_request("z@z.example", "ann@dest.example")
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(pipelined)
        first, second = read_answers(s, 2)
    assert first.startswith("REJECT 5.7.1") and second == "DUNNO"
    assert send(stack, "z@z.example", ["ok@dest.example"])[0] == 250
    half.sendall(b"ample\n\n")  # the stalled client finishes its request and is answered
    assert read_answer(half) == "DUNNO"
    half.close()
    assert stack.policyd.poll() is None


def test_database_away_keeps_answering_from_memory(stack: WaybillStack) -> None:
    suppress(stack, "add", "eve@dest.example", "--global", "--reason", "complaint")
    assert wait_until(lambda: ask(stack.policyd_port, policy_request("a@a.example", "eve@dest.example"))[0]
                      .startswith("REJECT"), 5)
    stack.rig.pg.stop()
    try:
        assert send(stack, "news@a.example", ["eve@dest.example"])[0] == 554
        assert send(stack, "news@a.example", ["ann@dest.example"])[0] == 554
        assert send(stack, "x@e.example", ["fred@dest.example"])[0] == 250
    finally:
        stack.rig.pg.start()
    # After PostgreSQL returns, changes flow again (policyd reconnected and reloaded).
    suppress(stack, "remove", "eve@dest.example", "--global")
    assert wait_until(lambda: ask(stack.policyd_port, policy_request("a@a.example", "eve@dest.example"))[0]
                      == "DUNNO", 10)


def test_no_list_ever_loaded_defers(stack: WaybillStack) -> None:
    port = free_port()
    dead_db = f"postgresql://postgres@127.0.0.1:{free_port()}/waybill"
    proc = start_policyd(stack, port, "--database.url", dead_db, name="policyd-nodb")
    try:
        [answer] = ask(port, policy_request("news@a.example", "ann@dest.example"))
        assert answer.startswith("DEFER_IF_PERMIT 4.7.1 Suppression list not loaded")
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_socket_activation_and_drain_on_sigterm(stack: WaybillStack) -> None:
    port = free_port()
    proc = stack.rig.spawn(["systemd-socket-activate", "-l", f"127.0.0.1:{port}",
                            stack.binary("waybill-policyd"), "--config", str(stack.config)], name="policyd-activated")
    wait_port(port)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(policy_request("news@a.example", "ann@dest.example"))
        assert read_answer(s).startswith(("REJECT 5.7.1", "DEFER_IF_PERMIT 4.7.1"))  # list may still load
        assert wait_until(lambda: "suppression list loaded" in stack.rig.log_of("policyd-activated"), 10)
        # Requests already sent when SIGTERM arrives are answered, then the connection closes.
        s.sendall(policy_request("news@a.example", "ann@dest.example") * 3)
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        answers = read_answers(s, 3)
        assert all(a.startswith("REJECT 5.7.1") for a in answers)
        assert s.recv(100) == b""
    assert proc.wait(10) == 0
    assert "using the listening socket passed by systemd" in stack.rig.log_of("policyd-activated")


def test_sighup_loads_the_list_again_and_keeps_serving(stack: WaybillStack) -> None:
    """A suppression written without a notification (triggers off in that session) reaches policyd
    on SIGHUP (systemctl reload): the full list is read again, on the same process and socket."""
    rcpt = "quiet@dest.example"
    stack.rig.pg.execute("SET LOCAL session_replication_role = replica; "
                         "INSERT INTO suppressions (recipient, scope, scope_value, reason, source)"
                         " VALUES (%s, 'global', '', 'manual', 'test')", (rcpt,))
    time.sleep(0.5)  # a notification would have arrived by now; none was sent
    assert ask(stack.policyd_port, policy_request("a@a.example", rcpt))[0] == "DUNNO"
    pid = stack.policyd.pid
    loads = stack.rig.log_of("waybill-policyd").count("loaded again on request")
    stack.policyd.send_signal(signal.SIGHUP)
    assert wait_until(lambda: stack.rig.log_of("waybill-policyd").count("loaded again on request") > loads, 10)
    assert stack.policyd.poll() is None and stack.policyd.pid == pid
    assert ask(stack.policyd_port, policy_request("a@a.example", rcpt))[0].startswith("REJECT")
