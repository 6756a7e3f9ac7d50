"""Issue 4, templates: X-Waybill-Template + X-Waybill-Template-Data render text and HTML parts through
real Postfix + waybill-milter (HTML-escaped only in the HTML part, links tracked, signed); an
unknown template or bad data is refused at end of DATA with a 5xx saying why."""

from __future__ import annotations

import base64
import html
import json
import re
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from test_milter_delivery import (TRACKING_BASE, Keys, assert_dual_signed, decode_token, make_keys,  # noqa: E402
                                  stack_sections, wait_arrivals)
from waybill_rig import Rig  # noqa: E402
from waybill_stack import WaybillStack, milter_rig, write_templates  # noqa: E402

pytest.importorskip("dkim")

HTML_TEMPLATE = ("<html><body><p>Hello {{name}},</p>\n<p>Your order {{order.id}}:</p>\n<ul>{{#items}}<li>{{.}}</li>"
                 "{{/items}}</ul>\n<p><a href=\"{{url}}\">Your account</a> <a href=\"https://shop.example/help\">help</a>"
                 "</p>\n<p>{{{trusted}}}</p></body></html>\n")
TEXT_TEMPLATE = "Hello {{name}},\nYour order {{order.id}}:\n{{#items}}- {{.}}\n{{/items}}Account: {{url}}\n"
DATA = {"name": "<script>alert(1)</script> Tom & \"Jerry\"", "order": {"id": 4711},
        "items": ["fish & chips", "<b>tea</b>"], "url": "https://shop.example/account?a=1&b=2",
        "trusted": "<em>raw</em>"}


@dataclass
class TemplateRig:
    rig: Rig
    keys: Keys

    def send(self, rcpt: str, subject: str, template: str, data: bytes | None) -> tuple[int, str]:
        head = (f"From: Shop <news@shop.example>\r\nTo: {rcpt}\r\nSubject: {subject}\r\n"
                f"X-Waybill-Template: {template}\r\nX-Waybill-Tags: templated\r\n")
        if data is not None:
            head += f"X-Waybill-Template-Data: {base64.b64encode(data).decode()}\r\n"
        body = "Content-Type: text/plain\r\n\r\nthis body is replaced by the template\r\n"
        return self.rig.postfix.send_smtp("news@shop.example", [rcpt], (head + body).encode())


@pytest.fixture(scope="module")
def templates(bin_dir: Path):
    with milter_rig() as (rig, port):
        folder = write_templates(rig.path("templates"), {"order.html.mustache": HTML_TEMPLATE,
                                                          "order.txt.mustache": TEXT_TEMPLATE})
        keys = make_keys(bin_dir / "waybill", rig.path("dkim"))
        sections = stack_sections(keys)
        sections["milter"]["template_dir"] = str(folder)
        stack = WaybillStack(rig, bin_dir, sections=sections)
        stack.migrate()
        stack.start_milter(port)
        yield TemplateRig(rig, keys)


def parts(message) -> dict[str, str]:
    found = {}
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html"):
            found[part.get_content_type()] = part.get_payload(decode=True).decode(part.get_content_charset() or "ascii")
    return found


