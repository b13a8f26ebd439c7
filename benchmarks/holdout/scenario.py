"""One hold-out incident, simulated twice: with its root cause and without it.

:func:`build` draws everything from ``(cause, seed)``: the plant (dairy HTST line or
water works), its time zone and date, names, the variant of the cause, the exogenous day
(raw material, utilities, demand, backwashes, IT load, backups, patching, log noise), the
routine operator actions and the distractors, then calibrates the strength of the cause so
the symptom crosses its alarm limit inside the exported window, and finally simulates the
*counterfactual* day (same everything, no cause). The difference between the two gives,
for every signal of the causal chain, the second at which it first departs visibly from
what it would have done: that is the ground truth of "what changed first".
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from benchmarks.holdout import process as P
from benchmarks.holdout.estate import (
    CHANGE_ROOT,
    CHANGE_VARIANTS,
    SATURATION_ROOT,
    SATURATION_VARIANTS,
    ITCause,
    hours_of,
    plan_it_distractors,
    simulate_it,
)
from benchmarks.holdout.naming import draw_it_names, draw_ot_names, pick

CAUSES = ("ot_fault", "setpoint_change", "it_change", "it_saturation")

OT_FAULTS = {
    "dairy": ("fouling", "steam_trap", "chiller", "feed_pump", "hw_pump"),
    "water": ("intake_pump", "coag_prime", "turb_drift", "filter_valve", "hypo_pump"),
}
SP_CHANGES = {
    "dairy": ("flow_up", "glycol_up", "hold_down"),
    "water": ("dose_down", "ph_up", "cl_up", "cl_down"),
}

# variant -> (root key, chain keys, symptom key, direction, nominal minutes from onset to noticed)
_OT_VARIANTS = {
    "fouling": ("PDT125", ["PDT125", "TT122", "TT131"], "TT131", "lo", 75),
    "steam_trap": ("ZT121", ["ZT121", "TT122", "TT131"], "TT131", "lo", 40),
    "chiller": ("TT150", ["TT150", "ZT152", "TT151"], "TT151", "hi", 50),
    "feed_pump": ("VT102", ["VT102", "SC102", "FT103", "LT155"], "LT155", "lo", 70),
    "hw_pump": ("FT123", ["FT123", "TT122", "TT131"], "TT131", "lo", 50),
    "flow_up": ("FIC103.SP", ["FIC103.SP", "FT103", "ZT121", "TT131"], "TT131", "lo", 10),
    "glycol_up": ("TIC150.SP", ["TIC150.SP", "TT150", "ZT152", "TT151"], "TT151", "hi", 30),
    "hold_down": ("TIC131.SP", ["TIC131.SP", "TIC122.SP", "TT122", "TR133"], "TR133", "lo", 8),
    "intake_pump": ("VT101", ["VT101", "SC101", "FT101", "LT701"], "LT701", "lo", 100),
    "coag_prime": ("FT201", ["FT201", "AT202", "AT301", "AT501"], "AT501", "hi", 50),
    "turb_drift": ("AT102", ["AT102", "FT201", "AT301", "AT501"], "AT501", "hi", 70),
    "filter_valve": ("ZT{k}2", ["ZT{k}2", "LT{k}1"], "LT{k}1", "hi", 12),
    "hypo_pump": ("FT601", ["FT601", "SC601", "AT601", "AT602"], "AT602", "lo", 55),
    "dose_down": ("FFIC201.SP", ["FFIC201.SP", "FT201", "AT301", "AT501"], "AT501", "hi", 35),
    "ph_up": ("AIC202.SP", ["AIC202.SP", "SC203", "AT202", "AT301", "AT501"], "AT501", "hi", 30),
    "cl_up": ("AIC601.SP", ["AIC601.SP", "SC601", "AT601", "AT602"], "AT602", "hi", 35),
    "cl_down": ("AIC601.SP", ["AIC601.SP", "SC601", "AT601", "AT602"], "AT602", "lo", 35),
}
# the OT part of an IT-caused chain, per plant
_IT_TAIL = {
    "dairy": (["TIC122.SP", "TT122", "TT131"], "TT131", "lo"),
    "water": (["SC203", "AT202", "AT301", "AT501"], "AT501", "hi"),
}

WARMUP_S = 45 * 60
MAX_DELAY_S = 190 * 60

_ZONES = {
    "de": ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Amsterdam"],
    "us": ["America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles"],
    "uk": ["Europe/London", "Australia/Sydney", "Pacific/Auckland", "Europe/Dublin"],
    "iso": ["Asia/Kolkata", "Asia/Tokyo", "Asia/Singapore", "Africa/Johannesburg", "Asia/Kathmandu",
            "Europe/Helsinki", "America/Sao_Paulo"],
    "fr": ["Europe/Paris", "Europe/Madrid", "America/Sao_Paulo", "America/Mexico_City"],
}


@dataclass
class Incident:
    """Everything simulated for one hold-out incident (true values, UTC clock)."""

    cause: str
    seed: int
    plant: str
    variant: str
    t0: pd.Timestamp  # UTC instant of second 0 of the simulation
    n: int
    window: tuple  # (first, last+1) exported seconds
    tz: str
    locale: str
    ot_names: object
    it_names: object
    tags: list  # TagSpec
    params: dict
    ot: dict  # key -> true array per second (incident)
    ot_cf: dict  # counterfactual
    it: object  # ITDay (incident)
    it_cf: object  # ITDay (counterfactual)
    onset: int
    noticed: int
    crossing: int
    root: str  # logical key: OT tag key, "it:<role>.<what>" metric or "host:<role>"
    chain: list
    symptom: str
    direction: str
    strength: float
    actions: list  # operator actions (second, key, old, new, note)
    phases: list
    it_cause: ITCause | None
    it_distractors: list
    ot_distractors: list
    details: dict = field(default_factory=dict)

    def time(self, seconds) -> pd.Timestamp:
        return self.t0 + pd.to_timedelta(seconds, unit="s")


def _transitions(tz: str, start: pd.Timestamp, end: pd.Timestamp) -> list:
    idx = pd.date_range(start.floor("h"), end.ceil("h"), freq="h", tz="UTC")
    local = idx.tz_convert(tz).tz_localize(None)
    off = (local - idx.tz_localize(None)).total_seconds().to_numpy()
    ch = np.flatnonzero(np.diff(off) != 0)
    return [idx[i + 1] for i in ch]


def _draw_time(rng, dur_s):
    locale = pick(rng, list(_ZONES))
    tz = pick(rng, _ZONES[locale])
    year = int(rng.integers(2024, 2027))
    day = pd.Timestamp(f"{year}-01-01", tz="UTC") + pd.Timedelta(days=int(rng.integers(0, 330)))
    want_dst = rng.random() < 0.3
    trans = _transitions(tz, pd.Timestamp(f"{year}-01-01", tz="UTC"), pd.Timestamp(f"{year}-12-31", tz="UTC"))
    if want_dst and trans:
        tr = pick(rng, trans)
        # the clock change falls early in the exported window, well before the incident
        frac = rng.uniform(0.03, 0.08)
        t_export = tr - pd.Timedelta(seconds=int(frac * dur_s)) - pd.Timedelta(seconds=int(rng.integers(0, 600)))
    else:
        local_start = int(rng.integers(0, 24)) * 3600 + int(rng.integers(0, 3600))
        t_export = (day.tz_convert(tz).normalize() + pd.Timedelta(seconds=local_start)).tz_convert("UTC")
    t_export = t_export.floor("s")
    return locale, tz, t_export - pd.Timedelta(seconds=WARMUP_S)


# ---------------------------------------------------------------------------------------------
# exogenous day
# ---------------------------------------------------------------------------------------------

def _dairy_exo(rng, p, n, hours, a, b):
    tin = p["tin"] + P.ou_noise(rng, n, 0.15, 1800)
    changes = []
    for _ in range(int(rng.integers(1, 3))):
        t = int(rng.uniform(a + 600, b - 600))
        step = rng.uniform(0.4, 1.4) * pick(rng, [-1, 1])
        tin[t:] += step * (1 - np.exp(-np.arange(n - t) / 240.0))
        changes.append((t, "silo", f"Silo changeover: feeding from silo {int(rng.integers(1, 5))}"))
    pt = p["pt170_nom"] + P.ou_noise(rng, n, 0.035, 60)
    for _ in range(int(rng.integers(1, 3))):
        t = int(rng.uniform(a, b - 1800))
        d = int(rng.uniform(1200, 2400))
        drop = rng.uniform(0.25, 0.5)
        w = np.zeros(n)
        w[t:t + d] = 1.0
        from scipy.signal import lfilter

        w = lfilter([1 / 90.0], [1, -(1 - 1 / 90.0)], w)
        pt -= drop * w
        changes.append((t, "cip", f"CIP started on line {int(rng.integers(1, 4))} (steam demand)"))
        changes.append((t + d, "cip_end", "CIP finished"))
    tamb = 18 + 4 * np.sin(2 * np.pi * (hours - 9) / 24) + P.ou_noise(rng, n, 0.3, 1800)
    return {"tin": tin, "pt170": pt, "tamb": tamb}, changes


def _water_exo(rng, p, n, hours, a, b):
    base = rng.uniform(3.0, 12.0)
    turb = base * np.exp(P.ou_noise(rng, n, 0.12, 3600))
    changes = []
    if rng.random() < 0.4:
        t = int(rng.uniform(a, b - 3600))
        rise = rng.uniform(1.8, 3.0)
        turb *= 1 + (rise - 1) * np.clip((np.arange(n) - t) / rng.uniform(3600, 9000), 0, 1)
        changes.append((t, "rain", "Heavy rain upstream reported by intake"))
    p["t_ref"] = float(base)  # the dose setpoint was set for ordinary raw water
    ph = p["ph_raw"] + P.ou_noise(rng, n, 0.04, 3600)
    temp = rng.uniform(5.0, 22.0) + 0.5 * np.sin(2 * np.pi * (hours - 15) / 24) + P.ou_noise(rng, n, 0.05, 3600)
    diurnal = 0.16 * np.sin(2 * np.pi * (hours - 10) / 24) + 0.05 * np.sin(4 * np.pi * (hours - 7) / 24)
    demand = p["q_nom"] * rng.uniform(0.9, 1.0) * (1 + diurnal) + P.ou_noise(rng, n, 0.012 * p["q_nom"], 180)
    bw = np.zeros(n, dtype=int)
    k = int(rng.integers(1, p["n_filters"] + 1))
    t = int(rng.uniform(0, 5400))
    while t < n - 1200:
        dur = int(rng.uniform(720, 960))
        bw[t:t + dur] = k
        k = k % p["n_filters"] + 1
        t += dur + int(rng.uniform(5400, 12000))
    return {"turb_raw": turb, "ph_raw": ph, "temp": temp, "demand": demand, "backwash": bw}, changes


def _base_setpoints(plant, p, n):
    if plant == "dairy":
        return {"FIC103.SP": np.full(n, p["q_nom"]), "TIC131.SP": np.full(n, p["sp131"]),
                "PIC140.SP": np.full(n, p["pt140_sp"]), "TIC150.SP": np.full(n, p["glycol_sp"])}
    return {"FIC101.SP": np.full(n, p["q_nom"]), "FFIC201.SP": np.full(n, p["dose"]),
            "AIC202.SP": np.full(n, p["ph_sp"]), "LIC400.SP": np.full(n, p["filter_lvl"]),
            "AIC601.SP": np.full(n, p["cl_sp"]), "PIC801.SP": np.full(n, p["p_sp"])}


def _routine_sp_changes(rng, plant, p, chain, window, near):
    """Operator setpoint changes that are not the cause: (second, key, new value, note)."""
    a, b = window
    na, nb = near
    if plant == "dairy":
        options = [
            ("PIC140.SP", lambda v: v + pick(rng, [-1, 1]) * float(rng.choice([10, 15, 20, 25])), "homogeniser trim"),
            ("TIC150.SP", lambda v: v + pick(rng, [-0.5, 0.5]), "glycol setpoint adjusted"),
            ("TIC131.SP", lambda v: round(v + pick(rng, [0.1, 0.2, 0.3]), 1), "holding temperature trim"),
            ("FIC103.SP", lambda v: round(v * rng.uniform(0.95, 0.98), -1), "line speed reduced"),
        ]
    else:
        options = [
            ("PIC801.SP", lambda v: round(v + pick(rng, [-1, 1]) * rng.uniform(0.2, 0.6), 1), "network pressure"),
            ("LIC400.SP", lambda v: round(v + pick(rng, [-1, 1]) * rng.uniform(0.04, 0.1), 2), "filter level"),
            ("AIC601.SP", lambda v: round(v + pick(rng, [-1, 1]) * rng.uniform(0.03, 0.08), 2), "chlorine trim"),
            ("FFIC201.SP", lambda v: round(v * rng.uniform(1.02, 1.08), 1), "coagulant dose"),
            ("AIC202.SP", lambda v: round(v + pick(rng, [-1, 1]) * 0.05, 2), "coagulation pH trim"),
        ]
    options = [o for o in options if o[0] not in chain]
    out = []
    k = int(rng.integers(2, 5))
    current = {}
    base = {"PIC140.SP": p.get("pt140_sp"), "TIC150.SP": p.get("glycol_sp"), "TIC131.SP": p.get("sp131"),
            "FIC103.SP": p.get("q_nom"), "PIC801.SP": p.get("p_sp"), "LIC400.SP": p.get("filter_lvl"),
            "AIC601.SP": p.get("cl_sp"), "FFIC201.SP": p.get("dose"), "AIC202.SP": p.get("ph_sp")}
    for j in range(k):
        key, f, note = options[int(rng.integers(0, len(options)))]
        # the first one lands close to the root (before or just after it)
        t = int(rng.uniform(na, nb)) if j == 0 else int(rng.uniform(a + 300, b - 900))
        old = current.get(key, base[key])
        new = float(f(old))
        current[key] = new
        out.append((t, key, new, note))
    out.sort()
    return out


# ---------------------------------------------------------------------------------------------
# cause variants: fault arrays and setpoint overrides as a function of the strength
# ---------------------------------------------------------------------------------------------

def _dairy_fault(variant, n, onset, s, shape, sp):
    f = {"pump_eta": np.ones(n), "vib_add": np.zeros(n), "fouling": np.zeros(n), "steam_cap": np.ones(n),
         "chiller_eta": np.ones(n), "hw_flow": np.ones(n)}
    t = np.arange(n) - onset
    r = np.clip(t / shape.get("T", 1.0), 0, None)
    if variant == "fouling":
        f["fouling"] = s * shape["F"] * r ** 1.3
    elif variant == "steam_trap":
        f["steam_cap"] = 1 - np.minimum(s * 0.3 * np.clip(r, 0, 1), 0.8)
    elif variant == "chiller":
        f["chiller_eta"] = 1 - np.minimum(s * 0.5 * np.clip(r, 0, 1), 0.92)
    elif variant == "feed_pump":
        f["vib_add"] = shape["V"] * np.clip(r, 0, 1.5) ** 1.5
        r2 = np.clip((t - 0.35 * shape["T"]) / shape["T"], 0, 1.2)
        f["pump_eta"] = 1 - np.minimum(s * 0.42 * r2 ** 1.5, 0.85)
    elif variant == "hw_pump":
        f["hw_flow"] = 1 - np.minimum(s * 0.55 * np.clip(r, 0, 1), 0.88)
    elif variant == "flow_up":
        sp["FIC103.SP"][onset:] = round(sp["FIC103.SP"][onset - 1] * (1 + s * shape["up"]), -2)
    elif variant == "glycol_up":
        sp["TIC150.SP"][onset:] = sp["TIC150.SP"][onset - 1] + round(s * shape["up"], 1)
    elif variant == "hold_down":
        sp["TIC131.SP"][onset:] = round(max(shape["divert"] + shape["margin"] / s, shape["divert"] + 0.05), 1)
    return f


def _water_fault(variant, n, onset, s, shape, sp, nf):
    f = {"pump_eta": np.ones(n), "vib_add": np.zeros(n), "current_add": np.zeros(n), "coag_prime": np.ones(n),
         "turb_drift": np.ones(n), "valve_limit": np.full((nf, n), 100.0), "hypo_eta": np.ones(n)}
    t = np.arange(n) - onset
    r = np.clip(t / shape.get("T", 1.0), 0, None)
    if variant == "intake_pump":
        f["vib_add"] = shape["V"] * np.clip(r, 0, 1.5) ** 1.5
        f["current_add"] = shape["I"] * np.clip(r, 0, 1.5) ** 1.5
        r2 = np.clip((t - 0.3 * shape["T"]) / shape["T"], 0, 1.2)
        f["pump_eta"] = 1 - np.minimum(s * 0.35 * r2 ** 1.5, 0.8)
    elif variant == "coag_prime":
        f["coag_prime"] = 1 - np.minimum(s * 0.5 * np.clip(r, 0, 1), 0.95)
    elif variant == "turb_drift":
        f["turb_drift"] = 1 - np.minimum(s * 0.5 * np.clip(r, 0, 1), 0.9)
    elif variant == "filter_valve":
        k = shape["k"] - 1
        end = max(100.0 - s * shape["close"], 2.0)
        f["valve_limit"][k] = 100.0 - (100.0 - end) * np.clip(r, 0, 1)
    elif variant == "hypo_pump":
        f["hypo_eta"] = 1 - np.minimum(s * 0.5 * np.clip(r, 0, 1), 0.9)
    elif variant == "dose_down":
        sp["FFIC201.SP"][onset:] = round(sp["FFIC201.SP"][onset - 1] * (1 - min(s * shape["down"], 0.7)), 1)
    elif variant == "ph_up":
        sp["AIC202.SP"][onset:] = round(sp["AIC202.SP"][onset - 1] + s * shape["up"], 2)
    elif variant == "cl_up":
        sp["AIC601.SP"][onset:] = round(sp["AIC601.SP"][onset - 1] + s * shape["up"], 2)
    elif variant == "cl_down":
        sp["AIC601.SP"][onset:] = round(max(sp["AIC601.SP"][onset - 1] - s * shape["up"], 0.1), 2)
    return f


def _shape(rng, variant, plant, p):
    if variant == "fouling":
        return {"T": rng.uniform(2400, 4200), "F": rng.uniform(0.9, 1.4)}
    if variant == "steam_trap":
        return {"T": rng.uniform(1200, 3000)}
    if variant in ("chiller", "hw_pump", "coag_prime", "hypo_pump"):
        return {"T": rng.uniform(900, 2700)}
    if variant in ("feed_pump", "intake_pump"):
        return {"T": rng.uniform(1800, 3600), "V": rng.uniform(2.5, 5.0), "I": rng.uniform(4.0, 10.0)}
    if variant == "turb_drift":
        return {"T": rng.uniform(1800, 4800)}
    if variant == "filter_valve":
        return {"T": rng.uniform(240, 900), "k": int(rng.integers(1, p.get("n_filters", 3) + 1)),
                "close": rng.uniform(70, 90)}
    if variant == "flow_up":
        return {"up": rng.uniform(0.18, 0.28)}
    if variant == "glycol_up":
        return {"up": rng.uniform(3.5, 5.0)}
    if variant == "hold_down":
        return {"margin": rng.uniform(0.3, 0.7), "divert": p["divert_at"]}
    if variant == "dose_down":
        return {"down": rng.uniform(0.28, 0.4)}
    if variant == "ph_up":
        return {"up": rng.uniform(0.3, 0.45)}
    if variant in ("cl_up", "cl_down"):
        return {"up": rng.uniform(0.55, 0.75)}
    return {}


def _nominal_delay(variant, plant, it_cause=None):
    if variant in _OT_VARIANTS:
        return _OT_VARIANTS[variant][4] * 60
    if variant in SATURATION_VARIANTS:
        return it_cause.effect_delay + 20 * 60
    return 20 * 60


# ---------------------------------------------------------------------------------------------
# simulation of one day
# ---------------------------------------------------------------------------------------------

def _run(plant, p, n, exo, sp, fault, path, operator):
    if plant == "dairy":
        return P.simulate_dairy(p, n, exo, sp, fault, path)
    return P.simulate_water(p, n, exo, sp, fault, path, operator=operator)


def _first_crossing(x, limit, direction, start, stop, hold=30):
    """First second in [start, stop) from which x stays beyond ``limit`` for ``hold`` seconds."""
    seg = x[start:stop]
    bad = seg < limit if direction == "lo" else seg > limit
    if not bad.any():
        return None
    run = np.convolve(bad.astype(int), np.ones(hold, dtype=int), mode="valid")
    hits = np.flatnonzero(run == hold)
    if hits.size == 0:
        return None
    return start + int(hits[0])


def visible_onset(x, x_cf, threshold, start, hold=10):
    """First second (>= start) where |x - x_cf| exceeds ``threshold`` for ``hold`` seconds."""
    d = np.abs(np.asarray(x[start:], dtype=float) - np.asarray(x_cf[start:], dtype=float)) > threshold
    if not d.any():
        return None
    run = np.convolve(d.astype(int), np.ones(hold, dtype=int), mode="valid")
    hits = np.flatnonzero(run == hold)
    return None if hits.size == 0 else start + int(hits[0])


def build(cause: str, seed: int) -> Incident:
    """Simulate one hold-out incident of ``cause`` for ``seed`` (deterministic)."""
    if cause not in CAUSES:
        raise ValueError(f"cause: expected one of {', '.join(CAUSES)}; got {cause!r}")
    last_error = None
    for attempt in range(6):
        try:
            return _build(cause, int(seed), attempt)
        except _Retry as exc:  # the drawn day cannot host this incident: draw another one
            last_error = exc
    raise RuntimeError(f"holdout generator: no valid incident for cause={cause!r}, seed={seed}: {last_error}")


class _Retry(Exception):
    """The day drawn for this attempt cannot host the incident (the next attempt draws another)."""


def _build(cause, seed, attempt) -> Incident:
    ss = np.random.SeedSequence([int(seed), CAUSES.index(cause), 20240611, attempt])
    kids = ss.spawn(10)
    r_plant, r_time, r_exo, r_sched, r_var, _, _, r_distr, r_names, r_misc = (np.random.default_rng(k) for k in kids)
    seq_it_day, seq_it_cause = kids[5], kids[6]

    plant = pick(r_plant, ["dairy", "water"])
    p = P.dairy_params(r_plant) if plant == "dairy" else P.water_params(r_plant)
    dur = int(r_time.uniform(6.0, 10.0) * 3600) // 60 * 60
    n = WARMUP_S + dur
    a, b = WARMUP_S, n
    locale, tz, t0 = _draw_time(r_time, dur)
    hours = hours_of(t0, n, tz)

    exo, exo_events = (_dairy_exo if plant == "dairy" else _water_exo)(r_exo, p, n, hours, a, b)
    tags = P.dairy_tags(p) if plant == "dairy" else P.water_tags(p)
    tag_by_key = {t.key: t for t in tags}
    ot_names = draw_ot_names(r_names, plant)
    it_names = draw_it_names(r_names, plant, ot_names.site)

    # --- the cause
    if cause == "ot_fault":
        variant = pick(r_var, OT_FAULTS[plant])
    elif cause == "setpoint_change":
        variant = pick(r_var, SP_CHANGES[plant])
    elif cause == "it_change":
        variant = pick(r_var, CHANGE_VARIANTS)
    else:
        variant = pick(r_var, SATURATION_VARIANTS)
    shape = _shape(r_var, variant, plant, p)
    it_cause = None
    if variant in _OT_VARIANTS:
        root, chain, symptom, direction, _ = _OT_VARIANTS[variant]
        if "{k}" in root:
            k = shape["k"]
            root, symptom = root.format(k=f"4{k}"), symptom.format(k=f"4{k}")
            chain = [c.format(k=f"4{k}") for c in chain]
    else:
        tail, symptom, direction = _IT_TAIL[plant]
        if cause == "it_change":
            role = CHANGE_ROOT[variant]
            root = f"host:{role}"
            mid = {"fw_rule": ["it:gw.latency"], "gw_update": ["it:gw.latency"],
                   "sw_qos": ["it:sw.discards", "it:gw.latency"], "scada_patch": [],
                   "gw_av": ["it:gw.cpu", "it:gw.latency"]}[variant]
            it_cause = ITCause("change", variant, onset=0)
        else:
            role, what = SATURATION_ROOT[variant]
            root = f"it:{role}.{what}"
            mid = [] if variant.startswith("scada") else ["it:gw.latency"]
            it_cause = ITCause("saturation", variant, onset=0, effect_delay=int(r_var.uniform(900, 4800)))
        chain = [root, *mid, *tail]

    # --- placement of the onset, then calibration of the strength
    delay0 = _nominal_delay(variant, plant, it_cause)
    lo_notice = a + max(2.5 * 3600, delay0 + 1.6 * 3600)
    hi_notice = b - 50 * 60
    if lo_notice >= hi_notice:
        lo_notice = hi_notice - 600
    onset = int(r_var.uniform(lo_notice, hi_notice) - delay0)
    onset = max(onset, a + 7200)
    strength = float(r_var.uniform(0.85, 1.15))

    # --- exogenous operator actions, distractors and the IT plan (independent of the cause)
    near = (onset - 2400, onset + 900)
    sp_base = _base_setpoints(plant, p, n)
    routine = _routine_sp_changes(r_sched, plant, p, chain, (a, b), near)
    for t, key, new, _ in routine:
        sp_base[key][t:] = new
    operator = None
    if plant == "water":
        operator = {"period": int(r_sched.choice([900, 1200, 1800])), "phase": int(r_sched.integers(0, 900)),
                    "band": float(r_sched.uniform(0.25, 0.4)), "step": float(round(0.04 * p["q_nom"], -1))}
    it_distr = plan_it_distractors(r_distr, n, (a, b), (onset - 2400, onset + 1800), it_names)
    blip_rate = float(r_distr.uniform(1 / 2700, 1 / 1200))

    def it_day(with_cause, c):
        return simulate_it(rng_day=np.random.default_rng(seq_it_day), rng_cause=np.random.default_rng(seq_it_cause),
                           names=it_names, n=n, hours_local=hours, cause=c if with_cause else None,
                           distractors=it_distr, blip_rate=blip_rate)

    def ot_day(with_cause, s, on, it):
        sp = {k: v.copy() for k, v in sp_base.items()}
        if plant == "dairy":
            f = _dairy_fault(variant if with_cause and variant in _OT_VARIANTS else None, n, on, s, shape, sp)
        else:
            f = _water_fault(variant if with_cause and variant in _OT_VARIANTS else None, n, on, s, shape, sp,
                             p["n_filters"])
        return _run(plant, p, n, exo, sp, f, it.path, operator), sp

    limit = tag_by_key[symptom].alarm_lo if direction == "lo" else tag_by_key[symptom].alarm_hi
    if symptom == "TR133":
        limit = p["divert_at"] + 0.2
    result = None
    for _ in range(12):
        if it_cause is not None:
            it_cause.onset, it_cause.strength = onset, strength
        it = it_day(True, it_cause)
        sim, sp_used = ot_day(True, strength, onset, it)
        # noticed within ~3 h of the onset, so the default 4 h look-back holds the root
        cross = _first_crossing(sim.values[symptom], limit, direction, onset,
                                min(b - 40 * 60, onset + MAX_DELAY_S), hold=10)
        if cross is not None:
            result = (it, sim, sp_used, cross)
            break
        strength *= 1.6
        if strength > 4.5:
            onset -= 1800
            strength = float(r_var.uniform(1.0, 1.3))
            if onset < a + 7200:
                break
    if result is None:
        raise _Retry(f"{variant}: the symptom never crossed its limit")
    it, sim, sp_used, cross = result
    noticed = cross + int(r_misc.uniform(60, 480))
    if noticed > b - 35 * 60:
        raise _Retry(f"{variant}: noticed too late")

    # --- the counterfactual day
    it_cf = it_day(False, it_cause)
    sim_cf, _ = ot_day(False, strength, onset, it_cf)
    cf_cross = _first_crossing(sim_cf.values[symptom], limit, direction, a, noticed + 600, hold=10)
    if cf_cross is not None:
        raise _Retry(f"{variant}: the symptom also crosses without the cause (second {cf_cross})")

    inc = Incident(
        cause=cause, seed=seed, plant=plant, variant=variant, t0=t0, n=n, window=(a, b), tz=tz, locale=locale,
        ot_names=ot_names, it_names=it_names, tags=tags, params=p, ot=sim.values, ot_cf=sim_cf.values, it=it,
        it_cf=it_cf, onset=onset, noticed=noticed, crossing=cross, root=root, chain=chain, symptom=symptom,
        direction=direction, strength=strength, actions=sim.actions, phases=sim.phases, it_cause=it_cause,
        it_distractors=it_distr, ot_distractors=routine,
        details={"shape": shape, "exo_events": exo_events, "limit": limit, "operator": operator,
                 "actions_cf": sim_cf.actions, "attempt": attempt, "sp_used": sp_used},
    )
    # keep the intermediate links that visibly move between the root and the symptom, in that order
    on = chain_onsets(inc)
    first, last = on.get(inc.root), on.get(inc.symptom)
    if first is None or last is None or first > last:
        raise _Retry(f"{variant}: root visible at {first}, symptom at {last}")
    mids = [k for k in inc.chain[1:-1] if on.get(k) is not None and first <= on[k] <= last]
    mids.sort(key=lambda k: on[k])
    inc.chain = [inc.root, *mids, inc.symptom]
    inc.details["chain_onsets"] = {k: on[k] for k in inc.chain}
    return inc


def _threshold(x_cf, noise, start):
    """How far a signal must depart from its counterfactual to count as visibly changed.

    Three measurement-noise standard deviations, or three robust standard deviations of the
    signal's own one-minute movements on the counterfactual day, whichever is larger.
    """
    x = np.asarray(x_cf[start:], dtype=float)
    d = x[60:] - x[:-60]
    mad = float(np.median(np.abs(d - np.median(d)))) if d.size else 0.0
    return max(3.0 * noise, 3.0 * 1.4826 * mad, 1e-6 * max(abs(float(np.mean(x))), 1.0))


def chain_onsets(inc: Incident) -> dict:
    """Second at which each element of the chain first departs visibly from the counterfactual
    (see :func:`_threshold`, held for 10 s on OT signals and 30 s on IT metrics); the root event of
    an IT change counts from its action time."""
    out = {}
    tag_by_key = {t.key: t for t in inc.tags}
    start = inc.window[0]
    for key in inc.chain:
        if key.startswith("host:"):
            out[key] = inc.onset
            continue
        if key.startswith("it:"):
            role, what = key[3:].split(".")
            x, x_cf = inc.it.metrics[role, what], inc.it_cf.metrics[role, what]
            out[key] = visible_onset(x, x_cf, _threshold(x_cf, 0.0, start), start, hold=30)
            continue
        tag = tag_by_key[key]
        x_cf = inc.ot_cf[key]
        out[key] = visible_onset(inc.ot[key], x_cf, _threshold(x_cf, tag.noise, start), start)
    return out


__all__ = ["CAUSES", "Incident", "build", "chain_onsets", "visible_onset"]
