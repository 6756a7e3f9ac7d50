"""waybill-logd: log lines/s ingested into PostgreSQL and CPU per 1,000 deliveries, with the
peer measured in the same run; and milter+Postfix throughput with the reader on against off.

Ingest: COUNT messages (one recipient each) are recorded in PostgreSQL as the milter would, and
a Postfix-shaped log of 4 lines per message (cleanup, qmgr, one smtp attempt, removed; every
fifth recipient deferred once before it is delivered) is written first; then waybill-logd reads
it from the start. The figure is lines / (time until the stored position reaches the end). Peer:
COPY of the same number of event rows into a scratch copy of `events` (PostgreSQL's fastest
bulk path), in the same run.

Throughput: smtp-source through Postfix + waybill-milter (tracking on), with waybill-logd
following the maillog and without it, rounds alternating (bench/milter_throughput.py's measure).

    WAYBILL_BIN_DIR=build/bin /usr/bin/python3 bench/logd_bench.py [COUNT [MESSAGES [ROUNDS]]]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))
from milter_throughput import SESSIONS, cpu_seconds, measure, message_file  # noqa: E402
from waybill_rig import Rig, descendants, free_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402


def queue_id(i: int) -> str:
    return f"4Q{i:010X}z"


def write_log(path: Path, count: int) -> int:
    lines = []
    for i in range(count):
        q = queue_id(i)
        rcpt = f"r{i}@dest{i % 7}.example"
        lines.append(f"Dec  1 10:00:00.{i % 1000000:06d} mx postfix/cleanup[11]: {q}: message-id=<m{i}@app.example>")
        lines.append(f"Dec  1 10:00:00.{i % 1000000:06d} mx postfix/qmgr[12]: {q}: from=<app@sender.example>, "
                     "size=1234, nrcpt=1 (queue active)")
        if i % 5 == 0:
            lines.append(f"Dec  1 10:00:01 mx postfix/smtp[13]: {q}: to=<{rcpt}>, relay=mx.dest.example[192.0.2.1]:25, "
                         "delay=1, delays=0/0/0.5/0.5, dsn=4.2.0, status=deferred (host mx.dest.example[192.0.2.1] "
                         "said: 450 4.2.0 Greylisted, try again later (in reply to RCPT TO command))")
        lines.append(f"Dec  1 10:00:02 mx postfix/smtp[13]: {q}: to=<{rcpt}>, relay=mx.dest.example[192.0.2.1]:25, "
                     "delay=2, delays=0/0/0.5/0.5, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as ABC)")
        lines.append(f"Dec  1 10:00:02 mx postfix/qmgr[12]: {q}: removed")
    path.write_text("\n".join(lines) + "\n")
    return len(lines)


def ingest(rig: Rig, stack: WaybillStack, count: int) -> None:
    rig.pg.execute(
        "INSERT INTO messages (id, queue_id, envelope_sender) "
        "SELECT md5('m' || i)::uuid, '4Q' || lpad(upper(to_hex(i)), 10, '0') || 'z', 'app@sender.example' "
        "FROM generate_series(0, %s - 1) i", (count,))
    rig.pg.execute(
        "INSERT INTO recipients (id, message_id, address, queue_id) "
        "SELECT md5('r' || i)::uuid, md5('m' || i)::uuid, 'r' || i || '@dest' || (i %% 7) || '.example', "
        "'4Q' || lpad(upper(to_hex(i)), 10, '0') || 'z' FROM generate_series(0, %s - 1) i", (count,))
    # As in production, where autovacuum keeps statistics: without them the planner scans
    # recipients whole for every batch instead of looking each queue id up in its index.
    rig.pg.execute("ANALYZE messages, recipients")
    log = rig.path("mail.log")
    lines = write_log(log, count)
    size = log.stat().st_size
    metrics_port = free_port()
    postmaster = int((rig.pg.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    pg_before = cpu_seconds([postmaster, *descendants([postmaster])])
    start = time.monotonic()
    proc = rig.spawn([stack.binary("waybill-logd"), "--config", str(stack.config), "--logd.log_file", str(log),
                      "--logd.metrics_listen", f"127.0.0.1:{metrics_port}"], name="waybill-logd")
    if not wait_until(lambda: rig.pg.query("SELECT coalesce(max(byte_offset), 0) FROM delivery_log_positions")[0][0]
                      >= size, 600, interval=0.02):
        raise SystemExit("waybill-logd did not reach the end\n" + rig.log_of("waybill-logd")[-3000:])
    elapsed = time.monotonic() - start
    cpu = cpu_seconds([proc.pid])
    pg_cpu = cpu_seconds([postmaster, *descendants([postmaster])]) - pg_before
    proc.terminate()
    proc.wait(10)
    [(events,)] = rig.pg.query("SELECT count(*) FROM events WHERE details->>'source' = 'log'")
    attempts = count + (count + 4) // 5

    # Peer: COPY the same number of event rows into a scratch table shaped like events.
    rig.pg.execute("CREATE TABLE bench_events (LIKE events INCLUDING DEFAULTS)")
    csv = rig.path("events.csv")
    with open(csv, "w") as out:
        for i in range(events):
            out.write(f"{md5_uuid(i)},2026-12-01 10:00:02+00,delivered,,,r{i}@dest.example,app@sender.example,,,,"
                      f"false,,\"{{\"\"source\"\": \"\"log\"\", \"\"reply\"\": \"\"250 2.0.0 Ok\"\"}}\"\n")
    psql = "/usr/lib/postgresql/15/bin/psql"
    copy_start = time.monotonic()
    subprocess.run([psql, rig.pg.url, "-qc", f"\\copy bench_events (id, occurred_at, type, message_id, recipient_id, "
                    f"recipient, sender, url, ip, user_agent, machine, machine_reason, details) FROM '{csv}' CSV"],
                   check=True)
    copy_elapsed = time.monotonic() - copy_start
    print(f"ingest: {lines} log lines ({attempts} attempts, {events} events) in {elapsed:.2f} s = "
          f"{lines / elapsed:,.0f} lines/s, {attempts / elapsed:,.0f} attempts/s; "
          f"CPU per 1,000 deliveries: waybill-logd {cpu / count * 1e6:.1f} ms, PostgreSQL {pg_cpu / count * 1e6:.1f} ms")
    print(f"peer:   COPY of {events} event rows in {copy_elapsed:.2f} s = {events / copy_elapsed:,.0f} rows/s "
          f"(logd stores {events / elapsed / (events / copy_elapsed):.0%} of COPY's row rate)")


def md5_uuid(i: int) -> str:
    import hashlib
    import uuid
    return str(uuid.UUID(hashlib.md5(f"e{i}".encode()).hexdigest()))


def throughput(bin_dir: Path, messages: int, rounds: int) -> None:
    milter_port = free_port()
    with Rig(extra_main={"smtpd_client_connection_rate_limit": "0", "default_process_limit": "200"},
             milters=[milter_address(milter_port)]) as rig:
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        stack.start_milter(milter_port, "--tracking.base_url", "https://t.example", "--database.pool_size", str(SESSIONS))
        source = message_file(rig)
        measure(rig, 100, source, "warm-up")
        rates: dict[str, list[float]] = {"reader off": [], "reader on": []}
        windows: list[tuple] = []  # while the reader followed the log live
        for _ in range(rounds):
            for label in rates:
                proc = None
                if label == "reader on":
                    proc = rig.spawn([stack.binary("waybill-logd"), "--config", str(stack.config), "--logd.log_file",
                                      str(rig.postfix.log_file)], name="waybill-logd")
                    time.sleep(1)  # catch up with the reader-off round first
                    [(window_start,)] = rig.pg.query("SELECT now()")
                rates[label].append(measure(rig, messages, source, label))
                if proc is not None:
                    windows.append((window_start, rig.pg.query("SELECT now()")[0][0]))
                if proc is not None:
                    # Everything logged so far is stored before the round ends.
                    size = rig.postfix.log_file.stat().st_size
                    wait_until(lambda: rig.pg.query("SELECT coalesce(max(byte_offset), 0) FROM delivery_log_positions")
                               [0][0] >= size, 60)
                    proc.terminate()
                    proc.wait(10)
        off, on = statistics.median(rates["reader off"]), statistics.median(rates["reader on"])
        for label, values in rates.items():
            print(f"milter+Postfix, {label}: {statistics.median(values):.1f} msg/s (runs: "
                  + ", ".join(f"{v:.0f}" for v in values) + ")")
        print(f"ratio on/off: {on / off:.3f}")
        [(delivered,)] = rig.pg.query("SELECT count(*) FROM events WHERE type = 'delivered'")
        print(f"({delivered} delivered events stored by the reader)")
        # Attempt to stored: the outcome's commit time against the log line's time (whole seconds
        # in postlogd's prefix, so up to 1 s too high), for deliveries logged while it followed live.
        lags = []
        for start, end in windows:
            lags += [r[0] for r in rig.pg.query(
                "SELECT extract(epoch FROM o.recorded_at - e.occurred_at)::float FROM events e "
                "JOIN delivery_outcomes o ON o.dedupe_key = 'delivered/' || e.recipient_id || '/' || (e.details->>'queue_id') "
                "WHERE e.type = 'delivered' AND e.occurred_at >= date_trunc('second', %s::timestamptz) "
                "AND e.occurred_at <= %s", (start, end))]
        if lags:
            lags.sort()
            print(f"attempt-to-event lag while following: p50 {lags[len(lags) // 2]:.2f} s, "
                  f"p95 {lags[int(len(lags) * 0.95)]:.2f} s, max {lags[-1]:.2f} s ({len(lags)} deliveries)")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    with Rig(postfix=False) as rig:
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        ingest(rig, stack, count)
    if messages > 0:
        throughput(bin_dir, messages, rounds)


if __name__ == "__main__":
    main()
