"""waybill-trackd under abuse, on loopback with bounded loops: over trackd.max_connections it answers
503 and keeps serving everyone else; over trackd.rate_limit a client gets 429 while other clients
(and its own one-click unsubscribes) do not; with PostgreSQL stopped and the spool at
trackd.spool_max_size opens are dropped and counted, but every one-click unsubscribe is accepted
and is in the table after a restart. And click links past trackd.click_max_age, or to a host not in
trackd.click_allowed_hosts, show a page instead of redirecting, while old (version-1) links work.

Cost: four private PostgreSQL instances and six trackd starts, about 25 s.
"""

from __future__ import annotations

import http.client
import socket
import time
from pathlib import Path

from test_trackd import BROWSER, Trackd, add_recipient, mint, mint_click
from waybill_rig import Rig, wait_until


def raw_get(port: int, path: str) -> bytes:
    """One request on a fresh connection, read to the end (the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n".encode())
        reply = b""
        while chunk := s.recv(4096):
            reply += chunk
    return reply


def status_of(conn: http.client.HTTPConnection, method: str, path: str, body: bytes | None = None,
              headers: dict[str, str] | None = None) -> int:
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    response.read()
    return response.status


def test_connection_cap_answers_503_and_rate_limit_429_while_others_are_served(bin_dir: Path) -> None:
    with Rig(postfix=False) as rig:
        trackd = Trackd(rig, bin_dir, trackd__max_connections="20", trackd__rate_limit="5",
                        trackd__rate_burst="10", trackd__real_ip_header="X-Forwarded-For")
        trackd.migrate()
        trackd.start()
        rcpt = add_recipient(rig, "ann@dest.example")
        pixel = f"/o/{mint('o', rcpt)}"

        idle = [socket.create_connection(("127.0.0.1", trackd.port), timeout=10) for _ in range(20)]
        try:
            assert wait_until(lambda: trackd.metrics()["waybill_trackd_connections"] == 20, 10)
            for _ in range(5):  # over the cap: an answer at once, not a hang or a reset
                assert raw_get(trackd.port, pixel).startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
            metrics = trackd.metrics()  # the metrics listener is not behind the public cap
            assert metrics["waybill_trackd_connections_refused_total"] == 5
            assert metrics["waybill_trackd_connections"] == 20
            idle.pop().close()
            assert wait_until(lambda: trackd.metrics()["waybill_trackd_connections"] == 19, 10)
            reply = raw_get(trackd.port, pixel)  # one place free: the next client is served
            assert reply.startswith(b"HTTP/1.1 200 OK\r\n") and b"GIF89a" in reply
        finally:
            for s in idle:
                s.close()
        assert wait_until(lambda: trackd.metrics()["waybill_trackd_connections"] == 0, 10)

        # Client A floods on one keep-alive connection: its burst, then 429 (its rate refills
        # 5/s while the loop runs, so a few more may pass, never all).
        conn = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)
        flood = [status_of(conn, "GET", pixel, headers={"X-Forwarded-For": "198.51.100.1"}) for _ in range(60)]
        assert set(flood) == {200, 429}, flood
        assert flood[:10] == [200] * 10 and flood.count(429) >= 30, flood
        # A is still limited, yet its one-click unsubscribe is accepted; client B is not limited.
        assert status_of(conn, "GET", pixel, headers={"X-Forwarded-For": "198.51.100.1"}) == 429
        assert status_of(conn, "POST", f"/u/{mint('u', rcpt)}", body=b"List-Unsubscribe=One-Click",
                         headers={"X-Forwarded-For": "198.51.100.1",
                                  "Content-Type": "application/x-www-form-urlencoded"}) == 200
        assert status_of(conn, "GET", pixel, headers={"X-Forwarded-For": "198.51.100.2"}) == 200
        # A local proxy that does not say who its client is (no header, loopback) is never limited.
        assert [status_of(conn, "GET", pixel) for _ in range(30)] == [200] * 30
        conn.close()
        assert trackd.metrics()["waybill_trackd_rate_limited_total"] == flood.count(429) + 1

        trackd.wait_drained()
        opens = rig.pg.query("SELECT count(*) FROM events WHERE recipient_id = %s AND type = 'opened'",
                             (str(rcpt),))[0][0]
        assert opens == 1 + flood.count(200) + 1 + 30  # every 200 recorded, no 429 or 503
        assert rig.pg.query("SELECT count(*) FROM suppressions WHERE recipient = 'ann@dest.example'") == [(1,)]


def test_a_low_descriptor_limit_lowers_the_cap_so_503_comes_before_emfile(bin_dir: Path) -> None:
    with Rig(postfix=False) as rig:
        trackd = Trackd(rig, bin_dir)  # default max_connections (8192), far above 200 descriptors
        trackd.migrate()
        trackd.start("prlimit", "--nofile=200:200", "--")
        # 200 less 64 spare and 8 per worker thread (2).
        lowered = "trackd.max_connections 8192 does not fit the descriptor limit 200 (LimitNOFILE): using 120"
        assert wait_until(lambda: lowered in rig.log_of("trackd"), 10), rig.log_of("trackd")
        idle = [socket.create_connection(("127.0.0.1", trackd.port), timeout=10) for _ in range(120)]
        try:
            assert wait_until(lambda: trackd.metrics()["waybill_trackd_connections"] == 120, 10)
            for _ in range(3):
                assert raw_get(trackd.port, "/o/x").startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
        finally:
            for s in idle:
                s.close()
        assert wait_until(lambda: trackd.metrics()["waybill_trackd_connections"] == 0, 10)
        metrics = trackd.metrics()
        assert metrics["waybill_trackd_connections_refused_total"] == 3
        assert metrics["waybill_trackd_accept_errors_total"] == 0  # never ran out of descriptors
        assert raw_get(trackd.port, "/o/x").startswith(b"HTTP/1.1 404 Not Found\r\n")


def test_full_spool_drops_opens_but_keeps_every_unsubscribe(bin_dir: Path) -> None:
    with Rig(postfix=False) as rig:
        trackd = Trackd(rig, bin_dir, trackd__spool_max_size="16K")
        trackd.migrate()
        trackd.start()
        readers = [add_recipient(rig, f"reader{n}@dest.example") for n in range(20)]
        opener = add_recipient(rig, "opener@dest.example")
        rig.pg.stop()

        conn = http.client.HTTPConnection("127.0.0.1", trackd.port, timeout=10)
        pixel = f"/o/{mint('o', opener)}"
        assert all(status_of(conn, "GET", pixel, headers={"User-Agent": BROWSER}) == 200 for _ in range(300))
        metrics = trackd.metrics()
        dropped = metrics['waybill_trackd_events_dropped_total{type="opened"}']
        spooled_opens = metrics["waybill_trackd_events_spooled_total"]
        assert dropped > 0 and spooled_opens + dropped == 300, metrics
        assert metrics["waybill_trackd_spool_bytes"] <= 16 * 1024

        one_click = {"Content-Type": "application/x-www-form-urlencoded"}
        for reader in readers:  # past the cap: every one accepted
            assert status_of(conn, "POST", f"/u/{mint('u', reader)}", b"List-Unsubscribe=One-Click", one_click) == 200
        after_first = trackd.metrics()["waybill_trackd_spool_bytes"]
        assert after_first > 16 * 1024
        for reader in readers:  # the same again: accepted, and no second copy in the full spool
            assert status_of(conn, "POST", f"/u/{mint('u', reader)}", b"List-Unsubscribe=One-Click", one_click) == 200
        conn.close()
        assert trackd.metrics()["waybill_trackd_spool_bytes"] == after_first

        trackd.stop()  # the spool waits on disk for the next process
        rig.pg.start()
        trackd.start()
        trackd.wait_drained(30)
        unsubscribed = rig.pg.query("SELECT recipient FROM suppressions WHERE reason = 'unsubscribed' ORDER BY 1")
        assert unsubscribed == sorted((f"reader{n}@dest.example",) for n in range(20))
        assert rig.pg.query("SELECT count(*) FROM events WHERE type = 'unsubscribed'") == [(20,)]
        assert rig.pg.query("SELECT count(*) FROM events WHERE recipient_id = %s AND type = 'opened'",
                            (str(opener),)) == [(int(spooled_opens),)]


def test_expired_and_disallowed_clicks_show_a_page(bin_dir: Path) -> None:
    with Rig(postfix=False) as rig:
        trackd = Trackd(rig, bin_dir, trackd__click_max_age="1d", trackd__click_allowed_hosts="shop.test")
        trackd.migrate()
        trackd.start()
        rcpt = add_recipient(rig, "bea@dest.example")
        now = int(time.time())
        redirected = {
            "https://shop.test/new": mint_click(rcpt, "https://shop.test/new", now - 60),
            "https://www.shop.test/sub": mint_click(rcpt, "https://www.shop.test/sub", now - 3600),
            "https://shop.test/v1": mint("c", rcpt, "https://shop.test/v1"),  # old format: no age, works
        }
        for url, token in redirected.items():
            response = trackd.request("GET", f"/c/{token}", headers={"User-Agent": BROWSER})
            assert (response.status, response.getheader("Location")) == (302, url)

        expired = trackd.request("GET", f"/c/{mint_click(rcpt, 'https://shop.test/old', now - 2 * 86400)}")
        assert expired.status == 410 and expired.getheader("Location") is None
        assert expired.getheader("Content-Type") == "text/html; charset=utf-8"
        assert b"This link has expired" in expired.body and b"shop.test" not in expired.body
        refused_urls = ["https://evil.test/x", "https://shop.test@evil.test/", "https://evil.test\\@shop.test/"]
        refused = [mint_click(rcpt, url, now) for url in refused_urls] + [mint("c", rcpt, "https://evil.test/v1")]
        for token in refused:
            response = trackd.request("GET", f"/c/{token}")
            assert response.status == 403 and response.getheader("Location") is None
            assert b"This link cannot be opened" in response.body and b"evil" not in response.body

        metrics = trackd.metrics()
        assert metrics['waybill_trackd_clicks_refused_total{reason="expired"}'] == 1
        assert metrics['waybill_trackd_clicks_refused_total{reason="host_not_allowed"}'] == len(refused)
        trackd.wait_drained()
        clicks = rig.pg.query("SELECT url FROM events WHERE recipient_id = %s AND type = 'clicked' ORDER BY url",
                              (str(rcpt),))
        assert clicks == sorted((url,) for url in redirected)  # a refused click is not a click


def test_bad_limits_are_one_line_naming_the_option(bin_dir: Path) -> None:
    with Rig(postfix=False) as rig:
        for option, value in [("trackd.max_connections", "0"), ("trackd.spool_max_size", "lots"),
                              ("trackd.click_max_age", "3w"), ("trackd.click_allowed_hosts", "https://x.test/")]:
            trackd = Trackd(rig, bin_dir, **{option.replace(".", "__"): value})
            proc = rig.spawn([bin_dir / "waybill-trackd", "--config", trackd.config], name=f"bad-{option}")
            assert proc.wait(10) == 78
            lines = rig.log_of(f"bad-{option}").strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"waybill-trackd: option '{option}': "), lines
