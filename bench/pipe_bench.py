"""waybill-pipe figures (issue 7): per-invocation cost and Postfix handing it N bounces.

1. Median wall time and CPU of one invocation storing a typical Postfix bounce: the thin
   `waybill-pipe` handing it to a running `waybill-piped --serve` (client start, socket, parse,
   classify, one transaction; the daemon's CPU per message is read from /proc), beside the
   one-shot program run directly (`waybill-piped` without --serve: process, libraries, key
   file, connect, the same work), `waybill-piped --classify-only` (no database) and /bin/true
   (the floor: process start alone).
2. Time from releasing N queued bounces in Postfix until all N are stored, via the daemon and
   with no daemon (the client falls back to the one-shot program), beside the peer: the same
   Postfix piping the same N messages to /bin/cat (same transport, no work).

    bench/pipe_bench.sh [BIN_DIR] [N]
"""

from __future__ import annotations

import base64
import hashlib
import os
import hmac
import resource
import smtplib
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
from waybill_rig import Rig, wait_until  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, pipe_daemon_stack, pipe_entry  # noqa: E402

KEY_ID, KEY_HEX = TOKEN_KEY_LINE.split()
BOUNCES = "bounces.test"
PEER = "peer.test"


def verp(rid: uuid.UUID) -> str:
    body = bytes([1, int(KEY_ID), ord("b")]) + rid.bytes
    mac = hmac.new(bytes.fromhex(KEY_HEX), body, hashlib.sha256).digest()[:16]
    return "bounce+" + base64.urlsafe_b64encode(body + mac).decode().rstrip("=") + "@" + BOUNCES


def bounce(recipient: str, header_id: str, n: int) -> bytes:
    template = (ROOT / "tests" / "golden" / "dsn" / "postfix-bounce-userunknown.eml").read_text()
    text = template.replace("gone@reject.test", recipient)
    return (text.replace("Subject: dsn test", f"Subject: dsn test {n}\nMessage-ID: {header_id}")).encode()


def add_recipients(pg, count: int) -> list[tuple[uuid.UUID, str, str]]:
    rows = []
    for i in range(count):
        mid, rid = uuid.uuid4(), uuid.uuid4()
        header = f"<{mid}@sender.test>"
        address = f"user{i}-{mid.hex[:6]}@dest.test"
        rows.append((rid, address, header, mid))
    values = ",".join(f"('{m}', '{h}', 'news@sender.test')" for _, _, h, m in rows)
    pg.execute(f"INSERT INTO messages (id, message_id_header, envelope_sender) VALUES {values}")
    values = ",".join(f"('{r}', '{m}', '{a}')" for r, a, _, m in rows)
    pg.execute(f"INSERT INTO recipients (id, message_id, address) VALUES {values}")
    return [(r, a, h) for r, a, h, _ in rows]


