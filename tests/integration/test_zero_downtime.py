"""Issue 8, acceptance point 3: restarts under load lose nothing.

2,000 messages from smtp-source go through the private Postfix while waybill-milter and
waybill-policyd are each restarted twice, and wrk loads waybill-trackd while it is restarted twice.
Each daemon runs under a SocketHolder (tests/support/socket_holder.py), which holds the listening
socket as a systemd .socket unit does and restarts like `systemctl restart`: SIGTERM, wait for
the drain to finish, start the next instance on the same socket. Expected: all 2,000 arrive,
smtp-source exits 0 and saw no 4xx/5xx, Postfix logged no milter or policy trouble, every old
instance exited 0, and wrk saw no socket error and no non-2xx answer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from socket_holder import SocketHolder  # noqa: E402
from waybill_rig import Rig, free_port, wait_until  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, WaybillStack, milter_address  # noqa: E402

MESSAGES = 2000
SESSIONS = 20
WRK_SECONDS = 120  # an upper bound: wrk is stopped (SIGINT, it then reports) once the restarts are done
SENDER = "news@sender.example"
RECIPIENT = "reader@dest.example"
# Whatever Postfix logs when a milter or the policy service failed a message or a session.
POSTFIX_TROUBLE = re.compile(r"milter-reject|milter-discard| reject: |warning: milter|"
                             r"problem talking to server|Server configuration problem|Service unavailable")


def unsubscribe_page_path() -> str:
    """A valid unsubscribe page on trackd's public listener: 200, and a GET never records anything
    (health is only on metrics_listen)."""
    key_id, key_hex = TOKEN_KEY_LINE.split()
    payload = bytes([1, int(key_id), ord("u")]) + uuid.uuid4().bytes
    mac = hmac.new(bytes.fromhex(key_hex), payload, hashlib.sha256).digest()[:16]
    return "/u/" + base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def start_holders(stack: WaybillStack, milter_port: int, policy_port: int, bin_dir: Path) -> dict[str, SocketHolder]:
    conf = ["--config", str(stack.config)]
    holders = {
        "milter": SocketHolder(stack.rig, [bin_dir / "waybill-milter", *conf, "--milter.socket",
                                           f"inet:{milter_port}@127.0.0.1"], name="waybill-milter", port=milter_port),
        "policyd": SocketHolder(stack.rig, [bin_dir / "waybill-policyd", *conf, "--policyd.listen",
                                            f"127.0.0.1:{policy_port}"], name="waybill-policyd", port=policy_port),
        "trackd": SocketHolder(stack.rig, [bin_dir / "waybill-trackd", *conf], name="waybill-trackd",
                               port=stack.tracking_port),
    }
    for holder in holders.values():
        holder.start()
    return holders


def wait_ready(holders: dict[str, SocketHolder]) -> None:
    ready = {"milter": "socket passed by systemd", "policyd": "suppression list loaded",
             "trackd": "listening on systemd fd 3"}
    for key, marker in ready.items():
        assert wait_until(lambda: marker in holders[key].log(), 15), holders[key].log()[-2000:]


def restart_under_load(holders: dict[str, SocketHolder], source: subprocess.Popen,
                       wrk: subprocess.Popen) -> list[tuple[str, int, float]]:
    """milter, policyd, trackd, twice over, while smtp-source (and wrk) are still running."""
    restarts = []
    for key in ["milter", "policyd", "trackd"] * 2:
        time.sleep(1.0)
        if source.poll() is not None:  # it stops at the first error reply: show which
            raise AssertionError(f"smtp-source ended (exit {source.returncode}) before every restart was done "
                                 f"(restarts so far: {restarts}):\n{source.communicate()[0][-3000:]}")
        assert key != "trackd" or wrk.poll() is None, "wrk finished before trackd's restarts: raise WRK_SECONDS"
        status, seconds = holders[key].restart()
        restarts.append((key, status, seconds))
    return restarts


def wrk_errors(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines() if "Socket errors" in line or "Non-2xx" in line]


@pytest.mark.skipif(shutil.which("smtp-source") is None or shutil.which("wrk") is None,
                    reason="needs smtp-source (postfix) and wrk")
def test_restarts_under_load_lose_nothing(bin_dir: Path) -> None:
    milter_port, policy_port = free_port(), free_port()
    with Rig(milters=[milter_address(milter_port)], policy_service=f"inet:127.0.0.1:{policy_port}") as rig:
        spool = rig.path("trackd-spool")
        stack = WaybillStack(rig, bin_dir, sections={"trackd": {
            "listen": f"127.0.0.1:{free_port()}", "spool_dir": str(spool), "threads": "2"}})
        stack.migrate()
        holders = start_holders(stack, milter_port, policy_port, bin_dir)
        try:
            wait_ready(holders)
            started = time.monotonic()
            source = subprocess.Popen(["smtp-source", "-s", str(SESSIONS), "-m", str(MESSAGES), "-l", "1024",
                                       "-f", SENDER, "-t", RECIPIENT, f"127.0.0.1:{rig.postfix.smtp_port}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            wrk = subprocess.Popen(["wrk", "-t2", "-c32", f"-d{WRK_SECONDS}s", "--timeout", "10s",
                                    f"http://127.0.0.1:{stack.tracking_port}{unsubscribe_page_path()}"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            restarts = restart_under_load(holders, source, wrk)
            wrk.send_signal(signal.SIGINT)
            source_output, _ = source.communicate(timeout=150)
            sent_seconds = time.monotonic() - started
            wrk_output, _ = wrk.communicate(timeout=30)
            arrived = rig.sink.wait_for(MESSAGES, timeout=90)
            time.sleep(1)  # anything extra (a duplicate) would show up now
            arrived = rig.sink.messages()
            alive = {key: h.proc.poll() is None for key, h in holders.items()}
        finally:
            for holder in holders.values():
                holder.stop()
        print(f"\nrestarts (daemon, exit status, drain s): {[(k, s, round(t, 2)) for k, s, t in restarts]}")
        print(f"smtp-source: exit {source.returncode}, {MESSAGES} messages in {sent_seconds:.1f} s;"
              f" arrived {len(arrived)}")
        print("wrk:\n" + wrk_output)

        assert all(status == 0 for _, status, _ in restarts), restarts
        assert all(alive.values()), alive
        assert source.returncode == 0, source_output[-3000:]
        assert not re.search(r"\b[45]\d\d[ -]", source_output), source_output[-3000:]
        assert len(arrived) == MESSAGES
        assert all(m.sender == SENDER and m.recipients == [RECIPIENT] for m in arrived)
        trouble = [line for line in rig.postfix.log_text().splitlines() if POSTFIX_TROUBLE.search(line)]
        assert not trouble, "\n".join(trouble[:20])
        assert wrk.returncode == 0 and re.search(r"(\d+) requests in", wrk_output), wrk_output
        assert not wrk_errors(wrk_output), wrk_output
