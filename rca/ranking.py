"""Ranking root-cause candidates across OT and IT, with the evidence for each.

The method, in words (details in ``docs/ranking.md``):

1. **What went wrong, and when.** The symptom's onset is the start of its strongest change
   before the incident was noticed. Without a named symptom, the signals that changed most
   around the incident start stand in for it, each dated by that change (and events just
   before it are weighed as for the chain, step 4). Changes are those of :func:`rca.detect_changes`
   (steps of level and noise, and ramps, which are under way from their start to their end),
   plus bursts near the incident start too short for it to see (:func:`_bursts`).
2. **What leads to it.** Changes are linked backwards from the symptom into a graph: a
   change of signal X can explain a later change of signal Y when it comes first (within
   ``max_lag``) and something ties the two signals together:

   * they fluctuate together, X leading, once the steps themselves are removed
     (pre-whitened lagged correlation of the *de-stepped* signals: two unrelated steps
     that happen to follow each other do not correlate, a real path carries noise too);
   * they belong to the same device (``FIC101.SP`` and ``FIC101.PV``; ``gw-01.cpu`` and
     ``gw-01.latency``);
   * or, more weakly, Y follows X within a short time.

   A candidate's *link* to the symptom is the strength of its best path, where a path is as
   strong as its weakest hop.
3. **What came first.** Among linked signals the earliest onset is the most likely origin;
   the score combines the link, how early the change came and how clear it was.
4. **What happened just before.** Events in the minutes before the earliest change of the
   chain are weighed by how unusual they are for their source (a login every few minutes is
   not news; a change record is) and by what they are: actions (changes, configuration,
   patches, deployments, operator actions) count fully, monitoring alerts and alarms are
   reports of a problem rather than causes, routine events (logins, backups, scheduled
   tasks) count little. Events after the symptom are consequences and are never candidates.

Everything is deterministic: the same data give the same ranking.
"""

from __future__ import annotations

import functools
import math
import re
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from rca.errors import AnalysisError, ParameterError, RcaWarning
from rca.manifest import match_signal_kinds, signal_kinds_error
from rca.timestamps import parse_duration, parse_instant

__all__ = ["rank_candidates", "propagation_edges", "EVENT_CLASSES", "classify_event", "CANDIDATE_COLUMNS"]

CANDIDATE_COLUMNS = ["rank", "name", "type", "domain", "score", "onset", "evidence"]

#: Vocabulary used to tell what an event *is* (matched, case-insensitively, as whole words
#: against the event's kind, then its message). Order matters: the first class that matches
#: wins, so a firewall "deny ... by policy" line is routine and an "antivirus definitions
#: updated" line is routine, not an action.
#: Override with ``rank_candidates(..., event_classes=...)``.
EVENT_CLASSES = {
    "consequence": (
        "incident", "ticket", "inc", "resolved", "recovery", "recovered", "problem", "alert", "alarm",
        "trap", "threshold", "exceeded", "timeout", "unreachable", "down", "degraded", "commfail",
        "comm fail", "communication failure", "hi", "hihi", "lo", "lolo", "high", "low", "trip",
        "ack", "acknowledged", "rtn", "nr", "dev", "deviation", "alm", "roc", "bad", "warning", "warn",
        "fail", "failed", "failure", "fault", "error", "err", "critical", "crit",
    ),
    "routine": (
        "login", "logon", "logged", "logout", "logoff", "auth", "authentication", "kerberos",
        "session", "backup", "snapshot", "scheduled", "task", "cron", "job", "ntp", "dhcp", "gpo",
        "heartbeat", "keepalive", "audit", "antivirus", "av", "definitions", "scan", "link", "deny",
        "permit", "info", "comment", "comments", "note", "notes", "remark",
        # Windows' Service Control Manager records every start and stop of every service (System
        # log, event 7036); the service's name ("Windows Update") says nothing of an action.
        "entered the running state", "entered the stopped state",
    ),
    "action": (
        "change", "chg", "rfc", "cr", "config", "configuration", "configured", "deploy", "deployment",
        "release", "rollout", "patch", "patched", "update", "updated", "upgrade", "upgraded", "install",
        "installed", "firmware", "migration", "maintenance", "restart", "restarted", "reboot",
        "rebooted", "policy", "rule", "operator", "setpoint", "sp", "manual", "mode", "push",
        "rollback", "modified", "changed", "set",
    ),
}


@dataclass(frozen=True)
class _Change:
    signal: str
    time: pd.Timestamp  # onset: detected time; a ramp's when it left its level (_ramp_departures)
    lo: pd.Timestamp
    hi: pd.Timestamp
    strength: float
    delta_sigma: float
    kind: str
    detected: pd.Timestamp  # first sample of the new segment, as detect_changes reported it
    end: pd.Timestamp  # until when the signal kept moving (a ramp's end; = time for a step)
    quiet: bool = False  # no noise on either side: a command, a setpoint
    before: float = float("nan")  # level before and after the change [signal units]
    after: float = float("nan")

    @property
    def creep(self) -> bool:
        """A ramp that moved its signal by less than :data:`SLOPED_RISE_SIGMA` noise sd over
        its whole length (``|delta_sigma|``). Over a long stretch even a slope far too small
        to matter is significant, so such a ramp can be a strong change; but it moved
        nothing, and it is no departure (see :func:`_symptom_onset`)."""
        return self.kind == "ramp" and abs(self.delta_sigma) < SLOPED_RISE_SIGMA


def classify_event(kind: str, message: str = "", *, classes=None) -> str:
    """The class of an event: ``"action"``, ``"consequence"``, ``"routine"`` or ``"other"``.

    The kind is looked at first; the message only when the kind says nothing.

    Examples
    --------
    >>> classify_event("change", "CHG0042 Firewall policy update")
    'action'
    >>> classify_event("logon", "User jdoe logged on")
    'routine'
    >>> classify_event("alert", "PROBLEM: latency > 1000 ms")
    'consequence'
    >>> classify_event("7036", "The Windows Update service entered the running state.")
    'routine'
    """
    classes = EVENT_CLASSES if classes is None else classes
    for text in (kind, message):
        words = set(re.findall(r"[a-z]+", str(text).lower()))
        if not words:
            continue
        for name, vocab in classes.items():
            for term in vocab:
                if (" " in term and term in str(text).lower()) or term in words:
                    return name
    return "other"


# ---------------------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------------------


def _resolve(data, events, signal_info, incident_start, symptom, window, changes):
    from rca.investigation import Investigation

    if isinstance(data, Investigation):
        inv = data
        signals = inv.signals
        events = inv.events if events is None else events
        signal_info = inv.signal_info if signal_info is None else signal_info
        incident_start = inv.incident.start if incident_start is None else incident_start
        symptom = inv.incident.symptom if symptom is None else symptom
        lo, hi = inv.resolve_window("incident" if window is None else window)
        if changes is None:
            changes = inv.changes((lo, hi))
        timezone = inv.timezone
    elif isinstance(data, pd.DataFrame):
        signals = data
        if not isinstance(signals.index, pd.DatetimeIndex) or signals.index.tz is None:
            raise ParameterError("data: expected an Investigation or a wide DataFrame on a tz-aware DatetimeIndex")
        if incident_start is None:
            raise ParameterError("incident_start: required when data is a DataFrame (when the symptom was noticed)")
        incident_start = parse_instant(incident_start, name="incident_start")
        if window is None or window == "incident":
            lo, hi = incident_start - pd.Timedelta("4h"), incident_start + pd.Timedelta("30min")
        else:
            try:
                lo, hi = (parse_instant(w, name="window") for w in window)
            except (TypeError, ValueError):
                raise ParameterError(f"window: expected 'incident' or a (start, end) pair, got {window!r}") from None
        timezone = "UTC"
    else:
        raise ParameterError(
            f"data: expected an Investigation (rca.open_investigation) or a wide DataFrame of signals, "
            f"got {type(data).__name__}"
        )
    if hi <= lo:
        raise ParameterError(f"window: end {hi} is not after start {lo}")
    frame = signals.loc[lo:hi]
    frame = frame.loc[:, frame.notna().sum() >= 3]
    if frame.empty or frame.shape[1] == 0:
        raise AnalysisError(
            f"no signal has data between {lo} and {hi} (UTC); widen the window or check the incident start"
        )
    if changes is None:
        from rca.changepoints import INVESTIGATION_LONG_RUN, detect_changes

        changes = detect_changes(frame, long_run=INVESTIGATION_LONG_RUN)
    if symptom is not None and symptom not in signals.columns:
        close = [c for c in signals.columns if str(symptom).lower() in str(c).lower()][:3]
        raise ParameterError(
            f"symptom: {symptom!r} is not a signal" + (f"; did you mean {close}?" if close else "")
        )
    if events is None:
        events = pd.DataFrame(columns=["time", "end", "source", "kind", "message", "severity", "domain", "origin"])
    return frame, events, signal_info, incident_start, symptom, (lo, hi), changes, timezone


def _declared_kinds(names, signal_info, kinds) -> dict:
    """Signal -> declared kind: the ``kind`` column of ``signal_info``, then ``kinds``
    (:func:`rca.manifest.match_signal_kinds`)."""
    out = {}
    if signal_info is not None and "kind" in signal_info.columns:
        out = {str(k): str(v) for k, v in signal_info["kind"].items() if isinstance(v, str) and v}
    if kinds is None:
        return out
    problem = signal_kinds_error(kinds, "kinds")
    if problem:
        raise ParameterError(problem)
    matched, unmatched = match_signal_kinds(kinds, {str(n): (str(n),) for n in names})
    out.update(matched)
    if unmatched:
        warnings.warn(f"kinds: {unmatched} match no signal with data in the window", RcaWarning, stacklevel=3)
    return out


def _domain_of(name, signal_info):
    if signal_info is not None and name in signal_info.index and "domain" in signal_info.columns:
        return str(signal_info.loc[name, "domain"])
    return ""


# ---------------------------------------------------------------------------------------
# Building blocks
# ---------------------------------------------------------------------------------------


#: An instrument tag as the last part of a hierarchical name: TT-101, FIC101, AT102A, ZT_422.
_TAG_PART = re.compile(r"^[A-Za-z]{1,5}[-_ ]?\d+[A-Za-z]?$")


def _device(name: str, devices: dict | None = None) -> str:
    """The device part of a tag or metric name: ``HB3.FIC454.SP`` -> ``HB3.FIC454``,
    ``gw-01.cpu_pct`` -> ``gw-01``, ``Area/Unit/TT101/PV`` -> ``Area/Unit/TT101``, and
    ``Area/Unit/TT-101`` -> itself (a last part that is an instrument tag is not an attribute),
    ``PetSite.latency_p90`` -> ``PetSite``.

    ``devices`` (signal -> device, from ``signal_info["device"]``) wins where it names one:
    a long export whose tag is built from a host and a metric column knows that
    ``gw03/vm.memory.utilization`` belongs to ``gw03``, which the name alone cannot tell
    (its metric has dots of its own)."""
    if devices:
        known = devices.get(name)
        if known:
            return str(known)
    name = str(name)
    for sep in (".", "/", ":"):
        if sep in name:
            head, tail = name.rsplit(sep, 1)
            # The last part is an attribute or a metric (PV, SP, OUT, cpu_pct, latency_p90),
            # unless it is an instrument tag of its own (function letters and a loop number,
            # ISA-5.1 style: Area/Unit/TT-101): then the name is the device.
            return name if _TAG_PART.match(tail) else head
    return name


#: Attributes of a tag in historian names (``TIC131.SP``, ``TIC_131_SP``, ``TT131/PV``).
_ATTRIBUTES = r"(?:PV|SP|OUT|OP|MV|CV|SV|VAL|MEAS|CMD|POS|MODE|SW)"
_ATTRIBUTE = re.compile(rf"^{_ATTRIBUTES}$", re.IGNORECASE)
#: An ISA-5.1 instrument tag (function letters, a loop number of at least three digits, an
#: optional suffix letter, optionally an attribute after an underscore): FIC-101, TT122,
#: TIC_150_SP. The first letter is the measured variable; the number identifies the loop.
#: Stricter than :data:`_TAG_PART` (three digits, not one), because the two err differently:
#: a name wrongly taken for a tag there only becomes its own device, while two names wrongly
#: taken for one loop here (hosts ``HIST01`` and ``HMI01``) get the 10 nats of a shared device.
_ISA_TAG = re.compile(rf"^(?P<letters>(?P<var>[A-Za-z])[A-Za-z]{{0,4}})[-_ ]?(?P<num>\d{{3,}})[A-Za-z]?(?:_{_ATTRIBUTES})?$",
                      re.IGNORECASE)
#: A KKS measuring (C) or closed-loop control (D) circuit: system code, circuit letter, the
#: measured variable and the circuit number, optionally an attribute: 2PAB20CT131 and
#: 2PAB20DT131_SW are the measurement and the control of one temperature loop.
_KKS_TAG = re.compile(rf"^(?P<sys>\d?[A-Z]{{3}}\d{{2}})[CD](?P<var>[A-Z])(?P<num>\d{{3}})[A-Z]?(?:_{_ATTRIBUTES})?$")


@functools.lru_cache(maxsize=65536)
def _tag(name: str) -> tuple | None:
    """The instrument tag in a name, parsed: ``("kks" | "isa", match, unit parts)``, or None.
    The tag is the last part of the name, or the part before an attribute (PV, SP, OUT): a
    host name followed by a metric (``HIST01/cpu_usage``, ``gw-01.cpu_pct``) is not a tag."""
    parts = re.split(r"[./:]", str(name))
    i = len(parts) - 1
    if i > 0 and _ATTRIBUTE.match(parts[i]):
        i -= 1
    m = _KKS_TAG.match(parts[i])
    if m:
        return "kks", m, parts[:i]
    m = _ISA_TAG.match(parts[i])
    if m:
        return "isa", m, parts[:i]
    return None


@functools.lru_cache(maxsize=65536)
def _loop(name: str) -> tuple | None:
    """The control loop a tag belongs to by its name, or None: the unit path before the
    instrument tag, the measured variable (the tag's first letter) and the loop number.

    ISA-5.1 (``Plant/Unit/TIC-131.SP``, ``L2.HTST3.TT131.PV``, ``TIC_150_SP``) and KKS
    measuring and control circuits (``2PAB20CT131``, ``2PAB20DT131_SW``). The tag is the last
    part of the name, or the part before an attribute (``PV``, ``SP``, ``OUT``, ...), and its
    number has three digits or more, so unit names (``HTST3``) and hosts followed by a metric
    (``hist01/cpu``) are not loops. A controller's setpoint, its transmitter and its valve
    (``TIC-131``, ``TT-131``, ``TV-131``) share a loop; ``TT-131`` and ``FT-131`` do not
    (another variable), nor ``TT-131`` in two units. A name that merely looks like a tag
    (``Pump101`` beside ``PT101``) is taken for one."""
    tag = _tag(name)
    if tag is None:
        return None
    kind, m, unit = tag
    if kind == "kks":
        return ("/".join(unit) + "/" + m["sys"], m["var"], m["num"])
    return ("/".join(unit), m["var"].upper(), m["num"])


#: Attributes that name a setpoint, and those that name the measured value (or none at all).
_SETPOINT_ATTRIBUTES = frozenset({"SP", "SV", "SW"})
_MEASURED_ATTRIBUTES = frozenset({"PV", "MEAS", "VAL", ""})
_ATTRIBUTE_SUFFIX = re.compile(rf"_({_ATTRIBUTES})$", re.IGNORECASE)


