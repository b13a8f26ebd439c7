"""The guided notebooks: paired sources, reviewable cells, and headless runs on two incidents.

Every notebook is executed with papermill on a copy of the bundled sample and on a freshly
generated incident of another cause, and what it produced is read back from the executed
notebook: the checkpoint summary it displays (JSON under ``rca.widgets.CHECKPOINT_MIME``),
the tables, the Vega-Lite charts and the widgets, compared with the library's own answers.
"""

from __future__ import annotations

import json
import os
import shutil
import tomllib
import warnings
from pathlib import Path

import jupytext
import nbformat
import pytest

import rca
from rca.widgets import CANDIDATE_COLUMNS, CHECKPOINT_MIME

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
SAMPLE = ROOT / "sample_data" / "line3_scrap_spike"
NAMES = ["01_start_here", "02_load_and_align", "03_what_changed", "04_relate_ot_it", "05_root_cause_candidates"]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
EXECUTION_TIMEOUT = 300  # [s] per cell; papermill would otherwise wait forever on a stuck kernel


# ------------------------------------------------------------------- static checks (fast)

@pytest.mark.parametrize("name", NAMES)
def test_pair_is_in_sync_and_ipynb_has_no_outputs(name):
    source = jupytext.read(NOTEBOOKS / f"{name}.py")
    stored = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert [(c.cell_type, c.source) for c in source.cells] == [(c.cell_type, c.source) for c in stored.cells]
    for cell in stored.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]
    assert stored.metadata["jupytext"]["formats"] == "ipynb,py:percent"
    assert stored.metadata["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("name", NAMES)
def test_structure_goal_parameters_short_cells_and_next_steps(name):
    nb = jupytext.read(NOTEBOOKS / f"{name}.py")
    first, last = nb.cells[0], nb.cells[-1]
    assert first.cell_type == "markdown" and "**Goal of this notebook:**" in first.source
    assert last.cell_type == "markdown" and "**You should now have**" in last.source and "**Next" in last.source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    scope: dict = {}
    exec(params[0].source, scope)  # noqa: S102 - our own notebook's parameter cell
    assert (NOTEBOOKS / scope["investigation"]).is_file()  # the default opens the bundled sample
    for cell in nb.cells:
        if cell.cell_type != "code" or cell is params[0]:
            continue
        code = [ln for ln in cell.source.splitlines()
                if ln.strip() and not ln.lstrip().startswith(("#", "import ", "from ")) and not ln.startswith(" ")]
        assert len(code) <= 5, f"{name}: a cell with {len(code)} statements; logic belongs in rca/:\n{cell.source}"
    code_cells = [c for c in nb.cells if c.cell_type == "code"]
    assert any("rw.checkpoint(" in c.source for c in code_cells)


# ---------------------------------------------------------------------- headless runs

@pytest.fixture(scope="module")
def incidents(tmp_path_factory):
    """The bundled sample (copied: notebook 5 writes a hypothesis log beside the manifest)
    and a fresh incident of another cause in another export style."""
    from rca.datasets import make_incident

    root = tmp_path_factory.mktemp("incidents")
    shutil.copytree(SAMPLE, root / "sample")
    fresh = make_incident(cause="ot_fault", seed=20260304, duration="4h", n_signals=26, style="us_pi")
    fresh.write(root / "fresh")
    out = {}
    for key in ("sample", "fresh"):
        manifest = root / key / "investigation.toml"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out[key] = {"manifest": manifest, "inv": rca.open_investigation(manifest),
                        "toml": tomllib.loads(manifest.read_text())}
    return out


WORKERS = int(os.environ.get("RCA_NOTEBOOK_WORKERS", "2"))  # kernels run at the same time


def _execute(name: str, manifest: Path, out_dir: Path):
    import papermill as pm

    out = out_dir / f"{name}.ipynb"
    pm.execute_notebook(
        str(NOTEBOOKS / f"{name}.ipynb"), str(out),
        parameters={"investigation": str(manifest)},
        kernel_name="python3", cwd=str(NOTEBOOKS), progress_bar=False, log_output=False,
        execution_timeout=EXECUTION_TIMEOUT,
    )
    return nbformat.read(out, as_version=4)


@pytest.fixture(scope="module")
def executed(request, incidents, tmp_path_factory):
    """Run every notebook x incident that the selected tests need, two kernels at a time.

    Returns ``{(notebook, incident): notebook node or the exception it raised}``.
    """
    from concurrent.futures import ThreadPoolExecutor

    wanted = []
    for item in request.session.items:
        # (Doctest items of the session have no module attribute.)
        if getattr(item, "module", None) is not request.module or not hasattr(item, "callspec"):
            continue
        name = _TEST_NOTEBOOK.get(item.originalname)
        which = item.callspec.params.get("which")
        if name and which and (name, which) not in wanted:
            wanted.append((name, which))
    root = tmp_path_factory.mktemp("executed")

    def job(key):
        name, which = key
        out_dir = root / which
        out_dir.mkdir(exist_ok=True)
        try:
            return key, _execute(name, incidents[which]["manifest"], out_dir)
        except Exception as exc:  # reported by the test that needs it
            return key, exc

    with ThreadPoolExecutor(max_workers=max(1, WORKERS)) as pool:
        return dict(pool.map(job, wanted))


def _run(executed, name: str, which: str):
    result = executed[(name, which)]
    if isinstance(result, Exception):
        raise result
    return result


def _outputs(nb):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _checkpoint(nb) -> dict:
    found = [o["data"][CHECKPOINT_MIME] for o in _outputs(nb) if CHECKPOINT_MIME in o.get("data", {})]
    assert len(found) == 1, "the notebook shows exactly one checkpoint"
    return found[0]["facts"]


def _vega_specs(nb) -> list[dict]:
    return [v for o in _outputs(nb) for k, v in o.get("data", {}).items() if k.startswith("application/vnd.vegalite")]


def _widget_states(nb) -> list[dict]:
    return list(nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {}).values())


