"""Deliveries/s with 1 and with 10 recipients per message through real Postfix, and the SMTP accept
latency of one transaction, for each setup in the same run (alternated round by round, medians):
Postfix alone; + one OpenDKIM (rsa-sha256); + waybill-milter with everything on (tracking,
List-Unsubscribe, VERP, rsa + ed25519, PostgreSQL records) making its per-recipient copies over
SMTP to the copy listener (milter.copy_listener); and the same milter making them through
sendmail (milter.reinject_command, the way before the copy listener) as the "before" figure.
Each milter over TCP and over a unix socket in the queue directory (waybill's shipped default).

Throughput: smtp-source, 20 sessions, COUNT messages of a 6 KB HTML invoice with links (-r 10 for
ten recipients); deliveries/s = recipients accepted / time until smtp-source had them all
accepted. Latency: one client alone, LATENCY sequential transactions (MAIL FROM to the 250 after
the end of data), p50/p99; and, as the floor for ten queue files, ten single-recipient
transactions started at once on ten connections (until the last 250). Run as root:
    WAYBILL_BIN_DIR=build/bin /usr/bin/python3 bench/copies_bench.py [COUNT [ROUNDS [LATENCY]]]

Measured on the 2-core machine, shared and noisy (copies_bench.py 600 3 150), deliveries/s:
unix socket, copy listener 212 (1 rcpt) / 256 (10 rcpt) = 1.21; sendmail copies 210 / 97 = 0.46;
over TCP 267 / 157 = 0.59 (each milter pass over TCP waits ~40 ms: Postfix's Nagle against the
delayed ACK, so 8 connections carry ~160 copies/s); OpenDKIM rsa 183 (inet) / 196 (unix).
"""

from __future__ import annotations

import os
import smtplib
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))
from milter_vs_opendkim import signing_stack, spawn_opendkim, start_opendkim  # noqa: E402
from waybill_rig import Rig, free_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

SESSIONS = 20
PARALLEL = "10 x 1"  # ten single-recipient transactions at once (parallel_latencies)
ALONE = "postfix alone"
OPENDKIM, OPENDKIM_UNIX = "+ opendkim rsa (inet)", "+ opendkim rsa (unix)"
WAYBILL, WAYBILL_UNIX = "+ waybill-milter all on (inet)", "+ waybill-milter all on (unix)"
WAYBILL_SENDMAIL = "+ waybill-milter, sendmail copies (unix)"


def invoice(rig: Rig) -> Path:
    lines = ["From: Shop <billing@sender.example>", "To: customer@dest.example", "Subject: Your invoice",
             "MIME-Version: 1.0", "Content-Type: text/html; charset=utf-8", "",
             "<html><body><h1>Invoice 2026-1207</h1><table>"]
    item = 0
    while sum(len(line) + 1 for line in lines) < 6000:
        lines.append(f'<tr><td>Item {item}: <a href="https://shop.example/p/{item}?utm_source=invoice">'
                     f"Product {item}</a></td><td>{item * 3 + 7}.00 EUR</td></tr>")
        item += 1
    lines += ["</table><p><a href=\"https://shop.example/account\">Your account</a></p></body></html>", ""]
    path = rig.path("invoice.msg")
    path.write_text("\n".join(lines))
    return path


def throughput(rig: Rig, count: int, recipients: int, source: Path, label: str) -> float:
    start = time.monotonic()
    done = subprocess.run(["/usr/sbin/smtp-source", "-s", str(SESSIONS), "-m", str(count), "-r", str(recipients),
                           "-F", str(source), "-f", "billing@sender.example", "-t", "customer@dest.example",
                           f"127.0.0.1:{rig.postfix.smtp_port}"], capture_output=True, text=True, timeout=900)
    elapsed = time.monotonic() - start
    if done.returncode != 0:
        raise SystemExit(f"{label}: smtp-source failed: {done.stderr.strip()}\n{rig.postfix.log_text()[-3000:]}\n"
                         f"{rig.log_of('waybill-milter')[-1500:]}")
    rig.postfix.wait_queue_empty(300)
    return count * recipients / elapsed


def latencies(rig: Rig, count: int, recipients: int, source: Path) -> list[float]:
    """Seconds from MAIL FROM to the final 250 of each transaction, one client, one connection."""
    data = source.read_bytes()
    seconds = []
    with smtplib.SMTP("127.0.0.1", rig.postfix.smtp_port, local_hostname="bench.localdomain", timeout=120) as smtp:
        smtp.ehlo()
        for n in range(count):
            start = time.monotonic()
            smtp.sendmail("billing@sender.example", [f"{n}-{k}-customer@dest.example" for k in range(recipients)], data)
            seconds.append(time.monotonic() - start)
    rig.postfix.wait_queue_empty(300)
    return seconds


def parallel_latencies(rig: Rig, count: int, width: int, source: Path) -> list[float]:
    """Seconds until all of `width` single-recipient transactions, started at once on their own
    connections, have their 250: the floor for `width` queue files, what a message with `width`
    recipients needs once each recipient gets a body of its own."""
    data = source.read_bytes()
    connections = [smtplib.SMTP("127.0.0.1", rig.postfix.smtp_port, local_hostname="bench.localdomain", timeout=120)
                   for _ in range(width)]
    seconds = []
    with ThreadPoolExecutor(max_workers=width) as pool:
        list(pool.map(lambda smtp: smtp.ehlo(), connections))
        for n in range(count):
            start = time.monotonic()
            sends = [pool.submit(smtp.sendmail, "billing@sender.example", [f"{n}-{k}-alone@dest.example"], data)
                     for k, smtp in enumerate(connections)]
            for send in sends:
                send.result()
            seconds.append(time.monotonic() - start)
    for smtp in connections:
        smtp.quit()
    rig.postfix.wait_queue_empty(300)
    return seconds


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def unix_socket(rig: Rig, name: str) -> tuple[Path, str]:
    """A socket path in the queue directory and the name Postfix reaches it by (relative to it)."""
    folder = rig.postfix.queue_dir / "bench-milters"
    folder.mkdir(exist_ok=True)
    return folder / f"{name}.sock", f"unix:bench-milters/{name}.sock"


