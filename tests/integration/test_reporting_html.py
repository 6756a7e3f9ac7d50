"""Issue 9, acceptance 4: the `waybill report --html` page renders in headless Chromium without
console errors, with its three charts laid out, and a screenshot shows them.

Talks to Chromium over the DevTools protocol (python3-websocket): console messages, uncaught
exceptions and log entries (failed loads) of level error all count. A page that logs an error on
purpose checks that the detector itself works.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests" / "support"))
from waybill_rig import Rig, stop_process  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
websocket = pytest.importorskip("websocket")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (scripts/install-deps.sh)")

FIXTURE = """
INSERT INTO messages (id, envelope_sender, subject, created_at)
SELECT ('00000000-0000-4000-8000-' || lpad(to_hex(g), 12, '0'))::uuid, 'shop@s.test', 'Offer ' || g,
       '2026-03-01'::timestamptz + g * interval '1 hour'
FROM generate_series(1, 300) g;
INSERT INTO events (id, occurred_at, type, message_id, recipient, sender, machine, url, details)
SELECT gen_random_uuid(), m.created_at + k * interval '1 hour', t.type, m.id, 'r' || g || '@d' || (g % 5) || '.test',
       'shop@s.test', t.type = 'opened' AND g % 4 = 0, CASE WHEN t.type = 'clicked' THEN 'https://s.test/x' END,
       CASE WHEN t.type = 'bounced' THEN jsonb_build_object('reason', (ARRAY['userunknown','mailboxfull','blocked'])[1 + g % 3],
                                                          'bounce_class', CASE WHEN g % 3 = 0 THEN 'hard' ELSE 'soft' END)
            ELSE '{}'::jsonb END
FROM generate_series(1, 300) g
JOIN messages m ON m.subject = 'Offer ' || g
CROSS JOIN LATERAL (VALUES (0, 'accepted'), (1, CASE WHEN g % 10 = 0 THEN 'bounced' ELSE 'delivered' END),
                           (3, CASE WHEN g % 2 = 0 THEN 'opened' END), (4, CASE WHEN g % 6 = 0 THEN 'clicked' END)) t(k, type)
