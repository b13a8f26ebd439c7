"""Process models of the two hold-out plants, simulated on a 1 s step.

Two plants, written from scratch for the hold-out benchmark:

* ``dairy``: a milk HTST pasteuriser (balance tank, feed pump, regeneration, a plate heater
  fed by a steam-heated hot-water set, holding tube, flow-diversion valve, glycol cooling
  with an on/off chiller) feeding a filler buffer tank. The holding-tube temperature is a
  cascade whose *master* runs in the line controller and reaches the PLC through the OPC UA
  gateway (the OT/IT path).
* ``water``: a drinking-water works (intake pump, coagulant dosing with turbidity feed-forward,
  pH correction with caustic, dissolved-air flotation, rapid gravity filters with backwashes,
  hypochlorite dosing, clearwell, high-lift pumps). The pH and chlorine trim loops run in the
  SCADA server and reach the dosing pumps through the gateway.

Each model is a plain loop over seconds with first-order lags, dead times, PI controllers
with anti-windup, actuator rate limits and valve characteristics. Everything a scenario can change is an
input array (setpoints, fault profiles, the gateway path), so the same function runs the
incident and its counterfactual (the same day without the cause).

Values returned are *true* process values (sensor lags included, measurement noise and
quantisation not: those are added when exporting).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TagSpec:
    """One OT signal of a plant model.

    ``letters`` / ``loop`` / ``attr`` follow ISA-5.1 (``"TT"``, ``"131"``, ``"PV"``); the naming
    style of a scenario turns them into the names written to the exports.
    """

    key: str
    letters: str
    loop: str
    attr: str
    area: str
    unit_name: str
    eng_unit: str
    description: str
    noise: float
    quant: float
    scan: float = 2.0
    deadband: float = 0.0
    heartbeat: float = 300.0
    states: tuple = ()  # digital tags: ((text, value), ...)
    alarm_lo: float | None = None
    alarm_hi: float | None = None


@dataclass
class Path:
    """The OT/IT communication path as the supervisory loops see it, per second.

    ``passes[i]``: a fresh measurement gets through to the supervisory controller at second ``i``;
    ``lag[i]``: its age [s]; ``writes[i]``: the controller's output gets through to the PLC (a
    gateway serving stale cached reads still passes writes); ``host_down[i]``: the supervisory
    controller is not running (its server reboots).
    """

    passes: np.ndarray
    lag: np.ndarray
    host_down: np.ndarray
    writes: np.ndarray | None = None

    def write_mask(self) -> np.ndarray:
        return self.passes if self.writes is None else self.writes


@dataclass
class SimResult:
    values: dict
    actions: list = field(default_factory=list)  # (second, key, old, new, note) operator actions
    phases: list = field(default_factory=list)  # (second, key, kind, message) state changes


class PI:
    """Positional PI with conditional integration (no windup beyond the output limits)."""

    __slots__ = ("kp", "ti", "lo", "hi", "integral", "sign")

    def __init__(self, kp, ti, lo, hi, out0, *, reverse=False):
        self.kp, self.ti, self.lo, self.hi = kp, ti, lo, hi
        self.integral = out0
        self.sign = -1.0 if reverse else 1.0

    def step(self, sp, pv):
        e = self.sign * (sp - pv)
        p = self.kp * e
        i_new = self.integral + self.kp * e / self.ti
        out = p + i_new
        if out > self.hi:
            out = self.hi
            if e < 0:
                self.integral = i_new
        elif out < self.lo:
            out = self.lo
            if e > 0:
                self.integral = i_new
        else:
            self.integral = i_new
        return out


def ou_noise(rng, n, sigma, tau):
    """Ornstein-Uhlenbeck noise [same unit as sigma] with correlation time tau [s]."""
    from scipy.signal import lfilter

    a = math.exp(-1.0 / max(tau, 1.0))
    w = rng.standard_normal(n) * sigma * math.sqrt(1 - a * a)
    x = lfilter([1.0], [1.0, -a], w)
    return x


def _stairs(n, base, changes):
    """Array of a setpoint over ``n`` seconds from a base value and (second, value) changes."""
    out = np.full(n, float(base))
    for i, v in sorted(changes):
        if 0 <= i < n:
            out[i:] = v
    return out


# ---------------------------------------------------------------------------------------------
# Dairy HTST pasteuriser
# ---------------------------------------------------------------------------------------------

def dairy_tags(p) -> list[TagSpec]:
    q = p["q_nom"]
    A, B, C, U = "Reception", "Pasteuriser", "Cooling", "Filling"
    u1, u2, u3, u4 = p["unit_names"]
    return [
        TagSpec("TT100", "TT", "100", "PV", A, u1, "degC", "raw milk from silo", 0.05, 0.1, 5, 0.1, 600),
        TagSpec("LT101", "LT", "101", "PV", A, u1, "%", "balance tank level", 0.4, 0.1, 2, 0.5, 300,
                alarm_lo=20.0, alarm_hi=85.0),
        TagSpec("FIC103.SP", "FIC", "103", "SP", B, u2, "L/h", "product flow setpoint", 0.0, 1.0, 5, 0.5, 900),
        TagSpec("FT103", "FT", "103", "PV", B, u2, "L/h", "product flow", q * 0.004, 1.0, 1, q * 0.004, 120,
                alarm_lo=q * 0.8),
        TagSpec("SC102", "SC", "102", "OUT", B, u2, "%", "feed pump speed", 0.1, 0.1, 2, 0.3, 300),
        TagSpec("VT102", "VT", "102", "PV", B, u2, "mm/s", "feed pump vibration", 0.12, 0.01, 2, 0.15, 300,
                alarm_hi=7.1),
        TagSpec("TT110", "TT", "110", "PV", B, u2, "degC", "product after regeneration", 0.05, 0.1, 2, 0.1, 300),
        TagSpec("PT170", "PT", "170", "PV", B, u2, "bar", "steam header pressure", 0.03, 0.01, 2, 0.04, 300,
                alarm_lo=p["pt170_nom"] - 0.35),
        TagSpec("ZT121", "ZT", "121", "PV", B, u2, "%", "steam valve position", 0.2, 0.1, 1, 0.4, 300),
        TagSpec("TIC122.SP", "TIC", "122", "SP", B, u2, "degC", "hot water setpoint (from TIC-131)", 0.0, 0.01, 1,
                0.05, 300),
        TagSpec("TT122", "TT", "122", "PV", B, u2, "degC", "hot water supply", 0.04, 0.01, 1, 0.06, 300,
                alarm_hi=p["hw_max"] + 1.0),
        TagSpec("FT123", "FT", "123", "PV", B, u2, "m3/h", "hot water circulation", 0.08, 0.01, 2, 0.1, 300,
                alarm_lo=p["hw_flow"] * 0.7),
        TagSpec("PDT125", "PDT", "125", "PV", B, u2, "bar", "heater product-side differential pressure", 0.008,
                0.001, 2, 0.01, 300, alarm_hi=p["dp0"] * 1.8),
        TagSpec("TT130", "TT", "130", "PV", B, u2, "degC", "product after heater", 0.04, 0.01, 1, 0.06, 300),
        TagSpec("TIC131.SP", "TIC", "131", "SP", B, u2, "degC", "holding tube setpoint", 0.0, 0.01, 5, 0.01, 900),
        TagSpec("TT131", "TT", "131", "PV", B, u2, "degC", "holding tube outlet", 0.03, 0.01, 1, 0.05, 300,
                alarm_lo=p["divert_at"] + 0.5),
        TagSpec("TR133", "TR", "133", "PV", B, u2, "degC", "holding tube legal recorder", 0.03, 0.1, 1, 0.1, 300),
        TagSpec("ZS132", "ZS", "132", "ST", B, u2, "", "flow diversion valve", 0.0, 1.0, 5, 0.5, 600,
                states=(("FORWARD", 0.0), ("DIVERT", 1.0))),
        TagSpec("PIC140.SP", "PIC", "140", "SP", B, u2, "bar", "homogeniser pressure setpoint", 0.0, 1.0, 5, 0.5,
                900),
        TagSpec("PT140", "PT", "140", "PV", B, u2, "bar", "homogeniser pressure", 1.2, 0.1, 2, 1.5, 300),
        TagSpec("TIC150.SP", "TIC", "150", "SP", C, u3, "degC", "glycol supply setpoint", 0.0, 0.1, 5, 0.05, 900),
        TagSpec("TT150", "TT", "150", "PV", C, u3, "degC", "glycol supply", 0.03, 0.01, 2, 0.05, 300,
                alarm_hi=p["glycol_sp"] + 2.5),
        TagSpec("XS150", "XS", "150", "ST", C, u3, "", "chiller compressor", 0.0, 1.0, 5, 0.5, 600,
                states=(("STOP", 0.0), ("RUN", 1.0))),
        TagSpec("ZT152", "ZT", "152", "PV", C, u3, "%", "glycol valve position", 0.2, 0.1, 2, 0.4, 300),
        TagSpec("TT151", "TT", "151", "PV", C, u3, "degC", "product outlet", 0.03, 0.01, 2, 0.05, 300,
                alarm_hi=p["t151_hi"]),
        TagSpec("LT155", "LT", "155", "PV", U, u4, "%", "filler buffer tank level", 0.3, 0.1, 2, 0.4, 300,
                alarm_lo=25.0, alarm_hi=92.0),
        TagSpec("ST161", "ST", "161", "PV", U, u4, "packs/min", "filler speed", 0.6, 1.0, 5, 1.0, 300),
        TagSpec("TT190", "TT", "190", "PV", U, u4, "degC", "filling room temperature", 0.05, 0.1, 10, 0.1, 900),
    ]


_VCHAR_NORM = 1.0 - math.exp(-2.0)


def _valve_char(pos):
    """Installed characteristic of the steam valve: heat [fraction of maximum] at ``pos`` [%]."""
    return (1.0 - math.exp(-2.0 * pos / 100.0)) / _VCHAR_NORM


def dairy_params(rng) -> dict:
    q_nom = float(rng.choice([8000, 10000, 12000, 15000, 18000, 20000]))
    sp131 = float(np.round(rng.uniform(74.0, 75.5), 1))
    return {
        "q_nom": q_nom,
        "sp131": sp131,
        "divert_at": 72.0,
        "hw_max": float(np.round(rng.uniform(83.5, 86.0), 1)),
        "eps_regen": float(rng.uniform(0.86, 0.9)),
        "k_heat": float(rng.uniform(1.15, 1.3)),
        "hold_s": float(rng.uniform(15.0, 22.0)),
        "valve_nom": float(rng.uniform(64.0, 74.0)),
        "hw_flow": float(np.round(rng.uniform(9.0, 16.0), 1)),
        "dp0": float(rng.uniform(0.6, 1.1)),
        "pt170_nom": float(rng.uniform(6.5, 8.0)),
        "pt140_sp": float(rng.choice([150, 160, 170, 180, 200])),
        "glycol_sp": float(rng.choice([0.5, 1.0, 1.5])),
        "t151_sp": float(rng.choice([3.5, 4.0, 4.5])),
        "t151_hi": 6.5,
        "chiller_cap": float(rng.uniform(1.7, 2.3) * 0.0105),  # compressor running ~45-60 % of the time
        "pack_l": float(rng.choice([0.5, 1.0, 1.0, 2.0])),
        "tin": float(rng.uniform(3.5, 6.0)),
        "unit_names": ("BT1", "HTST" + str(int(rng.integers(1, 4))), "GLY1", "FIL" + str(int(rng.integers(1, 5)))),
        # master loop (in the line controller) and slave loop (in the PLC)
        "m_kp": float(rng.uniform(1.4, 1.9)),
        "m_ti": float(rng.uniform(29.0, 35.0)),
        "s_gain": float(rng.uniform(1.6, 2.0)),  # slave loop gain (kp x process gain) [-]
        "s_ti": float(rng.uniform(25.0, 35.0)),
    }


def simulate_dairy(p, n, exo, sp, fault, path) -> SimResult:
    """Simulate the HTST line for ``n`` seconds.

    ``exo``: arrays ``tin`` [degC], ``pt170`` [bar], ``tamb`` [degC].
    ``sp``: setpoint arrays ``FIC103.SP``, ``TIC131.SP``, ``PIC140.SP``, ``TIC150.SP``.
    ``fault``: arrays ``pump_eta`` [-], ``vib_add`` [mm/s], ``fouling`` [-], ``steam_cap`` [-] (steam
    side capacity, e.g. a failed trap flooding the heater with condensate), ``chiller_eta`` [-],
    ``hw_flow`` [-] (fraction of nominal).
    """
    qn = p["q_nom"]
    er, kh = p["eps_regen"], p["k_heat"]
    tin = exo["tin"].tolist()
    pt170 = exo["pt170"].tolist()
    tamb = exo["tamb"].tolist()
    sp_q = sp["FIC103.SP"].tolist()
    sp131 = sp["TIC131.SP"].tolist()
    sp140 = sp["PIC140.SP"].tolist()
    sp150 = sp["TIC150.SP"].tolist()
    eta = fault["pump_eta"].tolist()
    vib_add = fault["vib_add"].tolist()
    foul = fault["fouling"].tolist()
    scap = fault["steam_cap"].tolist()
    ceta = fault["chiller_eta"].tolist()
    hwfl = fault["hw_flow"].tolist()
    passes = path.passes.tolist()
    writes = path.write_mask().tolist()
    lag = path.lag.tolist()
    down = path.host_down.tolist()

    # steady state at nominal flow
    t131 = p["sp131"]
    t110 = tin[0] + er * (t131 + 0.15 - tin[0])
    eps0 = 1 - math.exp(-kh)
    t130 = t131 + 0.15
    t122 = t110 + (t130 - t110) / eps0
    h_out0 = (t130 - t110) + 0.03 * (t122 - 20.0)
    hmax = h_out0 / _valve_char(p["valve_nom"])
    qmax = qn / 0.72
    rows = []
    t131m_hist = [t131] * n
    t130_hist = [t130] * n
    t131_true_hist = [t131] * n

    q = qn
    pi_q = PI(0.5, 6.0, 0.0, 100.0, 72.0)
    s_pump = 72.0
    lvl101, lvl155 = 55.0, 50.0
    pi_l101 = PI(3.0, 120.0, 0.0, 100.0, 50.0)
    q_in = qn
    hw_sp_plc = t122
    pi_m = PI(p["m_kp"], p["m_ti"], 65.0, p["hw_max"], t122)
    m_out = t122
    seen131 = t131
    # the slave was tuned at commissioning for the nominal operating point
    v0 = p["valve_nom"] / 100.0
    k_valve = hmax * 2.0 * math.exp(-2.0 * v0) / _VCHAR_NORM / 100.0 / (eps0 + 0.03)  # [K/%]
    pi_s = PI(p["s_gain"] / k_valve, p["s_ti"], 0.0, 100.0, p["valve_nom"])
    valve = p["valve_nom"]
    t122_meas = t122
    t131m, tr133 = t131, t131 - 0.05
    divert, fwd_count = 0, 0
    pt140 = sp140[0]
    tt150 = sp150[0]
    comp = 1
    t_rc = t131 - er * (t131 - tin[0])
    pi_c = PI(6.0, 60.0, 0.0, 100.0, 60.0, reverse=True)
    zt152 = 60.0
    eps_c = 1 - math.exp(-2.0 * (0.15 + 0.85 * 0.6))
    t151 = t_rc - eps_c * (t_rc - tt150)
    speed_nom = 0.97 * qn / (p["pack_l"] * 60.0)
    pi_f = PI(0.012 * speed_nom, 300.0, 0.88 * speed_nom, 1.25 * speed_nom, speed_nom, reverse=True)
    st161 = speed_nom
    v155 = qn * 0.5  # [L] buffer tank volume: 30 min at nominal flow
    v101 = qn * 0.08
    phases = []
    hold_base = p["hold_s"]

    for i in range(n):
        # --- feed pump and flow loop (PLC)
        s_pump = pi_q.step(sp_q[i] / qn * 100.0, q / qn * 100.0)
        q_ss = qmax * s_pump / 100.0 * eta[i]
        q += (q_ss - q) / 4.0
        qr = q / qn if q > 1.0 else 1e-3
        # --- balance tank (refilled from the silo by LIC-101), divert returns to it
        q_in_cmd = pi_l101.step(55.0, lvl101) / 100.0 * 1.6 * qn
        q_in += (q_in_cmd - q_in) / 10.0
        lvl101 += (q_in - q + divert * q) / 3600.0 / v101 * 100.0
        lvl101 = min(max(lvl101, 0.0), 100.0)
        # --- regeneration (hot side is the product leaving the holding tube)
        j = i - 5 if i >= 5 else 0
        t110 += (tin[i] + er * (t131_true_hist[j] - tin[i]) - t110) / 15.0
        # --- heater: hot water against product
        ua = kh * max(hwfl[i], 0.05) ** 0.8 / (1.0 + 1.6 * foul[i])
        eps = 1.0 - math.exp(-ua / qr ** 0.6)
        t130_ss = t110 + eps * (t122 - t110)
        t130 += (t130_ss - t130) / 6.0
        t130_hist[i] = t130
        hold = int(hold_base / qr) if qr > 0.2 else int(hold_base * 5)
        j = i - 3 - hold
        t131_true = (t130_hist[j] if j >= 0 else t130_hist[0]) - 0.15
        t131_true_hist[i] = t131_true
        t131m += (t131_true - t131m) / 3.0
        tr133 += (t131_true - 0.05 - tr133) / 6.0
        t131m_hist[i] = t131m
        # --- master loop in the line controller, through the gateway
        if passes[i]:
            k = i - lag[i]
            seen131 = t131m_hist[k] if k >= 0 else t131m
        if not down[i]:
            m_out = pi_m.step(sp131[i], seen131)
        if writes[i] and not down[i]:
            hw_sp_plc = m_out
        # --- slave loop in the PLC: hot water temperature -> steam valve
        t122_meas += (t122 - t122_meas) / 2.0
        cmd = pi_s.step(hw_sp_plc, t122_meas)
        dv = cmd - valve
        valve += max(-4.0, min(4.0, dv * 0.5))
        h_in = hmax * (1.0 - math.exp(-2.0 * valve / 100.0)) / _VCHAR_NORM * (pt170[i] / p["pt170_nom"]) * scap[i]
        h_out = qr * (t130 - t110) + 0.03 * (t122 - 20.0)
        t122 += (h_in - h_out) / 25.0
        # --- flow diversion (legal recorder below the limit diverts)
        if not divert and tr133 < p["divert_at"]:
            divert, fwd_count = 1, 0
            phases.append((i, "ZS132", "DIVERT", "flow diversion valve to DIVERT (TR-133 below limit)"))
        elif divert:
            fwd_count = fwd_count + 1 if tr133 > p["divert_at"] + 0.3 else 0
            if fwd_count >= 30:
                divert = 0
                phases.append((i, "ZS132", "FORWARD", "flow diversion valve back to FORWARD"))
        # --- buffer tank and filler (LIC-155 trims filler speed)
        st_cmd = pi_f.step(50.0, lvl155)
        if lvl155 < 8.0:
            st_cmd = 0.0
        st161 += (st_cmd - st161) / 20.0
        draw = st161 * p["pack_l"] * 60.0
        lvl155 += ((1 - divert) * q - draw) / 3600.0 / v155 * 100.0
        lvl155 = min(max(lvl155, 0.0), 100.0)
        # --- homogeniser
        pt140 += (sp140[i] * min(1.0, qr * 1.2) - pt140) / 5.0
        # --- chiller on/off around TIC-150.SP, glycol loop
        if tt150 > sp150[i] + 0.6:
            if not comp:
                phases.append((i, "XS150", "RUN", "chiller compressor started"))
            comp = 1
        elif tt150 < sp150[i] - 0.6:
            if comp:
                phases.append((i, "XS150", "STOP", "chiller compressor stopped"))
            comp = 0
        t_rc = t131_true - er * (t131_true - tin[i])
        load = 0.0009 * (zt152 / 100.0) * (t_rc - tt150) * qr + 0.0002 * (tamb[i] - tt150)
        tt150 += load - comp * p["chiller_cap"] * ceta[i]
        eps_c = 1.0 - math.exp(-2.0 * (0.15 + 0.85 * zt152 / 100.0) / qr ** 0.6)
        t151 += (t_rc - eps_c * (t_rc - tt150) - t151) / 12.0
        zcmd = pi_c.step(p["t151_sp"], t151)
        zt152 += max(-2.0, min(2.0, (zcmd - zt152) * 0.3))

        rows.append((lvl101, q, s_pump, t110, valve, hw_sp_plc, t122, t130, t131m, tr133, divert, pt140, tt150, comp,
                     zt152, t151, lvl155, st161))

    rec = np.array(rows, dtype=float).T
    names = ("LT101", "FT103", "SC102", "TT110", "ZT121", "TIC122.SP", "TT122", "TT130", "TT131", "TR133", "ZS132",
             "PT140", "TT150", "XS150", "ZT152", "TT151", "LT155", "ST161")
    out = dict(zip(names, rec))
    qr = np.maximum(out["FT103"] / qn, 1e-3)
    out.update({
        "TT100": exo["tin"].astype(float), "FIC103.SP": sp["FIC103.SP"].astype(float),
        "VT102": 1.3 + 1.4 * (out["SC102"] / 100.0) ** 2 + fault["vib_add"],
        "PT170": exo["pt170"].astype(float), "FT123": p["hw_flow"] * fault["hw_flow"],
        "PDT125": p["dp0"] * qr ** 1.8 * (1.0 + 1.2 * fault["fouling"]),
        "TIC131.SP": sp["TIC131.SP"].astype(float), "PIC140.SP": sp["PIC140.SP"].astype(float),
        "TIC150.SP": sp["TIC150.SP"].astype(float), "TT190": exo["tamb"].astype(float),
    })
    return SimResult(values=out, phases=phases)


# ---------------------------------------------------------------------------------------------
# Drinking-water works
# ---------------------------------------------------------------------------------------------

def water_tags(p) -> list[TagSpec]:
    q = p["q_nom"]
    nf = p["n_filters"]
    I, Co, Fi, Di, Cw = "Intake", "Coagulation", "Filtration", "Disinfection", "Clearwell"
    tags = [
        TagSpec("FIC101.SP", "FIC", "101", "SP", I, "RWP", "m3/h", "raw water flow setpoint", 0.0, 1.0, 5, 0.5, 900),
        TagSpec("FT101", "FT", "101", "PV", I, "RWP", "m3/h", "raw water flow", q * 0.004, 1.0, 2, q * 0.004, 300,
                alarm_lo=q * 0.75),
        TagSpec("SC101", "SC", "101", "OUT", I, "RWP", "%", "intake pump speed", 0.1, 0.1, 2, 0.3, 300),
        TagSpec("VT101", "VT", "101", "PV", I, "RWP", "mm/s", "intake pump bearing vibration", 0.1, 0.01, 2, 0.15,
                300, alarm_hi=7.1),
        TagSpec("IT101", "IT", "101", "PV", I, "RWP", "A", "intake pump motor current", 0.8, 0.1, 2, 1.0, 300),
        TagSpec("AT102", "AT", "102", "PV", I, "RWQ", "NTU", "raw water turbidity", 0.02, 0.01, 5, 0.03, 600),
        TagSpec("TT103", "TT", "103", "PV", I, "RWQ", "degC", "raw water temperature", 0.02, 0.1, 10, 0.1, 900),
        TagSpec("AT104", "AT", "104", "PV", I, "RWQ", "pH", "raw water pH", 0.01, 0.01, 10, 0.02, 900),
        TagSpec("FFIC201.SP", "FFIC", "201", "SP", Co, "CDS", "mg/L", "coagulant base dose", 0.0, 0.1, 5, 0.05, 900),
        TagSpec("FT201", "FT", "201", "PV", Co, "CDS", "L/h", "coagulant flow", p["coag_flow"] * 0.012, 0.1, 2,
                p["coag_flow"] * 0.015, 300),
        TagSpec("AIC202.SP", "AIC", "202", "SP", Co, "FMX", "pH", "coagulation pH setpoint", 0.0, 0.01, 5, 0.005, 900),
        TagSpec("AT202", "AT", "202", "PV", Co, "FMX", "pH", "coagulation pH", 0.01, 0.01, 2, 0.015, 300),
        TagSpec("SC203", "SC", "203", "OUT", Co, "FMX", "%", "caustic dosing pump speed", 0.1, 0.1, 2, 0.3, 300),
        TagSpec("AT301", "AT", "301", "PV", Co, "DAF", "NTU", "DAF settled turbidity", 0.03, 0.01, 5, 0.04, 600),
        TagSpec("LIC400.SP", "LIC", "400", "SP", Fi, "RGF", "m", "filter level setpoint", 0.0, 0.01, 5, 0.005, 900),
    ]
    for k in range(1, nf + 1):
        u = f"F{k}"
        tags += [
            TagSpec(f"LT4{k}1", "LT", f"4{k}1", "PV", Fi, u, "m", f"filter {k} level", 0.006, 0.001, 2, 0.008, 300,
                    alarm_hi=p["filter_lvl"] + 0.35),
            TagSpec(f"ZT4{k}2", "ZT", f"4{k}2", "PV", Fi, u, "%", f"filter {k} outlet valve position", 0.15, 0.1, 2,
                    0.3, 300),
        ]
    tags += [
        TagSpec("AT501", "AT", "501", "PV", Fi, "FWC", "NTU", "combined filtered turbidity", 0.004, 0.001, 5, 0.005,
                600, alarm_hi=p["turb_limit"]),
        TagSpec("AIC601.SP", "AIC", "601", "SP", Di, "CL2", "mg/L", "chlorine residual setpoint", 0.0, 0.01, 5, 0.005,
                900),
        TagSpec("SC601", "SC", "601", "OUT", Di, "CL2", "%", "hypochlorite pump speed", 0.1, 0.1, 2, 0.3, 300),
        TagSpec("FT601", "FT", "601", "PV", Di, "CL2", "L/h", "hypochlorite flow", 0.05, 0.01, 2, 0.08, 300),
        TagSpec("AT601", "AT", "601", "PV", Di, "CL2", "mg/L", "chlorine residual, contact tank inlet", 0.01, 0.01, 2,
                0.015, 300),
        TagSpec("AT602", "AT", "602", "PV", Di, "CCT", "mg/L", "chlorine residual, contact tank outlet", 0.01, 0.01,
                5, 0.015, 600, alarm_lo=p["cl_sp"] - 0.45, alarm_hi=p["cl_sp"] + 0.45),
        TagSpec("LT701", "LT", "701", "PV", Cw, "CWT", "m", "clearwell level", 0.005, 0.001, 5, 0.008, 600,
                alarm_lo=p["cw_target"] - 0.6, alarm_hi=p["cw_target"] + 0.8),
        TagSpec("PIC801.SP", "PIC", "801", "SP", Cw, "HLP", "bar", "distribution pressure setpoint", 0.0, 0.01, 5,
                0.005, 900),
        TagSpec("PT801", "PT", "801", "PV", Cw, "HLP", "bar", "distribution pressure", 0.01, 0.01, 2, 0.015, 300),
        TagSpec("FT802", "FT", "802", "PV", Cw, "HLP", "m3/h", "distribution flow", q * 0.005, 1.0, 2, q * 0.005,
                300),
        TagSpec("SC801", "SC", "801", "OUT", Cw, "HLP", "%", "high-lift pump speed", 0.1, 0.1, 2, 0.3, 300),
    ]
    return tags


PH_TAU = 18.0  # flash mixer time constant [s]
PH_DEAD = 12  # transport to the pH probe [s]
_ALK = 0.045  # pH drop per mg/L of coagulant at the works' alkalinity [pH/(mg/L)]


def water_params(rng) -> dict:
    q_nom = float(rng.choice([600, 800, 1000, 1200, 1500, 1800]))
    p = {
        "q_nom": q_nom,
        "n_filters": int(rng.integers(3, 6)),
        "filter_lvl": float(np.round(rng.uniform(1.5, 1.9), 2)),
        "turb_limit": float(rng.choice([0.25, 0.3])),
        "cl_sp": float(np.round(rng.uniform(0.8, 1.3), 2)),
        "cw_target": float(np.round(rng.uniform(2.6, 3.6), 1)),
        "dose": float(np.round(rng.uniform(22.0, 38.0), 1)),
        "ph_raw": float(rng.uniform(7.3, 7.9)),
        "ph_sp": None,  # set below from the raw pH and the dose
        "p_sp": float(np.round(rng.uniform(3.5, 5.5), 1)),
        "dose_margin": float(rng.uniform(0.55, 0.65)),  # required dose / base dose at the reference turbidity
        "t_ref": None,  # reference raw turbidity [NTU], set from the raw-water profile
        "ph_gain": float(rng.uniform(1.1, 1.5)),  # pH loop gain (kp x process gain) [-]
        "ph_ti": float(rng.uniform(18.0, 26.0)),
        "cl_kp": float(rng.uniform(12.0, 16.0)),
        "cl_ti": float(rng.uniform(70.0, 90.0)),
        "coag_conc": float(rng.choice([0.5, 0.6, 0.7])),  # [kg/L] as product; dose mg/L -> L/h
        "coag_flow": None,  # nominal coagulant flow [L/h], set below
        "hl_rate": float(rng.uniform(0.05, 0.1)),  # head loss growth [m/h]
    }
    p["coag_flow"] = p["dose"] * q_nom / p["coag_conc"] / 1000.0
    ph_no_caustic = p["ph_raw"] - _ALK * p["dose"]
    p["ph_sp"] = float(np.round(ph_no_caustic + rng.uniform(0.5, 0.9), 2))
    # caustic pump sized to run at 30-45 % at the design point
    p["kc"] = float((p["ph_sp"] - ph_no_caustic) / rng.uniform(0.3, 0.45))
    return p


def simulate_water(p, n, exo, sp, fault, path, *, operator=None) -> SimResult:
    """Simulate the water works for ``n`` seconds.

    ``exo``: ``turb_raw`` [NTU], ``ph_raw`` [pH], ``temp`` [degC], ``demand`` [m3/h],
    ``backwash`` (array of filter numbers 0 = none, k = filter k washing).
    ``sp``: ``FIC101.SP`` base, ``FFIC201.SP``, ``AIC202.SP``, ``LIC400.SP``, ``AIC601.SP``,
    ``PIC801.SP``.
    ``fault``: ``pump_eta``, ``vib_add``, ``current_add``, ``coag_prime``, ``turb_drift`` (multiplier
    of the raw turbidity reading), ``valve_limit`` (2-d, per filter: highest position the outlet
    valve can reach [%], 100 when healthy), ``hypo_eta``.
    ``operator``: dict(period [s], phase [s], band [m], step [m3/h]) for the clearwell operator. Every
    ``period`` he compares the raw-water flow setpoint with what the clearwell needs (recent
    distribution flow plus the level error made up over an hour) and, when it is off by more than
    ``step``, moves FIC-101.SP there; his actions are returned.
    """
    qn = p["q_nom"]
    nf = p["n_filters"]
    turb = exo["turb_raw"].tolist()
    phr = exo["ph_raw"].tolist()
    temp = exo["temp"].tolist()
    demand = exo["demand"].tolist()
    bw = exo["backwash"].tolist()
    sp_q_base = sp["FIC101.SP"].tolist()
    sp_dose = sp["FFIC201.SP"].tolist()
    sp_ph = sp["AIC202.SP"].tolist()
    sp_lvl = sp["LIC400.SP"].tolist()
    sp_cl = sp["AIC601.SP"].tolist()
    sp_p = sp["PIC801.SP"].tolist()
    eta = fault["pump_eta"].tolist()
    vib_add = fault["vib_add"].tolist()
    cur_add = fault["current_add"].tolist()
    prime = fault["coag_prime"].tolist()
    drift = fault["turb_drift"].tolist()
    vlim = [fault["valve_limit"][k].tolist() for k in range(nf)]
    hypo = fault["hypo_eta"].tolist()
    passes = path.passes.tolist()
    writes = path.write_mask().tolist()
    lag = path.lag.tolist()
    down = path.host_down.tolist()

    rows = []
    actions, phases = [], []

    qsp = float(sp_q_base[0])
    q = qsp
    qmax = qn / 0.75
    pi_q = PI(0.3, 8.0, 0.0, 100.0, 75.0 * qsp / qn)
    s101 = 75.0 * qsp / qn
    at102 = turb[0]
    t_ref = p["t_ref"]
    dose_t = sp_dose[0] * min(max(turb[0] / t_ref, 0.4), 2.5) ** 0.6
    dose_req0 = sp_dose[0] * p["dose_margin"]
    ft201 = dose_t * q / p["coag_conc"] / 1000.0
    # pH: raw pH minus coagulant alkalinity consumption plus caustic
    a_d = _ALK
    kc = p["kc"]
    ph_opt = sp_ph[0] - 0.08
    s203 = max(5.0, min(95.0, (sp_ph[0] - (phr[0] - a_d * dose_t)) / kc * 100.0))
    pi_ph = PI(p["ph_gain"] * 100.0 / kc, p["ph_ti"], 0.0, 100.0, s203)
    ph_hist = [sp_ph[0]] * n
    at202_hist = [sp_ph[0]] * n
    ph = sp_ph[0]
    at202 = ph
    seen_ph, s203_cmd, s203_plc = ph, s203, s203
    settled_hist = [1.5] * n
    passf_hist = [0.055] * n
    passf = 0.055
    set1 = set2 = 1.5
    # filters
    a_f = qn / nf / 5.0  # filter area: the inflow raises an empty filter 5 m/h [m2]
    lvl = [sp_lvl[0]] * nf
    hl = [0.35 + 0.6 * k / nf for k in range(nf)]  # staggered head loss [m]
    valve = [55.0] * nf
    vtarget = [55.0] * nf
    qout = [q / nf] * nf
    qout_slow = [q / nf] * nf
    kv = q / nf / (0.55 * math.sqrt(sp_lvl[0] + 3.0 - 0.6))
    pis = [PI(60.0, 240.0, 0.0, 100.0, 55.0, reverse=True) for _ in range(nf)]
    sqrt = math.sqrt
    inv_qf = nf / qn  # 1 / nominal flow per filter
    inv_af = 1.0 / 3600.0 / a_f
    hl_step = p["hl_rate"] / 3600.0 * inv_qf
    ripen = [0.0] * nf
    prev_bw = 0
    ft_comb = 0.1
    ft_hist = [0.1] * n
    at501 = 0.1
    # chlorine
    k_cl = 1.0
    demand_cl = 0.6
    cl_in_ss = sp_cl[0] + 0.35
    hypo_max = 2.2 * (cl_in_ss + demand_cl) * qn / k_cl / 1000.0
    s601 = (cl_in_ss + demand_cl) * q / k_cl / 1000.0 / hypo_max * 100.0
    trim = 0.0
    pi_cl = PI(p["cl_kp"], p["cl_ti"], -40.0, 40.0, 0.0)
    ffwd = s601
    seen_cl, trim_plc = cl_in_ss, 0.0
    cl_hist = [cl_in_ss] * n
    at601_hist = [cl_in_ss] * n
    at601 = cl_in_ss
    at602 = sp_cl[0]
    ft601 = hypo_max * s601 / 100.0
    # clearwell and high lift
    h_cw = p["cw_target"]
    a_cw = 0.1 * qn / 0.3  # 10 % imbalance moves the level 0.3 m/h [m2]
    p_dist = sp_p[0]
    s801 = 70.0
    pi_p = PI(8.0, 20.0, 0.0, 100.0, 70.0)
    pmax = sp_p[0] * 1.6 / 0.7 ** 2
    op = operator or {}
    op_period = op.get("period", 0)
    op_phase = op.get("phase", 0)
    op_step = op.get("step", 0.05 * qn)
    op_band = op.get("band", 0.3)
    sp_q_offset = 0.0
    q_dist_avg = demand[0]

    for i in range(n):
        # --- operator trims the raw-water flow to hold the clearwell (journal entries)
        if op_period and i > 600 and (i - op_phase) % op_period == 0:
            err = p["cw_target"] - h_cw
            need = q_dist_avg + (err if abs(err) > op_band else 0.5 * err) * a_cw
            need = round(min(max(need, 0.6 * qn), 1.25 * qn) / 10.0) * 10.0
            old = sp_q_base[i] + sp_q_offset
            if abs(need - old) >= op_step:
                sp_q_offset += need - old
                actions.append((i, "FIC101.SP", old, need, "clearwell level trim"))
        qsp = sp_q_base[i] + sp_q_offset
        # --- intake pump and raw-water flow loop
        s101 = pi_q.step(qsp / qn * 100.0, q / qn * 100.0)
        q += (qmax * s101 / 100.0 * eta[i] - q) / 10.0
        qr = q / qn if q > 1.0 else 1e-3
        # --- coagulant: flow-paced with raw turbidity feed-forward
        at102 += (turb[i] * drift[i] - at102) / 30.0
        dose_t = sp_dose[i] * min(max(at102 / t_ref, 0.4), 2.5) ** 0.6
        ft201 += (dose_t * q / p["coag_conc"] / 1000.0 * prime[i] - ft201) / 5.0
        dose = ft201 * p["coag_conc"] * 1000.0 / max(q, 1.0)
        # --- pH correction (caustic); the controller runs in SCADA behind the gateway
        ph_ss = phr[i] - a_d * dose + kc * s203_plc / 100.0 / qr
        ph += (ph_ss - ph) / PH_TAU
        ph_hist[i] = ph
        j = i - PH_DEAD
        at202 += ((ph_hist[j] if j >= 0 else ph_hist[0]) - at202) / 5.0
        if passes[i]:
            k = i - lag[i]
            seen_ph = at202_hist[k] if 0 <= k < i else at202
        if not down[i]:
            s203_cmd = pi_ph.step(sp_ph[i], seen_ph)
        if writes[i] and not down[i]:
            s203_plc = s203_cmd
        # --- dissolved-air flotation
        dose_req = dose_req0 * (turb[i] / t_ref) ** 0.6
        x = (dose / dose_req - 1.0) / 0.15
        x = -30.0 if x < -30.0 else x
        eff = math.exp(-(((ph - ph_opt) / 0.6) ** 2)) / (1.0 + math.exp(-x))
        settled_ss = (0.25 + turb[i] * (1.0 - 0.96 * eff)) * qr
        settled_hist[i] = settled_ss
        passf_hist[i] = 0.03 + 0.25 * (1.0 - eff)
        j = i - 300 if i >= 300 else 0
        set1 += (settled_hist[j] - set1) / 240.0
        set2 += (set1 - set2) / 120.0
        passf += (passf_hist[j] - passf) / 240.0
        # --- filters
        wash = bw[i]
        n_in = nf - (1 if wash else 0)
        qin_f = q / n_in
        turb_sum = 0.0
        q_sum = 0.0
        lvl_sp = sp_lvl[i]
        load_term = set2 * passf * qin_f * inv_qf
        for k in range(nf):
            if wash == k + 1:
                if prev_bw != wash:
                    phases.append((i, f"LT4{k + 1}1", "BACKWASH", f"filter {k + 1} backwash started"))
                lvl[k] += (0.3 - lvl[k]) / 60.0
                valve[k] = vtarget[k] = 0.0
                qout[k] = 0.0
                hl[k] = 0.3
                ripen[k] = 0.06
                pis[k].integral = 50.0
                continue
            if prev_bw == k + 1 and wash != k + 1:
                phases.append((i, f"LT4{k + 1}1", "IN SERVICE", f"filter {k + 1} returned to service"))
            hl[k] += hl_step * qin_f
            cmd = pis[k].step(lvl_sp, lvl[k])
            vmax = vlim[k][i]
            vt = cmd if cmd < vmax else vmax
            vtarget[k] = vt
            dv = (vt - valve[k]) * 0.2
            v = valve[k] + (1.0 if dv > 1.0 else (-1.0 if dv < -1.0 else dv))
            valve[k] = v
            head = lvl[k] + 3.0 - hl[k]
            qo = kv * v * 0.01 * sqrt(head if head > 0.05 else 0.05)
            qout[k] = qo
            lv = lvl[k] + (qin_f - qo) * inv_af
            lvl[k] = lv if lv > 0.0 else 0.0
            qs = qout_slow[k] + (qo - qout_slow[k]) / 30.0
            qout_slow[k] = qs
            surge = (qo - qs if qo > qs else qs - qo) * inv_qf
            r = ripen[k] * 0.9989
            ripen[k] = r
            x_hl = hl[k] - 2.2
            f_t = load_term * (1.0 + 2.0 * x_hl if x_hl > 0.0 else 1.0) + r + surge
            turb_sum += f_t * qo
            q_sum += qo
        prev_bw = wash
        ft_comb = 0.03 + turb_sum / max(q_sum, 1.0)
        ft_hist[i] = ft_comb
        j = i - 60
        at501 += ((ft_hist[j] if j >= 0 else ft_hist[0]) - at501) / 120.0
        # --- hypochlorite: flow-paced plus a residual trim in SCADA behind the gateway
        ffwd = (sp_cl[i] + 0.35 + demand_cl) * q_sum / k_cl / 1000.0 / hypo_max * 100.0
        if passes[i]:
            k = i - lag[i]
            seen_cl = at601_hist[k] if 0 <= k < i else at601
        if not down[i]:
            trim = pi_cl.step(sp_cl[i] + 0.35, seen_cl)
        if writes[i] and not down[i]:
            trim_plc = trim
        s601 = max(0.0, min(100.0, ffwd + trim_plc))
        ft601 += (hypo_max * s601 / 100.0 * hypo[i] - ft601) / 5.0
        dem = 0.45 + 0.08 * set2 + 0.012 * temp[i]
        cl_ss = max(ft601 * k_cl * 1000.0 / max(q_sum, 1.0) - dem, 0.0)
        cl_hist[i] = cl_ss
        j = i - 60
        at601 += ((cl_hist[j] if j >= 0 else cl_hist[0]) - at601) / 30.0
        j = i - int(1500 / max(qr, 0.3))
        at602 += ((cl_hist[j] if j >= 0 else cl_hist[0]) - 0.35 - at602) / 90.0
        # --- clearwell and high-lift pumps
        s801 = pi_p.step(sp_p[i], p_dist)
        q_dist = demand[i] * math.sqrt(max(p_dist, 0.1) / sp_p[i])
        q_dist_avg += (q_dist - q_dist_avg) / 900.0
        p_ss = pmax * (s801 / 100.0) ** 2 - 0.9 * sp_p[i] * (q_dist / qn) ** 2
        p_dist += (p_ss - p_dist) / 5.0
        h_cw += (q_sum - q_dist) / 3600.0 / a_cw
        h_cw = min(max(h_cw, 0.0), 6.0)

        at202_hist[i] = at202
        at601_hist[i] = at601
        rows.append((qsp, q, s101, at102, ft201, at202, s203_plc, set2, at501, s601, ft601, at601, at602, h_cw, p_dist,
                     q_dist, s801, *lvl, *valve))

    rec = np.array(rows, dtype=float).T
    names = (["FIC101.SP", "FT101", "SC101", "AT102", "FT201", "AT202", "SC203", "AT301", "AT501", "SC601", "FT601",
              "AT601", "AT602", "LT701", "PT801", "FT802", "SC801"]
             + [f"LT4{k}1" for k in range(1, nf + 1)] + [f"ZT4{k}2" for k in range(1, nf + 1)])
    out = dict(zip(names, rec))
    s = out["SC101"] / 100.0
    out.update({
        "VT101": 1.2 + 1.3 * s ** 2 + fault["vib_add"],
        "IT101": 40.0 + 90.0 * s ** 3 * fault["pump_eta"] + fault["current_add"],
        "TT103": exo["temp"].astype(float), "AT104": exo["ph_raw"].astype(float),
        "FFIC201.SP": sp["FFIC201.SP"].astype(float), "AIC202.SP": sp["AIC202.SP"].astype(float),
        "LIC400.SP": sp["LIC400.SP"].astype(float), "AIC601.SP": sp["AIC601.SP"].astype(float),
        "PIC801.SP": sp["PIC801.SP"].astype(float),
    })
    return SimResult(values=out, actions=actions, phases=phases)