def _attribute(name: str) -> str:
    """The attribute a historian name ends with (``TIC131.SP`` -> ``"SP"``, ``TIC_150_SP`` ->
    ``"SP"``, ``2PAB20DT131_SW`` -> ``"SW"``), upper case; ``""`` for a bare tag (``TT-131``)."""
    parts = re.split(r"[./:]", str(name))
    if len(parts) > 1 and _ATTRIBUTE.match(parts[-1]):
        return parts[-1].upper()
    m = _ATTRIBUTE_SUFFIX.search(parts[-1])
    return m.group(1).upper() if m else ""


def _follows_setpoint(x: str, y: str, x_delta: float, y_delta: float) -> bool | None:
    """Whether the move of ``y`` is what ``x`` moving would cause, when ``x`` is the setpoint
    of the loop that ``y`` measures; None when that rule does not apply (other pairs, or a
    size that is not known).

    A controller drives its measurement towards its setpoint: after a setpoint step of
    ``x_delta`` the measurement moves the same way, by about as much (a well-tuned loop
    overshoots by well under 100 %). A measurement that moved the other way, or by more than
    :data:`SETPOINT_RESPONSE_RATIO` times the step, moved for another reason: a trim of
    +0.2 degC does not explain a temperature that fell by 3 degC."""
    if _attribute(x) not in _SETPOINT_ATTRIBUTES or _attribute(y) not in _MEASURED_ATTRIBUTES:
        return None
    loop = _loop(x)
    if loop is None or loop != _loop(y):
        return None
    if not (np.isfinite(x_delta) and np.isfinite(y_delta)) or x_delta == 0:
        return None
    return bool(x_delta * y_delta > 0 and abs(y_delta) <= SETPOINT_RESPONSE_RATIO * abs(x_delta))


#: ISA-5.1 modifier letters (second letter of a tag) that make another measured variable:
#: differential (PDT), ratio (FFIC), rate of change (TKT), integral or total (FQI).
_ISA_MODIFIERS = frozenset("DFKQ")


def _measured_variable(name: str) -> str | None:
    """The measured variable of an instrument tag, with its modifier: ``TIC_131_SP`` and
    ``TT131`` -> ``"T"``, ``PDT125`` -> ``"PD"``, ``FFIC-201.SP`` -> ``"FF"`` (flow ratio, not
    flow), KKS ``2PAB20DT131_SW`` -> ``"T"``; None for a name that is not a tag (the tag
    :func:`_loop` reads)."""
    tag = _tag(name)
    if tag is None:
        return None
    kind, m, _ = tag
    if kind == "kks":
        return m["var"]
    letters = m["letters"].upper()
    return letters[:2] if len(letters) > 2 and letters[1] in _ISA_MODIFIERS else letters[0]


def _setpoint_move_in_noise(x: str, x_moved: float, destepped: pd.DataFrame) -> tuple[float, str] | None:
    """How far setpoint ``x`` moved (``x_moved``, signal units) in units of the normal
    variability of the measurement its loop controls (the sd of that measurement with its
    steps removed), and that measurement; None when ``x`` is not a setpoint or its loop's
    measurement is not among the signals.

    A setpoint is constant between its steps, so the detector's strength of a step says
    nothing of its size: a trim of +0.2 degC is as "strong" as a step of +4 degC. What a step
    can do to the process is the move it asks of its measurement, compared with how much that
    measurement varies anyway."""
    if _attribute(x) not in _SETPOINT_ATTRIBUTES or not np.isfinite(x_moved):
        return None
    loop, var = _loop(x), _measured_variable(x)
    if loop is None:
        return None
    for y in destepped.columns:
        if (y != x and _loop(y) == loop and _attribute(y) in _MEASURED_ATTRIBUTES
                and _measured_variable(y) == var):
            sd = float(np.nanstd(destepped[y].to_numpy(dtype=float)))
            if np.isfinite(sd) and sd > 0:
                return abs(x_moved) / sd, y
    return None


#: A statistic of a metric at the end of its name: CloudWatch's ``latency_Average``,
#: ``latency_p99`` and ``requests_Sum``, an exporter's ``cpu_max``, a historian aggregate
#: ``TT101.PV_avg``. A percentile is a lower-case ``p`` and two or three digits (``p50``,
#: ``p99.9``), so an instrument tag (``PUMP_P101``) is not read as one.
_STATISTIC = re.compile(
    r"^(?P<base>.+?)[_.](?:(?i:avg|average|mean|median|min|minimum|max|maximum|sum|count|samplecount|std|stddev)"
    r"|p\d{2,3}(?:\.\d+)?)$"
)
#: Words of a service-level indicator in a metric's name: how slow a service is and how often
#: it fails, as its users see it. Not its resources (CPU, memory, sessions), and not the load
#: put on it (requests, throughput): a surge of requests can be why a service is slow.
SERVICE_INDICATOR_WORDS = frozenset({
    "latency", "availability", "error", "errors", "duration", "response", "apdex", "success",
})


def _measurement(name: str) -> str:
    """What a signal is a statistic of: ``PetSite.latency_p99`` and ``PetSite.latency_Average``
    are both ``PetSite.latency``; a name without a statistic is its own measurement.

    >>> _measurement("PetSite.latency_p99"), _measurement("gw03/cpu_max"), _measurement("PUMP_P101")
    ('PetSite.latency', 'gw03/cpu', 'PUMP_P101')
    """
    m = _STATISTIC.match(str(name))
    return m.group("base") if m else str(name)


def _metric_words(name: str, devices: dict | None = None) -> set:
    """The words of a signal's name after its device (``gw-01.opc_latency_ms`` -> latency, ms, opc)."""
    name = str(name)
    dev = _device(name, devices)
    metric = name[len(dev):] if name.startswith(dev) else name
    return set(re.findall(r"[a-z]+", metric.lower()))


def _service_indicator(name: str, devices: dict | None = None) -> bool:
    """Whether a metric is a service-level indicator of its device (``PetSite.latency_p90``,
    ``api-01.error_rate``), as opposed to a resource (``cpu``, ``mem``) or a process value."""
    return bool(_metric_words(name, devices) & SERVICE_INDICATOR_WORDS)


#: Words of a signal that says how a service or a link performs: how slow it is and how often
#: it fails (the service-level indicators above), how much is waiting (queues, backlogs), how
#: much is lost (packet loss, drops), how much it serves (requests, throughput: the demand put
#: on it by its callers). Such a signal responds to what is behind it: a saturated resource, a
#: changed configuration, a load, a failing dependency.
RESPONSE_WORDS = SERVICE_INDICATOR_WORDS | frozenset({
    "queue", "backlog", "loss", "drop", "drops", "dropped", "discards",
    "requests", "request", "throughput", "rps", "qps",
})


def _is_response(name: str, devices: dict | None = None) -> bool:
    """Whether a signal measures how a service or a link performs (a latency, an error rate, a
    queue, a packet loss; :data:`RESPONSE_WORDS`) rather than what a resource holds or uses,
    a process value or a command."""
    return bool(_metric_words(name, devices) & RESPONSE_WORDS)


def _restates(x: str, symptoms, devices: dict | None = None) -> tuple[str, str] | None:
    """(symptom, how) when signal ``x`` is a named symptom seen another way: another statistic
    of the same measurement (its p99 beside its average), or, for a symptom that is a
    service-level indicator, another indicator of the same service (its availability beside its
    latency). Its resources (CPU, memory, sessions) are not: a saturated CPU can be why a
    service is slow."""
    for s in symptoms:
        if x == s:
            continue
        if _measurement(x) == _measurement(s):
            return s, "another statistic of the symptom"
        if (_device(x, devices) == _device(s, devices) and _service_indicator(s, devices)
                and _service_indicator(x, devices)):
            return s, "another service-level indicator of the symptom's service"
    return None


_OUTPUT_ATTRIBUTES = frozenset({"OUT", "OP", "MV", "CV"})


def _is_controller_output(name: str) -> bool:
    """Whether a name is a controller's output (``FIC542.OUT``, ``TIC_150_OUT``,
    ``Unit/PIC801/OP``). An attribute glued on with an underscore counts only on an
    instrument tag, so IT metrics such as ``disk.read_op`` are not outputs."""
    return _tag_attribute_in(name, _OUTPUT_ATTRIBUTES)


def _tag_attribute_in(name: str, attributes: frozenset) -> bool:
    """Whether a name ends with one of ``attributes`` as an instrument's attribute: a
    separate last part (``FIC542.OUT``, ``Unit/PIC801/SP``), or one glued on with an
    underscore to an instrument tag (``TIC_150_OUT``, ``2PAB20DT131_SW``), not to an IT
    metric (``disk.read_op``, ``core/port_sw``)."""
    if _attribute(name) not in attributes:
        return False
    parts = re.split(r"[./:]", str(name))
    separate = len(parts) > 1 and _ATTRIBUTE.match(parts[-1]) is not None
    return separate or _loop(name) is not None


def _is_setpoint(name: str) -> bool:
    """Whether a name is a controller's setpoint (``TIC131.SP``, ``TIC_150_SP``,
    ``2PAB20DT131_SW``, ``Unit/PIC801/SP``). As for outputs (:func:`_is_controller_output`),
    an attribute glued on with an underscore counts only on an instrument tag, so an IT
    metric such as ``core/port_sw`` is not a setpoint.

    >>> _is_setpoint("L2.HTST3.TIC131.SP"), _is_setpoint("2PAB20DT131_SW"), _is_setpoint("core/port_sw")
    (True, True, False)
    """
    return _tag_attribute_in(name, _SETPOINT_ATTRIBUTES)


#: Samples before a setpoint's change over which it must hold still to count as set by hand
#: (:func:`_setpoint_written_by_controller`).
SETPOINT_STILL_SAMPLES = 10


def _setpoint_written_by_controller(x: str, values: np.ndarray, k: int) -> bool:
    """Whether setpoint ``x`` was already moving in the :data:`SETPOINT_STILL_SAMPLES`
    samples before its change at sample ``k`` (``values``: the signal on the grid).

    A setpoint set by hand holds still between its steps. One that moves all the time is
    written by a master controller (the slave of a cascade: ``TIC-122.SP`` driven by
    ``TIC-131``) or by a program, and its change is that controller's answer to a
    disturbance, as a controller's output is. The ranking asks this of the first change of
    a setpoint's run, so a trim corrected a minute later by hand is still a command. False
    for other signals and where fewer than three samples are known.

    >>> _setpoint_written_by_controller("TIC-122.SP", np.array([70.0] * 10 + [72.0] * 5), 10)
    False
    >>> _setpoint_written_by_controller("TIC-122.SP", np.array([70.0, 70.2, 69.9, 70.1] * 3 + [72.0]), 12)
    True
    """
    if not _is_setpoint(x):
        return False
    before = values[max(k - SETPOINT_STILL_SAMPLES, 0):k]
    before = before[np.isfinite(before)]
    return bool(before.size >= 3 and np.ptp(before) > 0)


def _run_delta(seq, t0: pd.Timestamp, t1: pd.Timestamp) -> float:
    """How far a signal's level moved over its changes from ``t0`` to ``t1`` (inclusive): the
    level after the last level change minus the level before the first [signal units]."""
    level = [c for c in seq if t0 <= c.time <= t1 and c.kind in LEVEL_KINDS]
    if not level:
        return float("nan")
    return float(level[-1].after - level[0].before)


def _same_device(x: str, y: str, devices: dict | None = None) -> bool:
    """Whether two signals belong to one device (:func:`_device`) or, by their tags, to one
    control loop (:func:`_loop`)."""
    if _device(x, devices) == _device(y, devices):
        return True
    if devices and (devices.get(x) or devices.get(y)):
        return False  # the export names the device of at least one: that answer stands
    loop = _loop(x)
    return loop is not None and loop == _loop(y)


def _destep(frame: pd.DataFrame, changes: pd.DataFrame) -> pd.DataFrame:
    """Each signal minus the mean of its segments between detected changes, with the
    samples around each change (its onset interval and a few samples either side) set
    missing. What remains are the fluctuations *between* changes: two unrelated steps that
    happen to follow each other leave nothing to correlate, a real path between two signals
    still carries their common fluctuations."""
    out = frame.copy()
    idx = frame.index
    step = idx[1] - idx[0] if len(idx) > 1 else pd.Timedelta("1s")
    grouped = dict(tuple(changes.groupby("signal"))) if len(changes) else {}
    t_ns = idx.as_unit("ns").asi8
    for col in frame.columns:
        x = frame[col].to_numpy(dtype=float)
        y = x.copy()
        g = grouped.get(col)
        cuts = []
        if g is not None:
            cuts = np.searchsorted(t_ns, g["time"].dt.as_unit("ns").astype("int64").to_numpy())
        bounds = np.unique(np.r_[0, np.asarray(cuts, dtype=int), len(x)])
        for a, b in zip(bounds[:-1], bounds[1:]):
            seg = x[a:b]
            ok = np.isfinite(seg)
            if ok.any():
                y[a:b] = seg - seg[ok].mean()
        # A segment that is constant (a setpoint between steps) leaves only rounding residue.
        y[np.abs(y) <= 1e-9 * (np.abs(x) + 1.0)] = 0.0
        if g is not None:
            lo = np.searchsorted(t_ns, (g["time_lo"] - 3 * step).dt.as_unit("ns").astype("int64").to_numpy())
            hi = np.searchsorted(t_ns, (g["time_hi"] + 3 * step).dt.as_unit("ns").astype("int64").to_numpy(), "right")
            for a, b in zip(lo, hi):
                y[a:b] = np.nan
        out[col] = y
    return out


class _Profiles:
    """Lag profiles of the de-stepped signals against a target, computed on demand and cached."""

    def __init__(self, destepped: pd.DataFrame, max_lag: pd.Timedelta):
        self.d = destepped
        self.max_lag = max_lag
        self.cache: dict = {}
        self.usable = {c for c in destepped.columns if destepped[c].notna().sum() >= 20
                       and np.nanstd(destepped[c].to_numpy(dtype=float)) > 0}

    def prefetch(self, xs, y: str) -> None:
        """Compute the lag profiles of several signals against one target in one call (the
        target is pre-whitened once; each signal's profile is the same as computed alone)."""
        todo = [x for x in dict.fromkeys(xs) if (x, y) not in self.cache and x in self.usable and x != y]
        if len(todo) < 2 or y not in self.usable:
            return
        from rca.relate import correlation_by_lag

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                table = correlation_by_lag(self.d[todo], self.d[y], max_lag=self.max_lag)
            except AnalysisError as exc:
                if str(exc).startswith("target "):  # the target itself is unusable: every pair fails alike
                    self.cache.update({(x, y): None for x in todo})
                return  # otherwise leave it to the pairwise path
            except Exception:
                return
        arrays = _profile_arrays(table)
        for x in todo:
            self.cache[(x, y)] = arrays.get(x)

    def p_value(self, x: str, y: str, lag_lo: pd.Timedelta, lag_hi: pd.Timedelta) -> tuple[float, float]:
        """(p, r): the most significant correlation of x leading y over the lags consistent
        with the two changes, corrected (Sidak) for the number of lags looked at."""
        if x not in self.usable or y not in self.usable:
            return 1.0, np.nan
        key = (x, y)
        if key not in self.cache:
            from rca.relate import correlation_by_lag

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    prof = correlation_by_lag(self.d[[x]], self.d[y], max_lag=self.max_lag)
                except Exception:  # a degenerate pair must not stop the ranking
                    prof = None
            self.cache[key] = _profile_arrays(prof).get(x)
        arrays = self.cache[key]
        if arrays is None:
            return 1.0, np.nan
        lag_ns, p_lag, r_lag = arrays
        sel = np.flatnonzero((lag_ns >= max(lag_lo, pd.Timedelta(0)).value) & (lag_ns <= lag_hi.value)
                             & np.isfinite(p_lag))
        if sel.size == 0:
            return 1.0, np.nan
        best = sel[np.argmin(p_lag[sel])]  # the first of equal minima, as idxmin
        k = sel.size
        p = 1.0 - (1.0 - float(p_lag[best])) ** k
        return max(p, 1e-300), float(r_lag[best])


