"""Per-recipient copies over SMTP to Postfix's copy listener (milter.copy_listener), through real
Postfix: each recipient gets its own tracked copy once, the template is rendered once per
message, and no copy is lost or doubled when the copy listener, Postfix or PostgreSQL stops while
messages are being sent (the client retries what was tempfailed, as every SMTP client does).
"""

from __future__ import annotations

import collections
import re
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_rig, write_templates  # noqa: E402

TRACKING_BASE = "https://t.example"
MESSAGE = (b"From: App <app@sender.example>\r\nTo: list@dest.example\r\nSubject: %s\r\nMessage-ID: <%s@sender.example>\r\n"
           b"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<p>Your invoice: <a href=\"https://shop.example/invoice?id=7\">view</a></p>\r\n.leading dot line\r\n")
TEMPLATE_MESSAGE = (b"From: App <app@sender.example>\r\nTo: list@dest.example\r\nSubject: %s\r\n"
                    b"X-Waybill-Template: receipt\r\nX-Waybill-Template-Data: eyJuYW1lIjoiQW5uIn0=\r\n\r\nignored\r\n")
QUEUE_ID = re.compile(rb"by waybill-test\.localdomain \(Postfix\) with E?SMTP id ([0-9A-F]+)")


class Copies:
    def __init__(self, stack: WaybillStack, rig: Rig) -> None:
        self.stack, self.rig = stack, rig

    def arrivals(self, subject: str, count: int, timeout: float = 30) -> list:
        found: list = []

        def enough() -> bool:
            found[:] = [m for m in self.rig.sink.messages() if m.email["Subject"] == subject]
            return len({m.recipients[0] for m in found}) >= count

        assert wait_until(enough, timeout), (f"{len(found)} of {count} for {subject!r}\n"
                                             f"{self.rig.log_of('waybill-milter')[-3000:]}")
        return found


@pytest.fixture(scope="module")
def copies(bin_dir: Path):
    with milter_rig() as (rig, port):
        templates = write_templates(rig.path("templates"), {
            "receipt.html.mustache": '<p>Thanks {{name}}: <a href="https://shop.example/receipt">receipt</a></p>\n',
            "receipt.txt.mustache": "Thanks {{name}}: https://shop.example/receipt\n"})
        stack = WaybillStack(rig, bin_dir, sections={
            "tracking": {"base_url": TRACKING_BASE},
            "milter": {"template_dir": str(templates), "copy_connections": "4"},
            "logd": {"log_file": str(rig.postfix.log_file), "poll_ms": "100"}})
        stack.migrate()
        stack.start_milter(port)
        # Settles a copy whose answer was lost: Postfix's queue manager logs its queue file.
        rig.spawn([stack.binary("waybill-logd"), "--config", str(stack.config)], name="waybill-logd")
        yield Copies(stack, rig)


def queue_ids(messages) -> set[bytes]:
    """The queue ids Postfix gave these messages (its own Received: header), each copy its own."""
    ids = set()
    for m in messages:
        found = QUEUE_ID.search(m.raw)
        assert found, m.raw[:600]
        ids.add(found.group(1))
    return ids


def test_ten_recipients_each_get_their_own_copy_once(copies: Copies) -> None:
    subject = f"ten {uuid.uuid4()}"
    recipients = [f"r{i}-{uuid.uuid4().hex[:6]}@dest.example" for i in range(10)]
    code, text = copies.rig.postfix.send_smtp("app@sender.example", recipients,
                                              MESSAGE % (subject.encode(), uuid.uuid4().hex.encode()))
    assert code == 250, text
    arrived = copies.arrivals(subject, 10)
    assert sorted(m.recipients[0] for m in arrived) == sorted(recipients)
    assert all(len(m.recipients) == 1 for m in arrived)
    assert len(queue_ids(arrived)) == 10  # one queue file each: nine copies and the original
    tokens = set()
    for m in arrived:
        assert "X-Waybill-Copy" not in m.email
        # Dot-stuffed on the way to the copy listener, unstuffed by it: one dot, as sent.
        assert b"\r\n.leading dot line" in m.raw and b"..leading" not in m.raw
        clicks = re.findall(rb'href="https://t\.example/c/([A-Za-z0-9_-]+)"', m.raw)
        assert len(clicks) == 1, m.raw
        tokens.add(clicks[0])
    assert len(tokens) == 10  # each recipient's link is its own
    [(message_id,)] = copies.rig.pg.query("SELECT id FROM messages WHERE subject = %s", (subject,))
    [(recorded,)] = copies.rig.pg.query("SELECT count(*) FROM recipients WHERE message_id = %s", (message_id,))
    [(copy_rows,)] = copies.rig.pg.query("SELECT count(*) FROM message_copies WHERE message_id = %s", (message_id,))
    [(link_rows,)] = copies.rig.pg.query("SELECT count(*) FROM links WHERE message_id = %s", (message_id,))
    assert (recorded, copy_rows, link_rows) == (10, 9, 10)
    # The copies came through the copy listener's smtpd, not sendmail's pickup.
    assert copies.rig.postfix.log_text().count("postfix/waybill-copy/smtpd") >= 9


