#!/usr/bin/python3
"""webhooks_bench.py: waybill-webhookd throughput and lag against a loopback receiver (nginx).

    /usr/bin/python3 bench/webhooks_bench.py [BUILD_BIN_DIR]      (as root; default build/bin)

For each batch size (1 = batching off, 50 = on) it:
  1. throughput: inserts N events in one statement while webhookd runs, and times how long the
     delivery of all of them takes (events/s delivered);
  2. lag: inserts events one per transaction at half that rate for a few seconds, and reports
     p50/p99 of (marked delivered - inserted), from webhook_deliveries (finished_at - enqueued_at).
The peer, measured in the same run: nginx answering the same POSTs (wrk, 1 connection, like
webhookd's one connection per endpoint), and single-row INSERTs into events on one connection.
Environment: BENCH_EVENTS (default 20000), BENCH_LAG_SECONDS (default 5).

Measured 2026-11-22 on the shared 2-core CI machine (load 4-7; two runs):
  peer: nginx POST 12,200-14,600 req/s; single-row INSERT 5,000-6,600/s
  batch_size=1:  260-470 events/s; lag at half that rate p50 1.9-2.0 ms, p99 5.2-6.0 ms
  batch_size=50: 7,200-16,600 events/s; lag at 2,500-3,300 events/s p50 23-28 ms, p99 60-76 ms
Measured 2026-12-02 with parking (BENCH_EVENTS=10000, BENCH_LAG_SECONDS=3, load 11-13):
  peer: nginx POST 44,000 req/s; single-row INSERT 6,500/s
  batch_size=1:  335 events/s (0.051 of the INSERT peer; 0.052-0.071 before); lag p50 1.4 ms, p99 13 ms
  batch_size=50: 4,790 events/s; lag at 2,100 events/s p50 22 ms, p99 73 ms
Unbatched delivery is bound by three round trips per event (read batch, POST, mark delivered); the
check for events parked behind a parked one adds a fourth only while the endpoint has parked events.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg2

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402

BIN = Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "build" / "bin").resolve()
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000"))
LAG_SECONDS = float(os.environ.get("BENCH_LAG_SECONDS", "5"))


def start_nginx(rig: Rig) -> int:
    port = free_port()
    conf = rig.path("nginx.conf")
    conf.write_text(f"""
daemon on; pid {rig.path('nginx.pid')}; error_log {rig.path('nginx.err')};
worker_processes 1;
events {{ worker_connections 1024; }}
http {{
  access_log off; client_body_buffer_size 1m; client_max_body_size 10m;
  client_body_temp_path {rig.path('')};
  server {{ listen 127.0.0.1:{port}; keepalive_requests 1000000;
           location / {{ return 200 "ok"; }} }}
}}""")
    subprocess.run(["/usr/sbin/nginx", "-c", str(conf)], check=True)
    wait_port(port)
    return port


def nginx_peer(port: int) -> float:
    body = rig_body = '{"events":[{"id":"00000000-0000-4000-8000-000000000000","type":"delivered"}]}'
    script = Path("/tmp/wb_post.lua")
    script.write_text(f'wrk.method = "POST"\nwrk.body = [[{rig_body}]]\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    out = subprocess.run(["wrk", "-t1", "-c1", "-d5s", "-s", str(script), f"http://127.0.0.1:{port}/"],
                         check=True, capture_output=True, text=True).stdout
    del body
    return float(next(l for l in out.splitlines() if l.startswith("Requests/sec")).split()[1])


def insert_peer(url: str, count: int = 3000) -> float:
    conn = psycopg2.connect(url)
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("UPDATE webhook_state SET enabled = false")
    started = time.monotonic()
    for _ in range(count):
        cur.execute("INSERT INTO events (id, type, recipient, sender) VALUES (%s, 'delivered', 'a@b.example', 's@x.example')",
                    (str(uuid.uuid4()),))
    rate = count / (time.monotonic() - started)
    cur.execute("TRUNCATE events")
    conn.close()
    return rate


METRICS_PORT = free_port()


def request_ms() -> float:
    """Mean HTTP request time so far, from webhookd's own metrics."""
    import urllib.request
    text = urllib.request.urlopen(f"http://127.0.0.1:{METRICS_PORT}/metrics").read().decode()
    values = {l.rsplit(" ", 1)[0]: float(l.rsplit(" ", 1)[1]) for l in text.splitlines() if l and l[0] != "#"}
    count = values['waybill_webhook_request_seconds_count{endpoint="app"}']
    return 1000 * values['waybill_webhook_request_seconds_sum{endpoint="app"}'] / count if count else 0.0


