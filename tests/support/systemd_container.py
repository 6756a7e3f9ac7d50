"""A Debian 12 host booted with real systemd as PID 1 in a container (systemd-nspawn), for tests
of the package and its units: socket activation, reload, restart and sandboxing really enforced.

The root file system is made once with debootstrap (minbase + systemd, Postfix, PostgreSQL, sudo,
python3) and cached in WAYBILL_CONTAINER_CACHE (default /var/cache/waybill-test/bookworm); each
test boots a copy of it with a private network (only its own loopback), so nothing in it can
reach another host. Packages go into the copy before boot, while it still shares the host's
network (apt inside an unbooted nspawn).

    with SystemdContainer.create(tmp_path) as host:
        host.install_debs([deb])
        host.boot()
        print(host.sh("systemctl is-active postfix@-.service"))
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Sequence

CACHE = Path(os.environ.get("WAYBILL_CONTAINER_CACHE", "/var/cache/waybill-test/bookworm"))
PACKAGES = ["systemd", "systemd-sysv", "dbus", "postfix", "procps", "python3", "sudo", "postgresql",
            "ca-certificates", "iproute2", "adduser"]
BOOT_LOCK = Path("/tmp/waybill-systemd-container.lock")
CGROUP_LEFTOVERS = [Path("/sys/fs/cgroup", tree, name) for tree in ("systemd", "unified")
                    for name in ("payload", "supervisor")]


def debian_mirror() -> str:
    """The mirror this machine's apt uses (the container root comes from the same one)."""
    for source in sorted(Path("/etc/apt/sources.list.d").glob("*")) + [Path("/etc/apt/sources.list")]:
        if not source.is_file():
            continue
        for line in source.read_text().splitlines():
            words = line.split()
            if words[:1] == ["URIs:"] and "security" not in words[1]:
                return words[1]
            if words[:1] == ["deb"] and "security" not in line:
                return next(w for w in words[1:] if w.startswith("http"))
    return "http://deb.debian.org/debian"


