"""Issue 8: `waybill postfix-setup` against a private Postfix instance of the rig.

One rig for the module (PostgreSQL, Postfix, sink). mynetworks is 127.0.0.2 only, so a client
connecting from 127.0.0.3 is a stranger: the open relay check needs no second instance. (Other
shapes of smtpd_recipient_restrictions are covered by tests/unit/postfix_setup.) The tests
run in file order: dry run first, then setup (twice), then what the set-up instance does, last `--undo`.
"""

from __future__ import annotations

import re
import smtplib
import subprocess
from pathlib import Path

import pytest

from waybill_rig import Rig, free_port, run, wait_port, wait_until
from waybill_stack import WaybillStack

APP = "127.0.0.2"       # the application's host: in mynetworks
STRANGER = "127.0.0.3"  # anyone else on the Internet
BOUNCE_DOMAIN = "bounces.example.test"
INBOUND_DOMAIN = "in.example.test"
TRACKING_BASE = "https://t.example.test"

MESSAGE = (b"From: App <app@sender.example>\r\nTo: bob@dest.example\r\nSubject: welcome\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><body><p>Hi</p><a href=\"https://shop.example/a\">shop</a></body></html>\r\n")


class Instance:
    def __init__(self, rig: Rig, stack: WaybillStack, milter_port: int) -> None:
        self.rig = rig
        self.stack = stack
        self.milter_port = milter_port
        self.dir = rig.postfix.config_dir

    def setup(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
        return self.stack.waybill("postfix-setup", "-c", str(self.dir), *extra, check=check)

    def files(self) -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in sorted(self.dir.iterdir()) if p.is_file()}


def generate_dkim_key(waybill: Path, directory: Path) -> bytes:
    """An rsa key for sender.example; returns its DNS TXT record."""
    out = run([waybill, "keys", "generate", "--domain", "sender.example", "--selector", "s1",
               "--algorithm", "rsa", "--dir", directory]).stdout.decode()
    record = re.search(r"IN TXT \( (.*) \)", out).group(1)
    (directory / "KeyTable").write_text(f"k sender.example:s1:{directory / 'sender.example.s1.key'}\n")
    (directory / "SigningTable").write_text("*@sender.example k\n")
    return "".join(re.findall(r'"([^"]*)"', record)).encode()


@pytest.fixture(scope="module")
def instance(bin_dir: Path):
    milter_port, policy_port, copy_port = free_port(), free_port(), free_port()
    # As Debian's stock main.cf: relay control in smtpd_relay_restrictions (the default), no
    # smtpd_recipient_restrictions.
    with Rig(extra_main={"mynetworks": f"{APP}/32", "smtpd_recipient_restrictions": ""}) as rig:
        keys = rig.path("dkim")
        keys.mkdir()
        txt = generate_dkim_key(bin_dir / "waybill", keys)
        stack = WaybillStack(rig, bin_dir, sections={
            "milter": {"socket": f"inet:{milter_port}@127.0.0.1", "copy_listener": f"127.0.0.1:{copy_port}"},
            "policyd": {"listen": f"127.0.0.1:{policy_port}"},
            "pipe": {"bounce_domain": BOUNCE_DOMAIN, "inbound_domains": INBOUND_DOMAIN},
            "tracking": {"base_url": TRACKING_BASE},
            "dkim": {"key_table": str(keys / "KeyTable"), "signing_table": str(keys / "SigningTable")},
        })
        stack.migrate()
        it = Instance(rig, stack, milter_port)
        it.original = it.files()  # before any setup: what --undo must give back
        it.dkim_txt = txt
        it.policy_port = policy_port
        it.copy_port = copy_port
        yield it


def smtp_from(instance: Instance, source: str, sender: str, rcpt: str) -> tuple[int, str]:
    """MAIL and RCPT from a given loopback address; returns the RCPT reply."""
    with smtplib.SMTP("127.0.0.1", instance.rig.postfix.smtp_port, local_hostname="client.example",
                      source_address=(source, 0), timeout=30) as s:
        s.ehlo()
        code, text = s.mail(sender)
        assert code == 250, (code, text)
        code, text = s.rcpt(rcpt)
        s.rset()
        return code, text.decode(errors="replace")


def test_dry_run_changes_nothing(instance: Instance) -> None:
    before = instance.files()
    out = instance.setup("--dry-run").stdout
    assert "dry run" in out
    assert "+ waybill-pipe unix - n n - 10 pipe flags=Rq user=waybill_pipe:waybill" in out
    assert re.search(r"main\.cf: smtpd_milters\n  - \(unset\)\n  \+ inet:127\.0\.0\.1:\d+\n", out), out
    assert "check_policy_service inet:127.0.0.1:" in out
    assert instance.files() == before  # no backup, no transport map, nothing edited


