"""The notebook widgets, headless: construct, set values, call handlers, check what changed."""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import rca
from rca import widgets as rw
from rca.changepoints import detect_changes
from rca.errors import AnalysisError, ParameterError
from rca.ledger import REASON_TEXT

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "line3_scrap_spike" / "investigation.toml"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(scope="module")
def inv():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return rca.open_investigation(SAMPLE)


@pytest.fixture(scope="module")
def info():
    return pd.DataFrame(
        {"domain": ["OT", "OT", "IT", "IT"], "unit": ["degC", "m3/h", "%", ""],
         "description": ["preheater temperature", "feed flow", "", "OPC latency"]},
        index=pd.Index(["TIC101.PV", "FIC201.PV", "gw-01.cpu_pct", "gw-01.latency_ms"], name="signal"),
    )


# ------------------------------------------------------------------------ select_signals

def test_select_signals_by_domain_unit_and_pattern(info):
    assert rw.select_signals(info) == list(info.index)
    assert rw.select_signals(info, domain="ot") == ["TIC101.PV", "FIC201.PV"]
    assert rw.select_signals(info, domain="all", unit="%") == ["gw-01.cpu_pct"]
    assert rw.select_signals(info, unit="") == ["gw-01.latency_ms"]
    assert rw.select_signals(info, pattern="gw-*") == ["gw-01.cpu_pct", "gw-01.latency_ms"]
    assert rw.select_signals(info, pattern="FEED") == ["FIC201.PV"]  # description, any case
    assert rw.select_signals(info, pattern="*latency*", domain="OT") == []


def test_select_signals_errors(info):
    with pytest.raises(ParameterError, match=r"domain='XT'; expected 'OT', 'IT' or 'all'"):
        rw.select_signals(info, domain="XT")
    with pytest.raises(ParameterError, match=r"signal_info is missing column\(s\) \['unit'\]"):
        rw.select_signals(info.drop(columns="unit"))
    with pytest.raises(ParameterError, match=r"signal_info: expected a DataFrame .* got list"):
        rw.select_signals(["TIC101.PV"])


def test_signal_picker_filters_orders_and_notifies(info):
    picker = rw.SignalPicker(info, order=["gw-01.latency_ms"], max_selected=2)
    assert list(picker.list.options)[0] == "gw-01.latency_ms"
    assert picker.selected == ["gw-01.latency_ms", "FIC201.PV"]  # first two matches
    seen = []
    picker.on_change(seen.append)
    picker.domain.value = "OT"
    assert list(picker.list.options) == ["FIC201.PV", "TIC101.PV"]
    assert seen[-1] == ["FIC201.PV", "TIC101.PV"]
    picker.list.value = ("TIC101.PV",)
    assert picker.selected == ["TIC101.PV"] and seen[-1] == ["TIC101.PV"]
    picker.pattern.value = "flow"
    assert picker.selected == ["FIC201.PV"]  # the chosen one no longer matches
    assert "1 of 4 signals match" in picker.count.value
    assert "rca-picker" in picker.widget._dom_classes
    with pytest.raises(ParameterError, match=r"max_selected=0; expected an integer >= 1"):
        rw.SignalPicker(info, max_selected=0)


# ------------------------------------------------------------------------- WindowPicker

def test_window_picker_snaps_to_incident_and_resets(inv):
    picker = rw.WindowPicker(inv)
    lo, hi = picker.window
    ilo, ihi = inv.window
    assert lo <= ilo and hi >= ihi
    assert str(lo.tz) == "UTC"
    step = picker._times[1] - picker._times[0]
    assert ilo - lo < step and hi - ihi < step
    assert inv.timezone in picker.label.value
    seen = []
    picker.on_change(seen.append)
    picker.slider.index = (0, 5)
    assert seen and seen[-1] == (picker._times[0], picker._times[5])
    picker.reset.click()
    assert picker.window == (lo, hi)
    everything = rw.WindowPicker(inv, window="all")
    assert everything.window == (inv.signals.index[0], inv.signals.index[-1])
    with pytest.raises(ParameterError, match=r"positions=1; expected an integer >= 2"):
        rw.WindowPicker(inv, positions=1)


