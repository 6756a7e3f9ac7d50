"""waybill-apid through real Postfix + waybill-milter to the sink: the native API, Postmark's and
SendGrid's wire formats, keys (none, wrong, revoked, another domain), bad input naming the field,
and Postfix stopped (503, nothing recorded as sent)."""

from __future__ import annotations

import base64
import contextlib
import email
import email.header
import email.policy
import http.client
import json
import re
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402
from webhook_support import SECRET, Receiver  # noqa: E402

SENDER_DOMAIN = "sender.example"
PNG = bytes(range(256)) * 3 + b"\x89PNG\r\n\x1a\n"  # every byte value: a transfer encoding that mangles shows
PDF = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) * 5


class Api:
    """The daemon on loopback, with a live key for sender.example."""

    def __init__(self, rig: Rig, stack: WaybillStack, port: int, metrics_port: int, hooks: Receiver) -> None:
        self.rig, self.stack, self.port, self.metrics_port, self.hooks = rig, stack, port, metrics_port, hooks
        self.key = self.create_key("app", SENDER_DOMAIN)

    def create_key(self, name: str, domain: str) -> str:
        done = self.stack.waybill("api-keys", "create", "--name", name, "--sender-domain", domain)
        return done.stdout.rstrip("\n").split("\n")[-1]

    def request(self, method: str, path: str, body: object | bytes | None = None,
                headers: dict[str, str] | None = None, key: str | None = "default") -> tuple[int, dict, object]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if key is not None:
            all_headers.setdefault("Authorization", f"Bearer {self.key if key == 'default' else key}")
        payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        conn.request(method, path, body=payload, headers=all_headers)
        response = conn.getresponse()
        raw = response.read()
        conn.close()
        parsed = json.loads(raw) if raw and response.getheader("Content-Type", "").startswith("application/json") else raw
        return response.status, {k.lower(): v for k, v in response.getheaders()}, parsed

    def metrics(self) -> str:
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=10)
        conn.request("GET", "/metrics")
        return conn.getresponse().read().decode()


@pytest.fixture(scope="module")
def api(bin_dir: Path):
    milter_port, port, metrics_port = free_port(), free_port(), free_port()
    hooks = Receiver()
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)]) as rig:
        tracking_port, webhook_metrics_port = free_port(), free_port()
        stack = WaybillStack(rig, bin_dir, tracking_port=tracking_port, sections={
            "api": {"listen": f"127.0.0.1:{port}", "submit": f"smtp:127.0.0.1:{rig.postfix.smtp_port}",
                    "metrics_listen": f"127.0.0.1:{metrics_port}", "message_id_domain": "api.sender.example",
                    "max_body_size": "2M"},
            "trackd": {"listen": f"127.0.0.1:{tracking_port}", "spool_dir": str(rig.path("spool")),
                       "scanner_click_seconds": "0", "rate_limit": "0"},
            "logd": {"log_file": str(rig.postfix.log_file), "poll_ms": "100"},
            "webhooks": {"endpoint": f"app {hooks.url} events=accepted", "secret": SECRET,
                         "metrics_listen": f"127.0.0.1:{webhook_metrics_port}"}})
        stack.migrate()
        stack.start_milter(milter_port)
        for name in ("waybill-apid", "waybill-trackd", "waybill-logd", "waybill-webhookd"):
            rig.spawn([stack.binary(name), "--config", str(stack.config)], name=name)
        wait_port(port)
        wait_port(tracking_port)
        assert wait_until(lambda: rig.pg.query("SELECT enabled FROM webhook_state")[0][0], 10)
        yield Api(rig, stack, port, metrics_port, hooks)
    hooks.close()


def header_text(value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(value)))


def send_plain(api: Api, to: str, subject: str) -> tuple[int, dict, dict]:
    """A one-line text message from the key's domain, through the native API."""
    return api.request("POST", "/v1/messages", {"from": "shop@sender.example", "to": to, "subject": subject, "text": "t"})


@contextlib.contextmanager
def stopped(service):
    """`service` (the rig's Postfix or PostgreSQL) stopped for the block, started again after it."""
    service.stop()
    try:
        yield
    finally:
        service.start()


def delivered_to(api: Api, address: str, timeout: float = 30) -> email.message.Message:
    def found():
        return [m for m in api.rig.sink.messages() if address in m.recipients]
    assert wait_until(lambda: len(found()) == 1, timeout), api.rig.postfix.diagnostics()
    return email.message_from_bytes(found()[0].raw, policy=email.policy.default)