def test_template_is_rendered_once_for_all_copies(copies: Copies) -> None:
    subject = f"receipt {uuid.uuid4()}"
    recipients = [f"t{i}-{uuid.uuid4().hex[:6]}@dest.example" for i in range(3)]
    before = copies.rig.log_of("waybill-milter").count("rendered template 'receipt'")
    code, text = copies.rig.postfix.send_smtp("app@sender.example", recipients, TEMPLATE_MESSAGE % subject.encode())
    assert code == 250, text
    arrived = copies.arrivals(subject, 3)
    for m in arrived:
        assert b"Thanks Ann" in m.raw and b"ignored" not in m.raw
        assert "X-Waybill-Template" not in m.email
    assert copies.rig.log_of("waybill-milter").count("rendered template 'receipt'") == before + 1


def test_a_retry_sends_an_unconfirmed_copy_again_only_without_postfix_word_on_it(copies: Copies) -> None:
    """A copy whose listener answer was lost is left unconfirmed. The client's retry of the same
    transaction skips it once qmgr's "queue active" line for its queue file is in the log, and
    sends it again when no such line comes (it was never committed, as far as anyone can tell)."""
    rig, run = copies.rig, uuid.uuid4().hex[:8]
    subject = f"settle {run}"
    recipients = [f"s{k}-{run}@dest.example" for k in range(3)]
    data = MESSAGE % (subject.encode(), f"settle-{run}".encode())
    code, text = rig.postfix.send_smtp("app@sender.example", recipients, data)
    assert code == 250, text
    copies.arrivals(subject, 3)
    like = f"%-{run}@dest.example"
    copy_queue_ids = ("SELECT c.address, q.queue_id, q.queued_at IS NOT NULL FROM message_copies c"
                      " JOIN message_copy_queue_ids q USING (recipient_id) WHERE c.address LIKE %s ORDER BY c.address")
    assert wait_until(lambda: [row[2] for row in rig.pg.query(copy_queue_ids, (like,))] == [True, True], 15), \
        (rig.pg.query(copy_queue_ids, (like,)), rig.log_of("waybill-logd")[-2000:])
    # Both copies as a lost answer leaves them; then Postfix's log speaks again for the first only.
    rig.pg.execute("UPDATE message_copies SET confirmed = false WHERE address LIKE %s", (like,))
    rig.pg.execute("UPDATE message_copy_queue_ids SET queued_at = NULL WHERE recipient_id IN"
                   " (SELECT recipient_id FROM message_copies WHERE address LIKE %s)", (like,))
    (logged, queue_id, _), (unlogged, _, _) = rig.pg.query(copy_queue_ids, (like,))
    [qmgr_line] = re.findall(rf"^.*postfix/qmgr\[\d+\]: {queue_id}: from=.*\(queue active\)$",
                             rig.postfix.log_text(), re.M)
    reply: dict = {}
    retry = threading.Thread(target=lambda: reply.update(r=rig.postfix.send_smtp("app@sender.example", recipients, data)))
    retry.start()
    time.sleep(1)
    with open(rig.postfix.log_file, "a") as log:  # as if logd had been slow to read it
        log.write(qmgr_line + "\n")
    retry.join(60)
    assert reply["r"][0] == 250, reply
    assert wait_until(lambda: len(queue_ids(m for m in rig.sink.messages()
                                            if m.email["Subject"] == subject and m.recipients[0] == unlogged)) == 2, 30)
    rig.postfix.wait_queue_empty(30)
    assert len(queue_ids(m for m in rig.sink.messages() if m.email["Subject"] == subject and m.recipients[0] == logged)) == 1
    milter_log = rig.log_of("waybill-milter")
    assert f"no word from Postfix's log on the copy for {unlogged}" in milter_log
    assert f"no word from Postfix's log on the copy for {logged}" not in milter_log


