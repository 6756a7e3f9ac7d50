"""The package on a real host: Debian 12 booted with systemd as PID 1 (systemd-nspawn, private
network), stock Postfix and PostgreSQL started by systemd. The .deb is installed as an operator
would, the database made, `waybill postfix-setup` run, the units started; then mail sent by SMTP
and by sendmail is tracked, signed and recorded, `systemctl reload` and `restart` of every unit
under a bounded load lose nothing, and the units' sandboxing is in force.

Runs inside ctest's package.debian entry (it shares the .deb built there; WAYBILL_PACKAGE_TEST=1).
"""

from __future__ import annotations

import json
import os
import sys
import textwrap
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from container_smtp import SMTP_CLIENT  # noqa: E402
from systemd_container import SystemdContainer  # noqa: E402

pytestmark = pytest.mark.skipif(os.environ.get("WAYBILL_PACKAGE_TEST") != "1",
                                reason="runs as ctest entry package.debian (WAYBILL_PACKAGE_TEST=1)")

SOCKET_UNITS = ["waybill-milter.socket", "waybill-policyd.socket", "waybill-trackd.socket", "waybill-piped.socket",
                "waybill-hold-helper.socket", "waybill-apid.socket"]
SERVICES = ["waybill-milter", "waybill-policyd", "waybill-trackd", "waybill-piped", "waybill-webhookd", "waybill-logd",
            "waybill-apid"]
RELOADABLE = SERVICES  # every unit has ExecReload=kill -HUP (runtime/daemon_signals.h)
SINK_DIR = "/var/tmp/sink"
RECIPIENTS = ["ann@dest.example", "bob@dest.example"]

# Loopback only and no DNS inside the container: everything Postfix sends goes to a sink on 2525.
POSTFIX_LOOPBACK = (
    "postconf -e inet_interfaces=loopback-only inet_protocols=ipv4 mydestination=localhost "
    "'mynetworks=127.0.0.0/8' 'relayhost=[127.0.0.1]:2525' 'default_transport=smtp:[127.0.0.1]:2525' "
    "smtp_dns_support_level=disabled disable_dns_lookups=yes myhostname=mx.sender.example"
)

WAYBILL_CONF = textwrap.dedent("""\
    [database]
    url = postgresql://waybill@/waybill?host=/var/run/postgresql
    [tracking]
    base_url = http://track.sender.example
    key_file = /etc/waybill/token.keys
    [milter]
    socket = unix:/var/spool/postfix/waybill/milter.sock
    copy_listener = 127.0.0.1:10027
    [pipe]
    bounce_domain = bounces.sender.example
    [policyd]
    listen = unix:/var/spool/postfix/private/waybill-policy
    [trackd]
    listen = 127.0.0.1:8025
    [dkim]
    key_table = /etc/waybill/dkim/KeyTable
    signing_table = /etc/waybill/dkim/SigningTable
    """)


def message(subject: str, body: str = "") -> str:
    return (f"From: App <app@sender.example>\nTo: {', '.join(RECIPIENTS)}\nSubject: {subject}\n"
            "MIME-Version: 1.0\nContent-Type: text/html; charset=utf-8\n\n"
            f"<html><body><p>{body or subject}</p><a href=\"https://shop.example/item\">item</a></body></html>\n")


# python3 -c SEND_SMTP COUNT PREFIX [RECIPIENT...]: COUNT messages, one SMTP session each as an
# application sends them (the message on stdin when COUNT is 1, else generated ones), each retried
# after a temporary refusal as a client does (bounded); prints "REFUSED TEMPORARY": messages never
# accepted, and 4xx answers seen on the way.
SEND_SMTP = SMTP_CLIENT + textwrap.dedent("""\
    count, prefix, recipients = int(sys.argv[1]), sys.argv[2], sys.argv[3:] or ["ann@dest.example"]
    given = sys.stdin.read() if count == 1 else ""
    refused = temporary = 0
    for i in range(count):
        msg = given or f"From: app@sender.example\\nTo: ann@dest.example\\nSubject: {prefix} {i}\\n\\nload {i}\\n"
        accepted, answers = deliver(i, recipients, msg)
        refused += not accepted
        temporary += answers
    print(refused, temporary)
    """)


