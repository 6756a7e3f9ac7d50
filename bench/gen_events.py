#!/usr/bin/python3
"""Fills a migrated Waybill database with realistic traffic for the reporting benchmark.

    /usr/bin/python3 bench/gen_events.py --url postgresql://postgres@127.0.0.1:PORT/waybill --events 10000000

Shape (per recipient copy, i.e. one recipient of one message): accepted; then delivered (93%),
deferred once or twice and then delivered (3%) or bounced (4%, 70% of them hard, sisimai
reasons); of the delivered, 40% opened by people (1-4 opens), 15% opened by privacy proxies
(machine), 9% clicked (1-3 of 6 links, 25% of clickers also hit by a link scanner), 0.3%
unsubscribed, 0.05% complained; policy rejections (suppressed) for 1% of accepted. Senders have
Zipf-like volumes (the first sends about a quarter of all mail); times spread over --months back
from now with a weekday rhythm. Rows go in with COPY in batches, messages and recipients too, so
the timeline view can join them. Deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
import sys
import time
import uuid

import psycopg2

REASONS_HARD = ["userunknown", "hostunknown", "hasmoved", "notaccept"]
REASONS_SOFT = ["mailboxfull", "blocked", "spamdetected", "expired", "systemerror", "toomanyconn"]
STATUS = {"userunknown": "5.1.1", "hostunknown": "5.1.2", "hasmoved": "5.1.6", "notaccept": "5.3.2",
          "mailboxfull": "4.2.2", "blocked": "5.7.1", "spamdetected": "5.7.1", "expired": "4.4.7",
          "systemerror": "4.3.0", "toomanyconn": "4.7.0"}
DOMAINS = ["gmail.test", "yahoo.test", "outlook.test", "icloud.test", "gmx.test", "web.test", "corp.test",
           "orange.test", "proton.test", "fastmail.test"]


class Generator:
    def __init__(self, args: argparse.Namespace) -> None:
        self.rng = random.Random(args.seed)
        self.senders = [f"news{i}@sender{i}.test" for i in range(args.senders)]
        weights = [1.0 / (i + 1) for i in range(args.senders)]
        self.sender_weights = [w / sum(weights) for w in weights]
        self.now = dt.datetime.now(dt.timezone.utc)
        self.span = dt.timedelta(days=30.4 * args.months)
        self.events = 0
        self.out_messages = io.StringIO()
        self.out_recipients = io.StringIO()
        self.out_events = io.StringIO()

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def send_time(self) -> dt.datetime:
        while True:
            t = self.now - self.span * self.rng.random()
            if t.weekday() < 5 or self.rng.random() < 0.4:  # quieter weekends
                return t

    def event(self, at: dt.datetime, kind: str, message: str, rcpt: str, address: str, sender: str,
              url: str = "", machine: bool = False, reason: str = "", details: dict | None = None) -> None:
        self.events += 1
        self.out_events.write("\t".join([
            self.uuid(), at.isoformat(), kind, message, rcpt, address, sender, url or "\\N",
            f"198.51.100.{self.rng.randrange(1, 255)}" if kind in ("opened", "clicked") else "\\N",
            "Mozilla/5.0" if kind in ("opened", "clicked") else "\\N",
            "t" if machine else "f", reason or "\\N", json.dumps(details or {})]) + "\n")

    def copy_fate(self, at: dt.datetime, message: str, rcpt: str, address: str, sender: str, links: list[str]) -> None:
        """The events of one recipient copy after it was accepted."""
        r = self.rng.random()
        later = lambda minutes: at + dt.timedelta(minutes=minutes * (0.5 + self.rng.random()))  # noqa: E731
        if r < 0.04:
            hard = self.rng.random() < 0.7
            reason = self.rng.choice(REASONS_HARD if hard else REASONS_SOFT)
            self.event(later(2), "bounced", message, rcpt, address, sender,
                       details={"reason": reason, "bounce_class": "hard" if hard else "soft",
                                "status": STATUS[reason], "remote_mta": "mx." + address.split("@")[1]})
            return
        if r < 0.07:
            for attempt in range(self.rng.randint(1, 2)):
                self.event(later(5 + 30 * attempt), "deferred", message, rcpt, address, sender,
                           details={"reason": "toomanyconn", "status": "4.7.0"})
            at = later(90)
        delivered = later(1)
        self.event(delivered, "delivered", message, rcpt, address, sender, details={"status": "2.0.0"})
        if self.rng.random() < 0.15:
            self.event(delivered + dt.timedelta(seconds=20), "opened", message, rcpt, address, sender,
                       machine=True, reason="privacy_proxy")
        if self.rng.random() < 0.40:
            for _ in range(self.rng.randint(1, 4)):
                self.event(delivered + dt.timedelta(minutes=self.rng.expovariate(1 / 600)), "opened",
                           message, rcpt, address, sender)
        if self.rng.random() < 0.09:
            if self.rng.random() < 0.25:
                self.event(delivered + dt.timedelta(seconds=5), "clicked", message, rcpt, address, sender,
                           url=links[0], machine=True, reason="click_soon_after_send")
            for link in self.rng.sample(links, self.rng.randint(1, 3)):
                self.event(delivered + dt.timedelta(minutes=self.rng.expovariate(1 / 700)), "clicked",
                           message, rcpt, address, sender, url=link)
        if self.rng.random() < 0.003:
            self.event(delivered + dt.timedelta(hours=2), "unsubscribed", message, rcpt, address, sender,
                       details={"scope": "sender"})
        if self.rng.random() < 0.0005:
            self.event(delivered + dt.timedelta(hours=5), "complained", message, rcpt, address, sender,
                       details={"feedback_type": "abuse"})

    def message(self) -> None:
        sender = self.rng.choices(self.senders, self.sender_weights)[0]
        message = self.uuid()
        at = self.send_time()
        self.out_messages.write("\t".join([message, sender, f"Offer {self.rng.randrange(1000)}", at.isoformat()]) + "\n")
        links = [f"https://{sender.split('@')[1]}/p/{i}" for i in range(6)]
        for _ in range(1 if self.rng.random() < 0.9 else self.rng.randint(2, 5)):
            rcpt = self.uuid()
            address = f"u{self.rng.randrange(2_000_000)}@{self.rng.choice(DOMAINS)}"
            self.out_recipients.write("\t".join([rcpt, message, address, at.isoformat()]) + "\n")
            self.event(at, "accepted", message, rcpt, address, sender)
            if self.rng.random() < 0.01:
                self.event(at, "suppressed", "\\N", "\\N", address, sender, details={"reason": "unsubscribed"})
            self.copy_fate(at, message, rcpt, address, sender, links)

    def flush(self, cur) -> None:
        for buffer, target in ((self.out_messages, "messages (id, envelope_sender, subject, created_at)"),
                               (self.out_recipients, "recipients (id, message_id, address, created_at)"),
                               (self.out_events, "events (id, occurred_at, type, message_id, recipient_id, recipient,"
                                                 " sender, url, ip, user_agent, machine, machine_reason, details)")):
            buffer.seek(0)
            cur.copy_expert(f"COPY {target} FROM STDIN", buffer)
            buffer.seek(0)
            buffer.truncate()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--events", type=float, default=1e6, help="how many events (approximately; default 1e6)")
    parser.add_argument("--senders", type=int, default=20)
    parser.add_argument("--months", type=float, default=13)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    gen = Generator(args)
    conn = psycopg2.connect(args.url)
    started = time.monotonic()
    with conn.cursor() as cur:
        # Events of months without a partition would land in events_default: create them all.
        cur.execute("SELECT waybill_events_ensure_partitions(%s, now() + interval '1 month')", (gen.now - gen.span,))
        # Building the indexes once after the load is several times faster than keeping them up to
        # date row by row; the definitions are restored exactly.
        cur.execute("SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index"
                    " WHERE indrelid = 'events'::regclass AND NOT indisprimary")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f"DROP INDEX {name}")
        # Generated history is not news for webhook endpoints: no outbox rows for it.
        cur.execute("ALTER TABLE events DISABLE TRIGGER USER")
        conn.commit()
        next_report = 1_000_000
        while gen.events < args.events:
            for _ in range(2000):
                gen.message()
            gen.flush(cur)
            conn.commit()
            if gen.events >= next_report:
                print(f"{gen.events:>10,} events  {gen.events / (time.monotonic() - started):,.0f}/s", file=sys.stderr)
                next_report += 1_000_000
        print(f"loaded {gen.events:,} events in {time.monotonic() - started:.0f} s; building indexes", file=sys.stderr)
        cur.execute("SET maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            # pg_get_indexdef says "ON ONLY events" for a partitioned table's index: that would
            # build the parent's (invalid) index alone, without the partitions' indexes.
            cur.execute(definition.replace(" ON ONLY ", " ON ", 1))
        cur.execute("ALTER TABLE events ENABLE TRIGGER USER")
        conn.commit()
        # Suppressions as pipe and trackd would add them: hard bounces globally, unsubscribes per sender.
        cur.execute("""
            INSERT INTO suppressions (recipient, scope, scope_value, reason, source, created_at)
            SELECT DISTINCT ON (1, 2, 3) lower(recipient),
                   CASE type WHEN 'bounced' THEN 'global' ELSE 'sender' END,
                   CASE type WHEN 'bounced' THEN '' ELSE lower(sender) END,
                   CASE type WHEN 'bounced' THEN 'hard_bounce' ELSE 'unsubscribed' END, 'gen_events', occurred_at
            FROM events
            WHERE type = 'unsubscribed' OR (type = 'bounced' AND details->>'bounce_class' = 'hard')
            ORDER BY 1, 2, 3, occurred_at
            ON CONFLICT DO NOTHING""")
        # The milter writes each message as it is sent, so a real `messages` table lies in created_at
        # order; generated in random order, every lookup by id would land on a random page.
        cur.execute("CLUSTER messages USING messages_created_at_idx")
        cur.execute("ANALYZE messages; ANALYZE recipients; ANALYZE events; ANALYZE suppressions")
        conn.commit()
    print(f"generated {gen.events:,} events in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
