"""waybill-pipe figures (issue 7): per-invocation cost and Postfix handing it N bounces.

1. Median wall time of one `waybill-pipe` invocation storing a typical Postfix bounce (process
   start, config, key file, connect, parse, classify, one transaction), beside the same binary
   with --classify-only (no database) and /bin/true (the floor: process start alone).
2. Time from submitting N bounces to Postfix (one SMTP session) until all N are stored, beside the
   peer: the same Postfix piping the same N messages to /bin/cat (same transport, no work).

    bench/pipe_bench.sh [BIN_DIR] [N]
"""

from __future__ import annotations

import base64
import hashlib
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
from waybill_stack import TOKEN_KEY_LINE, WaybillStack  # noqa: E402

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


def median_ms(argv: list[str], inputs: list[bytes], extra_args) -> tuple[float, float]:
    """Median wall time and mean CPU time (user + system of the process itself), in ms.

    CPU time is what the invocation costs; wall time also shows how loaded the machine is.
    """
    times = []
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    for i, data in enumerate(inputs):
        start = time.perf_counter()
        result = subprocess.run(argv + extra_args(i), input=data, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
        if result.returncode != 0:
            raise RuntimeError(result.stderr.decode(errors="replace"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000 / len(inputs)
    return statistics.median(times), cpu


def submit(postfix, messages: list[tuple[str, bytes]]) -> None:
    with smtplib.SMTP("127.0.0.1", postfix.smtp_port, local_hostname="bench.test", timeout=60) as s:
        for rcpt, data in messages:
            s.sendmail("", [rcpt], data)


def main() -> None:
    bin_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "build" / "bin")
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    with Rig() as rig:
        stack = WaybillStack(rig, bin_dir, sections={
            "pipe": {"bounce_domain": BOUNCES},
            "log": {"syslog": "false", "stderr": "true", "level": "warning"}})
        stack.migrate()
        pipe = str(stack.binary("waybill-pipe"))
        transport = rig.path("transport")
        transport.write_text(f"{BOUNCES} waybill-pipe:\n{PEER} peer-pipe:\n")
        rig.postfix.extra_master = (
            f"waybill-pipe unix - n n - 10 pipe flags=Rq user=nobody\n"
            f"  argv={pipe} --config {stack.config} --sender=${{sender}} --recipient=${{recipient}} --queue-id=${{queue_id}}\n"
            f"peer-pipe unix - n n - 10 pipe flags=Rq user=nobody argv=/bin/cat\n")
        rig.postfix.configure({"transport_maps": f"texthash:{transport}",
                               "waybill-pipe_destination_recipient_limit": "1",
                               "peer-pipe_destination_recipient_limit": "1"})

        # 1. One invocation, by hand.
        samples = 200
        recipients = add_recipients(rig.pg, samples)
        inputs = [bounce(a, h, i) for i, (_, a, h) in enumerate(recipients)]
        store = median_ms([pipe, "--config", str(stack.config), "--sender=MAILER-DAEMON"], inputs,
                          lambda i: [f"--recipient={verp(recipients[i][0])}", f"--queue-id=B{i}"])
        classify = median_ms([pipe, "--config", str(stack.config), "--classify-only"], inputs, lambda i: [])
        floor = median_ms(["/bin/true"], inputs, lambda i: [])
        stored = rig.pg.query("SELECT count(*) FROM events WHERE type = 'bounced'")[0][0]
        print(f"one invocation, {samples} runs, median wall / mean CPU: store {store[0]:.1f} / {store[1]:.1f} ms, "
              f"classify-only {classify[0]:.1f} / {classify[1]:.1f} ms, /bin/true {floor[0]:.1f} / {floor[1]:.1f} ms "
              f"({stored} bounced events stored)")

        # 2. Postfix hands `count` queued bounces to waybill-pipe: the mail is queued first with the
        #    transport deferred, then released at once, so only delivery + storage is timed. The
        #    peer is the same pipe transport running /bin/cat, measured the same way.
        recipients = add_recipients(rig.pg, count)
        bounces = [(verp(r), bounce(a, h, i)) for i, (r, a, h) in enumerate(recipients)]
        stored_before = rig.pg.query("SELECT count(*) FROM pipe_messages")[0][0]
        pipe_seconds = timed_release(rig, "waybill-pipe", bounces, lambda: rig.pg.query(
            "SELECT count(*) FROM pipe_messages")[0][0] - stored_before >= count)
        stored = rig.pg.query("SELECT count(*) FROM pipe_messages")[0][0] - stored_before
        peers = [(f"x{i}@{PEER}", data) for i, (_, data) in enumerate(bounces)]
        peer_seconds = timed_release(rig, "peer-pipe", peers, lambda: not rig.postfix.queue())
        print(f"{count} queued bounces released to waybill-pipe: all {stored} stored in {pipe_seconds:.1f} s "
              f"({count / pipe_seconds:.0f}/s); peer (same pipe transport running /bin/cat): {peer_seconds:.1f} s "
              f"({count / peer_seconds:.0f}/s); ratio {pipe_seconds / peer_seconds:.2f}")


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
