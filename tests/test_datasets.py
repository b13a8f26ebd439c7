"""Tests of rca.datasets: the synthetic incident generator and the bundled sample data.

The written files are read back with plain pandas, following the manifest, so these tests
check the files themselves and not the library's reader.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from rca.datasets import (
    CAUSES,
    SAMPLE_INCIDENTS,
    STYLES,
    Incident,
    IncidentTruth,
    make_incident,
    read_truth,
    write_incident,
    write_sample_data,
)
from rca.errors import ParameterError

REPO = Path(__file__).resolve().parents[1]

# one incident per cause, the three export styles all covered; 4 h keeps the suite quick
CASES = {
    "ot_fault": dict(seed=11, style="eu_semicolon"),
    "setpoint_change": dict(seed=12, style="us_pi"),
    "it_change": dict(seed=13, style="iso_opc"),
    "it_saturation": dict(seed=14, style="eu_semicolon"),
}


@pytest.fixture(scope="module")
def incidents():
    return {c: make_incident(cause=c, duration="4h", n_signals=28, **kw) for c, kw in CASES.items()}


@pytest.fixture(scope="module")
def folders(incidents, tmp_path_factory):
    root = tmp_path_factory.mktemp("incidents")
    return {c: write_incident(inc, root / c).parent for c, inc in incidents.items()}


# --------------------------------------------------------------------------- reading back with pandas


def _source(manifest, name):
    return next(s for s in manifest["source"] if s["name"] == name)


def _read_text(folder, src):
    path = folder / src["path"]
    sep = src.get("delimiter", ",")
    return pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, compression="infer")


def _parse_time(text, src):
    """UTC times of a time column, as the manifest says (no clock offset applied)."""
    if src.get("time_unit") == "ms":
        return pd.to_datetime(text.astype("int64"), unit="ms", utc=True)
    fmt = src.get("time_format")
    t = pd.to_datetime(text, format=fmt) if fmt else pd.to_datetime(text, format="ISO8601")
    if t.dt.tz is None:
        t = t.dt.tz_localize(src["timezone"])
    return t.dt.tz_convert("UTC")


def _historian(folder, manifest):
    """Long historian rows: time (UTC, clock offset NOT removed), tag, value (float or NaN), good."""
    src = _source(manifest, "historian")
    raw = _read_text(folder, src)
    cols = src["columns"]
    tag = raw[cols["tag"]] if isinstance(cols["tag"], str) else raw[cols["tag"]].agg(".".join, axis=1)
    value = pd.to_numeric(raw[cols["value"]].str.replace(",", ".", regex=False)
                          if src["decimal"] == "," else raw[cols["value"]], errors="coerce")
    good = raw[cols["quality"]].str.lower().isin([g.lower() for g in src["good_quality"]])
    return pd.DataFrame({"time": _parse_time(raw[cols["time"]], src), "tag": tag.to_numpy(),
                         "value": value.to_numpy(), "good": good.to_numpy(), "raw": raw[cols["value"]].to_numpy()})


def _events(folder, manifest, name):
    src = _source(manifest, name)
    raw = _read_text(folder, src)
    cols = src["columns"]
    out = pd.DataFrame({k: raw[v].to_numpy() for k, v in cols.items()})
    out["time"] = _parse_time(raw[cols["time"]], src).to_numpy()
    return out


# --------------------------------------------------------------------------- API basics


def test_causes_and_styles_are_the_documented_ones():
    assert CAUSES == ("ot_fault", "setpoint_change", "it_change", "it_saturation")
    assert set(STYLES) == {"eu_semicolon", "us_pi", "iso_opc"}


def test_incident_is_frozen_and_settings_report_the_choices(incidents):
    inc = incidents["ot_fault"]
    assert isinstance(inc, Incident)
    with pytest.raises(AttributeError):
        inc.title = "x"
    assert inc.settings["style"] == "eu_semicolon"
    assert inc.settings["n_signals"] == 28 == inc.true_signals.shape[1]
    assert inc.settings["duration"] == "14400s"
    assert inc.timezone == inc.manifest["timezone"] == inc.settings["timezone"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(cause="network"), r"cause='network' is not supported; expected one of 'ot_fault'"),
        (dict(cause="it_change", style="csv"), r"style='csv' is not supported; expected one of 'eu_semicolon'"),
        (dict(cause="it_change", duration="30min"), r"duration='30min' is out of range; expected from 2h to 48h"),
        (dict(cause="it_change", duration="soon"), r"duration='soon' is not a duration; expected text such as"),
        (dict(cause="it_change", n_signals=10), r"n_signals=10 is out of range; expected an integer from 24 to 120"),
        (dict(cause="it_change", n_signals=30.5), r"n_signals=30.5 is out of range"),
        (dict(cause="it_change", events_per_hour=0), r"events_per_hour=0 is out of range; expected a number from 10"),
        (dict(cause="it_change", distractors="yes"), r"distractors='yes' is not supported; expected True or False"),
        (dict(cause="it_change", seed=-1), r"seed=-1 is not supported; expected a non-negative int"),
        (dict(cause="it_change", seed="a"), r"seed='a' is not supported"),
        (dict(cause="it_change", start="2026-03-04 06:00"), r"start='2026-03-04 06:00' has no time zone"),
        (dict(cause="it_change", start="noon"), r"start='noon' is not a time"),
    ],
)
def test_parameter_errors_name_the_parameter(kwargs, match):
    kwargs.setdefault("seed", 1)
    with pytest.raises(ParameterError, match=match):
        make_incident(**kwargs)


def test_write_incident_rejects_other_objects(tmp_path):
    with pytest.raises(ParameterError, match=r"incident=dict: expected an Incident from make_incident\(\)"):
        write_incident({}, tmp_path)


def test_read_truth_missing_file(tmp_path):
    with pytest.raises(ParameterError, match=r"no such truth file; expected a truth.json"):
        read_truth(tmp_path)


def test_write_sample_data_unknown_name(tmp_path):
    with pytest.raises(ParameterError, match=r"names: 'nope' is not a sample incident; expected one of"):
        write_sample_data(tmp_path, names=["nope"])


# --------------------------------------------------------------------------- determinism


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_same_seed_gives_identical_files(tmp_path, folders):
    again = make_incident(cause="it_change", duration="4h", n_signals=28, **CASES["it_change"])
    path = again.write(tmp_path / "again")
    assert _digest(path.parent) == _digest(folders["it_change"])


def test_another_seed_gives_another_incident(incidents):
    other = make_incident(cause="it_change", duration="4h", n_signals=28, seed=99, style="iso_opc")
    first = incidents["it_change"]
    assert other.truth.onset != first.truth.onset or other.truth.root_cause != first.truth.root_cause
    assert not other.true_signals.columns.equals(first.true_signals.columns)


def test_generator_seed_is_accepted():
    a = make_incident(cause="ot_fault", seed=np.random.default_rng(5), duration="3h", n_signals=25)
    b = make_incident(cause="ot_fault", seed=np.random.default_rng(5), duration="3h", n_signals=25)
    assert a.truth == b.truth
    assert a.settings["seed"] == "Generator"


# --------------------------------------------------------------------------- truth against the simulation


ROOT_KIND = {
    "ot_fault": ("signal", "OT"),
    "setpoint_change": ("signal", "OT"),
    "it_change": ("event", "IT"),
    "it_saturation": ("signal", "IT"),
}


@pytest.mark.parametrize("cause", CAUSES)
def test_root_type_and_domain(incidents, cause):
    t = incidents[cause].truth
    assert (t.cause, t.root_cause_type, t.root_cause_domain) == (cause, *ROOT_KIND[cause])
    assert t.chain[0] == t.root_cause and t.chain[-1] == t.symptom
    assert len(t.chain) == len(t.chain_onsets) >= 3
    assert t.chain_onsets[0] == t.onset and t.chain_onsets[-1] == t.symptom_onset
    assert t.onset < t.symptom_onset < t.noticed
    if t.root_cause_type == "signal":
        assert t.root_cause in incidents[cause].true_signals.columns


@pytest.mark.parametrize("cause", CAUSES)
def test_nothing_differs_from_the_counterfactual_before_onset(incidents, cause):
    inc = incidents[cause]
    diff = (inc.true_signals - inc.counterfactual_signals).abs()
    before = diff.loc[: inc.truth.onset - pd.Timedelta("1s")]
    assert (before.to_numpy() == 0).all()
    after = diff.loc[inc.truth.onset:]
    for name in inc.truth.chain[1:]:
        assert after[name].max() > 0, name


@pytest.mark.parametrize("cause", CAUSES)
def test_chain_order_holds_in_the_clean_signals(incidents, cause):
    """Recompute each chain element's first response from the simulation: non-decreasing,
    and never later than the recorded chain onset."""
    inc = incidents[cause]
    diff = (inc.true_signals - inc.counterfactual_signals).abs().loc[inc.truth.onset:]
    first = [inc.truth.onset]
    for name in inc.truth.chain[1:]:
        nz = diff.index[diff[name] > 0]
        first.append(nz[0])
    assert first == sorted(first)
    for recomputed, recorded in zip(first, inc.truth.chain_onsets):
        assert recomputed <= recorded


@pytest.mark.parametrize("cause", ["ot_fault", "setpoint_change", "it_saturation"])
def test_signal_root_changes_at_onset_before_the_symptom(incidents, cause):
    inc = incidents[cause]
    t = inc.truth
    d = (inc.true_signals[t.root_cause] - inc.counterfactual_signals[t.root_cause]).abs()
    moved = d.index[d > 0]
    assert moved[0] >= t.onset
    assert moved[0] <= t.onset + pd.Timedelta(inc.settings["root_ramp_s"] + 60, unit="s")
    assert moved[0] < t.symptom_onset
    # the root really moves: well beyond its own pre-onset variability
    x = inc.true_signals[t.root_cause]
    pre = x.loc[t.onset - pd.Timedelta("30min"): t.onset - pd.Timedelta("1s")]
    post = x.loc[t.onset: t.symptom_onset + pd.Timedelta("10min")]
    assert abs(post.rolling(30).mean().dropna() - pre.mean()).max() > 5 * max(pre.std(), 1e-9)


def test_event_root_is_a_change_record_at_onset(incidents, folders):
    inc = incidents["it_change"]
    t = inc.truth
    ev = inc.true_events
    chg = ev[(ev["source"] == t.root_cause) & (ev["kind"] == "change")]
    assert len(chg) >= 1
    assert (chg["time"] == t.onset).any()
    # and it is in the written IT events, in UTC
    manifest = tomllib.loads((folders["it_change"] / "investigation.toml").read_text())
    it = _events(folders["it_change"], manifest, "it_events")
    rows = it[(it["source"] == t.root_cause) & (it["kind"] == "change")]
    assert (abs(rows["time"] - t.onset) < pd.Timedelta("1s")).any()


def test_it_saturation_has_no_change_record_before_the_root(incidents):
    inc = incidents["it_saturation"]
    t = inc.truth
    host = t.root_cause.split(".", 1)[0]
    ev = inc.true_events
    near = ev[(ev["kind"] == "change") & (ev["source"] == host)
              & (ev["time"] > t.onset - pd.Timedelta("2h")) & (ev["time"] <= t.onset)]
    assert near.empty


@pytest.mark.parametrize("cause", CAUSES)
def test_symptom_is_noticed_after_its_alarm_and_the_ticket_follows(incidents, cause):
    inc = incidents[cause]
    t = inc.truth
    ev = inc.true_events
    block = ev[(ev["role"] == "alarm") & (ev["state"] == "ACT") & ev["message"].str.contains(" HI ")]
    q_alarms = block[block["time"] >= t.onset]
    assert not q_alarms.empty
    ticket = ev[ev["kind"] == "incident"]
    assert len(ticket) == 1 and ticket["time"].iloc[0] > t.noticed
    assert t.noticed <= inc.true_signals.index[-1] - pd.Timedelta("30min")
    assert inc.true_signals[t.symptom].loc[t.symptom_onset:t.noticed].max() > inc.settings["quality_alarm"]["HI"]


@pytest.mark.parametrize("cause", ["it_change", "it_saturation"])
def test_monitoring_alerts_follow_the_gateway_problem(incidents, cause):
    inc = incidents[cause]
    t = inc.truth
    gw = t.chain[1].split(".", 1)[0]
    ev = inc.true_events
    alerts = ev[(ev["kind"] == "alert") & (ev["source"] == gw) & ev["message"].str.startswith("PROBLEM")
                & (ev["time"] >= t.onset - pd.Timedelta("10min"))]
    assert not alerts.empty
    assert alerts["time"].min() > t.chain_onsets[1]


@pytest.mark.parametrize("cause", CAUSES)
def test_distractors_change_near_onset_and_do_not_touch_the_chain(incidents, cause):
    inc = incidents[cause]
    t = inc.truth
    assert len(t.distractors) >= 3
    assert not set(t.distractors) & set(t.chain)
    cf = inc.counterfactual_signals
    diff = (inc.true_signals - cf).abs()
    lo, hi = t.onset - pd.Timedelta("35min"), t.onset + pd.Timedelta("35min")
    for name in t.distractors:
        if name in cf.columns:
            assert diff[name].max() == 0, name  # unaffected by the root cause
            x = cf[name]
            # noise scale from first differences: not inflated by level shifts or routine jobs
            noise = 1.4826 * x.diff().abs().median() / np.sqrt(2)
            win = x.loc[lo: hi + pd.Timedelta("25min")].rolling(60).mean().dropna()  # a ramp may end later
            assert win.max() - win.min() > 5 * max(noise, 1e-9), name
        else:
            ev = inc.true_events
            hits = ev[(ev["source"] == name) & (ev["kind"] == "change") & (ev["time"] >= lo) & (ev["time"] <= hi)]
            assert not hits.empty, name


def test_without_distractors_there_are_none():
    inc = make_incident(cause="setpoint_change", seed=12, duration="3h", n_signals=25, distractors=False)
    assert inc.truth.distractors == ()


def test_root_is_not_given_away_by_magnitude_or_order():
    """Across seeds some distractor starts before the root, and the root is not always the
    signal that moves most in noise units."""
    before = bigger = 0
    for seed in range(6):
        inc = make_incident(cause="setpoint_change", seed=seed, duration="3h", n_signals=26)
        t = inc.truth
        cf = inc.counterfactual_signals
        ev = inc.true_events
        for name in t.distractors:
            if name in cf.columns:
                x = cf[name]
                pre = x.loc[: t.onset - pd.Timedelta("40min")]
                dev = (x - pre.mean()).abs() / max(pre.std(), 1e-9)
                first = dev.index[dev > 4]
                first = first[first >= t.onset - pd.Timedelta("40min")]
                if len(first) and first[0] < t.onset:
                    before += 1
            else:
                hits = ev[(ev["source"] == name) & (ev["kind"] == "change")]
                if len(hits) and hits["time"].min() < t.onset:
                    before += 1
        x = inc.true_signals
        scale = x.loc[: t.onset - pd.Timedelta("40min")].diff().abs().median().replace(0, np.nan)
        moved = ((x.loc[t.onset - pd.Timedelta("30min"): t.onset + pd.Timedelta("30min")]
                  - x.loc[t.onset - pd.Timedelta("35min")]).abs().max() / scale).dropna()
        if moved.idxmax() != t.root_cause:
            bigger += 1
    assert before >= 1
    assert bigger >= 1


# --------------------------------------------------------------------------- the written files


def test_written_folder_matches_the_manifest(folders, incidents):
    allowed = {"name", "domain", "kind", "path", "url", "query", "columns", "timezone", "time_format", "time_unit",
               "clock_offset", "delimiter", "decimal", "encoding", "skip_rows", "layout", "ignore", "good_quality",
               "value_map", "units", "max_gap", "tag_separator", "active_states", "return_states"}
    for cause, folder in folders.items():
        manifest = tomllib.loads((folder / "investigation.toml").read_text(encoding="utf-8"))
        inc = incidents[cause]
        assert manifest == inc.manifest
        assert set(manifest) <= {"title", "timezone", "description", "incident", "alignment", "source"}
        assert pd.Timestamp(manifest["incident"]["start"]) == inc.truth.noticed
        assert manifest["incident"]["symptom"] == inc.truth.symptom
        files = {p.name for p in folder.iterdir()}
        assert files == set(inc.exports) | {"investigation.toml", "README.md", "truth.json"}
        for src in manifest["source"]:
            assert set(src) <= allowed
            raw = _read_text(folder, src)
            assert len(raw) == len(inc.exports[src["path"]])
            named = [c for v in src["columns"].values() for c in (v if isinstance(v, list) else [v])]
            assert set(named) <= set(raw.columns), (src["name"], named)
            assert src["clock_offset"] == ("auto" if src["domain"] == "OT" else "0s")
        assert read_truth(folder) == inc.truth


def test_manifest_units_cover_the_signals(incidents):
    inc = incidents["setpoint_change"]
    units = {}
    for src in inc.manifest["source"]:
        units.update(src.get("units", {}))
    assert set(units) <= set(inc.true_signals.columns)
    assert units[inc.truth.symptom] == "%"


@pytest.mark.parametrize("cause", CAUSES)
def test_historian_quirks_are_present(folders, incidents, cause):
    folder = folders[cause]
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    h = _historian(folder, manifest)
    info = incidents[cause].settings["exports"]["historian"]
    # exact duplicates and conflicting duplicates (same tag and time, different value)
    assert h.duplicated(["time", "tag", "raw"]).sum() >= info["duplicate_rows"] > 0
    same = h[h.duplicated(["time", "tag"], keep=False) & ~h.duplicated(["time", "tag", "raw"], keep=False)]
    assert len(same) >= 2
    # rows out of order within a tag (late store-and-forward backfill)
    assert info["backfilled_rows"] > 0
    assert any(not g.is_monotonic_increasing for _, g in h.groupby("tag")["time"])
    # bad quality rows, some with a digital state instead of a number
    assert (~h["good"]).sum() > 0
    assert h.loc[~h["good"], "value"].isna().any()
    assert h["raw"].str.contains("Timeout|Bad Input|Comm Fail|Scan Timeout").any()
    # irregular timestamps per tag (exception reporting), and tags not sampled together
    irregular = [g.sort_values().diff().dt.total_seconds().nunique() > 5 for _, g in h.groupby("tag")["time"]]
    assert sum(irregular) > len(irregular) / 2
    stamps = [frozenset(g) for _, g in h.groupby("tag")["time"]]
    assert len(set(stamps)) >= 0.8 * len(stamps)  # only flat tags may share their heartbeat times
    # collector outage: a stretch of minutes without any row in file order before the backfill
    a, b, c = info["outage"]
    t0 = incidents[cause].true_signals.index[0]
    off = incidents[cause].truth.clock_offsets["historian"]
    lost = h[(h["time"] - off >= t0 + pd.Timedelta(seconds=a + 2))
             & (h["time"] - off < t0 + pd.Timedelta(seconds=c - 2))]
    assert lost.empty


@pytest.mark.parametrize("cause", CAUSES)
def test_local_time_and_clock_offset_reproduce_the_true_signals(folders, incidents, cause):
    """Historian values, read in local time with the true offset removed, are the instrument
    values at that true second."""
    inc = incidents[cause]
    folder = folders[cause]
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    src = _source(manifest, "historian")
    raw = _read_text(folder, src)
    assert not raw[src["columns"]["time"]].str.contains("Z|\\+", regex=True).any()  # naive local text
    h = _historian(folder, manifest)
    off = inc.truth.clock_offsets["historian"]
    assert pd.Timedelta("20s") <= abs(off) <= pd.Timedelta("4min")
    good = h[h["good"] & h["value"].notna()].drop_duplicates(["time", "tag"], keep=False).sample(400, random_state=0)
    true = inc.true_signals
    t = (good["time"] - off).dt.floor("s")
    hits = 0
    for (ti, tag, v) in zip(t, good["tag"], good["value"]):
        cands = [true[tag].get(ti + pd.Timedelta(seconds=k)) for k in (-1, 0, 1)]
        hits += any(c is not None and abs(c - v) < 1e-6 for c in cands)
    assert hits == len(good)
    # the wrong reading (no offset) does not fit as well
    t_wrong = good["time"].dt.floor("s")
    miss = sum(abs(true[tag].get(ti, np.nan) - v) > 1e-6 for ti, tag, v in zip(t_wrong, good["tag"], good["value"]))
    assert miss > 0.3 * len(good)


@pytest.mark.parametrize("cause", CAUSES)
def test_it_metrics_are_utc_and_match_the_true_signals(folders, incidents, cause):
    inc = incidents[cause]
    folder = folders[cause]
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    src = _source(manifest, "it_metrics")
    raw = _read_text(folder, src)
    t = _parse_time(raw[src["columns"]["time"]], src)
    it_names = [c for c in inc.true_signals.columns if "." in c and c.split(".", 1)[0].islower()]
    if src["layout"] == "wide":
        long = raw.drop(columns=src["columns"]["time"]).assign(time=t.to_numpy()).melt(
            id_vars="time", var_name="tag", value_name="value")
        long = long[long["value"] != ""]
        assert (raw.drop(columns=src["columns"]["time"]) == "").to_numpy().any()  # Grafana blanks
    else:
        long = pd.DataFrame({"time": t.to_numpy(), "tag": (raw["host"] + "." + raw["metric"]).to_numpy(),
                             "value": raw["value"].to_numpy()})
        assert long.duplicated().any()
    assert set(long["tag"]) == set(it_names)
    long = long.sample(300, random_state=1)
    true = inc.true_signals
    for ti, tag, v in zip(long["time"], long["tag"], long["value"]):
        assert abs(true.at[ti, tag] - float(v)) < 1e-6
    # collection gaps: some host has an interval much longer than its sampling period
    gaps = inc.settings["exports"]["it_metrics"]["gaps"]
    assert gaps


@pytest.mark.parametrize("cause", CAUSES)
def test_alarm_journal_has_alarms_operator_actions_and_nuisance(folders, incidents, cause):
    inc = incidents[cause]
    folder = folders[cause]
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    ae = _events(folder, manifest, "alarms_events")
    assert {"ACT", "RTN", "ACK"} <= set(ae["state"])
    assert (ae["kind"] == "OPERATOR").any()
    assert ae["message"].str.contains("SP changed from").any()
    # chattering: some source activates more than 20 times
    acts = ae[ae["state"] == "ACT"].groupby("source").size()
    assert acts.max() > 20
    assert ae.duplicated().any()
    # consequence alarms after the symptom started
    q_block = inc.truth.aliases[0] if cause != "it_change" and inc.truth.root_cause_domain == "OT" else None
    sym_block = inc.true_events.loc[inc.true_events["message"].str.contains(" HI "), "source"]
    assert not sym_block.empty
    if q_block:
        assert q_block in set(ae["source"]) | set(inc.true_events["source"])


def test_setpoint_root_is_logged_as_an_operator_action(incidents):
    inc = incidents["setpoint_change"]
    t = inc.truth
    ev = inc.true_events
    act = ev[(ev["kind"] == "OPERATOR") & (ev["source"] == t.aliases[0]) & (ev["time"] == t.onset)]
    assert len(act) == 1
    assert "SP changed from" in act["message"].iloc[0]


@pytest.mark.parametrize("cause", ["ot_fault", "it_change"])
def test_ot_and_it_share_hmi_logons_at_the_clock_offset(folders, incidents, cause):
    inc = incidents[cause]
    folder = folders[cause]
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    ot = _events(folder, manifest, "alarms_events")
    it = _events(folder, manifest, "it_events")
    ot_on = ot[ot["kind"] == "LOGON"].sort_values("time")["time"].drop_duplicates()
    it_on = it[it["kind"] == "logon"]
    it_on = it_on[it_on["source"].str.startswith("hmi-")].sort_values("time")["time"].drop_duplicates()
    assert len(ot_on) >= 5 and len(ot_on) == len(it_on)
    lag = (ot_on.to_numpy() - it_on.to_numpy()) / pd.Timedelta("1s")
    off = inc.truth.clock_offsets["alarms_events"].total_seconds()
    assert abs(np.median(lag) - off) < 2.0


def test_it_event_exports_are_utc_and_the_change_export_splits(folders, incidents):
    folder = folders["setpoint_change"]  # us_pi: change records in their own export
    manifest = tomllib.loads((folder / "investigation.toml").read_text())
    names = [s["name"] for s in manifest["source"]]
    assert "it_changes" in names
    chg = _events(folder, manifest, "it_changes")
    assert chg["message"].str.len().min() > 5
    assert (pd.to_datetime(chg["end"]).dt.tz_localize("UTC") > chg["time"]).all()
    it = _read_text(folder, _source(manifest, "it_events"))
    assert it["timestamp"].str.endswith("Z").all()


def test_event_rows_meet_the_requested_rate():
    inc = make_incident(cause="it_saturation", seed=3, duration="2h", n_signals=24, events_per_hour=900)
    assert inc.settings["event_rows"] == 1800


def test_benchmark_size_is_supported():
    inc = make_incident(cause="it_change", seed=2, n_signals=50, events_per_hour=1250)
    assert inc.true_signals.shape == (8 * 3600, 50)
    assert inc.settings["event_rows"] == 10_000


def test_true_signals_are_utc_on_a_one_second_grid(incidents):
    x = incidents["ot_fault"].true_signals
    assert str(x.index.dtype) == "datetime64[ns, UTC]"
    assert x.index.name == "time"
    assert (np.diff(x.index.asi8) == 1_000_000_000).all()
    assert (x.dtypes == "float64").all()


# --------------------------------------------------------------------------- truth and README


def test_truth_round_trips_through_json(incidents):
    t = incidents["it_change"].truth
    d = json.loads(json.dumps(t.to_dict()))
    assert IncidentTruth.from_dict(d) == t
    assert d["clock_offsets"]["it_events"] == "0s"
    assert d["onset"].endswith("Z")


@pytest.mark.parametrize("cause", CAUSES)
def test_readme_tells_the_story_and_keeps_the_answer_at_the_end(incidents, cause):
    inc = incidents[cause]
    head, sep, key = inc.readme.partition("## Answer key (generated data)")
    assert sep
    assert "## What was noticed" in head and "## What the teams know" in head
    assert cause not in head and inc.truth.mechanism not in head
    assert inc.truth.root_cause in key and cause in key
    assert inc.truth.symptom in head


# --------------------------------------------------------------------------- loading with rca's reader


def _offset_estimate(inv, source):
    for clock in inv.alignment.to_dict()["clock_offsets"]:
        if source in clock["sources"]:
            return clock["offset_s"]
    raise KeyError(source)


@pytest.mark.parametrize("cause", CAUSES)
def test_generated_folder_loads_and_the_ledger_balances(folders, incidents, cause):
    from rca import open_investigation

    inc = incidents[cause]
    t = inc.truth
    inv = open_investigation(folders[cause] / "investigation.toml")
    assert inv.ledger.balanced
    for src in inc.manifest["source"]:
        assert inv.ledger[src["name"]].rows_read == len(inc.exports[src["path"]]), src["name"]
    # every signal arrives under the name the truth uses, and the onset lies in the data
    assert set(inv.signals.columns) == set(inc.true_signals.columns)
    lo, hi = inv.window
    assert lo <= t.onset <= hi and lo <= t.symptom_onset <= hi
    assert inv.signals.index[0] <= t.onset <= inv.signals.index[-1]
    if t.root_cause_type == "signal":
        assert inv.signals[t.root_cause].loc[t.onset - pd.Timedelta("30min"): t.onset].notna().any()
    else:
        ev = inv.events
        assert ((ev["source"] == t.root_cause) & (ev["kind"] == "change")).any()
    # the quirks are counted, not silently absorbed
    rejected = inv.ledger["historian"].rejected
    h = _historian(folders[cause], inc.manifest)
    usable = h[h["good"] & h["value"].notna()]
    exact = int(usable.duplicated(["time", "tag", "raw"]).sum())
    conflicting = inc.settings["exports"]["historian"]["conflicting_rows"]
    assert exact > 0 and abs(rejected.get("duplicate", 0) - exact) <= conflicting
    assert rejected.get("superseded", 0) > 0
    assert rejected.get("bad_quality", 0) == int((~h["good"]).sum())
    # the OT clock offset is recoverable from the shared OT/IT moments
    est = _offset_estimate(inv, "historian")
    assert abs(est - t.clock_offsets["historian"].total_seconds()) < 2.0


@pytest.mark.parametrize("cause", CAUSES)
def test_loaded_chain_signals_follow_the_true_signals(folders, incidents, cause):
    """After alignment (offset estimated by the reader), the chain signals track the truth."""
    from rca import open_investigation

    inc = incidents[cause]
    inv = open_investigation(folders[cause] / "investigation.toml")
    chain = list(inc.truth.chain)
    if cause in ("it_change", "it_saturation"):
        # the gateway-fed loop oscillates with a 10-40 s period: a 30 s grid aliases it
        chain.remove(chain[2])
    for name in chain:
        if name not in inv.signals.columns:
            continue
        both = pd.concat([inv.signals[name], inc.true_signals[name]], axis=1, join="inner").dropna()
        if both.iloc[:, 1].std() == 0:
            continue  # a setpoint that never moved in the window
        blocks = both.resample("5min").mean().dropna()  # noise and sampling instants average out
        assert len(blocks) > 30
        assert np.corrcoef(blocks.iloc[:, 0], blocks.iloc[:, 1])[0, 1] > 0.9, name


def test_pi_digital_states_reach_the_reader_as_non_numeric_values(folders):
    from rca import open_investigation

    inv = open_investigation(folders["setpoint_change"] / "investigation.toml")  # us_pi
    assert inv.ledger["historian"].rejected.get("non_numeric_value", 0) > 0


@pytest.mark.parametrize("name", list(SAMPLE_INCIDENTS))
def test_sample_folder_loads(name):
    from rca import open_investigation

    folder = REPO / "sample_data" / name
    inv = open_investigation(folder / "investigation.toml")
    truth = read_truth(folder)
    assert inv.ledger.balanced
    assert inv.window[0] <= truth.onset <= inv.window[1]
    assert truth.symptom in inv.signals.columns
    assert abs(_offset_estimate(inv, "alarms_events") - truth.clock_offsets["alarms_events"].total_seconds()) < 2.0


# --------------------------------------------------------------------------- bundled sample data


def test_sample_data_folders_are_small_and_complete():
    assert len(SAMPLE_INCIDENTS) >= 2
    causes = set()
    for name, kwargs in SAMPLE_INCIDENTS.items():
        folder = REPO / "sample_data" / name
        assert (folder / "investigation.toml").is_file(), name
        assert (folder / "README.md").is_file() and (folder / "truth.json").is_file()
        size = sum(p.stat().st_size for p in folder.iterdir())
        assert size < 4_000_000, (name, size)
        causes.add(read_truth(folder).cause)
        assert read_truth(folder).cause == kwargs["cause"]
    assert {"it_change"} <= causes and causes & {"ot_fault", "setpoint_change"}


@pytest.mark.parametrize("name", list(SAMPLE_INCIDENTS))
def test_sample_data_is_rebuilt_byte_for_byte(tmp_path, name):
    write_sample_data(tmp_path, names=[name])
    assert _digest(tmp_path / name) == _digest(REPO / "sample_data" / name)


def test_state_text_with_good_quality_makes_no_conflicting_duplicate(tmp_path):
    # Seed 1008 exports a digital state ("Scan Timeout") with good quality on a row that the
    # generator once picked for a conflicting duplicate (float("Scan Timeout") raised).
    from rca import open_investigation

    inc = make_incident(cause="it_saturation", seed=1008)
    write_incident(inc, tmp_path)
    inv = open_investigation(tmp_path / "investigation.toml")
    assert inv.ledger.balanced
    for src in inc.manifest["source"]:
        assert inv.ledger[src["name"]].rows_read == len(inc.exports[src["path"]]), src["name"]
    assert inv.ledger["historian"].rejected.get("superseded", 0) > 0  # the conflicting duplicates are there
