"""Issue 5: waybill-trackd against a real PostgreSQL: opens, clicks, the unsubscribe page, POST and
RFC 8058 one-click unsubscription, forged tokens, and machine-traffic flags.

Tokens are minted here by an independent implementation of the wire format in
core/token/tracking_token.h, so these tests also pin that format.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import html
import http.client
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402

KEY_ID = 7
SECRET = bytes(range(32))
SENDER = "News@Sender.Example"


def mint(kind: str, recipient: uuid.UUID, url: str = "", key: bytes = SECRET, key_id: int = KEY_ID) -> str:
    """A version-1 token: every kind as mail already in the field carries it (clicks without a time)."""
    payload = bytes([1, key_id, ord(kind)]) + recipient.bytes + url.encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


def mint_click(recipient: uuid.UUID, url: str, issued_at: int, key: bytes = SECRET, key_id: int = KEY_ID) -> str:
    """A version-2 click token, as the milter signs them now: the issue time before the URL."""
    payload = bytes([2, key_id, ord("c")]) + recipient.bytes + issued_at.to_bytes(4, "big") + url.encode()
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(payload + mac).rstrip(b"=").decode()


class Trackd:
    """waybill-trackd on a free loopback port, with its own config, key file and spool."""

    def __init__(self, rig: Rig, bin_dir: Path, **settings: str) -> None:
        self.rig = rig
        self.bin_dir = bin_dir
        self.port = free_port()
        self.metrics_port = free_port()
        self.spool = rig.path("spool")
        key_file = rig.path("token.keys")
        key_file.write_text(f"{KEY_ID} {SECRET.hex()}\n")
        key_file.chmod(0o600)  # a key file others can read is refused
        values = {
            "database.url": rig.pg.url,
            "tracking.key_file": str(key_file),
            "tracking.base_url": f"http://127.0.0.1:{self.port}",
            "trackd.listen": f"127.0.0.1:{self.port}",
            "trackd.metrics_listen": f"127.0.0.1:{self.metrics_port}",
            "trackd.spool_dir": str(self.spool),
            "trackd.threads": "2",
            "log.syslog": "false",
            **{k.replace("__", "."): v for k, v in settings.items()},
        }
        sections: dict[str, list[str]] = {}
        for key, value in values.items():
            section, name = key.split(".", 1)
            sections.setdefault(section, []).append(f"{name} = {value}")
        self.config = rig.path("waybill.conf")
        self.config.write_text("".join(f"[{s}]\n" + "\n".join(lines) + "\n" for s, lines in sections.items()))
        self.proc: subprocess.Popen | None = None

    def migrate(self) -> None:
        env = dict(os.environ)
        env.setdefault("WAYBILL_MIGRATIONS_DIR", str(Path(__file__).resolve().parents[2] / "sql" / "migrations"))
        subprocess.run([str(self.bin_dir / "waybill"), "--config", str(self.config), "db", "migrate"],
                       check=True, capture_output=True, env=env, timeout=60)

    def start(self, *wrapper: str) -> None:
        """`wrapper`: a command to run trackd under, e.g. prlimit."""
        self.proc = self.rig.spawn([*wrapper, self.bin_dir / "waybill-trackd", "--config", self.config], name="trackd")
        wait_port(self.port, pid=self.proc.pid)
        wait_port(self.metrics_port, pid=self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, port: int | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=10)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.body = response.read()
        conn.close()
        return response

    def metrics(self) -> dict[str, float]:
        values = {}
        for line in self.request("GET", "/metrics", port=self.metrics_port).body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                values[name] = float(value)
        return values

    def wait_drained(self, timeout: float = 20) -> None:
        """Until every spooled event is committed to PostgreSQL."""
        def drained() -> bool:
            m = self.metrics()
            return m["waybill_trackd_spool_depth"] == 0 and m["waybill_trackd_database_up"] == 1
        assert wait_until(drained, timeout), self.rig.log_of("trackd")[-3000:]


def add_recipient(rig: Rig, address: str, *, age_seconds: int = 3600) -> uuid.UUID:
    message_id, recipient_id = uuid.uuid4(), uuid.uuid4()
    rig.pg.execute("INSERT INTO messages (id, envelope_sender, created_at)"
                   " VALUES (%s, %s, now() - make_interval(secs => %s))",
                   (str(message_id), SENDER, age_seconds))
    rig.pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                   (str(recipient_id), str(message_id), address))
    return recipient_id


BROWSER = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/120.0.0.0 Safari/537.36")


@contextlib.contextmanager
def running_trackd(bin_dir: Path) -> Iterator[Trackd]:
    """A rig without Postfix, its database migrated, and waybill-trackd started on it (trackd.rig)."""
    with Rig(postfix=False) as rig:
        trackd = Trackd(rig, bin_dir)
        trackd.migrate()
        trackd.start()
        yield trackd


@pytest.fixture(scope="module")
def trackd(bin_dir: Path):
    with running_trackd(bin_dir) as t:
        yield t


def events_of(trackd: Trackd, recipient: uuid.UUID) -> list[tuple]:
    return trackd.rig.pg.query(
        "SELECT type, url, host(ip), user_agent, machine, machine_reason, recipient, sender"
        " FROM events WHERE recipient_id = %s ORDER BY occurred_at", (str(recipient),))


def test_open_answers_a_gif_and_records_one_opened_event(trackd: Trackd) -> None:
    rcpt = add_recipient(trackd.rig, "ann@dest.example")
    response = trackd.request("GET", f"/o/{mint('o', rcpt)}", headers={"User-Agent": BROWSER})
    assert response.status == 200
    assert response.getheader("Content-Type") == "image/gif"
    assert response.body[:6] == b"GIF89a" and len(response.body) == 43
    assert "no-store" in response.getheader("Cache-Control")
    head = trackd.request("HEAD", f"/o/{mint('o', rcpt)}")
    assert head.status == 200 and head.body == b""
    trackd.wait_drained()
    assert events_of(trackd, rcpt) == [
        ("opened", None, "127.0.0.1", BROWSER, False, None, "ann@dest.example", SENDER)]


def test_click_redirects_byte_for_byte_and_records_the_url(trackd: Trackd) -> None:
    rcpt = add_recipient(trackd.rig, "bob@dest.example")
    url = "https://shop.example/p?id=42&utm_source=mail&q=%C3%A9t%C3%A9#top"
    response = trackd.request("GET", f"/c/{mint('c', rcpt, url)}", headers={"User-Agent": BROWSER})
    assert response.status == 302
    assert response.getheader("Location") == url
    assert trackd.request("HEAD", f"/c/{mint('c', rcpt, url)}").status == 302
    trackd.wait_drained()
    assert events_of(trackd, rcpt) == [
        ("clicked", url, "127.0.0.1", BROWSER, False, None, "bob@dest.example", SENDER)]


def test_unsubscribe_page_then_post_then_one_click_is_one_suppression(trackd: Trackd) -> None:
    rcpt = add_recipient(trackd.rig, "Cat@Dest.Example")
    token = mint("u", rcpt)
    page = trackd.request("GET", f"/u/{token}", headers={"User-Agent": BROWSER})
    assert page.status == 200
    assert page.getheader("Content-Type") == "text/html; charset=utf-8"
    page_html = html.unescape(page.body.decode())  # mstch escapes '/' in {{action}} as &#x2F;
    assert 'method="post"' in page_html and f'action="http://127.0.0.1:{trackd.port}/u/{token}"' in page_html
    trackd.wait_drained()
    assert events_of(trackd, rcpt) == []  # a GET never unsubscribes (link scanners fetch it)
    assert trackd.rig.pg.query("SELECT count(*) FROM suppressions WHERE recipient = 'cat@dest.example'") == [(0,)]

    confirmed = trackd.request("POST", f"/u/{token}", body=b"", headers={"User-Agent": BROWSER})
    assert confirmed.status == 200 and "unsubscribed" in confirmed.body.decode()
    for _ in range(2):  # RFC 8058 one-click, repeated: still one suppression
        one_click = trackd.request("POST", f"/u/{token}", body=b"List-Unsubscribe=One-Click",
                                   headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert (one_click.status, one_click.body) == (200, b"")
    trackd.wait_drained()
    assert trackd.rig.pg.query(
        "SELECT recipient, scope, scope_value, reason, source FROM suppressions"
        " WHERE recipient = 'cat@dest.example'") == [
        ("cat@dest.example", "sender", "news@sender.example", "unsubscribed", "trackd")]
    assert [e[0] for e in events_of(trackd, rcpt)] == ["unsubscribed"]


def test_events_of_unknown_recipients_are_still_recorded(trackd: Trackd) -> None:
    rcpt = uuid.uuid4()  # no recipients row: the token is the proof
    assert trackd.request("GET", f"/o/{mint('o', rcpt)}", headers={"User-Agent": BROWSER}).status == 200
    trackd.wait_drained()
    assert events_of(trackd, rcpt) == [("opened", None, "127.0.0.1", BROWSER, False, None, None, None)]


def test_forged_and_altered_tokens_are_404_and_never_recorded(trackd: Trackd) -> None:
    rcpt = add_recipient(trackd.rig, "dan@dest.example")
    valid = {"o": mint("o", rcpt), "c": mint("c", rcpt, "https://shop.example/x"), "u": mint("u", rcpt)}
    rng = random.Random(5)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    before = trackd.rig.pg.query("SELECT count(*) FROM events")[0][0]
    conn = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)
    for i in range(1000):
        kind = "ocu"[i % 3]
        token = valid[kind]
        pos = rng.randrange(len(token))
        altered = token[:pos] + rng.choice(alphabet.replace(token[pos], "")) + token[pos + 1:]
        method = "POST" if kind == "u" and i % 2 else "GET"
        conn.request(method, f"/{kind}/{altered}", body=b"List-Unsubscribe=One-Click" if method == "POST" else None)
        response = conn.getresponse()
        response.read()
        assert response.status == 404, (kind, altered)
    conn.close()
    others = [
        f"/o/{mint('o', rcpt, key=b'x' * 32)}",          # right shape, wrong key
        f"/o/{mint('o', rcpt, key_id=9)}",               # unknown key id
        f"/o/{valid['o'][:-1]}", f"/o/{valid['o'][:20]}",  # truncated
        f"/c/{valid['o']}", f"/o/{valid['c']}",          # a token of another kind
        f"/c/{mint('c', rcpt, 'javascript:alert(1)')}",  # signed, but not a web URL: no redirect
        f"/c/{mint('c', rcpt, 'https://a.example/x' + chr(13) + chr(10) + 'Set-Cookie: x=1')}",
        "/c/", "/o/..%2f", "/x/" + valid["o"],
    ]
    for path in others:
        assert trackd.request("GET", path).status == 404, path
    trackd.wait_drained()
    assert trackd.rig.pg.query("SELECT count(*) FROM events")[0][0] == before
    assert trackd.rig.pg.query("SELECT count(*) FROM suppressions WHERE recipient = 'dan@dest.example'") == [(0,)]


def test_machine_traffic_is_flagged_and_browsers_are_not(trackd: Trackd) -> None:
    rcpt = add_recipient(trackd.rig, "eve@dest.example")
    fresh = add_recipient(trackd.rig, "fay@dest.example", age_seconds=2)
    gets = [
        (rcpt, f"/o/{mint('o', rcpt)}", "Mozilla/5.0", {}),  # Apple Mail Privacy Protection
        (rcpt, f"/o/{mint('o', rcpt)}", "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 "
                                        "(via ggpht.com GoogleImageProxy)", {}),
        (rcpt, f"/c/{mint('c', rcpt, 'https://a.example/1')}", "Mozilla/5.0 (compatible; Barracuda)", {}),
        (rcpt, f"/c/{mint('c', rcpt, 'https://a.example/2')}", "python-requests/2.31", {}),
        (rcpt, f"/o/{mint('o', rcpt)}", BROWSER, {}),                    # a person
        (fresh, f"/c/{mint('c', fresh, 'https://a.example/3')}", BROWSER, {}),  # seconds after sending
    ]
    # Accepted an hour ago, delivered just now (a deferred message): its delivery time counts.
    late = add_recipient(trackd.rig, "ida@dest.example")
    trackd.rig.pg.execute("UPDATE recipients SET status = 'delivered', updated_at = now() WHERE id = %s",
                          (str(late),))
    gets.append((late, f"/c/{mint('c', late, 'https://a.example/4')}", BROWSER, {}))
    for _, path, agent, _ in gets:
        assert trackd.request("GET", path, headers={"User-Agent": agent}).status in (200, 302)
    # Several links of one message clicked within the same second: a scanner following every link.
    burst = add_recipient(trackd.rig, "gus@dest.example")
    conn = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)  # one connection: fast
    for n in range(3):
        conn.request("GET", f"/c/{mint('c', burst, f'https://a.example/b{n}')}", headers={"User-Agent": BROWSER})
        conn.getresponse().read()
    conn.close()
    trackd.wait_drained()
    flags = trackd.rig.pg.query(
        "SELECT recipient, type, user_agent, machine, machine_reason FROM events"
        " WHERE recipient IN ('eve@dest.example', 'fay@dest.example', 'ida@dest.example') ORDER BY occurred_at")
    assert [(f[0], f[1], f[3], f[4]) for f in flags] == [
        ("eve@dest.example", "opened", True, "apple_mpp"),
        ("eve@dest.example", "opened", True, "google_image_proxy"),
        ("eve@dest.example", "clicked", True, "link_scanner"),
        ("eve@dest.example", "clicked", True, "http_library"),
        ("eve@dest.example", "opened", False, None),
        ("fay@dest.example", "clicked", True, "click_soon_after_send"),
        ("ida@dest.example", "clicked", True, "click_soon_after_send"),
    ]
    burst_flags = trackd.rig.pg.query(
        "SELECT machine, machine_reason FROM events WHERE recipient = 'gus@dest.example' ORDER BY occurred_at")
    assert burst_flags == [(False, None), (True, "click_burst"), (True, "click_burst")]


def test_health_metrics_and_limits(trackd: Trackd) -> None:
    # Health and metrics are on the loopback metrics listener only, never on the public one.
    health = trackd.request("GET", "/healthz", port=trackd.metrics_port)
    assert health.status == 200 and b"\nwaybill_trackd_healthy 1\n" in health.body, health.body
    assert b"\nwaybill_trackd_spool_depth " in health.body
    for path in ("/healthz", "/metrics", "/metrics?x=1"):
        public = trackd.request("GET", path)
        assert (public.status, public.body) == (404, b"not found\n"), path
    metrics = trackd.metrics()
    assert metrics['waybill_trackd_requests_total{endpoint="open"}'] >= 1
    assert "waybill_trackd_events_written_total" in metrics
    assert trackd.request("DELETE", f"/o/{mint('o', uuid.uuid4())}").status == 405
    assert trackd.request("GET", "/u/" + "A" * 20000).status == 431
    assert trackd.request("POST", f"/u/{mint('u', uuid.uuid4())}", body=b"x" * 10000).status == 413


def test_systemd_socket_activation_and_unix_socket(bin_dir: Path) -> None:
    """The listening socket can come from systemd (it then outlives restarts); unix: works too."""
    with Rig(postfix=False) as rig:
        t = Trackd(rig, bin_dir)
        t.migrate()
        rcpt = add_recipient(rig, "hal@dest.example")
        proc = rig.spawn(["systemd-socket-activate", "-l", f"127.0.0.1:{t.port}",
                          bin_dir / "waybill-trackd", "--config", t.config,
                          "--trackd.listen", f"unix:{rig.path('unused.sock')}"], name="trackd")
        wait_port(t.port)
        assert t.request("GET", f"/o/{mint('o', rcpt)}").status == 200  # first connection starts it
        assert "using 1 sockets from systemd" in rig.log_of("trackd")
        assert not rig.path("unused.sock").exists()
        proc.terminate()
        proc.wait(10)

        unix_path = rig.path("trackd.sock")
        rig.spawn([bin_dir / "waybill-trackd", "--config", t.config, "--trackd.listen", f"unix:{unix_path}",
                   "--trackd.timeout", "1"], name="trackd-unix")
        assert wait_until(unix_path.exists, 10)
        with socket.socket(socket.AF_UNIX) as idle:  # a client that never finishes its request
            idle.connect(str(unix_path))
            idle.sendall(b"GET /o/AAAA HTTP/1.1\r\nHost: t\r\n")
            idle.settimeout(10)
            assert idle.recv(4096) == b""  # dropped after trackd.timeout, long before 10 s
        with socket.socket(socket.AF_UNIX) as s:
            s.connect(str(unix_path))
            s.sendall(f"GET /o/{mint('o', rcpt)} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
            reply = b""
            while chunk := s.recv(4096):
                reply += chunk
        head, body = reply.split(b"\r\n\r\n", 1)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n") and body[:6] == b"GIF89a"

        def both_stored() -> bool:
            return rig.pg.query("SELECT count(*) FROM events WHERE recipient_id = %s", (str(rcpt),)) == [(2,)]
        assert wait_until(both_stored, 20), rig.log_of("trackd-unix")
        rows = rig.pg.query("SELECT host(ip) FROM events WHERE recipient_id = %s ORDER BY ip NULLS LAST",
                            (str(rcpt),))
        assert rows == [("127.0.0.1",), (None,)]  # a unix socket has no client address
