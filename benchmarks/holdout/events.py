"""Events of a hold-out incident: the OT alarm & event log, the operator journal, the IT
SIEM feed (syslog, Windows, monitoring, backups, antivirus) and the ITSM export (change
records and tickets).

Every event is a dict with ``t`` (true time [s] since the start of the simulation), ``log``
(``"ae"``, ``"journal"``, ``"siem"`` or ``"itsm"``), ``source``, ``kind``, ``message``,
``severity`` and, where it applies, ``state`` (alarms), ``end`` (change windows) and ``user``.

Moments that both worlds record (the clock link): communication losses of the gateway (the
PLC's watchdog alarm in the OT log and the gateway's session log in the SIEM) and operator
log-ons at the HMI stations (the HMI journal and the Windows security log).
"""

from __future__ import annotations

import numpy as np

from benchmarks.holdout.naming import pick

_USERS = ["jmeyer", "akovacs", "tnguyen", "sgarcia", "pdubois", "rsingh", "mwagner", "lrossi", "kobrien", "hsato",
          "cschmidt", "dpetrov", "emartin", "fsilva"]
_SVC = ["svc_backup", "svc_hist", "svc_sql", "svc_scada", "svc_mon", "svc_av", "SYSTEM", "svc_opc"]


def _ev(t, log, source, kind, message, severity="", **extra):
    d = {"t": float(t), "log": log, "source": source, "kind": kind, "message": message, "severity": severity}
    d.update(extra)
    return d


# ---------------------------------------------------------------------------------------------
# OT side
# ---------------------------------------------------------------------------------------------

def _alarm_runs(x, limit, direction, deadband, on_delay=3, off_delay=3):
    """(start, end) seconds of alarm activations with on/off delays and a deadband."""
    beyond = x > limit if direction == "hi" else x < limit
    back = x < limit - deadband if direction == "hi" else x > limit + deadband
    runs = []
    active = False
    cnt = 0
    start = 0
    idx = np.flatnonzero(beyond | back)
    b_l, k_l = beyond.tolist(), back.tolist()
    prev = -10
    for i in idx.tolist():
        if i != prev + 1:
            cnt = 0
        prev = i
        if not active:
            if b_l[i]:
                cnt += 1
                if cnt >= on_delay:
                    active, cnt, start = True, 0, i - on_delay + 1
            else:
                cnt = 0
        else:
            if k_l[i]:
                cnt += 1
                if cnt >= off_delay:
                    runs.append((start, i))
                    active, cnt = False, 0
            else:
                cnt = 0
    if active:
        runs.append((start, None))
    return runs


