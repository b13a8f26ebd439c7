import json
import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest

import rca
from rca.errors import AnalysisError, ParameterError, RcaWarning
from rca.ranking import CANDIDATE_COLUMNS, classify_event, propagation_edges, rank_candidates

T0 = pd.Timestamp("2026-03-04 06:00", tz="UTC")


def ar1(rng, n, phi=0.8, sd=1.0):
    e = rng.normal(0, sd, n)
    x = np.empty(n)
    x[0] = e[0]
    for i in range(1, n):
        x[i] = phi * x[i - 1] + e[i]
    return x


def _grid():
    """Five hours on a 10 s grid from 06:00, and the position of a clock time ("09:07:00") in it."""
    idx = pd.date_range(T0, periods=1800, freq="10s")
    return idx, lambda s: idx.get_loc(pd.Timestamp(f"2026-03-04 {s}", tz="UTC"))


def _valve_chain(rng, at, n, *, step_at, step, temp_gain, quality_gain, temp_jump=None):
    """A valve stepping by ``step`` at ``step_at``, the temperature it feeds (``temp_gain`` x
    the valve, 1 min later; ``temp_jump``: (time, size) of a jump of its own) and the quality
    (``quality_gain`` x the temperature, 3 min later), on the grid of :func:`_grid`. Lagged
    without wrapping round (``np.roll`` would put the end's steps at the start)."""
    valve = 50 + ar1(rng, n, 0.7, 0.3)
    valve[at(step_at):] += step
    temp = 80 + temp_gain * _lagged(valve - 50, 6) + ar1(rng, n, 0.8, 0.2)
    if temp_jump is not None:
        temp[at(temp_jump[0]):] += temp_jump[1]
    quality = 2.0 + quality_gain * _lagged(temp - 80, 18) + ar1(rng, n, 0.8, 0.05)
    return valve, temp, quality


@pytest.fixture(scope="module")
def plant():
    """A cooler valve (root) steps at 09:00; the temperature follows 1 min later, the quality
    3 min after that. An unrelated tag in another unit steps at 08:55 (a distractor before the
    root) and another one at 09:02 (between root and symptom). 10 s grid, 5 hours."""
    rng = np.random.default_rng(7)
    idx = pd.date_range(T0, periods=1800, freq="10s")
    n = len(idx)
    k_root = idx.get_loc(pd.Timestamp("2026-03-04 09:00", tz="UTC"))
    valve = 50 + ar1(rng, n, 0.7, 0.3)
    valve[k_root:] += 8.0
    temp = 80 + 0.6 * np.roll(valve - 50, 6) + ar1(rng, n, 0.8, 0.2)
    quality = 2.0 + 0.3 * np.roll(temp - 80, 18) + ar1(rng, n, 0.8, 0.05)
    other = 10 + ar1(rng, n, 0.8, 0.2)
    other[idx.get_loc(pd.Timestamp("2026-03-04 08:55", tz="UTC")):] += 3.0
    other2 = 5 + ar1(rng, n, 0.8, 0.2)
    other2[idx.get_loc(pd.Timestamp("2026-03-04 09:02", tz="UTC")):] -= 2.0
    signals = pd.DataFrame(
        {"L1.FV101.PV": valve, "L1.TI102.PV": temp, "L1.QI103.PV": quality, "L2.PI201.PV": other,
         "L2.FI202.PV": other2},
        index=idx,
    )
    events = pd.DataFrame(
        {
            "time": pd.to_datetime(
                ["2026-03-04 08:59:00", "2026-03-04 08:40:00", "2026-03-04 08:59:30", "2026-03-04 09:06:00",
                 "2026-03-04 09:20:00"] + [f"2026-03-04 0{h}:{m:02d}:00" for h in (6, 7, 8) for m in range(0, 60, 5)],
                utc=True,
            ),
            "end": pd.NaT,
            "source": ["scada-01", "print-01", "ad-01", "L1.QI103", "servicedesk"] + ["ad-01"] * 36,
            "kind": ["change", "change", "login", "HI", "incident"] + ["login"] * 36,
            "message": ["CHG0042 <b>SCADA</b> tag database update", "Printer driver update", "User logged on",
                        "Quality HI", "INC0001 Line 1 scrap high"] + ["User logged on"] * 36,
            "severity": "",
            "domain": ["IT", "IT", "IT", "OT", "IT"] + ["IT"] * 36,
            "origin": "events",
        }
    ).sort_values("time").reset_index(drop=True)
    info = pd.DataFrame({"domain": ["OT"] * 5}, index=pd.Index(signals.columns, name="signal"))
    return signals, events, info


def test_contract_of_the_result(plant):
    signals, events, info = plant
    r = rank_candidates(signals, events=events, signal_info=info, incident_start="2026-03-04T09:10:00Z",
                        symptom="L1.QI103.PV")
    assert list(r.columns[: len(CANDIDATE_COLUMNS)]) == CANDIDATE_COLUMNS
    assert r["rank"].tolist() == list(range(1, len(r) + 1))
    assert r["score"].is_monotonic_decreasing
    assert set(r["type"]) <= {"signal", "event"}
    assert str(r["onset"].dt.tz) == "UTC"
    assert r["evidence"].map(lambda s: isinstance(s, str) and len(s) > 10).all()
    settings = r.attrs["settings"]
    assert settings["symptoms"] == ["L1.QI103.PV"] and settings["symptom_choice"] == "given"
    edges = propagation_edges(r)
    assert {"source_signal", "target_signal", "lag", "weight"} <= set(edges.columns)
    assert (edges["target_time"] >= edges["source_time"]).all()
    assert "L1.QI103.PV" in set(edges["target_signal"])
    # Ordinary pandas operations keep working on the result (attrs hold plain data).
    pd.concat([r, r]).astype(str)
    # Deterministic.
    again = rank_candidates(signals, events=events, signal_info=info, incident_start="2026-03-04T09:10:00Z",
                            symptom="L1.QI103.PV")
    pd.testing.assert_frame_equal(r, again)


