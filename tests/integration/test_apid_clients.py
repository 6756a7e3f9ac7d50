"""The official Node.js client libraries of Postmark (`postmark`) and SendGrid (`@sendgrid/mail`),
from npm, pointed at waybill-apid on loopback, send through real Postfix + waybill-milter (tracking,
DKIM rsa + ed25519, templates) to the sink: html + text, two attachments byte-identical, Cc and
Bcc right (no Bcc header), a non-ASCII subject and display name, links tracked per recipient,
both signatures verifying with dkimpy, a templated send rendered, and the answers what each
library expects (a bad key is Postmark's InvalidAPIKeyError, ErrorCode 10)."""

from __future__ import annotations

import base64
import email
import email.header
import email.policy
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from test_milter_delivery import Keys, make_keys, verify_each  # noqa: E402
from waybill_rig import Rig, free_port, wait_port, wait_until  # noqa: E402
from waybill_stack import WaybillStack, milter_address, write_templates  # noqa: E402

CLIENT_SCRIPT = Path(__file__).resolve().parent / "clients" / "send_with_esp_clients.js"
# Installed once per machine (npm registry), kept for the next run.
CLIENTS_DIR = Path(os.environ.get("WAYBILL_ESP_CLIENTS_DIR", "/var/cache/waybill-tests/esp-clients"))
CLIENT_PACKAGES = ("postmark@5", "@sendgrid/mail@8")
TRACKING_BASE = "https://t.example"
LOGO = bytes(range(256)) * 4
TERMS = ("Geschäftsbedingungen\r\n" * 40).encode() + bytes([0, 255, 13, 10, 46, 13, 10])


def esp_clients() -> Path:
    modules = CLIENTS_DIR / "node_modules"
    if not ((modules / "postmark").is_dir() and (modules / "@sendgrid" / "mail").is_dir()):
        assert shutil.which("npm"), "npm is needed (scripts/install-deps.sh installs it)"
        CLIENTS_DIR.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", str(CLIENTS_DIR), *CLIENT_PACKAGES],
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr
    return modules


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def header_text(value: str) -> str:
    return str(email.header.make_header(email.header.decode_header(value)))


