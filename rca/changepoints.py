"""Change points: what changed, and when, in one signal or thousands.

:func:`detect_changes` finds changes of level (mean), ramps (a sloped stretch that
starts or ends) and changes of noise (variance) in a ``pandas.Series`` or a wide
``DataFrame`` of aligned signals and returns one tidy row per change (the "Changes"
table of ``docs/data-model.md``). The default engine is a binary segmentation over
prefix sums that runs in O(n log n) per signal, with a penalty that needs no tuning:
every split's gain is divided by the signal's *long-run* noise variance (robust to
steps, spikes, held values and autocorrelation) and compared with 3 ln(n); each
stretch is a level or a straight line, a line costing ln(n) more. ruptures'
algorithms are available behind the same call and the same result format.

See ``docs/changepoints.md`` for the method, the columns and measured benchmarks.
"""

from __future__ import annotations

import math
import os
import sys
import warnings
from concurrent.futures import ProcessPoolExecutor
import multiprocessing

import numpy as np
import pandas as pd

from rca import _cpd_engine as engine
from rca import _cpd_ruptures as rupt
from rca.errors import AnalysisError, DataQualityWarning, ParameterError

__all__ = ["detect_changes", "CHANGE_COLUMNS"]

#: Columns of the result, in order (the contract columns, then the extras).
CHANGE_COLUMNS = ("signal", "time", "kind", "before", "after", "delta", "delta_sigma",
                  "strength", "time_lo", "time_hi", "sigma_before", "sigma_after",
                  "across_gap", "end", "slope")
FAST_MODELS = ("auto", "mean", "variance", "poisson")
METHODS = ("auto", "fast") + tuple(rupt.ALGORITHMS)
#: The ``long_run`` rule of the changes an investigation works with
#: (:meth:`rca.Investigation.changes`, :func:`rca.rank_candidates`, the notebooks' change
#: views): the largest block estimate. ``detect_changes`` on its own uses the plateau, which
#: finds more of the small changes (TCPD, SKAB, Tennessee Eastman, synthetic series: see
#: docs/changepoints.md); the ranking's scales were set with the largest estimate and ranked
#: the root causes of the development incidents worse on the plateau's changes
#: (docs/changepoints.md, "Long-run variance: the plateau"), so the investigation keeps it
#: until the ranking is re-calibrated.
INVESTIGATION_LONG_RUN = "largest"
#: Below this many samples in total the work stays in this process.
PARALLEL_MIN_SAMPLES = 2_000_000
PARALLEL_MIN_SIGNALS = 8
SERIES_NAME = "value"


# ----------------------------------------------------------------------- validation


def _as_frame(data) -> pd.DataFrame:
    if isinstance(data, pd.Series):
        name = SERIES_NAME if data.name is None else str(data.name)
        frame = data.to_frame(name=name)
    elif isinstance(data, pd.DataFrame):
        frame = data
    else:
        raise ParameterError(
            f"data must be a pandas Series or DataFrame with a tz-aware DatetimeIndex; "
            f"got {type(data).__name__}")
    idx = frame.index
    if not isinstance(idx, pd.DatetimeIndex):
        raise ParameterError(
            f"data must have a tz-aware DatetimeIndex; got a {type(idx).__name__}")
    if idx.tz is None:
        raise ParameterError(
            "data has a naive DatetimeIndex; expected tz-aware UTC times "
            "(use .tz_localize('UTC') if the times are UTC)")
    if idx.hasnans:
        raise ParameterError("data index contains NaT; expected a timestamp on every row")
    if not idx.is_monotonic_increasing:
        raise ParameterError("data index is not sorted; expected increasing times")
    if not idx.is_unique:
        dup = idx[idx.duplicated()][0]
        raise ParameterError(f"data index has duplicate timestamp {dup}; expected unique times")
    if not frame.columns.is_unique:
        dup = frame.columns[frame.columns.duplicated()][0]
        raise ParameterError(f"data has duplicate column {dup!r}; expected unique signal names")
    for col in frame.columns:
        dtype = frame[col].dtype
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ParameterError(
                f"data column {col!r} has dtype {dtype}; expected numbers (float or int)")
    if str(idx.tz) != "UTC":
        frame = frame.tz_convert("UTC")
    return frame