def _widget_classes(nb) -> set:
    return {c for s in _widget_states(nb) for c in s["state"].get("_dom_classes", [])}


def _html(nb) -> str:
    return "\n".join(o["data"]["text/html"] for o in _outputs(nb) if "text/html" in o.get("data", {}))


def _check_clean(nb) -> None:
    errors = [o for o in _outputs(nb) if o.output_type == "error"]
    assert not errors, [f"{e.ename}: {e.evalue}" for e in errors]
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1


def _check_investigation(facts: dict, incident: dict) -> None:
    inv = incident["inv"]
    got = facts["investigation"]
    assert got["title"] == inv.title and got["timezone"] == inv.timezone
    assert got["signals"] == inv.signals.shape[1] and got["events"] == len(inv.events)
    assert got["ledger_balanced"] is True
    assert set(got["ledger"]) == {s["name"] for s in incident["toml"]["source"]}
    for s in inv.ledger:
        mine = got["ledger"][s.name]
        assert (mine["rows_read"], mine["rows_used"], mine["rejected"]) == (s.rows_read, s.rows_used, s.rejected)
        assert mine["rows_read"] == mine["rows_used"] + mine["rows_rejected"]


INCIDENTS = ["sample", "fresh"]
_TEST_NOTEBOOK = {f"test_{name}": name for name in NAMES}


@pytest.mark.notebooks
@pytest.mark.parametrize("which", INCIDENTS)
def test_01_start_here(incidents, executed, which):
    inc = incidents[which]
    nb = _run(executed, "01_start_here", which)
    _check_clean(nb)
    facts = _checkpoint(nb)
    _check_investigation(facts, inc)
    files = {s["path"] for s in inc["toml"]["source"]}
    drafted = facts["draft"]["sources"]
    assert len(drafted) == len(files)  # every export was recognised
    assert "incident.start" in facts["draft"]["open_required"]
    assert set(facts["draft"]["skipped"]) >= {"investigation.toml"}
    text = "".join(o.get("text", "") for o in _outputs(nb) if o.output_type == "stream")
    assert inc["toml"]["title"] in text  # the manifest was printed
    assert "Questions:" in text  # the draft's questions were shown