def test_the_change_that_starts_the_chain_wins_over_earlier_and_later_distractors(plant):
    signals, _, info = plant
    r = rank_candidates(signals, signal_info=info, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    assert r.iloc[0]["name"] == "L1.FV101.PV"
    assert r.attrs["settings"]["origin"] == "L1.FV101.PV"
    order = list(r["name"])
    assert order.index("L1.FV101.PV") < order.index("L2.PI201.PV")
    assert order.index("L1.FV101.PV") < order.index("L2.FI202.PV")
    top = r.iloc[0]
    assert abs(top["onset"] - pd.Timestamp("2026-03-04 09:00", tz="UTC")) <= pd.Timedelta("30s")
    assert "before the symptom" in top["evidence"]


def test_a_change_record_just_before_the_origin_is_ranked_as_its_trigger(plant):
    signals, events, info = plant
    r = rank_candidates(signals, events=events, signal_info=info, incident_start="2026-03-04T09:10:00Z",
                        symptom="L1.QI103.PV")
    names = list(r["name"])
    assert names[:2] == ["L1.FV101.PV", "scada-01"], r.head()
    top = r.set_index("name").loc["scada-01"]
    assert top["type"] == "event" and top["role"] == "trigger"
    assert "CHG0042 <b>SCADA</b> tag database update" in top["evidence"]  # verbatim; escaping is the renderer's
    assert "before the first change of the chain" in top["evidence"]
    # Routine logins, an older unrelated change and the consequences never outrank the root.
    for name in ("ad-01", "print-01", "L1.QI103", "servicedesk"):
        if name in names:
            assert names.index(name) > names.index("L1.FV101.PV")
    assert "servicedesk" not in names  # after the symptom: a consequence, not a candidate
    # It is judged among the day's change records (the printer's at 08:40 too): the only one
    # that day, it is a likelier trigger, and ranks above the origin it set off.
    alone = rank_candidates(signals, events=events[events["source"] != "print-01"], signal_info=info,
                            incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    assert alone.iloc[0]["name"] == "scada-01"
    assert alone.iloc[0]["link"] > 0.5 > top["link"]


def test_without_a_symptom_the_strongest_changes_near_the_start_stand_in(plant):
    signals, _, info = plant
    r = rank_candidates(signals, signal_info=info, incident_start="2026-03-04T09:10:00Z")
    assert r.attrs["settings"]["symptom_choice"].startswith("strongest changes")
    assert "L1.FV101.PV" in list(r["name"][:3])


def test_ranking_a_frame_detects_changes_as_the_investigation_does(plant, monkeypatch):
    # The ranking's scales were set on the changes of the conservative long-run rule; a frame
    # given without changes is segmented with it, as Investigation.changes() does.
    import rca.changepoints as cp

    seen = []
    real = cp.detect_changes

    def spy(frame, **kwargs):
        seen.append(kwargs)
        return real(frame, **kwargs)

    monkeypatch.setattr(cp, "detect_changes", spy)
    signals, events, info = plant
    ranked = rank_candidates(signals, events=events, signal_info=info, symptom="L1.QI103.PV",
                             incident_start=pd.Timestamp("2026-03-04 09:10", tz="UTC"))
    assert seen == [{"long_run": cp.INVESTIGATION_LONG_RUN}]
    assert cp.INVESTIGATION_LONG_RUN == "largest"
    assert ranked.iloc[0]["name"] in ("L1.FV101.PV", "scada-01")


def test_classify_event():
    assert classify_event("change", "CHG1 Firewall rule cleanup") == "action"
    assert classify_event("OPERATOR", "SP changed from 1 to 2") == "action"
    assert classify_event("backup", "Nightly backup completed") == "routine"
    assert classify_event("HIHI", "Level high high") == "consequence"
    assert classify_event("incident", "INC0001 opened") == "consequence"
    assert classify_event("zzz", "") == "other"


def test_bad_inputs_get_clear_messages(plant):
    signals, events, info = plant
    with pytest.raises(ParameterError, match=r"symptom: 'L1.QI' is not a signal; did you mean \['L1.QI103.PV'\]"):
        rank_candidates(signals, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI")
    with pytest.raises(ParameterError, match=r"incident_start: required when data is a DataFrame"):
        rank_candidates(signals)
    with pytest.raises(AnalysisError, match=r"no signal has data between"):
        rank_candidates(signals, incident_start="2026-03-05T09:10:00Z")
    flat = pd.DataFrame({"a": 1.0, "b": 2.0}, index=signals.index)
    with pytest.raises(AnalysisError, match=r"no signal changed between .*: nothing to rank"):
        rank_candidates(flat, incident_start="2026-03-04T09:10:00Z")
    with pytest.raises(ParameterError, match=r"top: expected a positive whole number, got 0"):
        rank_candidates(signals, incident_start="2026-03-04T09:10:00Z", top=0)
    with pytest.raises(ParameterError, match=r"data: expected an Investigation .* got list"):
        rank_candidates([1, 2, 3])
    naive = signals.tz_localize(None)
    with pytest.raises(ParameterError, match=r"tz-aware DatetimeIndex"):
        rank_candidates(naive, incident_start="2026-03-04T09:10:00Z")
    quiet = signals.copy()
    quiet["L1.QI103.PV"] = 2.0
    # A named symptom that did not change: a warning, and the strongest changes stand in for it.
    with pytest.warns(RcaWarning, match=r"the symptom 'L1.QI103.PV' did not change between .* strongest changes"):
        r = rank_candidates(quiet, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    assert "'L1.QI103.PV' did not change" in r.attrs["settings"]["symptom_choice"]
    assert "L1.QI103.PV" not in r.attrs["settings"]["symptoms"]
    assert "L1.FV101.PV" in list(r["name"][:3])


@pytest.mark.parametrize(
    "cause, seed",
    [("ot_fault", 300), ("setpoint_change", 300), ("it_change", 300), ("it_saturation", 300)],
)
def test_generated_incidents_of_each_kind(tmp_path, cause, seed):
    from rca.datasets import make_incident

    inc = make_incident(cause=cause, seed=seed)
    inv = rca.open_investigation(inc.write(tmp_path / cause))
    r = rank_candidates(inv)
    truth = inc.truth
    correct = {truth.root_cause, *truth.aliases}
    names = list(r["name"])
    # A regression guard, not the accuracy measurement (that is benchmarks/rank_eval.py).
    hit = [n for n in names[:5] if n in correct]
    assert hit, f"{cause}: truth {truth.root_cause} not in the top 5: {names[:6]}"
    row = r[r["name"] == hit[0]].iloc[0]
    assert row["type"] == ("event" if truth.root_cause_type == "event" and hit[0] == truth.root_cause else row["type"])
    assert row["onset"] <= pd.Timestamp(truth.symptom_onset) + pd.Timedelta("2min")
    json.dumps(r.head().astype(str).to_dict("records"))  # the evidence survives serialisation


def test_an_operators_setpoint_step_is_listed_with_the_action_that_wrote_it(tmp_path, monkeypatch):
    # A generated setpoint change: the operator's SP_CHANGE of the loop is journaled seconds
    # before the setpoint's exact step. One fact, twice: the action keeps first place, and
    # the step is scored down (the "written" term) and says why, instead of taking second.
    from rca import ranking
    from rca.datasets import make_incident

    inc = make_incident(cause="setpoint_change", seed=300)
    inv = rca.open_investigation(inc.write(tmp_path / "sp"))
    sp, loop = inc.truth.root_cause, inc.truth.aliases[0]
    r = rank_candidates(inv)
    assert (r.iloc[0]["name"], r.iloc[0]["type"]) == (loop, "event")
    row = r[r["name"] == sp].iloc[0]
    assert f"the write of the action of {loop} at " in row["evidence"]
    assert row["rank"] > 3
    terms = r.attrs["score_terms"][int(row["rank"]) - 1]
    assert terms["written"] == 1.0
    assert row["score"] == pytest.approx(math.exp(sum(ranking.SCORE_WEIGHTS[k] * v for k, v in terms.items())))
    # With the term weighed 0 the step is back right below its action.
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "written", 0.0)
    again = rank_candidates(inv)
    assert list(again["name"][:2]) == [loop, sp]


@pytest.mark.parametrize("other_unit", [False, True])
def test_a_journal_that_names_the_bare_tag_is_matched_to_the_historians_loop(tmp_path, other_unit):
    # The alarm journal names the loop "PIC292", the historian "HB3.PIC292.SP": the operator's
    # SP_CHANGE is still the write of that setpoint's step (listed once, the action first). With
    # a second unit that has a PIC292 too, the bare tag could be either: no match is made.
    from rca.datasets import make_incident

    inc = make_incident(cause="setpoint_change", seed=300)
    folder = inc.write(tmp_path / "sp").parent
    journal = folder / "alarm_journal.tsv"
    text = journal.read_text(encoding="utf-8")
    assert text.count("\tHB3.PIC292\t") == 3
    journal.write_text(text.replace("\tHB3.PIC292\t", "\tPIC292\t"), encoding="utf-8")
    inv = rca.open_investigation(folder / "investigation.toml")
    frame = inv.signals
    if other_unit:  # a quiet namesake in another unit
        frame = frame.assign(**{"HB4.PIC292.PV": 300.0})
    r = rank_candidates(frame, events=inv.events, signal_info=inv.signal_info,
                        incident_start=inv.incident.start, symptom=inv.incident.symptom,
                        window=inv.resolve_window("incident"))
    step = r[r["name"] == "HB3.PIC292.SP"].iloc[0]
    written = "the write of the action of PIC292 at " in step["evidence"]
    assert written is (not other_unit)
    if not other_unit:
        assert r.iloc[0]["name"] == "PIC292" and step["rank"] > 3


def test_an_action_before_the_strongest_change_of_the_origins_run_counts_as_its_trigger():
    # The origin's run starts with a slow drift at 08:00 (a ramp) and jumps at 09:00; a
    # configuration push at 08:58:30 set off the jump. Anchored on the run's first change only,
    # the push came after it and was not a candidate.
    from rca.ranking import _score_events

    t_drift, t_jump = pd.Timestamp("2026-03-04 08:00", tz="UTC"), pd.Timestamp("2026-03-04 09:00", tz="UTC")
    events = pd.DataFrame({
        "time": pd.to_datetime(["2026-03-04 06:10:00", "2026-03-04 08:58:30", "2026-03-04 07:30:00"], utc=True),
        "source": ["fw-01", "gw-01", "ad-01"], "kind": ["login", "config", "change"],
        "message": ["user logged on", "policy pushed", "GPO change"], "severity": "", "domain": "IT",
    })
    args = dict(sym_time=pd.Timestamp("2026-03-04 09:10", tz="UTC"), lo=T0, hi=pd.Timestamp("2026-03-04 10:00", tz="UTC"),
                lead=pd.Timedelta("15min"), step=pd.Timedelta("10s"), classes=None, root_score=1.0, tz="UTC",
                root_domain="IT", root_name="gw-01.latency")
    only_first = _score_events(events, [(t_drift, "ramp")], **args)
    assert "gw-01" not in {r["name"] for r in only_first}
    both = {r["name"]: r for r in _score_events(events, [(t_drift, "ramp"), (t_jump, "mean")], **args)}
    assert set(both) == {"gw-01"}  # the login and the 07:30 change are near neither anchor
    assert both["gw-01"]["link"] > 0.5 and both["gw-01"]["score"] > 1.0  # ranks above the origin
    assert "before the change of gw-01.latency at 09:00:00" in both["gw-01"]["evidence"]



def _one_push(at: str, *, sym_time: str, root_name: str) -> tuple:
    """One configuration push of gw-01 at ``at`` and the arguments of :func:`_score_events`
    for a change of ``root_name`` (IT) before a symptom at ``sym_time`` (both 2026-03-04, UTC)."""
    events = pd.DataFrame({"time": pd.to_datetime([f"2026-03-04 {at}"], utc=True), "source": ["gw-01"],
                           "kind": ["config"], "message": ["policy pushed"], "severity": "", "domain": "IT"})
    args = dict(sym_time=pd.Timestamp(f"2026-03-04 {sym_time}", tz="UTC"), lo=T0,
                hi=pd.Timestamp("2026-03-04 10:00", tz="UTC"), lead=pd.Timedelta("15min"),
                step=pd.Timedelta("10s"), classes=None, root_score=1.0, tz="UTC",
                root_domain="IT", root_name=root_name)
    return events, args


def test_an_event_within_the_interval_of_a_changes_onset_is_a_weaker_trigger():
    # A configuration push at 08:58 and a change dated 09:00. Dated to the sampling step, the
    # push came 2 min before it; known only to lie between 08:50 and 09:14 (a slow ramp), the
    # change may have begun before the push, so the push is a weaker trigger; and a change known
    # to have begun by 08:57 at the latest cannot have been set off by it.
    from rca.ranking import _score_events

    t = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")  # noqa: E731
    events, args = _one_push("08:58:00", sym_time="09:20", root_name="gw-02.latency")
    sharp = _score_events(events, [(t, "mean")], spans={t: (t, t)}, **args)[0]
    unspecified = _score_events(events, [(t, "mean")], **args)[0]
    wide = _score_events(events, [(t, "mean")], spans={t: (at("08:50"), at("09:14"))}, **args)[0]
    before = _score_events(events, [(t, "mean")], spans={t: (at("08:40"), at("08:57"))}, **args)[0]
    assert sharp["link"] == unspecified["link"] > wide["link"] > before["link"] == 0.0
    assert sharp["score"] > wide["score"] > before["score"]
    # The evidence gives the gap to the change as dated, and says how uncertain that date is.
    assert "2 min before the first change of the chain" in wide["evidence"]
    assert "that change began between 08:50:00 and 09:14:00, so it may have come first" in wide["evidence"]
    assert "began between" not in sharp["evidence"]
    # A change known to have begun after the push (between 08:59 and 09:05): no doubt about the order.
    later = _score_events(events, [(t, "mean")], spans={t: (at("08:59"), at("09:05"))}, **args)[0]
    assert "began between" not in later["evidence"] and later["link"] > wide["link"]


def test_an_event_is_said_to_precede_the_first_change_of_the_chain_only_when_it_does():
    # A push at 08:58:30 is scored as the trigger of the origin's change at 09:00. Where the
    # chain's first firmly linked change is that one, the evidence says "the first change of
    # the chain"; where another member (a pump's flow) had already changed at 08:57:30, it names
    # the origin's change and says which change came first, and when, against the event.
    from rca.ranking import _score_events

    t_origin = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    events, args = _one_push("08:58:30", sym_time="09:10", root_name="TT-122.PV")
    first = _score_events(events, [(t_origin, "mean")], chain_first=(t_origin, "TT-122.PV"), **args)
    assert "before the first change of the chain" in first[0]["evidence"]
    assert "first firmly linked change" not in first[0]["evidence"]
    later = _score_events(events, [(t_origin, "mean")], chain_first=(t_origin - pd.Timedelta("150s"), "FT-123.PV"),
                          **args)
    text = later[0]["evidence"]
    assert "first change of the chain" not in text
    assert "before the change of TT-122.PV at 09:00:00" in text
    assert text.endswith("the chain's first firmly linked change: FT-123.PV at 08:57:30, 60 s before this event")
    # Only the wording differs: the score is the same.
    assert later[0]["score"] == first[0]["score"]


def test_lag_profiles_computed_together_equal_those_computed_pair_by_pair(plant):
    from rca.ranking import _Profiles

    signals, _, _ = plant
    a, b = _Profiles(signals, pd.Timedelta("5min")), _Profiles(signals, pd.Timedelta("5min"))
    y, xs = signals.columns[-1], list(signals.columns[:-1])
    a.prefetch(xs, y)
    assert all((x, y) in a.cache for x in xs)
    lo, hi = pd.Timedelta("0s"), pd.Timedelta("5min")
    for x in xs:
        pa_, ra = a.p_value(x, y, lo, hi)
        pb, rb = b.p_value(x, y, lo, hi)
        assert pa_ == pytest.approx(pb, rel=1e-9) and (ra == pytest.approx(rb, rel=1e-9) or (np.isnan(ra) and np.isnan(rb)))


def test_stand_in_symptoms_are_ranked_not_hidden(plant):
    # With no symptom named, the strongest changes stand in for it; they may be the cause
    # themselves, so they are candidates (role "stand-in symptom"), not dropped from the list.
    signals, _, info = plant
    r = rank_candidates(signals, signal_info=info, incident_start="2026-03-04T09:10:00Z")
    stand_ins = r[r["role"] == "stand-in symptom"]
    assert set(stand_ins["name"]) == set(r.attrs["settings"]["symptoms"])
    assert (stand_ins["score"] > 0).all()
    first = stand_ins.sort_values("onset").iloc[0]
    assert "the first of them to change" in first["evidence"]
    # with the symptom named, it stays out of the ranking (score 0)
    named = rank_candidates(signals, signal_info=info, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    row = named[named["name"] == "L1.QI103.PV"].iloc[0]
    assert row["role"] == "symptom" and row["score"] == 0


def test_a_stand_in_is_dated_by_the_change_it_was_chosen_for_not_by_the_run_before_it():
    # No symptom named. The quality creeps up in small steps from 08:30 (detected as a ramp that
    # runs into 09:10), then jumps at 09:10, 3 min after the valve stepped. Both are among the
    # strongest changes of the hour before the start and stand in for the symptom. The quality
    # stands in because of its jump; dated by the start of its run it would be "first to
    # change" and rank above the valve, whose step set the jump off.
    rng = np.random.default_rng(3)
    idx, at = _grid()
    n = len(idx)
    valve = 50 + ar1(rng, n, 0.7, 0.3)
    valve[at("09:07:00"):] += 8.0
    quality = 2.0 + ar1(rng, n, 0.8, 0.05)
    for t in ("08:30:00", "08:38:00", "08:46:00", "08:54:00", "09:02:00"):
        quality[at(t):] += 0.3
    quality[at("09:10:00"):] += 4.0
    other = 10 + ar1(rng, n, 0.8, 0.2)
    f = pd.DataFrame({"L1.FV101.PV": valve, "L1.QI103.PV": quality, "L2.PI201.PV": other}, index=idx)
    r = rank_candidates(f, incident_start="2026-03-04T09:15:00Z")
    settings = r.attrs["settings"]
    assert settings["symptom_choice"].startswith("strongest changes")
    assert set(settings["symptoms"]) == {"L1.FV101.PV", "L1.QI103.PV"}
    # the creep was detected and belongs to the quality's run ...
    ramp = rca.detect_changes(f.loc[:"2026-03-04 09:45"]).query("signal == 'L1.QI103.PV' and kind == 'ramp'")
    assert len(ramp) == 1 and ramp["time"].iloc[0] <= pd.Timestamp("2026-03-04 08:31", tz="UTC")
    # ... but the quality is dated by its jump, and the valve comes first
    quality_row = r[r["name"] == "L1.QI103.PV"].iloc[0]
    assert quality_row["onset"] == pd.Timestamp("2026-03-04 09:10", tz="UTC")
    assert settings["symptom_onset"] == "2026-03-04T09:07:00Z"
    assert r["name"].iloc[0] == "L1.FV101.PV"
    assert "the first of them to change" in r["evidence"].iloc[0]


def test_a_stand_in_that_an_earlier_change_of_the_chain_explains_scores_less(monkeypatch):
    # No symptom named. A valve steps at 09:00 by a few sigma; the temperature it feeds (which
    # carries a little of the valve's fluctuation) jumps a minute later and the quality 3 min after
    # that; a backup's traffic ends at 09:05. The three strongest changes stand in for the
    # symptom, the temperature first. The valve links into the temperature's jump, which more
    # likely followed it than started the trouble: the stand-in scores less, and the valve
    # ranks first. Without that discount the temperature's size puts it above the valve.
    import rca.ranking as ranking

    rng = np.random.default_rng(3)
    idx, at = _grid()
    n = len(idx)
    valve, temp, quality = _valve_chain(rng, at, n, step_at="09:00:00", step=1.0, temp_gain=0.08, quality_gain=0.5,
                                        temp_jump=("09:01:00", 6.0))
    backup = 300 + ar1(rng, n, 0.5, 5.0)
    backup[at("09:05:00"):] -= 250
    f = pd.DataFrame({"L1.FV101.PV": valve, "L1.TI102.PV": temp, "L1.QI103.PV": quality,
                      "bkp-01.net_tx_mbps": backup}, index=idx)
    r = rank_candidates(f, incident_start="2026-03-04T09:10:00Z")
    assert set(r.attrs["settings"]["symptoms"]) == {"L1.TI102.PV", "L1.QI103.PV", "bkp-01.net_tx_mbps"}
    assert r["name"].iloc[0] == "L1.FV101.PV"
    temp_row = r[r["name"] == "L1.TI102.PV"].iloc[0]
    assert temp_row["role"] == "stand-in symptom"
    assert "it may have followed the change of L1.FV101.PV" in temp_row["evidence"]

    monkeypatch.setattr(ranking, "STAND_IN_EXPLAINED", 0.0)
    plain = rank_candidates(f, incident_start="2026-03-04T09:10:00Z")
    assert plain["name"].iloc[0] == "L1.TI102.PV"
    score = dict(zip(r["name"], r["score"]))
    plain_score = dict(zip(plain["name"], plain["score"]))
    # only the explained stand-in changes: the backup's traffic has no parent in the chain
    assert score["bkp-01.net_tx_mbps"] == pytest.approx(plain_score["bkp-01.net_tx_mbps"])
    assert score["L1.TI102.PV"] < 0.75 * plain_score["L1.TI102.PV"]
    assert score["L1.FV101.PV"] == pytest.approx(plain_score["L1.FV101.PV"])


def test_of_two_changes_both_at_full_size_the_stronger_scores_higher(monkeypatch):
    # No symptom named. At 09:00 a pump's current jumps by 300 noise sd and a flow collapses by
    # 3000: both stand in for the symptom, and the size factor rates both as full size (it
    # saturates above about 60 sigma). The strength beyond it (ln(1 + strength) with weight
    # STRENGTH_WEIGHT) puts the collapse above the jump; without it the two tie.
    import rca.ranking as ranking

    rng = np.random.default_rng(11)
    idx, at = _grid()
    n = len(idx)
    current = 50 + rng.normal(0, 0.1, n)
    current[at("09:00:00"):] += 30.0
    flow = 800 + rng.normal(0, 0.1, n)
    flow[at("09:00:00"):] -= 300.0
    f = pd.DataFrame({"P101.CURRENT": current, "FT102.PV": flow}, index=idx)
    r = rank_candidates(f, incident_start="2026-03-04T09:05:00Z")
    assert set(r.attrs["settings"]["symptoms"]) == {"P101.CURRENT", "FT102.PV"}
    assert list(r["name"][:2]) == ["FT102.PV", "P101.CURRENT"]
    score = dict(zip(r["name"], r["score"]))
    assert score["FT102.PV"] > 1.15 * score["P101.CURRENT"]

    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "strength", 0.0)
    plain = rank_candidates(f, incident_start="2026-03-04T09:05:00Z")
    plain_score = dict(zip(plain["name"], plain["score"]))
    assert plain_score["FT102.PV"] == pytest.approx(plain_score["P101.CURRENT"])


def test_without_a_symptom_a_change_the_signal_makes_every_hour_does_not_stand_in(monkeypatch):
    # No symptom named. A backup job's traffic jumps by 250 Mbit/s for 10 min every 80 min, the
    # last time at 09:00; a valve steps at 09:00, the temperature it feeds follows a minute later
    # and the quality 3 min after that. The backup's jumps are the strongest changes of the hour,
    # and of every other hour: what the day looks like, not the incident. The new changes stand
    # in for the symptom; without the rule the backup takes one of the three places.
    import rca.ranking as ranking

    rng = np.random.default_rng(5)
    idx, at = _grid()
    n = len(idx)
    valve, temp, quality = _valve_chain(rng, at, n, step_at="09:00:00", step=3.0, temp_gain=0.5, quality_gain=0.5)
    backup = 40 + ar1(rng, n, 0.5, 3.0)
    for start in ("06:20:00", "07:40:00", "09:00:00"):
        backup[at(start):at(start) + 60] += 250
    f = pd.DataFrame({"L1.FV101.PV": valve, "L1.TI102.PV": temp, "L1.QI103.PV": quality,
                      "bkp-01.net_tx_mbps": backup}, index=idx)
    r = rank_candidates(f, incident_start="2026-03-04T09:10:00Z")
    stand_ins = r.attrs["settings"]["symptoms"]
    assert set(stand_ins) == {"L1.FV101.PV", "L1.TI102.PV", "L1.QI103.PV"}, stand_ins
    assert "new (at least 4 times as strong" in r.attrs["settings"]["symptom_choice"]

    monkeypatch.setattr(ranking, "STAND_IN_NEW_FACTOR", 0.0)  # every change counts as new
    plain = rank_candidates(f, incident_start="2026-03-04T09:10:00Z")
    assert "bkp-01.net_tx_mbps" in plain.attrs["settings"]["symptoms"]


def _batch_feed_line(seed: int):
    """A feed flow steps up by 5 for 20 min with every batch (06:50, 07:50) and at 08:56 for the
    batch that is still running; a valve steps at 09:00. The temperature follows both (0.3 x the
    feed, 0.6 x the valve, 1 min later), the quality 3 min after it. 10 s grid, 5 hours."""
    idx, at = _grid()
    rng = np.random.default_rng(seed)
    n = len(idx)
    feed = 40 + ar1(rng, n, 0.7, 0.3)
    for a, b in (("06:50:00", "07:10:00"), ("07:50:00", "08:10:00"), ("08:56:00", None)):
        feed[at(a): at(b) if b else n] += 5.0
    valve = 50 + ar1(rng, n, 0.7, 0.3)
    valve[at("09:00:00"):] += 8.0
    temp = 80 + 0.6 * _lagged(valve - 50, 6) + 0.3 * _lagged(feed - 40, 6) + ar1(rng, n, 0.8, 0.2)
    quality = 2.0 + 0.3 * _lagged(temp - 80, 18) + ar1(rng, n, 0.8, 0.05)
    return pd.DataFrame({"L1.FI104.PV": feed, "L1.FV101.PV": valve, "L1.TI102.PV": temp, "L1.QI103.PV": quality},
                        index=idx)


def test_a_change_the_signal_made_as_strongly_before_scores_less(monkeypatch):
    # The feed's step at 08:56 comes first and reaches the temperature, but the feed made the
    # same step at 06:50 and 07:50: routine for it. The valve's step at 09:00 is new.
    import rca.ranking as ranking

    f = _batch_feed_line(seed=2)
    kwargs = dict(incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    r = rank_candidates(f, **kwargs)
    terms = dict(zip(r["name"], r.attrs["score_terms"]))
    assert terms["L1.FI104.PV"]["habitual"] == 1.0 and terms["L1.FV101.PV"]["habitual"] == 0.0
    feed = r.set_index("name").loc["L1.FI104.PV"]
    assert "it changed as strongly before, at 06:50:00" in feed["evidence"]
    assert "routine for this signal, so it scores x 0.5" in feed["evidence"]
    assert r.iloc[0]["name"] == "L1.FV101.PV"
    # The earlier batches a tenth as big: the step at 08:56 is new.
    small = f.copy()
    for a, b in (("06:50", "07:10"), ("07:50", "08:10")):
        small.loc[pd.Timestamp(f"2026-03-04 {a}", tz="UTC"):pd.Timestamp(f"2026-03-04 {b}", tz="UTC")
                  - pd.Timedelta("10s"), "L1.FI104.PV"] -= 4.5
    weak = rank_candidates(small, **kwargs)
    assert dict(zip(weak["name"], weak.attrs["score_terms"]))["L1.FI104.PV"]["habitual"] == 0.0

    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "habitual", 0.0)  # the rule off
    off = rank_candidates(f, **kwargs)
    assert off.iloc[0]["name"] == "L1.FI104.PV"
    assert float(feed["score"]) == pytest.approx(
        float(off.set_index("name").loc["L1.FI104.PV", "score"]) * ranking.HABITUAL_FACTOR, rel=1e-9)


def test_a_setpoints_measured_variable_and_its_move_in_the_noise_of_its_measurement():
    from rca.ranking import _measured_variable, _setpoint_move_in_noise

    assert _measured_variable("TIC_131_SP") == _measured_variable("TT_131") == "T"
    assert _measured_variable("L1.HTST2.TIC131.SP") == _measured_variable("L1.HTST2.TT131.PV") == "T"
    assert _measured_variable("2PAB20DT131_SW") == _measured_variable("2PAB20CT131") == "T"  # KKS
    assert _measured_variable("PDT125") == "PD" and _measured_variable("Unit/FFIC-201.SP") == "FF"
    assert _measured_variable("gw-01.cpu_pct") is None
    idx = pd.date_range(T0, periods=400, freq="10s")
    rng = np.random.default_rng(0)
    destepped = pd.DataFrame({"L1.TIC101.SP": 0.0, "L1.TT101.PV": rng.normal(0, 2.0, 400),
                              "Unit/FFIC-201.SP": 0.0, "Unit/FT-201": rng.normal(0, 1.0, 400),
                              "2PAB20DT131_SW": 0.0, "2PAB20CT131": rng.normal(0, 0.5, 400)}, index=idx)
    move, pv = _setpoint_move_in_noise("L1.TIC101.SP", -3.0, destepped)
    assert pv == "L1.TT101.PV" and move == pytest.approx(3.0 / np.std(destepped["L1.TT101.PV"]))
    move, pv = _setpoint_move_in_noise("2PAB20DT131_SW", 1.0, destepped)
    assert pv == "2PAB20CT131" and move == pytest.approx(1.0 / np.std(destepped["2PAB20CT131"]))
    # a flow-ratio controller's setpoint is not in the units of the flow it shares a number with
    assert _setpoint_move_in_noise("Unit/FFIC-201.SP", 5.0, destepped) is None
    assert _setpoint_move_in_noise("L1.TT101.PV", 5.0, destepped) is None  # not a setpoint
    assert _setpoint_move_in_noise("L1.TIC101.SP", float("nan"), destepped) is None


def test_a_setpoint_trim_is_sized_by_the_move_it_asks_of_its_measurement(monkeypatch):
    # A setpoint is constant between its steps, so the detector finds a trim of +0.3 degC as
    # "strong" as a flow setpoint's step of 12 % (both +3.5 sigma here). What a step can do to
    # the process is the move it asks of its measurement, against how much that measurement
    # varies anyway: the trim is a third of the temperature's normal variation, the flow step
    # eleven times the flow's. The trim's size, and with it its score, is small.
    import rca.ranking as ranking

    rng = np.random.default_rng(0)
    idx, at = _grid()
    n = len(idx)
    tsp = np.full(n, 75.0)
    tsp[at("08:58:00"):] += 0.3
    wander = ar1(rng, n, 0.995, 0.1)
    short = ar1(rng, n, 0.5, 0.03)
    tt = 75.0 + wander + short
    tt[at("08:58:30"):] += 0.3
    fsp = np.full(n, 100.0)
    fsp[at("09:03:00"):] += 12.0
    ft = 100.0 + ar1(rng, n, 0.7, 0.8)
    ft[at("09:03:20"):] += 12.0
    q = 5.0 + ar1(rng, n, 0.8, 0.05) + 0.01 * np.roll(ft - 100, 6) + 2.0 * np.roll(short, 6)
    q[at("09:05:00"):] += 0.6
    f = pd.DataFrame({"L1.TIC101.SP": tsp, "L1.TT101.PV": tt, "L1.FIC201.SP": fsp, "L1.FT201.PV": ft,
                      "L1.QI301.PV": q}, index=idx)
    kw = dict(incident_start="2026-03-04T09:15:00Z", symptom="L1.QI301.PV")
    r = rank_candidates(f, **kw)
    ev = dict(zip(r["name"], r["evidence"]))
    trim = re.search(r"a setpoint move of ([0-9.]+) x the normal variation of L1\.TT101\.PV", ev["L1.TIC101.SP"])
    step = re.search(r"a setpoint move of ([0-9.]+) x the normal variation of L1\.FT201\.PV", ev["L1.FIC201.SP"])
    assert trim and step and float(trim.group(1)) < 1 and float(step.group(1)) > 5
    assert r["name"].iloc[0] == "L1.FIC201.SP"

    monkeypatch.setattr(ranking, "SETPOINT_SIZE_SCALE", 1e-9)  # every setpoint step full size
    plain = rank_candidates(f, **kw)
    score, plain_score = dict(zip(r["name"], r["score"])), dict(zip(plain["name"], plain["score"]))
    assert score["L1.TIC101.SP"] < 0.6 * plain_score["L1.TIC101.SP"]
    # the flow step, 11 sd of its flow, keeps a size factor of 0.5 + 0.5 x (1 - exp(-11 / 10)) = 0.83
    assert score["L1.FIC201.SP"] > 0.75 * plain_score["L1.FIC201.SP"]
    assert score["L1.FT201.PV"] == pytest.approx(plain_score["L1.FT201.PV"])  # not a setpoint


def test_an_action_just_before_a_stand_ins_change_is_ranked_as_its_trigger():
    # No symptom named. A gateway's latency jumps at 09:05, 50 s after a firmware change record
    # on that gateway; it is one of the strongest changes and stands in for the symptom. A valve
    # step at 09:02 starts a separate chain to the temperature and the quality. The change
    # record is a candidate for what set off the stand-in's jump, as it would be for a member of
    # the chain (before, only the chain's members anchored events and it was not ranked at all).
    rng = np.random.default_rng(5)
    idx, at = _grid()
    n = len(idx)
    lat = 20 + ar1(rng, n, 0.5, 1.0)
    lat[at("09:05:00"):] += 40.0
    valve, temp, quality = _valve_chain(rng, at, n, step_at="09:02:00", step=3.0, temp_gain=0.6, quality_gain=0.3,
                                        temp_jump=("09:08:00", 6.0))
    f = pd.DataFrame({"gw-01.latency_ms": lat, "L1.FV101.PV": valve, "L1.TI102.PV": temp, "L1.QI103.PV": quality},
                     index=idx)
    events = pd.DataFrame({
        "time": pd.to_datetime(["2026-03-04 09:04:10", "2026-03-04 08:20:00"], utc=True), "end": pd.NaT,
        "source": ["gw-01", "ad-01"], "kind": ["change", "login"],
        "message": ["CHG0101 gateway firmware update", "User logged on"], "severity": "", "domain": ["IT", "IT"],
        "origin": "events",
    })
    info = pd.DataFrame({"domain": ["IT", "OT", "OT", "OT"]}, index=pd.Index(f.columns, name="signal"))
    r = rank_candidates(f, events=events, signal_info=info, incident_start="2026-03-04T09:15:00Z")
    assert "gw-01.latency_ms" in r.attrs["settings"]["symptoms"]
    assert r.attrs["settings"]["origin"] == "L1.FV101.PV"
    rank = dict(zip(r["name"], r["rank"]))
    trigger = r[r["name"] == "gw-01"].iloc[0]
    assert trigger["role"] == "trigger"
    assert "before the change of gw-01.latency_ms at 09:05:00" in trigger["evidence"]
    assert rank["gw-01"] < rank["gw-01.latency_ms"]
    assert "ad-01" not in rank or rank["ad-01"] > rank["gw-01.latency_ms"]


def test_device_names_from_signal_info_win_over_the_name():
    from rca.ranking import _device

    devices = {"opcgw03/vm.memory.utilization": "opcgw03", "opcgw03/opcua.publish.latency": "opcgw03"}
    # From the names alone the dots of the metric keys hide the host...
    assert _device("opcgw03/vm.memory.utilization") != _device("opcgw03/opcua.publish.latency")
    # ...which the loader knows from the export's host column.
    assert _device("opcgw03/vm.memory.utilization", devices) == _device("opcgw03/opcua.publish.latency", devices)
    assert _device("L1.FIC101.SP", devices) == "L1.FIC101"  # no entry: the name rule
    # A last part with digits is a tag, not an attribute: two tags of one unit are two devices.
    assert _device("Pasteuriser/HTST3/TT-122") == "Pasteuriser/HTST3/TT-122"
    assert _device("Pasteuriser/HTST3/TT-122") != _device("Pasteuriser/HTST3/TR-133")
    assert _device("Pasteuriser/HTST3/TIC-131.SP") == "Pasteuriser/HTST3/TIC-131"
    assert _device("Area/Unit/TT101/PV") == "Area/Unit/TT101"
    assert _device("gw-01.cpu_pct") == _device("gw-01.latency_ms") == "gw-01"
    assert _device("PetSite.latency_p90") == _device("PetSite.requests_Sum") == "PetSite"  # digits in a metric
    assert _device("WTW:AT102") == "WTW:AT102" and _device("Intake/RWP/FIC-101") == "Intake/RWP/FIC-101"


def test_tags_of_one_control_loop_share_a_device():
    from rca.ranking import _loop, _same_device

    # ISA-5.1: the first letter is the measured variable, the number the loop.
    assert _same_device("L2.HTST3.FIC103.SP", "L2.HTST3.FT103.PV")
    assert _same_device("Pasteuriser/HTST3/TIC-131.SP", "Pasteuriser/HTST3/TT-131")
    assert _same_device("TIC_150_SP", "TT_150") and _same_device("Area/Unit/TIC101/SP", "Area/Unit/TV101/OUT")
    assert _same_device("Coagulation/CDS/FFIC-201.SP", "Coagulation/CDS/FT-201")  # ratio flow: F first
    assert not _same_device("TIC_150_SP", "TT_151")  # another loop
    assert not _same_device("L2.HTST3.TT131.PV", "L2.HTST3.FT131.PV")  # another variable
    assert not _same_device("L1.HTST3.TT131.PV", "L2.HTST3.TT131.PV")  # another unit
    # KKS: measuring (C) and closed-loop control (D) circuits of one variable and number.
    assert _same_device("2PAB20DT131_SW", "2PAB20CT131")
    assert not _same_device("2PAB20DT131_SW", "2PAB20CP131") and not _same_device("2PAB20CT131", "2PAB30CT131")
    # Host and metric names are not loops, even with digits (gw-01, srv001, HIST01)...
    assert _loop("gw-01.cpu_pct") is None and _loop("srv001/cpu") is None and _loop("HIST01/cpu") is None
    assert _loop("opcgw03/vm.memory.utilization") is None and _loop("XMEAS(1)") is None
    # ...and unit names with one digit are not tags (HTST3, GLY1).
    assert _loop("L2.HTST3") is None and _loop("L2.HTST3.TT131.PV") == ("L2/HTST3", "T", "131")
    # The export's device column decides where it names one.
    devices = {"TT_150": "panel-7"}
    assert not _same_device("TIC_150_SP", "TT_150", devices)


def test_an_operator_action_on_a_loop_of_the_chain_counts_as_from_its_device():
    # TT_150 (a loop's transmitter) is in the chain; the operator changed TIC_150's setpoint
    # 40 s before TT_150 moved. The source TIC_150 is no signal's device by name, but it is
    # the same temperature loop 150.
    from rca.ranking import _devices_of, _loop, _score_events

    assert _loop("TIC_150") == _loop("TT_150") and _loop("TIC_150") != _loop("TT_151")
    t_change = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    events = pd.DataFrame({
        "time": pd.to_datetime(["2026-03-04 08:59:20"], utc=True), "source": ["TIC_150"],
        "kind": ["SP_CHANGE"], "message": ["TIC_150 setpoint 4.0 -> 4.5 degC"], "severity": "", "domain": "OT",
    })
    args = dict(sym_time=pd.Timestamp("2026-03-04 09:10", tz="UTC"), lo=T0, hi=pd.Timestamp("2026-03-04 10:00", tz="UTC"),
                lead=pd.Timedelta("15min"), step=pd.Timedelta("10s"), classes=None, root_score=1.0, tz="UTC",
                root_domain="OT", root_name="TT_150")
    by_name = _score_events(events, [(t_change, "mean")], chain_devices={"TT_150"}, anchor_devices={"TT_150"}, **args)
    by_loop = _score_events(events, [(t_change, "mean")], chain_devices={"TT_150"}, **args)  # TT_150's own
    assert _devices_of("TT_150") == {"TT_150", _loop("TT_150")}
    assert len(by_name) == len(by_loop) == 1
    assert by_loop[0]["link"] > by_name[0]["link"]  # the device factor applies


def test_an_event_from_another_device_of_the_chain_is_a_suspect_only_where_it_acted_on_that_device():
    # An analyser stepped at 09:00; 3 min before, a database server of the chain (its CPU is a
    # member) had a firmware update. Where the server's CPU moved only 40 min after the update,
    # the update is judged like any other source's (among all such records, from the other
    # domain); where it moved a minute after, the update visibly did something, and the server
    # is a specific suspect as if it were the analyser's own device.
    from rca.ranking import _Change, _change_times_by_device, _score_events

    lo, hi = pd.Timestamp("2026-03-04 05:00", tz="UTC"), pd.Timestamp("2026-03-04 10:00", tz="UTC")
    t0 = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    rows = [("mesdb02", t0 - pd.Timedelta("3min"))] + [(f"srv{k}", lo + pd.Timedelta(minutes=17 * k)) for k in range(1, 12)]
    events = pd.DataFrame({"time": [t for _, t in rows], "source": [s for s, _ in rows], "kind": "config",
                           "message": "firmware update", "severity": "", "domain": "IT"})

    def link(cpu_moved_at):
        runs = {"mesdb02/cpu": [_Change("mesdb02/cpu", cpu_moved_at, cpu_moved_at, cpu_moved_at, 20.0, 8.0, "mean",
                                        cpu_moved_at, cpu_moved_at)]}
        scored = _score_events(events, [(t0, "mean")], t0 + pd.Timedelta("5min"), lo, hi, pd.Timedelta("15min"),
                               pd.Timedelta("10s"), None, 1.0, "UTC", chain_devices={"mesdb02", "AT_202"},
                               root_domain="OT", root_name="AT_202", device_changes=_change_times_by_device(runs))
        return {r["name"]: r["link"] for r in scored}["mesdb02"]

    late, acted = link(t0 + pd.Timedelta("37min")), link(t0 - pd.Timedelta("2min"))
    assert late < 0.2 < 0.5 < acted, (late, acted)
    # Without the device's change times, only the analyser's own device would be a suspect.
    none = _score_events(events, [(t0, "mean")], t0 + pd.Timedelta("5min"), lo, hi, pd.Timedelta("15min"),
                         pd.Timedelta("10s"), None, 1.0, "UTC", chain_devices={"mesdb02", "AT_202"},
                         root_domain="OT", root_name="AT_202")
    assert {r["name"]: r["link"] for r in none}["mesdb02"] == pytest.approx(late)


def test_a_setpoint_stepped_inside_an_averaging_interval_is_still_a_command():
    # A historian's 1-min means of a setpoint stepped at 09:40:12: 50 until 09:39, 58 for the
    # minute of the step (the average), 60 from 09:41. The step is as exact as at the native
    # rate; a measurement that overshoots is not one.
    from rca.changepoints import detect_changes
    from rca.ranking import _quiet_changes

    idx = pd.date_range("2026-03-04 09:00", periods=80, freq="60s", tz="UTC")
    sp = np.r_[np.full(40, 50.0), 50.0 + 10.0 * 48 / 60, np.full(39, 60.0)]
    rng = np.random.default_rng(1)
    pv = np.r_[np.full(40, 50.0), 63.0, np.full(39, 60.0)] + rng.normal(0, 0.2, 80)
    frame = pd.DataFrame({"TIC-131.SP": sp, "TT-131.PV": pv}, index=idx)
    changes = detect_changes(frame)
    quiet = _quiet_changes(frame, changes)
    sp_changes = changes["signal"] == "TIC-131.SP"
    assert sp_changes.sum() >= 1 and quiet[sp_changes].all()
    assert not quiet[changes["signal"] == "TT-131.PV"].any()
    # Without the averaged sample in between it is the plain exact step.
    frame.loc[idx[40], "TIC-131.SP"] = 60.0
    changes = detect_changes(frame)
    assert _quiet_changes(frame, changes)[changes["signal"] == "TIC-131.SP"].all()
    # A drive's speed with one value in between moved there (it ramped within the sample): only
    # a setpoint's in-between value is taken for an average.
    drive = pd.DataFrame({"SC-102": np.r_[np.full(40, 40.0), 45.0, np.full(39, 50.0)]}, index=idx)
    changes = detect_changes(drive)
    assert len(changes) >= 1 and not _quiet_changes(drive, changes).any()


def test_a_setpoint_step_is_not_the_sign_that_an_action_acted_on_its_loop():
    # An analyser stepped at 09:00; 3 min before, an operator trimmed the setpoint of another
    # loop of the chain (U2.TIC140). The setpoint tag stepping right after the trim is the trim
    # itself, written down: it does not show that the loop answered, so the trim is judged
    # like any other operator action. Where the loop's measurement moved a minute after, it is
    # a specific suspect, as if it were the analyser's own device.
    from rca.ranking import _Change, _change_times_by_device, _score_events

    lo, hi = pd.Timestamp("2026-03-04 05:00", tz="UTC"), pd.Timestamp("2026-03-04 10:00", tz="UTC")
    t0 = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    trim = t0 - pd.Timedelta("3min")
    rows = [("U2.TIC140", trim)] + [(f"U{k}.FIC{100 + k}", lo + pd.Timedelta(minutes=17 * k)) for k in range(3, 14)]
    events = pd.DataFrame({"time": [t for _, t in rows], "source": [s for s, _ in rows], "kind": "SP_CHANGE",
                           "message": "setpoint changed", "severity": "", "domain": "OT"})
    moved = trim + pd.Timedelta("10s")

    def change(name):
        return [_Change(name, moved, moved, moved, 20.0, 8.0, "mean", moved, moved)]

    def link(runs):
        scored = _score_events(events, [(t0, "mean")], t0 + pd.Timedelta("5min"), lo, hi, pd.Timedelta("15min"),
                               pd.Timedelta("10s"), None, 1.0, "UTC", chain_devices={("U2", "T", "140"), "AT_202"},
                               root_domain="OT", root_name="AT_202", device_changes=_change_times_by_device(runs))
        return {r["name"]: r["link"] for r in scored}["U2.TIC140"]

    assert _change_times_by_device({"U2.TIC140.SP": change("U2.TIC140.SP")}) == {}
    assert "core" in _change_times_by_device({"core/port_sw": change("core/port_sw")})  # an IT metric, no setpoint
    written, answered = link({"U2.TIC140.SP": change("U2.TIC140.SP")}), link({"U2.TT140.PV": change("U2.TT140.PV")})
    assert written == pytest.approx(link({})) and written < 0.5 < answered, (written, answered)


def test_an_operators_trim_is_no_specific_suspect_for_an_it_metric_through_its_loop():
    # 3 min before a gateway's memory began to climb, an operator trimmed a loop of the chain
    # (U2.TIC140), and the loop's temperature answered 10 s later. Against an analyser's step
    # (OT) the trim is a specific suspect: it visibly acted on the process. Against the
    # gateway's memory (IT) it is judged like any other operator action: a server does not
    # answer a setpoint. A change record on a server of the chain that acted on it still is
    # a suspect for the analyser (the other way round, IT acts on the process).
    from rca.ranking import _Change, _change_times_by_device, _score_events

    lo, hi = pd.Timestamp("2026-03-04 05:00", tz="UTC"), pd.Timestamp("2026-03-04 10:00", tz="UTC")
    t0 = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    trim = t0 - pd.Timedelta("3min")
    rows = [("U2.TIC140", trim, "OT")] + [(f"U{k}.FIC{100 + k}", lo + pd.Timedelta(minutes=17 * k), "OT")
                                           for k in range(3, 14)] + [("mesdb02", trim, "IT")]
    events = pd.DataFrame({"time": [t for _, t, _ in rows], "source": [s for s, _, _ in rows],
                           "kind": ["SP_CHANGE"] * 12 + ["config"], "message": "changed", "severity": "",
                           "domain": [d for _, _, d in rows]})
    moved = trim + pd.Timedelta("10s")
    answered = {x: [_Change(x, moved, moved, moved, 20.0, 8.0, "mean", moved, moved)]
                for x in ("U2.TT140.PV", "mesdb02/cpu")}

    def link(source, anchor, domain, runs=answered):
        scored = _score_events(events, [(t0, "mean")], t0 + pd.Timedelta("5min"), lo, hi, pd.Timedelta("15min"),
                               pd.Timedelta("10s"), None, 1.0, "UTC",
                               chain_devices={("U2", "T", "140"), "mesdb02", anchor},
                               root_domain=domain, root_name=anchor, device_changes=_change_times_by_device(runs))
        return {r["name"]: r["link"] for r in scored}[source]

    on_process, on_gateway = link("U2.TIC140", "AT_202", "OT"), link("U2.TIC140", "gw03/mem_used_percent", "IT")
    assert on_gateway < 0.2 < 0.5 < on_process, (on_gateway, on_process)
    # Against the gateway it is judged as if its loop had not answered at all.
    assert on_gateway == pytest.approx(link("U2.TIC140", "gw03/mem_used_percent", "IT", runs={}))
    assert link("mesdb02", "AT_202", "OT") > 0.5


def test_a_change_followed_by_a_steady_rise_is_under_way_until_the_next_change():
    from rca.ranking import _under_way_until

    t = pd.to_datetime(["2026-03-04 07:30", "2026-03-04 08:00", "2026-03-04 08:30", "2026-03-04 09:00",
                        "2026-03-04 08:00", "2026-03-04 09:00", "2026-03-04 08:00", "2026-03-04 08:40"], utc=True)
    changes = pd.DataFrame({
        "signal": ["gw.mem"] * 4 + ["TT-101"] * 2 + ["gw.cpu"] * 2,
        "time": t, "kind": ["ramp", "mean", "mean", "ramp end", "mean", "mean", "mean", "mean"],
        # gw.mem: filling from 07:30 (50 -> 65), 08:00 drop to 60, rising again to 75 by 08:30
        # (a sloped stretch that goes on the way the stretch before it went), 08:30 drop to 70,
        # level until 09:00. TT-101: 08:00 step up to 12, then a slow return to 9 by 09:00:
        # the movement after the step goes back, it is over. gw.cpu: a jump to 20 that goes on
        # climbing, to 30 by 08:40.
        "before": [50.0, 65.0, 75.0, 70.0, 10.0, 9.0, 10.0, 30.0],
        "after": [50.0, 60.0, 70.0, 70.0, 12.0, 9.0, 20.0, 30.0],
        "sigma_after": [0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 1.0, 1.0],
        "end": [t[1], pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT, pd.NaT],
    })
    until = _under_way_until(changes)
    assert until.iloc[0] == t[1]  # a ramp: its own end
    assert until.iloc[1] == t[2]  # a drop inside a filling: still moving until the next change
    assert until.iloc[2] == t[2]  # a level stretch: a step
    assert until.iloc[4] == t[4]  # a step followed by a slow return: a step
    assert until.iloc[6] == t[7]  # a jump that goes on climbing
    # Without the stretch before it, a drop followed by a rise is a step: nothing says that
    # the signal was moving that way.
    assert _under_way_until(changes.iloc[1:]).loc[1] == t[1]


def test_an_action_just_before_a_later_change_of_the_chain_is_ranked_as_its_trigger(plant):
    # The temperature follows the valve 1 min later; a configuration push on the temperature
    # loop's controller 30 s before the temperature moved came after the origin's change, so it
    # cannot have triggered the origin, but it may have triggered the temperature's change.
    signals, events, info = plant
    push = pd.DataFrame({"time": [pd.Timestamp("2026-03-04 09:00:35", tz="UTC")], "end": pd.NaT,
                         "source": ["L1.TI102"], "kind": ["config"], "message": ["controller parameters downloaded"],
                         "severity": "", "domain": "OT", "origin": "events"})
    more = pd.concat([events, push]).sort_values("time").reset_index(drop=True)
    r = rank_candidates(signals, events=more, signal_info=info, incident_start="2026-03-04T09:10:00Z",
                        symptom="L1.QI103.PV").set_index("name")
    assert r.loc["L1.TI102", "type"] == "event" and r.loc["L1.TI102", "role"] == "trigger"
    assert r.loc["L1.TI102", "score"] > r.loc["L1.TI102.PV", "score"]
    assert "before the change of L1.TI102.PV" in r.loc["L1.TI102", "evidence"]
    # The origin's own trigger is still scored as the trigger of the chain's first change.
    assert "before the first change of the chain" in r.loc["scada-01", "evidence"]
    # An unlikely trigger of a later change stays below that change (a lower lift than the origin's).
    late = rank_candidates(signals, events=pd.concat([events, push.assign(source="print-02", domain="IT")]),
                           signal_info=info, incident_start="2026-03-04T09:10:00Z",
                           symptom="L1.QI103.PV").set_index("name")
    assert late.loc["print-02", "link"] < r.loc["L1.TI102", "link"]
    assert 0.5 < late.loc["print-02", "link"] < 0.75  # would outrank the origin, not a later change
    assert late.loc["print-02", "score"] < late.loc["L1.TI102.PV", "score"]


def test_the_order_and_index_of_the_events_frame_do_not_matter(plant):
    signals, events, info = plant
    kw = dict(signal_info=info, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    ref = rank_candidates(signals, events=events, **kw)
    shuffled = events.sample(frac=1.0, random_state=3)
    shuffled.index = [0] * len(shuffled)  # repeated labels, as pd.concat leaves them
    pd.testing.assert_frame_equal(rank_candidates(signals, events=shuffled, **kw), ref)
    # The same for a changes table passed in with repeated index labels.
    changes = rca.detect_changes(signals)
    given = rank_candidates(signals, events=events, changes=changes, **kw)
    changes.index = [0] * len(changes)
    pd.testing.assert_frame_equal(rank_candidates(signals, events=events, changes=changes, **kw), given)


def _loop_with_trim(trim_follows: bool, seed: int = 0):
    """A flow drops by 30 at 09:04 and the temperature it feeds falls 1 min later (by about
    4.5 degC); the operator trims that temperature loop's setpoint by +0.2 at 09:04:30. With
    ``trim_follows`` the temperature instead rises by the trim and the flow drop does nothing."""
    rng = np.random.default_rng(seed)
    idx, at = _grid()
    n = len(idx)
    flow = 120 + ar1(rng, n, 0.7, 0.5)
    flow[at("09:04:00"):] -= 30.0
    sp = np.full(n, 75.4)
    sp[at("09:04:30"):] = 75.6
    if trim_follows:
        temp = 75.4 + 0.2 * (np.arange(n) >= at("09:05:00")) + ar1(rng, n, 0.8, 0.01)
    else:
        temp = 75.4 + 0.15 * np.roll(flow - 120, 6) + ar1(rng, n, 0.8, 0.05)
    other = 10 + ar1(rng, n, 0.8, 0.2)
    other[at("08:40:00"):] += 2.0
    return pd.DataFrame({"U1.FT123.PV": flow, "U1.TIC131.SP": sp, "U1.TT131.PV": temp, "U2.PT201.PV": other},
                        index=idx)


def test_a_setpoint_explains_only_a_move_of_its_measurement_that_it_could_have_caused():
    from rca.ranking import _attribute, _follows_setpoint

    assert _attribute("L3.HTST1.TIC131.SP") == "SP" and _attribute("TIC_150_SP") == "SP"
    assert _attribute("2PAB20DT131_SW") == "SW" and _attribute("Area/Unit/TT-131") == ""
    assert _attribute("L3.HTST1.TT131.PV") == "PV" and _attribute("gw-01.cpu_pct") == ""
    sp, pv = "L3.HTST1.TIC131.SP", "L3.HTST1.TT131.PV"
    assert _follows_setpoint(sp, pv, 0.2, 0.25) is True  # followed, with some overshoot
    assert _follows_setpoint(sp, pv, 0.2, -3.0) is False  # the other way
    assert _follows_setpoint(sp, pv, 0.2, 3.0) is False  # 15 times the step
    assert _follows_setpoint("L3.HTST1.TIC131.OUT", pv, 5.0, -3.0) is None  # an output: other units
    assert _follows_setpoint("L3.HTST1.TIC122.SP", pv, 0.2, -3.0) is None  # another loop
    assert _follows_setpoint(sp, pv, 0.2, float("nan")) is None

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="U1.TT131.PV")
    # The trim of +0.2 does not explain a fall of 4.5 degC: no "same device" link, and the
    # flow drop that did it ranks far above the trim.
    r = rank_candidates(_loop_with_trim(False), **kw).set_index("name")
    assert r.loc["U1.FT123.PV", "rank"] == 1
    assert "same device" not in r.loc["U1.TIC131.SP", "evidence"]
    assert "did not follow this setpoint step" in r.loc["U1.TIC131.SP", "evidence"]
    assert r.loc["U1.TIC131.SP", "score"] < 0.5 * r.loc["U1.FT123.PV", "score"]
    # A measurement that followed its setpoint keeps the loop's link.
    r = rank_candidates(_loop_with_trim(True), **kw).set_index("name")
    assert r.loc["U1.TIC131.SP", "rank"] == 1 and "same device" in r.loc["U1.TIC131.SP", "evidence"]


def test_a_change_inside_the_symptoms_onset_interval_is_a_candidate_not_a_consequence():
    # The flow drops at 09:03 and the temperature follows. The symptom's first change is put
    # at 09:02 with a 95 % onset interval of 08:58..09:06 (a fitted ramp of a slow departure
    # can start before its cause did): the flow drop lies inside it.
    signals = _loop_with_trim(False).drop(columns=["U1.TIC131.SP"])
    changes = rca.detect_changes(signals)
    sym = changes.index[(changes["signal"] == "U1.TT131.PV")][changes.loc[changes["signal"] == "U1.TT131.PV",
                                                                          "time"].argmin()]
    changes.loc[sym, ["time", "time_lo"]] = [pd.Timestamp("2026-03-04 09:02", tz="UTC"),
                                             pd.Timestamp("2026-03-04 08:58", tz="UTC")]
    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="U1.TT131.PV")
    wide = changes.copy()
    wide.loc[sym, "time_hi"] = pd.Timestamp("2026-03-04 09:06", tz="UTC")
    r = rank_candidates(signals, changes=wide, **kw).set_index("name")
    assert r.loc["U1.FT123.PV", "rank"] == 1 and r.loc["U1.FT123.PV", "role"] == "origin"
    assert "within the uncertainty of its onset" in r.loc["U1.FT123.PV", "evidence"]
    # Had the symptom's onset been certain, the flow drop would have come after it.
    narrow = changes.copy()
    narrow.loc[sym, "time_hi"] = pd.Timestamp("2026-03-04 09:02", tz="UTC")
    r = rank_candidates(signals, changes=narrow, **kw).set_index("name")
    assert r.loc["U1.FT123.PV", "role"] == "after symptom"


def test_timing_evidence_weighs_how_strong_and_how_close_a_change_is():
    from rca.ranking import _Change, _chance_rate, _hop_evidence

    strengths = np.sort(np.array([3.0, 4.0, 5.0, 6.0, 120.0]))
    span = 8 * 3600.0
    assert _chance_rate(strengths, 120.0, span) == pytest.approx(1 / span)  # the strongest of the day
    assert _chance_rate(strengths, 3.0, span) == pytest.approx(5 / span)  # as common as any change
    assert _chance_rate(strengths, 500.0, span) == pytest.approx(1 / span)  # never below one change

    class NoCofluctuation:
        def p_value(self, *args):
            return 1.0, float("nan")

    t0 = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    t_y = t0 + pd.Timedelta("1min")
    step = pd.Timedelta("10s")

    def timing(end):
        x = _Change("x", t0, t0, t0, 50.0, 50.0, "ramp", t0, end)
        lag = max(t_y - x.end, pd.Timedelta(0))
        return _hop_evidence("x", "y", x, lag, t_y, t_y, 1 / span, step, NoCofluctuation(), t_y=t_y)["timing"]

    # A ramp that began 1 min before y is as close to y's onset whether it went on for 2 min
    # or for 2 hours after y began; one that began and ended long before is not close.
    assert timing(t0 + pd.Timedelta("2min")) == pytest.approx(timing(t0 + pd.Timedelta("2h")))
    assert timing(t0 + pd.Timedelta("2min")) == pytest.approx(-np.log((60 + 10) / span))
    # A rarer (stronger) change is more evidence than a common one at the same distance.
    x = _Change("x", t0, t0, t0, 50.0, 50.0, "mean", t0, t0)
    rare = _hop_evidence("x", "y", x, t_y - t0, t_y, t_y, 1 / span, step, NoCofluctuation(), t_y=t_y)["timing"]
    common = _hop_evidence("x", "y", x, t_y - t0, t_y, t_y, 30 / span, step, NoCofluctuation(), t_y=t_y)["timing"]
    assert rare - common == pytest.approx(np.log(30))


def test_journal_comments_are_routine():
    assert classify_event("COMMENT", "Shift handover notes updated") == "routine"
    assert classify_event("note", "Lab sample taken") == "routine"
    assert classify_event("SP_CHANGE", "TIC_131 setpoint 75.4 -> 75.6") == "action"


def _noisy_signal_beside_a_trim():
    """The loop of :func:`_loop_with_trim` without its setpoint, a noisy signal that rises by 12
    at 09:04 (``out``), the ranking's arguments and the ranking with that signal named as a
    measurement ``U9.XI999.PV``: (signals, out, kw, ranking by name)."""
    signals = _loop_with_trim(False).drop(columns=["U1.TIC131.SP"])
    rng = np.random.default_rng(5)
    out = 40 + ar1(rng, len(signals), 0.7, 0.3)
    out[signals.index >= pd.Timestamp("2026-03-04 09:04", tz="UTC")] += 12.0
    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="U1.TT131.PV")
    as_pv = rank_candidates(signals.assign(**{"U9.XI999.PV": out}), **kw).set_index("name")
    return signals, out, kw, as_pv


def test_a_controller_output_that_compensates_is_not_taken_for_the_origin():
    import math

    from rca.ranking import CONTROLLER_OUTPUT_FACTOR, HAND_SET_WEIGHTS, SCORE_WEIGHTS, _is_controller_output

    assert _is_controller_output("PK5.FIC391.OUT") and _is_controller_output("EX2_FIC457.OUT")
    assert _is_controller_output("TIC_150_OUT") and _is_controller_output("Unit/PIC801/OP")
    # IT metrics that happen to end like an attribute, setpoints and measurements are not.
    assert not _is_controller_output("disk.read_op") and not _is_controller_output("gw-01.cpu_pct")
    assert not _is_controller_output("L2.HTST3.TIC131.SP") and not _is_controller_output("XMV(3)")

    # The same signal under two names: as a measurement, and as a controller's output that
    # moved (noisily, not an exact step) with the disturbance. Only its score changes.
    signals, out, kw, as_pv = _noisy_signal_beside_a_trim()
    as_out = rank_candidates(signals.assign(**{"U9.XIC999.OUT": out}), **kw).set_index("name")
    assert as_pv.loc["U9.XI999.PV", "role"] in ("origin", "chain")
    factor = math.exp(SCORE_WEIGHTS["controller_output"])
    assert factor < 1 and HAND_SET_WEIGHTS["controller_output"] == pytest.approx(math.log(CONTROLLER_OUTPUT_FACTOR))
    assert as_out.loc["U9.XIC999.OUT", "score"] == pytest.approx(factor * as_pv.loc["U9.XI999.PV", "score"])
    assert as_out.loc["U1.FT123.PV", "rank"] == 1
    assert "controller's output" in as_out.loc["U9.XIC999.OUT", "evidence"]
    assert "controller's output" not in as_pv.loc["U9.XI999.PV", "evidence"]


def test_a_setpoint_that_moves_all_the_time_is_scored_as_a_controller_output():
    import math

    from rca.ranking import SCORE_WEIGHTS, _setpoint_written_by_controller

    # The same noisy signal under two names: as a measurement, and as the setpoint of a cascade's
    # slave loop, written by its master (moving before its change, not held by hand).
    signals, out, kw, as_pv = _noisy_signal_beside_a_trim()
    as_sp = rank_candidates(signals.assign(**{"U9.XIC999.SP": out}), **kw).set_index("name")
    assert as_pv.loc["U9.XI999.PV", "role"] in ("origin", "chain")
    assert _setpoint_written_by_controller("U9.XIC999.SP", out, len(out) // 2)
    factor = math.exp(SCORE_WEIGHTS["controller_output"])
    assert as_sp.loc["U9.XIC999.SP", "score"] == pytest.approx(factor * as_pv.loc["U9.XI999.PV", "score"])
    assert "master controller" in as_sp.loc["U9.XIC999.SP", "evidence"]
    # A setpoint held still before its step is a command, not a controller's answer.
    held = np.where(signals.index >= pd.Timestamp("2026-03-04 09:04", tz="UTC"), 52.0, 40.0)
    assert not _setpoint_written_by_controller("U9.XIC999.SP", held, int(np.argmax(held > 40)))
    as_cmd = rank_candidates(signals.assign(**{"U9.XIC999.SP": held}), **kw).set_index("name")
    assert "master controller" not in as_cmd.loc["U9.XIC999.SP", "evidence"]
    # Nor is a trim that the operator corrected a minute later: its run begins at the first step.
    twice = np.where(signals.index >= pd.Timestamp("2026-03-04 09:05", tz="UTC"), 51.0, held)
    corrected = rank_candidates(signals.assign(**{"U9.XIC999.SP": twice}), **kw).set_index("name")
    assert corrected.loc["U9.XIC999.SP", "role"] in ("origin", "chain")
    assert "master controller" not in corrected.loc["U9.XIC999.SP", "evidence"]
    # An IT metric that merely ends like a setpoint is none.
    assert not _setpoint_written_by_controller("core/port_sw", out, len(out) // 2)


def test_a_run_that_ends_in_an_ongoing_ramp_reaches_back_from_that_ramp():
    # A ramp from 08:00 is still under way at 09:00; the signal also stepped at 08:10, 08:30
    # and 08:31, all too long before 09:00 to explain a change then. The run that explains
    # it is the ramp, and its first change cannot come after its last.
    from rca.ranking import _Change, _onset_before

    at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")  # noqa: E731

    def change(t, end=None, kind="mean"):
        return _Change("x", at(t), at(t), at(t), 10.0, 10.0, kind, at(t), at(end or t))

    seq = [change("08:00", "08:50", "ramp"), change("08:10"), change("08:30"), change("08:31")]
    first, last = _onset_before(seq, at("09:00"), pd.Timedelta("10s"), pd.Timedelta("15min"))
    assert last is seq[0] and first is seq[0]
    assert first.time <= last.time


def test_a_long_ramp_the_other_way_does_not_start_the_run_of_a_later_change():
    # A glycol valve eased off slowly for an hour after a line-speed change at 09:28 (a
    # sloped stretch the detector fits as a ramp that lasts until the next change), then opened
    # hard from 10:23 when the glycol setpoint was raised. The opening explains the temperature
    # rise at 10:29; the slow easing off the other way an hour before does not start that run.
    from rca.ranking import _Change, _onset_before

    at = lambda hm: pd.Timestamp(f"2025-01-31 {hm}", tz="UTC")  # noqa: E731
    tol, max_lag = pd.Timedelta("15s"), pd.Timedelta("15min")

    def ramp(t, end, before, after):
        return _Change("zt", at(t), at(t), at(t), 20.0, 20.0, "ramp", at(t), at(end), before=before, after=after)

    easing, opening = ramp("09:28", "10:23", 71.4, 60.0), ramp("10:23", "10:29", 60.0, 91.8)
    assert _onset_before([easing, opening], at("10:29"), tol, max_lag, stop_at_turn=True) == (opening, opening)
    # Without stop_at_turn (the named symptom's own run, dated by _symptom_onset) it joins.
    assert _onset_before([easing, opening], at("10:29"), tol, max_lag) == (easing, opening)
    # A long ramp the same way is one movement with what follows (a memory filling, then
    # climbing faster): it starts the run.
    filling = ramp("09:28", "10:23", 50.0, 60.0)
    assert _onset_before([filling, opening], at("10:29"), tol, max_lag, stop_at_turn=True) == (filling, opening)
    # So is a short dip and recovery (a ramp down for 3 min, then up): one disturbance.
    dip = ramp("10:20", "10:23", 71.4, 60.0)
    assert _onset_before([dip, opening], at("10:29"), tol, max_lag, stop_at_turn=True) == (dip, opening)
    # Where a direction is unknown (levels not given; a ramp's end, which only says the
    # signal levelled off), the rule cannot apply and the ramp joins as before.
    unknown = ramp("09:28", "10:23", float("nan"), float("nan"))
    assert _onset_before([unknown, opening], at("10:29"), tol, max_lag, stop_at_turn=True) == (unknown, opening)
    levelled = _Change("zt", at("10:23"), at("10:23"), at("10:23"), 20.0, 1.0, "ramp end", at("10:23"), at("10:23"),
                       before=60.0, after=60.5)
    assert _onset_before([easing, levelled], at("10:29"), tol, max_lag, stop_at_turn=True) == (easing, levelled)


def _shared_header(seed: int = 0):
    """The holding temperature rides on the header flow's fluctuations (r about 0.85, 30 s
    later; a slow trim absorbs the flow's level) and falls by about 3 degC when the cooling
    water it is cooled with warms by 8 degC at 09:02 (the root). An unrelated flow increase on the
    header at 09:01:50 comes just before: by timing and co-fluctuation alone it looks like the
    origin, but it would have raised the temperature, which fell."""
    rng = np.random.default_rng(seed)
    idx, at = _grid()
    n = len(idx)
    wiggle = ar1(rng, n, 0.7, 0.5)
    flow = 120 + wiggle
    flow[at("09:01:50"):] += 8.0
    cooling = 30 + ar1(rng, n, 0.7, 0.3)
    cooling[at("09:02:00"):] += 8.0
    temp = 75 + 0.5 * np.roll(wiggle, 3) - 0.4 * np.roll(cooling - 30, 3) + ar1(rng, n, 0.8, 0.1)
    other = 10 + ar1(rng, n, 0.8, 0.2)
    other[at("08:40:00"):] += 2.0
    return pd.DataFrame({"U1.FT101.PV": flow, "U1.TT105.PV": cooling, "U1.TT131.PV": temp, "U2.PT201.PV": other},
                        index=idx)


def test_co_fluctuation_links_only_changes_that_went_the_way_the_coupling_carries(monkeypatch):
    import rca.ranking as ranking
    from rca.ranking import _against_coupling

    assert _against_coupling(0.5, 2.0, -1.0) is True  # coupled positively, moved apart
    assert _against_coupling(0.5, 2.0, 1.0) is False
    assert _against_coupling(-0.5, 2.0, -1.0) is False  # an inverse coupling
    assert _against_coupling(-0.5, -2.0, -1.0) is True
    assert _against_coupling(0.1, 2.0, -1.0) is False  # too weak a coupling to state a direction
    assert _against_coupling(0.5, float("nan"), -1.0) is False  # a move that is not known
    assert _against_coupling(float("nan"), 2.0, -1.0) is False

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="U1.TT131.PV")
    first_without = 0
    for seed in range(3):
        r = rank_candidates(_shared_header(seed), **kw).set_index("name")
        assert r.loc["U1.TT105.PV", "rank"] == 1, seed
        assert r.loc["U1.FT101.PV", "rank"] > 1
        # Without the direction rule the flow increase links more firmly, through its
        # co-fluctuation, and with the hand-set weights (in force) that carries it to the top
        # (in two of the three seeds; in seed 1 the temperature's larger change, through the
        # strength term, keeps it just ahead): the case tests the rule, not something else.
        with monkeypatch.context() as m:
            m.setattr(ranking, "DIRECTION_MIN_R", np.inf)
            m.setattr(ranking, "SCORE_WEIGHTS", dict(ranking.HAND_SET_WEIGHTS))
            off = rank_candidates(_shared_header(seed), **kw).set_index("name")
        assert off.loc["U1.FT101.PV", "link"] > r.loc["U1.FT101.PV", "link"], seed
        assert "they fluctuate together" in off.loc["U1.FT101.PV", "evidence"]
        first_without += int(off.loc["U1.FT101.PV", "rank"] == 1)
    assert first_without >= 2
    # Said so in the evidence when such a hop is what links a candidate.
    from rca.ranking import _Change, _signal_evidence

    t = pd.Timestamp("2026-03-04 09:01:50", tz="UTC")
    ch = _Change("U1.FT101.PV", t, t, t, 16.0, 16.0, "mean", t, t)
    hop = {"lag": pd.Timedelta("40s"), "corr": 0.0, "r": 0.85, "device": 0.0, "against_coupling": True}
    text = _signal_evidence("U1.FT101.PV", ch, "chain", t + pd.Timedelta("40s"), {"U1.FT101.PV": hop},
                            {"U1.FT101.PV": "U1.TT131.PV"}, None)
    assert "r = 0.85" in text and "moved U1.TT131.PV the other way" in text


def test_every_weighed_score_is_the_exponential_of_its_weighted_terms(plant, monkeypatch):
    import math

    import rca.ranking as ranking

    signals, events, info = plant
    kwargs = dict(events=events, signal_info=info, incident_start="2026-03-04T09:10:00Z", symptom="L1.QI103.PV")
    r = rank_candidates(signals, **kwargs)
    terms = r.attrs["score_terms"]
    assert len(terms) == len(r)
    weighed = [(s, t) for s, t in zip(r["score"], terms) if t is not None]
    assert {row for row, t in zip(r["role"], terms) if t is not None} >= {"origin", "chain", "trigger"}
    assert set().union(*(t.keys() for _, t in weighed)) <= set(ranking.SCORE_WEIGHTS)
    for score, t in weighed:
        full = math.exp(sum(ranking.SCORE_WEIGHTS[k] * v for k, v in t.items()))
        if t.get("event", 0.0) and not t["event_action"]:
            # Events that are not actions are capped below the change they precede.
            assert score <= full * (1 + 1e-9)
        else:
            assert score == pytest.approx(full, rel=1e-9)
    # Set scores (the symptom, unlinked changes) carry no terms.
    assert all(t is None for t, role in zip(terms, r["role"]) if role in ("symptom", "unlinked", "after symptom"))
    assert len(rank_candidates(signals, top=3, **kwargs).attrs["score_terms"]) == 3
    # The weights are what orders the candidates: reweigh link and earliness and the order changes.
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "link", 0.0)
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "earliness", -5.0)
    other = rank_candidates(signals, **kwargs)
    assert list(other["name"]) != list(r["name"])


