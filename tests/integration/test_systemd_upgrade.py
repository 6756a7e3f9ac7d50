"""The operator's upgrade and removal on a real host (Debian 12 booted with systemd, as in
test_systemd_host.py): the package of the previous commit installed and set up on stock Postfix,
upgraded to this commit's package while mail flows (nothing refused or lost; the services restart
with the new binaries, their sockets keep listening), then `waybill postfix-setup --undo` and
`apt purge`: Postfix delivers as before and main.cf/master.cf equal the files it had before Waybill.

Runs inside ctest's package.debian entry (WAYBILL_PACKAGE_TEST=1), on the .deb built there and
one of HEAD~1 (the previous_deb fixture: a second build, through ccache). About 50 s here.
"""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from container_smtp import SMTP_CLIENT  # noqa: E402
from systemd_container import SystemdContainer  # noqa: E402
from test_systemd_host import (POSTFIX_LOOPBACK, SEND_SMTP, SERVICES, SINK_DIR, SOCKET_UNITS, psql,  # noqa: E402
                               set_up_waybill, sh_quote, wait_in)

pytestmark = pytest.mark.skipif(os.environ.get("WAYBILL_PACKAGE_TEST") != "1",
                                reason="runs as ctest entry package.debian (WAYBILL_PACKAGE_TEST=1)")

POSTFIX_FILES = "/etc/postfix/main.cf /etc/postfix/master.cf"
STOP_FILE = "/var/tmp/stop-load"
MAX_LOAD = 3000  # the bound of the load loop; it stops at STOP_FILE long before

# python3 -c LOAD PREFIX: messages "PREFIX N", one SMTP session each, until STOP_FILE exists (at
# most MAX_LOAD); each retried after a temporary refusal (bounded). Prints "SENT REFUSED TEMPORARY".
LOAD = SMTP_CLIENT + textwrap.dedent(f"""\
    prefix, sent, refused, temporary = sys.argv[1], 0, 0, 0
    for i in range({MAX_LOAD}):
        if os.path.exists("{STOP_FILE}"):
            break
        msg = f"From: app@sender.example\\nTo: ann@dest.example\\nSubject: {{prefix}} {{i}}\\n\\nload {{i}}\\n"
        accepted, answers = deliver(i, ["ann@dest.example"], msg)
        sent += accepted
        refused += not accepted
        temporary += answers
    print(sent, refused, temporary)
    """)


def unit_property(host: SystemdContainer, unit: str, name: str) -> str:
    return host.sh(f"systemctl show -p {name} --value {unit}").strip()


@pytest.fixture(scope="module")
def old_host(deb: Path, previous_deb: Path, tmp_path_factory):
    """The previous commit's package, set up and running; the operator's own Postfix files'
    checksums (taken before the package came) in host.postfix_sums."""
    with SystemdContainer.create(tmp_path_factory.mktemp("systemd-upgrade")) as container:
        container.run_unbooted(["sh", "-c", POSTFIX_LOOPBACK])
        container.postfix_sums = container.run_unbooted(["sha256sum", *POSTFIX_FILES.split()])
        container.install_debs([previous_deb])
        shutil.copy(deb, container.root / "var" / "tmp" / deb.name)
        container.new_deb = f"/var/tmp/{deb.name}"
        container.boot()
        set_up_waybill(container)
        yield container


