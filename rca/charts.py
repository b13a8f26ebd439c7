"""Altair charts for an investigation: timeline, signal view, lags, candidates, propagation.

Every function takes the plain frames of ``docs/data-model.md`` and returns an
altair chart (a value: display it, combine it, or save it with
:func:`save_chart`). Nothing here analyses data; the charts draw what the
analysis functions return.

Three rules hold for all charts:

- **Times are shown in the display zone** (``timezone=``, an IANA name such
  as ``"Europe/Berlin"``) whatever the browser's zone. The data keep true UTC
  instants (epoch milliseconds), the x scales are ``utc`` scales, and axis
  labels and tooltips add the zone's UTC offset, which the chart carries as a
  table of the zone's transitions over the charted range. A daylight-saving
  change is therefore drawn as it happened: no repeated or missing hour on
  the axis, and a repeated wall-clock hour is labelled twice. The axis title
  names the zone.
- **Data are reduced before they reach the browser** (:mod:`rca.downsample`):
  min/max (or M4) per pixel column for lines, with breaks kept at missing
  data; dense events become counts per time bin and kind, high-severity
  events stay individual. What was reduced, and how, is written in the
  chart's subtitle and in ``chart.to_dict()["usermeta"]["rca"]``.
- **Text from the data is data**: messages and names travel as dataset
  values and are escaped by Vega; no HTML or expression is ever built from
  them.

Stable names for browser tests and widgets: view names start with ``rca_``
(``rca_overview``, ``rca_signals_ot``, ``rca_events_it``, ...) and appear as
CSS classes on the rendered marks; the time brush of the timeline is the
selection parameter ``time_brush`` (values in epoch milliseconds, UTC).
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import os
import zoneinfo
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from rca.downsample import (
    _prepare_events,
    _time_range,
    _utc_index,
    _utc_timestamp,
    downsample,
    reduce_events,
)
from rca.errors import MissingDependencyError, ParameterError

__all__ = [
    "candidates_chart",
    "chart_to_svg",
    "lag_heatmap",
    "propagation_chart",
    "save_chart",
    "signal_chart",
    "timeline_chart",
]

#: Points drawn in one chart at most when ``max_points="auto"`` (about 1.2 MB
#: of JSON for the timeline); shared out between the signals.
AUTO_TOTAL_POINTS = 32_000
#: Rows per dataset at most (altair's default ``max_rows``: specs stay displayable
#: without touching altair's global data-transformer settings).
DATASET_ROWS = 5_000
#: Individual event marks at most when ``max_events="auto"``.
AUTO_MAX_EVENTS = 1_000
#: Width of one event bin when ``bin_width="auto"`` [px].
EVENT_BIN_PX = 4

DOMAIN_COLORS = {"OT": "#1f77b4", "IT": "#ff7f0e"}
OTHER_DOMAIN_COLOR = "#7f7f7f"
LEVEL_COLORS = {"high": "#d62728", "normal": "#4c78a8"}
CHANGE_COLOR = "#9467bd"
INCIDENT_COLOR = "#000000"

_MS_PER_NS = 1_000_000


# ---------------------------------------------------------------------------
# display zone
# ---------------------------------------------------------------------------


def _zone(timezone: Any) -> tuple[_dt.tzinfo, str]:
    if isinstance(timezone, str):
        if timezone.upper() == "UTC":
            return _dt.timezone.utc, "UTC"
        try:
            return zoneinfo.ZoneInfo(timezone), timezone
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ParameterError(
                f"timezone={timezone!r} is not a known time zone; expected an IANA name "
                f"such as 'Europe/Berlin' or 'UTC'"
            ) from exc
    if isinstance(timezone, _dt.tzinfo):
        return timezone, str(timezone)
    raise ParameterError(
        f"timezone={timezone!r} is not usable; expected an IANA name such as "
        f"'Europe/Berlin' or a datetime.tzinfo"
    )


def _offset_text(offset_ms: int) -> str:
    sign = "-" if offset_ms < 0 else "+"
    minutes = abs(int(offset_ms)) // 60_000
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


class _Clock:
    """The display zone over one time range, as Vega expressions and strings."""

    def __init__(self, timezone: Any, lo_ms: int | None, hi_ms: int | None) -> None:
        self.tz, self.name = _zone(timezone)
        if lo_ms is None or hi_ms is None:
            lo_ms = hi_ms = 946_684_800_000  # no times charted: any instant will do
        hour = 3_600_000
        day = 24 * hour
        grid = np.arange((lo_ms // hour) * hour - day, hi_ms + day + hour, hour, dtype=np.int64)
        offsets = self._offsets(grid)
        self.base = int(offsets[0])
        self.transitions: list[tuple[int, int]] = []  # (instant [ms], new offset [ms])
        for i in np.flatnonzero(offsets[1:] != offsets[:-1]):
            a, b = int(grid[i]), int(grid[i + 1])
            while b - a > 1:  # the first instant with the new offset, to the ms
                mid = (a + b) // 2
                if self._offsets(np.array([mid]))[0] == offsets[i]:
                    a = mid
                else:
                    b = mid
            self.transitions.append((b, int(offsets[i + 1])))

    def _offsets(self, ms: np.ndarray) -> np.ndarray:
        utc = pd.to_datetime(np.asarray(ms, dtype=np.int64), unit="ms", utc=True).as_unit("ns")
        local = utc.tz_convert(self.tz)
        return (local.tz_localize(None).asi8 - utc.tz_localize(None).asi8) // _MS_PER_NS

    def _piecewise(self, t: str, values: list[str]) -> str:
        expr = values[-1]
        for (instant, _), value in zip(reversed(self.transitions), reversed(values[:-1])):
            expr = f"({t} < {instant} ? {value} : {expr})"
        return expr

    def offset_expr(self, t: str) -> str:
        """Vega expression: the zone's UTC offset [ms] at instant ``t`` [ms]."""
        return self._piecewise(t, [str(self.base)] + [str(o) for _, o in self.transitions])

    def offset_label_expr(self, t: str) -> str:
        """Vega expression: the offset at ``t`` as text, e.g. ``'+02:00'``."""
        texts = [self.base] + [o for _, o in self.transitions]
        return self._piecewise(t, [f"'{_offset_text(o)}'" for o in texts])

    def label_expr(self) -> str:
        """Axis ``labelExpr`` writing UTC tick values as wall-clock times."""
        t = "time(datum.value)"
        w = f"({t} + {self.offset_expr(t)})"
        return (
            f"utcmilliseconds({t}) ? utcFormat({w}, '%H:%M:%S.%L') : "
            f"utcseconds({t}) ? utcFormat({w}, '%H:%M:%S') : "
            f"(utcminutes({t}) || utchours({t})) ? utcFormat({w}, '%H:%M') : "
            f"utcFormat({w}, '%b %d %H:%M')"
        )

    def text_expr(self, field: str) -> str:
        """Vega expression: ``datum[field]`` as ``'YYYY-MM-DD HH:MM:SS +HH:MM'``."""
        t = f"time(datum[{json.dumps(field)}])"
        w = f"({t} + {self.offset_expr(t)})"
        return f"utcFormat({w}, '%Y-%m-%d %H:%M:%S') + ' ' + {self.offset_label_expr(t)}"

    def format(self, times: pd.Series) -> list[str | None]:
        """Wall-clock text of UTC times, ``'YYYY-MM-DD HH:MM:SS +HH:MM'`` (ms if any)."""
        times = pd.Series(times)
        ok = times.notna()
        out: list[str | None] = [None] * len(times)
        if not ok.any():
            return out
        utc = times[ok].dt.tz_convert("UTC").dt.as_unit("ns")
        local = utc.dt.tz_convert(self.tz)
        offset_ms = (
            local.dt.tz_localize(None).astype("int64") - utc.dt.tz_localize(None).astype("int64")
        ) // _MS_PER_NS
        sub_second = bool((utc.astype("int64") % 1_000_000_000).any())
        text = local.dt.strftime("%Y-%m-%d %H:%M:%S.%f").str[:-3] if sub_second else (
            local.dt.strftime("%Y-%m-%d %H:%M:%S")
        )
        labels = [f"{a} {_offset_text(o)}" for a, o in zip(text, offset_ms)]
        for position, label in zip(np.flatnonzero(ok.to_numpy()), labels):
            out[position] = label
        return out

    def title(self) -> str:
        return f"time [{self.name}]"

    def axis(self, *, labels: bool = True, title: bool = True, tick_count: int = 8) -> alt.Axis:
        if not labels:
            return alt.Axis(labels=False, ticks=False, title=None, domain=False,
                            tickCount=tick_count)
        return alt.Axis(
            labelExpr=self.label_expr(),
            title=self.title() if title else None,
            labelOverlap=True,
            tickCount=tick_count,
        )

    def settings(self) -> dict[str, Any]:
        return {
            "timezone": self.name,
            "utc_offset": _offset_text(self.base),
            "transitions": [
                {"at": _iso(instant), "utc_offset": _offset_text(offset)}
                for instant, offset in self.transitions
            ],
        }


# ---------------------------------------------------------------------------
# small helpers
# ---------------------------------------------------------------------------


def _iso(ms: int) -> str:
    return pd.Timestamp(int(ms), unit="ms", tz="UTC").isoformat()


def _ms(times: pd.Series | pd.DatetimeIndex | np.ndarray) -> pd.api.extensions.ExtensionArray:
    """Epoch milliseconds of UTC times (nullable Int64, <NA> for NaT), floored to the ms."""
    index = pd.DatetimeIndex(times)
    values = index.as_unit("ns").asi8 // _MS_PER_NS
    missing = np.asarray(index.isna())
    if not missing.any():
        return pd.array(values, dtype="Int64")
    return pd.arrays.IntegerArray(np.where(missing, 0, values), missing)


