"""Issue 4: what leaves Postfix + waybill-milter is DKIM-signed twice (rsa + ed25519) over its final
bytes, carries each recipient's own List-Unsubscribe and VERP return path, and keeps verifying after
another Postfix hop. Verified independently with python3-dkim (keys given without DNS).

Helpers here (keys, verification, tokens) are shared with test_milter_delivery_keys.py and
test_milter_templates.py.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, run  # noqa: E402
from waybill_stack import TOKEN_KEY_LINE, WaybillStack, milter_address  # noqa: E402

dkim = pytest.importorskip("dkim")

CORPUS = Path(__file__).resolve().parents[1] / "golden" / "tracking"
TRACKING_BASE = "https://t.example"
BOUNCE_DOMAIN = "bounces.example"
SENDER_BOUNCE_DOMAIN = "bounces.sender.example"  # milter.bounce_domains for sender.example
SIGNED_DOMAINS = ("sender.example", "shop.example", "app.example")


# ---------------------------------------------------------------------------------------------
# Keys and verification


@dataclass
class Keys:
    key_table: Path
    signing_table: Path
    dns: dict[bytes, bytes]

    def lookup(self, name: bytes, timeout: int = 5) -> bytes | None:
        return self.dns.get(name if name.endswith(b".") else name + b".")


def generate_key(waybill: Path, directory: Path, algorithm: str, selector: str) -> tuple[Path, bytes]:
    out = run([waybill, "keys", "generate", "--domain", "sender.example", "--selector", selector,
               "--algorithm", algorithm, "--dir", directory]).stdout.decode()
    record = re.search(r"IN TXT \( (.*) \)", out).group(1)
    return directory / f"sender.example.{selector}.key", "".join(re.findall(r'"([^"]*)"', record)).encode()


def make_keys(waybill: Path, directory: Path, extra_key_rows: str = "", extra_rules: str = "") -> Keys:
    """An rsa and an ed25519 key signing each of SIGNED_DOMAINS (both keys shared by all domains)."""
    directory.mkdir(parents=True, exist_ok=True)
    rsa_key, rsa_txt = generate_key(waybill, directory, "rsa", "r2026")
    ed_key, ed_txt = generate_key(waybill, directory, "ed25519", "e2026")
    keys, rules, dns = [], [], {}
    for domain in SIGNED_DOMAINS:
        keys += [f"rsa-{domain} {domain}:r2026:{rsa_key}", f"ed-{domain} {domain}:e2026:{ed_key}"]
        rules += [f"*@{domain} rsa-{domain}", f"*@{domain} ed-{domain}"]
        dns[f"r2026._domainkey.{domain}.".encode()] = rsa_txt
        dns[f"e2026._domainkey.{domain}.".encode()] = ed_txt
    (directory / "KeyTable").write_text("\n".join(keys) + "\n" + extra_key_rows)
    (directory / "SigningTable").write_text("\n".join(rules) + "\n" + extra_rules)
    return Keys(directory / "KeyTable", directory / "SigningTable", dns)


def signature_tags(raw: bytes) -> list[dict[str, str]]:
    """The tags of each DKIM-Signature field, top to bottom (whitespace removed)."""
    msg = Message_from(raw)
    out = []
    for value in msg.get_all("DKIM-Signature") or []:
        flat = re.sub(r"\s+", "", value)
        out.append(dict(t.split("=", 1) for t in flat.split(";") if "=" in t))
    return out


def verify_each(raw: bytes, keys: Keys) -> dict[str, bool]:
    """{algorithm: verified} for every DKIM-Signature of the message."""
    results = {}
    for index, tags in enumerate(signature_tags(raw)):
        try:
            ok = bool(dkim.DKIM(raw).verify(idx=index, dnsfunc=keys.lookup))
        except dkim.DKIMException:
            ok = False
        results[tags["a"]] = ok
    return results


def assert_dual_signed(raw: bytes, keys: Keys, what: str) -> None:
    assert verify_each(raw, keys) == {"rsa-sha256": True, "ed25519-sha256": True}, (what, raw[:3000])


# core/dkim's default header lists (dkim_signer.cpp): every instance is signed, these once more.
SIGNED_HEADERS = ("from", "to", "cc", "subject", "date", "message-id", "reply-to", "sender", "mime-version",
                  "content-type", "content-transfer-encoding", "in-reply-to", "references", "list-id",
                  "list-unsubscribe", "list-unsubscribe-post", "feedback-id")
OVERSIGNED = ("from", "list-unsubscribe", "list-unsubscribe-post")


def unsigned_fields(raw: bytes) -> list[tuple[str, int, int]]:
    """Header fields whose count at the sink differs from what h= covers: the DKIM stage's picture
    of the header block ("headersAfterEdits") differs from what Postfix wrote. [] when in step."""
    names = [k.lower() for k in Message_from(raw).keys()]
    wrong = []
    for tags in signature_tags(raw):
        signed = tags["h"].lower().split(":")
        for name in SIGNED_HEADERS:
            expected = names.count(name) + (name in OVERSIGNED)
            if signed.count(name) != expected:
                wrong.append((name, names.count(name), signed.count(name)))
    return wrong


def Message_from(data: bytes):
    import email.parser
    import email.policy
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)


KEY_ID, KEY_HEX = TOKEN_KEY_LINE.split()


def decode_token(token: str) -> tuple[str, uuid.UUID]:
    """(kind, recipient id) of a tracking token, checked against the test's own copy of the key."""
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    body, mac = raw[:-16], raw[-16:]
    assert hmac.compare_digest(hmac.new(bytes.fromhex(KEY_HEX), body, hashlib.sha256).digest()[:16], mac), token
    assert body[0] == (2 if body[2] == ord("c") else 1) and body[1] == int(KEY_ID)  # clicks: version 2
    return chr(body[2]), uuid.UUID(bytes=body[3:19])