# ---------------------------------------------------------------- detect_changes_stepwise

def test_stepwise_detection_equals_one_call(inv):
    calls = []
    got = rw.detect_changes_stepwise(inv.signals_in(), progress=lambda d, t, s: calls.append((d, t)), steps=7)
    want = inv.changes()
    pd.testing.assert_frame_equal(got, want)
    n = inv.signals_in().notna().any().sum()
    assert calls[-1] == (n, n)
    assert len(calls) == got.attrs["settings"]["calls"] >= 7
    assert got.attrs["settings"]["threshold"] == 1.0
    assert set(got.attrs["settings"]["signals"]) == set(want.attrs["settings"]["signals"])


def test_threshold_scales_each_signals_automatic_penalty(inv):
    frame = inv.signals_in()
    names = [c for c in frame.columns if frame[c].notna().sum() > 50][:4]
    got = rw.detect_changes_stepwise(frame[names], threshold=2.0)
    parts = []
    for name in names:
        n = int(frame[name].notna().sum())
        # the notebooks' helper segments as the investigation does (long_run="largest")
        parts.append(detect_changes(frame[[name]], penalty=2.0 * 3.0 * math.log(n), long_run="largest"))
    want = pd.concat(parts, ignore_index=True).sort_values(["strength", "time"], ascending=[False, True],
                                                             kind="stable").reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)
    for name in names:
        used = got.attrs["settings"]["signals"][name]["penalty"]
        assert used == pytest.approx(2.0 * 3.0 * math.log(frame[name].notna().sum()))
    assert "2 x 3 ln(n)" in got.attrs["settings"]["penalty_rule"]
    assert got.attrs["settings"]["long_run"] == "largest"
    other = rw.detect_changes_stepwise(frame[names], threshold=2.0, long_run="plateau")
    assert other.attrs["settings"]["long_run"] == "plateau"
    more = rw.detect_changes_stepwise(frame, threshold=0.25)
    fewer = rw.detect_changes_stepwise(frame, threshold=4.0)
    assert len(more) > len(fewer)


def test_stepwise_errors(inv):
    frame = inv.signals_in()
    for bad in (0, -1.0, float("nan"), "high", True):
        with pytest.raises(ParameterError, match=r"threshold=.*; expected a positive number"):
            rw.detect_changes_stepwise(frame, threshold=bad)
    with pytest.raises(ParameterError, match=r"penalty: not accepted here; use threshold="):
        rw.detect_changes_stepwise(frame, penalty=10)
    with pytest.raises(ParameterError, match=r"steps=0; expected an integer >= 1"):
        rw.detect_changes_stepwise(frame, steps=0)
    with pytest.raises(ParameterError, match=r"signals: expected a DataFrame of aligned signals, got Series"):
        rw.detect_changes_stepwise(frame.iloc[:, 0])
    with pytest.raises(AnalysisError, match=r"no signal has a value"):
        rw.detect_changes_stepwise(frame.iloc[:, :3] * np.nan)


# ------------------------------------------------------------------------ the explorers