def _check_window(window):
    if window is None:
        return None
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ParameterError(
            f"window={window!r}; expected a (start, end) pair of tz-aware timestamps "
            f"(either may be None)")
    bounds = []
    for name, value in zip(("start", "end"), window):
        if value is None:
            bounds.append(None)
            continue
        try:
            ts = pd.Timestamp(value)
        except (ValueError, TypeError):
            raise ParameterError(
                f"window {name} {value!r} is not a timestamp; expected a tz-aware time") from None
        if ts.tzinfo is None:
            raise ParameterError(
                f"window {name} {value!r} is naive; expected a tz-aware time such as "
                f"'2024-03-01T08:00Z'")
        bounds.append(ts.tz_convert("UTC"))
    if bounds[0] is not None and bounds[1] is not None and bounds[0] >= bounds[1]:
        raise ParameterError(
            f"window start {bounds[0]} is not before window end {bounds[1]}")
    return tuple(bounds)


def _check_penalty(penalty):
    if isinstance(penalty, str):
        if penalty != "auto":
            raise ParameterError(f"penalty={penalty!r}; expected 'auto' or a positive number")
        return None
    if isinstance(penalty, bool) or not isinstance(penalty, (int, float, np.integer,
                                                              np.floating)):
        raise ParameterError(f"penalty={penalty!r}; expected 'auto' or a positive number")
    if not math.isfinite(float(penalty)) or float(penalty) <= 0:
        raise ParameterError(f"penalty={penalty!r}; expected 'auto' or a positive number")
    return float(penalty)


def _check_int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ParameterError(f"{name}={value!r}; expected an integer >= {minimum}")
    return int(value)


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _check_n_jobs(n_jobs, n_signals, n_samples):
    if n_jobs == "auto":
        if n_signals >= PARALLEL_MIN_SIGNALS and n_signals * n_samples >= PARALLEL_MIN_SAMPLES:
            return min(_cpu_count(), n_signals)
        return 1
    n = _check_int("n_jobs", n_jobs, 1) if not isinstance(n_jobs, str) else None
    if n is None:
        raise ParameterError(f"n_jobs={n_jobs!r}; expected 'auto' or an integer >= 1")
    return min(n, max(1, n_signals))


# ------------------------------------------------------------------------- running

_SHARED: dict = {}


def _run_rows(rows, options):
    """Analyse the signals ``rows`` of the shared array (in a worker or in-process)."""
    values = _SHARED["values"] if isinstance(rows, range) else None
    out = []
    for i in rows:
        x = values[i] if values is not None else i
        if options["engine"] == "fast":
            changes, info = engine.analyse_signal(
                x, model=options["model"], penalty=options["penalty"],
                min_size=options["min_size"], max_changes=options["max_changes"],
                times=options["times"], regular_grid=options["regular_grid"],
                long_run=options["long_run"])
        else:
            changes, info = rupt.analyse_signal(
                x, method=options["engine"], model=options["model"],
                penalty=options["penalty"], min_size=options["min_size"],
                options=options["engine_options"], long_run=options["long_run"])
        # Grid positions here, so that a worker sends back a few numbers per change,
        # not the signal's arrays of valid positions.
        out.append((_on_grid(changes), info))
    return out


def _run_chunk_forked(start, stop, options):
    return _run_rows(range(start, stop), options)


def _run_chunk_spawned(block, options):
    return _run_rows(list(block), options)


def _run_all(values: np.ndarray, options: dict, n_jobs: int):
    p = values.shape[0]
    if n_jobs <= 1:
        _SHARED["values"] = values
        try:
            return _run_rows(range(p), options)
        finally:
            _SHARED.clear()
    n_chunks = min(p, n_jobs * 8)
    edges = np.linspace(0, p, n_chunks + 1).astype(int)
    fork = "fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
    results = []
    if fork:
        _SHARED["values"] = values
        try:
            ctx = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
                futures = [pool.submit(_run_chunk_forked, int(a), int(b), options)
                           for a, b in zip(edges[:-1], edges[1:]) if b > a]
                for f in futures:
                    results.extend(f.result())
        finally:
            _SHARED.clear()
    else:  # pragma: no cover - platforms without fork
        with ProcessPoolExecutor(max_workers=n_jobs) as pool:
            futures = [pool.submit(_run_chunk_spawned, values[a:b], options)
                       for a, b in zip(edges[:-1], edges[1:]) if b > a]
            for f in futures:
                results.extend(f.result())
    return results


# ------------------------------------------------------------------------ the result


