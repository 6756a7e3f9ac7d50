"""core/dkim's signer, checked by an independent verifier (python3-dkim), with keys made by
`waybill keys generate` and OpenDKIM-format tables. No MTA: the milter's own DKIM stage is
tested through Postfix elsewhere."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

dkim = pytest.importorskip("dkim")

MESSAGES = {
    "plain": b"From: News <news@example.com>\nTo: ann@dest.example\nSubject: Hi\n"
             b"Date: Sun, 22 Nov 2026 04:20:31 +0000\nMessage-ID: <1@example.com>\n\nHello\n",
    "folded and duplicate headers": b"From: News <news@example.com>\nTo: ann@dest.example,\n\tbob@dest.example\n"
             b"Subject: a very long subject that\n  continues on a second line\nReceived: one\nReceived: two\n"
             b"Date: Sun, 22 Nov 2026 04:20:31 +0000\n\nbody\n",
    "8bit body and trailing blank lines": "From: news@example.com\nTo: a@b.example\nSubject: caf\u00e9\n"
             "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
             "Gr\u00fc\u00dfe \u2014 \u20ac\n\n\n\n".encode(),
    "crlf and long line": b"From: news@example.com\r\nTo: a@b.example\r\nSubject: x\r\n\r\n" + b"x" * 990 + b"\r\nend\r\n",
    "empty body": b"From: news@example.com\nTo: a@b.example\nSubject: empty\n\n",
}


def generate(waybill: Path, tmp: Path, algorithm: str, selector: str) -> tuple[Path, bytes]:
    out = subprocess.run([str(waybill), "keys", "generate", "--domain", "example.com", "--selector", selector,
                          "--algorithm", algorithm, "--dir", str(tmp)], capture_output=True, text=True, check=True)
    key = tmp / f"example.com.{selector}.key"
    assert key.stat().st_mode & 0o777 == 0o600
    record = re.search(r"IN TXT \( (.*) \)", out.stdout).group(1)
    txt = "".join(re.findall(r'"([^"]*)"', record)).encode()
    return key, txt


@pytest.fixture(scope="module")
def signer(tmp_path_factory, bin_dir: Path):
    tmp = tmp_path_factory.mktemp("dkim")
    rsa_key, rsa_txt = generate(bin_dir / "waybill", tmp, "rsa", "r2026")
    ed_key, ed_txt = generate(bin_dir / "waybill", tmp, "ed25519", "e2026")
    (tmp / "KeyTable").write_text(f"rsa example.com:r2026:{rsa_key}\ned example.com:e2026:{ed_key}\n")
    (tmp / "SigningTable").write_text("*@example.com rsa\n*@example.com ed\n")
    dns = {b"r2026._domainkey.example.com.": rsa_txt, b"e2026._domainkey.example.com.": ed_txt}

    def sign(message: bytes) -> bytes:
        return subprocess.run([str(bin_dir / "dkim_sign_tool"), str(tmp / "KeyTable"), str(tmp / "SigningTable"),
                               "news@example.com"], input=message, capture_output=True, check=True).stdout

    def lookup(name: bytes, timeout: int = 5) -> bytes:
        return dns.get(name if name.endswith(b".") else name + b".")

    return sign, lookup


def verify_all(signed: bytes, lookup) -> list[bool]:
    def one(index: int) -> bool:
        try:
            return bool(dkim.DKIM(signed).verify(idx=index, dnsfunc=lookup))
        except dkim.ValidationError:  # dkimpy raises for a body hash mismatch
            return False
    return [one(i) for i in range(signed.count(b"DKIM-Signature:"))]


@pytest.mark.parametrize("name", MESSAGES)
def test_both_signatures_verify_with_dkimpy(signer, name: str) -> None:
    sign, lookup = signer
    signed = sign(MESSAGES[name])
    assert signed.count(b"DKIM-Signature:") == 2
    assert b"a=rsa-sha256" in signed and b"a=ed25519-sha256" in signed
    assert verify_all(signed, lookup) == [True, True]


def test_an_altered_message_fails(signer) -> None:
    sign, lookup = signer
    signed = sign(MESSAGES["plain"])
    assert verify_all(signed.replace(b"Hello", b"Hellp"), lookup) == [False, False]
    assert verify_all(signed.replace(b"Subject: Hi", b"Subject: Ho"), lookup) == [False, False]
    # From is over-signed: a second From added later breaks the signature.
    assert verify_all(signed.replace(b"To: ann", b"From: evil@attacker.example\r\nTo: ann"), lookup) == [False, False]
