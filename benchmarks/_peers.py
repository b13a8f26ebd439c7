"""Peer root-cause rankers for ``benchmarks/rank_eval.py``: N-sigma, BARO's RobustScorer, random.

These are the single-metric anomaly scorers that RCAEval (Pham et al., 2024) uses as
baselines, given what RCAEval gives them: the signals and the **true onset** of the fault.
Everything before the onset is the *normal* period, the onset up to ``end`` the *anomalous*
period.

* :func:`nsigma_scores` - per signal, the z-score of every anomalous sample against the
  mean and (population) standard deviation of the normal period; score = max ``|z|``.
* :func:`robust_scores` - BARO's RobustScorer: median / inter-quartile range of the normal
  period (scikit-learn ``RobustScaler``), score = max robust z (signed as in the package,
  or ``|z|`` with ``absolute=True``).
* :func:`baro_scores` - the same, by calling the installed ``fse-baro`` package itself
  (``baro.root_cause_analysis.robust_scorer``), so the benchmark runs the peer's own code.
* :func:`random_ranking` - a seeded permutation: the chance level.

Missing values: each period is forward- then back-filled *within itself* (sampling gaps of
the aligned grid); a signal with no value, or only one value, in either period cannot be
scored and is ranked after every scored signal (in column order), never dropped.
A zero spread in the normal period (a constant setpoint) is replaced by 1, as scikit-learn's
scalers do, so a constant signal that moves scores by its move in its own units.

:func:`aggregate_max` turns per-metric scores into per-component scores (PetShop ranks
components, not metrics), keeping each component's best metric.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from rca.errors import MissingDependencyError, ParameterError

__all__ = [
    "split_periods",
    "nsigma_scores",
    "robust_scores",
    "baro_scores",
    "random_ranking",
    "ranked_names",
    "aggregate_max",
]


def _check_frame(frame) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"frame: expected a pandas DataFrame of signals, got {type(frame).__name__}")
    if not isinstance(frame.index, pd.DatetimeIndex) or frame.index.tz is None:
        kind = type(frame.index).__name__ if not isinstance(frame.index, pd.DatetimeIndex) else "naive DatetimeIndex"
        raise ParameterError(f"frame: expected a tz-aware DatetimeIndex, got a {kind}")


def _instant(value, name) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a tz-aware time, got {value!r}") from None
    if ts is pd.NaT or pd.isna(ts):
        raise ParameterError(f"{name}: expected a tz-aware time, got {value!r}")
    if ts.tz is None:
        raise ParameterError(f"{name}: expected a tz-aware time, got the naive {ts}")
    return ts.tz_convert("UTC")


def split_periods(frame: pd.DataFrame, *, onset, end=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The normal (before ``onset``) and anomalous (``onset`` to ``end``) rows of a frame.

    Each part is forward- then back-filled within itself.

    Parameters
    ----------
    frame : pandas.DataFrame
        Signals on a tz-aware DatetimeIndex.
    onset : timestamp-like, tz-aware
        First instant of the anomalous period (the true onset of the fault).
    end : timestamp-like, tz-aware, optional
        Last instant of the anomalous period (inclusive). Default: the end of the frame.

    Returns
    -------
    (normal, anomalous) : tuple of pandas.DataFrame

    Raises
    ------
    ParameterError
        A naive or unparseable time, or a period without rows.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01", periods=4, freq="1min", tz="UTC")
    >>> normal, anomalous = split_periods(pd.DataFrame({"a": [1.0, None, 3.0, 4.0]}, index=idx),
    ...                                   onset=idx[2])
    >>> normal["a"].tolist(), anomalous["a"].tolist()
    ([1.0, 1.0], [3.0, 4.0])
    """
    _check_frame(frame)
    onset = _instant(onset, "onset")
    end = frame.index.max() if end is None else _instant(end, "end")
    normal = frame.loc[frame.index < onset]
    anomalous = frame.loc[(frame.index >= onset) & (frame.index <= end)]
    if normal.empty:
        raise ParameterError(
            f"onset: {onset} leaves no normal rows before it (the frame starts at {frame.index.min()})"
        )
    if anomalous.empty:
        raise ParameterError(
            f"onset/end: no rows between onset {onset} and end {end} (the frame ends at {frame.index.max()})"
        )
    return normal.ffill().bfill(), anomalous.ffill().bfill()


