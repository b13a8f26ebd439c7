"""The investigation: everything loaded from a manifest, on one UTC clock.

:func:`open_investigation` reads every source of a manifest, estimates the clock offsets
marked ``"auto"``, aligns the signals on a common grid and returns an
:class:`Investigation`. The object only carries data and forwards to the plain functions
(:func:`rca.readers.load_source`, :func:`rca.alignment.align`, :func:`rca.detect_changes`, ...),
which analysts can call directly.
"""

from __future__ import annotations

import dataclasses
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rca.alignment import _fmt
from rca.alignment import (
    ClockOffsetEstimate,
    GridChoice,
    activity_times,
    align,
    choose_grid,
    estimate_clock_offset,
)
from rca.errors import AnalysisError, DataQualityWarning, ManifestError, ParameterError, RcaWarning
from rca.ledger import Ledger, SourceLedger
from rca.manifest import Manifest, match_signal_kinds, read_manifest
from rca.readers import EVENT_COLUMNS, EventData, SignalData, load_source
from rca.timestamps import parse_duration, parse_instant

__all__ = ["Investigation", "Incident", "Alignment", "ClockOffset", "open_investigation"]

DEFAULT_LOOKBACK = pd.Timedelta("4h")
DEFAULT_LOOKAHEAD = pd.Timedelta("30min")


@dataclass(frozen=True)
class Incident:
    """The incident being investigated.

    Attributes
    ----------
    start : pandas.Timestamp
        When the symptom was noticed [UTC].
    symptom : str or None
        The signal that went wrong.
    lookback, lookahead : pandas.Timedelta
        Analysis window around ``start``.
    lookback_reason, lookahead_reason : str
        Given, or how the default was chosen.
    """

    start: pd.Timestamp
    symptom: str | None
    lookback: pd.Timedelta
    lookahead: pd.Timedelta
    lookback_reason: str = "given"
    lookahead_reason: str = "given"

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """(start - lookback, start + lookahead) [UTC]."""
        return self.start - self.lookback, self.start + self.lookahead

    def to_dict(self) -> dict:
        lo, hi = self.window
        return {
            "start": self.start.isoformat(),
            "symptom": self.symptom,
            "lookback_s": self.lookback.total_seconds(),
            "lookahead_s": self.lookahead.total_seconds(),
            "lookback_reason": self.lookback_reason,
            "lookahead_reason": self.lookahead_reason,
            "window": [lo.isoformat(), hi.isoformat()],
        }


@dataclass(frozen=True)
class ClockOffset:
    """The clock offset applied to a group of sources sharing one clock."""

    clock: str
    sources: tuple[str, ...]
    offset: pd.Timedelta
    mode: str  # "given" or "auto"
    estimate: ClockOffsetEstimate | None = None

    def describe(self) -> str:
        srcs = ", ".join(self.sources)
        if self.mode == "given":
            return f"{srcs}: clock offset {self.offset.total_seconds():+g} s (given in the manifest)"
        e = self.estimate
        if e is None or not e.reliable:
            why = "no clear match with the reference clock" if e is None else (
                f"best offset only {e.peak_ratio:.1f}x better than any other, {e.matches} matched instants"
            )
            return f"{srcs}: clock offset could not be estimated ({why}); left at 0 s"
        return (
            f"{srcs}: clock runs {e.offset.total_seconds():+.1f} s +/- {e.uncertainty.total_seconds():.1f} s "
            f"against the reference (estimated from {e.matches} matched instants, {e.method}; "
            f"{e.peak_ratio:.1f}x better than any other offset)"
        )

    def to_dict(self) -> dict:
        return {
            "clock": self.clock,
            "sources": list(self.sources),
            "offset_s": self.offset.total_seconds(),
            "mode": self.mode,
            "estimate": self.estimate.to_dict() if self.estimate else None,
        }


@dataclass(frozen=True)
class Alignment:
    """How the sources were put on one clock and one grid."""

    grid: GridChoice
    clock_offsets: tuple[ClockOffset, ...]
    renamed: dict = field(default_factory=dict)

    def describe(self) -> str:
        lines = [f"grid: {self.grid.reason}; {self.grid.points:,} points from {self.grid.start} to {self.grid.end}"]
        lines += [c.describe() for c in self.clock_offsets]
        for old, new in self.renamed.items():
            lines.append(f"name clash: {old[1]!r} from source {old[0]!r} is called {new!r}")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "grid": self.grid.to_dict(),
            "clock_offsets": [c.to_dict() for c in self.clock_offsets],
            "renamed": [{"source": o[0], "name": o[1], "renamed_to": n} for o, n in self.renamed.items()],
        }