def _profile_arrays(table) -> dict:
    """Per signal of a :func:`rca.correlation_by_lag` table (rows ordered by signal, then
    lag): its (lag [ns], p-value, r) arrays, in one pass over the table."""
    if table is None or table.empty:
        return {}
    sig = table["signal"].to_numpy(dtype=object)
    lag_ns = pd.to_timedelta(table["lag"]).to_numpy("timedelta64[ns]").astype(np.int64)
    p_lag = table["p_value"].to_numpy(dtype=float)
    r_lag = table["r"].to_numpy(dtype=float)
    starts = np.r_[0, np.flatnonzero(sig[1:] != sig[:-1]) + 1]
    ends = np.r_[starts[1:], len(sig)]
    return {sig[a]: (lag_ns[a:b], p_lag[a:b], r_lag[a:b]) for a, b in zip(starts, ends)}


#: Scales of the scoring (see docs/ranking.md): evidence in nats per unit of hop weight,
#: change strength per unit of size, extra weight of the earliest change of a chain.
HOP_SCALE = 6.0
SIZE_SCALE = 20.0
#: A setpoint's size is ``1 - exp(-move / SETPOINT_SIZE_SCALE)``, with its move measured in
#: sd of its loop's measurement (see :func:`_setpoint_move_in_noise`).
SETPOINT_SIZE_SCALE = 10.0
EARLY_BONUS = 1.0
#: A member of the chain is firmly linked when every hop of its path carries at least
#: ``HOP_SCALE x ln 2`` (4.2) nats of evidence: link >= FIRM_LINK. The chain's span, against
#: which how early a change came is measured, starts at its first firmly linked change.
FIRM_LINK = 0.5
DEVICE_NATS = 10.0
#: A measurement that moved by more than this many times its loop's setpoint step was moved by
#: something else (see :func:`_follows_setpoint`).
SETPOINT_RESPONSE_RATIO = 3.0
CORR_NATS_CAP = 20.0
#: Weakest co-fluctuation (|r|) whose sign is taken as the direction in which a change of the
#: source moves the target (see :func:`_against_coupling`).
DIRECTION_MIN_R = 0.2
#: Fewest candidate parents for which their median co-fluctuation evidence is the baseline.
CALIBRATION_MIN_PARENTS = 5


def _hop_weight(nats: float) -> float:
    """A hop's weight in [0, 1) from its evidence in nats: ``1 - exp(-nats / HOP_SCALE)``."""
    return 1.0 - math.exp(-nats / HOP_SCALE)


def _first_firm_change(onsets: dict, link: dict) -> tuple | None:
    """(time, signal) of the chain's first firmly linked change (link >= :data:`FIRM_LINK`;
    of any member where none is), or None for a chain without members.

    >>> at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")
    >>> _first_firm_change({"weak": at("08:00"), "pump": at("08:58")}, {"weak": 0.2, "pump": 0.7})[1]
    'pump'
    """
    firm = [(t, x) for x, t in onsets.items() if link[x] >= FIRM_LINK] or [(t, x) for x, t in onsets.items()]
    return min(firm) if firm else None


def _chain_span(onsets: dict, link: dict, sym_time: pd.Timestamp, step: pd.Timedelta) -> float:
    """The span of the chain [s], against which how early a member's change came is measured:
    from its first firmly linked change (link >= :data:`FIRM_LINK`; any member where none is)
    to the symptom's onset, at least one sample.

    A change attached by a weak hop an hour early (by timing alone, or through a disturbance
    that moves everything) would stretch the span so far that the minutes by which the origin
    led its consequences counted for nothing; a weak member before the start earns no more
    than the full span's worth of earliness.

    >>> at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")
    >>> onsets = {"weak": at("08:00"), "pump": at("08:58"), "flow": at("08:59")}
    >>> _chain_span(onsets, {"weak": 0.2, "pump": 0.7, "flow": 0.8}, at("09:00"), pd.Timedelta("10s"))
    120.0
    """
    first = _first_firm_change(onsets, link)
    return max((sym_time - (sym_time if first is None else first[0])).total_seconds(), step.total_seconds())


def _chance_rate(strengths: np.ndarray, strength: float, span_s: float) -> float:
    """How often, per second, a change at least as strong as ``strength`` happens among the
    changes of the window (``strengths``, sorted): the rate at which one lands shortly before
    a given change by coincidence. A 100-sigma jump of one of the few strong changes of the
    day is far less likely a coincidence than one of the many small wiggles; and counting the
    changes of every signal makes up for having looked at all of them (one of many candidates
    is bound to be close by chance).

    The ranking passes the changes *of the same kind* (see :func:`_strengths_by_kind`)."""
    n_ge = strengths.size - int(np.searchsorted(strengths, strength, "left"))
    return max(n_ge, 1) / span_s


def _rarity_kind(kind: str) -> str:
    """The kind of change a change's rarity is judged among: its own, except a burst
    (:func:`_bursts`), a level change on the scale of a ``mean`` one."""
    return "mean" if kind == "burst" else kind


def _strengths_by_kind(runs: dict) -> dict:
    """The strengths of all the changes of the window, sorted, per kind of change (``mean``,
    ``ramp``, ``ramp end``, ``variance``, ...).

    A change's strength is the square root of its cost gain in noise units, and each kind is
    fitted with its own cost (a constant level, a line, a variance), so strengths of different
    kinds are on different scales: a ramp's grows with its length, a change of variance's with
    the ratio of the variances. How rare a change is is therefore judged among the changes of
    its own kind (the chance rate of :func:`_chance_rate`; a burst among the ``mean`` changes,
    :func:`_rarity_kind`)."""
    by_kind: dict = {}
    for seq in runs.values():
        for c in seq:
            by_kind.setdefault(_rarity_kind(c.kind), []).append(c.strength)
    return {k: np.sort(np.asarray(v, dtype=float)) for k, v in by_kind.items()}


def _against_coupling(r: float, x_delta: float, y_delta: float) -> bool:
    """Whether two changes went against the way their signals fluctuate together.

    Signals that co-fluctuate with correlation ``r`` pass a disturbance of the source on
    with that sign: a step of the source moves the target the same way when ``r > 0`` and
    the other way when ``r < 0``. A target that moved the other way (``r * x_delta * y_delta
    < 0``) was moved by something else; the coupling is real, but it is no evidence that
    *this* change of the source explains *that* change of the target (a flow on a shared
    header stepped up just before the symptom fell). Only a clear coupling
    (``|r| >=`` :data:`DIRECTION_MIN_R`) states a direction, and both moves must be known.

    Examples
    --------
    >>> _against_coupling(0.5, +2.0, -1.0)
    True
    >>> _against_coupling(-0.5, +2.0, -1.0)  # an inverse coupling: y falls when x rises
    False
    >>> _against_coupling(0.05, +2.0, -1.0)  # too weak to state a direction
    False
    """
    if not (np.isfinite(r) and np.isfinite(x_delta) and np.isfinite(y_delta)):
        return False
    return bool(abs(r) >= DIRECTION_MIN_R and r * x_delta * y_delta < 0)


def _hop_evidence(x, y, last, lag, y_lo, y_hi, rate_chance, step, profiles, devices=None,
                  x_delta=float("nan"), y_delta=float("nan"), t_y=None) -> dict:
    """Evidence, in nats, that the change of ``x`` (ending its run with ``last``) explains the
    change of ``y`` that began at ``t_y``, ``lag`` after x's run ended.

    ``rate_chance`` is how often, per second, a change of the same kind and at least as strong
    as x's happens somewhere among the signals of the window (see :func:`_chance_rate`);
    ``x_delta`` and ``y_delta`` are how far each moved over its run [signal units] (for
    :func:`_follows_setpoint`)."""
    # Timing: how unlikely it is that a change this strong falls this shortly before y by
    # chance. The window reaches back over a ramp that was under way when y began (it could
    # have set y off at any time), but not over what the ramp did after y began.
    under_way = last.end - last.time
    if t_y is not None:
        under_way = min(last.end, t_y) - last.time
    under_way = max(under_way, pd.Timedelta(0))
    window_s = max(lag.total_seconds(), 0.0) + step.total_seconds() + under_way.total_seconds()
    timing = -math.log(min(1.0, rate_chance * window_s))
    # Co-fluctuation of the de-stepped signals at lags consistent with both onsets.
    lag_lo = y_lo - last.hi - step
    lag_hi = y_hi - last.lo + step
    p, r = profiles.p_value(x, y, lag_lo, lag_hi)
    corr = min(-math.log(p), CORR_NATS_CAP)
    # Co-fluctuation is evidence of a path only when the two changes went the way the path
    # carries a change.
    against = _against_coupling(r, x_delta, y_delta)
    if against:
        corr = 0.0
    same = _same_device(x, y, devices)
    follows = _follows_setpoint(x, y, x_delta, y_delta) if same else None
    # A setpoint and its own measurement share a loop, but the loop explains only a move of
    # the measurement that the setpoint's step could have caused.
    device = DEVICE_NATS if (same and follows is not False and lag <= pd.Timedelta("5min")) else 0.0
    return {"timing": timing, "corr": corr, "r": r, "device": device, "total": timing + corr + device,
            "setpoint_mismatch": follows is False, "against_coupling": against}


#: Kinds of change on the level track of detect_changes (a variance change has its own track).
LEVEL_KINDS = ("mean", "mean+variance", "ramp", "ramp end", "burst")
#: A stretch after a level change is sloped when the level at its end differs from the level
#: at its start by more than this many short-term noise sd.
SLOPED_RISE_SIGMA = 3.0


def _under_way_until(changes: pd.DataFrame) -> pd.Series:
    """Per change: until when the signal kept moving after it.

    A ramp is under way until its ``end``. So is any level change after which the signal
    went on rising or falling: ``detect_changes`` fits such a stretch with a line (its
    ``after`` is the fitted value at the change, the next change's ``before`` the value at
    the next change), and a stretch that rose by more than :data:`SLOPED_RISE_SIGMA` noise sd
    was still moving until the next change (a filling memory with garbage-collection drops
    is detected as a ramp, then drops on a rising slope). Otherwise the change's own time.
    """
    until = pd.Series(changes["time"].to_numpy(), index=changes.index)
    if "end" in changes.columns:
        ramp = (changes["kind"] == "ramp") & changes["end"].notna()
        until[ramp] = changes.loc[ramp, "end"]
    needed = {"before", "after", "sigma_after"}
    if not needed <= set(changes.columns):
        return until
    level = changes[changes["kind"].isin(LEVEL_KINDS)].sort_values("time")
    for _, g in level.groupby("signal", sort=False):
        rows = list(g.itertuples())
        for j in range(len(rows) - 1):
            cur, nxt = rows[j], rows[j + 1]
            if cur.kind == "ramp":
                continue
            rise = float(nxt.before) - float(cur.after)
            if not (np.isfinite(rise) and abs(rise) > SLOPED_RISE_SIGMA * float(cur.sigma_after)):
                continue
            # Still moving in the same direction: the step itself went that way (a jump, then
            # the signal kept climbing), or the stretch before it did (a drop interrupting a
            # filling memory). A step followed by a slow return or an unrelated drift is over.
            step_dir = float(cur.after) - float(cur.before)
            prev_rise = float(cur.before) - float(rows[j - 1].after) if j > 0 else 0.0
            if (np.isfinite(step_dir) and step_dir * rise > 0) or (
                    np.isfinite(prev_rise) and prev_rise * rise > 0
                    and abs(prev_rise) > SLOPED_RISE_SIGMA * float(cur.sigma_after)):
                until[cur.Index] = nxt.time
    return until


def _runs(changes: pd.DataFrame, onsets: pd.Series, quiet: pd.Series) -> dict:
    by = {}
    ordered = changes.assign(onset_=onsets, quiet_=quiet, until_=_under_way_until(changes)).sort_values("onset_")
    for s, g in ordered.groupby("signal", sort=False):
        by[s] = [
            _Change(s, r.onset_, min(r.time_lo, r.onset_), r.time_hi, float(r.strength), float(r.delta_sigma),
                    str(r.kind), r.time, max(r.until_, r.onset_), bool(r.quiet_),
                    float(getattr(r, "before", np.nan)), float(getattr(r, "after", np.nan)))
            for r in g.itertuples()
        ]
    return by


COMMAND_BONUS = 1.3
#: Score factor of a change of the chain that was over by the incident start: its signal had
#: come back to within TRANSIENT_RETURN of its move from where it was before (see
#: :func:`_over_by`).
TRANSIENT_FACTOR = 0.5
TRANSIENT_RETURN = 0.3
#: Score factor of a controller output that moved other than by an exact step (see
#: :func:`_is_controller_output`).
CONTROLLER_OUTPUT_FACTOR = 0.5
#: Score factor of a signal of the chain that measures how a service or a link performs
#: (:func:`_is_response`): its change is the response to something behind it.
RESPONSE_FACTOR = 0.5
#: An action's write: the exact step of a signal of its own device or loop (a setpoint, a
#: mode, a command) that follows the action within this long (or in the same sampling
#: interval). Score factor of a signal whose change is the write of an action ranked above
#: it (see :func:`_list_writes_once`).
WRITE_WITHIN = pd.Timedelta("1min")
WRITTEN_FACTOR = 0.01
#: Weight of ``ln(1 + strength)`` of a candidate's change in its score: the strongest of
#: changes that the size factor rates alike (all above about 60 sigma) scores highest. With
#: every change in one sample (a 5-min export of a microservice system) how much each moved
#: is much of what there is to go by. Development sets: 0.05, 0.1, 0.15, 0.2 gave AC@1 / AC@3
#: 223 / 294, 225 / 296, 222 / 296, 215 / 288 (0: 221 / 291); docs/ranking-evaluation.md.
STRENGTH_WEIGHT = 0.1
#: A change of the chain that the signal has made as strongly before (see :func:`_habitual`)
#: scores this factor: where the trouble began is rarely what a signal does every hour. Chosen
#: on the development sets (0.5: AC@1 / AC@3 225 / 296 -> 229 / 303; 0.25: 227 / 299) and
#: checked on the check seeds 10500 (171 / 224 -> 176 / 226); docs/ranking-evaluation.md,
#: "a change the signal made as strongly before".
HABITUAL_FACTOR = 0.5
#: What "before" means for :func:`_habitual`: changes that began at least this long before the
#: run in question (as for the stand-ins, the hour before it is the incident's).
HABITUAL_BEFORE = pd.Timedelta("1h")


