"""Payload and speed of the timeline chart: 50 signals x 8 h at 1 s and 10,000 events.

Measures, in one process:

- the reduced timeline (``rca.charts.timeline_chart``): build time, ``to_dict`` time,
  spec size in bytes (JSON as Python writes it, and compact), rows in its datasets,
  and the time vl-convert takes to render it to SVG (no browser);
- the baseline: the same data charted naively (one altair line chart over the long
  frame of every sample, events as ticks, row limit lifted for the measurement only):
  its ``to_dict`` time, spec size and rows;

and prints the ratios. Run with ``nice -n 10 .venv/bin/python benchmarks/charts_payload.py``
(``--no-baseline`` skips the naive spec, which needs about 1 GB of memory).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

import altair as alt
import numpy as np
import pandas as pd
import vl_convert as vlc

from rca.charts import timeline_chart

N_SAMPLES = 8 * 3600
N_SIGNALS = 50
N_EVENTS = 10_000


def make_data(seed: int = 0):
    rng = np.random.default_rng(seed)
    index = pd.date_range("2024-03-31 00:00", periods=N_SAMPLES, freq="1s", tz="UTC", name="time")
    values = rng.normal(size=(N_SAMPLES, N_SIGNALS)).cumsum(axis=0) * 0.05 + rng.normal(
        size=(N_SAMPLES, N_SIGNALS)
    )
    names = [f"PK5.TIC{i:03d}.PV" if i < 30 else f"srv{i:02d}/cpu" for i in range(N_SIGNALS)]
    signals = pd.DataFrame(values, index=index, columns=names)
    signals.iloc[5_000:5_600, 3] = np.nan
    info = pd.DataFrame({"domain": ["OT"] * 30 + ["IT"] * 20}, index=names)
    kinds = rng.choice(["HI", "LO", "HIHI", "login", "change", "backup"], size=N_EVENTS,
                       p=[0.45, 0.2, 0.02, 0.2, 0.08, 0.05])
    events = pd.DataFrame({
        "time": index[0] + pd.to_timedelta(np.sort(rng.uniform(0, N_SAMPLES, N_EVENTS)), unit="s"),
        "source": rng.choice(["PK5.TIC101", "fw-core-02", "jump-01"], size=N_EVENTS),
        "kind": kinds,
        "message": [f"event {i}: alarm text of typical length for a plant historian" for i in range(N_EVENTS)],
        "severity": np.where(kinds == "HIHI", "critical", "low"),
        "domain": np.where(np.isin(kinds, ["HI", "LO", "HIHI"]), "OT", "IT"),
    })
    return signals, info, events


def timed(fn, repeat: int):
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def spec_numbers(spec: dict) -> dict:
    return {
        "bytes": len(json.dumps(spec)),
        "bytes_compact": len(json.dumps(spec, separators=(",", ":"))),
        "rows": sum(len(v) for v in spec.get("datasets", {}).values()),
        "datasets": len(spec.get("datasets", {})),
        "max_rows": max((len(v) for v in spec.get("datasets", {}).values()), default=0),
    }


def naive_spec(signals: pd.DataFrame, events: pd.DataFrame) -> dict:
    long = signals.reset_index().melt(id_vars="time", var_name="signal", value_name="value")
    lines = alt.Chart(long).mark_line().encode(x="time:T", y="value:Q", color="signal:N")
    ticks = alt.Chart(events).mark_tick().encode(x="time:T", y="kind:N", tooltip=["message:N"])
    with alt.data_transformers.disable_max_rows():
        return alt.vconcat(lines, ticks).to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each timing (median)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the naive un-reduced spec")
    args = parser.parse_args()

    signals, info, events = make_data()
    print(f"input: {N_SIGNALS} signals x {N_SAMPLES:,} samples = {signals.size:,} values, "
          f"{len(events):,} events")

    def build():
        return timeline_chart(signals, events, signal_info=info, timezone="Europe/Berlin",
                              incident_start=signals.index[14_400])

    build_s, chart = timed(build, args.repeat)
    to_dict_s, spec = timed(chart.to_dict, args.repeat)
    svg_s, svg = timed(lambda: vlc.vegalite_to_svg(spec, vl_version="6.4"), max(1, args.repeat - 1))
    reduced = spec_numbers(spec)
    meta = spec["usermeta"]["rca"]
    print("\nreduced timeline (rca.charts.timeline_chart)")
    print(f"  build                {build_s:8.2f} s")
    print(f"  to_dict              {to_dict_s:8.2f} s")
    print(f"  spec size            {reduced['bytes']:>12,} bytes ({reduced['bytes_compact']:,} compact)")
    print(f"  rows in datasets     {reduced['rows']:>12,} in {reduced['datasets']} datasets "
          f"(largest {reduced['max_rows']:,})")
    print(f"  signal points        {sum(s['kept'] for s in meta['signals']['per_signal'].values()):>12,} "
          f"({meta['signals']['method']}, {meta['signals']['buckets']} buckets)")
    counts = meta["events"]["counts"]
    print(f"  events               {counts['individual']:>12,} individual, {counts['aggregated']:,} "
          f"in {counts['bins']:,} cells")
    print(f"  vl-convert SVG       {svg_s:8.2f} s ({len(svg):,} bytes of SVG)")

    if args.no_baseline:
        return
    naive_s, naive = timed(lambda: naive_spec(signals, events), 1)
    base = spec_numbers(naive)
    print("\nbaseline: naive un-reduced spec (every sample, every event)")
    print(f"  build + to_dict      {naive_s:8.2f} s")
    print(f"  spec size            {base['bytes']:>12,} bytes")
    print(f"  rows in datasets     {base['rows']:>12,}")
    print("\nratios (naive / reduced)")
    print(f"  spec size            {base['bytes'] / reduced['bytes']:8.1f} x")
    print(f"  rows                 {base['rows'] / reduced['rows']:8.1f} x")
    print(f"  build + to_dict time {naive_s / (build_s + to_dict_s):8.1f} x")


if __name__ == "__main__":
    main()