def test_native_message_reaches_every_recipient_once_with_its_parts(api: Api) -> None:
    status, _, body = api.request("POST", "/v1/messages", {
        "from": {"email": "shop@sender.example", "name": "Zoë's Bücherei"},
        "to": ["ann@rcpt.example"], "cc": ["carl@rcpt.example"], "bcc": ["bea@rcpt.example"],
        "subject": "Ihre Bestellung über 20 €",
        "text": "Hallo, see https://shop.example/order/1",
        "html": '<p>Hallo, <a href="https://shop.example/order/1">your order</a></p>',
        "attachments": [{"filename": "logo.png", "content": base64.b64encode(PNG).decode(), "content_type": "image/png"},
                        {"filename": "rechnung.pdf", "content": base64.b64encode(PDF).decode(),
                         "content_type": "application/pdf"}],
        "tags": ["invoice"]})
    assert status == 202, body
    message_id = body["message_id"]
    assert re.fullmatch(r"<[0-9a-f-]{36}@api\.sender\.example>", message_id), body
    assert sorted(r["to"] for r in body["recipients"]) == ["ann@rcpt.example", "bea@rcpt.example", "carl@rcpt.example"]
    assert all(r["status"] == "accepted" and r["message_id"] == message_id for r in body["recipients"]), body
    recorded = dict(api.rig.pg.query("SELECT lower(r.address), r.id::text FROM recipients r JOIN messages m "
                                     "ON m.id = r.message_id WHERE m.message_id_header = %s", (message_id.strip("<>"),)))
    assert {r["to"]: r["id"] for r in body["recipients"]} == recorded

    links = {}
    for address in ("ann@rcpt.example", "carl@rcpt.example", "bea@rcpt.example"):
        got = delivered_to(api, address)
        assert "Bcc" not in got and got["Message-ID"] == message_id
        assert header_text(got["Subject"]) == "Ihre Bestellung über 20 €"
        assert got["From"].addresses[0].display_name == "Zoë's Bücherei"
        assert got["To"] == "ann@rcpt.example" and got["Cc"] == "carl@rcpt.example"
        parts = {p.get_filename(): p.get_payload(decode=True) for p in got.iter_attachments()}
        assert parts == {"logo.png": PNG, "rechnung.pdf": PDF}
        html = got.get_body(("html",)).get_content()
        [link] = re.findall(r'href="([^"]+)"', html)
        assert link.startswith(f"http://127.0.0.1:{api.stack.tracking_port}/c/"), html
        links[address] = link
    assert len(set(links.values())) == 3  # tracked per recipient
    assert api.rig.pg.query("SELECT tags FROM messages WHERE message_id_header = %s", (message_id.strip("<>"),)) \
        == [(["invoice"],)]


def accepted_hook(api: Api, address: str) -> dict:
    def found():
        with api.hooks.lock:
            return [e for e in api.hooks.accepted if e.get("recipient") == address]
    assert wait_until(lambda: len(found()) == 1, 30), f"no accepted webhook for {address}"
    return found()[0]