def test_whatever_the_weights_an_event_that_is_not_an_action_stays_below_its_change(plant, monkeypatch):
    import rca.ranking as ranking

    signals, events, info = plant
    # A weight that lifts every event far above its change: actions rise, the others are capped.
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "event", 5.0)
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "trigger", 0.0)
    r = rank_candidates(signals, events=events, signal_info=info, incident_start="2026-03-04T09:10:00Z",
                        symptom="L1.QI103.PV").set_index("name")
    origin = r.attrs["settings"]["origin"]
    assert r.loc["scada-01", "score"] > r.loc[origin, "score"]  # an action: lifted by the weight
    routine = r.loc["ad-01"]  # logins
    assert routine["type"] == "event" and routine["rank"] > r.loc[origin, "rank"]
    assert routine["score"] <= 0.9 * routine["link"] * r.loc[origin, "score"] * (1 + 1e-9)


def test_the_symptom_is_dated_by_its_departure_not_by_an_episode_hours_before():
    # The named symptom jumped by 3.0 at 06:30 and came back at 06:50, long over by the time
    # of the incident; at 10:00, 5 min after a valve stepped, it rose by 1.0, and the incident
    # was noticed at 10:10. The earlier episode is the symptom's strongest change, but the
    # departure under way at the start is the later one: the symptom began at 10:00, and the
    # valve's step, before it, is the likely cause (not a consequence of a symptom "begun at
    # 06:50").
    rng = np.random.default_rng(5)
    idx = pd.date_range(T0, periods=2520, freq="10s")  # 06:00-13:00
    at = lambda s: idx.get_loc(pd.Timestamp(f"2026-03-04 {s}", tz="UTC"))  # noqa: E731
    n = len(idx)
    quality = 2.0 + ar1(rng, n, 0.5, 0.05)
    quality[at("06:30:00"):at("06:50:00")] += 3.0
    quality[at("10:00:00"):] += 1.0
    valve = 40 + ar1(rng, n, 0.7, 0.3)
    valve[at("09:55:00"):] += 6.0
    other = 10 + ar1(rng, n, 0.8, 0.2)
    f = pd.DataFrame({"L1.QI103.PV": quality, "L1.FV101.PV": valve, "L2.PI201.PV": other}, index=idx)
    r = rank_candidates(f, incident_start="2026-03-04T10:10:00Z", symptom="L1.QI103.PV",
                        window=("2026-03-04T06:00:00Z", "2026-03-04T10:40:00Z"))
    onset = pd.Timestamp(r.attrs["settings"]["symptom_onset"])
    assert pd.Timestamp("2026-03-04 09:59", tz="UTC") <= onset <= pd.Timestamp("2026-03-04 10:01", tz="UTC")
    assert r["name"].iloc[0] == "L1.FV101.PV"
    assert r.set_index("name").loc["L1.FV101.PV", "role"] == "origin"


