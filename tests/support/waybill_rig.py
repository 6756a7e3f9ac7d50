"""Integration test rig: a private PostgreSQL, Postfix and SMTP sink, all on loopback.

Everything lives in one temporary directory and uses ports picked at run time, so several rigs
(ctest runs tests in parallel) never share a socket, a queue or a data directory.

Usage:
    with Rig(milters=[f"inet:127.0.0.1:{milter_port}"]) as rig:
        rig.spawn([bin_dir / "waybill-milter", "--listen", ...], name="milter")
        code, text = rig.postfix.send_smtp("a@example.test", ["b@example.test"], message_bytes)
        assert code == 250
        [msg] = rig.sink.wait_for(1)
        assert msg.email["X-Waybill-Id"]

Must run as root (private Postfix instances and smtp-sink need it); use /usr/bin/python3.
"""

from __future__ import annotations

import contextlib
import email
import email.message
import email.parser
import email.policy
import functools
import json
import os
import re
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping, Sequence

import psycopg2

PG_BIN = Path("/usr/lib/postgresql/15/bin")
SMTP_SINK = "/usr/sbin/smtp-sink"
POSTFIX = "/usr/sbin/postfix"
POSTCONF = "/usr/sbin/postconf"
POSTQUEUE = "/usr/sbin/postqueue"
SENDMAIL = "/usr/sbin/sendmail"
LOOPBACK = "127.0.0.1"

# Every process a rig starts inherits this variable; cleanup finds stragglers by it (and Postfix
# daemons, whose environment master scrubs, by their MAIL_CONFIG).
RIG_ENV = "WAYBILL_RIG_DIR"


# --------------------------------------------------------------------------------------------
# Small helpers


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1 (the kernel picks it; callers retry on a race)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def insert_sent_message(pg: "PgCluster", sender: str, addresses: Sequence[str], subject: str | None = None
                        ) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
    """Rows as the milter records a sent message: its id, its Message-ID header, one recipient id
    per address (for tests that send bounces or reports about it)."""
    message_id = uuid.uuid4()
    header = f"<{message_id}@sender.test>"
    pg.execute("INSERT INTO messages (id, message_id_header, envelope_sender, subject) VALUES (%s, %s, %s, %s)",
               (str(message_id), header, sender, subject))
    ids = []
    for address in addresses:
        rid = uuid.uuid4()
        pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                   (str(rid), str(message_id), address))
        ids.append(rid)
    return message_id, header, ids


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def is_listening(port: int, pid: int | None = None) -> bool:
    """True if something (process `pid`, if given) listens on 127.0.0.1:port.

    Reads /proc/net/tcp instead of connecting, because a probe connection would count as an SMTP
    session (smtp-sink -n, anvil) or clutter a daemon's log. The pid check matters when another
    test grabbed the port first: then somebody listens, but not our daemon.
    """
    wanted = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    inodes = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "0A" and fields[1] in wanted:  # 0A = LISTEN
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes or pid is None:
        return bool(inodes)
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return False
    for fd in fds:
        with contextlib.suppress(OSError):
            if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                return True
    return False


def wait_port(port: int, timeout: float = 10.0, pid: int | None = None) -> None:
    """Wait until a daemon (process `pid`, if given) listens on 127.0.0.1:port, else AssertionError."""
    if not wait_until(lambda: is_listening(port, pid), timeout):
        raise AssertionError(f"nothing listens on {LOOPBACK}:{port} after {timeout}s")


