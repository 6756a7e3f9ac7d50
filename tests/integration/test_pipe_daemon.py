"""Issue 7, point 5: waybill-pipe as a thin client of the resident waybill-piped --serve.

Through real Postfix -> waybill-pipe -> waybill-piped -> PostgreSQL: a bounce is stored by the
daemon; PostgreSQL stopped makes Postfix see exit 75 and keep the message, stored exactly once
after it returns; with no daemon the client runs the one-shot program and still stores; a daemon
killed in the middle of a message gives 75 and nothing lost; socket activation, metrics, and the
options only the full program knows (--classify-only, --help, --version) still work.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import urllib.request
import uuid
from pathlib import Path

import psycopg2
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from test_pipe import BOUNCE_DOMAIN, SENDER, bounce_for, verp  # noqa: E402
from waybill_rig import Rig, free_port, pid_alive, wait_until  # noqa: E402
from waybill_stack import OnStack, WaybillStack, pipe_daemon_stack, route_to_pipes, skip_unless_built  # noqa: E402


class DaemonStack(OnStack):
    def __init__(self, stack: WaybillStack, socket_path: Path, metrics_port: int) -> None:
        super().__init__(stack)
        self.socket = socket_path
        self.metrics_port = metrics_port
        self.daemon: subprocess.Popen | None = None

    def start_daemon(self) -> None:
        if self.daemon is not None and self.daemon.poll() is None:
            return
        started = self.daemon_log().count("serving on")  # the log file is shared by every start
        self.daemon = self.rig.spawn([self.stack.binary("waybill-piped"), "--config", str(self.stack.config), "--serve",
                                      "--log.level", "info", "--pipe.metrics_listen", f"127.0.0.1:{self.metrics_port}"],
                                     name="waybill-piped")
        assert wait_until(lambda: self.daemon_log().count("serving on") > started, 30), self.daemon_log()

    def stop_daemon(self, sig: int = signal.SIGTERM) -> None:
        if self.daemon is None or self.daemon.poll() is not None:
            return
        self.daemon.send_signal(sig)
        self.daemon.wait(15)

    def daemon_log(self) -> str:
        return self.rig.log_of("waybill-piped")

    def add_recipient(self, address: str) -> tuple[uuid.UUID, str]:
        message_id, rid = uuid.uuid4(), uuid.uuid4()
        header = f"<{message_id}@sender.test>"
        self.pg.execute("INSERT INTO messages (id, message_id_header, envelope_sender) VALUES (%s, %s, %s)",
                        (str(message_id), header, SENDER))
        self.pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                        (str(rid), str(message_id), address))
        return rid, header

    def bounce(self, address: str) -> uuid.UUID:
        """Hands Postfix a bounce for a new recipient row (via sendmail); returns the row."""
        rid, header = self.add_recipient(address)
        self.submit(rid, address, header)
        return rid

    def submit(self, rid: uuid.UUID, address: str, header: str) -> None:
        assert self.postfix.sendmail("", [verp(rid)], bounce_for(address, header)).returncode == 0

    def delivery(self, rid: uuid.UUID, status: str, timeout: float = 30) -> str:
        """Waits for Postfix's log line of a delivery to waybill-pipe; returns the queue id."""
        pattern = rf"(\w+): to=<{re.escape(verp(rid))}>, relay=waybill-pipe.*status={status}"
        return self.postfix.wait_log(pattern, timeout).group(1)

    def events(self, rid: uuid.UUID) -> list[tuple]:
        return self.pg.query("SELECT type, details FROM events WHERE recipient_id = %s", (str(rid),))

    def wait_stored(self, rid: uuid.UUID, timeout: float = 30) -> None:
        assert wait_until(lambda: bool(self.events(rid)), timeout, 0.1), self.postfix.diagnostics()

    def stored_by_daemon(self, queue_id: str, rid: uuid.UUID) -> bool:
        return f"queue {queue_id} to {verp(rid)}: stored" in self.daemon_log()

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            return response.read().decode()


