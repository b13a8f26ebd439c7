"""The written report in headless Chromium: offline, every section visible, data text inert.

Chromium is Debian's (``/usr/bin/chromium``, installed by ``make browser-deps``) driven by
Playwright. Every request other than the report file itself is blocked and recorded; a test
fails if one was attempted, if a dialog opens, or if the console reports an error. Full-page
screenshots go to ``artifacts/``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import rca
from rca.hypotheses import open_hypothesis_log
from rca.relate import propagation_graph
from rca.report import SECTIONS, build_report
from test_report import (
    GENERATED, P_IMG, P_MD, P_SCRIPT, SAMPLE, add_log, candidates_frame, edges_frame,
    write_malicious_incident,
)

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `make browser-deps` (apt-get install chromium) "
                    "or set CHROMIUM_PATH")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


class Visit:
    """A page opened on one local file, with every other request blocked and recorded."""

    def __init__(self, browser, path: Path, *, media: str = "screen"):
        self.url = path.resolve().as_uri()
        self.context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        self.context.set_default_timeout(30_000)
        self.blocked: list[str] = []
        self.dialogs: list[str] = []
        self.problems: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("pageerror", lambda e: self.problems.append(f"pageerror: {e}"))
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.emulate_media(media=media)
        self.page.goto(self.url, wait_until="load")

    def _route(self, route):
        if route.request.url == self.url:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def close(self):
        self.context.close()


def sample_with_log(folder: Path) -> Path:
    """A copy of the bundled sample incident with a small hypothesis log beside it."""
    shutil.copytree(SAMPLE.parent, folder)
    manifest = folder / SAMPLE.name
    log = open_hypothesis_log(manifest, author="Ana (process engineer)", team="OT")
    h1 = log.add_hypothesis("OPC gateway latency starved the flow controller", category="network")
    h2 = log.add_hypothesis("Utility temperature set-point change", team="OT", category="method")
    log.set_status(h1, "supported", reason="latency step 2 min before the flow change")
    log.set_status(h2, "refuted", reason="no response of the line to the utility change")
    log.add_why(h1, "Scrap rose because the flow to the line dropped")
    log.add_why(h1, "The flow controller lost its remote set-point")
    log.add_evidence(h1, kind="note", note="IT confirms a firewall change at 09:28 local time")
    log.add_decision("Roll back the firewall change", hypothesis_id=h1)
    log.add_action("Roll back fw-core-02 policy", owner="IT (Sam)", due="2025-01-22", hypothesis_id=h1)
    log.close()
    return manifest


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    inv = rca.open_investigation(sample_with_log(folder / "line3"))
    changes = inv.changes("incident")
    strongest = (changes.sort_values("strength", ascending=False).drop_duplicates("signal")
                 .head(8).reset_index(drop=True))
    cand = pd.DataFrame({
        "rank": range(1, len(strongest) + 1), "name": strongest["signal"], "type": "signal",
        "domain": inv.signal_info.loc[strongest["signal"], "domain"].to_numpy(),
        "score": strongest["strength"], "onset": strongest["time"],
        "evidence": "strongest change of this signal in the window",
    })
    edges = propagation_graph(changes, inv.signals_in("incident"))
    return build_report(inv, candidates=cand, propagation=edges).write(folder / "line3_report.html")


@pytest.fixture(scope="module")
def evil_report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("evil")
    manifest = write_malicious_incident(folder / "evil")
    inv = rca.open_investigation(manifest)
    add_log(manifest).close()
    t0 = inv.incident.start
    return build_report(inv, candidates=candidates_frame(t0), propagation=edges_frame(t0),
                        generated_at=GENERATED).write(folder / "evil_report.html")


def test_report_opens_offline_with_every_section_visible(browser, sample_report, artifacts_dir):
    visit = Visit(browser, sample_report)
    try:
        page = visit.page
        for anchor, title in SECTIONS:
            section = page.locator(f"section#{anchor}")
            assert section.count() == 1 and section.is_visible(), anchor
            assert section.locator("h2").inner_text() == title
        for figure in ("timeline-chart", "candidates-chart", "propagation-chart"):
            box = page.locator(f"figure#{figure} svg").bounding_box()
            assert box is not None and box["height"] > 80 and box["width"] > 300, (figure, box)
        assert page.locator("#hypotheses .badge-supported").first.is_visible()
        assert page.locator("#decisions-actions td", has_text="IT (Sam)").is_visible()
        # a nav link jumps to its section
        page.click("nav a[href='#settings']")
        assert page.evaluate("location.hash") == "#settings"
        page.screenshot(path=str(artifacts_dir / "report_sample_full_page.png"), full_page=True)
        assert visit.blocked == [], visit.blocked
        assert visit.dialogs == [] and visit.problems == [], (visit.dialogs, visit.problems)
    finally:
        visit.close()


def test_report_prints_without_navigation(browser, sample_report, artifacts_dir):
    visit = Visit(browser, sample_report, media="print")
    try:
        page = visit.page
        assert not page.locator("nav").is_visible()
        for anchor, _ in SECTIONS:
            assert page.locator(f"section#{anchor}").is_visible()
        page.screenshot(path=str(artifacts_dir / "report_sample_print.png"), full_page=True)
        assert visit.blocked == [] and visit.problems == [], (visit.blocked, visit.problems)
    finally:
        visit.close()


@pytest.mark.parametrize("csp", ["with CSP", "CSP removed"])
def test_malicious_text_is_visible_as_text_and_nothing_runs(browser, evil_report, tmp_path, artifacts_dir, csp):
    """With the Content-Security-Policy removed too: escaping alone must keep the payloads inert."""
    path = evil_report
    if csp == "CSP removed":
        text = evil_report.read_text(encoding="utf-8")
        start = text.index('<meta http-equiv="Content-Security-Policy"')
        end = text.index(">", start) + 1
        path = tmp_path / "evil_no_csp.html"
        path.write_text(text[:start] + text[end:], encoding="utf-8")
        assert "Content-Security-Policy" not in path.read_text(encoding="utf-8")
    visit = Visit(browser, path)
    try:
        page = visit.page
        page.wait_for_timeout(300)  # give any injected handler (onerror, onload) the chance to fire
        assert visit.dialogs == [], visit.dialogs
        assert page.locator("script, img, iframe, object, embed, foreignObject, a:not(nav a)").count() == 0
        assert page.evaluate("document.querySelectorAll('[onerror],[onload],[onclick]').length") == 0
        # the payloads are shown, as text, where they came from
        assert page.locator("h1#report-title").inner_text() == f"{P_SCRIPT} {P_IMG}"
        assert page.locator("#candidates td strong", has_text=P_IMG).first.is_visible()
        assert page.locator("#candidates td", has_text=P_MD).first.is_visible()
        assert page.locator("#hypotheses h3", has_text=P_SCRIPT).first.is_visible()
        assert page.locator("#decisions-actions td", has_text=P_SCRIPT).first.is_visible()
        assert page.locator("#summary td", has_text=P_SCRIPT).first.is_visible()  # the symptom
        body = page.inner_text("body")
        for payload in (P_SCRIPT, P_IMG, P_MD):
            assert payload in body
        # the malicious tag name is drawn as text in the timeline's SVG
        labels = page.locator("figure#timeline-chart svg text").all_text_contents()
        assert any(P_SCRIPT in label for label in labels)
        name = "with_csp" if csp == "with CSP" else "without_csp"
        page.screenshot(path=str(artifacts_dir / f"report_escaping_{name}.png"), full_page=True)
        assert visit.blocked == [], visit.blocked
        assert visit.problems == [], visit.problems
    finally:
        visit.close()
