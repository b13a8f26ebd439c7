"""The guided notebooks in a real browser: JupyterLab and the Voila workshop dashboard.

Each test starts its own server on 127.0.0.1 with a random token and every Jupyter
directory isolated (``tests/_jupyter_harness.py``, adapted from
``../shared/recipes/jupyterlab-browser``), drives Debian's Chromium through Playwright,
and stops only the processes it started. Screenshots go to ``artifacts/``.

- JupyterLab: open notebook 03, Run All, check that no cell wrote to stderr, that the
  widgets and the Vega charts rendered, move the threshold slider and see the change
  explorer's result change.
- Voila (tree mode, as ``make workshop`` would serve the notebooks): notebook 03 as a
  dashboard (no code, charts drawn, slider works) and notebook 05 (ranking, candidate
  browser, hypothesis board: add a hypothesis, attach a candidate).
"""

from __future__ import annotations

import re
import shutil
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _jupyter_harness import CHROMIUM, CHROMIUM_ARGS, JupyterServer  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "line3_scrap_spike"

pytestmark = pytest.mark.browser

KERNEL_IDLE = re.compile(r"\| Idle$")
ALL_PROMPTS_DONE = """() => {
  const p = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')]
      .map(e => e.textContent.trim());
  if (p.length && p.every(t => /^\\[\\d+\\]:$/.test(t))) return true;
  const err = document.querySelector('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]');
  return (err && !p.includes('[*]:')) ? 'error' : false;
}"""
STDERR = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
RUN_ALL_TIMEOUT = 300_000  # [ms]
CHANGES = re.compile(r"(\d+) changes")


@pytest.fixture(scope="module")
def server_root(tmp_path_factory) -> Path:
    """notebooks/ and a copy of the sample, laid out as in the repository, so the notebooks'
    default parameter ("../sample_data/...") finds the incident."""
    root = tmp_path_factory.mktemp("nbroot")
    (root / "notebooks").mkdir()
    for nb in sorted((ROOT / "notebooks").glob("0*.ipynb")):
        shutil.copy(nb, root / "notebooks" / nb.name)
    shutil.copytree(SAMPLE, root / "sample_data" / SAMPLE.name)
    return root


def _start(kind, root, tmp_path_factory, **kw) -> JupyterServer:
    srv = JupyterServer(kind, root_dir=root, state_dir=tmp_path_factory.mktemp(f"{kind}-state"), **kw)
    srv.start(timeout=120)
    print(f"\n{kind} started in {srv.startup_s:.1f}s on {srv.base_url} (pid {srv.proc.pid})")
    return srv


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: apt-get install -y chromium (make browser-deps)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    pg.problems = []
    pg.on("pageerror", lambda e: pg.problems.append(f"pageerror: {e}"))
    pg.on("console", lambda m: m.type == "error" and pg.problems.append(f"console: {m.text}"))
    pg.on("requestfailed", lambda r: pg.problems.append(f"requestfailed: {r.url}"))
    yield pg
    context.close()


def _charts_drawn(page, scope: str, at_least: int) -> int:
    from playwright.sync_api import expect

    embeds = page.locator(f"{scope} .vega-embed")
    expect(embeds.nth(at_least - 1)).to_be_visible(timeout=120_000)
    n = embeds.count()
    for i in range(n):
        marks = embeds.nth(i).locator("svg.marks, canvas.marks")
        expect(marks.first).to_be_visible(timeout=60_000)
        box = marks.first.bounding_box()
        assert box and box["width"] > 100 and box["height"] > 20, f"chart {i} drawn too small: {box}"
    return n


def _move_threshold(page, scope: str) -> tuple[str, str]:
    """Press the threshold slider to its maximum; return the summary before and after."""
    from playwright.sync_api import expect

    summary = page.locator(f"{scope} .rca-explorer-summary")
    expect(summary).to_contain_text("changes", timeout=60_000)
    before = summary.inner_text()
    slider = page.locator(f"{scope} .widget-slider.rca-explorer-threshold")
    expect(slider).to_be_visible()
    handle = slider.locator(".noUi-handle")
    handle.scroll_into_view_if_needed()
    handle.focus()
    for _ in range(4):  # x1 -> x4 in steps of a factor sqrt(2)
        page.keyboard.press("ArrowRight")
    expect(slider.locator(".widget-readout")).to_contain_text("4.00", timeout=30_000)
    expect(summary).to_contain_text("threshold x 4.00", timeout=120_000)
    return before, summary.inner_text()


def _check_summary_changed(before: str, after: str) -> None:
    assert "threshold x 1.00" in before
    n0, n1 = int(CHANGES.search(before).group(1)), int(CHANGES.search(after).group(1))
    assert n1 < n0, f"a higher threshold should find fewer changes: {n0} -> {n1}"


