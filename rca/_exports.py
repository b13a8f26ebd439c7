"""Turning simulated (true-time) data into realistic export files (private).

Each named export *style* fixes how the OT historian, the OT alarm & event journal, the IT
metrics and the IT events are written: delimiter, decimal mark, time format, column names,
quality vocabulary, row order and layout. The quirks every style has (exception reporting
with heartbeat, irregular timestamps, quality flags, digital states, collector outage with a
late store-and-forward backfill, duplicated export blocks, conflicting duplicates, IT
collection gaps) are drawn from the incident's random generator, so the same seed gives
byte-identical files.

Every export frame holds text only: exactly the cells that will be written.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

STYLES = {
    "eu_semicolon": {
        "description": "European DCS: ';' delimiter, decimal comma, 'dd.mm.yyyy HH:MM:SS' local time, German "
                       "headers, text quality flags; Grafana wide IT metrics with ISO 'Z' times.",
        "zones": ["Europe/Berlin", "Europe/Vienna", "Europe/Zurich", "Europe/Amsterdam", "Europe/Warsaw",
                  "Europe/Madrid", "Europe/Rome", "Europe/Prague"],
        "hist": {"file": "historian_export.csv.gz", "delimiter": ";", "decimal": ",",
                 "time_format": "%d.%m.%Y %H:%M:%S", "ms": False,
                 "columns": {"time": "Zeitstempel", "tag": "Tagname", "value": "Wert", "quality": "Status"},
                 "quality": {"good": "Good", "bad": "Bad", "uncertain": "Uncertain"}, "order": "time",
                 "states": ["I/O Timeout", "Bad Input", "Comm Fail"], "heartbeat": 600},
        "ae": {"file": "alarms_events.csv", "delimiter": ";", "time_format": "%d.%m.%Y %H:%M:%S", "ms": False,
               "columns": {"time": "Zeitstempel", "source": "Quelle", "kind": "Bedingung", "state": "Zustand",
                           "severity": "Prioritaet", "message": "Meldung", "user": "Benutzer"},
               "order": "time"},
        "itm": {"file": "it_metrics.csv.gz", "layout": "wide", "time": "iso_z", "time_col": "Time"},
        "ite": {"split": False, "time": "iso_z"},
    },
    "us_pi": {
        "description": "US PI-style exports: ',' delimiter, 'mm/dd/yyyy hh:mm:ss AM/PM' local time, PI digital "
                       "states in the value column, historian sorted by tag, A&E newest first; IT metrics long with "
                       "epoch milliseconds; change records as a separate ServiceNow export in naive UTC.",
        "zones": ["America/Chicago", "America/New_York", "America/Denver", "America/Los_Angeles",
                  "America/Detroit", "America/Indiana/Indianapolis"],
        "hist": {"file": "pi_archive_export.csv.gz", "delimiter": ",", "decimal": ".",
                 "time_format": "%m/%d/%Y %I:%M:%S %p", "ms": False,
                 "columns": {"tag": "Tag", "time": "Timestamp", "value": "Value", "quality": "Status"},
                 "quality": {"good": "Good", "bad": "Bad", "uncertain": "Questionable"}, "order": "tag",
                 "states": ["I/O Timeout", "Bad Input", "Scan Timeout", "Pt Created"], "heartbeat": 900,
                 "states_keep_status": True},
        "ae": {"file": "ae_journal.csv", "delimiter": ",", "time_format": "%m/%d/%Y %I:%M:%S %p", "ms": False,
               "columns": {"time": "EventTime", "source": "Source", "kind": "Condition", "state": "State",
                           "severity": "Priority", "message": "Description", "user": "Operator",
                           "old": "OldValue", "new": "NewValue"},
               "order": "newest_first"},
        "itm": {"file": "it_metrics_long.csv.gz", "layout": "long", "time": "epoch_ms", "time_col": "timestamp_ms"},
        "ite": {"split": True, "time": "iso_z", "chg_time_format": "%Y-%m-%d %H:%M:%S"},
    },
    "iso_opc": {
        "description": "OPC-HDA style: tab-delimited, ISO 8601 naive local time with milliseconds, tag split in "
                       "item and property columns, OPC quality codes (192 good, 0 bad, 64 uncertain); IT metrics "
                       "wide with epoch milliseconds; IT events ISO 'Z'.",
        "zones": ["Asia/Kolkata", "Asia/Shanghai", "Asia/Singapore", "Asia/Tokyo", "America/Sao_Paulo",
                  "Africa/Johannesburg", "Asia/Bangkok"],
        "hist": {"file": "hda_export.tsv.gz", "delimiter": "\t", "decimal": ".", "time_format": None, "ms": True,
                 "columns": {"time": "timestamp", "tag": ["item", "property"], "value": "value", "quality": "quality"},
                 "quality": {"good": "192", "bad": "0", "uncertain": "64"}, "order": "time",
                 "states": ["Bad Input", "I/O Timeout"], "heartbeat": 300},
        "ae": {"file": "alarm_journal.tsv", "delimiter": "\t", "time_format": None, "ms": True,
               "columns": {"time": "time", "source": "source", "kind": "condition", "state": "state",
                           "severity": "severity", "message": "message", "user": "actor"},
               "order": "time"},
        "itm": {"file": "grafana_it.csv.gz", "layout": "wide", "time": "epoch_ms", "time_col": "time"},
        "ite": {"split": False, "time": "iso_z"},
    },
}


# --------------------------------------------------------------------------- time formatting


def format_times(seconds, start, offset_s, tz, fmt, ms):
    """Text timestamps of true ``seconds`` after ``start`` (UTC) on a clock running
    ``offset_s`` ahead, in local zone ``tz`` with strftime ``fmt`` (None: ISO with 'T')."""
    clock = np.asarray(seconds, dtype=float) + float(offset_s)
    millis = np.floor(np.round(clock * 1000.0, 3)).astype(np.int64)
    whole = np.floor_divide(millis, 1000)
    uniq, inv = np.unique(whole, return_inverse=True)
    idx = pd.DatetimeIndex(start + pd.to_timedelta(uniq, unit="s"))
    if tz != "UTC":
        idx = idx.tz_convert(tz)
    text = np.asarray(idx.strftime(fmt if fmt else "%Y-%m-%dT%H:%M:%S"), dtype=object)[inv]
    if ms:
        frac = np.char.mod(".%03d", millis - whole * 1000)
        text = np.char.add(text.astype(str), frac)
    return np.asarray(text, dtype=object)


def format_iso_z(seconds, start):
    millis = np.floor(np.round(np.asarray(seconds, dtype=float) * 1000.0, 3)).astype(np.int64)
    whole = millis // 1000
    uniq, inv = np.unique(whole, return_inverse=True)
    idx = pd.DatetimeIndex(start + pd.to_timedelta(uniq, unit="s"))
    text = np.asarray(idx.strftime("%Y-%m-%dT%H:%M:%S"), dtype=str)[inv]
    text = np.char.add(np.char.add(text, np.char.mod(".%03d", millis - whole * 1000)), "Z")
    return np.asarray(text, dtype=object)


def epoch_ms(seconds, start):
    base = int(start.value // 1_000_000)
    return np.floor(np.round(np.asarray(seconds, dtype=float) * 1000.0, 3)).astype(np.int64) + base


def format_values(x, decimals, decimal):
    s = np.char.mod(f"%.{max(int(decimals), 0)}f", np.asarray(x, dtype=float))
    if decimal == ",":
        s = np.char.replace(s, ".", ",")
    return np.asarray(s, dtype=object)


# --------------------------------------------------------------------------- historian


def exception_indexes(x, deadband, heartbeat):
    """Indexes reported by exception reporting: a new row when the value moves more than
    ``deadband`` from the last reported one, or after ``heartbeat`` samples without one."""
    n = len(x)
    out = [0]
    i = 0
    while True:
        seg = x[i + 1: i + 1 + heartbeat]
        if len(seg) == 0:
            break
        j = np.flatnonzero(np.abs(seg - x[i]) > deadband)
        i = i + 1 + int(j[0]) if len(j) else i + len(seg)
        if i >= n:
            break
        out.append(i)
    return np.asarray(out, dtype=np.int64)


def historian_rows(plant, sig, aux, rng, n, style, protect, root_names):
    """Exception-reported OT rows with quality flags, digital states, gaps and duplicates."""
    st = STYLES[style]["hist"]
    hb = st["heartbeat"]
    ts, tags, vals, quals = [], [], [], []
    stale = aux["stale"]
    remote_pv = plant.names["flow_pv"] if plant.remote == "flow" else plant.names["press_pv"]
    ot = [s for s in plant.signals.values() if s.domain == "OT"]
    # instruments that drop out for a while (bad quality with digital states), never the chain
    eligible = [s.name for s in ot if s.name not in root_names and s.role == "unrelated"]
    n_bad = min(len(eligible), int(rng.integers(1, 3)))
    bad_tags = set(rng.choice(eligible, size=n_bad, replace=False)) if n_bad else set()
    # one instrument out of service without any rows (a plain gap)
    gap_tags = {}
    rest = [e for e in eligible if e not in bad_tags]
    if rest:
        g = str(rng.choice(rest))
        a = int(rng.uniform(600, n - 3600))
        gap_tags[g] = (a, a + int(rng.uniform(600, 2400)))
    for s in ot:
        x = sig[s.name]
        period = s.period
        phase = int(rng.integers(0, period))
        idx_s = np.arange(phase, n, period)
        xs = x[idx_s]
        db = max(s.noise * rng.uniform(2.5, 4.0), 0.5 * 10.0 ** (-s.decimals))
        keep = idx_s[exception_indexes(xs, db, max(1, hb // period))]
        t = keep.astype(float) + rng.uniform(0, 0.999)  # scan-class offset within the second
        v = format_values(x[keep], s.decimals, st["decimal"])
        q = np.full(len(keep), "good", dtype=object)
        if s.name == remote_pv:
            q[stale[keep] > 10] = "uncertain"
        u = rng.random(len(keep))
        q[(u < 0.002) & (q == "good")] = "uncertain"
        if s.name in gap_tags:
            a, b = gap_tags[s.name]
            m = (keep < a) | (keep >= b)
            keep, t, v, q = keep[m], t[m], v[m], q[m]
        if s.name in bad_tags:
            a = int(rng.uniform(600, n - 2400))
            b = a + int(rng.uniform(300, 1800))
            m = (keep < a) | (keep >= b)
            keep, t, v, q = keep[m], t[m], v[m], q[m]
            bad_t = np.arange(a, b, 60, dtype=float) + rng.uniform(0, 0.999)
            state = str(rng.choice(st["states"]))
            t = np.concatenate([t, bad_t])
            v = np.concatenate([v, np.full(len(bad_t), state, dtype=object)])
            q = np.concatenate([q, np.full(len(bad_t), "bad", dtype=object)])
        # a rare isolated bad reading; PI archives keep system digital states as values with a
        # good status, so there the reader meets a non-numeric value rather than a bad flag
        if rng.random() < 0.3 and s.name not in root_names:
            k = int(rng.integers(0, len(t)))
            v[k] = str(rng.choice(st["states"]))
            q[k] = "good" if st.get("states_keep_status") else "bad"
        o = np.argsort(t, kind="stable")
        ts.append(t[o]); tags.append(np.full(len(o), s.name, dtype=object)); vals.append(v[o]); quals.append(q[o])
    t = np.concatenate(ts); tag = np.concatenate(tags); val = np.concatenate(vals); qual = np.concatenate(quals)
    return t, tag, val, qual, {"bad_tags": sorted(bad_tags), "gap_tags": {k: v for k, v in gap_tags.items()}}


def collector_outage(rng, n, protect):
    """(start, end, backfill_from) of a historian collector outage, or None."""
    lo, hi = protect
    for _ in range(40):
        a = int(rng.uniform(900, n - 2400))
        b = a + int(rng.uniform(300, 1500))
        if b < lo - 1200 or a > hi + 600:
            return a, b, int(a + (b - a) * rng.uniform(0.1, 0.7))
    return None


def historian_frame(plant, sig, aux, rng, n, style, start, offset_s, tz, protect, root_names):
    st = STYLES[style]["hist"]
    cols = st["columns"]
    t, tag, val, qual, info = historian_rows(plant, sig, aux, rng, n, style, protect, root_names)
    # global order
    if st["order"] == "tag":
        o = np.lexsort((t, tag))
    else:
        o = np.lexsort((tag, t))
    t, tag, val, qual = t[o], tag[o], val[o], qual[o]
    # collector outage: rows lost, the later part backfilled at the end of the file
    out = collector_outage(rng, n, protect)
    backfill = np.zeros(len(t), dtype=bool)
    if out is not None:
        a, b, c = out
        inside = (t >= a) & (t < b)
        backfill = (t >= c) & (t < b)
        keep = ~inside | backfill
        order = np.concatenate([np.flatnonzero(keep & ~backfill), np.flatnonzero(backfill)])
        t, tag, val, qual = t[order], tag[order], val[order], qual[order]
        info["outage"] = (a, b, c)
        info["backfilled_rows"] = int(backfill.sum())
    # duplicated export block (overlapping export windows): exact duplicates
    a = rng.uniform(0.1, 0.9) * n
    blk = np.flatnonzero((t >= a) & (t < a + rng.uniform(60, 300)))
    # conflicting duplicates: same tag and time, a different value
    cand = np.flatnonzero(qual == "good")
    conf = np.sort(rng.choice(cand, size=min(len(cand), int(rng.integers(5, 25))), replace=False))
    conf_vals, numeric = [], []
    for k in conf:
        s = plant.signals[tag[k]]
        step = (10.0 ** -s.decimals) * rng.integers(1, 4) * rng.choice([-1, 1])
        try:
            x = float(str(val[k]).replace(",", ".")) + step
        except ValueError:  # a state text exported with good quality (e.g. "Scan Timeout"): no conflict
            continue
        numeric.append(k)
        conf_vals.append(format_values([x], s.decimals, st["decimal"])[0])
    conf = np.asarray(numeric, dtype=conf.dtype)
    # assemble: originals, the duplicate block after its original block, conflicting right after
    pos = np.arange(len(t), dtype=float)
    pos_all = np.concatenate([pos, blk.astype(float) + 0.5 if len(blk) == 0 else np.full(len(blk), blk.max() + 0.5),
                              conf + 0.25])
    t_all = np.concatenate([t, t[blk], t[conf]])
    tag_all = np.concatenate([tag, tag[blk], tag[conf]])
    val_all = np.concatenate([val, val[blk], np.asarray(conf_vals, dtype=object)])
    q_all = np.concatenate([qual, qual[blk], qual[conf]])
    o = np.argsort(pos_all, kind="stable")
    t_all, tag_all, val_all, q_all = t_all[o], tag_all[o], val_all[o], q_all[o]
    info.update(duplicate_rows=int(len(blk)), conflicting_rows=int(len(conf)))
    times = format_times(t_all, start, offset_s, tz, st["time_format"], st["ms"])
    qmap = st["quality"]
    qtext = np.array([qmap[q] for q in q_all], dtype=object)
    data = {}
    for key in ("time", "tag", "value", "quality"):
        c = cols[key]
        if key == "time":
            data[c] = times
        elif key == "tag":
            if isinstance(c, list):
                parts = [str(x).rsplit(".", 1) for x in tag_all]
                data[c[0]] = np.array([p[0] for p in parts], dtype=object)
                data[c[1]] = np.array([p[1] for p in parts], dtype=object)
            else:
                data[c] = tag_all
        elif key == "value":
            data[c] = val_all
        else:
            data[c] = qtext
    frame = pd.DataFrame(data, dtype=str)
    # PI exports list the tag first
    return frame, info


# --------------------------------------------------------------------------- events


def ae_frame(events, start, offset_s, tz, style, rng, *, n_dups):
    st = STYLES[style]["ae"]
    cols = st["columns"]
    ev = events[events["stream"] == "ae"].copy()
    # a few exact duplicate rows (the A&E server re-sends on reconnect)
    dup = ev.iloc[np.sort(rng.choice(len(ev), size=min(len(ev), n_dups), replace=False))]
    ev = pd.concat([ev, dup]).sort_values(["t", "source"], kind="stable")
    if st["order"] == "newest_first":
        ev = ev.iloc[::-1]
    times = format_times(ev["t"].to_numpy(), start, offset_s, tz, st["time_format"], st["ms"])
    data = {cols["time"]: times, cols["source"]: ev["source"].to_numpy(), cols["kind"]: ev["kind"].to_numpy(),
            cols["state"]: ev["state"].to_numpy(), cols["severity"]: ev["severity"].to_numpy(),
            cols["message"]: ev["message"].to_numpy(), cols["user"]: ev["user"].to_numpy()}
    if "old" in cols:
        data[cols["old"]] = [("" if (isinstance(v, float) and math.isnan(v)) else f"{v:g}") for v in ev["old"]]
        data[cols["new"]] = [("" if (isinstance(v, float) and math.isnan(v)) else f"{v:g}") for v in ev["new"]]
    return pd.DataFrame(data, dtype=str), {"duplicate_rows": int(len(dup))}


def it_event_frames(events, start, style, rng, *, n_dups):
    st = STYLES[style]["ite"]
    ev = events[events["stream"].isin(["it", "chg"])].copy()
    logs = ev[ev["stream"] == "it"]
    dup = logs.iloc[np.sort(rng.choice(len(logs), size=min(len(logs), n_dups), replace=False))]
    ev = pd.concat([ev, dup]).sort_values(["t", "source"], kind="stable")
    frames = {}
    if st["split"]:
        chg = ev[ev["stream"] == "chg"]
        log = ev[ev["stream"] != "chg"]
        fmt = st["chg_time_format"]
        tt = format_times(chg["t"].to_numpy(), start, 0.0, "UTC", fmt, False)
        te = format_times(chg["end"].to_numpy(), start, 0.0, "UTC", fmt, False)
        chg_frame = pd.DataFrame({
            "number": chg["number"].to_numpy(), "cmdb_ci": chg["source"].to_numpy(),
            "short_description": [m.split(" ", 1)[1] for m in chg["message"]],
            "type": chg["kind"].to_numpy(), "state": "Closed", "assigned_to": chg["user"].to_numpy(),
            "work_start": tt, "work_end": te}, dtype=str).sort_values("number", kind="stable")
        frames["changes.csv"] = chg_frame.reset_index(drop=True)
    else:
        log = ev
    times = format_iso_z(log["t"].to_numpy(), start)
    end = log["end"].to_numpy()
    end_txt = np.where(np.isnan(end), "", format_iso_z(np.nan_to_num(end), start))
    frames["it_events.csv"] = pd.DataFrame({
        "timestamp": times, "end": end_txt, "host": log["source"].to_numpy(), "type": log["kind"].to_numpy(),
        "severity": log["severity"].to_numpy(), "message": log["message"].to_numpy()}, dtype=str)
    return frames, {"duplicate_rows": int(len(dup))}


# --------------------------------------------------------------------------- IT metrics


def it_metric_frame(plant, sig, rng, n, style, start, reboots):
    st = STYLES[style]["itm"]
    rows_t, rows_name, rows_v = [], [], []
    gaps = {}
    hosts = list(plant.hosts)
    # collection gaps: agent hiccups on a few hosts, plus reboots during patching
    for h in rng.choice(hosts, size=min(len(hosts), int(rng.integers(1, 4))), replace=False):
        a = int(rng.uniform(300, n - 1200))
        gaps.setdefault(str(h), []).append((a, a + int(rng.uniform(120, 900))))
    for h, a, b in reboots:
        gaps.setdefault(h, []).append((a, b))
    for h, hd in plant.hosts.items():
        period = hd["period"]
        phase = int(rng.integers(0, period))
        idx = np.arange(phase, n, period)
        ok = np.ones(len(idx), dtype=bool)
        for a, b in gaps.get(h, []):
            ok &= ~((idx >= a) & (idx < b))
        idx = idx[ok]
        for m, name in hd["metrics"].items():
            s = plant.signals[name]
            rows_t.append(idx.astype(float))
            rows_name.append(np.full(len(idx), name, dtype=object))
            rows_v.append(format_values(sig[name][idx], s.decimals, "."))
    t = np.concatenate(rows_t); name = np.concatenate(rows_name); v = np.concatenate(rows_v)
    info = {"gaps": {k: [list(x) for x in v_] for k, v_ in gaps.items()}}
    if st["layout"] == "wide":
        # Grafana: one row per timestamp, one column per series, blank where a series has no point
        df = pd.DataFrame({"t": t, "name": name, "v": v})
        wide = df.pivot(index="t", columns="name", values="v")
        wide = wide[[nm for nm in plant.signals if plant.signals[nm].domain == "IT"]]
        wide = wide.fillna("")
        tt = wide.index.to_numpy()
        tcol = format_iso_z(tt, start) if st["time"] == "iso_z" else epoch_ms(tt, start).astype(str)
        out = pd.DataFrame({st["time_col"]: tcol}, dtype=str)
        out = pd.concat([out, wide.reset_index(drop=True).astype(str)], axis=1)
        info["duplicate_rows"] = 0
        return out, info
    o = np.lexsort((name, t))
    t, name, v = t[o], name[o], v[o]
    dup = np.sort(rng.choice(len(t), size=int(rng.integers(3, 15)), replace=False))
    pos = np.concatenate([np.arange(len(t), dtype=float), dup + 0.5])
    o = np.argsort(pos, kind="stable")
    t = np.concatenate([t, t[dup]])[o]; name = np.concatenate([name, name[dup]])[o]; v = np.concatenate([v, v[dup]])[o]
    host = np.array([x.split(".", 1)[0] for x in name], dtype=object)
    metric = np.array([x.split(".", 1)[1] for x in name], dtype=object)
    out = pd.DataFrame({st["time_col"]: epoch_ms(t, start).astype(str), "host": host, "metric": metric, "value": v},
                       dtype=str)
    info["duplicate_rows"] = int(len(dup))
    return out, info