@pytest.mark.notebooks
@pytest.mark.parametrize("which", INCIDENTS)
def test_02_load_and_align(incidents, executed, which):
    inc = incidents[which]
    nb = _run(executed, "02_load_and_align", which)
    _check_clean(nb)
    _check_investigation(_checkpoint(nb), inc)
    html = _html(nb)
    assert "why set aside" in html and "rows read" in html  # the ledger table in words
    for s in inc["inv"].ledger:
        assert f"<th>{s.name}</th>" in html
    specs = _vega_specs(nb)
    assert len(specs) == 1
    timeline = json.dumps(specs[0])
    assert '"rca_overview"' in timeline and "time_brush" in timeline
    assert inc["inv"].timezone in timeline  # the axis is in the display zone
    assert WIDGET_VIEW in {k for o in _outputs(nb) for k in o.get("data", {})}


@pytest.mark.notebooks
@pytest.mark.parametrize("which", INCIDENTS)
def test_03_what_changed(incidents, executed, which):
    inc = incidents[which]
    nb = _run(executed, "03_what_changed", which)
    _check_clean(nb)
    facts = _checkpoint(nb)
    want = inc["inv"].changes()
    assert facts["changes"]["n"] == len(want) > 0
    assert [t["signal"] for t in facts["changes"]["top"]] == want["signal"].head(5).tolist()
    strengths = [t["strength"] for t in facts["changes"]["top"]]
    assert strengths == sorted(strengths, reverse=True)
    specs = _vega_specs(nb)
    assert len(specs) == 1 and "change" in json.dumps(specs[0]).lower()
    classes = _widget_classes(nb)
    assert {"rca-explorer", "rca-explorer-threshold", "rca-picker", "rca-window", "rca-progress"} <= classes
    html = _html(nb)
    assert f"when ({inc['inv'].timezone})" in html  # the change table, in the display zone
    assert want["signal"].iloc[0] in html


@pytest.mark.notebooks
@pytest.mark.parametrize("which", INCIDENTS)
def test_04_relate_ot_it(incidents, executed, which):
    from rca.relate import event_association

    inc = incidents[which]
    inv = inc["inv"]
    nb = _run(executed, "04_relate_ot_it", which)
    _check_clean(nb)
    facts = _checkpoint(nb)
    assert facts["lags"]["n"] > 0
    assert set(facts["lags"]["top"][0]) >= {"signal", "r", "leads the target by"}
    assert inv.incident.symptom not in [t["signal"] for t in facts["lags"]["top"]]
    want = event_association(inv.events_in(), inv.changes(), within="10min", window=inv.window)
    assert facts["associations"]["n"] == len(want)
    assert facts["associations"]["significant"] == int(want["significant"].fillna(False).sum())
    assert len(_vega_specs(nb)) == 1  # events against changes
    heatmaps = [s for s in _widget_states(nb) if "rca_lag_heatmap" in json.dumps(s["state"].get("spec", ""))]
    assert heatmaps, "the lag heatmap was drawn inside the lag explorer"
    assert "rca-lags" in _widget_classes(nb)
    assert "effect" in _html(nb)  # the Granger table


@pytest.mark.notebooks
@pytest.mark.parametrize("which", INCIDENTS)
def test_05_root_cause_candidates(incidents, executed, which):
    inc = incidents[which]
    nb = _run(executed, "05_root_cause_candidates", which)
    _check_clean(nb)
    facts = _checkpoint(nb)["candidates"]
    assert set(CANDIDATE_COLUMNS) <= set(facts["columns"])
    assert facts["n"] > 0 and [t["rank"] for t in facts["top"]] == list(range(1, len(facts["top"]) + 1))
    assert facts["propagation_edges"] is not None
    from rca.ranking import rank_candidates

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = rank_candidates(inc["inv"])
    assert [t["name"] for t in facts["top"]] == want["name"].head(5).tolist()
    specs = json.dumps(_vega_specs(nb))
    assert "rca_candidates_score" in specs and "rca_propagation" in specs
    classes = _widget_classes(nb)
    assert {"rca-board", "rca-candidates", "rca-candidates-attach"} <= classes
    # the board's log lives beside the manifest of the incident it was run on
    assert (inc["manifest"].parent / "investigation.hypotheses.sqlite").is_file()
    html = _html(nb)
    assert want["name"].iloc[0] in html and "evidence" in html
