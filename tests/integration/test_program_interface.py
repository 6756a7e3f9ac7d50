"""Every program and every `waybill` subcommand speaks one interface (README, "help and exit
statuses"): --help prints usage on stdout and exits 0; an unknown option is one line on stderr
naming it and exits 64 (75 for the pipe transport, which Postfix must never read as a bounce);
a configuration file that is missing or wrong exits 78 (75 for the pipe transport) with one
line naming the option. `waybill`'s top-level commands are covered in test_cli_operator.py;
this covers the daemons and each sub-subcommand. No database or Postfix; about 3 s."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

BOGUS = "--no-such-option"


@dataclass
class Program:
    name: str
    usage_status: int = 64
    config_status: int | None = 78   # None: the program reads no configuration file
    sections: tuple[str, ...] = ()   # [sections] whose keys its --help lists
    not_sections: tuple[str, ...] = ()
    program_options: tuple[str, ...] = field(default=())


PROGRAMS = [
    Program("waybill-milter", sections=("database", "tracking", "milter", "dkim", "pipe"), not_sections=("trackd", "webhooks", "logd")),
    Program("waybill-policyd", sections=("database", "policyd"), not_sections=("milter", "trackd", "dkim")),
    Program("waybill-trackd", sections=("database", "tracking", "trackd"), not_sections=("milter", "policyd", "dkim")),
    Program("waybill-webhookd", sections=("database", "webhooks"), not_sections=("milter", "tracking", "trackd")),
    Program("waybill-logd", sections=("database", "logd"), not_sections=("milter", "trackd", "webhooks")),
    Program("waybill-piped", usage_status=75, config_status=75, sections=("pipe",), not_sections=("milter", "trackd"),
            program_options=("--serve", "--classify-only")),
    Program("waybill-pipe", usage_status=75, config_status=75, sections=("pipe",), not_sections=("milter", "trackd"),
            program_options=("--classify-only",)),
    Program("waybill-hold-helper", config_status=None),
    Program("waybill", sections=("database", "milter", "dns", "trackd", "policyd")),
]


def run(bin_dir: Path, name: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(bin_dir / name), *args], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)


def one_line(text: str) -> str:
    lines = text.splitlines()
    assert len(lines) == 1, text
    return lines[0]


@pytest.mark.parametrize("program", PROGRAMS, ids=lambda p: p.name)
def test_help_usage_and_configuration_errors(bin_dir: Path, program: Program) -> None:
    help_ = run(bin_dir, program.name, "--help")
    assert help_.returncode == 0 and help_.stderr == "", help_.stderr
    assert help_.stdout.lower().startswith(f"usage: {program.name}"), help_.stdout[:200]
    for section in program.sections:
        assert f"--{section}." in help_.stdout, section
    for section in program.not_sections:
        assert f"--{section}." not in help_.stdout, section
    for option in program.program_options:
        assert option in help_.stdout, option
    if program.name == "waybill-pipe":
        assert not re.search(r"^\s+--serve\b", help_.stdout, re.M)  # only the resident waybill-piped serves

    bogus = run(bin_dir, program.name, BOGUS)
    assert bogus.returncode == program.usage_status, bogus.stderr
    assert BOGUS in one_line(bogus.stderr) and one_line(bogus.stderr).startswith(program.name + ":")
    assert bogus.stdout == ""

    if program.config_status is None:
        return
    version = run(bin_dir, program.name, "--version")
    assert version.returncode == 0 and version.stdout.startswith(program.name + " "), version.stdout
    missing = run(bin_dir, program.name, "--config", "/nonexistent/waybill.conf")
    assert missing.returncode == program.config_status, missing.stderr
    assert "/nonexistent/waybill.conf" in one_line(missing.stderr)


@pytest.mark.parametrize("program", [p for p in PROGRAMS if p.config_status], ids=lambda p: p.name)
def test_a_wrong_value_in_the_file_is_a_configuration_error(bin_dir: Path, program: Program, tmp_path: Path) -> None:
    for text, key in (("[log]\nlevel = loud\n", "log.level"), ("[milter]\nno_such_key = 1\n", "milter.no_such_key"),
                      ("[dns]\nresolver = localhost\n", "dns.resolver")):
        config = tmp_path / "waybill.conf"
        config.write_text(text)
        done = run(bin_dir, program.name, "--config", str(config), *(["report"] if program.name == "waybill" else []))
        assert done.returncode == program.config_status, (text, done.stderr)
        assert key in one_line(done.stderr), (text, done.stderr)


# Each `waybill` subcommand with its sub-subcommand, as the overview lists them.
SUBCOMMANDS = [["db", "init"], ["db", "migrate"], ["db", "prune"], ["dns", "check"], ["dns", "records"],
               ["keys", "token"], ["keys", "generate"], ["postfix-setup"], ["report"], ["suppress", "add"],
               ["suppress", "remove"], ["suppress", "list"], ["schedule", "list"], ["schedule", "cancel"],
               ["webhooks", "list"], ["webhooks", "test"], ["webhooks", "replay"]]


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help_and_refuses_unknown_options(bin_dir: Path, args: list[str]) -> None:
    # No database.url: a subcommand that connected before reading its arguments would say 78.
    base = ["--config", "/dev/null"]
    for help_flag in ("--help", "-h"):
        help_ = run(bin_dir, "waybill", *base, *args, help_flag)
        assert help_.returncode == 0 and help_.stderr == "", (help_flag, help_.stderr)
        assert help_.stdout.startswith("usage: waybill ") and args[0] in help_.stdout.splitlines()[0], help_.stdout
        assert " ".join(args) in help_.stdout
    bogus = run(bin_dir, "waybill", *base, *args, BOGUS)
    assert bogus.returncode == 64, (bogus.returncode, bogus.stderr)
    first = bogus.stderr.splitlines()[0]
    assert first.startswith(f"waybill {args[0]}") and BOGUS in first, bogus.stderr
    missing_config = run(bin_dir, "waybill", "--config", "/nonexistent/waybill.conf", *args)
    assert missing_config.returncode == 78 and "/nonexistent/waybill.conf" in one_line(missing_config.stderr)


def test_global_option_mistakes_are_usage_errors(bin_dir: Path) -> None:
    done = run(bin_dir, "waybill", BOGUS, "report")
    assert done.returncode == 64 and BOGUS in one_line(done.stderr)
    done = run(bin_dir, "waybill", "--config", "/dev/null", "--database.pool_size", "many", "report")
    assert done.returncode == 64 and "database.pool_size" in one_line(done.stderr)