@pytest.fixture(scope="module")
def sent(bin_dir: Path):
    modules = esp_clients()
    milter_port, port = free_port(), free_port()
    with Rig(milters=[milter_address(milter_port)], non_smtpd_milters=[milter_address(milter_port)]) as rig:
        keys: Keys = make_keys(bin_dir / "waybill", rig.path("dkim"))
        templates = write_templates(rig.path("templates"), {
            "welcome.html.mustache": '<p>Welcome, {{name}}! <a href="https://shop.example/start">Start</a></p>',
            "welcome.txt.mustache": "Welcome, {{name}}!"})
        stack = WaybillStack(rig, bin_dir, sections={
            "tracking": {"base_url": TRACKING_BASE},
            "milter": {"template_dir": str(templates)},
            "dkim": {"key_table": str(keys.key_table), "signing_table": str(keys.signing_table)},
            "api": {"listen": f"127.0.0.1:{port}", "submit": f"smtp:127.0.0.1:{rig.postfix.smtp_port}",
                    "message_id_domain": "api.sender.example"}})
        stack.migrate()
        key = stack.waybill("api-keys", "create", "--name", "node", "--sender-domain", "sender.example").stdout.split()[-1]
        stack.start_milter(milter_port)
        rig.spawn([stack.binary("waybill-apid"), "--config", str(stack.config)], name="waybill-apid")
        wait_port(port)
        attachments = [{"Name": "logo.png", "Content": b64(LOGO), "ContentType": "image/png"},
                       {"Name": "agb.txt", "Content": b64(TERMS), "ContentType": "application/octet-stream"}]
        requests = {
            "postmark": {"From": "Zoë Müller <zoe@sender.example>", "To": "pm-to@rcpt.example",
                         "Cc": "pm-cc@rcpt.example", "Bcc": "pm-bcc@rcpt.example",
                         "Subject": "Grüße aus Köln – Ihre Rechnung", "TextBody": "See https://shop.example/invoice/7",
                         "HtmlBody": '<p>See <a href="https://shop.example/invoice/7">your invoice</a></p>',
                         "Attachments": attachments, "TrackLinks": "HtmlAndText", "Tag": "invoice"},
            "postmark_template": {"From": "zoe@sender.example", "To": "pm-template@rcpt.example",
                                  "TemplateAlias": "welcome", "TemplateModel": {"name": "Jürgen"}},
            "postmark_bad_key": "wbk_" + "B" * 43,
            "sendgrid": {"to": "sg-to@rcpt.example", "cc": "sg-cc@rcpt.example", "bcc": "sg-bcc@rcpt.example",
                         "from": {"email": "zoe@sender.example", "name": "Zoë Müller"},
                         "subject": "Grüße aus Köln – Ihre Rechnung", "text": "See https://shop.example/invoice/8",
                         "html": '<p>See <a href="https://shop.example/invoice/8">your invoice</a></p>',
                         "attachments": [{"filename": "logo.png", "content": b64(LOGO), "type": "image/png"},
                                         {"filename": "agb.txt", "content": b64(TERMS)}],
                         "categories": ["invoice"]},
        }
        requests_file = rig.path("requests.json")
        requests_file.write_text(json.dumps(requests))
        env = dict(os.environ, NODE_PATH=str(modules))
        done = subprocess.run(["node", str(CLIENT_SCRIPT), str(port), key, str(requests_file)], capture_output=True,
                              text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stdout + done.stderr
        answers = {a["client"]: a for a in map(json.loads, done.stdout.splitlines())}
        yield rig, keys, answers


def arrived(rig: Rig, address: str) -> tuple[bytes, email.message.Message]:
    def found():
        return [m for m in rig.sink.messages() if address in m.recipients]
    assert wait_until(lambda: len(found()) == 1, 30), rig.postfix.diagnostics()
    raw = found()[0].raw
    return raw, email.message_from_bytes(raw, policy=email.policy.default)


def check_copies(rig: Rig, keys: Keys, prefix: str, invoice: str) -> None:
    links = set()
    for role in ("to", "cc", "bcc"):
        raw, got = arrived(rig, f"{prefix}-{role}@rcpt.example")
        assert "Bcc" not in got, got.keys()
        assert got["To"] == f"{prefix}-to@rcpt.example" and got["Cc"] == f"{prefix}-cc@rcpt.example"
        assert header_text(got["Subject"]) == "Grüße aus Köln – Ihre Rechnung"
        assert got["From"].addresses[0].display_name == "Zoë Müller"
        assert got.get_body(("plain",)) is not None
        parts = {p.get_filename(): p.get_payload(decode=True) for p in got.iter_attachments()}
        assert parts == {"logo.png": LOGO, "agb.txt": TERMS}
        html = got.get_body(("html",)).get_content()
        [link] = re.findall(r'href="([^"]+)"', html)
        assert link.startswith(TRACKING_BASE + "/c/") and invoice not in link, html
        links.add(link)
        assert verify_each(raw, keys) == {"rsa-sha256": True, "ed25519-sha256": True}, raw[:2000]
    assert len(links) == 3  # one per recipient


def test_postmark_client_sends_and_reads_its_answer(sent) -> None:
    rig, keys, answers = sent
    answer = answers["postmark.sendEmail"]
    assert answer["ok"], answer
    response = answer["response"]
    assert response["ErrorCode"] == 0 and response["To"] == "pm-to@rcpt.example", response
    assert re.fullmatch(r"[0-9a-f-]{36}", response["MessageID"]) and response["SubmittedAt"], response
    check_copies(rig, keys, "pm", "invoice/7")
    _, got = arrived(rig, "pm-to@rcpt.example")
    assert got["Message-ID"] == f"<{response['MessageID']}@api.sender.example>"


def test_postmark_template_renders(sent) -> None:
    rig, keys, answers = sent
    assert answers["postmark.sendEmailWithTemplate"]["ok"], answers["postmark.sendEmailWithTemplate"]
    raw, got = arrived(rig, "pm-template@rcpt.example")
    assert "Welcome, Jürgen!" in got.get_body(("plain",)).get_content()
    assert "Welcome, Jürgen!" in got.get_body(("html",)).get_content()
    assert verify_each(raw, keys) == {"rsa-sha256": True, "ed25519-sha256": True}


def test_postmark_bad_key_is_its_invalid_key_error(sent) -> None:
    _, _, answers = sent
    answer = answers["postmark.badKey"]
    assert not answer["ok"] and answer["error"]["code"] == 10 and answer["error"]["statusCode"] == 401, answer
    assert answer["error"]["name"] == "InvalidAPIKeyError", answer


def test_sendgrid_client_sends_and_reads_its_answer(sent) -> None:
    rig, keys, answers = sent
    answer = answers["sendgrid.send"]
    assert answer["ok"] and answer["response"]["statusCode"] == 202, answer
    assert re.fullmatch(r"[0-9a-f-]{36}", answer["response"]["messageId"]), answer
    check_copies(rig, keys, "sg", "invoice/8")
    _, got = arrived(rig, "sg-to@rcpt.example")
    assert got["Message-ID"] == f"<{answer['response']['messageId']}@api.sender.example>"
