"""Smoke tests of the test rig itself: if these fail, no other integration test means anything."""

from __future__ import annotations

import psycopg2
import pytest

from waybill_rig import Rig

MESSAGE = (b"From: Alice <alice@example.test>\r\n"
           b"To: bob@example.test\r\n"
           b"Subject: rig smoke\r\n"
           b"\r\n"
           b"first line\r\n"
           b".a line starting with a dot (dot-stuffing round trip)\r\n"
           b"last line\r\n")


def test_pg_start_query_and_restart() -> None:
    with Rig(postfix=False) as rig:
        pg = rig.pg
        assert pg.url == f"postgresql://postgres@127.0.0.1:{pg.port}/waybill"
        assert pg.query("select 1") == [(1,)]
        pg.execute("create table t (id int primary key, note text)")
        assert pg.execute("insert into t values (%s, %s), (2, 'b')", (1, "a")) == 2

        pg.stop()
        with pytest.raises(psycopg2.OperationalError):
            pg.query("select 1")
        pg.start()
        assert pg.query("select id, note from t order by id") == [(1, "a"), (2, "b")]

        pg.kill()  # crash: committed rows must survive recovery
        pg.start()
        assert pg.query("select count(*) from t") == [(2,)]


def test_smtp_and_sendmail_reach_the_sink() -> None:
    with Rig(postgres=False) as rig:
        rcpts = ["bob@example.test", "carol@example.test", "dave@example.test"]
        code, text = rig.postfix.send_smtp("alice@example.test", rcpts, MESSAGE)
        assert code == 250, text
        [smtp_msg] = rig.sink.wait_for(1)

        rig.postfix.sendmail("erin@example.test", ["frank@example.test"],
                             MESSAGE.replace(b"\r\n", b"\n"))
        msgs = rig.sink.wait_for(2)
        sendmail_msg = next(m for m in msgs if m.sender == "erin@example.test")

        assert smtp_msg.sender == "alice@example.test"
        assert smtp_msg.recipients == rcpts
        assert sendmail_msg.recipients == ["frank@example.test"]
        for msg in (smtp_msg, sendmail_msg):
            # smtp-sink's own X-*-Args / Received lines are not part of the message.
            assert b"X-Rcpt-Args" not in msg.raw and b"(smtp-sink)" not in msg.raw
            received = msg.email.get_all("Received")
            assert len(received) == 1 and "by waybill-test.localdomain (Postfix" in received[0]
            assert msg.email["Subject"] == "rig smoke"
            assert msg.raw.endswith(b".a line starting with a dot (dot-stuffing round trip)\r\n"
                                    b"last line\r\n")
            assert msg.email.get_payload().startswith("first line\r\n")
        assert "with ESMTP" in smtp_msg.email["Received"]
        rig.postfix.wait_queue_empty(5)
        assert "status=sent" in rig.postfix.log_text()


def test_send_smtp_returns_first_failure() -> None:
    # A recipient check rejecting one address shows the RCPT error comes back as a value.
    checks = ("check_recipient_access inline:{ {nobody@example.test = 550 5.1.1 no such user} },"
              " permit_mynetworks, reject")
    with Rig(postgres=False, extra_main={"smtpd_recipient_restrictions": checks}) as rig:
        code, text = rig.postfix.send_smtp("alice@example.test",
                                           ["bob@example.test", "nobody@example.test"], MESSAGE)
        assert (code, text) == (550, "5.1.1 <nobody@example.test>: Recipient address rejected: "
                                     "no such user")


def test_reject_sink_bounces() -> None:
    with Rig(postgres=False, sink_mode="reject") as rig:
        code, _ = rig.postfix.send_smtp("alice@example.test", ["bob@example.test"], MESSAGE)
        assert code == 250  # Postfix accepts; the relay rejects later
        rig.postfix.wait_log(r"to=<bob@example\.test>.*status=bounced \(host 127\.0\.0\.1.*said: 500")
        assert rig.sink.messages() == []


def test_tempfail_sink_defers() -> None:
    with Rig(postgres=False, sink_mode="tempfail") as rig:
        code, _ = rig.postfix.send_smtp("alice@example.test", ["bob@example.test"], MESSAGE)
        assert code == 250
        rig.postfix.wait_log(r"to=<bob@example\.test>.*status=deferred .*said: 450")
        [entry] = rig.postfix.queue()
        # Retried every second: the message moves deferred -> incoming -> active -> deferred.
        assert entry["queue_name"] in ("deferred", "incoming", "active")
        assert entry["recipients"][0]["address"] == "bob@example.test"


def test_sink_outage_and_recovery() -> None:
    with Rig(postgres=False) as rig:
        rig.sink.stop()
        code, _ = rig.postfix.send_smtp("alice@example.test", ["bob@example.test"], MESSAGE)
        assert code == 250
        rig.postfix.wait_log(r"status=deferred \(connect to 127\.0\.0\.1\[127\.0\.0\.1\]:\d+: "
                             r"Connection refused\)")
        rig.sink.start()  # same port: Postfix retries on its own within a couple of seconds
        rig.postfix.flush()
        [msg] = rig.sink.wait_for(1, timeout=10)
        assert msg.recipients == ["bob@example.test"]
        rig.postfix.wait_queue_empty(5)
