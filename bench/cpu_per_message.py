"""CPU time per delivered message, by process, for one setup of bench/copies_bench.py: where the
milliseconds of a message go (the milter, PostgreSQL, Postfix's own processes, the sink). It runs
COUNT messages twice under `perf record -a` (sampling every CPU at 999 Hz) and divides each
process's samples by the messages delivered. Other work on the machine shows as its own rows.

    /usr/bin/python3 bench/cpu_per_message.py SETUP [RECIPIENTS [COUNT]]     (as root)
    SETUP: alone | opendkim | waybill      (waybill: everything on, unix socket, copy listener)
"""

from __future__ import annotations

import collections
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))
import copies_bench as bench  # noqa: E402
from waybill_rig import Rig  # noqa: E402

SETUPS = {"alone": bench.ALONE, "opendkim": bench.OPENDKIM_UNIX, "waybill": bench.WAYBILL_UNIX}
HERTZ = 999
RUNS = 2


def samples_by_process(data: Path) -> collections.Counter:
    report = subprocess.run(["perf", "report", "-i", str(data), "--no-children", "--sort", "comm", "--stdio",
                             "-F", "sample,comm"], capture_output=True, text=True, check=True).stdout
    counts: collections.Counter = collections.Counter()
    for line in report.splitlines():
        match = re.match(r"\s*(\d+)\s+(.+?)\s*$", line)
        if match and not line.lstrip().startswith("#"):
            counts[match.group(2)] += int(match.group(1))
    return counts


def main() -> None:
    label = SETUPS[sys.argv[1]]
    recipients = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    with Rig(milters=["inet:127.0.0.1:1"], extra_main={"smtpd_client_connection_rate_limit": "0",
                                                        "default_process_limit": "200"}) as rig:
        milter = bench.start_setups(rig, bin_dir)[label]
        rig.postfix.configure({"smtpd_milters": milter, "non_smtpd_milters": milter,
                               "milter_default_action": "tempfail", "milter_protocol": "6"})
        source = bench.invoice(rig)
        bench.throughput(rig, 40, 1, source, label)  # warm-up
        data = rig.path("perf.data")
        perf = subprocess.Popen(["perf", "record", "-a", "-F", str(HERTZ), "-o", str(data)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        messages = count // recipients
        for _ in range(RUNS):
            rate = bench.throughput(rig, messages, recipients, source, label)
            print(f"{label}, {recipients} recipient(s) per message: {rate:.0f} deliveries/s")
        perf.send_signal(signal.SIGINT)
        perf.wait(timeout=120)
        deliveries = RUNS * messages * recipients
        print(f"CPU ms per delivery, by process ({deliveries} deliveries, {HERTZ} Hz on every CPU):")
        for process, samples in samples_by_process(data).most_common():
            milliseconds = samples / HERTZ * 1000 / deliveries
            if milliseconds >= 0.05:
                print(f"  {process:24} {milliseconds:6.2f}")


if __name__ == "__main__":
    main()
