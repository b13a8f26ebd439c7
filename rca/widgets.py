"""Interactive glue for the guided notebooks (ipywidgets).

A thin shell over library calls: every callback calls an ``rca`` function
(:func:`rca.detect_changes`, :func:`rca.relate.correlation_by_lag`, the chart functions)
and re-renders; nothing is decided here that a notebook cell could not do with the
library directly.

* :class:`ChartView` shows an altair chart as an offline ``alt.JupyterChart`` (works in
  JupyterLab and Voila without internet) with a static Vega-Lite copy for viewers without
  a kernel; :meth:`ChartView.update` swaps the chart in place.
* :class:`SignalPicker` chooses signals by domain, unit or name pattern
  (:func:`select_signals` is the plain function behind it).
* :class:`WindowPicker` picks a time window on the investigation's grid, in its display zone.
* :class:`ChangeExplorer`: change points across OT and IT with a sensitivity slider, a table
  of the strongest changes and the chosen signals' chart.
* :class:`LagExplorer`: lagged correlation of every signal with a target signal.
* :class:`CandidateBrowser`: step through ranked candidates, see the evidence and a
  drill-down chart, attach the candidate to a hypothesis on a
  :class:`~rca.hypothesis_board.HypothesisBoard`.
* :class:`Progress`, :func:`run_with_progress`, :func:`detect_changes_stepwise`: long work
  shows a progress bar.
* :func:`ledger_in_words`, :func:`local_times`, :func:`checkpoint`: tables and summaries
  in words and in the display time zone.

Stable CSS classes, for styling and browser tests: ``rca-chart``, ``rca-progress``
(``-bar``, ``-label``), ``rca-picker`` (``-domain``, ``-unit``, ``-pattern``, ``-list``,
``-count``), ``rca-window`` (``-slider``, ``-reset``, ``-label``), ``rca-explorer``
(``-threshold``, ``-summary``, ``-table``, ``-chart``), ``rca-lags`` (``-target``,
``-max-lag``, ``-summary``, ``-table``, ``-chart``), ``rca-candidates`` (``-select``,
``-prev``, ``-next``, ``-detail``, ``-chart``, ``-attach``, ``-stance``, ``-message``),
``rca-checkpoint``, ``rca-error``.
"""

from __future__ import annotations

import html
import inspect
import math
import os
import time
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from rca.errors import AnalysisError, ParameterError, RcaError

__all__ = [
    "offline_charts",
    "ChartView",
    "select_signals",
    "SignalPicker",
    "WindowPicker",
    "Progress",
    "run_with_progress",
    "detect_changes_stepwise",
    "ChangeExplorer",
    "LagExplorer",
    "CandidateBrowser",
    "ledger_in_words",
    "changes_in_words",
    "candidates_in_words",
    "local_times",
    "Checkpoint",
    "checkpoint",
    "CHECKPOINT_MIME",
    "CANDIDATE_COLUMNS",
]

#: MIME type of the machine-readable summary a :class:`Checkpoint` carries.
CHECKPOINT_MIME = "application/vnd.rca.checkpoint+json"
#: Columns a ranking must have (``docs/data-model.md``, "Candidates").
CANDIDATE_COLUMNS = ("rank", "name", "type", "domain", "score", "onset", "evidence")

_OFFLINE = {"done": False}


def _widgets():
    import ipywidgets

    return ipywidgets


def _esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def _classed(widget, *names: str):
    for name in names:
        widget.add_class(name)
    return widget


def offline_charts() -> None:
    """Draw altair charts without internet in JupyterLab and Voila.

    Enables altair's ``"jupyter"`` renderer in offline mode (the Vega JavaScript comes from
    ``vl-convert``, no CDN) for charts shown as the last expression of a cell, and offline
    mode for :class:`ChartView`. Safe to call more than once.

    Examples
    --------
    >>> from rca.widgets import offline_charts
    >>> offline_charts()
    """
    if _OFFLINE["done"]:
        return
    import altair as alt

    _offline_bundle(alt)
    alt.renderers.enable("jupyter", offline=True)
    _OFFLINE["done"] = True


