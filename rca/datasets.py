"""Synthetic manufacturing incidents with a known root cause.

:func:`make_incident` simulates a small plant (control loops, transport delays, a quality
analyser) and its IT estate (OPC gateway, network devices, servers) at 1 s resolution, injects
one root cause and a handful of unrelated distractor changes near it, and writes the result
the way real systems export it: an OT historian export with exception reporting in local time
on a clock that is off by an unknown offset, an OT alarm & event journal, IT metrics and IT
events in UTC. It returns the exports together with the known truth, so tests and benchmarks
can make as many incidents as they need.

The four causes (:data:`CAUSES`):

``"ot_fault"``
    A physical fault first visible in one measured tag: a wearing feed pump (discharge
    pressure), a steam supply loss (header pressure) or a cooling-water failure (supply
    temperature). The root is that tag.
``"setpoint_change"``
    An operator moves a setpoint of the product line; the SP tag steps, the action is logged
    in the alarm & event journal, the process follows. The root is the SP tag.
``"it_change"``
    A change record on a network device or on the OPC gateway host degrades the gateway:
    update latency and packet loss rise, the control loop whose measurement passes through
    the gateway starts to oscillate, the symptom follows. The root is the change record's
    event ``source`` (the host).
``"it_saturation"``
    An IT resource ramps to saturation (a runaway process on the gateway host, a memory leak,
    a saturated uplink) and degrades the same path. The root is that metric; no change record
    precedes it.

See ``docs/datasets.md`` for the export styles and the meaning of every truth field.
"""

from __future__ import annotations

import gzip
import json
import math
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rca import _exports, _plant
from rca.errors import AnalysisError, ParameterError

__all__ = [
    "CAUSES",
    "STYLES",
    "SAMPLE_INCIDENTS",
    "Incident",
    "IncidentTruth",
    "make_incident",
    "write_incident",
    "write_sample_data",
    "read_truth",
]

CAUSES = ("ot_fault", "setpoint_change", "it_change", "it_saturation")
"""The root-cause families :func:`make_incident` can simulate."""

STYLES = tuple(_exports.STYLES)
"""Named export styles; ``style="random"`` picks one from the seed."""

_MIN_SIGNALS, _MAX_SIGNALS = 24, 120


# --------------------------------------------------------------------------- results


def _iso(ts) -> str | None:
    if ts is None or (isinstance(ts, float) and math.isnan(ts)) or ts is pd.NaT:
        return None
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%S.%fZ").replace(".000000Z", "Z")


def _duration_text(td: pd.Timedelta) -> str:
    s = td.total_seconds()
    return f"{s:.3f}".rstrip("0").rstrip(".") + "s"