@pytest.fixture(scope="module")
def ds(bin_dir: Path):
    skip_unless_built(bin_dir, "waybill", "waybill-pipe", "waybill-piped")
    with Rig() as rig:
        stack, socket_path = pipe_daemon_stack(rig, bin_dir, BOUNCE_DOMAIN, log_level="warning")
        route_to_pipes(rig, stack, {BOUNCE_DOMAIN: "waybill-pipe:"}, {"waybill-pipe": stack.binary("waybill-pipe")})
        d = DaemonStack(stack, socket_path, free_port())
        d.start_daemon()
        yield d


def in_queue(ds: DaemonStack, queue_id: str) -> bool:
    return any(m["queue_id"] == queue_id for m in ds.postfix.queue())


def test_a_bounce_is_stored_by_the_daemon(ds: DaemonStack) -> None:
    ds.start_daemon()
    rid = ds.bounce("full@elsewhere.test")
    queue_id = ds.delivery(rid, "sent")
    [(event_type, details)] = ds.events(rid)
    assert event_type == "bounced" and details["reason"] == "mailboxfull"
    assert wait_until(lambda: ds.stored_by_daemon(queue_id, rid), 5), ds.daemon_log()[-2000:]
    assert 'waybill_pipe_messages_total{result="stored"}' in ds.metrics()
    assert 'waybill_database_up{daemon="pipe"} 1' in ds.metrics()


def test_database_outage_gives_75_and_the_retry_stores_once(ds: DaemonStack) -> None:
    ds.start_daemon()
    rid, header = ds.add_recipient("outage@elsewhere.test")
    ds.pg.stop()
    try:
        ds.submit(rid, "outage@elsewhere.test", header)
        queue_id = ds.delivery(rid, "deferred")
        assert in_queue(ds, queue_id)  # Postfix kept it
        assert "storing failed" in ds.postfix.log_text()  # the daemon's reason, as Postfix logged it
        assert 'waybill_database_up{daemon="pipe"} 0' in ds.metrics()
    finally:
        ds.pg.start()
    ds.postfix.flush()
    ds.wait_stored(rid)
    assert wait_until(lambda: not in_queue(ds, queue_id), 20, 0.2)
    assert len(ds.events(rid)) == 1
    assert ds.stored_by_daemon(queue_id, rid)  # the daemon's pool healed without a restart
    assert ds.pg.query("SELECT count(*) FROM pipe_messages WHERE queue_id = %s", (queue_id,)) == [(1,)]