def test_a_creeping_ramp_does_not_date_the_symptom():
    # The symptom crept by one noise sd from 07:00 to 08:55 (a long stretch makes even that
    # slope a strong change) and departed at 09:00. The creep moved nothing: the symptom began
    # at 09:00. A ramp that did move the signal still belongs to the run before the departure.
    from rca.ranking import _Change, _symptom_onset

    at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")  # noqa: E731

    def change(t, strength, end=None, kind="mean", delta_sigma=10.0):
        return _Change("x", at(t), at(t), at(t), strength, delta_sigma, kind, at(t), at(end or t))

    departure = change("09:00", 30.0)
    creep = change("07:00", 20.0, "08:55", "ramp", delta_sigma=1.0)
    assert creep.creep
    onset = _symptom_onset([creep, departure], at("09:05"), pd.Timedelta("10s"), pd.Timedelta("15min"),
                           pd.Timedelta("2h"))
    assert onset is departure
    climb = change("07:00", 20.0, "08:55", "ramp", delta_sigma=10.0)
    onset = _symptom_onset([climb, departure], at("09:05"), pd.Timedelta("10s"), pd.Timedelta("15min"),
                           pd.Timedelta("2h"))
    assert onset is climb


def test_a_ramp_is_a_creep_when_it_moved_less_than_three_noise_sd():
    from rca.ranking import _Change

    t = pd.Timestamp("2026-03-04 08:00", tz="UTC")
    kinds = [("ramp", 1.0), ("ramp", -5.0), ("mean", 1.0), ("ramp end", 0.5), ("ramp", float("nan"))]
    creeps = [_Change("x", t, t, t, 9.0, d, k, t, t).creep for k, d in kinds]
    assert creeps == [True, False, False, False, False]


