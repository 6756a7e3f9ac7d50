"""What a hostile bounce costs waybill-piped: median wall time of the one-shot program storing
(a) a genuine one-recipient DSN (the peer), (b) a forged DSN naming 1,000 victims with a
Message-ID not ours, (c) the same with a Message-ID of ours (1,000 attribution lookups), and
(d) a DSN with non-UTF-8 bytes in every field. PostgreSQL only, no Postfix. A case the build
under test cannot store is reported with its exit status instead of a time.

    /usr/bin/python3 bench/pipe_hostile_bench.py [BIN_DIR] [RUNS]
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from test_pipe_hostile import BAD, dsn, failed, verp  # noqa: E402
from waybill_rig import Rig  # noqa: E402
from waybill_stack import WaybillStack  # noqa: E402


def median_ms(argv: list[str], inputs: list[bytes]) -> float | str:
    times = []
    for n, raw in enumerate(inputs[:1] + inputs):  # the first run warms caches and is not counted
        started = time.perf_counter()
        result = subprocess.run([*argv, f"--queue-id=Q{n}-{uuid.uuid4().hex[:8]}"], input=raw, capture_output=True)
        times.append((time.perf_counter() - started) * 1000)
        if result.returncode != 0:  # an older build, say: report it instead of a figure
            return f"exit {result.returncode}: {result.stderr.decode(errors='replace').strip()[-120:]}"
    return statistics.median(times[1:])


def main(bin_dir: Path, runs: int) -> None:
    with Rig(postfix=False) as rig:
        stack = WaybillStack(rig, bin_dir, sections={"pipe": {"bounce_domain": "bounces.test", "socket": ""},
                                                     "log": {"syslog": "false", "level": "warning"}})
        stack.migrate()
        message_id, rid = uuid.uuid4(), uuid.uuid4()
        header = f"<{message_id}@sender.test>"
        rig.pg.execute("INSERT INTO messages (id, message_id_header, envelope_sender) VALUES (%s, %s, 'n@s.test')",
                       (str(message_id), header))
        rig.pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, 'r@x.test')",
                       (str(rid), str(message_id)))
        victims = [failed(f"victim{i}@big.test") for i in range(1000)]
        cases = {
            "genuine DSN, 1 recipient (peer)": (verp(rid), dsn([failed("r@x.test", status=b"4.2.2")], header)),
            "forged DSN, 1,000 victims, Message-ID not ours": ("forged@bounces.test", dsn(victims, "<x@y>")),
            "forged DSN, 1,000 victims, our Message-ID": ("forged@bounces.test", dsn(victims, header)),
            "non-UTF-8 in every field": (verp(rid), dsn([failed(BAD + b"@x", action=b"failed" + BAD, status=BAD,
                                                                 diagnostic=BAD * 50)], header + BAD.decode("latin-1"),
                                                         extra_headers=b"Subject: " + BAD + b"\n", reporting_mta=BAD)),
        }
        piped = str(Path(bin_dir) / "waybill-piped")
        results = {}
        for name, (recipient, raw) in cases.items():
            argv = [piped, "--config", str(stack.config), "--sender=", f"--recipient={recipient}"]
            results[name] = median_ms(argv, [raw + f"\nX-Run: {n}\n".encode() for n in range(runs)])
        peer = results["genuine DSN, 1 recipient (peer)"]
        for name, ms in results.items():
            if isinstance(ms, str) or isinstance(peer, str):
                print(f"  {name:48s} {ms}")
            else:
                print(f"  {name:48s} {ms:7.1f} ms  ({ms / peer:.2f} x peer)")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin"), int(sys.argv[2]) if len(sys.argv) > 2 else 30)