def ot_events(inc, measured, rng) -> list:
    """Alarms, state changes and system events of the OT alarm & event log."""
    a, b = inc.window
    N = inc.ot_names
    tags = {t.key: t for t in inc.tags}
    out = []
    prio = pick(rng, [("High", "Medium", "Low"), ("1", "2", "3"), ("900", "700", "500"), ("URGENT", "HIGH", "LOW")])
    hi_word, lo_word = pick(rng, [("HI", "LO"), ("H", "L"), ("HIGH", "LOW"), ("PVHI", "PVLO")])
    ack_users = [pick(rng, _USERS) for _ in range(3)]

    def alarm(start, end, source, kind, text, sev, ack=True):
        out.append(_ev(start, "ae", source, kind, text, sev, state="ACT"))
        if end is not None:
            out.append(_ev(end, "ae", source, kind, text.replace(" active", " cleared"), sev, state="RTN"))
        if ack and rng.random() < 0.8:
            t_ack = start + rng.uniform(5, 240)
            out.append(_ev(t_ack, "ae", source, kind, "acknowledged", sev, state="ACK", user=pick(rng, ack_users)))

    # process alarms on the tags that have limits
    for key, tag in tags.items():
        x = measured.get(key)
        if x is None:
            continue
        for lim, direction, word in ((tag.alarm_hi, "hi", hi_word), (tag.alarm_lo, "lo", lo_word)):
            if lim is None:
                continue
            db = max(2.5 * tag.noise, abs(lim) * 0.004)
            for s, e in _alarm_runs(x[a:b], lim, direction, db):
                s += a
                e = None if e is None else e + a
                val = float(x[s])
                text = f"{tag.description} {word} active: {val:.3g} {tag.eng_unit} (limit {lim:.3g})".strip()
                sev = prio[0] if key == inc.symptom else pick(rng, prio)
                alarm(s, e, N.alarm_source(tag), word, text, sev)
    # a chattering alarm on a tag whose limit sits too close to normal operation
    cands = [k for k, t in tags.items() if not t.states and k not in inc.chain and t.noise > 0 and k in measured
             and not k.endswith(".SP")]
    ck = pick(rng, sorted(cands))
    x = measured[ck][a:b]
    lim = float(np.quantile(x, rng.uniform(0.985, 0.997)))
    for s, e in _alarm_runs(x, lim, "hi", 0.5 * tags[ck].noise, on_delay=1, off_delay=1):
        alarm(s + a, None if e is None else e + a, N.alarm_source(tags[ck]), hi_word,
              f"{tags[ck].description} {hi_word} active", prio[2], ack=rng.random() < 0.3)
    # nuisance level switch and door contact (not historised)
    area = inc.tags[0].area
    sw_name = N.point(area, inc.tags[0].unit_name, "LSH-195" if inc.plant == "dairy" else "LSH-905")
    t = a + rng.uniform(0, 1800)
    while t < b:
        burst = int(rng.integers(3, 25))
        for _ in range(burst):
            d = rng.uniform(2, 40)
            alarm(t, t + d, sw_name, "DISC", "sump level switch high active", prio[2], ack=rng.random() < 0.1)
            t += d + rng.uniform(3, 60)
        t += rng.uniform(600, 3600)
    door = N.point(area, "MCC", "ZS-990")
    for t in np.sort(rng.uniform(a, b, size=int(rng.integers(2, 8)))):
        alarm(t, t + rng.uniform(20, 900), door, "DISC", "MCC room door open active", prio[2], ack=False)

    # communication watchdogs (the PLC sees the gateway / SCADA connection drop)
    plc = N.point(area, inc.tags[0].unit_name, f"PLC{int(rng.integers(1, 4))}-OPC")
    wdg = N.point(area, inc.tags[0].unit_name, "WDG-SCADA")
    scada_out = inc.it.outages.get("scada", [])
    for s, d, _ in inc.it.stalls:
        if d < 6 or not (a <= s < b):
            continue
        t_act = s + 5.0 + rng.uniform(-0.4, 0.4)
        t_rtn = s + d + rng.uniform(0.5, 2.0)
        is_scada = any(x0 <= s < x1 for x0, x1 in scada_out)
        src = wdg if is_scada else plc
        text = ("SCADA write watchdog expired active" if is_scada else "OPC UA connection to gateway lost active")
        alarm(t_act, t_rtn, src, "COMMFAIL", text, prio[1])

    # state changes: flow diversion, compressor, backwash sequence
    for i, key, kind, text in inc.phases:
        if not (a <= i < b):
            continue
        if key == "ZS132":
            src = N.alarm_source(tags["ZS132"])
            if kind == "DIVERT":
                end = next((j for j, k2, kd, _ in inc.phases if k2 == "ZS132" and kd == "FORWARD" and j > i), None)
                alarm(i + 1, None if end is None else end + 1, src, "DIVERT", "Flow diversion valve DIVERT active",
                      prio[0])
        elif key == "XS150":
            out.append(_ev(i + rng.uniform(0, 1), "ae", N.alarm_source(tags["XS150"]), "STATE",
                           f"chiller compressor {kind}", prio[2], state=""))
        else:
            unit = tags[key].unit_name
            out.append(_ev(i + rng.uniform(0, 1), "ae", N.point("Filtration", unit, "SEQ-BW"), "SEQUENCE", text,
                           prio[2], state=""))
    for i, what, text in inc.details["exo_events"]:
        if a <= i < b and what in ("cip", "cip_end"):
            out.append(_ev(i, "ae", N.point(area, "CIP", "SEQ-CIP"), "SEQUENCE", text, prio[2], state=""))
    return out