def _scores(frame, onset, end, *, centre, spread, absolute) -> pd.Series:
    normal, anomalous = split_periods(frame, onset=onset, end=end)
    a = normal.to_numpy(dtype=float)
    b = anomalous.to_numpy(dtype=float)
    ok = (np.isfinite(a).sum(axis=0) >= 2) & np.isfinite(b).all(axis=0)
    scores = np.full(frame.shape[1], np.nan)
    if ok.any():
        c = centre(a[:, ok])
        s = spread(a[:, ok])
        s = np.where((s == 0) | ~np.isfinite(s), 1.0, s)
        z = (b[:, ok] - c) / s
        scores[ok] = np.abs(z).max(axis=0) if absolute else z.max(axis=0)
    return pd.Series(scores, index=frame.columns, name="score")


def nsigma_scores(frame: pd.DataFrame, *, onset, end=None) -> pd.Series:
    """N-sigma: max ``|z|`` of the anomalous period against the normal mean and std.

    Parameters
    ----------
    frame : pandas.DataFrame
        Signals on a tz-aware DatetimeIndex.
    onset, end : timestamp-like, tz-aware
        The anomalous period (see :func:`split_periods`).

    Returns
    -------
    pandas.Series
        One score per column [-] (``NaN``: not scorable), in column order.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01", periods=6, freq="1min", tz="UTC")
    >>> f = pd.DataFrame({"a": [0, 1, 0, 1, 5, 5.0], "b": [0, 1, 0, 1, 1, 0.0]}, index=idx)
    >>> nsigma_scores(f, onset=idx[4]).round(1).to_dict()
    {'a': 9.0, 'b': 1.0}
    """
    return _scores(frame, onset, end, centre=lambda a: np.nanmean(a, axis=0),
                   spread=lambda a: np.nanstd(a, axis=0), absolute=True)


def _iqr(a):
    q75, q25 = np.nanpercentile(a, [75, 25], axis=0)
    return q75 - q25


def robust_scores(frame: pd.DataFrame, *, onset, end=None, absolute=False) -> pd.Series:
    """BARO's RobustScorer: max robust z ((x - median) / IQR of the normal period).

    Parameters
    ----------
    frame : pandas.DataFrame
        Signals on a tz-aware DatetimeIndex.
    onset, end : timestamp-like, tz-aware
        The anomalous period (see :func:`split_periods`).
    absolute : bool
        ``False`` (the package): the largest signed z, so only rises score high.
        ``True``: the largest ``|z|``, so drops score as high as rises.

    Returns
    -------
    pandas.Series
        One score per column [-] (``NaN``: not scorable), in column order.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01", periods=6, freq="1min", tz="UTC")
    >>> f = pd.DataFrame({"up": [0, 1, 2, 3, 9, 9.0], "down": [0, 1, 2, 3, -9, -9.0]}, index=idx)
    >>> robust_scores(f, onset=idx[4]).to_dict()
    {'up': 5.0, 'down': -7.0}
    >>> robust_scores(f, onset=idx[4], absolute=True).to_dict()
    {'up': 5.0, 'down': 7.0}
    """
    return _scores(frame, onset, end, centre=lambda a: np.nanmedian(a, axis=0), spread=_iqr, absolute=absolute)


