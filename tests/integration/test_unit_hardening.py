"""The package's systemd units as systemd itself rates them: `systemd-analyze security
--offline=yes` on each service file (no systemd as PID 1 needed). Every unit stays at exposure
2.0 or below, and policyd, which faces every SMTP client's envelope, runs with NoNewPrivileges
and no capability (held mail goes through the hold helper's socket-activated unit instead).
Costs under 2 s.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

UNITS = Path(__file__).resolve().parents[2] / "packaging" / "systemd"
SERVICES = sorted(UNITS.glob("*.service"))
MAX_EXPOSURE = 2.0

pytestmark = pytest.mark.skipif(not shutil.which("systemd-analyze"), reason="systemd-analyze not installed")


def exposure(unit: Path) -> tuple[float, str]:
    out = subprocess.run(["systemd-analyze", "security", "--offline=yes", str(unit)],
                         capture_output=True, text=True, timeout=60)
    last = (out.stdout.strip().splitlines() or [""])[-1]
    match = re.search(r"Overall exposure level for \S+: (\d+\.\d+) (\S+)", last)
    assert match, f"{unit.name}: no overall exposure in:\n{out.stdout[-2000:]}\n{out.stderr[-2000:]}"
    return float(match.group(1)), match.group(2)


@pytest.mark.parametrize("unit", SERVICES, ids=[u.name for u in SERVICES])
def test_every_unit_is_rated_ok_with_exposure_at_most_two(unit: Path) -> None:
    level, rating = exposure(unit)
    print(f"{unit.name}: {level} {rating}")
    assert level <= MAX_EXPOSURE and rating in ("OK", "SAFE"), (unit.name, level, rating)


def test_policyd_keeps_no_new_privileges_and_no_capability() -> None:
    text = (UNITS / "waybill-policyd.service").read_text()
    settings = dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))
    assert settings["NoNewPrivileges"] == "yes"
    assert settings["CapabilityBoundingSet"] == ""
    assert (UNITS / "waybill-hold-helper.socket").is_file()