def test_change_explorer_reacts_to_threshold_window_and_filters(inv):
    ex = rw.ChangeExplorer(inv)
    first_summary, first_spec = ex.summary.value, json.dumps(ex.view.spec, sort_keys=True)
    n0 = len(ex.changes)
    assert f"<b>{n0} changes</b>" in first_summary
    assert ex.picker.selected[0] == inv.incident.symptom  # the symptom is listed first
    assert ex.progress.bar.bar_style == "success" and ex.progress.bar.value == ex.progress.bar.max
    assert "<table" in ex.table.value and inv.timezone in ex.table.value
    ex.threshold.value = 4.0
    assert len(ex.changes) < n0
    assert ex.summary.value != first_summary and "threshold x 4.00" in ex.summary.value
    assert json.dumps(ex.view.spec, sort_keys=True) != first_spec
    ex.picker.domain.value = "IT"
    it = set(inv.signal_info.index[inv.signal_info["domain"] == "IT"])
    assert ex.picker.selected and set(ex.picker.selected) <= it
    drawn = json.dumps(ex.view.spec)
    assert all(name in drawn for name in ex.picker.selected)
    assert inv.incident.symptom not in ex.picker.selected
    ex.window_picker.slider.index = (0, 40)
    lo, hi = ex.window_picker.window
    assert len(ex.changes) > 0
    assert ex.changes["time"].between(lo, hi).all()
    bundle = ex._repr_mimebundle_()
    assert WIDGET_VIEW in (bundle[0] if isinstance(bundle, tuple) else bundle)


def test_lag_explorer_updates_with_target_and_lag(inv):
    lags = rw.LagExplorer(inv, max_lag="15min")
    frame = lags.table_frame
    assert list(frame.columns) == ["signal", "domain", "leads the target by", "r", "p (adjusted)", "significant"]
    assert inv.incident.symptom not in set(frame["signal"])
    assert inv.incident.symptom in lags.summary.value
    assert set(lags.lag_table["signal"]) <= set(inv.signals.columns)
    assert lags.lag_table["lag"].max() <= pd.Timedelta("15min")
    before = lags.summary.value
    other = frame["signal"].iloc[0]
    lags.target.value = other
    assert other in lags.summary.value and lags.summary.value != before
    assert other not in set(lags.table_frame["signal"])
    lags.max_lag.value = "5min"
    assert lags.lag_table["lag"].max() <= pd.Timedelta("5min")
    with pytest.raises(ParameterError, match=r"target='nope': not a signal with data in the window"):
        rw.LagExplorer(inv, target="nope")
    with pytest.raises(ParameterError, match=r"max_lag='7min'; expected one of 5min, 15min, 30min, 1h"):
        rw.LagExplorer(inv, max_lag="7min")


def _candidates(inv) -> pd.DataFrame:
    """A small ranking in the contract's format, built from what is in the sample."""
    changes = inv.changes()
    sig = changes["signal"].iloc[0]
    host = inv.events_in()["source"].value_counts().index[0]
    return pd.DataFrame({
        "rank": [1, 2],
        "name": [sig, host],
        "type": ["signal", "event"],
        "domain": [inv.signal_info.loc[sig, "domain"], "IT"],
        "score": [0.9, 0.4],
        "onset": [changes["time"].iloc[0], pd.NaT],
        "evidence": ["changed first; <b>not bold</b>", "events just before the first change"],
    })


def test_candidate_browser_steps_escapes_and_attaches(inv, tmp_path):
    from rca.hypotheses import HypothesisLog
    from rca.hypothesis_board import HypothesisBoard

    cands = _candidates(inv)
    log = HypothesisLog.open(tmp_path / "h.sqlite", author="tester")
    board = HypothesisBoard(log, author="tester")
    browser = rw.CandidateBrowser(inv, cands, board=board)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in browser.detail.value and "<b>not bold" not in browser.detail.value
    assert browser.prev.disabled and not browser.next.disabled
    assert browser.view.spec["title"]["text"].startswith(cands["name"][0])
    browser.next.click()
    assert browser.select.value == 1 and browser.next.disabled
    assert browser.view.spec["title"]["text"] == f"events of {cands['name'][1]} and the symptom"
    assert cands["name"][1] in browser.detail.value and "-" in browser.detail.value  # NaT onset shown as '-'
    browser.attach.click()  # nothing selected on the board yet
    assert "rca-error" in browser.message.value and "no hypothesis is selected" in browser.message.value
    log.add_hypothesis("gateway path degraded", author="tester", team="IT")
    board.refresh()
    browser.stance.value = "context"
    browser.attach.click()
    ev = log.evidence()
    assert len(ev) == 1 and ev["stance"].iloc[0] == "context"
    assert cands["name"][1] in ev["summary"].iloc[0]
    assert "attached" in browser.message.value
    browser.prev.click()
    assert browser.select.value == 0