WHERE t.type IS NOT NULL;
"""


class Chromium:
    """One headless Chromium with a DevTools websocket to its first page."""

    def __init__(self, profile: Path) -> None:
        self.proc = subprocess.Popen(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
             "--remote-debugging-port=0", f"--user-data-dir={profile}", "--window-size=1200,1400", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split("\n")[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
            targets = json.loads(response.read())
        page = next(t for t in targets if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0
        self.events: list[dict] = []

    def call(self, method: str, **params) -> dict:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            if time.monotonic() > deadline:
                raise TimeoutError(method)
            self.events.append(json.loads(self.ws.recv()))

    def open(self, url: str) -> list[str]:
        """Loads url and returns the error-level console/exception/log messages it produced."""
        self.events.clear()
        for domain in ("Page", "Runtime", "Log"):
            self.call(f"{domain}.enable")
        self.call("Page.navigate", url=url)
        self.wait_event("Page.loadEventFired")
        self.call("Runtime.evaluate", expression="1")  # drains events queued before the load finished
        errors = []
        for e in self.events:
            p = e.get("params", {})
            if e.get("method") == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                errors.append(" ".join(str(a.get("value", a.get("description"))) for a in p.get("args", [])))
            elif e.get("method") == "Runtime.exceptionThrown":
                errors.append(p["exceptionDetails"].get("text", "exception"))
            elif e.get("method") == "Log.entryAdded" and p["entry"]["level"] == "error":
                errors.append(p["entry"]["text"])
        return errors

    def evaluate(self, expression: str):
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def screenshot(self, path: Path) -> None:
        import base64
        path.write_bytes(base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"]))

    def close(self) -> None:
        self.ws.close()
        stop_process(self.proc, timeout=10)


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    browser = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.close()


@pytest.fixture(scope="module")
def report_page(waybill_bin, tmp_path_factory) -> Path:
    page = tmp_path_factory.mktemp("report") / "report.html"
    with Rig(postfix=False) as rig:
        waybill = waybill_bin("waybill")
        subprocess.run([waybill, "--database.url", rig.pg.url, "db", "migrate"], check=True, capture_output=True, timeout=120)
        rig.pg.execute(FIXTURE)
        done = subprocess.run([waybill, "--database.url", rig.pg.url, "report", "--since", "2026-03-01",
                               "--until", "2026-03-16", "--html", str(page)], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
    return page


def test_the_detector_sees_console_errors(chromium, tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>bad</title><script>console.error('deliberate')</script>"
                   "<img src='missing.png'>")
    errors = chromium.open(bad.as_uri())
    assert any("deliberate" in e for e in errors), errors
    assert any("missing.png" in e or "ERR_FILE_NOT_FOUND" in e for e in errors), errors


def test_report_renders_its_charts_without_console_errors(chromium, report_page):
    assert chromium.open(report_page.as_uri()) == []
    charts = chromium.evaluate(
        "JSON.stringify([...document.querySelectorAll('svg')].map(s => {"
        " const r = s.getBoundingClientRect(); return [s.id, Math.round(r.width), Math.round(r.height),"
        " s.querySelectorAll('rect,polyline').length]; }))")
    charts = json.loads(charts)
    assert [c[0] for c in charts] == ["funnel-chart", "daily-chart", "bounce-chart"]
    for chart_id, width, height, marks in charts:
        assert width >= 600 and height >= 90, (chart_id, width, height)
        assert marks >= 3, (chart_id, marks)
    # Funnel: 300 accepted, 270 delivered, 150 opened of which 75 by machines, 50 clicked, 30 bounced.
    labels = json.loads(chromium.evaluate(
        "JSON.stringify([...document.querySelectorAll('#funnel-chart text')].map(t => t.textContent.trim()))"))
    assert labels == ["Accepted", "300", "Delivered", "270 (90.0%)", "Opened (human)", "75 (27.8% of delivered)",
                      "Clicked (human)", "50 (18.5% of delivered)", "Bounced", "30 (10.0%)"], labels
    shot = Path(os.environ.get("WAYBILL_REPORT_SCREENSHOT", report_page.with_suffix(".png")))
    chromium.screenshot(shot)
    assert shot.stat().st_size > 10_000


def test_daily_bars_label_every_day_and_totals_fit_at_1280px(chromium, report_page, tmp_path):
    chromium.call("Emulation.setDeviceMetricsOverride", width=1280, height=1400, deviceScaleFactor=1, mobile=False)
    try:
        assert chromium.open(report_page.as_uri()) == []
        # 2026-03-01 .. 2026-03-15: fifteen days, each with its own label and five bars.
        labels = json.loads(chromium.evaluate(
            "JSON.stringify([...document.querySelectorAll('#daily-chart text.day')].map(t => {"
            " const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.right]; }))"))
        assert [label for label, _, _ in labels] == [f"03-{d:02d}" for d in range(1, 16)], labels
        # Labels do not run into each other (rotated, they still advance left to right).
        for (_, left, _), (_, next_left, _) in zip(labels, labels[1:]):
            assert next_left > left
        bars = chromium.evaluate("document.querySelectorAll('#daily-chart rect.bar').length")
        assert bars == 15 * 5
        fits = json.loads(chromium.evaluate(
            "JSON.stringify([...document.querySelectorAll('section')].map(s => [s.scrollWidth, s.clientWidth,"
            " s.getBoundingClientRect().right]))"))
        for scroll_width, client_width, right in fits:
            assert scroll_width <= client_width and right <= 1280, fits
        shot = Path(os.environ.get("WAYBILL_REPORT_SCREENSHOT_1280", tmp_path / "report-1280.png"))
        chromium.screenshot(shot)
        assert shot.stat().st_size > 10_000
    finally:
        chromium.call("Emulation.clearDeviceMetricsOverride")