def run_webhookd(rig: Rig, nginx_port: int, batch: int) -> subprocess.Popen:
    config = rig.path(f"bench-{batch}.conf")
    config.write_text(f"[database]\nurl = {rig.pg.url}\n[log]\nsyslog = false\n[webhooks]\nsecret = bench\n"
                      f"batch_size = {batch}\nendpoint = app http://127.0.0.1:{nginx_port}/hook\n"
                      f"metrics_listen = 127.0.0.1:{METRICS_PORT}\n")
    proc = rig.spawn([BIN / "waybill-webhookd", "--config", config], name=f"webhookd-{batch}")
    assert wait_until(lambda: rig.pg.query("SELECT enabled FROM webhook_state")[0][0], 10)
    return proc


def delivered(rig: Rig) -> int:
    return rig.pg.query("SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered'")[0][0]


def throughput(rig: Rig) -> float:
    rig.pg.execute("INSERT INTO events (id, type, recipient, sender) SELECT gen_random_uuid(), 'delivered',"
                   " 'r' || n || '@client.example', 'news@shop.example' FROM generate_series(1, %s) n", (EVENTS,))
    started = time.monotonic()
    assert wait_until(lambda: delivered(rig) >= EVENTS, 600, interval=0.05)
    return EVENTS / (time.monotonic() - started)


def paced_lag(rig: Rig, rate: float) -> tuple[float, float, int]:
    conn = psycopg2.connect(rig.pg.url)
    conn.autocommit = True
    cur = conn.cursor()
    started = time.monotonic()
    sent = 0
    while (elapsed := time.monotonic() - started) < LAG_SECONDS:
        if sent < elapsed * rate:
            cur.execute("INSERT INTO events (id, type, recipient, sender) VALUES (%s, 'opened', 'a@client.example',"
                        " 'news@shop.example')", (str(uuid.uuid4()),))
            sent += 1
        else:
            time.sleep(0.0005)
    conn.close()
    assert wait_until(lambda: delivered(rig) >= sent, 60)
    p50, p99 = rig.pg.query("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x), percentile_cont(0.99) WITHIN GROUP"
                            " (ORDER BY x) FROM (SELECT extract(epoch FROM finished_at - enqueued_at) * 1000 AS x"
                            " FROM webhook_deliveries WHERE status = 'delivered') d")[0]
    return p50, p99, sent


def main() -> None:
    with Rig(postfix=False) as rig:
        subprocess.run([BIN / "waybill", "--database.url", rig.pg.url, "db", "migrate", "--migrations",
                        HERE / "sql" / "migrations"], check=True, capture_output=True)
        nginx_port = start_nginx(rig)
        try:
            post_rate = nginx_peer(nginx_port)
            insert_rate = insert_peer(rig.pg.url)
            print(f"peer: nginx POST (wrk -t1 -c1) {post_rate:,.0f} req/s; single-row INSERT {insert_rate:,.0f}/s")
            for batch in (1, 50):
                rig.pg.execute("TRUNCATE events, webhook_deliveries, webhook_outbox")
                proc = run_webhookd(rig, nginx_port, batch)
                rate = throughput(rig)
                mean_request = request_ms()
                rig.pg.execute("TRUNCATE events, webhook_deliveries, webhook_outbox")
                pace = min(rate, insert_rate) / 2
                p50, p99, sent = paced_lag(rig, pace)
                proc.terminate()
                proc.wait(30)
                print(f"batch_size={batch:>3}: {rate:,.0f} events/s delivered ({EVENTS} events, "
                      f"mean request {mean_request:.2f} ms); lag at {sent / LAG_SECONDS:,.0f} events/s: "
                      f"p50 {p50:.1f} ms, p99 {p99:.1f} ms")
        finally:
            subprocess.run(["/usr/sbin/nginx", "-c", str(rig.path("nginx.conf")), "-s", "stop"], check=False)


if __name__ == "__main__":
    main()