def test_upgrade_under_load_loses_nothing(old_host: SystemdContainer) -> None:
    host = old_host
    old_version = host.sh("dpkg-query -W -f '${Version}' waybill")
    host.sh(f"systemctl start {' '.join(SERVICES)}")
    pids = {s: unit_property(host, s, "MainPID") for s in SERVICES}
    sockets = {u: unit_property(host, u, "ActiveEnterTimestampMonotonic") for u in SOCKET_UNITS}
    host.sh(f"rm -f {STOP_FILE}; systemd-run --unit=load-upgrade sh -c "
            f"{sh_quote(f'python3 -c {sh_quote(LOAD)} upgrade < /dev/null > /var/tmp/upgrade.out 2>&1')}")
    wait_in(host, f"test $(grep -l 'Subject: upgrade ' {SINK_DIR}/* 2>/dev/null | wc -l) -ge 10")

    upgrade = host.sh(f"DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "
                      f"{host.new_deb} 2>&1", timeout=300)
    assert host.sh("systemctl is-active load-upgrade.service", check=False).strip() == "active", \
        "the load ended before the upgrade did: it proves nothing"
    during = int(host.sh(f"grep -l 'Subject: upgrade ' {SINK_DIR}/* | wc -l"))
    wait_in(host, f"test $(grep -l 'Subject: upgrade ' {SINK_DIR}/* | wc -l) -ge {during + 10}")  # and after it
    host.sh(f"touch {STOP_FILE}")
    wait_in(host, "! systemctl is-active -q load-upgrade.service", timeout=120)

    new_version = host.sh("dpkg-query -W -f '${Version}' waybill")
    assert new_version != old_version and new_version in upgrade, (old_version, new_version, upgrade[-2000:])
    for service in SERVICES:  # restarted on the new binaries, not left running the deleted ones
        assert host.sh(f"systemctl is-active {service}").strip() == "active", host.journal(service)
        pid = unit_property(host, service, "MainPID")
        assert pid != pids[service], (service, upgrade[-2000:])
        assert "(deleted)" not in host.sh(f"readlink /proc/{pid}/exe"), service
    for unit, since in sockets.items():  # the same listening sockets throughout
        assert unit_property(host, unit, "ActiveEnterTimestampMonotonic") == since, unit

    sent, refused, temporary = host.sh("cat /var/tmp/upgrade.out").split()[-3:]
    print(f"upgrade {old_version} -> {new_version} under load: {sent} messages, {temporary} temporary refusals (retried)")
    assert refused == "0", host.sh("cat /var/tmp/upgrade.out")[-3000:]
    recorded = psql(host, "SELECT count(DISTINCT subject) FROM messages WHERE subject LIKE 'upgrade %'")
    assert recorded == [[sent]], (recorded, sent)
    wait_in(host, f"test $(grep -h '^Subject: upgrade ' {SINK_DIR}/* | sort -u | wc -l) -eq {sent}", timeout=120)


def test_undo_and_purge_leave_postfix_as_it_was(old_host: SystemdContainer) -> None:
    host = old_host
    undo = host.sh("waybill postfix-setup --undo")
    assert "byte for byte as before setup" in undo and "Postfix reloaded" in undo, undo
    purge = host.sh("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q waybill 2>&1", timeout=300)
    assert "PostgreSQL database and role" in purge and "still uses Waybill" not in purge, purge[-3000:]

    assert host.sh(f"sha256sum {POSTFIX_FILES}") == host.postfix_sums
    assert host.sh("dpkg-query -W -f '${db:Status-Status}' waybill 2>&1", check=False).strip() in (
        "not-installed", "dpkg-query: no packages found matching waybill")
    leftovers = host.sh("ls -d /etc/waybill /var/lib/waybill /var/spool/waybill /var/spool/postfix/waybill "
                        "/run/waybill /etc/sudoers.d/waybill 2>/dev/null; getent passwd waybill; "
                        "find /etc/systemd /lib/systemd/system /run/systemd/system -name 'waybill*'", check=False)
    assert leftovers.strip() == "", leftovers
    listening = host.sh("ss -Hlnx; ss -Hltn")
    assert "milter.sock" not in listening and ":10040" not in listening and ":8025" not in listening, listening
    # The database is the operator's data: kept (the purge said how to drop it).
    assert host.sh("runuser -u postgres -- psql -X -A -t -c \"SELECT datname FROM pg_database "
                   "WHERE datname = 'waybill'\"").strip() == "waybill"

    host.sh("postfix check")
    before = len(host.sh(f"ls {SINK_DIR}").split())
    answer = host.sh(f"python3 -c {sh_quote(SEND_SMTP)} 1 plain", input=(
        "From: app@sender.example\nTo: ann@dest.example\nSubject: after purge\n\nplain Postfix\n")).split()
    assert answer[-2:] == ["0", "0"], answer
    host.sh("sendmail -i -f app@sender.example ann@dest.example",
            input="From: app@sender.example\nTo: ann@dest.example\nSubject: after purge by sendmail\n\nplain\n")
    wait_in(host, f"test $(ls {SINK_DIR} | wc -l) -ge {before + 2}")
    delivered = host.sh(f"grep -l 'Subject: after purge' {SINK_DIR}/* | xargs cat")
    assert delivered.count("Subject: after purge") == 2 and "DKIM-Signature" not in delivered, delivered[-2000:]
    wait_in(host, "postqueue -p | grep -q 'Mail queue is empty'")
