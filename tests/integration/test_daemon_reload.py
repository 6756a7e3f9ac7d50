"""`kill -HUP` of every daemon (what `systemctl reload` sends): each one keeps running with the
same PID on the same listening socket, keeps open connections, and puts in force what it re-reads
(runtime/config_reloader.h): a DKIM key and a token key added after the start sign the milter's
mail, a token signed by the new key verifies at trackd. A configuration that does not parse is
refused by each daemon with one log line, and the old one keeps serving. Costs about 25 s."""

from __future__ import annotations

import base64
import http.client
import os
import re
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
dkim = pytest.importorskip("dkim")
from test_milter_delivery import generate_key  # noqa: E402
from test_pipe import bounce_for, verp  # noqa: E402
from test_policyd import ask, policy_request  # noqa: E402
from test_trackd import add_recipient, mint  # noqa: E402
from waybill_rig import Rig, free_port, is_listening, wait_port, wait_until  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, WaybillStack, milter_address  # noqa: E402

OLD_KEY_ID, OLD_KEY_HEX = TOKEN_KEY_LINE.split()
NEW_KEY_ID, NEW_SECRET = 9, bytes(range(100, 132))
NAMES = ("waybill-milter", "waybill-policyd", "waybill-trackd", "waybill-piped", "waybill-webhookd", "waybill-logd",
         "waybill-apid")


@dataclass
class Daemons:
    stack: WaybillStack
    rig: Rig
    ports: dict[str, int]  # each daemon's listening TCP port (metrics_listen for those without one)
    pipe_socket: Path
    dkim_dir: Path
    dns: dict[bytes, bytes]
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)

    def hang_up_all(self, expect: str) -> None:
        """SIGHUP to every daemon; waits for each one's log line saying `expect`."""
        seen = {name: self.rig.log_of(name).count(expect) for name in NAMES}
        for name in NAMES:
            os.kill(self.procs[name].pid, signal.SIGHUP)
        for name in NAMES:
            assert wait_until(lambda: self.rig.log_of(name).count(expect) > seen[name], 15), \
                (name, self.rig.log_of(name)[-2000:])

    def assert_same_processes_serving(self, pids: dict[str, int]) -> None:
        for name in NAMES:
            proc = self.procs[name]
            assert proc.poll() is None and proc.pid == pids[name], (name, self.rig.log_of(name)[-2000:])
            assert is_listening(self.ports[name], proc.pid), f"{name} no longer listens on its socket"
        assert self.pipe_socket.exists()

    def send(self, domain: str, subject: str) -> None:
        data = (f"From: App <app@{domain}>\nTo: r@dest.example\nSubject: {subject}\n\n"
                f"Hello https://shop.example/r\n").encode()
        code, text = self.rig.postfix.send_smtp(f"app@{domain}", [f"r-{uuid.uuid4()}@dest.example"], data)
        assert code == 250, (code, text, self.rig.log_of("waybill-milter")[-2000:])

    def arrived(self, subject: str) -> bytes:
        assert wait_until(lambda: any(m.email["Subject"] == subject for m in self.rig.sink.messages()), 30), \
            self.rig.postfix.diagnostics()
        return next(m.raw for m in self.rig.sink.messages() if m.email["Subject"] == subject)

    def lookup(self, name: bytes, timeout: int = 5) -> bytes | None:
        return self.dns.get(name if name.endswith(b".") else name + b".")

    def pipe_stores_a_bounce(self) -> None:
        rid, header = uuid.uuid4(), f"<{uuid.uuid4()}@sender.test>"
        self.rig.pg.execute("INSERT INTO messages (id, message_id_header, envelope_sender) VALUES (%s, %s, %s)",
                            (str(rid), header, "news@sender.test"))
        self.rig.pg.execute("INSERT INTO recipients (id, message_id, address) VALUES (%s, %s, %s)",
                            (str(rid), str(rid), "gone@elsewhere.test"))
        argv = [str(self.stack.binary("waybill-pipe")), "--config", str(self.stack.config), "--sender=",
                f"--recipient={verp(rid)}", f"--queue-id=H{uuid.uuid4().hex[:8].upper()}"]
        result = subprocess.run(argv, input=bounce_for("gone@elsewhere.test", header), capture_output=True, timeout=30)
        assert result.returncode == 0, result.stderr
        assert "stored" in self.rig.log_of("waybill-piped")


def signing_key_ids(raw: bytes) -> set[int]:
    """Key ids of the tracking tokens in the message's links (the second byte of each token)."""
    ids = set()
    for token in re.findall(rb"/[cou]/([A-Za-z0-9_-]{20,})", raw):
        ids.add(base64.urlsafe_b64decode(token + b"=" * (-len(token) % 4))[1])
    return ids