def test_candidate_browser_errors(inv):
    cands = _candidates(inv)
    with pytest.raises(ParameterError, match=r"candidates is missing column\(s\) \['evidence'\]"):
        rw.CandidateBrowser(inv, cands.drop(columns="evidence"))
    with pytest.raises(AnalysisError, match=r"candidates is empty"):
        rw.CandidateBrowser(inv, cands.iloc[0:0])
    with pytest.raises(ParameterError, match=r"candidates: expected the DataFrame of rca.rank_candidates, got list"):
        rw.CandidateBrowser(inv, [1, 2])
    browser = rw.CandidateBrowser(inv, cands)
    assert browser.attach.disabled


def test_candidate_browser_on_the_real_ranking(inv):
    from rca.ranking import rank_candidates

    ranking = rank_candidates(inv)
    browser = rw.CandidateBrowser(inv, ranking)
    titles = set()
    for i in range(min(len(ranking), 4)):
        browser.select.value = i
        titles.add(browser.view.spec["title"]["text"])
        assert str(ranking["name"].iloc[i]) in browser.detail.value.replace("&#x27;", "'")
    assert len(titles) == min(len(ranking), 4)


# ----------------------------------------------------------------------- progress, views

def test_run_with_progress_passes_the_bar_and_reports_failure():
    bar = rw.Progress("x")

    def work(n, *, progress):
        for i in range(n):
            progress(i + 1, n, f"{i + 1} of {n}")
        return n * 2

    assert rw.run_with_progress(work, 4, label="counting", progress=bar) == 8
    assert bar.bar.max == 4 and bar.bar.value == 4 and bar.bar.bar_style == "success"
    assert bar.label.value.startswith("counting: done (")
    assert rw.run_with_progress(sorted, [3, 1], label="sorting", progress=bar) == [1, 3]

    def broken():
        raise ValueError("bad input in row 3")

    with pytest.raises(ValueError, match="bad input in row 3"):
        rw.run_with_progress(broken, label="reading", progress=bar)
    assert bar.bar.bar_style == "danger" and "bad input in row 3" in bar.label.value
    with pytest.raises(ParameterError, match=r"func=3: expected a function to run"):
        rw.run_with_progress(3, progress=bar)