def test_without_the_daemon_the_one_shot_program_stores(ds: DaemonStack) -> None:
    ds.stop_daemon()
    assert not ds.socket.exists()  # removed on a clean stop
    try:
        rid = ds.bounce("fallback@elsewhere.test")
        queue_id = ds.delivery(rid, "sent")
        assert len(ds.events(rid)) == 1
        assert not ds.stored_by_daemon(queue_id, rid)
        # A socket file nobody listens on (a crashed daemon) falls back the same way.
        stale = ds.rig.path("stale.sock")
        holder = socket.socket(socket.AF_UNIX)
        holder.bind(str(stale))
        holder.close()
        rid2, header = ds.add_recipient("stale@elsewhere.test")
        result = subprocess.run([str(ds.stack.binary("waybill-pipe")), "--config", str(ds.stack.config),
                                 "--pipe.socket", f"unix:{stale}", "--sender=", f"--recipient={verp(rid2)}",
                                 "--queue-id=STALE1"], input=bounce_for("stale@elsewhere.test", header),
                                capture_output=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert b"running the one-shot program" in result.stderr
        assert len(ds.events(rid2)) == 1
    finally:
        ds.start_daemon()


def test_a_daemon_killed_mid_message_gives_75_and_nothing_is_lost(ds: DaemonStack) -> None:
    ds.start_daemon()
    blocker = psycopg2.connect(ds.pg.url, connect_timeout=5)
    try:
        # The daemon's INSERT waits on this lock: it is in the middle of the message when killed.
        blocker.cursor().execute("LOCK TABLE pipe_messages IN ACCESS EXCLUSIVE MODE")
        rid = ds.bounce("killed@elsewhere.test")
        assert wait_until(lambda: ds.pg.query("SELECT count(*) FROM pg_locks WHERE NOT granted")[0][0] > 0, 30, 0.1), \
            ds.postfix.diagnostics()
        assert "waybill_pipe_connections 1" in ds.metrics()  # the waiter is the daemon, not a one-shot
        ds.stop_daemon(signal.SIGKILL)
        queue_id = ds.delivery(rid, "deferred")
        assert "no answer from waybill-piped" in ds.postfix.log_text()
        assert in_queue(ds, queue_id)
    finally:
        blocker.rollback()
        blocker.close()
    # The killed daemon's transaction never commits (it had no COMMIT). Postfix may already have
    # retried the message meanwhile (the stale socket makes the client run the one-shot program,
    # which waited on the same lock): that retry's event is the one allowed here.
    assert len(ds.events(rid)) <= 1
    ds.start_daemon()
    ds.postfix.flush()
    ds.wait_stored(rid)
    assert wait_until(lambda: not in_queue(ds, queue_id), 20, 0.2)
    assert len(ds.events(rid)) == 1
    assert ds.pg.query("SELECT count(*) FROM pipe_messages WHERE queue_id = %s", (queue_id,)) == [(1,)]


def test_options_of_the_full_program_still_work_on_the_thin_client(ds: DaemonStack) -> None:
    pipe = str(ds.stack.binary("waybill-pipe"))
    golden = Path(__file__).resolve().parents[1] / "golden" / "dsn" / "postfix-bounce-userunknown.eml"
    result = subprocess.run([pipe, "--config", str(ds.stack.config), "--classify-only"], input=golden.read_bytes(),
                            capture_output=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.decode().splitlines()[0])["reason"] == "userunknown"
    help_text = subprocess.run([pipe, "--help"], capture_output=True, text=True, timeout=30).stdout
    assert "--classify-only" in help_text and "pipe.socket" in help_text
    version = subprocess.run([pipe, "--version"], capture_output=True, text=True, timeout=30)
    assert version.returncode == 0 and "waybill-pipe" in version.stdout
    # No recipient: the full program says what is missing and Postfix would retry.
    assert subprocess.run([pipe, "--config", str(ds.stack.config)], input=b"x", capture_output=True,
                          timeout=30).returncode == 75


def test_socket_activation_and_sigterm(ds: DaemonStack) -> None:
    ds.stop_daemon()
    activated = ds.rig.path("activated.sock")
    proc = ds.rig.spawn(["systemd-socket-activate", "-l", str(activated), ds.stack.binary("waybill-piped"),
                         "--config", str(ds.stack.config), "--serve", "--log.level", "info"], name="activated")
    try:
        assert wait_until(activated.exists, 10)
        rid, header = ds.add_recipient("activated@elsewhere.test")
        argv = [str(ds.stack.binary("waybill-pipe")), "--config", str(ds.stack.config), "--pipe.socket",
                f"unix:{activated}", "--sender=", f"--recipient={verp(rid)}", "--queue-id=ACT1"]
        result = subprocess.run(argv, input=bounce_for("activated@elsewhere.test", header), capture_output=True,
                                timeout=30)
        assert result.returncode == 0, result.stderr
        assert "using the listening socket passed by systemd" in ds.rig.log_of("activated")
        assert "queue ACT1" in ds.rig.log_of("activated") and len(ds.events(rid)) == 1
        proc.send_signal(signal.SIGTERM)
        proc.wait(15)
        assert "stopped" in ds.rig.log_of("activated")
    finally:
        if proc.poll() is None:
            proc.kill()
        ds.start_daemon()
