"""The README's demo runs end to end and shows the rows of the message it sent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_prints_the_tracked_rows(bin_dir: Path) -> None:
    result = subprocess.run(["/usr/bin/python3", str(REPO / "scripts" / "demo.py"), "--bin-dir", str(bin_dir)],
                            capture_output=True, text=True, timeout=180, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "submitted over SMTP: 250" in out
    assert "== messages (1 rows)" in out and "Your order has shipped" in out
    assert "== recipients (1 rows)" in out and "ann@customer.example | accepted" in out
    assert "accepted | ann@customer.example" in out