def _check_positive_int(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name}={value!r} is not usable; expected an integer >= {minimum}")
    return int(value)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _frame_times(frame: pd.DataFrame, column: str, name: str) -> pd.Series:
    series = frame[column]
    if series.isna().all() and not isinstance(series.dtype, pd.DatetimeTZDtype):
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
    if not isinstance(series.dtype, pd.DatetimeTZDtype):
        raise ParameterError(
            f"{name} column {column!r} has dtype {series.dtype}; expected "
            f"datetime64[ns, UTC] (tz-aware; naive times are ambiguous)"
        )
    return series.dt.tz_convert("UTC")


def _require_columns(frame: Any, name: str, columns: Sequence[str]) -> pd.DataFrame:
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(
            f"{name} is a {type(frame).__name__}; expected a pandas DataFrame with the "
            f"columns {list(columns)}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{name} has no column {missing[0]!r} (columns: {list(frame.columns)}); "
            f"expected the columns {list(columns)}"
        )
    return frame


def _seconds(values: pd.Series, name: str, column: str) -> np.ndarray:
    if pd.api.types.is_timedelta64_dtype(values):
        return values.dt.total_seconds().to_numpy(dtype=float)
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=float)
    raise ParameterError(
        f"{name} column {column!r} has dtype {values.dtype}; expected a timedelta or a "
        f"number of seconds"
    )


def _domain_color(domain: str) -> str:
    return DOMAIN_COLORS.get(domain, OTHER_DOMAIN_COLOR)