def _on_grid(changes: dict) -> dict | None:
    """The per-change arrays with positions on the grid (None when nothing changed)."""
    pos = changes["pos"]
    if pos.size == 0:
        return None
    valid, crosses = changes["valid"], changes["crosses"]
    lo, hi = changes["lo"], changes["hi"]
    # The earliest possible onset: one grid step after the last valid sample before
    # ``lo``; when a gap precedes ``lo`` the onset may lie anywhere inside the gap.
    first_lo = np.where(lo > 0, valid[np.maximum(lo - 1, 0)] + 1, valid[lo])
    first_lo = np.minimum(first_lo, valid[lo])
    gap_edge = np.zeros(pos.size, dtype=bool)
    if crosses.size:
        ccum = np.concatenate(([0], np.cumsum(crosses)))
        a = np.maximum(lo - 1, 0)
        gap_edge = ccum[np.minimum(hi, crosses.size)] - ccum[a] > 0
    before, after = changes["before"], changes["after"]
    end = changes["end"]
    return {
        "time": valid[pos], "kind": changes["kind"], "before": before, "after": after,
        "delta": after - before, "strength": changes["strength"],
        "time_lo": first_lo, "time_hi": valid[hi],
        "sigma_before": changes["sigma_before"], "sigma_after": changes["sigma_after"],
        "across_gap": gap_edge,
        "end": np.where(end >= 0, valid[np.maximum(end, 0)], -1),
        "slope": changes["slope"],
    }


def _to_rows(name, rows: dict | None):
    """The grid rows of one signal with its name (None when nothing changed)."""
    if rows is None:
        return None
    return {"signal": np.full(rows["time"].size, name, dtype=object), **rows}


def _times(grid_ns: np.ndarray, positions) -> pd.DatetimeIndex:
    """Grid timestamps at ``positions`` (-1: NaT), as ``datetime64[ns, UTC]``; ``grid_ns`` is
    the grid as nanoseconds since the epoch (UTC)."""
    positions = np.asarray(positions, dtype=np.int64)
    ns = grid_ns[np.maximum(positions, 0)]
    ns[positions < 0] = np.iinfo(np.int64).min  # NaT
    return pd.DatetimeIndex(ns.view("M8[ns]")).tz_localize("UTC")


def _frame(parts, grid: pd.DatetimeIndex):
    if parts:
        cols = {k: np.concatenate([p[k] for p, _ in parts]) for k in parts[0][0]}
        nz = np.concatenate([np.full(p["time"].size, s) for p, s in parts])
    else:
        cols = {k: np.array([]) for k in ("signal", "time", "kind", "before", "after",
                                          "delta", "strength", "time_lo", "time_hi",
                                          "sigma_before", "sigma_after", "across_gap",
                                          "end", "slope")}
        nz = np.array([], dtype=float)
    if nz.size > 1:
        # Strongest first (ties: earliest first): ordered as arrays, which is much cheaper
        # than reordering the DataFrame.
        order = np.lexsort((cols["time"], -cols["strength"].astype(float)))
        cols = {k: v[order] for k, v in cols.items()}
        nz = nz[order]
    grid = grid.as_unit("ns").asi8
    out = pd.DataFrame({
        "signal": pd.array(cols["signal"].astype(object), dtype="str") if parts else
        pd.array([], dtype="str"),
        "time": _times(grid, cols["time"]),
        "kind": pd.array(cols["kind"].astype(object), dtype="str") if parts else
        pd.array([], dtype="str"),
        "before": cols["before"].astype(float),
        "after": cols["after"].astype(float),
        "delta": cols["delta"].astype(float),
        "delta_sigma": np.divide(cols["delta"].astype(float), nz,
                                 out=np.full(nz.size, np.nan), where=nz > 0),
        "strength": cols["strength"].astype(float),
        "time_lo": _times(grid, cols["time_lo"]),
        "time_hi": _times(grid, cols["time_hi"]),
        "sigma_before": cols["sigma_before"].astype(float),
        "sigma_after": cols["sigma_after"].astype(float),
        "across_gap": cols["across_gap"].astype(bool),
        "end": _times(grid, cols["end"]),
        "slope": cols["slope"].astype(float),
    })
    return out


# ---------------------------------------------------------------------- public entry


