"""Waybill demo on loopback: a private PostgreSQL and Postfix with every Waybill daemon.

One message goes through Postfix + waybill-milter (tracked, List-Unsubscribe, VERP, DKIM), its
open pixel and click link are fetched from waybill-trackd, a bounce for it comes back through
waybill-pipe, waybill-webhookd pushes the events to a local receiver, and SQL shows the result.
Every process runs from a temporary directory on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import re
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

BOUNCE_DOMAIN = "bounces.shop.example"
SENDER = "orders@shop.example"
RECIPIENT = "ann@customer.example"
MESSAGE = f"""From: Shop <{SENDER}>
To: Ann <{RECIPIENT}>
Subject: Your order has shipped
X-Waybill-Tags: order, shipping
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Your parcel is on its way.
<a href="https://shop.example/track?id=42&amp;ref=mail">Track it</a></p></body></html>
""".encode()


def bounce_for(verp_address: str, message_id: str) -> bytes:
    """What the receiving MTA sends back a day later: a DSN, mailbox full."""
    return (f"From: MAILER-DAEMON@mx.customer.example (Mail Delivery System)\nTo: {verp_address}\n"
            "Subject: Undelivered Mail Returned to Sender\nAuto-Submitted: auto-replied\nMIME-Version: 1.0\n"
            'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
            "--B\nContent-Type: text/plain\n\nI'm sorry.\n\n"
            "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.customer.example\n\n"
            f"Final-Recipient: rfc822; {RECIPIENT}\nAction: failed\nStatus: 5.1.1\n"
            f"Diagnostic-Code: smtp; 550 5.1.1 <{RECIPIENT}>: user unknown\n\n"
            f"--B\nContent-Type: text/rfc822-headers\n\nMessage-ID: {message_id}\nFrom: {SENDER}\n\n--B--\n").encode()


class WebhookReceiver(http.server.ThreadingHTTPServer):
    """The application's endpoint: prints every event webhookd delivers."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        super().__init__(("127.0.0.1", free_port()), self.Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            events = body if isinstance(body, list) else body.get("events", [body])
            self.server.events.extend(events)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass


def show(rig: Rig, title: str, sql: str) -> None:
    rows = rig.pg.query(sql)
    print(f"\n== {title} ({len(rows)} rows)\n   {sql}")
    for row in rows:
        print("   " + " | ".join("" if v is None else str(v) for v in row))


def dkim_tables(bin_dir: Path, rig: Rig) -> dict[str, str]:
    """An rsa and an ed25519 key for shop.example, in OpenDKIM's table formats."""
    keys = rig.path("dkim")
    keys.mkdir()
    for algorithm, selector in (("rsa", "r2026"), ("ed25519", "e2026")):
        subprocess.run([str(bin_dir / "waybill"), "keys", "generate", "--domain", "shop.example", "--selector",
                        selector, "--algorithm", algorithm, "--dir", str(keys)], check=True, capture_output=True)
    (keys / "KeyTable").write_text(f"rsa shop.example:r2026:{keys}/shop.example.r2026.key\n"
                                   f"ed shop.example:e2026:{keys}/shop.example.e2026.key\n")
    (keys / "SigningTable").write_text("*@shop.example rsa\n*@shop.example ed\n")
    return {"key_table": str(keys / "KeyTable"), "signing_table": str(keys / "SigningTable")}


def route_bounces_to_pipe(rig: Rig, stack: WaybillStack) -> None:
    transport = rig.path("transport")
    transport.write_text(f"{BOUNCE_DOMAIN} waybill-pipe:\n")
    argv = (f"{stack.binary('waybill-pipe')} --config {stack.config} --sender=${{sender}} "
            f"--recipient=${{recipient}} --queue-id=${{queue_id}}")
    rig.postfix.extra_master = f"waybill-pipe unix - n n - 10 pipe flags=Rq user=nobody\n  argv={argv}\n"
    rig.postfix.configure({"transport_maps": f"texthash:{transport}", "waybill-pipe_destination_recipient_limit": "1"})


def start_daemons(rig: Rig, stack: WaybillStack, ports: dict[str, int]) -> None:
    stack.start_milter(ports["milter"])
    for name, option in (("waybill-trackd", "trackd.listen"), ("waybill-policyd", "policyd.listen")):
        key = name.split("-")[1]
        rig.spawn([stack.binary(name), "--config", str(stack.config), f"--{option}", f"127.0.0.1:{ports[key]}"], name=name)
        wait_port(ports[key])
    rig.spawn([stack.binary("waybill-webhookd"), "--config", str(stack.config)], name="waybill-webhookd")
    # Postfix's delivery log (maillog_file) -> delivered / deferred / bounced events.
    rig.spawn([stack.binary("waybill-logd"), "--config", str(stack.config), "--logd.log_file",
               str(rig.postfix.log_file), "--logd.poll_ms", "100"], name="waybill-logd")


