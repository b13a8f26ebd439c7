"""Gradual changes: when did a signal start to ramp?

Level-change detectors see a slow ramp (a memory leak, a filling disk, a fouling heat
exchanger, a drifting sensor) late, and often as a staircase of small steps. For
root-cause work the *start* of the ramp matters most, because a ramp is often the first
thing that goes wrong.

:func:`rca.detect_changes` models every stretch of a signal as a level or a straight
line, so a ramp is a change of its own there (``kind == "ramp"``: ``time`` is when it
began, ``end`` when it stopped, ``slope`` how fast it went). :func:`detect_ramps` is a
shortcut that returns only those rows, with the columns the ranking uses. It runs the
same detection, so calling both on the same data reports every ramp twice: use one or
the other.
"""

from __future__ import annotations

import pandas as pd

from rca.errors import ParameterError
from rca.timestamps import parse_duration

__all__ = ["detect_ramps", "RAMP_COLUMNS"]

#: Columns of :func:`detect_ramps`, in order.
RAMP_COLUMNS = ("signal", "time", "kind", "before", "after", "delta", "delta_sigma",
                "strength", "time_lo", "time_hi", "end", "slope")


def detect_ramps(data, *, window=None, min_duration=None, penalty="auto",
                 n_jobs="auto") -> pd.DataFrame:
    """Find where signals started (and stopped) to ramp.

    The ramps of :func:`rca.detect_changes` with its default model: every stretch of a
    signal is a level or a straight line, and a ramp is reported where a sloped
    stretch begins, when it explains the signal better than levels do by more than
    the penalty, measured against the signal's long-run noise (autocorrelation
    included). A slow drift over the whole window is noise, not a ramp; a stretch
    that one smooth bend explains as well (a first-order approach, an accelerating
    growth) is not cut into ramps.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        One signal, or one column per signal, on a tz-aware ``DatetimeIndex``
        (NaN = missing sample).
    window : tuple of (start, end), optional
        Only ``start <= time < end`` is analysed (tz-aware bounds, either may be None).
    min_duration : str or pandas.Timedelta, optional
        Drop ramps shorter than this [s] (from ``time`` to ``end``). Default: keep all.
    penalty : "auto" or float
        As in :func:`rca.detect_changes` [-].
    n_jobs : "auto" or int
        As in :func:`rca.detect_changes`.

    Returns
    -------
    pandas.DataFrame
        One row per ramp, strongest first, with the columns :data:`RAMP_COLUMNS`:
        those of :func:`rca.detect_changes` (``kind`` is ``"ramp"``; ``time`` is the
        first sample of the ramp, ``time_lo`` / ``time_hi`` its 95 % interval,
        ``before`` the level before it and ``after`` the level it reached [signal
        units]) plus ``end`` (first sample after the ramp, or the last sample when
        it lasts to the end of the data) and ``slope`` [signal units / s].
        ``attrs["settings"]`` is that of :func:`rca.detect_changes` plus
        ``min_duration_s``.

    Raises
    ------
    ParameterError
        When ``min_duration`` is not a positive duration, or for the reasons of
        :func:`rca.detect_changes`.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.date_range("2024-01-01", periods=600, freq="10s", tz="UTC")
    >>> x = np.r_[np.full(300, 40.0), np.linspace(40, 95, 200), np.full(100, 95.0)]
    >>> x = x + np.random.default_rng(0).normal(0, 0.5, 600)
    >>> r = detect_ramps(pd.Series(x, index=t, name="gw.mem_pct"))
    >>> r["time"].iloc[0].strftime("%H:%M"), round(float(r["slope"].iloc[0]), 3)
    ('00:50', 0.028)
    """
    from rca.changepoints import detect_changes

    limit = None
    if min_duration is not None:
        limit = parse_duration(min_duration, name="min_duration")
        if limit <= pd.Timedelta(0):
            raise ParameterError(
                f"min_duration={min_duration!r}; expected a positive duration such as '2min'")
    changes = detect_changes(data, window=window, penalty=penalty, n_jobs=n_jobs)
    ramps = changes[changes["kind"] == "ramp"]
    if limit is not None:
        ramps = ramps[ramps["end"] - ramps["time"] >= limit]
    out = ramps.loc[:, list(RAMP_COLUMNS)].reset_index(drop=True)
    out.attrs["settings"] = dict(changes.attrs["settings"],
                                 min_duration_s=None if limit is None else limit.total_seconds())
    return out