#: A candidate's score is ``exp(sum of weight x term)`` over the named terms of its evidence
#: (``attrs["score_terms"]`` of the ranking lists them per candidate; docs/ranking.md,
#: "Weights", describes every term). A signal of the chain: ``link``, ``size`` and
#: ``earliness`` are the logarithms of the factors of the hand-set score (``own_hop``, the
#: logarithm of ``0.5 + 0.5 x`` the weight of the hop that attaches it, weighs 0), ``command``,
#: ``controller_output``, ``transient``, ``response``, ``written`` and ``habitual`` are 1 where
#: they apply, the ``hop_*`` terms, ``strength`` and ``parents`` describe its change and how it
#: attaches. An event source: the terms of the
#: change it is scored against, plus ``trigger`` (the logarithm of lift + probability of being
#: that change's trigger), ``event`` (1) and the ``event_*`` parts of its odds. A non-action
#: event is capped at 0.9 x probability x the change's score. These weights give the hand-set
#: score (the parts that it did not have weigh 0).
#:
#: ``strength`` weighs :data:`STRENGTH_WEIGHT`: the size factor saturates (a 60-sigma and a
#: 400-sigma change are both full size), so beyond it a candidate's score grows as
#: ``(1 + strength) ** STRENGTH_WEIGHT``. A stand-in symptom's score has the same factor.
HAND_SET_WEIGHTS = {
    "link": 1.0,
    # The hop that attaches a member to the chain already bounds its link and scales its
    # earliness; as a factor of its own, (0.5 + 0.5 x own hop), it counted that evidence a
    # third time. Weight 1 until this was measured: 0 left the development sets level
    # (225 / 296), and gained on the check seeds 10500 (166 / 224 -> 171 / 224) and the fresh
    # seeds 11500 (169 / 231 -> 172 / 235); docs/ranking-evaluation.md, the session of `ba07bc0`.
    "own_hop": 0.0,
    "size": 1.0,
    "earliness": 1.0,
    "command": math.log(COMMAND_BONUS),
    "controller_output": math.log(CONTROLLER_OUTPUT_FACTOR),
    "transient": math.log(TRANSIENT_FACTOR),
    "response": math.log(RESPONSE_FACTOR),
    "written": math.log(WRITTEN_FACTOR),
    "trigger": 1.0,
    "event": 0.0,
    "hop_timing": 0.0,
    "hop_cofluctuation": 0.0,
    "hop_device": 0.0,
    "strength": STRENGTH_WEIGHT,
    "parents": 0.0,
    "event_action": 0.0,
    "event_same_device": 0.0,
    "event_other_domain": 0.0,
    "event_chance": 0.0,
    "event_proximity": 0.0,
    "event_of_origin": 0.0,
    "event_count": 0.0,
    "habitual": math.log(HABITUAL_FACTOR),
}
#: Weights estimated on the 361 development incidents by ``benchmarks/fit_ranking_weights.py``
#: (it prints them), starting from and pulled towards :data:`HAND_SET_WEIGHTS`. **Not in
#: force**: fitted on one of the project's two incident generators, such weights never ranked
#: the other generator's incidents better than the hand-set ones (leave one generator out, at
#: every strength of the pull tried), and on the real data (Tennessee Eastman, PetShop)
#: these moved about as many cases down as up: what they learn is the generators, not
#: plants. See docs/ranking.md, "Weights". To try them on your own incidents:
#: ``rca.ranking.SCORE_WEIGHTS.update(rca.ranking.FITTED_WEIGHTS)``.
FITTED_WEIGHTS = {
    "link": 2.531,
    "own_hop": 1.424,
    "size": 1.780,
    "earliness": 2.612,
    "command": -0.192,
    "controller_output": -1.250,
    "transient": -0.693,  # added after the fit: the hand-set value
    "response": -0.693,  # added after the fit: the hand-set value
    "written": -4.605,  # added after the fit: the hand-set value
    "trigger": 3.327,
    "event": -0.725,
    "hop_timing": -0.016,
    "hop_cofluctuation": -0.006,
    "hop_device": 0.279,
    "strength": 0.416,
    "parents": -0.039,
    "event_action": -0.052,
    "event_same_device": 0.787,
    "event_other_domain": 0.000,
    "event_chance": -0.039,
    "event_proximity": 0.781,
    "event_of_origin": 0.310,
    "event_count": 0.084,
    "habitual": -0.693,  # added after the fit: the hand-set value
}
#: The weights in force: the hand-set ones (see :data:`FITTED_WEIGHTS` for why not the
#: estimated ones). A mutable dict, so that a session can change them.
SCORE_WEIGHTS = dict(HAND_SET_WEIGHTS)


def _weighted(terms: dict) -> float:
    return math.exp(sum(SCORE_WEIGHTS[k] * v for k, v in terms.items()))


#: Score factor of a stand-in symptom (no symptom named) that moved after the first stand-in.
STAND_IN_LATER_FACTOR = 0.5
#: A stand-in into which an earlier change of the chain links with hop weight ``w`` scores
#: ``1 - STAND_IN_EXPLAINED x w`` of its score: it more likely followed that change.
STAND_IN_EXPLAINED = 0.5
RUN_GAP_DIVISOR = 1.5


def _over_by(seq: list[_Change], first: _Change | None, moved: float, t: pd.Timestamp) -> bool:
    """Whether a run of changes that began with ``first`` and moved its signal by ``moved``
    [signal units] was over by ``t``: after the last level change up to ``t`` the signal is
    back to within :data:`TRANSIENT_RETURN` x ``moved`` of its level before ``first`` (or
    beyond it). A ramp still under way at ``t`` is not over; neither is a run whose move is not
    known (a change of the noise only) or that came back within itself (it moved by less than
    half its first change).

    A backup's burst of traffic, a blip of a server's CPU, a valve that opened and closed
    again: over before the incident was noticed, such a change is less likely where an
    incident that is still going on began than one that is still there.

    Examples
    --------
    >>> at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")
    >>> up = _Change("x", at("08:00"), at("08:00"), at("08:00"), 9.0, 9.0, "mean", at("08:00"), at("08:00"),
    ...              before=10.0, after=19.0)
    >>> down = _Change("x", at("08:20"), at("08:20"), at("08:20"), 9.0, -8.0, "mean", at("08:20"), at("08:20"),
    ...                before=19.0, after=11.0)
    >>> _over_by([up, down], up, 9.0, at("09:00")), _over_by([up, down], up, 9.0, at("08:10"))
    (True, False)
    """
    if first is None or not (np.isfinite(moved) and np.isfinite(first.before) and np.isfinite(first.after)):
        return False
    if abs(moved) < 0.5 * abs(first.after - first.before) or moved == 0:
        return False  # the run went up and down already (a blip): no move to come back from
    level = [c for c in seq if c.kind in LEVEL_KINDS and c.time <= t]
    if not level or (level[-1].kind == "ramp" and level[-1].end > t):
        return False
    return bool((level[-1].after - first.before) / moved < TRANSIENT_RETURN)


def _exact_step(x: np.ndarray, k: int, samples: int, averaged: bool = True) -> bool:
    """Whether ``x`` is exactly constant for ``samples`` samples before sample ``k`` and from it
    on, at two different levels; or, with ``averaged``, the same with one sample in between at
    ``k`` or just before it, strictly between the two levels: the average over the sampling
    interval in which the step was made (a historian's 1-min means of a setpoint stepped at
    10:40:12).

    >>> _exact_step(np.array([5.0] * 6 + [8.0] * 6), 6, 5), _exact_step(np.array([5.0] * 6 + [6.2] + [8.0] * 6), 6, 5)
    (True, True)
    >>> _exact_step(np.array([5.0] * 6 + [9.0] + [8.0] * 6), 6, 5)  # overshoot: a measurement
    False
    >>> _exact_step(np.array([5.0] * 6 + [6.2] + [8.0] * 6), 6, 5, averaged=False)
    False
    """
    def constant(a):
        a = a[np.isfinite(a)]
        return a if a.size >= 3 and np.ptp(a) == 0 else None

    b, a = constant(x[max(k - samples, 0):k]), constant(x[k:k + samples])
    if b is not None and a is not None:
        return bool(b[-1] != a[0])
    if not averaged:
        return False
    for m in (k, k - 1):  # the averaged sample at the detected change or just before it
        if m < 1 or m >= x.size - 1 or not np.isfinite(x[m]):
            continue
        b, a = constant(x[max(m - samples, 0):m]), constant(x[m + 1:m + 1 + samples])
        if b is not None and a is not None and min(b[-1], a[0]) < x[m] < max(b[-1], a[0]):
            return True
    return False


def _quiet_changes(frame: pd.DataFrame, changes: pd.DataFrame, samples: int = 10) -> pd.Series:
    """Per change: is the signal exactly constant for ``samples`` samples on each side? Then the
    change is an exact step of a command or setpoint, not a measurement. A setpoint's step may
    have one averaged sample in between (:func:`_exact_step`): a setpoint only moves when it
    is written, so a value between its two levels is an interval's average. Any other signal's
    in-between value may be its transit: a drive's speed ramping to its new value within a
    sample, in answer to the step of another loop."""
    out = pd.Series(False, index=changes.index)
    t_ns = frame.index.as_unit("ns").asi8
    for i, row in changes.iterrows():
        if row["signal"] not in frame.columns or row["kind"] == "ramp":
            continue
        k = int(np.searchsorted(t_ns, pd.Timestamp(row["time"]).value))
        out.loc[i] = _exact_step(frame[row["signal"]].to_numpy(dtype=float), k, samples,
                                 averaged=_is_setpoint(str(row["signal"])))
    return out


#: A burst (:func:`_bursts`): at least BURST_MIN_SAMPLES samples in a row, all more than BURST_Z
#: robust sd from the signal's level before, on one side.
BURST_Z = 5.0
BURST_MIN_SAMPLES = 2
#: ... and lasting at least this long: the detector sets short excursions aside because on fast
#: data they are glitches (a transmitter's hiccup, a valve's stroke, a controller's kick, all
#: over within a minute); one that lasts minutes is no glitch, however few samples it spans.
BURST_MIN_DURATION = pd.Timedelta("2min")
#: The spike filter of the change detector (``rca._cpd_engine.remove_spikes``) compares each
#: sample with the median of the 5 around it, so it sets aside excursions of up to 2 samples
#: whatever ``min_size`` is.
SPIKE_FILTER_SPAN = 3


def _bursts(frame: pd.DataFrame, changes: pd.DataFrame, t0: pd.Timestamp, t1: pd.Timestamp,
            min_size: int = 3) -> pd.DataFrame:
    """Departures too short for the change detector, beginning between ``t0`` and ``t1``.

    The detector needs ``min_size`` samples on each side of a change, and sets isolated spikes
    aside before it looks (two samples in a row are still a spike to it). On one-second plant
    data that is a few seconds; on metrics exported every 5 minutes it is a quarter of an hour,
    and an incident that lasted 10 minutes (a dependency stalling, a service's latency shooting
    up for two samples) leaves no change at all: neither in the symptom nor in its cause. A
    burst is a run of at least :data:`BURST_MIN_SAMPLES` and fewer than
    ``max(min_size, SPIKE_FILTER_SPAN)`` samples, each more than :data:`BURST_Z` robust sd
    (1.4826 x the median absolute deviation; the sd where that is zero) from the median of the
    signal's samples in the window before ``t0``, all on one side, lasting at least
    :data:`BURST_MIN_DURATION` (to the first sample after it), not one swing of an oscillation
    (neither neighbouring sample is that far out on the other side), and with no detected
    change of the signal within a sample of it. A signal that was constant before ``t0`` has
    no scale to judge by and is left to the detector.

    Returns rows in the columns of ``changes`` (plus those of :data:`rca.changepoints.CHANGE_COLUMNS`
    it lacks), ``kind`` ``"burst"``: ``time`` (= ``time_lo``
    = ``time_hi``) its first sample, ``before`` the median before, ``after`` the burst's median,
    ``delta_sigma`` their difference in robust sd, ``strength`` ``sqrt(n) x |delta_sigma|``
    (the gain of a level change lasting its ``n`` samples: on the scale of a ``mean`` change).

    >>> t = pd.date_range("2024-01-01", periods=60, freq="5min", tz="UTC")
    >>> rng = np.random.default_rng(0)
    >>> y = 100 + rng.normal(0, 1, 60)
    >>> y[50:52] += 40  # 10 minutes of a latency five times higher than normal variation, then back
    >>> b = _bursts(pd.DataFrame({"lat": y}, index=t), pd.DataFrame(columns=["signal", "time"]), t[45], t[55])
    >>> b[["signal", "time", "kind"]].to_dict("records") == [{"signal": "lat", "time": t[50], "kind": "burst"}]
    True
    """
    from rca.changepoints import CHANGE_COLUMNS

    columns = list(dict.fromkeys(list(changes.columns) + list(CHANGE_COLUMNS)))
    longest = max(int(min_size), SPIKE_FILTER_SPAN) - 1
    if longest < BURST_MIN_SAMPLES or len(frame.index) < 2:
        return pd.DataFrame(columns=columns)
    t_ns = frame.index.as_unit("ns").asi8
    step_ns = int(np.median(np.diff(t_ns)))
    i0 = int(np.searchsorted(t_ns, pd.Timestamp(t0).value, "left"))
    i1 = int(np.searchsorted(t_ns, pd.Timestamp(t1).value, "right"))
    if i0 < 10 or i1 <= i0:
        return pd.DataFrame(columns=columns)
    detected = {}
    if len(changes):
        for s, g in changes.groupby("signal", sort=False):
            detected[s] = pd.DatetimeIndex(g["time"]).as_unit("ns").asi8
    rows = []
    for col in frame.columns:
        y = frame[col].to_numpy(dtype=float)
        base = y[:i0][np.isfinite(y[:i0])]
        if base.size < 10:
            continue
        med = float(np.median(base))
        sd = 1.4826 * float(np.median(np.abs(base - med)))
        if not sd > 0:
            sd = float(np.std(base))
        if not sd > 0:
            continue
        with np.errstate(invalid="ignore"):
            z = (y - med) / sd
        side = np.where(np.isfinite(z), np.sign(z) * (np.abs(z) > BURST_Z), 0.0)  # +1 / -1 beyond, 0 within
        a = i0
        while a < i1:
            if side[a] == 0:
                a += 1
                continue
            b = a
            while b + 1 < side.size and side[b + 1] == side[a]:
                b += 1
            n = b - a + 1
            # Lasting long enough, and not one swing of an oscillation (neither neighbouring
            # sample is beyond the threshold on the other side).
            lasted = (t_ns[b + 1] - t_ns[a]) if b + 1 < len(t_ns) else (t_ns[b] - t_ns[a] + step_ns)
            swing = (a > 0 and side[a - 1] == -side[a]) or (b + 1 < side.size and side[b + 1] == -side[a])
            if BURST_MIN_SAMPLES <= n <= longest and lasted >= BURST_MIN_DURATION.value and not swing:
                near = detected.get(col)
                lo_ns = t_ns[max(a - 1, 0)]
                hi_ns = t_ns[min(b + 1, len(t_ns) - 1)]
                if near is None or not ((near >= lo_ns) & (near <= hi_ns)).any():
                    level = float(np.median(y[a:b + 1]))
                    dz = (level - med) / sd
                    at = frame.index[a]
                    rows.append({"signal": col, "time": at, "kind": "burst", "before": med, "after": level,
                                 "delta": level - med, "delta_sigma": dz, "strength": math.sqrt(n) * abs(dz),
                                 "time_lo": at, "time_hi": at, "sigma_before": sd, "sigma_after": sd,
                                 "across_gap": False, "end": pd.NaT, "slope": np.nan})
            a = b + 1
    out = pd.DataFrame(rows, columns=columns)
    if "end" in out.columns and "end" in changes.columns and len(changes):
        out["end"] = pd.Series(pd.NaT, index=out.index, dtype=changes["end"].dtype)
    return out


#: A ramp has begun once its signal is this many noise sd beyond its level before, in the
#: ramp's direction (the reference value of Page's CUSUM in :func:`_ramp_departures`).
RAMP_DEPARTURE_SD = 1.0


