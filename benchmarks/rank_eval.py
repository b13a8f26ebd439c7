"""How well ``rca.rank_candidates`` finds root causes, against peers on the same data.

Datasets (details and answer keys in ``benchmarks/_rank_datasets.py``):

* **generated**: ``rca.datasets.make_incident`` (the project's own generator), the four
  causes x ``--seeds`` (default 9500-9523: 96 incidents; the ranking was developed on seeds
  100-111, 200-229, 1000-1011 and 1100-1111 (weights were estimated on 100-111, 1000-1011
  and 1100-1111), which are therefore not used for reporting; 3000-3011, 4000-4011,
  9000-9011, 9100-9111, 9200-9223, 9300-9323, 9400-9423, 9600-9611, 9700-9711, 9900-9911,
  10000-10011, 10100-10111, 10200-10211, 10300-10311, 10400-10411, 10500-10523, 10600-10611 and
  10700-10723, 10800-10823, 10900-10923, 11000-11023, 11100-11123, 11200-11223, 11300-11323,
  11400-11423, 11600-11623 and 11800-11823 were reported before, 9800-9811 checked variants,
  11500-11523, 11700-11723 and 11900-11923 each decided one change (a before/after, not a
  report); use 12000 and up next), with
  distractor changes near the onset;
* **holdout**: ``benchmarks.holdout.generate``, an independent generator written without
  looking at ``rca`` (incidents the project has never seen), the same causes x
  ``--holdout-seeds`` (default 9500-9549, 200 incidents; its README asks for fresh seeds in
  every report; 6000-6011, 7000-7011, 8000-8011, 9000-9023, 9100-9123, 9200-9249,
  9300-9349, 9400-9449, 9600-9624, 9700-9724, 9900-9924, 10000-10024, 10100-10124, 10200-10224, 10300-10324,
  10400-10424, 10500-10549, 10600-10624, 10700-10749, 10800-10849, 10900-10949, 11000-11049,
  11100-11149, 11200-11249, 11300-11349, 11400-11449, 11600-11649 and 11800-11849 were
  reported before, 9800-9824 checked variants, 11500-11549, 11700-11749 and 11900-11949 each
  decided one change (a before/after, not a report; use 12000 and up next), and 5000-5011, 5100-5119, 5200-5229, 5300-5314 and 5400-5414 were used to
  diagnose failures, to estimate weights or to check a change);
* **tep**: Tennessee Eastman (Braatz), the 18 detectable faults, answer = the approximate
  root variables of ``idv_root_cause_map.csv``;
* **petshop**: PetShop issues that have a normal-operation history, answer = the root-cause
  component.

Methods, all on the same data in the same run:

* ``rca``: ``rca.rank_candidates`` with its defaults (an Investigation for incident folders;
  a wide frame with ``incident_start`` for TEP and PetShop, plus the target as symptom for
  PetShop). It ranks signals and event sources.
* ``N-sigma``: max ``|z|`` of the anomalous period against the normal period (RCAEval).
* ``BARO``: BARO's RobustScorer run by the ``fse-baro`` package itself (signed max robust z;
  columns constant in either period dropped, as the package does).
* ``BARO abs``: the same scorer with ``|z|`` and constant columns kept (our re-implementation,
  kinder to the peer: drops and setpoint moves count).
* ``random``: a seeded random order of the same candidates ``rca`` may name (signals and,
  for incident folders, the event sources in the window).

The peers get the **true onset** (as RCAEval gives it): normal = everything before it,
anomalous = onset .. end of the investigation window (incident start + look-ahead). They see
signals only, so they cannot name an event source: for an IT change they cannot be right,
and are scored by the same rule as ``rca`` (the change record's host, never the metric it
degraded). PetShop ranks components: a peer's component score is its best metric's score,
``rca``'s component order is the order in which its ranked metrics first name a component.

Metrics (RCAEval): AC@k = share of cases with a right answer among the first k; Avg@5 = mean
of AC@1..AC@5. A method that fails on a case (an exception) scores a miss there, and the
failure is counted in the ``errors`` column and listed. Each AC@1 and AC@3 comes with its
95 % Wilson interval, and rca is compared with every other method case by case: the cases
only one of the two had right, and the exact McNemar p-value of that difference (whether
"ahead of every peer" is more than the luck of the draw). For incident folders a failure
breakdown follows: per cause, over the incidents rca did not rank first, the role (in rca's
ranking) of what it put first instead and of the true root.

Timing: one 8-hour, 50-signal incident with about 10,000 loaded events
(``make_incident(cause="it_change", seed=2000, n_signals=50, events_per_hour=1660)``: 13,280
exported event rows, alarm activations and returns load as one event), median of 3 runs of
load and of ``rank_candidates`` against N-sigma on the same data, in the same process.

Run: ``nice -n 10 .venv/bin/python benchmarks/rank_eval.py`` (``--quick`` for 3 seeds per
cause and one PetShop issue per scenario and root component, ``--only generated,tep`` for
some datasets, ``--seeds 3000-3011``, ``--no-symptom`` to rank the generated and hold-out
incidents with their symptom withheld, as for a user who names none, ``--resample 60s`` to
give every method their signals as 1-min means, as a historian exports them at a coarser
rate). Incident folders are cached in ``$TMPDIR/rca_rank_eval`` (keyed by a hash of each
generator's code).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import _peers, _rank_datasets as rd  # noqa: E402
from rca.errors import ParameterError  # noqa: E402

CAUSES = ("ot_fault", "setpoint_change", "it_change", "it_saturation")
METHODS = ("rca", "N-sigma", "BARO", "BARO abs", "random")
DATASETS = ("generated", "holdout", "tep", "petshop", "timing")
DEFAULT_SEEDS = tuple(range(9500, 9524))
QUICK_SEEDS = tuple(range(3000, 3003))
#: The hold-out README asks for fresh seeds in every report: change ``--holdout-seeds`` each time.
DEFAULT_HOLDOUT_SEEDS = tuple(range(9500, 9550))


# ------------------------------------------------------------------------------ metrics


def first_hit(ranked: Sequence, answers: Collection) -> int | None:
    """1-based position of the first right answer in ``ranked`` (None when there is none).

    A name that appears again further down is not counted twice: positions are those of the
    list with repeats removed.

    Examples
    --------
    >>> first_hit(["a", "b", "a", "c"], {"c"})
    3
    >>> first_hit(["a", "b"], {"z"}) is None
    True
    """
    if isinstance(answers, str):
        raise ParameterError(f"answers: expected a collection of names, got the string {answers!r}")
    seen = []
    for name in ranked:
        if name in seen:
            continue
        seen.append(name)
        if name in answers:
            return len(seen)
    return None


def _check_hits(hits) -> list:
    hits = list(hits)
    for i, h in enumerate(hits):
        if h is not None and (isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 1):
            raise ParameterError(f"hits[{i}]: expected a positive rank or None, got {h!r}")
    return hits


def accuracy_at(hits, k: int) -> float:
    """AC@k: the share of cases whose first right answer is among the first ``k``.

    Parameters
    ----------
    hits : iterable of int or None
        Per case, :func:`first_hit` (None = never right).
    k : int
        How many candidates count [-].

    Examples
    --------
    >>> accuracy_at([1, 2, None, 4], 2)
    0.5
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"k: expected a positive whole number, got {k!r}")
    hits = _check_hits(hits)
    if not hits:
        raise ParameterError("hits: expected at least one case, got none")
    return sum(h is not None and h <= k for h in hits) / len(hits)


