"""Data reduction for charts: keep what the eye can see, drop what it cannot.

A browser cannot usefully draw 1.4 million points (50 signals over 8 hours at
1 s) or 10,000 event marks, and a chart specification that carries them is
megabytes large. This module reduces signals and events *before* they reach a
chart, with rules that keep the picture honest:

- :func:`downsample` keeps, per signal and per time bucket (one bucket per
  pixel column or so), the samples that hold the bucket's minimum and maximum
  (``"minmax"``), or the first, minimum, maximum and last (``"m4"``), or the
  points chosen by Largest-Triangle-Three-Buckets (``"lttb"``). The extremes
  of every signal survive ``"minmax"`` and ``"m4"`` by construction.
  Missing data stays missing: wherever the original series has a missing
  sample (or, with ``max_gap``, a silent stretch) between two kept points, a
  break row with a ``NaN`` value is inserted, so a line is never drawn across
  an outage.
- :func:`reduce_events` keeps events as individual marks where they are
  sparse and turns dense stretches into counts per time bin and kind;
  high-severity events always stay individual (unless there are more of them
  than the budget, in which case they get bins of their own, still marked as
  high severity).

Every input row is accounted for in the ``settings`` that both functions
return (``DataFrame.attrs["settings"]`` and :attr:`ReducedEvents.settings`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from rca.errors import ParameterError

__all__ = [
    "DEFAULT_HIGH_SEVERITY",
    "ReducedEvents",
    "bucket_extrema_indices",
    "downsample",
    "lttb_indices",
    "nice_bin_width",
    "reduce_events",
    "severity_is_high",
]

_METHODS = ("minmax", "m4", "lttb")

#: Words that mark an event as high severity when ``high_severity="auto"``.
#: A severity string is high when one of its words (split at anything that is
#: not a letter or digit, compared case-insensitively) is in this set.
DEFAULT_HIGH_SEVERITY: frozenset[str] = frozenset(
    {
        "critical",
        "crit",
        "fatal",
        "emergency",
        "emerg",
        "alert",
        "high",
        "hihi",
        "lolo",
        "urgent",
        "major",
        "severe",
        "error",
        "err",
    }
)

# "nice" bin widths for event aggregation, in seconds
_NICE_SECONDS = (
    1, 2, 5, 10, 15, 30,
    60, 120, 300, 600, 900, 1800,
    3600, 7200, 10800, 21600, 43200,
    86400, 2 * 86400, 7 * 86400, 14 * 86400, 28 * 86400,
)  # fmt: skip


# ---------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(
            f"{name}={value!r} is not usable; expected an integer >= {minimum}"
        )
    return int(value)


def _utc_timestamp(name: str, value: Any) -> pd.Timestamp:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"{name}={value!r} is not a timestamp; expected a tz-aware time such as "
            f"pd.Timestamp('2024-03-31 02:00', tz='UTC')"
        ) from exc
    if ts is pd.NaT:
        raise ParameterError(f"{name} is NaT; expected a tz-aware timestamp")
    if ts.tzinfo is None:
        raise ParameterError(
            f"{name}={value!r} is a naive timestamp; expected a tz-aware timestamp "
            f"(the library works in UTC; localize it first, e.g. tz='UTC')"
        )
    return ts.tz_convert("UTC")


def _time_range(time_range: Any) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    if time_range is None:
        return None, None
    try:
        start, end = time_range
    except (TypeError, ValueError) as exc:
        raise ParameterError(
            f"time_range={time_range!r} is not usable; expected None or a pair "
            f"(start, end) of tz-aware timestamps (either may be None)"
        ) from exc
    start = None if start is None else _utc_timestamp("time_range[0]", start)
    end = None if end is None else _utc_timestamp("time_range[1]", end)
    if start is not None and end is not None and end <= start:
        raise ParameterError(
            f"time_range=({start}, {end}) is empty; expected start < end"
        )
    return start, end


def _utc_index(name: str, index: pd.Index) -> pd.DatetimeIndex:
    if not isinstance(index, pd.DatetimeIndex):
        raise ParameterError(
            f"{name} has a {type(index).__name__}; expected a tz-aware UTC DatetimeIndex"
        )
    if index.tz is None:
        raise ParameterError(
            f"{name} is a naive DatetimeIndex; expected a tz-aware UTC DatetimeIndex "
            f"(localize it first, e.g. .tz_localize('UTC'))"
        )
    if index.hasnans:
        raise ParameterError(
            f"{name} contains NaT at position {int(np.flatnonzero(index.isna())[0])}; "
            f"expected every row to have a time"
        )
    return index.tz_convert("UTC")


# ---------------------------------------------------------------------------
# index selection on plain arrays
# ---------------------------------------------------------------------------


def bucket_extrema_indices(
    buckets: np.ndarray, values: np.ndarray, *, first_last: bool = False
) -> np.ndarray:
    """Positions of the minimum and maximum of ``values`` within each bucket.

    Parameters
    ----------
    buckets : numpy.ndarray of int
        Bucket number of each value, non-decreasing (values in time order).
    values : numpy.ndarray of float
        The values; must be finite (drop missing values before calling).
    first_last : bool, default False
        Also keep the first and last position of each bucket (the M4 rule:
        first, min, max, last, which draws exactly like the full line when a
        bucket is one pixel column wide).

    Returns
    -------
    numpy.ndarray of int
        Sorted, unique positions into ``values``. Ties go to the earliest
        minimum and the latest maximum.

    Examples
    --------
    >>> import numpy as np
    >>> bucket_extrema_indices(np.array([0, 0, 0, 1, 1]), np.array([3.0, 1.0, 2.0, 5.0, 4.0]))
    array([0, 1, 3, 4])
    """
    buckets = np.asarray(buckets)
    values = np.asarray(values, dtype=float)
    if buckets.shape != values.shape or buckets.ndim != 1:
        raise ParameterError(
            f"buckets and values have shapes {buckets.shape} and {values.shape}; "
            f"expected two 1-d arrays of the same length"
        )
    if values.size == 0:
        return np.zeros(0, dtype=np.intp)
    if np.any(np.diff(buckets) < 0):
        raise ParameterError("buckets is not non-decreasing; expected values in time order")
    order = np.lexsort((values, buckets))  # by bucket, then value; stable for ties
    sorted_buckets = buckets[order]
    starts = np.flatnonzero(np.r_[True, sorted_buckets[1:] != sorted_buckets[:-1]])
    ends = np.r_[starts[1:], sorted_buckets.size] - 1
    keep = [order[starts], order[ends]]
    if first_last:
        first = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
        last = np.r_[first[1:], buckets.size] - 1
        keep += [first, last]
    return np.unique(np.concatenate(keep))


def lttb_indices(x: np.ndarray, y: np.ndarray, n_out: int) -> np.ndarray:
    """Positions kept by Largest-Triangle-Three-Buckets (Steinarsson, 2013).

    LTTB keeps the shape of a line with ``n_out`` points: the first and last
    point, and from each of ``n_out - 2`` equal-count buckets the point that
    forms the largest triangle with the previously kept point and the mean of
    the next bucket. It does **not** guarantee that the extremes survive; use
    :func:`bucket_extrema_indices` when they must.

    Parameters
    ----------
    x : numpy.ndarray of float
        Increasing positions (e.g. time [s]).
    y : numpy.ndarray of float
        Finite values.
    n_out : int
        Number of points to keep, >= 3.

    Returns
    -------
    numpy.ndarray of int
        Sorted positions into ``x``; all positions when ``len(x) <= n_out``.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(10.0)
    >>> lttb_indices(x, np.where(x == 4, 9.0, 0.0), 4)
    array([0, 4, 5, 9])
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    n_out = _check_int("n_out", n_out, 3)
    n = x.size
    if y.shape != x.shape or x.ndim != 1:
        raise ParameterError(
            f"x and y have shapes {x.shape} and {y.shape}; expected two 1-d arrays "
            f"of the same length"
        )
    if n <= n_out:
        return np.arange(n)
    # bucket boundaries over the inner points 1 .. n-2
    edges = np.linspace(1, n - 1, n_out - 1).astype(np.intp)
    out = np.empty(n_out, dtype=np.intp)
    out[0] = 0
    out[-1] = n - 1
    previous = 0
    for i in range(n_out - 2):
        lo, hi = edges[i], edges[i + 1]
        if hi <= lo:
            hi = lo + 1
        # mean of the next bucket (the last point for the final bucket)
        if i + 2 < edges.size:
            nlo, nhi = edges[i + 1], max(edges[i + 2], edges[i + 1] + 1)
            mean_x = x[nlo:nhi].mean()
            mean_y = y[nlo:nhi].mean()
        else:
            mean_x, mean_y = x[-1], y[-1]
        px, py = x[previous], y[previous]
        area = np.abs(
            (px - mean_x) * (y[lo:hi] - py) - (px - x[lo:hi]) * (mean_y - py)
        )
        previous = lo + int(np.argmax(area))
        out[i + 1] = previous
    return np.unique(out)


