"""`waybill dns check` against a local authoritative DNS server (tests/support/dns_server.py)
serving one zone that is right and two that are wrong in known ways: every record's verdict is
asserted, so is the exit status (0 right, 1 wrong or missing, 75 no answer). The keys are made
with openssl and their public halves computed here, independently of waybill. About 2 s."""

from __future__ import annotations

import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from dns_server import DnsServer  # noqa: E402
from waybill_rig import free_port  # noqa: E402

SENDING = ["192.0.2.10", "2001:db8::10"]
LINE = re.compile(r"^(ok|WRONG|MISSING|UNKNOWN)\s+(.+?)\s+(TXT|MX|A/AAAA)\s+(\S+\.\S+)\s*(.*)$")


def make_key(path: Path, algorithm: str) -> str:
    """Writes a private key and returns the p= value DNS must publish for it (RFC 6376, RFC 8463)."""
    args = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"] if algorithm == "rsa" else ["-algorithm", "ed25519"]
    subprocess.run(["openssl", "genpkey", *args, "-out", str(path)], check=True, capture_output=True)
    der = subprocess.run(["openssl", "pkey", "-in", str(path), "-pubout", "-outform", "DER"], check=True,
                         capture_output=True).stdout
    return base64.b64encode(der if algorithm == "rsa" else der[-32:]).decode()


def txt(value: str) -> str:
    """A zone-file TXT value split into 255-octet strings, as long DKIM records are published."""
    return " ".join(f'"{value[i:i + 255]}"' for i in range(0, len(value), 255))


def soa(origin: str) -> str:
    return f"$TTL 300\n@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300\n@ IN NS ns.{origin}.\n"


@pytest.fixture(scope="module")
def setup(tmp_path_factory, bin_dir: Path):
    tmp = tmp_path_factory.mktemp("dns")
    p = {name: make_key(tmp / f"{name}.key", alg) for name, alg in
         [("rsa1", "rsa"), ("ed1", "ed25519"), ("rsa2", "rsa"), ("ed2", "ed25519"), ("stranger", "rsa")]}
    (tmp / "key.table").write_text(
        f"rsa1-good good.example:rsa1:{tmp}/rsa1.key\ned1-good good.example:ed1:{tmp}/ed1.key\n"
        f"rsa2-broken broken.example:rsa2:{tmp}/rsa2.key\ned2-broken broken.example:ed2:{tmp}/ed2.key\n")
    good = soa("good.example") + f"""
rsa1._domainkey IN TXT {txt(f"v=DKIM1; k=rsa; p={p['rsa1']}")}
ed1._domainkey IN TXT "v=DKIM1; k=ed25519; p={p['ed1']}"
_dmarc IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@good.example"
bounces IN MX 10 mx.good.example.
bounces IN TXT "v=spf1 ip4:192.0.2.0/28 include:_spf.good.example -all"
_spf IN TXT "v=spf1 ip6:2001:db8::/64 ~all"
mx IN A 192.0.2.25
track IN CNAME proxy.good.example.
proxy IN A 192.0.2.80
_mta-sts.bounces IN TXT "v=STSv1; id=2026120101"
_smtp._tls.bounces IN TXT "v=TLSRPTv1; rua=mailto:tls@good.example"
"""
    broken = soa("broken.example") + f"""
rsa2._domainkey IN TXT {txt(f"v=DKIM1; k=rsa; p={p['stranger']}")}
_dmarc IN TXT "v=DMARC1; p=maybe"
bounces IN MX 0 .
"""
    lax = soa("lax.example") + """
_dmarc IN TXT "v=DMARC1; p=none; aspf=s"
bounces IN TXT "v=spf1 ip4:198.51.100.0/24 a:mx.lax.example -all"
bounces IN MX 10 nowhere.lax.example.
_mta-sts.bounces IN TXT "v=STSv1"
"""
    config = tmp / "waybill.conf"
    config.write_text(f"""[tracking]
base_url = https://track.good.example
[milter]
bounce_domains = good.example=bounces.good.example, broken.example=bounces.broken.example, lax.example=bounces.lax.example
[dkim]
key_table = {tmp}/key.table
[dns]
sending_addresses = {", ".join(SENDING)}
""")
    with DnsServer({"good.example": good, "broken.example": broken, "lax.example": lax}) as server:
        yield {"bin": bin_dir / "waybill", "config": config, "server": server}


def dns_check(setup, *args: str, options: tuple[str, ...] = ()) -> tuple[int, dict, str]:
    done = subprocess.run([str(setup["bin"]), "--config", str(setup["config"]), *options, "dns", "check", *args,
                           "--resolver", f"127.0.0.1:{setup['server'].port}"], capture_output=True, text=True, timeout=60)
    verdicts = {}
    for line in done.stdout.splitlines():
        if m := LINE.match(line):
            verdicts[(m[2], m[4])] = (m[1], m[5])
    return done.returncode, verdicts, done.stdout + done.stderr