def _blip_before_the_symptom(back_at: str | None, seed: int = 4):
    # A server's CPU stepped up at 09:06, 4 min before the quality stepped at 09:10; the
    # incident was noticed at 09:20. With ``back_at`` the CPU came back down at that time.
    rng = np.random.default_rng(seed)
    idx, at = _grid()
    n = len(idx)
    cpu = 20 + ar1(rng, n, 0.5, 1.0)
    cpu[at("09:06:00"):] += 15.0
    if back_at is not None:
        cpu[at(back_at):] -= 15.0
    quality = 2.0 + ar1(rng, n, 0.8, 0.05)
    quality[at("09:10:00"):] += 1.0
    other = 10 + ar1(rng, n, 0.8, 0.2)
    return pd.DataFrame({"srv01.cpu_pct": cpu, "L1.QI103.PV": quality, "L2.PI201.PV": other}, index=idx)


def test_a_change_that_was_over_by_the_incident_start_scores_half():
    import math

    from rca.ranking import HAND_SET_WEIGHTS, TRANSIENT_FACTOR

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="L1.QI103.PV")
    still = rank_candidates(_blip_before_the_symptom(None), **kw)
    over = rank_candidates(_blip_before_the_symptom("09:14:00"), **kw)
    terms, rows = {}, {}
    for name, r in (("still", still), ("over", over)):
        i = r.index[r["name"] == "srv01.cpu_pct"][0]
        assert r.loc[i, "role"] == "origin"
        terms[name], rows[name] = r.attrs["score_terms"][i], r.loc[i]
    assert terms["still"]["transient"] == 0.0 and terms["over"]["transient"] == 1.0
    assert HAND_SET_WEIGHTS["transient"] == pytest.approx(math.log(TRANSIENT_FACTOR))
    # the factor applies on top of the rest of its evidence (which the return changes a little:
    # the de-stepped CPU has one more step taken out)
    rest = sum(HAND_SET_WEIGHTS[k] * v for k, v in terms["over"].items() if k != "transient")
    assert rows["over"]["score"] == pytest.approx(TRANSIENT_FACTOR * math.exp(rest))
    assert rows["over"]["score"] < 0.6 * rows["still"]["score"]
    assert "over by the incident start" in rows["over"]["evidence"]
    assert "over by the incident start" not in rows["still"]["evidence"]
    # came back only after the incident start: still going on when the incident was noticed
    later = rank_candidates(_blip_before_the_symptom("09:30:00"), **kw)
    i = later.index[later["name"] == "srv01.cpu_pct"][0]
    assert later.attrs["score_terms"][i]["transient"] == 0.0


