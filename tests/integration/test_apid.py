"""waybill-apid through real Postfix + waybill-milter to the sink: the native API, Postmark's and
SendGrid's wire formats, keys (none, wrong, revoked, another domain), bad input naming the field,
and Postfix stopped (503, nothing recorded as sent)."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import http.client
import json
import re
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address  # noqa: E402

SENDER_DOMAIN = "sender.example"
PNG = bytes(range(256)) * 3 + b"\x89PNG\r\n\x1a\n"  # every byte value: a transfer encoding that mangles shows
PDF = b"%PDF-1.4\n" + bytes(range(255, -1, -1)) * 5


class Api:
    """The daemon on loopback, with a live key for sender.example."""

    def __init__(self, rig: Rig, stack: WaybillStack, port: int, metrics_port: int) -> None:
        self.rig, self.stack, self.port, self.metrics_port = rig, stack, port, metrics_port
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
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)]) as rig:
        stack = WaybillStack(rig, bin_dir, sections={"api": {
            "listen": f"127.0.0.1:{port}", "submit": f"smtp:127.0.0.1:{rig.postfix.smtp_port}",
            "metrics_listen": f"127.0.0.1:{metrics_port}", "message_id_domain": "api.sender.example",
            "max_body_size": "2M"}})
        stack.migrate()
        stack.start_milter(milter_port)
        rig.spawn([stack.binary("waybill-apid"), "--config", str(stack.config)], name="waybill-apid")
        wait_port(port)
        yield Api(rig, stack, port, metrics_port)


def header_text(value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(value)))


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
    api.rig.postfix.stop()
    try:
        status, headers, body = api.request("POST", "/v1/messages", {
            "from": "shop@sender.example", "to": "down@rcpt.example", "subject": "while down", "text": "t"})
        assert status == 503 and headers.get("retry-after"), (status, body)
        status, _, body = api.request("POST", "/email", {"From": "shop@sender.example", "To": "down@rcpt.example",
                                                         "Subject": "while down", "TextBody": "t"},
                                      headers={"X-Postmark-Server-Token": api.key, "Authorization": ""})
        assert status == 503 and body["ErrorCode"] != 0, body
    finally:
        api.rig.postfix.start()
    assert api.rig.pg.query("SELECT count(*) FROM messages WHERE subject = 'while down'") == [(0,)]
    status, _, body = api.request("POST", "/v1/messages", {
        "from": "shop@sender.example", "to": "after@rcpt.example", "subject": "after", "text": "t"})
    assert status == 202, body
    delivered_to(api, "after@rcpt.example")
