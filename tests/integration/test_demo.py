"""The README's demo runs end to end: sent, tracked, clicked, bounced, shown in SQL and pushed."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_demo_sends_tracks_clicks_bounces_and_reports(bin_dir: Path) -> None:
    result = subprocess.run(["/usr/bin/python3", str(REPO / "scripts" / "demo.py"), "--bin-dir", str(bin_dir)],
                            capture_output=True, text=True, timeout=240, env=dict(os.environ))
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "submitted over SMTP: 250" in out
    assert re.search(r"envelope sender \(VERP\) bounce\+\S+@bounces\.shop\.example", out), out
    assert "a=rsa-sha256" in out and "a=ed25519-sha256" in out
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert "open pixel  -> (200, 'image/gif')" in out
    assert "click link  -> (302, 'https://shop.example/track?id=42&ref=mail')" in out
    # Only the outbound message is a message: the bounce went to waybill-pipe, not into `messages`.
    assert "== messages (1 rows)" in out and "Your order has shipped" in out
    assert "ann@customer.example | bounced" in out
    events = out.split("== events", 1)[1].split("==", 1)[0]
    for kind in ("accepted", "delivered", "opened", "clicked", "bounced"):
        assert f"| {kind} | ann@customer.example" in events, events
    # Delivered, as Postfix logged it: the sink's reply to the end of data.
    assert re.search(r"from Postfix's log: ann@customer\.example delivered \(2\.0\.0 250 ", out), out
    assert "userunknown" in events
    assert "ann@customer.example | global |  | hard_bounce | pipe" in out
    assert re.search(r"orders@shop\.example \| \d{4}-\d\d-\d\d \| 1 \| 1 \| 1 \| 1 \| 0", out), out
    report = out.split("== waybill report", 1)[1]
    assert "delivered 100.0% of accepted" in report and "time to delivery: p50" in report, report
    pushed = out.split("webhook receiver got", 1)[1]
    assert all(kind in pushed for kind in ("accepted", "opened", "clicked", "bounced")), pushed