def _ramp_departures(frame: pd.DataFrame, changes: pd.DataFrame) -> pd.Series:
    """When each ramp began to move its signal (other changes: their detected time).

    A straight line fitted to a rise that accelerates (a valve sticking more and more, a
    controller winding up, a memory leak running away) starts before the rise does, and a
    ramp segment can begin at a small, unrelated wiggle well before the climb. Either way the
    ramp would be dated too early, and the earliest change of a chain is what the ranking
    looks for. A ramp from ``before`` towards ``after`` is dated instead at the last time
    before its end that Page's CUSUM of ``sign * (y - before) - k`` was at its minimum, with
    ``k`` = :data:`RAMP_DEPARTURE_SD` noise sd (``sigma_before``): the sum falls while the
    signal stays at its old level and rises once it is more than ``k`` beyond it, in the
    ramp's direction. A straight ramp is dated later by the time it takes to rise by one
    noise sd; a movement against the ramp's direction never dates it. The result is never
    before the detected time.

    >>> t = pd.date_range("2024-01-01", periods=40, freq="min", tz="UTC")
    >>> y = np.r_[np.zeros(20), np.arange(1, 21) ** 2 / 4.0]  # flat, then a rise that accelerates
    >>> frame = pd.DataFrame({"x": y}, index=t)
    >>> changes = pd.DataFrame({"signal": ["x"], "time": [t[10]], "kind": ["ramp"], "end": [t[39]],
    ...                         "before": [0.0], "after": [100.0], "sigma_before": [0.5]})
    >>> _ramp_departures(frame, changes).iloc[0] == t[21]   # the first sample above 0.5
    True
    """
    out = changes["time"].copy()
    ramps = changes.index[(changes["kind"] == "ramp") & changes["signal"].isin(frame.columns)
                          & changes["end"].notna()]
    if len(ramps) == 0:
        return out
    t_ns = frame.index.as_unit("ns").asi8
    for i in ramps:
        row = changes.loc[i]
        before, after, sd = float(row["before"]), float(row["after"]), float(row["sigma_before"])
        if not (np.isfinite(before) and np.isfinite(after) and np.isfinite(sd)):
            continue
        a = int(np.searchsorted(t_ns, pd.Timestamp(row["time"]).value))
        b = int(np.searchsorted(t_ns, pd.Timestamp(row["end"]).value))
        y = frame[row["signal"]].to_numpy(dtype=float)[a:b]
        if np.isfinite(y).sum() < 3:
            continue
        sign = 1.0 if after >= before else -1.0
        gain = np.where(np.isfinite(y), sign * (y - before) - RAMP_DEPARTURE_SD * sd, 0.0)
        csum = np.cumsum(gain)
        j = int(np.argmin(csum))
        if csum[j] < 0 and a + j + 1 < b:
            detected = pd.Timestamp(row["time"])
            # In the detected time's own zone (a changes table may be in local time).
            departed = pd.Timestamp(t_ns[a + j + 1], tz="UTC").tz_convert(detected.tz)
            out.loc[i] = max(departed, detected)
    return out


#: Kinds of change that move a signal's level one way (see :func:`_turns_back`).
DIRECTED_KINDS = tuple(k for k in LEVEL_KINDS if k != "ramp end")


def _turns_back(ramp: _Change, nxt: _Change, longer_than: pd.Timedelta) -> bool:
    """Whether ``ramp`` is a long ramp that went the other way from the level change after it.

    The detector fits a sloped stretch between two changes as a ramp that lasts until the
    next change: a valve easing off slowly for an hour after a line-speed change, then opening
    hard when a setpoint is raised, is one ramp down until the opening and one up from it. By
    its end the ramp touches the opening, but it is no part of it: a run reaches back over a
    ramp that lasted longer than ``longer_than`` (the gap a run bridges) only when the ramp
    went the same way as the change after it (a memory filling slowly, then faster). Only
    level moves with known levels (``before``, ``after``) have a direction; a ramp's end or a
    change of variance does not.

    >>> at = lambda hm: pd.Timestamp(f"2025-01-31 {hm}", tz="UTC")
    >>> ramp = lambda t, end, a, b: _Change("zt", at(t), at(t), at(t), 20.0, 20.0, "ramp", at(t), at(end),
    ...                                     before=a, after=b)
    >>> _turns_back(ramp("09:28", "10:23", 71.4, 60.0), ramp("10:23", "10:29", 60.0, 91.8), pd.Timedelta("10min"))
    True
    >>> _turns_back(ramp("10:20", "10:23", 71.4, 60.0), ramp("10:23", "10:29", 60.0, 91.8), pd.Timedelta("10min"))
    False
    """
    if ramp.kind != "ramp" or ramp.end - ramp.time <= longer_than or nxt.kind not in DIRECTED_KINDS:
        return False
    return bool((ramp.after - ramp.before) * (nxt.after - nxt.before) < 0)


def _onset_before(seq: list[_Change], t_target: pd.Timestamp, tol: pd.Timedelta, max_lag: pd.Timedelta,
                  *, stop_at_creep: bool = False, stop_at_turn: bool = False):
    """The first change of the run of changes of one signal that leads up to ``t_target``.

    The run is the sequence of changes (a ramp detected as several steps, an oscillation),
    each within ``max_lag`` of the next, whose last change (or the end of an ongoing ramp) is
    at most ``max_lag`` before ``t_target`` (and not after it by more than ``tol``). A ramp's
    end (the signal levelling off, as a resource does when it reaches its limit) counts as
    before ``t_target`` when its onset interval reaches back to it, up to ``max_lag`` after:
    the detector dates it at the corner of its fit, which can come minutes after what it set
    off (a firewall's session table full at 05:12, the gateway's latency rising from 05:10).
    With ``stop_at_creep``, a creeping ramp (``_Change.creep``) before the last change ends
    the run instead of joining it; with ``stop_at_turn``, so does a long ramp that went the
    other way from the change after it (:func:`_turns_back`). Returns (first change of the
    run, last change of the run) or None.
    """
    before = [c for c in seq if c.time <= t_target + tol
              or (c.kind == "ramp end" and c.lo <= t_target and c.time <= t_target + max_lag)]
    if not before:
        return None
    # A ramp is under way from its start to its end: it can explain what happens meanwhile.
    ongoing = [c for c in before if c.end > c.time and c.end >= t_target - max_lag]
    last = before[-1]
    if ongoing and t_target - last.end > max_lag:
        last = ongoing[-1]
    if t_target - last.end > max_lag:
        return None
    first = last
    # Walk back from the last change of the run (an ongoing ramp chosen as the last one may
    # have later changes after it, which are not part of this run).
    k = next(i for i, c in enumerate(before) if c is last)
    for c in reversed(before[:k]):
        if stop_at_creep and c.creep:
            break
        if stop_at_turn and _turns_back(c, first, max_lag / RUN_GAP_DIVISOR):
            break
        # A ramp belongs to the run for as long as it lasts (its end, not its start, is what
        # must be close to the next change).
        gap = first.time - c.end
        if gap <= max_lag / RUN_GAP_DIVISOR:
            first = c
        else:
            break
    return first, last


#: A stand-in symptom (none named) is a signal whose strongest change in the hour before the
#: incident start is at least this many times as strong as any change it had earlier in the
#: window (see :func:`_stand_ins`). Chosen on the development sets (factors 2 to 100 all
#: gained, 4 most; docs/ranking-evaluation.md, "An earlier session (`63316d3`, `5442adc`)").
STAND_IN_NEW_FACTOR = 4.0


def _stand_ins(near: pd.DataFrame, earlier: pd.DataFrame, n: int = 3) -> list:
    """The ``n`` signals that stand in for the symptom when none is named: those with the
    strongest changes in the hour before the incident start (``near``, rows of a changes
    table), among the signals for which that change is new.

    A change is new when it is at least :data:`STAND_IN_NEW_FACTOR` times as strong as every
    change of that signal earlier in the window (``earlier``). A nightly backup's traffic, a
    batch job's CPU, a level that swings with every fill: their strongest changes of the hour
    are as strong as their changes of every other hour, and are what the day looks like, not
    the incident. The signals whose changes are not new fill the places that are left,
    strongest first.

    >>> near = pd.DataFrame({"signal": ["backup/net_tx", "TT131", "FT123", "TT131"],
    ...                      "strength": [300.0, 40.0, 25.0, 10.0]})
    >>> earlier = pd.DataFrame({"signal": ["backup/net_tx", "FT123"], "strength": [280.0, 2.0]})
    >>> _stand_ins(near, earlier)
    ['TT131', 'FT123', 'backup/net_tx']
    >>> _stand_ins(near, earlier, n=1)
    ['TT131']
    """
    best = near.groupby("signal")["strength"].max().sort_values(ascending=False, kind="stable")
    before = earlier.groupby("signal")["strength"].max() if len(earlier) else pd.Series(dtype=float)
    new = best >= STAND_IN_NEW_FACTOR * before.reindex(best.index, fill_value=0.0)
    return (list(best.index[new]) + list(best.index[~new]))[:n]


def _habitual(seq: list[_Change], onset: pd.Timestamp, until: pd.Timestamp) -> _Change | None:
    """The earlier change that makes a change routine for its signal, or None when it is new.

    ``seq`` is the signal's changes in the window, ``onset`` the start of the run in question
    and ``until`` the end of the time that matters for it (the symptom's onset). The run is new
    when its strongest change up to ``until`` is at least :data:`STAND_IN_NEW_FACTOR` times as
    strong as every change of the signal that began more than :data:`HABITUAL_BEFORE` before
    ``onset``, the rule by which the stand-in symptoms are chosen. Otherwise the strongest of
    those earlier changes is returned: a level that swings with every fill, a flow that steps
    with every batch, a server that is busy every hour made a change like this one before
    anything was wrong.

    >>> at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")
    >>> ch = lambda hm, s: _Change("x", at(hm), at(hm), at(hm), s, s, "mean", at(hm), at(hm))
    >>> _habitual([ch("07:00", 30.0), ch("08:58", 40.0)], at("08:58"), at("09:00")).time == at("07:00")
    True
    >>> _habitual([ch("07:00", 5.0), ch("08:58", 40.0)], at("08:58"), at("09:00")) is None  # 8 x stronger
    True
    >>> _habitual([ch("08:30", 30.0), ch("08:58", 40.0)], at("08:58"), at("09:00")) is None  # within the hour
    True
    """
    earlier = [c for c in seq if c.time < onset - HABITUAL_BEFORE]
    if not earlier:
        return None
    now = max((c.strength for c in seq if onset <= c.time <= until), default=0.0)
    before = max(earlier, key=lambda c: c.strength)
    return before if now < STAND_IN_NEW_FACTOR * before.strength else None


def _symptom_onset(seq: list[_Change], start: pd.Timestamp, lookahead_tol: pd.Timedelta, max_lag,
                   horizon: pd.Timedelta):
    """When the named symptom began: the first change of the run that leads up to its latest
    strong change before the incident ``start``.

    A change is strong when it is at least half as strong as the symptom's strongest change
    within ``horizon`` before the start: an episode hours earlier, over by then, neither sets
    that bar nor dates the departure (only when nothing changed within the horizon do the
    earlier changes count). The run is walked back over changes close to each other
    (:func:`_onset_before`), but not over a creeping ramp, which moved the signal by less
    than :data:`SLOPED_RISE_SIGMA` noise sd however long it lasted: a slow, harmless creep
    before the departure would otherwise date the symptom, and with it the whole chain, hours
    early.
    """
    if not seq:
        return None
    near = [c for c in seq if c.time <= start + lookahead_tol]
    if not near:
        near = seq[:1]
    recent = [c for c in near if c.time >= start - horizon] or near
    top = max(c.strength for c in recent)
    strong = [c for c in near if c.strength >= 0.5 * top]
    main = strong[-1] if strong else near[-1]
    run = _onset_before(near, main.time, pd.Timedelta(0), max_lag, stop_at_creep=True)
    return run[0] if run else main


# ---------------------------------------------------------------------------------------
# The ranking
# ---------------------------------------------------------------------------------------


