"""`systemctl reload waybill-trackd` (SIGHUP): new token keys are in force at once, without a
restart, on the same listening socket, with open keep-alive connections still served; a key
file that does not load leaves the keys in use."""

from __future__ import annotations

import http.client
import os
import signal
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_trackd import KEY_ID, SECRET, Trackd, add_recipient, mint, running_trackd  # noqa: E402
from waybill_rig import wait_until  # noqa: E402

NEW_KEY_ID = 9
NEW_SECRET = bytes(range(100, 132))


@pytest.fixture
def trackd(bin_dir: Path):
    with running_trackd(bin_dir) as t:
        yield t


def pixel(conn: http.client.HTTPConnection, token: str) -> int:
    conn.request("GET", f"/o/{token}", headers={"User-Agent": "Mozilla/5.0"})
    response = conn.getresponse()
    response.read()
    return response.status


def hang_up(trackd: Trackd, expect_in_log: str) -> None:
    seen = trackd.rig.log_of("trackd").count(expect_in_log)
    os.kill(trackd.proc.pid, signal.SIGHUP)
    assert wait_until(lambda: trackd.rig.log_of("trackd").count(expect_in_log) > seen, 10), \
        trackd.rig.log_of("trackd")[-2000:]
    assert trackd.proc.poll() is None, "trackd died on SIGHUP"


def test_sighup_puts_a_new_key_in_force_without_a_restart(trackd: Trackd) -> None:
    recipient = add_recipient(trackd.rig, "ann@dest.example")
    new_token = mint("o", recipient, key=NEW_SECRET, key_id=NEW_KEY_ID)
    old_token = mint("o", recipient)
    kept_alive = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)
    assert pixel(kept_alive, old_token) == 200
    assert pixel(kept_alive, new_token) == 404, "a key not yet loaded must not verify"
    pid = trackd.proc.pid

    key_file = Path(trackd.rig.path("token.keys"))
    key_file.write_text(f"{NEW_KEY_ID} {NEW_SECRET.hex()}\n{KEY_ID} {SECRET.hex()}\n")
    hang_up(trackd, "reloaded token keys")
    assert trackd.proc.pid == pid
    assert pixel(kept_alive, new_token) == 200, "the connection opened before the reload is still served"
    fresh = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)
    assert pixel(fresh, new_token) == 200 and pixel(fresh, old_token) == 200

    key_file.write_text("not a key line\n")
    hang_up(trackd, "reload refused")
    assert pixel(fresh, new_token) == 200, "a broken key file must leave the keys in use"
    assert pixel(fresh, mint("o", uuid.uuid4(), key=b"x" * 32, key_id=3)) == 404
