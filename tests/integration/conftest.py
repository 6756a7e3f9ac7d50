"""Shared fixtures for the integration tests (see tests/support/waybill_rig.py for the rig)."""

from __future__ import annotations

import os
import sys
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