def rank_candidates(
    data,
    *,
    symptom=None,
    window=None,
    events=None,
    signal_info=None,
    incident_start=None,
    changes=None,
    max_lag="15min",
    horizon="2h",
    event_lead="15min",
    event_classes=None,
    kinds=None,
    top=None,
) -> pd.DataFrame:
    """Rank the likely root causes of an incident, signals and event sources together.

    Parameters
    ----------
    data : Investigation or pandas.DataFrame
        An investigation (``rca.open_investigation``), or aligned signals (wide frame on a
        tz-aware index) with ``incident_start`` and optionally ``events``/``signal_info``.
    symptom : str, optional
        The signal that went wrong. Default: the investigation's symptom; without one, the
        signals that changed most around the incident start.
    window : "incident" or (start, end), optional
        Where to look. Default: the investigation's incident window.
    events, signal_info, incident_start, changes : optional
        Override what the investigation provides (or provide it with a DataFrame).
        ``changes`` is a table from :func:`rca.detect_changes` over the window (the
        investigation's and the default here: ``long_run="largest"``).
    max_lag : str or pandas.Timedelta
        Longest delay between a change and the change it explains [s].
    horizon : str or pandas.Timedelta
        How far before the symptom's onset a chain may reach [s].
    event_lead : str or pandas.Timedelta
        How long before the earliest change of the chain an event may come and still be
        considered its trigger [s].
    event_classes : dict, optional
        Vocabulary for event classes, see :data:`EVENT_CLASSES`.
    kinds : dict, optional
        What signals are, where their names do not say it: signal name or pattern (``*``,
        ``?``, as in file names) -> ``"response"``, ``"output"`` or ``"measurement"``
        (:data:`rca.manifest.SIGNAL_KINDS`). Adds to and overrides the ``kind`` column of
        ``signal_info`` (a source's ``signal_kinds`` in the manifest). A declared kind replaces
        what the ranking reads from the name: a response scores x :data:`RESPONSE_FACTOR`, a
        controller output x :data:`CONTROLLER_OUTPUT_FACTOR` (unless stepped by hand), a
        measurement neither.
    top : int, optional
        Keep only the best ``top`` candidates.

    Returns
    -------
    pandas.DataFrame
        Best first, columns ``rank``, ``name``, ``type`` (``"signal"``/``"event"``),
        ``domain``, ``score``, ``onset`` (UTC), ``evidence``, then ``link`` (strength of the
        best path to the symptom [0, 1]), ``lead`` (how long before the symptom's onset),
        ``role`` (``"origin"``, ``"chain"``, ``"trigger"``, ``"unlinked"``, ``"symptom"``
        (the named symptom, or it seen another way: another statistic of it, another
        service-level indicator of its service), ``"stand-in symptom"``,
        ``"after symptom"``). ``attrs["settings"]`` holds the choices made and
        ``attrs["propagation"]`` the links of the chain that was found (as records; use
        :func:`propagation_edges` for a DataFrame).

    Raises
    ------
    ParameterError
        Unknown symptom, bad window or option.
    AnalysisError
        Empty window, or no change in it.

    Examples
    --------
    >>> inv = rca.open_investigation("sample_data/line3_scrap_spike/investigation.toml")  # doctest: +SKIP
    >>> rca.rank_candidates(inv, top=5)[["rank", "name", "type", "score"]]  # doctest: +SKIP
    """
    max_lag = parse_duration(max_lag, name="max_lag")
    horizon = parse_duration(horizon, name="horizon")
    event_lead = parse_duration(event_lead, name="event_lead")
    if top is not None and (not isinstance(top, int) or top < 1):
        raise ParameterError(f"top: expected a positive whole number, got {top!r}")
    frame, events, info, start, symptom, (lo, hi), changes, tz = _resolve(
        data, events, signal_info, incident_start, symptom, window, changes
    )
    min_size = changes.attrs.get("settings", {}).get("min_size", 3)
    changes = changes[(changes["time"] >= lo) & (changes["time"] <= hi) & changes["signal"].isin(frame.columns)]
    changes = changes.reset_index(drop=True)  # a table the caller combined may repeat index labels
    step = pd.Timedelta(frame.index[1] - frame.index[0]) if len(frame.index) > 1 else pd.Timedelta("1s")
    tol = max(step, pd.Timedelta("1s"))
    # What the detector cannot see: a burst of a sample or two near the incident start (on a
    # 5-minute export, a 10-minute incident).
    bursts = _bursts(frame, changes, start - max_lag, start + tol, min_size)
    if len(bursts):
        changes = pd.concat([changes, bursts.astype({c: changes[c].dtype for c in ("time", "time_lo", "time_hi")
                                                     if c in changes.columns and c in bursts.columns})],
                            ignore_index=True)
    if changes.empty:
        raise AnalysisError(
            f"no signal changed between {lo} and {hi} (UTC): nothing to rank. Widen the window "
            "(incident.lookback) or check that the incident start is right"
        )
    devices = {}
    if info is not None and "device" in info.columns:
        devices = {str(k): str(v) for k, v in info["device"].items() if isinstance(v, str) and v}
    declared = _declared_kinds(frame.columns, info, kinds)
    # A ramp begins where its signal left the level it had, not where a straight line fitted
    # to an accelerating rise would start (_ramp_departures).
    runs = _runs(changes, _ramp_departures(frame, changes), _quiet_changes(frame, changes))

    # 1. The symptom and its onset.
    unchanged = None
    if symptom is not None and symptom not in runs:
        # A named symptom without a detected change (a slow drift reads as noise, or the window
        # misses it): rank against the strongest changes instead, and say so.
        unchanged = symptom
        warnings.warn(
            f"the symptom {symptom!r} did not change between {lo} and {hi} (UTC); ranking against the "
            "strongest changes in the hour before the incident start instead. Check the incident start and "
            "lookback, or name another symptom",
            RcaWarning, stacklevel=2,
        )
        symptom = None
    if symptom is not None:
        symptoms = [symptom]
        chosen = "given"
    else:
        near = changes[(changes["time"] >= start - pd.Timedelta("1h")) & (changes["time"] <= start + tol)]
        if near.empty:
            near = changes
        symptoms = _stand_ins(near, changes[changes["time"] < start - pd.Timedelta("1h")])
        chosen = ("strongest changes within the hour before the incident start that are new (at least "
                  f"{STAND_IN_NEW_FACTOR:g} times as strong as any change of that signal earlier in the window)")
        if unchanged is not None:
            chosen += f" (the named symptom {unchanged!r} did not change in the window)"
        # The change each stand-in was chosen for (its strongest in that hour).
        chosen_at = near.loc[near.groupby("signal")["strength"].idxmax(), ["signal", "time"]]
        chosen_at = dict(zip(chosen_at["signal"], chosen_at["time"]))
    t_sym = {}
    for s in symptoms:
        if chosen == "given":
            onset = _symptom_onset(runs[s], start, tol, max_lag, horizon)
        else:
            # A stand-in is dated by the change it was chosen for, not by the start of the run of
            # changes leading up to it: that run may reach back hours through a slow, weak ramp
            # that has nothing to do with the incident, and would date the whole chain before it.
            onset = next(c for c in runs[s] if c.detected == chosen_at[s])
        t_sym[s] = onset.time
    sym_time = min(t_sym.values())

    # 2. Links backwards from the symptom(s): widest path over hops whose evidence is the sum
    #    of timing surprise, co-fluctuation at consistent lags and same-device, in nats.
    destepped = _destep(frame, changes)
    profiles = _Profiles(destepped, max_lag)
    span_s = max((hi - lo).total_seconds(), 1.0)
    strengths = _strengths_by_kind(runs)
    link = {s: 1.0 for s in symptoms}
    when = dict(t_sym)
    lo_of = {s: next(c.lo for c in runs[s] if c.time == t_sym[s]) for s in symptoms}
    hi_of = {s: next(c.hi for c in runs[s] if c.time == t_sym[s]) for s in symptoms}
    # When a symptom began is known only to the 95 % interval of its onset (wide for a slow
    # departure, whose fitted ramp may start before its cause did): a change inside that
    # interval may have come first, so it is a candidate cause, not a consequence.
    reach = {s: max(tol, hi_of[s] - t_sym[s]) for s in symptoms}
    first_symptom = min(symptoms, key=lambda s: t_sym[s])
    sym_hi = t_sym[first_symptom] + reach[first_symptom]
    onset_of = dict(t_sym)
    last_of = {}
    # How far each signal of the chain moved over its run: the symptom from its onset to the
    # incident start, a linked signal over the run that links it.
    moved = {s: _run_delta(runs[s], t_sym[s], start + tol) for s in symptoms}
    via = {s: None for s in symptoms}
    hop_why = {}
    frontier = list(symptoms)
    expanded = set()
    while frontier:
        frontier.sort(key=lambda s: -link[s])
        y = frontier.pop(0)
        if y in expanded:
            continue
        expanded.add(y)
        t_y = when[y]
        parents = []
        for x, seq in runs.items():
            if x == y or x in symptoms:
                continue
            run = _onset_before(seq, t_y, reach.get(y, tol), max_lag, stop_at_turn=True)
            if run is None or run[0].time < sym_time - horizon:
                continue
            parents.append((x, run))
        profiles.prefetch([x for x, _ in parents], y)
        evs = []
        for x, (first, last) in parents:
            lag = max(t_y - last.end, pd.Timedelta(0))
            # How rare x's change is: its run's strongest change among the changes of that kind.
            s_x = max((c for c in runs[x] if first.time <= c.time <= last.time), key=lambda c: c.strength)
            rate = _chance_rate(strengths[_rarity_kind(s_x.kind)], s_x.strength, span_s)
            x_moved = _run_delta(runs[x], first.time, last.time)
            evs.append((x, first, last, lag, x_moved,
                        _hop_evidence(x, y, last, lag, lo_of[y], hi_of[y], rate,
                                      step, profiles, devices, x_moved, moved[y], t_y)))
        # Co-fluctuation counts only beyond what is typical for this target: where a shared
        # disturbance (utilities, ambient, a common header) makes most signals correlate with
        # it, correlating is no sign of a path. The baseline is the median evidence among the
        # candidate parents (with at least CALIBRATION_MIN_PARENTS of them).
        base = 0.0
        if len(evs) >= CALIBRATION_MIN_PARENTS:
            base = float(np.median([e["corr"] for *_, e in evs]))
        for *_, e in evs:
            e["corr_raw"], e["corr_baseline"] = e["corr"], base
            e["corr"] = max(e["corr"] - base, 0.0)
            e["total"] = e["timing"] + e["corr"] + e["device"]
        for x, first, last, lag, x_moved, ev in evs:
            hop = _hop_weight(ev["total"])
            cand = min(link[y], hop)
            if cand > link.get(x, 0.0) + 1e-12:
                link[x] = cand
                when[x] = first.time
                lo_of[x], hi_of[x] = first.lo, first.hi
                onset_of[x] = first.time
                last_of[x] = last
                moved[x] = x_moved
                via[x] = y
                hop_why[x] = dict(ev, lag=lag)
                frontier.append(x)

    # 3. Score signals: link to the symptom, clarity of the change, and how early it came
    #    within the chain (the chain's origin is its earliest well-linked change).
    rows = []
    strongest = {s: max(c.strength for c in seq) for s, seq in runs.items()}
    parents_of: dict = {}
    for x_, y_ in via.items():
        if y_ is not None:
            parents_of[y_] = parents_of.get(y_, 0) + 1
    linked = [x for x in link if x not in symptoms]
    linked_onsets = {x: onset_of[x] for x in linked}
    chain_span = _chain_span(linked_onsets, link, sym_time, step)
    # Where the chain began (for the events' evidence, step 4).
    chain_first = _first_firm_change(linked_onsets, link)
    for x in frame.columns:
        seq = runs.get(x, [])
        # The named symptom seen another way (its p99 beside its average, its service's
        # availability beside its latency) is the symptom, not a cause of it.
        restated = _restates(x, symptoms, devices) if chosen == "given" and x not in symptoms else None
        if restated is not None:
            if seq:
                when_x = onset_of.get(x) or min(seq, key=lambda c: abs(c.time - sym_time)).time
                row = _signal_row(x, when_x, 0.0, link.get(x, 0.0), "symptom", seq, info, sym_time, hop_why, via, tz)
                seen = row["evidence"].removeprefix("the symptom: ")
                row["evidence"] = f"{restated[1]} {restated[0]}, not a cause of it: {seen}"
                rows.append(row)
            continue
        if x in symptoms:
            if chosen == "given":
                rows.append(_signal_row(x, t_sym[x], 0.0, 0.25, "symptom", seq, info, sym_time, hop_why, via, tz))
                continue
            # A stand-in is one of the strongest changes: certainly involved (link 1), and with
            # nothing named as the symptom it may be where the trouble started. The first of
            # the stand-ins to move competes with the chain's origin; the later ones more
            # likely followed it. So does a stand-in into which an earlier change of the chain
            # links firmly: the strongest changes of the hour are often the consequences.
            ch = next((c for c in seq if c.time == t_sym[x]), None)
            size = 1.0 - math.exp(-(ch.strength if ch else 0.0) / SIZE_SCALE)
            first = t_sym[x] <= sym_time + tol
            # Only a change that came first explains it: simultaneous changes (within a grid
            # step) cannot be ordered.
            into = [(_hop_weight(hop_why[m]["total"]), m) for m, y_ in via.items()
                    if y_ == x and m in hop_why and m not in symptoms and onset_of[m] + tol < t_sym[x]]
            explained, by = max(into, default=(0.0, None))
            score = ((0.5 + 0.5 * size) * (1.0 if first else STAND_IN_LATER_FACTOR)
                     * (1.0 - STAND_IN_EXPLAINED * explained))
            # The strength beyond the size factor weighs as in a chain member's score: without
            # it every member of the chain gains on the stand-ins (symptom withheld on the
            # development sets: 167 / 252 -> 158 / 239 with the factor on members alone).
            score *= _weighted({"strength": math.log1p(ch.strength if ch else 0.0)})
            rows.append(_signal_row(x, t_sym[x], score, 1.0, "stand-in symptom", seq, info, sym_time, hop_why,
                                    via, tz))
            if by is not None:
                rows[-1]["evidence"] += (f"; it may have followed the change of {by}, which began "
                                         f"{_fmt_lag(t_sym[x] - onset_of[by])} before it (hop weight "
                                         f"{explained:.2f}), so it scores less")
            continue
        if x in link:
            ch = next((c for c in seq if c.time == onset_of[x]), None)
            lead = (sym_time - onset_of[x]).total_seconds()
            size = 1.0 - math.exp(-(ch.strength if ch else 0.0) / SIZE_SCALE)
            # A setpoint's step is as big as the move it asks of its measurement.
            sp_move = _setpoint_move_in_noise(x, moved.get(x, float("nan")), destepped)
            if sp_move is not None:
                size = 1.0 - math.exp(-sp_move[0] / SETPOINT_SIZE_SCALE)
            # The weakest hop of the path bounds the link; the hop that attaches x to the chain
            # says how firmly x itself belongs to it (a change that merely happened to come
            # first attaches weakly, and then being early counts for little).
            own = _hop_weight(hop_why[x]["total"]) if x in hop_why else link[x]
            early = 1.0 + EARLY_BONUS * own * min(max(lead, 0.0) / chain_span, 1.0)
            # A clean step in an otherwise constant signal is a command (a setpoint, a mode, an
            # on/off): among changes at the same time it is the one that moved the others.
            is_command = ch is not None and ch.kind == "mean" and ch.quiet
            # A latency, an error rate, a queue or a packet loss responds to what is behind it
            # (a saturated resource, a changed configuration, a failing dependency): it is rarely
            # where the trouble began. Nor is it a command, even when it steps from a constant
            # (an availability at 100 %).
            # What the plant declared a signal to be replaces what its name suggests.
            kind = declared.get(x)
            is_response = (kind == "response") if kind else (_is_response(x, devices) and not _is_controller_output(x))
            if is_response:
                is_command = False
            # A controller in automatic moves its output to make up for a disturbance: the
            # output moving is the loop's response (a "compensation"), not where the trouble
            # began, unless it was stepped by hand (an exact step, a command, above).
            is_output = not is_command and ((kind == "output") if kind else _is_controller_output(x))
            # A setpoint that was moving before its change is written by a master controller:
            # its change is that controller's answer, scored as a controller's output.
            cascade = (not is_output and not is_command and not kind and ch is not None and _is_setpoint(x)
                       and _setpoint_written_by_controller(x, frame[x].to_numpy(dtype=float),
                                                           int(frame.index.searchsorted(ch.time))))
            is_output = is_output or cascade
            # A change that was over by the incident start (the signal came back) is less likely
            # where an incident that is still going on began.
            is_transient = _over_by(seq, ch, moved.get(x, float("nan")), start + tol)
            routine = _habitual(seq, onset_of[x], sym_time + tol)
            terms = {
                "link": math.log(link[x]),
                "own_hop": math.log(0.5 + 0.5 * own),
                "size": math.log(0.5 + 0.5 * size),
                "earliness": math.log(early),
                "command": float(is_command),
                "controller_output": float(is_output),
                "transient": float(is_transient),
                "response": float(is_response),
                "written": 0.0,  # set by _list_writes_once
                # The evidence of the hop that attaches x, part by part [nats], beyond its share in
                # own_hop; how strong x's change is; how many signals link into x (a change that
                # many others could explain is more likely downstream).
                "hop_timing": float(hop_why[x]["timing"]) if x in hop_why else 0.0,
                "hop_cofluctuation": float(hop_why[x]["corr"]) if x in hop_why else 0.0,
                "hop_device": 1.0 if x in hop_why and hop_why[x]["device"] > 0 else 0.0,
                "strength": math.log1p(ch.strength if ch is not None else 0.0),
                "parents": float(parents_of.get(x, 0)),
                # A change the signal had made as strongly before, more than an hour earlier.
                "habitual": float(routine is not None),
            }
            row = _signal_row(x, onset_of[x], _weighted(terms), link[x], "chain", seq, info, sym_time, hop_why,
                              via, tz)
            if sp_move is not None:
                row["evidence"] += (f"; a setpoint move of {sp_move[0]:.2g} x the normal variation of "
                                    f"{sp_move[1]}")
            if routine is not None:
                row["evidence"] += (f"; it changed as strongly before, at {_local(routine.time, tz)} "
                                    f"({routine.delta_sigma:+.1f} sigma, {routine.kind}): routine for this "
                                    f"signal, so it scores x {math.exp(SCORE_WEIGHTS['habitual']):.2g}")
            declared_so = " (declared so)" if kind else ""
            if cascade:
                row["evidence"] += ("; a setpoint that was already moving before this change, so written by a master "
                                    "controller (a cascade), which moves it to make up for a disturbance: scored as a "
                                    "controller's output, half score")
            elif is_output:
                row["evidence"] += ("; a controller's output, which moves to make up for a disturbance: half "
                                    f"score{declared_so}")
            if is_response:
                row["evidence"] += ("; it measures how a service or a link performs, which responds to what is "
                                    f"behind it: score x {math.exp(SCORE_WEIGHTS['response']):.2g}{declared_so}")
            if kind == "measurement" and (_is_response(x, devices) or _is_controller_output(x)):
                row["evidence"] += "; declared a measurement, so scored as neither a response nor a controller output"
            if is_transient:
                row["evidence"] += ("; over by the incident start (back near its level before the change): score x "
                                    f"{math.exp(SCORE_WEIGHTS['transient']):.2g}")
            row["_terms"] = terms
            rows.append(row)
        elif seq:
            first = seq[0]
            role = "after symptom" if first.time > sym_hi else "unlinked"
            size = 1.0 - math.exp(-strongest[x] / SIZE_SCALE)
            score = 0.0 if role == "after symptom" else 0.02 * size
            rows.append(_signal_row(x, first.time, score, 0.0, role, seq, info, sym_time, hop_why, via, tz))
    cands = pd.DataFrame(rows)
    chain = cands[cands["role"] == "chain"].sort_values("score", ascending=False)
    origin = None
    if len(chain):
        origin = chain.iloc[0]
        cands.loc[cands["name"] == origin["name"], "role"] = "origin"
        origin = cands.loc[cands["name"] == origin["name"]].iloc[0]

    # 4. Events just before the origin of the chain.
    # Stand-ins are candidates like the chain's members (one of them may be where the trouble
    # started): an action just before the change a stand-in was chosen for may have set it off.
    stand_ins = [] if chosen == "given" else list(symptoms)
    chain_names = [x for x in link if x not in symptoms] + stand_ins
    # An event from a loop of the chain (an SP_CHANGE of TIC-131 before TT-131 moved) counts
    # as from its device: the loops go in as tuples, which no source name equals.
    chain_devices = set().union(*(_devices_of(x, devices) for x in chain_names))
    # An event may have set off any change of the chain, not only the origin's: each linked
    # signal anchors the events just before its run (its first change, and its strongest, since
    # the first may be a slow drift that was under way before the jump the trigger set off), and
    # an event source is scored against the change it most plausibly triggered, in proportion to
    # that signal's own score. A trigger of the origin ranks above it; one of a later member of
    # the chain ranks above that member, and so does one of a stand-in above the stand-in.
    table = _EventTable.build(events, lo, hi, event_classes) if events is not None and len(events) else None
    device_changes = _change_times_by_device(runs, devices) if table is not None else None
    source_loops = _source_loops(table.source, frame.columns) if table is not None else None
    # An event is said to precede "the first change of the chain" only when the change it is
    # scored against is chain_first, the one the chain's span starts from; the origin (the
    # best-scored change) may come later.
    best_rows: dict = {}
    if origin is None and not stand_ins:  # no chain: events just before the symptom's onset
        best_rows = {r["name"]: r for r in _score_events(table, [(sym_time, "")], sym_time, lo, hi, event_lead,
                                                           step, event_classes, 0.5, tz)}
    else:
        roles = ["origin", "chain", "stand-in symptom"] if stand_ins else ["origin", "chain"]
        members = cands[cands["role"].isin(roles) & (cands["score"] > 0)]
        terms = cands["_terms"] if "_terms" in cands else pd.Series([None] * len(cands), index=cands.index)
        terms_of = {str(n): t for n, t in zip(cands["name"], terms) if isinstance(t, dict)}
        for _, m in members.iterrows():
            name = str(m["name"])
            if name in stand_ins:  # the change it was chosen for
                run = [c for c in runs.get(name, []) if c.time == t_sym[name]]
            else:
                last = last_of.get(name)
                run = [c for c in runs.get(name, []) if c.time >= m["onset"] and (last is None or c.time <= last.time)]
            anchors = [(m["onset"], "")]
            if run:
                strongest = max(run, key=lambda c: c.strength)
                anchors = sorted({(run[0].time, run[0].kind), (strongest.time, strongest.kind)})
                spans = {c.time: (c.lo, c.hi) for c in (run[0], strongest)}
            else:
                spans = None
            # A change that responds to what is behind it (a latency, a queue) is scored down as a
            # cause; an action just before it is what may be behind it, so the action is scored
            # against that change without the factor, and, where that puts the change above the
            # origin, as the trigger of the chain's first change.
            score_m, terms_m = float(m["score"]), terms_of.get(name)
            response = bool(terms_m and terms_m.get("response"))
            if response:
                terms_m = {**terms_m, "response": 0.0}
                score_m = _weighted(terms_m)
            first = origin is not None and (name == str(origin["name"]) or (
                response and score_m >= float(origin["score"])))
            for row in _score_events(table, anchors, sym_time, lo, hi, event_lead, step, event_classes,
                                     score_m, tz, anchor_terms=terms_m,
                                     chain_devices=chain_devices, anchor_devices=_devices_of(name, devices),
                                     device_changes=device_changes,
                                     root_domain=str(m["domain"]), root_name=name,
                                     first_of_chain=first, chain_first=chain_first,
                                     source_loops=source_loops, spans=spans):
                kept = best_rows.get(row["name"])
                if kept is None or row["score"] > kept["score"]:
                    best_rows[row["name"]] = row
    ev_rows = list(best_rows.values())
    _list_writes_once(cands, ev_rows, runs, tz)
    if ev_rows:
        cands = pd.concat([cands, pd.DataFrame(ev_rows)], ignore_index=True)

    cands = cands.sort_values(["score", "onset"], ascending=[False, True], kind="stable").reset_index(drop=True)
    terms = cands.pop("_terms") if "_terms" in cands else pd.Series([None] * len(cands))
    cands.insert(0, "rank", np.arange(1, len(cands) + 1))
    cands["onset"] = pd.to_datetime(cands["onset"], utc=True)
    if top is not None:
        cands = cands.head(top)
    cands.attrs["settings"] = {
        "symptoms": symptoms,
        "symptom_choice": chosen,
        "symptom_onset": _iso(sym_time),
        "window": [_iso(lo), _iso(hi)],
        "max_lag_s": max_lag.total_seconds(),
        "horizon_s": horizon.total_seconds(),
        "event_lead_s": event_lead.total_seconds(),
        "grid_s": step.total_seconds(),
        "origin": None if origin is None else origin["name"],
        "changes": int(len(changes)),
        "bursts": int(len(bursts)),
    }
    # Plain records, not a DataFrame: pandas compares attrs when frames are combined.
    edges = _edges(via, when, link, hop_why, symptoms)
    cands.attrs["propagation"] = edges.astype(object).where(edges.notna(), None).to_dict("records")
    # Per candidate (best first, as the rows): the terms its score is made of, or None for a
    # score that is set, not weighed (the symptom, a stand-in, an unlinked or later change).
    cands.attrs["score_terms"] = [dict(t) if isinstance(t, dict) else None for t in terms][:len(cands)]
    return cands