def _bundle_cache() -> Path:
    root = os.environ.get("RCA_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "rca")
    return Path(root)


def _offline_bundle(alt) -> None:
    """``alt.JupyterChart.enable_offline()``, with its JavaScript bundle cached on disk.

    Building the bundle (``vl_convert.javascript_bundle``) takes about 5 s in every new kernel;
    the result only depends on the altair and vl-convert versions, so it is kept in
    ``$RCA_CACHE_DIR`` (default ``~/.cache/rca``). Anything unexpected falls back to altair's
    own ``enable_offline``.
    """
    jc = alt.JupyterChart
    if getattr(jc, "_is_offline", False):
        return
    try:
        import vl_convert as vlc

        name = f"jupyterchart-altair{alt.__version__}-vlc{vlc.__version__}.js"
        path = _bundle_cache() / name
        if path.is_file() and hasattr(jc, "_esm") and hasattr(jc, "_is_offline"):
            text = path.read_text(encoding="utf-8")
            if len(text) > 10_000:
                jc._esm = text
                jc._is_offline = True
                return
    except (OSError, ImportError, AttributeError):
        path = None
    jc.enable_offline()
    if path is not None and isinstance(getattr(jc, "_esm", None), str):
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(jc._esm, encoding="utf-8")
            tmp.replace(path)
        except OSError:
            pass


def _vegalite_mime() -> str:
    import altair as alt

    major = alt.SCHEMA_VERSION.lstrip("v").split(".")[0]
    return f"application/vnd.vegalite.v{major}+json"


class ChartView:
    """An altair chart as a live widget, with a static Vega-Lite copy.

    In JupyterLab and Voila the chart is an offline ``alt.JupyterChart`` (selections such as
    the timeline's brush are observable from Python through ``view.widget.selections``).
    The output also carries the Vega-Lite spec under its own MIME type, so a notebook
    executed headless (papermill) keeps the chart for viewers without a kernel.

    Parameters
    ----------
    chart : altair chart
        Any chart, e.g. from :mod:`rca.charts`.

    Attributes
    ----------
    widget : altair.JupyterChart
    chart : the current chart

    Examples
    --------
    >>> import altair as alt, pandas as pd
    >>> view = ChartView(alt.Chart(pd.DataFrame({"x": [1, 2]})).mark_point().encode(x="x"))
    >>> view.spec["mark"]["type"]
    'point'
    """

    def __init__(self, chart):
        import altair as alt

        offline_charts()
        self.chart = chart
        self.widget = alt.JupyterChart(chart)
        self.widget.add_class("rca-chart")

    @property
    def spec(self) -> dict:
        """The Vega-Lite spec of the current chart (as sent to the browser)."""
        return self.widget.spec

    def update(self, chart) -> None:
        """Show another chart in the same place."""
        self.chart = chart
        self.widget.chart = chart

    def _repr_mimebundle_(self, **kwargs):
        bundle = self.widget._repr_mimebundle_(**kwargs)
        data = bundle[0] if isinstance(bundle, tuple) else bundle
        data = dict(data)
        data[_vegalite_mime()] = self.spec
        return data


# ----------------------------------------------------------------------------- signals


def select_signals(signal_info: pd.DataFrame, *, domain=None, unit=None, pattern=None) -> list[str]:
    """Names of the signals matching a domain, a unit and a name pattern.

    Parameters
    ----------
    signal_info : pandas.DataFrame
        ``Investigation.signal_info`` (index: signal name; columns ``domain``, ``unit``,
        optionally ``description``).
    domain : {"OT", "IT", "all"}, optional
        Plant (OT) or IT signals; ``None`` or ``"all"`` for both.
    unit : str, optional
        Engineering unit exactly as in ``signal_info`` (``""`` for signals without one);
        ``None`` or ``"any"`` for every unit.
    pattern : str, optional
        Case-insensitive. With ``*``, ``?`` or ``[`` a shell-style pattern (``"*TIC*.PV"``),
        otherwise a piece of text; matched against the name and the description.

    Returns
    -------
    list of str
        In ``signal_info`` order.

    Raises
    ------
    ParameterError
        Missing columns, or an unknown domain.

    Examples
    --------
    >>> info = pd.DataFrame({"domain": ["OT", "IT"], "unit": ["degC", "%"]},
    ...                     index=pd.Index(["TIC101.PV", "gw-01.cpu_pct"], name="signal"))
    >>> select_signals(info, domain="OT")
    ['TIC101.PV']
    >>> select_signals(info, pattern="*cpu*")
    ['gw-01.cpu_pct']
    """
    if not isinstance(signal_info, pd.DataFrame):
        raise ParameterError(
            f"signal_info: expected a DataFrame such as Investigation.signal_info, got {type(signal_info).__name__}")
    missing = [c for c in ("domain", "unit") if c not in signal_info.columns]
    if missing:
        raise ParameterError(
            f"signal_info is missing column(s) {missing}; expected Investigation.signal_info with domain and unit")
    mask = np.ones(len(signal_info), dtype=bool)
    if domain is not None and str(domain).lower() != "all":
        dom = str(domain).upper()
        if dom not in ("OT", "IT"):
            raise ParameterError(f"domain={domain!r}; expected 'OT', 'IT' or 'all'")
        mask &= signal_info["domain"].astype(str).str.upper().to_numpy() == dom
    if unit is not None and unit != "any":
        mask &= signal_info["unit"].fillna("").astype(str).to_numpy() == str(unit)
    if pattern:
        pat = str(pattern).strip().lower()
        names = [str(n) for n in signal_info.index]
        desc = (signal_info["description"].fillna("").astype(str).tolist()
                if "description" in signal_info.columns else [""] * len(names))
        if any(ch in pat for ch in "*?["):
            hit = [fnmatchcase(n.lower(), pat) or (d and fnmatchcase(d.lower(), pat)) for n, d in zip(names, desc)]
        else:
            hit = [pat in n.lower() or pat in d.lower() for n, d in zip(names, desc)]
        mask &= np.asarray(hit, dtype=bool)
    return [str(n) for n in signal_info.index[mask]]


class SignalPicker:
    """Choose signals by domain (OT/IT), unit and name pattern.

    The filters narrow the list; select signals in the list to pick them (Ctrl/Shift for
    several). With nothing selected, :attr:`selected` is the first ``max_selected`` matches.

    Parameters
    ----------
    signal_info : pandas.DataFrame
        ``Investigation.signal_info``.
    order : list of str, optional
        Preferred order of the list (e.g. strongest change first); others follow by name.
    selected : list of str, optional
        Initially selected signals.
    max_selected : int, default 6
        How many matches count as selected when none is selected explicitly.

    Examples
    --------
    >>> info = pd.DataFrame({"domain": ["OT", "IT"], "unit": ["degC", "%"]},
    ...                     index=pd.Index(["TIC101.PV", "gw-01.cpu_pct"], name="signal"))
    >>> picker = SignalPicker(info)
    >>> picker.domain.value = "IT"
    >>> picker.selected
    ['gw-01.cpu_pct']
    """

    def __init__(self, signal_info: pd.DataFrame, *, order=None, selected=None, max_selected: int = 6):
        w = _widgets()
        select_signals(signal_info)  # validates
        if isinstance(max_selected, bool) or not isinstance(max_selected, int) or max_selected < 1:
            raise ParameterError(f"max_selected={max_selected!r}; expected an integer >= 1")
        self.signal_info = signal_info
        self.max_selected = max_selected
        self._order = list(order or [])
        self._callbacks: list[Callable] = []
        self._quiet = False
        domains = [d for d in ("OT", "IT") if (signal_info["domain"].astype(str).str.upper() == d).any()]
        self.domain = _classed(w.ToggleButtons(options=["all", *domains], value="all", description="Domain",
                                               style={"button_width": "60px"}), "rca-picker-domain")
        units = sorted({str(u) for u in signal_info["unit"].fillna("")})
        self.unit = _classed(w.Dropdown(options=[("any unit", "any")] + [(u or "(no unit)", u) for u in units],
                                        value="any", description="Unit"), "rca-picker-unit")
        self.pattern = _classed(w.Text(description="Name", placeholder="text, or a pattern like *TIC*",
                                       continuous_update=False), "rca-picker-pattern")
        self.list = _classed(w.SelectMultiple(options=[], rows=8, description="Signals",
                                              layout=w.Layout(width="60%")), "rca-picker-list")
        self.count = _classed(w.HTML(), "rca-picker-count")
        self.widget = _classed(w.VBox([w.HBox([self.domain, self.unit, self.pattern]), self.list, self.count]),
                               "rca-picker")
        for ctl in (self.domain, self.unit, self.pattern):
            ctl.observe(self._on_filter, names="value")
        self.list.observe(self._on_list, names="value")
        self._refresh(selected=selected)

    @property
    def matches(self) -> list[str]:
        """Signals passing the filters, in list order."""
        found = select_signals(self.signal_info, domain=self.domain.value, unit=self.unit.value,
                               pattern=self.pattern.value)
        rank = {n: i for i, n in enumerate(self._order)}
        return sorted(found, key=lambda n: (rank.get(n, len(rank)), n))

    @property
    def selected(self) -> list[str]:
        """The chosen signals (or the first ``max_selected`` matches when none is chosen)."""
        chosen = list(self.list.value)
        return chosen if chosen else list(self.list.options)[: self.max_selected]

    def set_order(self, order) -> None:
        """Reorder the list (selection kept)."""
        self._order = list(order)
        self._refresh(selected=list(self.list.value))

    def on_change(self, callback: Callable[[list], None]) -> None:
        """Call ``callback(selected)`` whenever the selection changes."""
        self._callbacks.append(callback)

    def _refresh(self, selected=None) -> None:
        matches = self.matches
        keep = [s for s in (selected or []) if s in matches]
        self._quiet = True
        try:
            self.list.options = matches
            self.list.value = tuple(keep)
        finally:
            self._quiet = False
        self.count.value = (f"{len(matches)} of {len(self.signal_info)} signals match; "
                            f"{len(self.selected)} shown")

    def _notify(self) -> None:
        self.count.value = (f"{len(self.list.options)} of {len(self.signal_info)} signals match; "
                            f"{len(self.selected)} shown")
        for cb in self._callbacks:
            cb(self.selected)

    def _on_filter(self, _change) -> None:
        self._refresh(selected=list(self.list.value))
        self._notify()

    def _on_list(self, _change) -> None:
        if not self._quiet:
            self._notify()

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


class WindowPicker:
    """Pick a time window of the investigation, labelled in its display zone.

    Parameters
    ----------
    investigation : rca.Investigation
    window : "incident", "all" or (start, end)
        Initial window (default the incident's analysis window).
    positions : int, default 240
        Most positions on the slider; the step is a multiple of the grid step.

    Examples
    --------
    >>> picker = WindowPicker(inv)  # doctest: +SKIP
    >>> picker.window  # doctest: +SKIP
    (Timestamp('2025-01-21 04:53:00+0000', tz='UTC'), Timestamp('2025-01-21 09:23:00+0000', tz='UTC'))
    """

    def __init__(self, investigation, *, window="incident", positions: int = 240):
        w = _widgets()
        if isinstance(positions, bool) or not isinstance(positions, int) or positions < 2:
            raise ParameterError(f"positions={positions!r}; expected an integer >= 2")
        self.investigation = investigation
        index = investigation.signals.index
        if len(index) < 2:
            raise AnalysisError("the investigation's grid has fewer than 2 time points; nothing to pick")
        k = max(1, math.ceil(len(index) / positions))
        times = list(index[::k])
        if times[-1] != index[-1]:
            times.append(index[-1])
        self._times = pd.DatetimeIndex(times)
        local = self._times.tz_convert(investigation.timezone)
        fmt = "%d %b %H:%M" if (k * investigation.alignment.grid.step) >= pd.Timedelta("1min") else "%d %b %H:%M:%S"
        labels = [t.strftime(fmt) for t in local]
        if len(set(labels)) < len(labels):  # a repeated autumn hour: tell the two passes apart
            labels = [t.strftime(fmt + " %Z") for t in local]
        self._labels = labels
        self.slider = _classed(w.SelectionRangeSlider(
            options=list(zip(labels, range(len(labels)))), index=(0, len(labels) - 1),
            description="Window", continuous_update=False, readout=False,
            layout=w.Layout(width="70%")), "rca-window-slider")
        self.reset = _classed(w.Button(description="incident window", tooltip="back to the incident's window"),
                              "rca-window-reset")
        self.label = _classed(w.HTML(), "rca-window-label")
        self.widget = _classed(w.VBox([w.HBox([self.slider, self.reset]), self.label]), "rca-window")
        self._callbacks: list[Callable] = []
        self._incident = self._nearest(investigation.resolve_window("incident"))
        self.slider.index = self._nearest(investigation.resolve_window(window))
        self._describe()
        self.slider.observe(self._on_slide, names="index")
        self.reset.on_click(lambda _b: setattr(self.slider, "index", self._incident))

    def _nearest(self, bounds) -> tuple[int, int]:
        lo, hi = bounds
        i = int(self._times.searchsorted(lo, side="right")) - 1
        j = int(self._times.searchsorted(hi, side="left"))
        i = min(max(i, 0), len(self._times) - 2)
        j = max(min(j, len(self._times) - 1), i + 1)
        return i, j

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start, end) of the chosen window [UTC]."""
        i, j = self.slider.index
        return self._times[i], self._times[j]

    def on_change(self, callback: Callable[[tuple], None]) -> None:
        """Call ``callback(window)`` when the window changes."""
        self._callbacks.append(callback)

    def _describe(self) -> None:
        lo, hi = self.window
        tz = self.investigation.timezone
        self.label.value = (f"{_esc(lo.tz_convert(tz).strftime('%Y-%m-%d %H:%M'))} to "
                            f"{_esc(hi.tz_convert(tz).strftime('%Y-%m-%d %H:%M %Z'))} ({_esc(tz)}); "
                            f"{_duration_text(hi - lo)}")

    def _on_slide(self, _change) -> None:
        self._describe()
        for cb in self._callbacks:
            cb(self.window)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _duration_text(td: pd.Timedelta) -> str:
    minutes = td.total_seconds() / 60
    if minutes < 120:
        return f"{minutes:.0f} min"
    return f"{minutes / 60:.1f} h"


# ---------------------------------------------------------------------------- progress


class Progress:
    """A progress bar with a line of text (``rca-progress``).

    Call it as ``progress(done, total, text)`` from long work; :meth:`start` and
    :meth:`finish` mark the beginning and the end.

    Examples
    --------
    >>> p = Progress("Finding changes")
    >>> p(3, 10, "3 of 10 signals")
    >>> p.bar.value, p.bar.max
    (3, 10)
    """

    def __init__(self, description: str = ""):
        w = _widgets()
        self.bar = _classed(w.IntProgress(value=0, min=0, max=1, description=description,
                                          layout=w.Layout(width="40%")), "rca-progress-bar")
        self.label = _classed(w.HTML(), "rca-progress-label")
        self.widget = _classed(w.HBox([self.bar, self.label]), "rca-progress")
        self._t0 = None

    def start(self, text: str = "working") -> None:
        self._t0 = time.perf_counter()
        self.bar.bar_style = "info"
        self.bar.value = 0
        self.label.value = _esc(text) + " ..."

    def __call__(self, done: int, total: int, text: str = "") -> None:
        self.bar.max = max(int(total), 1)
        self.bar.value = min(int(done), self.bar.max)
        self.label.value = _esc(text or f"{done} of {total}")

    def finish(self, text: str = "done", *, failed: bool = False) -> None:
        took = "" if self._t0 is None else f" ({time.perf_counter() - self._t0:.1f} s)"
        self.bar.value = self.bar.max
        self.bar.bar_style = "danger" if failed else "success"
        self.label.value = _esc(text) + took

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def run_with_progress(func: Callable, *args, label: str = "working", progress: Progress | None = None,
                      **kwargs):
    """Call ``func(*args, **kwargs)`` while a progress bar says what is running.

    When ``func`` accepts a ``progress`` keyword, it gets the bar as a callback
    ``progress(done, total, text)``; otherwise the bar shows that the work is running and
    how long it took.

    Parameters
    ----------
    func : callable
        E.g. :func:`rca.ranking.rank_candidates`.
    label : str
        What is running, in words.
    progress : Progress, optional
        An existing bar; default a new one, displayed now.

    Returns
    -------
    Whatever ``func`` returns.

    Examples
    --------
    >>> run_with_progress(sum, [1, 2, 3], label="adding")  # doctest: +SKIP
    6
    """
    if not callable(func):
        raise ParameterError(f"func={func!r}: expected a function to run")
    if progress is None:
        from IPython.display import display

        progress = Progress()
        display(progress.widget)
    progress.start(label)
    try:
        accepts = "progress" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        accepts = False
    if accepts and "progress" not in kwargs:
        kwargs["progress"] = progress
    try:
        result = func(*args, **kwargs)
    except Exception as exc:
        progress.finish(f"{label}: failed ({type(exc).__name__}: {exc})", failed=True)
        raise
    progress.finish(f"{label}: done")
    return result


def detect_changes_stepwise(signals: pd.DataFrame, *, threshold: float = 1.0, progress=None,
                            steps: int = 20, **options) -> pd.DataFrame:
    """:func:`rca.detect_changes` in a few calls, reporting progress, with a threshold factor.

    Each signal is segmented on its own by :func:`rca.detect_changes`, so running the
    signals in groups gives the same changes as one call; between groups ``progress`` is
    told how far it got. ``threshold`` scales the automatic penalty: a change must explain
    more than ``threshold x 3 ln(n)`` times the signal's long-run noise variance, ``n`` its
    number of valid samples (``threshold=1`` is ``penalty="auto"``). Higher finds fewer,
    clearer changes; lower finds more, smaller ones.

    Parameters
    ----------
    signals : pandas.DataFrame
        Aligned signals on a tz-aware UTC index. Columns without any value are left out.
    threshold : float, default 1.0
        Factor on the automatic penalty [-], > 0.
    progress : callable, optional
        ``progress(done, total, text)``, e.g. a :class:`Progress`.
    steps : int, default 20
        Roughly how many calls (progress updates) to make.
    **options
        Passed to :func:`rca.detect_changes` (not ``penalty``: use ``threshold``).
        ``long_run`` defaults to ``"largest"``, as in :meth:`rca.Investigation.changes`,
        so that the notebooks show the changes the ranking works with.

    Returns
    -------
    pandas.DataFrame
        The changes, strongest first, as :func:`rca.detect_changes` returns them;
        ``attrs["settings"]`` adds ``threshold``, ``penalty_rule`` in words and ``calls``.

    Raises
    ------
    ParameterError
        A non-positive ``threshold`` or a ``penalty`` option.
    AnalysisError
        No signal has a value.

    Examples
    --------
    >>> t = pd.date_range("2024-03-01", periods=600, freq="10s", tz="UTC")
    >>> x = np.r_[np.zeros(300), np.full(300, 2.0)] + np.random.default_rng(0).normal(0, 0.5, 600)
    >>> detect_changes_stepwise(pd.DataFrame({"FIC101.PV": x}, index=t))[["signal", "kind"]]
          signal  kind
    0  FIC101.PV  mean
    """
    from rca.changepoints import INVESTIGATION_LONG_RUN, detect_changes

    options.setdefault("long_run", INVESTIGATION_LONG_RUN)
    if "penalty" in options:
        raise ParameterError("penalty: not accepted here; use threshold= (a factor on the automatic penalty)")
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float, np.integer, np.floating)) \
            or not math.isfinite(float(threshold)) or float(threshold) <= 0:
        raise ParameterError(f"threshold={threshold!r}; expected a positive number (1 = automatic penalty)")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ParameterError(f"steps={steps!r}; expected an integer >= 1")
    if not isinstance(signals, pd.DataFrame):
        raise ParameterError(f"signals: expected a DataFrame of aligned signals, got {type(signals).__name__}")
    threshold = float(threshold)
    frame = signals.loc[:, signals.notna().any()]
    if frame.shape[1] == 0:
        raise AnalysisError("no signal has a value in the data given; nothing to look for changes in")
    n_valid = frame.notna().sum()
    groups = []  # (columns, penalty)
    per_call = max(1, math.ceil(frame.shape[1] / steps))
    for n, cols in n_valid.groupby(n_valid, sort=True).groups.items():
        cols = list(cols)
        if threshold == 1.0 or n < 2:
            pen = "auto"
        else:
            pen = threshold * 3.0 * math.log(int(n))
        for i in range(0, len(cols), per_call):
            groups.append((cols[i:i + per_call], pen))
    parts, merged, first = [], {}, None
    done = 0
    for cols, pen in groups:
        out = detect_changes(frame[cols], penalty=pen, **options)
        parts.append(out)
        merged.update(out.attrs["settings"]["signals"])
        first = first or out.attrs["settings"]
        done += len(cols)
        if progress is not None:
            progress(done, frame.shape[1], f"{done} of {frame.shape[1]} signals")
    result = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    if len(result):
        result = result.sort_values(["strength", "time"], ascending=[False, True], kind="stable")
        result = result.reset_index(drop=True)
    settings = dict(first)
    settings["signals"] = {c: merged[c] for c in frame.columns if c in merged}
    settings["threshold"] = threshold
    settings["penalty"] = "auto" if threshold == 1.0 else f"{threshold:g} x auto"
    settings["penalty_rule"] = (f"{threshold:g} x 3 ln(n) x long-run noise variance, n = valid samples of "
                                "each signal" if threshold != 1.0 else first["penalty_rule"])
    settings["calls"] = len(groups)
    result.attrs["settings"] = settings
    return result


# ----------------------------------------------------------------------------- tables


def local_times(frame: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """A copy with every tz-aware time column (and index) in ``timezone``, for display.

    Examples
    --------
    >>> df = pd.DataFrame({"time": pd.to_datetime(["2025-01-21 08:53"], utc=True)})
    >>> str(local_times(df, "Europe/Vienna")["time"].iloc[0])
    '2025-01-21 09:53:00+01:00'
    """
    from rca.timestamps import check_timezone

    check_timezone(timezone, name="timezone")
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.DatetimeTZDtype):
            out[col] = out[col].dt.tz_convert(timezone)
    if isinstance(out.index, pd.DatetimeIndex) and out.index.tz is not None:
        out.index = out.index.tz_convert(timezone)
    return out


def _local_text(ts, timezone: str, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    if ts is None or pd.isna(ts):
        return "-"
    return pd.Timestamp(ts).tz_convert(timezone).strftime(fmt)


def ledger_in_words(investigation) -> pd.DataFrame:
    """The data-quality ledger as a table a plant team can read.

    One row per source: what it is, rows read / used / set aside, why rows were set aside
    (in words, from :data:`rca.ledger.REASON_TEXT`), the time range in the display zone and
    how many signals or events came out. Nothing is left out: ``read == used + set aside``.

    Examples
    --------
    >>> ledger_in_words(inv)  # doctest: +SKIP
    """
    from rca.ledger import REASON_TEXT

    tz = investigation.timezone
    rows = []
    for s in investigation.ledger:
        what = f"{s.domain} {'measurements' if s.kind == 'signals' else 'events'}"
        loc = str(s.location).replace("\\", "/").rsplit("/", 1)[-1]
        why = "; ".join(f"{n:,} {REASON_TEXT.get(r, r)} ({r})" for r, n in s.rejected.items()) or "-"
        rows.append({
            "source": s.name, "what": f"{what} from {loc}", "rows read": s.rows_read, "used": s.rows_used,
            "set aside": s.rows_rejected, "why set aside": why,
            f"first time ({tz})": _local_text(s.start, tz), f"last time ({tz})": _local_text(s.end, tz),
            "signals / events": s.items,
        })
    return pd.DataFrame(rows).set_index("source")


def _table_html(frame: pd.DataFrame, css: str) -> str:
    return frame.to_html(escape=True, index=False, classes=css, border=0, na_rep="-")


def changes_in_words(changes: pd.DataFrame, investigation, *, limit: int = 15) -> pd.DataFrame:
    """The strongest changes as a table for people: times in the display zone, units, sizes.

    Parameters
    ----------
    changes : pandas.DataFrame
        From :func:`rca.detect_changes` (strongest first).
    investigation : rca.Investigation
        For the display zone, domains and units.
    limit : int, default 15
        Rows shown.

    Examples
    --------
    >>> changes_in_words(inv.changes(), inv)  # doctest: +SKIP
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ParameterError(f"limit={limit!r}; expected an integer >= 1")
    missing = [c for c in ("signal", "time", "kind", "before", "after", "delta_sigma", "strength")
               if c not in getattr(changes, "columns", [])]
    if missing:
        raise ParameterError(f"changes is missing column(s) {missing}; expected the table of rca.detect_changes")
    tz = investigation.timezone
    info = investigation.signal_info
    top = changes.head(limit)
    units = info["unit"].reindex(top["signal"]).fillna("").tolist() if len(top) else []
    return pd.DataFrame({
        "signal": top["signal"].tolist(),
        "domain": info["domain"].reindex(top["signal"]).fillna("").tolist() if len(top) else [],
        f"when ({tz})": [_local_text(t, tz) for t in top["time"]],
        "what": top["kind"].tolist(),
        "before -> after": [f"{b:.4g} -> {a:.4g} {u}".strip() for b, a, u in zip(top["before"], top["after"], units)],
        "size [noise sd]": top["delta_sigma"].round(1).tolist(),
        "strength": top["strength"].round(1).tolist(),
    })


