"""Issue 3: click and open tracking through real Postfix + waybill-milter.

Every corpus message (tests/golden/tracking/) goes through Postfix and the milter; per-recipient
copies, failure in the middle of re-injection, X-Waybill-Track modes and the memory bound of a
50 MB message are checked against what reaches the sink and what PostgreSQL holds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html.parser
import os
import re
import sys
import time
import urllib.parse
import uuid
from email.message import Message
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_stack import TOKEN_KEY_LINE, WaybillStack, milter_rig  # noqa: E402

CORPUS = Path(__file__).resolve().parents[1] / "golden" / "tracking"
TRACKABLE = ("text/html", "text/plain")
TRACKING_BASE = "https://t.example"  # the corpus has links already pointing there (not rewritten)
ASCII_COMPATIBLE = re.compile(r"^(|us-ascii|ascii|utf-?8|iso-?8859-.*|windows-125.|cp125.|koi8-.*|latin.*)$")


# ---------------------------------------------------------------------------------------------
# Tokens (the wire form of core/token/tracking_token.h, verified independently here)

KEY_ID, KEY_HEX = TOKEN_KEY_LINE.split()
KEY = bytes.fromhex(KEY_HEX)


def decode_token(token: str) -> tuple[str, uuid.UUID, bytes]:
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    body, mac = raw[:-16], raw[-16:]
    assert hmac.compare_digest(hmac.new(KEY, body, hashlib.sha256).digest()[:16], mac), token
    kind = chr(body[2])
    # Version 2 (clicks) carries the signing time, big-endian Unix seconds, before the URL.
    assert body[0] == (2 if kind == "c" else 1) and body[1] == int(KEY_ID)
    if kind != "c":
        return kind, uuid.UUID(bytes=body[3:19]), body[19:]
    assert abs(int.from_bytes(body[19:23], "big") - time.time()) < 3600, body[19:23]
    return kind, uuid.UUID(bytes=body[3:19]), body[23:]


# ---------------------------------------------------------------------------------------------
# Fixture: one Postfix + milter for the module, copies re-injected through a wrapper that can be
# told to fail once for a recipient (the failure injected in the middle of a transaction).

FAIL_WRAPPER = """#!/bin/sh
for last; do :; done
if grep -qxF "$last" "{fail_file}" 2>/dev/null; then
  grep -vxF "$last" "{fail_file}" > "{fail_file}.new"; mv "{fail_file}.new" "{fail_file}"
  echo "injected failure for $last" >&2; exit 75