def _list_writes_once(cands: pd.DataFrame, ev_rows: list, runs: dict, tz) -> None:
    """Score down (x :data:`WRITTEN_FACTOR`) the signals whose change is the write of an
    action that ranks above them, in place; drops the rows' internal ``_anchor`` field.

    An operator's setpoint change is journaled as an event and recorded as an exact step of
    the loop's setpoint: one fact, twice. Both would rank side by side (the event just above
    the step it is the trigger of), and a trim on another loop before the incident would fill
    two of the first three places. The action keeps its place, with its evidence; the step
    stays in the list, below, and says why. A write is the anchored change, an exact step
    (``quiet`` ``mean``: a command), of a signal of the action's own device or loop, at most
    :data:`WRITE_WITHIN` after the action."""
    for row in ev_rows:
        name, t_anchor, gap, own = row.pop("_anchor", (None, None, 0.0, False))
        if not own or name is None or gap > WRITE_WITHIN.total_seconds():  # (never before the sampling cell)
            continue
        step = next((c for c in runs.get(name, []) if c.time == t_anchor), None)
        if step is None or not (step.quiet and step.kind == "mean"):
            continue
        at = cands.index[cands["name"] == name]
        if len(at) == 0 or float(cands.at[at[0], "score"]) > row["score"]:
            continue
        i = at[0]
        terms = cands.at[i, "_terms"] if "_terms" in cands.columns else None
        if isinstance(terms, dict):
            terms = {**terms, "written": 1.0}
            cands.at[i, "_terms"] = terms
            cands.at[i, "score"] = _weighted(terms)
        else:
            cands.at[i, "score"] = float(cands.at[i, "score"]) * WRITTEN_FACTOR
        cands.at[i, "evidence"] = (f"{cands.at[i, 'evidence']}; the write of the action of {row['name']} at "
                                   f"{_local(row['onset'], tz)}, which ranks above it and stands for both: score "
                                   f"x {math.exp(SCORE_WEIGHTS['written']):.2g}")


def propagation_edges(candidates: pd.DataFrame) -> pd.DataFrame:
    """The chain the ranking found, as an edge table (one row per link from a change to the
    later change it explains): ``source_signal``, ``target_signal``, ``source_time``,
    ``target_time``, ``lag``, ``weight``, ``timing_nats``, ``corr_nats``, ``device``, ``r``.

    Examples
    --------
    >>> edges = propagation_edges(rca.rank_candidates(inv))  # doctest: +SKIP
    """
    records = candidates.attrs.get("propagation")
    if records is None:
        raise ParameterError("candidates: expected the result of rank_candidates (it carries attrs['propagation'])")
    edges = pd.DataFrame(records, columns=_EDGE_COLUMNS)
    for col in ("source_time", "target_time"):
        edges[col] = pd.to_datetime(edges[col], utc=True)
    edges["lag"] = pd.to_timedelta(edges["lag"])
    for col in ("weight", "timing_nats", "corr_nats", "r"):
        edges[col] = pd.to_numeric(edges[col])
    edges["device"] = edges["device"].astype(bool)
    return edges


def _signal_row(x, onset, score, link, role, seq, info, sym_time, hop_why, via, tz) -> dict:
    ch = next((c for c in seq if c.time == onset), seq[0] if seq else None)
    return {
        "name": x,
        "type": "signal",
        "domain": _domain_of(x, info),
        "score": float(score),
        "onset": onset,
        "evidence": _signal_evidence(x, ch, role, sym_time, hop_why, via, tz),
        "link": float(link),
        "lead": sym_time - onset if onset is not None else pd.NaT,
        "role": role,
    }


def _iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _fmt_lag(td: pd.Timedelta) -> str:
    s = abs(td.total_seconds())
    if s < 90:
        return f"{s:.0f} s"
    if s < 5400:
        return f"{s / 60:.0f} min"
    return f"{s / 3600:.1f} h"


def _local(ts, tz) -> str:
    return pd.Timestamp(ts).tz_convert(tz).strftime("%H:%M:%S")


def _signal_evidence(x, ch, role, sym_time, hop_why, via, tz) -> str:
    if ch is None:
        return "no change in the window"
    parts = [f"changed {ch.delta_sigma:+.1f} sigma ({ch.kind}) at {_local(ch.time, tz)}"]
    lead = sym_time - ch.time
    if role == "symptom":
        return f"the symptom: {parts[0]}"
    if role == "stand-in symptom":
        order = "the first of them to change" if lead <= pd.Timedelta(0) and lead > -pd.Timedelta("1s") else (
            f"{_fmt_lag(-lead)} after the first of them")
        return (f"{parts[0]}; one of the strongest changes near the incident start, standing in for the "
                f"symptom (none was named); {order}")
    if role == "after symptom":
        return parts[0] + f", {_fmt_lag(lead)} after the symptom began (a consequence)"
    if lead >= pd.Timedelta(0):
        parts.append(f"{_fmt_lag(lead)} before the symptom")
    else:
        parts.append(f"{_fmt_lag(-lead)} after the symptom's first detected change, within the uncertainty "
                     "of its onset")
    if x in hop_why:
        h = hop_why[x]
        target = via.get(x)
        why = [f"{_fmt_lag(h['lag'])} before a change of {target}"]
        if h["corr"] >= 3 and np.isfinite(h["r"]):
            raw = h.get("corr_raw", h["corr"])
            typical = (f"; typical of the other candidates: p = {math.exp(-h['corr_baseline']):.0e}"
                       if h.get("corr_baseline", 0.0) > 0 else "")
            why.append(f"they fluctuate together (r = {h['r']:.2f}, p = {math.exp(-raw):.0e}{typical})")
        if h.get("against_coupling"):
            why.append(f"they fluctuate together (r = {h['r']:.2f}), but this change moved {target} the "
                       "other way, so that is not counted as evidence")
        if h["device"]:
            why.append("same device")
        elif h.get("setpoint_mismatch"):
            why.append("its own loop, but the measurement did not follow this setpoint step")
        parts.append(", ".join(why))
    elif role == "unlinked":
        parts.append("no link to the symptom found")
    return "; ".join(parts)


#: Prior odds that an event of each class, found just before the first change of a chain,
#: is what triggered it (before looking at how rare and how close it is).
EVENT_PRIOR_ODDS = {"action": 0.5, "other": 0.1, "routine": 0.01, "consequence": 0.003}


#: An event from the same device as a signal of the chain is far more likely to matter;
#: one from the other domain than the changed signal (IT before an OT change) far less, unless
#: it is a device of the chain.
DEVICE_EVENT_FACTOR = 4.0
OTHER_DOMAIN_FACTOR = 0.2


#: An action's score is ``(lift + probability)`` x the score of the change it precedes: a
#: likely trigger of the chain's origin ranks above the origin (probability > 0.5); one of a
#: later change of the chain must be likelier (> 0.75) to rank above that change, which more
#: probably followed from the origin than started anything.
ORIGIN_TRIGGER_LIFT = 0.5
LATER_TRIGGER_LIFT = 0.25


GRADUAL_FACTOR = 0.3
PROXIMITY_DIVISOR = 5.0

#: ``event_count`` (a source's events near the chain's changes) is counted up to this: the
#: 99th percentile in the development incidents its weight was fitted on. Its weight is
#: linear; beyond that range it would extrapolate (sources with up to 177 such events exist).
EVENT_COUNT_CAP = 31


def _proximity(t_e_ns: int, t: pd.Timestamp, span, lead_s: float, cell_s: float) -> float:
    """How close an event at ``t_e_ns`` comes before the change at ``t``, as
    ``exp(-gap / (lead_s / PROXIMITY_DIVISOR))`` (half that inside the change's sampling cell,
    where the order is unknown).

    ``span`` is ``(lo, hi)``, the interval the change's onset is known to lie in. Where it is
    wider than the sampling cell (a slow ramp, a small step in noise), the proximity is its
    mean over onsets spread evenly across the interval, an onset before the event counting
    nothing: an event inside the interval cannot be said to have come first, and one before
    it is as far from the change as the interval allows.

    >>> at = lambda hm: pd.Timestamp(f"2026-03-04 {hm}", tz="UTC")
    >>> e = at("06:53").value
    >>> round(_proximity(e, at("06:55"), (at("06:55"), at("06:55")), 900.0, 15.0), 3)  # exp(-2/3)
    0.513
    >>> round(_proximity(e, at("06:55"), (at("06:45"), at("07:09")), 900.0, 15.0), 3)  # known to +- 12 min
    0.124
    >>> _proximity(e, at("06:55"), (at("06:30"), at("06:50")), 900.0, 15.0)  # began before the event
    0.0
    """
    gap = (t.value - t_e_ns) / 1e9
    tau = lead_s / PROXIMITY_DIVISOR
    proximity = math.exp(-max(gap, 0.0) / tau) * (0.5 if gap < 0 else 1.0)
    if span is None:
        return proximity
    width = (span[1] - span[0]).total_seconds()
    if width <= cell_s:
        return proximity
    a = max((span[0].value - t_e_ns) / 1e9, 0.0)
    b = min((span[1].value - t_e_ns) / 1e9, lead_s)
    return tau * (math.exp(-a / tau) - math.exp(-b / tau)) / width if b > a else 0.0