def _points_budget(max_points: Any, method: str, n_signals: int, width: int) -> tuple[int, str, str]:
    """Points per signal and method, with the reason for the report."""
    if method not in ("auto", "minmax", "m4", "lttb"):
        raise ParameterError(
            f"method={method!r} is not known; expected 'auto', 'minmax', 'm4' or 'lttb'"
        )
    if isinstance(max_points, str) and max_points == "auto":
        budget = max(100, min(AUTO_TOTAL_POINTS // max(n_signals, 1), 4 * width))
        reason = (
            f"auto: min({AUTO_TOTAL_POINTS} points / {n_signals} signals, "
            f"4 x {width} px) per signal"
        )
    else:
        budget = _check_positive_int("max_points", max_points, 4)
        reason = "given"
    if method == "auto":
        method = "m4" if budget >= 4 * width else "minmax"
        reason += (
            "; m4 (first/min/max/last per pixel column)" if method == "m4"
            else "; minmax (min and max per bucket)"
        )
        if method == "m4":
            budget = 4 * width
    return budget, method, reason


def _incident_layer(incident_ms: float | None, clock: _Clock, x_scale: alt.Scale,
                    x_axis: alt.Axis, *, label: bool = False) -> list[alt.Chart]:
    if incident_ms is None:
        return []
    when = clock.format(pd.Series([pd.Timestamp(int(incident_ms), unit="ms", tz="UTC")]))[0]
    data = pd.DataFrame({"time": [int(incident_ms)], "label": ["incident start"], "when": [when]})
    base = alt.Chart(data)
    x = alt.X("time:T", scale=x_scale, axis=x_axis)
    tooltip = [alt.Tooltip("label:N", title="marker"), alt.Tooltip("when:N", title="time")]
    layers = [base.mark_rule(color=INCIDENT_COLOR, strokeDash=[6, 3], strokeWidth=1.5, clip=True)
              .encode(x=x, tooltip=tooltip)]
    if label:
        layers.append(
            base.mark_text(align="left", baseline="top", dx=3, dy=2, fontSize=10,
                           color=INCIDENT_COLOR, clip=True)
            .encode(x=x, y=alt.value(0), text="label:N")
        )
    return layers


def _title(text: str, subtitle: list[str]) -> alt.TitleParams:
    return alt.TitleParams(text=text, subtitle=subtitle, anchor="start", subtitleFontSize=10)


def _int(n: int) -> str:
    return f"{n:,}"


# ---------------------------------------------------------------------------
# timeline
# ---------------------------------------------------------------------------


def _signal_info_domains(signal_info: Any, names: list[str]) -> tuple[dict[str, dict[str, Any]], int]:
    """Per-signal metadata from ``signal_info``; returns (info, signals not described)."""
    info: dict[str, dict[str, Any]] = {n: {"domain": "", "unit": "", "description": ""} for n in names}
    if signal_info is None:
        return info, 0
    if not isinstance(signal_info, pd.DataFrame):
        raise ParameterError(
            f"signal_info is a {type(signal_info).__name__}; expected a DataFrame indexed by "
            f"signal with a 'domain' column (docs/data-model.md)"
        )
    frame = signal_info
    if "signal" in frame.columns:
        frame = frame.set_index("signal")
    if "domain" not in frame.columns:
        raise ParameterError(
            f"signal_info has no column 'domain' (columns: {list(frame.columns)}); expected "
            f"'domain' with 'OT' or 'IT' per signal"
        )
    undescribed = 0
    for name in names:
        if name in frame.index:
            row = frame.loc[name]
            if isinstance(row, pd.DataFrame):
                row = row.iloc[0]
            for key in ("domain", "unit", "description"):
                if key in frame.columns and pd.notna(row[key]):
                    info[name][key] = str(row[key])
            info[name]["domain"] = _domain_name(info[name]["domain"])
        else:
            undescribed += 1
    return info, undescribed


def _domain_name(domain: str) -> str:
    """``"ot"``/``" IT "`` -> ``"OT"``/``"IT"``; other names unchanged."""
    cleaned = domain.strip()
    return cleaned.upper() if cleaned.upper() in ("OT", "IT") else cleaned


def _group_order(domains: Collection[str]) -> list[str]:
    """Panel order: no domain (all signals in one lane set) first, then OT, IT, others."""
    known = [d for d in ("OT", "IT") if d in domains]
    others = sorted(d for d in domains if d not in ("OT", "IT", ""))
    return ([""] if "" in domains else []) + known + others


def _slug(domain: str, position: int) -> str:
    if domain in ("OT", "IT"):
        return domain.lower()
    return "all" if domain == "" else f"d{position}"


def timeline_chart(
    signals: pd.DataFrame | pd.Series | None = None,
    events: pd.DataFrame | None = None,
    changes: pd.DataFrame | None = None,
    *,
    signal_info: pd.DataFrame | None = None,
    incident_start: Any = None,
    timezone: Any = "UTC",
    time_range: tuple[Any, Any] | None = None,
    width: int = 800,
    lane_height: int = 18,
    overview_height: int = 70,
    max_points: int | str = "auto",
    method: str = "auto",
    max_events: int | str = "auto",
    bin_width: pd.Timedelta | str = "auto",
    high_severity: str | Collection[str] | Callable[[str], bool] = "auto",
    title: str | None = None,
) -> alt.VConcatChart:
    """OT and IT swimlanes of signals and events over one time axis, with an overview brush.

    Each domain (``"OT"``, ``"IT"``, then any other) gets a signals panel, one
    lane per signal (each drawn scaled to its own minimum and maximum, the
    name on the left, unit and range in the lane's tooltip, change points as
    vertical marks in the lane), and an events panel (one row per event
    ``kind``; individual events as ticks coloured by severity level, intervals
    as bars, dense stretches as count cells; the message in the tooltip). The
    incident start is a dashed rule across all panels. At the bottom an
    overview shows every signal and event over the whole range: brush a time
    range there to zoom all panels.

    Parameters
    ----------
    signals : pandas.DataFrame or pandas.Series, optional
        Aligned signals (wide, tz-aware UTC index; ``NaN`` = missing).
    events : pandas.DataFrame, optional
        Events (``time`` and ``kind`` required; ``end``, ``source``,
        ``message``, ``severity`` and ``domain`` used when present).
    changes : pandas.DataFrame, optional
        Change points (``signal`` and ``time`` required; ``kind``,
        ``before``, ``after``, ``delta``, ``delta_sigma``, ``strength``,
        ``time_lo``, ``time_hi`` shown when present).
    signal_info : pandas.DataFrame, optional
        Indexed by signal, with ``domain`` (and optionally ``unit``,
        ``description``). Without it all signals share one panel.
    incident_start : timestamp, optional
        Tz-aware time of the incident start.
    timezone : str or datetime.tzinfo, default "UTC"
        Display zone for axis labels and tooltips.
    time_range : (start, end), optional
        Chart only this range (tz-aware; either end may be None). Zooming
        through this, rather than the brush, re-reduces the data at full
        resolution for the window.
    width : int, default 800
        Plot width [px].
    lane_height : int, default 18
        Height of one signal lane [px].
    overview_height : int, default 70
        Height of the overview [px].
    max_points : int or "auto", default "auto"
        Points per signal after reduction. ``"auto"``:
        ``min(AUTO_TOTAL_POINTS / n_signals, 4 * width)``, at least 100.
    method : {"auto", "minmax", "m4", "lttb"}, default "auto"
        Line reduction (see :func:`rca.downsample.downsample`). ``"auto"``:
        ``"m4"`` with one bucket per pixel column when the budget allows 4
        points per column, else ``"minmax"``.
    max_events : int or "auto", default "auto"
        Most individual event marks (``"auto"``: ``AUTO_MAX_EVENTS``).
    bin_width : pandas.Timedelta, str or "auto", default "auto"
        Event bin width; ``"auto"``: a nice width of about ``EVENT_BIN_PX``
        pixels.
    high_severity : "auto", collection of str or callable, default "auto"
        Which severities are high (always drawn individually); see
        :func:`rca.downsample.severity_is_high`.
    title : str, optional
        Chart title; by default the charted range in the display zone.

    Returns
    -------
    altair.VConcatChart
        Panels named ``rca_signals_<domain>``, ``rca_events_<domain>``
        (``ot``, ``it``, ``all`` without domain, ``d<n>`` for others) and
        ``rca_overview``; the brush parameter is ``time_brush``. The
        reduction report is in ``usermeta["rca"]`` and in the subtitle.

    Raises
    ------
    ParameterError
        For naive times, missing columns or unusable options.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.date_range("2024-03-31 00:00", periods=3600, freq="1s", tz="UTC", name="time")
    >>> x = pd.DataFrame({"TIC101.PV": np.sin(np.arange(3600) / 300),
    ...                   "web01.cpu": np.cos(np.arange(3600) / 200)}, index=t)
    >>> info = pd.DataFrame({"domain": ["OT", "IT"]}, index=["TIC101.PV", "web01.cpu"])
    >>> ev = pd.DataFrame({"time": [t[600]], "kind": ["change"], "message": ["fw rule 12 <b>"],
    ...                    "severity": ["critical"], "domain": ["IT"]})
    >>> chart = timeline_chart(x, ev, signal_info=info, timezone="Europe/Berlin",
    ...                        incident_start=t[900])
    >>> spec = chart.to_dict()
    >>> [v["name"] for v in spec["vconcat"]]
    ['rca_signals_ot', 'rca_signals_it', 'rca_events_it', 'rca_overview']
    """
    width = _check_positive_int("width", width, 50)
    lane_height = _check_positive_int("lane_height", lane_height, 4)
    overview_height = _check_positive_int("overview_height", overview_height, 20)
    start, end = _time_range(time_range)
    incident = None if incident_start is None else _utc_timestamp("incident_start", incident_start)
    report: dict[str, Any] = {}
    subtitle: list[str] = []

    # ---- signals -------------------------------------------------------
    if isinstance(signals, pd.Series):
        signals = signals.to_frame(name=signals.name if signals.name is not None else "value")
    if signals is not None and not isinstance(signals, pd.DataFrame):
        raise ParameterError(
            f"signals is a {type(signals).__name__}; expected a DataFrame (one column per "
            f"signal on a UTC DatetimeIndex) or None"
        )
    names: list[str] = [] if signals is None else [str(c) for c in signals.columns]
    info, undescribed = _signal_info_domains(signal_info, names)
    long = None
    if names:
        budget, chosen_method, reason = _points_budget(max_points, method, len(names), width)
        frame = signals.copy()
        frame.columns = names
        window = None if start is None and end is None else (start, end)
        long = downsample(frame, max_points=budget, method=chosen_method, time_range=window)
        # the true extremes in the window (lanes are scaled to them; lttb may miss them)
        in_window = frame.set_axis(_utc_index("signals.index", frame.index), axis=0)
        if window is not None:
            keep = np.ones(len(in_window), dtype=bool)
            if start is not None:
                keep &= in_window.index >= start
            if end is not None:
                keep &= in_window.index <= end
            in_window = in_window[keep]
        finite = in_window.astype(float).replace([np.inf, -np.inf], np.nan)
        extremes = {n: (float(finite[n].min()), float(finite[n].max())) for n in names}
        settings = long.attrs["settings"]
        kept = sum(s["kept"] for s in settings["per_signal"].values())
        in_range = sum(s["rows"] for s in settings["per_signal"].values())
        report["signals"] = {**settings, "budget_rule": reason, "undescribed": undescribed}
        subtitle.append(
            f"{len(names)} signals: {_int(in_range)} samples drawn as {_int(kept)} points "
            f"({chosen_method} over {settings['buckets']} buckets of "
            f"{settings['bucket_width'].total_seconds():g} s)"
        )

    # ---- events --------------------------------------------------------
    reduced = None
    if events is not None:
        prepared = _prepare_events(events)
        prepared["domain"] = prepared["domain"].map(_domain_name)
        limit = AUTO_MAX_EVENTS if (isinstance(max_events, str) and max_events == "auto") else (
            _check_positive_int("max_events", max_events, 0)
        )
        reduced = reduce_events(
            prepared, bin_width=bin_width, n_bins=max(1, width // EVENT_BIN_PX),
            max_events=limit, high_severity=high_severity,
            time_range=None if start is None and end is None else (start, end),
        )
        counts = reduced.settings["counts"]
        report["events"] = reduced.settings
        line = (
            f"{_int(counts['rows_in'])} events: {_int(counts['individual'])} drawn individually"
            f" ({_int(counts['individual_high'])} high severity)"
        )
        if counts["aggregated"]:
            line += (
                f", {_int(counts['aggregated'])} counted in {_int(counts['bins'])} cells of "
                f"{reduced.settings['bin_width'].total_seconds():g} s"
            )
        skipped = counts["missing_time"] + counts["outside_time_range"]
        if skipped:
            line += f", {_int(skipped)} not charted (no time or outside the range)"
        subtitle.append(line)

    # ---- range and clock -----------------------------------------------
    bounds: list[pd.Timestamp] = []
    if long is not None and len(long):
        bounds += [long.attrs["settings"]["start"], long.attrs["settings"]["end"]]
    if reduced is not None:
        for column in ("time", "end"):
            for frame_ in (reduced.events, reduced.bins):
                if len(frame_) and frame_[column].notna().any():
                    bounds += [frame_[column].min(), frame_[column].max()]
    bounds += [t for t in (start, end, incident) if t is not None]
    if not bounds:
        raise ParameterError(
            "timeline_chart got nothing to draw: signals and events are both None or empty; "
            "expected at least one signal column or one event"
        )
    incident_ms = None if incident is None else incident.value // _MS_PER_NS
    lo_ms = (start if start is not None else min(bounds)).value // _MS_PER_NS
    hi_ms = -(-(end if end is not None else max(bounds)).value // _MS_PER_NS)  # ceil
    if hi_ms <= lo_ms:
        hi_ms = lo_ms + 1000
    clock = _Clock(timezone, lo_ms, hi_ms)
    detail_scale = alt.Scale(type="utc", domain=[lo_ms, hi_ms],
                             domainRaw=alt.ExprRef('time_brush["time"]'))
    full_scale = alt.Scale(type="utc", domain=[lo_ms, hi_ms])

    # ---- changes -------------------------------------------------------
    change_rows: pd.DataFrame | None = None
    if changes is not None:
        frame_ = _require_columns(changes, "changes", ["signal", "time"])
        times = _frame_times(frame_, "time", "changes")
        charted = frame_["signal"].astype(str).isin(names)
        inside = times.notna() & (times >= pd.Timestamp(lo_ms, unit="ms", tz="UTC")) & (
            times <= pd.Timestamp(hi_ms, unit="ms", tz="UTC"))
        report["changes"] = {
            "rows_in": int(len(frame_)),
            "charted": int((charted & inside).sum()),
            "signal_not_charted": int((~charted).sum()),
            "outside_time_range": int((charted & ~inside).sum()),
        }
        change_rows = frame_[charted & inside].assign(time=times[charted & inside])
        if report["changes"]["rows_in"]:
            text = f"{_int(report['changes']['charted'])} change points"
            missed = report["changes"]["rows_in"] - report["changes"]["charted"]
            if missed:
                text += f" ({_int(missed)} not charted: signal not shown or outside the range)"
            subtitle.append(text)

    # ---- panels ----------------------------------------------------------
    groups = _group_order(
        {info[n]["domain"] for n in names}
        | (set(reduced.events["domain"]) | set(reduced.bins["domain"]) if reduced is not None else set())
    )
    plan: list[tuple[str, str, int]] = []  # (panel kind, domain, position)
    for position, domain in enumerate(groups):
        if long is not None and any(info[n]["domain"] == domain for n in names):
            plan.append(("signals", domain, position))
        if reduced is not None and (
            (reduced.events["domain"] == domain).any() or (reduced.bins["domain"] == domain).any()
        ):
            plan.append(("events", domain, position))
    panels: list[alt.LayerChart] = []
    overview_layers: list[alt.Chart] = []
    overview_axis = clock.axis(tick_count=max(2, width // 90))
    lane_params: list[alt.Parameter] = []
    for i, (kind, domain, position) in enumerate(plan):
        slug = _slug(domain, position)
        is_last = i == len(plan) - 1
        x_axis = clock.axis(labels=is_last, title=is_last, tick_count=max(2, width // 90))
        if kind == "signals":
            members = [n for n in names if info[n]["domain"] == domain]
            layers, overview_lines, param, height = _signal_layers(
                long, members, info, change_rows, clock, detail_scale, full_scale, x_axis,
                overview_axis, extremes=extremes, slug=slug, domain=domain, lane_height=lane_height,
            )
            overview_layers += overview_lines
            lane_params.append(param)
        else:
            layers, height = _event_layers(
                reduced.events[reduced.events["domain"] == domain],
                reduced.bins[reduced.bins["domain"] == domain],
                clock, detail_scale, x_axis, domain=domain,
            )
        layers += _incident_layer(incident_ms, clock, detail_scale, x_axis, label=(i == 0))
        panels.append(alt.LayerChart(layer=layers, name=f"rca_{kind}_{slug}", width=width,
                                     height=height))
    if reduced is not None and (len(reduced.events) or len(reduced.bins)):
        overview_layers += _event_overview(reduced, full_scale, overview_axis, overview_height)

    brush = alt.selection_interval(encodings=["x"], name="time_brush")
    overview_layers += _incident_layer(incident_ms, clock, full_scale, overview_axis)
    if not overview_layers:
        overview_layers = [alt.Chart(pd.DataFrame({"time": [lo_ms]})).mark_rule(opacity=0)
                           .encode(x=alt.X("time:T", scale=full_scale, axis=overview_axis))]
    overview_layers[0] = overview_layers[0].add_params(brush)
    overview = alt.LayerChart(
        layer=overview_layers, name="rca_overview", width=width, height=overview_height,
        title=alt.TitleParams("overview: drag to zoom the panels above",
                              fontSize=10, anchor="start", fontWeight="normal"),
    )
    lo_text, hi_text = clock.format(pd.Series(pd.to_datetime([lo_ms, hi_ms], unit="ms", utc=True)))
    report["time"] = {"start": _iso(lo_ms), "end": _iso(hi_ms), **clock.settings()}
    report["incident_start"] = None if incident is None else incident.isoformat()
    report["panels"] = [f"rca_{kind}_{_slug(domain, position)}" for kind, domain, position in plan]
    # constructed in one go: altair copies every layer on each .add_params/.properties call
    return alt.VConcatChart(
        vconcat=[*panels, overview],
        spacing=6,
        params=[p.param for p in lane_params] or alt.Undefined,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(opacity="independent")),
        title=_title(title or f"Timeline {lo_text} to {hi_text} ({clock.name})", subtitle),
        usermeta={"rca": _json_safe({"chart": "timeline", **report})},
    )


def _change_tooltip(frame: pd.DataFrame) -> tuple[dict[str, Any], list[alt.Tooltip]]:
    """Optional change-point columns and their tooltips."""
    columns: dict[str, Any] = {}
    tooltip = [alt.Tooltip("signal:N", title="signal"), alt.Tooltip("when:N", title="change at")]
    if "kind" in frame.columns:
        columns["kind"] = frame["kind"].astype(str).to_numpy()
        tooltip.append(alt.Tooltip("kind:N", title="kind"))
    for name, fmt in (("before", ".4g"), ("after", ".4g"), ("delta", "+.4g"),
                      ("delta_sigma", "+.2f"), ("strength", ".3g")):
        if name in frame.columns and pd.api.types.is_numeric_dtype(frame[name]):
            columns[name] = frame[name].to_numpy(dtype=float)
            tooltip.append(alt.Tooltip(f"{name}:Q", title=name, format=fmt))
    return columns, tooltip


def _signal_layers(
    long: pd.DataFrame,
    members: list[str],
    info: dict[str, dict[str, Any]],
    changes: pd.DataFrame | None,
    clock: _Clock,
    detail_scale: alt.Scale,
    full_scale: alt.Scale,
    x_axis: alt.Axis,
    overview_axis: alt.Axis,
    *,
    extremes: dict[str, tuple[float, float]],
    slug: str,
    domain: str,
    lane_height: int,
) -> tuple[list[alt.Chart], list[alt.Chart], alt.Parameter, int]:
    """Layers of one signals panel: lane shading, lines, isolated points, change marks."""
    x = alt.X("time:T", scale=detail_scale, axis=x_axis)
    lane_of = {name: i for i, name in enumerate(members)}
    per_signal = long.attrs["settings"]["per_signal"]
    n = len(members)
    y_scale = alt.Scale(domain=[0, n], reverse=True, nice=False, zero=False)
    param = alt.param(name=f"lanes_{slug}", value=members)
    y_axis = alt.Axis(values=[i + 0.5 for i in range(n)], labelExpr=f"lanes_{slug}[floor(datum.value)]",
                      title=f"{domain} signals" if domain else "signals", grid=False, ticks=False,
                      labelLimit=180, domain=False)
    color = _domain_color(domain)
    lanes = pd.DataFrame(
        {
            "lane": np.arange(n), "lane_hi": np.arange(n) + 1, "signal": members,
            "domain": [info[m]["domain"] for m in members],
            "unit": [info[m]["unit"] for m in members],
            "description": [info[m]["description"] for m in members],
            "min": [extremes[m][0] for m in members], "max": [extremes[m][1] for m in members],
            "samples": [per_signal[m]["rows"] - per_signal[m]["missing"] for m in members],
            "points": [per_signal[m]["kept"] for m in members],
            "shade": np.arange(n) % 2,
        }
    )
    layers: list[alt.Chart] = [
        alt.Chart(lanes).mark_rect(clip=True).encode(
            y=alt.Y("lane:Q", scale=y_scale, axis=y_axis), y2="lane_hi:Q",
            opacity=alt.Opacity("shade:Q", scale=alt.Scale(domain=[0, 1], range=[0.0, 0.06]), legend=None),
            color=alt.value("#000000"),
            tooltip=[alt.Tooltip("signal:N"), alt.Tooltip("unit:N"), alt.Tooltip("description:N"),
                     alt.Tooltip("min:Q", format=".4g"), alt.Tooltip("max:Q", format=".4g"),
                     alt.Tooltip("samples:Q", title="valid samples"),
                     alt.Tooltip("points:Q", title="points drawn")],
        )
    ]
    overview_layers: list[alt.Chart] = []
    isolated_parts = []
    pieces = []
    by_signal = dict(tuple(long[long["signal"].isin(members)].groupby("signal", sort=False)))
    for name in members:
        part = by_signal.get(name)
        if part is None or not len(part):
            continue
        lo, hi = extremes[name]
        values = part["value"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = (values - lo) / (hi - lo) if hi > lo else np.where(np.isnan(values), np.nan, 0.5)
        data = pd.DataFrame({"time": _ms(part["time"]),
                             # lanes run downwards (lane 0 on top): high values get small y
                             "y": np.round(lane_of[name] + 0.9 - 0.8 * frac, 4)})
        pieces.append(data)
        # a kept point with a break (or nothing) on both sides draws no line: show it as a dot
        lonely = _isolated(values)
        if lonely.any():
            isolated_parts.append(data[lonely])
    # Lanes are drawn in data order (ordered by row number), separated by a break row, so that one
    # dataset holds many lanes without a lane column; datasets stay under DATASET_ROWS.
    for data in _packed(pieces):
        layers.append(
            alt.Chart(data).transform_window(row="row_number()")
            .mark_line(strokeWidth=1, clip=True, invalid="break-paths-show-domains", color=color)
            .encode(x=x, y=alt.Y("y:Q", scale=y_scale, axis=y_axis), order="row:Q")
        )
        overview_layers.append(
            alt.Chart(data)
            .transform_window(row="row_number()")
            .transform_calculate(frac="isValid(datum.y) ? datum.y - floor(datum.y) : null")
            .mark_line(strokeWidth=0.7, opacity=0.5, color=color, invalid="break-paths-show-domains")
            .encode(
                x=alt.X("time:T", scale=full_scale, axis=overview_axis),
                y=alt.Y("frac:Q", scale=alt.Scale(domain=[1.1, 0.0], nice=False, zero=False),
                        axis=None),
                order="row:Q",
            )
        )
    if isolated_parts:
        layers.append(
            alt.Chart(pd.concat(isolated_parts, ignore_index=True))
            .mark_point(filled=True, size=8, color=color, clip=True)
            .encode(x=x, y=alt.Y("y:Q", scale=y_scale, axis=y_axis))
        )
    if changes is not None:
        mine = changes[changes["signal"].astype(str).isin(members)]
        if len(mine):
            columns, tooltip = _change_tooltip(mine)
            rows = {
                "time": _ms(mine["time"]), "signal": mine["signal"].astype(str).to_numpy(),
                "lane": mine["signal"].astype(str).map(lane_of).to_numpy(),
                "when": clock.format(mine["time"]), **columns,
            }
            rows["lane_hi"] = rows["lane"] + 1
            has_interval = "time_lo" in mine.columns and "time_hi" in mine.columns
            if has_interval:
                rows["time_lo"] = _ms(_frame_times(mine, "time_lo", "changes"))
                rows["time_hi"] = _ms(_frame_times(mine, "time_hi", "changes"))
            change_chart = alt.Chart(pd.DataFrame(rows))
            if has_interval:
                layers.append(
                    change_chart.mark_rect(color=CHANGE_COLOR, opacity=0.18, clip=True).encode(
                        x=alt.X("time_lo:T", scale=detail_scale, axis=x_axis), x2="time_hi:T",
                        y=alt.Y("lane:Q", scale=y_scale, axis=y_axis), y2="lane_hi:Q",
                    )
                )
            layers.append(
                change_chart.mark_rule(color=CHANGE_COLOR, strokeWidth=2, clip=True).encode(
                    x=x, y=alt.Y("lane:Q", scale=y_scale, axis=y_axis), y2="lane_hi:Q",
                    tooltip=tooltip,
                )
            )
    return layers, overview_layers, param, lane_height * n


def _packed(pieces: list[pd.DataFrame], rows: int | None = None) -> list[pd.DataFrame]:
    """Line pieces joined by break rows, cut into frames of at most ``rows`` rows.

    A piece cut between two frames repeats the cut point at the start of the next frame
    so the line stays continuous.
    """
    rows = DATASET_ROWS if rows is None else rows
    if not pieces:
        return []
    gap = pd.DataFrame({"time": pd.array([pd.NA], dtype="Int64"), "y": [np.nan]})
    joined = []
    for piece in pieces:
        if joined:
            gap_row = gap.copy()
            gap_row["time"] = piece["time"].iloc[:1].to_numpy()
            joined.append(gap_row)
        joined.append(piece)
    whole = pd.concat(joined, ignore_index=True)
    out = []
    start = 0
    while start < len(whole):
        stop = min(start + rows, len(whole))
        out.append(whole.iloc[start:stop].reset_index(drop=True))
        if stop >= len(whole):
            break
        start = stop - 1  # repeat the last row: the line continues into the next frame
    return out


def _isolated(values: np.ndarray) -> np.ndarray:
    """Valid points whose neighbours are both missing (or absent): a line draws nothing there."""
    valid = ~np.isnan(values)
    prev_ok = np.r_[False, valid[:-1]]
    next_ok = np.r_[valid[1:], False]
    return valid & ~prev_ok & ~next_ok


def _event_layers(
    events: pd.DataFrame,
    bins: pd.DataFrame,
    clock: _Clock,
    detail_scale: alt.Scale,
    x_axis: alt.Axis,
    *,
    domain: str,
) -> tuple[list[alt.Chart], alt.Step]:
    """Layers of one events panel: count cells, intervals, individual ticks."""
    x = alt.X("time:T", scale=detail_scale, axis=x_axis)
    kinds = sorted(set(events["kind"]) | set(bins["kind"]))
    y = alt.Y("kind:N", scale=alt.Scale(domain=kinds), sort=kinds,
              title=f"{domain} events" if domain else "events",
              axis=alt.Axis(labelLimit=180, ticks=False, domain=False))
    level_color = alt.Color("level:N", title="event severity",
                            scale=alt.Scale(domain=list(LEVEL_COLORS), range=list(LEVEL_COLORS.values())),
                            legend=alt.Legend(orient="top", direction="horizontal"))
    layers: list[alt.Chart] = []
    if len(bins):
        bin_data = pd.DataFrame({
            "time": _ms(bins["time"]), "end": _ms(bins["end"]), "kind": bins["kind"].to_numpy(),
            "level": bins["level"].to_numpy(), "count": bins["count"].to_numpy(),
            "sources": bins["sources"].to_numpy(), "example": bins["example"].to_numpy(),
            "from": clock.format(bins["time"]), "to": clock.format(bins["end"]),
        })
        layers.append(
            alt.Chart(bin_data).mark_rect(clip=True).encode(
                x=x, x2="end:T", y=y,
                color=level_color,
                opacity=alt.Opacity("count:Q", legend=None,
                                    scale=alt.Scale(type="log", range=[0.25, 0.9])),
                tooltip=[alt.Tooltip("kind:N"), alt.Tooltip("count:Q", title="events"),
                         alt.Tooltip("level:N", title="severity level"),
                         alt.Tooltip("sources:Q", title="distinct sources"),
                         alt.Tooltip("from:N"), alt.Tooltip("to:N"),
                         alt.Tooltip("example:N", title="first message")],
            )
        )
    if len(events):
        event_data = pd.DataFrame({
            "time": _ms(events["time"]), "end": _ms(events["end"]), "kind": events["kind"].to_numpy(),
            "level": events["level"].to_numpy(), "severity": events["severity"].to_numpy(),
            "source": events["source"].to_numpy(), "message": events["message"].to_numpy(),
            "when": clock.format(events["time"]), "until": clock.format(events["end"]),
        })
        tooltip = [alt.Tooltip("when:N", title="time"), alt.Tooltip("until:N", title="end"),
                   alt.Tooltip("source:N"), alt.Tooltip("kind:N"), alt.Tooltip("severity:N"),
                   alt.Tooltip("message:N")]
        base = alt.Chart(event_data)
        if events["end"].notna().any():
            layers.append(
                base.transform_filter("isValid(datum.end)")
                .mark_rect(opacity=0.3, clip=True, height={"band": 0.5})
                .encode(x=x, x2="end:T", y=y, color=level_color, tooltip=tooltip)
            )
        layers.append(
            base.mark_tick(thickness=2, clip=True, bandSize=12).encode(
                x=x, y=y, color=level_color, tooltip=tooltip,
            )
        )
    return layers, alt.Step(16)


def _event_overview(reduced: Any, full_scale: alt.Scale, axis: alt.Axis,
                    height: int) -> list[alt.Chart]:
    layers = []
    color = alt.Color("level:N", legend=None,
                      scale=alt.Scale(domain=list(LEVEL_COLORS), range=list(LEVEL_COLORS.values())))
    if len(reduced.bins):
        data = pd.DataFrame({
            "time": _ms(reduced.bins["time"]), "end": _ms(reduced.bins["end"]),
            "level": reduced.bins["level"].to_numpy(), "count": reduced.bins["count"].to_numpy(),
        })
        layers.append(
            alt.Chart(data).mark_rect(opacity=0.5).encode(
                x=alt.X("time:T", scale=full_scale, axis=axis), x2="end:T",
                y=alt.value(height - 12), y2=alt.value(height), color=color,
            )
        )
    if len(reduced.events):
        data = pd.DataFrame({
            "time": _ms(reduced.events["time"]), "level": reduced.events["level"].to_numpy(),
        })
        layers.append(
            alt.Chart(data).mark_rule(opacity=0.7).encode(
                x=alt.X("time:T", scale=full_scale, axis=axis),
                y=alt.value(height - 12), y2=alt.value(height), color=color,
            )
        )
    return layers


# ---------------------------------------------------------------------------
# one signal (or a few) with change points and segment levels
# ---------------------------------------------------------------------------


def _segment_levels(mine: pd.DataFrame, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DataFrame:
    """Level of each segment between change points, from ``before``/``after``."""
    mine = mine.sort_values("time", kind="stable")
    times = list(mine["time"])
    starts = [lo] + times
    ends = times + [hi]
    levels = [mine["before"].iloc[0]] + list(mine["after"])
    frame = pd.DataFrame({"start": starts, "end": ends, "level": levels})
    frame = frame[(frame["end"] > frame["start"]) & frame["level"].notna()]
    return frame.reset_index(drop=True)


def signal_chart(
    signals: pd.DataFrame | pd.Series,
    changes: pd.DataFrame | None = None,
    *,
    signal_info: pd.DataFrame | None = None,
    incident_start: Any = None,
    timezone: Any = "UTC",
    time_range: tuple[Any, Any] | None = None,
    width: int = 800,
    height: int = 160,
    max_points: int | str = "auto",
    method: str = "auto",
    title: str | None = None,
) -> alt.VConcatChart:
    """A signal in its own units with its change points and the level of each segment.

    One panel per column, sharing the time axis (drag to pan, wheel to zoom).
    Change points are vertical rules (their ``time_lo`` .. ``time_hi``
    uncertainty as a shaded band when present); the mean level of each
    segment between change points (from the changes' ``before`` and
    ``after``) is drawn as a dashed horizontal rule. Hovering the line shows
    the time in the display zone and the value.

    Parameters
    ----------
    signals : pandas.Series or pandas.DataFrame
        One signal, or a few as columns, on a tz-aware UTC index.
    changes : pandas.DataFrame, optional
        Change points (``signal``, ``time``; ``before``/``after`` for levels).
    signal_info : pandas.DataFrame, optional
        Indexed by signal; ``unit`` goes in the axis title, ``domain`` sets
        the colour.
    incident_start : timestamp, optional
        Tz-aware time of the incident start.
    timezone : str or datetime.tzinfo, default "UTC"
        Display zone.
    time_range : (start, end), optional
        Chart only this window (re-reduced at full resolution).
    width, height : int, default 800, 160
        Size of one panel [px].
    max_points : int or "auto", default "auto"
        Points per signal; ``"auto"``: 4 per pixel column (exact M4
        rendering) unless many signals share ``AUTO_TOTAL_POINTS``.
    method : {"auto", "minmax", "m4", "lttb"}, default "auto"
        Line reduction, see :func:`timeline_chart`.
    title : str, optional
        Chart title.

    Returns
    -------
    altair.VConcatChart
        Panels named ``rca_signal_<i>`` (column order), each with a
        scale-bound zoom parameter ``signal_zoom_<i>`` on the shared time
        scale. ``usermeta["rca"]`` has the reduction report.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.date_range("2024-10-27 00:00", periods=7200, freq="1s", tz="UTC")
    >>> x = pd.Series(np.r_[np.zeros(3600), np.ones(3600)], index=t, name="FIC101.PV")
    >>> ch = pd.DataFrame({"signal": ["FIC101.PV"], "time": [t[3600]], "before": [0.0],
    ...                    "after": [1.0]})
    >>> spec = signal_chart(x, ch, timezone="Europe/Berlin").to_dict()
    >>> spec["vconcat"][0]["name"]
    'rca_signal_0'
    """
    if isinstance(signals, pd.Series):
        signals = signals.to_frame(name=signals.name if signals.name is not None else "value")
    if not isinstance(signals, pd.DataFrame) or signals.shape[1] == 0:
        raise ParameterError(
            f"signals is {type(signals).__name__} with no signal to draw; expected a Series or "
            f"a DataFrame with at least one column"
        )
    width = _check_positive_int("width", width, 50)
    height = _check_positive_int("height", height, 20)
    names = [str(c) for c in signals.columns]
    frame = signals.copy()
    frame.columns = names
    start, end = _time_range(time_range)
    incident = None if incident_start is None else _utc_timestamp("incident_start", incident_start)
    info, _ = _signal_info_domains(signal_info, names)
    budget, chosen_method, reason = _points_budget(max_points, method, len(names), width)
    window = None if start is None and end is None else (start, end)
    long = downsample(frame, max_points=budget, method=chosen_method, time_range=window)
    settings = long.attrs["settings"]
    lo, hi = settings["start"], settings["end"]
    lo_ms, hi_ms = lo.value // _MS_PER_NS, -(-hi.value // _MS_PER_NS)
    if hi_ms <= lo_ms:
        hi_ms = lo_ms + 1000
    clock = _Clock(timezone, lo_ms, hi_ms)
    scale = alt.Scale(type="utc", domain=[lo_ms, hi_ms])
    change_report = None
    if changes is not None:
        _require_columns(changes, "changes", ["signal", "time"])
        times = _frame_times(changes, "time", "changes")
        charted = changes["signal"].astype(str).isin(names)
        inside = times.notna() & (times >= lo) & (times <= hi)
        change_report = {
            "rows_in": int(len(changes)), "charted": int((charted & inside).sum()),
            "signal_not_charted": int((~charted).sum()),
            "outside_time_range": int((charted & ~inside).sum()),
        }
        changes = changes[charted & inside].assign(time=times[charted & inside])
    panels = []
    for i, name in enumerate(names):
        is_last = i == len(names) - 1
        x_axis = clock.axis(labels=is_last, title=is_last, tick_count=max(2, width // 90))
        x = alt.X("time:T", scale=scale, axis=x_axis)
        unit = info[name]["unit"]
        y_title = f"{name} [{unit}]" if unit else name
        color = _domain_color(info[name]["domain"])
        part = long[long["signal"] == name]
        data = pd.DataFrame({"time": _ms(part["time"]), "value": part["value"].to_numpy()})
        y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
        layers: list[alt.Chart] = []
        for chunk in _packed([data.rename(columns={"value": "y"})]):
            chunk = chunk.rename(columns={"y": "value"})
            layers.append(
                alt.Chart(chunk).mark_line(strokeWidth=1, color=color, clip=True,
                                           invalid="break-paths-show-domains")
                .encode(x=x, y=y)
            )
            # invisible hover targets: the time in the display zone and the value
            layers.append(
                alt.Chart(chunk)
                .transform_filter("isValid(datum.value)")
                .transform_calculate(when=clock.text_expr("time"))
                .mark_point(opacity=0, size=60, clip=True)
                .encode(x=x, y=y, tooltip=[alt.Tooltip("when:N", title="time"),
                                           alt.Tooltip("value:Q", title=y_title, format=".6g")])
            )
        lonely = _isolated(data["value"].to_numpy(dtype=float))
        if lonely.any():
            layers.append(
                alt.Chart(data[lonely]).mark_point(filled=True, size=10, color=color, clip=True)
                .encode(x=x, y=y)
            )
        mine = None if changes is None else changes[changes["signal"].astype(str) == name]
        if mine is not None and len(mine):
            columns, tooltip = _change_tooltip(mine)
            rows: dict[str, Any] = {"time": _ms(mine["time"]),
                                    "signal": mine["signal"].astype(str).to_numpy(),
                                    "when": clock.format(mine["time"]), **columns}
            if "time_lo" in mine.columns and "time_hi" in mine.columns:
                rows["time_lo"] = _ms(_frame_times(mine, "time_lo", "changes"))
                rows["time_hi"] = _ms(_frame_times(mine, "time_hi", "changes"))
                layers.append(
                    alt.Chart(pd.DataFrame(rows)).mark_rect(color=CHANGE_COLOR, opacity=0.15, clip=True)
                    .encode(x=alt.X("time_lo:T", scale=scale, axis=x_axis), x2="time_hi:T")
                )
            layers.append(
                alt.Chart(pd.DataFrame(rows)).mark_rule(color=CHANGE_COLOR, strokeWidth=2, clip=True)
                .encode(x=x, tooltip=tooltip)
            )
            if {"before", "after"} <= set(mine.columns):
                levels = _segment_levels(mine, lo, hi)
                if len(levels):
                    level_data = pd.DataFrame({
                        "start": _ms(levels["start"]), "end": _ms(levels["end"]),
                        "level": levels["level"].to_numpy(dtype=float),
                        "from": clock.format(levels["start"]), "to": clock.format(levels["end"]),
                    })
                    layers.append(
                        alt.Chart(level_data).mark_rule(color=CHANGE_COLOR, strokeDash=[4, 3],
                                                        strokeWidth=1.5, clip=True)
                        .encode(x=alt.X("start:T", scale=scale, axis=x_axis), x2="end:T",
                                y=alt.Y("level:Q", title=y_title, scale=alt.Scale(zero=False)),
                                tooltip=[alt.Tooltip("level:Q", title="segment level", format=".4g"),
                                         alt.Tooltip("from:N"), alt.Tooltip("to:N")])
                    )
        layers += _incident_layer(None if incident is None else incident.value // _MS_PER_NS,
                                  clock, scale, x_axis, label=(i == 0))
        # one scale-bound selection per panel on the shared x scale: pan/zoom any panel
        zoom = alt.selection_interval(bind="scales", encodings=["x"], name=f"signal_zoom_{i}")
        layers[0] = layers[0].add_params(zoom)
        panels.append(alt.LayerChart(layer=layers, name=f"rca_signal_{i}", width=width, height=height))
    per = settings["per_signal"]
    subtitle = [
        f"{len(names)} signal{'s' if len(names) > 1 else ''}: "
        f"{_int(sum(p['rows'] for p in per.values()))} samples drawn as "
        f"{_int(sum(p['kept'] for p in per.values()))} points ({chosen_method} over "
        f"{settings['buckets']} buckets of {settings['bucket_width'].total_seconds():g} s); "
        f"drag to pan, wheel to zoom"
    ]
    if change_report and change_report["rows_in"] != change_report["charted"]:
        subtitle.append(
            f"{_int(change_report['rows_in'] - change_report['charted'])} change points not "
            f"charted (signal not shown or outside the range)"
        )
    report = {"chart": "signal", "signals": {**settings, "budget_rule": reason},
              "changes": change_report, "names": names,
              "time": {"start": _iso(lo_ms), "end": _iso(hi_ms), **clock.settings()},
              "incident_start": None if incident is None else incident.isoformat()}
    return alt.VConcatChart(
        vconcat=panels, spacing=8,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(x="shared")),
        title=_title(title or ", ".join(names), subtitle),
        usermeta={"rca": _json_safe(report)},
    )


# ---------------------------------------------------------------------------
# lag / correlation heatmap
# ---------------------------------------------------------------------------


def lag_heatmap(
    lag_table: pd.DataFrame,
    *,
    max_signals: int = 40,
    width: int = 600,
    row_height: int = 16,
    title: str | None = None,
) -> alt.LayerChart:
    """Correlation of each signal with a target at each lag, as a heatmap.

    Rows are signals, ordered by their largest ``abs(r)``; columns are lags;
    colour is ``r`` on a diverging scale fixed to [-1, 1] (blue negative,
    red positive). The lag with the largest ``abs(r)`` of each signal is
    outlined.

    Parameters
    ----------
    lag_table : pandas.DataFrame
        Long table with ``signal``, ``lag`` (Timedelta, or a number of
        seconds) and ``r``, e.g. from :func:`rca.relate.correlation_by_lag`
        (where a positive lag means the signal leads the target). Other
        numeric columns (``n``, ``n_eff``, ``p_value``) go in the tooltip.
    max_signals : int, default 40
        Rows shown at most, strongest first; the rest are counted in the
        subtitle.
    width : int, default 600
        Plot width [px].
    row_height : int, default 16
        Height of one row [px].
    title : str, optional
        Chart title.

    Returns
    -------
    altair.LayerChart
        Named ``rca_lag_heatmap``; the outline layer marks each signal's best lag.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"signal": ["a", "a", "b", "b"],
    ...                       "lag": pd.to_timedelta([0, 60, 0, 60], unit="s"),
    ...                       "r": [0.1, 0.8, -0.5, 0.2]})
    >>> spec = lag_heatmap(table).to_dict()
    >>> spec["name"]
    'rca_lag_heatmap'
    """
    _require_columns(lag_table, "lag_table", ["signal", "lag", "r"])
    max_signals = _check_positive_int("max_signals", max_signals, 1)
    width = _check_positive_int("width", width, 50)
    row_height = _check_positive_int("row_height", row_height, 4)
    if not pd.api.types.is_numeric_dtype(lag_table["r"]) or pd.api.types.is_bool_dtype(lag_table["r"]):
        raise ParameterError(
            f"lag_table column 'r' has dtype {lag_table['r'].dtype}; expected float correlations"
        )
    table = lag_table.assign(signal=lag_table["signal"].astype(str),
                             lag_s=_seconds(lag_table["lag"], "lag_table", "lag"))
    bad_lag = ~np.isfinite(table["lag_s"].to_numpy())
    table = table[~bad_lag]
    if not len(table):
        raise ParameterError(
            "lag_table has no row with a finite lag; expected at least one (signal, lag, r) row"
        )
    strength = table.assign(a=table["r"].abs()).groupby("signal", sort=False)["a"].max()
    order = list(strength.sort_values(ascending=False, kind="stable", na_position="last").index)
    shown = order[:max_signals]
    table = table[table["signal"].isin(shown)]
    lags = np.unique(table["lag_s"].to_numpy())
    step = float(np.min(np.diff(lags))) if lags.size > 1 else 1.0
    extra = [c for c in lag_table.columns
             if c not in ("signal", "lag", "r") and pd.api.types.is_numeric_dtype(lag_table[c])
             and not pd.api.types.is_bool_dtype(lag_table[c])]
    data = pd.DataFrame({
        "signal": table["signal"].to_numpy(), "lag": table["lag_s"].to_numpy(),
        "lag_lo": table["lag_s"].to_numpy() - step / 2, "lag_hi": table["lag_s"].to_numpy() + step / 2,
        "r": table["r"].to_numpy(dtype=float),
        **{c: table[c].to_numpy(dtype=float) for c in extra},
    })
    valid = data[data["r"].notna()]
    best = valid.loc[valid.assign(a=valid["r"].abs()).groupby("signal", sort=False)["a"].idxmax()] \
        if len(valid) else valid
    y = alt.Y("signal:N", sort=shown, scale=alt.Scale(domain=shown), title=None,
              axis=alt.Axis(labelLimit=200))
    x = alt.X("lag_lo:Q", title="lag [s] (positive: the signal leads)",
              scale=alt.Scale(domain=[float(lags.min() - step / 2), float(lags.max() + step / 2)],
                              nice=False, zero=False))
    tooltip = [alt.Tooltip("signal:N"), alt.Tooltip("lag:Q", title="lag [s]", format=".6g"),
               alt.Tooltip("r:Q", format="+.3f")] + [alt.Tooltip(f"{c}:Q", format=".4g") for c in extra]
    cells = alt.Chart(data).mark_rect().encode(
        x=x, x2="lag_hi:Q", y=y,
        color=alt.Color("r:Q", title="r", scale=alt.Scale(scheme="redblue", domain=[-1, 1], reverse=True)),
        tooltip=tooltip,
    )
    outline = alt.Chart(best).mark_rect(fill=None, stroke="black", strokeWidth=1.5).encode(
        x=x, x2="lag_hi:Q", y=y, tooltip=tooltip,
    )
    subtitle = [f"{len(shown)} of {len(order)} signals, strongest |r| first; "
                f"outlined: each signal's strongest lag"]
    if bad_lag.any():
        subtitle.append(f"{_int(int(bad_lag.sum()))} rows without a finite lag not drawn")
    missing_r = int(data["r"].isna().sum())
    if missing_r:
        subtitle.append(f"{_int(missing_r)} cells without r (too few valid pairs) left blank")
    report = {"chart": "lag_heatmap", "rows_in": int(len(lag_table)), "signals": len(order),
              "signals_shown": len(shown), "bad_lag": int(bad_lag.sum()), "missing_r": missing_r,
              "lag_step_s": step}
    return alt.LayerChart(
        layer=[cells, outline], name="rca_lag_heatmap", width=width,
        height=alt.Step(row_height),
        title=_title(title or "Correlation by lag", subtitle),
        usermeta={"rca": _json_safe(report)},
    )


# ---------------------------------------------------------------------------
# ranked candidates
# ---------------------------------------------------------------------------


def candidates_chart(
    candidates: pd.DataFrame,
    *,
    top: int = 20,
    incident_start: Any = None,
    timezone: Any = "UTC",
    width: int = 360,
    row_height: int = 22,
    title: str | None = None,
) -> alt.HConcatChart:
    """Ranked root-cause candidates: score bars and onset times, evidence in the tooltips.

    Left: one bar per candidate (best on top), coloured by domain. Right: when
    each candidate first changed or occurred, against the incident start.
    Hovering a candidate highlights it in both views.

    Parameters
    ----------
    candidates : pandas.DataFrame
        From :func:`rca.rank_candidates`: ``rank``, ``name``, ``score``
        required; ``type``, ``domain``, ``onset``, ``evidence`` used when
        present.
    top : int, default 20
        Candidates shown, by rank.
    incident_start : timestamp, optional
        Tz-aware incident start, drawn on the onset view.
    timezone : str or datetime.tzinfo, default "UTC"
        Display zone of the onsets.
    width : int, default 360
        Width of each of the two views [px].
    row_height : int, default 22
        Height of one candidate row [px].
    title : str, optional
        Chart title.

    Returns
    -------
    altair.HConcatChart
        Views ``rca_candidates_score`` and ``rca_candidates_onset`` sharing
        the hover selection ``candidate_hover``.

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"rank": [1, 2], "name": ["fw-core-02", "FIC101.PV"],
    ...                   "type": ["event", "signal"], "domain": ["IT", "OT"],
    ...                   "score": [0.9, 0.4],
    ...                   "onset": pd.to_datetime(["2024-03-31 05:58", "2024-03-31 06:01"], utc=True),
    ...                   "evidence": ["rule change 2 min before the incident", "flow dropped 3 sigma"]})
    >>> [v["name"] for v in candidates_chart(c).to_dict()["hconcat"]]
    ['rca_candidates_score', 'rca_candidates_onset']
    """
    _require_columns(candidates, "candidates", ["rank", "name", "score"])
    top = _check_positive_int("top", top, 1)
    width = _check_positive_int("width", width, 50)
    row_height = _check_positive_int("row_height", row_height, 8)
    if not pd.api.types.is_numeric_dtype(candidates["score"]):
        raise ParameterError(
            f"candidates column 'score' has dtype {candidates['score'].dtype}; expected numbers"
        )
    incident = None if incident_start is None else _utc_timestamp("incident_start", incident_start)
    ranked = candidates.sort_values("rank", kind="stable").head(top)
    n = len(ranked)
    frame = pd.DataFrame({
        "rank": ranked["rank"].to_numpy(),
        "name": ranked["name"].astype(str).to_numpy(),
        "label": [f"{r}. {nm}" for r, nm in zip(ranked["rank"], ranked["name"].astype(str))],
        "score": ranked["score"].to_numpy(dtype=float),
    })
    for column in ("type", "domain", "evidence"):
        frame[column] = (ranked[column].fillna("").astype(str).to_numpy()
                         if column in ranked.columns else "")
    has_onset = "onset" in ranked.columns
    clock_bounds: list[int] = []
    if has_onset:
        onset = _frame_times(ranked, "onset", "candidates")
        frame["onset"] = _ms(onset)
        clock_bounds += [int(v) for v in frame["onset"].dropna()]
    if incident is not None:
        clock_bounds.append(incident.value // _MS_PER_NS)
    clock = _Clock(timezone, min(clock_bounds) if clock_bounds else None,
                   max(clock_bounds) if clock_bounds else None)
    if has_onset:
        frame["when"] = clock.format(onset)
    labels = list(frame["label"])
    hover = alt.selection_point(fields=["rank"], on="pointerover", name="candidate_hover",
                                clear="pointerout")
    y = alt.Y("label:N", sort=labels, scale=alt.Scale(domain=labels), title=None,
              axis=alt.Axis(labelLimit=220))
    domains = sorted(set(frame["domain"]))
    color = alt.Color("domain:N", title="domain", scale=alt.Scale(
        domain=domains, range=[_domain_color(d) for d in domains]))
    tooltip = [alt.Tooltip("rank:Q"), alt.Tooltip("name:N"), alt.Tooltip("type:N"),
               alt.Tooltip("domain:N"), alt.Tooltip("score:Q", format=".3g")]
    if has_onset:
        tooltip.append(alt.Tooltip("when:N", title="onset"))
    tooltip.append(alt.Tooltip("evidence:N"))
    opacity = alt.condition(hover, alt.value(1.0), alt.value(0.35))
    base = alt.Chart(frame)
    bars = alt.LayerChart(
        layer=[base.mark_bar().encode(x=alt.X("score:Q", title="score"), y=y, color=color,
                                      opacity=opacity, tooltip=tooltip).add_params(hover)],
        name="rca_candidates_score", width=width, height=alt.Step(row_height),
    )
    views: list[alt.LayerChart] = [bars]
    if has_onset or incident is not None:
        lo = min(clock_bounds)
        hi = max(clock_bounds)
        pad = max((hi - lo) // 20, 30_000)
        scale = alt.Scale(type="utc", domain=[lo - pad, hi + pad])
        axis = clock.axis(tick_count=max(2, width // 90))
        layers: list[alt.Chart] = []
        if has_onset:
            layers.append(base.mark_point(filled=True, size=70).encode(
                x=alt.X("onset:T", scale=scale, axis=axis), y=y, color=color,
                shape=alt.Shape("type:N", title="type"), opacity=opacity, tooltip=tooltip))
        layers += _incident_layer(None if incident is None else incident.value // _MS_PER_NS,
                                  clock, scale, axis, label=True)
        views.append(alt.LayerChart(layer=layers, name="rca_candidates_onset", width=width,
                                    height=alt.Step(row_height)))
    subtitle = [f"top {n} of {len(candidates)} candidates; hover for the evidence"]
    report = {"chart": "candidates", "rows_in": int(len(candidates)), "shown": n,
              "time": clock.settings(),
              "incident_start": None if incident is None else incident.isoformat()}
    return alt.HConcatChart(
        hconcat=views, spacing=12,
        resolve=alt.Resolve(scale=alt.ScaleResolveMap(y="shared")),
        title=_title(title or "Ranked candidates", subtitle),
        usermeta={"rca": _json_safe(report)},
    )


# ---------------------------------------------------------------------------
# propagation picture
# ---------------------------------------------------------------------------


def propagation_chart(
    edges: pd.DataFrame,
    *,
    signal_info: pd.DataFrame | None = None,
    incident_start: Any = None,
    timezone: Any = "UTC",
    width: int = 700,
    row_height: int = 24,
    title: str | None = None,
) -> alt.LayerChart:
    """How a disturbance travelled: changes as dots on signal rows, links from cause to effect.

    Each signal is a row, ordered by its first change; each change is a dot at
    its onset time; each edge is a line from the source change to the target
    change (time runs left to right, so the later end is the effect), wider
    for a larger ``weight``. Hovering a signal highlights its links.

    Parameters
    ----------
    edges : pandas.DataFrame
        From :func:`rca.relate.propagation_graph`: ``source_signal``,
        ``target_signal``, ``source_time``, ``target_time`` required;
        ``lag``, ``weight``, ``r``, ``p_value``, ``rank`` shown when present.
    signal_info : pandas.DataFrame, optional
        Indexed by signal with ``domain``: colours the dots.
    incident_start : timestamp, optional
        Tz-aware incident start.
    timezone : str or datetime.tzinfo, default "UTC"
        Display zone.
    width : int, default 700
        Plot width [px].
    row_height : int, default 24
        Height of one signal row [px].
    title : str, optional
        Chart title.

    Returns
    -------
    altair.LayerChart
        Named ``rca_propagation``; the hover parameter is ``signal_hover``.

    Examples
    --------
    >>> import pandas as pd
    >>> t0 = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    >>> e = pd.DataFrame({"source_signal": ["gateway_latency", "FIC101.PV"],
    ...                   "target_signal": ["FIC101.PV", "TI205.PV"],
    ...                   "source_time": [t0, t0 + pd.Timedelta("2min")],
    ...                   "target_time": [t0 + pd.Timedelta("2min"), t0 + pd.Timedelta("6min")],
    ...                   "weight": [0.7, 0.5]})
    >>> propagation_chart(e).to_dict()["name"]
    'rca_propagation'
    """
    required = ["source_signal", "target_signal", "source_time", "target_time"]
    _require_columns(edges, "edges", required)
    width = _check_positive_int("width", width, 50)
    row_height = _check_positive_int("row_height", row_height, 8)
    incident = None if incident_start is None else _utc_timestamp("incident_start", incident_start)
    source_time = _frame_times(edges, "source_time", "edges")
    target_time = _frame_times(edges, "target_time", "edges")
    complete = source_time.notna() & target_time.notna()
    frame = edges[complete]
    source_time, target_time = source_time[complete], target_time[complete]
    nodes = pd.DataFrame({
        "signal": np.r_[frame["source_signal"].astype(str).to_numpy(),
                        frame["target_signal"].astype(str).to_numpy()],
        "time": pd.concat([source_time, target_time], ignore_index=True),
    }).drop_duplicates().sort_values(["time", "signal"], kind="stable").reset_index(drop=True)
    rows = list(dict.fromkeys(nodes["signal"]))  # ordered by first change
    info, _ = _signal_info_domains(signal_info, rows)
    bounds = [t for t in (nodes["time"].min() if len(nodes) else None,
                          nodes["time"].max() if len(nodes) else None, incident) if t is not None]
    if not bounds:
        raise ParameterError(
            "edges has no row with both source_time and target_time; expected at least one edge"
        )
    lo_ms = min(bounds).value // _MS_PER_NS
    hi_ms = -(-max(bounds).value // _MS_PER_NS)
    pad = max((hi_ms - lo_ms) // 20, 30_000)
    clock = _Clock(timezone, lo_ms, hi_ms)
    scale = alt.Scale(type="utc", domain=[lo_ms - pad, hi_ms + pad])
    axis = clock.axis(tick_count=max(2, width // 90))
    hover = alt.selection_point(fields=["signal"], on="pointerover", name="signal_hover",
                                clear="pointerout")
    y = alt.Y("signal:N", sort=rows, scale=alt.Scale(domain=rows), title=None,
              axis=alt.Axis(labelLimit=220))
    edge_columns: dict[str, Any] = {
        "source_signal": frame["source_signal"].astype(str).to_numpy(),
        "target_signal": frame["target_signal"].astype(str).to_numpy(),
        "source_time": _ms(source_time), "target_time": _ms(target_time),
        "from": clock.format(source_time), "to": clock.format(target_time),
    }
    tooltip = [alt.Tooltip("source_signal:N", title="from"), alt.Tooltip("from:N", title="at"),
               alt.Tooltip("target_signal:N", title="to"), alt.Tooltip("to:N", title="at ")]
    if "lag" in frame.columns:
        edge_columns["lag_s"] = _seconds(frame["lag"], "edges", "lag")
        tooltip.append(alt.Tooltip("lag_s:Q", title="lag [s]", format=".6g"))
    for column, fmt in (("weight", ".3f"), ("r", "+.3f"), ("p_value", ".3g"), ("rank", "d")):
        if column in frame.columns and pd.api.types.is_numeric_dtype(frame[column]):
            edge_columns[column] = frame[column].to_numpy(dtype=float)
            tooltip.append(alt.Tooltip(f"{column}:Q", format=fmt))
    has_weight = "weight" in edge_columns
    link_width = (alt.StrokeWidth("weight:Q", title="weight", scale=alt.Scale(range=[1, 5]))
                  if has_weight else alt.value(2))
    # the point selection resolves to {"signal": [hovered names]}, {} when nothing is hovered
    chosen = "signal_hover.signal"
    link_opacity = alt.condition(
        f"!isDefined({chosen}) || indexof({chosen}, datum.source_signal) >= 0 || "
        f"indexof({chosen}, datum.target_signal) >= 0",
        alt.value(0.75), alt.value(0.12))
    links = alt.Chart(pd.DataFrame(edge_columns)).mark_rule(color="#555555").encode(
        x=alt.X("source_time:T", scale=scale, axis=axis), x2="target_time:T",
        y=alt.Y("source_signal:N", sort=rows, scale=alt.Scale(domain=rows), title=None,
                axis=alt.Axis(labelLimit=220)),
        y2="target_signal:N", strokeWidth=link_width, opacity=link_opacity, tooltip=tooltip,
    )
    domains = sorted({info[r]["domain"] for r in rows})
    node_data = pd.DataFrame({
        "signal": nodes["signal"].to_numpy(), "time": _ms(nodes["time"]),
        "when": clock.format(nodes["time"]),
        "domain": [info[s]["domain"] or "unknown" for s in nodes["signal"]],
    })
    domain_names = sorted(set(node_data["domain"]))
    dots = alt.Chart(node_data).mark_point(filled=True, size=90).encode(
        x=alt.X("time:T", scale=scale, axis=axis), y=y,
        color=alt.Color("domain:N", scale=alt.Scale(
            domain=domain_names, range=[_domain_color(d) for d in domain_names])),
        opacity=alt.condition(hover, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("signal:N"), alt.Tooltip("when:N", title="change at"),
                 alt.Tooltip("domain:N")],
    ).add_params(hover)
    layers = [links, dots] + _incident_layer(
        None if incident is None else incident.value // _MS_PER_NS, clock, scale, axis, label=True)
    dropped = int((~complete).sum())
    subtitle = [f"{len(frame)} links between {len(nodes)} changes of {len(rows)} signals; "
                f"time runs left to right (the later end of a link is the effect)"]
    if dropped:
        subtitle.append(f"{dropped} edges without both times not drawn")
    report = {"chart": "propagation", "rows_in": int(len(edges)), "drawn": int(len(frame)),
              "missing_time": dropped, "signals": rows, "domains": domains,
              "time": {"start": _iso(lo_ms), "end": _iso(hi_ms), **clock.settings()},
              "incident_start": None if incident is None else incident.isoformat()}
    return alt.LayerChart(
        layer=layers, name="rca_propagation", width=width, height=alt.Step(row_height),
        title=_title(title or "Propagation", subtitle),
        usermeta={"rca": _json_safe(report)},
    )


# ---------------------------------------------------------------------------
# static export
# ---------------------------------------------------------------------------


def _vl_convert() -> Any:
    try:
        import vl_convert
    except ImportError as exc:  # pragma: no cover - a declared dependency
        raise MissingDependencyError(
            "static chart export needs vl-convert; install it with "
            "`pip install vl-convert-python`"
        ) from exc
    return vl_convert


def _spec(chart: Any) -> dict[str, Any]:
    if isinstance(chart, dict):
        return chart
    to_dict = getattr(chart, "to_dict", None)
    if to_dict is None:
        raise ParameterError(
            f"chart is a {type(chart).__name__}; expected an altair chart or a Vega-Lite dict"
        )
    return to_dict()


def _vl_version(spec: dict[str, Any], vlc: Any) -> str | None:
    """The Vega-Lite version the spec was written for, if vl-convert has it."""
    schema = str(spec.get("$schema", ""))
    tail = schema.rsplit("/", 1)[-1]  # e.g. "v6.4.1.json"
    parts = tail.removeprefix("v").removesuffix(".json").split(".")
    if len(parts) >= 2:
        candidate = f"{parts[0]}.{parts[1]}"
        if candidate in vlc.get_vegalite_versions():
            return candidate
    return None


def chart_to_svg(chart: Any) -> str:
    """Render a chart to an SVG document without a browser (vl-convert).

    Parameters
    ----------
    chart : altair chart or dict
        Any chart of this module (or any Vega-Lite spec).

    Returns
    -------
    str
        The SVG text, for reports.

    Raises
    ------
    MissingDependencyError
        When vl-convert is not installed.

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> svg = chart_to_svg(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q"))
    >>> svg.startswith("<svg")
    True
    """
    vlc = _vl_convert()
    spec = _spec(chart)
    return vlc.vegalite_to_svg(spec, vl_version=_vl_version(spec, vlc))


_FORMATS = (".svg", ".png", ".pdf", ".html", ".json")


def save_chart(chart: Any, path: str | os.PathLike[str], *, scale: float = 2.0) -> Path:
    """Save a chart as SVG, PNG, PDF, self-contained HTML or Vega-Lite JSON, without a browser.

    The format follows the file suffix. HTML embeds the Vega, Vega-Lite and
    vega-embed JavaScript (no network needed to open it); its tooltips and
    brush work as in JupyterLab.

    Parameters
    ----------
    chart : altair chart or dict
        The chart.
    path : str or os.PathLike
        Target file; suffix ``.svg``, ``.png``, ``.pdf``, ``.html`` or ``.json``.
    scale : float, default 2.0
        Pixel scale of PNG output [-].

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    ParameterError
        For an unknown suffix, a missing folder or a bad scale.
    MissingDependencyError
        When vl-convert is not installed.

    Examples
    --------
    >>> import altair as alt, pandas as pd, tempfile, pathlib
    >>> chart = alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x:Q")
    >>> out = save_chart(chart, pathlib.Path(tempfile.mkdtemp()) / "c.svg")
    >>> out.read_text()[:4]
    '<svg'
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in _FORMATS:
        raise ParameterError(
            f"path={str(path)!r} has the suffix {target.suffix!r}; expected one of {_FORMATS}"
        )
    if not target.parent.is_dir():
        raise ParameterError(
            f"path={str(path)!r}: the folder {str(target.parent)!r} does not exist; "
            f"expected an existing folder"
        )
    if isinstance(scale, bool) or not isinstance(scale, (int, float)) or not scale > 0:
        raise ParameterError(f"scale={scale!r} is not usable; expected a number > 0")
    spec = _spec(chart)
    if suffix == ".json":
        target.write_text(json.dumps(spec, indent=1), encoding="utf-8")
        return target
    vlc = _vl_convert()
    version = _vl_version(spec, vlc)
    if suffix == ".svg":
        target.write_text(vlc.vegalite_to_svg(spec, vl_version=version), encoding="utf-8")
    elif suffix == ".png":
        target.write_bytes(vlc.vegalite_to_png(spec, vl_version=version, scale=float(scale)))
    elif suffix == ".pdf":
        target.write_bytes(vlc.vegalite_to_pdf(spec, vl_version=version))
    else:
        target.write_text(_offline_html(spec, vlc, version), encoding="utf-8")
    return target


def _script_json(value: Any) -> str:
    """JSON that is safe inside an HTML <script> element (no "</script>" from the data)."""
    text = json.dumps(value, ensure_ascii=False)
    for raw, escaped in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"),
                         ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(raw, escaped)
    return text


def _offline_html(spec: dict[str, Any], vlc: Any, version: str | None) -> str:
    """A self-contained page: the Vega/Vega-Lite/vega-embed bundle, then the spec.

    Written here rather than by ``vl_convert.vegalite_to_html``, which pastes the
    spec JSON into a <script> unescaped: a message containing ``</script>`` would
    end the script and run as HTML.
    """
    bundle = vlc.javascript_bundle(vl_version=version)
    if "</script" in bundle.lower():  # pragma: no cover - guards a vl-convert change
        bundle = bundle.replace("</script", "<\\/script").replace("</SCRIPT", "<\\/SCRIPT")
    title = spec.get("title")
    text = title.get("text") if isinstance(title, dict) else title
    page_title = html.escape(str(text) if isinstance(text, str) else "rca chart")
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n"
        f"<title>{page_title}</title>\n"
        f"<script type=\"text/javascript\">{bundle}</script>\n"
        "</head>\n<body>\n<div id=\"vega-chart\"></div>\n"
        "<script type=\"text/javascript\">\n"
        f"vegaEmbed('#vega-chart', {_script_json(spec)}, {{\"renderer\": \"canvas\"}})"
        ".catch(console.error);\n"
        "</script>\n</body>\n</html>\n"
    )
