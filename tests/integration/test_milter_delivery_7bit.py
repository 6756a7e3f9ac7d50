"""Issue 4, MIME conversion: 8bit mail relayed to a server that does not announce 8BITMIME.
Postfix would convert the body to quoted-printable after the milter signed it, breaking both
signatures; postfix-conf/main.cf.waybill-milter therefore sets disable_mime_output_conversion."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from test_milter_delivery import ODD_MESSAGES, make_keys, stack_sections, verify_each, wait_arrivals  # noqa: E402
from waybill_rig import Rig, free_port  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

pytest.importorskip("dkim")

BOTH = {"rsa-sha256": True, "ed25519-sha256": True}


@pytest.fixture(scope="module")
def seven_bit(bin_dir: Path):
    port = free_port()
    with Rig(milters=[milter_address(port)], sink_mode="accept-7bit") as rig:
        keys = make_keys(bin_dir / "waybill", rig.path("dkim"))
        stack = WaybillStack(rig, bin_dir, sections=stack_sections(keys))
        stack.migrate()
        stack.start_milter(port)
        yield rig, keys


def send_8bit(rig: Rig, name: str) -> object:
    rcpt = f"{name}-{uuid.uuid4()}@dest.example"
    code, text = rig.postfix.send_smtp("app@sender.example", [rcpt], ODD_MESSAGES["8bit"])
    assert code == 250, text
    [arrived] = wait_arrivals(rig, lambda m: rcpt in m.recipients, 1)
    return arrived


def test_recommended_setting_keeps_8bit_signatures_valid(seven_bit) -> None:
    rig, keys = seven_bit
    assert rig.postfix.postconf("disable_mime_output_conversion") == "yes"
    arrived = send_8bit(rig, "kept")
    assert "\u20ac".encode() in arrived.raw  # sent as is
    assert verify_each(arrived.raw, keys) == BOTH


def test_without_it_postfix_conversion_breaks_them(seven_bit) -> None:
    """Why the setting is recommended (and proof that the check above can fail)."""
    rig, keys = seven_bit
    rig.postfix.configure({"disable_mime_output_conversion": "no"})
    try:
        arrived = send_8bit(rig, "converted")
        assert arrived.email["Content-Transfer-Encoding"].lower() == "quoted-printable"
        assert verify_each(arrived.raw, keys) == {"rsa-sha256": False, "ed25519-sha256": False}
    finally:
        rig.postfix.configure({"disable_mime_output_conversion": "yes"})