def psql(host: SystemdContainer, sql: str) -> list[list[str]]:
    out = host.sh(f"runuser -u waybill -- psql -X -A -t -F '|' -d waybill -c {sh_quote(sql)}")
    return [line.split("|") for line in out.splitlines() if line]


def sh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def sink_files(host: SystemdContainer) -> list[str]:
    return [f for f in host.sh(f"ls {SINK_DIR}").split() if f]


def wait_in(host: SystemdContainer, script: str, timeout: int = 30) -> str:
    """Polls a shell condition inside the container (bounded) and returns its last output."""
    return host.sh(f"for i in $(seq {timeout * 5}); do if {script}; then exit 0; fi; sleep 0.2; done; "
                   f"echo 'timed out: {script}' >&2; exit 1", timeout=timeout + 30)


@pytest.fixture(scope="module")
def host(deb: Path, tmp_path_factory):
    with SystemdContainer.create(tmp_path_factory.mktemp("systemd-host")) as container:
        container.install_debs([deb])
        container.run_unbooted(["sh", "-c", POSTFIX_LOOPBACK])
        container.boot()
        set_up_waybill(container)
        yield container


def set_up_waybill(host: SystemdContainer) -> None:
    host.sh(f"mkdir -p {SINK_DIR} && chown nobody {SINK_DIR} && systemd-run --unit=sink "
            f"/usr/sbin/smtp-sink -u nobody -d {SINK_DIR}/%Y%m%d%H%M%S. 127.0.0.1:2525 64")
    host.sh("until runuser -u postgres -- psql -X -q -c 'select 1' >/dev/null 2>&1; do sleep 0.2; done", timeout=60)
    host.sh(f"cat > /etc/waybill/waybill.conf <<'EOF'\n{WAYBILL_CONF}EOF")
    # Keys as the operator documentation says: root's, readable by the group of the daemons using them.
    host.sh("waybill keys token > /etc/waybill/token.keys && chgrp waybill_tokens /etc/waybill/token.keys && "
            "chmod 640 /etc/waybill/token.keys")
    host.sh("waybill keys generate --domain sender.example --selector s1 --algorithm rsa --dir /etc/waybill/dkim "
            "> /etc/waybill/dkim/s1.dns; ls /etc/waybill/dkim")
    key = host.sh("ls /etc/waybill/dkim | grep -v dns | head -n 1").strip()
    host.sh(f"echo 's1 sender.example:s1:/etc/waybill/dkim/{key}' > /etc/waybill/dkim/KeyTable && "
            "echo '*@sender.example s1' > /etc/waybill/dkim/SigningTable")
    # Peer authentication: root reaches the superuser as the Unix user postgres, the schema is made
    # by the daemons' own user; a second run changes nothing.
    made = host.sh("waybill db init")
    assert "role waybill created; database waybill created" in made and "peer authentication" in made, made
    assert "daemon roles created: waybill_milter, waybill_policyd, waybill_trackd" in made, made
    again = host.sh("waybill db init")
    assert "schema up to date" in again and "granted waybill_milter" in again, again
    host.sh("waybill postfix-setup")
    host.sh(f"systemctl enable --now {' '.join(SOCKET_UNITS)} waybill-webhookd.service waybill-logd.service")
    wait_in(host, "test -S /var/spool/postfix/waybill/milter.sock")


def test_units_are_active_and_socket_activated(host: SystemdContainer) -> None:
    for unit in SOCKET_UNITS:
        assert host.sh(f"systemctl is-active {unit}").strip() == "active", host.journal(unit)
    assert host.sh("systemctl is-active postfix@-.service").strip() == "active"