def test_over_by_needs_a_move_to_come_back_from():
    from rca.ranking import _Change, _over_by

    at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")  # noqa: E731

    def change(t, before, after, kind="mean", end=None):
        return _Change("x", at(t), at(t), at(t), 9.0, after - before, kind, at(t), at(end or t),
                       before=before, after=after)

    up, down = change("08:00", 10.0, 19.0), change("08:20", 19.0, 11.0)
    assert _over_by([up, down], up, 9.0, at("09:00"))
    assert not _over_by([up, down], up, 9.0, at("08:10"))  # not yet back
    assert not _over_by([up, down], up, 1.0, at("09:00"))  # the run itself went up and down: a blip
    assert not _over_by([up, down], up, float("nan"), at("09:00"))
    ramp = change("08:20", 19.0, 11.0, "ramp", end="09:30")
    assert not _over_by([up, ramp], up, 9.0, at("09:00"))  # still moving at 09:00
    overshoot = change("08:20", 19.0, 5.0)
    assert _over_by([up, overshoot], up, 9.0, at("09:00"))


def _climb_among_steps(seed: int):
    """A gateway's memory climbs from 08:30 to 09:00 and stays at the top; its latency jumps
    at 09:01 (the symptom). Eight flows of other units step, each far more strongly than the
    climb (by strength), at times spread over the day."""
    rng = np.random.default_rng(seed)
    idx, at = _grid()
    n = len(idx)
    mem = 60 + ar1(rng, n, 0.5, 0.3)
    a, b = at("08:30:00"), at("09:00:00")
    mem[a:b] += np.linspace(0, 38, b - a)
    mem[b:] += 38
    latency = 200 + ar1(rng, n, 0.5, 5.0)
    latency[at("09:01:00"):] += 400
    cols = {"gw1/mem_used_percent": mem, "gw1x/latency_ms": latency}
    for k, t in enumerate(["07:10", "07:40", "08:05", "08:20", "08:45", "09:30", "09:45", "10:10"]):
        flow = 50 + ar1(rng, n, 0.5, 0.2)
        flow[at(f"{t}:00"):] += 30
        cols[f"U{k}.FT10{k}.PV"] = flow
    return pd.DataFrame(cols, index=idx)