def wait_arrivals(rig: Rig, predicate, count: int, timeout: float = 30) -> list:
    deadline = time.monotonic() + timeout
    found: list = []
    while time.monotonic() < deadline:
        found = [m for m in rig.sink.messages() if predicate(m)]
        if len(found) >= count:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{len(found)} of {count} arrived\n{rig.postfix.diagnostics()}\n"
                         f"{rig.log_of('waybill-milter')[-3000:]}")


def stack_sections(keys: Keys, **dkim_extra: str) -> dict[str, dict[str, str]]:
    return {
        "tracking": {"base_url": TRACKING_BASE},
        "pipe": {"bounce_domain": BOUNCE_DOMAIN},
        "milter": {"bounce_domains": f"sender.example={SENDER_BOUNCE_DOMAIN}"},
        "dkim": {"key_table": str(keys.key_table), "signing_table": str(keys.signing_table), **dkim_extra},
    }


# ---------------------------------------------------------------------------------------------
# Fixture: Postfix + milter signing with both keys, and a plain Postfix for the second hop


@dataclass
class Delivery:
    stack: WaybillStack
    rig: Rig
    plain: Rig
    keys: Keys

    def send(self, recipients: list[str], data: bytes, sender: str = "app@sender.example") -> None:
        code, text = self.rig.postfix.send_smtp(sender, recipients, data)
        assert code == 250, (code, text, self.rig.log_of("waybill-milter")[-2000:])

    def second_hop(self, arrived) -> object:
        """The sink's bytes submitted again through a Postfix without milter; what its sink got."""
        marker = f"hop2-{uuid.uuid4()}@dest.example"
        code, text = self.plain.postfix.send_smtp(arrived.sender, [marker], arrived.raw)
        assert code == 250, text
        [again] = wait_arrivals(self.plain, lambda m: marker in m.recipients, 1)
        return again


@pytest.fixture(scope="module")
def delivery(bin_dir: Path):
    port = free_port()
    with Rig(postgres=False) as plain, \
            Rig(milters=[milter_address(port)], non_smtpd_milters=[milter_address(port)]) as rig:
        keys = make_keys(bin_dir / "waybill", rig.path("dkim"))
        stack = WaybillStack(rig, bin_dir, sections=stack_sections(keys))
        stack.migrate()
        stack.start_milter(port)
        yield Delivery(stack, rig, plain, keys)


# ---------------------------------------------------------------------------------------------
# Acceptance 1: corpus and awkward messages, dual-signed, verified after one and two hops

