"""Benchmark: load + align a large historian export and an event log.

Generates (once, in a temporary folder) a long-layout historian export of about 2 million
rows (50 tags, 8 hours, irregular exception-reported timestamps with milliseconds, local
time, ';' separated) and 100,000 events, then measures in this one process:

* ``rca``: ``read_signals`` + ``read_events`` + ``choose_grid`` + ``align``;
* plain pandas on the same files: ``read_csv``, ``to_datetime``, ``pivot_table``,
  ``resample(...).last()`` with a forward fill limited to the hold time.

Each is run ``--repeat`` times (best time kept) and the ratio is printed. Peak memory is
measured in a fresh child process for each (``ru_maxrss`` minus the child's footprint after
imports, from VmHWM), as a multiple of the CSV size.

Run: ``python benchmarks/load_align.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

N_TAGS = 50
HOURS = 8
ROWS_TARGET = 2_000_000
N_EVENTS = 100_000
T0 = pd.Timestamp("2026-03-04 06:00", tz="Europe/Berlin")


def make_files(folder: Path, seed: int = 0) -> tuple[Path, Path]:
    import pyarrow as pa
    import pyarrow.csv as pcsv

    rng = np.random.default_rng(seed)
    hist = folder / "historian_export.csv"
    events = folder / "events.csv"
    if hist.exists() and events.exists():
        return hist, events
    per_tag = ROWS_TARGET // N_TAGS
    span_ms = HOURS * 3600 * 1000
    times, tags, values, quality = [], [], [], []
    for k in range(N_TAGS):
        # Exception reporting: irregular intervals, denser when the value moves.
        t = np.sort(rng.choice(span_ms, size=per_tag, replace=False))
        v = np.cumsum(rng.normal(0, 0.1, per_tag)) + 50 + k
        times.append(t)
        tags.append(np.full(per_tag, k))
        values.append(v)
        q = np.where(rng.random(per_tag) < 0.002, "Bad", "Good")
        quality.append(q)
    t = np.concatenate(times)
    order = np.argsort(t, kind="stable")  # exported in time order, tags interleaved
    stamps = (T0.tz_localize(None) + pd.to_timedelta(np.concatenate(times)[order], unit="ms"))
    text_t = stamps.strftime("%Y-%m-%d %H:%M:%S.%f").str.slice(0, 23)
    tag_names = np.array([f"L3.UNIT{k // 10}.TAG{k:03d}.PV" for k in range(N_TAGS)], dtype=object)
    table = pa.table(
        {
            "Timestamp": pa.array(np.asarray(text_t, dtype=object)),
            "TagName": pa.array(tag_names[np.concatenate(tags)[order]]),
            "Value": pa.array(np.round(np.concatenate(values)[order], 4)),
            "Quality": pa.array(np.concatenate(quality)[order]),
        }
    )
    pcsv.write_csv(table, hist, write_options=pcsv.WriteOptions(delimiter=";", quoting_style="none"))
    et = np.sort(rng.integers(0, span_ms, N_EVENTS))
    estamps = (T0.tz_convert("UTC").tz_localize(None) + pd.to_timedelta(et, unit="ms")).strftime(
        "%Y-%m-%dT%H:%M:%S.%f"
    ).str.slice(0, 23) + "Z"
    hosts = np.array([f"srv-{i:02d}" for i in range(40)], dtype=object)
    kinds = np.array(["login", "logout", "backup", "alert", "change", "restart"], dtype=object)
    ev = pa.table(
        {
            "timestamp": pa.array(np.asarray(estamps, dtype=object)),
            "host": pa.array(hosts[rng.integers(0, 40, N_EVENTS)]),
            "type": pa.array(kinds[rng.integers(0, len(kinds), N_EVENTS)]),
            "severity": pa.array(np.array(["info", "warning", "error"], dtype=object)[rng.integers(0, 3, N_EVENTS)]),
            "summary": pa.array(np.array([f"message {i}" for i in range(N_EVENTS)], dtype=object)),
        }
    )
    pcsv.write_csv(ev, events)
    return hist, events


def run_rca(hist: Path, events: Path):
    from rca.alignment import align, choose_grid
    from rca.readers import read_events, read_signals

    sig = read_signals(
        hist, columns={"time": "Timestamp", "tag": "TagName", "value": "Value", "quality": "Quality"},
        timezone="Europe/Berlin", good_quality=["Good"], name="historian",
    )
    ev = read_events(events, columns={"time": "timestamp", "source": "host", "kind": "type", "severity": "severity",
                                      "message": "summary"})
    grid = choose_grid(sig.samples, grid="1s")
    wide = align(sig.samples, grid=grid, max_gap="5min")
    return wide.shape, len(ev.events)


def run_pandas(hist: Path, events: Path):
    df = pd.read_csv(hist, sep=";")
    df = df[df["Quality"] == "Good"]
    df["Timestamp"] = (
        pd.to_datetime(df["Timestamp"], format="%Y-%m-%d %H:%M:%S.%f")
        .dt.tz_localize("Europe/Berlin", ambiguous="NaT", nonexistent="NaT")
        .dt.tz_convert("UTC")
    )
    df = df.drop_duplicates(["TagName", "Timestamp"], keep="last")
    wide = df.pivot_table(index="Timestamp", columns="TagName", values="Value", aggfunc="last")
    wide = wide.resample("1s").last().ffill(limit=300)
    ev = pd.read_csv(events)
    ev["timestamp"] = pd.to_datetime(ev["timestamp"], format="ISO8601", utc=True)
    ev = ev.sort_values("timestamp")
    return wide.shape, len(ev)


def _high_water_mark() -> int:
    """Peak resident memory of this process [bytes] (VmHWM; unlike ru_maxrss it is not
    inherited from the parent across exec)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _child(which, hist, events, queue):
    base = _high_water_mark()
    (run_rca if which == "rca" else run_pandas)(Path(hist), Path(events))
    peak = _high_water_mark()
    queue.put((base, peak))