fi
exec /usr/sbin/sendmail "$@"
"""


class Tracking:
    def __init__(self, stack: WaybillStack, pid: int) -> None:
        self.stack = stack
        self.rig = stack.rig
        self.pg = stack.rig.pg
        self.milter_pid = pid
        self.base = TRACKING_BASE
        self.fail_file = stack.rig.path("fail-once")

    def send(self, recipients: list[str], data: bytes) -> tuple[int, str]:
        return self.rig.postfix.send_smtp("app@sender.example", recipients, data)

    def arrivals(self, predicate, count: int, timeout: float = 30) -> list:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m for m in self.rig.sink.messages() if predicate(m)]
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"only {len(found)} of {count} arrived\n{self.rig.postfix.diagnostics()}\n"
                             f"{self.rig.log_of('waybill-milter')[-3000:]}")

    def to(self, address: str, count: int = 1) -> list:
        return self.arrivals(lambda m: address in m.recipients, count)

    def recipient_id(self, address: str) -> uuid.UUID:
        [(rid,)] = self.pg.query("SELECT id FROM recipients WHERE address = %s", (address,))
        return uuid.UUID(str(rid))


@pytest.fixture(scope="module")
def tracking(bin_dir: Path):
    with milter_rig(extra_main={"message_size_limit": "80000000"}) as (rig, port):
        stack = WaybillStack(rig, bin_dir)
        stack.migrate()
        wrapper = rig.path("reinject.sh")
        wrapper.write_text(FAIL_WRAPPER.format(fail_file=rig.path("fail-once")))
        wrapper.chmod(0o755)
        # Copies through the sendmail fallback here (the wrapper fails on demand); over SMTP to the
        # copy listener in test_milter_copies.py and the other milter tests.
        proc = stack.start_milter(port, "--milter.copy_listener", "",
                                  "--milter.reinject_command", f"{wrapper} -C {rig.postfix.config_dir} -i",
                                  "--tracking.base_url", TRACKING_BASE)
        yield Tracking(stack, proc.pid)


# ---------------------------------------------------------------------------------------------
# Comparing what was sent with what arrived


class TagSequence(html.parser.HTMLParser):
    """Start/end tags with attributes and the text between them, as an HTML parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[tuple] = []

    def handle_starttag(self, tag, attrs):
        self.items.append(("start", tag, tuple(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.items.append(("startend", tag, tuple(attrs)))

    def handle_endtag(self, tag):
        self.items.append(("end", tag))

    def handle_data(self, data):
        self.items.append(("data", data))


def tags_of(text: str) -> list[tuple]:
    parser = TagSequence()
    parser.feed(text)
    parser.close()
    return parser.items


def leaves(msg: Message, inside_opaque: bool = False):
    """(part, trackable) for each leaf, in order; parts under rfc822/signed are never trackable."""
    ctype = msg.get_content_type()
    if msg.is_multipart():
        opaque = inside_opaque or ctype in ("multipart/signed", "multipart/encrypted") or ctype == "message/rfc822"
        for sub in msg.get_payload():
            yield from leaves(sub, opaque)
        return
    charset = (msg.get_content_charset() or "").lower()
    trackable = (not inside_opaque and ctype in TRACKABLE and msg.get_content_disposition() != "attachment"
                 and ASCII_COMPATIBLE.match(charset) is not None)
    yield msg, trackable


def decoded(part: Message) -> bytes:
    return (part.get_payload(decode=True) or b"").replace(b"\r\n", b"\n")


ASCII_PRINTABLE = "".join(chr(c) for c in range(0x21, 0x7F))


def browser_form(url: bytes, charset: str) -> bytes:
    """What a browser requests for a link written in a part of this charset (WHATWG URL, by
    Python's own codecs): decoded, the host as IDNA, other non-ASCII percent-encoded as UTF-8."""
    if url.isascii():
        return url
    try:
        text = url.decode(charset or "utf-8")
    except (LookupError, UnicodeDecodeError):
        return urllib.parse.quote_from_bytes(url, safe=ASCII_PRINTABLE).encode()
    parts = urllib.parse.urlsplit(text)
    if parts.hostname and not parts.hostname.isascii():
        text = text.replace(parts.hostname, parts.hostname.encode("idna").decode(), 1)
    return urllib.parse.quote(text, safe=ASCII_PRINTABLE).encode()


def check_html(before: bytes, after: bytes, charset: str, clicks: list[tuple[uuid.UUID, bytes]],
               base: str, pixel_expected: bool = True) -> None:
    enc = "latin-1"  # byte-transparent: compares bytes whatever the declared charset
    old, new = tags_of(before.decode(enc)), tags_of(after.decode(enc))
    pixels = [i for i, item in enumerate(new)
              if item[0] in ("start", "startend") and item[1] == "img" and dict(item[2]).get("src", "").startswith(base + "/o/")]
    assert len(pixels) == (1 if pixel_expected else 0), pixels
    for i in pixels:
        kind, _, _ = decode_token(dict(new[i][2])["src"].rsplit("/", 1)[1])
        assert kind == "o"
    new = [item for i, item in enumerate(new) if i not in pixels]
    # Text around the pixel may now be split in two data items; join neighbouring data.
    def joined(items):
        out = []
        for item in items:
            if item[0] == "data" and out and out[-1][0] == "data":
                out[-1] = ("data", out[-1][1] + item[1])
            else:
                out.append(item)
        return out
    old, new = joined(old), joined(new)
    assert len(old) == len(new)
    for a, b in zip(old, new):
        if a == b:
            continue
        assert a[:2] == b[:2] and a[1] in ("a", "area"), (a, b)
        a_attrs, b_attrs = dict(a[2]), dict(b[2])
        assert {k: v for k, v in a_attrs.items() if k != "href"} == {k: v for k, v in b_attrs.items() if k != "href"}
        assert b_attrs["href"].startswith(base + "/c/"), (a, b)
        kind, rid, url = decode_token(b_attrs["href"].rsplit("/", 1)[1])
        assert kind == "c"
        # The token holds the URL the link had (html.parser decoded its entities too), in the ASCII
        # form a browser would request.
        assert url == browser_form(a_attrs["href"].strip().encode(enc), charset), (url, a_attrs["href"])
        clicks.append((rid, url))


def check_text(before: bytes, after: bytes, clicks: list[tuple[uuid.UUID, bytes]], base: str) -> None:
    tracked = re.compile(re.escape(base.encode()) + rb"/c/([A-Za-z0-9_-]+)")

    def restore(match: re.Match) -> bytes:
        kind, rid, url = decode_token(match.group(1).decode())
        assert kind == "c"
        clicks.append((rid, url))
        return url

    assert tracked.sub(restore, after) == before


def check_delivery(t: Tracking, sent: bytes, arrived, pixel: bool = True) -> list[tuple[uuid.UUID, bytes]]:
    """All of acceptance 1 for one message; returns the (recipient, url) of every tracked click."""
    for line in arrived.raw.split(b"\r\n"):
        assert len(line) <= 998
    before, after = list(leaves(Message_from(sent))), list(leaves(arrived.email))
    assert [p.get_content_type() for p, _ in before] == [p.get_content_type() for p, _ in after]
    clicks: list[tuple[uuid.UUID, bytes]] = []
    for (old, trackable), (new, _) in zip(before, after):
        if not trackable:
            assert decoded(old) == decoded(new), old.get_content_type()  # byte-identical after decoding
        elif old.get_content_type() == "text/html":
            check_html(decoded(old), decoded(new), old.get_content_charset() or "", clicks, t.base, pixel)
        else:
            check_text(decoded(old), decoded(new), clicks, t.base)
    return clicks


def Message_from(data: bytes) -> Message:
    import email.parser
    import email.policy
    return email.parser.BytesParser(policy=email.policy.compat32).parsebytes(data)


# ---------------------------------------------------------------------------------------------
# Acceptance 1: the corpus through Postfix + milter


def corpus() -> list[Path]:
    return sorted(CORPUS.glob("*.eml"))


def test_corpus_has_thirty_messages() -> None:
    assert len(corpus()) >= 30


def test_corpus_through_postfix(tracking: Tracking) -> None:
    sent = {}
    for path in corpus():
        rcpt = f"corpus-{path.stem[:2]}@dest.example"
        data = path.read_bytes()
        code, text = tracking.send([rcpt], data)
        assert code == 250, (path.name, text)
        sent[rcpt] = (path, data)
    for rcpt, (path, data) in sent.items():
        [arrived] = tracking.to(rcpt)
        clicks = check_delivery(tracking, data, arrived)
        expected = [u for u in path.with_name(path.name + ".links").read_bytes().split(b"\n") if u]
        assert [url for _, url in clicks] == expected, path.name
        rid = tracking.recipient_id(rcpt)
        assert all(r == rid for r, _ in clicks), path.name
        # The links of each copy are recorded for reporting, in order.
        rows = tracking.pg.query("SELECT url FROM links WHERE recipient_id = %s ORDER BY position", (str(rid),))
        assert [r[0].encode("utf-8") for r in rows] == [u.decode("utf-8", "replace").encode("utf-8") for u in expected]


# ---------------------------------------------------------------------------------------------
# Acceptance 2: one copy per recipient, each with its own tokens; failure in the middle


MULTI = (b"From: App <app@sender.example>\r\nTo: team@dest.example\r\nSubject: %s\r\n"
         b"Message-ID: <%s@sender.example>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
         b"<html><body><p><a href=\"https://shop.example/a?x=1&amp;y=2\">a</a> "
         b"<a href=\"https://shop.example/b\">b</a></p></body></html>\r\n")


def queue_id_of(m) -> str:
    """The id of the queue file this delivery came from (from our Postfix's Received header)."""
    return re.search(r"\bid ([0-9A-Za-z]+)", m.email.get_all("Received")[0]).group(1)


def check_copies(t: Tracking, subject: bytes, recipients: list[str]) -> None:
    arrived = t.arrivals(lambda m: m.email["Subject"] == subject.decode(), len(recipients))
    t.rig.postfix.wait_queue_empty(20)
    arrived = [m for m in t.rig.sink.messages() if m.email["Subject"] == subject.decode()]
    # Exactly one queue file per recipient. (Counted by the queue id Postfix gave each copy: on a
    # loaded machine smtp-sink may answer late, and Postfix then rightly delivers the same queue
    # file again; that is the sink's duplicate, not a second copy.)
    copies = {(m.recipients[0], queue_id_of(m)) for m in arrived}
    assert sorted(r for r, _ in copies) == sorted(recipients)
    arrived = list({queue_id_of(m): m for m in arrived}.values())
    [(message_id,)] = t.pg.query("SELECT id FROM messages WHERE subject = %s", (subject.decode(),))
    rows = dict(t.pg.query("SELECT address, id FROM recipients WHERE message_id = %s", (message_id,)))
    assert sorted(rows) == sorted(recipients)
    for m in arrived:
        [rcpt] = m.recipients
        assert "X-Waybill-Copy" not in m.email
        clicks = check_delivery(t, MULTI % (subject, b"x"), m)
        assert [u for _, u in clicks] == [b"https://shop.example/a?x=1&y=2", b"https://shop.example/b"]
        assert {r for r, _ in clicks} == {uuid.UUID(str(rows[rcpt]))}
        links = t.pg.query("SELECT url FROM links WHERE recipient_id = %s ORDER BY position", (rows[rcpt],))
        assert [u for (u,) in links] == ["https://shop.example/a?x=1&y=2", "https://shop.example/b"]


def test_three_recipients_three_copies(tracking: Tracking) -> None:
    recipients = ["ann@dest.example", "bob@dest.example", "cat@other.example"]
    code, text = tracking.send(recipients, MULTI % (b"three copies", b"three"))
    assert code == 250, text
    check_copies(tracking, b"three copies", recipients)


def test_failure_in_the_middle_tempfails_and_retry_delivers_once(tracking: Tracking) -> None:
    recipients = ["dan@dest.example", "eve@dest.example", "fay@dest.example"]
    data = MULTI % (b"retried", b"retried")
    tracking.fail_file.write_text("fay@dest.example\n")  # eve's copy goes in, fay's fails
    code, text = tracking.send(recipients, data)
    assert code == 451, text
    assert tracking.fail_file.read_text() == ""
    tracking.to("eve@dest.example")  # already on its way: the retry must not send it again
    code, text = tracking.send(recipients, data)
    assert code == 250, text
    check_copies(tracking, b"retried", recipients)
    assert "injected by an earlier attempt" in tracking.rig.log_of("waybill-milter")


def test_resubmitted_message_is_recorded_once(tracking: Tracking) -> None:
    """A message whose rows an earlier attempt wrote (same Message-ID, content and recipient, as
    when a client retries after losing the server's 250) is not recorded twice: the one insert
    statement conflicts on the message id and then writes nothing, links and events included."""
    data = MULTI % (b"recorded once", b"recorded-once")
    for _ in range(2):
        code, text = tracking.send(["gil@dest.example"], data)
        assert code == 250, text
    assert len(tracking.arrivals(lambda m: m.email["Subject"] == "recorded once", 2)) == 2
    [(message_id,)] = tracking.pg.query("SELECT id FROM messages WHERE subject = 'recorded once'")
    assert tracking.pg.query("SELECT count(*) FROM recipients WHERE message_id = %s", (message_id,)) == [(1,)]
    assert tracking.pg.query("SELECT count(*) FROM events WHERE message_id = %s AND type = 'accepted'",
                             (message_id,)) == [(1,)]
    assert tracking.pg.query("SELECT count(*) FROM links WHERE message_id = %s", (message_id,)) == [(2,)]
    assert f"message {message_id} was recorded by an earlier attempt" in tracking.rig.log_of("waybill-milter")


# ---------------------------------------------------------------------------------------------
# Acceptance 3: X-Waybill-Track modes; control headers gone


MODE = (b"From: App <app@sender.example>\r\nTo: x@dest.example\r\nSubject: mode %s\r\n"
        b"X-Waybill-Track: %s\r\nX-Waybill-Tags: welcome, mode-%s\r\n"
        b"Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n"
        b"Go to https://shop.example/t\r\n--b\r\nContent-Type: text/html\r\n\r\n"
        b"<p><a href=\"https://shop.example/h\">h</a></p>\r\n--b--\r\n")


@pytest.mark.parametrize("mode", ["all", "opens", "clicks", "none"])
def test_track_modes(tracking: Tracking, mode: str) -> None:
    m = mode.encode()
    data = MODE % (m, m, m)
    rcpt = f"mode-{mode}@dest.example"
    code, text = tracking.send([rcpt], data)
    assert code == 250, text
    [arrived] = tracking.to(rcpt)
    assert not [name for name in arrived.email.keys() if name.lower().startswith("x-waybill-")]
    [(track_mode, tags)] = tracking.pg.query(
        "SELECT track_mode, tags FROM messages WHERE subject = %s", (f"mode {mode}",))
    assert track_mode == mode and tags == ["welcome", f"mode-{mode}"]
    html_part = [p for p in arrived.email.walk() if p.get_content_type() == "text/html"][0]
    body = html_part.get_payload(decode=True)
    text_part = [p for p in arrived.email.walk() if p.get_content_type() == "text/plain"][0]
    text = text_part.get_payload(decode=True)
    clicks_on, opens_on = mode in ("all", "clicks"), mode in ("all", "opens")
    assert (b"https://shop.example/h" not in body) == clicks_on
    assert (b"https://shop.example/t" not in text) == clicks_on
    assert (tracking.base.encode() + b"/o/" in body) == opens_on
    if mode == "none":
        assert arrived.raw.endswith(data.split(b"\r\n\r\n", 1)[1])


# ---------------------------------------------------------------------------------------------
# Acceptance 4: a 50 MB message with a 45 MB attachment, resident memory bound


def memory_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(field)


def test_fifty_megabytes_in_bounded_memory(tracking: Tracking) -> None:
    # A newsletter-sized HTML part (~140 KB, 2,000 links), a 45 MB attachment and a 5 MB one.
    attachment = os.urandom(45 * 1024 * 1024 * 3 // 4)  # 45 MB once base64-encoded
    second = os.urandom(5 * 1024 * 1024 * 3 // 4)
    html_body = b"<html><body>" + b"<p>paragraph with <a href=\"https://big.example/x\">a link</a></p>\r\n" * 2000 + b"</body></html>"

    def attached(name: bytes, content: bytes) -> bytes:
        return (b"--big\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
                b"Content-Disposition: attachment; filename=" + name + b"\r\n\r\n" +
                base64.encodebytes(content).replace(b"\n", b"\r\n"))

    data = (b"From: App <app@sender.example>\r\nTo: big@dest.example\r\nSubject: big\r\n"
            b"Content-Type: multipart/mixed; boundary=big\r\n\r\n--big\r\nContent-Type: text/html\r\n\r\n" + html_body +
            b"\r\n" + attached(b"big.bin", attachment) + attached(b"second.bin", second) + b"--big--\r\n")
    assert len(data) >= 50 * 1000 * 1000
    baseline = memory_kb(tracking.milter_pid, "VmHWM")
    code, text = tracking.send(["big@dest.example"], data)
    assert code == 250, text
    [arrived] = tracking.arrivals(lambda m: "big@dest.example" in m.recipients, 1, timeout=60)
    growth_kb = memory_kb(tracking.milter_pid, "VmHWM") - baseline
    print(f"milter peak resident memory grew by {growth_kb} kB for a {len(data)} byte message")
    assert growth_kb < 16 * 1024
    parts = [p for p in arrived.email.walk() if p.get_content_type() == "application/octet-stream"]
    assert [p.get_payload(decode=True) for p in parts] == [attachment, second]