def test_chart_view_has_a_live_widget_and_a_static_copy():
    import altair as alt

    view = rw.ChartView(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q"))
    bundle = view._repr_mimebundle_()
    assert WIDGET_VIEW in bundle
    vl = [k for k in bundle if k.startswith("application/vnd.vegalite.v")]
    assert vl and bundle[vl[0]]["mark"]["type"] == "point"
    view.update(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_bar().encode(x="x:Q"))
    assert view._repr_mimebundle_()[vl[0]]["mark"]["type"] == "bar"
    assert "rca-chart" in view.widget._dom_classes


def test_offline_bundle_is_cached_between_kernels(tmp_path):
    code = ("import hashlib, altair as alt; from rca.widgets import offline_charts; offline_charts(); "
            "print(alt.JupyterChart._is_offline, hashlib.sha256(alt.JupyterChart._esm.encode()).hexdigest())")
    env = dict(os.environ, RCA_CACHE_DIR=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    cached = list(tmp_path.glob("jupyterchart-*.js"))
    assert len(cached) == 1
    second = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert first.stdout.split() == second.stdout.split()
    assert first.stdout.split()[0] == "True"
    digest = hashlib.sha256(cached[0].read_text(encoding="utf-8").encode()).hexdigest()
    assert first.stdout.split()[1] == digest


# ------------------------------------------------------------------------ tables, summary

def test_ledger_in_words_balances_and_explains(inv):
    table = rw.ledger_in_words(inv)
    assert list(table.index) == [s.name for s in inv.ledger]
    assert (table["rows read"] == table["used"] + table["set aside"]).all()
    for s in inv.ledger:
        for reason in s.rejected:
            assert REASON_TEXT[reason] in table.loc[s.name, "why set aside"]
        if s.start is not None:
            want = s.start.tz_convert(inv.timezone).strftime("%Y-%m-%d %H:%M:%S")
            assert table.loc[s.name, f"first time ({inv.timezone})"] == want


def test_changes_in_words_and_local_times(inv):
    changes = inv.changes()
    table = rw.changes_in_words(changes, inv, limit=5)
    assert len(table) == min(5, len(changes))
    assert table["signal"].tolist() == changes["signal"].head(5).tolist()
    first = changes["time"].iloc[0].tz_convert(inv.timezone).strftime("%Y-%m-%d %H:%M:%S")
    assert table[f"when ({inv.timezone})"].iloc[0] == first
    with pytest.raises(ParameterError, match=r"changes is missing column\(s\) \['strength'\]"):
        rw.changes_in_words(changes.drop(columns="strength"), inv)
    with pytest.raises(ParameterError, match=r"limit=0; expected an integer >= 1"):
        rw.changes_in_words(changes, inv, limit=0)
    local = rw.local_times(changes.head(3), inv.timezone)
    assert str(local["time"].dt.tz) == inv.timezone
    assert (local["time"] == changes["time"].head(3)).all()  # same instants
    with pytest.raises(ParameterError, match=r"timezone: unknown time zone 'Mars/Base'"):
        rw.local_times(changes, "Mars/Base")


def test_checkpoint_carries_facts_as_json(inv):
    changes = inv.changes()
    cp = rw.checkpoint("03 what changed", inv, changes=changes, next_steps=["open 04"])
    bundle = cp._repr_mimebundle_()
    data = json.loads(json.dumps(bundle[rw.CHECKPOINT_MIME]))
    facts = data["facts"]
    assert data["step"] == "03 what changed" and data["next_steps"] == ["open 04"]
    assert facts["investigation"]["ledger_balanced"] is True
    for s in inv.ledger:
        got = facts["investigation"]["ledger"][s.name]
        assert got["rows_read"] == got["rows_used"] + got["rows_rejected"] == s.rows_read
    assert facts["changes"]["n"] == len(changes)
    assert [t["signal"] for t in facts["changes"]["top"]] == changes["signal"].head(5).tolist()
    assert facts["investigation"]["signals"] == inv.signals.shape[1]
    assert "What you should have now" in bundle["text/html"] and "open 04" in bundle["text/html"]
    assert f"{len(changes)} changes" in bundle["text/plain"]


def test_candidates_in_words(inv):
    cands = _candidates(inv).assign(lead=[pd.Timedelta("14min"), pd.NaT], role=["origin", "trigger"])
    table = rw.candidates_in_words(cands, inv, limit=1)
    assert list(table.index) == [1] and table.loc[1, "candidate"] == cands["name"][0]
    assert table.loc[1, "what"] == f"{cands['domain'][0]} signal"
    assert table.loc[1, "before the symptom"] == "14 min" and table.loc[1, "role"] == "origin"
    when = cands["onset"][0].tz_convert(inv.timezone).strftime("%Y-%m-%d %H:%M:%S")
    assert table.loc[1, f"first change / event ({inv.timezone})"] == when
    full = rw.candidates_in_words(cands.drop(columns=["lead", "role"]), inv)
    assert list(full.columns)[-1] == "evidence" and "role" not in full
    assert full.loc[2, "what"] == "IT event source" and full.loc[2, f"first change / event ({inv.timezone})"] == "-"
    with pytest.raises(ParameterError, match=r"limit=0; expected an integer >= 1"):
        rw.candidates_in_words(cands, inv, limit=0)
