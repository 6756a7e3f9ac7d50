"""Messages/s through waybill-apid into Postfix + waybill-milter (tracking, List-Unsubscribe, VERP,
rsa + ed25519, records; its unix socket, as shipped), against the same messages submitted by SMTP
directly to the same Postfix, in the same run (alternated round by round, medians).

API: CLIENTS threads, each one keep-alive HTTP connection, POST /v1/messages of a 5 KB HTML
message to one recipient; request latency p50/p99. SMTP: CLIENTS threads, each one persistent
SMTP connection (smtplib), the same message as waybill-apid builds it. messages/s = messages
answered / time until the last answer. Then one 500-message POST /v1/messages/batch, timed.
Run as root:
    WAYBILL_BIN_DIR=build/bin /usr/bin/python3 bench/api_bench.py [COUNT [ROUNDS]]
"""

from __future__ import annotations

import http.client
import json
import os
import smtplib
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))
from copies_bench import percentile, start_waybill_unix  # noqa: E402
from milter_vs_opendkim import signing_stack  # noqa: E402
from waybill_rig import Rig, free_port, wait_port  # noqa: E402

CLIENTS = 8


def html_body() -> str:
    rows, item = [], 0
    while sum(len(r) for r in rows) < 5000:
        rows.append(f'<tr><td><a href="https://shop.example/p/{item}">Product {item}</a></td><td>{item + 7}.00 EUR</td></tr>')
        item += 1
    return "<html><body><h1>Your order</h1><table>" + "".join(rows) + "</table></body></html>"


def message_json(n: int, html: str) -> dict:
    return {"from": "Shop <billing@sender.example>", "to": f"c{n}@dest.example", "subject": f"Order {n}", "html": html}


def mime_bytes(n: int, html: str) -> bytes:
    """What waybill-apid builds for message_json(n) (html, quoted-printable lines), for SMTP."""
    import email.message
    import email.policy
    msg = email.message.EmailMessage(policy=email.policy.SMTP)
    msg["From"], msg["To"], msg["Subject"] = "Shop <billing@sender.example>", f"c{n}@dest.example", f"Order {n}"
    msg["Message-ID"] = f"<bench-{n}-{time.monotonic_ns()}@sender.example>"
    msg.set_content(html, subtype="html", cte="quoted-printable")
    return msg.as_bytes()


def on_every_client(client) -> float:
    """Runs client(0) .. client(CLIENTS - 1) on threads of their own; the seconds until all ended."""
    start = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.monotonic() - start


def run_api(port: int, key: str, count: int, html: str) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    failures: list[str] = []

    bodies = [json.dumps(message_json(n, html)) for n in range(count)]  # built before the clock starts

    def client(first: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = []
        for n in range(first, count, CLIENTS):
            body = bodies[n]
            start = time.monotonic()
            conn.request("POST", "/v1/messages", body=body,
                         headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
            response = conn.getresponse()
            answer = response.read()
            mine.append(time.monotonic() - start)
            if response.status != 202:
                failures.append(f"{response.status} {answer[:300]!r}")
        conn.close()
        with lock:
            latencies.extend(mine)

    elapsed = on_every_client(client)
    if failures:
        raise SystemExit(f"API: {len(failures)} failed, e.g. {failures[0]}")
    return count / elapsed, latencies


def run_smtp(port: int, count: int, html: str) -> float:
    failures: list[str] = []
    messages = [mime_bytes(n, html) for n in range(count)]  # built before the clock starts

    def client(first: int) -> None:
        with smtplib.SMTP("127.0.0.1", port, local_hostname="bench.localdomain", timeout=120) as smtp:
            for n in range(first, count, CLIENTS):
                refused = smtp.sendmail("billing@sender.example", [f"c{n}@dest.example"], messages[n])
                if refused:
                    failures.append(str(refused))

    elapsed = on_every_client(client)
    if failures:
        raise SystemExit(f"SMTP: {len(failures)} refused, e.g. {failures[0]}")
    return count / elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    port = free_port()
    with Rig(milters=["inet:127.0.0.1:1"], extra_main={"smtpd_client_connection_rate_limit": "0",
                                                        "default_process_limit": "200"}) as rig:
        stack, _ = signing_stack(rig, bin_dir, milter={"copy_connections": "8"}, log={"level": "warning"},
                                 api={"listen": f"127.0.0.1:{port}", "submit": f"smtp:127.0.0.1:{rig.postfix.smtp_port}",
                                      "submit_connections": str(CLIENTS), "max_batch": "500"})
        milter = start_waybill_unix(rig, stack, "waybill")
        rig.postfix.configure({"smtpd_milters": milter, "non_smtpd_milters": milter,
                               "milter_default_action": "tempfail", "milter_protocol": "6"})
        key = stack.waybill("api-keys", "create", "--name", "bench", "--sender-domain", "sender.example").stdout.split()[-1]
        rig.spawn([stack.binary("waybill-apid"), "--config", str(stack.config)], name="waybill-apid")
        wait_port(port)
        html = html_body()
        run_api(port, key, 40, html)  # warm-up: connections, caches
        run_smtp(rig.postfix.smtp_port, 40, html)
        api_rates, smtp_rates, latencies = [], [], []
        for _ in range(rounds):
            rate, waits = run_api(port, key, count, html)
            api_rates.append(rate)
            latencies += waits
            rig.postfix.wait_queue_empty(600)  # the deliveries of one run do not slow the next
            smtp_rates.append(run_smtp(rig.postfix.smtp_port, count, html))
            rig.postfix.wait_queue_empty(600)
            rig.sink.clear()
        batch = json.dumps({"messages": [message_json(n, html) for n in range(500)]})
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        start = time.monotonic()
        conn.request("POST", "/v1/messages/batch", body=batch,
                     headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        results = json.loads(response.read())["results"]
        batch_seconds = time.monotonic() - start
        sent = sum(1 for r in results if r["status"] == 202)
        api, smtp = statistics.median(api_rates), statistics.median(smtp_rates)
        print(f"{len(html)} B HTML, one recipient, {CLIENTS} clients, {count} messages per run, {rounds} rounds alternated")
        print(f"API  (POST /v1/messages, keep-alive): {api:7.1f} messages/s  runs {', '.join(f'{r:.1f}' for r in api_rates)}")
        print(f"SMTP (direct, persistent sessions):   {smtp:7.1f} messages/s  runs {', '.join(f'{r:.1f}' for r in smtp_rates)}")
        print(f"API / SMTP: {api / smtp:.2f}")
        print(f"API request latency: p50 {percentile(latencies, 0.5) * 1000:.1f} ms, p99 {percentile(latencies, 0.99) * 1000:.1f} ms")
        print(f"batch of 500: {batch_seconds:.1f} s ({sent} sent, {500 / batch_seconds:.1f} messages/s)")


if __name__ == "__main__":
    main()
