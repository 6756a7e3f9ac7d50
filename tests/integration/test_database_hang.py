"""A database that hangs instead of refusing (every process of the test's own PostgreSQL
SIGSTOPped: TCP still accepts, nothing answers). With database.timeout set short, the milter
tempfails the message instead of holding Postfix for its 300 s milter timeout, and accepts again
by itself once the server resumes; every message Postfix accepted is recorded, and only those
reach the sink. Costs about 15 s (two waits of database.timeout plus the rig)."""

from __future__ import annotations

import sys
import time
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

TIMEOUT_SECONDS = 2


@pytest.fixture
def stack(bin_dir: Path):
    port = free_port()
    with Rig(milters=[milter_address(port)]) as rig:
        # connect_timeout stays at its default (5 s): database.timeout bounds connecting too.
        s = WaybillStack(rig, bin_dir, sections={"database": {"timeout": str(TIMEOUT_SECONDS)}})
        s.migrate()
        s.proc = s.start_milter(port)
        yield s


def send(stack: WaybillStack, subject: str) -> int:
    data = (f"From: App <app@sender.example>\nTo: ann@dest.example\nSubject: {subject}\n\n"
            f"Hello https://shop.example/a\n").encode()
    code, _ = stack.rig.postfix.send_smtp("app@sender.example", [f"h-{uuid.uuid4()}@dest.example"], data)
    return code


def recorded_subjects(stack: WaybillStack) -> set[str]:
    return {row[0] for row in stack.rig.pg.query("SELECT subject FROM messages")}


def delivered_subjects(stack: WaybillStack, expected: set[str]) -> set[str]:
    deadline = time.monotonic() + 30  # bounded: the accepted ones are relayed within seconds
    while time.monotonic() < deadline:
        found = {m.email["Subject"] for m in stack.rig.sink.messages()}
        if expected <= found:
            return found
        time.sleep(0.1)
    return {m.email["Subject"] for m in stack.rig.sink.messages()}


def test_a_hung_database_is_a_tempfail_and_the_milter_recovers_by_itself(stack: WaybillStack) -> None:
    assert send(stack, "before") == 250, stack.rig.log_of("waybill-milter")[-2000:]
    answers: dict[str, int] = {}
    with stack.rig.pg.hung():
        # The pooled connection gets no answer; the next message finds the pool empty and cannot
        # connect either (the postmaster is stopped too): both are tempfailed, neither waits forever.
        for subject in ("hung-1", "hung-2"):
            answers[subject] = send(stack, subject)
        assert stack.proc.poll() is None, "the milter died while the database hung"
    milter_log = stack.rig.log_of("waybill-milter")
    assert all(400 <= code < 500 for code in answers.values()), (answers, milter_log[-3000:])
    assert "database.timeout" in milter_log, milter_log[-3000:]

    # No restart: the next message after the server resumes is accepted and recorded.
    assert send(stack, "after") == 250, stack.rig.log_of("waybill-milter")[-3000:]
    accepted = {"before", "after"}
    assert accepted <= recorded_subjects(stack), "an accepted message is not recorded"
    assert delivered_subjects(stack, accepted) == accepted, "only accepted mail reaches the sink"