def average_accuracy(hits, k: int = 5) -> float:
    """Avg@k: the mean of AC@1 .. AC@k.

    Examples
    --------
    >>> average_accuracy([1, 3], k=5)  # AC@1..5 = 0.5, 0.5, 1, 1, 1
    0.8
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ParameterError(f"k: expected a positive whole number, got {k!r}")
    return float(np.mean([accuracy_at(hits, j) for j in range(1, k + 1)]))


def _check_count(name: str, v) -> None:
    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
        raise ParameterError(f"{name}: expected a whole number >= 0, got {v!r}")


def wilson_interval(k: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval of a share ``k / n`` (95 % by default), by statsmodels'
    ``proportion_confint(method="wilson")``.

    With a few dozen cases an AC@k is uncertain by several points; the interval says by
    how much (Wilson rather than the normal approximation, which fails at 0 and 1).

    Examples
    --------
    >>> [round(v, 3) for v in wilson_interval(5, 10)]
    [0.237, 0.763]
    >>> [round(v, 3) for v in wilson_interval(0, 10)]
    [0.0, 0.278]
    """
    from statsmodels.stats.proportion import proportion_confint

    _check_count("k", k)
    _check_count("n", n)
    if n == 0 or k > n:
        raise ParameterError(f"k, n: expected 0 <= k <= n and n >= 1, got k={k}, n={n}")
    lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
    return float(lo), float(hi)


def mcnemar_exact(only_a: int, only_b: int) -> float:
    """Two-sided exact McNemar p-value for paired right/wrong outcomes (statsmodels'
    ``mcnemar(exact=True)``): ``only_a`` cases that method A got right and B wrong,
    ``only_b`` the other way round. Cases both got right or both wrong say nothing about
    which is better.

    Examples
    --------
    >>> round(mcnemar_exact(9, 1), 4)
    0.0215
    >>> mcnemar_exact(3, 3)
    1.0
    """
    from statsmodels.stats.contingency_tables import mcnemar

    _check_count("only_a", only_a)
    _check_count("only_b", only_b)
    if only_a + only_b == 0:
        return 1.0
    return float(mcnemar([[0, only_a], [only_b, 0]], exact=True).pvalue)