def test_a_correct_zone_is_judged_right(setup) -> None:
    code, verdicts, out = dns_check(setup, "good.example")
    assert code == 0, out
    assert {key: v[0] for key, v in verdicts.items()} == {
        ("DKIM", "rsa1._domainkey.good.example"): "ok",
        ("DKIM", "ed1._domainkey.good.example"): "ok",
        ("DMARC", "_dmarc.good.example"): "ok",
        ("SPF", "bounces.good.example"): "ok",
        ("bounce MX", "bounces.good.example"): "ok",
        ("MTA-STS", "_mta-sts.bounces.good.example"): "ok",
        ("TLS-RPT", "_smtp._tls.bounces.good.example"): "ok",
        ("tracking host", "track.good.example"): "ok",
    }, out
    assert verdicts[("SPF", "bounces.good.example")][1] == "passes for 192.0.2.10, 2001:db8::10"
    assert verdicts[("tracking host", "track.good.example")][1] == "at 192.0.2.80"  # through the CNAME
    assert "rsa key of" in verdicts[("DKIM", "rsa1._domainkey.good.example")][1]
    assert "publish:" not in out


def test_a_broken_zone_has_every_fault_named(setup) -> None:
    code, verdicts, out = dns_check(setup, "broken.example")
    assert code == 1, out
    expected = {
        ("DKIM", "rsa2._domainkey.broken.example"): ("WRONG", "p= is not the public half of"),
        ("DKIM", "ed2._domainkey.broken.example"): ("MISSING", "no TXT record"),
        ("DMARC", "_dmarc.broken.example"): ("WRONG", "p=maybe is not none, quarantine or reject"),
        ("SPF", "bounces.broken.example"): ("MISSING", "no v=spf1 TXT record"),
        ("bounce MX", "bounces.broken.example"): ("WRONG", "null MX"),
        ("MTA-STS", "_mta-sts.bounces.broken.example"): ("MISSING", "optional, not published"),
        ("TLS-RPT", "_smtp._tls.bounces.broken.example"): ("MISSING", "optional, not published"),
        ("tracking host", "track.good.example"): ("ok", "at 192.0.2.80"),
    }
    assert set(verdicts) == set(expected), out
    for key, (verdict, detail) in expected.items():
        assert verdicts[key][0] == verdict and verdicts[key][1].startswith(detail), (key, verdicts[key])
    # Each fault comes with the line to publish; the DKIM one carries the configured key.
    assert "publish: rsa2._domainkey.broken.example. IN TXT" in out
    assert "publish: bounces.broken.example. IN TXT \"v=spf1 ip4:192.0.2.10 ip6:2001:db8::10 -all\"" in out


def test_spf_that_omits_an_address_and_a_dangling_mx_are_wrong(setup) -> None:
    code, verdicts, out = dns_check(setup, "lax.example")
    assert code == 1, out
    spf = verdicts[("SPF", "bounces.lax.example")]
    assert spf[0] == "WRONG" and spf[1].startswith("192.0.2.10 does not pass for bounces.lax.example (fail:"), spf
    assert verdicts[("bounce MX", "bounces.lax.example")] == ("WRONG", "MX target nowhere.lax.example has no address")
    dmarc = verdicts[("DMARC", "_dmarc.lax.example")]
    assert dmarc[0] == "ok" and "SPF does not align (bounce domain bounces.lax.example, aspf=s)" in dmarc[1], dmarc
    assert verdicts[("MTA-STS", "_mta-sts.bounces.lax.example")] == ("WRONG", "no id= tag")


def test_a_tracking_host_without_address_is_missing(setup) -> None:
    code, verdicts, out = dns_check(setup, "good.example", options=("--tracking.base_url", "https://gone.good.example"))
    assert code == 1, out
    assert verdicts[("tracking host", "gone.good.example")][0] == "MISSING", out


def test_no_answer_is_temporary_and_bad_arguments_are_usage_errors(setup) -> None:
    silent = free_port()
    done = subprocess.run([str(setup["bin"]), "--config", str(setup["config"]), "dns", "check", "good.example",
                           "--resolver", f"127.0.0.1:{silent}"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 75, done.stdout + done.stderr
    assert all(LINE.match(l)[1] == "UNKNOWN" for l in done.stdout.splitlines()[1:]), done.stdout
    for args in (["check", "--resolver", "localhost:53"], ["check", "--resolver", "127.0.0.1:99999"],
                 ["check", "not a domain"], ["check", "other.example"], ["lookup"]):
        bad = subprocess.run([str(setup["bin"]), "--config", str(setup["config"]), "dns", *args],
                             capture_output=True, text=True, timeout=30)
        assert bad.returncode == 64, (args, bad.stderr)
        assert bad.stderr.startswith("waybill dns"), (args, bad.stderr)


def test_records_prints_every_line_to_publish_without_asking_dns(setup) -> None:
    asked = len(setup["server"].queries)
    done = subprocess.run([str(setup["bin"]), "--config", str(setup["config"]), "dns", "records", "good.example"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    lines = [l for l in done.stdout.splitlines() if not l.startswith(";")]
    assert [l.split(".", 1)[0] if "._domainkey" in l else l.split(" ", 1)[0] for l in lines] == [
        "rsa1", "ed1", "_dmarc.good.example.", "bounces.good.example.", "bounces.good.example.",
        "_mta-sts.bounces.good.example.", "_smtp._tls.bounces.good.example.", "track.good.example."]
    assert len(setup["server"].queries) == asked
