"""Messages/s through real Postfix: alone, then with waybill-milter (tracking on, PostgreSQL
recording on) on the shipped default unix socket and over TCP, in the same run on the same rig,
so the ratios are what to quote.

smtp-source sends COUNT 1 KB HTML messages (5 links) over 20 parallel sessions; the figure is
COUNT / (time until smtp-source has had every message accepted). Run as root:
    WAYBILL_BIN_DIR=build/bin /usr/bin/python3 bench/milter_throughput.py [COUNT [ROUNDS]]
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
from waybill_rig import Rig, descendants, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

SESSIONS = 20
LINKS = "".join(f'<p><a href="https://shop.example/item/{i}?utm_source=mail&amp;x=1">Item {i}</a></p>\n'
                for i in range(5))
HTML = ("Subject: throughput\nMIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
        f"<html><body><h1>Offers</h1>\n{LINKS}")


def message_file(rig: Rig) -> Path:
    body = HTML
    while len(body) < 1000:
        body += "<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n"
    path = rig.path("bench.msg")
    path.write_text(body + "</body></html>\n")
    return path


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (exited ones are skipped)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (FileNotFoundError, ProcessLookupError, IndexError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def measure(rig: Rig, count: int, source: Path, label: str = "",
            daemons: tuple[str, ...] = ("waybill-milter-1", "waybill-milter-2", "waybill-milter-3")) -> float:
    """Messages/s of one smtp-source run; a failed run says why (smtp-source stops at the first error)."""
    start = time.monotonic()
    done = subprocess.run(["/usr/sbin/smtp-source", "-s", str(SESSIONS), "-m", str(count), "-F", str(source),
                           "-f", "app@sender.example", "-t", "reader@dest.example",
                           f"127.0.0.1:{rig.postfix.smtp_port}"], capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        logs = "".join(rig.log_of(n)[-1500:] for n in daemons)
        raise SystemExit(f"{label}: smtp-source failed: {done.stderr.strip()}\n{rig.postfix.log_text()[-3000:]}\n{logs}")
    rig.postfix.wait_queue_empty(120)
    return count / elapsed


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    with Rig(extra_main={"smtpd_client_connection_rate_limit": "0", "default_process_limit": "200"}) as rig:
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        source = message_file(rig)
        # Tracking off (recording only) and on: separates the tracker's cost from the milter's.
        # One database connection per concurrent SMTP session, as an operator would size it. The
        # socket is the shipped default's: a unix socket in the queue directory that Postfix names
        # relative to it (unix:waybill/milter.sock). Tracking on over TCP is the comparison.
        setups = {"postfix alone": ""}
        milter_pids = {"postfix alone": []}
        socket_dir = rig.postfix.queue_dir / "waybill"
        socket_dir.mkdir(exist_ok=True)
        for label, extra, over_tcp in (("+ milter, record only", ["--tracking.key_file", ""], False),
                                       ("+ milter, tracking on", [], False),
                                       ("+ milter, tracking on, TCP", [], True)):
            milter_socket = f"inet:{free_port()}@127.0.0.1" if over_tcp else f"unix:{socket_dir}/{len(setups)}.sock"
            proc = rig.spawn([stack.binary("waybill-milter"), "--config", str(stack.config), "--milter.socket",
                              milter_socket, "--tracking.base_url", "https://t.example",
                              "--database.pool_size", str(SESSIONS), *extra], name=f"waybill-milter-{len(setups)}")
            if over_tcp:
                port = int(milter_socket.split(":")[1].split("@")[0])
                wait_port(port)
                setups[label] = milter_address(port)
            else:
                path = Path(milter_socket.removeprefix("unix:"))
                if not wait_until(path.exists, 10):
                    raise SystemExit(f"{label}: no milter socket\n{rig.log_of(f'waybill-milter-{len(setups)}')}")
                path.chmod(0o666)  # Postfix's processes run as the rig's mail owner
                setups[label] = f"unix:waybill/{path.name}"
            milter_pids[label] = [proc.pid]
        postmaster = int((rig.pg.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        # The machine is noisy: alternate the setups round by round and quote medians.
        # CPU per message of the milter and of PostgreSQL (its backends persist in the pool): the
        # cost that does not depend on how busy the rest of the machine is.
        rates: dict[str, list[float]] = {label: [] for label in setups}
        cpu: dict[str, list[tuple[float, float]]] = {label: [] for label in setups}
        for _ in range(rounds):
            for label, milter in setups.items():
                rig.postfix.configure({"smtpd_milters": milter, "non_smtpd_milters": milter,
                                       "milter_default_action": "tempfail", "milter_protocol": "6"})
                measure(rig, 100, source, label)  # warm-up after the reload
                pg_pids = [postmaster, *descendants([postmaster])]
                before = cpu_seconds(milter_pids[label]), cpu_seconds(pg_pids)
                rates[label].append(measure(rig, count, source, label))
                after = cpu_seconds(milter_pids[label]), cpu_seconds(pg_pids)
                cpu[label].append(((after[0] - before[0]) / count, (after[1] - before[1]) / count))
        alone = statistics.median(rates["postfix alone"])
        for label, values in rates.items():
            rate = statistics.median(values)
            runs = ", ".join(f"{v:.0f}" for v in values)
            milter_ms = statistics.median(c[0] for c in cpu[label]) * 1000
            pg_ms = statistics.median(c[1] for c in cpu[label]) * 1000
            print(f"{label:24} {rate:7.1f} msg/s  ({rate / alone:4.0%} of alone; runs: {runs})"
                  f"  CPU/msg: milter {milter_ms:.2f} ms, PostgreSQL {pg_ms:.2f} ms")
        [(tracked,)] = rig.pg.query("SELECT count(*) FROM links")
        print(f"({tracked} links recorded)")


if __name__ == "__main__":
    main()
