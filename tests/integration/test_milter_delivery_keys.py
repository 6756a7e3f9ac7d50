"""Issue 4, keys: a domain that must be signed but whose key is missing or unreadable gets a 4xx at
end of DATA, one clear milter log line naming the key, and nothing at the sink; with
dkim.allow_unsigned = true the same mail is delivered unsigned."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from test_milter_delivery import Keys, assert_dual_signed, make_keys, stack_sections, wait_arrivals  # noqa: E402
from waybill_rig import Rig  # noqa: E402
from waybill_stack import WaybillStack, milter_rig  # noqa: E402

pytest.importorskip("dkim")


@dataclass
class KeyRig:
    stack: WaybillStack
    rig: Rig
    keys: Keys
    port: int
    bad_keys: dict[str, Path]  # sender domain -> the key path it cannot use
    milter: subprocess.Popen | None = None

    def restart_milter(self, *extra: str) -> None:
        if self.milter is not None:
            self.milter.terminate()
            self.milter.wait(10)
        self.milter = self.stack.start_milter(self.port, *extra)

    def send(self, domain: str, subject: str, recipients: list[str] | None = None) -> tuple[int, str]:
        data = (f"From: App <app@{domain}>\r\nTo: x@dest.example\r\nSubject: {subject}\r\n\r\n"
                f"Hello https://shop.example/k\r\n").encode()
        return self.rig.postfix.send_smtp(f"app@{domain}", recipients or [f"k-{uuid.uuid4()}@dest.example"], data)


@pytest.fixture(scope="module")
def keyrig(bin_dir: Path):
    with milter_rig() as (rig, port):
        directory = rig.path("dkim")
        directory.mkdir()
        bad = {"missing.example": directory / "gone.key",  # never created
               "dir.example": directory / "adir.key",  # a directory: exists but cannot be read as a file
               "garbage.example": directory / "garbage.key",  # readable, but not a PEM key
               "open.example": directory / "open.key"}  # other users may read it: refused before parsing
        bad["dir.example"].mkdir()
        bad["garbage.example"].write_text("this is not a key\n")
        bad["garbage.example"].chmod(0o600)
        bad["open.example"].write_text("-----BEGIN PRIVATE KEY-----\n")
        bad["open.example"].chmod(0o644)
        rows = "".join(f"bad-{d} {d}:s1:{p}\n" for d, p in bad.items())
        rules = "".join(f"*@{d} bad-{d}\n" for d in bad)
        keys = make_keys(bin_dir / "waybill", directory, rows, rules)
        stack = WaybillStack(rig, bin_dir, sections=stack_sections(keys))
        stack.migrate()
        kr = KeyRig(stack, rig, keys, port, bad)
        kr.restart_milter()
        yield kr


def log_lines_with(text: str, needle: str) -> list[str]:
    return [line for line in text.splitlines() if needle in line]


@pytest.mark.parametrize("domain,why", [("missing.example", "cannot read DKIM key '{}' for missing.example: No such file"),
                                        ("dir.example", "cannot read DKIM key '{}' for dir.example: Is a directory"),
                                        ("garbage.example", "DKIM key '{}' is not a PEM private key"),
                                        ("open.example", "DKIM key '{}' for open.example is open to other users "
                                                         "(mode 0644): refused, as ssh refuses such a key; chmod o-rwx")])
def test_unusable_key_tempfails_with_one_log_line(keyrig: KeyRig, domain: str, why: str) -> None:
    subject = f"unusable {domain} {uuid.uuid4()}"
    before = keyrig.rig.log_of("waybill-milter")
    code, text = keyrig.send(domain, subject)
    assert 400 <= code < 500, (code, text)
    assert "4.7.0" in text, text
    new = keyrig.rig.log_of("waybill-milter")[len(before):]
    key_path = str(keyrig.bad_keys[domain])
    lines = log_lines_with(new, "tempfail")
    assert len(lines) == 1, new
    assert why.format(key_path) in lines[0], lines
    # The rejected transaction left nothing at the sink and nothing in the queue.
    time.sleep(1)
    assert not [m for m in keyrig.rig.sink.messages() if m.email["Subject"] == subject]
    assert not keyrig.rig.postfix.queue()


def test_good_domain_still_signed_next_to_bad_ones(keyrig: KeyRig) -> None:
    subject = f"good {uuid.uuid4()}"
    code, text = keyrig.send("sender.example", subject)
    assert code == 250, text
    [arrived] = wait_arrivals(keyrig.rig, lambda m: m.email["Subject"] == subject, 1)
    assert_dual_signed(arrived.raw, keyrig.keys, subject)


def test_multi_recipient_mail_with_unusable_key_leaves_no_copies(keyrig: KeyRig) -> None:
    """The split into per-recipient copies must not inject copies the DKIM stage then refuses."""
    subject = f"multi unusable {uuid.uuid4()}"
    recipients = [f"m{i}-{uuid.uuid4()}@dest.example" for i in range(3)]
    code, text = keyrig.send("missing.example", subject, recipients)
    assert 400 <= code < 500, (code, text)
    time.sleep(2)
    assert not [m for m in keyrig.rig.sink.messages() if m.email["Subject"] == subject]
    assert not keyrig.rig.postfix.queue()
    maildrop = keyrig.rig.postfix.queue_dir / "maildrop"
    assert not list(maildrop.iterdir()) if maildrop.exists() else True


def test_allow_unsigned_delivers_without_signature(keyrig: KeyRig) -> None:
    keyrig.restart_milter("--dkim.allow_unsigned", "true")
    try:
        for domain in keyrig.bad_keys:
            subject = f"unsigned {domain} {uuid.uuid4()}"
            code, text = keyrig.send(domain, subject)
            assert code == 250, text
            [arrived] = wait_arrivals(keyrig.rig, lambda m: m.email["Subject"] == subject, 1)
            assert "DKIM-Signature" not in arrived.email
            assert arrived.email["List-Unsubscribe"]  # the rest of the pipeline still ran
    finally:
        keyrig.restart_milter()
