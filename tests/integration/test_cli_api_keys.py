"""`waybill api-keys`: a key is printed once, alone on the last line, and only its digest is stored;
names and sender domains are checked before anything is written; revoked keys stay listed with
--all; one live key per name."""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from test_cli_operator import run_waybill  # noqa: E402
from waybill_rig import Rig  # noqa: E402

KEY = re.compile(r"^wbk_[A-Za-z0-9_-]{43}$")


@pytest.fixture(scope="module")
def pg(bin_dir: Path):
    with Rig(postfix=False) as rig:
        assert run_waybill(bin_dir, "db", "migrate", url=rig.pg.url).returncode == 0
        yield rig.pg


def keys(pg) -> list[tuple]:
    return pg.query("SELECT name, digest, shown, sender_domains, revoked_at IS NOT NULL FROM api_keys ORDER BY created_at")


def test_create_prints_the_key_once_and_stores_its_digest(bin_dir: Path, pg) -> None:
    done = run_waybill(bin_dir, "api-keys", "create", "--name", "shop", "--sender-domain", "Shop.Example",
                       "--sender-domain", "bücher.example", url=pg.url)
    assert done.returncode == 0, done.stderr
    secret = done.stdout.rstrip("\n").split("\n")[-1]
    assert KEY.match(secret), done.stdout
    assert done.stdout.count(secret) == 1
    [(name, digest, shown, domains, revoked)] = [row for row in keys(pg) if row[0] == "shop"]
    assert (name, shown, domains, revoked) == ("shop", secret[:12], ["shop.example", "xn--bcher-kva.example"], False)
    assert digest == hashlib.sha256(secret.encode()).hexdigest()
    stored = " ".join(str(v) for row in pg.query("SELECT * FROM api_keys") for v in row)
    assert secret not in stored and secret[12:] not in stored

    listed = run_waybill(bin_dir, "api-keys", "list", url=pg.url)
    assert listed.returncode == 0 and "shop" in listed.stdout and secret[:12] + "..." in listed.stdout
    assert secret not in listed.stdout


def test_one_live_key_per_name_and_revoke(bin_dir: Path, pg) -> None:
    create = ["api-keys", "create", "--name", "billing", "--sender-domain", "billing.example"]
    assert run_waybill(bin_dir, *create, url=pg.url).returncode == 0
    again = run_waybill(bin_dir, *create, url=pg.url)
    assert again.returncode == 64 and "exists already" in again.stderr
    revoked = run_waybill(bin_dir, "api-keys", "revoke", "billing", url=pg.url)
    assert revoked.returncode == 0 and "revoked API key 'billing'" in revoked.stdout
    assert run_waybill(bin_dir, "api-keys", "revoke", "billing", url=pg.url).returncode == 1
    assert "billing" not in run_waybill(bin_dir, "api-keys", "list", url=pg.url).stdout
    assert "billing" in run_waybill(bin_dir, "api-keys", "list", "--all", url=pg.url).stdout
    assert run_waybill(bin_dir, *create, url=pg.url).returncode == 0  # the name is free again
    assert [row[4] for row in keys(pg) if row[0] == "billing"] == [True, False]
    [(key_id,)] = pg.query("SELECT id::text FROM api_keys WHERE name = 'billing' AND revoked_at IS NULL")
    assert run_waybill(bin_dir, "api-keys", "revoke", key_id.upper(), url=pg.url).returncode == 0


@pytest.mark.parametrize("args", [
    ["create", "--sender-domain", "shop.example"],
    ["create", "--name", "shop2"],
    ["create", "--name", "has space", "--sender-domain", "shop.example"],
    ["create", "--name", "x" * 65, "--sender-domain", "shop.example"],
    ["create", "--name", "shop3", "--sender-domain", "not a domain"],
    ["create", "--name", "shop4", "--sender-domain", "-x.example"],
    ["create", "--name", "shop5", "--sender-domain"],
    ["create", "--name", "shop6", "--sender-domain", "shop.example", "--extra", "x"],
    ["list", "--everything"],
    ["revoke"],
    ["revoke", "--name"],
    ["nonsense"],
    [],
], ids=lambda a: " ".join(a) or "(none)")
def test_bad_arguments_are_usage_errors_and_write_nothing(bin_dir: Path, pg, args: list[str]) -> None:
    before = keys(pg)
    done = run_waybill(bin_dir, "api-keys", *args, url=pg.url)
    assert done.returncode == 64, (done.returncode, done.stderr)
    assert done.stderr.startswith("waybill api-keys") and "usage: waybill api-keys" in done.stderr
    assert keys(pg) == before


def test_help(bin_dir: Path) -> None:
    done = run_waybill(bin_dir, "api-keys", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: waybill api-keys")