def detect_changes(data, *, method="auto", model="auto", penalty="auto", min_size=3,
                   window=None, max_changes=None, n_jobs="auto", engine_options=None,
                   long_run="plateau"):
    """Find changes of level, ramps and changes of noise in one or many aligned signals.

    Each signal is segmented on its own: missing samples (NaN) are skipped without
    bridging, isolated spikes are set aside, and a change is kept only when it
    explains more of the signal than ``penalty`` times the signal's long-run noise
    variance (its noise corrected for autocorrelation and held values). With the
    default model every stretch between changes is a level or a straight line, so a
    gradual change (a memory leak, a filling disk, fouling) is reported where it
    began, as a ``"ramp"``; :func:`rca.detect_ramps` returns those rows only.

    Parameters
    ----------
    data : pandas.Series or pandas.DataFrame
        One signal, or one column per signal, on a tz-aware ``DatetimeIndex``
        (converted to UTC). NaN marks a missing sample. A Series without a name is
        reported as signal ``"value"``.
    method : {"auto", "fast", "pelt", "binseg", "bottomup", "window", "kernel"}
        ``"auto"`` and ``"fast"`` select rca's prefix-sum binary segmentation
        (O(n log n)); the others run the ruptures algorithm of that name
        (``Pelt``, ``Binseg``, ``BottomUp``, ``Window``, ``KernelCPD``) on each signal.
    model : str or ruptures.base.BaseCost
        With the fast engine: ``"auto"`` (levels, ramps and changes of variance),
        ``"mean"`` (levels only: a slow ramp counts as drift), ``"variance"`` or
        ``"poisson"`` (counts of events per bin; a change of rate, with
        over-dispersion estimated from the data). With a
        ruptures method: a ruptures cost name (``"l2"``, ``"rbf"``, ``"normal"``, ...;
        ``"auto"`` means ``"l2"``, or ``"linear"`` for ``method="kernel"``, whose
        models are the kernels ``"linear"``, ``"rbf"``, ``"cosine"``) or a
        ``BaseCost`` instance.
    penalty : "auto" or float
        Fast engine: the minimum gain of a change in units of the long-run noise
        variance [-]; ``"auto"`` is ``3 ln(n)`` (the modified BIC) with ``n`` the
        number of valid samples. ruptures methods: a number is passed to
        ``predict(pen=...)`` unchanged [cost units]; ``"auto"`` is ``3 ln(n)`` times
        the long-run noise variance and is only defined for the costs ``"l2"`` and
        ``"linear"``.
    min_size : int
        Shortest segment [samples]. Default 3.
    window : tuple of (start, end), optional
        Only the samples with ``start <= time < end`` are analysed (either bound may
        be None). Bounds must be tz-aware.
    max_changes : int, optional
        At most this many changes per signal (the strongest are kept). Default: no
        limit beyond ``n / (2 min_size)``.
    n_jobs : "auto" or int
        Worker processes. ``"auto"`` uses every available core when there are at
        least 8 signals and 2 million samples in total, otherwise runs in-process.
    engine_options : dict, optional
        Extra keyword arguments for the ruptures algorithm's constructor (e.g.
        ``{"width": 50}`` for ``"window"``, ``{"params": {"gamma": 0.1}}`` for
        ``"kernel"``, ``{"jump": 5}``). By default ``jump=1``, so that ruptures, too,
        can return the exact sample of a step.
    long_run : {"plateau", "largest"}
        How the long-run noise variance (the scale of the penalty and of ``strength``) is
        read from the block estimates at block lengths 1, 2, 4, ...: ``"plateau"`` (the
        default) fits them by a non-decreasing curve and takes its top, ``"largest"``
        takes the largest estimate. The largest of noisy estimates is biased upwards
        (white noise: 1.35-1.7 times the truth at the median), so it finds fewer small
        changes; the investigation and the ranking use it (:data:`INVESTIGATION_LONG_RUN`),
        because the ranking was calibrated with it. See ``docs/changepoints.md``.

    Returns
    -------
    pandas.DataFrame
        One row per change, sorted by ``strength`` (strongest first), with columns
        ``signal``, ``time`` (first sample of the new segment, UTC), ``kind``
        (``"mean"``: the level jumped; ``"ramp"``: a sloped stretch began, or its
        slope changed; ``"ramp end"``: the signal levelled off after a ramp;
        ``"variance"``; ``"mean+variance"``; or the cost name for ruptures costs
        other than l2/linear/normal), ``before``, ``after`` (levels either side
        [signal units]: segment means, or for a sloped segment its fitted value at
        the change; for a ramp ``after`` is the level it reached at its end),
        ``delta`` (``after - before`` [signal units]), ``delta_sigma`` (``delta`` /
        the signal's noise scale [-]), ``strength`` (square root of the change's gain
        in long-run noise units: a z-score [-]), ``time_lo``, ``time_hi`` (95 %
        interval of the onset, UTC), then the extras ``sigma_before``,
        ``sigma_after`` (noise sd of the neighbouring segments [signal units]),
        ``across_gap`` (True when missing data lies inside the onset interval: the
        change happened somewhere in the gap), ``end`` (ramps: the first sample after
        the ramp, or the last sample when it lasts to the end of the data; NaT
        otherwise) and ``slope`` (ramps: [signal units / s]; NaN otherwise).

        ``result.attrs["settings"]`` records every choice: ``method``, ``model``,
        ``penalty`` (as given) and ``penalty_rule``, ``min_size``, ``long_run``, ``window``,
        ``n_jobs`` and, per signal under ``"signals"``, the number of valid /
        missing / non-finite samples and gaps (``n_valid``, ``n_missing``,
        ``non_finite``, ``n_gaps``), the spikes set aside (``spikes_replaced``), the
        noise scale [signal units] and its basis (``noise``, ``noise_basis``), the
        ``resolution``, the autocorrelation correction (``block`` [samples]: the block
        length the long-run variance was read at, for the plateau rule where its top
        stretch begins; ``inflation`` = long-run / short-term
        variance [-], ``long_run_sd`` [signal units], ``long_run_basis``), the
        changes dropped as stairs of a drift (``drift_dropped``) and as corners of a
        smooth bend (``bends_dropped``), the price of a sloped stretch
        (``slope_price`` [-], NaN for other models), the ``penalty`` used and a
        ``status`` (``"ok"``, ``"constant"``,
        ``"too few samples"``, ``"no valid samples"``). See ``docs/changepoints.md``.

    Raises
    ------
    ParameterError
        When ``data`` is not a Series/DataFrame on a tz-aware DatetimeIndex, holds a
        non-numeric column, or an option is out of range (the message names it).
    AnalysisError
        When ``window`` holds no samples.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> import rca
    >>> t = pd.date_range("2024-03-01", periods=600, freq="10s", tz="UTC")
    >>> x = np.r_[np.zeros(300), np.full(300, 2.0)]
    >>> x = x + np.random.default_rng(0).normal(0, 0.5, 600)
    >>> changes = rca.detect_changes(pd.Series(x, index=t, name="FIC101.PV"))
    >>> changes[["signal", "time", "kind"]]
          signal                      time  kind
    0  FIC101.PV 2024-03-01 00:50:00+00:00  mean
    >>> round(float(changes["delta"].iloc[0]), 1)
    2.0

    A memory leak: flat, then rising 0.5 % per minute from 00:50.

    >>> leak = np.r_[np.full(300, 40.0), np.linspace(40.0, 65.0, 300)]
    >>> leak = leak + np.random.default_rng(1).normal(0, 0.5, 600)
    >>> ramps = rca.detect_changes(pd.Series(leak, index=t, name="gw.mem_pct"))
    >>> ramps[["time_lo", "time", "kind"]]
                        time_lo                      time  kind
    0 2024-03-01 00:47:50+00:00 2024-03-01 00:50:40+00:00  ramp
    >>> round(float(ramps["slope"].iloc[0]) * 60, 2)  # [% / min]
    0.5
    """
    frame = _as_frame(data)
    if not isinstance(method, str) or method not in METHODS:
        raise ParameterError(
            f"method={method!r}; expected one of {', '.join(repr(m) for m in METHODS)}")
    engine_name = "fast" if method in ("auto", "fast") else method
    if engine_name == "fast":
        if not isinstance(model, str) or model not in FAST_MODELS:
            raise ParameterError(
                f"model={model!r} is not a model of the fast engine; expected one of "
                f"{', '.join(repr(m) for m in FAST_MODELS)} (ruptures costs need a ruptures "
                f"method such as method='pelt')")
        used_model = model
    else:
        used_model = model
        if isinstance(model, str) and model == "auto":
            used_model = "linear" if method == "kernel" else "l2"
        rupt.check_model(method, used_model)
    pen = _check_penalty(penalty)
    if engine_name != "fast" and pen is None and rupt.cost_name(used_model) not in \
            rupt.AUTO_PENALTY_COSTS:
        raise ParameterError(
            f"penalty='auto' is defined for the ruptures costs 'l2' and 'linear' only; "
            f"for model={rupt.cost_name(used_model)!r} pass penalty=<number> in that cost's "
            f"units")
    min_size = _check_int("min_size", min_size, 1)
    if max_changes is not None:
        max_changes = _check_int("max_changes", max_changes, 1)
    if engine_options is None:
        engine_options = {}
    elif not isinstance(engine_options, dict):
        raise ParameterError(f"engine_options={engine_options!r}; expected a dict")
    if engine_options and engine_name == "fast":
        raise ParameterError(
            "engine_options is for ruptures methods only; the fast engine takes none "
            f"(got {sorted(engine_options)})")
    if long_run not in engine.LONG_RUN_RULES:
        raise ParameterError(
            f"long_run={long_run!r}; expected one of {', '.join(repr(r) for r in engine.LONG_RUN_RULES)}")
    bounds = _check_window(window)
    if bounds is not None:
        start, end = bounds
        mask = np.ones(len(frame), dtype=bool)
        if start is not None:
            mask &= frame.index >= start
        if end is not None:
            mask &= frame.index < end
        if not mask.any():
            raise AnalysisError(
                f"window {start} .. {end} holds no samples; data covers "
                f"{frame.index.min()} .. {frame.index.max()}")
        frame = frame.loc[mask]
    values = frame.to_numpy(dtype=float, na_value=np.nan).T
    values = np.ascontiguousarray(values)
    if engine_name == "fast" and model == "poisson":
        neg = [str(c) for c, row in zip(frame.columns, values) if np.nanmin(row, initial=0) < 0]
        if neg:
            raise ParameterError(
                f"model='poisson' needs non-negative counts; column {neg[0]!r} has negative "
                f"values")
    jobs = _check_n_jobs(n_jobs, values.shape[0], values.shape[1] if values.ndim == 2 else 0)
    seconds = (frame.index - frame.index[0]).total_seconds().to_numpy(dtype=float) \
        if len(frame.index) else np.array([])
    options = {"engine": engine_name, "model": used_model, "penalty": pen,
               "min_size": min_size, "max_changes": max_changes,
               "engine_options": dict(engine_options), "times": seconds, "long_run": long_run,
               "regular_grid": engine.is_regular(seconds)}
    results = _run_all(values, options, jobs)

    parts, per_signal = [], {}
    for name, (changes, info) in zip(frame.columns, results):
        per_signal[str(name)] = info
        rows = _to_rows(str(name), changes)
        if rows is not None:
            parts.append((rows, info["noise"]))
    out = _frame(parts, frame.index)
    skipped = [s for s, i in per_signal.items() if i["status"] in ("too few samples",
                                                                   "no valid samples")]
    if skipped:
        warnings.warn(
            f"{len(skipped)} signal(s) have fewer than {2 * min_size} valid samples and were "
            f"not analysed: {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}",
            DataQualityWarning, stacklevel=2)
    if engine_name == "fast":
        rule = ("3 ln(n) x long-run noise variance (modified BIC on autocorrelation-"
                "corrected gains)" if pen is None else f"{pen:g} x long-run noise variance")
    else:
        rule = ("3 ln(n) x long-run noise variance [cost units]" if pen is None else
                f"{pen:g} [cost units, passed to ruptures]")
    out.attrs["settings"] = {
        "method": "fast" if engine_name == "fast" else f"ruptures.{rupt.ALGORITHMS[method]}",
        "method_requested": method,
        "model": rupt.cost_name(used_model),
        "penalty": penalty if isinstance(penalty, str) else float(penalty),
        "penalty_rule": rule,
        "min_size": min_size,
        "long_run": long_run,
        "window": None if bounds is None else tuple(None if b is None else b.isoformat()
                                                    for b in bounds),
        "n_jobs": jobs,
        "signals": _SharedSettings(per_signal),
    }
    return out


class _SharedSettings(dict):
    """The per-signal settings of a result, shared (not copied) by every frame pandas derives
    from it. pandas deep-copies ``attrs`` into the result of every operation; with a few hundred
    signals that copying made a simple filter of the changes ~17x slower. Treat as read-only."""

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self

    def __reduce__(self):  # pickles (and unpickles) as a plain dict
        return (dict, (dict(self),))