@dataclass
class _EventTable:
    """The events of the window as arrays, classified once (a ranking scores them against
    every change of the chain)."""

    time: pd.DatetimeIndex
    t_ns: np.ndarray
    source: np.ndarray
    kind: np.ndarray
    message: np.ndarray
    domain: np.ndarray
    cls: np.ndarray
    rate: np.ndarray  # events of the same source and kind per second of the window
    kind_rate: np.ndarray  # events of the same kind, from any source, per second of the window

    def __len__(self) -> int:
        return len(self.t_ns)

    @classmethod
    def build(cls_, events, lo, hi, classes) -> "_EventTable":
        ev = events[(events["time"] >= lo) & (events["time"] <= hi)].sort_values("time", kind="stable")
        ev.attrs = {}  # pandas would deep-copy them on every operation below
        span = max((hi - lo).total_seconds(), 1.0)
        source = ev["source"].astype(str).to_numpy(dtype=object)
        kind = ev["kind"].astype(str).to_numpy(dtype=object)
        message = ev["message"].astype(str).to_numpy(dtype=object) if "message" in ev else np.full(len(ev), "", object)
        domain = ev["domain"].astype(str).to_numpy(dtype=object) if "domain" in ev else np.full(len(ev), "", object)
        key = pd.Series(source + "\x00" + kind)
        rate = key.map(key.value_counts()).to_numpy(dtype=float) / span
        kinds = pd.Series(kind)
        kind_rate = kinds.map(kinds.value_counts()).to_numpy(dtype=float) / span
        memo: dict = {}
        klass = np.array([memo.setdefault((k, m), classify_event(k, m, classes=classes)) for k, m in zip(kind, message)],
                         dtype=object)
        time = pd.DatetimeIndex(ev["time"]) if len(ev) else pd.DatetimeIndex([], tz="UTC")
        return cls_(time, time.as_unit("ns").asi8, source, kind, message, domain, klass, rate, kind_rate)


def _source_loops(sources, columns) -> dict:
    """The control loop of each event source (:func:`_loop`), matched to the signals' loops
    across the two vocabularies: an alarm and event journal often names the bare tag
    (``FIC103``) where the historian names it with its unit (``DAIRY1:FIC103.SP``), or the
    other way round. A source whose loop no signal has takes the loop of the signals with its
    variable and number when exactly one unit has it and one of the two names has no unit;
    with two units to choose from (``L1.FIC103``, ``L2.FIC103``) it keeps its own.

    >>> cols = ["DAIRY1:FIC103.SP", "DAIRY1:FT103.PV", "L1.TIC131.SP", "L2.TIC131.SP"]
    >>> loops = _source_loops(["FIC103", "TIC131", "DAIRY1:FIC103", "hist01"], cols)
    >>> loops["FIC103"], loops["TIC131"], loops["DAIRY1:FIC103"], loops["hist01"]
    (('DAIRY1', 'F', '103'), ('', 'T', '131'), ('DAIRY1', 'F', '103'), None)
    """
    known: dict = {}
    for c in columns:
        loop = _loop(c)
        if loop is not None:
            known.setdefault(loop[1:], set()).add(loop)
    out = {}
    for source in dict.fromkeys(sources):
        loop = _loop(source)
        found = known.get(loop[1:], set()) if loop is not None else set()
        if loop not in found and len(found) == 1:
            (only,) = found
            if loop[0] == "" or only[0] == "":
                loop = only
        out[source] = loop
    return out


def _devices_of(name: str, devices: dict | None = None) -> set:
    """What an event's source may be called when it comes from the device of signal ``name``:
    the signal, its device (:func:`_device`) and its control loop (:func:`_loop`, a tuple no
    source name equals, matched against the source's own loop)."""
    return {str(name), _device(name, devices)} | ({_loop(name)} - {None})


def _change_times_by_device(runs: dict, devices: dict | None = None) -> dict:
    """When the signals of each device (and of each control loop) changed: device name or
    loop -> sorted change times [ns], over all the changes of the window. A setpoint's
    changes are left out: its step is the write of an action, not the process answering it."""
    times: dict = {}
    for x, seq in runs.items():
        # A setpoint records the write itself: that it stepped says nothing of whether the
        # process answered the action (its loop's measurement or output moving does).
        if _is_setpoint(x):
            continue
        t = [c.time.value for c in seq]
        for key in {_device(x, devices), _loop(x)} - {None}:
            times.setdefault(key, []).extend(t)
    return {k: np.sort(np.asarray(v, dtype=np.int64)) for k, v in times.items()}


#: An event acted on its own device when one of that device's signals changed from this long
#: before the event (a change record is often logged once the change is done; at least one
#: sampling step) to ``event_lead`` after it.
ACTED_BEFORE = pd.Timedelta("1min")


def _acted(keys, t_ns: int, device_changes: dict, before_s: float, lead_s: float) -> bool:
    """Whether a signal of the event source's device (``keys``: its name and its loop, see
    :func:`_change_times_by_device`) changed within ``before_s`` before to ``lead_s`` after
    the event at ``t_ns``.

    >>> t = pd.Timestamp("2026-03-04 09:00", tz="UTC").value
    >>> changes = {"gw-01": np.array([t + 120 * 10**9])}   # gw-01.cpu_pct moved 2 min after
    >>> _acted(("gw-01", None), t, changes, 60.0, 900.0), _acted(("hist-02", None), t, changes, 60.0, 900.0)
    (True, False)
    >>> _acted(("gw-01", None), t, changes, 60.0, 60.0)   # not within a minute
    False
    """
    for key in keys:
        times = device_changes.get(key) if key is not None else None
        if times is None or not len(times):
            continue
        i = int(np.searchsorted(times, t_ns - int(before_s * 1e9), "left"))
        if i < len(times) and times[i] <= t_ns + int(lead_s * 1e9):
            return True
    return False


def _score_events(events, anchors, sym_time, lo, hi, lead, step, classes, root_score, tz, anchor_terms=None,
                  chain_devices=(), root_domain="", root_name=None, first_of_chain=True, anchor_devices=None,
                  device_changes=None, chain_first=None, source_loops=None, spans=None) -> list:
    """Event sources as candidates: how likely each source's events in the ``lead`` before a
    change of the chain (``anchors``: (time, kind) of the changes of one signal's run,
    ``root_name``) are its trigger.

    Per event, the odds are prior(class) x proximity to the next anchor / P(an event of this
    kind falls in such an interval by chance, the union of the ``lead`` windows before the
    anchors); a source's odds are summed over its events and turned into a probability. The
    chance is that of an event of the same source and kind for a specific suspect, and that of
    an event of the same kind from any source otherwise: every source is asked at once whether
    it acted just before the chain began, and where twenty loops are trimmed in a shift one of
    the trims is bound to fall close to it, however rare each loop's own trims are.

    A specific suspect is an event from the device of the changed signal (``anchor_devices``,
    by default those of ``root_name``, :func:`_devices_of`; without a ``root_name``, every
    device of ``chain_devices``), or from another device of the
    chain (``chain_devices``) that the event visibly acted on: one of that device's signals
    other than a setpoint (which records the write, not its effect) changed within
    :data:`ACTED_BEFORE` before to ``lead`` after it (``device_changes``,
    :func:`_change_times_by_device`; without them, no other device is). A device whose
    signals joined the chain only long before or after its event gives that event no claim
    on another device's change: a database's firmware update 40 min before its CPU moved is
    no specific suspect for the analyser that stepped 3 min after the update. Nor does an event
    from the OT domain (an operator's trim of a loop of the chain) claim an IT signal's change
    (``root_domain`` ``"IT"``) that way: the process it acted on is not what a server's memory,
    a gateway's sessions or a firewall's traffic answer.

    ``chain_first`` is (time, signal) of the chain's first firmly linked change: the evidence
    says an event came before "the first change of the chain" only when the change it is
    scored against is not later than that, and names that change otherwise.

    ``spans`` maps an anchor's time to ``(lo, hi)``, the interval its onset is known to lie in
    (:func:`_proximity`; without it, the anchor's time is taken as exact).

    ``source_loops`` (source -> control loop, :func:`_source_loops`) matches a source to the
    loops of the signals where the journal and the historian name them differently; without
    it, a source's loop is read from its name alone.

    ``events`` is a DataFrame or an :class:`_EventTable` of the window."""
    if events is None or len(events) == 0:
        return []
    table = events if isinstance(events, _EventTable) else _EventTable.build(events, lo, hi, classes)
    if len(table) == 0:
        return []
    cell = max(step, pd.Timedelta("1s"))
    anchors = sorted(anchors)
    # Total length of the windows in which an event counts (overlaps counted once).
    covered, reach = 0.0, None
    for t, _ in anchors:
        a, b = t - lead, t + cell
        if reach is None or a > reach:
            covered += (b - a).total_seconds()
        elif b > reach:
            covered += (b - reach).total_seconds()
        reach = b if reach is None else max(reach, b)
    first = int(np.searchsorted(table.t_ns, (anchors[0][0] - lead).value, "left"))
    last = int(np.searchsorted(table.t_ns, min(anchors[-1][0] + cell, sym_time).value, "right"))
    lead_s, cell_s = lead.total_seconds(), cell.total_seconds()
    before_s = max(ACTED_BEFORE.total_seconds(), cell_s)
    # An operator's action (an OT event) acts on the process; a server's, a gateway's or a
    # firewall's metric does not answer a setpoint. So through another device of the chain it
    # claims OT changes only. The other way round the claim stands: a patch on a SCADA server
    # acts on the loops it runs.
    anchor_is_it = str(root_domain).upper() == "IT"
    if anchor_devices is None:
        anchor_devices = _devices_of(root_name) if root_name is not None else set(chain_devices)
    by_source: dict = {}
    for i in range(first, last):
        t_e = table.t_ns[i]
        best = None
        for t, kind in anchors:
            gap = (t.value - t_e) / 1e9
            if gap < -cell_s or gap > lead_s:
                continue
            # Inside the sampling cell of the change the order is unknown; so it is anywhere
            # within the interval the change's onset is known to lie in.
            proximity = _proximity(int(t_e), t, spans.get(t) if spans else None, lead_s, cell_s)
            # A gradual change (a ramp) is less often set off by one discrete event than a jump is.
            proximity *= GRADUAL_FACTOR if kind == "ramp" else 1.0
            if best is None or proximity > best[0]:
                best = (proximity, gap, t)
        if best is None:
            continue
        proximity, gap, t_anchor = best
        cls = table.cls[i]
        source, domain = table.source[i], table.domain[i]
        # The source by name, and as a loop.
        keys = (source, source_loops[source] if source_loops and source in source_loops else _loop(source))
        own = any(k in anchor_devices for k in keys)
        reaches = not (anchor_is_it and str(domain).upper() == "OT")
        same_device = cls in ("action", "other") and (
            own or (reaches and any(k in chain_devices for k in keys) and device_changes is not None
                    and _acted(keys, int(t_e), device_changes, before_s, lead_s)))
        rate = table.rate[i] if same_device else table.kind_rate[i]
        p_chance = 1.0 - math.exp(-float(rate) * covered)
        other_domain = not same_device and bool(root_domain and domain and domain != root_domain)
        relevance = DEVICE_EVENT_FACTOR if same_device else OTHER_DOMAIN_FACTOR if other_domain else 1.0
        odds = EVENT_PRIOR_ODDS[cls] * relevance * proximity / max(p_chance, 1e-6)
        by_source.setdefault(source, []).append((odds, i, cls, gap, t_anchor, same_device, other_domain, p_chance,
                                                 proximity, own))
    rows = []
    for source, items in by_source.items():
        total = sum(o for o, *_ in items)
        prob = total / (1.0 + total)
        _, i, cls, gap, t_anchor, same_device, other_domain, p_chance, proximity, own = max(items, key=lambda it: it[0])
        # Only an action (a change, a configuration, an operator's move) can be ranked above
        # the change it precedes; alarms, alerts and routine events are at most context.
        lift = ORIGIN_TRIGGER_LIFT if first_of_chain else LATER_TRIGGER_LIFT
        factor = (lift + prob) if cls == "action" else 0.9 * prob
        own_terms = {
            "trigger": math.log(max(factor, 1e-300)),
            "event": 1.0,
            # The parts of the trigger's odds, so that they can be weighed apart.
            "event_action": 1.0 if cls == "action" else 0.0,
            "event_same_device": float(same_device),
            "event_other_domain": float(other_domain),
            "event_chance": math.log(max(p_chance, 1e-6)),
            "event_proximity": float(proximity),
            "event_of_origin": 1.0 if first_of_chain else 0.0,
            "event_count": float(min(len(items), EVENT_COUNT_CAP)),
        }
        weighed = _weighted(own_terms)
        if cls != "action":
            # Alarms, alerts, routine and other events are context: whatever the weights, never
            # above the change they precede (as with the hand-set factor 0.9 x probability).
            weighed = min(weighed, 0.9 * prob)
        score = root_score * weighed
        terms = None if anchor_terms is None else {**anchor_terms, **own_terms}
        when = "in the same sampling interval as" if gap < 0 else f"{_fmt_lag(pd.Timedelta(seconds=gap))} before"
        chain_began = chain_first is None or t_anchor <= chain_first[0] + cell
        what = "the first change of the chain" if (first_of_chain and t_anchor == anchors[0][0] and chain_began) else (
            f"the change of {root_name} at {_local(t_anchor, tz)}")
        t_event = table.time[i]
        earlier = ""
        if first_of_chain and not chain_began and chain_first[1] != root_name:
            d = chain_first[0] - t_event
            rel = f"{_fmt_lag(d)} after this event" if d >= pd.Timedelta(0) else f"{_fmt_lag(-d)} before this event"
            earlier = f"; the chain's first firmly linked change: {chain_first[1]} at {_local(chain_first[0], tz)}, {rel}"
        others = f"; {len(items) - 1} more event(s) of this source near the same changes" if len(items) > 1 else ""
        span = spans.get(t_anchor) if spans else None
        if span is not None and (span[1] - span[0]) > cell and span[0] < table.time[i]:
            others += (f"; that change began between {_local(span[0], tz)} and {_local(span[1], tz)}, "
                       "so it may have come first")
        rows.append(
            {
                "name": source,
                "type": "event",
                "domain": str(table.domain[i]),
                "score": float(score),
                "onset": t_event,
                "evidence": (
                    f"{table.kind[i]} '{str(table.message[i])[:80]}' at {_local(t_event, tz)}, {when} {what} "
                    f"({cls}{others}); probability of being the trigger {prob:.2f}{earlier}"
                ),
                "link": float(prob),
                "lead": sym_time - t_event,
                "role": "trigger",
                "_terms": terms,
                # The change this event is scored against, and whether the event is an action of
                # that signal's own device (for _list_writes_once).
                "_anchor": (root_name, t_anchor, gap, cls == "action" and own),
            }
        )
    return rows


def _edges(via, when, link, hop_why, symptoms) -> pd.DataFrame:
    rows = []
    for x, y in via.items():
        if y is None:
            continue
        h = hop_why.get(x, {})
        rows.append(
            {
                "source_signal": x,
                "target_signal": y,
                "source_time": when.get(x),
                "target_time": when.get(y),
                "lag": h.get("lag", pd.NaT),
                "weight": link.get(x, np.nan),
                "timing_nats": h.get("timing", np.nan),
                "corr_nats": h.get("corr", np.nan),
                "device": bool(h.get("device", 0.0)),
                "r": h.get("r", np.nan),
            }
        )
    return pd.DataFrame(rows, columns=_EDGE_COLUMNS)


_EDGE_COLUMNS = ["source_signal", "target_signal", "source_time", "target_time", "lag", "weight", "timing_nats",
                 "corr_nats", "device", "r"]
