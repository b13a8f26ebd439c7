"""Gradual changes: when did a signal start to ramp?

Level-change detectors see a slow ramp (a memory leak, a filling disk, a fouling heat
exchanger, a drifting sensor) late, and often as a staircase of small steps. For root-cause
work the *start* of the ramp matters most, because a ramp is often the first thing that
goes wrong. :func:`detect_ramps` fits, per signal, a ramp between two knots to the data
(flat, then linear, then flat again) and keeps it when it explains the signal clearly
better than both a constant and a single step, measured against the signal's long-run
noise (autocorrelation included).

The result uses the columns of :func:`rca.detect_changes` (``kind = "ramp"``; ``time`` is
when the ramp began), plus ``end`` (when it levelled off) and ``slope`` [units/s].
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from rca.errors import ParameterError
from rca.timestamps import parse_duration

__all__ = ["detect_ramps"]

_COLUMNS = ["signal", "time", "kind", "before", "after", "delta", "delta_sigma", "strength", "time_lo",
            "time_hi", "end", "slope"]


def _check(data):
    if isinstance(data, pd.Series):
        data = data.to_frame(name=data.name if data.name is not None else "value")
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(f"data: expected a Series or DataFrame of signals, got {type(data).__name__}")
    if not isinstance(data.index, pd.DatetimeIndex) or data.index.tz is None:
        raise ParameterError("data: expected a tz-aware DatetimeIndex (UTC)")
    return data


def _long_run_sd(resid: np.ndarray) -> float:
    r = resid[np.isfinite(resid)]
    if r.size < 10:
        return float("nan")
    d = np.diff(r)
    scale = 1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2.0)
    if not np.isfinite(scale) or scale <= 0:
        scale = np.std(r)
    rc = r - r.mean()
    denom = float(np.dot(rc, rc))
    phi = float(np.dot(rc[1:], rc[:-1]) / denom) if denom > 0 else 0.0
    phi = min(max(phi, 0.0), 0.95)
    return float(scale * math.sqrt((1 + phi) / (1 - phi)))


def _fit_one(t: np.ndarray, x: np.ndarray, n_knots: int, min_len: int):
    """Best flat-ramp-flat fit on the sample grid. Returns a dict or None."""
    n = x.size
    ok = np.isfinite(x)
    if ok.sum() < max(20, 4 * min_len):
        return None
    w = ok.astype(float)
    xv = np.where(ok, x, 0.0)
    # Prefix sums over samples (positions k = 0..n-1) of w, w k, w k^2, x, x k.
    k = np.arange(n, dtype=float)
    c = [np.r_[0.0, np.cumsum(a)] for a in (w, w * k, w * k * k, xv, xv * k)]

    def rng(arr, a, b):
        return arr[b] - arr[a]

    knots = np.unique(np.linspace(0, n - 1, n_knots).astype(int))
    i1, i2 = np.meshgrid(knots, knots, indexing="ij")
    sel = (i2 - i1) >= min_len
    a1, a2 = i1[sel].astype(int), i2[sel].astype(int)
    # g = 0 on [0, a1), k - a1 on [a1, a2), a2 - a1 on [a2, n).
    n_all = c[0][n]
    sx_all = c[3][n]
    sg = (rng(c[1], a1, a2) - a1 * rng(c[0], a1, a2)) + (a2 - a1) * rng(c[0], a2, n)
    sgg = (rng(c[2], a1, a2) - 2 * a1 * rng(c[1], a1, a2) + a1 * a1 * rng(c[0], a1, a2)) + (a2 - a1) ** 2 * rng(
        c[0], a2, n
    )
    sxg = (rng(c[4], a1, a2) - a1 * rng(c[3], a1, a2)) + (a2 - a1) * rng(c[3], a2, n)
    var_g = sgg - sg * sg / n_all
    cov = sxg - sg * sx_all / n_all
    with np.errstate(divide="ignore", invalid="ignore"):
        gain = np.where(var_g > 0, cov * cov / var_g, 0.0)  # SSE reduction over a constant
    if not np.isfinite(gain).any():
        return None
    j = int(np.nanargmax(gain))
    best = float(gain[j])
    b = cov[j] / var_g[j]
    a = (sx_all - b * sg[j]) / n_all
    s1, s2 = int(a1[j]), int(a2[j])
    g = np.clip(k - s1, 0, s2 - s1)
    resid = np.where(ok, x - (a + b * g), np.nan)
    # Best single step, for comparison (a ramp must beat it).
    cs = np.r_[0.0, np.cumsum(w)]
    cx = np.r_[0.0, np.cumsum(xv)]
    pos = np.arange(1, n)
    n1, n2 = cs[pos], n_all - cs[pos]
    with np.errstate(divide="ignore", invalid="ignore"):
        step_gain = np.where((n1 > 0) & (n2 > 0), (cx[pos] / n1 - (sx_all - cx[pos]) / n2) ** 2 * n1 * n2 / n_all, 0.0)
    # Interval of the start: starts whose best fit loses at most ~2 noise variances.
    return {
        "gain": best,
        "step_gain": float(np.nanmax(step_gain)) if step_gain.size else 0.0,
        "start": s1,
        "end": s2,
        "slope": float(b),
        "level0": float(a),
        "level1": float(a + b * (s2 - s1)),
        "resid": resid,
        "gains": (a1, a2, gain),
    }


def detect_ramps(
    data,
    *,
    window=None,
    min_duration="2min",
    knots: int = 80,
    penalty="auto",
) -> pd.DataFrame:
    """Find the start of a sustained ramp in each signal.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        Signals on a regular tz-aware grid (NaN = missing).
    window : (start, end), optional
        Only this part of the data is analysed.
    min_duration : str or pandas.Timedelta
        Shortest ramp considered [s].
    knots : int
        Number of candidate knot positions (the start and end of the ramp are searched on a
        grid of this many positions over the window).
    penalty : "auto" or float
        A ramp is kept when its gain over a constant, in long-run noise variances, exceeds
        this; ``"auto"`` is ``3 ln(n) + 2 ln(knots)`` (a BIC-like penalty that pays for the
        search over both knots).

    Returns
    -------
    pandas.DataFrame
        One row per signal with a ramp, sorted by strength: the columns of
        :func:`rca.detect_changes` with ``kind = "ramp"`` and ``time`` the start of the ramp,
        plus ``end`` and ``slope`` [signal units / s]. ``attrs["settings"]`` has the choices.

    Examples
    --------
    >>> t = pd.date_range("2024-01-01", periods=600, freq="10s", tz="UTC")
    >>> x = np.r_[np.full(300, 40.0), np.linspace(40, 95, 200), np.full(100, 95.0)]
    >>> x = x + np.random.default_rng(0).normal(0, 0.5, 600)
    >>> r = detect_ramps(pd.Series(x, index=t, name="gw.mem_pct"))
    >>> r["time"].iloc[0].strftime("%H:%M")
    '00:50'
    """
    data = _check(data)
    min_duration = parse_duration(min_duration, name="min_duration")
    if not isinstance(knots, int) or knots < 10:
        raise ParameterError(f"knots: expected a whole number >= 10, got {knots!r}")
    if window is not None:
        lo, hi = window
        data = data.loc[lo:hi]
    if len(data.index) < 20:
        return pd.DataFrame(columns=_COLUMNS)
    step = data.index[1] - data.index[0]
    min_len = max(int(min_duration / step), 3)
    n = len(data.index)
    pen = 3 * math.log(n) + 2 * math.log(knots) if penalty == "auto" else float(penalty)
    rows = []
    per_signal = {}
    for col in data.columns:
        x = data[col].to_numpy(dtype=float)
        if np.nanstd(x) <= 0 or np.isfinite(x).sum() < 20:
            continue
        fit = _fit_one(np.arange(n), x, knots, min_len)
        if fit is None:
            continue
        sd = _long_run_sd(fit["resid"])
        # A counter or a synthetic, noise-free ramp has no noise to speak of: measure it against
        # a thousandth of its range rather than against rounding residue.
        floor = 1e-3 * float(np.nanmax(x) - np.nanmin(x))
        if not np.isfinite(sd) or max(sd, floor) <= 0:
            continue
        sd = max(sd, floor)
        score = fit["gain"] / sd**2
        beats_step = fit["gain"] > 1.05 * fit["step_gain"]
        per_signal[str(col)] = {"gain_noise_units": round(score, 2), "beats_step": bool(beats_step)}
        if score < pen or not beats_step:
            continue
        a1, a2, gains = fit["gains"]
        near = (a2 == fit["end"]) & (gains >= fit["gain"] - 2 * sd**2 * 4)
        starts = a1[near] if near.any() else np.array([fit["start"]])
        delta = fit["level1"] - fit["level0"]
        rows.append(
            {
                "signal": str(col),
                "time": data.index[fit["start"]],
                "kind": "ramp",
                "before": fit["level0"],
                "after": fit["level1"],
                "delta": delta,
                "delta_sigma": delta / sd,
                "strength": math.sqrt(score),
                "time_lo": data.index[int(starts.min())],
                "time_hi": data.index[int(starts.max())],
                "end": data.index[fit["end"]],
                "slope": fit["slope"] / step.total_seconds(),
            }
        )
    out = pd.DataFrame(rows, columns=_COLUMNS)
    if not out.empty:
        out = out.sort_values("strength", ascending=False).reset_index(drop=True)
    out.attrs["settings"] = {"penalty": pen, "penalty_rule": "3 ln(n) + 2 ln(knots)" if penalty == "auto" else "given",
                             "knots": knots, "min_duration_s": min_duration.total_seconds(), "signals": per_signal}
    return out
