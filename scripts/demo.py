"""Waybill demo: one message through a private Postfix + waybill-milter, shown in SQL.

Every process runs from a temporary directory on 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "support"))
from waybill_rig import Rig, free_port  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

MESSAGE = b"""From: Shop <orders@shop.example>
To: Ann <ann@customer.example>
Subject: Your order has shipped
X-Waybill-Tags: order, shipping
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><body><p>Your parcel is on its way.
<a href="https://shop.example/track?id=42&amp;ref=mail">Track it</a></p></body></html>
"""


def show(rig: Rig, title: str, sql: str) -> None:
    rows = rig.pg.query(sql)
    print(f"\n== {title} ({len(rows)} rows)\n   {sql}")
    for row in rows:
        print("   " + " | ".join("" if v is None else str(v) for v in row))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--bin-dir", default=str(REPO / "build" / "bin"))
    args = parser.parse_args()
    port = free_port()
    with Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)]) as rig:
        stack = WaybillStack(rig, Path(args.bin_dir).resolve())
        print(stack.migrate().strip())
        stack.start_milter(port)
        print(f"PostgreSQL on 127.0.0.1:{rig.pg.port}, Postfix on 127.0.0.1:{rig.postfix.smtp_port}, "
              f"waybill-milter on 127.0.0.1:{port}, sink on 127.0.0.1:{rig.sink.port}")
        code, text = rig.postfix.send_smtp("orders@shop.example", ["ann@customer.example"], MESSAGE)
        print(f"submitted over SMTP: {code} {text}")
        [arrived] = rig.sink.wait_for(1)
        print("\n== the message as it arrived at the sink (headers)")
        for name, value in arrived.email.items():
            print(f"   {name}: {value}")
        time.sleep(0.2)
        show(rig, "messages", "SELECT id, queue_id, message_id_header, envelope_sender, subject, tags, track_mode FROM messages")
        show(rig, "recipients", "SELECT id, address, status, queue_id FROM recipients")
        show(rig, "events", "SELECT occurred_at, type, recipient, details FROM events ORDER BY occurred_at")
    return 0


if __name__ == "__main__":
    sys.exit(main())