def test_tags_and_metadata_are_stored_read_back_and_in_webhooks(api: Api) -> None:
    metadata = {"order": "A-1", "customer": "Zoë", "empty": ""}
    sends = {
        "native@rcpt.example": ("/v1/messages", {}, {
            "from": "shop@sender.example", "to": "native@rcpt.example", "subject": "m", "text": "m",
            "tags": ["invoice", "q4"], "metadata": metadata}),
        "pm-meta@rcpt.example": ("/email", {"X-Postmark-Server-Token": api.key, "Authorization": ""}, {
            "From": "shop@sender.example", "To": "pm-meta@rcpt.example", "Subject": "m", "TextBody": "m",
            "Tag": "invoice", "Metadata": metadata}),
        "sg-meta@rcpt.example": ("/v3/mail/send", {}, {
            "personalizations": [{"to": [{"email": "sg-meta@rcpt.example"}], "custom_args": {"order": "A-1"}}],
            "custom_args": {"customer": "Zoë", "empty": ""}, "categories": ["invoice"],
            "from": {"email": "shop@sender.example"}, "subject": "m", "content": [{"type": "text/plain", "value": "m"}]}),
    }
    for address, (path, headers, message) in sends.items():
        status, _, body = api.request("POST", path, message, headers=headers)
        assert status in (200, 202), body
        got = delivered_to(api, address)
        assert not [name for name in got.keys() if name.lower().startswith("x-waybill")], got.keys()
        [(tags, stored, message_id)] = api.rig.pg.query(
            "SELECT m.tags, m.metadata, m.message_id_header FROM messages m JOIN recipients r ON r.message_id = m.id "
            "WHERE r.address = %s", (address,))
        assert stored == metadata and tags[0] == "invoice", (address, tags, stored)
        hook = accepted_hook(api, address)
        assert hook["metadata"] == metadata and hook["tags"] == tags, hook
        status, _, shown = api.request("GET", f"/v1/messages/{message_id.split('@')[0]}")
        assert status == 200 and shown["metadata"] == metadata and shown["tags"] == tags, shown

    refused = api.request("POST", "/v1/messages", {
        "from": "shop@sender.example", "to": "x@rcpt.example", "subject": "m", "text": "m",
        "metadata": {"k" * 129: "v"}})
    assert refused[0] == 422 and refused[2]["error"]["field"] == "metadata", refused


def test_metadata_header_over_smtp_is_stored_and_malformed_metadata_is_refused(api: Api) -> None:
    good = base64.b64encode(json.dumps({"source": "smtp"}).encode()).decode()
    with smtplib.SMTP("127.0.0.1", api.rig.postfix.smtp_port, timeout=30) as smtp:
        smtp.sendmail("shop@sender.example", ["smtp-meta@rcpt.example"],
                      f"From: shop@sender.example\r\nTo: smtp-meta@rcpt.example\r\nSubject: s\r\n"
                      f"X-Waybill-Metadata: {good}\r\n\r\nbody\r\n")
        with pytest.raises(smtplib.SMTPDataError) as bad:
            smtp.sendmail("shop@sender.example", ["smtp-bad@rcpt.example"],
                          "From: shop@sender.example\r\nTo: smtp-bad@rcpt.example\r\nSubject: s\r\n"
                          "X-Waybill-Metadata: eyJuIjogMX0=\r\n\r\nbody\r\n")
    assert bad.value.smtp_code == 550 and b"X-Waybill-Metadata" in bad.value.smtp_error, bad.value
    assert "X-Waybill-Metadata" not in delivered_to(api, "smtp-meta@rcpt.example")
    assert api.rig.pg.query("SELECT m.metadata FROM messages m JOIN recipients r ON r.message_id = m.id "
                            "WHERE r.address = 'smtp-meta@rcpt.example'") == [({"source": "smtp"},)]
    assert api.rig.pg.query("SELECT count(*) FROM recipients WHERE address = 'smtp-bad@rcpt.example'") == [(0,)]


def test_postmark_and_sendgrid_wire_formats(api: Api) -> None:
    status, _, body = api.request("POST", "/email", {
        "From": "Shop <shop@sender.example>", "To": "pm@rcpt.example", "Subject": "postmark",
        "TextBody": "plain", "HtmlBody": "<b>html</b>", "Tag": "pm", "TrackOpens": True},
        headers={"X-Postmark-Server-Token": api.key, "Authorization": ""})
    assert status == 200, body
    assert body["ErrorCode"] == 0 and body["Message"] == "OK" and body["To"] == "pm@rcpt.example", body
    assert re.fullmatch(r"[0-9a-f-]{36}", body["MessageID"]) and body["SubmittedAt"].endswith("Z"), body
    got = delivered_to(api, "pm@rcpt.example")
    assert got["Message-ID"] == f"<{body['MessageID']}@api.sender.example>"

    status, headers, body = api.request("POST", "/v3/mail/send", {
        "personalizations": [{"to": [{"email": "sg1@rcpt.example"}]}, {"to": [{"email": "sg2@rcpt.example"}]}],
        "from": {"email": "shop@sender.example"}, "subject": "sendgrid",
        "content": [{"type": "text/plain", "value": "plain"}, {"type": "text/html", "value": "<i>html</i>"}]})
    assert status == 202 and body == b"", body
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-message-id"]), headers
    for address in ("sg1@rcpt.example", "sg2@rcpt.example"):
        assert delivered_to(api, address)["Subject"] == "sendgrid"

    status, _, body = api.request("POST", "/email/batch", [
        {"From": "shop@sender.example", "To": "b1@rcpt.example", "Subject": "one", "TextBody": "1"},
        {"From": "shop@sender.example", "To": "not an address", "Subject": "two", "TextBody": "2"}],
        headers={"X-Postmark-Server-Token": api.key, "Authorization": ""})
    assert status == 200 and [item["ErrorCode"] for item in body] == [0, 300], body
    assert "To" in body[1]["Message"], body
    delivered_to(api, "b1@rcpt.example")