def test_the_rarity_of_a_change_is_judged_among_changes_of_its_own_kind(monkeypatch):
    import rca.ranking as ranking
    from rca.ranking import _Change, _chance_rate, _strengths_by_kind

    t = pd.Timestamp("2026-03-04 09:00", tz="UTC")
    runs = {"a": [_Change("a", t, t, t, 5.0, 5.0, "ramp", t, t), _Change("a", t, t, t, 9.0, 9.0, "mean", t, t)],
            "b": [_Change("b", t, t, t, 2.0, 2.0, "ramp", t, t), _Change("b", t, t, t, 30.0, 30.0, "mean", t, t)]}
    by_kind = _strengths_by_kind(runs)
    assert set(by_kind) == {"ramp", "mean"}
    assert by_kind["ramp"].tolist() == [2.0, 5.0] and by_kind["mean"].tolist() == [9.0, 30.0]
    assert _chance_rate(by_kind["ramp"], 5.0, 100.0) == pytest.approx(0.01)  # the strongest ramp: 1 in 100 s

    # The climb is the only strong ramp of the day, though eight steps were stronger: its timing
    # evidence counts it rare among ramps. Lumping all kinds together would count the steps.
    kw = dict(incident_start="2026-03-04T09:10:00Z", symptom="gw1x/latency_ms")

    def lumped(runs):
        by_kind = _strengths_by_kind(runs)
        every = np.sort(np.concatenate(list(by_kind.values())))
        return {kind: every for kind in by_kind}

    for seed in range(3):
        r = rank_candidates(_climb_among_steps(seed), **kw)
        assert r.iloc[0]["name"] == "gw1/mem_used_percent", seed
        timing = dict(zip(r["name"], r.attrs["score_terms"]))["gw1/mem_used_percent"]["hop_timing"]
        with monkeypatch.context() as m:
            m.setattr(ranking, "_strengths_by_kind", lumped)
            r0 = rank_candidates(_climb_among_steps(seed), **kw)
        timing0 = dict(zip(r0["name"], r0.attrs["score_terms"]))["gw1/mem_used_percent"]["hop_timing"]
        assert timing > timing0 + 1.0, (seed, timing, timing0)


def _lagged(x, k):
    return np.r_[np.full(k, x[0]), x[:-k]]


def _service_incident(seed: int = 0):
    """A database's latency steps at 09:00; a service's p99 latency follows at once, its
    average latency (the symptom) a minute later and its availability 30 s after that. The
    service's CPU steps at 08:30, unrelated. 10 s grid, 5 hours."""
    idx, at = _grid()
    rng = np.random.default_rng(seed)
    n = len(idx)
    db = 20 + ar1(rng, n, 0.7, 1.0)
    db[at("09:00:00"):] += 15
    p99 = 180 + 4.0 * (db - 20) + ar1(rng, n, 0.5, 3.0)
    lat = 100 + 2.0 * _lagged(db - 20, 6) + ar1(rng, n, 0.7, 2.0)
    avail = 99.9 - 0.02 * _lagged(lat - 100, 3) + ar1(rng, n, 0.5, 0.02)
    cpu = 30 + ar1(rng, n, 0.8, 1.0)
    cpu[at("08:30:00"):] += 4
    return pd.DataFrame({"db.latency_p50": db, "svc.latency_Average": lat, "svc.latency_p99": p99,
                         "svc.availability_Average": avail, "svc.cpu_pct": cpu}, index=idx)


def test_what_a_statistic_is_a_statistic_of():
    from rca.ranking import _measurement, _restates

    assert _measurement("PetSite.latency_p99") == _measurement("PetSite.latency_Average") == "PetSite.latency"
    assert _measurement("gw03/cpu_max") == "gw03/cpu"
    assert _measurement("TT101.PV_avg") == "TT101.PV"
    assert _measurement("db.requests_Sum") == "db.requests"
    # instrument tags and units are not statistics
    for name in ("PUMP_P101", "TIC_122_SP", "opcgw/opcua_publish_latency_ms", "L1.TT101.PV", "fw.sessions.active"):
        assert _measurement(name) == name
    sym = ["svc.latency_Average"]
    assert _restates("svc.latency_p99", sym) == ("svc.latency_Average", "another statistic of the symptom")
    assert _restates("svc.availability_Average", sym)[1] == "another service-level indicator of the symptom's service"
    assert _restates("svc.cpu_pct", sym) is None  # a resource of the service can be why it is slow
    assert _restates("db.latency_p50", sym) is None  # another service's indicator can be the cause
    assert _restates("svc.requests_Sum", sym) is None  # the load put on it can be why it is slow
    # a process measurement's siblings are not service indicators: the loop's setpoint is a candidate
    assert _restates("L1.TIC131.SP", ["L1.TT131.PV"]) is None
    assert _restates("L1.TT131.PV_max", ["L1.TT131.PV"]) == ("L1.TT131.PV", "another statistic of the symptom")


def test_the_symptom_seen_another_way_is_not_ranked_as_its_cause(monkeypatch):
    import rca.ranking as ranking

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="svc.latency_Average")
    r = rank_candidates(_service_incident(), **kw)
    row = r.set_index("name")
    assert r.iloc[0]["name"] == "db.latency_p50" and r.iloc[0]["role"] == "origin"
    for name, how in (("svc.latency_p99", "another statistic of the symptom svc.latency_Average"),
                      ("svc.availability_Average", "another service-level indicator of the symptom's service")):
        assert row.loc[name, "role"] == "symptom" and row.loc[name, "score"] == 0.0
        assert row.loc[name, "evidence"].startswith(how)
    assert row.loc["svc.cpu_pct", "role"] != "symptom"
    # Without the rule the p99, same device and as early as the database, ranks first.
    monkeypatch.setattr(ranking, "_restates", lambda *a, **k: None)
    off = rank_candidates(_service_incident(), **kw)
    assert off.iloc[0]["name"] == "svc.latency_p99"
    # With no symptom named there is nothing to restate: the stand-ins are ranked as before.
    monkeypatch.undo()
    free = rank_candidates(_service_incident(), incident_start="2026-03-04T09:20:00Z")
    assert not (free["evidence"].str.contains("not a cause of it")).any()


def _gateway_incident(seed: int = 0, cpu_ramp: bool = True):
    """A SCADA server's CPU climbs from 08:40 and saturates at 08:58 (when ``cpu_ramp``); a
    gateway's OPC latency jumps at 08:59 and the quality it feeds (the symptom) follows, with
    the latency's fluctuations. Another unit's flow steps at 08:20, unrelated."""
    idx, at = _grid()
    rng = np.random.default_rng(seed)
    n = len(idx)
    cpu = 40 + ar1(rng, n, 0.7, 1.0)
    if cpu_ramp:
        a, b = at("08:40:00"), at("08:58:00")
        cpu[a:b] += np.linspace(0, 57, b - a)
        cpu[b:] += 57
    lat = 20 + ar1(rng, n, 0.6, 2.0)
    k = at("08:59:00")
    lat[k:] += 60 + ar1(rng, n - k, 0.6, 8.0)
    quality = 5 + 0.05 * _lagged(lat - 20, 6) + ar1(rng, n, 0.7, 0.1)
    other = 10 + ar1(rng, n, 0.8, 0.3)
    other[at("08:20:00"):] += 3
    return pd.DataFrame({"scada-01.cpu_pct": cpu, "gw-01.opc_latency_ms": lat, "L1.QI101.PV": quality,
                         "L2.FI201.PV": other}, index=idx)


def test_a_latency_or_a_queue_responds_to_what_is_behind_it():
    from rca.ranking import _is_response

    for name in ("gw-01.opc_latency_ms", "opcgw03/opcua_queue_items", "kepware04/opcua_sf_backlog",
                 "opc-gw-03.packet_loss_pct", "PetSite.latency_p90", "api-01.error_rate", "web.availability_Average",
                 "PetSite.requests_Sum"):
        assert _is_response(name), name
    for name in ("gw-01.cpu_pct", "DAIWINCC01/mem_used_percent", "fw-ot-01.if_util_pct", "opcgw03/opcua_sessions",
                 "L1.TT131.PV", "L1.TIC131.SP", "FIC101.OUT", "XMEAS(9)"):
        assert not _is_response(name), name


def test_a_response_scores_below_the_saturation_behind_it(monkeypatch):
    import math

    import rca.ranking as ranking

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="L1.QI101.PV")
    r = rank_candidates(_gateway_incident(), **kw)
    assert r.iloc[0]["name"] == "scada-01.cpu_pct" and r.iloc[0]["role"] == "origin"
    i = r.index[r["name"] == "gw-01.opc_latency_ms"][0]
    assert r.attrs["score_terms"][i]["response"] == 1.0
    assert "responds to what is behind it: score x 0.5" in r.loc[i, "evidence"]
    assert r.attrs["score_terms"][r.index[r["name"] == "scada-01.cpu_pct"][0]]["response"] == 0.0
    # Without the factor the latency, which co-fluctuates with the symptom, is taken for the origin.
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "response", 0.0)
    off = rank_candidates(_gateway_incident(), **kw)
    assert off.iloc[0]["name"] == "gw-01.opc_latency_ms"
    j = off.index[off["name"] == "gw-01.opc_latency_ms"][0]
    assert r.loc[i, "score"] == pytest.approx(off.loc[j, "score"] * math.exp(ranking.HAND_SET_WEIGHTS["response"]))


def test_an_action_just_before_a_response_is_scored_as_the_trigger_of_the_chain(monkeypatch):
    import rca.ranking as ranking

    events = pd.DataFrame({
        "time": pd.to_datetime(["2026-03-04 08:58:40"], utc=True), "end": pd.NaT, "source": ["gw-01"],
        "kind": ["change"], "message": ["CHG0071 gateway subscription settings changed"], "severity": "",
        "domain": ["IT"], "origin": "events",
    })
    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="L1.QI101.PV", events=events)
    frame = _gateway_incident(cpu_ramp=False)
    r = rank_candidates(frame, **kw)
    top = r.iloc[0]
    assert top["name"] == "gw-01" and top["role"] == "trigger"
    assert "before the first change of the chain" in top["evidence"]
    # The action is scored against the latency's change as if the factor did not apply: the
    # factor says something is behind the latency, and the action is a candidate for it.
    monkeypatch.setitem(ranking.SCORE_WEIGHTS, "response", 0.0)
    off = rank_candidates(frame, **kw)
    assert off.iloc[0]["name"] == "gw-01"
    assert top["score"] == pytest.approx(off.iloc[0]["score"])


def test_a_ramp_is_dated_where_its_signal_left_its_level():
    from rca.ranking import _ramp_departures

    t = pd.date_range("2026-03-04 08:00", periods=60, freq="min", tz="UTC")
    flat = np.zeros(20)
    frames = {
        # flat, then a rise that accelerates from 08:20 (a straight line fitted to it starts earlier)
        "accelerating": np.r_[flat, (np.arange(1, 41) / 4.0) ** 2],
        # a dip against the ramp's direction at 08:05, back at 08:10, then a straight climb from 08:20
        "dip first": np.r_[np.zeros(5), -3 * np.ones(5), np.zeros(10), np.arange(1, 41) * 0.5],
        # a straight climb of 0.5 per minute from 08:20: dated when it is 1 sd (1.0) above its level
        "straight": np.r_[flat, np.arange(1, 41) * 0.5],
    }
    frame = pd.DataFrame(frames, index=t).assign(step=np.r_[flat, np.full(40, 5.0)])
    rows = [dict(signal=s, time=t[2], kind="ramp", end=t[59], before=0.0, after=float(frame[s].iloc[-1]),
                 sigma_before=1.0) for s in frames]
    rows.append(dict(signal="step", time=t[20], kind="mean", end=pd.NaT, before=0.0, after=5.0, sigma_before=1.0))
    changes = pd.DataFrame(rows)
    dated = dict(zip(changes["signal"], _ramp_departures(frame, changes)))
    assert dated["accelerating"] == t[23]  # (4 / 4) ** 2 = 1.0: the first value 1 sd above its level
    assert dated["dip first"] == t[21]  # 1.0 at 08:21: the dip against the ramp never dates it
    assert dated["straight"] == t[21]  # a minute late: the time the climb takes to rise by 1 sd
    assert dated["step"] == t[20]  # only ramps are re-dated
    # A ramp that never left its level by 1 sd keeps its detected time.
    creep = changes.iloc[[2]].assign(sigma_before=100.0)
    assert _ramp_departures(frame, creep).iloc[0] == t[2]
    # A changes table in local time is dated in local time, at the same instants.
    local = changes.assign(time=changes["time"].dt.tz_convert("Europe/Berlin"),
                           end=changes["end"].dt.tz_convert("Europe/Berlin"))
    dated_local = _ramp_departures(frame.tz_convert("Europe/Berlin"), local)
    assert str(dated_local.dt.tz) == "Europe/Berlin"
    assert list(dated_local) == list(_ramp_departures(frame, changes))