def test_smtp_and_sendmail_mail_is_tracked_signed_and_recorded(host: SystemdContainer) -> None:
    before = len(sink_files(host))
    answer = host.sh(f"python3 -c {sh_quote(SEND_SMTP)} 1 smtp {' '.join(RECIPIENTS)}",
                     input=message("by smtp")).split()
    assert answer[-2:] == ["0", "0"], host.journal("waybill-milter")
    host.sh(f"sendmail -i -f app@sender.example {' '.join(RECIPIENTS)}", input=message("by sendmail"))
    wait_in(host, f"test $(ls {SINK_DIR} | wc -l) -ge {before + 2 * len(RECIPIENTS)}")
    delivered = host.sh(f"cat {SINK_DIR}/*")
    assert delivered.count("DKIM-Signature:") >= 2 * len(RECIPIENTS), delivered[-3000:]
    assert "http://track.sender.example/c/" in delivered
    rows = psql(host, "SELECT subject, submitted_via FROM messages WHERE subject LIKE 'by %' ORDER BY subject")
    assert rows == [["by sendmail", "sendmail"], ["by smtp", "smtp"]], rows
    recipients = psql(host, "SELECT count(*) FROM recipients r JOIN messages m ON m.id = r.message_id "
                            "WHERE m.subject LIKE 'by %'")
    assert recipients == [[str(2 * len(RECIPIENTS))]]
    # waybill-logd, under its unit, records each delivery from Postfix's own log.
    count_delivered = ("SELECT count(*) FROM events e JOIN messages m ON m.id = e.message_id "
                       "WHERE e.type = 'delivered' AND m.subject LIKE 'by %'")
    deadline = time.monotonic() + 30
    while int(psql(host, count_delivered)[0][0]) < 2 * len(RECIPIENTS):
        assert time.monotonic() < deadline, f"{psql(host, count_delivered)}\n{host.journal('waybill-logd')}"
        time.sleep(0.5)


def test_http_api_sends_through_its_socket_activated_unit(host: SystemdContainer) -> None:
    """waybill-apid under its unit (socket-activated on 127.0.0.1:8026, its own user and role):
    a message posted with a key goes through Postfix and the milter to the sink, signed and tracked."""
    # The operator runs it as the schema owner (peer authentication as the Unix user waybill).
    key = host.sh("runuser -u waybill -- waybill api-keys create --name systemd --sender-domain sender.example").split()[-1]
    post = textwrap.dedent("""\
        import json, sys, urllib.request
        body = json.dumps({"from": "App <app@sender.example>", "to": "api@dest.example", "subject": "by api",
                           "html": '<a href="https://shop.example/x">x</a>'}).encode()
        request = urllib.request.Request("http://127.0.0.1:8026/v1/messages", data=body, method="POST",
                                         headers={"Authorization": "Bearer " + sys.argv[1], "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=60) as response:
            print(response.status, response.read().decode())
        """)
    answer = host.sh(f"python3 -c {sh_quote(post)} {key}")
    assert answer.startswith("202 "), (answer, host.journal("waybill-apid"))
    assert json.loads(answer[4:])["recipients"][0]["status"] == "accepted", answer
    wait_in(host, f"grep -l 'Subject: by api' {SINK_DIR}/* >/dev/null 2>&1")
    delivered = host.sh(f"cat $(grep -l 'Subject: by api' {SINK_DIR}/*)")
    assert "DKIM-Signature:" in delivered and "http://track.sender.example/c/" in delivered, delivered[-2000:]
    assert psql(host, "SELECT submitted_via FROM messages WHERE subject = 'by api'") == [["smtp"]]
    pid = host.sh("systemctl show -p MainPID --value waybill-apid").strip()
    assert host.sh(f"stat -c %U /proc/{pid}").strip() == "waybill_apid"