def _interval_text(hits, k: int) -> str:
    right = sum(h is not None and h <= k for h in hits)
    lo, hi = wilson_interval(right, len(hits))
    return f"{lo:.2f}-{hi:.2f}"


def summarise(rows: pd.DataFrame, by=("method",)) -> pd.DataFrame:
    """AC@1, AC@3 (with 95 % Wilson intervals), Avg@5, cases, errors and median seconds per
    case, per ``by`` group."""
    out = []
    for key, g in rows.groupby(list(by), sort=False):
        hits = [None if pd.isna(h) else int(h) for h in g["hit"]]
        key = key if isinstance(key, tuple) else (key,)
        out.append({**dict(zip(by, key)), "AC@1": accuracy_at(hits, 1), "AC@1 95 %": _interval_text(hits, 1),
                    "AC@3": accuracy_at(hits, 3), "AC@3 95 %": _interval_text(hits, 3),
                    "Avg@5": average_accuracy(hits, 5), "n": len(hits), "errors": int((g["error"] != "").sum()),
                    "median s": float(np.median(g["seconds"]))})
    return pd.DataFrame(out)


def paired_comparison(rows: pd.DataFrame, reference: str = "rca", ks=(1, 3)) -> pd.DataFrame:
    """``reference`` against every other method on the same cases: per k, the cases only
    the reference had right within the first k, the cases only the other had, and the exact
    McNemar p-value of the difference (is "ahead" more than luck of the draw?)."""
    wide = rows.pivot_table(index="case", columns="method", values="hit", aggfunc="first", dropna=False)
    if reference not in wide.columns:
        raise ParameterError(f"reference: no rows of method {reference!r}; methods: {sorted(wide.columns)}")
    out = []
    for other in [m for m in METHODS if m in wide.columns and m != reference]:
        line = {"method": other}
        for k in ks:
            a, b = wide[reference].le(k), wide[other].le(k)  # a missing hit (NaN) is not <= k
            only_a, only_b = int((a & ~b).sum()), int((b & ~a).sum())
            line[f"AC@{k} only {reference}"] = only_a
            line[f"AC@{k} only other"] = only_b
            line[f"AC@{k} p"] = mcnemar_exact(only_a, only_b)
        out.append(line)
    return pd.DataFrame(out)


