"""Prometheus metrics: every daemon's `metrics_listen` endpoint is scraped before and after the test
sends mail (milter), asks for a suppressed recipient (policyd), clicks and opens (trackd) and
feeds a bounce to waybill-pipe (counted by webhookd's waybill_events_total); the counters must move
by what was done. The text format is parsed here (no prometheus_client on these machines).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import re
import subprocess
import sys
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, WaybillStack, milter_address  # noqa: E402

SENDER = "app@sender.example"
BOUNCE_DOMAIN = "bounces.test"
KEY_ID, KEY_HEX = TOKEN_KEY_LINE.split()
DAEMONS = ("milter", "policyd", "trackd", "webhooks")


# ---------------------------------------------------------------------------------------------
# Prometheus text format (exposition format 0.0.4): samples keyed by name and label set.

SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+-?\d+)?$")
LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')


def unescape(value: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), value)


def parse_labels(text: str) -> frozenset:
    labels, pos = {}, 0
    while pos < len(text.rstrip()):
        match = LABEL.match(text, pos)
        assert match, f"bad label set {text!r}"
        labels[match.group(1)] = unescape(match.group(2))
        pos = match.end()
    return frozenset(labels.items())


def parse_metrics(text: str) -> tuple[dict, dict]:
    """Returns ({(name, labels): value}, {family: type})."""
    samples, types = {}, {}
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            _, _, family, kind = line.split(maxsplit=3)
            types[family] = kind
        elif line.strip() and not line.startswith("#"):
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            key = (name, parse_labels(labels or ""))
            assert key not in samples, f"duplicate sample {line!r}"
            samples[key] = float(value)
    return samples, types


class Scrape:
    def __init__(self, text: str) -> None:
        self.text = text
        self.samples, self.types = parse_metrics(text)

    def __call__(self, name: str, default: float | None = None, **labels: str) -> float:
        key = (name, frozenset(labels.items()))
        if key not in self.samples:
            assert default is not None, f"{name}{labels} not exported:\n{self.text}"
            return default
        return self.samples[key]


def test_parser_reads_labels_escapes_and_histograms() -> None:
    text = ('# HELP a_total x\n# TYPE a_total counter\na_total{k="v",q="a\\"b\\\\c"} 3\n'
            '# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.5\nh_count 2\nb 1e3 1700\n')
    s = Scrape(text)
    assert s("a_total", k="v", q='a"b\\c') == 3 and s("h_bucket", le="+Inf") == 2 and s("b") == 1000
    assert s.types == {"a_total": "counter", "h": "histogram"}
    with pytest.raises(AssertionError):
        s("a_total", k="other")


# ---------------------------------------------------------------------------------------------
# The rig: Postfix with the milter and policyd, trackd, webhookd with a receiver, pipe by hand.


class Receiver:
    """A webhook endpoint that takes everything (webhookd only counts events while enabled)."""

    def __init__(self) -> None:
        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def generate_dkim_key(stack: WaybillStack) -> dict[str, str]:
    keys = stack.rig.path("dkim")
    keys.mkdir()
    stack.waybill("keys", "generate", "--domain", "sender.example", "--selector", "m1", "--algorithm", "rsa",
                  "--dir", str(keys))
    (keys / "KeyTable").write_text(f"rsa sender.example:m1:{keys / 'sender.example.m1.key'}\n")
    (keys / "SigningTable").write_text("*@sender.example rsa\n")
    return {"key_table": str(keys / "KeyTable"), "signing_table": str(keys / "SigningTable")}


class Metrics:
    def __init__(self, stack: WaybillStack, ports: dict[str, int], receiver: Receiver) -> None:
        self.stack = stack
        self.rig = stack.rig
        self.ports = ports
        self.receiver = receiver

    def scrape(self, daemon: str) -> Scrape:
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[daemon], timeout=10)
        conn.request("GET", "/metrics")
        response = conn.getresponse()
        body = response.read().decode()
        conn.close()
        assert response.status == 200, (daemon, response.status, body)
        return Scrape(body)

    def send(self, recipients: list[str], subject: str) -> tuple[int, str]:
        body = (f"From: {SENDER}\nTo: {', '.join(recipients)}\nSubject: {subject}\nMIME-Version: 1.0\n"
                "Content-Type: text/html; charset=utf-8\n\n"
                '<html><body><p>Hi, see <a href="https://shop.example/offer">the offer</a>.</p></body></html>\n')
        return self.rig.postfix.send_smtp(SENDER, recipients, body.encode())


@pytest.fixture(scope="module")
def metrics(bin_dir: Path):
    milter_port, policyd_port = free_port(), free_port()
    ports = {daemon: free_port() for daemon in DAEMONS}
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)],
             policy_service=f"inet:127.0.0.1:{policyd_port}") as rig:
        receiver = Receiver()
        stack = WaybillStack(rig, bin_dir)
        sections = {daemon: {"metrics_listen": f"127.0.0.1:{ports[daemon]}"} for daemon in DAEMONS}
        sections["trackd"].update({"listen": f"127.0.0.1:{stack.tracking_port}", "spool_dir": str(rig.path("spool")),
                                   "threads": "2", "scanner_click_seconds": "0"})
        sections["webhooks"].update({"endpoint": f"app {receiver.url}", "secret": "s", "retry_initial_ms": "100"})
        sections["pipe"] = {"bounce_domain": BOUNCE_DOMAIN}
        sections["dkim"] = generate_dkim_key(stack)
        stack = WaybillStack(rig, bin_dir, sections=sections, tracking_port=stack.tracking_port)
        stack.migrate()
        stack.start_milter(milter_port)
        config = ["--config", str(stack.config)]
        rig.spawn([stack.binary("waybill-policyd"), *config, "--policyd.listen", f"127.0.0.1:{policyd_port}"],
                  name="waybill-policyd")
        rig.spawn([stack.binary("waybill-trackd"), *config], name="waybill-trackd")
        rig.spawn([stack.binary("waybill-webhookd"), *config], name="waybill-webhookd")
        for port in (policyd_port, stack.tracking_port, *ports.values()):
            wait_port(port)
        assert wait_until(lambda: "suppression list loaded" in rig.log_of("waybill-policyd"), 10)
        assert wait_until(lambda: rig.pg.query("SELECT enabled FROM webhook_state")[0][0], 10)
        yield Metrics(stack, ports, receiver)
        receiver.close()


def test_each_daemon_serves_its_families_on_metrics_listen(metrics: Metrics) -> None:
    for daemon in DAEMONS:
        scrape = metrics.scrape(daemon)
        assert scrape.types, daemon
        ours = [name for name in scrape.types if not name.startswith("exposer_")]  # prometheus-cpp's own
        assert ours and all(name.startswith("waybill_") for name in ours), (daemon, sorted(scrape.types))
    assert metrics.scrape("milter")("waybill_database_up", daemon="milter") == 1
    assert metrics.scrape("trackd")("waybill_database_up", daemon="trackd") in (0, 1)  # 1 after the first write
    assert metrics.scrape("policyd")("waybill_database_up", daemon="policyd") == 1


# ---------------------------------------------------------------------------------------------
# One pass through everything; each daemon's counters are compared before and after.


def verp_token(recipient_id: uuid.UUID) -> str:
    """core/token/tracking_token.h wire form (kind 'b': bounce)."""
    body = bytes([1, int(KEY_ID), ord("b")]) + recipient_id.bytes
    mac = hmac.new(bytes.fromhex(KEY_HEX), body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + mac).decode().rstrip("=")


def bounce_for(recipient: str, header_id: str) -> bytes:
    return (f"From: MAILER-DAEMON@mx.test\nTo: {SENDER}\nSubject: Undelivered Mail Returned to Sender\n"
            'MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nSorry.\n\n--B\nContent-Type: message/delivery-status\n\n"
            f"Reporting-MTA: dns; mx.test\n\nFinal-Recipient: rfc822; {recipient}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: User unknown\n\n"
            f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {header_id}\nFrom: {SENDER}\n\n--B--\n").encode()


def tracking_paths(message) -> list[str]:
    """The /c/ and /o/ paths in an arrived message's decoded body."""
    text = "".join(part.get_payload(decode=True).decode(errors="replace")
                   for part in message.email.walk() if not part.is_multipart())
    return re.findall(r"http://127\.0\.0\.1:\d+(/[co]/[A-Za-z0-9_-]+)", text)