def journal_events(inc, rng, stations_ot) -> list:
    """The operator journal: setpoint and mode changes, comments, shelving; the cause's
    setpoint change is logged most of the time (not always: faceplate changes can bypass it)."""
    a, b = inc.window
    N = inc.ot_names
    tags = {t.key: t for t in inc.tags}
    out = []
    sp_used = inc.details["sp_used"]
    crew = [pick(rng, _USERS) for _ in range(2)]

    def who():
        return pick(rng, crew), pick(rng, stations_ot)

    def sp_entry(t, key, old, new, note):
        tag = tags[key]
        obj = N.loop_object(tag.letters, tag.loop, tag)
        user, st = who()
        out.append(_ev(t + rng.uniform(-1.5, 0.5), "journal", obj, "SP_CHANGE",
                       f"{obj} setpoint {old:.4g} -> {new:.4g} {tag.eng_unit} ({note}) at {st}", "", user=user))

    for t, key, new, note in inc.ot_distractors:
        if a <= t < b:
            old = float(sp_used[key][t - 1])
            sp_entry(t, key, old, float(sp_used[key][t]), note)
    for t, key, old, new, note in inc.actions:
        if a <= t < b:
            sp_entry(t, key, old, new, note)
    if inc.cause == "setpoint_change" and rng.random() < 0.85:
        key = inc.root
        t = inc.onset
        sp_entry(t, key, float(sp_used[key][t - 1]), float(sp_used[key][t]),
                 pick(rng, ["production request", "energy saving", "as instructed by shift lead", "trial"]))
    # mode changes on loops off the chain (a short manual intervention)
    loops = [t for t in inc.tags if t.attr == "SP" and t.key not in inc.chain]
    for _ in range(int(rng.integers(1, 4))):
        tag = pick(rng, loops)
        obj = N.loop_object(tag.letters, tag.loop, tag)
        t = rng.uniform(a, b - 1200)
        user, st = who()
        out.append(_ev(t, "journal", obj, "MODE", f"{obj} mode AUTO -> MAN at {st}", "", user=user))
        out.append(_ev(t + rng.uniform(60, 900), "journal", obj, "MODE", f"{obj} mode MAN -> AUTO at {st}", "",
                       user=user))
    # comments and shelving
    area = inc.tags[0].area
    for t in np.sort(rng.uniform(a, b, size=int(rng.integers(3, 9)))):
        user, st = who()
        text = pick(rng, ["Lab sample taken", "Walk-down done, nothing abnormal", "Shift handover notes updated",
                          "Contractor on site (painting)", "Checked dosing tank levels", "Forklift traffic at dock"])
        out.append(_ev(t, "journal", st, "COMMENT", text, "", user=user))
    sw = N.point(area, inc.tags[0].unit_name, "LSH-195" if inc.plant == "dairy" else "LSH-905")
    t = rng.uniform(a, b - 3600)
    user, st = who()
    out.append(_ev(t, "journal", sw, "SHELVE", f"alarm shelved for 60 min at {st}", "", user=user))
    for i, what, text in inc.details["exo_events"]:
        if a <= i < b and what in ("silo", "rain"):
            user, st = who()
            out.append(_ev(i + rng.uniform(-60, 60), "journal", st, "COMMENT", text, "", user=user))
    # after the symptom is noticed the crew reacts (consequences, not causes)
    user, st = who()
    out.append(_ev(inc.noticed + rng.uniform(0, 120), "journal", st, "COMMENT",
                   pick(rng, ["Shift lead informed", "Investigating alarm", "Called maintenance and IT on-call"]), "",
                   user=user))
    return out