def candidates_in_words(candidates: pd.DataFrame, investigation, *, limit: int = 10) -> pd.DataFrame:
    """The best candidates as a table for people: times in the display zone, leads in minutes.

    Parameters
    ----------
    candidates : pandas.DataFrame
        From :func:`rca.rank_candidates` (columns :data:`CANDIDATE_COLUMNS`; ``lead`` and
        ``role`` are shown when present).
    investigation : rca.Investigation
        For the display zone.
    limit : int, default 10
        Rows shown.

    Examples
    --------
    >>> candidates_in_words(ranking, inv)  # doctest: +SKIP
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ParameterError(f"limit={limit!r}; expected an integer >= 1")
    top = _check_candidates(candidates).head(limit)
    tz = investigation.timezone
    out = pd.DataFrame({
        "rank": top["rank"].astype(int).tolist(),
        "candidate": top["name"].tolist(),
        "what": [f"{d} {'signal' if t == 'signal' else 'event source'}" for d, t in zip(top["domain"], top["type"])],
        "score": [f"{float(x):.3g}" for x in top["score"]],
        f"first change / event ({tz})": [_local_text(t, tz) for t in top["onset"]],
    })
    if "lead" in top:
        out["before the symptom"] = [_duration_text(pd.Timedelta(x)) if pd.notna(x) else "-" for x in top["lead"]]
    if "role" in top:
        out["role"] = top["role"].tolist()
    out["evidence"] = top["evidence"].tolist()
    return out.set_index("rank")


# ---------------------------------------------------------------------------- explorers


class ChangeExplorer:
    """What changed, and when: change points across OT and IT, with a sensitivity slider.

    Finds the changes of every signal in the window (:func:`detect_changes_stepwise`, with a
    progress bar), lists the strongest, and charts the chosen signals with their change
    points (:func:`rca.charts.signal_chart`). Moving the *threshold* slider, the window or
    the filters re-runs the library calls and re-draws.

    Parameters
    ----------
    investigation : rca.Investigation
    window : "incident", "all" or (start, end)
    threshold : float, default 1.0
        Initial factor on the automatic change-point penalty (0.25 to 4).
    max_signals : int, default 6
        Signals charted when none is picked in the list.

    Attributes
    ----------
    changes : pandas.DataFrame
        The current changes (``docs/data-model.md``, "Changes").
    widget : ipywidgets.VBox

    Examples
    --------
    >>> explorer = ChangeExplorer(inv)  # doctest: +SKIP
    >>> explorer.threshold.value = 2.0  # fewer, clearer changes  # doctest: +SKIP
    """

    def __init__(self, investigation, *, window="incident", threshold: float = 1.0, max_signals: int = 6):
        w = _widgets()
        self.investigation = investigation
        self.window_picker = WindowPicker(investigation, window=window)
        self.threshold = _classed(w.FloatLogSlider(
            value=float(threshold), base=2, min=-2, max=2, step=0.5, description="Threshold x",
            continuous_update=False, readout_format=".2f",
            tooltip="factor on the automatic penalty: higher = fewer, clearer changes"), "rca-explorer-threshold")
        self.picker = SignalPicker(investigation.signal_info, max_selected=max_signals)
        self.progress = Progress("Changes")
        self.summary = _classed(w.HTML(), "rca-explorer-summary")
        self.table = _classed(w.HTML(), "rca-explorer-table")
        self.view = ChartView(_empty_chart("no signal chosen"))
        self.view.widget.add_class("rca-explorer-chart")
        self.changes = pd.DataFrame()
        self.widget = _classed(w.VBox([
            w.HBox([self.threshold]), self.window_picker.widget, self.picker.widget, self.progress.widget,
            self.summary, self.view.widget, self.table]), "rca-explorer")
        self.threshold.observe(lambda _c: self.update(), names="value")
        self.window_picker.on_change(lambda _w: self.update())
        self.picker.on_change(lambda _s: self.render())
        self.update()

    def update(self) -> None:
        """Find the changes again (threshold or window changed) and re-draw."""
        lo, hi = self.window_picker.window
        self.progress.start("finding changes")
        try:
            self.changes = detect_changes_stepwise(self.investigation.signals.loc[lo:hi],
                                                   threshold=self.threshold.value, progress=self.progress)
        except RcaError as exc:
            self.changes = pd.DataFrame()
            self.progress.finish("no changes searched", failed=True)
            self.summary.value = f'<span class="rca-error">{_esc(exc)}</span>'
            return
        self.progress.finish(f"{len(self.changes)} changes found")
        symptom = self.investigation.incident.symptom
        order = list(dict.fromkeys(([symptom] if symptom else []) + self.changes["signal"].tolist()))
        self.picker.set_order(order)
        self.render()

    def render(self) -> None:
        """Re-draw the table and the chart of the chosen signals (no new analysis)."""
        from rca.charts import signal_chart

        inv = self.investigation
        lo, hi = self.window_picker.window
        ch = self.changes
        if ch.empty or "signal" not in ch:
            self.summary.value = self.summary.value or "no changes"
            return
        settings = ch.attrs.get("settings", {})
        n_sig = ch["signal"].nunique()
        doms = inv.signal_info["domain"].reindex(ch["signal"]).value_counts().to_dict()
        self.summary.value = (
            f"<b>{len(ch)} changes</b> in {n_sig} signals ({doms.get('OT', 0)} in OT, {doms.get('IT', 0)} in IT "
            f"signals); threshold x {self.threshold.value:.2f}: {_esc(settings.get('penalty_rule', ''))}")
        self.table.value = _table_html(changes_in_words(ch, inv), "rca-table")
        names = [s for s in self.picker.selected if s in inv.signals.columns]
        if not names:
            self.view.update(_empty_chart("no signal matches the filters"))
            return
        chart = signal_chart(inv.signals.loc[lo:hi, names], ch[ch["signal"].isin(names)],
                             signal_info=inv.signal_info, incident_start=inv.incident.start,
                             timezone=inv.timezone, width=760, height=110,
                             title=f"{len(names)} signals and their change points")
        self.view.update(chart)

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _empty_chart(text: str):
    import altair as alt

    return alt.Chart(pd.DataFrame({"text": [text]})).mark_text(size=14).encode(text="text:N").properties(
        width=400, height=40)


class LagExplorer:
    """Which signals move with a target signal, and how much earlier?

    For the chosen target (default the incident's symptom) every signal in the window is
    correlated with it at each lag after pre-whitening (:func:`rca.relate.correlation_by_lag`
    for the heatmap, :func:`rca.relate.lagged_correlations` for the table). A positive lag
    means the signal moves *before* the target.

    Parameters
    ----------
    investigation : rca.Investigation
    target : str, optional
        Default: ``investigation.incident.symptom``, else the first signal.
    window : "incident", "all" or (start, end)
    max_lag : str, default "30min"
    max_signals : int, default 25
        Rows of the heatmap.

    Examples
    --------
    >>> lags = LagExplorer(inv)  # doctest: +SKIP
    >>> lags.table_frame.head()  # doctest: +SKIP
    """

    LAGS = ("5min", "15min", "30min", "1h")

    def __init__(self, investigation, *, target: str | None = None, window="incident", max_lag: str = "30min",
                 max_signals: int = 25):
        w = _widgets()
        self.investigation = investigation
        self._window = investigation.resolve_window(window)
        frame = investigation.signals.loc[self._window[0]:self._window[1]]
        self.signals = frame.loc[:, frame.notna().sum() >= 10]
        names = list(self.signals.columns)
        target = target or investigation.incident.symptom or (names[0] if names else None)
        if target not in names:
            raise ParameterError(f"target={target!r}: not a signal with data in the window; expected one of "
                                 f"{names[:8]}{' ...' if len(names) > 8 else ''}")
        if max_lag not in self.LAGS:
            raise ParameterError(f"max_lag={max_lag!r}; expected one of {', '.join(self.LAGS)}")
        self.max_signals = max_signals
        self.target = _classed(w.Dropdown(options=names, value=target, description="Target"), "rca-lags-target")
        self.max_lag = _classed(w.Dropdown(options=list(self.LAGS), value=max_lag, description="Max lag"),
                                "rca-lags-max-lag")
        self.progress = Progress("Lags")
        self.summary = _classed(w.HTML(), "rca-lags-summary")
        self.table = _classed(w.HTML(), "rca-lags-table")
        self.view = ChartView(_empty_chart("computing"))
        self.view.widget.add_class("rca-lags-chart")
        self.table_frame = pd.DataFrame()
        self.lag_table = pd.DataFrame()
        self.widget = _classed(w.VBox([w.HBox([self.target, self.max_lag]), self.progress.widget, self.summary,
                                       self.view.widget, self.table]), "rca-lags")
        self.target.observe(lambda _c: self.update(), names="value")
        self.max_lag.observe(lambda _c: self.update(), names="value")
        self.update()

    def update(self) -> None:
        """Correlate again (target or lag range changed) and re-draw."""
        from rca.charts import lag_heatmap
        from rca.relate import correlation_by_lag, lagged_correlations

        target = self.target.value
        y = self.signals[target]
        others = self.signals.drop(columns=[target])
        self.progress.start(f"correlating {others.shape[1]} signals with {target}")
        try:
            best = lagged_correlations(others, y, max_lag=self.max_lag.value, direction="x_leads")
            self.progress(1, 2, "lag profiles")
            ranked = best.dropna(subset=["r"])
            ranked = ranked.assign(abs_r=ranked["r"].abs()).sort_values(
                ["p_adjusted", "abs_r"], ascending=[True, False], kind="stable")
            keep = ranked["signal"].head(self.max_signals).tolist()
            self.lag_table = correlation_by_lag(others[keep], y, max_lag=self.max_lag.value) if keep else \
                pd.DataFrame()
        except RcaError as exc:
            self.progress.finish("failed", failed=True)
            self.summary.value = f'<span class="rca-error">{_esc(exc)}</span>'
            return
        self.progress.finish("correlations done")
        info = self.investigation.signal_info
        top = ranked.head(12)
        self.table_frame = pd.DataFrame({
            "signal": top["signal"].tolist(),
            "domain": info["domain"].reindex(top["signal"]).tolist(),
            "leads the target by": [_duration_text(pd.Timedelta(x)) if pd.notna(x) else "-" for x in top["lag"]],
            "r": top["r"].round(2).tolist(),
            "p (adjusted)": [f"{p:.1e}" for p in top["p_adjusted"]],
            "significant": top["significant"].tolist(),
        })
        n_sig = int(best["significant"].fillna(False).sum())
        self.summary.value = (f"{n_sig} of {len(best)} signals move significantly with <b>{_esc(target)}</b> "
                              f"(lags 0 to {_esc(self.max_lag.value)}, pre-whitened, BH-corrected)")
        self.table.value = _table_html(self.table_frame, "rca-table")
        if not self.lag_table.empty:
            self.view.update(lag_heatmap(self.lag_table, max_signals=self.max_signals,
                                         title=f"Correlation with {target} by lag"))
        else:
            self.view.update(_empty_chart("no signal could be correlated"))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


def _check_candidates(candidates) -> pd.DataFrame:
    if not isinstance(candidates, pd.DataFrame):
        raise ParameterError(f"candidates: expected the DataFrame of rca.rank_candidates, got "
                             f"{type(candidates).__name__}")
    missing = [c for c in CANDIDATE_COLUMNS if c not in candidates.columns]
    if missing:
        raise ParameterError(f"candidates is missing column(s) {missing}; expected {list(CANDIDATE_COLUMNS)} "
                             "(docs/data-model.md, Candidates)")
    if candidates.empty:
        raise AnalysisError("candidates is empty: the ranking found nothing to show")
    return candidates.reset_index(drop=True)


class CandidateBrowser:
    """Step through ranked root-cause candidates with their evidence and a drill-down chart.

    For a signal candidate the drill-down shows it next to the symptom with their change
    points (:func:`rca.charts.signal_chart`); for an event candidate, its events on the
    timeline with the symptom (:func:`rca.charts.timeline_chart`). With a ``board``, *Attach*
    adds the candidate as evidence to the hypothesis selected on the board
    (:meth:`~rca.hypothesis_board.HypothesisBoard.attach_candidate`).

    Parameters
    ----------
    investigation : rca.Investigation
    candidates : pandas.DataFrame
        From :func:`rca.rank_candidates` (columns :data:`CANDIDATE_COLUMNS`).
    changes : pandas.DataFrame, optional
        Change points to draw (default ``investigation.changes(window)``).
    board : rca.hypothesis_board.HypothesisBoard, optional
    window : "incident", "all" or (start, end)

    Examples
    --------
    >>> browser = CandidateBrowser(inv, ranking, board=board)  # doctest: +SKIP
    >>> browser.next.click()  # doctest: +SKIP
    """

    def __init__(self, investigation, candidates, *, changes=None, board=None, window="incident"):
        w = _widgets()
        self.investigation = investigation
        self.candidates = _check_candidates(candidates)
        self.board = board
        self._window = investigation.resolve_window(window)
        self._changes = changes
        options = [(f"{int(r.rank)}. {r.name} ({r.domain} {r.type}, score {float(r.score):.3g})", i)
                   for i, r in enumerate(self.candidates.itertuples(index=False))]
        self.select = _classed(w.Dropdown(options=options, value=0, description="Candidate",
                                          layout=w.Layout(width="60%")), "rca-candidates-select")
        self.prev = _classed(w.Button(description="previous", icon="arrow-left"), "rca-candidates-prev")
        self.next = _classed(w.Button(description="next", icon="arrow-right"), "rca-candidates-next")
        self.detail = _classed(w.HTML(), "rca-candidates-detail")
        self.stance = _classed(w.Dropdown(options=["supports", "contradicts", "context"], value="supports",
                                          description="Stance"), "rca-candidates-stance")
        self.attach = _classed(w.Button(description="Attach to selected hypothesis", disabled=board is None,
                                        tooltip="add this candidate as evidence on the hypothesis board"),
                               "rca-candidates-attach")
        self.message = _classed(w.HTML(), "rca-candidates-message")
        self.view = ChartView(_empty_chart("loading"))
        self.view.widget.add_class("rca-candidates-chart")
        self.widget = _classed(w.VBox([w.HBox([self.prev, self.select, self.next]), self.detail, self.view.widget,
                                       w.HBox([self.stance, self.attach]), self.message]), "rca-candidates")
        self.select.observe(lambda _c: self.render(), names="value")
        self.prev.on_click(lambda _b: self._step(-1))
        self.next.on_click(lambda _b: self._step(1))
        self.attach.on_click(lambda _b: self._attach())
        self.render()

    @property
    def current(self) -> pd.Series:
        """The candidate being looked at (a row of the ranking)."""
        return self.candidates.iloc[self.select.value]

    @property
    def changes(self) -> pd.DataFrame:
        if self._changes is None:
            self._changes = self.investigation.changes(self._window)
        return self._changes

    def _step(self, by: int) -> None:
        self.select.value = int(min(max(self.select.value + by, 0), len(self.candidates) - 1))

    def render(self) -> None:
        """Show the current candidate's evidence and drill-down chart."""
        from rca.charts import signal_chart, timeline_chart

        inv = self.investigation
        c = self.current
        tz = inv.timezone
        self.prev.disabled = self.select.value == 0
        self.next.disabled = self.select.value == len(self.candidates) - 1
        evidence = str(c["evidence"]).replace("; ", "\n")
        self.detail.value = (
            f"<div><b>#{int(c['rank'])} {_esc(c['name'])}</b> ({_esc(c['domain'])} {_esc(c['type'])}), score "
            f"{float(c['score']):.3g}, first changed / occurred {_esc(_local_text(c['onset'], tz))} ({_esc(tz)})"
            f"<pre class='rca-evidence'>{_esc(evidence)}</pre></div>")
        lo, hi = self._window
        symptom = inv.incident.symptom
        ch = self.changes
        if c["type"] == "signal" and c["name"] in inv.signals.columns:
            names = list(dict.fromkeys([c["name"]] + ([symptom] if symptom else [])))
            chart = signal_chart(inv.signals.loc[lo:hi, names], ch[ch["signal"].isin(names)],
                                 signal_info=inv.signal_info, incident_start=inv.incident.start, timezone=tz,
                                 width=760, height=120, title=f"{c['name']} and the symptom")
        else:
            ev = inv.events_in((lo, hi))
            mine = ev[ev["source"] == c["name"]]
            sig = inv.signals.loc[lo:hi, [symptom]] if symptom else None
            if mine.empty and sig is None:
                self.view.update(_empty_chart(f"nothing to draw for {c['name']}"))
                return
            chart = timeline_chart(sig, mine if not mine.empty else None,
                                   ch[ch["signal"] == symptom] if symptom else None,
                                   signal_info=inv.signal_info, incident_start=inv.incident.start, timezone=tz,
                                   width=760, title=f"events of {c['name']} and the symptom")
        self.view.update(chart)

    def _attach(self) -> None:
        if self.board is None:
            self.message.value = '<span class="rca-error">no hypothesis board given</span>'
            return
        try:
            self.board.attach_candidate(self.current, stance=self.stance.value)
        except RcaError as exc:
            self.message.value = f'<span class="rca-error">{_esc(exc)}</span>'
            return
        self.message.value = (f"candidate #{int(self.current['rank'])} {_esc(self.current['name'])} attached "
                              f"({_esc(self.stance.value)})")

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)