def baro_scores(frame: pd.DataFrame, *, onset, end=None) -> pd.Series:
    """BARO's RobustScorer as the ``fse-baro`` package computes it.

    Calls ``baro.root_cause_analysis.robust_scorer`` on the two periods (prepared as in
    :func:`split_periods`, with a ``time`` column in epoch seconds and ``inject_time`` = the
    onset). The package returns only a ranking; the score returned here is the position
    (higher is better), and columns the package dropped (constant in either period, or not
    scorable) are ``NaN``.

    Parameters
    ----------
    frame : pandas.DataFrame
        Signals on a tz-aware DatetimeIndex.
    onset, end : timestamp-like, tz-aware
        The anomalous period (see :func:`split_periods`).

    Returns
    -------
    pandas.Series
        One score per column (``NaN``: not ranked by the package), in column order.

    Raises
    ------
    MissingDependencyError
        ``fse-baro`` is not installed.

    Examples
    --------
    >>> idx = pd.date_range("2025-01-01", periods=6, freq="1min", tz="UTC")
    >>> f = pd.DataFrame({"a": [0, 1, 2, 3, 9, 9.0], "b": [0, 1, 2, 3, 4, 3.0]}, index=idx)
    >>> baro_scores(f, onset=idx[4]).to_dict()  # doctest: +SKIP
    {'a': 2.0, 'b': 1.0}
    """
    try:
        from baro.root_cause_analysis import robust_scorer
    except ImportError:
        raise MissingDependencyError(
            "baro_scores needs the fse-baro package (BARO's RobustScorer): pip install fse-baro"
        ) from None
    normal, anomalous = split_periods(frame, onset=onset, end=end)
    both = pd.concat([normal, anomalous])
    usable = [c for c in frame.columns
              if normal[c].notna().sum() >= 2 and anomalous[c].notna().all() and c != "time"]
    names = {f"m{i}": c for i, c in enumerate(usable)}  # the package treats names with 'time' specially
    data = both[usable].set_axis(list(names), axis=1)
    t0 = _instant(onset, "onset")
    data.insert(0, "time", (both.index - t0).total_seconds().to_numpy())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = robust_scorer(data, inject_time=0.0)
    ranks = [names[r] for r in out["ranks"]]
    scores = pd.Series(np.nan, index=frame.columns, name="score")
    scores[ranks] = np.arange(len(ranks), 0, -1, dtype=float)
    return scores


def ranked_names(scores: pd.Series) -> list:
    """Names best first: by score (descending, ties in the series' order), unscored (NaN) last.

    Examples
    --------
    >>> ranked_names(pd.Series({"a": 1.0, "b": float("nan"), "c": 3.0, "d": 1.0}))
    ['c', 'a', 'd', 'b']
    """
    if not isinstance(scores, pd.Series):
        raise ParameterError(f"scores: expected a pandas Series of scores by name, got {type(scores).__name__}")
    s = pd.to_numeric(scores, errors="coerce")
    scored = s[s.notna()].sort_values(ascending=False, kind="stable")
    return list(scored.index) + list(s.index[s.isna()])


def random_ranking(names: Sequence, *, seed) -> list:
    """A seeded random order of ``names`` (the chance level).

    Parameters
    ----------
    names : sequence of str
        The candidates.
    seed : int, str or numpy.random.Generator
        A string (a case identifier) is hashed with CRC-32, so each case gets its own,
        reproducible order.

    Examples
    --------
    >>> random_ranking(["a", "b", "c"], seed=1) == random_ranking(["a", "b", "c"], seed=1)
    True
    >>> sorted(random_ranking(["a", "b", "c"], seed="case-7"))
    ['a', 'b', 'c']
    """
    if isinstance(seed, str):
        seed = zlib.crc32(seed.encode("utf-8"))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer, np.random.Generator)):
        raise ParameterError(f"seed: expected an int, a str or a numpy Generator, got {seed!r}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(int(seed))
    names = list(names)
    return [names[i] for i in rng.permutation(len(names))]


def aggregate_max(scores: pd.Series, groups: Mapping) -> pd.Series:
    """Per-group scores: the best score of each group's members (NaN when none is scored).

    Parameters
    ----------
    scores : pandas.Series
        Scores by member name (metric).
    groups : mapping
        Member name -> group name (component). Every scored name must be mapped.

    Returns
    -------
    pandas.Series
        One score per group, groups in order of first appearance in ``scores``.

    Examples
    --------
    >>> s = pd.Series({"db.lat": 2.0, "db.req": 5.0, "web.lat": 4.0})
    >>> aggregate_max(s, {"db.lat": "db", "db.req": "db", "web.lat": "web"}).to_dict()
    {'db': 5.0, 'web': 4.0}
    """
    missing = [n for n in scores.index if n not in groups]
    if missing:
        raise ParameterError(
            f"groups: no group for {len(missing)} scored name(s), e.g. {missing[0]!r}; expected every name mapped"
        )
    keys = [groups[n] for n in scores.index]
    return pd.Series(scores.to_numpy(dtype=float), index=keys).groupby(level=0, sort=False).max()