@pytest.mark.parametrize("action", ["reload", "restart"])
def test_reload_and_restart_under_load_lose_nothing(host: SystemdContainer, action: str) -> None:
    count = 150
    prefix = f"load-{action}"
    host.sh(f"systemd-run --unit=load-{action} sh -c "
            f"{sh_quote(f'python3 -c {sh_quote(SEND_SMTP)} {count} {prefix} < /dev/null > /var/tmp/{prefix}.out 2>&1')}")
    # Socket-activated services start on their first connection; start them so there is a process
    # whose reload (same PID) or restart is being tested.
    host.sh(f"systemctl start {' '.join(SERVICES)}")
    for service in SERVICES if action == "restart" else RELOADABLE:
        pid = host.sh(f"systemctl show -p MainPID --value {service}").strip()
        host.sh(f"systemctl {action} {service}")
        assert host.sh(f"systemctl is-active {service}").strip() == "active", host.journal(service)
        if action == "reload":  # a reload is not a restart in disguise
            assert host.sh(f"systemctl show -p MainPID --value {service}").strip() == pid, host.journal(service)
    wait_in(host, f"! systemctl is-active -q load-{action}.service", timeout=120)
    output = host.sh(f"cat /var/tmp/{prefix}.out").split()
    refused, temporary = output[-2:]
    print(f"{action} of every unit under load: {count} messages, {temporary} temporary refusals (retried)")
    assert refused == "0", f"messages never accepted during {action}: {' '.join(output[:80])}"
    recorded = psql(host, f"SELECT count(*) FROM messages WHERE subject LIKE '{prefix} %'")
    assert recorded == [[str(count)]], recorded
    wait_in(host, f"test $(grep -l 'Subject: {prefix} ' {SINK_DIR}/* | wc -l) -ge {count}", timeout=120)
    for service in SERVICES:
        assert host.sh(f"systemctl is-active {service}").strip() == "active", host.journal(service)


def test_sandboxing_is_in_force(host: SystemdContainer) -> None:
    """ProtectSystem=strict: each daemon can write only where its unit allows."""
    host.sh(f"systemctl start {' '.join(SERVICES)}")
    allowed = {"waybill-trackd": "/var/spool/waybill/trackd", "waybill-milter": "/var/tmp",
               "waybill-piped": "/run/waybill"}
    for service, writable in allowed.items():
        pid = host.sh(f"systemctl show -p MainPID --value {service}").strip()
        assert pid not in ("", "0"), host.journal(service)
        user = host.sh(f"systemctl show -p User --value {service}").strip()
        as_daemon = f"nsenter -t {pid} -m -S $(id -u {user}) -G $(id -g {user})"
        outside = host.sh(f"{as_daemon} sh -c 'touch /usr/local/{service}-was-here' 2>&1; echo rc=$?", check=False)
        assert "Read-only file system" in outside and "rc=0" not in outside, (service, outside)
        probe = f"{writable}/{service}-probe"
        inside = host.sh(f"{as_daemon} sh -c 'touch {probe} && rm {probe}' 2>&1; echo rc=$?", check=False)
        assert "rc=0" in inside, (service, inside)


def test_scheduled_message_is_released_through_sudo(host: SystemdContainer) -> None:
    """waybill-policyd (NoNewPrivileges, no capability) releases held mail through the root
    helper service behind waybill-hold-helper.socket; the message waits in the hold queue until then."""
    send_at = host.sh("date -u -d '+8 seconds' +%Y-%m-%dT%H:%M:%SZ").strip()
    scheduled = (f"From: app@sender.example\nTo: ann@dest.example\nSubject: scheduled\n"
                 f"X-Waybill-Send-At: {send_at}\n\nlater\n")
    answer = host.sh(f"python3 -c {sh_quote(SEND_SMTP)} 1 scheduled", input=scheduled).split()
    assert answer[-2:] == ["0", "0"]
    held = host.sh("postqueue -j")
    assert '"queue_name": "hold"' in held, held
    try:
        wait_in(host, f"grep -l 'Subject: scheduled' {SINK_DIR}/* >/dev/null 2>&1", timeout=60)
    except AssertionError as error:
        raise AssertionError(f"{error}\n{host.journal('waybill-policyd')}") from None
    events = psql(host, "SELECT e.type FROM events e JOIN messages m ON m.id = e.message_id "
                        "WHERE m.subject = 'scheduled' ORDER BY e.occurred_at")
    assert ["held"] in events and ["released"] in events, (events, host.journal("waybill-policyd"))


DAEMON_USERS = {"waybill-milter": "waybill_milter", "waybill-policyd": "waybill_policyd",
                "waybill-trackd": "waybill_trackd", "waybill-piped": "waybill_pipe",
                "waybill-webhookd": "waybill_webhookd", "waybill-apid": "waybill_apid"}


