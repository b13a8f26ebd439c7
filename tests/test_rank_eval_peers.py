"""The ranking benchmark's peers (N-sigma, BARO, random), metrics and dataset loaders,
on tiny cases whose answers are worked out by hand."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _peers, _rank_datasets as rd, rank_eval  # noqa: E402
from rca.errors import ParameterError, SourceError  # noqa: E402

IDX = pd.date_range("2025-03-30 00:30", periods=8, freq="1min", tz="UTC")  # spans the EU DST night
ONSET = IDX[6]


def small_frame():
    """Normal: 6 rows, anomalous: 2 rows.

    * ``up``:    normal 0,1,0,1,0,1 (mean 0.5, std 0.5, median 0.5, IQR 1) -> 4, 4
    * ``down``:  normal 10,11,10,11,10,11 -> 5, 6
    * ``flat``:  constant 7 (a setpoint) -> 9, 9
    * ``noise``: normal 0,1,0,1,0,1 -> 1, 0
    """
    return pd.DataFrame(
        {
            "up": [0, 1, 0, 1, 0, 1, 4, 4],
            "down": [10, 11, 10, 11, 10, 11, 5, 6],
            "flat": [7, 7, 7, 7, 7, 7, 9, 9],
            "noise": [0, 1, 0, 1, 0, 1, 1, 0],
        },
        index=IDX,
        dtype=float,
    )


# --------------------------------------------------------------------------------- peers


def test_nsigma_scores_are_max_abs_z_against_the_normal_period():
    s = _peers.nsigma_scores(small_frame(), onset=ONSET)
    # up: (4 - 0.5) / 0.5 = 7; down: |5 - 10.5| / 0.5 = 11; flat: std 0 -> 1, |9 - 7| = 2; noise: 1
    assert s.to_dict() == pytest.approx({"up": 7.0, "down": 11.0, "flat": 2.0, "noise": 1.0})
    assert _peers.ranked_names(s) == ["down", "up", "flat", "noise"]


def test_robust_scores_signed_as_the_package_and_absolute():
    f = small_frame()
    signed = _peers.robust_scores(f, onset=ONSET)
    # up: (4 - 0.5) / 1 = 3.5; down: max((5 - 10.5), (6 - 10.5)) / 1 = -4.5; flat: IQR 0 -> 1: 2
    assert signed.to_dict() == pytest.approx({"up": 3.5, "down": -4.5, "flat": 2.0, "noise": 0.5})
    absolute = _peers.robust_scores(f, onset=ONSET, absolute=True)
    assert absolute.to_dict() == pytest.approx({"up": 3.5, "down": 5.5, "flat": 2.0, "noise": 0.5})
    assert _peers.ranked_names(absolute)[0] == "down"
    assert _peers.ranked_names(signed)[-1] == "down"


def test_anomalous_period_ends_at_end():
    f = small_frame()
    s = _peers.nsigma_scores(f, onset=ONSET, end=IDX[6])
    assert s["down"] == pytest.approx(11.0)  # only the first anomalous row (5)
    s = _peers.nsigma_scores(f.assign(down=[10, 11, 10, 11, 10, 11, 11, 0.0]), onset=ONSET, end=IDX[6])
    assert s["down"] == pytest.approx(1.0)  # the drop to 0 after ``end`` is not seen


def test_baro_scores_run_the_package_and_match_our_signed_scorer():
    pytest.importorskip("baro", reason="fse-baro is not installed")
    rng = np.random.default_rng(5)
    idx = pd.date_range("2025-01-01", periods=120, freq="30s", tz="UTC")
    f = pd.DataFrame(rng.normal(size=(120, 6)), index=idx, columns=[f"s{i}" for i in range(6)])
    f.iloc[90:, 2] += 6.0
    f.iloc[90:, 4] -= 9.0  # a drop: the package's signed max does not see it
    onset = idx[90]
    package = _peers.ranked_names(_peers.baro_scores(f, onset=onset))
    ours = _peers.ranked_names(_peers.robust_scores(f, onset=onset))
    assert package == ours
    assert package[0] == "s2"
    assert package[-1] == "s4"


def test_baro_package_drops_a_column_constant_in_either_period():
    pytest.importorskip("baro", reason="fse-baro is not installed")
    s = _peers.baro_scores(small_frame(), onset=ONSET)
    assert np.isnan(s["flat"])  # constant before the onset (a setpoint)
    assert np.isnan(s["up"])  # constant after it (4, 4)
    assert _peers.ranked_names(s) == ["noise", "down", "up", "flat"]  # signed: noise 0.5 > down -4.5


def test_gaps_are_filled_within_each_period_only():
    f = small_frame()
    f.iloc[5, 0] = np.nan  # last normal sample of "up" missing: filled from 0, not from the anomalous 4
    normal, anomalous = _peers.split_periods(f, onset=ONSET)
    assert normal["up"].tolist() == [0, 1, 0, 1, 0, 0]
    assert anomalous["up"].tolist() == [4, 4]
    f["empty"] = [np.nan] * 6 + [1.0, 2.0]  # no normal data: not scorable, ranked last
    s = _peers.nsigma_scores(f, onset=ONSET)
    assert np.isnan(s["empty"])
    assert _peers.ranked_names(s)[-1] == "empty"


def test_split_periods_errors_name_the_parameter():
    f = small_frame()
    with pytest.raises(ParameterError, match=r"onset: expected a tz-aware time, got the naive 2025-03-30 00:36:00"):
        _peers.split_periods(f, onset=pd.Timestamp("2025-03-30 00:36"))
    with pytest.raises(ParameterError, match=r"onset: 2025-03-30 00:30:00\+00:00 leaves no normal rows before it"):
        _peers.split_periods(f, onset=IDX[0])
    with pytest.raises(ParameterError, match=r"onset/end: no rows between onset .* and end 2025-03-30 00:31:00"):
        _peers.split_periods(f, onset=ONSET, end=IDX[1])
    with pytest.raises(ParameterError, match=r"frame: expected a tz-aware DatetimeIndex, got a naive DatetimeIndex"):
        _peers.nsigma_scores(f.tz_localize(None), onset=ONSET)
    with pytest.raises(ParameterError, match=r"frame: expected a tz-aware DatetimeIndex, got a RangeIndex"):
        _peers.nsigma_scores(f.reset_index(drop=True), onset=ONSET)
    with pytest.raises(ParameterError, match=r"onset: expected a tz-aware time, got 'soon'"):
        _peers.split_periods(f, onset="soon")


def test_ranked_names_puts_unscored_last_and_keeps_ties_in_order():
    s = pd.Series({"a": 1.0, "b": np.nan, "c": 3.0, "d": 1.0, "e": np.nan})
    assert _peers.ranked_names(s) == ["c", "a", "d", "b", "e"]
    with pytest.raises(ParameterError, match=r"scores: expected a pandas Series of scores by name, got list"):
        _peers.ranked_names([1.0])


def test_random_ranking_is_a_seeded_permutation():
    names = [f"n{i}" for i in range(30)]
    a = _peers.random_ranking(names, seed="gen:ot_fault_1000")
    assert a == _peers.random_ranking(names, seed="gen:ot_fault_1000")
    assert sorted(a) == sorted(names)
    assert a != _peers.random_ranking(names, seed="gen:ot_fault_1001")
    assert a != names
    with pytest.raises(ParameterError, match=r"seed: expected an int, a str or a numpy Generator, got 1.5"):
        _peers.random_ranking(names, seed=1.5)


def test_random_ranking_is_right_at_chance_level():
    names = [f"n{i}" for i in range(10)]
    hits = [rank_eval.first_hit(_peers.random_ranking(names, seed=i), {"n3"}) for i in range(4000)]
    assert rank_eval.accuracy_at(hits, 1) == pytest.approx(0.1, abs=0.02)
    assert rank_eval.accuracy_at(hits, 3) == pytest.approx(0.3, abs=0.03)


def test_aggregate_max_keeps_each_components_best_metric():
    s = pd.Series({"db.lat": 2.0, "web.lat": 4.0, "db.req": 5.0, "q.len": np.nan})
    groups = {"db.lat": "db", "db.req": "db", "web.lat": "web", "q.len": "q"}
    agg = _peers.aggregate_max(s, groups)
    assert list(agg.index) == ["db", "web", "q"]
    assert agg["db"] == 5.0 and agg["web"] == 4.0 and np.isnan(agg["q"])
    assert _peers.ranked_names(agg) == ["db", "web", "q"]
    with pytest.raises(ParameterError, match=r"groups: no group for 1 scored name\(s\), e.g. 'q.len'"):
        _peers.aggregate_max(s, {k: v for k, v in groups.items() if k != "q.len"})


# ------------------------------------------------------------------------------- metrics


def test_first_hit_counts_positions_without_repeats():
    assert rank_eval.first_hit(["a", "b", "a", "c"], {"c"}) == 3
    assert rank_eval.first_hit(["x", "L3.TIC102", "L3.TIC102.SP"], {"L3.TIC102.SP", "L3.TIC102"}) == 2
    assert rank_eval.first_hit(["gw.latency", "gw.loss"], {"fw-01"}) is None  # the degraded metric is not the cause
    with pytest.raises(ParameterError, match=r"answers: expected a collection of names, got the string 'fw-01'"):
        rank_eval.first_hit(["fw-01"], "fw-01")


def test_accuracy_and_average_accuracy_by_hand():
    hits = [1, 2, None, 4, 3]
    assert rank_eval.accuracy_at(hits, 1) == pytest.approx(0.2)
    assert rank_eval.accuracy_at(hits, 3) == pytest.approx(0.6)
    # AC@1..5 = 0.2, 0.4, 0.6, 0.8, 0.8
    assert rank_eval.average_accuracy(hits, 5) == pytest.approx(0.56)
    with pytest.raises(ParameterError, match=r"k: expected a positive whole number, got 0"):
        rank_eval.accuracy_at(hits, 0)
    with pytest.raises(ParameterError, match=r"hits\[1\]: expected a positive rank or None, got 0"):
        rank_eval.accuracy_at([1, 0], 1)
    with pytest.raises(ParameterError, match=r"hits: expected at least one case, got none"):
        rank_eval.accuracy_at([], 1)
    with pytest.raises(ParameterError, match=r"k: expected a positive whole number, got True"):
        rank_eval.average_accuracy(hits, True)


def test_summarise_per_method():
    rows = pd.DataFrame({
        "method": ["rca", "rca", "N-sigma", "N-sigma"],
        "hit": [1, None, 2, 4],
        "seconds": [1.0, 3.0, 0.1, 0.3],
        "error": ["", "AnalysisError: no change", "", ""],
    })
    t = rank_eval.summarise(rows).set_index("method")
    assert t.loc["rca", "AC@1"] == 0.5 and t.loc["rca", "errors"] == 1 and t.loc["rca", "median s"] == 2.0
    assert t.loc["N-sigma", "AC@1"] == 0.0 and t.loc["N-sigma", "AC@3"] == 0.5
    assert t.loc["N-sigma", "Avg@5"] == pytest.approx((0 + 0.5 + 0.5 + 1 + 1) / 5)


def test_markdown_table_and_seed_parsing():
    text = rank_eval.markdown(pd.DataFrame({"method": ["rca"], "AC@1": [0.8756]}), 2)
    assert text.splitlines() == ["| method | AC@1 |", "|---|---|", "| rca | 0.88 |"]
    assert rank_eval._parse_seeds("1000-1002, 1005,1001") == (1000, 1001, 1002, 1005)
    with pytest.raises(ParameterError, match=r"--seeds: expected seeds like '1000-1011' or '1000,1005', got '9-3'"):
        rank_eval._parse_seeds("9-3")


# ------------------------------------------------------------------------------ loaders


MAP_HEADER = ("idv,disturbance (teprob.f / Downs & Vogel 1993),type,where it enters the simulator "
              "(teprob.f, camaramm snapshot 0643318),derived_root_cause_variables (closest vars; hand-derived),"
              "confidence,observable_in_braatz_data (post-onset mean |z| vs d00),notes\n")


def test_tep_root_map_keeps_roots_not_the_bracketed_effects(tmp_path):
    p = tmp_path / "map.csv"
    p.write_text(MAP_HEADER
                 + '1,"A/C feed ratio",step,"XST(1,4)","XMEAS(4);XMV(4) (compensation: XMV(3),XMEAS(1))",medium,"strong",\n'
                 + '21,Valve fixed,constant,"temain_mod.f","XMV(4)",high,"XMV(4) std = 0",note\n')
    m = rd.read_tep_root_map(p)
    assert m.loc[1, "roots"] == ("XMEAS(4)", "XMV(4)")
    assert m.loc[21, "roots"] == ("XMV(4)",)
    assert m.loc[1, "confidence"] == "medium"
    p.write_text(MAP_HEADER + '2,"B",step,"x","XMEAS(42);XMV(4)",low,"",\n')
    with pytest.raises(SourceError, match=r"map.csv: row 2, column derived_root_cause_variables: found 'XMEAS\(42\);XMV\(4\)'"):
        rd.read_tep_root_map(p)


def test_read_tep_names_columns_and_checks_the_shape(tmp_path):
    p = tmp_path / "d01_te.dat"
    np.savetxt(p, np.arange(3 * 52, dtype=float).reshape(3, 52))
    f = rd.read_tep(p)
    assert f.shape == (3, 52)
    assert f.columns[0] == "XMEAS(1)" and f.columns[41] == "XMV(1)" and f.columns[-1] == "XMV(11)"
    assert f.index[2] == rd.TEP_T0 + pd.Timedelta("6min") and str(f.index.tz) == "UTC"
    assert f.loc[f.index[1], "XMV(11)"] == 52 + 51
    np.savetxt(p, np.zeros((3, 50)))
    with pytest.raises(SourceError, match=r"d01_te.dat: found 50 columns; expected 52 \(XMEAS\(1..41\), XMV\(1..11\)\)"):
        rd.read_tep(p)


def _petshop_csv(path, times, values):
    cols = [("PetSite", "latency", "Average"), ("db_AWS::DynamoDB::Table", "latency", "p99"),
            ("db_AWS::DynamoDB::Table", "requests", "Sum")]
    lines = ["microservice," + ",".join(c[0] for c in cols), "metric," + ",".join(c[1] for c in cols),
             "statistic," + ",".join(c[2] for c in cols), "unix_timestamp" + "," * len(cols)]
    for t, row in zip(times, values):
        lines.append(f"{t}," + ",".join("" if np.isnan(v) else str(v) for v in row))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


def test_petshop_cases_put_the_history_just_before_the_issue(tmp_path):
    root = tmp_path / "dataset"
    _petshop_csv(root / "high" / "noissue" / "metrics.csv", [1_000_000 + 300 * i for i in range(6)],
                 [[1.0, 2.0, np.nan]] * 6)
    issue = root / "high" / "test" / "issue_0"
    _petshop_csv(issue / "metrics.csv", [2_000_000 + 300 * i for i in range(5)], [[1.0, 9.0, 3.0]] * 5)
    (issue / "target.json").write_text(json.dumps({
        "target": {"node": "PetSite", "metric": "latency", "agg": "Average", "timestamp": 2_000_500},
        "root_cause": {"node": "db_AWS::DynamoDB::Table", "metric": None}}))
    (root / "temporal" / "test" / "issue_0").mkdir(parents=True)
    cases, skipped = rd.petshop_cases(root)
    assert len(cases) == 1
    c = cases[0]
    assert c.case_id == "high/test/issue_0" and c.answers == {"db_AWS::DynamoDB::Table"}
    assert c.symptom == "PetSite.latency_Average"
    assert c.components["db_AWS::DynamoDB::Table.latency_p99"] == "db_AWS::DynamoDB::Table"
    assert len(c.frame) == 11
    assert set(c.frame.index.to_series().diff().dropna()) == {pd.Timedelta("5min")}  # the history ends one step before the issue's first row
    assert c.frame.index[5] == pd.Timestamp(2_000_000 - 300, unit="s", tz="UTC")
    assert c.incident_start == pd.Timestamp(2_000_500, unit="s", tz="UTC")
    assert c.onset == pd.Timestamp(2_000_000, unit="s", tz="UTC")  # the peers' anomalous period: the issue rows
    assert c.frame["db_AWS::DynamoDB::Table.requests_Sum"].iloc[:6].isna().all()
    assert skipped == [("temporal/test/issue_0", f"no normal-operation baseline ({root / 'temporal' / 'noissue' / 'metrics.csv'} absent)")]


def test_read_answer_key_requires_the_root(tmp_path):
    (tmp_path / "truth.json").write_text(json.dumps({"cause": "it_change", "onset": "2025-01-01T00:00:00Z"}))
    with pytest.raises(SourceError, match=r"truth.json: key 'root_cause' missing"):
        rd.read_answer_key(tmp_path)
    (tmp_path / "truth.json").write_text(json.dumps(
        {"cause": "setpoint_change", "onset": "2025-01-01T01:00:00+01:00", "root_cause": "L3.TIC102.SP",
         "aliases": ["L3.TIC102"]}))
    truth = rd.read_answer_key(tmp_path)
    assert truth["answers"] == {"L3.TIC102.SP", "L3.TIC102"}
    assert truth["onset"] == pd.Timestamp("2025-01-01 00:00", tz="UTC")


# ------------------------------------------------------------------------ shared datasets


@pytest.mark.datasets
def test_real_tep_and_petshop_cases():
    from conftest import shared_dataset

    tep = rd.tep_cases(shared_dataset("tep_braatz"))
    assert [c.case_id for c in tep][:3] == ["IDV01", "IDV02", "IDV04"] and len(tep) == 18
    first = tep[0]
    assert first.answers == {"XMEAS(4)", "XMV(4)", "XMEAS(23)", "XMEAS(25)"}
    assert first.frame.shape == (160 + 20 + 10 + 1, 52)  # up to incident start (onset + 1 h) + 30 min
    assert first.onset == first.frame.index[160]
    cases, skipped = rd.petshop_cases(shared_dataset("petshop") / "dataset")
    assert len(cases) + len(skipped) == 68
    assert {c.group for c in cases} == {"high_traffic", "low_traffic"}
    assert all(c.symptom in c.frame.columns for c in cases)


def test_wilson_interval_known_values_and_bounds():
    # Newcombe (1998), Stat. Med. 17:857, Table I, method 3 (Wilson score), 95 %.
    for k, n, ref in [(81, 263, (0.2553, 0.3662)), (15, 148, (0.0624, 0.1605)),
                      (0, 20, (0.0, 0.1611)), (1, 29, (0.0061, 0.1718))]:
        lo, hi = rank_eval.wilson_interval(k, n)
        assert (lo, hi) == pytest.approx(ref, abs=1e-4)
    for k, n in [(0, 10), (5, 10), (10, 10), (29, 96)]:
        lo, hi = rank_eval.wilson_interval(k, n)
        assert 0.0 <= lo <= k / n <= hi <= 1.0
    assert rank_eval.wilson_interval(10, 10)[1] == 1.0 and rank_eval.wilson_interval(0, 10)[0] == 0.0
    with pytest.raises(ParameterError, match="k, n"):
        rank_eval.wilson_interval(11, 10)
    with pytest.raises(ParameterError, match="n: expected"):
        rank_eval.wilson_interval(0, -1)


def test_mcnemar_exact_against_binomial_sums():
    # Two-sided exact test: 2 x P(X <= min) for X ~ Binomial(only_a + only_b, 1/2), at most 1.
    assert rank_eval.mcnemar_exact(9, 1) == pytest.approx(2 * (1 + 10) / 2 ** 10)
    assert rank_eval.mcnemar_exact(1, 9) == pytest.approx(2 * (1 + 10) / 2 ** 10)
    assert rank_eval.mcnemar_exact(12, 5) == pytest.approx(2 * (1 + 17 + 136 + 680 + 2380 + 6188) / 2 ** 17)
    assert rank_eval.mcnemar_exact(0, 7) == pytest.approx(2 / 2 ** 7)
    assert rank_eval.mcnemar_exact(3, 3) == 1.0 and rank_eval.mcnemar_exact(0, 0) == 1.0
    with pytest.raises(ParameterError, match="only_b"):
        rank_eval.mcnemar_exact(1, -2)


def test_paired_comparison_counts_discordant_cases():
    rows = pd.DataFrame({
        "case": ["a", "b", "c", "d"] * 2,
        "method": ["rca"] * 4 + ["N-sigma"] * 4,
        "hit": [1, 1, 2, None, 1, 5, None, 1],
        "seconds": [1.0] * 8,
        "error": [""] * 8,
    })
    t = rank_eval.paired_comparison(rows).set_index("method")
    # AC@1: rca alone right on b; N-sigma alone right on d.
    assert t.loc["N-sigma", "AC@1 only rca"] == 1 and t.loc["N-sigma", "AC@1 only other"] == 1
    # AC@3: rca alone on b and c; N-sigma alone on d.
    assert t.loc["N-sigma", "AC@3 only rca"] == 2 and t.loc["N-sigma", "AC@3 only other"] == 1
    assert t.loc["N-sigma", "AC@3 p"] == pytest.approx(1.0)
    s = rank_eval.summarise(rows).set_index("method")
    assert s.loc["rca", "AC@1 95 %"] == "{:.2f}-{:.2f}".format(*rank_eval.wilson_interval(2, 4))
    with pytest.raises(ParameterError, match="reference"):
        rank_eval.paired_comparison(rows[rows["method"] == "N-sigma"])


def test_failure_breakdown_counts_roles_of_misses():
    rows = pd.DataFrame({
        "case": ["a", "b", "c", "d", "a"],
        "method": ["rca", "rca", "rca", "rca", "N-sigma"],
        "group": ["ot_fault", "ot_fault", "it_change", "it_change", "ot_fault"],
        "hit": [1, 3, None, 2, 4],
        "top role": ["origin", "trigger", "origin", "trigger", None],
        "root role": ["origin", "chain", "not ranked", "trigger", None],
    })
    top, root = rank_eval.failure_breakdown(rows)
    top, root = top.set_index("cause"), root.set_index("cause")
    # Case a was right first and the N-sigma row is not rca's: three misses remain.
    assert top.loc["all", "all"] == 3
    assert top.loc["ot_fault", "trigger"] == 1 and top.loc["it_change", "origin"] == 1
    assert top.loc["it_change", "trigger"] == 1
    assert root.loc["ot_fault", "chain"] == 1 and root.loc["it_change", "not ranked"] == 1
    assert "origin" not in root.columns  # the only root found as origin was ranked first
    # Rows without roles (older runs, wide-frame datasets) give no breakdown.
    empty_top, empty_root = rank_eval.failure_breakdown(rows.drop(columns=["top role", "root role"]))
    assert empty_top.empty and empty_root.empty


@pytest.mark.parametrize("named", [True, False])
def test_run_incidents_can_withhold_the_symptom(tmp_path, monkeypatch, named):
    # --no-symptom ranks the same incident as for a user who names no symptom: rca sees none
    # (and takes stand-ins), the manifest on disk is untouched.
    import rca

    seen = []
    real = rca.rank_candidates

    def spy(inv, **kw):
        seen.append(inv.incident.symptom)
        return real(inv, **kw)

    monkeypatch.setattr(rca, "rank_candidates", spy)
    monkeypatch.setattr(rank_eval, "CAUSES", ("setpoint_change",))
    rows = rank_eval.run_incidents("generated", [3], cache=tmp_path, log=lambda *a, **k: None, symptom=named)
    case = rd.incident_case("generated", "setpoint_change", 3, cache=tmp_path)
    symptom = rca.open_investigation(case.manifest).incident.symptom
    assert symptom is not None
    assert seen == [symptom if named else None]
    rca_row = rows[rows["method"] == "rca"].iloc[0]
    assert not rca_row["error"] and rca_row["hit"] >= 1  # ranked, and the root is in the list
    # without a symptom nothing is ranked as "symptom"; stand-ins are candidates
    assert rca_row["top role"] != "symptom"
    if not named:
        assert rca_row["top role"] in {"stand-in symptom", "origin", "chain", "trigger", "unlinked"}


def test_run_incidents_can_give_every_method_coarser_signals(tmp_path, monkeypatch):
    # --resample 60s: rca ranks the 1-min means (a frame, with the investigation's events,
    # incident start and symptom), and so do the peers.
    import rca

    seen = {}
    real_rank, real_peers = rca.rank_candidates, rank_eval._peer_rankings

    def spy_rank(data, **kw):
        seen["rca"] = (data, kw)
        return real_rank(data, **kw)

    def spy_peers(frame, onset, end, **kw):
        seen["peers"] = frame
        return real_peers(frame, onset, end, **kw)

    monkeypatch.setattr(rca, "rank_candidates", spy_rank)
    monkeypatch.setattr(rank_eval, "_peer_rankings", spy_peers)
    monkeypatch.setattr(rank_eval, "CAUSES", ("it_change",))
    rows = rank_eval.run_incidents("generated", [3], cache=tmp_path, log=lambda *a, **k: None, resample="60s")
    frame, kw = seen["rca"]
    assert isinstance(frame, pd.DataFrame)
    assert (frame.index.to_series().diff().dropna() == pd.Timedelta("60s")).all()
    assert seen["peers"] is frame
    case = rd.incident_case("generated", "it_change", 3, cache=tmp_path)
    inv = rca.open_investigation(case.manifest)
    assert kw["symptom"] == inv.incident.symptom and kw["incident_start"] == inv.incident.start
    assert len(kw["events"]) == len(inv.events)
    rca_row = rows[rows["method"] == "rca"].iloc[0]
    assert not rca_row["error"] and rca_row["hit"] >= 1
