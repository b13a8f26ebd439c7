"""Turning a simulated incident into the files a plant and an IT department would hand over.

* OT historian: exception-reported (deadband + heartbeat) samples of every tag, sub-second
  timestamps, local wall-clock time of the plant with the OT clock running off by an unknown
  offset, quality flags, an outage gap, a store-and-forward replay appended at the end of the
  file (duplicates and an unsorted block), a few late edits; long (one row per sample, optionally
  ``Area;Unit;Point`` columns) or wide (a sampled grid with text states and ``I/O Timeout`` cells);
  delimiters, decimal marks and time formats of the plant's locale.
* OT alarm & event log (ACT/RTN/ACK states) and the operator journal (tab separated), same clock.
* IT metrics (long, epoch or ISO UTC; sometimes Parquet), SIEM events (ISO UTC) and the ITSM
  export (change windows and tickets, naive times of the IT department's zone).
* ``investigation.toml`` in the documented manifest format.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path as FsPath

import numpy as np
import pandas as pd

from benchmarks.holdout.naming import METRIC_UNITS, it_metric_roles, pick

LOCALES = {
    "de": {"delim": ";", "decimal": ",", "fmt": "%d.%m.%Y %H:%M:%S", "fmt_ms": "%d.%m.%Y %H:%M:%S.%f",
           "cols": ("Zeitstempel", "Tagname", "Wert", "Status", "Einheit"), "good": ("Gut", "Schlecht", "Unsicher")},
    "us": {"delim": ",", "decimal": ".", "fmt": "%m/%d/%Y %I:%M:%S %p", "fmt_ms": "%m/%d/%Y %H:%M:%S.%f",
           "cols": ("Timestamp", "TagName", "Value", "Quality", "Units"), "good": ("192", "0", "64")},
    "uk": {"delim": ",", "decimal": ".", "fmt": "%d/%m/%Y %H:%M:%S", "fmt_ms": "%d/%m/%Y %H:%M:%S.%f",
           "cols": ("DateTime", "Tag", "Value", "Quality", "EngUnits"), "good": ("Good", "Bad", "Uncertain")},
    "iso": {"delim": "\t", "decimal": ".", "fmt": "%Y-%m-%d %H:%M:%S", "fmt_ms": "%Y-%m-%d %H:%M:%S.%f",
            "cols": ("time", "point", "value", "status", "unit"), "good": ("GOOD", "BAD", "UNCERTAIN")},
    "fr": {"delim": ";", "decimal": ",", "fmt": "%d/%m/%Y %H:%M:%S", "fmt_ms": "%d/%m/%Y %H:%M:%S.%f",
           "cols": ("Horodatage", "Repere", "Valeur", "Qualite", "Unite"), "good": ("Bonne", "Mauvaise", "Incertaine")},
}


# ---------------------------------------------------------------------------------------------
# measurement: noise, quantisation, sensor glitches
# ---------------------------------------------------------------------------------------------

def measure(inc, rng):
    """Measured OT values per second and the sensor problems that are not the cause.

    Returns ``(values, bad, glitches)``: ``bad`` maps a tag to (start, end) seconds where the
    instrument reports bad quality; ``glitches`` describes the injected distractors.
    """
    a, b = inc.window
    vals = {}
    for tag in inc.tags:
        x = np.asarray(inc.ot[tag.key], dtype=float)
        if not tag.states and tag.noise > 0:
            x = x + rng.standard_normal(x.size) * tag.noise
        if not tag.states and tag.quant > 0:
            x = np.round(x / tag.quant) * tag.quant
        vals[tag.key] = x
    bad: dict = {}
    glitches = []
    chain = set(inc.chain)
    cands = sorted(t.key for t in inc.tags if t.key not in chain and not t.states and not t.key.endswith(".SP")
                   and t.attr == "PV")
    near = (inc.onset - 1800, inc.onset + 900)
    # a spike / dropout close to the onset on an unrelated transmitter
    k = pick(rng, cands)
    t = int(rng.uniform(*near))
    d = int(rng.integers(2, 30))
    tag = next(tt for tt in inc.tags if tt.key == k)
    if rng.random() < 0.5:
        vals[k][t:t + d] = 0.0 if rng.random() < 0.5 else vals[k][t:t + d] + 40 * max(tag.noise, tag.quant)
        glitches.append({"kind": "spike", "signal": k, "start": t, "end": t + d})
    else:
        bad.setdefault(k, []).append((t, t + d + 60))
        glitches.append({"kind": "dropout", "signal": k, "start": t, "end": t + d + 60})
    # a frozen transmitter (flat line, still 'good')
    k = pick(rng, cands)
    t = int(rng.uniform(a, b - 3600))
    d = int(rng.uniform(600, 2400))
    vals[k][t:t + d] = vals[k][t]
    glitches.append({"kind": "frozen", "signal": k, "start": t, "end": t + d})
    # an analyser recalibrated (offset step, logged in the journal)
    analysers = [c for c in cands if c.startswith(("AT", "TT", "PT"))] or cands
    k = pick(rng, analysers)
    tag = next(tt for tt in inc.tags if tt.key == k)
    t = int(rng.uniform(a + 1800, b - 1800))
    off = pick(rng, [-1, 1]) * rng.uniform(6, 15) * max(tag.noise, tag.quant)
    vals[k][t:] += off
    glitches.append({"kind": "recalibration", "signal": k, "start": t, "end": t, "offset": float(off)})
    # an analyser in maintenance (bad quality for a while)
    k = pick(rng, cands)
    t = int(rng.uniform(a, b - 1800))
    bad.setdefault(k, []).append((t, t + int(rng.uniform(300, 1200))))
    glitches.append({"kind": "maintenance", "signal": k, "start": t, "end": bad[k][-1][1]})
    return vals, bad, glitches


# ---------------------------------------------------------------------------------------------
# small writers
# ---------------------------------------------------------------------------------------------

def _fmt_times(seconds, t0, tz, fmt, offset_s=0.0):
    """Wall-clock text of true times [s since t0] in zone ``tz`` for a clock ``offset_s`` ahead."""
    ts = t0 + pd.to_timedelta(np.asarray(seconds, dtype=float) + offset_s, unit="s")
    ts = pd.DatetimeIndex(ts)
    if tz != "UTC":
        ts = ts.tz_convert(tz)
    ts = ts.tz_localize(None)
    if "%f" in fmt:
        # strftime gives microseconds; plant systems write milliseconds
        base = ts.strftime(fmt.replace(".%f", "")).to_numpy(dtype=object)
        ms = (ts.microsecond // 1000).astype(int)
        return np.array([f"{s}.{m:03d}" for s, m in zip(base, ms)], dtype=object)
    return ts.strftime(fmt).to_numpy(dtype=object)


def _num_text(x, decimal, digits=6):
    s = np.char.mod(f"%.{digits}g", np.asarray(x, dtype=float))
    if decimal == ",":
        s = np.char.replace(s, ".", ",")
    return s.astype(object)


def _write_text(path: FsPath, text: str, *, gz: bool):
    data = text.encode("utf-8")
    if gz:
        buf = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as f:
            f.write(data)
        path.write_bytes(buf.getvalue())
    else:
        path.write_bytes(data)


def _csv(frame: pd.DataFrame, delim: str) -> str:
    return frame.to_csv(index=False, sep=delim, lineterminator="\n")


# ---------------------------------------------------------------------------------------------
# OT historian
# ---------------------------------------------------------------------------------------------

def _exception_report(t, x, db, heartbeat):
    """Indices kept by exception reporting: a change beyond ``db`` or ``heartbeat`` seconds."""
    keep = [0]
    last_v, last_t = x[0], t[0]
    xl, tl = x.tolist(), t.tolist()
    for i in range(1, len(xl)):
        v = xl[i]
        if abs(v - last_v) > db or tl[i] - last_t >= heartbeat or (v != v) != (last_v != last_v):
            keep.append(i)
            last_v, last_t = v, tl[i]
    return np.asarray(keep)


def historian_long(inc, vals, bad, rng, style, *, subsecond=True) -> tuple[pd.DataFrame, dict]:
    """Rows (true seconds, name, value, quality) of the long historian export, in file order.

    With ``subsecond`` the exception times carry milliseconds; without, samples stay on the
    scan clock so that no two samples of a tag share a written second."""
    a, b = inc.window
    N = inc.ot_names
    rows_t, rows_n, rows_v, rows_q = [], [], [], []
    info = {}
    for tag in inc.tags:
        scan = tag.scan * float(pick(rng, [1, 1, 2]))
        phase = rng.uniform(0, scan)
        t = np.arange(a + phase, b, scan)
        idx = np.minimum(t.astype(int), inc.n - 1)
        x = vals[tag.key][idx]
        if tag.states:
            db = 0.5
        else:
            db = max(tag.deadband, tag.quant) * rng.uniform(1.0, 2.0)
        keep = _exception_report(t, x, db, tag.heartbeat * rng.uniform(0.8, 1.2))
        t, x = t[keep], x[keep]
        if subsecond:
            t = np.floor(t) + rng.uniform(0, 0.999, size=t.size)  # sub-second exception times
        q = np.zeros(t.size, dtype=int)
        for s, e in bad.get(tag.key, []):
            q[(t >= s) & (t < e)] = 1
        # a few 'uncertain' single values (transmitter over range, substituted values)
        q[rng.random(t.size) < 0.001] = 2
        rows_t.append(t)
        rows_n.append(np.full(t.size, N.signal(tag), dtype=object))
        rows_v.append(x)
        rows_q.append(q)
        info[tag.key] = {"rows": int(t.size), "scan_s": scan, "deadband": db}
    frame = pd.DataFrame({"t": np.concatenate(rows_t), "name": np.concatenate(rows_n), "v": np.concatenate(rows_v),
                          "q": np.concatenate(rows_q)})
    frame = frame.sort_values(["t", "name"], kind="stable").reset_index(drop=True)
    return frame, info


def _mess_long(frame, inc, rng, transitions_s, style):
    """Historian outage gap, store-and-forward replay (duplicates), an unsorted block, late edits."""
    a, b = inc.window
    protect = [(inc.onset - 900, inc.onset + 900), (inc.noticed - 600, inc.noticed + 600)]
    protect += [(s - 5400, s + 5400) for s in transitions_s]

    def free(s, e):
        return all(e <= p0 or s >= p1 for p0, p1 in protect)

    mess = {}
    for _ in range(50):
        s = rng.uniform(a + 600, b - 1800)
        e = s + rng.uniform(180, 600)
        if free(s, e):
            gone = (frame["t"] >= s) & (frame["t"] < e)
            frame = frame[~gone]
            mess["gap"] = (float(s), float(e), int(gone.sum()))
            break
    for _ in range(50):
        s = rng.uniform(a + 600, b - 1800)
        e = s + rng.uniform(300, 1200)
        if free(s, e):
            block = frame[(frame["t"] >= s) & (frame["t"] < e)]
            frame = pd.concat([frame, block], ignore_index=True)  # replayed after a buffer reconnect
            mess["replayed_duplicates"] = (float(s), float(e), int(len(block)))
            break
    for _ in range(50):
        s = rng.uniform(a + 600, b - 1800)
        e = s + rng.uniform(120, 480)
        if free(s, e):
            sel = (frame["t"] >= s) & (frame["t"] < e)
            block = frame[sel]
            frame = pd.concat([frame[~sel], block], ignore_index=True)  # written late, at the end
            mess["unsorted_block"] = (float(s), float(e), int(len(block)))
            break
    k = int(rng.integers(3, 12))
    pick_rows = frame.sample(n=k, random_state=int(rng.integers(0, 2**31))).copy()
    pick_rows = pick_rows[(pick_rows["q"] == 0) & np.array([free(t, t) for t in pick_rows["t"]], dtype=bool)]
    pick_rows["v"] = pick_rows["v"] * (1 + rng.uniform(-0.01, 0.01, size=len(pick_rows)))
    frame = pd.concat([frame, pick_rows], ignore_index=True)  # manual edits: same time, new value
    mess["late_edits"] = int(len(pick_rows))
    return frame.reset_index(drop=True), mess


def historian_wide(inc, vals, bad, rng, step):
    """A sampled grid (one row per ``step`` seconds), text for digital states and bad values."""
    a, b = inc.window
    N = inc.ot_names
    t = np.arange(a, b, step, dtype=float)
    idx = t.astype(int)
    cols = {}
    bad_words = ["I/O Timeout", "Bad Input", "Comm Fail", "Scan Off"]
    for tag in inc.tags:
        x = vals[tag.key][idx]
        if tag.states:
            names = {v: s for s, v in tag.states}
            col = np.array([names.get(float(round(v)), "") for v in x], dtype=object)
        else:
            col = x.astype(object)
        for s, e in bad.get(tag.key, []):
            m = (t >= s) & (t < e)
            col[m] = bad_words[int(rng.integers(0, len(bad_words)))]
        cols[N.signal(tag)] = col
    # 'no data' stretches on a couple of transmitters off the causal chain (empty cells)
    spare = [tg for tg in inc.tags if not tg.states and tg.key not in set(inc.chain)]
    for _ in range(2):
        tg = spare[int(rng.integers(0, len(spare)))]
        s = rng.uniform(a, b - 1200)
        if inc.onset - 1800 < s < inc.noticed + 600:
            continue
        m = (t >= s) & (t < s + rng.uniform(300, 900))
        cols[N.signal(tg)][m] = ""
    frame = pd.DataFrame({"t": t, **cols})
    # a historian outage: missing rows
    s = rng.uniform(a + 600, b - 1800)
    if not (inc.onset - 900 < s < inc.noticed + 600):
        frame = frame[~((frame["t"] >= s) & (frame["t"] < s + rng.uniform(180, 600)))]
    return frame.reset_index(drop=True)


def _wide_text(frame, inc, decimal):
    out = {}
    for c in frame.columns:
        if c == "t":
            continue
        col = frame[c].to_numpy(dtype=object)
        isnum = np.array([isinstance(v, (float, int, np.floating)) for v in col])
        txt = col.copy()
        if isnum.any():
            txt[isnum] = _num_text(col[isnum].astype(float), decimal)
        out[c] = txt
    return out


# ---------------------------------------------------------------------------------------------
# IT metrics
# ---------------------------------------------------------------------------------------------

def it_metrics(inc, rng):
    """(true seconds, host, metric, value) samples as the monitoring agents scraped them."""
    a, b = inc.window
    names = inc.it_names
    rows = []
    interval = {"gw": pick(rng, [10, 15, 15, 30])}
    for role, what in it_metric_roles():
        step = interval.get(role) or pick(rng, [30, 60, 60])
        interval.setdefault(role, step)
        t = np.arange(a + rng.uniform(0, step), b, step) + rng.uniform(-0.8, 0.8, size=None)
        t = t + rng.normal(0, 0.4, size=t.size)
        t = t[(t >= a) & (t < b - 1)]
        keep = np.ones(t.size, dtype=bool)
        for s, e in inc.it.outages.get(role, []):
            keep &= ~((t >= s) & (t < e))
        keep &= rng.random(t.size) > 0.003  # a missed scrape now and then
        t = t[keep]
        x = inc.it.metrics[role, what][t.astype(int)] * names.scale(what)
        if what in ("sessions", "conns"):
            x = np.round(x)
        host, metric = names.metric(role, what).split("/", 1)
        rows.append(pd.DataFrame({"t": t, "host": host, "metric": metric, "value": x}))
    frame = pd.concat(rows, ignore_index=True).sort_values("t", kind="stable").reset_index(drop=True)
    return frame, interval


# ---------------------------------------------------------------------------------------------
# the whole folder
# ---------------------------------------------------------------------------------------------

def write_incident(inc, events, vals, bad, out_dir: FsPath, rng) -> dict:
    """Write every export and the manifest; return what was written and how (for truth.json)."""
    import tomli_w

    out_dir.mkdir(parents=True, exist_ok=True)
    loc = LOCALES[inc.locale]
    a, b = inc.window
    offset = float(pick(rng, [-1, 1]) * rng.uniform(20.0, 540.0))
    offset = round(offset, 1)
    tz = inc.tz
    N = inc.ot_names
    written = {"ot_clock_offset_s": offset}
    sources = []
    transitions = _transition_seconds(inc)

    # --- OT historian
    layout = "wide" if rng.random() < 0.35 else "long"
    gz = rng.random() < 0.5
    fmt = loc["fmt_ms"] if (layout == "long" and rng.random() < 0.7) else loc["fmt"]
    value_map = {}
    for tag in inc.tags:
        for s, v in tag.states:
            value_map[s] = v
    units = {N.signal(t): t.eng_unit for t in inc.tags if t.eng_unit}
    if layout == "long":
        frame, info = historian_long(inc, vals, bad, rng, N.style, subsecond="%f" in fmt)
        frame, mess = _mess_long(frame, inc, rng, transitions, N.style)
        tcol, ncol, vcol, qcol, ucol = loc["cols"]
        good, badq, unc = loc["good"]
        qtext = np.array([good, badq, unc], dtype=object)[frame["q"].to_numpy()]
        vals_txt = frame["v"].to_numpy()
        tagdesc = {N.signal(t): t for t in inc.tags}
        is_state = np.array([bool(tagdesc[n].states) for n in frame["name"]])
        vtxt = _num_text(vals_txt, loc["decimal"])
        if is_state.any():
            inv = {}
            for t in inc.tags:
                for s, v in t.states:
                    inv[(N.signal(t), float(v))] = s
            vtxt[is_state] = [inv.get((n, float(round(v))), "") for n, v in
                              zip(frame["name"].to_numpy()[is_state], vals_txt[is_state])]
        out = {tcol: _fmt_times(frame["t"], inc.t0, tz, fmt, offset)}
        columns = {"time": tcol, "value": vcol, "quality": qcol}
        if N.style == "path":
            parts = {t_.key: N.path_parts(t_) for t_ in inc.tags}
            by_name = {N.signal(t_): parts[t_.key] for t_ in inc.tags}
            cols3 = ("Area", "Unit", "Point")
            arr = np.array([by_name[n] for n in frame["name"]], dtype=object)
            for j, c in enumerate(cols3):
                out[c] = arr[:, j]
            columns["tag"] = list(cols3)
        else:
            out[ncol] = frame["name"].to_numpy()
            columns["tag"] = ncol
        out[vcol] = vtxt
        out[qcol] = qtext
        with_units = rng.random() < 0.5
        if with_units:
            out[ucol] = np.array([units.get(n, "") for n in frame["name"]], dtype=object)
            columns["unit"] = ucol
        text = _csv(pd.DataFrame(out), loc["delim"])
        name = "historian_export" + (".csv" if loc["delim"] != "\t" else ".txt") + (".gz" if gz else "")
        _write_text(out_dir / name, text, gz=gz)
        src = {"name": "historian", "domain": "OT", "kind": "signals", "path": name, "layout": "long",
               "timezone": tz, "time_format": fmt, "columns": columns, "good_quality": [good],
               "clock_offset": "auto", "delimiter": _delim_name(loc["delim"]), "decimal": loc["decimal"]}
        if N.style == "path":
            src["tag_separator"] = "/"
        if value_map:
            src["value_map"] = value_map
        if not with_units:
            src["units"] = units
        written["historian"] = {"layout": "long", "rows": int(len(frame)), "mess": mess, "time_format": fmt,
                                "utc_range": _utc_range(inc.t0, frame["t"], offset_s=offset,
                                                        resolution_s=1e-3 if "%f" in fmt else 1.0)}
    else:
        step = int(pick(rng, [5, 10, 10, 15]))
        frame = historian_wide(inc, vals, bad, rng, step)
        tcol = loc["cols"][0]
        body = {tcol: _fmt_times(frame["t"], inc.t0, tz, fmt, offset)}
        body.update(_wide_text(frame, inc, loc["decimal"]))
        text = _csv(pd.DataFrame(body), loc["delim"])
        name = "pi_datalink_export" + (".csv" if loc["delim"] != "\t" else ".tsv") + (".gz" if gz else "")
        _write_text(out_dir / name, text, gz=gz)
        src = {"name": "historian", "domain": "OT", "kind": "signals", "path": name, "layout": "wide",
               "timezone": tz, "time_format": fmt, "columns": {"time": tcol}, "clock_offset": "auto",
               "delimiter": _delim_name(loc["delim"]), "decimal": loc["decimal"], "units": units}
        if value_map:
            src["value_map"] = value_map
        written["historian"] = {"layout": "wide", "rows": int(len(frame)), "step_s": step, "time_format": fmt,
                                "utc_range": _utc_range(inc.t0, frame["t"], offset_s=offset,
                                                        resolution_s=1e-3 if "%f" in fmt else 1.0)}
    sources.append(src)

    # --- OT alarm & event log
    states = pick(rng, [("ACT", "RTN", "ACK"), ("ALM", "NORM", "ACK"), ("ACTIVE", "CLEARED", "ACKED")])
    ae = [e for e in events if e["log"] == "ae" and a <= e["t"] < b + 600]
    ae.sort(key=lambda e: e["t"])
    st_map = {"ACT": states[0], "RTN": states[1], "ACK": states[2], "": ""}
    ae_fmt = loc["fmt_ms"] if rng.random() < 0.6 else loc["fmt"]
    ae_cols = pick(rng, [("EventTime", "Source", "Condition", "State", "Priority", "Message", "Operator"),
                         ("Time", "Tag", "AlarmType", "Status", "Severity", "Description", "User")])
    frame = pd.DataFrame({
        ae_cols[0]: _fmt_times([e["t"] for e in ae], inc.t0, tz, ae_fmt, offset),
        ae_cols[1]: [e["source"] for e in ae], ae_cols[2]: [e["kind"] for e in ae],
        ae_cols[3]: [st_map[e.get("state", "")] for e in ae], ae_cols[4]: [e["severity"] for e in ae],
        ae_cols[5]: [e["message"] for e in ae], ae_cols[6]: [e.get("user", "") for e in ae],
    })
    name = "alarms_events.csv"
    _write_text(out_dir / name, _csv(frame, loc["delim"]), gz=False)
    sources.append({"name": "alarm_log", "domain": "OT", "kind": "events", "path": name, "timezone": tz,
                    "time_format": ae_fmt, "delimiter": _delim_name(loc["delim"]),
                    "columns": {"time": ae_cols[0], "source": ae_cols[1], "kind": ae_cols[2], "state": ae_cols[3],
                                "severity": ae_cols[4], "message": ae_cols[5]},
                    "active_states": [states[0]], "return_states": [states[1]], "clock_offset": "auto"})
    written["alarm_log"] = {"rows": len(frame), "states": list(states),
                            "utc_range": _utc_range(inc.t0, [e["t"] for e in ae], offset_s=offset,
                                                    resolution_s=1e-3 if "%f" in ae_fmt else 1.0)}

    # --- operator journal (tab separated text)
    jr = sorted((e for e in events if e["log"] == "journal" and a <= e["t"] < b), key=lambda e: e["t"])
    jfmt = loc["fmt"]
    frame = pd.DataFrame({
        "Time": _fmt_times([e["t"] for e in jr], inc.t0, tz, jfmt, offset), "User": [e.get("user", "") for e in jr],
        "Object": [e["source"] for e in jr], "Action": [e["kind"] for e in jr], "Text": [e["message"] for e in jr],
    })
    name = "operator_journal.txt"
    _write_text(out_dir / name, _csv(frame, "\t"), gz=False)
    sources.append({"name": "operator_journal", "domain": "OT", "kind": "events", "path": name, "timezone": tz,
                    "time_format": jfmt, "delimiter": "\t",
                    "columns": {"time": "Time", "source": "Object", "kind": "Action", "message": "Text"},
                    "clock_offset": "auto"})
    written["operator_journal"] = {"rows": len(frame), "utc_range": _utc_range(
        inc.t0, [e["t"] for e in jr], offset_s=offset, resolution_s=1e-3 if "%f" in jfmt else 1.0)}

    # --- IT metrics
    frame, interval = it_metrics(inc, rng)
    style = pick(rng, ["epoch_ms", "epoch_s", "iso", "parquet"])
    units_it = {f"{h}/{m}": METRIC_UNITS[w] if inc.it_names.scale(w) == 1.0 else ("s" if w == "latency" else "1")
                for (r, w) in it_metric_roles() for h, m in [inc.it_names.metric(r, w).split("/", 1)]}
    cols = pick(rng, [("timestamp", "host", "metric", "value"), ("clock", "hostname", "item_key", "value"),
                      ("ts", "instance", "name", "val")])
    times = inc.t0 + pd.to_timedelta(frame["t"].to_numpy(), unit="s")
    if style == "parquet":
        name = "it_metrics.parquet"
        out = pd.DataFrame({cols[0]: pd.DatetimeIndex(times).as_unit("ms"), cols[1]: frame["host"],
                            cols[2]: frame["metric"], cols[3]: frame["value"].astype(float)})
        out.to_parquet(out_dir / name, index=False)
        extra = {}
    else:
        if style == "epoch_ms":
            tv = (pd.DatetimeIndex(times).as_unit("ms").asi8).astype(np.int64)
            extra = {"time_unit": "ms"} if rng.random() < 0.5 else {}
        elif style == "epoch_s":
            tv = np.round(pd.DatetimeIndex(times).as_unit("ms").asi8 / 1000.0, 3)
            extra = {"time_unit": "s"}
        else:
            tv = pd.DatetimeIndex(times).strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
            extra = {}
        out = pd.DataFrame({cols[0]: tv, cols[1]: frame["host"], cols[2]: frame["metric"],
                            cols[3]: np.round(frame["value"].to_numpy(dtype=float), 4)})
        name = "it_metrics.csv" + (".gz" if rng.random() < 0.4 else "")
        _write_text(out_dir / name, _csv(out, ","), gz=name.endswith(".gz"))
    src = {"name": "it_metrics", "domain": "IT", "kind": "signals", "path": name, "layout": "long",
           "columns": {"time": cols[0], "tag": [cols[1], cols[2]], "value": cols[3]}, "tag_separator": "/",
           "units": units_it}
    src.update(extra)
    sources.append(src)
    written["it_metrics"] = {"rows": int(len(frame)), "style": style, "interval_s": interval,
                             "utc_range": _utc_range(inc.t0, frame["t"])}

    # --- SIEM events
    se = sorted((e for e in events if e["log"] == "siem" and a <= e["t"] < b), key=lambda e: e["t"])
    scols = pick(rng, [("@timestamp", "host.name", "event.category", "log.level", "message", "user.name"),
                       ("_time", "host", "sourcetype", "severity", "_raw", "user")])
    tfmt = pick(rng, ["z", "offset"])
    ts = inc.t0 + pd.to_timedelta([e["t"] for e in se], unit="s")
    if tfmt == "z":
        tv = pd.DatetimeIndex(ts).strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "Z"
    else:
        tv = pd.DatetimeIndex(ts).strftime("%Y-%m-%d %H:%M:%S") + "+00:00"
    frame = pd.DataFrame({scols[0]: tv, scols[1]: [e["source"] for e in se], scols[2]: [e["kind"] for e in se],
                          scols[3]: [e["severity"] for e in se], scols[4]: [e["message"] for e in se],
                          scols[5]: [e.get("user", "") for e in se]})
    name = "siem_export.csv"
    _write_text(out_dir / name, _csv(frame, ","), gz=False)
    sources.append({"name": "siem", "domain": "IT", "kind": "events", "path": name,
                    "columns": {"time": scols[0], "source": scols[1], "kind": scols[2], "severity": scols[3],
                                "message": scols[4]}})
    written["siem"] = {"rows": len(frame), "utc_range": _utc_range(inc.t0, [e["t"] for e in se],
                                                                  resolution_s=1e-3 if tfmt == "z" else 1.0)}

    # --- ITSM (change records and tickets), naive times of the IT department's zone
    it_tz = pick(rng, [tz, "Europe/London", "America/New_York", "UTC", "Europe/Berlin"])
    if _transitions_in(it_tz, inc):
        it_tz = "UTC"  # the ITSM tool's repeated hour would be unreadable (no second pass to order by)
    ch = sorted((e for e in events if e["log"] == "itsm" and e["t"] < b), key=lambda e: e["t"])
    ifmt = "%Y-%m-%d %H:%M:%S"
    starts = _fmt_times([e["t"] for e in ch], inc.t0, it_tz, ifmt)
    ends = [("" if e.get("end") is None else _fmt_times([e["end"]], inc.t0, it_tz, ifmt)[0]) for e in ch]
    frame = pd.DataFrame({"number": [e.get("number", "") for e in ch], "cmdb_ci": [e["source"] for e in ch],
                          "type": [e["kind"] for e in ch], "work_start": starts, "work_end": ends,
                          "short_description": [e["message"] for e in ch], "priority": [e["severity"] for e in ch]})
    name = "itsm_changes_incidents.csv"
    _write_text(out_dir / name, _csv(frame, ","), gz=False)
    sources.append({"name": "itsm", "domain": "IT", "kind": "events", "path": name, "timezone": it_tz,
                    "time_format": ifmt, "columns": {"time": "work_start", "end": "work_end", "source": "cmdb_ci",
                                                     "kind": "type", "message": "short_description",
                                                     "severity": "priority"}})
    written["itsm"] = {"rows": len(frame), "timezone": it_tz,
                       "utc_range": _utc_range(inc.t0, [e["t"] for e in ch], resolution_s=1.0)}

    # --- manifest
    sym_tag = next(t for t in inc.tags if t.key == inc.symptom)
    noticed = inc.time(inc.noticed)
    start_text = noticed.strftime("%Y-%m-%dT%H:%M:%SZ")
    if rng.random() < 0.4:
        start_text = noticed.tz_convert(tz).strftime("%Y-%m-%dT%H:%M:%S")  # naive: read in the display zone
    plant_word = "pasteuriser" if inc.plant == "dairy" else "water works"
    manifest = {
        "title": f"{N.site} {plant_word}: {sym_tag.description} {'low' if inc.direction == 'lo' else 'high'}",
        "timezone": tz,
        "description": (f"{sym_tag.description.capitalize()} ({N.signal(sym_tag)}) went "
                        f"{'below' if inc.direction == 'lo' else 'above'} its alarm limit; noticed by the shift. "
                        "Exports from the plant historian, alarm log, operator journal, IT monitoring, SIEM "
                        "and the ITSM tool."),
        "incident": {"start": start_text, "symptom": N.signal(sym_tag), "lookback": "auto", "lookahead": "auto"},
        "alignment": {"grid": "auto", "max_gap": "auto"},
        "source": sources,
    }
    (out_dir / "investigation.toml").write_text(tomli_w.dumps(manifest), encoding="utf-8")
    written["files"] = sorted(p.name for p in out_dir.iterdir())
    return written


def _utc_range(t0, seconds, *, offset_s=0.0, resolution_s=1e-3) -> list:
    """[first, last] UTC time of the rows of one export as written (ISO 8601, ms), for the
    answer key: the written stamp (the clock's reading, cut to the export's resolution) with
    the clock offset taken back out - what a reader that undoes the offset and the time zone
    should report. Time-zone offsets are whole minutes, so cutting the local reading to the
    second is cutting the UTC instant."""
    if len(seconds) == 0:
        return [None, None]
    sec = np.asarray(seconds, dtype=float)
    out = []
    for x in (sec.min(), sec.max()):
        reading = (t0 + pd.to_timedelta(x + offset_s, unit="s")).tz_convert("UTC")
        cut = reading.floor(pd.Timedelta(seconds=resolution_s))
        written = cut - pd.to_timedelta(offset_s, unit="s")
        out.append(written.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z")
    return out


def _delim_name(d):
    return d


def _transitions_in(tz, inc):
    from benchmarks.holdout.scenario import _transitions

    return bool(_transitions(tz, inc.time(0), inc.time(inc.n))) if tz != "UTC" else False


def _transition_seconds(inc):
    from benchmarks.holdout.scenario import _transitions

    s, e = inc.time(0), inc.time(inc.n)
    return [(t - inc.t0).total_seconds() for t in _transitions(inc.tz, s, e)]


__all__ = ["measure", "write_incident", "LOCALES"]