def delta(before: Scrape, after: Scrape, name: str, **labels: str) -> float:
    return after(name, 0.0, **labels) - before(name, 0.0, **labels)


def test_counters_move_with_mail_clicks_and_bounces(metrics: Metrics) -> None:
    before = {daemon: metrics.scrape(daemon) for daemon in DAEMONS}
    rig = metrics.rig

    # Mail: two recipients accepted (one per-recipient copy re-injected), one suppressed.
    metrics.stack.waybill("suppress", "add", "gone@dest.example", "--global", "--reason", "complaint")
    assert wait_until(lambda: metrics.scrape("policyd")("waybill_policyd_suppressions") >= 1, 5)
    code, text = metrics.send(["ann@dest.example", "bob@dest.example"], "metrics")
    assert code == 250, text
    code, text = metrics.send(["gone@dest.example"], "suppressed")
    assert code == 554 and "5.7.1" in text, text
    arrived = rig.sink.wait_for(2)
    ann = next(m for m in arrived if m.recipients == ["ann@dest.example"])
    assert ann.email["DKIM-Signature"], ann.email.as_string()[:2000]

    milter = metrics.scrape("milter")
    m0 = before["milter"]
    assert delta(m0, milter, "waybill_milter_messages_total", result="accepted") == 2  # original + copy
    assert delta(m0, milter, "waybill_milter_recipients_total") == 2
    assert delta(m0, milter, "waybill_milter_copies_injected_total") == 1
    assert delta(m0, milter, "waybill_milter_bodies_rewritten_total") >= 1  # the copy may carry the rewritten body
    signed = sum(1 for m in arrived if m.email["DKIM-Signature"])
    assert signed == 2 and delta(m0, milter, "waybill_milter_signatures_total", algorithm="rsa-sha256") == signed
    assert delta(m0, milter, "waybill_milter_messages_total", result="tempfail") == 0
    assert delta(m0, milter, "waybill_milter_message_seconds_count") == 2
    assert milter("waybill_milter_message_seconds_bucket", le="+Inf") == milter("waybill_milter_message_seconds_count")
    assert milter.types["waybill_milter_message_seconds"] == "histogram"

    policyd = metrics.scrape("policyd")
    p0 = before["policyd"]
    assert delta(p0, policyd, "waybill_policyd_requests_total", action="dunno") >= 2  # ann, bob
    assert delta(p0, policyd, "waybill_policyd_requests_total", action="reject") == 1
    assert delta(p0, policyd, "waybill_policyd_suppressed_total", reason="complaint") == 1
    assert delta(p0, policyd, "waybill_policyd_request_seconds_count") >= 3
    assert policyd("waybill_policyd_suppressions") == 1

    # Clicks and opens on trackd.
    paths = tracking_paths(ann)
    assert any(p.startswith("/c/") for p in paths) and any(p.startswith("/o/") for p in paths), paths
    for path in (next(p for p in paths if p.startswith("/c/")), next(p for p in paths if p.startswith("/o/"))):
        conn = http.client.HTTPConnection("127.0.0.1", metrics.stack.tracking_port, timeout=10)
        conn.request("GET", path)
        assert conn.getresponse().status in (200, 302), path
        conn.close()
    assert wait_until(lambda: delta(before["trackd"], metrics.scrape("trackd"),
                                    "waybill_trackd_events_written_total") >= 2, 10), metrics.scrape("trackd").text
    trackd = metrics.scrape("trackd")
    t0 = before["trackd"]
    assert delta(t0, trackd, "waybill_trackd_requests_total", endpoint="click") == 1
    assert delta(t0, trackd, "waybill_trackd_requests_total", endpoint="open") == 1
    assert trackd("waybill_trackd_spool_depth") == 0
    assert trackd("waybill_database_up", daemon="trackd") == 1

    # A bounce through waybill-pipe, counted by webhookd as it leaves the outbox.
    rid, header = rig.pg.query("SELECT r.id, m.message_id_header FROM recipients r JOIN messages m"
                               " ON m.id = r.message_id WHERE r.address = 'bob@dest.example'")[0]
    piped = subprocess.run([str(metrics.stack.binary("waybill-pipe")), "--config", str(metrics.stack.config),
                            "--sender=", f"--recipient=bounce+{verp_token(uuid.UUID(str(rid)))}@{BOUNCE_DOMAIN}",
                            "--queue-id=METRICSQ"], input=bounce_for("bob@dest.example", header),
                           capture_output=True, timeout=30)
    assert piped.returncode == 0, piped.stderr
    assert rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'") == [(1,)]
    w0 = before["webhooks"]
    moved = lambda: delta(w0, metrics.scrape("webhooks"), "waybill_events_total", type="bounced") == 1
    assert wait_until(moved, 10), metrics.scrape("webhooks").text
    webhooks = metrics.scrape("webhooks")
    assert delta(w0, webhooks, "waybill_events_total", type="clicked") == 1
    assert delta(w0, webhooks, "waybill_events_total", type="suppressed") == 1