def median_ms(argv: list[str], inputs: list[bytes], extra_args, daemon_pid: int | None = None
              ) -> tuple[float, float, float]:
    """Median wall time, mean CPU time of the process itself (user + system) and mean CPU time
    of the daemon per message, in ms.

    CPU time is what the invocation costs; wall time also shows how loaded the machine is.
    """
    times = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    daemon_before = daemon_cpu_ms(daemon_pid)
    for i, data in enumerate(inputs):
        start = time.perf_counter()
        result = subprocess.run(argv + extra_args(i), input=data, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode(errors="replace"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000 / len(inputs)
    daemon = (daemon_cpu_ms(daemon_pid) - daemon_before) / len(inputs)
    return statistics.median(times), cpu, daemon


def daemon_cpu_ms(pid: int | None) -> float:
    """utime + stime of a process (all its threads), from /proc/PID/stat, in ms."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def submit(postfix, messages: list[tuple[str, bytes]]) -> None:
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port, local_hostname="bench.test", timeout=60) as s:
        for rcpt, data in messages:
            s.sendmail("", [rcpt], data)


def main() -> None:
    bin_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin").resolve()  # Postfix runs it from elsewhere
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with Rig() as rig:
        stack, socket_path = pipe_daemon_stack(rig, bin_dir, BOUNCES, log_level="warning")
        pipe, piped = str(stack.binary("waybill-pipe")), str(stack.binary("waybill-piped"))
        transport = rig.path("transport")
        transport.write_text(f"{BOUNCES} waybill-pipe:\n{PEER} peer-pipe:\n")
        rig.postfix.extra_master = (pipe_entry("waybill-pipe", pipe, stack.config) +
                                    "peer-pipe unix - n n - 10 pipe flags=Rq user=nobody argv=/bin/cat\n")
        rig.postfix.configure({"transport_maps": f"texthash:{transport}",
                               "waybill-pipe_destination_recipient_limit": "1",
                               "peer-pipe_destination_recipient_limit": "1"})
        daemon = start_daemon(rig, piped, stack.config, socket_path)

        # 1. One invocation, by hand.
        samples = 200
        conf = ["--config", str(stack.config)]
        store_args = lambda tag, recipients: lambda i: [f"--recipient={verp(recipients[i][0])}", f"--queue-id={tag}{i}"]
        via_daemon = measure_store(rig, [pipe, *conf, "--sender=MAILER-DAEMON"], samples, "D", store_args, daemon.pid)
        direct = measure_store(rig, [piped, *conf, "--sender=MAILER-DAEMON"], samples, "B", store_args, None)
        inputs = [bounce(f"x{i}@dest.test", "<x@y>", i) for i in range(samples)]
        classify = median_ms([piped, *conf, "--classify-only"], inputs, lambda i: [])
        floor = median_ms(["/bin/true"], inputs, lambda i: [])
        stored = rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'")[0][0]
        print(f"one invocation, {samples} runs each, median wall / mean CPU of the process (+ daemon CPU per message):")
        print(f"  via daemon (waybill-pipe -> waybill-piped --serve): {via_daemon[0]:.2f} / {via_daemon[1]:.2f} ms "
              f"(+ {via_daemon[2]:.2f} ms daemon = {via_daemon[1] + via_daemon[2]:.2f} ms CPU)")
        print(f"  direct one-shot (waybill-piped):                    {direct[0]:.2f} / {direct[1]:.2f} ms")
        print(f"  waybill-piped --classify-only (no database):        {classify[0]:.2f} / {classify[1]:.2f} ms")
        print(f"  /bin/true (process start alone):                    {floor[0]:.2f} / {floor[1]:.2f} ms")
        print(f"  ({stored} bounced events stored; {2 * samples} expected)")

        # 2. Postfix hands `count` queued bounces to waybill-pipe: the mail is queued first with the
        #    transport deferred, then released at once, so only delivery + storage is timed. The
        #    peer is the same pipe transport running /bin/cat, measured the same way.
        results = {}
        for mode in ("daemon", "one-shot"):
            if mode == "one-shot":
                daemon.terminate()
                daemon.wait(30)
            results[mode] = release_bounces(rig, count)
        peers = [(f"x{i}@{PEER}", bounce(f"p{i}@dest.test", "<p@y>", i)) for i in range(count)]
        peer_seconds = timed_release(rig, "peer-pipe", peers, lambda: not rig.postfix.queue())
        print(f"{count} queued bounces released to waybill-pipe, until all stored:")
        for mode, (seconds, stored) in results.items():
            print(f"  {mode:8}: all {stored} stored in {seconds:.1f} s ({count / seconds:.0f}/s), "
                  f"{seconds / peer_seconds:.2f} x the peer")
        print(f"  peer (same pipe transport running /bin/cat): {peer_seconds:.1f} s ({count / peer_seconds:.0f}/s)")


def start_daemon(rig, piped: str, config: Path, socket_path: Path):
    proc = rig.spawn([piped, "--config", str(config), "--serve"], name="waybill-piped")
    assert wait_until(socket_path.exists, 10), rig.log_of("waybill-piped")
    return proc


def measure_store(rig, argv: list[str], samples: int, tag: str, store_args, daemon_pid):
    recipients = add_recipients(rig.pg, samples)
    inputs = [bounce(a, h, i) for i, (_, a, h) in enumerate(recipients)]
    return median_ms(argv, inputs, store_args(tag, recipients), daemon_pid)


def release_bounces(rig, count: int) -> tuple[float, int]:
    recipients = add_recipients(rig.pg, count)
    bounces = [(verp(r), bounce(a, h, i)) for i, (r, a, h) in enumerate(recipients)]
    before = rig.pg.query("SELECT count(*) FROM pipe_messages")[0][0]
    stored = lambda: rig.pg.query("SELECT count(*) FROM pipe_messages")[0][0] - before
    seconds = timed_release(rig, "waybill-pipe", bounces, lambda: stored() >= count)
    return seconds, stored()


def timed_release(rig, transport: str, messages, done) -> float:
    rig.postfix.configure({"defer_transports": transport})
    submit(rig.postfix, messages)
    assert wait_until(lambda: len(rig.postfix.queue()) >= len(messages), 300, 0.5)
    start = time.perf_counter()
    rig.postfix.configure({"defer_transports": ""})
    rig.postfix.flush()
    assert wait_until(done, 900, 0.2), rig.postfix.diagnostics()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