def fetch(port: int, url: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", urllib.parse.urlsplit(url).path, headers={"User-Agent": "Mozilla/5.0 (demo reader)"})
    response = connection.getresponse()
    return response.status, response.getheader("Location") or response.getheader("Content-Type")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", default=str(REPO / "build" / "bin"))
    args = parser.parse_args()
    ports = {name: free_port() for name in ("milter", "trackd", "policyd")}
    receiver = WebhookReceiver()
    with Rig(milters=[milter_address(ports["milter"])], non_smtpd_milters=[milter_address(ports["milter"])],
             policy_service=f"inet:127.0.0.1:{ports['policyd']}") as rig:
        bin_dir = Path(args.bin_dir).resolve()
        sections = {"pipe": {"bounce_domain": BOUNCE_DOMAIN}, "dkim": dkim_tables(bin_dir, rig),
                    "webhooks": {"endpoint": f"app http://127.0.0.1:{receiver.server_address[1]}/hooks",
                                 "secret": "demo-secret"},
                    # A click sooner than this after sending counts as a link scanner (default 10 s).
                    "trackd": {"spool_dir": str(rig.path("trackd-spool")), "scanner_click_seconds": "2"}}
        stack = WaybillStack(rig, bin_dir, sections=sections, tracking_port=ports["trackd"])
        print(stack.migrate().strip())
        route_bounces_to_pipe(rig, stack)
        start_daemons(rig, stack, ports)
        print(f"PostgreSQL 127.0.0.1:{rig.pg.port}, Postfix 127.0.0.1:{rig.postfix.smtp_port}, "
              f"milter :{ports['milter']}, trackd :{ports['trackd']}, policyd :{ports['policyd']}, "
              f"sink :{rig.sink.port}, webhook receiver :{receiver.server_address[1]}")

        code, text = rig.postfix.send_smtp(SENDER, [RECIPIENT], MESSAGE)
        print(f"\nsubmitted over SMTP: {code} {text}")
        [arrived] = rig.sink.wait_for(1)
        print(f"\n== at the sink: envelope sender (VERP) {arrived.sender}")
        for name, value in arrived.email.items():
            print(f"   {name}: {' '.join(value.split())[:160]}")
        wait_until(lambda: rig.pg.query("SELECT count(*) FROM events WHERE type = 'delivered'")[0][0] > 0, 15)
        [(status, reply)] = rig.pg.query("SELECT status, status_detail FROM recipients")
        print(f"\nfrom Postfix's log: {RECIPIENT} {status} ({reply})")
        html = arrived.email.get_payload(decode=True).decode()
        click = re.search(r'href="([^"]+/c/[^"]+)"', html).group(1)
        pixel = re.search(r'src="([^"]+/o/[^"]+)"', html).group(1)
        time.sleep(3)  # the reader takes a moment; scanners click at once
        print(f"\nopen pixel  -> {fetch(ports['trackd'], pixel)}")
        print(f"click link  -> {fetch(ports['trackd'], click)}")

        message_id = arrived.email["Message-ID"]
        code, text = rig.postfix.send_smtp("", [arrived.sender], bounce_for(arrived.sender, message_id))
        print(f"bounce submitted to {arrived.sender}: {code} {text}")
        wait_until(lambda: rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'")[0][0] > 0, 30)
        # trackd and the pipe write on their own schedules: wait until every kind has been pushed.
        pushed_kinds = {"accepted", "delivered", "opened", "clicked", "bounced"}
        wait_until(lambda: pushed_kinds <= {e.get("type") for e in receiver.events}, 30)

        show(rig, "messages", "SELECT id, message_id_header, envelope_sender, subject, tags FROM messages")
        show(rig, "recipients", "SELECT address, status FROM recipients")
        show(rig, "events", "SELECT occurred_at, type, recipient, machine_reason, coalesce(details->>'reason', details->>'reply') "
                            "FROM events ORDER BY occurred_at")
        show(rig, "suppressions", "SELECT recipient, scope, scope_value, reason, source FROM suppressions")
        show(rig, "report_sender_daily (what an analyst queries)",
             "SELECT sender, day, accepted, bounced_hard, opened_human, clicked_human, unsubscribed "
             "FROM report_sender_daily WHERE sender <> ''")
        print("\n== waybill report\n" + stack.waybill("report").stdout)
        print(f"\n== webhook receiver got {len(receiver.events)} events: "
              + ", ".join(str(e.get("type")) for e in receiver.events))
    return 0


if __name__ == "__main__":
    sys.exit(main())
