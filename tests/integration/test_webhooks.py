"""Issue 10: waybill-webhookd against a real PostgreSQL and HTTP receivers on loopback.

Events are inserted straight into `events` / `inbound_messages` (the rows the other daemons
write); receivers are small in-process HTTP servers that verify every signature independently
of the C++ code (HMAC-SHA256 over "TIMESTAMP.BODY"); both live in tests/support/webhook_support.py.
"""

from __future__ import annotations

import signal
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, wait_until  # noqa: E402
from webhook_support import (SENDER, Webhookd, daemons, insert_event, insert_inbound, receivers,  # noqa: E402,F401
                             rig, shared_rig, start_webhookd)

LIFECYCLE = ["accepted", "delivered", "opened", "clicked", "unsubscribed"]


@pytest.mark.parametrize("batch_size", ["1", "20"])
def test_every_event_once_in_order_signed(rig, receivers, start_webhookd, batch_size):
    receiver = receivers()
    daemon = start_webhookd([f"app {receiver.url}"], batch_size=batch_size)
    expected: dict[str, list[str]] = {}
    for n in range(6):
        recipient = f"user{n}@client.example"
        script = LIFECYCLE if n % 2 == 0 else ["accepted", "bounced", "complained"]
        expected[recipient] = [insert_event(rig, t, recipient, url="https://shop.example/x" if t == "clicked" else None)
                               for t in script]
    inbound = insert_inbound(rig, "replies@shop.example", "Re: your order")
    total = sum(len(v) for v in expected.values()) + 1

    events = receiver.wait_for(total)
    time.sleep(0.5)  # a duplicate would arrive right behind
    ids = receiver.ids()
    assert len(ids) == total and len(set(ids)) == total, "every event exactly once"
    assert receiver.bad_signatures == 0
    by_recipient: dict[str, list[str]] = {}
    for e in events:
        by_recipient.setdefault(e["recipient"], []).append(e["id"])
    for recipient, ids_in_order in expected.items():
        assert by_recipient[recipient] == ids_in_order, f"order of {recipient}"
    types = Counter(e["type"] for e in events)
    assert set(types) == {"accepted", "delivered", "bounced", "opened", "clicked", "unsubscribed", "complained",
                          "inbound"}
    [reply] = [e for e in events if e["type"] == "inbound"]
    assert reply["id"] == inbound and reply["details"]["subject"] == "Re: your order"
    [click] = [e for e in events if e["type"] == "clicked"][:1]
    assert click["url"] == "https://shop.example/x" and click["sender"] == SENDER
    # The receiver sees the last batch just before webhookd records it.
    assert wait_until(lambda: rig.pg.query("SELECT status, count(*) FROM webhook_deliveries GROUP BY status")
                      == [("delivered", total)], 10)
    m = daemon.metrics()
    assert m['waybill_webhook_deliveries_total{endpoint="app",outcome="delivered"}'] == total
    assert m['waybill_webhook_lag_seconds_count{endpoint="app"}'] == total
    assert len(set(receiver.client_ports)) < receiver.requests or receiver.requests == 1, "keep-alive reuse"
    assert m['waybill_events_total{type="accepted"}'] == 6 and m['waybill_events_total{type="inbound"}'] == 1
    assert m['waybill_events_total{type="bounced"}'] == 3 and m['waybill_webhook_events_read_total'] == total


