"""The IT estate of a hold-out plant: resource metrics, the OT/IT path and IT events.

The path (gateway + SCADA/line-controller server + OT firewall + OT core switch) carries the
supervisory control loops. Its state per second (:class:`~benchmarks.holdout.process.Path`) is
derived from the resources of the hosts on it and from what changed on them:

* CPU near saturation queues requests (latency grows like ``u / (1 - u)``), slows the scan
  and, above ~93 %, makes the gateway miss keep-alives (stalls);
* memory above ~90 % swaps: latency and stalls with stale cached reads;
* a full disk stops the store-and-forward buffer: periodic stalls;
* sessions or firewall connections at their limit make subscription renewals fail: stalls;
* changes: a firewall rule/IPS profile (latency, dropped sessions), a gateway update (restart,
  then a slower publishing interval), a switch QoS/storm-control push (packet loss), a SCADA
  patch with reboot (controller down, then a slower client), an antivirus policy push (CPU).

Everything exogenous (daily load, backups, antivirus scans, patching of unrelated hosts,
short communication blips, log noise) is drawn from generators that do not depend on the cause,
so the counterfactual day differs from the incident only by the cause.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from benchmarks.holdout.naming import ITNames, pick
from benchmarks.holdout.process import Path, ou_noise

SATURATION_VARIANTS = ("gw_cpu", "gw_mem", "gw_disk", "gw_sessions", "scada_cpu", "scada_mem", "fw_conns")
CHANGE_VARIANTS = ("fw_rule", "gw_update", "sw_qos", "scada_patch", "gw_av")

# variant -> (role of the root, metric that saturates)
SATURATION_ROOT = {
    "gw_cpu": ("gw", "cpu"), "gw_mem": ("gw", "mem"), "gw_disk": ("gw", "disk"), "gw_sessions": ("gw", "sessions"),
    "scada_cpu": ("scada", "cpu"), "scada_mem": ("scada", "mem"), "fw_conns": ("fw", "conns"),
}
CHANGE_ROOT = {"fw_rule": "fw", "gw_update": "gw", "sw_qos": "sw", "scada_patch": "scada", "gw_av": "gw"}


@dataclass
class ITCause:
    """The IT root cause of a scenario (``kind`` ``"change"`` or ``"saturation"``)."""

    kind: str
    variant: str
    onset: int  # [s] action time (change) or start of the resource growth (saturation)
    strength: float = 1.0  # calibration factor, 1 = nominal
    effect_delay: int = 1800  # saturation: [s] from onset until the resource saturates
    details: dict = field(default_factory=dict)


@dataclass
class ITDay:
    metrics: dict  # (role, what) -> array per second, in model units (% / ms / counts)
    path: Path
    stalls: list  # (start, duration, cause-induced?) communication stalls >= 1 s
    outages: dict  # role -> list of (a, b) seconds where its metrics agent is silent
    events: list  # IT events (dicts)
    severity: np.ndarray  # 0..1 degradation of the path caused by the root (0 in the counterfactual)


def _profile_hours(hours_local):
    """Office-hours load profile [0..1] from local clock hours."""
    h = np.asarray(hours_local)
    return 1.0 / (1.0 + np.exp(-(h - 7.5) * 1.5)) * (1.0 - 1.0 / (1.0 + np.exp(-(h - 17.5) * 1.2)))


def _ramp(n, start, dur):
    x = (np.arange(n) - start) / max(dur, 1.0)
    return np.clip(x, 0.0, 1.0)


def _add_window(arr, a, b, value, rise=30):
    """Add ``value`` over [a, b) with smooth edges of ``rise`` seconds."""
    n = arr.size
    a, b = max(0, int(a)), min(n, int(b))
    if b <= a:
        return
    idx = np.arange(a, b)
    w = np.minimum(np.minimum((idx - a) / rise, (b - idx) / rise), 1.0)
    arr[a:b] += value * w


def baseline_metrics(rng, n, hours_local) -> dict:
    """Daily behaviour of every exported metric, per second, in model units."""
    busy = _profile_hours(hours_local)
    m = {}

    def noise(sd, tau):
        return ou_noise(rng, n, sd, tau)

    cpu0 = rng.uniform(10, 28)
    cron = np.zeros(n)
    period = int(rng.choice([300, 600, 900]))
    cron[(np.arange(n) % period) < 25] = rng.uniform(8, 18)
    m["gw", "cpu"] = cpu0 + 6 * busy + noise(2.5, 30) + cron
    mem0 = rng.uniform(45, 68)
    gc = int(rng.uniform(1200, 2400))
    m["gw", "mem"] = mem0 + 3.0 * ((np.arange(n) % gc) / gc) + noise(0.25, 120)
    m["gw", "disk"] = rng.uniform(38, 78) + np.arange(n) / 3600 * rng.uniform(0.02, 0.12) + noise(0.01, 600)
    m["gw", "latency"] = np.full(n, rng.uniform(30, 90))  # filled from the path later
    sess0 = int(rng.integers(6, 15))
    steps = np.zeros(n)
    for t in rng.integers(0, n, size=int(rng.integers(3, 9))):
        steps[t:t + int(rng.integers(60, 1800))] += pick(rng, [-1, 1, 1, 2])
    m["gw", "sessions"] = sess0 + steps
    m["gw", "backlog"] = np.zeros(n)
    m["scada", "cpu"] = rng.uniform(12, 30) + 10 * busy + noise(3.0, 20)
    m["scada", "mem"] = rng.uniform(48, 70) + noise(0.4, 300)
    m["fw", "cpu"] = rng.uniform(8, 22) + 8 * busy + noise(1.5, 60)
    c0 = rng.uniform(1500, 6000)
    m["fw", "conns"] = c0 * (0.7 + 0.5 * busy) + noise(c0 * 0.03, 120)
    m["sw", "util"] = rng.uniform(4, 15) + 6 * busy + noise(1.5, 30)
    m["sw", "discards"] = np.abs(noise(0.4, 10))
    arch = np.zeros(n)
    per = int(rng.choice([900, 1800, 3600]))
    arch[(np.arange(n) % per) < 120] = rng.uniform(10, 25)
    m["hist", "cpu"] = rng.uniform(8, 22) + arch + noise(2.0, 30)
    m["hist", "io"] = rng.uniform(4, 12) + arch * 1.5 + noise(1.5, 20)
    m["mesdb", "cpu"] = rng.uniform(10, 25) + 25 * busy + noise(4.0, 30)
    m["mesdb", "mem"] = rng.uniform(70, 86) + noise(0.3, 600)
    m["fs", "disk"] = rng.uniform(55, 85) + np.arange(n) / 3600 * rng.uniform(0.01, 0.05) + noise(0.01, 900)
    m["bkp", "net"] = np.abs(noise(2.0, 30))
    return m


def _poisson_times(rng, rate, a, b):
    """Event times of a Poisson process with ``rate`` [1/s] in [a, b)."""
    k = rng.poisson(max(rate, 0.0) * max(b - a, 0))
    return np.sort(rng.uniform(a, b, size=k))


def _stall_list(rng, rate, lo, hi, n, mask=None):
    """Communication stalls (start, duration) as a Poisson process with per-second ``rate``."""
    out = []
    if np.isscalar(rate):
        rate = np.full(n, float(rate))
    cum = np.cumsum(rate)
    total = cum[-1] if cum.size else 0.0
    k = rng.poisson(total)
    if k == 0:
        return out
    u = np.sort(rng.uniform(0, total, size=k))
    starts = np.searchsorted(cum, u)
    last_end = -1
    for s in starts:
        s = int(s)
        if s <= last_end or (mask is not None and not mask[s]):
            continue
        d = int(rng.uniform(lo, hi))
        out.append((s, d))
        last_end = s + d + 5
    return out


def simulate_it(*, rng_day, rng_cause, names: ITNames, n: int, hours_local, cause: ITCause | None,
                distractors: list, blip_rate: float) -> ITDay:
    """The IT side of one day: metrics, path and the stalls it causes.

    ``rng_day`` draws everything exogenous (identical with and without the cause when it is
    seeded identically); ``rng_cause`` draws the cause's randomness. ``distractors``: IT
    happenings with a metric footprint (dicts from :func:`plan_it_distractors`).
    """
    m = baseline_metrics(rng_day, n, hours_local)
    outages: dict = {}
    # exogenous footprints: backups, antivirus scans, reboots of unrelated hosts, heavy jobs
    for d in distractors:
        a, b = d["start"], d["end"]
        if d["what"] == "backup":
            _add_window(m[d["role"], "io"] if (d["role"], "io") in m else m["hist", "io"], a, b, d["io"], 120)
            if (d["role"], "cpu") in m:
                _add_window(m[d["role"], "cpu"], a, b, d["cpu"], 120)
            _add_window(m["bkp", "net"], a, b, d["net"], 120)
            _add_window(m["sw", "util"], a, b, d["net"] / 25.0, 120)
        elif d["what"] == "av_scan":
            if (d["role"], "cpu") in m:
                _add_window(m[d["role"], "cpu"], a, b, d["cpu"], 60)
        elif d["what"] == "reboot":
            outages.setdefault(d["role"], []).append((a, b))
            if (d["role"], "cpu") in m:
                _add_window(m[d["role"], "cpu"], b, b + 900, 35.0, 60)
        elif d["what"] == "job":
            if (d["role"], "cpu") in m:
                _add_window(m[d["role"], "cpu"], a, b, d["cpu"], 90)
        elif d["what"] == "tuning":
            if (d["role"], "cpu") in m:
                m[d["role"], "cpu"][a:] += d["cpu"]

    severity = np.zeros(n)
    lag = np.full(n, 0.15)
    period = np.ones(n)
    stall_rate = np.zeros(n)
    stall_len = (20, 90)
    stale_reads = False
    down = np.zeros(n, dtype=bool)
    restart = None
    if cause is not None:
        s = cause.strength
        t0 = cause.onset
        v = cause.variant
        rc = rng_cause
        if cause.kind == "saturation":
            role, what = SATURATION_ROOT[v]
            ramp_len = cause.effect_delay
            if what == "cpu":
                base = m[role, "cpu"]
                target = rc.uniform(96.0, 99.5)
                step = np.clip((np.arange(n) - t0) / max(ramp_len, 60), 0, 1)
                # a runaway process: its share grows (a leak of threads), capped by the machine
                extra = (target - np.median(base)) * step ** 1.5
                m[role, "cpu"] = np.minimum(base + extra + ou_noise(rc, n, 1.0, 15) * (step > 0), 100.0)
                u = np.clip(m[role, "cpu"] / 100.0, 0, 0.995)
                sev = np.clip((u - 0.88) / 0.1, 0, 1)
                lag += s * 0.12 * u / (1 - u) * (u > 0.85)
                period += s * (30.0 if role == "scada" else 20.0) * sev
                stall_rate += s * sev / 150.0
                stall_len = (20, 120)
            elif what == "mem":
                base = m[role, "mem"]
                grow = (99.0 - np.median(base)) / max(ramp_len, 60)
                x = np.maximum(np.arange(n) - t0, 0) * grow * rc.uniform(1.0, 1.15)
                m[role, "mem"] = np.minimum(base + x, 99.6 + ou_noise(rc, n, 0.15, 60))
                sev = np.clip((m[role, "mem"] - 90.0) / 8.0, 0, 1)
                lag += s * 3.0 * sev
                period += s * (25.0 if role == "scada" else 15.0) * sev
                stall_rate += s * sev / 120.0
                stall_len = (30, 180)
                stale_reads = True
            elif what == "disk":
                base = m[role, "disk"]
                grow = (100.0 - np.median(base)) / max(ramp_len, 60)
                x = np.maximum(np.arange(n) - t0, 0) * grow
                m[role, "disk"] = np.minimum(base + x, 100.0)
                sev = (m[role, "disk"] >= 99.7).astype(float)
                stall_rate += s * sev / 100.0
                stall_len = (40, 180)
                stale_reads = True
            elif what == "sessions":
                base = m[role, "sessions"]
                limit = float(pick(rc, [32, 50, 64]))
                cause.details["session_limit"] = limit
                need = limit - np.median(base)
                leak_times = np.sort(rc.uniform(t0, t0 + ramp_len, size=int(need) + 2))
                add = np.searchsorted(leak_times, np.arange(n), side="right").astype(float)
                m[role, "sessions"] = np.minimum(base + add, limit)
                sev = (m[role, "sessions"] >= limit).astype(float)
                stall_rate += s * sev / 100.0
                stall_len = (40, 180)
                stale_reads = True
            elif what == "conns":
                base = m[role, "conns"]
                limit = float(np.ceil(np.max(base) * rc.uniform(1.6, 2.2) / 1000.0) * 1000.0)
                cause.details["connection_limit"] = limit
                grow = (limit - np.median(base)) / max(ramp_len, 60)
                x = np.maximum(np.arange(n) - t0, 0) * grow
                m[role, "conns"] = np.minimum(base + x, limit)
                sev = np.clip((m[role, "conns"] - 0.96 * limit) / (0.04 * limit), 0, 1)
                m["fw", "cpu"] += 20.0 * np.clip(x / limit, 0, 1)
                stall_rate += s * sev / 100.0
                stall_len = (30, 150)
                lag += s * 2.0 * sev
            severity = np.maximum(severity, sev)
        else:
            role = CHANGE_ROOT[v]
            act = t0 + int(cause.details.get("act_delay", 0))
            on = np.zeros(n)
            on[act:] = 1.0
            if v == "fw_rule":
                lag += s * rc.uniform(2.0, 4.0) * on * (1 + 0.5 * np.abs(ou_noise(rc, n, 1.0, 60)))
                stall_rate += s * on / 150.0
                stall_len = (30, 120)
                m["fw", "cpu"] += on * rc.uniform(8, 20)
                severity = on.copy()
            elif v == "gw_update":
                dt = int(rc.uniform(90, 240))
                restart = (act + int(rc.uniform(30, 120)), dt)
                outages.setdefault("gw", []).append((restart[0], restart[0] + dt))
                after = np.zeros(n)
                after[restart[0] + dt:] = 1.0
                period += s * rc.uniform(15.0, 30.0) * after
                lag += s * 0.8 * after
                stall_rate += s * after / 400.0
                m["gw", "cpu"] += after * rc.uniform(-4, 6)
                severity = np.maximum(after, (np.arange(n) >= restart[0]).astype(float))
            elif v == "sw_qos":
                # retransmissions: late and lost polls, and sessions that time out
                lag += s * rc.uniform(1.5, 4.0) * on * (1 + np.abs(ou_noise(rc, n, 1.0, 30)))
                period += s * rc.uniform(5.0, 15.0) * on
                stall_rate += s * on / 150.0
                stall_len = (15, 90)
                m["sw", "discards"] += on * rc.uniform(25, 80) * (1 + np.abs(ou_noise(rc, n, 0.5, 30)))
                severity = on.copy()
            elif v == "scada_patch":
                dt = int(rc.uniform(180, 420))
                restart = (act + int(rc.uniform(120, 600)), dt)
                outages.setdefault("scada", []).append((restart[0], restart[0] + dt))
                down[restart[0]:restart[0] + dt] = True
                after = np.zeros(n)
                after[restart[0] + dt:] = 1.0
                period += s * rc.uniform(12.0, 25.0) * after
                stall_rate += s * after / 300.0
                m["scada", "cpu"] += after * rc.uniform(3, 10)
                severity = np.maximum(after, down.astype(float))
            elif v == "gw_av":
                r = np.clip((np.arange(n) - act) / 300.0, 0, 1)
                m["gw", "cpu"] = np.minimum(m["gw", "cpu"] + r * rc.uniform(52, 68) * s ** 0.3, 100.0)
                u = np.clip(m["gw", "cpu"] / 100.0, 0, 0.995)
                sev = np.clip((u - 0.88) / 0.1, 0, 1)
                lag += s * 0.12 * u / (1 - u) * (u > 0.85)
                period += s * 20.0 * sev
                stall_rate += s * sev / 150.0
                stall_len = (20, 120)
                severity = np.maximum(sev, r * 0.3)

    # --- stalls: short exogenous blips plus those caused by the root
    blips = [(a, d, False) for a, d in _stall_list(rng_day, blip_rate, 6, 40, n)]
    caused = []
    if stall_rate.any():
        caused = [(a, d, True) for a, d in _stall_list(rng_cause, stall_rate, *stall_len, n)]
    if restart is not None:
        caused.append((restart[0], restart[1], True))
    stalls = sorted(blips + caused)
    for role, spans in outages.items():
        for a, b in spans:
            if role == "gw" and not any(s0 == a for s0, _, _ in stalls):
                stalls.append((a, b - a, cause is not None))
    stalls.sort()

    # --- the path as the supervisory loops see it
    passes = np.zeros(n, dtype=bool)
    per = np.maximum(np.round(period).astype(int), 1)
    # a fresh value every `period` seconds: walk the array (periods change slowly)
    i = 0
    while i < n:
        passes[i] = True
        i += per[i]
    writes = passes.copy()
    stalled = np.zeros(n, dtype=bool)
    for a, d, is_caused in stalls:
        stalled[a:a + d] = True
        if not (is_caused and stale_reads):
            # a stale cache keeps serving reads and passing writes; any other stall stops both
            writes[a:a + d] = False
    passes &= ~stalled
    lag_s = np.maximum(np.round(lag).astype(int), 0)
    lag_s = np.minimum(lag_s, 60)
    path = Path(passes=passes, lag=lag_s, host_down=down, writes=writes)

    # --- metrics that follow the path
    age = np.zeros(n)
    last = 0
    for i in np.flatnonzero(passes):
        age[last:i] = np.arange(i - last) + 0.0
        last = i
    age[last:] = np.arange(n - last)
    lat = m["gw", "latency"] + 1000.0 * (lag + 0.5 * (period - 1.0)) + np.minimum(age, 30.0) * 200.0 * stalled
    m["gw", "latency"] = lat * np.exp(ou_noise(rng_day, n, 0.15, 20))
    backlog = np.zeros(n)
    q = 0.0
    rate_in = rng_day.uniform(40, 200)
    st = stalled.tolist()
    for i in range(n):
        q = q + rate_in if st[i] else max(0.0, q - 4 * rate_in)
        backlog[i] = q
    m["gw", "backlog"] = backlog + np.abs(ou_noise(rng_day, n, 2.0, 10))
    for k in m:
        lo = 0.0
        hi = 100.0 if k[1] in ("cpu", "mem", "disk", "io", "util") else np.inf
        m[k] = np.clip(m[k], lo, hi)
    return ITDay(metrics=m, path=path, stalls=stalls, outages=outages, events=[], severity=severity)


def plan_it_distractors(rng, n, window, protect, names: ITNames) -> list:
    """Exogenous IT happenings with a metric footprint (and their events): backups, antivirus
    scans, patching of unrelated hosts, a heavy database job, a tuning change on the historian.

    ``window`` = (a, b) seconds of the exported data; ``protect`` = (a, b) around the incident
    where at least one hard distractor is placed.
    """
    a, b = window
    pa, pb = protect
    out = []
    # routine backup of the historian or file server (sometimes inside the incident window)
    for _ in range(int(rng.integers(1, 3))):
        role = pick(rng, ["hist", "fs", "mesdb"])
        t = int(rng.uniform(pa - 1800, pb)) if rng.random() < 0.5 else int(rng.uniform(a, b - 3600))
        dur = int(rng.uniform(1200, 3600))
        out.append({"what": "backup", "role": role, "start": t, "end": t + dur, "io": rng.uniform(35, 70),
                    "cpu": rng.uniform(8, 20), "net": rng.uniform(250, 900)})
    # antivirus full scan on a server or HMI
    role = pick(rng, ["hist", "mesdb", "scada", "hmi2", "ews"])
    t = int(rng.uniform(a, b - 2400))
    out.append({"what": "av_scan", "role": role, "start": t, "end": t + int(rng.uniform(900, 2400)),
                "cpu": rng.uniform(15, 30)})
    # patching + reboot of unrelated hosts (with change records), one close before the incident
    hosts = ["fs", "mesdb", "dc", "hmi2", "ews", "wsus", "prn"]
    for k in range(int(rng.integers(2, 4))):
        role = pick(rng, hosts)
        if k == 0:
            t = int(rng.uniform(pa - 2400, pa + 300))
        else:
            t = int(rng.uniform(a, b - 1800))
        dur = int(rng.uniform(180, 480))
        out.append({"what": "reboot", "role": role, "start": t + int(rng.uniform(300, 900)), "end": 0,
                    "change_at": t, "dur": dur})
        out[-1]["end"] = out[-1]["start"] + dur
    # a heavy MES job or index rebuild
    t = int(rng.uniform(pa - 3600, pb))
    out.append({"what": "job", "role": "mesdb", "start": t, "end": t + int(rng.uniform(900, 2700)),
                "cpu": rng.uniform(35, 55)})
    # a tuning change on the historian (a bigger, lasting CPU step than many roots)
    if rng.random() < 0.6:
        t = int(rng.uniform(pa - 3000, pb - 600))
        out.append({"what": "tuning", "role": "hist", "start": t, "end": t, "cpu": rng.uniform(12, 25)})
    for d in out:
        d["start"] = int(min(max(d["start"], a + 60), n - 120))
        d["end"] = int(min(max(d["end"], d["start"] + 60), n - 60))
    return out


def hours_of(t_utc0, n, tz):
    """Local clock hour (float) for every second of the day."""
    import pandas as pd

    start = pd.Timestamp(t_utc0).tz_convert(tz)
    h0 = start.hour + start.minute / 60 + start.second / 3600
    return (h0 + np.arange(n) / 3600.0) % 24.0


__all__ = ["ITCause", "ITDay", "simulate_it", "plan_it_distractors", "hours_of", "SATURATION_VARIANTS",
           "CHANGE_VARIANTS", "SATURATION_ROOT", "CHANGE_ROOT"]
