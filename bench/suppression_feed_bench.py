#!/usr/bin/python3
"""suppression_feed_bench.py: how fast a change to `suppressions` reaches a daemon's in-memory
list now that notifications carry row ids (migration 0013), and what the trigger costs writers.

    /usr/bin/python3 bench/suppression_feed_bench.py [BUILD_BIN_DIR]     (as root; default build/bin)

Starts a private PostgreSQL and waybill-policyd (the milter runs the same SuppressionFeed), then
for ROWS rows (default 100,000) in one statement each:
  - INSERT with the triggers on (one NOTIFY per row; policyd reads the rows by id in batches) and
    the time until policyd's waybill_policyd_suppressions gauge shows them all;
  - DELETE of the same rows (each logged in suppression_deletions, then read by id) until 0;
  - peers in the same run: the same INSERT and DELETE with triggers off (the writer's cost
    without notifications), and a policyd restart loading the same ROWS with COPY (what every
    reconnect does).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE / "tests" / "support"))
from bench_database import migrated_database  # noqa: E402
from waybill_rig import PgCluster, free_port, wait_port, wait_until  # noqa: E402

BIN = Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "build" / "bin").resolve()
ROWS = int(os.environ.get("ROWS", "100000"))

INSERT = (f"INSERT INTO suppressions (recipient, scope, scope_value, reason, source) "
          f"SELECT 'user' || k || '@dest.example', 'global', '', 'manual', 'bench' FROM generate_series(1, {ROWS}) k")
DELETE = "DELETE FROM suppressions WHERE source = 'bench'"


def gauge(metrics_port: int) -> int:
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5).read().decode()
    return int(float(re.search(r"^waybill_policyd_suppressions (\S+)", text, re.M).group(1)))


def timed(pg: PgCluster, sql: str, triggers: bool) -> float:
    prefix = "" if triggers else "SET session_replication_role = replica; "
    started = time.monotonic()
    pg.execute(prefix + sql + ("" if triggers else "; SET session_replication_role = origin"))
    return time.monotonic() - started


def start_policyd(work: Path, pg: PgCluster, name: str) -> tuple[subprocess.Popen, int, Path]:
    port, metrics_port = free_port(), free_port()
    log_path = work / f"{name}.log"
    proc = subprocess.Popen([BIN / "waybill-policyd", "--database.url", pg.url, "--policyd.listen",
                             f"127.0.0.1:{port}", "--policyd.metrics_listen", f"127.0.0.1:{metrics_port}",
                             "--log.syslog", "false"], stdout=open(log_path, "wb"), stderr=subprocess.STDOUT)
    wait_port(port)
    if not wait_until(lambda: "suppression list loaded" in log_path.read_text(), 120, 0.01):
        raise RuntimeError(log_path.read_text())
    return proc, metrics_port, log_path


def until_gauge(metrics_port: int, wanted: int, started: float) -> float:
    if not wait_until(lambda: gauge(metrics_port) == wanted, 300, 0.01):
        raise RuntimeError(f"gauge never reached {wanted} (at {gauge(metrics_port)})")
    return time.monotonic() - started


def main() -> None:
    with migrated_database(BIN, "feed-bench-") as (work, pg):
        # Peers first: the writer's cost without notifications.
        insert_quiet = timed(pg, INSERT, triggers=False)
        delete_quiet = timed(pg, DELETE, triggers=False)
        proc, metrics_port, _ = start_policyd(work, pg, "policyd")
        try:
            started = time.monotonic()
            insert_loud = timed(pg, INSERT, triggers=True)
            insert_seen = until_gauge(metrics_port, ROWS, started)
            started = time.monotonic()
            delete_loud = timed(pg, DELETE, triggers=True)
            delete_seen = until_gauge(metrics_port, 0, started)
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(30)
        timed(pg, INSERT, triggers=False)
        proc, _, log_path = start_policyd(work, pg, "policyd-reload")
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        reload_line = re.search(r"suppression list loaded: .*", log_path.read_text()).group(0)
        print(f"{ROWS} rows, one statement each")
        print(f"INSERT: {insert_loud:.2f} s with notifications (triggers off: {insert_quiet:.2f} s); "
              f"all in policyd's list {insert_seen:.2f} s after the statement began")
        print(f"DELETE: {delete_loud:.2f} s with notifications and the deletion log (triggers off: {delete_quiet:.2f} s); "
              f"all gone from policyd's list {delete_seen:.2f} s after the statement began")
        print(f"peer, full reload at start (COPY): {reload_line}")


if __name__ == "__main__":
    main()