# ---------------------------------------------------------------------------------------------
# Acceptance 4: outages while copies are being made

MESSAGES, RECIPIENTS = 24, 4


def send_until_accepted(copies: Copies, recipients: list[str], data: bytes, deadline: float) -> int:
    """Submits until 250, as a client retries a 4xx or a dropped connection; returns the retries."""
    retries = 0
    while time.monotonic() < deadline:
        try:
            code, _ = copies.rig.postfix.send_smtp("app@sender.example", recipients, data, timeout=30)
        except OSError:  # Postfix stopped: connection refused
            code = 421
        if code == 250:
            return retries
        assert 400 <= code < 500, code  # a stop must never turn into a rejection
        retries += 1
        time.sleep(0.2)
    raise AssertionError("message not accepted before the deadline")


def test_outages_lose_and_double_no_copy(copies: Copies) -> None:
    run = uuid.uuid4().hex[:8]
    rig = copies.rig
    deadline = time.monotonic() + 45
    accepted = []
    retries = collections.Counter()

    def sender(first: int) -> None:
        for n in range(first, MESSAGES, 2):  # two clients, so copies are in flight at each stop
            recipients = [f"o{n}-{k}-{run}@dest.example" for k in range(RECIPIENTS)]
            data = MESSAGE % (f"outage {run} {n}".encode(), f"outage-{run}-{n}".encode())
            retries[first] += send_until_accepted(copies, recipients, data, deadline)
            accepted.append(n)

    clients = [threading.Thread(target=sender, args=(first,)) for first in (0, 1)]
    for client in clients:
        client.start()
    try:
        outages = (("copy listener", lambda: rig.postfix.set_copy_listener(False), lambda: rig.postfix.set_copy_listener(True)),
                   ("postfix", rig.postfix.stop, rig.postfix.start),
                   ("postgresql", rig.pg.stop, rig.pg.start))
        for index, (_, stop, start) in enumerate(outages):
            wait_until(lambda: len(accepted) >= 4 * (index + 1) or not any(c.is_alive() for c in clients), 20)
            stop()
            time.sleep(1.0)
            start()
    finally:
        for client in clients:
            client.join(60)
    assert sorted(accepted) == list(range(MESSAGES))
    assert sum(retries.values()) > 0, "no outage hit a transaction: the test proved nothing"

    rig.postfix.flush()
    rig.postfix.wait_queue_empty(60)
    arrived = collections.defaultdict(list)
    for m in rig.sink.messages():
        subject = m.email["Subject"] or ""
        if subject.startswith(f"outage {run} "):
            arrived[(subject, m.recipients[0])].append(m)
    expected = {(f"outage {run} {n}", f"o{n}-{k}-{run}@dest.example") for n in range(MESSAGES) for k in range(RECIPIENTS)}
    assert set(arrived) == expected, f"lost: {sorted(expected - set(arrived))[:5]}"
    # A sink may see one queue file twice (a slow 250): a doubled copy is a second queue file.
    doubled = {key: ids for key, ids in ((k, queue_ids(v)) for k, v in arrived.items()) if len(ids) > 1}
    # SMTP cannot tell a copy committed just before its 250 was lost from one never committed
    # (RFC 1047): the milter records it unconfirmed, and the retried transaction sends it again
    # only if Postfix's log (qmgr, through waybill-logd) never shows its queue file.
    milter_log = rig.log_of("waybill-milter")
    ambiguous = re.findall(r"went away with the copy for (\S+) \(.*\); its milter pass says queued", milter_log)
    assert not doubled, (doubled, ambiguous, re.findall(r".*no word from Postfix's log.*", milter_log))
    [(copy_rows,)] = rig.pg.query("SELECT count(*) FROM message_copies WHERE address LIKE %s", (f"%-{run}@dest.example",))
    assert copy_rows == MESSAGES * (RECIPIENTS - 1)