def markdown(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub pipe table of ``frame`` (floats with ``digits`` decimals)."""
    def cell(v):
        if isinstance(v, (float, np.floating)):
            return "" if np.isnan(v) else f"{v:.{digits}f}"
        return str(v)

    cols = list(frame.columns)
    lines = ["| " + " | ".join(map(str, cols)) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join(lines)


# ------------------------------------------------------------------------------ running


def _timed(fn, *args, **kwargs):
    t = time.perf_counter()
    try:
        out, err = fn(*args, **kwargs), ""
    except Exception as exc:  # a failure on one case is a miss there, counted and listed
        out, err = None, f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return out, time.perf_counter() - t, err


def _peer_rankings(frame, onset, end, *, components=None) -> dict:
    """{method: (ranked names, seconds, error)} for the three scorers on one frame."""
    scorers = {
        "N-sigma": lambda: _peers.nsigma_scores(frame, onset=onset, end=end),
        "BARO": lambda: _peers.baro_scores(frame, onset=onset, end=end),
        "BARO abs": lambda: _peers.robust_scores(frame, onset=onset, end=end, absolute=True),
    }
    out = {}
    for name, fn in scorers.items():
        def ranked():
            s = fn()
            if components:
                s = _peers.aggregate_max(s, components)
            return _peers.ranked_names(s)

        out[name] = _timed(ranked)
    return out


def _row(dataset, case, group, method, ranked, seconds, error, answers, exclude=None):
    hit = first_hit(ranked, answers) if ranked is not None else None
    unique = [] if ranked is None else list(dict.fromkeys(ranked))
    row = {"dataset": dataset, "case": case, "group": group, "method": method, "hit": hit,
           "hit name": unique[hit - 1] if hit else None, "seconds": seconds, "error": error,
           "top": unique[:3]}
    if exclude is not None:  # diagnostic: the same ranking without one name (the symptom's component)
        row["hit without symptom component"] = first_hit([n for n in unique if n != exclude], answers) if hit else None
    return row


def coarsen(signals: pd.DataFrame, rule: str) -> pd.DataFrame:
    """The signals as a historian's averages over ``rule`` (``"60s"``): the mean of each
    interval, stamped at its start (an interval without samples stays empty).

    >>> idx = pd.date_range("2026-03-04 09:00", periods=4, freq="30s", tz="UTC")
    >>> coarsen(pd.DataFrame({"TT-1": [1.0, 3.0, 5.0, 7.0]}, index=idx), "60s")["TT-1"].tolist()
    [2.0, 6.0]
    """
    return signals.resample(rule, label="left", closed="left").mean()


def run_incidents(generator: str, seeds, *, cache=None, random_seed=0, log=print, symptom=True,
                  resample=None) -> pd.DataFrame:
    """Every method on every (cause, seed) incident folder of one generator.

    ``symptom=False`` ranks with the manifest's symptom withheld, as for a user who names none
    (``rca`` then takes the strongest changes near the incident start as stand-ins; the peers
    never use the symptom). ``resample`` (a pandas rule, ``"60s"``) gives every method the
    signals as averages over that interval (:func:`coarsen`), as a historian exports them at
    a coarser rate; ``rca`` then ranks the frame with the investigation's events, signal
    information, incident start, symptom and window. An incident the generator cannot make
    is not scored; it is listed in ``attrs["skipped"]``."""
    import dataclasses

    import rca

    version = rd.generator_version(generator)
    rows, skipped = [], []
    for cause in CAUSES:
        for seed in seeds:
            case, t_gen, err = _timed(rd.incident_case, generator, cause, seed, cache=cache, version=version)
            if case is None:  # the generator failed: no incident, nothing to score; listed
                skipped.append((f"{cause}_{seed}", f"generator failed: {err}"))
                log(f"  {generator} {cause}_{seed:<12} GENERATOR FAILED {err}")
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t = time.perf_counter()
                inv = rca.open_investigation(case.manifest)
                t_load = time.perf_counter() - t
                if not symptom:
                    inv.incident = dataclasses.replace(inv.incident, symptom=None)
                lo, end = inv.resolve_window("incident")
                signals = inv.signals
                if resample:
                    signals = coarsen(signals, resample)
                    cands, secs, err = _timed(rca.rank_candidates, signals, events=inv.events,
                                              signal_info=inv.signal_info, incident_start=inv.incident.start,
                                              symptom=inv.incident.symptom, window=(lo, end))
                else:
                    cands, secs, err = _timed(rca.rank_candidates, inv)
            ranked = None if cands is None else list(cands["name"])
            rows.append(_row(generator, case.case_id, cause, "rca", ranked, secs, err, case.answers))
            rows[-1]["load s"] = t_load
            rows[-1]["truth"] = case.root_cause
            if cands is not None and len(cands) and "role" in cands:  # for the failure breakdown
                roles = cands["role"].astype(str).tolist()
                rows[-1]["top role"] = roles[0]
                right = [r for n, r in zip(cands["name"], roles) if n in case.answers]
                rows[-1]["root role"] = right[0] if right else "not ranked"
            hit = rows[-1]["hit"]
            for name, (rk, s, e) in _peer_rankings(signals, case.onset, end).items():
                rows.append(_row(generator, case.case_id, cause, name, rk, s, e, case.answers))
            ev = inv.events
            sources = sorted(set(ev.loc[(ev["time"] >= lo) & (ev["time"] <= end), "source"].astype(str)))
            universe = list(signals.columns) + [s for s in sources if s not in signals.columns]
            rk, s, e = _timed(_peers.random_ranking, universe, seed=f"{random_seed}:{generator}:{case.case_id}")
            rows.append(_row(generator, case.case_id, cause, "random", rk, s, e, case.answers))
            log(f"  {generator} {case.case_id:<22} prepare {t_gen:5.1f} s  load {t_load:4.1f} s  "
                f"rank {secs:5.1f} s  rca hit {hit if hit is not None else '-'}" + (f"  ERROR {err}" if err else ""))
    out = pd.DataFrame(rows)
    out.attrs["skipped"] = skipped
    return out


def run_frames(cases, *, random_seed=0, log=print) -> pd.DataFrame:
    """Every method on wide-frame cases (TEP, PetShop)."""
    import rca

    rows = []
    for case in cases:
        exclude = case.components.get(case.symptom) if case.components and case.symptom else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            cands, secs, err = _timed(rca.rank_candidates, case.frame, incident_start=case.incident_start,
                                      symptom=case.symptom)
        ranked = None
        if cands is not None:
            names = list(cands["name"])
            ranked = [case.components.get(n, n) for n in names] if case.components else names
        rows.append(_row(case.dataset, case.case_id, case.group, "rca", ranked, secs, err, case.answers, exclude))
        hit = rows[-1]["hit"]
        if cands is not None and case.symptom is None:  # which signals rca chose to stand in for the symptom
            rows[-1]["stand-in symptoms"] = list(cands.attrs.get("settings", {}).get("symptoms", []))
        comp = case.components or None
        for name, (rk, s, e) in _peer_rankings(case.frame, case.onset, case.end, components=comp).items():
            rows.append(_row(case.dataset, case.case_id, case.group, name, rk, s, e, case.answers, exclude))
        universe = list(dict.fromkeys(case.components.values())) if case.components else list(case.frame.columns)
        rk, s, e = _timed(_peers.random_ranking, universe, seed=f"{random_seed}:{case.dataset}:{case.case_id}")
        rows.append(_row(case.dataset, case.case_id, case.group, "random", rk, s, e, case.answers, exclude))
        log(f"  {case.dataset} {case.case_id:<34} rank {secs:5.2f} s  rca hit {hit if hit is not None else '-'}"
            + (f"  ERROR {err}" if err else ""))
    return pd.DataFrame(rows)


def run_timing(*, cache=None, cause="it_change", seed=2000, events_per_hour=1660, repeats=3) -> dict:
    """Median load and ranking time on one 8 h, 50-signal incident with about 10,000 loaded
    events (1,660 exported rows per hour: alarm activations and returns load as one event), vs
    N-sigma on the same signals."""
    import rca
    from rca.datasets import make_incident

    cache = rd.CACHE if cache is None else Path(cache)
    folder = cache / f"timing-{rd.generator_version('generated')}" / f"{cause}_{seed}_{events_per_hour}"
    if not (folder / ".complete").exists():
        folder.mkdir(parents=True, exist_ok=True)
        make_incident(cause=cause, seed=seed, n_signals=50, events_per_hour=events_per_hour).write(folder)
        (folder / ".complete").write_text("ok\n")
    truth = rd.read_answer_key(folder)
    load, rank, nsig = [], [], []
    for _ in range(repeats):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t0 = time.perf_counter()
            inv = rca.open_investigation(folder / "investigation.toml")
            t1 = time.perf_counter()
            rca.rank_candidates(inv)
            t2 = time.perf_counter()
        _, end = inv.resolve_window("incident")
        t3 = time.perf_counter()
        _peers.nsigma_scores(inv.signals, onset=truth["onset"], end=end)
        t4 = time.perf_counter()
        load.append(t1 - t0)
        rank.append(t2 - t1)
        nsig.append(t4 - t3)
    step = (inv.signals.index[1] - inv.signals.index[0]).total_seconds()
    return {
        "incident": f"make_incident(cause={cause!r}, seed={seed}, n_signals=50, events_per_hour={events_per_hour})",
        "signals": int(inv.signals.shape[1]), "events": int(len(inv.events)), "grid_s": step,
        "rows": int(inv.signals.shape[0]),
        "times": {"open_investigation (load)": load, "rank_candidates": rank,
                  "load + rank": list(np.add(load, rank)), "N-sigma on the same signals": nsig},
        "loadavg": os.getloadavg()[0],
    }


def report_timing(t: dict) -> str:
    rows = [{"step": k, "median [s]": float(np.median(v)), "runs [s]": ", ".join(f"{x:.3f}" for x in v)}
            for k, v in t["times"].items()]
    ratio = np.median(t["times"]["rank_candidates"]) / max(np.median(t["times"]["N-sigma on the same signals"]), 1e-9)
    return "\n".join([
        f"### Timing (median of {len(rows[0]['runs [s]'].split(','))} runs, same process)", "",
        f"{t['incident']}: {t['signals']} signals x {t['rows']} rows on a {t['grid_s']:g} s grid, "
        f"{t['events']} loaded events; load average {t['loadavg']:.1f}.", "",
        markdown(pd.DataFrame(rows), 3), "",
        f"rank_candidates / N-sigma = {ratio:,.0f}x (N-sigma scores the same signals given the true onset; "
        "it neither loads nor reads events).", "",
    ])


# ------------------------------------------------------------------------------ reporting


def per_group_table(rows: pd.DataFrame, groups) -> pd.DataFrame:
    """Method x (group AC@1, group AC@3)."""
    table = []
    for method in METHODS:
        m = rows[rows["method"] == method]
        if m.empty:
            continue
        line = {"method": method}
        for g in groups:
            hits = [None if pd.isna(h) else int(h) for h in m.loc[m["group"] == g, "hit"]]
            if hits:
                line[f"{g} AC@1"] = accuracy_at(hits, 1)
                line[f"{g} AC@3"] = accuracy_at(hits, 3)
        table.append(line)
    return pd.DataFrame(table)


def hit_matrix(rows: pd.DataFrame) -> pd.DataFrame:
    """Case x method: rank of the first right answer ('-' = not ranked)."""
    wide = rows.pivot_table(index="case", columns="method", values="hit", aggfunc="first", dropna=False, sort=False)
    wide = wide.reindex(columns=[m for m in METHODS if m in wide.columns])
    return wide.map(lambda v: "-" if pd.isna(v) else str(int(v))).reset_index()


def _ordered(table: pd.DataFrame) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(METHODS)}
    return table.sort_values("method", key=lambda s: s.map(order)).reset_index(drop=True)


def report_incidents(rows: pd.DataFrame, title: str) -> str:
    out = [f"### {title}", "", markdown(_ordered(summarise(rows))), ""]
    out += _paired_lines(rows)
    out += ["Per cause (AC@1 / AC@3):", "", markdown(per_group_table(rows, CAUSES), 2), ""]
    out += _breakdown_lines(rows)
    r = rows[rows["method"] == "rca"]
    found = r[r["hit"].notna()]
    by_alias = found[found["hit name"] != found["truth"]]
    misses = r[(r["hit"] != 1) | r["hit"].isna()]
    if len(misses):
        out += ["rca not first (case: truth -> rank of truth; rca's top 3):", ""]
        for _, m in misses.iterrows():
            rank = "-" if pd.isna(m["hit"]) else int(m["hit"])
            out.append(f"- {m['case']}: {m['truth']} -> {rank}; {', '.join(m['top'] or [])}"
                       + (f" ({m['error']})" if m["error"] else ""))
        out.append("")
    for case, reason in rows.attrs.get("skipped", []):
        out.append(f"Not scored: {case}: {reason}")
    if rows.attrs.get("skipped"):
        out.append("")
    load = rows["load s"].dropna() if "load s" in rows else pd.Series(dtype=float)
    if len(load):
        out += [f"Load (open_investigation) median {load.median():.2f} s per incident. rca named the root "
                f"somewhere in its list in {len(found)} of {len(r)} incidents; in {len(by_alias)} of them by an "
                f"alias ({', '.join(f'{a} for {b}' for a, b in zip(by_alias['hit name'], by_alias['truth'])) or '-'}).",
                ""]
    return "\n".join(out)


def failure_breakdown(rows: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Where ``rca`` went wrong, per cause, over the cases it did not rank first: the role of
    what it ranked first instead (``trigger``: an event source; ``origin``: the earliest
    change of the chain it found; ...), and the role the true root had in its ranking
    (``chain``: found linked but not as the origin; ``unlinked``: no path to the symptom; ...).
    Counts of cases; empty tables when the rows carry no roles."""
    r = rows[(rows["method"] == "rca")]
    if "top role" not in r:
        return pd.DataFrame(), pd.DataFrame()
    wrong = r[r["hit"] != 1]  # a miss (NaN) is != 1 too
    if wrong.empty:
        return pd.DataFrame(), pd.DataFrame()
    top = pd.crosstab(wrong["group"], wrong["top role"].fillna("(none)"), margins=True, margins_name="all")
    root = pd.crosstab(wrong["group"], wrong["root role"].fillna("(none)"), margins=True, margins_name="all")
    return (top.rename_axis(index="cause", columns=None).reset_index(),
            root.rename_axis(index="cause", columns=None).reset_index())


def _breakdown_lines(rows: pd.DataFrame) -> list:
    top, root = failure_breakdown(rows)
    if top.empty:
        return []
    return ["Where rca was not right first: what it ranked first instead (role in its ranking), per cause:", "",
            markdown(top), "", "... and where the true root stood in its ranking:", "", markdown(root), ""]


def _paired_lines(rows: pd.DataFrame) -> list:
    if "rca" not in set(rows["method"]) or rows["method"].nunique() < 2:
        return []
    return ["rca against each method on the same cases (cases only one of the two had right; exact McNemar "
            "p-value of the difference):", "",
            markdown(paired_comparison(rows).map(lambda v: f"{v:.2g}" if isinstance(v, float) else v)), ""]


def report_frames(rows: pd.DataFrame, title: str, cases) -> str:
    symptom_component = {c.case_id: c.components.get(c.symptom) for c in cases}.get
    out = [f"### {title}", "", markdown(_ordered(summarise(rows))), ""]
    out += _paired_lines(rows)
    if title.startswith("Tennessee"):
        hm = hit_matrix(rows)
        answers = {c.case_id: ", ".join(sorted(c.answers)) for c in cases}
        hm.insert(1, "root variables (map)", hm["case"].map(answers))
        out += ["Rank of the first root variable per fault ('-' = not ranked):", "", markdown(hm), ""]
        if "stand-in symptoms" in rows:
            r = rows[(rows["method"] == "rca") & rows["stand-in symptoms"].notna()]
            answers_of = {c.case_id: c.answers for c in cases}
            used = [f"{case} ({', '.join(sorted(set(s) & answers_of[case]))})"
                    for case, s in zip(r["case"], r["stand-in symptoms"]) if set(s) & answers_of[case]]
            out += [f"Without a named symptom rca takes the strongest changes near the incident start as stand-in "
                    f"symptoms (ranked with the other candidates); a root variable was among them in {len(used)} "
                    f"of {len(r)} faults: "
                    + (", ".join(used) or "none") + ".", ""]
    else:
        groups = list(dict.fromkeys(c.group for c in cases))
        out += ["Per scenario (AC@1 / AC@3):", "", markdown(per_group_table(rows, groups), 2), ""]
        by_root = rows.assign(group=rows["case"].map({c.case_id: next(iter(c.answers)) for c in cases}))
        roots = sorted(by_root["group"].unique())
        t = per_group_table(by_root, roots)
        out += ["Per root-cause component (AC@1 / AC@3):", "",
                markdown(t.set_axis([c.replace("_AWS::", " ") for c in t.columns], axis=1), 2), ""]
        if "hit without symptom component" in rows:
            top_sym = rows[rows["top"].map(lambda t: bool(t)) & (rows["top"].map(lambda t: t[0] if t else None)
                                                                  == rows["case"].map(symptom_component))]
            counts = top_sym.groupby("method").size().reindex(list(METHODS), fill_value=0)
            diag = _ordered(summarise(rows.assign(hit=rows["hit without symptom component"])))
            out += ["Diagnostic, not the score: the same rankings with the symptom's own component "
                    "removed (the dataset's root is never the target's component). Cases where a method "
                    "ranked the symptom's component first: "
                    + ", ".join(f"{m} {n}" for m, n in counts.items()) + ".", "",
                    markdown(diag.drop(columns=["median s", "errors"])), ""]
    errors = rows[rows["error"] != ""]
    if len(errors):
        out += ["Failures:", ""] + [f"- {r['method']} on {r['case']}: {r['error']}" for _, r in errors.iterrows()] + [""]
    return "\n".join(out)


def _parse_seeds(text: str) -> tuple:
    seeds = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                if b < a:
                    raise ValueError
                seeds += list(range(a, b + 1))
            elif part:
                seeds.append(int(part))
        except ValueError:
            raise ParameterError(f"--seeds: expected seeds like '1000-1011' or '1000,1005', got {text!r}") from None
    if not seeds:
        raise ParameterError(f"--seeds: expected at least one seed, got {text!r}")
    return tuple(dict.fromkeys(seeds))


def _seed_text(seeds) -> str:
    contiguous = list(seeds) == list(range(seeds[0], seeds[0] + len(seeds)))
    return f"{seeds[0]}-{seeds[-1]}" if contiguous and len(seeds) > 1 else ",".join(map(str, seeds))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 seeds per cause; PetShop: one issue per scenario and root component")
    parser.add_argument("--only", default=",".join(DATASETS),
                        help=f"comma-separated subset of {', '.join(DATASETS)} (default: all)")
    parser.add_argument("--seeds", default=None,
                        help="seeds per cause of the generated incidents, e.g. 9500-9523 (default) or 9500,9504")
    parser.add_argument("--holdout-seeds", default=None,
                        help="seeds per cause of the hold-out incidents (default 9500-9549; use fresh ones for "
                             "every report, as benchmarks/holdout/README.md asks)")
    parser.add_argument("--tep-delay", default="1h", help="TEP incident start after the fault onset (default 1h)")
    parser.add_argument("--random-seed", type=int, default=0, help="seed of the random ranking (default 0)")
    parser.add_argument("--cache", default=None, help=f"incident cache folder (default {rd.CACHE})")
    parser.add_argument("--quiet", action="store_true", help="no per-case progress lines")
    parser.add_argument("--no-symptom", action="store_true",
                        help="rank the generated and hold-out incidents with their symptom withheld (stand-ins)")
    parser.add_argument("--resample", default=None, metavar="RULE",
                        help="give every method the generated and hold-out incidents' signals as averages over "
                             "RULE (e.g. 60s: 1-min means stamped at the interval's start), as a historian "
                             "exports them at a coarser rate")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in only if s not in DATASETS]
    if unknown:
        parser.error(f"--only: unknown {unknown}; expected some of {', '.join(DATASETS)}")
    seeds = _parse_seeds(args.seeds) if args.seeds else (QUICK_SEEDS if args.quick else DEFAULT_SEEDS)
    holdout_seeds = (_parse_seeds(args.holdout_seeds) if args.holdout_seeds
                     else DEFAULT_HOLDOUT_SEEDS[:len(QUICK_SEEDS)] if args.quick else DEFAULT_HOLDOUT_SEEDS)
    log = (lambda *a, **k: None) if args.quiet else (lambda *a, **k: print(*a, **k, flush=True))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "--", "rca"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    ranking_hash = hashlib.sha256((ROOT / "rca" / "ranking.py").read_bytes()).hexdigest()[:10]
    t_all = time.perf_counter()
    sections = [
        "## Root-cause ranking evaluation",
        "",
        f"commit {commit or '?'}" + (" (rca/ has uncommitted changes)" if dirty else "")
        + f"; rca/ranking.py sha256 {ranking_hash}"
        + (f"; RCA_RANK_EXP={os.environ['RCA_RANK_EXP']}" if "RCA_RANK_EXP" in os.environ else "")
        + f"; seeds per cause: generated {_seed_text(seeds)}, hold-out {_seed_text(holdout_seeds)}; "
        + ("symptom withheld (--no-symptom); " if args.no_symptom else "")
        + (f"signals as {args.resample} means (--resample); " if args.resample else "")
        + f"random seed {args.random_seed}; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores",
        "",
    ]
    print("\n".join(sections), flush=True)

    clock = [time.perf_counter()]

    def emit(text):
        now = time.perf_counter()
        text = f"{text.rstrip()}\n\n(section wall time {now - clock[0]:.0f} s)\n"
        clock[0] = now
        sections.append(text)
        print(text, flush=True)

    variant = "; symptom withheld: rca ranks against stand-ins" if args.no_symptom else ""
    if args.resample:
        variant += f"; signals as {args.resample} means"
    if "generated" in only:
        log(f"generated incidents ({len(seeds) * 4}) ...")
        rows = run_incidents("generated", seeds, cache=args.cache, random_seed=args.random_seed, log=log,
                             symptom=not args.no_symptom, resample=args.resample)
        emit(report_incidents(rows, f"Generated incidents (rca.datasets, {len(rows) // len(METHODS)} cases{variant})"))
    if "holdout" in only:
        try:
            from benchmarks.holdout import generate  # noqa: F401
        except ImportError as exc:
            emit(f"### Hold-out incidents\n\nskipped: benchmarks.holdout.generate cannot be imported ({exc})\n")
        else:
            log(f"hold-out incidents ({len(holdout_seeds) * 4}) ...")
            rows = run_incidents("holdout", holdout_seeds, cache=args.cache, random_seed=args.random_seed, log=log,
                                 symptom=not args.no_symptom, resample=args.resample)
            emit(report_incidents(rows, f"Hold-out incidents (benchmarks.holdout, {len(rows) // len(METHODS)} "
                                        f"cases{variant})"))
    if "tep" in only:
        folder = rd.DATASETS / "tep_braatz"
        if not folder.exists():
            emit(f"### Tennessee Eastman\n\nskipped: {folder} not found\n")
        else:
            cases = rd.tep_cases(folder, delay=args.tep_delay)
            log(f"TEP ({len(cases)} faults) ...")
            rows = run_frames(cases, random_seed=args.random_seed, log=log)
            emit(report_frames(rows, f"Tennessee Eastman ({len(cases)} faults; IDV "
                                     f"{', '.join(map(str, rd.TEP_UNDETECTABLE))} excluded; incident start = "
                                     f"onset + {args.tep_delay})", cases))
    if "petshop" in only:
        folder = rd.DATASETS / "petshop" / "dataset"
        if not folder.exists():
            emit(f"### PetShop\n\nskipped: {folder} not found\n")
        else:
            cases, skipped = rd.petshop_cases(folder)
            if args.quick:  # the first issue of each root-cause component in each scenario
                first = {}
                for c in cases:
                    first.setdefault((c.group, next(iter(c.answers))), c)
                keep = {c.case_id for c in first.values()}
                skipped += [(c.case_id, "--quick: not the first issue of its scenario and root component")
                            for c in cases if c.case_id not in keep]
                cases = list(first.values())
            log(f"PetShop ({len(cases)} issues) ...")
            rows = run_frames(cases, random_seed=args.random_seed, log=log)
            reasons = pd.Series([r for _, r in skipped]).value_counts()
            emit(report_frames(rows, f"PetShop ({len(cases)} issues)", cases)
                 + "".join(f"Skipped {n} issue(s): {reason}\n\n" for reason, n in reasons.items()))
    if "timing" in only:
        log("timing ...")
        emit(report_timing(run_timing(cache=args.cache)))
    print(f"Total wall time {time.perf_counter() - t_all:.0f} s; load average at end {os.getloadavg()[0]:.1f}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