def test_each_daemon_runs_as_its_own_user_and_role_with_only_its_keys(host: SystemdContainer) -> None:
    """The package's users, groups and ownerships; each daemon's Unix user and database role; the
    internet-facing trackd cannot read the DKIM keys or message contents; policyd keeps
    NoNewPrivileges. Prints systemd-analyze security for every unit."""
    host.sh(f"systemctl start {' '.join(SERVICES)}")
    for service, user in DAEMON_USERS.items():
        pid = host.sh(f"systemctl show -p MainPID --value {service}").strip()
        owner = host.sh(f"stat -c %U /proc/{pid}").strip()
        assert owner == user, (service, owner)
    assert host.sh("grep NoNewPrivs /proc/$(systemctl show -p MainPID --value waybill-policyd)/status").split()[-1] == "1"
    listing = host.sh("stat -c '%n %U:%G %a' /etc/waybill/waybill.conf /etc/waybill/token.keys /etc/waybill/dkim "
                      "/etc/waybill/dkim/*.key /var/spool/waybill/trackd /var/spool/postfix/private/waybill-policy "
                      "/run/waybill-hold/helper.sock")
    print(listing)
    modes = {line.split()[0]: line.split()[1:] for line in listing.splitlines()}
    assert modes["/etc/waybill/waybill.conf"] == ["root:waybill", "640"]
    assert modes["/etc/waybill/token.keys"] == ["root:waybill_tokens", "640"]
    assert modes["/etc/waybill/dkim"] == ["root:waybill_milter", "2750"]
    assert [v for k, v in modes.items() if k.endswith(".key")] == [["root:waybill_milter", "640"]]
    assert modes["/var/spool/waybill/trackd"] == ["waybill_trackd:waybill_trackd", "750"]
    assert modes["/var/spool/postfix/private/waybill-policy"] == ["waybill_policyd:postfix", "660"]
    assert modes["/run/waybill-hold/helper.sock"] == ["root:waybill_policyd", "660"]
    assert "unix:private/waybill-policy" in host.sh("postconf -h smtpd_recipient_restrictions")
    # trackd's user reads the token keys it verifies with, not the DKIM keys; its role no content.
    denied = host.sh("runuser -u waybill_trackd -- cat /etc/waybill/dkim/*.key 2>&1; echo rc=$?", check=False)
    assert "Permission denied" in denied and "rc=0" not in denied, denied
    assert "rc=0" in host.sh("runuser -u waybill_trackd -- cat /etc/waybill/token.keys >/dev/null; echo rc=$?", check=False)
    as_trackd = host.sh("runuser -u waybill_trackd -- psql -X -A -t -d waybill -c 'SELECT subject FROM messages' 2>&1",
                        check=False)
    assert "permission denied" in as_trackd, as_trackd
    dropped = host.sh("runuser -u waybill_trackd -- psql -X -A -t -d waybill -c 'DROP TABLE events' 2>&1", check=False)
    assert "must be owner" in dropped, dropped
    # A world-readable DKIM key is refused by the milter, with one line saying so.
    key = host.sh("ls /etc/waybill/dkim/*.key").split()[0]
    host.sh(f"chmod 644 {key} && systemctl restart waybill-milter")
    try:
        wait_in(host, 'journalctl -u waybill-milter -o cat | grep -q '
                      '"sender.example.s1.key. for sender.example is open to other users .mode 0644.: refused"')
    finally:
        host.sh(f"chmod 640 {key} && systemctl restart waybill-milter")
    for unit in sorted(set(SERVICES) | {"waybill-hold-helper@"}):
        path = f"/lib/systemd/system/{unit}.service"
        offline = host.sh(f"systemd-analyze security --offline=yes {path} 2>&1 | tail -n 1", check=False).strip()
        online = "" if unit.endswith("@") else host.sh(
            f"systemd-analyze security {unit}.service 2>&1 | tail -n 1", check=False).strip()
        print(f"{unit}: offline: {offline} | running: {online}")
        level = float(offline.split(":")[-1].split()[0])
        assert level <= 2.0, (unit, offline)
