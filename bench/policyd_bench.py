#!/usr/bin/python3
"""policyd_bench.py: waybill-policyd with 1,000,000 suppressions against postfwd, one run.

    /usr/bin/python3 bench/policyd_bench.py [BUILD_BIN_DIR]     (as root; default build/bin)

Builds nothing: BUILD_BIN_DIR must hold waybill, waybill-policyd and policyd_bench (configure
with -DWAYBILL_BENCH=ON). Starts a private PostgreSQL, loads SUPPRESSIONS rows (default 1,000,000:
a third each sender-, domain- and global-scoped), starts waybill-policyd and reports its load time
and resident memory, then drives it with policyd_bench over CONNECTIONS connections (default 4,
then 16) for SECONDS (default 10), half the recipients suppressed. Then postfwd (Debian's postfwd2)
with the same lookup as a rule, once with a one-entry list (its best case) and once with a
POSTFWD_LIST-entry file list (default 1,000; postfwd matches lists linearly, so a million-entry
list is out of reach), same load generator, same run. Prints one line per measurement.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(HERE / "tests" / "support"))
from bench_database import migrated_database  # noqa: E402
from waybill_rig import PgCluster, free_port, wait_port, wait_until  # noqa: E402

BIN = Path(sys.argv[1] if len(sys.argv) > 1 else HERE / "build" / "bin").resolve()
SUPPRESSIONS = int(os.environ.get("SUPPRESSIONS", "1000000"))
SECONDS = os.environ.get("SECONDS_PER_RUN", "10")
POSTFWD_LIST = int(os.environ.get("POSTFWD_LIST", "1000"))
SENDER = "news@a.example"


def load_suppressions(pg: PgCluster) -> None:
    # Recipient K (K < SUPPRESSIONS) is suppressed for SENDER through one of the three scopes.
    # Triggers are skipped for the bulk load (no one listens yet; a million NOTIFYs serve nobody).
    pg.execute(f"""
        SET session_replication_role = replica;
        INSERT INTO suppressions (recipient, scope, scope_value, reason, source)
        SELECT 'user' || k || '@dest' || (k % 1000) || '.example',
               (ARRAY['sender', 'domain', 'global'])[k % 3 + 1],
               (ARRAY['{SENDER}', 'a.example', ''])[k % 3 + 1],
               (ARRAY['unsubscribed', 'manual', 'hard_bounce'])[k % 3 + 1], 'bench'
        FROM generate_series(0, {SUPPRESSIONS - 1}) AS k;
        SET session_replication_role = origin;
        ANALYZE suppressions;""")


def bench(port: int, connections: int, recipients: int) -> str:
    out = subprocess.run([BIN / "policyd_bench", f"127.0.0.1:{port}", "--connections", str(connections),
                          "--seconds", SECONDS, "--recipients", str(recipients), "--sender", SENDER],
                         capture_output=True, text=True, timeout=float(SECONDS) + 120)
    if out.returncode != 0:
        raise RuntimeError(f"policyd_bench failed: {out.stdout}{out.stderr}")
    return out.stdout.strip()


def rps(line: str) -> float:
    return float(re.search(r"rps=(\d+)", line).group(1))


def resident_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_policyd(work: Path, pg: PgCluster) -> list[str]:
    port = free_port()
    log = open(work / "policyd.log", "wb")
    started = time.monotonic()
    proc = subprocess.Popen([BIN / "waybill-policyd", "--database.url", pg.url, "--policyd.listen",
                             f"127.0.0.1:{port}", "--log.syslog", "false"], stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_port(port)
        loaded = lambda: "suppression list loaded" in (work / "policyd.log").read_text()
        if not wait_until(loaded, 120, 0.01):
            raise RuntimeError("policyd did not load the list:\n" + (work / "policyd.log").read_text())
        wall = time.monotonic() - started
        line = re.search(r"suppression list loaded: .*", (work / "policyd.log").read_text()).group(0)
        lines = [f"policyd start: {line}; start-to-loaded {wall:.2f} s; VmRSS now {resident_mib(proc.pid):.0f} MiB"]
        for connections in (4, 16):
            lines.append(f"waybill-policyd {bench(port, connections, 2 * SUPPRESSIONS)}")
        lines.append(f"policyd VmRSS after load runs: {resident_mib(proc.pid):.0f} MiB")
        return lines
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)


def run_postfwd(work: Path, list_size: int) -> str:
    # The same lookup: recipient in the suppressed list and sender = SENDER -> REJECT.
    listing = work / f"postfwd-{list_size}.txt"
    listing.write_text("".join(f"user{k}@dest{k % 1000}.example\n" for k in range(list_size)))
    rules = work / f"postfwd-{list_size}.cf"
    rules.write_text(f"id=SUPPRESSED; sender=={SENDER}; recipient==file:{listing}; action=REJECT 5.7.1 suppressed\n")
    for path in (work, listing, rules):
        path.chmod(0o755 if path.is_dir() else 0o644)
    port = free_port()
    pidfile = work / f"postfwd-{list_size}.pid"
    # --cache 0: no request cache, so every request is evaluated as waybill-policyd evaluates it.
    subprocess.run(["postfwd2", "-f", rules, "--server_socket", f"tcp:127.0.0.1:{port}", "--cache", "0",
                    "--nodns", "-u", "nobody", "-g", "nogroup", "--pidfile", pidfile], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 30)
        time.sleep(1)  # let the pre-forked children come up
        # Recipients drawn from twice the list, as for policyd: half of them are suppressed.
        return f"postfwd ({list_size}-entry list) {bench(port, 4, 2 * list_size)}"
    finally:
        if pidfile.exists():
            os.kill(int(pidfile.read_text().split()[0]), signal.SIGTERM)
        time.sleep(1)


def main() -> None:
    with migrated_database(BIN, "policyd-bench-") as (work, pg):
        t = time.monotonic()
        load_suppressions(pg)
        print(f"loaded {SUPPRESSIONS} suppressions into PostgreSQL in {time.monotonic() - t:.1f} s", flush=True)
        results = run_policyd(work, pg)
        for line in results:
            print(line, flush=True)
        postfwd = [run_postfwd(work, 1), run_postfwd(work, POSTFWD_LIST)]
        for line in postfwd:
            print(line, flush=True)
        ours = rps(results[1])
        print(f"ratio at 4 connections: waybill-policyd / postfwd(1 entry) = {ours / rps(postfwd[0]):.1f}x; "
              f"/ postfwd({POSTFWD_LIST} entries) = {ours / max(rps(postfwd[1]), 1):.0f}x")


if __name__ == "__main__":
    main()