@dataclass(frozen=True)
class IncidentTruth:
    """What really happened in a generated incident.

    Attributes
    ----------
    cause : str
        One of :data:`CAUSES`.
    mechanism : str
        What physically happened, in a few words (e.g. ``"feed pump wear"``).
    root_cause : str
        The root's name exactly as in the loaded data: a signal column name (``root_cause_type
        == "signal"``) or an event ``source`` value (``"event"``).
    root_cause_type : str
        ``"signal"`` or ``"event"``.
    root_cause_domain : str
        ``"OT"`` or ``"IT"``.
    onset : pandas.Timestamp
        When the root cause happened or started (UTC, true time). For a ramp, the start of the
        ramp; for an event root, the event's time.
    symptom : str
        The signal that went wrong (the manifest's ``incident.symptom``).
    symptom_onset : pandas.Timestamp
        When the symptom first responded to the root cause (UTC): the first moment the symptom
        differs from a simulation without the root cause by more than its noise level.
    noticed : pandas.Timestamp
        When people noticed (UTC), the manifest's ``incident.start``.
    chain : tuple of str
        Names from the root to the symptom along the causal path.
    chain_onsets : tuple of pandas.Timestamp
        When each ``chain`` element first responded (UTC), measured like ``symptom_onset``;
        the first is ``onset``. Non-decreasing.
    clock_offsets : dict
        ``{source name: Timedelta}``: how far each manifest source's clock runs *ahead* of true
        time (zero for the NTP-synchronised IT sources).
    distractors : tuple of str
        Names (signals or event sources) of unrelated things that change within about 30 min of
        the onset: the deliberate distractors first, then routine activity that happened to
        start in that window (a setpoint trim elsewhere, a backup, a batch job). They do not
        affect the symptom.
    aliases : tuple of str
        Other names of the same physical root in the data (e.g. the alarm & event block of an
        SP or PV tag). Empty when there is none.
    """

    cause: str
    mechanism: str
    root_cause: str
    root_cause_type: str
    root_cause_domain: str
    onset: pd.Timestamp
    symptom: str
    symptom_onset: pd.Timestamp
    noticed: pd.Timestamp
    chain: tuple
    chain_onsets: tuple
    clock_offsets: dict
    distractors: tuple
    aliases: tuple = ()

    def to_dict(self) -> dict:
        """JSON-ready dictionary: times as ISO 8601 UTC text, offsets as ``"83.417s"``."""
        return {
            "cause": self.cause,
            "mechanism": self.mechanism,
            "root_cause": self.root_cause,
            "root_cause_type": self.root_cause_type,
            "root_cause_domain": self.root_cause_domain,
            "onset": _iso(self.onset),
            "symptom": self.symptom,
            "symptom_onset": _iso(self.symptom_onset),
            "noticed": _iso(self.noticed),
            "chain": list(self.chain),
            "chain_onsets": [_iso(t) for t in self.chain_onsets],
            "clock_offsets": {k: _duration_text(v) for k, v in self.clock_offsets.items()},
            "distractors": list(self.distractors),
            "aliases": list(self.aliases),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "IncidentTruth":
        """Inverse of :meth:`to_dict`."""
        ts = lambda v: pd.Timestamp(v).tz_convert("UTC")  # noqa: E731
        return cls(
            cause=data["cause"], mechanism=data.get("mechanism", ""), root_cause=data["root_cause"],
            root_cause_type=data["root_cause_type"], root_cause_domain=data["root_cause_domain"],
            onset=ts(data["onset"]), symptom=data["symptom"], symptom_onset=ts(data["symptom_onset"]),
            noticed=ts(data["noticed"]), chain=tuple(data["chain"]),
            chain_onsets=tuple(ts(v) for v in data["chain_onsets"]),
            clock_offsets={k: pd.Timedelta(v) for k, v in data["clock_offsets"].items()},
            distractors=tuple(data["distractors"]), aliases=tuple(data.get("aliases", ())),
        )


@dataclass(frozen=True, eq=False)
class Incident:
    """A generated incident: export files, manifest, story and truth.

    Attributes
    ----------
    title : str
        Short name of the incident (the manifest's ``title``).
    timezone : str
        Display time zone (the plant's local zone).
    exports : dict
        ``{file name: DataFrame}``: every export exactly as it will be written, all cells text.
    manifest : dict
        The ``investigation.toml`` content (see ``docs/manifest.md``).
    readme : str
        The incident's story as the plant would report it, with the answer key at the end.
    truth : IncidentTruth
        What really happened.
    true_signals : pandas.DataFrame
        Every signal on the 1 s simulation grid in true UTC time (index ``time``), as the
        instruments measured it, before exception reporting, clock offsets and export quirks.
    counterfactual_signals : pandas.DataFrame
        The same plant with the same noise but without the root cause (distractors and routine
        activity included). ``true_signals - counterfactual_signals`` is the root's effect.
    true_events : pandas.DataFrame
        Every event in true UTC time with the data-model columns (``time``, ``end``, ``source``,
        ``kind``, ``message``, ``severity``, ``domain``, ``origin`` = the export file) plus
        ``state`` and ``role`` (what produced it: ``"root"``, ``"alarm"``, ``"operator"``,
        ``"logon"``, ``"change"``, ``"nuisance"``, ``"noise"``...). Export duplicates are not
        included.
    settings : dict
        Every parameter as resolved (``style``, ``n_signals``, ``events_per_hour``, ``start``...)
        and what the exports contain (duplicate, backfilled and conflicting row counts, gaps).
    """

    title: str
    timezone: str
    exports: dict
    manifest: dict
    readme: str
    truth: IncidentTruth
    true_signals: pd.DataFrame
    counterfactual_signals: pd.DataFrame
    true_events: pd.DataFrame
    settings: dict = field(default_factory=dict)

    def write(self, folder) -> Path:
        """Write the exports, ``investigation.toml``, ``README.md`` and ``truth.json``.

        Returns the path of the manifest. See :func:`write_incident`.
        """
        return write_incident(self, folder)


# --------------------------------------------------------------------------- parameters


def _check_choice(name, value, options):
    if not isinstance(value, str) or value not in options:
        raise ParameterError(f"{name}={value!r} is not supported; expected one of {', '.join(map(repr, options))}")
    return value


def _check_int(name, value, lo, hi):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ParameterError(f"{name}={value!r} is out of range; expected an integer from {lo} to {hi}")
    return int(value)


def _resolve_duration(duration) -> int:
    try:
        td = pd.Timedelta(duration)
    except (ValueError, TypeError):
        raise ParameterError(f"duration={duration!r} is not a duration; expected text such as \"8h\" or \"90min\"") from None
    seconds = td.total_seconds()
    if not 2 * 3600 <= seconds <= 48 * 3600:
        raise ParameterError(f"duration={duration!r} is out of range; expected from 2h to 48h")
    return int(seconds)


def _resolve_start(start, rng, tz, n):
    """UTC start of the window: given, or a random full local hour avoiding DST changes."""
    zone = zoneinfo.ZoneInfo(tz)
    if start is not None:
        try:
            ts = pd.Timestamp(start)
        except (ValueError, TypeError):
            raise ParameterError(f"start={start!r} is not a time; expected ISO 8601 text with Z, e.g. "
                                 "\"2026-03-04T06:00:00Z\"") from None
        if ts.tzinfo is None:
            raise ParameterError(f"start={start!r} has no time zone; expected a UTC time such as \"2026-03-04T06:00:00Z\"")
        return ts.tz_convert("UTC").as_unit("ns")
    base = pd.Timestamp("2024-01-08", tz="UTC")
    for _ in range(200):
        day = int(rng.integers(0, 1000))
        hour = int(rng.integers(0, 24))
        local = (base + pd.Timedelta(days=day)).tz_convert(None).normalize() + pd.Timedelta(hours=hour)
        try:
            ts = local.tz_localize(zone, nonexistent="raise", ambiguous="raise")
        except Exception:  # noqa: BLE001 - a DST gap or repeat: draw again
            continue
        end = ts + pd.Timedelta(seconds=n)
        if ts.utcoffset() == end.tz_convert(zone).utcoffset():
            return ts.tz_convert("UTC").as_unit("ns")
    raise AnalysisError(f"could not find a start time without a daylight-saving change in {tz}")  # pragma: no cover


# --------------------------------------------------------------------------- main entry


def make_incident(
    *,
    cause: str,
    seed,
    duration="8h",
    n_signals: int | None = None,
    events_per_hour: float | None = None,
    distractors: bool = True,
    style: str = "random",
    start=None,
) -> Incident:
    """Simulate an incident with a known root cause and export it like a real plant would.

    Parameters
    ----------
    cause : {"ot_fault", "setpoint_change", "it_change", "it_saturation"}
        The root-cause family (see :data:`CAUSES`). Which loop, fault, host or metric is hit,
        magnitudes, lags and timing are drawn from ``seed``.
    seed : int or numpy.random.Generator
        Everything random comes from here: same seed and parameters, identical files.
    duration : str or pandas.Timedelta, default "8h"
        Length of the data window [2 h to 48 h].
    n_signals : int, optional
        Total number of signals (OT tags + IT metrics), 24 to 120. Default: drawn from 25-35.
    events_per_hour : float, optional
        Event rows per hour over all event exports [1/h]. Default: drawn from 250-500. When the
        incident itself produces more rows than asked (alarms, logons...), those are all kept.
    distractors : bool, default True
        Add 3-6 unrelated changes within about 30 min of the root onset (other units' tags
        stepping or drifting, setpoint changes elsewhere, change records on unrelated hosts,
        IT metric jumps). Routine activity (setpoint trims, backups, logons, nuisance alarms)
        is always there.
    style : str, default "random"
        Export style, one of :data:`STYLES`, or ``"random"`` to draw one from the seed. The
        choice is in ``Incident.settings["style"]``.
    start : str or pandas.Timestamp, optional
        UTC start of the data window. Default: a random full local hour in 2024-2026 whose
        window contains no daylight-saving change.

    Returns
    -------
    Incident
        Exports, manifest, README, truth and the clean signals.

    Raises
    ------
    ParameterError
        For an unknown cause or style, or a value out of range.

    Examples
    --------
    >>> from rca.datasets import make_incident
    >>> inc = make_incident(cause="it_change", seed=7, duration="4h", n_signals=26)
    >>> inc.truth.root_cause_type
    'event'
    >>> inc.truth.onset < inc.truth.symptom_onset < inc.truth.noticed
    True
    >>> inc.truth.chain[0] == inc.truth.root_cause and inc.truth.chain[-1] == inc.truth.symptom
    True
    >>> [s["name"] for s in inc.manifest["source"]][:2]
    ['historian', 'alarms_events']
    """
    _check_choice("cause", cause, CAUSES)
    if style != "random":
        _check_choice("style", style, STYLES + ("random",))
    n = _resolve_duration(duration)
    if n_signals is not None:
        _check_int("n_signals", n_signals, _MIN_SIGNALS, _MAX_SIGNALS)
    if events_per_hour is not None:
        if isinstance(events_per_hour, bool) or not isinstance(events_per_hour, (int, float, np.integer, np.floating)) \
                or not 10 <= events_per_hour <= 20000:
            raise ParameterError(f"events_per_hour={events_per_hour!r} is out of range; expected a number from 10 to 20000")
    if not isinstance(distractors, (bool, np.bool_)):
        raise ParameterError(f"distractors={distractors!r} is not supported; expected True or False")
    if isinstance(seed, np.random.Generator):
        base = seed
    elif isinstance(seed, (int, np.integer)) and not isinstance(seed, bool) and seed >= 0:
        base = np.random.default_rng(int(seed))
    else:
        raise ParameterError(f"seed={seed!r} is not supported; expected a non-negative int or a numpy.random.Generator")
    r_choice, r_plant, r_noise, r_plan, r_events, r_export = base.spawn(6)

    style = str(r_choice.choice(STYLES)) if style == "random" else style
    sty = _exports.STYLES[style]
    tz = str(r_choice.choice(sty["zones"]))
    n_signals = int(r_choice.integers(25, 36)) if n_signals is None else int(n_signals)
    eph = float(r_choice.uniform(250, 500)) if events_per_hour is None else float(events_per_hour)
    t0 = _resolve_start(start, r_choice, tz, n)
    hours_local = _local_hours(t0, n, tz)

    plant = _plant.build_plant(r_plant, n_signals)
    sim = _plant.Simulator(plant, r_noise, n, hours_local)
    planner = _plant.Planner(plant, r_plan, n, hours_local)
    onset = int(r_plan.uniform(0.40, 0.62) * n)
    root = planner.root(cause, onset)
    dis = planner.distractors(onset, int(r_plan.integers(3, 7)), root) if distractors else []
    routine = planner.routine(onset, (onset, onset + 5400))
    others = routine + dis

    cf, cf_aux = sim.run(others)
    qname = plant.names["quality"]
    qsig = plant.signals[qname]
    mp = plant.main
    hi = float(np.round(cf[qname].max() + max(0.5 * mp["A"], 4 * qsig.noise), 1))
    hihi = float(np.round(hi + 1.5 * mp["A"], 1))
    qsig.alarm = ("HI", hi, 0.2, 2, hihi)
    for attempt in range(8):
        fa, aux = sim.run(others + [root])
        above = np.flatnonzero(fa[qname][onset:] > hi + 0.2)
        if len(above) and onset + above[0] < n - 3000 and fa[qname][onset:].max() > hi + 0.5 * mp["A"]:
            t_alarm = onset + int(above[0])
            break
        root = _stronger(root, plant)
    else:  # pragma: no cover - the magnitudes are designed to reach the symptom
        raise AnalysisError(f"cause={cause!r}, seed={seed!r}: the root cause did not reach the symptom in time; "
                            "try another seed or a longer duration")

    chain = _chain(plant, root)
    chain_on = _chain_onsets(plant, chain, root, fa, cf, onset)
    noticed = int(math.floor((t_alarm + r_plan.uniform(60, 900)) / 60.0) * 60)
    noticed = max(noticed, t_alarm + 1)
    aux["stale"] = _plant._stale_age(aux["lost"])

    # events
    ae_dups, it_dups = 6, 4
    target = max(0, int(round(eph * n / 3600.0)) - ae_dups - it_dups)
    perts = others + [root]
    log = _plant.make_events(plant, r_events, fa, aux, perts, root, n, onset, noticed, target, hours_local)
    events = pd.DataFrame(log.rows)
    for col in ("number", "old", "new", "tag"):
        if col not in events:
            events[col] = np.nan
    events = events.sort_values(["t", "stream", "source"], kind="stable").reset_index(drop=True)

    # offsets: one DCS clock for historian and A&E
    off = float(np.round(_plant._loguniform(r_choice, 20, 240) * (1 if r_choice.random() < 0.5 else -1), 3))
    names = _source_names(style)
    root_names = set(chain) | {root.name}
    protect = (onset - 600, noticed + 300)
    exports, info = {}, {}
    hist, hinfo = _exports.historian_frame(plant, fa, aux, r_export, n, style, t0, off, tz, protect, root_names)
    exports[sty["hist"]["file"]] = hist
    ae, ainfo = _exports.ae_frame(events, t0, off, tz, style, r_export, n_dups=ae_dups)
    exports[sty["ae"]["file"]] = ae
    reboots = [(q.name, q.t, q.t + int(q.duration)) for q in perts if q.kind == "patch"]
    itm, minfo = _exports.it_metric_frame(plant, fa, r_export, n, style, t0, reboots=reboots)
    exports[sty["itm"]["file"]] = itm
    ite, einfo = _exports.it_event_frames(events, t0, style, r_export, n_dups=it_dups)
    exports.update(ite)
    info = {"historian": hinfo, "alarms_events": ainfo, "it_metrics": minfo, "it_events": einfo}

    ts = lambda s: t0 + pd.Timedelta(seconds=float(s))  # noqa: E731
    clock_offsets = {names["hist"]: pd.Timedelta(seconds=off), names["ae"]: pd.Timedelta(seconds=off),
                     names["itm"]: pd.Timedelta(0)}
    for fname in ite:
        clock_offsets[names["ite"] if fname == "it_events.csv" else names["chg"]] = pd.Timedelta(0)
    truth = IncidentTruth(
        cause=cause, mechanism=_MECHANISMS[root.kind], root_cause=root.name, root_cause_type=root.name_type,
        root_cause_domain=root.domain, onset=ts(root.t), symptom=qname, symptom_onset=ts(chain_on[-1]),
        noticed=ts(noticed), chain=tuple(chain), chain_onsets=tuple(ts(x) for x in chain_on),
        clock_offsets=clock_offsets, distractors=_distractor_names(dis, routine, onset, chain),
        aliases=tuple(_aliases(plant, root)),
    )
    settings = {"cause": cause, "seed": seed if isinstance(seed, (int, np.integer)) else "Generator",
                "style": style, "timezone": tz, "duration": _duration_text(pd.Timedelta(seconds=n)),
                "start": _iso(t0), "n_signals": len(plant.signals), "events_per_hour": eph,
                "event_rows": int(sum(len(exports[f]) for f in exports if _is_event_file(f, style))),
                "remote_loop": plant.remote, "quality_alarm": {"HI": hi, "HIHI": hihi},
                "root_magnitude": float(root.mag), "root_shape": root.shape,
                "root_ramp_s": float(root.duration), "exports": info}
    title = _title(plant, t0, tz)
    manifest = _manifest(plant, style, names, tz, title, truth, exports, t0)
    true_signals = _frame(fa, t0)
    cf_frame = _frame(cf, t0)
    true_events = _true_events(events, t0, style)
    inc_tmp = dict(title=title, timezone=tz, exports=exports, manifest=manifest, truth=truth,
                   true_signals=true_signals, counterfactual_signals=cf_frame, true_events=true_events,
                   settings=settings)
    readme = _readme(plant, inc_tmp, events, fa, t_alarm, style, names)
    return Incident(readme=readme, **inc_tmp)


# --------------------------------------------------------------------------- pieces


_MECHANISMS = {
    "sp_step": "operator setpoint change",
    "pump_wear": "feed pump wear (loss of pump head)",
    "utility_loss": "steam supply pressure loss",
    "cooling_loss": "cooling water supply failure",
    "it_change": "change record degrading the OPC gateway path",
    "cpu_ramp": "runaway process saturating the gateway CPU",
    "mem_ramp": "memory leak exhausting the gateway memory",
    "link_ramp": "uplink saturation on the gateway path",
}


def _local_hours(t0, n, tz):
    """Local hour of day (float) for every second of the window."""
    off = t0.tz_convert(tz).utcoffset().total_seconds()  # no DST change inside the window
    t = t0.value / 1e9 + off + np.arange(n)
    return (t % 86400.0) / 3600.0


def _stronger(root, plant):
    """The same root cause, harder (used when it did not reach the symptom)."""
    k = root.kind
    if k in ("sp_step", "cooling_loss"):
        root.mag *= 1.35
    elif k == "pump_wear":
        root.mag = min(0.85, root.mag + 0.06)
    elif k == "utility_loss":
        root.mag = min(0.92, root.mag + 0.05)
    elif k == "it_change":
        root.mag *= 1.5
        root.extra["loss"] = min(40.0, root.extra["loss"] * 1.3)
        root.extra["duty"] = min(1.0, root.extra["duty"] + 0.1)
    else:  # saturation ramps: faster
        root.duration = max(120.0, root.duration * 0.6)
        root.mag = min(99.9, root.mag + 0.1)
    return root


def _chain(plant, root):
    nm = plant.names
    remote_pv = nm["flow_pv"] if plant.remote == "flow" else nm["press_pv"]
    lat = plant.hosts[plant.gateway]["metrics"]["opc_latency_ms"]
    k = root.kind
    if k == "sp_step":
        loop = root.target
        mid = [nm[f"{loop}_pv"]] + ([nm["prod_t"]] if loop == "temp" else [])
        return [root.name] + mid + [nm["quality"]]
    if k == "pump_wear":
        return [root.name, nm["flow_pv"], nm["quality"]]
    if k == "utility_loss":
        return [root.name, nm["temp_pv"], nm["prod_t"], nm["quality"]]
    if k == "cooling_loss":
        return [root.name, nm["prod_t"], nm["quality"]]
    return [root.name, lat, remote_pv, nm["quality"]]


def _chain_onsets(plant, chain, root, fa, cf, onset):
    out = [onset]
    for name in chain[1:]:
        s = plant.signals[name]
        thr = max(s.noise, 1.5 * 10.0 ** (-s.decimals))
        d = np.abs(fa[name][onset:] - cf[name][onset:])
        i = np.flatnonzero(d > thr)
        out.append(onset + int(i[0]) if len(i) else None)
    # an element that never visibly responds inherits its predecessor's onset
    for j in range(1, len(out)):
        if out[j] is None:
            out[j] = out[j - 1]
    return out


def _distractor_names(dis, routine, onset, chain):
    """Deliberate distractors, then routine changes that happen to start within 30 min of the
    onset (a setpoint trim elsewhere, a backup's disk IO, a batch job's CPU)."""
    names = [d.name for d in dis]
    for q in routine:
        if abs(q.t - onset) > 1800:
            continue
        if q.kind in ("sp_step", "meas_change", "metric_change"):
            names.append(q.name)
        elif q.kind in ("backup", "batch"):
            names.append(q.target)
    out = []
    for name in names:
        if name not in chain and name not in out:
            out.append(name)
    return tuple(out)


def _aliases(plant, root):
    if root.name_type == "signal" and root.domain == "OT":
        return [plant.signals[root.name].block]
    return []


def _source_names(style):
    return {"hist": "historian", "ae": "alarms_events", "itm": "it_metrics", "ite": "it_events", "chg": "it_changes"}


def _is_event_file(fname, style):
    sty = _exports.STYLES[style]
    return fname in (sty["ae"]["file"], "it_events.csv", "changes.csv")


def _frame(arrays, t0):
    n = len(next(iter(arrays.values())))
    idx = pd.DatetimeIndex(t0 + pd.to_timedelta(np.arange(n), unit="s"), name="time").as_unit("ns")
    return pd.DataFrame({k: np.asarray(v, dtype="float64") for k, v in arrays.items()}, index=idx)


def _true_events(events, t0, style):
    sty = _exports.STYLES[style]
    origin = np.where(events["stream"] == "ae", sty["ae"]["file"],
                      np.where((events["stream"] == "chg") & sty["ite"]["split"], "changes.csv", "it_events.csv"))
    t = (t0 + pd.to_timedelta(events["t"].to_numpy(), unit="s")).as_unit("ns")
    end = pd.to_timedelta(events["end"].to_numpy(), unit="s")
    end = (t0 + end).as_unit("ns")
    return pd.DataFrame({
        "time": t, "end": end, "source": events["source"].astype(str).to_numpy(),
        "kind": events["kind"].astype(str).to_numpy(), "message": events["message"].astype(str).to_numpy(),
        "severity": events["severity"].astype(str).to_numpy(), "domain": events["domain"].astype(str).to_numpy(),
        "origin": origin, "state": events["state"].astype(str).to_numpy(), "role": events["role"].astype(str).to_numpy(),
    })


def _title(plant, t0, tz):
    kind = plant.names["quality_kind"]
    what = {"moisture": "moisture excursion", "scrap": "scrap spike", "residual": "residual solvent excursion"}[kind]
    return f"{plant.area} {what} on {t0.tz_convert(tz).strftime('%Y-%m-%d')}"


def _manifest(plant, style, names, tz, title, truth, exports, t0):
    sty = _exports.STYLES[style]
    h, a, m, e = sty["hist"], sty["ae"], sty["itm"], sty["ite"]
    qdesc = plant.signals[truth.symptom].description
    desc = (f"{qdesc} ({truth.symptom}) went out of specification; noticed by the shift at "
            f"{truth.noticed.tz_convert(tz).strftime('%H:%M')} local time.")
    ot_units = {s.name: s.unit for s in plant.signals.values() if s.domain == "OT" and s.unit}
    it_units = {s.name: s.unit for s in plant.signals.values() if s.domain == "IT" and s.unit}
    hist = {"name": names["hist"], "domain": "OT", "kind": "signals", "path": h["file"], "layout": "long",
            "timezone": tz}
    if h["time_format"]:
        hist["time_format"] = h["time_format"]
    hist["delimiter"] = h["delimiter"]
    hist["decimal"] = h["decimal"]
    hist["columns"] = dict(h["columns"])
    hist["good_quality"] = [h["quality"]["good"]]
    hist["clock_offset"] = "auto"
    hist["units"] = ot_units
    ae = {"name": names["ae"], "domain": "OT", "kind": "events", "path": a["file"], "timezone": tz}
    if a["time_format"]:
        ae["time_format"] = a["time_format"]
    ae["delimiter"] = a["delimiter"]
    ae["columns"] = {k: a["columns"][k] for k in ("time", "source", "kind", "message", "severity", "state")}
    ae["active_states"] = ["ACT"]
    ae["return_states"] = ["RTN"]
    ae["clock_offset"] = "auto"
    itm = {"name": names["itm"], "domain": "IT", "kind": "signals", "path": m["file"], "layout": m["layout"],
           "timezone": "UTC"}
    if m["time"] == "epoch_ms":
        itm["time_unit"] = "ms"
    if m["layout"] == "wide":
        itm["columns"] = {"time": m["time_col"]}
    else:
        itm["columns"] = {"time": m["time_col"], "tag": ["host", "metric"], "value": "value"}
    itm["clock_offset"] = "0s"
    itm["units"] = it_units
    sources = [hist, ae, itm]
    ite = {"name": names["ite"], "domain": "IT", "kind": "events", "path": "it_events.csv", "timezone": "UTC",
           "columns": {"time": "timestamp", "end": "end", "source": "host", "kind": "type", "message": "message",
                       "severity": "severity"},
           "clock_offset": "0s"}
    sources.append(ite)
    if e["split"]:
        sources.append({"name": names["chg"], "domain": "IT", "kind": "events", "path": "changes.csv",
                        "timezone": "UTC", "time_format": e["chg_time_format"],
                        "columns": {"time": "work_start", "end": "work_end", "source": "cmdb_ci", "kind": "type",
                                    "message": "short_description"},
                        "clock_offset": "0s"})
    return {"title": title, "timezone": tz, "description": desc,
            "incident": {"start": _iso(truth.noticed), "symptom": truth.symptom, "lookback": "auto",
                         "lookahead": "auto"},
            "alignment": {"grid": "auto", "max_gap": "auto"},
            "source": sources}


def _readme(plant, inc, events, fa, t_alarm, style, names) -> str:
    truth, tz = inc["truth"], inc["timezone"]
    sty = _exports.STYLES[style]
    loc = lambda t: t.tz_convert(tz)  # noqa: E731
    off = truth.clock_offsets[names["hist"]]
    q = plant.signals[truth.symptom]
    qdesc = q.description.split(" (")[0].lower()
    t0 = pd.Timestamp(inc["settings"]["start"])
    alarm_true = t0 + pd.Timedelta(seconds=t_alarm)
    alarm_hmi = loc(alarm_true + off)
    resp = events[(events["role"] == "response")]
    who = str(resp["user"].iloc[0]) if len(resp) else "the operator"
    ticket = events[events["role"] == "ticket"]
    tk_no = str(ticket["number"].iloc[0]) if len(ticket) else "an incident ticket"
    tk_time = loc(t0 + pd.Timedelta(seconds=float(ticket["t"].iloc[0]))) if len(ticket) else None
    base = float(np.median(fa[truth.symptom][: max(1, int((truth.onset - t0).total_seconds()))]))
    peak = float(np.max(fa[truth.symptom]))
    hi = inc["settings"]["quality_alarm"]["HI"]
    win_lo = truth.noticed - pd.Timedelta(hours=4)
    near = events[(events["t"] >= (win_lo - t0).total_seconds()) & (events["t"] <= (truth.noticed - t0).total_seconds())]
    n_sp = int((near["kind"] == "OPERATOR").sum())
    n_chg = int((near["kind"] == "change").sum())
    n_alerts = int(((near["kind"] == "alert") & near["message"].str.startswith("PROBLEM")).sum())
    n_alarms = int(((near["stream"] == "ae") & (near["state"] == "ACT")).sum())
    lines = [
        f"# {inc['title']}",
        "",
        "*Generated incident (`rca.datasets.make_incident`): the plant, people and systems are fictitious; the "
        "data behave like real exports. Rebuild with `rca.datasets.write_sample_data()`.*",
        "",
        "## What was noticed",
        "",
        f"On {loc(truth.noticed).strftime('%A %d %B %Y')}, at about {loc(truth.noticed).strftime('%H:%M')} local time "
        f"({tz}), the {plant.area} shift noticed that the {qdesc} ({truth.symptom}) was out of specification: "
        f"normally about {base:.1f} %, it reached {peak:.1f} %. The HMI shows the {truth.symptom} HI alarm "
        f"(limit {hi:.1f} %) at {alarm_hmi.strftime('%H:%M:%S')} (DCS clock). Operator {who} requested a lab "
        "sample to confirm the analyser reading and informed the shift leader.",
    ]
    if tk_time is not None:
        lines += ["", f"Production opened {tk_no} with the IT service desk at {tk_time.strftime('%H:%M')} asking IT and "
                      "OT to look for the cause together."]
    lines += [
        "",
        "## What the teams know",
        "",
        f"- Operations: in the four hours before the ticket the journal holds {n_alarms} alarm activations (many of "
        f"them known nuisance alarms) and {n_sp} operator action(s); the operators say they only made their usual "
        "adjustments.",
        f"- IT: {n_chg} change record(s) were implemented in the same four hours, none of them planned on the line "
        f"itself; monitoring raised {n_alerts} alerts. The line's OPC gateway ({plant.gateway}) carries data between "
        "the line PLCs and the DCS.",
        "- Clocks: IT systems run on UTC via NTP. The DCS (historian and alarm journal) is not time-synchronised; "
        "its clock is known to be off by up to a few minutes. HMI logons are recorded both in the DCS journal and in "
        "the Windows security log.",
        "",
        "## The data",
        "",
        "| file | source | what | time |",
        "|---|---|---|---|",
    ]
    for src in inc["manifest"]["source"]:
        rows = len(inc["exports"][src["path"]])
        what = {"historian": "OT historian export (exception reporting)", "alarms_events": "OT alarm & event journal",
                "it_metrics": "IT metrics from monitoring", "it_events": "IT logs, monitoring alerts, tickets",
                "it_changes": "IT change records"}[src["name"]]
        tm = src.get("time_format") or ("epoch ms" if src.get("time_unit") == "ms" else "ISO 8601")
        lines.append(f"| `{src['path']}` | {src['name']} | {what}, {rows} rows | {tm}, {src['timezone']} |")
    lines += [
        "",
        f"Export style `{style}`: {sty['description']}",
        "",
        "`investigation.toml` describes every file for `rca.open_investigation`.",
        "",
        "## Answer key (generated data)",
        "",
        "Do not read this before you have done the analysis.",
        "",
        f"- Cause: `{truth.cause}` ({truth.mechanism}).",
        f"- Root cause: `{truth.root_cause}` ({truth.root_cause_type}, {truth.root_cause_domain}), onset "
        f"{_iso(truth.onset)} ({loc(truth.onset).strftime('%H:%M:%S')} local).",
        "- Causal chain (first response, UTC): " + " -> ".join(
            f"`{c}` ({_iso(t)[11:19]})" for c, t in zip(truth.chain, truth.chain_onsets)) + ".",
        f"- Symptom first responded at {_iso(truth.symptom_onset)}; noticed at {_iso(truth.noticed)}.",
        f"- DCS clock (historian and alarm journal): {_duration_text(abs(off))} "
        f"{'ahead of' if off >= pd.Timedelta(0) else 'behind'} true time (clock_offset = {_duration_text(off)}).",
        "- Distractors (unrelated changes near the onset): "
        + (", ".join(f"`{d}`" for d in truth.distractors) if truth.distractors else "none") + ".",
        "",
        "`truth.json` holds the same in machine-readable form.",
        "",
    ]
    return "\n".join(lines)


def _file_bytes(frame: pd.DataFrame, name: str, delimiter: str) -> bytes:
    text = frame.to_csv(sep=delimiter, index=False, lineterminator="\n")
    data = text.encode("utf-8")
    if name.endswith(".gz"):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return data


def write_incident(incident: Incident, folder) -> Path:
    """Write an incident folder: the exports, ``investigation.toml``, ``README.md``, ``truth.json``.

    Parameters
    ----------
    incident : Incident
        From :func:`make_incident`.
    folder : str or pathlib.Path
        Target folder; created if missing. Files of the same names are overwritten.

    Returns
    -------
    pathlib.Path
        The manifest path (``folder / "investigation.toml"``).

    Examples
    --------
    >>> import tempfile
    >>> from rca.datasets import make_incident, write_incident
    >>> inc = make_incident(cause="ot_fault", seed=3, duration="3h", n_signals=25)
    >>> path = write_incident(inc, tempfile.mkdtemp())
    >>> path.name
    'investigation.toml'
    """
    import tomli_w

    if not isinstance(incident, Incident):
        raise ParameterError(f"incident={type(incident).__name__}: expected an Incident from make_incident()")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    delim = {s["path"]: s.get("delimiter", ",") for s in incident.manifest["source"]}
    for name, frame in incident.exports.items():
        (folder / name).write_bytes(_file_bytes(frame, name, delim.get(name, ",")))
    path = folder / "investigation.toml"
    path.write_bytes(tomli_w.dumps(incident.manifest).encode("utf-8"))
    (folder / "README.md").write_text(incident.readme, encoding="utf-8", newline="\n")
    (folder / "truth.json").write_text(json.dumps(incident.truth.to_dict(), indent=2) + "\n", encoding="utf-8",
                                       newline="\n")
    return path


def read_truth(path) -> IncidentTruth:
    """Read ``truth.json`` (or the ``truth.json`` inside an incident folder).

    Examples
    --------
    >>> import tempfile
    >>> from rca.datasets import make_incident, read_truth
    >>> inc = make_incident(cause="setpoint_change", seed=1, duration="3h", n_signals=25)
    >>> read_truth(inc.write(tempfile.mkdtemp()).parent) == inc.truth
    True
    """
    path = Path(path)
    if path.is_dir():
        path = path / "truth.json"
    if not path.is_file():
        raise ParameterError(f"path={str(path)!r}: no such truth file; expected a truth.json written by write_incident")
    return IncidentTruth.from_dict(json.loads(path.read_text(encoding="utf-8")))


SAMPLE_INCIDENTS = {
    "line3_scrap_spike": {"cause": "it_change", "seed": 25, "style": "eu_semicolon"},
    "dry1_moisture_excursion": {"cause": "setpoint_change", "seed": 207, "style": "us_pi"},
    "rx1_scrap_spike": {"cause": "ot_fault", "seed": 3, "style": "iso_opc"},
    "c14_solvent_excursion": {"cause": "it_saturation", "seed": 2, "style": "eu_semicolon"},
}
"""The bundled ``sample_data`` folders: ``{folder: make_incident keyword arguments}``."""


def write_sample_data(root="sample_data", *, names=None) -> list:
    """(Re)build the bundled sample incident folders, deterministically.

    Parameters
    ----------
    root : str or pathlib.Path, default "sample_data"
        Folder that receives one sub-folder per entry of :data:`SAMPLE_INCIDENTS`.
    names : list of str, optional
        Only these sample folders (default: all).

    Returns
    -------
    list of pathlib.Path
        The manifest paths written.

    Examples
    --------
    >>> import tempfile
    >>> from rca.datasets import write_sample_data
    >>> paths = write_sample_data(tempfile.mkdtemp(), names=["line3_scrap_spike"])
    >>> [p.parent.name for p in paths]
    ['line3_scrap_spike']
    """
    names = list(SAMPLE_INCIDENTS) if names is None else list(names)
    for name in names:
        if name not in SAMPLE_INCIDENTS:
            raise ParameterError(f"names: {name!r} is not a sample incident; expected one of "
                                 f"{', '.join(map(repr, SAMPLE_INCIDENTS))}")
    root = Path(root)
    out = []
    for name in names:
        inc = make_incident(**SAMPLE_INCIDENTS[name])
        out.append(write_incident(inc, root / name))
    return out
