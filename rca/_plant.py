"""Plant and IT-estate simulation behind :mod:`rca.datasets` (private).

Everything here runs on *true* time: integer seconds from the start of the data window,
1 s resolution. :mod:`rca._exports` later turns the results into export files (clock
offsets, local time, exception reporting and the other quirks of real exports).

The plant
---------
A product line ("main line") and a few unrelated units:

* ``flow`` loop (FIC): feed pump and control valve. Flow follows the valve opening and the
  square root of the pump discharge pressure; the pump curve loses head when the pump wears.
* ``temp`` loop (TIC): steam preheater. Outlet temperature = feed temperature + heat input
  (valve opening x sqrt(steam header pressure)) divided by the flow.
* ``press`` loop (PIC): vessel (dryer) pressure held by a vent valve; more feed raises it.
* dryer product temperature (TI, uncontrolled): preheater temperature after a transport delay
  and a lag, plus the pressure and the cooling-water temperature.
* quality analyser (the symptom): grows with the squared deviations of product temperature,
  vessel pressure and flow from their optimum, after a sample-line delay and mixing lag, sampled
  by the analyser every 30-120 s.

One of ``flow`` / ``press`` gets its measurement through the OPC gateway (a remote PLC):
the DCS PID sees the value ``latency`` seconds late, and not at all when an update is lost.

Every loop is first order plus dead time with a velocity-form PI controller (clamped
0-100 %, which is also its anti-windup), tuned by the lambda (IMC) rule. Process noise is
AR(1); measurements add white noise. Unrelated units use the same loop model without coupling.

Counterfactual
--------------
All noise is drawn before the simulation, so the plant can be run twice with identical noise:
with the root cause and without it. The difference of the two runs is the causal effect of
the root cause alone; the truth's chain onsets are read from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.signal import lfilter

WARMUP = 1800  # [s] simulated before the window so loops start settled


# --------------------------------------------------------------------------- signals


@dataclass
class Signal:
    """One signal as it will appear in the data."""

    name: str
    domain: str  # "OT" or "IT"
    unit: str
    description: str
    block: str  # OT: alarm/event source of the instrument block; IT: host
    noise: float  # typical short-term noise [unit], for thresholds and deadbands
    decimals: int
    period: int  # OT scan period / IT sample interval [s]
    role: str  # "main", "unrelated", "it"
    alarm: tuple | None = None  # (kind, limit, deadband, priority)


# --------------------------------------------------------------------------- name pools

AREAS = ["L3", "PK5", "EX2", "DRY1", "U210", "LN4", "PM2", "RX1", "C14", "HB3"]
UNRELATED_AREAS = ["UT", "CW", "AIR", "L4", "WW", "HV", "PK6", "BLR"]
OPERATORS = [
    "jmeyer", "akumar", "tnguyen", "mrossi", "lschmidt", "pkowalski", "sgarcia", "ohansen",
    "rpatel", "cwagner", "dlopez", "ebauer", "fsilva", "hwang", "ijensen", "kmorales",
]
ADMINS = ["adm_jvogel", "adm_rsingh", "adm_mchen", "svc_backup", "adm_tkoenig", "adm_lbrown"]

GATEWAYS = ["opcgw-01", "opcgw-02", "kepgw-l3", "uagw-01", "opc-gw-03", "gw-plc-02"]
PATH_DEVICES = ["fw-core-02", "fw-ot-01", "sw-core-01", "sw-ot-03", "fw-idmz-01", "sw-dist-02"]
OTHER_NET = ["fw-dmz-01", "sw-office-02", "rtr-wan-01", "sw-bldg2-04", "fw-guest-01", "ap-ctrl-01"]
SERVERS = [
    ("mes-app-01", "MES application server"), ("sql-01", "MES database"),
    ("hist-col-01", "historian collector"), ("backup-01", "backup server"),
    ("dc-01", "domain controller"), ("fs-01", "file server"), ("erp-if-01", "ERP interface"),
    ("lims-01", "LIMS server"), ("print-01", "label print server"), ("wsus-01", "patch server"),
    ("av-01", "antivirus server"), ("scada-01", "SCADA server"),
]


# --------------------------------------------------------------------------- helpers


def ar1(rng, n, sd, tau):
    """AR(1) noise with stationary sd ``sd`` and correlation time ``tau`` [s]."""
    phi = math.exp(-1.0 / max(tau, 1e-9))
    e = rng.standard_normal(n) * sd * math.sqrt(1 - phi * phi)
    y = lfilter([1.0], [1.0, -phi], e)
    return y


def lag(x, tau):
    """First-order lag with time constant ``tau`` [s], starting settled at x[0]."""
    if tau <= 1:
        return x.copy()
    a = 1.0 / tau
    y, _ = lfilter([a], [1.0, -(1 - a)], x, zi=[x[0] * (1 - a)])
    return y


def delay(x, d):
    """Shift by ``d`` samples (transport delay), holding the first value."""
    d = int(d)
    if d <= 0:
        return x.copy()
    out = np.empty_like(x)
    out[:d] = x[0]
    out[d:] = x[:-d]
    return out


def profile(n, start, kind, duration, rng=None):
    """0 before ``start``, rising to 1 (step or linear ramp of ``duration`` s)."""
    t = np.arange(n, dtype=float)
    if kind == "step":
        return (t >= start).astype(float)
    return np.clip((t - start) / max(duration, 1.0), 0.0, 1.0)


def quantise(x, decimals):
    q = 10.0 ** (-decimals)
    return np.round(x / q) * q


def lambda_tuning(K, tau, theta, lam):
    """PI tuning by the lambda (IMC) rule: Kc = tau / (K (lam + theta)), Ti = tau."""
    return tau / (K * (lam + theta)), tau


# --------------------------------------------------------------------------- loop engines


def simulate_main(mp, sp_F, sp_T, sp_P, health, Ps, Tin, noise, lat_s, lost, remote):
    """Simulate the coupled main line. Returns arrays of true values and recorded values.

    ``remote`` is "flow" or "press": that loop's PID sees its measurement through the
    gateway: ``lat_s`` [s] late (rounded), held when ``lost``.
    """
    n = len(sp_F)
    F0, Pd0, Psh, u10 = mp["F0"], mp["Pd0"], mp["Pshut"], mp["u10"]
    T0, Tin0, u20, Ps0 = mp["T0"], mp["Tin0"], mp["u20"], mp["Ps0"]
    P0, u30, K3, kPF = mp["P0"], mp["u30"], mp["K3"], mp["kPF"]
    a1, a2, a3 = 1.0 / mp["tau1"], 1.0 / mp["tau2"], 1.0 / mp["tau3"]
    th1, th2, th3 = mp["th1"], mp["th2"], mp["th3"]
    Kc1, iTi1 = mp["Kc1"], 1.0 / mp["Ti1"]
    Kc2, iTi2 = mp["Kc2"], 1.0 / mp["Ti2"]
    Kc3, iTi3 = mp["Kc3"], 1.0 / mp["Ti3"]
    dT0 = T0 - Tin0
    nF, nT, nP = noise["pF"], noise["pT"], noise["pP"]
    mF, mT, mP = noise["mF"], noise["mT"], noise["mP"]
    dly = np.rint(lat_s).astype(np.int64)
    lst = lost.astype(bool)
    remote_flow = remote == "flow"

    u1 = np.empty(n); u2 = np.empty(n); u3 = np.empty(n)
    recF = np.empty(n); recT = np.empty(n); recP = np.empty(n)
    seenF = np.empty(n); seenP = np.empty(n)
    Fa = np.empty(n); Ta = np.empty(n); Pa = np.empty(n); Pda = np.empty(n)
    F, T, P = F0, T0, P0
    U1, U2, U3 = u10, u20, u30
    e1p = e2p = e3p = 0.0
    sF = F0; sP = P0
    sqrt = math.sqrt
    for t in range(n):
        # pump curve and flow
        Pd = Psh * health[t] - (Psh - Pd0) * (F / F0) ** 2
        if Pd < 0.0:
            Pd = 0.0
        ud = u1[t - th1] if t >= th1 else u10
        F += (F0 * (ud / u10) * sqrt(Pd / Pd0) - F) * a1 + nF[t]
        if F < 0.0:
            F = 0.0
        # preheater
        ud = u2[t - th2] if t >= th2 else u20
        Tss = Tin[t] + dT0 * (ud / u20) * sqrt(max(Ps[t], 0.0) / Ps0) * F0 / max(F, 0.25 * F0)
        T += (Tss - T) * a2 + nT[t]
        # vessel pressure
        ud = u3[t - th3] if t >= th3 else u30
        P += (P0 + K3 * (ud - u30) + kPF * (F - F0) - P) * a3 + nP[t]
        # instruments
        rF = F + mF[t]; rT = T + mT[t]; rP = P + mP[t]
        recF[t] = rF; recT[t] = rT; recP[t] = rP
        # what the DCS sees
        if remote_flow:
            if not lst[t]:
                k = t - dly[t]
                sF = recF[k] if k >= 0 else recF[0]
            sP = rP
        else:
            if not lst[t]:
                k = t - dly[t]
                sP = recP[k] if k >= 0 else recP[0]
            sF = rF
        seenF[t] = sF; seenP[t] = sP
        # controllers (velocity form, clamped)
        e = sp_F[t] - sF
        U1 += Kc1 * ((e - e1p) + e * iTi1); e1p = e
        U1 = 0.0 if U1 < 0.0 else (100.0 if U1 > 100.0 else U1)
        e = sp_T[t] - rT
        U2 += Kc2 * ((e - e2p) + e * iTi2); e2p = e
        U2 = 0.0 if U2 < 0.0 else (100.0 if U2 > 100.0 else U2)
        e = sp_P[t] - sP
        U3 += Kc3 * ((e - e3p) + e * iTi3); e3p = e
        U3 = 0.0 if U3 < 0.0 else (100.0 if U3 > 100.0 else U3)
        u1[t] = U1; u2[t] = U2; u3[t] = U3
        Fa[t] = F; Ta[t] = T; Pa[t] = P; Pda[t] = Pd
    return {
        "F": Fa, "T": Ta, "P": Pa, "Pd": Pda, "u1": u1, "u2": u2, "u3": u3,
        "F_seen": seenF, "T_seen": recT, "P_seen": seenP,
    }


def simulate_loops(loops, n):
    """Independent FOPDT + PI loops (unrelated units). Each loop dict holds its parameters
    and arrays ``sp``, ``dist`` (added to the steady state), ``pn`` (process noise),
    ``mn`` (measurement noise). Adds arrays ``pv`` (recorded) and ``out`` to each dict."""
    for lp in loops:
        K, a, th, Kc, iTi = lp["K"], 1.0 / lp["tau"], lp["theta"], lp["Kc"], 1.0 / lp["Ti"]
        y0, u0 = lp["y0"], lp["u0"]
        sp, dist, pn, mn = lp["sp"], lp["dist"], lp["pn"], lp["mn"]
        out = np.empty(n); pv = np.empty(n)
        y, u, ep = y0, u0, 0.0
        for t in range(n):
            ud = out[t - th] if t >= th else u0
            y += (y0 + K * (ud - u0) + dist[t] - y) * a + pn[t]
            r = y + mn[t]
            pv[t] = r
            e = sp[t] - r
            u += Kc * ((e - ep) + e * iTi); ep = e
            u = 0.0 if u < 0.0 else (100.0 if u > 100.0 else u)
            out[t] = u
        lp["pv"], lp["out"] = pv, out
    return loops


# --------------------------------------------------------------------------- the plant


@dataclass
class Plant:
    """Names and parameters of one simulated plant and IT estate."""

    area: str
    sep: str
    signals: dict = field(default_factory=dict)  # name -> Signal, in export order
    main: dict = field(default_factory=dict)  # main-line parameters
    names: dict = field(default_factory=dict)  # role key -> signal name
    blocks: dict = field(default_factory=dict)  # role key -> event source (A&E block)
    units: list = field(default_factory=list)  # unrelated OT units
    hosts: dict = field(default_factory=dict)  # host -> dict(kind, desc, period, metrics)
    gateway: str = ""
    path_devices: tuple = ()
    other_net: tuple = ()
    remote: str = "flow"
    hmis: tuple = ()
    ot_names: dict = field(default_factory=dict)  # IT host -> name used in the OT journal

    def add(self, sig: Signal):
        self.signals[sig.name] = sig
        return sig.name


class _Numbers:
    """Unique instrument numbers, shuffled so numbers say nothing about the role."""

    def __init__(self, rng):
        self.pool = list(rng.permutation(np.arange(101, 699)))

    def take(self):
        return int(self.pool.pop())


def build_plant(rng, n_signals):
    """Draw the names and physical parameters of a plant with ``n_signals`` signals."""
    area = str(rng.choice(AREAS))
    sep = str(rng.choice([".", "_"]))
    plant = Plant(area=area, sep=sep)
    num = _Numbers(rng)

    def tag(a, letters, attr):
        n = num.take()
        block = f"{a}{sep}{letters}{n}"
        return block, f"{block}.{attr}"

    def tag_loop(a, letters):
        n = num.take()
        block = f"{a}{sep}{letters}{n}"
        return block, f"{block}.SP", f"{block}.PV", f"{block}.OUT"

    u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731

    # ---- main line parameters
    mp = {}
    mp["F0"] = round(u(8, 40), 1)  # [m3/h]
    mp["u10"] = u(42, 62)
    mp["Pd0"] = round(u(3.5, 7.5), 2)  # [bar]
    mp["Pshut"] = mp["Pd0"] * u(1.35, 1.6)
    mp["tau1"], mp["th1"] = u(3, 7), int(rng.integers(1, 3))
    mp["T0"] = round(u(70, 160), 1)  # [degC]
    mp["Tin0"] = mp["T0"] - u(30, 70)
    mp["u20"] = u(40, 62)
    mp["Ps0"] = round(u(6, 12), 2)  # [bar]
    mp["tau2"], mp["th2"] = u(60, 160), int(rng.integers(5, 18))
    mp["P0"] = round(u(150, 600), 0)  # [mbar abs]
    mp["u30"] = u(38, 60)
    mp["K3"] = -mp["P0"] * u(0.006, 0.012)  # [mbar/%]
    mp["kPF"] = mp["P0"] * u(0.2, 0.5) / mp["F0"]  # [mbar per m3/h]
    mp["tau3"], mp["th3"] = u(4, 12), int(rng.integers(1, 3))
    # tuning (lambda rule); tight enough that extra measurement delay hurts
    K1 = mp["F0"] / mp["u10"]
    mp["Kc1"], mp["Ti1"] = lambda_tuning(K1, mp["tau1"], mp["th1"], mp["th1"] * u(1.0, 1.6))
    K2 = (mp["T0"] - mp["Tin0"]) / mp["u20"]
    mp["Kc2"], mp["Ti2"] = lambda_tuning(K2, mp["tau2"], mp["th2"], mp["tau2"] * u(0.4, 0.8))
    mp["Kc3"], mp["Ti3"] = lambda_tuning(mp["K3"], mp["tau3"], mp["th3"], mp["th3"] * u(1.0, 1.8))
    mp["TB0"] = round(mp["T0"] - u(5, 25), 1)
    mp["gB"] = u(0.6, 0.95)
    mp["dB"], mp["tauB"] = int(rng.integers(30, 150)), u(60, 240)
    mp["gPB"] = u(0.01, 0.03) * mp["T0"] / mp["P0"]  # [degC/mbar]
    mp["Tcw0"] = round(u(18, 28), 1)
    mp["gcw"] = u(0.5, 0.9)
    mp["Q0"] = round(u(0.6, 2.0), 2)  # [%]
    mp["A"] = u(0.8, 1.6)  # [%] per unit squared normalised deviation
    mp["wT"], mp["wP"], mp["wF"] = u(2.0, 4.0), mp["P0"] * u(0.05, 0.09), mp["F0"] * u(0.08, 0.14)
    mp["dQ"], mp["tauQ"] = int(rng.integers(60, 300)), u(40, 200)
    mp["qP"] = int(rng.choice([30, 45, 60, 90, 120]))
    mp["Qspan"] = u(25, 45)  # [%] the quality measure saturates at Q0 + Qspan
    mp["backlog_tau"] = u(120, 480)  # [s] how fast the gateway backlog builds up and drains
    mp["noise"] = {
        "pF": 0.002 * mp["F0"], "mF": 0.004 * mp["F0"],
        "pT": 0.02, "mT": 0.08,
        "pP": 0.0015 * mp["P0"], "mP": 0.003 * mp["P0"],
        "Pd": 0.01 * mp["Pd0"], "Ps": 0.008 * mp["Ps0"], "Tin": 0.15, "TB": 0.1,
        "Tcw": 0.08, "Q": 0.03, "I": 0.3, "Fs": 0.01,
    }
    plant.main = mp
    plant.remote = str(rng.choice(["flow", "press"]))
    loop_time = mp["tau1"] + mp["th1"] if plant.remote == "flow" else mp["tau3"] + mp["th3"]
    mp["backlog_ms"] = u(1.0, 2.5) * loop_time * 1000.0  # [ms] latency of a fully overloaded gateway

    nz = mp["noise"]
    a = area
    blk, sp, pv, out = tag_loop(a, "FIC")
    plant.blocks["flow"] = blk
    plant.names.update(flow_sp=sp, flow_pv=pv, flow_out=out)
    desc_flow = str(rng.choice(["Feed flow", "Slurry feed flow", "Product feed flow"]))
    plant.add(Signal(sp, "OT", "m3/h", f"{desc_flow} setpoint", blk, 0.0, 2, 5, "main"))
    plant.add(Signal(pv, "OT", "m3/h", desc_flow, blk, nz["mF"], 2, 1, "main",
                     ("LO", 0.7 * mp["F0"], 0.03 * mp["F0"], 2)))
    plant.add(Signal(out, "OT", "%", f"{desc_flow} valve output", blk, 0.5, 1, 1, "main"))
    blk, name = tag(a, "PI", "PV")
    plant.blocks["pump"] = blk
    plant.names["pump_p"] = name
    plant.add(Signal(name, "OT", "bar", "Feed pump discharge pressure", blk, nz["Pd"], 2, 2, "main",
                     ("LO", 0.6 * mp["Pd0"], 0.05 * mp["Pd0"], 2)))
    blk, sp, pv, out = tag_loop(a, "TIC")
    plant.blocks["temp"] = blk
    plant.names.update(temp_sp=sp, temp_pv=pv, temp_out=out)
    plant.add(Signal(sp, "OT", "degC", "Preheater outlet temperature setpoint", blk, 0.0, 1, 5, "main"))
    plant.add(Signal(pv, "OT", "degC", "Preheater outlet temperature", blk, nz["mT"], 1, 2, "main",
                     ("DEV", 4.0, 0.5, 2)))
    plant.add(Signal(out, "OT", "%", "Preheater steam valve output", blk, 0.5, 1, 2, "main"))
    blk, name = tag(a, "PI", "PV")
    plant.blocks["steam"] = blk
    plant.names["steam_p"] = name
    plant.add(Signal(name, "OT", "bar", "Steam header pressure", blk, nz["Ps"], 2, 2, "main",
                     ("LO", 0.75 * mp["Ps0"], 0.03 * mp["Ps0"], 2)))
    blk, name = tag(a, "TI", "PV")
    plant.blocks["feed_t"] = blk
    plant.names["feed_t"] = name
    plant.add(Signal(name, "OT", "degC", "Feed temperature", blk, nz["Tin"], 1, 5, "main"))
    blk, sp, pv, out = tag_loop(a, "PIC")
    plant.blocks["press"] = blk
    plant.names.update(press_sp=sp, press_pv=pv, press_out=out)
    vessel = str(rng.choice(["Dryer", "Vessel", "Evaporator"]))
    plant.add(Signal(sp, "OT", "mbar", f"{vessel} pressure setpoint", blk, 0.0, 0, 5, "main"))
    plant.add(Signal(pv, "OT", "mbar", f"{vessel} pressure", blk, nz["mP"], 1, 1, "main",
                     ("HI", 1.15 * mp["P0"], 0.02 * mp["P0"], 2)))
    plant.add(Signal(out, "OT", "%", f"{vessel} vent valve output", blk, 0.5, 1, 1, "main"))
    blk, name = tag(a, "TI", "PV")
    plant.blocks["prod_t"] = blk
    plant.names["prod_t"] = name
    plant.add(Signal(name, "OT", "degC", f"{vessel} product temperature", blk, nz["TB"], 1, 2, "main",
                     ("DEV", 5.0, 0.5, 3)))
    blk, name = tag(a, "TI", "PV")
    plant.blocks["cw_t"] = blk
    plant.names["cw_t"] = name
    plant.add(Signal(name, "OT", "degC", f"{vessel} cooling water supply temperature", blk, nz["Tcw"], 1, 5,
                     "main", ("HI", mp["Tcw0"] + 6.0, 0.5, 3)))
    qkind = str(rng.choice(["moisture", "scrap", "residual"]))
    qletters, qdesc = {"moisture": ("AI", "Residual moisture (online analyser)"),
                       "scrap": ("QI", "Scrap rate (vision inspection)"),
                       "residual": ("AI", "Residual solvent (online analyser)")}[qkind]
    blk, name = tag(a, qletters, "PV")
    plant.blocks["quality"] = blk
    plant.names["quality"] = name
    plant.names["quality_kind"] = qkind
    plant.add(Signal(name, "OT", "%", qdesc, blk, nz["Q"], 2, mp["qP"], "main"))
    # optional coupled extras, added while the budget allows
    extras = []
    blk, name = tag(a, "II", "PV")
    extras.append(("pump_i", blk, Signal(name, "OT", "A", "Feed pump motor current", blk, nz["I"], 1, 2, "main")))
    blk, name = tag(a, "FI", "PV")
    extras.append(("steam_f", blk, Signal(name, "OT", "t/h", "Preheater steam flow", blk, nz["Fs"], 2, 2, "main")))

    # ---- IT estate: gateway, path devices, servers
    plant.gateway = str(rng.choice(GATEWAYS))
    path = list(rng.choice(PATH_DEVICES, size=2, replace=False))
    plant.path_devices = tuple(path)
    plant.other_net = tuple(rng.choice(OTHER_NET, size=3, replace=False))
    idx = rng.permutation(len(SERVERS))
    servers = [SERVERS[i] for i in idx]
    n_hmi = int(rng.integers(2, 4))
    plant.hmis = tuple(f"hmi-{a.lower()}-{i + 1:02d}" for i in range(n_hmi))
    plant.ot_names = {h: f"{a}_HMI{i + 1:02d}".replace(".", "_") for i, h in enumerate(plant.hmis)}
    plant.ot_names[plant.gateway] = f"{a}{sep}GW{int(rng.integers(1, 9))}"

    def host(h, kind, desc, period):
        plant.hosts[h] = {"kind": kind, "desc": desc, "period": period, "metrics": {}}

    def metric(h, m, unit, desc, noise, decimals):
        name = f"{h}.{m}"
        plant.hosts[h]["metrics"][m] = name
        plant.add(Signal(name, "IT", unit, desc, h, noise, decimals, plant.hosts[h]["period"], "it"))
        return name

    gw = plant.gateway
    host(gw, "gateway", "OPC UA gateway to the line PLCs", int(rng.choice([10, 15, 30])))
    metric(gw, "cpu_pct", "%", "CPU utilisation", 3.0, 1)
    metric(gw, "mem_pct", "%", "memory in use", 0.5, 1)
    metric(gw, "opc_latency_ms", "ms", "OPC item update latency", 15.0, 0)
    metric(gw, "packet_loss_pct", "%", "packet loss to PLC", 0.3, 1)
    metric(gw, "queue_depth", "", "pending OPC notifications", 2.0, 0)
    for d in path:
        host(d, "network", "network device on the gateway path", int(rng.choice([30, 60])))
    metric(path[0], "if_util_pct", "%", "uplink utilisation", 2.0, 1)
    metric(path[0], "cpu_pct", "%", "CPU utilisation", 2.0, 1)
    metric(path[1], "if_util_pct", "%", "uplink utilisation", 2.0, 1)
    it_extra = []
    for h, desc in servers:
        it_extra.append((h, desc))

    # ---- fill the budget: OT extras, unrelated units, server metrics
    n_core = len(plant.signals)
    budget = n_signals - n_core
    n_it_more = max(1, int(round(budget * 0.4)))
    n_ot_more = budget - n_it_more
    for key, blk, sig in extras:
        if n_ot_more <= 2:
            break
        plant.blocks[key] = blk
        plant.names[key] = sig.name
        plant.add(sig)
        n_ot_more -= 1
    _add_unrelated_units(plant, rng, num, n_ot_more)
    _add_server_metrics(plant, rng, it_extra, n_it_more, host, metric)
    return plant


_UNIT_TEMPLATES = [
    # (letters, unit, description, kind, level range, noise frac, decimals)
    ("PIC", "bar", "Compressed air header pressure", "loop", (6.0, 7.5), 0.004, 2),
    ("TIC", "degC", "Cooling water return temperature", "loop", (24.0, 34.0), 0.004, 1),
    ("LIC", "%", "Buffer tank level", "loop", (40.0, 70.0), 0.004, 1),
    ("FIC", "m3/h", "Make-up water flow", "loop", (5.0, 25.0), 0.006, 2),
    ("TIC", "degC", "Oven zone temperature", "loop", (150.0, 240.0), 0.002, 1),
    ("PIC", "mbar", "Room differential pressure", "loop", (10.0, 25.0), 0.02, 1),
    ("TI", "degC", "Lube oil temperature", "meas", (40.0, 55.0), 0.004, 1),
    ("PI", "bar", "Hydraulic pressure", "meas", (120.0, 180.0), 0.003, 1),
    ("SI", "rpm", "Cooling tower fan speed", "meas", (600.0, 1400.0), 0.003, 0),
    ("II", "A", "Compressor motor current", "meas", (80.0, 160.0), 0.01, 1),
    ("AI", "pH", "Waste water pH", "meas", (6.5, 8.0), 0.004, 2),
    ("AI", "%rH", "Room humidity", "meas", (35.0, 55.0), 0.01, 1),
    ("VI", "mm/s", "Winder bearing vibration", "meas", (1.5, 4.0), 0.03, 2),
    ("PDI", "mbar", "Filter differential pressure", "meas", (20.0, 60.0), 0.01, 1),
    ("TI", "degC", "Hall air temperature", "meas", (18.0, 26.0), 0.005, 1),
    ("LI", "%", "Silo level", "meas", (30.0, 80.0), 0.003, 1),
    ("WI", "kg", "Line weigh belt load", "meas", (200.0, 400.0), 0.01, 1),
    ("FI", "Nm3/h", "Natural gas flow", "meas", (50.0, 150.0), 0.01, 1),
]


def _add_unrelated_units(plant, rng, num, n_more):
    """Unrelated instruments: some in other areas, some in the main area (other sections)."""
    sep = plant.sep
    order = list(rng.permutation(len(_UNIT_TEMPLATES)))
    while n_more > 0:
        if not order:
            order = list(rng.permutation(len(_UNIT_TEMPLATES)))
        letters, unit, desc, kind, rng_lv, nf, dec = _UNIT_TEMPLATES[order.pop()]
        a = plant.area if rng.random() < 0.35 else str(rng.choice(UNRELATED_AREAS))
        n = num.take()
        block = f"{a}{sep}{letters}{n}"
        level = float(rng.uniform(*rng_lv))
        noise = max(level * nf, 10.0 ** (-dec))
        spec = {"block": block, "kind": kind, "level": level, "noise": noise, "unit": unit,
                "desc": desc, "dec": dec}
        if kind == "loop" and n_more >= 3:
            spec["names"] = (f"{block}.SP", f"{block}.PV", f"{block}.OUT")
            plant.add(Signal(f"{block}.SP", "OT", unit, f"{desc} setpoint", block, 0.0, dec, 5, "unrelated"))
            plant.add(Signal(f"{block}.PV", "OT", unit, desc, block, noise, dec, int(rng.choice([1, 2, 5])),
                             "unrelated", ("HI", level + 8 * noise, noise, 3)))
            plant.add(Signal(f"{block}.OUT", "OT", "%", f"{desc} valve output", block, 0.5, 1, 2, "unrelated"))
            n_more -= 3
        else:
            spec["kind"] = "meas"
            letters = letters.rstrip("C") if letters.endswith("IC") else letters
            block = f"{a}{sep}{letters}{n}"
            spec["block"] = block
            spec["names"] = (f"{block}.PV",)
            plant.add(Signal(f"{block}.PV", "OT", unit, desc, block, noise, dec, int(rng.choice([1, 2, 5, 10])),
                             "unrelated", ("HI", level + 10 * noise, noise, 3)))
            n_more -= 1
        plant.units.append(spec)


_SERVER_METRICS = [
    ("cpu_pct", "%", "CPU utilisation", 3.0, 1),
    ("mem_pct", "%", "memory in use", 0.4, 1),
    ("disk_io_mbps", "MB/s", "disk throughput", 1.5, 1),
    ("disk_pct", "%", "disk space used", 0.02, 1),
    ("net_mbps", "Mbit/s", "network throughput", 2.0, 1),
]


def _add_server_metrics(plant, rng, servers, n_more, host, metric):
    """Add IT metrics of unrelated servers (and the historian collector) up to ``n_more``."""
    for h, desc in servers:
        if n_more <= 0:
            break
        host(h, "server", desc, int(rng.choice([15, 30, 60])))
        picks = list(rng.permutation(len(_SERVER_METRICS)))
        # servers with a backup footprint always carry disk IO first
        if h in ("backup-01", "sql-01", "fs-01"):
            picks.remove(2)
            picks.insert(0, 2)
        else:
            picks.remove(0)
            picks.insert(0, 0)
        k = min(n_more, int(rng.integers(1, 4)))
        for i in picks[:k]:
            m, unit, mdesc, noise, dec = _SERVER_METRICS[i]
            metric(h, m, unit, mdesc, noise, dec)
            n_more -= 1


# --------------------------------------------------------------------------- scenario


@dataclass
class Perturbation:
    """Something that changes at a moment: the root cause or a distractor."""

    kind: str  # e.g. "sp_step", "pump_wear", "it_change", "cpu_ramp", "meas_step", "change_record"
    name: str  # the candidate name (signal or event source)
    name_type: str  # "signal" or "event"
    domain: str
    t: int  # [s] from window start
    mag: float = 0.0
    shape: str = "step"  # "step" or "ramp"
    duration: float = 0.0  # ramp duration [s]
    target: str = ""  # which loop / metric / unit it acts on
    extra: dict = field(default_factory=dict)


def _ot_unit_arrays(plant, rng, n):
    """Base arrays (no perturbation) of unrelated OT units; loops get dicts for the engine."""
    base = {}
    loops = []
    for spec in plant.units:
        lvl, nz = spec["level"], spec["noise"]
        if spec["kind"] == "loop":
            tau = float(rng.uniform(10, 120))
            theta = int(rng.integers(1, 8))
            K = float(lvl * rng.uniform(0.005, 0.02)) * (1 if rng.random() < 0.7 else -1)
            Kc, Ti = lambda_tuning(K, tau, theta, tau * rng.uniform(0.3, 1.0))
            lp = {"spec": spec, "K": K, "tau": tau, "theta": theta, "Kc": Kc, "Ti": Ti, "y0": lvl,
                  "u0": float(rng.uniform(30, 65)), "sp": np.full(n, lvl),
                  "dist": ar1(rng, n, nz * 3, rng.uniform(600, 3000)),
                  "pn": rng.standard_normal(n) * nz * 0.05, "mn": rng.standard_normal(n) * nz * 0.6}
            loops.append(lp)
        else:
            x = lvl + ar1(rng, n, nz, rng.uniform(5, 60)) + ar1(rng, n, nz * 2, rng.uniform(900, 4000))
            # slow sawtooth/cycling for some instruments (compressor load/unload, level cycling)
            if rng.random() < 0.3:
                period = rng.uniform(300, 1800)
                x += nz * rng.uniform(2, 5) * np.sin(2 * np.pi * np.arange(n) / period + rng.uniform(0, 6))
            base[spec["names"][0]] = x
    return base, loops


def _it_base(plant, rng, n, t_local_hour):
    """Base 1 s arrays of IT metrics without the root cause. ``t_local_hour`` is the plant's
    local hour of day (float) for every second, for schedules."""
    out = {}
    for h, hd in plant.hosts.items():
        for m, name in hd["metrics"].items():
            if m == "cpu_pct":
                lvl = rng.uniform(6, 35)
                x = lvl + ar1(rng, n, 2.5, 20) + ar1(rng, n, 3, 900)
                x += (rng.random(n) < 0.002) * rng.uniform(10, 40, n)  # short spikes
                x = lag(x, 3)
            elif m == "mem_pct":
                x = rng.uniform(30, 70) + ar1(rng, n, 0.4, 600) + np.linspace(0, rng.uniform(0, 2), n)
            elif m == "disk_io_mbps":
                x = np.abs(rng.uniform(1, 15) + ar1(rng, n, 1.5, 30))
            elif m == "disk_pct":
                x = rng.uniform(35, 85) + np.linspace(0, rng.uniform(0.05, 0.6), n) + ar1(rng, n, 0.01, 60)
            elif m == "net_mbps":
                x = np.abs(rng.uniform(5, 60) + ar1(rng, n, 3, 40) + 8 * np.sin(2 * np.pi * t_local_hour / 24))
            elif m == "if_util_pct":
                x = rng.uniform(4, 30) + ar1(rng, n, 1.5, 30) + 4 * np.sin(2 * np.pi * (t_local_hour - 9) / 24)
            elif m == "opc_latency_ms":
                x = np.full(n, rng.uniform(15, 120))  # shaped later from cpu/mem/link
            elif m == "packet_loss_pct":
                x = np.zeros(n)
            elif m == "queue_depth":
                x = np.zeros(n)  # shaped later
            else:  # pragma: no cover - every metric above is handled
                raise KeyError(m)
            out[name] = x
    return out


def gateway_path(plant, it, rng_lat, rng_u):
    """Derive gateway latency [ms], packet loss [%], queue depth and the DCS-side delay [s]
    and loss flags from the (already perturbed) cpu/mem/link arrays. In-place on ``it``.

    ``rng_lat`` holds pre-drawn noise (same for factual and counterfactual)."""
    gw = plant.hosts[plant.gateway]["metrics"]
    link = plant.hosts[plant.path_devices[0]]["metrics"]["if_util_pct"]
    cpu = np.clip(it[gw["cpu_pct"]], 0, 100)
    mem = np.clip(it[gw["mem_pct"]], 0, 100)
    util = np.clip(it[link], 0, 100)
    base = it[gw["opc_latency_ms"]]
    f_cpu = 1.0 / (1.0 - np.minimum(cpu, 99.0) / 100.0) / 1.25
    f_mem = 1.0 + np.maximum(mem - 85.0, 0.0) ** 2 / 3.0
    f_link = (1.0 - 0.25) / (1.0 - np.minimum(util, 99.5) / 100.0)
    f_link = np.maximum(f_link, 1.0)
    # overload: demand above capacity queues up; latency follows the backlog (leaky integral)
    over = (np.clip((cpu - 94.0) / 6.0, 0, 1) + np.clip((mem - 94.0) / 5.0, 0, 1)
            + np.clip((util - 95.0) / 4.5, 0, 1))
    backlog = lag(over, plant.main["backlog_tau"]) * plant.main["backlog_ms"]
    lat = (base * f_cpu * f_mem * f_link + backlog) * rng_lat["jit"] + it.pop("_extra_latency")
    loss = it.pop("_extra_loss") + 20.0 * np.clip(over, 0, 1)
    loss = np.clip(loss, 0, 100)
    blackout = it.pop("_blackout")
    lat = np.where(blackout, np.maximum(lat, 5000.0), lat)
    it[gw["opc_latency_ms"]] = lat
    it[gw["packet_loss_pct"]] = np.clip(loss + rng_lat["loss_noise"] * (loss > 0), 0, 100)
    qd = np.maximum(0.0, 3 + lat / 40.0 + rng_lat["q_noise"] * (1 + lat / 200.0))
    it[gw["queue_depth"]] = np.floor(qd)
    lost = (rng_u < loss / 100.0) | blackout
    return lat / 1000.0, lost


def _loguniform(rng, lo, hi):
    return float(math.exp(rng.uniform(math.log(lo), math.log(hi))))


CHANGE_TITLES = {
    "network": ["Firewall policy update", "Firewall rule cleanup", "Switch firmware upgrade",
                "QoS policy change", "VLAN reconfiguration", "Port security hardening",
                "SNMP community change", "Spanning-tree priority change", "ACL update for new MES VLAN"],
    "gateway": ["Patch KB5034441 and reboot", "OPC UA certificate renewal", "Gateway software update 6.14",
                "Antivirus exclusion update", "Tag group polling rate change"],
    "server": ["Patch KB5036893", "SQL Server CU update", "Antivirus engine update", "Disk cleanup job change",
               "Certificate renewal", "Backup schedule change", "Windows feature update", "Service account password rotation",
               "Add monitoring agent plugin"],
}


class Planner:
    """Draws the root cause, distractors and routine activity of one incident."""

    def __init__(self, plant, rng, n, hours_local):
        self.plant, self.rng, self.n = plant, rng, n
        self.hour = hours_local  # local hour of day for each second (float array)
        self.chg = int(rng.integers(20000, 80000))

    def change_number(self):
        self.chg += int(self.rng.integers(3, 400))
        return f"CHG00{self.chg}"

    def root(self, cause, onset):
        p, rng, mp = self.plant, self.rng, self.plant.main
        u = lambda lo, hi: float(rng.uniform(lo, hi))  # noqa: E731
        if cause == "setpoint_change":
            loop = str(rng.choice(["flow", "temp", "press"]))
            w = {"flow": mp["wF"], "temp": mp["wT"] / (mp["gB"]), "press": mp["wP"]}[loop]
            mag = u(1.4, 2.6) * w * (1 if rng.random() < 0.5 else -1)
            if loop == "flow":
                mag = abs(mag) * (1 if rng.random() < 0.7 else -1)
            name = p.names[f"{loop}_sp"]
            return Perturbation("sp_step", name, "signal", "OT", onset, mag, target=loop,
                                extra={"block": p.blocks[loop], "operator": str(rng.choice(OPERATORS))})
        if cause == "ot_fault":
            variant = str(rng.choice(["pump_wear", "utility_loss", "cooling_loss"]))
            shape = "ramp" if rng.random() < 0.65 else "step"
            dur = u(300, 2400) if shape == "ramp" else 0.0
            if variant == "pump_wear":
                return Perturbation("pump_wear", p.names["pump_p"], "signal", "OT", onset, u(0.5, 0.68),
                                    shape, dur, target="flow")
            if variant == "utility_loss":
                return Perturbation("utility_loss", p.names["steam_p"], "signal", "OT", onset, u(0.62, 0.8),
                                    shape, dur, target="temp")
            mag = u(1.4, 2.6) * mp["wT"] / mp["gcw"]
            return Perturbation("cooling_loss", p.names["cw_t"], "signal", "OT", onset, mag, shape, dur,
                                target="cw")
        if cause == "it_change":
            hosts = list(p.path_devices) + [p.gateway]
            host = str(rng.choice(hosts, p=[0.4, 0.35, 0.25]))
            kind = "gateway" if host == p.gateway else "network"
            loop_time = mp["tau1"] + mp["th1"] if p.remote == "flow" else mp["tau3"] + mp["th3"]
            return Perturbation("it_change", host, "event", "IT", onset, _loguniform(rng, 0.8, 2.5) * loop_time * 1000,
                                target=p.remote,
                                extra={"loss": u(3, 20), "apply_delay": u(0, 240),
                                       "duty": u(0.6, 1.0), "title": str(rng.choice(CHANGE_TITLES[kind])),
                                       "number": self.change_number(), "admin": str(rng.choice(ADMINS)),
                                       "planned_lead": u(0, 1800), "window": u(1800, 7200)})
        if cause == "it_saturation":
            gw = p.hosts[p.gateway]["metrics"]
            variant = str(rng.choice(["cpu", "mem", "link"]))
            name = {"cpu": gw["cpu_pct"], "mem": gw["mem_pct"],
                    "link": p.hosts[p.path_devices[0]]["metrics"]["if_util_pct"]}[variant]
            return Perturbation(f"{variant}_ramp", name, "signal", "IT", onset, u(99.0, 99.8), "ramp",
                                u(300, 2400), target=p.remote)
        raise ValueError(cause)

    def distractors(self, onset, count, root):
        """Unrelated changes within ~30 min of the root onset (never on the root itself)."""
        p, rng, n = self.plant, self.rng, self.n
        loops = [s for s in p.units if s["kind"] == "loop"]
        meas = [s for s in p.units if s["kind"] == "meas"]
        servers = [h for h, hd in p.hosts.items() if hd["kind"] == "server"]
        server_metrics = [(h, m, nm) for h in servers for m, nm in p.hosts[h]["metrics"].items()]
        kinds = []
        if loops:
            kinds.append("ot_sp_step")
        if meas:
            kinds += ["ot_meas_step", "ot_meas_ramp"]
        kinds.append("it_change_record")
        if server_metrics:
            kinds += ["it_metric_jump", "it_metric_ramp"]
        out, used = [], {root.name}
        for i in range(count * 4):
            if len(out) == count:
                break
            # guarantee variety: first pick covers OT, second IT, the rest random
            k = kinds[i] if i < 1 and loops else str(rng.choice(kinds))
            if i == 1:
                k = "it_change_record"
            t = int(np.clip(onset + rng.uniform(-1800, 1800), 900, n - 900))
            if k == "ot_sp_step":
                spec = loops[int(rng.integers(len(loops)))]
                name = spec["names"][0]
                mag = _loguniform(rng, 10, 120) * spec["noise"] * (1 if rng.random() < 0.5 else -1)
                mag = float(np.clip(mag, -0.25 * spec["level"], 0.25 * spec["level"]))
                d = Perturbation("sp_step", name, "signal", "OT", t, mag, target=spec["block"],
                                 extra={"block": spec["block"], "operator": str(rng.choice(OPERATORS))})
            elif k in ("ot_meas_step", "ot_meas_ramp"):
                spec = meas[int(rng.integers(len(meas)))]
                name = spec["names"][0]
                mag = _loguniform(rng, 12, 150) * spec["noise"] * (1 if rng.random() < 0.5 else -1)
                mag = float(np.clip(mag, -0.3 * spec["level"], 0.3 * spec["level"]))
                shape = "step" if k == "ot_meas_step" else "ramp"
                d = Perturbation("meas_change", name, "signal", "OT", t, mag, shape,
                                 float(rng.uniform(120, 1200)), target=name)
            elif k == "it_change_record":
                pool = [h for h in list(p.other_net) + servers + [p.path_devices[1]] if h != root.name]
                host = str(rng.choice(pool))
                kind = "network" if host in p.other_net or host in p.path_devices else "server"
                d = Perturbation("change_record", host, "event", "IT", t, 0.0, target=host,
                                 extra={"title": str(rng.choice(CHANGE_TITLES[kind])), "number": self.change_number(),
                                        "admin": str(rng.choice(ADMINS)), "planned_lead": rng.uniform(0, 1800),
                                        "window": rng.uniform(1800, 7200)})
            else:
                h, m, name = server_metrics[int(rng.integers(len(server_metrics)))]
                if m == "disk_pct":
                    mag = rng.uniform(2, 12)
                elif m in ("cpu_pct", "mem_pct"):
                    mag = rng.uniform(20, 70)
                else:
                    mag = _loguniform(rng, 20, 200)
                shape = "step" if k == "it_metric_jump" else "ramp"
                d = Perturbation("metric_change", name, "signal", "IT", t, float(mag), shape,
                                 float(rng.uniform(120, 1200)), target=name,
                                 extra={"hold": float(rng.uniform(600, 5400))})
            if d.name in used:
                continue
            used.add(d.name)
            out.append(d)
        return out

    def routine(self, onset, protect):
        """Activity that happens on any day: operator tweaks, backups, batch jobs, reconnects."""
        p, rng, n, mp = self.plant, self.rng, self.n, self.plant.main
        lo, hi = protect
        items = []

        def free_time(margin=600):
            for _ in range(50):
                t = int(rng.uniform(margin, n - margin))
                if not (lo - 1800 <= t <= hi):
                    return t
            return None

        # small setpoint tweaks on the main line (operators trim the process)
        for _ in range(int(rng.integers(1, 4))):
            loop = str(rng.choice(["flow", "temp", "press"]))
            w = {"flow": mp["wF"], "temp": mp["wT"], "press": mp["wP"]}[loop]
            t = free_time()
            if t is None:
                continue
            mag = w * rng.uniform(0.08, 0.25) * (1 if rng.random() < 0.5 else -1)
            items.append(Perturbation("sp_step", p.names[f"{loop}_sp"], "signal", "OT", t, mag, target=loop,
                                      extra={"block": p.blocks[loop], "operator": str(rng.choice(OPERATORS)),
                                             "revert": float(rng.uniform(600, 3600))}))
        # tweaks on unrelated loops anywhere
        for spec in p.units:
            if spec["kind"] == "loop" and rng.random() < 0.6:
                t = int(rng.uniform(600, n - 600))
                mag = spec["noise"] * rng.uniform(3, 20) * (1 if rng.random() < 0.5 else -1)
                items.append(Perturbation("sp_step", spec["names"][0], "signal", "OT", t, mag, target=spec["block"],
                                          extra={"block": spec["block"], "operator": str(rng.choice(OPERATORS))}))
        # gateway session drops (seen in OT as comm alarms and in IT as reconnect events)
        for _ in range(max(1, int(rng.integers(3, 8) * n / 28800))):
            t = free_time()
            if t is None:
                continue
            items.append(Perturbation("gw_blackout", p.gateway, "event", "IT", t, 0.0,
                                      duration=float(rng.uniform(8, 45))))
        # standard change records and patching far from the incident
        servers = [h for h, hd in p.hosts.items() if hd["kind"] == "server"]
        pool = servers + list(p.other_net) + list(p.path_devices)
        for _ in range(int(rng.integers(1, 4) * max(1, n // 14400))):
            t = free_time()
            if t is None:
                continue
            host = str(rng.choice(pool))
            kind = "network" if host in p.other_net or host in p.path_devices else "server"
            items.append(Perturbation("change_record", host, "event", "IT", t, 0.0, target=host,
                                      extra={"title": str(rng.choice(CHANGE_TITLES[kind])),
                                             "number": self.change_number(), "admin": str(rng.choice(ADMINS)),
                                             "planned_lead": rng.uniform(0, 1800), "window": rng.uniform(1800, 7200)}))
        for host in rng.choice(servers, size=min(len(servers), int(rng.integers(0, 3))), replace=False):
            t = free_time()
            if t is None:
                continue
            items.append(Perturbation("patch", str(host), "event", "IT", t, 0.0, duration=float(rng.uniform(120, 600)),
                                      extra={"kb": f"KB50{int(rng.integers(30000, 49999))}"}))
        # backups and batch jobs, scheduled in local time
        for h, hd in p.hosts.items():
            for m, name in hd["metrics"].items():
                if m == "disk_io_mbps":
                    hour0 = float(rng.choice([0.5, 1.0, 2.0, 3.0, 22.0, 23.0]))
                    for t in self._local_times(hour0, every=24.0):
                        items.append(Perturbation("backup", h, "event", "IT", t, _loguniform(rng, 60, 250),
                                                  duration=float(rng.uniform(2400, 6000)), target=name,
                                                  extra={"job": "Full backup"}))
                    if rng.random() < 0.7:
                        for t in self._local_times(float(rng.uniform(0, 2)), every=2.0):
                            items.append(Perturbation("backup", h, "event", "IT", t, _loguniform(rng, 20, 80),
                                                      duration=float(rng.uniform(180, 600)), target=name,
                                                      extra={"job": "Log backup"}))
                if m == "cpu_pct" and hd["kind"] == "server" and rng.random() < 0.5:
                    for t in self._local_times(float(rng.choice([5.75, 6.0, 13.9, 14.0, 21.9, 22.0])), every=8.0):
                        items.append(Perturbation("batch", h, "event", "IT", t, float(rng.uniform(25, 60)),
                                                  duration=float(rng.uniform(300, 1500)), target=name,
                                                  extra={"job": str(rng.choice(["Shift report", "MES order sync",
                                                                                "ERP export", "Index rebuild"]))}))
        return items

    def _local_times(self, hour0, every):
        """Seconds (from window start) at which the local clock reads hour0 + k*every."""
        h = (self.hour - hour0) % every
        idx = np.flatnonzero(np.diff(h) < -every / 2) + 1
        return [int(i) for i in idx if 0 < i < self.n - 60]


# --------------------------------------------------------------------------- driver


class Simulator:
    """Runs the plant with and without the root cause on identical noise."""

    def __init__(self, plant, rng, n, hours_local):
        self.plant, self.n = plant, n
        W = WARMUP
        self.W = W
        m = n + W
        mp = plant.main
        nz = mp["noise"]
        self.m = m
        # main line noise and disturbances
        self.noise = {
            "pF": ar1(rng, m, nz["pF"], 3) * 0.3, "pT": ar1(rng, m, nz["pT"], 20) * 0.1,
            "pP": ar1(rng, m, nz["pP"], 5) * 0.3,
            "mF": rng.standard_normal(m) * nz["mF"], "mT": rng.standard_normal(m) * nz["mT"],
            "mP": rng.standard_normal(m) * nz["mP"],
        }
        self.Ps = mp["Ps0"] + ar1(rng, m, nz["Ps"] * 1.5, 60) + ar1(rng, m, 0.02 * mp["Ps0"], 1800)
        self.Tin = mp["Tin0"] + ar1(rng, m, 0.4, 900) + ar1(rng, m, nz["Tin"] * 0.5, 10)
        hl = np.concatenate([np.full(W, hours_local[0]), hours_local])
        self.Tcw = mp["Tcw0"] + 1.2 * np.sin(2 * np.pi * (hl - 15) / 24) + ar1(rng, m, 0.25, 600)
        self.mn = {k: rng.standard_normal(m) for k in ("Pd", "Ps", "Tin", "TB", "Tcw", "Q", "I", "Fs")}
        self.pTB = ar1(rng, m, 0.15, 120)
        # unrelated OT units and IT metrics (base, no perturbation)
        self.ot_base, self.loops = _ot_unit_arrays(plant, rng, m)
        self.it_base = _it_base(plant, rng, m, hl)
        self.lat_noise = {"jit": np.exp(ar1(rng, m, 0.2, 20) + rng.standard_normal(m) * 0.15),
                          "loss_noise": rng.standard_normal(m) * 0.5,
                          "q_noise": rng.standard_normal(m) * 1.5}
        self.u_loss = rng.random(m)
        self.it_jit = np.exp(rng.standard_normal(m) * 0.5)  # jitter of extra latency (it_change)
        self.burst = ar1(rng, m, 1.0, 120)  # on/off pattern of an intermittent fault
        self._loops_done = False

    # -- perturbations -------------------------------------------------------
    def _prof(self, p, t=None):
        t = p.t if t is None else t
        return profile(self.m, t + self.W, p.shape, p.duration)

    def _apply(self, p, st):
        mp, m, W = self.plant.main, self.m, self.W
        k = p.kind
        if k == "sp_step":
            arr = st["sp"][p.target]
            step = profile(m, p.t + W, "step", 0)
            if "revert" in p.extra:
                step = step - profile(m, p.t + W + int(p.extra["revert"]), "step", 0)
            arr += p.mag * step
        elif k == "pump_wear":
            st["health"] *= 1.0 - p.mag * self._prof(p)
        elif k == "utility_loss":
            st["Ps"] -= p.mag * mp["Ps0"] * self._prof(p)
        elif k == "cooling_loss":
            st["Tcw"] += p.mag * self._prof(p)
        elif k == "it_change":
            on = profile(m, p.t + W + int(p.extra["apply_delay"]), "step", 0)
            duty = p.extra["duty"]
            if duty < 0.999:
                thr = np.quantile(self.burst, 1 - duty)
                on = on * (self.burst >= thr)
            st["it"]["_extra_latency"] += on * p.mag * self.it_jit
            st["it"]["_extra_loss"] += on * p.extra["loss"]
        elif k in ("cpu_ramp", "mem_ramp", "link_ramp"):
            x = st["it"][p.name]
            pr = self._prof(p)
            sat = p.mag + 0.3 * self.lat_noise["loss_noise"]
            st["it"][p.name] = x * (1 - pr) + pr * np.minimum(sat, 100.0)
        elif k == "meas_change":
            x = st["ot"].get(p.name)
            if x is None:  # unrelated loop PV: act as a load disturbance
                for lp in st["loops"]:
                    if lp["spec"]["names"][1] == p.name:
                        lp["dist"] = lp["dist"] + p.mag * self._prof(p)
            else:
                st["ot"][p.name] = x + p.mag * self._prof(p)
        elif k in ("metric_change", "backup", "batch"):
            name = p.target if k != "metric_change" else p.name
            x = st["it"][name]
            hold = p.extra.get("hold", p.duration)
            rise = self._prof(p) if k == "metric_change" else profile(m, p.t + W, "ramp", 60)
            fall = profile(m, p.t + W + int(hold) + (int(p.duration) if k == "metric_change" else 0), "ramp", 120)
            bump = np.clip(rise - fall, 0, 1)
            if name.endswith("disk_pct"):
                bump = rise  # space does not come back by itself
            st["it"][name] = x + p.mag * bump
        elif k == "gw_blackout":
            s = p.t + W
            st["it"]["_blackout"][s:s + int(p.duration)] = True
        elif k == "change_record":
            pass  # an event only

    def _state(self):
        p = self.plant
        m = self.m
        mp = p.main
        st = {
            "sp": {"flow": np.full(m, mp["F0"]), "temp": np.full(m, mp["T0"]), "press": np.full(m, mp["P0"])},
            "health": np.ones(m), "Ps": self.Ps.copy(), "Tin": self.Tin, "Tcw": self.Tcw.copy(),
            "it": {k: v.copy() for k, v in self.it_base.items()},
            "ot": {k: v.copy() for k, v in self.ot_base.items()},
            "loops": self.loops,
        }
        st["it"]["_extra_latency"] = np.zeros(m)
        st["it"]["_extra_loss"] = np.zeros(m)
        st["it"]["_blackout"] = np.zeros(m, dtype=bool)
        for lp in self.loops:
            st["sp"][lp["spec"]["block"]] = lp["sp"]
        return st

    def run(self, perturbations):
        """Simulate with the given perturbations; return (signals, aux) on the window."""
        p, mp, W = self.plant, self.plant.main, self.W
        st = self._state()
        for q in perturbations:
            if q.kind == "sp_step" and q.target not in ("flow", "temp", "press"):
                if self._loops_done:
                    continue  # unrelated loops are identical in every run
                self._apply(q, st)
            elif q.kind == "meas_change" and q.name not in st["ot"]:
                if self._loops_done:
                    continue
                self._apply(q, st)
            else:
                self._apply(q, st)
        it = st["it"]
        lat_s, lost = gateway_path(p, it, self.lat_noise, self.u_loss)
        res = simulate_main(mp, st["sp"]["flow"], st["sp"]["temp"], st["sp"]["press"], st["health"], st["Ps"],
                            st["Tin"], self.noise, lat_s, lost, p.remote)
        if not self._loops_done:
            simulate_loops(self.loops, self.m)
            self._loops_done = True
        # dryer product temperature and quality (no feedback: vectorised)
        TBin = (mp["TB0"] + mp["gB"] * (delay(res["T"], mp["dB"]) - mp["T0"])
                + mp["gPB"] * (res["P"] - mp["P0"]) + mp["gcw"] * (st["Tcw"] - mp["Tcw0"]))
        TB = lag(TBin, mp["tauB"]) + self.pTB
        dev = (((TB - mp["TB0"]) / mp["wT"]) ** 2 + ((res["P"] - mp["P0"]) / mp["wP"]) ** 2
               + ((res["F"] - mp["F0"]) / mp["wF"]) ** 2)
        Qi = mp["Q0"] + mp["Qspan"] * (1.0 - np.exp(-mp["A"] * dev / mp["Qspan"]))
        Q = lag(delay(Qi, mp["dQ"]), mp["tauQ"]) + self.mn["Q"] * mp["noise"]["Q"]
        # analyser: sample and hold
        idx = (np.arange(self.m) // mp["qP"]) * mp["qP"]
        Q = Q[idx]
        nz, mn = mp["noise"], self.mn
        names = p.names
        rec = {
            names["flow_sp"]: st["sp"]["flow"], names["flow_pv"]: res["F_seen"], names["flow_out"]: res["u1"],
            names["pump_p"]: res["Pd"] + mn["Pd"] * nz["Pd"],
            names["temp_sp"]: st["sp"]["temp"], names["temp_pv"]: res["T_seen"], names["temp_out"]: res["u2"],
            names["steam_p"]: st["Ps"] + mn["Ps"] * nz["Ps"], names["feed_t"]: st["Tin"] + mn["Tin"] * nz["Tin"],
            names["press_sp"]: st["sp"]["press"], names["press_pv"]: res["P_seen"], names["press_out"]: res["u3"],
            names["prod_t"]: TB + mn["TB"] * nz["TB"], names["cw_t"]: st["Tcw"] + mn["Tcw"] * nz["Tcw"],
            names["quality"]: Q,
        }
        if "pump_i" in names:
            # motor current: no-load share plus a share proportional to hydraulic power
            rec[names["pump_i"]] = 45.0 * (0.35 + 0.65 * res["F"] * res["Pd"] / (mp["F0"] * mp["Pd0"])) + mn["I"] * nz["I"]
        if "steam_f" in names:
            fs0 = mp["F0"] * (mp["T0"] - mp["Tin0"]) / 500.0
            rec[names["steam_f"]] = fs0 * (res["u2"] / mp["u20"]) * np.sqrt(np.maximum(st["Ps"], 0) / mp["Ps0"]) + mn["Fs"] * nz["Fs"]
        for k, v in st["ot"].items():
            rec[k] = v
        for lp in self.loops:
            sp_n, pv_n, out_n = lp["spec"]["names"]
            rec[sp_n], rec[pv_n], rec[out_n] = lp["sp"], lp["pv"], lp["out"]
        for k, v in it.items():
            rec[k] = v
        out = {}
        for name, sig in p.signals.items():
            x = rec[name][W:]
            if sig.domain == "IT":
                x = np.maximum(x, 0.0)
                if sig.unit == "%":
                    x = np.minimum(x, 100.0)
            out[name] = quantise(x, sig.decimals)
        aux = {"lat_s": lat_s[W:], "lost": lost[W:], "TB_true": TB[W:]}
        return out, aux


# --------------------------------------------------------------------------- events (true time)


def threshold_intervals(x, limit, db, *, above=True, min_dur=0):
    """(start, end) sample indexes of excursions beyond ``limit`` with hysteresis ``db``.
    ``end`` is -1 when the excursion is still active at the end. Excursions shorter than
    ``min_dur`` samples are dropped (alarm on-delay)."""
    x = np.asarray(x, dtype=float)
    if above:
        on, off = x > limit, x < limit - db
    else:
        on, off = x < limit, x > limit + db
    s = np.where(on, 1, np.where(off, 0, -1))
    if s[0] == -1:
        s[0] = 0
    idx = np.where(s >= 0, np.arange(len(s)), 0)
    idx = np.maximum.accumulate(idx)
    s = s[idx]
    d = np.diff(s, prepend=0)
    starts, ends = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    out = []
    for a in starts:
        j = np.searchsorted(ends, a)
        b = int(ends[j]) if j < len(ends) else -1
        if min_dur and b != -1 and b - a < min_dur:
            continue
        out.append((int(a), b))
    return out


class EventLog:
    """Collects events in true time (seconds from the window start)."""

    def __init__(self):
        self.rows = []

    def add(self, t, stream, source, kind, message, *, state="", severity="", end=np.nan, user="",
            domain=None, role="routine", **extra):
        domain = domain or ("OT" if stream == "ae" else "IT")
        self.rows.append({"t": float(t), "end": float(end), "stream": stream, "source": source, "kind": kind,
                          "state": state, "message": message, "severity": severity, "user": user,
                          "domain": domain, "role": role, **extra})

    def __len__(self):
        return len(self.rows)


_PRIO = {1: "1", 2: "2", 3: "3", 4: "4"}


def _fmt(v, dec):
    return f"{v:.{max(dec, 0)}f}"


def make_events(plant, rng, sig, aux, perts, root, n, onset, noticed, target_rows, hours_local):
    """All events of the incident in true time. Returns an :class:`EventLog`."""
    ev = EventLog()
    p = plant
    # ---------------- OT: process alarms (with operator acknowledgements)
    for name, s in p.signals.items():
        if s.domain != "OT" or s.alarm is None:
            continue
        kind, limit, db, prio = s.alarm[:4]
        x = sig[name]
        if kind == "DEV":
            sp = sig.get(name[:-3] + ".SP", None)
            ref = sp if sp is not None else np.median(x)
            ivs = [("DEV", iv) for iv in threshold_intervals(np.abs(x - ref), limit, db, min_dur=5)]
        elif kind == "HIHI":
            continue
        else:
            ivs = [(kind, iv) for iv in threshold_intervals(x, limit, db, above=(kind == "HI"), min_dur=5)]
        extra = []
        if name == p.names["quality"] and len(s.alarm) > 4:
            extra = [("HIHI", iv) for iv in threshold_intervals(x, s.alarm[4], db, min_dur=5)]
        for k, (a, b) in ivs + extra:
            pr = prio if k != "HIHI" else 1
            val = x[a]
            cmp = ">" if k in ("HI", "HIHI") else ("<" if k == "LO" else "dev >")
            lim = limit if k != "HIHI" else s.alarm[4]
            ev.add(a, "ae", s.block, k, f"{s.description} {k} {_fmt(val, s.decimals)} {s.unit} {cmp} {_fmt(lim, s.decimals)}",
                   state="ACT", severity=_PRIO[pr], role="alarm", tag=name)
            if b != -1:
                ev.add(b, "ae", s.block, k, f"{s.description} {k} returned to normal", state="RTN",
                       severity=_PRIO[pr], role="alarm", tag=name)
            ack = a + rng.exponential(70) + 3
            if ack < n:
                ev.add(ack, "ae", s.block, k, f"{s.description} {k} acknowledged", state="ACK",
                       severity=_PRIO[pr], user=str(rng.choice(OPERATORS)), role="alarm", tag=name)
    # ---------------- OT: operator setpoint changes (root, distractor and routine)
    for q in perts:
        if q.kind != "sp_step":
            continue
        sp = sig[q.name]
        s = p.signals[q.name]
        console = str(rng.choice(list(p.ot_names[h] for h in p.hmis)))
        for t, label in [(q.t, "")] + ([(q.t + int(q.extra["revert"]), "")] if "revert" in q.extra else []):
            if t >= n:
                continue
            old, new = sp[max(t - 1, 0)], sp[min(t + 1, n - 1)]
            ev.add(t, "ae", q.extra["block"], "OPERATOR",
                   f"SP changed from {_fmt(old, s.decimals)} to {_fmt(new, s.decimals)} {s.unit} at {console}",
                   user=q.extra["operator"], role="operator", old=old, new=new, tag=q.name)
    # ---------------- OT/IT: HMI logons, seen in the OT journal and in the IT auth log
    shift_hours = [6.0, 14.0, 22.0]
    logon_times = []
    for h0 in shift_hours:
        h = (hours_local - h0) % 24
        for i in np.flatnonzero(np.diff(h) < -12) + 1:
            for hmi in p.hmis:
                logon_times.append((int(i + rng.uniform(-600, 900)), hmi))
    for _ in range(int(rng.integers(30, 60) * n / 28800)):
        logon_times.append((int(rng.uniform(0, n)), str(rng.choice(p.hmis))))
    for t, hmi in logon_times:
        if not 0 <= t < n:
            continue
        user = str(rng.choice(OPERATORS))
        t_on = t + rng.uniform(0, 1.0)
        ev.add(t_on, "ae", p.ot_names[hmi], "LOGON", f"User {user} logged on", user=user, role="logon")
        ev.add(t_on + rng.uniform(-0.5, 0.8), "it", hmi, "logon",
               f"An account was successfully logged on. Account: CORP\\{user}, logon type 2 (interactive)",
               severity="info", user=user, role="logon")
        t_off = t_on + rng.uniform(1800, 8 * 3600)
        if t_off < n:
            ev.add(t_off, "ae", p.ot_names[hmi], "LOGOFF", f"User {user} logged off", user=user, role="logon")
            ev.add(t_off + rng.uniform(-0.5, 0.8), "it", hmi, "logoff", f"An account was logged off. Account: CORP\\{user}",
                   severity="info", user=user, role="logon")
    # ---------------- OT: gateway communication alarms from stale measurements
    lost = aux["lost"]
    stale = _stale_age(lost)
    gw_ot = p.ot_names[p.gateway]
    for a, b in threshold_intervals(stale, 3.0, 1.5, min_dur=0):  # DCS watchdog: ~4 s without an update
        ev.add(a, "ae", gw_ot, "COMMFAIL", f"Communication failure to remote PLC via {gw_ot}", state="ACT",
               severity="2", role="alarm")
        if b != -1:
            ev.add(b, "ae", gw_ot, "COMMFAIL", "Communication to remote PLC restored", state="RTN", severity="2",
                   role="alarm")
    # ---------------- IT: perturbation-driven events
    for q in perts:
        if q.kind in ("it_change", "change_record"):
            x = q.extra
            start = q.t
            planned = start - x["planned_lead"]
            end = planned + x["window"]
            end = max(end, start + 900)
            role = "root" if q is root else "change"
            ev.add(start - rng.uniform(60, 600), "it", q.name, "logon",
                   f"Accepted keyboard-interactive/pam for {x['admin']} from 10.20.{rng.integers(1, 250)}.{rng.integers(2, 250)}",
                   severity="info", user=x["admin"], role="logon")
            ev.add(start, "chg", q.name, "change", f"{x['number']} {x['title']} (implementer {x['admin']})",
                   end=end, severity="Normal", user=x["admin"], role=role, number=x["number"])
            commit = start + x.get("apply_delay", rng.uniform(0, 600))
            if q.name in p.path_devices or q.name in p.other_net:
                msg = f"%SYS-5-CONFIG_I: Configured from vty by {x['admin']}"
                if q.name.startswith("fw"):
                    msg = f"Policy installed on {q.name} by {x['admin']} (policy package rev {rng.integers(100, 999)})"
                ev.add(commit, "it", q.name, "config", msg, severity="notice", user=x["admin"], role=role)
            else:
                ev.add(commit, "it", q.name, "service", f"Service restarted after change {x['number']}",
                       severity="info", role=role)
        elif q.kind == "gw_blackout":
            ev.add(q.t + rng.uniform(3.0, 5.0), "it", p.gateway, "service",  # keep-alive timeout
                   "OPC UA session to PLC closed (BadConnectionClosed), reconnecting", severity="warning", role="link")
            ev.add(q.t + int(q.duration) + rng.uniform(0.0, 1.0), "it", p.gateway, "service",
                   f"OPC UA session to PLC re-established after {q.duration:.0f} s", severity="info", role="link")
        elif q.kind == "backup":
            ev.add(q.t, "it", q.name, "backup", f"Backup job '{q.extra['job']}' started", end=q.t + q.duration,
                   severity="info", role="routine")
            if q.t + q.duration < n:
                ev.add(q.t + q.duration, "it", q.name, "backup",
                       f"Backup job '{q.extra['job']}' completed successfully ({rng.uniform(2, 400):.1f} GB)",
                       severity="info", role="routine")
        elif q.kind == "patch":
            kb = q.extra["kb"]
            ev.add(q.t - rng.uniform(300, 1200), "it", q.name, "patch", f"Installing update {kb} (Security Update)",
                   severity="info", role="routine")
            ev.add(q.t, "it", q.name, "restart", f"The system is restarting to complete update {kb}",
                   severity="warning", role="routine")
            ev.add(q.t + q.duration, "it", q.name, "service", "Monitoring agent started", severity="info",
                   role="routine")
        elif q.kind == "batch":
            ev.add(q.t, "it", q.name, "job", f"Scheduled task '{q.extra['job']}' started", end=q.t + q.duration,
                   severity="info", role="routine")
    # ---------------- IT: monitoring alerts (polled every 60 s) that follow problems
    rules = {"cpu_pct": (90.0, 5.0, "CPU utilisation"), "mem_pct": (92.0, 2.0, "Memory utilisation"),
             "opc_latency_ms": (1000.0, 300.0, "OPC update latency"), "packet_loss_pct": (2.0, 1.0, "Packet loss"),
             "if_util_pct": (85.0, 5.0, "Interface utilisation"), "disk_io_mbps": (150.0, 30.0, "Disk throughput"),
             "disk_pct": (90.0, 1.0, "Disk space used"), "queue_depth": (200.0, 50.0, "OPC notification queue")}
    phase = int(rng.integers(0, 60))
    for h, hd in p.hosts.items():
        for m, name in hd["metrics"].items():
            if m not in rules:
                continue
            lim, db, label = rules[m]
            x = sig[name][phase::60]
            for a, b in threshold_intervals(x, lim, db, min_dur=2):
                ta = phase + a * 60 + rng.uniform(1, 20)
                s = p.signals[name]
                ev.add(ta, "it", h, "alert", f"PROBLEM: {label} {_fmt(x[a], s.decimals)} {s.unit} > {lim:g} on {h}",
                       severity="warning" if m != "opc_latency_ms" else "high", role="alert")
                if b != -1:
                    ev.add(phase + b * 60 + rng.uniform(1, 20), "it", h, "alert", f"RESOLVED: {label} back to normal on {h}",
                           severity="ok", role="alert")
    # ---------------- after the symptom is noticed
    q_block = p.blocks["quality"]
    op = str(rng.choice(OPERATORS))
    ev.add(noticed + rng.uniform(30, 240), "ae", q_block, "OPERATOR", "Lab sample requested to confirm analyser reading",
           user=op, role="response")
    t_ticket = noticed + rng.uniform(300, 1800)
    inc = f"INC00{int(rng.integers(40000, 99999))}"
    qdesc = p.signals[p.names["quality"]].description.split(" (")[0].lower()
    ev.add(t_ticket, "it", "servicedesk", "incident",
           f"{inc} opened: {p.area} {qdesc} out of specification, production asks IT/OT to check for causes",
           severity="P2", role="ticket", number=inc)
    # ---------------- filler: nuisance chatter (OT) and routine syslog (IT)
    rest = target_rows - len(ev)
    if rest > 0:
        n_ot = rest // 2
        _chatter(ev, p, rng, n, n_ot)
        _syslog(ev, p, rng, n, rest - n_ot)
    return ev


def _stale_age(lost):
    """Seconds since the last successful update, for every second."""
    idx = np.where(~lost, np.arange(len(lost)), -1)
    last = np.maximum.accumulate(idx)
    age = np.arange(len(lost)) - last
    age[last < 0] = 0
    return age.astype(float)


_NUISANCE = [("LSH", "Sump level switch high", "HI"), ("PSL", "Seal water pressure low", "LO"),
             ("TSH", "Motor winding temperature high", "HI"), ("ZSO", "Guard door open", "OPEN"),
             ("FSL", "Lube flow low", "LO"), ("XA", "Drive warning", "ALM"), ("LSL", "Hopper level low", "LO")]


def _chatter(ev, p, rng, n, rows):
    """Chattering nuisance alarms: ACT/RTN bursts on a few switches. ``rows`` rows in total."""
    k = int(rng.integers(2, 5))
    picks = [(_NUISANCE[i], (p.area if rng.random() < 0.5 else str(rng.choice(UNRELATED_AREAS))))
             for i in rng.choice(len(_NUISANCE), size=k, replace=False)]
    weights = rng.dirichlet(np.ones(k))
    made = 0
    for j, ((letters, desc, cond), area) in enumerate(picks):
        block = f"{area}{p.sep}{letters}{int(rng.integers(100, 699))}"
        budget = int(round(rows * weights[j])) if j < k - 1 else rows - made
        pairs = budget // 2
        if pairs <= 0:
            continue
        # bursts: clusters of fast toggling
        n_bursts = max(1, pairs // int(rng.integers(5, 40)))
        centres = rng.uniform(0, n, n_bursts)
        which = rng.integers(0, n_bursts, pairs)
        starts = np.sort(np.clip(centres[which] + rng.exponential(120, pairs) * rng.choice([-1, 1], pairs), 0, n - 5))
        durs = rng.exponential(8, pairs) + 1
        gaps = rng.uniform(1.0, 4.0, pairs)
        # one alarm cannot activate again before it returned: push overlapping toggles later
        end = -np.inf
        for i in range(pairs):
            starts[i] = max(starts[i], end + gaps[i])
            end = starts[i] + durs[i]
        for a, d in zip(starts, durs):
            ev.add(a, "ae", block, cond, f"{desc} {cond}", state="ACT", severity="4", role="nuisance")
            ev.add(a + d, "ae", block, cond, f"{desc} normal", state="RTN", severity="4", role="nuisance")
            made += 2
        if budget % 2:
            ev.add(rng.uniform(0, n), "ae", block, cond, f"{desc} {cond}", state="ACT", severity="4", role="nuisance")
            made += 1


_SYSLOG = [
    ("deny", "Deny tcp src inside:10.{a}.{b}.{c}/{p} dst outside:172.16.{b}.{c}/445 by access-group \"ot_in\"", "warning", "fw"),
    ("ntp", "NTP: clock synchronised to 10.1.0.10, offset {o} ms", "info", "srv"),
    ("gpo", "The Group Policy settings for the computer were processed successfully", "info", "srv"),
    ("av", "Antivirus definitions updated to version 1.{a}{b}.{c}", "info", "srv"),
    ("dhcp", "DHCPACK on 10.{a}.{b}.{c} to 00:1b:{a:02x}:{b:02x}:{c:02x}:10", "info", "net"),
    ("task", "Scheduled task '\\Microsoft\\Windows\\UpdateOrchestrator\\Schedule Scan' completed", "info", "srv"),
    ("link", "%LINK-3-UPDOWN: Interface Gi1/0/{q}, changed state to up", "notice", "net"),
    ("auth", "Kerberos ticket granted for svc_opc@CORP", "info", "srv"),
]


def _syslog(ev, p, rng, n, rows):
    """Routine IT log noise from the servers and network devices."""
    servers = [h for h, hd in p.hosts.items() if hd["kind"] == "server"] + [p.gateway, "dc-01"]
    net = list(p.path_devices) + list(p.other_net)
    fws = [h for h in net if h.startswith("fw")] or net
    times = np.sort(rng.uniform(0, n, rows))
    kinds = rng.integers(0, len(_SYSLOG), rows)
    a, b, c = rng.integers(1, 250, rows), rng.integers(1, 250, rows), rng.integers(1, 250, rows)
    ports = rng.integers(1024, 65000, rows)
    offs = rng.normal(0, 3, rows)
    for i in range(rows):
        kind, tmpl, sev, where = _SYSLOG[kinds[i]]
        pool = fws if where == "fw" else (net if where == "net" else servers)
        src = pool[int((a[i] * 7 + b[i]) % len(pool))]
        msg = tmpl.format(a=int(a[i]), b=int(b[i]), c=int(c[i]), p=int(ports[i]), o=f"{offs[i]:.1f}", q=int(c[i]) % 48 + 1)
        ev.add(times[i], "it", src, kind, msg, severity=sev, role="noise")