# ---------------------------------------------------------------------------
# signals
# ---------------------------------------------------------------------------


def _reduce_one(
    t: np.ndarray,
    v: np.ndarray,
    *,
    edges: np.ndarray,
    max_points: int,
    method: str,
    max_gap_ns: int | None,
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Reduce one signal; returns (times [ns], values with NaN breaks, counts)."""
    valid = np.isfinite(v)
    pos = np.flatnonzero(valid)  # positions of valid samples in time order
    counts = {
        "rows": int(v.size),
        "missing": int(v.size - pos.size),
    }
    if pos.size == 0:
        counts.update(kept=0, breaks=0)
        return np.zeros(0, dtype=np.int64), np.zeros(0), counts
    tv, vv = t[pos], v[pos]
    # break_before[j]: a gap separates valid sample j-1 from valid sample j
    break_before = np.zeros(pos.size, dtype=bool)
    break_before[1:] = np.diff(pos) > 1  # a missing sample lies between them
    if max_gap_ns is not None:
        break_before[1:] |= np.diff(tv) > max_gap_ns
    if pos.size <= max_points:
        keep = np.arange(pos.size)
    elif method == "lttb":
        keep = lttb_indices(tv.astype(float), vv, max_points)
    else:
        buckets = np.clip(np.searchsorted(edges, tv, side="right") - 1, 0, edges.size - 2)
        keep = bucket_extrema_indices(buckets, vv, first_last=(method == "m4"))
    # a break between consecutive kept points if any break_before in (a, b]
    cum = np.cumsum(break_before)
    gap_after = cum[keep[1:]] - cum[keep[:-1]] > 0
    n_breaks = int(gap_after.sum())
    if n_breaks:
        a = keep[:-1][gap_after]
        # the first break after a: the first j > a with break_before[j]
        breaks = np.flatnonzero(break_before)
        j = breaks[np.searchsorted(breaks, a, side="right")]
        break_time = tv[j - 1] + (tv[j] - tv[j - 1]) // 2
        times = np.concatenate([tv[keep], break_time])
        values = np.concatenate([vv[keep], np.full(n_breaks, np.nan)])
        # stable sort keeps a break after a kept point with the same time
        order = np.argsort(times, kind="stable")
        times, values = times[order], values[order]
    else:
        times, values = tv[keep], vv[keep]
    counts.update(kept=int(keep.size), breaks=n_breaks)
    return times, values, counts


def downsample(
    signals: pd.DataFrame | pd.Series,
    *,
    max_points: int = 2000,
    method: str = "minmax",
    time_range: tuple[Any, Any] | None = None,
    max_gap: pd.Timedelta | str | None = None,
) -> pd.DataFrame:
    """Reduce signals to at most ``max_points`` points each, keeping extremes and gaps.

    The time range is cut into equal buckets shared by all signals (so the
    buckets line up with pixel columns when ``max_points`` is derived from the
    chart width). A signal with at most ``max_points`` valid samples is kept
    whole.

    Parameters
    ----------
    signals : pandas.DataFrame or pandas.Series
        Wide frame (one float column per signal) or one series, on a tz-aware
        UTC ``DatetimeIndex`` (``docs/data-model.md``). ``NaN`` (and
        ``inf``) mark missing samples.
    max_points : int, default 2000
        Most points kept per signal, not counting break rows [-]. ``"minmax"``
        uses ``max_points // 2`` buckets, ``"m4"`` ``max_points // 4``.
    method : {"minmax", "m4", "lttb"}, default "minmax"
        ``"minmax"``: the minimum and maximum sample of each bucket.
        ``"m4"``: first, minimum, maximum and last of each bucket (exact
        rendering when a bucket is one pixel column). ``"lttb"``: Largest
        Triangle Three Buckets, smoother shape but extremes may be lost.
    time_range : (start, end) or None, default None
        Keep only samples with ``start <= time <= end`` (tz-aware; either may be
        None). Rows outside are counted in the settings.
    max_gap : pandas.Timedelta, str or None, default None
        Also break the line where two consecutive valid samples are further
        apart than this [duration], for irregular series without ``NaN``
        markers. ``None``: only missing samples break lines.

    Returns
    -------
    pandas.DataFrame
        Long frame with columns ``signal`` (str), ``time``
        (datetime64[ns, UTC]) and ``value`` (float64), sorted by signal (in
        column order) then time. A row with ``NaN`` value is a *break*: the
        original had missing data there, and a line must not be drawn across
        it. ``attrs["settings"]`` holds ``method``, ``max_points``,
        ``buckets``, ``bucket_width`` (pandas.Timedelta), ``start``, ``end``,
        ``rows_in``, ``rows_out``, and ``per_signal``: a dict per signal of
        ``rows`` (in range), ``missing``, ``kept`` and ``breaks``, plus
        ``outside_time_range`` (rows cut by ``time_range``).

    Raises
    ------
    ParameterError
        For a non-UTC-aware index, a non-numeric column or bad options.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.date_range("2024-03-31", periods=10_000, freq="1s", tz="UTC")
    >>> x = pd.DataFrame({"TIC101.PV": np.sin(np.arange(10_000) / 500)}, index=t)
    >>> x.iloc[4000:4100] = np.nan  # an outage
    >>> small = downsample(x, max_points=200)
    >>> len(small) <= 201, bool(small["value"].isna().any())
    (True, True)
    >>> bool(small["value"].max() == x["TIC101.PV"].max())
    True
    """
    if isinstance(signals, pd.Series):
        name = signals.name if signals.name is not None else "value"
        signals = signals.to_frame(name=name)
    if not isinstance(signals, pd.DataFrame):
        raise ParameterError(
            f"signals is a {type(signals).__name__}; expected a pandas DataFrame or Series"
        )
    if method not in _METHODS:
        raise ParameterError(f"method={method!r} is not known; expected one of {_METHODS}")
    minimum = {"minmax": 2, "m4": 4, "lttb": 3}[method]
    max_points = _check_int("max_points", max_points, minimum)
    max_gap_ns = None
    if max_gap is not None:
        try:
            gap = pd.Timedelta(max_gap)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"max_gap={max_gap!r} is not a duration; expected e.g. '30s' or None"
            ) from exc
        if gap is pd.NaT or gap <= pd.Timedelta(0):
            raise ParameterError(f"max_gap={max_gap!r} is not positive; expected a duration > 0")
        max_gap_ns = int(gap.value)
    if signals.columns.has_duplicates:
        dup = signals.columns[signals.columns.duplicated()][0]
        raise ParameterError(
            f"signals has the column {dup!r} more than once; expected unique signal names"
        )
    index = _utc_index("signals.index", signals.index)
    for column in signals.columns:
        if not (
            pd.api.types.is_numeric_dtype(signals[column])
            and not pd.api.types.is_bool_dtype(signals[column])
        ):
            raise ParameterError(
                f"signals column {column!r} has dtype {signals[column].dtype}; "
                f"expected a numeric (float) column"
            )
    start, end = _time_range(time_range)
    t_all = index.asi8 if index.unit == "ns" else index.as_unit("ns").asi8
    order = np.argsort(t_all, kind="stable")  # tolerate an unsorted index
    t_all = t_all[order]
    inside = np.ones(t_all.size, dtype=bool)
    if start is not None:
        inside &= t_all >= start.value
    if end is not None:
        inside &= t_all <= end.value
    t = t_all[inside]
    lo = start.value if start is not None else (int(t[0]) if t.size else 0)
    hi = end.value if end is not None else (int(t[-1]) if t.size else 0)
    if hi <= lo:
        hi = lo + 1
    n_buckets = max(1, max_points // {"minmax": 2, "m4": 4, "lttb": 1}[method])
    edges = np.linspace(lo, hi, n_buckets + 1)
    pieces_t, pieces_v, pieces_s = [], [], []
    per_signal: dict[str, dict[str, int]] = {}
    outside = int((~inside).sum())
    for column in signals.columns:
        v = signals[column].to_numpy(dtype=float, na_value=np.nan)[order][inside]
        times, values, counts = _reduce_one(
            t, v, edges=edges, max_points=max_points, method=method, max_gap_ns=max_gap_ns
        )
        counts["outside_time_range"] = outside
        per_signal[str(column)] = counts
        pieces_t.append(times)
        pieces_v.append(values)
        pieces_s.append(np.full(times.size, len(pieces_s)))
    times = np.concatenate(pieces_t) if pieces_t else np.zeros(0, dtype=np.int64)
    values = np.concatenate(pieces_v) if pieces_v else np.zeros(0)
    which = np.concatenate(pieces_s) if pieces_s else np.zeros(0, dtype=int)
    names = np.array([str(c) for c in signals.columns] or [""], dtype=object)
    out = pd.DataFrame(
        {
            "signal": pd.array(names[which], dtype=object),
            "time": pd.to_datetime(times, utc=True).as_unit("ns"),
            "value": values.astype("float64"),
        }
    )
    out.attrs["settings"] = {
        "method": method,
        "max_points": max_points,
        "buckets": n_buckets,
        "bucket_width": pd.Timedelta(int((hi - lo) / n_buckets), unit="ns"),
        "start": pd.Timestamp(lo, tz="UTC"),
        "end": pd.Timestamp(hi, tz="UTC"),
        "rows_in": int(signals.shape[0] * signals.shape[1]),
        "rows_out": int(len(out)),
        "per_signal": per_signal,
    }
    return out


# ---------------------------------------------------------------------------
# events
# ---------------------------------------------------------------------------


def severity_is_high(
    severity: pd.Series,
    high_severity: str | Collection[str] | Callable[[str], bool] = "auto",
) -> pd.Series:
    """Whether each severity string counts as high severity.

    Parameters
    ----------
    severity : pandas.Series of str
        Severity as the source gives it (``""`` when absent).
    high_severity : "auto", collection of str or callable, default "auto"
        ``"auto"``: a severity is high when one of its words (split at
        anything not a letter or digit, case-insensitive) is in
        :data:`DEFAULT_HIGH_SEVERITY` (``critical``, ``fatal``, ``alarm``
        levels ``hihi``/``lolo``, ``error``, ...). Numbers are never guessed
        (syslog counts 0 as most severe, OPC A&E counts 1000): pass the
        values yourself. A collection: the exact severity strings
        (case-insensitive) that are high. A callable: called with each
        distinct severity string, returns True for high.

    Returns
    -------
    pandas.Series of bool
        Same index as ``severity``.

    Examples
    --------
    >>> import pandas as pd
    >>> severity_is_high(pd.Series(["CRITICAL", "warning", "Hi-Hi", "700"])).tolist()
    [True, False, False, False]
    >>> severity_is_high(pd.Series(["700", "100"]), ["700"]).tolist()
    [True, False]
    """
    text = severity.fillna("").astype(str)
    distinct = pd.unique(text)
    if isinstance(high_severity, str):
        if high_severity != "auto":
            raise ParameterError(
                f"high_severity={high_severity!r} is not usable; expected 'auto', a "
                f"collection of severity strings or a callable"
            )
        flags = {
            s: any(w in DEFAULT_HIGH_SEVERITY for w in re.split(r"[^0-9a-z]+", s.lower()))
            for s in distinct
        }
    elif callable(high_severity):
        flags = {s: bool(high_severity(s)) for s in distinct}
    elif isinstance(high_severity, Collection):
        wanted = {str(s).lower() for s in high_severity}
        flags = {s: s.lower() in wanted for s in distinct}
    else:
        raise ParameterError(
            f"high_severity={high_severity!r} is not usable; expected 'auto', a "
            f"collection of severity strings or a callable"
        )
    return text.map(flags).astype(bool)


def nice_bin_width(span: pd.Timedelta, n_bins: int) -> pd.Timedelta:
    """The smallest "nice" duration (1 s, 2 s, 5 s, ..., 1 h, ...) giving at most ``n_bins`` bins.

    Parameters
    ----------
    span : pandas.Timedelta
        Length of the time range [duration].
    n_bins : int
        Most bins wanted [-].

    Returns
    -------
    pandas.Timedelta

    Examples
    --------
    >>> nice_bin_width(pd.Timedelta("8h"), 200)
    Timedelta('0 days 00:05:00')
    """
    n_bins = _check_int("n_bins", n_bins, 1)
    seconds = max(pd.Timedelta(span).total_seconds(), 1.0) / n_bins
    for nice in _NICE_SECONDS:
        if nice >= seconds:
            return pd.Timedelta(seconds=nice)
    weeks = int(np.ceil(seconds / (7 * 86400)))
    return pd.Timedelta(weeks=weeks)


@dataclass(frozen=True)
class ReducedEvents:
    """Events reduced for drawing: individual marks plus counts per bin.

    Attributes
    ----------
    events : pandas.DataFrame
        Events drawn one by one: the input columns (``time``, ``end``,
        ``source``, ``kind``, ``message``, ``severity``, ``domain``, and any
        others) plus ``level`` (``"high"`` or ``"normal"``), sorted by time.
    bins : pandas.DataFrame
        Dense stretches as counts, one row per (``domain``, ``kind``,
        ``level``, bin): ``time`` (bin start), ``end`` (bin end), ``domain``,
        ``kind``, ``level``, ``count`` (events in the bin), ``sources``
        (distinct sources), ``first`` and ``last`` (times of the first and
        last event), ``example`` (the first event's message, unmodified).
    settings : dict
        What was decided and the accounting: ``bin_width``, ``per_bin``
        (events per bin and kind kept individually), ``max_events``,
        ``high_severity`` (the rule), ``normal_severities`` (distinct
        non-empty severities not classed high, up to 20, so a reader can
        check the rule), and ``counts``:
        ``rows_in == individual + aggregated + missing_time +
        outside_time_range``.
    """

    events: pd.DataFrame
    bins: pd.DataFrame
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The three parts as plain Python objects (records for the frames)."""
        return {
            "events": self.events.to_dict(orient="records"),
            "bins": self.bins.to_dict(orient="records"),
            "settings": dict(self.settings),
        }


_EVENT_TEXT_COLUMNS = ("source", "kind", "message", "severity", "domain")


def _prepare_events(events: pd.DataFrame, name: str = "events") -> pd.DataFrame:
    """Validate an events frame and fill the optional text columns."""
    if not isinstance(events, pd.DataFrame):
        raise ParameterError(
            f"{name} is a {type(events).__name__}; expected a pandas DataFrame with at "
            f"least the columns 'time' and 'kind' (docs/data-model.md)"
        )
    for column in ("time", "kind"):
        if column not in events.columns:
            raise ParameterError(
                f"{name} has no column {column!r} (columns: {list(events.columns)}); "
                f"expected the events columns of docs/data-model.md"
            )
    out = events.copy()
    for column in ("time", "end"):
        if column not in out.columns:
            out[column] = pd.NaT
        series = out[column]
        if series.isna().all() and not isinstance(series.dtype, pd.DatetimeTZDtype):
            out[column] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
            continue
        if not isinstance(series.dtype, pd.DatetimeTZDtype):
            raise ParameterError(
                f"{name} column {column!r} has dtype {series.dtype}; expected "
                f"datetime64[ns, UTC] (tz-aware; naive times are ambiguous)"
            )
        out[column] = series.dt.tz_convert("UTC").dt.as_unit("ns")
    for column in _EVENT_TEXT_COLUMNS:
        if column not in out.columns:
            out[column] = ""
        out[column] = out[column].fillna("").astype(str)
    return out


def reduce_events(
    events: pd.DataFrame,
    *,
    bin_width: pd.Timedelta | str = "auto",
    n_bins: int = 200,
    per_bin: int = 2,
    max_events: int = 1000,
    high_severity: str | Collection[str] | Callable[[str], bool] = "auto",
    time_range: tuple[Any, Any] | None = None,
) -> ReducedEvents:
    """Keep sparse events individual and count dense ones per time bin and kind.

    The time range is cut into bins of ``bin_width``. In each bin, the
    events of one ``domain`` and ``kind`` are drawn individually when there
    are at most ``per_bin`` of them, and as one count otherwise. High-severity
    events are always individual. When more than ``max_events`` events would
    be individual, ``per_bin`` is lowered (down to 0) until they fit; if the
    high-severity events alone exceed ``max_events`` they are counted per bin
    too, in bins of their own with ``level == "high"``.

    Parameters
    ----------
    events : pandas.DataFrame
        Events as in ``docs/data-model.md``; only ``time`` and ``kind`` are
        required, missing text columns are treated as ``""``.
    bin_width : pandas.Timedelta, str or "auto", default "auto"
        Bin width [duration]; ``"auto"`` picks the smallest nice width giving
        at most ``n_bins`` bins over the time range.
    n_bins : int, default 200
        Most bins for ``bin_width="auto"`` [-].
    per_bin : int, default 2
        Events of one kind in one bin kept individually, at most [-].
    max_events : int, default 1000
        Most individual events [-].
    high_severity : "auto", collection of str or callable, default "auto"
        Which severities are high; see :func:`severity_is_high`.
    time_range : (start, end) or None, default None
        Keep only events with ``start <= time <= end``.

    Returns
    -------
    ReducedEvents
        ``events`` (individual), ``bins`` (counts) and ``settings``.

    Raises
    ------
    ParameterError
        When a required column is missing, a time column is naive or an
        option is not usable.

    Examples
    --------
    >>> import pandas as pd
    >>> t0 = pd.Timestamp("2024-03-31 06:00", tz="UTC")
    >>> flood = pd.DataFrame({"time": [t0 + pd.Timedelta(seconds=i) for i in range(50)],
    ...                       "kind": "HI", "severity": "low", "message": "TIC101 high"})
    >>> trip = pd.DataFrame({"time": [t0 + pd.Timedelta(seconds=20)], "kind": "TRIP",
    ...                      "severity": "critical", "message": "pump P-101 tripped"})
    >>> r = reduce_events(pd.concat([flood, trip]), bin_width="1min")
    >>> len(r.events), int(r.bins["count"].sum())
    (1, 50)
    """
    frame = _prepare_events(events)
    per_bin = _check_int("per_bin", per_bin, 0)
    max_events = _check_int("max_events", max_events, 0)
    start, end = _time_range(time_range)
    rows_in = len(frame)
    missing_time = frame["time"].isna()
    frame = frame[~missing_time]
    inside = pd.Series(True, index=frame.index)
    if start is not None:
        inside &= frame["time"] >= start
    if end is not None:
        inside &= frame["time"] <= end
    outside = int((~inside).sum())
    frame = frame[inside].sort_values("time", kind="stable")
    high = severity_is_high(frame["severity"], high_severity)
    frame = frame.assign(level=np.where(high, "high", "normal"))
    lo = start if start is not None else (frame["time"].min() if len(frame) else None)
    hi = end if end is not None else (frame["time"].max() if len(frame) else None)
    if isinstance(bin_width, str) and bin_width == "auto":
        span = (hi - lo) if lo is not None else pd.Timedelta(0)
        width = nice_bin_width(span, n_bins)
        width_rule = f"auto: smallest nice width giving at most {n_bins} bins"
    else:
        try:
            width = pd.Timedelta(bin_width)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"bin_width={bin_width!r} is not a duration; expected e.g. '5min' or 'auto'"
            ) from exc
        if width is pd.NaT or width <= pd.Timedelta(0):
            raise ParameterError(f"bin_width={bin_width!r} is not positive; expected a duration > 0")
        width_rule = "given"
    # bins aligned on multiples of the width since the epoch (UTC)
    w = int(width.value)
    bin_start = (frame["time"].astype("int64") // w) * w
    frame = frame.assign(_bin=bin_start.to_numpy())
    keys = ["domain", "kind", "_bin"]
    normal = frame[frame["level"] == "normal"]
    highs = frame[frame["level"] == "high"]
    cell_size = normal.groupby(keys, sort=False)["time"].transform("size")
    chosen = per_bin
    n_high_individual = len(highs) if len(highs) <= max_events else 0
    while chosen > 0 and int((cell_size <= chosen).sum()) + n_high_individual > max_events:
        chosen -= 1
    normal_individual = cell_size <= chosen if chosen > 0 else pd.Series(False, index=normal.index)
    individual = pd.concat(
        [normal[normal_individual]] + ([highs] if n_high_individual else []),
    )
    aggregated = pd.concat(
        [normal[~normal_individual]] + ([] if n_high_individual else [highs]),
    )
    individual = individual.sort_values("time", kind="stable").drop(columns="_bin")
    individual = individual.reset_index(drop=True)
    if len(aggregated):
        grouped = aggregated.groupby(["domain", "kind", "level", "_bin"], sort=True)
        bins = grouped.agg(
            count=("time", "size"),
            sources=("source", "nunique"),
            first=("time", "min"),
            last=("time", "max"),
            example=("message", "first"),
        ).reset_index()
        bins.insert(0, "time", pd.to_datetime(bins["_bin"].to_numpy(), utc=True).as_unit("ns"))
        bins.insert(1, "end", bins["time"] + width)
        bins = bins.drop(columns="_bin").sort_values(["time", "domain", "kind"], kind="stable")
        bins = bins.reset_index(drop=True)
    else:
        bins = pd.DataFrame(
            {
                "time": pd.Series(dtype="datetime64[ns, UTC]"),
                "end": pd.Series(dtype="datetime64[ns, UTC]"),
                "domain": pd.Series(dtype=object),
                "kind": pd.Series(dtype=object),
                "level": pd.Series(dtype=object),
                "count": pd.Series(dtype="int64"),
                "sources": pd.Series(dtype="int64"),
                "first": pd.Series(dtype="datetime64[ns, UTC]"),
                "last": pd.Series(dtype="datetime64[ns, UTC]"),
                "example": pd.Series(dtype=object),
            }
        )
    normal_values = sorted({s for s in frame.loc[frame["level"] == "normal", "severity"] if s})
    settings = {
        "bin_width": width,
        "bin_width_rule": width_rule,
        "per_bin": chosen,
        "per_bin_requested": per_bin,
        "max_events": max_events,
        "high_severity": (
            "auto: words " + ", ".join(sorted(DEFAULT_HIGH_SEVERITY))
            if isinstance(high_severity, str)
            else repr(high_severity)
        ),
        "normal_severities": normal_values[:20],
        "high_aggregated": bool(len(highs) and not n_high_individual),
        "counts": {
            "rows_in": rows_in,
            "individual": int(len(individual)),
            "individual_high": int(n_high_individual),
            "aggregated": int(len(aggregated)),
            "bins": int(len(bins)),
            "missing_time": int(missing_time.sum()),
            "outside_time_range": outside,
        },
    }
    return ReducedEvents(events=individual, bins=bins, settings=settings)
