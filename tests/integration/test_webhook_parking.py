"""Webhooks without head-of-line blocking: an event the receiver keeps refusing is parked after its
attempts and the endpoint moves on; later events of the same recipient are parked behind it (so
no receiver ever sees a recipient's events out of order); `waybill webhooks list` shows them and
`waybill webhooks replay` sends them again. Real PostgreSQL, receivers on loopback (~15 s).
"""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import wait_until  # noqa: E402
from webhook_support import daemons, insert_event, receivers, rig, shared_rig, start_webhookd  # noqa: E402,F401

PARK_AFTER = 3
FAST_RETRIES = {"park_after": str(PARK_AFTER), "retry_initial_ms": "50", "batch_size": "5"}


def by_recipient(events: list[dict]) -> dict[str, list[str]]:
    order: dict[str, list[str]] = {}
    for e in events:
        order.setdefault(e["recipient"], []).append(e["id"])
    return order


def statuses(rig) -> dict[str, tuple[str, int, str | None]]:
    rows = rig.pg.query("SELECT event_id::text, status, attempts, parked_behind::text FROM webhook_deliveries"
                        " WHERE endpoint = 'app'")
    return {event_id: (status, attempts, behind) for event_id, status, attempts, behind in rows}


def parked_behind(rig, head: str, followers: list[str]) -> bool:
    state = statuses(rig)
    return state[head][0] == "parked" and all(state[f][0] == "parked" and state[f][2] == head for f in followers)


def test_refused_event_is_parked_and_later_events_flow(rig, receivers, start_webhookd):
    """Acceptance: a receiver that always answers 500 for one event id still receives every later
    event (of every other recipient; the refused recipient's later events wait parked with it)."""
    app = receivers()
    other = receivers()  # a second endpoint that takes everything: parking is per endpoint
    daemon = start_webhookd([f"app {app.url}", f"other {other.url}"], **FAST_RETRIES)
    bad = str(uuid.uuid4())
    app.refused.add(bad)
    insert_event(rig, "delivered", "bad@client.example", event_id=bad)
    expected: dict[str, list[str]] = {}
    followers: list[str] = []
    for n in range(4):
        for who in ("ann", "bob", "cid"):
            expected.setdefault(f"{who}@client.example", []).append(
                insert_event(rig, ["delivered", "opened", "clicked", "unsubscribed"][n], f"{who}@client.example"))
        if n < 2:
            followers.append(insert_event(rig, ["opened", "clicked"][n], "Bad@Client.example"))
    later = sum(len(ids) for ids in expected.values())
    events = app.wait_for(later, timeout=20)
    assert by_recipient(events) == expected, "every later event of the other recipients, in order"
    other.wait_for(later + 1 + len(followers))
    assert by_recipient(other.accepted)["bad@client.example"] == [bad], "the other endpoint got the refused one"

    assert wait_until(lambda: parked_behind(rig, bad, followers), 10), statuses(rig)
    assert statuses(rig)[bad] == ("parked", PARK_AFTER, None), "parked after its attempts, on its own"
    assert not set(app.ids()) & ({bad} | set(followers)), "the receiver never accepted them"

    metric = 'waybill_webhook_parked{endpoint="app"}'
    assert wait_until(lambda: daemon.metrics().get(metric) == 3, 10), daemon.metrics().get(metric)
    m = daemon.metrics()
    assert m['waybill_webhook_deliveries_total{endpoint="app",outcome="parked"}'] == 3
    assert m['waybill_webhook_parked{endpoint="other"}'] == 0

    summary = lambda: daemon.cli("webhooks", "list").stdout.splitlines()[1].split()[:5]  # noqa: E731
    assert wait_until(lambda: summary() == ["app", "0", str(later), "0", "3"], 10), summary()
    listing = daemon.cli("webhooks", "list").stdout.splitlines()
    parked_lines = [line for line in listing if line.startswith("app ") and bad in line]
    assert parked_lines and "HTTP 500" in parked_lines[0], listing
    assert sum(1 for line in listing if f"behind {bad}" in line) == 2, listing


def test_replay_resends_parked_events_in_order(rig, receivers, start_webhookd):
    app = receivers()
    daemon = start_webhookd([f"app {app.url}"], **FAST_RETRIES)
    bad = str(uuid.uuid4())
    app.refused.add(bad)
    insert_event(rig, "delivered", "bad@client.example", event_id=bad)
    followers = [insert_event(rig, t, "bad@client.example") for t in ("opened", "clicked")]
    flowing = insert_event(rig, "delivered", "ann@client.example")
    app.wait_for(1)
    assert wait_until(lambda: parked_behind(rig, bad, followers), 15), statuses(rig)

    # Still refused: replaying all parks the head again and its followers behind it.
    before = app.requests
    done = daemon.cli("webhooks", "replay", "--parked")
    assert done.stdout.startswith("3 deliveries queued again"), done.stdout
    assert wait_until(lambda: app.requests >= before + PARK_AFTER and parked_behind(rig, bad, followers), 15), \
        statuses(rig)

    # The receiver is fixed: replaying one follower by id sends the whole chain, head first.
    app.refused.clear()
    done = daemon.cli("webhooks", "replay", "--id", followers[1], "--endpoint", "app")
    assert done.stdout.startswith("3 deliveries queued again"), done.stdout
    app.wait_for(4)
    assert by_recipient(app.accepted)["bad@client.example"] == [bad, *followers]
    assert app.ids().count(flowing) == 1
    assert wait_until(lambda: {s for s, _, _ in statuses(rig).values()} == {"delivered"}, 10), statuses(rig)

    nothing = daemon.cli("webhooks", "replay", "--parked", check=False)
    assert nothing.returncode == 1 and "nothing to replay" in nothing.stdout
    assert wait_until(lambda: daemon.metrics()['waybill_webhook_parked{endpoint="app"}'] == 0, 10)


def test_replay_command_line(rig, start_webhookd):
    daemon = start_webhookd(["app http://127.0.0.1:9/hook"])
    helped = daemon.cli("webhooks", "--help")
    assert helped.returncode == 0 and "replay --parked" in helped.stdout and "--id EVENT_ID" in helped.stdout
    cases = [(["replay"], 64), (["replay", "--parked", "--id", "x"], 64), (["replay", "--id", "not-a-uuid"], 64),
             (["replay", "--parked", "--endpoint", "nosuch"], 64), (["replay", "--since", "yesterday-ish"], 64),
             (["replay", "--id", "6f1c2f1e-0000-4000-8000-000000000001"], 1), (["replay", "--parked"], 1)]
    for args, status in cases:
        assert daemon.cli("webhooks", *args, check=False).returncode == status, args


def test_each_recipients_events_leave_in_order_of_occurrence(rig, receivers, start_webhookd):
    """trackd's workers commit on their own schedules, so a click can be inserted before the open
    that happened first; within what webhookd takes from the outbox at once, order is restored."""
    receiver = receivers()
    rig.pg.execute("UPDATE webhook_state SET enabled = true")  # webhookd was running and comes back
    click = insert_event(rig, "clicked", "bob@client.example")
    ann = insert_event(rig, "opened", "ann@client.example")
    opened = str(uuid.uuid4())
    rig.pg.execute("INSERT INTO events (id, occurred_at, type, recipient, sender)"
                   " VALUES (%s, now() - interval '1 second', 'opened', 'bob@client.example', 'news@shop.example')",
                   (opened,))
    start_webhookd([f"app {receiver.url}"], batch_size="1")
    events = receiver.wait_for(3)
    assert by_recipient(events) == {"bob@client.example": [opened, click], "ann@client.example": [ann]}