def peak_memory(which, hist, events):
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    # Import the libraries before measuring the baseline footprint.
    proc = ctx.Process(target=_child_with_imports, args=(which, str(hist), str(events), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def _child_with_imports(which, hist, events, queue):
    import pyarrow.csv  # noqa: F401

    import rca.alignment  # noqa: F401
    import rca.readers  # noqa: F401

    _child(which, hist, events, queue)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", default=os.path.join(tempfile.gettempdir(), "rca-bench-load"))
    args = parser.parse_args(argv)
    folder = Path(args.folder)
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    hist, events = make_files(folder)
    print(f"files: {hist} ({hist.stat().st_size / 1e6:.1f} MB), {events} ({events.stat().st_size / 1e6:.1f} MB); "
          f"generated in {time.perf_counter() - t:.1f} s")
    csv_bytes = hist.stat().st_size + events.stat().st_size
    timings = {}
    for name, fn in (("rca", run_rca), ("pandas", run_pandas)):
        best = np.inf
        for _ in range(args.repeat):
            gc.collect()
            t = time.perf_counter()
            shape, n_events = fn(hist, events)
            best = min(best, time.perf_counter() - t)
        timings[name] = best
        print(f"{name:>7}: load + align {best:6.2f} s  (grid {shape[0]:,} x {shape[1]}, {n_events:,} events)")
    print(f"speed-up rca vs plain pandas: {timings['pandas'] / timings['rca']:.1f}x  (goal >= 3x)")
    for name in ("rca", "pandas"):
        base, peak = peak_memory(name, hist, events)
        extra = peak - base
        print(f"{name:>7}: peak memory {extra / 1e6:7.0f} MB above imports = {extra / csv_bytes:.2f} x CSV size "
              f"({csv_bytes / 1e6:.0f} MB)" + ("  (goal <= 3x)" if name == "rca" else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