# --------------------------------------------------------------------------- checkpoint


def _json(value):
    if isinstance(value, dict):
        return {str(k): _json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.isoformat()
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating, float)):
        return None if not math.isfinite(float(value)) else float(value)
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if value is pd.NaT:
        return None
    return str(value)


class Checkpoint:
    """What you should have now: a summary in words and as data.

    Displays as a short list (HTML) and carries the same facts as JSON under
    :data:`CHECKPOINT_MIME`, so an executed notebook can be checked by a program.

    Attributes
    ----------
    step : str
    facts : dict
    lines : list of str
        The facts in words.
    next_steps : list of str
    """

    def __init__(self, step: str, facts: dict, lines: list, next_steps=()):
        self.step = str(step)
        self.facts = _json(facts)
        self.lines = list(lines)
        self.next_steps = list(next_steps)

    def to_dict(self) -> dict:
        return {"step": self.step, "facts": self.facts, "next_steps": self.next_steps}

    def __repr__(self) -> str:
        return "\n".join([f"What you should have now ({self.step}):"] + [f"- {x}" for x in self.lines]
                         + (["What to do next:"] + [f"- {x}" for x in self.next_steps] if self.next_steps else []))

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{_esc(x)}</li>" for x in self.lines)
        nxt = "".join(f"<li>{_esc(x)}</li>" for x in self.next_steps)
        return (f'<div class="rca-checkpoint"><b>What you should have now</b><ul>{items}</ul>'
                + (f"<b>What to do next</b><ul>{nxt}</ul>" if nxt else "") + "</div>")

    def _repr_mimebundle_(self, **kwargs):
        return {"text/plain": repr(self), "text/html": self._repr_html_(), CHECKPOINT_MIME: self.to_dict()}


