"""Shared fixtures for the integration tests (see tests/support/waybill_rig.py for the rig)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

REPO_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_DIR / "tests" / "support"))

from waybill_rig import Rig  # noqa: E402  (needs the sys.path entry above)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Private Postfix instances, smtp-sink and initdb via runuser all need root.
    if os.geteuid() != 0:
        skip = pytest.mark.skip(reason="integration tests must run as root")
        for item in items:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def repo_dir() -> Path:
    return REPO_DIR


@pytest.fixture(scope="session")
def bin_dir() -> Path:
    """Directory of the built Waybill binaries; skips the test when it was not built."""
    path = Path(os.environ.get("WAYBILL_BIN_DIR", REPO_DIR / "build" / "bin"))
    if not path.is_dir():
        pytest.skip(f"no built binaries in {path} (set WAYBILL_BIN_DIR)")
    return path


@pytest.fixture(scope="session")
def waybill_bin(bin_dir: Path) -> Callable[[str], Path]:
    """waybill_bin("waybill-milter") -> its path; skips the test when that binary is missing."""

    def find(name: str) -> Path:
        path = bin_dir / name
        if not os.access(path, os.X_OK):
            pytest.skip(f"{path} not built")
        return path

    return find


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return Path(os.environ.get("WAYBILL_SHARED_DIR", REPO_DIR.parent / "shared"))


@pytest.fixture
def rig() -> Iterator[Rig]:
    """A default rig: PostgreSQL, accepting sink, Postfix without milters."""
    with Rig() as r:
        yield r


def build_deb(out: Path, rev: str = "HEAD") -> Path:
    started = time.monotonic()
    proc = subprocess.run(["bash", str(REPO_DIR / "scripts" / "build-deb.sh")], text=True, timeout=1700,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          env={**os.environ, "WAYBILL_DEB_OUT": str(out), "WAYBILL_DEB_REV": rev})
    (out / "build.log").write_text(proc.stdout)
    assert proc.returncode == 0, f"build-deb.sh ({rev}) failed:\n{proc.stdout[-8000:]}"
    print(f"package of {rev} built in {time.monotonic() - started:.0f} s")
    [package] = out.glob("waybill_*.deb")
    return package


@pytest.fixture(scope="session")
def deb(tmp_path_factory) -> Path:
    """The .deb built from the committed tree by scripts/build-deb.sh, once per pytest run (the
    package tests share it); WAYBILL_DEB=PATH uses a package built before."""
    if os.environ.get("WAYBILL_DEB"):
        return Path(os.environ["WAYBILL_DEB"])
    return build_deb(tmp_path_factory.mktemp("deb"))


@pytest.fixture(scope="session")
def previous_deb(deb: Path, tmp_path_factory) -> Path:
    """The .deb of the commit before HEAD (version ~gSHA, so HEAD's package upgrades it), built
    after HEAD's: with ccache only the files that differ compile again. WAYBILL_DEB_PREVIOUS=PATH
    uses one built before. A shallow clone has no previous commit: that fails, loudly."""
    if os.environ.get("WAYBILL_DEB_PREVIOUS"):
        return Path(os.environ["WAYBILL_DEB_PREVIOUS"])
    found = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--verify", "--quiet", "HEAD~1^{commit}"],
                           capture_output=True, text=True)
    if found.returncode != 0:
        shallow = subprocess.run(["git", "-C", str(REPO_DIR), "rev-parse", "--is-shallow-repository"],
                                 capture_output=True, text=True).stdout.strip()
        pytest.fail(f"no previous commit (HEAD~1) to upgrade from: the clone is {'shallow' if shallow == 'true' else 'without history'}"
                    " (git fetch --unshallow, or WAYBILL_DEB_PREVIOUS=PATH): the upgrade test cannot run")
    return build_deb(tmp_path_factory.mktemp("deb-previous"), "HEAD~1")