# ---------------------------------------------------------------------------------------------
# shared moments
# ---------------------------------------------------------------------------------------------

def logons(inc, rng, stations_ot, hosts_it) -> tuple[list, list]:
    """HMI log-ons seen by the HMI journal and by the Windows security log at the same moment."""
    a, b = inc.window
    import pandas as pd

    times = []
    local0 = inc.time(a).tz_convert(inc.tz)
    for k in range(-1, 2 + (b - a) // 86400 + 1):
        day = local0.normalize() + pd.Timedelta(days=k)
        for h in (6, 14, 22):
            for _ in range(int(rng.integers(1, 3))):
                t = (day + pd.Timedelta(hours=h) + pd.Timedelta(seconds=float(rng.uniform(-900, 900))))
                s = (t.tz_convert("UTC") - inc.t0).total_seconds()
                if a < s < b:
                    times.append(s)
    times += list(rng.uniform(a, b, size=int(rng.integers(10, 25))))
    ot, it = [], []
    for t in sorted(times):
        k = int(rng.integers(0, len(stations_ot)))
        user = pick(rng, _USERS)
        ot.append(_ev(t, "journal", stations_ot[k], "LOGON", f"user {user} logged on", "", user=user))
        it.append(_ev(t + rng.uniform(-0.8, 0.8), "siem", hosts_it[k], "4624",
                      f"An account was successfully logged on. Account Name: {user} Logon Type: 2 (Interactive)",
                      "information", user=user))
        d = rng.uniform(300, 7200)
        if t + d < b:
            ot.append(_ev(t + d, "journal", stations_ot[k], "LOGOFF", f"user {user} logged off", "", user=user))
            it.append(_ev(t + d + rng.uniform(-0.8, 0.8), "siem", hosts_it[k], "4634",
                          f"An account was logged off. Account Name: {user} Logon Type: 2", "information", user=user))
    return ot, it


# ---------------------------------------------------------------------------------------------
# IT side
# ---------------------------------------------------------------------------------------------

def _poisson(rng, rate, a, b):
    return np.sort(rng.uniform(a, b, size=rng.poisson(rate * (b - a))))


def _monitoring(inc, rng, names):
    """Monitoring problems and recoveries: they follow what the metrics do."""
    a, b = inc.window
    H = names.hosts
    out = []
    m = inc.it.metrics
    rules = [
        (("gw", "cpu"), 90.0, 300, "High CPU utilization (over 90% for 5m)"),
        (("scada", "cpu"), 90.0, 300, "High CPU utilization (over 90% for 5m)"),
        (("hist", "cpu"), 90.0, 300, "High CPU utilization (over 90% for 5m)"),
        (("mesdb", "cpu"), 90.0, 300, "High CPU utilization (over 90% for 5m)"),
        (("gw", "mem"), 90.0, 300, "High memory utilization (>90% for 5m)"),
        (("scada", "mem"), 90.0, 300, "High memory utilization (>90% for 5m)"),
        (("mesdb", "mem"), 95.0, 300, "High memory utilization (>95% for 5m)"),
        (("gw", "disk"), 95.0, 60, "Disk space is critically low (used > 95%)"),
        (("fs", "disk"), 90.0, 60, "Disk space is low (used > 90%)"),
        (("gw", "latency"), 2000.0, 120, "OPC UA publish latency above 2 s"),
        (("gw", "backlog"), 2000.0, 120, "Store-and-forward queue is growing"),
        (("hist", "io"), 85.0, 300, "Disk I/O is overloaded"),
        (("sw", "discards"), 10.0, 120, "High output discards on uplink"),
        (("fw", "cpu"), 80.0, 300, "High CPU utilization (over 80% for 5m)"),
    ]
    tool = pick(rng, ["Zabbix", "PRTG", "Nagios", "Checkmk"])
    for (role, what), thr, hold, text in rules:
        x = m[role, what][a:b]
        over = x > thr
        if not over.any():
            continue
        k = np.convolve(over.astype(int), np.ones(hold, dtype=int), mode="valid") == hold
        i = 0
        idx = np.flatnonzero(k)
        while idx.size:
            s = int(idx[0]) + hold - 1
            rest = np.flatnonzero(~over[s:])
            e = s + int(rest[0]) if rest.size else None
            out.append(_ev(a + s + rng.uniform(0, 60), "siem", H[role], "monitoring", f"{tool}: PROBLEM: {text}",
                           "high" if what in ("latency", "mem", "disk") else "average"))
            if e is None:
                break
            out.append(_ev(a + e + 120 + rng.uniform(0, 60), "siem", H[role], "monitoring",
                           f"{tool}: RESOLVED: {text}", "information"))
            idx = idx[idx > e + 120]
            i += 1
    for role, spans in inc.it.outages.items():
        for s, e in spans:
            if a <= s < b:
                out.append(_ev(s + 180 + rng.uniform(0, 30), "siem", H[role], "monitoring",
                               f"{tool}: PROBLEM: Agent is not available (for 3m)", "average"))
                out.append(_ev(e + rng.uniform(30, 90), "siem", H[role], "monitoring",
                               f"{tool}: RESOLVED: Agent is not available", "information"))
    return out


_CHANGE_TEXT = {
    "fw_rule": [("config", "Configuration committed by {user} (commit job {job})"),
                ("config", "Security policy 'OT-DMZ-inspect' modified: threat profile 'strict' applied to rule 14")],
    "gw_update": [("update", "Package update started: gateway runtime {v1} -> {v2}"),
                  ("service", "Service 'OPC UA Gateway' stopped"), ("service", "Service 'OPC UA Gateway' started"),
                  ("update", "Package update finished: gateway runtime {v2}")],
    "sw_qos": [("config", "%SYS-5-CONFIG_I: Configured from console by {user} on vty0"),
               ("config", "storm-control broadcast level 1.00 and service-policy 'QOS-OT' applied on Gi1/0/1-24")],
    "scada_patch": [("update", "Installation Started: Windows has started installing the following update: "
                               "{kb} Cumulative Update"),
                    ("update", "Installation Successful: Windows successfully installed the following update: {kb}"),
                    ("1074", "The process TrustedInstaller.exe has initiated the restart of computer on behalf of "
                             "user NT AUTHORITY\\SYSTEM (Operating System: Upgrade)")],
    "gw_av": [("antivirus", "Policy 'Servers - Real-time' enforced: on-access scan enabled for D:\\buffer"),
              ("antivirus", "On-access scanner engine restarted with new policy")],
}
_CHANGE_TITLE = {
    "fw_rule": "Enable threat inspection on OT DMZ rules",
    "gw_update": "Update OPC UA gateway runtime (vendor security advisory)",
    "sw_qos": "Apply QoS and storm-control baseline to OT core switch",
    "scada_patch": "Monthly Windows patching - {host}",
    "gw_av": "Roll out server real-time scanning policy",
}


def it_events(inc, rng, names, *, number_style) -> list:
    """SIEM and ITSM events: routine noise, distractors with their footprints, the cause, the ticket."""
    a, b = inc.window
    H = names.hosts
    out = []

    def chg_number():
        k = int(rng.integers(10000, 99999))
        return {"snow": f"CHG00{k}", "cr": f"CR-{k}", "rfc": f"RFC {k}"}[number_style]

    # firewall deny summaries and other syslog chatter
    for t in _poisson(rng, 1 / 45.0, a, b):
        src = f"10.{int(rng.integers(10, 40))}.{int(rng.integers(0, 255))}.{int(rng.integers(2, 250))}"
        port = pick(rng, [445, 135, 3389, 5985, 137, 53, 123, 1900])
        out.append(_ev(t, "siem", H["fw"], "traffic", f"deny tcp {src}:{int(rng.integers(1024, 65000))} -> "
                       f"10.{int(rng.integers(50, 60))}.1.{int(rng.integers(2, 250))}:{port} policy 'default-deny' "
                       f"count={int(rng.integers(1, 40))}", "notice"))
    for t in _poisson(rng, 1 / 110.0, a, b):
        ip = ".".join(str(int(v)) for v in rng.integers(1, 255, size=4))
        out.append(_ev(t, "siem", H["fwcorp"], "traffic", f"deny udp {ip} -> 10.1.0.{int(rng.integers(2, 250))}:"
                       f"{pick(rng, [53, 161, 500, 4500])} policy 'inbound-drop'", "notice"))
    # a flapping access port (nuisance), as syslog or as SNMP traps
    k_if = int(rng.integers(10, 48))
    port = f"Gi1/0/{k_if}"
    as_trap = rng.random() < 0.5
    t = a + rng.uniform(0, 3600)
    while t < b:
        for _ in range(int(rng.integers(3, 20))):
            for state, sev in (("down", "error"), ("up", "notice")):
                if as_trap:
                    out.append(_ev(t, "siem", H["sw"], "snmptrap", f"link{state.capitalize()} ifIndex=101{k_if} "
                                   f"ifDescr=GigabitEthernet1/0/{k_if} ifOperStatus={state}", sev))
                else:
                    out.append(_ev(t, "siem", H["sw"], "link",
                                   f"%LINK-3-UPDOWN: Interface {port}, changed state to {state}", sev))
                t += rng.uniform(1, 30) if state == "down" else rng.uniform(10, 240)
        t += rng.uniform(1800, 7200)
    # services stopping and starting on Windows hosts (updates of agents, admins at work)
    for t in rng.uniform(a, b, size=int(rng.integers(4, 12))):
        role = pick(rng, ["hist", "mesdb", "fs", "ews", "wsus", "bkp", "av", "scada", "hmi1"])
        svc = pick(rng, ["Print Spooler", "Windows Update", "Zabbix Agent 2", "SQL Server Agent", "Veeam Agent",
                         "Windows Defender Antivirus Service", "Remote Registry"])
        out.append(_ev(t, "siem", H[role], "7036", f"The {svc} service entered the stopped state.", "information"))
        out.append(_ev(t + rng.uniform(2, 120), "siem", H[role], "7036",
                       f"The {svc} service entered the running state.", "information"))
    # Windows service-account log-ons and Kerberos on the DC
    for role in ("scada", "hist", "mesdb", "fs", "ews", "wsus", "bkp", "av", "hmi1", "hmi2", "hmi3"):
        for t in _poisson(rng, 1 / rng.uniform(600, 1800), a, b):
            user = pick(rng, _SVC)
            out.append(_ev(t, "siem", H[role], "4624", f"An account was successfully logged on. Account Name: {user} "
                           "Logon Type: 3 (Network)", "information", user=user))
    for t in _poisson(rng, 1 / 150.0, a, b):
        out.append(_ev(t, "siem", H["dc"], pick(rng, ["4768", "4769"]), "A Kerberos ticket was requested",
                       "information"))
    # NTP, certificate warnings, DHCP-ish chatter
    for role in ("gw", "fw", "sw"):
        t = a + rng.uniform(0, 3600)
        while t < b:
            out.append(_ev(t, "siem", H[role], "ntp", "NTP: clock synchronized to 10.0.0.1 stratum 2", "information"))
            t += 3600 + rng.uniform(-60, 60)
    t = a + rng.uniform(0, 3 * 3600)
    while t < b:
        out.append(_ev(t, "siem", H["gw"], "opcua", f"Server certificate expires in {int(rng.integers(5, 30))} days",
                       "warning"))
        t += 6 * 3600
    # the gateway's session log: the shared moments with the OT watchdog alarms
    plc = f"PLC{int(rng.integers(1, 4))}"
    for s, d, _ in inc.it.stalls:
        if d < 6 or not (a <= s < b):
            continue
        if any(x0 <= s < x1 for x0, x1 in inc.it.outages.get("scada", [])):
            continue  # the SCADA host itself is down: nothing from the gateway
        out.append(_ev(s + 5.0 + rng.uniform(-0.3, 0.3), "siem", H["gw"], "opcua",
                       f"Session to {plc} (opc.tcp://10.20.1.{int(rng.integers(10, 20))}:4840) lost: BadTimeout",
                       "error"))
        out.append(_ev(s + d + rng.uniform(0.5, 2.0), "siem", H["gw"], "opcua", f"Session to {plc} re-established",
                       "information"))
    # slow publishing while the path is degraded (the gateway complains)
    sev = inc.it.severity
    if sev.any():
        t = a
        while t < b:
            i = int(t)
            if sev[i] > 0.3:
                out.append(_ev(t + rng.uniform(0, 30), "siem", H["gw"], "opcua",
                               "Publish cycle overrun: late notifications for subscription 7", "warning"))
                t += rng.uniform(120, 600)
            else:
                t += 60
    out += _monitoring(inc, rng, names)

    # distractors with footprints
    for d in inc.it_distractors:
        role = d["role"]
        if d["what"] == "backup":
            job = f"{H[role]} daily"
            out.append(_ev(d["start"], "siem", H["bkp"], "backup", f"Job '{job}' started", "information"))
            out.append(_ev(d["end"], "siem", H["bkp"], "backup", f"Job '{job}' finished with "
                           f"{pick(rng, ['Success', 'Success', 'Warning'])}", "information"))
        elif d["what"] == "av_scan":
            out.append(_ev(d["start"], "siem", H[role], "antivirus", "Scheduled full scan started", "information"))
            out.append(_ev(d["end"], "siem", H[role], "antivirus", "Scheduled full scan finished: 0 threats",
                           "information"))
        elif d["what"] == "reboot":
            kb = f"KB50{int(rng.integers(10000, 99999))}"
            num = chg_number()
            out.append(_ev(d["change_at"], "itsm", H[role], pick(rng, ["Standard", "Normal"]),
                           f"{num} Monthly Windows patching - {H[role]}", "Low", end=d["end"] + 1800, number=num))
            out.append(_ev(d["start"] - rng.uniform(60, 200), "siem", H[role], "update",
                           f"Installation Successful: Windows successfully installed the following update: {kb}",
                           "information"))
            out.append(_ev(d["start"], "siem", H[role], "1074", "The process TrustedInstaller.exe has initiated the "
                           "restart of computer", "information"))
            out.append(_ev(d["end"], "siem", H[role], "6005", "The Event log service was started.", "information"))
        elif d["what"] == "job":
            out.append(_ev(d["start"], "siem", H[role], "sqlagent",
                           "SQL Server Agent job 'IndexOptimize - USER_DATABASES' started", "information"))
            out.append(_ev(d["end"], "siem", H[role], "sqlagent", "SQL Server Agent job 'IndexOptimize - "
                           "USER_DATABASES' completed", "information"))
        elif d["what"] == "tuning":
            num = chg_number()
            out.append(_ev(d["start"] - rng.uniform(300, 1200), "itsm", H[role], "Normal",
                           f"{num} Increase historian archive cache and snapshot rate", "Moderate",
                           end=d["start"] + 3600, number=num))
            out.append(_ev(d["start"], "siem", H[role], "config", "Archive subsystem configuration changed by admin",
                           "information"))
    # antivirus definition updates, WSUS syncs, vendor VPN
    t = a + rng.uniform(0, 3600)
    while t < b:
        out.append(_ev(t, "siem", H["av"], "antivirus", "DAT update distributed to 41 systems", "information"))
        t += 3600 * rng.uniform(0.9, 1.1)
    out.append(_ev(rng.uniform(a, b), "siem", H["wsus"], "update", "Synchronization completed successfully",
                   "information"))
    for t in rng.uniform(a, b, size=int(rng.integers(0, 3))):
        out.append(_ev(t, "siem", H["fwcorp"], "vpn", f"GlobalProtect gateway: user vendor.{pick(rng, _USERS)} "
                       "logged in", "information"))
    # unrelated change records (some shortly before the onset, on unrelated hosts)
    for k in range(int(rng.integers(3, 6))):
        role = pick(rng, ["fwcorp", "prn", "dc", "wsus", "mesdb", "fs", "ews"])
        if k == 0:
            t = inc.onset - rng.uniform(300, 2400)  # shortly before the root
        elif k == 1 and rng.random() < 0.65 and inc.noticed - inc.onset > 600:
            t = rng.uniform(inc.onset + 120, inc.noticed - 120)  # between the root and the symptom
        else:
            t = rng.uniform(a, b - 1800)
        num = chg_number()
        what = pick(rng, ["Replace expiring TLS certificate", "Add DHCP reservation", "Firmware update",
                          "Update backup retention", "Open port for badge reader", "Increase log retention",
                          "Install monitoring agent update"])
        out.append(_ev(t, "itsm", H[role], pick(rng, ["Standard", "Normal", "Emergency"]), f"{num} {what} - {H[role]}",
                       pick(rng, ["Low", "Moderate"]), end=t + rng.uniform(1800, 7200), number=num))
        out.append(_ev(t + rng.uniform(60, 900), "siem", H[role], "config", f"{what}: change applied by "
                       f"{pick(rng, _USERS)}", "information"))
    # an unrelated ticket earlier in the day
    t = rng.uniform(a, inc.onset)
    out.append(_ev(t, "itsm", H["prn"], "Incident", f"INC0{int(rng.integers(100000, 999999))} Printer jams on tray 2",
                   "4 - Low", end=None, number=""))
    # the cause
    c = inc.it_cause
    if inc.cause == "it_change":
        role = {"fw_rule": "fw", "gw_update": "gw", "sw_qos": "sw", "scada_patch": "scada", "gw_av": "gw"}[c.variant]
        host = H[role]
        num = chg_number()
        start = c.onset - rng.uniform(0, 1200)
        title = _CHANGE_TITLE[c.variant].format(host=host)
        out.append(_ev(start, "itsm", host, pick(rng, ["Normal", "Standard"]), f"{num} {title}",
                       pick(rng, ["Low", "Moderate"]), end=start + rng.uniform(3600, 3 * 3600), number=num))
        fmt = {"user": pick(rng, ["netadmin", "a.kovacs", "ot-admin", "j.meyer"]), "job": int(rng.integers(100, 999)),
               "v1": "6.14.263", "v2": "6.15.154", "kb": f"KB50{int(rng.integers(10000, 99999))}"}
        t = float(c.onset)
        for kind, text in _CHANGE_TEXT[c.variant]:
            out.append(_ev(t, "siem", host, kind, text.format(**fmt), "information"))
            t += rng.uniform(5, 90)
    # the incident ticket, raised after the symptom was noticed, and sometimes a quick fix attempt
    t = inc.noticed + rng.uniform(300, 1500)
    if rng.random() < 0.5 and t + 900 < b:
        role = pick(rng, ["gw", "scada", "hist"])
        num = chg_number()
        out.append(_ev(t + rng.uniform(300, 900), "itsm", H[role], "Emergency",
                       f"{num} Restart services on {H[role]} (incident follow-up)", "High", end=t + 3600, number=num))
    service = pick(rng, ["Production - " + ("Pasteuriser line" if inc.plant == "dairy" else "Water treatment"),
                         "OT Operations", "Plant floor support"])
    what = "holding-tube divert / product temperature alarm" if inc.plant == "dairy" else "water quality alarm"
    out.append(_ev(t, "itsm", service, "Incident", f"INC0{int(rng.integers(100000, 999999))} Operators report "
                   f"{what} - please check OT systems", "2 - High", end=None, number=""))
    return out


__all__ = ["ot_events", "journal_events", "logons", "it_events"]