def test_help_and_errors_are_one_line(instance: Instance, tmp_path: Path) -> None:
    assert "--dry-run" in instance.stack.waybill("postfix-setup", "--help").stdout
    missing = instance.stack.waybill("postfix-setup", "-c", str(tmp_path / "none"), check=False)
    assert missing.returncode == 66
    assert missing.stderr.count("\n") == 1 and "main.cf" in missing.stderr, missing.stderr
    bad = instance.stack.waybill("postfix-setup", "--bogus", check=False)
    assert bad.returncode == 64 and "unexpected argument '--bogus'" in bad.stderr


def test_setup_twice_is_setup_once(instance: Instance) -> None:
    original = instance.files()
    first = instance.setup().stdout
    assert "Postfix reloaded" in first, first
    once = instance.files()
    backups = sorted(n for n in once if ".waybill-" in n)
    assert len(backups) == 2, backups
    for name in backups:  # the copies are the files as they were
        assert once[name] == original[name.split(".waybill-")[0]]
    second = instance.setup().stdout
    assert "nothing to change" in second
    assert instance.files() == once  # byte for byte, and no new backups

    pf = instance.rig.postfix
    milter = f"inet:127.0.0.1:{instance.milter_port}"
    assert pf.postconf("smtpd_milters") == milter and pf.postconf("non_smtpd_milters") == milter
    assert pf.postconf("milter_default_action") == "tempfail"
    assert pf.postconf("disable_mime_output_conversion") == "yes"
    assert pf.postconf("smtpd_recipient_restrictions") == (
        f"check_policy_service inet:127.0.0.1:{instance.policy_port}")
    assert pf.postconf("transport_maps") == f"texthash:{instance.dir}/waybill_transport"
    assert BOUNCE_DOMAIN in pf.postconf("relay_domains")
    assert (instance.dir / "waybill_transport").read_text().count("waybill-pipe:") == 2
    run(["/usr/sbin/postfix", "-c", instance.dir, "check"])


def start_policyd(instance: Instance) -> subprocess.Popen:
    proc = instance.rig.spawn([instance.stack.binary("waybill-policyd"), "--config", str(instance.stack.config)],
                              name="waybill-policyd")
    wait_port(instance.policy_port)
    assert wait_until(lambda: "suppression list loaded" in instance.rig.log_of("waybill-policyd"), 10)
    return proc


@pytest.fixture(scope="module")
def running(instance: Instance) -> Instance:
    """The set-up instance with waybill-milter and waybill-policyd at the addresses it was given
    (milter_default_action = tempfail: without the milter every client gets 451)."""
    instance.setup()
    instance.stack.start_milter(instance.milter_port)
    start_policyd(instance)
    return instance


def test_still_no_open_relay(running: Instance) -> None:
    code, text = smtp_from(running, STRANGER, "spam@evil.example", "victim@elsewhere.example")
    assert code in (454, 554) and "Relay access denied" in text, (code, text)
    # Mail for the bounce domain is accepted from anyone (it is ours now).
    code, text = smtp_from(running, STRANGER, "", f"bounce+x@{BOUNCE_DOMAIN}")
    assert code == 250, (code, text)
    assert running.rig.sink.messages() == []


def test_message_through_the_setup_is_tracked_and_signed(running: Instance) -> None:
    with smtplib.SMTP("127.0.0.1", running.rig.postfix.smtp_port, local_hostname="app.example",
                      source_address=(APP, 0), timeout=60) as s:
        s.sendmail("app@sender.example", ["bob@dest.example"], MESSAGE)
    [msg] = running.rig.sink.wait_for(1)
    email = msg.email
    assert email["List-Unsubscribe"] and TRACKING_BASE + "/u/" in email["List-Unsubscribe"]
    body = msg.raw.split(b"\r\n\r\n", 1)[1]
    assert (TRACKING_BASE + "/c/").encode() in body and (TRACKING_BASE + "/o/").encode() in body
    assert msg.sender.endswith("@" + BOUNCE_DOMAIN)  # VERP return path
    dkim = pytest.importorskip("dkim")
    assert email["DKIM-Signature"]
    assert dkim.verify(msg.raw, dnsfunc=lambda name, timeout=5: running.dkim_txt)
    assert running.rig.pg.query("SELECT count(*) FROM recipients WHERE address = 'bob@dest.example'") == [(1,)]


def test_copies_go_through_the_copy_listener_it_added(running: Instance) -> None:
    """milter.copy_listener set: postfix-setup added its smtpd, and each recipient's copy comes
    through it (from loopback, although mynetworks is the application's host alone), signed."""
    entry = run(["/usr/sbin/postconf", "-c", running.dir, "-M", f"127.0.0.1:{running.copy_port}/inet"]).stdout.decode()
    assert "smtpd_recipient_restrictions=permit_mynetworks,reject" in entry, entry
    recipients = ["ann@dest.example", "cat@dest.example", "dan@other.example"]
    with smtplib.SMTP("127.0.0.1", running.rig.postfix.smtp_port, local_hostname="app.example",
                      source_address=(APP, 0), timeout=60) as s:
        s.sendmail("app@sender.example", recipients, MESSAGE.replace(b"welcome", b"welcome all"))
    assert wait_until(lambda: len([m for m in running.rig.sink.messages()
                                   if m.email["Subject"] == "welcome all"]) >= 3, 30), running.rig.postfix.diagnostics()
    arrived = [m for m in running.rig.sink.messages() if m.email["Subject"] == "welcome all"]
    assert sorted(r for m in arrived for r in m.recipients) == sorted(recipients)
    dkim = pytest.importorskip("dkim")
    for m in arrived:
        assert dkim.verify(m.raw, dnsfunc=lambda name, timeout=5: running.dkim_txt), m.recipients
    assert running.rig.postfix.log_text().count("postfix/waybill-copy/smtpd") >= 2