@pytest.fixture(scope="module")
def daemons(bin_dir: Path):
    milter_port, policyd_port = free_port(), free_port()
    with Rig(milters=[milter_address(milter_port)], policy_service=f"inet:127.0.0.1:{policyd_port}") as rig:
        dkim_dir = rig.path("dkim")
        dkim_dir.mkdir()
        first_key, first_txt = generate_key(bin_dir / "waybill", dkim_dir, "ed25519", "o2026")
        (dkim_dir / "KeyTable").write_text(f"first sender.example:o2026:{first_key}\n")
        (dkim_dir / "SigningTable").write_text("*@sender.example first\n")
        ports = {"waybill-milter": milter_port, "waybill-policyd": policyd_port,
                 **{name: free_port() for name in ("waybill-piped", "waybill-webhookd", "waybill-logd", "waybill-apid")}}
        pipe_socket = rig.path("piped.sock")
        stack = WaybillStack(rig, bin_dir)
        ports["waybill-trackd"] = stack.tracking_port
        stack = WaybillStack(rig, bin_dir, tracking_port=stack.tracking_port, sections={
            "dkim": {"key_table": str(dkim_dir / "KeyTable"), "signing_table": str(dkim_dir / "SigningTable")},
            "policyd": {"listen": f"127.0.0.1:{policyd_port}"},
            "trackd": {"listen": f"127.0.0.1:{stack.tracking_port}", "spool_dir": str(rig.path("spool")), "threads": "2"},
            "pipe": {"bounce_domain": "bounces.test", "socket": f"unix:{pipe_socket}", "socket_mode": "0666",
                     "metrics_listen": f"127.0.0.1:{ports['waybill-piped']}"},
            "webhooks": {"metrics_listen": f"127.0.0.1:{ports['waybill-webhookd']}"},
            "logd": {"log_file": str(rig.postfix.log_file), "poll_ms": "100",
                     "metrics_listen": f"127.0.0.1:{ports['waybill-logd']}"},
            "api": {"listen": f"127.0.0.1:{ports['waybill-apid']}", "submit": f"smtp:127.0.0.1:{rig.postfix.smtp_port}"},
            "log": {"syslog": "false", "level": "info"},
        })
        stack.migrate()
        d = Daemons(stack, rig, ports, pipe_socket, dkim_dir, {b"o2026._domainkey.sender.example.": first_txt})
        d.procs["waybill-milter"] = stack.start_milter(milter_port)
        config = ["--config", str(stack.config)]
        for name, extra in (("waybill-policyd", []), ("waybill-trackd", []), ("waybill-piped", ["--serve"]),
                            ("waybill-webhookd", []), ("waybill-logd", []), ("waybill-apid", [])):
            d.procs[name] = rig.spawn([stack.binary(name), *config, *extra], name=name)
        for name in NAMES:
            wait_port(ports[name], pid=d.procs[name].pid)
        assert wait_until(pipe_socket.exists, 10)
        yield d


def test_sighup_puts_new_keys_in_force_on_the_same_processes_and_sockets(daemons: Daemons) -> None:
    d = daemons
    pids = {name: proc.pid for name, proc in d.procs.items()}
    recipient = add_recipient(d.rig, "ann@dest.example")
    new_token = mint("o", recipient, key=NEW_SECRET, key_id=NEW_KEY_ID)
    kept_alive = http.client.HTTPConnection("127.0.0.1", d.ports["waybill-trackd"], timeout=10)
    api = http.client.HTTPConnection("127.0.0.1", d.ports["waybill-apid"], timeout=10)
    api.request("GET", "/v1/openapi.json")
    api.getresponse().read()
    kept_alive.request("GET", f"/o/{new_token}")
    response = kept_alive.getresponse()
    response.read()
    assert response.status == 404, "a key not loaded yet must not verify"
    d.send("later.example", "before the reload")
    before = d.arrived("before the reload")
    assert b"d=later.example" not in before and signing_key_ids(before) == {int(OLD_KEY_ID)}

    # A new token key signs from now on (first line); a new DKIM key for a new domain.
    d.stack.key_file.write_text(f"{NEW_KEY_ID} {NEW_SECRET.hex()}\n{TOKEN_KEY_LINE}\n")
    later_key, later_txt = generate_key(d.stack.binary("waybill"), d.dkim_dir, "ed25519", "n2026")
    d.dns[b"n2026._domainkey.later.example."] = later_txt
    with open(d.dkim_dir / "KeyTable", "a") as f:
        f.write(f"later later.example:n2026:{later_key}\n")
    with open(d.dkim_dir / "SigningTable", "a") as f:
        f.write("*@later.example later\n")
    d.hang_up_all("reloaded ")
    d.assert_same_processes_serving(pids)

    d.send("later.example", "after the reload")
    after = d.arrived("after the reload")
    assert b"d=later.example" in after and b"s=n2026" in after, after[:2000]
    assert dkim.DKIM(after).verify(dnsfunc=d.lookup), "the new DKIM key's signature does not verify"
    assert signing_key_ids(after) == {NEW_KEY_ID}, "the milter's tokens are not signed by the new key"
    kept_alive.request("GET", f"/o/{new_token}")
    response = kept_alive.getresponse()
    response.read()
    assert response.status == 200, "trackd: the new key does not verify on a connection opened before the reload"
    assert ask(d.ports["waybill-policyd"], policy_request("a@sender.example", "x@dest.example"))[0] == "DUNNO"
    d.pipe_stores_a_bounce()
    api.request("GET", "/v1/openapi.json")
    response = api.getresponse()
    assert response.status == 200 and b'"openapi"' in response.read(), "apid: a connection opened before the reload"


def test_a_configuration_that_does_not_parse_is_refused_and_the_old_one_serves(daemons: Daemons) -> None:
    d = daemons
    pids = {name: proc.pid for name, proc in d.procs.items()}
    good = d.stack.config.read_text()
    assert "level = info" in good
    d.stack.config.write_text(good.replace("level = info", "level = loud"))
    try:
        d.hang_up_all("reload refused")
    finally:
        d.stack.config.write_text(good)
    d.assert_same_processes_serving(pids)
    for name in NAMES:
        assert "'log.level'" in d.rig.log_of(name).split("reload refused")[-1], name
    d.send("sender.example", "after a refused reload")
    raw = d.arrived("after a refused reload")
    assert dkim.DKIM(raw).verify(dnsfunc=d.lookup)
    assert ask(d.ports["waybill-policyd"], policy_request("a@sender.example", "y@dest.example"))[0] == "DUNNO"
    d.pipe_stores_a_bounce()