def ensure_root() -> Path:
    """The cached root, made with debootstrap on first use (~90 s on a quiet machine, ~730 MB).
    A lock makes a second caller (the test while scripts/test-all.sh prepares it in the
    background) wait for the first instead of starting over."""
    marker = CACHE / ".complete"
    if marker.exists():
        return CACHE
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with open(CACHE.with_name(CACHE.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not marker.exists():
            _debootstrap()
    return CACHE


def _debootstrap() -> None:
    partial = CACHE.with_name(CACHE.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run(["debootstrap", "--variant=minbase", f"--include={','.join(PACKAGES)}", "bookworm",
                    str(partial), debian_mirror()], check=True, capture_output=True, timeout=1200)
    (partial / ".complete").write_text("debootstrap bookworm minbase\n")
    shutil.rmtree(CACHE, ignore_errors=True)
    partial.rename(CACHE)


def remove_cgroup_leftovers() -> None:
    """nspawn leaves its payload/supervisor cgroups behind where the host's PID 1 is not systemd,
    and the next boot refuses to start while they exist. Processes still in them (a container
    that did not power off in time) are killed first."""
    for top in CGROUP_LEFTOVERS:
        if not top.is_dir():
            continue
        directories = sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)) + [top]
        for directory in directories:
            for pid in (directory / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for directory in directories:
            for _ in range(50):
                try:
                    directory.rmdir()
                    break
                except OSError:
                    time.sleep(0.1)


class SystemdContainer:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.console = root.parent / "console.log"
        self._nspawn: subprocess.Popen | None = None
        self.pid1: int | None = None
        self._lock = None

    @classmethod
    def create(cls, work_dir: Path) -> SystemdContainer:
        root = Path(work_dir) / "root"
        subprocess.run(["cp", "-a", "--reflink=auto", str(ensure_root()), str(root)], check=True, timeout=600)
        return cls(root)

    def __enter__(self) -> SystemdContainer:
        return self

    def __exit__(self, *exc) -> None:
        self.poweroff()

    # Before boot: commands in the root with the host's network (apt, configuration files).
    def run_unbooted(self, argv: Sequence[str], binds: Sequence[tuple[Path, str]] = (), timeout: float = 600
                     ) -> str:
        bind_args = [f"--bind-ro={host}:{inside}" for host, inside in binds]
        proc = subprocess.run(["systemd-nspawn", "-q", "-D", str(self.root), "--register=no", "--keep-unit",
                               "--pipe", *bind_args, "--setenv=DEBIAN_FRONTEND=noninteractive", *argv],
                              capture_output=True, text=True, timeout=timeout)
        assert proc.returncode == 0, f"{argv} in the container root exited {proc.returncode}:\n" \
                                     f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return proc.stdout

    def install_debs(self, debs: Sequence[Path]) -> str:
        folder = Path(debs[0]).parent
        return self.run_unbooted(["apt-get", "install", "-y", "-q", "--no-install-recommends",
                                  *[f"/mnt/debs/{Path(d).name}" for d in debs]], binds=[(folder, "/mnt/debs")])

    def boot(self, timeout: float = 60) -> None:
        self._take_boot_lock()
        remove_cgroup_leftovers()
        log = open(self.console, "wb")
        self._nspawn = subprocess.Popen(["systemd-nspawn", "-D", str(self.root), "-b", "--register=no",
                                         "--keep-unit", "--console=pipe", "--private-network"],
                                        stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while self.pid1 is None and time.monotonic() < deadline:
            children = subprocess.run(["ps", "--ppid", str(self._nspawn.pid), "-o", "pid=,comm="],
                                      capture_output=True, text=True).stdout.split()
            if len(children) >= 2 and children[1] == "systemd":
                self.pid1 = int(children[0])
            assert self._nspawn.poll() is None, f"nspawn exited:\n{self.console.read_text()[-3000:]}"
            time.sleep(0.1)
        assert self.pid1, "no systemd in the container"
        state = ""
        while time.monotonic() < deadline:
            state = self.sh("systemctl is-system-running", check=False).strip()
            if state in ("running", "degraded"):
                return
            time.sleep(0.2)
        raise AssertionError(f"container did not finish booting: {state}\n{self.sh('systemctl --failed', check=False)}")

    def sh(self, script: str, check: bool = True, timeout: float = 120, input: str | None = None) -> str:
        """Runs a shell script inside the booted container (all its namespaces) as root."""
        assert self.pid1, "boot() first"
        proc = subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "/bin/sh", "-c", script],
                              capture_output=True, text=True, timeout=timeout, input=input)
        if check:
            assert proc.returncode == 0, f"in the container: {script}\nexit {proc.returncode}\n" \
                                         f"{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
        return proc.stdout + (proc.stderr if not check else "")

    def journal(self, unit: str) -> str:
        return self.sh(f"journalctl -u {unit} --no-pager -o cat | tail -n 60", check=False)

    def poweroff(self) -> None:
        if self._nspawn is None:
            return
        if self._nspawn.poll() is None and self.pid1:
            subprocess.run(["nsenter", "-t", str(self.pid1), "-a", "systemctl", "poweroff"], timeout=30,
                           capture_output=True)
            try:
                self._nspawn.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._nspawn.kill()
                self._nspawn.wait(timeout=10)
        self._nspawn = None
        self.pid1 = None
        remove_cgroup_leftovers()
        self._release_boot_lock()

    def _take_boot_lock(self, timeout: float = 1800) -> None:
        """One booted container per machine: nspawn's cgroups (payload, supervisor) have fixed names
        where the host's PID 1 is not systemd, so a second boot would tear down the first."""
        self._lock = open(BOOT_LOCK, "w")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                assert time.monotonic() < deadline, f"another container held {BOOT_LOCK} for {timeout} s"
                time.sleep(1)

    def _release_boot_lock(self) -> None:
        if self._lock is not None:
            self._lock.close()  # closing drops the flock
            self._lock = None


if __name__ == "__main__":
    # `python3 systemd_container.py prepare`: make the cached root now (scripts/test-all.sh runs
    # this in the background while it compiles, since debootstrap mostly waits on the network).
    import sys
    if sys.argv[1:] != ["prepare"]:
        sys.exit("usage: systemd_container.py prepare")
    print(ensure_root())