def test_keys_none_wrong_revoked_and_other_domains(api: Api) -> None:
    message = {"from": "shop@sender.example", "to": "k@rcpt.example", "subject": "k", "text": "k"}
    assert api.request("POST", "/v1/messages", message, key=None)[0] == 401
    status, _, body = api.request("POST", "/email", {"From": "shop@sender.example", "To": "k@rcpt.example"},
                                  headers={"X-Postmark-Server-Token": "wbk_" + "A" * 43, "Authorization": ""})
    assert status == 401 and body["ErrorCode"] == 10, body
    revoked = api.create_key("old", SENDER_DOMAIN)
    api.stack.waybill("api-keys", "revoke", "old")
    status, _, body = api.request("POST", "/v3/mail/send", {}, key=revoked)
    assert status == 401 and body["errors"][0]["message"], body
    other = api.create_key("other", "other.example")
    status, _, body = api.request("POST", "/v1/messages", message, key=other)
    assert status == 403 and body["error"]["field"] == "from", body
    assert api.rig.pg.query("SELECT count(*) FROM recipients WHERE address = 'k@rcpt.example'") == [(0,)]
    assert api.rig.pg.query("SELECT last_used_at IS NOT NULL FROM api_keys WHERE name = 'other'") == [(True,)]


def test_bad_input_is_a_4xx_naming_the_field(api: Api) -> None:
    status, _, body = api.request("POST", "/v1/messages", b'{"from": ')
    assert status == 400, body
    status, _, body = api.request("POST", "/v1/messages", {"to": "x@rcpt.example", "subject": "s", "text": "t"})
    assert status == 422 and body["error"]["field"] == "from", body
    status, _, body = api.request("POST", "/v1/messages", {"from": "shop@sender.example", "to": [f"r{i}@rcpt.example" for i in range(51)],
                                                           "text": "t"})
    assert status == 422 and body["error"]["field"] in ("to", "to[50]"), body
    status, _, body = api.request("POST", "/v1/messages", b"[" * 100 + b"]" * 100)
    assert status == 400, body
    status, _, body = api.request("POST", "/v1/messages", b'{"text": "' + b"x" * (3 << 20) + b'"}')
    assert status == 413, body
    status, _, body = api.request("POST", "/v3/mail/send", {"personalizations": []})
    assert status in (400, 422) and body["errors"][0]["field"], body
    assert api.request("GET", "/v1/messages")[0] == 405
    assert api.request("POST", "/nowhere", {})[0] == 404
    # The daemon is still there, and nothing half-sent.
    assert api.request("POST", "/v1/messages", {"from": "shop@sender.example", "to": "ok@rcpt.example",
                                                "subject": "ok", "text": "ok"})[0] == 202
    metrics = api.metrics()
    assert re.search(r'^waybill_api_requests_total\{endpoint="/v1/messages",status="422"\} [1-9]', metrics, re.M), metrics
    assert re.search(r'^waybill_api_submissions_total\{outcome="queued"\} [1-9]', metrics, re.M), metrics


def test_postfix_stopped_is_503_and_nothing_recorded(api: Api) -> None:
    with stopped(api.rig.postfix):
        status, headers, body = send_plain(api, "down@rcpt.example", "while down")
        assert status == 503 and headers.get("retry-after"), (status, body)
        status, _, body = api.request("POST", "/email", {"From": "shop@sender.example", "To": "down@rcpt.example",
                                                         "Subject": "while down", "TextBody": "t"},
                                      headers={"X-Postmark-Server-Token": api.key, "Authorization": ""})
        assert status == 503 and body["ErrorCode"] != 0, body
    assert api.rig.pg.query("SELECT count(*) FROM messages WHERE subject = 'while down'") == [(0,)]
    status, _, body = send_plain(api, "after@rcpt.example", "after")
    assert status == 202, body
    delivered_to(api, "after@rcpt.example")