def start_waybill_unix(rig: Rig, stack: WaybillStack, name: str, *extra: str) -> str:
    path, address = unix_socket(rig, name)
    rig.spawn([stack.binary("waybill-milter"), "--config", str(stack.config), "--milter.socket", f"unix:{path}",
               *extra], name="waybill-milter")
    if not wait_until(path.exists, 10):
        raise SystemExit(f"{name}: no milter socket\n{rig.log_of('waybill-milter')}")
    path.chmod(0o666)  # Postfix's cleanup runs as the mail owner
    return address


def start_opendkim_unix(rig: Rig, key_table: Path, signing_table: Path) -> str:
    path, address = unix_socket(rig, "opendkim")
    spawn_opendkim(rig, "opendkim-unix", f"local:{path}", key_table, signing_table, "UMask 000")
    if not wait_until(path.exists, 10):
        raise SystemExit(f"opendkim: no socket\n{rig.log_of('opendkim-unix')}")
    return address


def start_setups(rig: Rig, bin_dir: Path) -> dict[str, str]:
    # Two milter processes share the copy listener's 20 smtpd processes (master.cf maxproc).
    stack, rsa_only = signing_stack(rig, bin_dir, milter={"copy_connections": "8"}, log={"level": "warning"})
    over_tcp = free_port()
    stack.start_milter(over_tcp)
    return {ALONE: "", OPENDKIM: start_opendkim(rig, *rsa_only), OPENDKIM_UNIX: start_opendkim_unix(rig, *rsa_only),
            WAYBILL: milter_address(over_tcp), WAYBILL_UNIX: start_waybill_unix(rig, stack, "waybill"),
            WAYBILL_SENDMAIL: start_waybill_unix(rig, stack, "waybill-sendmail", "--milter.copy_listener", "")}


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 600
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    latency_count = int(sys.argv[3]) if len(sys.argv) > 3 else 200
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    # milters=...: the rig's master.cf gets the copy listener; each setup sets the milters below.
    with Rig(milters=["inet:127.0.0.1:1"], extra_main={"smtpd_client_connection_rate_limit": "0",
                                                        "default_process_limit": "200"}) as rig:
        setups = start_setups(rig, bin_dir)
        source = invoice(rig)
        rates = {(label, r): [] for label in setups for r in (1, 10)}
        waits = {(label, r): [] for label in setups for r in (1, 10, PARALLEL)}
        for _ in range(rounds):
            for label, milter in setups.items():
                rig.postfix.configure({"smtpd_milters": milter, "non_smtpd_milters": milter,
                                       "milter_default_action": "tempfail", "milter_protocol": "6"})
                throughput(rig, 40, 1, source, label)  # warm-up after the reload
                for r in (1, 10):
                    # Ten recipients: a tenth of the messages, the same deliveries.
                    rates[(label, r)].append(throughput(rig, count // r if r > 1 else count, r, source, label))
                    waits[(label, r)] += latencies(rig, latency_count // rounds, r, source)
                waits[(label, PARALLEL)] += parallel_latencies(rig, latency_count // rounds, 10, source)
                rig.sink.clear()
        print(f"{source.stat().st_size} B invoice, {SESSIONS} sessions, {count} deliveries per run, {rounds} rounds "
              f"alternated; latency: one client alone, {latency_count} transactions per setup and recipient count")
        print(f"{'setup':42} {'1 rcpt/s':>9} {'10 rcpt/s':>10} {'10/1':>5}   p50/p99 ms 1 rcpt   p50/p99 ms 10 rcpt   "
              f"p99 10/1   p50/p99 ms 10 x 1 rcpt at once")
        for label in setups:
            one, ten = statistics.median(rates[(label, 1)]), statistics.median(rates[(label, 10)])
            w1, w10 = waits[(label, 1)], waits[(label, 10)]
            p99_1, p99_10 = percentile(w1, 0.99), percentile(w10, 0.99)
            print(f"{label:42} {one:9.0f} {ten:10.0f} {ten / one:5.2f}   {percentile(w1, 0.5) * 1000:6.1f} / "
                  f"{p99_1 * 1000:6.1f}      {percentile(w10, 0.5) * 1000:6.1f} / {p99_10 * 1000:6.1f}      "
                  f"{p99_10 / p99_1:5.2f}      {percentile(waits[(label, PARALLEL)], 0.5) * 1000:6.1f} / "
                  f"{percentile(waits[(label, PARALLEL)], 0.99) * 1000:6.1f}")
        for r in (1, 10):
            print(f"{r:2} rcpt runs: " + "; ".join(f"{label}: " + ", ".join(f"{v:.0f}" for v in rates[(label, r)])
                                                  for label in setups))
        for waybill, opendkim in ((WAYBILL, OPENDKIM), (WAYBILL_UNIX, OPENDKIM_UNIX), (WAYBILL_UNIX, OPENDKIM)):
            ratio = statistics.median(rates[(waybill, 1)]) / statistics.median(rates[(opendkim, 1)])
            print(f"1 rcpt, {waybill} / {opendkim}: {ratio:.2f}")


if __name__ == "__main__":
    main()
