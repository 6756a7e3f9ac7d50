"""A listening socket held across daemon restarts, the way a systemd .socket unit holds it.

`systemd-socket-activate` execs into the daemon and never restarts it, so it cannot show a
restart. SocketHolder creates the socket, runs the daemon with it as fd 3 (LISTEN_FDS=1,
LISTEN_PID=its pid) and on restart() does what `systemctl restart` does with a socket unit:
SIGTERM to the running instance, wait for it to exit (it drains), start the next one on the same
socket. Connections made meanwhile wait in the socket's backlog instead of being refused.

    holder = SocketHolder(rig, [bin_dir / "waybill-policyd", "--config", conf], name="policyd")
    holder.start()
    holder.restart()          # returns the old instance's exit status and drain time
    holder.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from typing import Sequence

from waybill_rig import LOOPBACK, Rig, rig_env

# smtp-source, Postfix and wrk may all queue connections during a restart.
BACKLOG = 1024
# LISTEN_PID must be the daemon's own pid, known only after fork: a shell sets it, then execs.
_EXEC_WITH_PID = 'LISTEN_PID=$$ exec "$0" "$@"'


class SocketHolder:
    def __init__(self, rig: Rig, argv: Sequence[str | os.PathLike], *, name: str, port: int = 0,
                 backlog: int = BACKLOG, unix_path: os.PathLike | None = None) -> None:
        """A TCP socket on LOOPBACK:port, or with unix_path a UNIX socket there (mode 0666, as a
        socket unit's SocketMode would open it to Postfix's processes)."""
        self.rig = rig
        self.argv = [str(a) for a in argv]
        self.name = name
        if unix_path is None:
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self.sock.bind((LOOPBACK, port))
            self.port: int = self.sock.getsockname()[1]
        else:
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(str(unix_path))
            os.chmod(unix_path, 0o666)
            self.port = 0
        self.sock.listen(backlog)
        self.proc: subprocess.Popen | None = None
        self.generation = 0

    def _child_setup(self) -> None:
        # Runs in the child between fork and exec: the held socket becomes fd 3, inheritable.
        fd = self.sock.fileno()
        if fd == 3:
            os.set_inheritable(3, True)
        else:
            os.dup2(fd, 3, inheritable=True)

    def start(self) -> subprocess.Popen:
        assert self.proc is None or self.proc.poll() is not None, "an instance is still running"
        self.generation += 1
        logs = self.rig.path("logs")
        logs.mkdir(exist_ok=True)
        with open(logs / f"{self.name}.log", "ab") as log:
            log.write(f"--- socket holder: instance {self.generation}\n".encode())
            log.flush()
            # close_fds=False: Python's own descriptors are not inheritable (PEP 446); fd 3 is.
            self.proc = subprocess.Popen(["/bin/sh", "-c", _EXEC_WITH_PID, *self.argv],
                                         stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         close_fds=False, preexec_fn=self._child_setup,
                                         env=rig_env(self.rig.base_dir, {"LISTEN_FDS": "1"}))
        return self.proc

    def terminate(self, timeout: float = 90) -> tuple[int, float]:
        """SIGTERM and wait for the exit; returns (exit status, seconds it took)."""
        assert self.proc is not None
        started = time.monotonic()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            status = self.proc.wait()
        return status, time.monotonic() - started

    def restart(self, timeout: float = 90) -> tuple[int, float]:
        """Like `systemctl restart` with a socket unit: stop (drain), then start on the same socket."""
        result = self.terminate(timeout)
        self.start()
        return result

    def kill_and_restart(self) -> None:
        """The unclean counterpart: SIGKILL, no drain (shows what the drain is for)."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.start()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.terminate(10)
        self.sock.close()

    def log(self) -> str:
        return self.rig.log_of(self.name)

    def __enter__(self) -> SocketHolder:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
