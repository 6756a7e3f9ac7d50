"""Waybill on top of the rig: a configuration file, a migrated schema and the daemons.

    with milter_rig() as (rig, port):  # or Rig(milters=[milter_address(port)], ...)
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        stack.start_milter(port)

Everything the daemons read (waybill.conf, the token key file) is written into the rig's temp dir.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, Mapping

from waybill_rig import Rig, free_port, wait_port

TOKEN_KEY_LINE = "1 " + "5a" * 32


def milter_address(port: int) -> str:
    """The Postfix side of a milter on 127.0.0.1:port."""
    return f"inet:127.0.0.1:{port}"


@contextlib.contextmanager
def milter_rig(**rig_options) -> Iterator[tuple[Rig, int]]:
    """A rig whose Postfix hands both SMTP and sendmail mail to a milter on a free loopback port:
    yields (rig, port), the port for WaybillStack.start_milter."""
    port = free_port()
    with Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)], **rig_options) as rig:
        yield rig, port


def write_templates(folder: Path, templates: Mapping[str, str]) -> Path:
    """A new template folder (milter.template_dir) holding these files, by name."""
    folder.mkdir()
    for name, text in templates.items():
        (folder / name).write_text(text)
    return folder


def pipe_entry(transport: str, program: Path, config: Path) -> str:
    """A master.cf pipe service running a Waybill pipe program as Postfix's own would, as nobody."""
    return (f"{transport} unix - n n - 10 pipe flags=Rq user=nobody\n"
            f"  argv={program} --config {config} --sender=${{sender}} --recipient=${{recipient}} --queue-id=${{queue_id}}\n")


def route_to_pipes(rig: Rig, stack: WaybillStack, routes: Mapping[str, str], programs: Mapping[str, Path],
                   **settings: str) -> None:
    """Postfix sends mail for each destination in `routes` (a domain or an address) to its transport
    (Postfix's syntax: "waybill-pipe:", "smtp:[127.0.0.1]:PORT"); `programs` are the master.cf pipe
    services (they replace rig.postfix.extra_master), each running that Waybill program for one
    recipient at a time; `settings` go into main.cf with them."""
    transport = rig.path("transport")
    transport.write_text("".join(f"{destination} {route}\n" for destination, route in routes.items()))
    rig.postfix.extra_master = "".join(pipe_entry(service, program, stack.config) for service, program in programs.items())
    rig.postfix.configure({"transport_maps": f"texthash:{transport}",
                           **{f"{service}_destination_recipient_limit": "1" for service in programs}, **settings})


def skip_unless_built(bin_dir: Path, *names: str) -> None:
    """Skips the test when one of these programs was not built."""
    import pytest  # only the tests call this; the benchmarks import this module without pytest

    for name in names:
        if not (bin_dir / name).exists():
            pytest.skip(f"{name} not built")


def pipe_daemon_stack(rig: Rig, bin_dir: Path, bounce_domain: str, log_level: str) -> tuple[WaybillStack, Path]:
    """A migrated stack whose waybill-pipe hands each message to waybill-piped --serve on a unix
    socket in the rig's folder; returns (stack, socket path).

    Postfix runs the client as nobody, the tests run the daemon as root: the socket is 0666 here;
    the package's default is 0660 with both running as waybill."""
    socket_path = rig.path("pipe.sock")
    stack = WaybillStack(rig, bin_dir, sections={
        "pipe": {"bounce_domain": bounce_domain, "socket": f"unix:{socket_path}", "socket_mode": "0666"},
        "log": {"syslog": "false", "stderr": "true", "level": log_level}})
    stack.migrate()
    return stack, socket_path


class WaybillStack:
    def __init__(self, rig: Rig, bin_dir: Path, sections: Mapping[str, Mapping[str, str]] | None = None,
                 tracking_port: int | None = None) -> None:
        self.rig = rig
        self.bin_dir = Path(bin_dir)
        self.tracking_port = tracking_port or free_port()
        self.key_file = rig.path("token.keys")
        self.key_file.write_text(TOKEN_KEY_LINE + "\n")
        # Readable by the pipe transport (user nobody in the rigs) through its group, not by others:
        # a token key file others can read is refused.
        shutil.chown(self.key_file, group="nogroup")
        self.key_file.chmod(0o640)
        settings: dict[str, dict[str, str]] = {
            "database": {"url": rig.pg.url if rig.pg else ""},
            "tracking": {"base_url": f"http://127.0.0.1:{self.tracking_port}", "key_file": str(self.key_file)},
            "log": {"syslog": "false", "level": "debug"},
        }
        if rig.postfix:  # per-recipient copies go back into this rig's Postfix, not the host's
            settings["milter"] = {"reinject_command": f"/usr/sbin/sendmail -C {rig.postfix.config_dir} -i"}
            if rig.postfix.copy_port:  # over SMTP to its copy listener (sendmail: --milter.copy_listener=)
                settings["milter"]["copy_listener"] = f"127.0.0.1:{rig.postfix.copy_port}"
        for section, values in (sections or {}).items():
            settings.setdefault(section, {}).update(values)
        self.config = rig.path("waybill.conf")
        self.write_config(settings)

    def write_config(self, settings: Mapping[str, Mapping[str, str]]) -> None:
        lines = []
        for section, values in settings.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {value}" for key, value in values.items()]
        self.config.write_text("\n".join(lines) + "\n")

    def binary(self, name: str) -> Path:
        return self.bin_dir / name

    def waybill(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Runs the operator command with this stack's configuration."""
        env = dict(os.environ)
        env.setdefault("WAYBILL_MIGRATIONS_DIR", str(Path(__file__).resolve().parents[2] / "sql" / "migrations"))
        return subprocess.run([str(self.binary("waybill")), "--config", str(self.config), *args],
                              capture_output=True, text=True, check=check, env=env, timeout=60)

    def migrate(self) -> str:
        return self.waybill("db", "migrate").stdout

    def start_milter(self, port: int, *extra: str) -> subprocess.Popen:
        proc = self.rig.spawn([self.binary("waybill-milter"), "--config", str(self.config),
                               "--milter.socket", f"inet:{port}@127.0.0.1", *extra], name="waybill-milter")
        wait_port(port)
        return proc


class OnStack:
    """What a test's own helper class on a stack reaches for: the stack, its rig, PostgreSQL and Postfix."""

    def __init__(self, stack: WaybillStack) -> None:
        self.stack = stack
        self.rig = stack.rig
        self.pg = stack.rig.pg
        self.postfix = stack.rig.postfix
