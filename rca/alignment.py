"""Putting signals from several sources on one regular UTC grid, and estimating clock offsets.

Historian semantics: a compressed tag holds its last value until the next sample, for at
most ``max_gap``; beyond that it is missing (``NaN``). Nothing is interpolated, so an
outage stays an outage.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from rca.errors import ParameterError
from rca.timestamps import parse_duration

__all__ = [
    "GridChoice",
    "choose_grid",
    "estimate_max_gap",
    "align",
    "ClockOffsetEstimate",
    "estimate_clock_offset",
    "activity_times",
    "NICE_STEPS",
]

#: The round steps an automatic grid is rounded to.
NICE_STEPS = tuple(
    pd.Timedelta(x)
    for x in (
        "1ms", "2ms", "5ms", "10ms", "20ms", "50ms", "100ms", "200ms", "500ms",
        "1s", "2s", "5s", "10s", "15s", "30s",
        "1min", "2min", "5min", "10min", "15min", "30min",
        "1h", "2h", "6h", "12h", "1D",
    )
)


def _nice(step_ns: float) -> pd.Timedelta:
    steps = np.array([s.value for s in NICE_STEPS], dtype=float)
    k = int(np.argmin(np.abs(np.log(steps) - np.log(max(step_ns, 1.0)))))
    return NICE_STEPS[k]


def _nice_at_least(step_ns: float) -> pd.Timedelta:
    for s in NICE_STEPS:
        if s.value >= step_ns:
            return s
    return NICE_STEPS[-1]


def _check_samples(samples: pd.DataFrame, name="samples"):
    if not isinstance(samples, pd.DataFrame) or not {"time", "signal", "value"} <= set(samples.columns):
        raise ParameterError(f"{name}: expected a DataFrame with columns time, signal, value (long samples)")
    t = samples["time"]
    if not isinstance(t.dtype, pd.DatetimeTZDtype):
        raise ParameterError(
            f"{name}: column 'time' must be tz-aware (UTC); got {t.dtype}. Localise it first, e.g. "
            "samples['time'] = samples['time'].dt.tz_localize('Europe/Berlin').dt.tz_convert('UTC')"
        )


def _groups(samples: pd.DataFrame):
    """Yield (signal, times_ns, values) per signal, times sorted."""
    sig = samples["signal"]
    if isinstance(sig.dtype, pd.CategoricalDtype):
        codes, names = sig.cat.codes.to_numpy(dtype=np.int64), np.asarray(sig.cat.categories, dtype=object)
    else:
        codes, names = pd.factorize(sig, sort=False)
    t = samples["time"].dt.tz_convert("UTC").to_numpy("datetime64[ns]").astype("int64")
    v = samples["value"].to_numpy(dtype="float64")
    # Readers deliver samples sorted by signal then time; sort only when they are not.
    dc = np.diff(codes)
    if not (np.all(dc >= 0) and np.all((dc != 0) | (np.diff(t) >= 0))):
        order = np.lexsort((t, codes))
        codes, t, v = codes[order], t[order], v[order]
    bounds = np.flatnonzero(np.diff(codes)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(codes)]
    for s, e in zip(starts, ends):
        if e > s:
            yield str(names[codes[s]]), t[s:e], v[s:e]


def estimate_max_gap(times_ns: np.ndarray, *, fallback: pd.Timedelta | None = None) -> pd.Timedelta:
    """How long a sample of this signal stays valid: 1.5 x the 98th percentile of its sample
    intervals, at least 3 x the median interval.

    A compressed historian tag reports on change and at least every heartbeat period, so
    its intervals are bounded by the heartbeat; intervals far beyond it are outages.

    Parameters
    ----------
    times_ns : numpy.ndarray of int64
        Sorted sample times [ns].
    fallback : pandas.Timedelta, optional
        Used when there are fewer than 5 samples to learn from.
    """
    d = np.diff(times_ns)
    d = d[d > 0]
    if d.size < 4:
        if fallback is not None:
            return fallback
        return pd.Timedelta(int(d.max()) if d.size else 0, unit="ns") * 1.5 if d.size else pd.Timedelta("1h")
    med = float(np.median(d))
    q98 = float(np.quantile(d, 0.98))
    return pd.Timedelta(int(max(3 * med, 1.5 * q98)), unit="ns")


@dataclass(frozen=True)
class GridChoice:
    """The common time grid.

    Attributes
    ----------
    step : pandas.Timedelta
    start, end : pandas.Timestamp
        First and last grid point [UTC].
    reason : str
        Why this step was chosen, in words.
    """

    step: pd.Timedelta
    start: pd.Timestamp
    end: pd.Timestamp
    reason: str

    @property
    def points(self) -> int:
        return int((self.end - self.start) // self.step) + 1

    def index(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq=self.step, name="time")

    def to_dict(self) -> dict:
        return {
            "step": str(self.step),
            "step_s": self.step.total_seconds(),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "points": self.points,
            "reason": self.reason,
        }


def choose_grid(samples: pd.DataFrame, *, grid="auto", source_of=None, start=None, end=None) -> GridChoice:
    """Pick the common grid for a set of long samples.

    ``"auto"`` takes, for each source, the median over its signals of their median sample
    interval, and uses the finest of these, rounded to a round step. The grid is then coarsened
    if it would have more than twice as many points as the most-sampled signal has samples,
    so memory stays proportional to the data.

    Parameters
    ----------
    samples : pandas.DataFrame
        Long samples (``time``, ``signal``, ``value``).
    grid : "auto", str or pandas.Timedelta
    source_of : dict, optional
        Signal name -> source name, to describe the choice per source.
    start, end : pandas.Timestamp, optional
        Limits of the grid; default the span of the samples.
    """
    _check_samples(samples)
    if samples.empty:
        raise ParameterError("samples: no samples to align")
    t = samples["time"]
    lo = pd.Timestamp(start) if start is not None else t.min()
    hi = pd.Timestamp(end) if end is not None else t.max()
    medians = {}
    max_samples = 1
    for name, times, _ in _groups(samples):
        max_samples = max(max_samples, times.size)
        d = np.diff(times)
        d = d[d > 0]
        if d.size:
            medians[name] = float(np.median(d))
    if grid == "auto":
        if not medians:
            step = pd.Timedelta("1min")
            reason = "1 min: no signal has two samples to measure its sampling interval"
        else:
            by_source: dict = {}
            for name, med in medians.items():
                by_source.setdefault((source_of or {}).get(name, "all signals"), []).append(med)
            typical = {src: float(np.median(v)) for src, v in by_source.items()}
            finest_src = min(typical, key=typical.get)
            raw = typical[finest_src]
            step = _nice(raw)
            reason = (
                f"{_fmt(step)}: finest typical sampling interval, source {finest_src!r} "
                f"(median {_fmt(pd.Timedelta(int(raw), unit='ns'))} over {len(by_source[finest_src])} signals)"
            )
        budget = max(2 * max_samples, 1000)
        span = (hi - lo).value
        if span / step.value + 1 > budget:
            coarse = _nice_at_least(span / (budget - 1))
            reason += (
                f"; coarsened to {_fmt(coarse)} so the grid has at most {budget:,} points "
                f"(2 x the {max_samples:,} samples of the most-sampled signal)"
            )
            step = coarse
    else:
        step = parse_duration(grid, name="grid")
        if step <= pd.Timedelta(0):
            raise ParameterError(f"grid: expected a positive step, got {grid!r}")
        reason = f"{_fmt(step)}: given"
    g_start = lo.floor(step)
    g_end = hi.ceil(step)
    return GridChoice(step=step, start=g_start, end=g_end, reason=reason)


def _fmt(td: pd.Timedelta) -> str:
    s = td.total_seconds()
    if s >= 3600 and s % 3600 == 0:
        return f"{int(s // 3600)} h"
    if s >= 60 and s % 60 == 0:
        return f"{int(s // 60)} min"
    if s >= 1:
        return f"{s:g} s"
    return f"{s * 1000:g} ms"


def align(samples: pd.DataFrame, *, grid="auto", max_gap="auto", start=None, end=None) -> pd.DataFrame:
    """Put long samples on a regular UTC grid with historian hold-last-value semantics.

    The value at grid time ``t`` is the last sample at or before ``t``, if it is at most
    ``max_gap`` old; otherwise ``NaN``. No interpolation, no bridging of outages.

    Parameters
    ----------
    samples : pandas.DataFrame
        Columns ``time`` (tz-aware), ``signal``, ``value``.
    grid : "auto", str, pandas.Timedelta or GridChoice
        Step of the grid (see :func:`choose_grid`).
    max_gap : "auto", str, pandas.Timedelta or dict
        Hold limit; ``"auto"`` estimates it per signal (:func:`estimate_max_gap`); a dict maps
        signal names to limits (missing names fall back to ``"auto"``).
    start, end : pandas.Timestamp, optional
        Grid limits, default the span of the samples.

    Returns
    -------
    pandas.DataFrame
        Wide frame, index ``time`` (UTC grid), one float column per signal.
        ``attrs["grid"]`` holds the :class:`GridChoice`, ``attrs["max_gap"]`` the limit used per signal.

    Examples
    --------
    >>> s = pd.DataFrame({"time": pd.to_datetime(["2026-03-04 10:00:00", "2026-03-04 10:00:20"], utc=True),
    ...                   "signal": ["TI101", "TI101"], "value": [20.0, 21.0]})
    >>> wide = align(s, grid="10s", max_gap="15s")
    >>> wide["TI101"].tolist()
    [20.0, 20.0, 21.0]
    """
    _check_samples(samples)
    choice = grid if isinstance(grid, GridChoice) else choose_grid(samples, grid=grid, start=start, end=end)
    index = choice.index()
    g = index.as_unit("ns").asi8
    fixed = None
    per_signal = {}
    if isinstance(max_gap, dict):
        per_signal = {k: parse_duration(v, name=f"max_gap[{k!r}]") for k, v in max_gap.items() if v != "auto"}
    elif max_gap != "auto":
        fixed = parse_duration(max_gap, name="max_gap")
    columns = []
    data = []
    gaps = {}
    for name, t, v in _groups(samples):
        limit = fixed if fixed is not None else per_signal.get(name)
        if limit is None:
            limit = estimate_max_gap(t)
        limit = max(limit, choice.step)
        gaps[name] = limit
        idx = np.searchsorted(t, g, side="right") - 1
        ok = idx >= 0
        safe = np.where(ok, idx, 0)
        ok &= (g - t[safe]) <= limit.value
        col = np.where(ok, v[safe], np.nan)
        columns.append(name)
        data.append(col)
    values = np.column_stack(data) if data else np.empty((len(index), 0))
    wide = pd.DataFrame(values, index=index, columns=pd.Index(columns, dtype="str"))
    wide.attrs["grid"] = choice
    wide.attrs["max_gap"] = gaps
    return wide


# ---------------------------------------------------------------------------------------
# Clock offsets
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockOffsetEstimate:
    """An estimated clock offset.

    Attributes
    ----------
    offset : pandas.Timedelta
        How far the clock runs ahead of the reference; subtract it to correct.
    uncertainty : pandas.Timedelta
        Standard error of ``offset``, including half the timestamp resolution of each side
        (times recorded to whole seconds may be truncated or rounded).
    matches : int
        Instants of the clock matched to a reference instant at ``offset``.
    candidates : int
        Instants of the clock that were tried.
    peak_ratio : float
        Evidence for the best offset divided by the evidence for the best other offset (beyond
        the tolerance) [-]. Unrelated instants give about 1 to 1.6; a real link gives 2 and more.
    reliable : bool
        Whether the peak is clear enough to trust (``peak_ratio >= 2`` and at least 5 matches).
    method : str
        What was matched.
    """

    offset: pd.Timedelta
    uncertainty: pd.Timedelta
    matches: int
    candidates: int
    peak_ratio: float
    reliable: bool
    method: str

    def to_dict(self) -> dict:
        return {
            "offset_s": self.offset.total_seconds(),
            "uncertainty_s": self.uncertainty.total_seconds(),
            "matches": self.matches,
            "candidates": self.candidates,
            "peak_ratio": round(float(self.peak_ratio), 2),
            "reliable": bool(self.reliable),
            "method": self.method,
        }


def _group_codes(n, groups, name):
    if groups is None:
        return np.zeros(n, dtype=np.int64)
    g = np.asarray(groups, dtype=object)
    if g.shape != (n,):
        raise ParameterError(f"{name}: expected one group label per time ({n}), got {g.shape[0]}")
    codes, _ = pd.factorize(pd.Series(g, dtype=object), use_na_sentinel=False)
    return codes


def estimate_clock_offset(
    times,
    reference_times,
    *,
    groups=None,
    reference_groups=None,
    max_offset="15min",
    resolution="1s",
    tolerance=None,
    min_group: int = 3,
    method: str = "instants",
) -> ClockOffsetEstimate:
    """Estimate how far one clock runs ahead of a reference, from instants seen by both.

    Both inputs are instants at which something happened (event times, change onsets).
    Most need not correspond; it is enough that some real moments appear in both (a
    gateway's communication loss in the OT alarm log and in the IT monitoring, operator
    logins in both journals).

    Method: instants are split into groups (e.g. one per event source and kind) and binned
    at ``resolution``. For every pair of groups (one per side, each with at least
    ``min_group`` instants) the number of coincidences within ``tolerance`` is computed at
    every offset in ``[-max_offset, +max_offset]`` (cross-correlation by FFT) and compared
    with the number expected by chance, as a Poisson log-likelihood ratio. Summed over the
    pairs, the ratio peaks at the true offset, where the pairs that record the same moments
    line up, while dense unrelated streams (logins, nuisance alarms) add little. The peak is
    compared with the best alignment at any other offset (``peak_ratio``) to say whether it
    can be trusted, then refined with the median residual of the matched instants.

    Parameters
    ----------
    times : array-like of tz-aware timestamps
        Instants recorded with the clock to correct.
    reference_times : array-like of tz-aware timestamps
        Instants recorded with the trusted clock.
    groups, reference_groups : array-like, optional
        A label per instant (e.g. ``"GW01|COMMFAIL"``). Default: one group per side.
    max_offset : str or pandas.Timedelta
        Largest offset considered.
    resolution : str or pandas.Timedelta
        Bin width of the search.
    tolerance : str or pandas.Timedelta, optional
        How far apart two records of the same moment may be; default one ``resolution``.
    min_group : int
        Groups with fewer instants are ignored (a single instant matches some offset by chance).

    Returns
    -------
    ClockOffsetEstimate
    """
    a_idx = pd.DatetimeIndex(times)
    b_idx = pd.DatetimeIndex(reference_times)
    for idx, name in ((a_idx, "times"), (b_idx, "reference_times")):
        if idx.tz is None:
            raise ParameterError(f"{name}: expected tz-aware times (UTC); got naive times")
    a = a_idx.tz_convert("UTC").as_unit("ns").asi8
    b = b_idx.tz_convert("UTC").as_unit("ns").asi8
    ga = _group_codes(a.size, groups, "groups")
    gb = _group_codes(b.size, reference_groups, "reference_groups")
    max_off = parse_duration(max_offset, name="max_offset").value
    res = parse_duration(resolution, name="resolution").value
    tol = parse_duration(tolerance, name="tolerance").value if tolerance is not None else res
    zero = ClockOffsetEstimate(pd.Timedelta(0), pd.Timedelta(0), 0, int(a.size), 0.0, False, method)
    keep_a = [g for g in np.unique(ga) if np.count_nonzero(ga == g) >= min_group]
    keep_b = [g for g in np.unique(gb) if np.count_nonzero(gb == g) >= min_group]
    if not keep_a or not keep_b:
        return zero
    lo = min(a.min(), b.min()) - max_off - tol
    hi = max(a.max(), b.max()) + max_off + tol
    nbins = int((hi - lo) // res) + 1
    if nbins > 20_000_000:
        raise ParameterError(f"resolution: {resolution!r} gives {nbins:,} bins over the data span; use a coarser one")
    size = 1 << int(np.ceil(np.log2(2 * nbins)))
    spread = int(tol // res)
    kernel = np.ones(2 * spread + 1)
    max_lag = int(max_off // res)
    span_bins = float((max(a.max(), b.max()) - min(a.min(), b.min())) // res + 1)

    def spectrum(values, codes, g, widen):
        train = np.zeros(nbins)
        train[np.unique((values[codes == g] - lo) // res)] = 1.0
        if widen and spread:
            train = np.minimum(np.convolve(train, kernel, mode="same"), 1.0)
        return train.sum(), np.fft.rfft(train, size)

    spec_a = [spectrum(a, ga, g, False) for g in keep_a]
    spec_b = [spectrum(b, gb, g, True) for g in keep_b]
    total = np.zeros(2 * max_lag + 1)
    for na, fa in spec_a:
        for covered, fb in spec_b:
            xc = np.fft.irfft(fa * np.conj(fb), size)
            counts = np.r_[xc[size - max_lag :], xc[: max_lag + 1]]  # lags -max_lag .. +max_lag
            counts = np.maximum(np.round(counts), 0.0)
            mu = max(na * covered / span_bins, 1e-12)
            with np.errstate(divide="ignore", invalid="ignore"):
                llr = np.where(counts > mu, counts * np.log(counts / mu) - (counts - mu), 0.0)
            total += llr
    lags = np.arange(-max_lag, max_lag + 1)
    best = int(np.argmax(total))
    # Evidence: the peak against the best alignment elsewhere (beyond the tolerance).
    away = np.abs(lags - lags[best]) > 2 * spread + 1
    runner_up = float(total[away].max()) if away.any() else 0.0
    ratio = float(total[best]) / max(runner_up, 1.0)
    coarse = lags[best] * res
    # Refine with the matched instants of the groups used.
    a_used = np.sort(a[np.isin(ga, keep_a)])
    b_used = np.sort(b[np.isin(gb, keep_b)])
    shifted = a_used - coarse
    pos = np.clip(np.searchsorted(b_used, shifted), 1, max(b_used.size - 1, 1))
    left = b_used[pos - 1]
    right = b_used[np.minimum(pos, b_used.size - 1)]
    nearest = np.where(np.abs(right - shifted) < np.abs(left - shifted), right, left)
    resid = shifted - nearest
    matched = np.abs(resid) <= tol
    n = int(matched.sum())
    if n == 0:
        return zero
    r = resid[matched].astype(float)
    offset = coarse + float(np.median(r))
    mad_r = float(np.median(np.abs(r - np.median(r)))) * 1.4826
    se = max(1.2533 * mad_r / np.sqrt(n), res / np.sqrt(12 * n))
    # Timestamps recorded to whole seconds (or coarser) may be truncated or rounded: either
    # way the offset is only known to within half of each side's resolution, whatever the
    # number of matches. Add that to the standard error.
    q_a, q_b = _resolution(a_used), _resolution(b_used)
    se = float(np.sqrt(se**2 + (q_a / 2) ** 2 + (q_b / 2) ** 2))
    # On unrelated instant trains the ratio stays below about 1.6 (see the tests).
    reliable = bool(ratio >= 2.0 and n >= 5)
    return ClockOffsetEstimate(
        offset=pd.Timedelta(int(round(offset)), unit="ns"),
        uncertainty=pd.Timedelta(int(round(se)), unit="ns"),
        matches=n,
        candidates=int(a_used.size),
        peak_ratio=ratio,
        reliable=reliable,
        method=method,
    )


def _resolution(ns: np.ndarray) -> float:
    """The coarsest of 1 s, 100 ms, 10 ms, 1 ms that every timestamp is a multiple of [ns];
    0 for finer timestamps."""
    for step in (1_000_000_000, 100_000_000, 10_000_000, 1_000_000):
        if ns.size and np.all(ns % step == 0):
            return float(step)
    return 0.0


def activity_times(samples: pd.DataFrame, *, threshold: float = 8.0, max_per_signal: int = 50) -> pd.DatetimeIndex:
    """Instants of abrupt moves in long samples: a fallback for clock-offset estimation.

    For each signal, a sample is an instant of activity when its step from the previous
    sample exceeds ``threshold`` robust noise scales (MAD of the steps); at most
    ``max_per_signal`` of the largest are kept per signal.
    """
    _check_samples(samples)
    out = []
    for _, t, v in _groups(samples):
        if t.size < 10:
            continue
        d = np.diff(v)
        nz = d[d != 0]
        if nz.size < 5:
            continue
        scale = 1.4826 * float(np.median(np.abs(nz - np.median(nz))))
        if scale <= 0:
            continue
        score = np.abs(d) / scale
        idx = np.flatnonzero(score > threshold)
        if idx.size > max_per_signal:
            idx = idx[np.argsort(-score[idx])[:max_per_signal]]
        out.append(t[idx + 1])
    if not out:
        return pd.DatetimeIndex([], tz="UTC")
    return pd.DatetimeIndex(np.sort(np.concatenate(out))).tz_localize("UTC")
