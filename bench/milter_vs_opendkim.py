"""Messages/s through real Postfix: alone; with waybill-milter doing everything (tracking,
Message-ID/Date, List-Unsubscribe, VERP, rsa + ed25519 signatures, PostgreSQL recording); and with
one OpenDKIM instance signing rsa-sha256 alone. Same rig, same messages, setups alternated round
by round (the machine is noisy), medians quoted.

smtp-source sends COUNT 1 KB HTML messages (5 links) over 20 sessions; a rate is COUNT / (time
until smtp-source has had every message accepted). Run as root:
    WAYBILL_BIN_DIR=build/bin /usr/bin/python3 bench/milter_vs_opendkim.py [COUNT [ROUNDS]]
"""

from __future__ import annotations

import os
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
sys.path.insert(0, str(ROOT / "bench"))
import milter_throughput  # noqa: E402
from milter_throughput import SESSIONS  # noqa: E402
from milter_throughput import message_file  # noqa: E402
from waybill_rig import Rig, free_port, run, wait_port  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

OPENDKIM = "/usr/sbin/opendkim"
WAYBILL = "+ waybill-milter (all, rsa+ed25519)"
ONE_OPENDKIM = "+ opendkim (rsa-sha256)"


def generate_keys(waybill: Path, directory: Path) -> dict[str, Path]:
    directory.mkdir()
    keys = {}
    for algorithm, selector in (("rsa", "r2026"), ("ed25519", "e2026")):
        run([waybill, "keys", "generate", "--domain", "sender.example", "--selector", selector,
             "--algorithm", algorithm, "--dir", directory])
        keys[algorithm] = directory / f"sender.example.{selector}.key"
    return keys


def write_tables(directory: Path, keys: dict[str, Path], algorithms: list[str]) -> tuple[Path, Path]:
    selectors = {"rsa": "r2026", "ed25519": "e2026"}
    key_table, signing_table = directory / f"KeyTable.{len(algorithms)}", directory / f"SigningTable.{len(algorithms)}"
    key_table.write_text("".join(f"{a} sender.example:{selectors[a]}:{keys[a]}\n" for a in algorithms))
    signing_table.write_text("".join(f"*@sender.example {a}\n" for a in algorithms))
    return key_table, signing_table


def signing_stack(rig: Rig, bin_dir: Path, **sections: dict[str, str]) -> tuple[WaybillStack, tuple[Path, Path]]:
    """Keys for sender.example (rsa, ed25519) and a migrated stack with the milter doing everything,
    signing with both (`sections` add to its configuration); returns it and the rsa-only tables for OpenDKIM."""
    keys = generate_keys(bin_dir / "waybill", rig.path("dkim"))
    both = write_tables(rig.path("dkim"), keys, ["rsa", "ed25519"])
    stack = WaybillStack(rig, bin_dir, sections={
        "tracking": {"base_url": "https://t.example"},
        "pipe": {"bounce_domain": "bounces.example"},
        "dkim": {"key_table": str(both[0]), "signing_table": str(both[1])},
        "database": {"pool_size": str(SESSIONS)}, **sections})
    stack.migrate()
    return stack, write_tables(rig.path("dkim"), keys, ["rsa"])


def spawn_opendkim(rig: Rig, name: str, socket: str, key_table: Path, signing_table: Path, *settings: str) -> None:
    """One OpenDKIM signing (rsa-sha256) as the tables say, on `socket` (its Socket syntax); its
    configuration, pid file and log are named `name` in the rig."""
    conf = rig.path(f"{name}.conf")
    conf.write_text("\n".join([
        "Syslog no", "Mode s", f"Socket {socket}", *settings,
        f"KeyTable file:{key_table}", f"SigningTable refile:{signing_table}", "Canonicalization relaxed/relaxed",
        "SignatureAlgorithm rsa-sha256", "InternalHosts 127.0.0.1", "RequireSafeKeys no",
        f"PidFile {rig.path(f'{name}.pid')}"]) + "\n")
    rig.spawn([OPENDKIM, "-f", "-x", conf], name=name)


def start_opendkim(rig: Rig, key_table: Path, signing_table: Path) -> str:
    port = free_port()
    spawn_opendkim(rig, "opendkim", f"inet:{port}@127.0.0.1", key_table, signing_table)
    wait_port(port)
    return milter_address(port)


def signature_algorithms(rig: Rig) -> list[str]:
    """The a= tags of the signatures on the latest message at the sink (a sanity check)."""
    messages = rig.sink.messages()
    if not messages:
        return []
    head = messages[-1].raw.split(b"\r\n\r\n", 1)[0]
    return [a.decode() for a in re.findall(rb"\ba=([a-z0-9-]+);", head)]


def measure(rig: Rig, count: int, source: Path, label: str) -> float:
    return milter_throughput.measure(rig, count, source, label, daemons=("waybill-milter", "opendkim"))


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    bin_dir = Path(os.environ.get("WAYBILL_BIN_DIR", ROOT / "build" / "bin"))
    with Rig(extra_main={"smtpd_client_connection_rate_limit": "0", "default_process_limit": "200"}) as rig:
        stack, rsa_only = signing_stack(rig, bin_dir)
        source = message_file(rig)
        text = source.read_text()
        source.write_text("From: App <app@sender.example>\nTo: reader@dest.example\n" + text)
        port = free_port()
        stack.start_milter(port)
        setups = {"postfix alone": "", WAYBILL: milter_address(port),
                  ONE_OPENDKIM: start_opendkim(rig, *rsa_only)}
        rates: dict[str, list[float]] = {label: [] for label in setups}
        seen: dict[str, list[str]] = {}
        for _ in range(rounds):
            for label, milter in setups.items():
                rig.postfix.configure({"smtpd_milters": milter, "non_smtpd_milters": milter,
                                       "milter_default_action": "tempfail", "milter_protocol": "6"})
                measure(rig, 100, source, label)  # warm-up after the reload
                rates[label].append(measure(rig, count, source, label))
                seen[label] = signature_algorithms(rig)
                rig.sink.clear()
        alone = statistics.median(rates["postfix alone"])
        print(f"{count} x {source.stat().st_size} B messages, {SESSIONS} sessions, {rounds} rounds alternated")
        for label, values in rates.items():
            rate = statistics.median(values)
            runs = ", ".join(f"{v:.0f}" for v in values)
            print(f"{label:38} {rate:7.1f} msg/s  ({rate / alone:4.0%} of alone; runs: {runs}; "
                  f"signatures: {'+'.join(seen[label]) or 'none'})")
        waybill, opendkim = statistics.median(rates[WAYBILL]), statistics.median(rates[ONE_OPENDKIM])
        print(f"waybill-milter / opendkim: {waybill / opendkim:.2f}")


if __name__ == "__main__":
    main()
