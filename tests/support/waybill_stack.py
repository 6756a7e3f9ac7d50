"""Waybill on top of the rig: a configuration file, a migrated schema and the daemons.

    with Rig(milters=[milter_address(port)], non_smtpd_milters=[...]) as rig:
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        stack.start_milter(port)

Everything the daemons read (waybill.conf, the token key file) is written into the rig's temp dir.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Mapping

from waybill_rig import Rig, free_port, wait_port

TOKEN_KEY_LINE = "1 " + "5a" * 32


def milter_address(port: int) -> str:
    """The Postfix side of a milter on 127.0.0.1:port."""
    return f"inet:127.0.0.1:{port}"


class WaybillStack:
    def __init__(self, rig: Rig, bin_dir: Path, sections: Mapping[str, Mapping[str, str]] | None = None,
                 tracking_port: int | None = None) -> None:
        self.rig = rig
        self.bin_dir = Path(bin_dir)
        self.tracking_port = tracking_port or free_port()
        self.key_file = rig.path("token.keys")
        self.key_file.write_text(TOKEN_KEY_LINE + "\n")
        self.key_file.chmod(0o644)
        settings: dict[str, dict[str, str]] = {
            "database": {"url": rig.pg.url if rig.pg else ""},
            "tracking": {"base_url": f"http://127.0.0.1:{self.tracking_port}", "key_file": str(self.key_file)},
            "log": {"syslog": "false", "level": "debug"},
        }
        if rig.postfix:  # per-recipient copies go back into this rig's Postfix, not the host's
            settings["milter"] = {"reinject_command": f"/usr/sbin/sendmail -C {rig.postfix.config_dir} -i"}
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