def test_receiver_failing_for_a_while_gets_everything_after_recovery(rig, receivers, start_webhookd):
    receiver = receivers(answer=lambda n: 503 if n < 4 else 200)
    daemon = start_webhookd([f"app {receiver.url}"], batch_size="5")
    ids = [insert_event(rig, "delivered", f"r{n}@client.example") for n in range(12)]
    receiver.wait_for(len(ids))
    assert receiver.requests > 4, "the 503s were retried"
    assert sorted(receiver.ids()) == sorted(ids) and len(receiver.ids()) == len(ids)
    assert wait_until(lambda: rig.pg.query(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'delivered' AND attempts > 1")[0][0] > 0, 10)
    assert daemon.metrics()['waybill_webhook_deliveries_total{endpoint="app",outcome="retry"}'] > 0


def test_client_errors_are_not_retried_and_retries_end(rig, receivers, start_webhookd):
    refusing = receivers(answer=lambda n: 400)
    down = receivers(answer=lambda n: 500)
    # park_after = 0: the 500s are retried until the retry period ends (parking: test_webhook_parking.py)
    daemon = start_webhookd([f"refusing {refusing.url}", f"down {down.url}"], retry_period="2", park_after="0")
    event = insert_event(rig, "delivered", "a@client.example")
    assert wait_until(lambda: rig.pg.query(
        "SELECT count(*) FROM webhook_deliveries WHERE status = 'failed'")[0][0] == 2, 20), rig.log_of("webhookd")[-2000:]
    rows = dict(rig.pg.query("SELECT endpoint, attempts FROM webhook_deliveries WHERE event_id = %s", (event,)))
    assert rows["refusing"] == 1, "a 400 is final"
    assert rows["down"] > 1, "a 500 is retried until the retry period ends"
    assert refusing.requests == 1
    later = insert_event(rig, "opened", "a@client.example")
    assert wait_until(lambda: refusing.requests == 2, 10), "the endpoint moves on to the next events"
    assert daemon.metrics()['waybill_webhook_deliveries_total{endpoint="refusing",outcome="failed"}'] >= 1
    assert later


def test_dead_receiver_does_not_block_another_endpoint(rig, receivers, start_webhookd):
    silent = receivers(answer=lambda n: None)
    healthy = receivers()
    start_webhookd([f"silent {silent.url}", f"healthy {healthy.url}"], timeout="60")
    ids = [insert_event(rig, "delivered", f"r{n}@client.example") for n in range(20)]
    healthy.wait_for(len(ids), timeout=20)  # far less than the silent endpoint's 60 s timeout
    assert silent.requests >= 1 and silent.ids() == []
    assert rig.pg.query("SELECT count(*) FROM webhook_deliveries WHERE endpoint = 'silent' AND status = 'pending'"
                        )[0][0] == len(ids)


def _insert_steadily(rig: Rig, count: int, done: threading.Event, ids: list[str]) -> None:
    import psycopg2
    conn = psycopg2.connect(rig.pg.url)
    conn.autocommit = True
    for n in range(count):
        ids.append(insert_event(rig, "opened", f"r{n % 7}@client.example", conn=conn))
        time.sleep(0.002)
    conn.close()
    done.set()


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_restart_mid_run_loses_and_duplicates_nothing(rig, receivers, start_webhookd, stop_signal):
    receiver = receivers()
    daemon = start_webhookd([f"app {receiver.url}"], batch_size="10")
    ids: list[str] = []
    done = threading.Event()
    writer = threading.Thread(target=_insert_steadily, args=(rig, 1000, done, ids))
    writer.start()
    assert wait_until(lambda: len(receiver.ids()) >= 50, 20)
    assert not done.is_set(), "the stop happens mid-run, while events are still being inserted"
    daemon.stop(stop_signal)
    time.sleep(0.3)
    daemon.start()
    writer.join(60)
    assert done.is_set()
    receiver.wait_for(len(ids), timeout=30)
    time.sleep(0.5)
    got = Counter(receiver.ids())
    assert set(got) == set(ids), "nothing lost"
    duplicates = sum(n - 1 for n in got.values())
    if stop_signal == signal.SIGTERM:
        assert duplicates == 0, "a clean stop records what it delivered"
    else:
        assert duplicates <= 10, "a crash resends at most the batch in flight (receivers dedup by id)"
    # Per recipient, the order of first arrival is the insert order.
    first_seen: dict[str, list[str]] = {}
    seen: set[str] = set()
    with receiver.lock:
        for e in receiver.accepted:
            if e["id"] not in seen:
                seen.add(e["id"])
                first_seen.setdefault(e["recipient"], []).append(e["id"])
    order = {event_id: n for n, event_id in enumerate(ids)}
    for recipient, delivered in first_seen.items():
        assert delivered == sorted(delivered, key=order.get), f"order of {recipient}"


def test_old_finished_deliveries_are_pruned(rig, receivers, start_webhookd):
    receiver = receivers()
    rows = [("delivered", 8), ("delivered", 6), ("failed", 8), ("failed", 31)]
    for n, (status, days) in enumerate(rows):
        rig.pg.execute("INSERT INTO webhook_deliveries (endpoint, event_id, source, occurred_at, seq, enqueued_at,"
                       " status, finished_at) VALUES ('app', %s, 'events', now(), %s, now(), %s,"
                       " now() - make_interval(days => %s))", (str(uuid.uuid4()), n, status, days))
    start_webhookd([f"app {receiver.url}"])
    kept = lambda: sorted(rig.pg.query("SELECT status, extract(day FROM now() - finished_at)::int"
                                       " FROM webhook_deliveries"))
    assert wait_until(lambda: kept() == [("delivered", 6), ("failed", 8)], 10), kept()


def test_second_instance_stands_by_until_the_first_dies(rig, receivers, start_webhookd):
    receiver = receivers()
    first = start_webhookd([f"app {receiver.url}"])
    second = Webhookd(rig, first.bin_dir, [f"app {receiver.url}"])
    second.start()
    first_batch = [insert_event(rig, "delivered", f"r{n}@client.example") for n in range(20)]
    receiver.wait_for(len(first_batch))
    assert "standing by" in rig.log_of("webhookd")
    first.stop(signal.SIGKILL)
    second_batch = [insert_event(rig, "opened", f"r{n}@client.example") for n in range(20)]
    receiver.wait_for(len(first_batch) + len(second_batch))
    time.sleep(0.3)
    got = Counter(receiver.ids())
    assert set(got) == set(first_batch + second_batch)
    assert sum(n - 1 for n in got.values()) <= 1, "two instances never deliver the same backlog"
    second.stop(signal.SIGKILL)


def test_filters_and_cli(rig, receivers, start_webhookd):
    bounces = receivers()
    everything = receivers(secret="own-secret")
    daemon = start_webhookd([f"bounces {bounces.url} events=bounced,complained sender=@shop.example",
                                           f"all {everything.url} secret=own-secret"])
    insert_event(rig, "bounced", "a@client.example")
    insert_event(rig, "bounced", "a@client.example", sender="x@other.example")
    insert_event(rig, "delivered", "a@client.example")
    everything.wait_for(3)
    bounces.wait_for(1)
    assert [e["type"] for e in bounces.accepted] == ["bounced"] and bounces.accepted[0]["sender"] == SENDER
    assert everything.bad_signatures == 0 and bounces.bad_signatures == 0

    def listed() -> dict[str, list[str]]:
        listing = daemon.cli("webhooks", "list").stdout
        return {line.split()[0]: line.split()[1:4] for line in listing.splitlines()[1:]}
    # The receiver may see the last event just before webhookd records it as delivered.
    assert wait_until(lambda: listed() == {"bounces": ["0", "1", "0"], "all": ["0", "3", "0"]}, 10), listed()

    daemon.cli("webhooks", "test", "bounces")
    assert wait_until(lambda: any(e["type"] == "test" for e in bounces.accepted), 10)

    since = rig.pg.query("SELECT min(occurred_at) FROM events")[0][0].isoformat()
    replayed = daemon.cli("webhooks", "replay", "--since", since, "--endpoint", "all").stdout
    assert "3" in replayed
    assert wait_until(lambda: len(everything.ids()) == 6, 10), "replay sends every event again"
    assert len(set(everything.ids())) == 3
    assert len(bounces.ids()) == 2, "replay for one endpoint leaves the others alone"
    assert daemon.cli("webhooks", "test", "nosuch", check=False).returncode != 0