def postconf_n(directory: Path | str) -> set[str]:
    """Explicit settings; config_directory is whatever -c names, so it is left out."""
    lines = run(["/usr/sbin/postconf", "-c", directory, "-n"]).stdout.decode().splitlines()
    return {line for line in lines if not line.startswith("config_directory =")}


def test_undo_gives_back_the_original_files_and_plain_postfix(running: Instance) -> None:
    """After --undo main.cf and master.cf are the originals byte for byte, setup's transport map is
    gone, Postfix (reloaded) delivers without Waybill; a second --undo changes nothing."""
    set_up = running.files()
    dry = running.setup("--undo", "--dry-run").stdout
    assert re.search(r"main\.cf: smtpd_milters\n  - inet:127\.0\.0\.1:\d+\n  \+ \(unset", dry), dry
    assert "master.cf: remove waybill-pipe/unix" in dry and f"master.cf: remove 127.0.0.1:{running.copy_port}/inet" in dry
    assert running.files() == set_up
    out = running.setup("--undo").stdout
    assert "byte for byte as before setup" in out and "Postfix reloaded" in out, out
    after = running.files()
    for name in ("main.cf", "master.cf"):
        assert after[name] == running.original[name], name
    assert "waybill_transport" not in after
    kept = sorted(n for n in after if n.startswith("main.cf.waybill-"))
    assert len(kept) == 2 and after[kept[-1]] == set_up["main.cf"]  # the set-up files, backed up by --undo
    assert [line.split("\t")[0] for line in after["waybill-setup.log"].decode().splitlines()] == ["setup", "undo"]

    with smtplib.SMTP("127.0.0.1", running.rig.postfix.smtp_port, local_hostname="app.example",
                      source_address=(APP, 0), timeout=60) as s:
        s.sendmail("app@sender.example", ["bob@dest.example"], MESSAGE.replace(b"welcome", b"after undo"))
    assert wait_until(lambda: any(m.email["Subject"] == "after undo" for m in running.rig.sink.messages()), 30), \
        running.rig.postfix.diagnostics()
    [plain] = [m for m in running.rig.sink.messages() if m.email["Subject"] == "after undo"]
    assert plain.email["DKIM-Signature"] is None and TRACKING_BASE.encode() not in plain.raw  # not through Waybill

    again = running.setup("--undo")
    assert "nothing to undo" in again.stdout and again.returncode == 0
    assert running.files() == after


def test_undo_after_several_setups_keeps_the_operators_edits(running: Instance) -> None:
    """Setup, an operator's edits (one to a setting setup manages), setup again, --undo: what setup
    manages goes back to before the first of those setups; the operator's other edit stays."""
    running.setup()
    original = postconf_n(running.dir)
    pf_dir = str(running.dir)
    run(["/usr/sbin/postconf", "-c", pf_dir, "-e", "smtpd_banner=$myhostname ESMTP edited"])
    run(["/usr/sbin/postconf", "-c", pf_dir, "-X", "disable_mime_output_conversion"])
    assert "main.cf: disable_mime_output_conversion" in running.setup().stdout
    out = running.setup("--undo").stdout
    assert "keep the edits made since setup to settings it does not manage: smtpd_banner\n" in out, out
    assert postconf_n(running.dir) == (postconf_n_of(running.original) | {"smtpd_banner = $myhostname ESMTP edited"})
    assert original != postconf_n(running.dir)
    assert running.files()["master.cf"] == running.original["master.cf"]


def postconf_n_of(files: dict[str, bytes]) -> set[str]:
    """postconf -n of a copy of the instance's main.cf/master.cf as they were."""
    import tempfile
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("main.cf", "master.cf"):
            (Path(scratch) / name).write_bytes(files[name])
        return postconf_n(scratch)


def test_undo_of_a_setup_that_kept_no_log(running: Instance) -> None:
    """Versions before --undo made the backups but no waybill-setup.log: --undo then starts from the
    oldest backup (here the files as they were before this test's setup)."""
    for path in running.dir.iterdir():  # as an older version leaves the instance: no log, no backups
        if path.name == "waybill-setup.log" or ".waybill-" in path.name:
            path.unlink()
    before = running.files()
    running.setup()
    (running.dir / "waybill-setup.log").unlink()
    out = running.setup("--undo").stdout
    assert "byte for byte as before setup" in out, out
    after = running.files()
    assert after["main.cf"] == before["main.cf"] and after["master.cf"] == before["master.cf"]
    assert "waybill_transport" not in after