class Investigation:
    """Data of one incident, aligned on one UTC clock.

    Build it with :func:`open_investigation`. Attributes:

    ``title``, ``timezone`` (display zone), ``manifest``, ``incident`` (:class:`Incident`),
    ``signals`` (wide frame on the grid), ``signal_info`` (per-signal metadata),
    ``samples`` (the long valid samples the grid was built from), ``events`` (tidy events),
    ``ledger`` (:class:`~rca.ledger.Ledger`), ``alignment`` (:class:`Alignment`).
    """

    def __init__(self, *, manifest, incident, signals, signal_info, samples, events, ledger, alignment):
        self.manifest: Manifest = manifest
        self.incident: Incident = incident
        self.signals: pd.DataFrame = signals
        self.signal_info: pd.DataFrame = signal_info
        self.samples: pd.DataFrame = samples
        self.events: pd.DataFrame = events
        self.ledger: Ledger = ledger
        self.alignment: Alignment = alignment
        self._cache: dict = {}

    # -- descriptive ------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.manifest.title

    @property
    def timezone(self) -> str:
        return self.manifest.timezone

    @property
    def path(self) -> Path:
        return self.manifest.path

    @property
    def window(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return self.incident.window

    def __repr__(self) -> str:
        lo, hi = self.window
        return (
            f"<Investigation {self.title!r}: {self.signals.shape[1]} signals on a "
            f"{_fmt(self.alignment.grid.step)} grid, {len(self.events):,} events; "
            f"window {lo:%Y-%m-%d %H:%M} to {hi:%H:%M} UTC>"
        )

    def local(self, ts) -> pd.Timestamp:
        """A UTC timestamp in the display time zone."""
        return pd.Timestamp(ts).tz_convert(self.timezone)

    # -- slicing ----------------------------------------------------------------------
    def resolve_window(self, window="incident") -> tuple[pd.Timestamp, pd.Timestamp]:
        """``"incident"`` (default), ``None`` / ``"all"`` (all data) or a (start, end) pair."""
        if window is None or (isinstance(window, str) and window == "all"):
            return self.alignment.grid.start, self.alignment.grid.end
        if isinstance(window, str) and window == "incident":
            return self.window
        try:
            lo, hi = window
        except (TypeError, ValueError):
            raise ParameterError(
                f"window: expected 'incident', 'all' or a (start, end) pair, got {window!r}"
            ) from None
        lo = parse_instant(lo, timezone=self.timezone, name="window start")
        hi = parse_instant(hi, timezone=self.timezone, name="window end")
        if hi <= lo:
            raise ParameterError(f"window: end {hi} is not after start {lo}")
        return lo, hi

    def signals_in(self, window="incident", *, domain=None) -> pd.DataFrame:
        """The aligned signals within a window, optionally of one domain (``"OT"``/``"IT"``)."""
        lo, hi = self.resolve_window(window)
        frame = self.signals.loc[lo:hi]
        if domain is not None:
            names = self.signal_info.index[self.signal_info["domain"] == str(domain).upper()]
            frame = frame[[c for c in frame.columns if c in set(names)]]
        return frame

    def events_in(self, window="incident", *, domain=None) -> pd.DataFrame:
        """Events within a window (by start time), optionally of one domain."""
        lo, hi = self.resolve_window(window)
        ev = self.events
        mask = (ev["time"] >= lo) & (ev["time"] <= hi)
        if domain is not None:
            mask &= ev["domain"] == str(domain).upper()
        return ev.loc[mask]

    # -- analysis (forwards to the plain functions) ------------------------------------
    def changes(self, window="incident", **options) -> pd.DataFrame:
        """Change points of every signal in a window: :func:`rca.detect_changes` on
        :meth:`signals_in`, with ``long_run="largest"`` unless ``options`` say otherwise
        (:data:`rca.changepoints.INVESTIGATION_LONG_RUN`: the changes the ranking was
        calibrated on). Results are cached per window and options."""
        from rca.changepoints import INVESTIGATION_LONG_RUN, detect_changes

        options.setdefault("long_run", INVESTIGATION_LONG_RUN)
        lo, hi = self.resolve_window(window)
        key = ("changes", lo, hi, tuple(sorted((k, repr(v)) for k, v in options.items())))
        if key not in self._cache:
            frame = self.signals.loc[lo:hi]
            frame = frame.loc[:, frame.notna().any()]
            if frame.empty:
                raise AnalysisError(f"no signal has data between {lo} and {hi} (UTC)")
            self._cache[key] = detect_changes(frame, **options)
        return self._cache[key]

    def summary(self) -> str:
        """A few lines for people: what was loaded and how it was aligned."""
        lo, hi = self.window
        tz = self.timezone
        ot = int((self.signal_info["domain"] == "OT").sum())
        it = int((self.signal_info["domain"] == "IT").sum())
        lines = [
            f"{self.title}",
            f"incident noticed {self.local(self.incident.start):%Y-%m-%d %H:%M:%S %Z} ({tz}); "
            f"symptom: {self.incident.symptom or 'not named'}",
            f"analysis window {self.local(lo):%H:%M} to {self.local(hi):%H:%M} "
            f"({self.incident.lookback_reason} lookback, {self.incident.lookahead_reason} lookahead)",
            f"{len(self.signal_info)} signals ({ot} OT, {it} IT), {len(self.events):,} events",
            self.alignment.describe(),
        ]
        return "\n".join(lines)


def _combine_signals(loaded: list[tuple], manifest: Manifest):
    """Merge per-source samples; rename clashing names to '<source>/<tag>'."""
    seen: dict = {}
    for spec, data in loaded:
        for name in data.info.index:
            seen.setdefault(name, []).append(spec.name)
    clashes = {n for n, srcs in seen.items() if len(srcs) > 1}
    renamed = {}
    frames, infos = [], []
    for spec, data in loaded:
        samples = data.samples
        info = data.info.copy()
        info["tag"] = info.index.astype(str)
        if clashes & set(info.index):
            mapping = {n: f"{spec.name}/{n}" for n in info.index if n in clashes}
            for old, new in mapping.items():
                renamed[(spec.name, old)] = new
            samples = samples.assign(signal=samples["signal"].cat.rename_categories(
                [mapping.get(c, c) for c in samples["signal"].cat.categories]
            ))
            info.index = pd.Index([mapping.get(n, n) for n in info.index], name="signal", dtype="str")
        info["domain"] = spec.domain
        info["source"] = spec.name
        info["kind"] = _declared_kinds(spec, info)
        frames.append(samples)
        infos.append(info)
    if not frames:
        return pd.DataFrame({"time": pd.DatetimeIndex([], tz="UTC"), "signal": [], "value": []}), None, renamed
    signal = pd.api.types.union_categoricals([f["signal"] for f in frames])
    samples = pd.concat([f.drop(columns="signal") for f in frames], ignore_index=True)
    samples.insert(1, "signal", signal)
    info = pd.concat(infos)
    info["device"] = info["device"].fillna("") if "device" in info.columns else ""
    info = info[["domain", "source", "tag", "unit", "description", "device", "kind", "samples"]]
    return samples, info, renamed


def _declared_kinds(spec, info: pd.DataFrame) -> pd.Series:
    """The ``signal_kinds`` of a source per signal (``""`` where none is declared), matched
    against the tag and the signal name (:func:`rca.manifest.match_signal_kinds`). A key that
    matches no signal of the source is reported (a typo would otherwise change nothing)."""
    kinds = pd.Series("", index=info.index, dtype="str")
    if not spec.signal_kinds:
        return kinds
    names = {str(sig): (str(sig), str(tag)) for sig, tag in zip(info.index, info["tag"])}
    declared, unmatched = match_signal_kinds(spec.signal_kinds, names)
    if declared:
        kinds.loc[list(declared)] = list(declared.values())
    if unmatched:
        warnings.warn(
            f"source {spec.name!r}: signal_kinds {unmatched} match no signal of the source; check the tags",
            RcaWarning,
            stacklevel=4,
        )
    return kinds


def _shift_ledger(ledger: SourceLedger, offset: pd.Timedelta) -> SourceLedger:
    details = dict(ledger.details)
    details["clock_offset_applied_s"] = details.get("clock_offset_applied_s", 0.0) + offset.total_seconds()
    return dataclasses.replace(
        ledger,
        start=None if ledger.start is None else ledger.start - offset,
        end=None if ledger.end is None else ledger.end - offset,
        details=details,
    )


def _estimate_offsets(manifest: Manifest, loaded: list[tuple]):
    """Estimate offsets for clocks marked "auto" against the instants of the trusted sources."""
    auto_specs = [spec for spec, _ in loaded if spec.clock_offset == "auto"]
    results = []
    given = [spec for spec, _ in loaded if spec.clock_offset != "auto"]
    for spec in given:
        if spec.clock_offset != pd.Timedelta(0):
            results.append(ClockOffset(spec.clock_name, (spec.name,), spec.clock_offset, "given"))
    if not auto_specs:
        return results, {}
    if not given:
        raise ManifestError(
            f"{manifest.path.name}: every source has clock_offset = 'auto'; at least one source must have a "
            "trusted clock (clock_offset = '0s' or a known offset) to estimate the others against"
        )
    # Default clock groups: "auto" sources of one domain share a clock unless they name one.
    groups: dict = {}
    for spec in auto_specs:
        key = spec.clock or f"{spec.domain} clock"
        groups.setdefault(key, []).append(spec)

    def instants(specs_data, use_signals):
        """Instants and their group labels: events by origin/source/kind, signal moves by signal."""
        times, labels = [], []
        for spec, data in specs_data:
            if isinstance(data, EventData):
                ev = data.events
                times.append(ev["time"].to_numpy("datetime64[ns]"))
                labels.append((spec.name + "|" + ev["source"] + "|" + ev["kind"]).to_numpy(dtype=object))
            elif use_signals:
                for name, grp in data.samples.groupby("signal", sort=False):
                    moves = activity_times(grp)
                    times.append(moves.tz_localize(None).to_numpy("datetime64[ns]"))
                    labels.append(np.full(len(moves), f"{spec.name}|{name}", dtype=object))
        if not times:
            return None, None
        t = pd.DatetimeIndex(np.concatenate(times)).tz_localize("UTC")
        return t, np.concatenate(labels)

    ref = [(s, d) for s, d in loaded if s.clock_offset != "auto"]
    offsets = {}
    for clock, specs in groups.items():
        members = [(s, d) for s, d in loaded if s in specs]
        estimate = None
        for use_signals, what in ((False, "event times"), (True, "event times and abrupt signal moves")):
            a, ga = instants(members, use_signals)
            b, gb = instants(ref, use_signals)
            if a is None or b is None:
                continue
            est = estimate_clock_offset(
                a, b, groups=ga, reference_groups=gb, method=f"{what} against the sources with a trusted clock"
            )
            if estimate is None or est.peak_ratio > estimate.peak_ratio:
                estimate = est
            if estimate.reliable:
                break
        applied = estimate.offset if (estimate is not None and estimate.reliable) else pd.Timedelta(0)
        if estimate is None or not estimate.reliable:
            warnings.warn(
                f"clock offset of {', '.join(s.name for s in specs)} could not be estimated reliably; left at 0 s. "
                "Set clock_offset to a known value if you know it.",
                DataQualityWarning,
                stacklevel=3,
            )
        results.append(ClockOffset(clock, tuple(s.name for s in specs), applied, "auto", estimate))
        for s in specs:
            offsets[s.name] = applied
    return results, offsets


def _apply_offset(data, offset):
    if offset == pd.Timedelta(0):
        return data
    if isinstance(data, SignalData):
        samples = data.samples.assign(time=data.samples["time"] - offset)
        return SignalData(samples=samples, info=data.info, ledger=_shift_ledger(data.ledger, offset))
    events = data.events.assign(time=data.events["time"] - offset, end=data.events["end"] - offset)
    return EventData(events=events, ledger=_shift_ledger(data.ledger, offset))


def open_investigation(path, *, grid=None, window=None) -> Investigation:
    """Load an incident from its manifest and align everything on one UTC clock.

    Parameters
    ----------
    path : str or pathlib.Path
        The manifest (``investigation.toml``), or the folder holding it.
    grid : str or pandas.Timedelta, optional
        Overrides ``[alignment] grid``.
    window : (start, end), optional
        Load only rows within this window (UTC or the display zone for naive values); rows outside
        are counted as ``outside_window`` in the ledger.

    Returns
    -------
    Investigation

    Raises
    ------
    ManifestError, SourceError
        With the file, row or column and what was expected.

    Examples
    --------
    >>> inv = open_investigation("sample_data/line3_scrap_spike/investigation.toml")  # doctest: +SKIP
    >>> inv.ledger.to_frame()  # doctest: +SKIP
    """
    manifest = read_manifest(path)
    load_window = None
    if window is not None:
        try:
            lo, hi = window
        except (TypeError, ValueError):
            raise ParameterError(f"window: expected a (start, end) pair, got {window!r}") from None
        load_window = (
            parse_instant(lo, timezone=manifest.timezone, name="window start"),
            parse_instant(hi, timezone=manifest.timezone, name="window end"),
        )
    loaded = []
    for spec in manifest.sources:
        # Sources with an "auto" clock are read uncorrected; the window is applied after correction.
        win = None if spec.clock_offset == "auto" else load_window
        loaded.append((spec, load_source(spec, window=win)))
    clock_offsets, auto = _estimate_offsets(manifest, loaded)
    loaded = [(spec, _apply_offset(data, auto.get(spec.name, pd.Timedelta(0)))) for spec, data in loaded]
    if load_window is not None:
        # Now that their clocks are known, read the "auto" sources again with the window applied,
        # so rows outside it are counted exactly in the ledger.
        loaded = [
            (spec, load_source(spec, clock_offset=auto[spec.name], window=load_window))
            if spec.name in auto
            else (spec, data)
            for spec, data in loaded
        ]

    signal_parts = [(s, d) for s, d in loaded if isinstance(d, SignalData)]
    event_parts = [d.events for s, d in loaded if isinstance(d, EventData)]
    samples, info, renamed = _combine_signals(signal_parts, manifest)
    if info is None or samples.empty:
        raise ManifestError(
            f"{manifest.path.name}: no signal data was loaded (no source with kind = 'signals', or all "
            "their rows were rejected; run `rca check` to see the ledger)"
        )
    source_of = info["source"].to_dict()
    grid_spec = grid if grid is not None else manifest.alignment.grid
    choice = choose_grid(samples, grid=grid_spec, source_of=source_of)

    # Hold limits: a source's max_gap, else [alignment] max_gap, else per-signal auto.
    max_gap = {}
    default = manifest.alignment.max_gap
    for spec, data in signal_parts:
        limit = spec.max_gap if spec.max_gap is not None else default
        if limit != "auto":
            for name in info.index[info["source"] == spec.name]:
                max_gap[name] = limit
    signals = align(samples, grid=choice, max_gap=max_gap)
    info["max_gap"] = pd.Series(signals.attrs["max_gap"])
    info = info.reindex(signals.columns)

    if event_parts:
        events = pd.concat(event_parts, ignore_index=True)
        events = events.sort_values("time", kind="stable").reset_index(drop=True)
    else:
        events = pd.DataFrame({c: pd.Series(dtype="str") for c in EVENT_COLUMNS})
        events["time"] = pd.DatetimeIndex([], tz="UTC")
        events["end"] = pd.DatetimeIndex([], tz="UTC")

    incident = _incident(manifest, choice)
    if incident.symptom is not None and incident.symptom not in signals.columns:
        close = [c for c in signals.columns if incident.symptom.lower() in c.lower()][:3]
        raise ManifestError(
            f"{manifest.path.name}: incident.symptom {incident.symptom!r} is not a loaded signal"
            + (f"; did you mean {close}?" if close else f"; {len(signals.columns)} signals were loaded")
        )
    ledger = Ledger(tuple(d.ledger for _, d in loaded))
    alignment = Alignment(grid=choice, clock_offsets=tuple(clock_offsets), renamed=renamed)
    return Investigation(
        manifest=manifest,
        incident=incident,
        signals=signals,
        signal_info=info,
        samples=samples,
        events=events,
        ledger=ledger,
        alignment=alignment,
    )


def _incident(manifest: Manifest, grid: GridChoice) -> Incident:
    spec = manifest.incident
    start = spec.start
    if spec.lookback == "auto":
        avail = start - grid.start
        lookback = min(DEFAULT_LOOKBACK, max(avail, pd.Timedelta(0)))
        lb_reason = "default 4 h" if lookback == DEFAULT_LOOKBACK else "all data before the incident (less than 4 h)"
    else:
        lookback, lb_reason = spec.lookback, "given"
    if spec.lookahead == "auto":
        avail = grid.end - start
        lookahead = min(DEFAULT_LOOKAHEAD, max(avail, pd.Timedelta(0)))
        la_reason = "default 30 min" if lookahead == DEFAULT_LOOKAHEAD else "all data after the incident"
    else:
        lookahead, la_reason = spec.lookahead, "given"
    if start < grid.start - pd.Timedelta("1D") or start > grid.end + pd.Timedelta("1D"):
        warnings.warn(
            f"incident.start {start} is far outside the data ({grid.start} to {grid.end}); check the time zone",
            DataQualityWarning,
            stacklevel=3,
        )
    return Incident(
        start=start,
        symptom=spec.symptom,
        lookback=lookback,
        lookahead=lookahead,
        lookback_reason=lb_reason,
        lookahead_reason=la_reason,
    )
