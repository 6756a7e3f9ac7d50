#!/usr/bin/python3
"""Bounce classification throughput: `waybill-piped --classify-only` against Debian's libsisimai-perl
(Sisimai 4.25) over the same files, in the same run (the machine is noisy: only ratios count).

Two pairs, each figure the best of ROUNDS rounds, as bounces (files) per second of wall time and CPU:
  one process per bounce (how Postfix's pipe(8) runs a transport), over every 4th file:
    waybill-piped --classify-only  against  perl -e 'Sisimai->make(FILE)'
  one process for all files (start-up paid once; the decoders themselves):
    dsn_classify_files (bench/, the same readBounce)  against  one Perl process running Sisimai->make

  bench/dsn_classify_bench.sh [BIN_DIR] [ROUNDS]
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CORPORA = os.path.join(HERE, "..", "tests", "corpora")
SISIMAI_ALL = "use Sisimai; Sisimai->make($_, delivered => 1, vacation => 1) for @ARGV;"
SISIMAI_ONE = "use Sisimai; Sisimai->make($ARGV[0], delivered => 1, vacation => 1);"


def corpus_files():
    files = []
    for collection in sorted(os.listdir(CORPORA)):
        eml = os.path.join(CORPORA, collection, "eml")
        if os.path.isdir(eml):
            files += [os.path.join(eml, name) for name in sorted(os.listdir(eml))]
    return files


def measure(run):
    """Runs run() once; returns (wall seconds, CPU seconds of the children it started)."""
    before = os.times()
    start = time.perf_counter()
    run()
    wall = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return wall, cpu


def per_process(command, files):
    def run():
        for path in files:
            with open(path, "rb") as message:
                subprocess.run(command(path), stdin=message, stdout=subprocess.DEVNULL, check=True)
    return run


def main():
    bin_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build", "bin")
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    piped = os.path.join(bin_dir, "waybill-piped")
    batch = os.path.join(bin_dir, "dsn_classify_files")
    files = corpus_files()
    sample = files[::4]
    contenders = {
        "waybill-piped --classify-only, process per bounce": per_process(lambda p: [piped, "--classify-only"], sample),
        "sisimai 4.25 (perl), process per bounce": per_process(lambda p: ["perl", "-e", SISIMAI_ONE, p], sample),
        "waybill readBounce, one process for all": lambda: subprocess.run(
            [batch] + files, stdout=subprocess.DEVNULL, check=True),
        "sisimai 4.25 (perl), one process for all": lambda: subprocess.run(
            ["perl", "-e", SISIMAI_ALL] + files, stdout=subprocess.DEVNULL, check=True),
    }
    counts = {name: len(sample) if "per bounce" in name else len(files) for name in contenders}
    best = {name: (float("inf"), float("inf")) for name in contenders}
    for _ in range(rounds):  # interleaved, so a noisy moment hits every contender alike
        for name, run in contenders.items():
            wall, cpu = measure(run)
            best[name] = (min(best[name][0], wall), min(best[name][1], cpu))
    print(f"{len(files)} bounce files ({len(sample)} for the process-per-bounce pair), best of {rounds} rounds")
    for name, (wall, cpu) in best.items():
        n = counts[name]
        print(f"  {name:52s} {n / wall:8.1f} bounces/s wall  {n / max(cpu, 1e-6):8.1f} bounces/s CPU")
    names = list(contenders)
    for ours, peer in ((names[0], names[1]), (names[2], names[3])):
        (ow, oc), (pw, pc) = best[ours], best[peer]
        print(f"  {ours} vs {peer}: {pw / ow:5.1f}x wall, {pc / max(oc, 1e-6):5.1f}x CPU")


if __name__ == "__main__":
    main()