def _wind_up_after_a_trim(seed: int):
    """A pump wears from 08:57: the hot-water flow falls in a straight line until 09:30. The
    temperature loop's cascade setpoint, which another loop's trim had nudged down at 08:44, winds
    up faster and faster from 08:58 to its limit at 09:24; after that the product temperature
    falls (the symptom)."""
    rng = np.random.default_rng(seed)
    idx, at = _grid()
    n = len(idx)
    flow = 10 + ar1(rng, n, 0.5, 0.05)
    a, b = at("08:57:00"), at("09:30:00")
    flow[a:b] -= np.linspace(0, 8, b - a)
    flow[b:] -= 8
    sp = 78.4 + rng.normal(0, 0.003, n)
    sp[at("08:44:00"):] -= 0.1
    c, d = at("08:58:00"), at("09:24:00")
    sp[c:d] += 5.8 * np.linspace(0, 1, d - c) ** 2
    sp[d:] += 5.8
    temp = 75 + ar1(rng, n, 0.8, 0.05)
    k = at("09:24:30")
    temp[k:] -= np.minimum(np.arange(n - k) * 0.02, 6)
    return pd.DataFrame({"TIC122.SP": sp, "FT123.PV": flow, "TT131.PV": temp}, index=idx)


def test_a_winding_up_setpoint_is_dated_after_the_flow_it_makes_up_for(monkeypatch):
    import rca.ranking as ranking

    kw = dict(incident_start="2026-03-04T09:35:00Z", symptom="TT131.PV")
    nudge, wind_up = pd.Timestamp("2026-03-04 08:44", tz="UTC"), pd.Timestamp("2026-03-04 08:58", tz="UTC")
    for seed in range(3):
        onset = rank_candidates(_wind_up_after_a_trim(seed), **kw).set_index("name")["onset"]
        assert onset["FT123.PV"] < onset["TIC122.SP"], seed
        assert wind_up <= onset["TIC122.SP"] <= wind_up + pd.Timedelta("5min"), seed
        # Dated by the start of its fitted ramp instead, the setpoint came first, at the nudge.
        with monkeypatch.context() as m:
            m.setattr(ranking, "_ramp_departures", lambda frame, changes: changes["time"].copy())
            onset0 = rank_candidates(_wind_up_after_a_trim(seed), **kw).set_index("name")["onset"]
        assert onset0["TIC122.SP"] <= nudge + pd.Timedelta("1min") < onset0["FT123.PV"], seed


def test_a_declared_kind_replaces_what_the_name_suggests():
    import math

    import rca.ranking as ranking

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="L1.QI101.PV")
    frame = _gateway_incident()
    by_name = rank_candidates(frame, **kw).set_index("name")
    terms = lambda r, name: r.attrs["score_terms"][r.index[r["name"] == name][0]]  # noqa: E731
    # Declared a measurement, the latency is no longer scored as a response, and it says why.
    r = rank_candidates(frame, kinds={"gw-01.opc_latency_ms": "measurement"}, **kw)
    assert terms(r, "gw-01.opc_latency_ms")["response"] == 0.0
    row = r.set_index("name").loc["gw-01.opc_latency_ms"]
    assert row["score"] == pytest.approx(by_name.loc["gw-01.opc_latency_ms", "score"]
                                         / math.exp(ranking.HAND_SET_WEIGHTS["response"]))
    assert "declared a measurement" in row["evidence"]
    # A signal whose name says nothing (a gateway metric called "kpi_7") is a response when declared so;
    # a pattern declares several signals at once.
    renamed = frame.rename(columns={"gw-01.opc_latency_ms": "gw-01.kpi_7"})
    plain = rank_candidates(renamed, **kw)
    assert terms(plain, "gw-01.kpi_7")["response"] == 0.0
    r = rank_candidates(renamed, kinds={"gw-01.kpi_*": "response"}, **kw)
    assert terms(r, "gw-01.kpi_7")["response"] == 1.0
    assert "responds to what is behind it: score x 0.5 (declared so)" in r.set_index("name").loc["gw-01.kpi_7", "evidence"]
    assert r.iloc[0]["name"] == "scada-01.cpu_pct" != plain.iloc[0]["name"]
    # The same from signal_info's kind column (what a manifest's signal_kinds fills in).
    info = pd.DataFrame({"domain": "IT", "kind": ["response", ""]}, index=["gw-01.kpi_7", "scada-01.cpu_pct"])
    r2 = rank_candidates(renamed, signal_info=info, **kw)
    assert list(r2["name"]) == list(r["name"]) and np.allclose(r2["score"], r["score"])
    # A controller output is scored at half, whatever its name.
    r = rank_candidates(renamed, kinds={"gw-01.kpi_7": "output"}, **kw)
    assert terms(r, "gw-01.kpi_7")["controller_output"] == 1.0
    assert "a controller's output" in r.set_index("name").loc["gw-01.kpi_7", "evidence"]


def test_a_declared_kind_must_be_known_and_match_a_signal():
    from rca.errors import ParameterError

    kw = dict(incident_start="2026-03-04T09:20:00Z", symptom="L1.QI101.PV")
    frame = _gateway_incident()
    with pytest.raises(ParameterError, match=r"kinds\['gw-01.opc_latency_ms'\]: expected one of response, output, "
                                             r"measurement, got 'latency'"):
        rank_candidates(frame, kinds={"gw-01.opc_latency_ms": "latency"}, **kw)
    with pytest.raises(ParameterError, match=r"kinds: expected a table \(a dict\) of tag or pattern = kind, .* got list"):
        rank_candidates(frame, kinds=["gw-01.opc_latency_ms"], **kw)
    with pytest.warns(RcaWarning, match=r"kinds: \['gw-02\.\*'\] match no signal"):
        rank_candidates(frame, kinds={"gw-02.*": "response", "gw-01.*": "response"}, **kw)


def test_a_ramp_end_whose_onset_interval_reaches_back_may_have_come_first():
    # A firewall's session table filled from 04:20 and was full at 05:12 by the detector's
    # corner (95 % interval from 05:09); the gateway's latency began rising at 05:10. The table
    # filling up is what may have set it off: the ramp's end ends the run that leads up to 05:10.
    from rca.ranking import _Change, _onset_before

    at = lambda hm: pd.Timestamp(f"2026-08-03 {hm}", tz="UTC")  # noqa: E731
    ramp = _Change("fw", at("04:20"), at("04:18"), at("04:22"), 47.0, 53.0, "ramp", at("04:20"), at("05:12"))
    full = _Change("fw", at("05:12"), at("05:09"), at("05:14"), 67.0, 5.0, "ramp end", at("05:12"), at("05:12"))
    tol, max_lag = pd.Timedelta("10s"), pd.Timedelta("15min")
    assert _onset_before([ramp, full], at("05:10"), tol, max_lag) == (ramp, full)
    # Dated within its interval after the latency, or later than max_lag, it is not before it.
    late = _Change("fw", at("05:12"), at("05:11"), at("05:14"), 67.0, 5.0, "ramp end", at("05:12"), at("05:12"))
    assert _onset_before([ramp, late], at("05:10"), tol, max_lag) == (ramp, ramp)
    far = _Change("fw", at("05:30"), at("05:09"), at("05:40"), 67.0, 5.0, "ramp end", at("05:30"), at("05:30"))
    assert _onset_before([ramp, far], at("05:10"), tol, max_lag) == (ramp, ramp)
    # A step is not moved before its detected time that way.
    step = _Change("fw", at("05:12"), at("05:09"), at("05:14"), 67.0, 5.0, "mean", at("05:12"), at("05:12"))
    assert _onset_before([ramp, step], at("05:10"), tol, max_lag) == (ramp, ramp)


def test_an_action_from_outside_the_chain_is_judged_among_all_such_actions():
    # An operator trims loop FIC7 once, 2 min before the chain's first change at 09:00. Judged
    # by FIC7's own rate (one trim in 5 h) that is a rare coincidence; but when nineteen other
    # loops were trimmed over the same hours, a trim that close to 09:00 is no surprise.
    # A trim of a loop of the chain (TIC1) is a specific suspect: its own rate counts.
    from rca.ranking import _score_events

    lo, hi = pd.Timestamp("2026-03-04 05:00", tz="UTC"), pd.Timestamp("2026-03-04 10:00", tz="UTC")
    t0 = pd.Timestamp("2026-03-04 09:00", tz="UTC")

    def events(others: bool):
        rows = [("FIC7", t0 - pd.Timedelta("2min")), ("TIC1", t0 - pd.Timedelta("2min"))]
        if others:
            rows += [(f"LIC{k}", lo + pd.Timedelta(minutes=13 * k)) for k in range(1, 20)]
        return pd.DataFrame({"time": [t for _, t in rows], "end": pd.NaT, "source": [s for s, _ in rows],
                             "kind": "SP_CHANGE", "message": "setpoint changed", "severity": "", "domain": "OT",
                             "origin": "journal"})

    def prob(others: bool) -> dict:
        rows = _score_events(events(others), [(t0, "mean")], t0 + pd.Timedelta("5min"), lo, hi,
                             pd.Timedelta("15min"), pd.Timedelta("10s"), None, 1.0, "UTC",
                             chain_devices={"TIC1"}, root_domain="OT", root_name="TIC1.PV")
        return {r["name"]: r["link"] for r in rows}

    alone, among = prob(False), prob(True)
    assert among["FIC7"] < 0.5 * alone["FIC7"], (alone, among)
    assert among["TIC1"] == pytest.approx(alone["TIC1"])
    assert among["TIC1"] > among["FIC7"]


def _five_minute_export(seed: int, burst: bool = True):
    """A day of service metrics exported every 5 minutes (CloudWatch style). At 10:50 the
    database's latency shoots up for two samples, and so does the shop's (the symptom, noticed
    at 10:51); a queue's depth steps at 08:00, long before; a cache's latency wanders. Ten
    minutes of incident: two samples, fewer than the change detector needs."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2026-03-04 00:00", "2026-03-04 11:55", freq="5min", tz="UTC")
    at = lambda hm: idx.get_loc(pd.Timestamp(f"2026-03-04 {hm}", tz="UTC"))  # noqa: E731
    n = len(idx)
    frame = pd.DataFrame({
        "shop.latency_p90": 120 + rng.normal(0, 4, n),
        "db.latency_p90": 8 + rng.normal(0, 0.3, n),
        "cache.latency_p90": 2 + np.cumsum(rng.normal(0, 0.02, n)),
        "queue.depth": 40 + rng.normal(0, 2, n),
    }, index=idx)
    frame.iloc[at("08:00"):, frame.columns.get_loc("queue.depth")] += 30
    if burst:
        k = at("10:50")
        frame.iloc[k:k + 2, frame.columns.get_loc("db.latency_p90")] += 12  # 40 noise sd
        frame.iloc[k:k + 2, frame.columns.get_loc("shop.latency_p90")] += 300
    return frame, pd.Timestamp("2026-03-04 10:51", tz="UTC")


def test_a_burst_too_short_for_the_change_detector_is_ranked():
    frame, start = _five_minute_export(3)
    # The detector sees no change in either: two samples are a spike to it.
    found = rca.detect_changes(frame.loc[start - pd.Timedelta("4h"):], long_run="largest")
    assert not found["signal"].isin(["db.latency_p90", "shop.latency_p90"]).any()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ranked = rank_candidates(frame, incident_start=start, symptom="shop.latency_p90")
    assert not [w for w in caught if "did not change" in str(w.message)]
    assert ranked.attrs["settings"]["bursts"] == 2
    assert ranked.attrs["settings"]["symptom_onset"] == "2026-03-04T10:50:00Z"
    top = ranked.iloc[0]
    assert top["name"] == "db.latency_p90"
    assert "(burst) at 10:50:00" in top["evidence"]
    # Without the burst there is nothing near the start to rank but the old step.
    quiet, _ = _five_minute_export(3, burst=False)
    with pytest.warns(RcaWarning, match="did not change"):
        rank_candidates(quiet, incident_start=start, symptom="shop.latency_p90")



def test_what_counts_as_a_burst():
    from rca.ranking import _bursts

    rng = np.random.default_rng(5)

    def bursts_of(freq, shape, changes=None, t0="10:30", t1="10:55"):
        idx = pd.date_range("2026-03-04 06:00", "2026-03-04 11:55", freq=freq, tz="UTC")
        at = lambda hm: idx.get_loc(pd.Timestamp(f"2026-03-04 {hm}", tz="UTC"))  # noqa: E731
        y = 10 + rng.normal(0, 1, len(idx))
        shape(y, at)
        frame = pd.DataFrame({"x": y}, index=idx)
        table = pd.DataFrame(changes or [], columns=["signal", "time", "kind"])
        day = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")  # noqa: E731
        return [t.strftime("%H:%M") for t in _bursts(frame, table, day(t0), day(t1))["time"]]

    def two_at(hm, size=20.0):
        def shape(y, at):
            y[at(hm):at(hm) + 2] += size
        return shape

    assert bursts_of("5min", two_at("10:40")) == ["10:40"]
    # Two samples of a 10 s grid: 20 s, a glitch, not a burst.
    assert bursts_of("10s", two_at("10:40")) == []
    # One sample, or three (which the detector can see with min_size = 3).
    assert bursts_of("5min", lambda y, at: y.__setitem__(at("10:40"), 30.0)) == []
    assert bursts_of("5min", lambda y, at: y.__setitem__(slice(at("10:40"), at("10:40") + 3), 30.0)) == []
    # Not beyond 5 robust sd.
    assert bursts_of("5min", two_at("10:40", size=3.0)) == []
    # Before the range looked at, or where the detector already found a change.
    assert bursts_of("5min", two_at("10:00")) == []
    assert bursts_of("5min", two_at("10:40"),
                         changes=[("x", pd.Timestamp("2026-03-04 10:45", tz="UTC"), "mean")]) == []

    # One swing of an oscillation: the sample before went as far the other way.
    def swing(y, at):
        y[at("10:35")] -= 20.0
        y[at("10:40"):at("10:40") + 2] += 20.0
    assert bursts_of("5min", swing) == []

    # A signal constant before the range has no scale to judge by.
    assert bursts_of("5min", lambda y, at: (y.__setitem__(slice(None), 100.0),
                                                y.__setitem__(slice(at("10:40"), at("10:40") + 2), 90.0))) == []