def checkpoint(step: str, investigation=None, *, draft=None, changes=None, lags=None, associations=None,
               candidates=None, next_steps=()) -> Checkpoint:
    """Summarise what a notebook step produced, in words and as data.

    Parameters
    ----------
    step : str
        E.g. ``"03 what changed"``.
    investigation : rca.Investigation, optional
        Title, window, signals, events, the ledger and the clock offsets.
    draft : rca.drafting.ManifestDraft, optional
    changes, lags, associations, candidates : pandas.DataFrame, optional
        From :func:`rca.detect_changes`, :func:`rca.relate.lagged_correlations` (or
        ``LagExplorer.table_frame``), :func:`rca.relate.event_association`,
        :func:`rca.rank_candidates`.
    next_steps : list of str

    Returns
    -------
    Checkpoint

    Examples
    --------
    >>> checkpoint("02 load and align", inv)  # doctest: +SKIP
    """
    facts: dict = {}
    lines: list = []
    tz = "UTC"
    if investigation is not None:
        inv = investigation
        tz = inv.timezone
        lo, hi = inv.window
        info = inv.signal_info
        ledger = {s.name: {"rows_read": s.rows_read, "rows_used": s.rows_used, "rows_rejected": s.rows_rejected,
                           "rejected": dict(s.rejected), "kind": s.kind, "domain": s.domain, "items": s.items}
                  for s in inv.ledger}
        facts["investigation"] = {
            "title": inv.title, "timezone": tz, "window": [lo, hi], "incident_start": inv.incident.start,
            "symptom": inv.incident.symptom, "signals": int(info.shape[0]),
            "signals_ot": int((info["domain"] == "OT").sum()), "signals_it": int((info["domain"] == "IT").sum()),
            "events": int(len(inv.events)), "grid_s": inv.alignment.grid.step.total_seconds(),
            "ledger": ledger, "ledger_balanced": bool(inv.ledger.balanced),
            "clock_offsets": [{"sources": list(c.sources), "offset_s": c.offset.total_seconds(), "mode": c.mode}
                              for c in inv.alignment.clock_offsets],
        }
        lines.append(f"{inv.title}: {info.shape[0]} signals ({facts['investigation']['signals_ot']} OT, "
                     f"{facts['investigation']['signals_it']} IT) and {len(inv.events):,} events on one clock")
        lines.append(f"analysis window {_local_text(lo, tz, '%Y-%m-%d %H:%M')} to {_local_text(hi, tz, '%H:%M')} "
                     f"({tz}); incident noticed {_local_text(inv.incident.start, tz, '%H:%M')}")
        read = sum(s.rows_read for s in inv.ledger)
        used = sum(s.rows_used for s in inv.ledger)
        lines.append(f"{read:,} rows read from {len(inv.ledger)} sources, {used:,} used, {read - used:,} set aside "
                     f"with a reason ({'balanced' if inv.ledger.balanced else 'NOT balanced'})")
    if draft is not None:
        facts["draft"] = {"sources": [s.name for s in draft.sources], "skipped": dict(draft.skipped),
                          "open_required": [q.key for q in draft.open_required]}
        lines.append(f"a drafted manifest with {len(draft.sources)} sources and "
                     f"{len(draft.open_required)} question(s) to answer")
    if changes is not None:
        top = changes.head(5)
        facts["changes"] = {
            "n": int(len(changes)), "signals": int(changes["signal"].nunique()) if len(changes) else 0,
            "settings": {k: v for k, v in changes.attrs.get("settings", {}).items() if k != "signals"},
            "top": [{"signal": r.signal, "time": r.time, "kind": r.kind, "strength": r.strength}
                    for r in top.itertuples()],
        }
        if len(changes):
            first = top.iloc[0]
            lines.append(f"{len(changes)} changes in {facts['changes']['signals']} signals; the strongest: "
                         f"{first['signal']} at {_local_text(first['time'], tz, '%H:%M:%S')}")
        else:
            lines.append("no changes found")
    if lags is not None:
        top = lags.head(5)
        facts["lags"] = {"n": int(len(lags)), "top": _json(top.to_dict("records"))}
        if len(top):
            lines.append(f"{len(lags)} signals related to the target; closest: {top.iloc[0]['signal']}")
    if associations is not None:
        sig = associations[associations["significant"].fillna(False).astype(bool)] \
            if "significant" in associations else associations.iloc[0:0]
        cols = [c for c in ("source", "kind", "n_events", "n_followed", "lift", "p_adjusted") if c in associations]
        facts["associations"] = {"n": int(len(associations)), "significant": int(len(sig)),
                                 "top": _json(associations[cols].head(5).to_dict("records"))}
        lines.append(f"{len(sig)} of {len(associations)} event groups come before changes more often than chance")
    if candidates is not None:
        cand = candidates
        facts["candidates"] = {
            "n": int(len(cand)), "columns": [str(c) for c in cand.columns],
            "top": _json(cand[[c for c in ("rank", "name", "type", "domain", "score") if c in cand]].head(5)
                         .to_dict("records")),
            "propagation_edges": int(len(cand.attrs["propagation"])) if "propagation" in cand.attrs else None,
        }
        if len(cand):
            lines.append(f"{len(cand)} ranked candidates; #1 is {cand.iloc[0]['name']} "
                         f"({cand.iloc[0].get('domain', '')} {cand.iloc[0].get('type', '')})")
    return Checkpoint(step, facts, lines, next_steps)