def test_jupyterlab_run_all_notebook_03(server_root, tmp_path_factory, page, artifacts_dir):
    from playwright.sync_api import expect

    lab = _start("lab", server_root, tmp_path_factory)
    try:
        t0 = time.perf_counter()
        page.goto(f"{lab.base_url}/lab/tree/notebooks/03_what_changed.ipynb?token={lab.token}")
        expect(page.locator(".jp-NotebookPanel .jp-Notebook")).to_be_visible(timeout=120_000)
        dialog = page.locator(".jp-Dialog")
        if dialog.count():
            dialog.locator(".jp-mod-accept").first.click()
        expect(page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE)).to_be_visible(timeout=120_000)
        page.locator(".lm-MenuBar-item", has_text=re.compile(r"^Run$")).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        done = page.wait_for_function(ALL_PROMPTS_DONE, timeout=RUN_ALL_TIMEOUT).json_value()
        expect(page.locator("#jp-main-statusbar").get_by_text(KERNEL_IDLE)).to_be_visible(timeout=120_000)
        errors = page.locator(STDERR).all_inner_texts()
        assert done is True and not errors, f"notebook failed ({done}): {errors}"
        t_run = time.perf_counter() - t0

        expect(page.locator(".rca-explorer")).to_be_visible()
        expect(page.locator(".rca-checkpoint")).to_contain_text("What you should have now")
        expect(page.locator(".rca-progress-label").first).to_contain_text("done")
        n_charts = _charts_drawn(page, ".jp-Notebook", 2)  # the timeline and the explorer's chart
        before, after = _move_threshold(page, ".jp-Notebook")
        _check_summary_changed(before, after)
        assert page.locator(".jp-Notebook .vega-embed").count() == n_charts

        page.evaluate("() => window.jupyterapp.commands.execute('notebook:hide-all-cell-code')")
        page.set_viewport_size({"width": 1400, "height": 2600})  # room for whole widgets in the shots
        page.wait_for_timeout(1000)
        page.locator(".rca-explorer").screenshot(path=str(artifacts_dir / "lab_03_change_explorer.png"))
        page.locator(".jp-Notebook .vega-embed").first.screenshot(path=str(artifacts_dir / "lab_03_timeline.png"))
        assert not [p for p in page.problems if p.startswith("pageerror")], page.problems
        print(f"\nlab: run-all {t_run:.1f}s, total {time.perf_counter() - t0:.1f}s, {n_charts} charts")
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def voila(server_root, tmp_path_factory):
    srv = _start("voila", server_root / "notebooks", tmp_path_factory)
    try:
        yield srv
    finally:
        srv.stop()


def _whole_page(page, path: Path) -> None:
    """Screenshot of everything: Voila scrolls inside a container, so grow the viewport to it."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('body, body *')].map(e => e.scrollHeight))")
    page.set_viewport_size({"width": 1400, "height": int(min(max(height, 1000), 12_000))})
    page.wait_for_timeout(1000)  # let Vega re-lay out
    page.screenshot(path=str(path), full_page=True)


def _voila_problems(page) -> list:
    # Voila's template asks a CDN for Font Awesome; offline that one request fails.
    return [p for p in page.problems if "fontawesome" not in p.lower() and "ERR_NAME_NOT_RESOLVED" not in p]


def test_voila_dashboard_notebook_03(voila, page, artifacts_dir):
    from playwright.sync_api import expect

    t0 = time.perf_counter()
    page.goto(f"{voila.base_url}/voila/render/03_what_changed.ipynb?token={voila.token}", timeout=RUN_ALL_TIMEOUT)
    expect(page.locator(".rca-explorer")).to_be_visible(timeout=RUN_ALL_TIMEOUT)
    expect(page.get_by_role("heading", name="3. What changed, and when")).to_be_visible()
    expect(page.get_by_text("rw.ChangeExplorer(inv)")).to_have_count(0)  # no code on the dashboard
    expect(page.locator(".rca-checkpoint")).to_contain_text("What you should have now")
    _charts_drawn(page, "", 2)
    before, after = _move_threshold(page, "")
    _check_summary_changed(before, after)
    _whole_page(page, artifacts_dir / "voila_03_what_changed.png")
    assert not _voila_problems(page), page.problems
    print(f"\nvoila 03: {time.perf_counter() - t0:.1f}s")


def test_voila_workshop_notebook_05(voila, page, artifacts_dir):
    from playwright.sync_api import expect

    t0 = time.perf_counter()
    page.goto(f"{voila.base_url}/voila/render/05_root_cause_candidates.ipynb?token={voila.token}",
              timeout=RUN_ALL_TIMEOUT)
    expect(page.locator(".rca-candidates")).to_be_visible(timeout=RUN_ALL_TIMEOUT)
    expect(page.get_by_role("heading", name="5. Root-cause candidates")).to_be_visible()
    expect(page.get_by_text("rank_candidates, inv")).to_have_count(0)
    n = _charts_drawn(page, "", 3)  # candidates, drill-down, propagation
    assert n >= 3

    detail = page.locator(".rca-candidates-detail")
    expect(detail).to_contain_text("#1 ")
    page.locator("button.rca-candidates-next").click()
    expect(detail).to_contain_text("#2 ", timeout=60_000)

    board = page.locator(".rca-board")
    expect(board).to_be_visible()
    board.locator(".rca-board-statement textarea").fill("gateway path degraded by a network change")
    board.locator(".rca-board-team input").fill("IT")
    board.locator("button.rca-board-add").click()
    expect(board.locator(".rca-board-list")).to_contain_text("gateway path degraded", timeout=60_000)
    page.locator("button.rca-candidates-attach").click()
    expect(page.locator(".rca-candidates-message")).to_contain_text("attached", timeout=60_000)
    row = board.locator(".rca-board-row", has_text="gateway path degraded")
    expect(row).to_contain_text("+1 / \u22120", timeout=60_000)  # one supporting piece of evidence

    _whole_page(page, artifacts_dir / "voila_05_workshop.png")
    assert not _voila_problems(page), page.problems
    print(f"\nvoila 05: {time.perf_counter() - t0:.1f}s")