def test_template_renders_both_parts_escaped_only_in_html(templates: TemplateRig) -> None:
    rcpt, subject = "tpl@dest.example", f"order {uuid.uuid4()}"
    code, text = templates.send(rcpt, subject, "order", json.dumps(DATA).encode())
    assert code == 250, text
    [arrived] = wait_arrivals(templates.rig, lambda m: m.email["Subject"] == subject, 1)
    email = arrived.email
    assert email.get_content_type() == "multipart/alternative"
    assert not [k for k in email.keys() if k.lower().startswith("x-waybill-")]
    assert_dual_signed(arrived.raw, templates.keys, subject)
    rendered = parts(email)
    assert sorted(rendered) == ["text/html", "text/plain"]
    body_text, body_html = rendered["text/plain"], rendered["text/html"]

    # Text part: the data verbatim (no HTML escaping); its bare URL tracked like any text link.
    assert "Hello <script>alert(1)</script> Tom & \"Jerry\",\n" in body_text.replace("\r\n", "\n")
    assert "- fish & chips\n- <b>tea</b>\n" in body_text.replace("\r\n", "\n")
    assert "Your order 4711:" in body_text and "this body is replaced" not in body_text

    # HTML part: escaped where it must be, raw only for the triple-mustache value.
    assert "<script>" not in body_html and "<b>tea</b>" not in body_html
    assert "Hello &lt;script&gt;alert(1)&lt;/script&gt; Tom &amp; &quot;Jerry&quot;," in body_html
    assert "<li>fish &amp; chips</li><li>&lt;b&gt;tea&lt;/b&gt;</li>" in body_html
    assert "<p><em>raw</em></p>" in body_html

    # Links of the rendered HTML are tracked; the tokens hold the URLs the template produced.
    [(message_id, rid)] = templates.rig.pg.query(
        "SELECT m.id, r.id FROM messages m JOIN recipients r ON r.message_id = m.id WHERE m.subject = %s", (subject,))
    hrefs = re.findall(r'href="([^"]*)"', body_html)
    assert len(hrefs) == 2 and all(h.startswith(TRACKING_BASE + "/c/") for h in hrefs), hrefs
    for href in hrefs:
        kind, recipient = decode_token(href.rsplit("/", 1)[1])
        assert (kind, str(recipient)) == ("c", str(rid))
    links = templates.rig.pg.query("SELECT url FROM links WHERE recipient_id = %s ORDER BY position", (rid,))
    clicked = [u for (u,) in links]
    assert {html.unescape(DATA["url"]), "https://shop.example/help"} <= set(clicked), clicked
    [(tags,)] = templates.rig.pg.query("SELECT tags FROM messages WHERE id = %s", (message_id,))
    assert tags == ["templated"]


@pytest.mark.parametrize("template,data,reason", [
    ("no-such-template", b'{"name": "x"}', "unknown template 'no-such-template'"),
    ("order", b'{"name": "x", ', "not valid JSON"),
    ("order", b'["a", "list"]', "must be a JSON object"),
    ("../etc/passwd", b"{}", "is not allowed"),
])
def test_bad_template_requests_are_refused_with_reason(templates: TemplateRig, template: str, data: bytes,
                                                        reason: str) -> None:
    subject = f"refused {uuid.uuid4()}"
    code, text = templates.send(f"bad-{uuid.uuid4()}@dest.example", subject, template, data)
    assert 500 <= code < 600, (code, text)
    assert reason in text, text
    assert not [m for m in templates.rig.sink.messages() if m.email["Subject"] == subject]
    assert not templates.rig.pg.query("SELECT id FROM messages WHERE subject = %s", (subject,))


def test_template_to_several_recipients_gives_each_copy_its_own_links(templates: TemplateRig) -> None:
    subject = f"order many {uuid.uuid4()}"
    recipients = [f"{n}-{uuid.uuid4()}@dest.example" for n in ("ann", "bob")]
    head = (f"From: Shop <news@shop.example>\r\nTo: team@dest.example\r\nSubject: {subject}\r\n"
            f"X-Waybill-Template: order\r\n"
            f"X-Waybill-Template-Data: {base64.b64encode(json.dumps(DATA).encode()).decode()}\r\n\r\n")
    code, text = templates.rig.postfix.send_smtp("news@shop.example", recipients, head.encode())
    assert code == 250, text
    arrived = wait_arrivals(templates.rig, lambda m: m.email["Subject"] == subject, 2)
    arrived = list({m.recipients[0]: m for m in arrived}.values())
    ids = dict(templates.rig.pg.query(
        "SELECT r.address, r.id FROM recipients r JOIN messages m ON r.message_id = m.id WHERE m.subject = %s",
        (subject,)))
    assert sorted(ids) == sorted(recipients)
    for m in arrived:
        assert_dual_signed(m.raw, templates.keys, m.recipients[0])
        body_html = parts(m.email)["text/html"]
        assert "Tom &amp; &quot;Jerry&quot;" in body_html
        hrefs = re.findall(r'href="([^"]*)"', body_html)
        assert len(hrefs) == 2
        assert {str(decode_token(h.rsplit("/", 1)[1])[1]) for h in hrefs} == {str(ids[m.recipients[0]])}