def test_idempotent_retry_sends_once(api: Api) -> None:
    message = {"from": "shop@sender.example", "to": "idem@rcpt.example", "subject": "idempotent", "text": "once"}
    first = api.request("POST", "/v1/messages", message, headers={"Idempotency-Key": "order-17"})
    assert first[0] == 202, first
    again = api.request("POST", "/v1/messages", message, headers={"Idempotency-Key": "order-17"})
    assert again[0] == 202 and again[2] == first[2] and again[1].get("idempotent-replayed") == "true", again
    other = api.request("POST", "/v1/messages", {**message, "text": "twice"}, headers={"Idempotency-Key": "order-17"})
    assert other[0] == 422 and other[2]["error"]["field"] == "Idempotency-Key", other
    delivered_to(api, "idem@rcpt.example")
    api.rig.postfix.wait_queue_empty(timeout=30)
    assert len([m for m in api.rig.sink.messages() if "idem@rcpt.example" in m.recipients]) == 1
    assert api.rig.pg.query("SELECT count(*) FROM messages WHERE subject = 'idempotent'") == [(1,)]


def test_batch_of_500_sends_the_valid_items_and_reports_the_others(api: Api) -> None:
    invalid = {7: {"to": "not an address"}, 123: {"from": None}, 250: {"attachments": [{"filename": "x", "content": "%%%"}]},
               499: {"from": "someone@elsewhere.example"}}
    messages = []
    for i in range(500):
        item = {"from": "shop@sender.example", "to": f"batch{i}@rcpt.example", "subject": f"batch {i}", "text": f"item {i}"}
        for field, value in invalid.get(i, {}).items():
            if value is None:
                del item[field]
            else:
                item[field] = value
        messages.append(item)
    status, _, body = api.request("POST", "/v1/messages/batch", {"messages": messages})
    assert status == 200, body
    results = body["results"]
    assert len(results) == 500 and [r["index"] for r in results] == list(range(500))
    assert {i: r["status"] for i, r in enumerate(results) if r["status"] != 202} == {7: 422, 123: 422, 250: 422, 499: 403}
    assert results[7]["error"]["field"].startswith("to") and results[123]["error"]["field"] == "from", results[7]
    assert results[250]["error"]["field"].startswith("attachments[0]"), results[250]
    assert wait_until(lambda: len([m for m in api.rig.sink.messages() if m.recipients[0].startswith("batch")]) >= 496, 180)
    api.rig.postfix.wait_queue_empty(timeout=60)
    sent = sorted(m.recipients[0] for m in api.rig.sink.messages() if m.recipients[0].startswith("batch"))
    assert sent == sorted(f"batch{i}@rcpt.example" for i in range(500) if i not in invalid)
    assert api.rig.pg.query("SELECT count(*) FROM messages WHERE subject LIKE 'batch %%'") == [(496,)]


