"""Tests of rca.charts, through chart.to_dict() (and vl-convert where a rendered picture is needed)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import altair as alt
import numpy as np
import pandas as pd
import pytest

from rca.charts import (
    AUTO_TOTAL_POINTS,
    DATASET_ROWS,
    candidates_chart,
    chart_to_svg,
    lag_heatmap,
    propagation_chart,
    save_chart,
    signal_chart,
    timeline_chart,
)
from rca.errors import ParameterError

vlc = pytest.importorskip("vl_convert", reason="vl-convert renders the pictures these tests read")

SPRING = pd.Timestamp("2024-03-31 00:00", tz="UTC")  # Berlin: 02:00 CET -> 03:00 CEST at 01:00 UTC
AUTUMN = pd.Timestamp("2024-10-27 00:00", tz="UTC")  # Berlin: 03:00 CEST -> 02:00 CET at 01:00 UTC


def ms(ts: pd.Timestamp) -> int:
    return ts.value // 1_000_000


# ---------------------------------------------------------------------------
# spec navigation
# ---------------------------------------------------------------------------


def views(spec: dict) -> dict[str, dict]:
    """Top-level views (vconcat/hconcat members, or the spec itself) by name."""
    members = spec.get("vconcat") or spec.get("hconcat") or [spec]
    return {v.get("name"): v for v in members}


def layers(view: dict) -> list[dict]:
    """Unit layers of a view; a layer without data gets the data its parent holds for all layers."""
    if "layer" not in view:
        return [view]
    return [layer if "data" in layer or "data" not in view else {**layer, "data": view["data"]}
            for layer in view["layer"]]


def mark_type(layer: dict) -> str:
    mark = layer["mark"]
    return mark if isinstance(mark, str) else mark["type"]


def rows(spec: dict, layer: dict) -> list[dict]:
    return spec["datasets"][layer["data"]["name"]]


def line_rows(spec: dict, view: dict) -> list[dict]:
    """Rows of the line layers of a view, in drawing order (datasets joined in layer order)."""
    out: list[dict] = []
    for layer in layers(view):
        if mark_type(layer) == "line":
            chunk = rows(spec, layer)
            if out and chunk and out[-1] == chunk[0]:  # a lane cut between datasets repeats its cut point
                chunk = chunk[1:]
            out += chunk
    return out


def lanes(spec: dict, view: dict) -> dict[int, list[dict]]:
    """Rows of each lane of a signals panel: consecutive valid rows, lane = floor(y)."""
    out: dict[int, list[dict]] = {}
    for row in line_rows(spec, view):
        if row["y"] is not None:
            out.setdefault(int(np.floor(row["y"])), []).append(row)
    return out


def svg_texts(svg: str) -> list[str]:
    return [html_unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


# ---------------------------------------------------------------------------
# the responsiveness case: 50 signals x 8 h at 1 s, 10,000 events
# ---------------------------------------------------------------------------

N_SAMPLES = 8 * 3600
N_SIGNALS = 50
N_EVENTS = 10_000


@pytest.fixture(scope="module")
def big():
    rng = np.random.default_rng(11)
    index = pd.date_range(SPRING, periods=N_SAMPLES, freq="1s", tz="UTC", name="time")
    values = rng.normal(size=(N_SAMPLES, N_SIGNALS)).cumsum(axis=0) * 0.05 + rng.normal(
        size=(N_SAMPLES, N_SIGNALS)
    )
    names = [f"PK5.TIC{i:03d}.PV" if i < 30 else f"srv{i:02d}/cpu" for i in range(N_SIGNALS)]
    signals = pd.DataFrame(values, index=index, columns=names)
    spike_at = 12_345
    signals.iloc[spike_at, 5] = 1_000.0  # a one-sample spike must survive reduction
    signals.iloc[20_000, 6] = -1_000.0  # so must a one-sample dip
    signals.iloc[5_000:5_600, 3] = np.nan  # a 10-minute outage must stay a gap
    signals.iloc[:, 40] = 7.5  # a flat signal
    info = pd.DataFrame(
        {"domain": ["OT"] * 30 + ["IT"] * 20, "unit": ["degC"] * 30 + ["%"] * 20,
         "description": [f"loop {i}" for i in range(N_SIGNALS)]},
        index=names,
    )
    kinds = rng.choice(["HI", "LO", "HIHI", "login", "change", "backup"], size=N_EVENTS,
                       p=[0.45, 0.2, 0.02, 0.2, 0.08, 0.05])
    events = pd.DataFrame({
        "time": SPRING + pd.to_timedelta(np.sort(rng.uniform(0, N_SAMPLES, N_EVENTS)), unit="s"),
        "end": pd.Series(pd.NaT, index=range(N_EVENTS), dtype="datetime64[ns, UTC]"),
        "source": rng.choice(["PK5.TIC101", "fw-core-02", "jump-01"], size=N_EVENTS),
        "kind": kinds,
        "message": [f"event {i}: <b>value</b> & \"quotes\" </script>" for i in range(N_EVENTS)],
        "severity": np.where(kinds == "HIHI", "critical", "low"),
        "domain": np.where(np.isin(kinds, ["HI", "LO", "HIHI"]), "OT", "IT"),
        "origin": "historian",
    })
    changes = pd.DataFrame({
        "signal": [names[1], names[45], "not-a-signal"],
        "time": [index[14_000], index[15_000], index[100]],
        "kind": ["mean", "variance", "mean"],
        "before": [0.0, 1.0, 0.0], "after": [1.0, 3.0, 1.0], "delta": [1.0, 2.0, 1.0],
        "delta_sigma": [4.0, 5.0, 1.0], "strength": [3.0, 4.0, 1.0],
        "time_lo": [index[13_950], index[14_990], index[90]],
        "time_hi": [index[14_050], index[15_010], index[110]],
    })
    incident = index[14_400]
    chart = timeline_chart(signals, events, changes, signal_info=info, incident_start=incident,
                           timezone="Europe/Berlin")
    spec = chart.to_dict()
    return {"signals": signals, "events": events, "changes": changes, "info": info,
            "incident": incident, "chart": chart, "spec": spec}


def test_big_timeline_spec_is_bounded(big):
    spec = big["spec"]
    text = json.dumps(spec)
    total_rows = sum(len(v) for v in spec["datasets"].values())
    assert len(text) < 1_800_000, f"spec is {len(text):,} bytes"
    assert all(len(v) <= DATASET_ROWS for v in spec["datasets"].values())
    signal_rows = sum(len(line_rows(spec, v)) for n, v in views(spec).items() if "signals" in n)
    assert signal_rows <= AUTO_TOTAL_POINTS * 1.1  # points plus break rows
    assert total_rows < 45_000  # versus 1,440,000 samples and 10,000 events in
    naive_bytes = N_SAMPLES * N_SIGNALS * len('{"time": 1711843200000, "value": 0.123456}, ')
    assert len(text) * 20 < naive_bytes


def test_big_timeline_keeps_every_extreme(big):
    spec, signals, info = big["spec"], big["signals"], big["info"]
    for domain in ("ot", "it"):
        view = views(spec)[f"rca_signals_{domain}"]
        members = next(p["value"] for p in spec["params"] if p["name"] == f"lanes_{domain}")
        per_lane = lanes(spec, view)
        for lane, name in enumerate(members):
            ys = np.array([r["y"] for r in per_lane[lane]])
            lo, hi = signals[name].min(), signals[name].max()
            if hi > lo:
                # y = lane + 0.9 - 0.8 * (value - min) / (max - min): the max sits at lane + 0.1
                assert ys.min() == pytest.approx(lane + 0.1, abs=1e-4), name
                assert ys.max() == pytest.approx(lane + 0.9, abs=1e-4), name
            else:
                assert np.allclose(ys, lane + 0.5), name
        assert info.loc[members, "domain"].eq(domain.upper()).all()
    spike_lane = list(signals.columns).index("PK5.TIC005.PV")
    spike = [r for r in lanes(spec, views(spec)["rca_signals_ot"])[spike_lane]
             if r["y"] == pytest.approx(spike_lane + 0.1, abs=1e-4)]
    assert [r["time"] for r in spike] == [ms(signals.index[12_345])]


def test_big_timeline_keeps_the_outage_as_a_gap(big):
    spec, signals = big["spec"], big["signals"]
    drawn = line_rows(spec, views(spec)["rca_signals_ot"])
    start, stop = ms(signals.index[5_000]), ms(signals.index[5_599])
    lane3 = [i for i, r in enumerate(drawn) if r["y"] is not None and int(np.floor(r["y"])) == 3]
    before = max(i for i in lane3 if drawn[i]["time"] < start)
    after = min(i for i in lane3 if drawn[i]["time"] > stop)
    between = drawn[before + 1 : after]
    assert any(r["y"] is None and start <= r["time"] <= stop for r in between)
    assert not any(r["y"] is not None and start <= r["time"] <= stop for r in between)


def test_big_timeline_events_are_reduced_and_accounted(big):
    spec = big["spec"]
    meta = spec["usermeta"]["rca"]["events"]
    counts = meta["counts"]
    assert counts["rows_in"] == N_EVENTS
    assert counts["individual"] + counts["aggregated"] == N_EVENTS
    assert counts["individual"] <= 1_000
    high = int((big["events"]["severity"] == "critical").sum())
    assert counts["individual_high"] == high  # every high-severity event stays visible
    ot = views(spec)["rca_events_ot"]
    ticks = [l for l in layers(ot) if mark_type(l) == "tick"]
    assert len(ticks) == 1
    tick_rows = rows(spec, ticks[0])
    assert sum(r["level"] == "high" for r in tick_rows) == high
    assert all(r["message"].endswith("</script>") for r in tick_rows)  # data, unmodified
    cell_layers = [l for name in ("rca_events_ot", "rca_events_it") for l in layers(views(spec)[name])
                   if l["encoding"].get("opacity", {}).get("field") == "count"]
    assert sum(r["count"] for l in cell_layers for r in rows(spec, l)) == counts["aggregated"]
    assert "10,000 events" in spec["title"]["subtitle"][1]


def test_big_timeline_message_never_enters_an_expression(big):
    spec = big["spec"]
    expressions = json.dumps([
        value for value in _walk(spec) if isinstance(value, str) and ("datum" in value or "utcFormat" in value)
    ])
    assert "event 1:" not in expressions and "</script>" not in expressions


def _walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "datasets":
                continue
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
    else:
        yield node


# ---------------------------------------------------------------------------
# layout, selections, swimlanes
# ---------------------------------------------------------------------------


def small_case(n=3600, start=SPRING):
    index = pd.date_range(start, periods=n, freq="1s", tz="UTC", name="time")
    signals = pd.DataFrame({
        "FIC101.PV": np.sin(np.arange(n) / 200.0),
        "web01.cpu": np.cos(np.arange(n) / 300.0) * 50 + 50,
    }, index=index)
    info = pd.DataFrame({"domain": ["OT", "IT"], "unit": ["m3/h", "%"]}, index=signals.columns)
    events = pd.DataFrame({
        "time": [index[600], index[1200]],
        "end": pd.Series([index[900], pd.NaT], dtype="datetime64[ns, UTC]"),
        "source": ["fw-core-02", "PK5.TIC101"], "kind": ["change", "HI"],
        "message": ["rule 12 changed", "TIC101 high"], "severity": ["", "critical"],
        "domain": ["IT", "OT"],
    })
    return signals, info, events


def test_timeline_layout_and_linked_brush():
    signals, info, events = small_case()
    spec = timeline_chart(signals, events, signal_info=info, incident_start=signals.index[1800]).to_dict()
    names = list(views(spec))
    assert names == ["rca_signals_ot", "rca_events_ot", "rca_signals_it", "rca_events_it", "rca_overview"]
    (brush,) = [p for p in spec["params"] if p["name"] == "time_brush"]
    assert brush["select"] == {"type": "interval", "encodings": ["x"]}
    assert brush["views"] == [views(spec)["rca_overview"]["layer"][0]["name"]]  # brushed on the overview
    full = [ms(signals.index[0]), ms(signals.index[-1])]
    for name in names[:-1]:
        with_x = [l for l in layers(views(spec)[name]) if "x" in l["encoding"]]
        assert len(with_x) >= 2
        for layer in with_x:
            scale = layer["encoding"]["x"]["scale"]
            assert scale["type"] == "utc"
            assert scale["domainRaw"] == {"expr": 'time_brush["time"]'}
            assert scale["domain"] == full
    for layer in layers(views(spec)["rca_overview"]):
        assert layer["encoding"]["x"]["scale"] == {"type": "utc", "domain": full}


def test_lane_names_come_from_a_parameter_not_an_expression():
    signals, info, _ = small_case()
    signals = signals.rename(columns={"FIC101.PV": "it's \"odd\" ]name["})
    info.index = signals.columns
    spec = timeline_chart(signals, signal_info=info).to_dict()
    params = {p["name"]: p["value"] for p in spec["params"] if "value" in p}
    assert params["lanes_ot"] == ["it's \"odd\" ]name["]
    axis = views(spec)["rca_signals_ot"]["layer"][0]["encoding"]["y"]["axis"]
    assert axis["labelExpr"] == "lanes_ot[floor(datum.value)]"
    svg = chart_to_svg(spec)
    assert "it's \"odd\" ]name[" in svg_texts(svg)


def test_timeline_without_signal_info_uses_one_lane():
    signals, _, events = small_case()
    spec = timeline_chart(signals, events).to_dict()
    assert list(views(spec))[:1] == ["rca_signals_all"]
    assert {"rca_events_ot", "rca_events_it"} <= set(views(spec))


def test_events_only_and_signals_only():
    signals, info, events = small_case()
    only_events = timeline_chart(events=events).to_dict()
    assert list(views(only_events)) == ["rca_events_ot", "rca_events_it", "rca_overview"]
    only_signals = timeline_chart(signals, signal_info=info).to_dict()
    assert list(views(only_signals)) == ["rca_signals_ot", "rca_signals_it", "rca_overview"]


def test_events_carry_message_interval_and_local_time():
    signals, info, events = small_case()
    spec = timeline_chart(signals, events, signal_info=info, timezone="Europe/Berlin").to_dict()
    it = views(spec)["rca_events_it"]
    interval = next(l for l in layers(it) if mark_type(l) == "rect")
    assert interval["transform"] == [{"filter": "isValid(datum.end)"}]
    tick = next(l for l in layers(it) if mark_type(l) == "tick")
    (row,) = rows(spec, tick)
    assert row["message"] == "rule 12 changed"
    assert row["time"] == ms(events["time"][0]) and row["end"] == ms(events["end"][0])
    assert row["when"] == "2024-03-31 01:10:00 +01:00"  # 00:10 UTC, before the switch
    assert row["until"] == "2024-03-31 01:15:00 +01:00"
    tooltip_fields = [t["field"] for t in tick["encoding"]["tooltip"]]
    assert {"message", "source", "severity", "when"} <= set(tooltip_fields)
    ot_tick = next(l for l in layers(views(spec)["rca_events_ot"]) if mark_type(l) == "tick")
    (ot_row,) = rows(spec, ot_tick)
    assert ot_row["level"] == "high"
    assert ot_row["when"] == "2024-03-31 01:20:00 +01:00"
    assert tick["encoding"]["color"]["scale"]["domain"] == ["high", "normal"]


def test_change_points_drawn_in_their_lane_and_counted():
    signals, info, _ = small_case()
    changes = pd.DataFrame({"signal": ["web01.cpu", "ghost"], "time": [signals.index[100]] * 2,
                            "delta": [2.0, 1.0], "kind": ["mean", "mean"]})
    spec = timeline_chart(signals, changes=changes, signal_info=info).to_dict()
    it = views(spec)["rca_signals_it"]
    rule = next(l for l in layers(it) if mark_type(l) == "rule" and l["encoding"].get("y2"))
    (row,) = rows(spec, rule)
    assert (row["signal"], row["lane"], row["lane_hi"], row["delta"]) == ("web01.cpu", 0, 1, 2.0)
    assert spec["usermeta"]["rca"]["changes"] == {
        "rows_in": 2, "charted": 1, "signal_not_charted": 1, "outside_time_range": 0}
    assert "1 not charted" in " ".join(spec["title"]["subtitle"])


def test_incident_rule_in_every_panel():
    signals, info, events = small_case()
    incident = signals.index[1800]
    spec = timeline_chart(signals, events, signal_info=info, incident_start=incident).to_dict()
    for name, view in views(spec).items():
        marked = [rows(spec, l) for l in layers(view)
                  if mark_type(l) == "rule" and any(r.get("label") == "incident start" for r in rows(spec, l))]
        assert marked and marked[0][0]["time"] == ms(incident), name


def test_time_range_rereduces_the_window():
    signals, info, _ = small_case()
    window = (signals.index[1000], signals.index[1099])
    spec = timeline_chart(signals, signal_info=info, time_range=window).to_dict()
    drawn = line_rows(spec, views(spec)["rca_signals_ot"])
    times = [r["time"] for r in drawn if r["y"] is not None]
    assert len(times) == 100  # all 100 samples of the window, none outside
    assert min(times) == ms(window[0]) and max(times) == ms(window[1])


def test_reduction_choice_is_reported():
    signals, info, _ = small_case()
    auto = timeline_chart(signals, signal_info=info, width=400).to_dict()["usermeta"]["rca"]["signals"]
    assert auto["method"] == "m4" and auto["buckets"] == 400
    assert auto["budget_rule"].startswith("auto")
    given = timeline_chart(signals, signal_info=info, max_points=100, method="lttb").to_dict()
    meta = given["usermeta"]["rca"]["signals"]
    assert (meta["method"], meta["max_points"], meta["budget_rule"]) == ("lttb", 100, "given")


def test_isolated_samples_are_drawn_as_dots():
    index = pd.date_range(SPRING, periods=100, freq="1min", tz="UTC")
    values = np.full(100, np.nan)
    values[[10, 50, 51, 90]] = [1.0, 2.0, 3.0, 4.0]
    spec = timeline_chart(pd.DataFrame({"sparse": values}, index=index)).to_dict()
    dots = [l for l in layers(views(spec)["rca_signals_all"]) if mark_type(l) == "point"]
    assert [r["time"] for r in rows(spec, dots[0])] == [ms(index[10]), ms(index[90])]


def test_same_input_same_spec():
    signals, info, events = small_case()
    a = json.dumps(timeline_chart(signals, events, signal_info=info).to_dict(), sort_keys=True)
    b = json.dumps(timeline_chart(signals, events, signal_info=info).to_dict(), sort_keys=True)
    assert a == b


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s, i, e: timeline_chart(), r"timeline_chart got nothing to draw"),
        (lambda s, i, e: timeline_chart(s, timezone="Mars/Olympus"),
         r"timezone='Mars/Olympus' is not a known time zone; expected an IANA name"),
        (lambda s, i, e: timeline_chart(s, timezone=3), r"timezone=3 is not usable"),
        (lambda s, i, e: timeline_chart(s, incident_start="2024-03-31 06:00"),
         r"incident_start='2024-03-31 06:00' is a naive timestamp"),
        (lambda s, i, e: timeline_chart(s.to_numpy()), r"signals is a ndarray; expected a DataFrame"),
        (lambda s, i, e: timeline_chart(s, e.drop(columns="kind")), r"events has no column 'kind'"),
        (lambda s, i, e: timeline_chart(s, changes=pd.DataFrame({"signal": ["a"]})),
         r"changes has no column 'time'"),
        (lambda s, i, e: timeline_chart(s, signal_info=i.drop(columns="domain")),
         r"signal_info has no column 'domain'"),
        (lambda s, i, e: timeline_chart(s, width=10), r"width=10 is not usable; expected an integer >= 50"),
        (lambda s, i, e: timeline_chart(s, method="smooth"), r"method='smooth' is not known"),
        (lambda s, i, e: timeline_chart(s, max_points=2), r"max_points=2 is not usable"),
        (lambda s, i, e: timeline_chart(s, changes=pd.DataFrame(
            {"signal": ["a"], "time": [pd.Timestamp("2024-03-31")]})),
         r"changes column 'time' has dtype datetime64\[(ns|us|s)\]; expected datetime64\[ns, UTC\]"),
    ],
)
def test_timeline_errors_are_named(call, message):
    signals, info, events = small_case()
    with pytest.raises(ParameterError, match=message):
        call(signals, info, events)


# ---------------------------------------------------------------------------
# display zone: independent of the machine's TZ
# ---------------------------------------------------------------------------

RENDER_LABELS = textwrap.dedent(
    """
    import json, re, sys, vl_convert as vlc
    spec = json.load(open(sys.argv[1]))
    svg = vlc.vegalite_to_svg(spec)
    print(json.dumps({"tz": vlc.get_local_tz(), "labels": re.findall(r"<text[^>]*>([^<]*)</text>", svg)}))
    """
)


def render_in_zone(spec: dict, tz: str, tmp_path) -> dict:
    path = tmp_path / f"spec-{tz.replace('/', '_')}.json"
    path.write_text(json.dumps(spec))
    env = {**os.environ, "TZ": tz}
    done = subprocess.run([sys.executable, "-c", RENDER_LABELS, str(path)], env=env,
                          capture_output=True, text=True, check=True, timeout=300)
    return json.loads(done.stdout)


def test_axis_shows_berlin_wall_time_whatever_the_machine_zone(tmp_path):
    index = pd.date_range(SPRING, periods=4 * 60, freq="1min", tz="UTC")
    chart = signal_chart(pd.Series(np.arange(240.0), index=index, name="x"), timezone="Europe/Berlin",
                         width=400)
    spec = chart.to_dict()
    tokyo = render_in_zone(spec, "Asia/Tokyo", tmp_path)
    new_york = render_in_zone(spec, "America/New_York", tmp_path)
    assert tokyo["tz"] == "Asia/Tokyo" and new_york["tz"] == "America/New_York"
    assert tokyo["labels"] == new_york["labels"]
    labels = tokyo["labels"]
    assert "time [Europe/Berlin]" in labels
    clock = [t for t in labels if re.fullmatch(r"(Mar 31 )?\d\d:\d\d", t)]
    assert clock[0] == "Mar 31 01:00"  # 00:00 UTC = 01:00 CET
    assert "03:00" in clock  # 01:00 UTC = 03:00 CEST: 02:xx never exists that night
    assert not any(t.endswith(("02:00", "02:30")) for t in clock)


def test_hover_time_text_follows_the_zone_across_the_autumn_change():
    index = pd.date_range(AUTUMN, periods=4 * 60, freq="1min", tz="UTC")
    spec = signal_chart(pd.Series(np.arange(240.0), index=index, name="x"),
                        timezone="Europe/Berlin").to_dict()
    hover = next(l for l in layers(spec["vconcat"][0]) if "transform" in l and any(
        "calculate" in t for t in l["transform"]))
    expr = next(t["calculate"] for t in hover["transform"] if "calculate" in t)
    instants = [AUTUMN + pd.Timedelta(minutes=m) for m in (30, 90, 150)]
    probe = {
        "data": {"values": [{"time": ms(t), "k": i} for i, t in enumerate(instants)]},
        "transform": [{"calculate": expr, "as": "when"}],
        "mark": "text",
        "encoding": {"text": {"field": "when"}, "y": {"field": "k", "type": "ordinal", "axis": None}},
    }
    texts = svg_texts(vlc.vegalite_to_svg(probe))
    assert texts == ["2024-10-27 02:30:00 +02:00", "2024-10-27 02:30:00 +01:00",
                     "2024-10-27 03:30:00 +01:00"]


def test_fixed_offset_zone_and_lower_case_domains():
    import datetime as dt

    signals, info, events = small_case()
    info["domain"] = ["ot", " it "]
    events["domain"] = ["it", "Ot"]
    india = dt.timezone(dt.timedelta(hours=5, minutes=30))
    spec = timeline_chart(signals, events, signal_info=info, timezone=india).to_dict()
    assert list(views(spec)) == ["rca_signals_ot", "rca_events_ot", "rca_signals_it", "rca_events_it",
                                 "rca_overview"]
    tick = next(l for l in layers(views(spec)["rca_events_it"]) if mark_type(l) == "tick")
    assert rows(spec, tick)[0]["when"] == "2024-03-31 05:40:00 +05:30"
    assert spec["usermeta"]["rca"]["time"]["utc_offset"] == "+05:30"


def test_settings_report_the_zone_transitions():
    signals, info, _ = small_case(n=4 * 3600)
    meta = timeline_chart(signals, signal_info=info, timezone="Europe/Berlin").to_dict()["usermeta"]["rca"]
    assert meta["time"]["timezone"] == "Europe/Berlin"
    assert meta["time"]["transitions"] == [{"at": "2024-03-31T01:00:00+00:00", "utc_offset": "+02:00"}]
    utc = timeline_chart(signals, signal_info=info).to_dict()["usermeta"]["rca"]["time"]
    assert utc["timezone"] == "UTC" and utc["transitions"] == []


# ---------------------------------------------------------------------------
# signal view
# ---------------------------------------------------------------------------


def test_signal_chart_levels_changes_and_exact_extremes():
    rng = np.random.default_rng(3)
    index = pd.date_range(AUTUMN, periods=7200, freq="1s", tz="UTC")
    values = np.r_[np.zeros(3000), np.full(4200, 2.0)] + rng.normal(0, 0.2, 7200)
    values[5000:5100] = np.nan
    series = pd.Series(values, index=index, name="FIC101.PV")
    changes = pd.DataFrame({"signal": ["FIC101.PV"], "time": [index[3000]], "before": [0.0],
                            "after": [2.0], "time_lo": [index[2990]], "time_hi": [index[3010]]})
    info = pd.DataFrame({"domain": ["OT"], "unit": ["m3/h"]}, index=["FIC101.PV"])
    spec = signal_chart(series, changes, signal_info=info, incident_start=index[3500],
                        timezone="Europe/Berlin").to_dict()
    panel = views(spec)["rca_signal_0"]
    lines = [l for l in layers(panel) if mark_type(l) == "line"]
    drawn = [r for l in lines for r in rows(spec, l)]
    valid = [r["value"] for r in drawn if r["value"] is not None]
    assert max(valid) == np.nanmax(values) and min(valid) == np.nanmin(values)
    assert len(drawn) <= 4 * 800 + 10
    assert any(r["value"] is None and ms(index[5000]) <= r["time"] <= ms(index[5099]) for r in drawn)
    assert lines[0]["encoding"]["y"]["title"] == "FIC101.PV [m3/h]"
    level_layer = next(l for l in layers(panel) if mark_type(l) == "rule" and "level" in str(l["encoding"]))
    levels = rows(spec, level_layer)
    assert [(r["start"], r["end"], r["level"]) for r in levels] == [
        (ms(index[0]), ms(index[3000]), 0.0), (ms(index[3000]), ms(index[-1]), 2.0)]
    band = next(l for l in layers(panel) if mark_type(l) == "rect")
    assert rows(spec, band)[0]["time_lo"] == ms(index[2990])
    zoom = [p for p in spec.get("params", []) if p["name"].startswith("signal_zoom")] or [
        p for l in layers(panel) for p in l.get("params", [])]
    assert zoom and zoom[0]["bind"] == "scales"


def test_signal_chart_several_columns_share_time():
    signals, info, _ = small_case()
    spec = signal_chart(signals, signal_info=info).to_dict()
    assert list(views(spec)) == ["rca_signal_0", "rca_signal_1"]
    assert spec["resolve"] == {"scale": {"x": "shared"}}
    assert spec["usermeta"]["rca"]["names"] == ["FIC101.PV", "web01.cpu"]


def test_signal_chart_errors():
    with pytest.raises(ParameterError, match=r"signals is DataFrame with no signal to draw"):
        signal_chart(pd.DataFrame(index=pd.date_range(SPRING, periods=3, freq="s")))
    series = pd.Series([1.0, 2.0], index=pd.date_range(SPRING, periods=2, freq="s"), name="x")
    with pytest.raises(ParameterError, match=r"height=5 is not usable; expected an integer >= 20"):
        signal_chart(series, height=5)


# ---------------------------------------------------------------------------
# lag heatmap, candidates, propagation
# ---------------------------------------------------------------------------


def lag_table():
    lags = pd.to_timedelta(np.arange(-5, 6) * 60, unit="s")
    return pd.DataFrame({
        "signal": np.repeat(["weak", "strong", "negative"], len(lags)),
        "lag": np.tile(lags, 3),
        "r": np.r_[np.full(11, 0.1), np.where(np.arange(11) == 8, 0.9, 0.2),
                   np.where(np.arange(11) == 2, -0.7, 0.0)],
        "n": 100,
        "p_value": 0.01,
    })


def test_lag_heatmap_orders_rows_and_outlines_best_lags():
    spec = lag_heatmap(lag_table()).to_dict()
    cells, outline = layers(spec)
    assert cells["encoding"]["y"]["sort"] == ["strong", "negative", "weak"]
    assert cells["encoding"]["color"]["scale"] == {"scheme": "redblue", "domain": [-1, 1], "reverse": True}
    cell_rows = rows(spec, cells)
    assert len(cell_rows) == 33
    assert {r["lag"] for r in cell_rows} == set(np.arange(-5, 6) * 60.0)
    assert all(r["lag_hi"] - r["lag_lo"] == 60.0 for r in cell_rows)
    best = {r["signal"]: (r["lag"], r["r"]) for r in rows(spec, outline)}
    assert best["strong"] == (180.0, 0.9) and best["negative"] == (-180.0, -0.7)
    assert {"n", "p_value"} <= {t["field"] for t in cells["encoding"]["tooltip"]}


def test_lag_heatmap_limits_rows_and_accepts_seconds():
    table = lag_table().assign(lag=lambda f: f["lag"].dt.total_seconds())
    spec = lag_heatmap(table, max_signals=2).to_dict()
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["strong", "negative"]
    assert "2 of 3 signals" in spec["title"]["subtitle"][0]
    with pytest.raises(ParameterError, match=r"lag_table has no column 'r'"):
        lag_heatmap(table.drop(columns="r"))
    with pytest.raises(ParameterError, match=r"lag_table column 'lag' has dtype (object|str); expected a timedelta"):
        lag_heatmap(table.assign(lag="soon"))


def candidates():
    return pd.DataFrame({
        "rank": [2, 1, 3],
        "name": ["FIC101.PV", "fw-core-02", "TI205.PV"],
        "type": ["signal", "event", "signal"],
        "domain": ["OT", "IT", "OT"],
        "score": [0.4, 0.9, 0.1],
        "onset": pd.to_datetime(["2024-10-27 01:01", "2024-10-27 00:58", "2024-10-27 01:05"], utc=True),
        "evidence": ["flow dropped 3 sigma", "rule change <img src=x onerror=alert(1)>", "temp rose"],
    })


def test_candidates_chart_ranks_tooltips_and_shared_hover():
    spec = candidates_chart(candidates(), top=2, incident_start=pd.Timestamp("2024-10-27 01:00", tz="UTC"),
                            timezone="Europe/Berlin").to_dict()
    score, onset = spec["hconcat"]
    bars = layers(score)[0]
    assert bars["encoding"]["y"]["sort"] == ["1. fw-core-02", "2. FIC101.PV"]
    data = rows(spec, bars)
    assert [r["evidence"] for r in data] == ["rule change <img src=x onerror=alert(1)>", "flow dropped 3 sigma"]
    assert [r["when"] for r in data] == ["2024-10-27 02:58:00 +02:00", "2024-10-27 02:01:00 +01:00"]
    assert "evidence" in [t["field"] for t in bars["encoding"]["tooltip"]]
    hover = [p for p in spec["params"] if p["name"] == "candidate_hover"]
    assert len(hover) == 1 and set(hover[0]["views"]) == {next(
        l["name"] for l in score["layer"] if "name" in l)}
    assert bars["encoding"]["opacity"]["condition"]["param"] == "candidate_hover"
    assert onset["layer"][0]["encoding"]["opacity"]["condition"]["param"] == "candidate_hover"
    assert "top 2 of 3" in spec["title"]["subtitle"][0]


def test_candidates_errors():
    with pytest.raises(ParameterError, match=r"candidates has no column 'score'"):
        candidates_chart(candidates().drop(columns="score"))
    with pytest.raises(ParameterError, match=r"candidates column 'score' has dtype (object|str); expected numbers"):
        candidates_chart(candidates().assign(score="high"))
    with pytest.raises(ParameterError, match=r"top=0 is not usable"):
        candidates_chart(candidates(), top=0)


def edges():
    t0 = pd.Timestamp("2024-03-01 08:00", tz="UTC")
    return pd.DataFrame({
        "source_signal": ["gateway_latency", "FIC101.PV", "gateway_latency"],
        "target_signal": ["FIC101.PV", "TI205.PV", "PIC3.PV"],
        "source_time": [t0, t0 + pd.Timedelta("2min"), t0],
        "target_time": [t0 + pd.Timedelta("2min"), t0 + pd.Timedelta("6min"), t0 + pd.Timedelta("9min")],
        "lag": pd.to_timedelta([120, 240, 540], unit="s"),
        "weight": [0.7, 0.5, 0.2],
    })


def test_propagation_rows_links_and_weights():
    info = pd.DataFrame({"domain": ["IT", "OT", "OT", "OT"]},
                        index=["gateway_latency", "FIC101.PV", "TI205.PV", "PIC3.PV"])
    spec = propagation_chart(edges(), signal_info=info).to_dict()
    links, dots = layers(spec)[:2]
    assert links["encoding"]["y"]["sort"] == ["gateway_latency", "FIC101.PV", "TI205.PV", "PIC3.PV"]
    assert links["encoding"]["y2"] == {"field": "target_signal"}
    assert links["encoding"]["strokeWidth"]["field"] == "weight"
    link_rows = rows(spec, links)
    assert [r["lag_s"] for r in link_rows] == [120.0, 240.0, 540.0]
    assert len(rows(spec, dots)) == 4
    assert {r["domain"] for r in rows(spec, dots)} == {"IT", "OT"}
    svg = chart_to_svg(spec)  # the hover expression must compile in Vega
    assert "gateway_latency" in svg_texts(svg)


def test_propagation_errors():
    broken = edges().assign(source_time=pd.Series(pd.NaT, index=range(3), dtype="datetime64[ns, UTC]"))
    with pytest.raises(ParameterError, match=r"edges has no row with both source_time and target_time"):
        propagation_chart(broken)
    with pytest.raises(ParameterError, match=r"edges has no column 'target_time'"):
        propagation_chart(edges().drop(columns="target_time"))


# ---------------------------------------------------------------------------
# static export
# ---------------------------------------------------------------------------


def test_every_chart_renders_to_svg_without_a_browser(big):
    signals, info, events = small_case()
    charts = [
        timeline_chart(signals, events, signal_info=info, timezone="Europe/Berlin"),
        signal_chart(signals),
        lag_heatmap(lag_table()),
        candidates_chart(candidates()),
        propagation_chart(edges()),
    ]
    for chart in charts:
        svg = chart_to_svg(chart)
        assert svg.startswith("<svg") and "</svg>" in svg


@pytest.mark.parametrize("suffix, head", [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF"),
                                          (".json", b"{")])
def test_save_chart_formats(tmp_path, suffix, head):
    signals, info, _ = small_case()
    out = save_chart(signal_chart(signals), tmp_path / f"chart{suffix}", scale=1)
    assert out.read_bytes().startswith(head)


def test_saved_html_is_offline_and_data_cannot_break_out(tmp_path):
    signals, info, events = small_case()
    events.loc[0, "message"] = "</script><script>window.pwned = 1</script>"
    out = save_chart(timeline_chart(signals, events, signal_info=info), tmp_path / "timeline.html")
    page = out.read_text(encoding="utf-8")
    assert page.lower().count("<script") == 2 and page.lower().count("</script>") == 2
    assert "window.pwned" in page and "<script>window.pwned" not in page
    assert not re.search(r"<script[^>]+src=", page)
    assert "\\u003c/script\\u003e\\u003cscript\\u003ewindow.pwned" in page


def test_save_chart_errors(tmp_path):
    chart = lag_heatmap(lag_table())
    with pytest.raises(ParameterError, match=r"has the suffix '.gif'; expected one of"):
        save_chart(chart, tmp_path / "chart.gif")
    with pytest.raises(ParameterError, match=r"the folder .* does not exist"):
        save_chart(chart, tmp_path / "missing" / "chart.svg")
    with pytest.raises(ParameterError, match=r"scale=0 is not usable; expected a number > 0"):
        save_chart(chart, tmp_path / "chart.png", scale=0)
    with pytest.raises(ParameterError, match=r"chart is a str; expected an altair chart"):
        chart_to_svg("not a chart")


def test_specs_display_under_altairs_default_row_limit(big):
    with alt.data_transformers.enable("default"):
        spec = big["chart"].to_dict()
    assert max(len(v) for v in spec["datasets"].values()) <= 5000


# ---------------------------------------------------------------------------
# real data (skipped with a reason when ../shared/datasets is absent)
# ---------------------------------------------------------------------------

from conftest import SHARED_DATASETS  # noqa: E402

DATASETS = str(SHARED_DATASETS)


def _need(path: str) -> str:
    full = os.path.join(DATASETS, path)
    if not os.path.exists(full):
        pytest.skip(f"shared dataset {path!r} not found at {os.path.abspath(full)}")
    return full


@pytest.mark.datasets
def test_skab_valve_run_keeps_extremes_and_missing_seconds():
    folder = _need("skab/valve1")
    frames = [pd.read_csv(os.path.join(folder, f), sep=";") for f in sorted(os.listdir(folder))]
    raw = pd.concat(frames, ignore_index=True)
    raw["time"] = pd.to_datetime(raw["datetime"]).dt.tz_localize("UTC")
    raw = raw.drop_duplicates("time").set_index("time").sort_index()
    names = [c for c in raw.columns if c not in ("datetime", "anomaly", "changepoint")]
    grid_index = pd.date_range(raw.index[0], raw.index[-1], freq="1s", name="time")
    signals = raw[names].reindex(grid_index)  # seconds the logger skipped become NaN
    assert signals.isna().any().all()
    marks = raw.index[raw["changepoint"] == 1]
    changes = pd.DataFrame({"signal": names[2], "time": marks})
    spec = timeline_chart(signals, changes=changes, timezone="Europe/Moscow", width=600).to_dict()
    assert len(json.dumps(spec)) < 1_000_000
    view = views(spec)["rca_signals_all"]
    drawn = line_rows(spec, view)
    missing = signals.isna().to_numpy()
    position = {ms(t): i for i, t in enumerate(grid_index)}
    for lane, name in enumerate(names):
        ys = [r["y"] for r in lanes(spec, view)[lane]]
        assert min(ys) == pytest.approx(lane + 0.1, abs=1e-4) and max(ys) == pytest.approx(lane + 0.9, abs=1e-4)
    for a, b in zip(drawn, drawn[1:]):
        if a["y"] is None or b["y"] is None or int(a["y"]) != int(b["y"]):
            continue
        lane = int(a["y"])
        i, j = position[a["time"]], position[b["time"]]
        assert not missing[i:j + 1, lane].any(), f"{names[lane]}: a line crosses missing seconds"
    rule = next(l for l in layers(view) if mark_type(l) == "rule" and l["encoding"].get("y2"))
    assert len(rows(spec, rule)) == len(marks)


@pytest.mark.datasets
def test_tep_alarm_flood_is_counted_and_bounded():
    path = _need("tep_alarms/text_alarms_deadband/text_alarms_deadband_14.csv")
    raw = pd.read_csv(path, index_col=0)
    events = pd.DataFrame({
        "time": pd.to_datetime(raw["timestamp"]).dt.tz_localize("UTC"),
        "source": raw["tag"], "kind": raw["type"], "severity": raw["type"],
        "message": raw["description"], "domain": "OT",
    })
    spec = timeline_chart(events=events, high_severity=["HH", "LL"], max_events=200).to_dict()
    counts = spec["usermeta"]["rca"]["events"]["counts"]
    assert counts["rows_in"] == len(raw)
    assert counts["individual"] + counts["aggregated"] + counts["missing_time"] == len(raw)
    assert counts["individual"] <= 200
    tick = next(l for l in layers(views(spec)["rca_events_ot"]) if mark_type(l) == "tick")
    messages = set(raw["description"])
    assert all(r["message"] in messages for r in rows(spec, tick))
    assert len(json.dumps(spec)) < 500_000
