"""The operator's command speaks one language: `--help` and `waybill help COMMAND` exit 0, every
failure has its sysexits status (64 usage, 78 configuration, 75 database unreachable), `suppress`
stores only RFC 5321 addresses and domains under one scope, and a source build finds its
migrations beside the binary."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port  # noqa: E402

COMMANDS = ["api-keys", "db", "dns", "keys", "postfix-setup", "report", "suppress", "schedule", "webhooks"]
DATABASE_COMMANDS = [["suppress", "list"], ["api-keys", "list"], ["schedule", "list"], ["webhooks", "list"], ["db", "migrate"],
                     ["report"], ["suppress", "add", "ann@dest.example", "--global"]]


def run_waybill(bin_dir: Path, *args: str, url: str | None = None, env_extra: dict | None = None
                ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "WAYBILL_MIGRATIONS_DIR"}
    env.update(env_extra or {})
    config = ["--config", "/dev/null"] + (["--database.url", url] if url else [])
    return subprocess.run([str(bin_dir / "waybill"), *config, *args], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.fixture(scope="module")
def pg():
    with Rig(postfix=False) as rig:
        yield rig.pg


@pytest.mark.parametrize("command", COMMANDS)
def test_help_exits_zero_for_every_command(bin_dir: Path, command: str) -> None:
    for args in ([command, "--help"], ["help", command], [command, "-h"]):
        done = run_waybill(bin_dir, *args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.startswith("usage: waybill"), (args, done.stdout)
        assert done.stderr == ""


def test_help_overview_and_unknown_names(bin_dir: Path) -> None:
    overview = run_waybill(bin_dir, "help")
    assert overview.returncode == 0 and all(c in overview.stdout for c in COMMANDS)
    assert run_waybill(bin_dir, "help", "nonsense").returncode == 64
    assert run_waybill(bin_dir, "nonsense").returncode == 64
    assert run_waybill(bin_dir).returncode == 64


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=" ".join)
def test_missing_database_url_is_a_configuration_error(bin_dir: Path, args: list[str]) -> None:
    done = run_waybill(bin_dir, *args)
    assert done.returncode == 78, (done.returncode, done.stderr)
    assert "database.url" in done.stderr


@pytest.mark.parametrize("args", DATABASE_COMMANDS, ids=" ".join)
def test_unreachable_database_is_temporary(bin_dir: Path, args: list[str]) -> None:
    nobody = f"postgresql://postgres@127.0.0.1:{free_port()}/waybill?connect_timeout=2"
    done = run_waybill(bin_dir, *args, url=nobody)
    assert done.returncode == 75, (done.returncode, done.stderr)
    assert "database" in done.stderr


def test_source_build_finds_migrations_beside_the_binary(bin_dir: Path, pg) -> None:
    done = run_waybill(bin_dir, "db", "migrate", url=pg.url)
    assert done.returncode == 0, done.stderr
    assert "applied 0001_initial" in done.stdout or "schema up to date" in done.stdout
    missing = run_waybill(bin_dir, "db", "migrate", "--migrations", "/nonexistent/sql", url=pg.url)
    assert missing.returncode == 66 and "--migrations DIR" in missing.stderr


BAD_SUPPRESSIONS = [
    ["@@", "--global"],
    ["a b@c.example", "--global"],
    ["notanaddress", "--global"],
    ["ann@dest.example", "--sender", "notanaddress"],
    ["ann@dest.example", "--domain", "not a domain"],
    ["ann@dest.example", "--sender", "news@a.example", "--global"],
    ["ann@dest.example", "--global", "--domain", "a.example"],
    ["x" * 65 + "@dest.example", "--global"],
]


def suppressions(pg) -> list[tuple]:
    return pg.query("SELECT recipient, scope, scope_value FROM suppressions ORDER BY 1, 2, 3")


@pytest.mark.parametrize("args", BAD_SUPPRESSIONS, ids=lambda a: " ".join(a)[:40])
def test_suppress_refuses_malformed_input_and_stores_nothing(bin_dir: Path, pg, args: list[str]) -> None:
    assert run_waybill(bin_dir, "db", "migrate", url=pg.url).returncode == 0
    before = suppressions(pg)
    done = run_waybill(bin_dir, "suppress", "add", *args, url=pg.url)
    assert done.returncode == 64, (done.returncode, done.stdout, done.stderr)
    assert done.stderr.startswith("waybill suppress add: ")
    assert suppressions(pg) == before


def test_suppress_accepts_real_addresses_including_idn(bin_dir: Path, pg) -> None:
    assert run_waybill(bin_dir, "db", "migrate", url=pg.url).returncode == 0
    good = [["<Zed@Dest.EXAMPLE>", "--global"],
            ["zed@dest.example", "--sender", "News@A.example"],
            ["zed@dest.example", "--domain", "b\u00fccher.example"],
            ["zed@dest.example", "--domain", "xn--bcher-kva.example"]]
    for args in good:
        done = run_waybill(bin_dir, "suppress", "add", *args, url=pg.url)
        assert done.returncode == 0, (args, done.stderr)
    stored = [row for row in suppressions(pg) if row[0] == "zed@dest.example"]
    assert stored == sorted([("zed@dest.example", "domain", "b\u00fccher.example"),
                             ("zed@dest.example", "domain", "xn--bcher-kva.example"),
                             ("zed@dest.example", "global", ""),
                             ("zed@dest.example", "sender", "news@a.example")])


def test_db_init_creates_role_database_and_schema_idempotently(bin_dir: Path, pg) -> None:
    url = f"postgresql://appowner:s3cret@127.0.0.1:{pg.port}/appdb"
    admin = pg.url_for("postgres")
    first = run_waybill(bin_dir, "db", "init", "--admin-url", admin, url=url)
    assert first.returncode == 0, first.stderr
    assert "role appowner created; database appdb created" in first.stdout
    assert "applied 0001_initial" in first.stdout and "password authentication" in first.stdout
    assert pg.query("SELECT rolcanlogin, rolpassword IS NOT NULL FROM pg_authid WHERE rolname = 'appowner'") == \
        [(True, True)]
    assert pg.query("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'appdb'") == [("appowner",)]
    assert pg.query_in("appdb", "SELECT tableowner FROM pg_tables WHERE tablename = 'messages'") == [("appowner",)]
    again = run_waybill(bin_dir, "db", "init", "--admin-url", admin, url=url)
    assert again.returncode == 0, again.stderr
    assert "role appowner exists; database appdb exists" in again.stdout and "schema up to date" in again.stdout


@pytest.mark.parametrize("url", ["postgresql://127.0.0.1/appdb", "postgresql://Bad-Name@127.0.0.1/appdb",
                                 "postgresql://ok@127.0.0.1/drop;table", "not a url = ="])
def test_db_init_refuses_urls_it_cannot_act_on(bin_dir: Path, url: str) -> None:
    done = run_waybill(bin_dir, "db", "init", url=url)
    assert done.returncode == 78, (done.returncode, done.stderr)
    assert "database.url" in done.stderr


def test_report_with_a_reversed_period_is_a_usage_error(bin_dir: Path, pg) -> None:
    assert run_waybill(bin_dir, "db", "migrate", url=pg.url).returncode == 0
    # Two dates: refused before the database is asked; a relative start: once PostgreSQL resolved it.
    for args, text in ((["--since", "2026-12-10", "--until", "2026-12-01"], "--since 2026-12-10 is not before --until 2026-12-01"),
                       (["--since", "2026-12-01", "--until", "2026-12-01"], "--since 2026-12-01 is not before --until 2026-12-01"),
                       (["--since", "1d", "--until", "2020-01-01"], "is not before --until 2020-01-01")):
        done = run_waybill(bin_dir, "report", *args, url=pg.url)
        assert done.returncode == 64, (args, done.returncode, done.stderr)
        assert done.stderr.startswith("waybill report: empty period: ") and text in done.stderr, done.stderr
    fine = run_waybill(bin_dir, "report", "--since", "2026-11-01", "--until", "2026-11-03", url=pg.url)
    assert fine.returncode == 0, fine.stderr
