"""What the webhook tests share: HTTP receivers on loopback that verify every signature
independently of the C++ code (HMAC-SHA256 over "TIMESTAMP.BODY"), waybill-webhookd with its own
config inside a rig, inserts into `events` / `inbound_messages` (the rows the other daemons
write), and the pytest fixtures built on them (import them into a test module by name).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import os
import signal
import subprocess
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

import pytest

from waybill_rig import Rig, free_port, wait_port, wait_until

SECRET = "webhook-test-secret"
SENDER = "news@shop.example"
MIGRATIONS = Path(os.environ.get("WAYBILL_MIGRATIONS_DIR",
                                 Path(__file__).resolve().parents[2] / "sql" / "migrations"))


def verify_signature(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts or abs(time.time() - int(parts["t"])) > tolerance:
        return False
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"])


class Receiver:
    """An application endpoint on 127.0.0.1. `answer(n)` gives the status of request n (0-based);
    None means never answer (hold the connection until the server stops). A request carrying an
    event id in `refused` (a set the test may change) is answered 500."""

    def __init__(self, secret: str = SECRET, answer: Callable[[int], int | None] = lambda n: 200) -> None:
        self.secret = secret
        self.answer = answer
        self.refused: set[str] = set()
        self.lock = threading.Lock()
        self.requests = 0
        self.accepted: list[dict] = []      # events of 2xx answers, in arrival order
        self.bad_signatures = 0
        self.arrivals: list[tuple[float, dict]] = []
        self.client_ports: list[int] = []   # one per request: repeats show connection reuse
        self._stop = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.time()
                with receiver.lock:
                    n = receiver.requests
                    receiver.requests += 1
                    receiver.client_ports.append(self.client_address[1])
                carried = set(self.headers.get("X-Waybill-Event-Ids", "").split(","))
                status = 500 if receiver.refused & carried else receiver.answer(n)
                if status is None:
                    receiver._stop.wait(120)
                    return
                signed = verify_signature(receiver.secret, self.headers.get("X-Waybill-Signature", ""), body)
                events = json.loads(body)["events"]
                with receiver.lock:
                    if not signed:
                        receiver.bad_signatures += 1
                    elif 200 <= status < 300:
                        receiver.accepted.extend(events)
                        receiver.arrivals.extend((now, e) for e in events)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        with self.lock:
            return [e["id"] for e in self.accepted]

    def wait_for(self, count: int, timeout: float = 20) -> list[dict]:
        assert wait_until(lambda: len(set(self.ids())) >= count, timeout), \
            f"receiver got {len(set(self.ids()))} of {count} events"
        with self.lock:
            return list(self.accepted)

    def close(self) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


class Webhookd:
    """waybill-webhookd with its own config file inside a rig."""

    def __init__(self, rig: Rig, bin_dir: Path, endpoints: list[str], **settings: str) -> None:
        self.rig = rig
        self.bin_dir = bin_dir
        self.metrics_port = free_port()
        lines = [f"endpoint = {e}" for e in endpoints]
        values = {"retry_initial_ms": "100", "retry_max": "1", "timeout": "5", "connect_timeout": "2",
                  "metrics_listen": f"127.0.0.1:{self.metrics_port}", "secret": SECRET, **settings}
        lines += [f"{k} = {v}" for k, v in values.items()]
        self.config = rig.path("waybill.conf")
        self.config.write_text(f"[database]\nurl = {rig.pg.url}\n[log]\nsyslog = false\nlevel = debug\n"
                               "[webhooks]\n" + "\n".join(lines) + "\n")
        self.proc: subprocess.Popen | None = None

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin_dir / "waybill"), "--config", str(self.config), *args],
                              check=check, capture_output=True, text=True, timeout=60)

    def migrate(self) -> None:
        self.cli("db", "migrate", "--migrations", str(MIGRATIONS))

    def start(self) -> None:
        self.proc = self.rig.spawn([self.bin_dir / "waybill-webhookd", "--config", self.config], name="webhookd")
        wait_port(self.metrics_port, pid=self.proc.pid)
        assert wait_until(lambda: self.rig.pg.query("SELECT enabled FROM webhook_state")[0][0], 10)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self.proc.send_signal(sig)
        self.proc.wait(30)

    def metrics(self) -> dict[str, float]:
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        conn.request("GET", "/metrics")
        text = conn.getresponse().read().decode()
        conn.close()
        values = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values


def insert_event(rig: Rig, type_: str, recipient: str, *, sender: str = SENDER, conn=None, event_id: str = "",
                 **columns) -> str:
    event_id = event_id or str(uuid.uuid4())
    sql = ("INSERT INTO events (id, type, recipient, sender, url, details)"
           " VALUES (%s, %s, %s, %s, %s, %s)")
    params = (event_id, type_, recipient, sender, columns.get("url"), json.dumps(columns.get("details", {})))
    if conn is None:
        rig.pg.execute(sql, params)
    else:
        with conn.cursor() as cur:
            cur.execute(sql, params)
    return event_id


def insert_inbound(rig: Rig, recipient: str, subject: str) -> str:
    inbound_id = str(uuid.uuid4())
    rig.pg.execute("INSERT INTO inbound_messages (id, envelope_sender, envelope_recipient, subject, text_body, raw)"
                   " VALUES (%s, %s, %s, %s, %s, %s)",
                   (inbound_id, "customer@client.example", recipient, subject, "thanks!", b"raw"))
    return inbound_id


@pytest.fixture(scope="module")
def shared_rig(bin_dir):
    """One PostgreSQL for the module (initdb costs seconds); each test starts from empty tables."""
    with Rig(postfix=False) as r:
        Webhookd(r, bin_dir, []).migrate()
        yield r


@pytest.fixture
def rig(shared_rig):
    shared_rig.pg.execute("TRUNCATE events, inbound_messages, webhook_deliveries, webhook_outbox")
    yield shared_rig


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.fixture
def daemons():
    started: list[Webhookd] = []
    yield started
    for daemon in started:  # a crash is fine here: the next test starts from empty tables
        if daemon.proc and daemon.proc.poll() is None:
            daemon.stop(signal.SIGKILL)


@pytest.fixture
def start_webhookd(rig, bin_dir, daemons):
    def start(endpoints: list[str], **settings: str) -> Webhookd:
        daemon = Webhookd(rig, bin_dir, endpoints, **settings)
        daemon.start()
        daemons.append(daemon)
        return daemon
    return start