LONG_LINE = b"y" * 996  # 996 octets + CRLF: just under the 998 limit
ODD_MESSAGES = {
    "8bit": "From: App <app@sender.example>\nTo: a@dest.example\nSubject: caf\u00e9 8bit\n"
            "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            "Gr\u00fc\u00dfe \u2014 \u20ac https://shop.example/\u00e4\n\n\n\n".encode(),
    "8bit-html": "From: App <app@sender.example>\nTo: a@dest.example\nSubject: 8bit html\nMIME-Version: 1.0\n"
                 "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
                 "<p>Gr\u00fc\u00dfe <a href=\"https://shop.example/x\">\u00fcber</a></p>\n".encode(),
    "folded-duplicate": b"From: App <app@sender.example>\nTo: a@dest.example,\n\tb@dest.example\n"
                        b"Subject: a long subject that\n  continues on a second line\nComments: one\nComments: two\n"
                        b"Cc: c@dest.example\nCc: d@dest.example\nX-Custom:   spaced    value  \n\n"
                        b"folded body https://shop.example/f\n",
    "near-998": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: long lines\r\n"
                b"X-Long: " + b"h" * 980 + b"\r\n\r\n" + LONG_LINE + b"\r\n" + b"z" * 997 + b"\r\n"
                b"<a href=\"https://shop.example/l\">" + b"w" * 900 + b"\r\nend\r\n",
    # Tracking lengthens the link: the line must not then pass 998 octets (Postfix's SMTP client
    # would break it with CRLF SPACE after signing).
    "link-near-998": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: long link line\r\n\r\n"
                     + b"x" * 900 + b" https://shop.example/a/long/path " + b"y" * 57 + b"\r\n",
    "html-link-near-998": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: long html line\r\n"
                          b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                          + b"<p>" + "\u00e9".encode() * 440 + b"<a href=\"https://shop.example/h\">x</a></p>\r\n",
    "crlf-mixed": b"From: App <app@sender.example>\r\nTo: a@dest.example\nSubject: mixed line ends\r\n\n"
                  b"lf line\ncrlf line\r\ntrailing spaces   \r\n\ttab start\r\n\r\n\r\n",
    "cr-oddities": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: cr oddities\r\n\r\n"
                   b"bare\rcr inside\r\ndouble cr\r\r\nends without newline",
    "terse-headers": b"From:App <app@sender.example>\r\nTo:a@dest.example\r\nSubject:\r\nCc:\r\n"
                     b"Reply-To:  \r\n  r@dest.example\r\nsubject: second lower-case subject\r\n\r\nbody\r\n",
    "dot-lines": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: dots\r\n\r\n"
                 b".\r\n..two\r\n.leading dot https://shop.example/d\r\n",
    "no-ids": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: no ids\r\n\r\nHello\r\n",
    "empty-body": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: empty\r\n\r\n",
}


# Sent over a raw socket: smtplib would turn every bare CR and LF into CRLF before Postfix sees it.
RAW_MESSAGES = {
    "raw bare-lf": b"From: App <app@sender.example>\nTo: a@dest.example\nSubject: raw bare lf\n\n"
                   b"line one\nline two https://shop.example/lf\n\n",
    "raw bare-cr": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: raw bare cr\r\n\r\n"
                   b"bare\rcr inside\r\ndouble cr\r\r\ncr at end\r\r\n",
    "raw cr-in-header": b"From: App <app@sender.example>\r\nTo: a@dest.example\r\nSubject: raw cr\rin header\r\n"
                        b"\r\nbody\r\n",
}