def pid_alive(pid: int) -> bool:
    """True if pid runs. Zombies count as dead: PID 1 on these machines reaps orphans (daemonized
    postmaster, Postfix master) only after a while, and kill(pid, 0) succeeds on zombies."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def stop_process(proc: subprocess.Popen, timeout: float = 5) -> None:
    """SIGTERM, then SIGKILL when it has not exited within `timeout` seconds; waits for the exit."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run(argv: Sequence[str | os.PathLike], *, input: bytes | None = None,
        env: Mapping[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    """Run a command; on failure raise RuntimeError carrying its output (tests print it)."""
    proc = subprocess.run([str(a) for a in argv], input=input, env=env, timeout=timeout,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        out = proc.stdout.decode(errors="replace")
        raise RuntimeError(f"{' '.join(map(str, argv))} exited {proc.returncode}:\n{out}")
    return proc


def rig_env(base_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env[RIG_ENV] = str(base_dir)
    env.update(extra or {})
    return env


def _environ_of(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def descendants(pids: Iterable[int]) -> list[int]:
    """All live descendants of the given processes."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found: list[int] = []
    todo = list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.append(child)
                todo.append(child)
    return [p for p in found if pid_alive(p)]


def rig_pids(markers: Iterable[str]) -> list[int]:
    """Live processes whose environment holds one of the NAME=VALUE markers, and their descendants.

    Descendants are needed because PostgreSQL backends overwrite their inherited environment
    with their ps title.
    """
    wanted = {m.encode() for m in markers}
    me = os.getpid()
    pids = [int(e) for e in os.listdir("/proc")
            if e.isdigit() and int(e) != me and wanted.intersection(_environ_of(int(e)))]
    pids = [p for p in pids if pid_alive(p)]
    return pids + [d for d in descendants(pids) if d not in pids and d != me]


def kill_pids(pids: Iterable[int], grace: float = 3.0) -> None:
    """SIGTERM, then SIGKILL whatever is still alive after `grace` seconds."""
    pids = list(pids)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        if wait_until(lambda: not any(pid_alive(p) for p in pids), grace):
            return


def make_traversable(path: Path) -> None:
    """Add o+x to `path` and its parents where missing, so postgres/postfix/nobody can reach it."""
    for p in [path, *path.parents]:
        mode = p.stat().st_mode
        if not mode & 0o001:
            p.chmod(mode | 0o001)


def _chown(path: Path, user: str) -> None:
    shutil.chown(path, user=user, group=user if user != "nobody" else "nogroup")


# --------------------------------------------------------------------------------------------
# PostgreSQL


def query_and_close(conn, sql: str, params: Sequence | Mapping | None = None) -> list[tuple]:
    """Runs one statement on a psycopg2 connection, then closes it; rows as tuples ([] if none)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


class PgCluster:
    """A throw-away PostgreSQL 15 cluster on 127.0.0.1 with a `waybill` database.

    stop()/start() keep the data and the port, so tests can simulate a database outage.
    """

    def __init__(self, base_dir: str | os.PathLike, port: int | None = None) -> None:
        self.base_dir = Path(base_dir)
        self.dir = self.base_dir / "pg"
        self.data_dir = self.dir / "data"
        self.sock_dir = self.dir / "sock"
        self.log_file = self.dir / "postgres.log"
        self._port_fixed = port is not None
        self._port = port or free_port()
        self._ever_started = False

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self._port}/waybill"

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@{LOOPBACK}:{self._port}/{dbname}"

    def _pg(self, tool: str, *args: str | os.PathLike, timeout: float = 60) -> subprocess.CompletedProcess:
        # The server and its tools refuse to run as root.
        return run(["runuser", "-u", "postgres", "--", PG_BIN / tool, *args],
                   env=rig_env(self.base_dir), timeout=timeout)

    def _init(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        make_traversable(self.dir)
        self.sock_dir.mkdir(exist_ok=True)
        for d in (self.dir, self.sock_dir):
            _chown(d, "postgres")
        self._pg("initdb", "-D", self.data_dir, "-A", "trust", "--no-sync", "-E", "UTF8",
                 "--no-locale", "-U", "postgres")
        with open(self.data_dir / "postgresql.conf", "a") as f:
            f.write("\ninclude = 'rig.conf'\n")
        self._write_conf()

    def _write_conf(self) -> None:
        # fsync is pointless for a throw-away database. synchronous_commit stays on: with it off,
        # kill() (a crash) would lose commits that clients already saw succeed.
        conf = f"""
port = {self._port}
listen_addresses = '{LOOPBACK}'
unix_socket_directories = '{self.sock_dir}'
fsync = off
full_page_writes = off
shared_buffers = 16MB
max_connections = 100
log_min_messages = warning
"""
        path = self.data_dir / "rig.conf"
        path.write_text(conf)
        _chown(path, "postgres")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (FileNotFoundError, ValueError):
            return None

    def is_running(self) -> bool:
        pid = self._postmaster_pid()
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if not self.data_dir.exists():
            self._init()
        if self.is_running():
            return
        for attempt in range(5):
            try:
                self._pg("pg_ctl", "-D", self.data_dir, "-l", self.log_file, "-w", "-t", "30", "start")
                break
            except RuntimeError:
                log = self.log_file.read_text(errors="replace") if self.log_file.exists() else ""
                # Another test may have taken the port between free_port() and bind(): pick
                # again, but only before clients have seen our URL.
                if self._port_fixed or self._ever_started or "could not bind" not in log or attempt == 4:
                    raise RuntimeError(f"PostgreSQL did not start; log tail:\n{log[-3000:]}") from None
                self._port = free_port()
                self._write_conf()
        if not self._ever_started:
            self.execute_in("postgres", "CREATE DATABASE waybill")
            self._ever_started = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server ('fast' disconnects clients; 'immediate' simulates a crash)."""
        if self.is_running():
            self._pg("pg_ctl", "-D", self.data_dir, "-m", mode, "-w", "-t", "30", "stop")

    def kill(self) -> None:
        """SIGKILL the postmaster and its backends: a crash without shutdown (start() recovers)."""
        pid = self._postmaster_pid()
        if pid is None or not pid_alive(pid):
            return
        pids = [pid, *descendants([pid])]
        for p in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, signal.SIGKILL)
        wait_until(lambda: not any(pid_alive(p) for p in pids), 5)
        # PID 1 here may reap late; while the postmaster is a zombie, kill(pid, 0) still succeeds
        # and the next postmaster would refuse to start over the lock files. They are stale now.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        (self.sock_dir / f".s.PGSQL.{self._port}.lock").unlink(missing_ok=True)

    @contextlib.contextmanager
    def hung(self) -> Iterator[None]:
        """SIGSTOP this cluster's postmaster and every process under it (its backends): a server
        that accepts TCP but never answers, for as long as the block runs; SIGCONT always after."""
        pid = self._postmaster_pid()
        assert pid is not None and pid_alive(pid), "PostgreSQL is not running"
        pids = [pid, *descendants([pid])]
        try:
            for p in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGSTOP)
            yield
        finally:
            for p in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(p, signal.SIGCONT)

    def _connect(self, dbname: str = "waybill"):
        conn = psycopg2.connect(self.url_for(dbname), connect_timeout=5)
        conn.autocommit = True
        return conn

    def query(self, sql: str, params: Sequence | Mapping | None = None) -> list[tuple]:
        """Run one statement on a fresh autocommit connection; rows as tuples ([] if none)."""
        return self.query_in("waybill", sql, params)

    def query_in(self, dbname: str, sql: str, params: Sequence | Mapping | None = None) -> list[tuple]:
        return query_and_close(self._connect(dbname), sql, params)

    def execute(self, sql: str, params: Sequence | Mapping | None = None) -> int:
        """Run one statement (or several, without params); returns the row count."""
        return self.execute_in("waybill", sql, params)

    def execute_in(self, dbname: str, sql: str, params: Sequence | Mapping | None = None) -> int:
        conn = self._connect(dbname)
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.rowcount
        finally:
            conn.close()


# --------------------------------------------------------------------------------------------
# SMTP sink


@dataclass
class SinkMessage:
    """One mail transaction captured by smtp-sink."""

    path: Path
    sender: str  # envelope MAIL FROM address, without <>
    recipients: list[str]  # envelope RCPT TO addresses, in order
    mail_args: str  # the whole MAIL FROM argument, e.g. "<a@x> SIZE=123 BODY=8BITMIME"
    rcpt_args: list[str]  # the whole RCPT TO arguments (NOTIFY=, ORCPT=...)
    raw: bytes  # the message as sent over SMTP (CRLF line ends, dot-unstuffed)

    @functools.cached_property
    def email(self) -> email.message.Message:
        return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(self.raw)


_ANGLE_ADDR = re.compile(r"<([^>]*)>")


def _envelope_address(args: str) -> str:
    m = _ANGLE_ADDR.match(args.strip())
    return m.group(1) if m else args.strip().split(" ", 1)[0]


def parse_sink_file(path: Path) -> SinkMessage | None:
    """Parse one smtp-sink -d dump; None if it is not a complete dump.

    Layout (LF line ends): X-Client-Addr, X-Client-Proto, [X-Helo-Args], X-Mail-Args, one
    X-Rcpt-Args per RCPT, a three-line "Received: ... (smtp-sink)" header, the message lines as
    received (dot-unstuffed), then one empty line.
    """
    data = path.read_bytes()
    if not data.endswith(b"\n"):
        return None
    lines = data[:-1].split(b"\n")  # the final split element is the trailing empty line
    try:
        received = next(i for i, line in enumerate(lines) if line.startswith(b"Received: "))
    except StopIteration:
        return None
    mail_args, rcpt_args = None, []
    for line in lines[:received]:
        name, _, value = line.partition(b": ")
        if name == b"X-Mail-Args":
            mail_args = value.decode("utf-8", "surrogateescape")
        elif name == b"X-Rcpt-Args":
            rcpt_args.append(value.decode("utf-8", "surrogateescape"))
    if mail_args is None:
        return None
    i = received + 1
    # The message's own first line is a header name, never a continuation line.
    while i < len(lines) and lines[i][:1] in (b"\t", b" "):
        i += 1
    body_lines = lines[i:]
    if not body_lines or body_lines[-1] != b"":
        return None
    raw = b"\r\n".join(body_lines[:-1]) + b"\r\n"
    return SinkMessage(path=path, sender=_envelope_address(mail_args),
                       recipients=[_envelope_address(a) for a in rcpt_args],
                       mail_args=mail_args, rcpt_args=rcpt_args, raw=raw)


class Sink:
    """Postfix's smtp-sink on 127.0.0.1, dumping one file per mail transaction.

    mode: 'accept' (250), 'tempfail' (every RCPT gets 450 4.3.0, smtp-sink -r) or 'reject'
    (every RCPT gets 500 5.3.0, smtp-sink -f); both failing modes also turn off PIPELINING.
    Construction starts it; stop()/start() keep the port (relay outage tests).
    """

    MODES = {"accept": [], "tempfail": ["-r", "RCPT"], "reject": ["-f", "RCPT"], "accept-7bit": ["-8"]}

    def __init__(self, base_dir: str | os.PathLike, port: int | None = None, mode: str = "accept",
                 start: bool = True) -> None:
        if mode not in self.MODES:
            raise ValueError(f"unknown sink mode {mode!r}")
        self.base_dir = Path(base_dir)
        self.dir = self.base_dir / "sink"
        self.msg_dir = self.dir / "messages"
        self.log_file = self.dir / "smtp-sink.log"
        self.mode = mode
        self._port_fixed = port is not None
        self._port = port or free_port()
        self._ever_started = False
        self._proc: subprocess.Popen | None = None
        self._parsed: dict[Path, SinkMessage] = {}  # complete dumps never change
        # Set by Rig so that a wait_for() timeout also shows Postfix's queue and log.
        self.diagnostics: Callable[[], str] | None = None
        self.msg_dir.mkdir(parents=True, exist_ok=True)
        make_traversable(self.msg_dir)
        _chown(self.msg_dir, "nobody")  # smtp-sink writes as the -u user
        if start:
            self.start()

    @property
    def port(self) -> int:
        return self._port

    def start(self) -> None:
        if self._proc and self._proc.poll() is None:
            return
        for attempt in range(5):
            argv = [SMTP_SINK, "-u", "nobody", "-4", *self.MODES[self.mode],
                    "-d", f"{self.msg_dir}/%Y%m%d%H%M%S.", f"{LOOPBACK}:{self._port}", "64"]
            with open(self.log_file, "ab") as log:
                self._proc = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                              env=rig_env(self.base_dir))
            proc = self._proc
            if wait_until(lambda: is_listening(self._port, proc.pid) or proc.poll() is not None, 10):
                if proc.poll() is None:
                    self._ever_started = True
                    return
            if self._port_fixed or self._ever_started or attempt == 4:
                self.stop()
                raise RuntimeError(f"smtp-sink did not start on port {self._port}:\n"
                                   + self.log_file.read_text(errors="replace"))
            self._port = free_port()  # lost a race for the port; the caller has not seen it yet

    def stop(self) -> None:
        if self._proc is None:
            return
        stop_process(self._proc)
        self._proc = None

    def _open_files(self) -> set[str]:
        # smtp-sink keeps a dump open for the whole transaction: skip those, they are incomplete.
        if self._proc is None or self._proc.poll() is not None:
            return set()
        fd_dir = f"/proc/{self._proc.pid}/fd"
        names = set()
        try:
            for fd in os.listdir(fd_dir):
                try:
                    names.add(os.readlink(f"{fd_dir}/{fd}"))
                except OSError:
                    pass
        except OSError:
            pass
        return names

    def _complete_files(self) -> list[Path]:
        open_now = self._open_files()
        files = [p for p in self.msg_dir.iterdir() if p.is_file() and str(p) not in open_now]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def messages(self) -> list[SinkMessage]:
        """Completely received messages, oldest first."""
        msgs = []
        for path in self._complete_files():
            msg = self._parsed.get(path)
            if msg is None:
                try:
                    msg = parse_sink_file(path)
                except FileNotFoundError:  # clear() raced us
                    continue
                if msg is None:
                    continue
                self._parsed[path] = msg
            msgs.append(msg)
        return msgs

    def wait_for(self, count: int, timeout: float = 20) -> list[SinkMessage]:
        """Messages once at least `count` arrived, else AssertionError with diagnostics."""
        msgs: list[SinkMessage] = []

        def enough() -> bool:
            nonlocal msgs
            msgs = self.messages()
            return len(msgs) >= count

        if wait_until(enough, timeout, 0.1):
            return msgs
        details = [f"sink on port {self._port} got {len(msgs)} of {count} message(s) in {timeout}s"]
        details += [f"  {m.path.name}: {m.sender} -> {m.recipients}" for m in msgs]
        if self._proc is None or self._proc.poll() is not None:
            details.append("  smtp-sink is not running")
        if self.diagnostics:
            details.append(self.diagnostics())
        raise AssertionError("\n".join(details))

    def clear(self) -> None:
        """Forget the messages received so far."""
        for path in self._complete_files():
            path.unlink(missing_ok=True)
        self._parsed.clear()


# --------------------------------------------------------------------------------------------
# Postfix

# master.cf: the stock Debian services minus chroot (a chroot would need a populated
# queue_directory/etc and would hide the test's files), minus tlsmgr and the pipe examples.
_MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
{listen} inet n       -       n       -       -       smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
        -o syslog_name=postfix/$service_name
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


# The smtpd that takes waybill-milter's per-recipient copies, as `waybill postfix-setup` writes it
# (core/postfix/setup_plan.cpp, copyListenerEntry): loopback only, no client restrictions, the
# milters of smtpd_milters.
COPY_LISTENER_OPTIONS = (
    "syslog_name=postfix/waybill-copy", "mynetworks=127.0.0.0/8", "smtpd_client_restrictions=",
    "smtpd_helo_restrictions=", "smtpd_sender_restrictions=", "smtpd_relay_restrictions=permit_mynetworks,reject",
    "smtpd_recipient_restrictions=permit_mynetworks,reject", "smtpd_data_restrictions=",
    "smtpd_end_of_data_restrictions=", "smtpd_proxy_filter=", "smtpd_sasl_auth_enable=no",
    "smtpd_tls_security_level=none", "smtpd_client_connection_count_limit=0",
    "smtpd_client_connection_rate_limit=0", "smtpd_client_message_rate_limit=0",
    "smtpd_client_recipient_rate_limit=0")


def copy_listener_entry(listen: str) -> str:
    return f"{listen} inet n - n - 20 smtpd\n" + "".join(f"  -o {o}\n" for o in COPY_LISTENER_OPTIONS)


class Postfix:
    """A private Postfix instance relaying everything to 127.0.0.1:relay_port.

    With milters, master.cf also has the copy listener for waybill-milter's per-recipient copies
    on 127.0.0.1:copy_port (copy_listener_entry).

    milters / non_smtpd_milters: lists like ["inet:127.0.0.1:PORT"]; policy_service: a string
    like "inet:127.0.0.1:PORT" (checked before permit_mynetworks); extra_main: main.cf settings
    that override the rig's; extra_master: text appended to master.cf.
    """

    def __init__(self, base_dir: str | os.PathLike, relay_port: int,
                 milters: Sequence[str] | None = None,
                 non_smtpd_milters: Sequence[str] | None = None,
                 policy_service: str | None = None,
                 extra_main: Mapping[str, str] | None = None,
                 extra_master: str = "") -> None:
        self.base_dir = Path(base_dir)
        self.dir = self.base_dir / "postfix"
        self._config_dir = self.dir / "etc"
        self.queue_dir = self.dir / "queue"
        self.data_dir = self.dir / "data"
        self.log_file = self.dir / "maillog"
        self.relay_port = relay_port
        self.extra_master = extra_master
        self._smtp_port = free_port()
        self.copy_port = free_port() if milters else None
        self._copy_listener_on = True
        self._ever_started = False

        self._config_dir.mkdir(parents=True, exist_ok=True)
        self.queue_dir.mkdir(exist_ok=True)  # root-owned; post-install creates its subdirs
        self.data_dir.mkdir(exist_ok=True)
        _chown(self.data_dir, "postfix")
        make_traversable(self.data_dir)

        relay = f"[{LOOPBACK}]:{relay_port}"
        recipient_checks = ["permit_mynetworks", "reject"]
        if policy_service:
            recipient_checks.insert(0, f"check_policy_service {policy_service}")
        main = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue_dir),
            "data_directory": str(self.data_dir),
            "mail_owner": "postfix",
            "setgid_group": "postdrop",
            "myhostname": "waybill-test.localdomain",
            "mydomain": "localdomain",
            "myorigin": "$myhostname",
            "mydestination": "",
            "alias_maps": "",
            "alias_database": "",
            "inet_interfaces": LOOPBACK,
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "relayhost": relay,
            "default_transport": f"smtp:{relay}",
            "relay_transport": f"smtp:{relay}",
            "smtp_dns_support_level": "disabled",
            "lmtp_dns_support_level": "disabled",
            "smtpd_recipient_restrictions": ", ".join(recipient_checks),
            "biff": "no",
            "append_dot_mydomain": "no",
            "disable_mime_output_conversion": "yes",  # as postfix-conf/ recommends: keeps DKIM bodies intact
            # Logging without syslog: the postlog service writes this file.
            "maillog_file": str(self.log_file),
            "maillog_file_prefixes": str(self.base_dir),
            # Retry deferred mail within a second or two so outage tests stay short.
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        if milters or non_smtpd_milters:
            main.update({"milter_default_action": "tempfail", "milter_protocol": "6"})
        if milters:
            main["smtpd_milters"] = ", ".join(milters)
        if non_smtpd_milters:
            main["non_smtpd_milters"] = ", ".join(non_smtpd_milters)
        main.update(extra_main or {})
        self.main_cf = main
        self._write_config()

    @property
    def config_dir(self) -> Path:
        return self._config_dir

    @property
    def smtp_port(self) -> int:
        return self._smtp_port

    def _write_config(self) -> None:
        lines = [f"{k} = {v}" for k, v in self.main_cf.items()]
        (self._config_dir / "main.cf").write_text("\n".join(lines) + "\n")
        master = _MASTER_CF.format(listen=f"{LOOPBACK}:{self._smtp_port}")
        if self.copy_port and self._copy_listener_on:
            master += copy_listener_entry(f"{LOOPBACK}:{self.copy_port}")
        (self._config_dir / "master.cf").write_text(master + self.extra_master + "\n")
        # Postfix waits (in 0.3 s steps, ~2 s) until a freshly modified main.cf is a little old,
        # in case an editor is still writing it; backdating the files skips that wait.
        past = time.time() - 10
        for name in ("main.cf", "master.cf"):
            os.utime(self._config_dir / name, (past, past))

    def _env(self) -> dict[str, str]:
        return rig_env(self.base_dir, {"MAIL_CONFIG": str(self._config_dir)})

    def _master_pid(self) -> int | None:
        try:
            return int((self.queue_dir / "pid" / "master.pid").read_text().split()[0])
        except (FileNotFoundError, ValueError, IndexError):
            return None

    def is_running(self) -> bool:
        pid = self._master_pid()
        return pid is not None and pid_alive(pid)

    def start(self) -> None:
        if self.is_running():
            return
        self._let_mail_owner_log()
        for attempt in range(5):
            try:
                # Sets up queue directories and permissions the first time (~2 s), then starts
                # master and waits for its initialization (listeners bound) to finish.
                run([POSTFIX, "-c", self._config_dir, "start"], env=self._env())
                wait_port(self._smtp_port, pid=self._master_pid())
                self._ever_started = True
                return
            except (RuntimeError, AssertionError):
                self.stop()
                if self._ever_started or attempt == 4 or "Address already in use" not in self.log_text():
                    raise RuntimeError("postfix did not start; log:\n" + self.log_text()[-4000:])
                self._smtp_port = free_port()  # lost a race for the port before anyone saw it
                self.copy_port = free_port() if self.copy_port else None
                self._write_config()

    def _let_mail_owner_log(self) -> None:
        """While Postfix is down, postsuper writes $maillog_file itself, after it has dropped to
        mail_owner; a warning (a temporary file a killed cleanup left in incoming/) would then make
        it fail on the root-owned file and `postfix start` with it. postlogd (root) appends either way."""
        if self.log_file.exists():
            _chown(self.log_file, "postfix")

    def stop(self) -> None:
        """Stop master and all its daemons; returns when they are gone."""
        pid = self._master_pid()
        if pid is not None and pid_alive(pid):
            # `postfix stop` polls at 1 s intervals; signalling master directly is faster.
            os.kill(pid, signal.SIGTERM)
            if not wait_until(lambda: not pid_alive(pid), 10):
                os.kill(pid, signal.SIGKILL)
        # Daemons normally exit with master; catch any that linger (they carry MAIL_CONFIG).
        leftovers = rig_pids([f"MAIL_CONFIG={self._config_dir}"])
        if leftovers and not wait_until(lambda: not rig_pids([f"MAIL_CONFIG={self._config_dir}"]), 2):
            kill_pids(rig_pids([f"MAIL_CONFIG={self._config_dir}"]))

    def reload(self) -> None:
        run([POSTFIX, "-c", self._config_dir, "reload"], env=self._env())

    def set_copy_listener(self, on: bool) -> None:
        """Adds or removes the copy listener's master.cf entry and reloads (master stops its smtpds)."""
        self._copy_listener_on = on
        self._write_config()
        if self.is_running():
            self.reload()

    def configure(self, settings: Mapping[str, str], reload: bool = True) -> None:
        """Change main.cf settings (and reload if running)."""
        self.main_cf.update(settings)
        self._write_config()
        if reload and self.is_running():
            self.reload()

    def postconf(self, name: str) -> str:
        """The effective value of a main.cf parameter."""
        out = run([POSTCONF, "-c", self._config_dir, "-h", name], env=self._env()).stdout
        return out.decode().strip()

    def send_smtp(self, sender: str, recipients: Sequence[str], data_bytes: bytes,
                  helo: str = "client.waybill-test.localdomain",
                  timeout: float = 60) -> tuple[int, str]:
        """Submit one message over SMTP; returns the final reply (code, text).

        Never raises for 4xx/5xx: the first failing reply (greeting, MAIL, RCPT, DATA or the
        end of data) is returned instead. Bare LFs in data_bytes become CRLF.
        """
        try:
            # local_hostname avoids getfqdn(), i.e. a DNS lookup.
            with smtplib.SMTP(LOOPBACK, self._smtp_port, local_hostname=helo, timeout=timeout) as s:
                code, text = s.ehlo()
                if code != 250:
                    return code, text.decode(errors="replace")
                code, text = s.mail(sender)
                if code != 250:
                    return code, text.decode(errors="replace")
                for rcpt in recipients:
                    code, text = s.rcpt(rcpt)
                    if code not in (250, 251):
                        return code, text.decode(errors="replace")
                code, text = s.data(data_bytes)
                return code, text.decode(errors="replace")
        except smtplib.SMTPConnectError as e:  # 4xx/5xx greeting
            return e.smtp_code, e.smtp_error.decode(errors="replace")
        except smtplib.SMTPDataError as e:  # DATA refused before any data was sent
            return e.smtp_code, e.smtp_error.decode(errors="replace")
        except smtplib.SMTPServerDisconnected as e:
            return 421, f"disconnected: {e}"

    def sendmail(self, sender: str, recipients: Sequence[str], data_bytes: bytes,
                 timeout: float = 60) -> subprocess.CompletedProcess:
        """Submit via /usr/sbin/sendmail (the non-SMTP path: pickup + non_smtpd_milters).

        -i: a line with a single dot is message content, not the end of input.
        """
        return run([SENDMAIL, "-C", self._config_dir, "-i", "-f", sender, "--", *recipients],
                   input=data_bytes, env=self._env(), timeout=timeout)

    def queue(self) -> list[dict]:
        """The queue as parsed `postqueue -j` records (queue_name, queue_id, recipients...)."""
        out = run([POSTQUEUE, "-c", self._config_dir, "-j"], env=self._env()).stdout
        return [json.loads(line) for line in out.decode().splitlines() if line.strip()]

    def flush(self) -> None:
        run([POSTQUEUE, "-c", self._config_dir, "-f"], env=self._env())

    def log_text(self) -> str:
        try:
            return self.log_file.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, pattern: str, timeout: float = 20) -> re.Match:
        """Wait until the maillog matches a regex; returns the match, else AssertionError."""
        rx = re.compile(pattern, re.MULTILINE)
        found: list[re.Match] = []

        def matched() -> bool:
            m = rx.search(self.log_text())
            if m:
                found.append(m)
            return m is not None

        if not wait_until(matched, timeout, 0.1):
            raise AssertionError(f"{pattern!r} not in maillog after {timeout}s\n{self.diagnostics()}")
        return found[0]

    def wait_queue_empty(self, timeout: float = 20) -> None:
        if not wait_until(lambda: not self.queue(), timeout, 0.1):
            raise AssertionError(f"queue not empty after {timeout}s\n{self.diagnostics()}")

    def diagnostics(self, log_lines: int = 40) -> str:
        try:
            queue = json.dumps(self.queue(), indent=1)
        except RuntimeError as e:
            queue = str(e)
        tail = "\n".join(self.log_text().splitlines()[-log_lines:])
        return f"postfix queue:\n{queue}\nmaillog tail:\n{tail}"


# --------------------------------------------------------------------------------------------
# The whole rig


class Rig:
    """PgCluster + Sink + Postfix in one temp dir; a context manager that always cleans up.

    Set WAYBILL_KEEP_TMP=1 to keep the directory (logs, queue, sink files) for inspection.
    """

    def __init__(self, *, milters: Sequence[str] | None = None,
                 non_smtpd_milters: Sequence[str] | None = None,
                 policy_service: str | None = None,
                 extra_main: Mapping[str, str] | None = None,
                 extra_master: str = "",
                 sink_mode: str = "accept",
                 postgres: bool = True,
                 postfix: bool = True) -> None:
        self._options = dict(milters=milters, non_smtpd_milters=non_smtpd_milters,
                             policy_service=policy_service, extra_main=extra_main,
                             extra_master=extra_master)
        self._sink_mode = sink_mode
        self._want_pg = postgres
        self._want_postfix = postfix
        self.base_dir: Path | None = None
        self.pg: PgCluster | None = None
        self.sink: Sink | None = None
        self.postfix: Postfix | None = None
        self._spawned: list[subprocess.Popen] = []

    def __enter__(self) -> Rig:
        self.base_dir = Path(tempfile.mkdtemp(prefix="waybill-rig-", dir="/tmp"))
        # postgres and the unprivileged Postfix daemons must traverse it.
        self.base_dir.chmod(0o755)
        try:
            if self._want_pg:
                self.pg = PgCluster(self.base_dir)
                self.pg.start()
            if self._want_postfix:
                self.sink = Sink(self.base_dir, mode=self._sink_mode)
                self.postfix = Postfix(self.base_dir, self.sink.port, **self._options)
                self.sink.diagnostics = self.postfix.diagnostics
                self.postfix.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def path(self, *parts: str) -> Path:
        """A path inside the rig's temp dir (for configs, keys, logs of the daemons under test)."""
        assert self.base_dir is not None, "rig not entered"
        return self.base_dir.joinpath(*parts)

    def spawn(self, argv: Sequence[str | os.PathLike], *, name: str | None = None,
              env: Mapping[str, str] | None = None, cwd: str | os.PathLike | None = None) -> subprocess.Popen:
        """Start a daemon under test; output goes to <rig>/logs/<name>.log; killed at close()."""
        assert self.base_dir is not None, "rig not entered"
        logs = self.path("logs")
        logs.mkdir(exist_ok=True)
        name = name or Path(str(argv[0])).name
        with open(logs / f"{name}.log", "ab") as log:
            proc = subprocess.Popen([str(a) for a in argv], stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL, cwd=cwd,
                                    env=rig_env(self.base_dir, env))
        self._spawned.append(proc)
        return proc

    def log_of(self, name: str) -> str:
        try:
            return self.path("logs", f"{name}.log").read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def close(self) -> None:
        if self.base_dir is None:
            return
        # Clients before servers: Postfix uses the daemons under test, they use PostgreSQL.
        steps: list[Callable[[], None]] = [
            *([self.postfix.stop] if self.postfix else []),
            *[functools.partial(stop_process, p) for p in reversed(self._spawned)],
            *[s.stop for s in (self.sink, self.pg) if s is not None],
        ]
        for step in steps:
            try:
                step()
            except Exception as e:  # keep going: every process must be stopped
                print(f"waybill_rig: cleanup step failed: {e}", file=sys.stderr)
        markers = [f"{RIG_ENV}={self.base_dir}"]
        if self.postfix is not None:
            markers.append(f"MAIL_CONFIG={self.postfix.config_dir}")
        kill_pids(rig_pids(markers))
        if os.environ.get("WAYBILL_KEEP_TMP") == "1":
            print(f"waybill_rig: kept {self.base_dir}", file=sys.stderr)
        else:
            shutil.rmtree(self.base_dir, ignore_errors=True)
        self.base_dir = None