def test_message_shows_accepted_delivered_opened_clicked_and_events_page(api: Api) -> None:
    status, _, body = api.request("POST", "/v1/messages", {
        "from": "shop@sender.example", "to": "tl@rcpt.example", "subject": "timeline",
        "html": '<p>Hi <a href="https://shop.example/deal">deal</a></p>'})
    assert status == 202, body
    uuid = body["message_id"].strip("<>").split("@")[0]
    html = delivered_to(api, "tl@rcpt.example").get_body(("html",)).get_content()
    [link] = re.findall(r'href="([^"]+)"', html)
    [pixel] = re.findall(r'<img[^>]+src="([^"]+/o/[^"]+)"', html)

    def fetch(url: str) -> int:
        path = url.split(f"127.0.0.1:{api.stack.tracking_port}", 1)[1]
        conn = http.client.HTTPConnection("127.0.0.1", api.stack.tracking_port, timeout=10)
        conn.request("GET", path, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0"})
        code = conn.getresponse().status
        conn.close()
        return code

    def types() -> list[str]:
        status, _, message = api.request("GET", f"/v1/messages/{uuid}")
        assert status == 200, message
        [recipient] = message["recipients"]
        return [e["type"] for e in recipient["events"]]
    assert wait_until(lambda: "delivered" in types(), 30), types()
    assert fetch(pixel) == 200
    assert wait_until(lambda: "opened" in types(), 30), types()
    assert fetch(link) in (302, 303)
    assert wait_until(lambda: "clicked" in types(), 30), types()
    assert types() == ["accepted", "delivered", "opened", "clicked"]
    assert api.request("GET", "/v1/messages/00000000-0000-4000-8000-000000000000")[0] == 404
    other = api.create_key("timeline-other", "other.example")
    assert api.request("GET", f"/v1/messages/{uuid}", key=other)[0] == 404  # another application's mail

    first = api.request("GET", "/v1/events?recipient=TL%40rcpt.example&limit=3")
    assert first[0] == 200 and len(first[2]["events"]) == 3 and first[2]["next_cursor"], first
    second = api.request("GET", f"/v1/events?recipient=tl%40rcpt.example&limit=3&cursor={first[2]['next_cursor']}")
    assert second[0] == 200 and second[2]["next_cursor"] is None, second
    assert [e["type"] for e in first[2]["events"] + second[2]["events"]] == ["accepted", "delivered", "opened", "clicked"]
    clicked = api.request("GET", "/v1/events?type=clicked&recipient=tl@rcpt.example")[2]["events"]
    assert [e["recipient"] for e in clicked] == ["tl@rcpt.example"]
    assert api.request("GET", "/v1/events?limit=0")[0] == 400
    assert api.request("GET", "/v1/events?cursor=bogus")[0] == 400


def test_suppressions_added_through_the_api_are_refused_on_the_next_send(api: Api) -> None:
    entry = {"recipient": "Sup@rcpt.example", "domain": "sender.example", "reason": "manual"}
    status, _, body = api.request("POST", "/v1/suppressions", entry)
    assert status == 201 and body["suppression"]["recipient"] == "sup@rcpt.example", body
    listed = api.request("GET", "/v1/suppressions?recipient=sup%40rcpt.example")[2]["suppressions"]
    assert [(s["scope"], s["scope_value"], s["source"]) for s in listed] == [("domain", "sender.example", "api")]
    assert api.request("POST", "/v1/suppressions", {**entry, "domain": "other.example"})[0] == 403
    message = {"from": "shop@sender.example", "to": ["sup@rcpt.example"], "subject": "suppressed?", "text": "t"}

    def refused() -> bool:
        return api.request("POST", "/v1/messages", message)[0] == 422
    assert wait_until(refused, 15, interval=0.5)  # the milter's list follows within a second

    def to_sup() -> int:
        api.rig.postfix.wait_queue_empty(timeout=30)
        return len([m for m in api.rig.sink.messages() if "sup@rcpt.example" in m.recipients])
    before = to_sup()  # sent before the list reached the milter, if any
    status, _, body = api.request("POST", "/email", {"From": "shop@sender.example", "To": "sup@rcpt.example",
                                                     "Subject": "suppressed?", "TextBody": "t"},
                                  headers={"X-Postmark-Server-Token": api.key, "Authorization": ""})
    assert status == 422 and body["ErrorCode"] == 406, body
    status, _, body = api.request("POST", "/v1/messages", {**message, "to": ["sup@rcpt.example", "kept@rcpt.example"]})
    assert status == 202, body
    assert {r["to"]: r["status"] for r in body["recipients"]} == {"sup@rcpt.example": "suppressed",
                                                                  "kept@rcpt.example": "accepted"}
    delivered_to(api, "kept@rcpt.example")
    assert to_sup() == before  # nothing reached the suppressed recipient
    assert api.request("DELETE", "/v1/suppressions", entry)[0] == 200
    assert api.request("DELETE", "/v1/suppressions", entry)[0] == 404
    assert wait_until(lambda: api.request("POST", "/v1/messages", message)[0] == 202, 15, interval=0.5)
    assert wait_until(lambda: to_sup() == before + 1, 30)


def test_openapi_document_is_served(api: Api) -> None:
    status, _, body = api.request("GET", "/v1/openapi.json", key=None)
    assert status == 200 and body["openapi"].startswith("3.") and "/v1/messages" in body["paths"], body


def test_postgresql_stopped_is_503_and_no_message_is_lost(api: Api) -> None:
    with stopped(api.rig.pg):
        status, headers, body = send_plain(api, "pgdown@rcpt.example", "pg down")
        assert status == 503 and headers.get("retry-after"), (status, body)
    # Nothing was answered as sent, and nothing arrives later either.
    api.rig.postfix.wait_queue_empty(timeout=30)
    assert not [m for m in api.rig.sink.messages() if "pgdown@rcpt.example" in m.recipients]
    # Pooled connections to the restarted server fail once each (503, nothing sent): a client
    # that honours Retry-After gets through, and the recipient gets the message once.
    answers = []

    def sent() -> bool:
        answers.append(send_plain(api, "pgback@rcpt.example", "pg back"))
        assert answers[-1][0] in (202, 503), answers[-1]
        return answers[-1][0] == 202
    assert wait_until(sent, 30, interval=1), answers[-1]
    delivered_to(api, "pgback@rcpt.example")  # exactly once: the 503s sent nothing


def make_certificate(api: Api, name: str) -> tuple[Path, Path]:
    cert, key = api.rig.path(f"{name}.crt"), api.rig.path(f"{name}.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "2",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=30)
    return cert, key


def apid_over_tls(api: Api, port: int, cert: Path, key: Path, name: str) -> subprocess.Popen:
    return api.rig.spawn([api.stack.binary("waybill-apid"), "--config", str(api.stack.config),
                          f"--api.listen=127.0.0.1:{port}", f"--api.metrics_listen=127.0.0.1:{free_port()}",
                          f"--api.tls_cert={cert}", f"--api.tls_key={key}"], name=name)


def test_tls_serves_https_refuses_plain_http_and_reloads_the_certificate(api: Api) -> None:
    cert, key = make_certificate(api, "api-one")
    port = free_port()
    proc = apid_over_tls(api, port, cert, key, "apid-tls")
    wait_port(port, pid=proc.pid)

    def post(address: str, trusted: Path) -> tuple[int, dict, bytes]:
        context = ssl.create_default_context(cafile=str(trusted))
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=30, context=context)
        conn.request("POST", "/v1/messages", body=json.dumps({
            "from": "shop@sender.example", "to": address, "subject": "tls", "text": "over TLS"}),
            headers={"Authorization": f"Bearer {api.key}", "Content-Type": "application/json"})
        response = conn.getresponse()
        answer = response.status, json.loads(response.read()), conn.sock.getpeercert(binary_form=True)
        conn.close()
        return answer

    status, body, _ = post("tls1@rcpt.example", cert)
    assert status == 202 and body["recipients"][0]["status"] == "accepted", body
    assert delivered_to(api, "tls1@rcpt.example")["Subject"] == "tls"

    with socket.create_connection(("127.0.0.1", port), timeout=10) as plain:  # plain HTTP to the TLS port
        plain.sendall(b"GET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            answer = plain.recv(4096)  # a TLS alert, then the close
        except ConnectionResetError:
            answer = b""
        assert not answer.startswith(b"HTTP/"), "plain HTTP must not be answered on the TLS port"
    assert proc.poll() is None

    new_cert, new_key = make_certificate(api, "api-two")
    shutil.copy(new_cert, cert)
    shutil.copy(new_key, key)
    proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "reloaded the TLS certificate" in api.rig.log_of("apid-tls"), 10), api.rig.log_of("apid-tls")
    status, body, served = post("tls2@rcpt.example", new_cert)
    assert status == 202 and served == ssl.PEM_cert_to_DER_cert(new_cert.read_text()), body
    delivered_to(api, "tls2@rcpt.example")
    proc.terminate()
    assert proc.wait(30) == 0


@pytest.mark.parametrize("settings, named", [
    (["--api.tls_cert=/nonexistent.crt"], "api.tls_key"),
    (["--api.tls_cert=/nonexistent.crt", "--api.tls_key=/nonexistent.key"], "api.tls_cert"),
    ("mismatched", "api.tls_key"),
])
def test_tls_configuration_that_cannot_work_stops_the_start_with_one_line(api: Api, settings, named) -> None:
    if settings == "mismatched":
        cert, _ = make_certificate(api, "api-three")
        _, other_key = make_certificate(api, "api-four")
        settings = [f"--api.tls_cert={cert}", f"--api.tls_key={other_key}"]
    done = subprocess.run([str(api.stack.binary("waybill-apid")), "--config", str(api.stack.config),
                           f"--api.listen=127.0.0.1:{free_port()}", f"--api.metrics_listen=127.0.0.1:{free_port()}",
                           *settings],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode != 0
    problem = [line for line in done.stderr.splitlines() if f"option '{named}'" in line]
    assert len(problem) == 1, done.stderr