def send_raw(port: int, sender: str, rcpt: str, data: bytes) -> bytes:
    """One SMTP transaction with the DATA bytes as given (only dot-stuffed); the final reply."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        f = s.makefile("rb")

        def reply() -> bytes:
            while True:
                line = f.readline()
                if line[3:4] != b"-":
                    return line

        reply()
        for command in (b"HELO client.example", b"MAIL FROM:<" + sender.encode() + b">",
                        b"RCPT TO:<" + rcpt.encode() + b">", b"DATA"):
            s.sendall(command + b"\r\n")
            reply()
        stuffed = re.sub(rb"(^|\n)\.", rb"\1..", data)
        s.sendall(stuffed + (b"" if stuffed.endswith(b"\n") else b"\r\n") + b".\r\n")
        final = reply()
        s.sendall(b"QUIT\r\n")
        return final


def all_messages() -> dict[str, bytes]:
    messages = {f"corpus {p.name}": p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))}
    messages.update({f"odd {name}": data for name, data in ODD_MESSAGES.items()})
    messages.update(RAW_MESSAGES)
    return messages


def test_every_message_verifies_after_one_and_two_hops(delivery: Delivery) -> None:
    messages = all_messages()
    assert len(messages) >= 40
    sent = {}
    for i, (name, data) in enumerate(messages.items()):
        rcpt = f"one-{i}@dest.example"
        from_domain = re.search(rb"^From:[^\n]*@([\w.-]+)", data, re.M | re.I).group(1).decode()
        if name in RAW_MESSAGES:
            final = send_raw(delivery.rig.postfix.smtp_port, f"app@{from_domain}", rcpt, data)
            assert final.startswith(b"250"), (name, final)
        else:
            delivery.send([rcpt], data, sender=f"app@{from_domain}")
        sent[rcpt] = name
    failures = []
    for rcpt, name in sent.items():
        [arrived] = wait_arrivals(delivery.rig, lambda m: rcpt in m.recipients, 1)
        first = verify_each(arrived.raw, delivery.keys)
        second = verify_each(delivery.second_hop(arrived).raw, delivery.keys)
        wrong_h = unsigned_fields(arrived.raw)
        if first != second or first != {"rsa-sha256": True, "ed25519-sha256": True} or wrong_h:
            failures.append((name, first, second, wrong_h))
    assert not failures, failures


@pytest.mark.parametrize("name", ["no-ids", "8bit-html", "folded-duplicate", "crlf-mixed", "link-near-998"])
def test_sendmail_submissions_verify_too(delivery: Delivery, name: str) -> None:
    """The non-SMTP path (sendmail, pickup, non_smtpd_milters), where Postfix adds headers itself.
    (ASCII headers only: Postfix flags 8bit headers from sendmail as SMTPUTF8, which the sink lacks.)"""
    rcpt = f"sendmail-{name}-{uuid.uuid4()}@dest.example"
    result = delivery.rig.postfix.sendmail("app@sender.example", [rcpt], ODD_MESSAGES[name].replace(b"\r\n", b"\n"))
    assert result.returncode == 0, result
    [arrived] = wait_arrivals(delivery.rig, lambda m: rcpt in m.recipients, 1)
    assert_dual_signed(arrived.raw, delivery.keys, name)
    assert unsigned_fields(arrived.raw) == []
    assert_dual_signed(delivery.second_hop(arrived).raw, delivery.keys, name + " second hop")


def test_tampering_is_detected(delivery: Delivery) -> None:
    """The verification above can fail: an altered body or signed header breaks both signatures."""
    delivery.send(["tamper@dest.example"], ODD_MESSAGES["folded-duplicate"])
    [arrived] = wait_arrivals(delivery.rig, lambda m: "tamper@dest.example" in m.recipients, 1)
    assert_dual_signed(arrived.raw, delivery.keys, "untouched")
    body_changed = arrived.raw.replace(b"folded body", b"folded bodY")
    header_changed = arrived.raw.replace(b"Subject: a long", b"Subject: a LONG")
    for altered in (body_changed, header_changed):
        assert altered != arrived.raw
        assert verify_each(altered, delivery.keys) == {"rsa-sha256": False, "ed25519-sha256": False}


# ---------------------------------------------------------------------------------------------
# Acceptance 2: per-recipient List-Unsubscribe and VERP return path, signed

MULTI = (b"From: App <app@sender.example>\r\nTo: team@dest.example\r\nSubject: %s\r\n"
         b"Content-Type: text/html; charset=utf-8\r\n\r\n"
         b"<html><body><a href=\"https://shop.example/a\">a</a></body></html>\r\n")


def unsubscribe_uris(value: str) -> list[str]:
    return re.findall(r"<([^>]*)>", value)


def check_copy(delivery: Delivery, m, rows: dict[str, uuid.UUID], bounce_domain: str) -> tuple[str, str]:
    [rcpt] = m.recipients
    assert_dual_signed(m.raw, delivery.keys, rcpt)
    assert_dual_signed(delivery.second_hop(m).raw, delivery.keys, rcpt + " second hop")
    email = m.email
    assert email.get_all("List-Unsubscribe-Post") == ["List-Unsubscribe=One-Click"]
    [value] = email.get_all("List-Unsubscribe")
    https, mailto = unsubscribe_uris(value)
    assert https.startswith(TRACKING_BASE + "/u/"), https
    web_token = https.rsplit("/", 1)[1]
    found = re.fullmatch(rf"mailto:unsub\+([A-Za-z0-9_-]+)@{re.escape(BOUNCE_DOMAIN)}\?subject=unsubscribe", mailto)
    assert found, mailto
    mail_token = found.group(1)
    assert decode_token(web_token) == ("u", rows[rcpt])
    assert decode_token(mail_token) == ("u", rows[rcpt])
    # The envelope sender the sink saw is this recipient's VERP address.
    verp = re.fullmatch(rf"bounce\+([A-Za-z0-9_-]+)@{re.escape(bounce_domain)}", m.sender)
    assert verp, m.sender
    assert decode_token(verp.group(1)) == ("b", rows[rcpt])
    for tags in signature_tags(m.raw):
        signed = tags["h"].lower().split(":")
        assert "list-unsubscribe" in signed and "list-unsubscribe-post" in signed, tags["h"]
    assert not [k for k in email.keys() if k.lower().startswith("x-waybill-")]
    return web_token, mail_token


@pytest.mark.parametrize("sender,bounce_domain", [("app@sender.example", SENDER_BOUNCE_DOMAIN),
                                                   ("news@shop.example", BOUNCE_DOMAIN)])
def test_three_recipients_each_with_own_unsubscribe_and_return_path(delivery: Delivery, sender: str,
                                                                     bounce_domain: str) -> None:
    subject = f"unsubscribe {uuid.uuid4()}"
    tag = bounce_domain.split(".")[0]
    recipients = [f"ann-{tag}@dest.example", f"bob-{tag}@dest.example", f"cat-{tag}@other.example"]
    data = MULTI % subject.encode()
    if sender.endswith("shop.example"):
        data = data.replace(b"app@sender.example", b"news@shop.example")
    delivery.send(recipients, data, sender=sender)
    arrived = wait_arrivals(delivery.rig, lambda m: m.email["Subject"] == subject, 3)
    arrived = list({m.recipients[0]: m for m in arrived}.values())  # sink duplicates of a slow 250
    assert sorted(m.recipients[0] for m in arrived) == sorted(recipients)
    [(message_id,)] = delivery.rig.pg.query("SELECT id FROM messages WHERE subject = %s", (subject,))
    rows = {a: uuid.UUID(str(i)) for a, i in delivery.rig.pg.query(
        "SELECT address, id FROM recipients WHERE message_id = %s", (message_id,))}
    assert sorted(rows) == sorted(recipients)
    tokens = [check_copy(delivery, m, rows, bounce_domain) for m in arrived]
    # Each recipient's URIs differ from every other recipient's (https and mailto share one token).
    assert all(web == mail for web, mail in tokens)
    assert len({web for web, _ in tokens}) == 3


def test_resent_message_keeps_its_ids_although_postfix_dates_it_anew(delivery: Delivery) -> None:
    """A client retry (same Message-ID, no Date: Postfix adds one per attempt) is the same message:
    the copies made on the first attempt are not injected again."""
    subject = f"resent {uuid.uuid4()}"
    recipients = [f"{n}-{uuid.uuid4()}@dest.example" for n in ("first", "second", "third")]
    data = (f"From: App <app@sender.example>\r\nTo: team@dest.example\r\nSubject: {subject}\r\n"
            f"Message-ID: <{uuid.uuid4()}@sender.example>\r\n\r\nHello https://shop.example/r\r\n").encode()
    delivery.send(recipients, data)
    wait_arrivals(delivery.rig, lambda m: m.email["Subject"] == subject, 3)
    time.sleep(1.2)  # the retry's Date (added by Postfix) is a different second
    delivery.send(recipients, data)
    arrived = wait_arrivals(delivery.rig, lambda m: m.email["Subject"] == subject, 4)
    delivery.rig.postfix.wait_queue_empty()
    time.sleep(0.5)
    arrived = [m for m in delivery.rig.sink.messages() if m.email["Subject"] == subject]
    dates = {m.recipients[0]: set() for m in arrived}
    for m in arrived:
        dates[m.recipients[0]].add(m.email["Date"])
    assert len(dates[recipients[0]]) == 2  # kept in each transaction: the client did send it twice
    assert all(len(dates[r]) == 1 for r in recipients[1:]), dates  # copies: once
    assert len(delivery.rig.pg.query("SELECT id FROM messages WHERE subject = %s", (subject,))) == 1
    assert "injected by an earlier attempt" in delivery.rig.log_of("waybill-milter")


def test_identical_messages_without_message_id_are_all_delivered(delivery: Delivery) -> None:
    """No Message-ID of the client's: two identical sends are two messages, never a retry."""
    subject = f"twins {uuid.uuid4()}"
    recipients = [f"{n}-{uuid.uuid4()}@dest.example" for n in ("a", "b", "c")]
    data = (f"From: App <app@sender.example>\r\nTo: team@dest.example\r\nSubject: {subject}\r\n"
            f"Date: Mon, 30 Nov 2026 10:00:00 +0000\r\n\r\nSame body\r\n").encode()
    delivery.send(recipients, data)
    delivery.send(recipients, data)
    wait_arrivals(delivery.rig, lambda m: m.email["Subject"] == subject, 6)
    assert len(delivery.rig.pg.query("SELECT id FROM messages WHERE subject = %s", (subject,))) == 2
