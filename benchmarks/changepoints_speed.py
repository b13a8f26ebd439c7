"""Speed and F1 of rca.detect_changes against ruptures on the same synthetic series.

Part 1 -- one series of n = 10^3, 10^4, 10^5 samples (piecewise-constant mean, four
changes of 1.5 to 4 noise sd, Gaussian noise), scored with F1 at a margin of 5 samples
(TCPDBench's definition with one annotator). Baselines, each given the same
automatic penalty as rca (3 ln(n) times the noise variance estimated from the MAD of
first differences):

* ruptures ``Pelt(model="l2")`` (its defaults: ``min_size=2, jump=5``);
* ruptures ``Binseg(model="l2")`` (same defaults);
* ruptures ``KernelCPD(kernel="linear")`` (C implementation, ``min_size=2``).

A run that would take more than a minute (extrapolated quadratically from the previous
size) is skipped and reported as such. rca's time is the best of 5 calls, each ruptures
engine is timed once. The whole table is measured ``--single-rounds`` times (default 3; the
ratio against Pelt at 10^4 moves with the load by +-20 %): the table of the first round is
printed, then every ratio of every round and their median.

Part 2 -- 1,000 signals x 86,400 samples (one day at 1 s) end to end through
``detect_changes`` on a wide DataFrame, with ``n_jobs="auto"`` (all cores) and a
100-signal slice with ``n_jobs=1``. The same calls are made, alternately and in the same
process, with the change-point code of a *baseline* commit (``--baseline``, default
``6ec5c98``: before ramps and the speed work of round 2), loaded from git into a private
package; the machine is shared, so each timing is the median of ``--rounds`` runs and
the ratio is taken within the run.

Run: ``nice -n 10 .venv/bin/python benchmarks/changepoints_speed.py [--skip-single]
[--single-rounds 3] [--signals 1000] [--rounds 3] [--baseline COMMIT]``
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

import rca.changepoints as cp
from rca._cpd_metrics import f_measure

ROOT = Path(__file__).resolve().parents[1]
LIMIT_S = 60.0


def synthetic(n, seed, n_changes=4):
    """Piecewise-constant signal with ``n_changes`` changes; returns (x, true positions)."""
    rng = np.random.default_rng(seed)
    gap = n // (n_changes + 1)
    jitter = rng.integers(-gap // 4, gap // 4 + 1, n_changes)
    cps = np.sort(rng.choice(np.arange(1, n_changes + 1) * gap + jitter, n_changes,
                             replace=False))
    level = np.zeros(n)
    for c in cps:
        level[c:] += rng.choice([-1, 1]) * rng.uniform(1.5, 4.0)
    return level + rng.normal(0.0, 1.0, n), [int(c) for c in cps]


def noise_var(x):
    d = np.diff(x)
    return (1.4826 * np.median(np.abs(d - np.median(d))) / math.sqrt(2)) ** 2


def run_rca(x):
    idx = pd.date_range("2024-01-01", periods=x.size, freq="s", tz="UTC")
    res = cp.detect_changes(pd.Series(x, index=idx))
    return sorted(int(idx.get_loc(t)) for t in res["time"])


def run_ruptures(name):
    import ruptures as rpt

    def fn(x):
        pen = 3 * math.log(x.size) * noise_var(x)
        if name == "pelt":
            algo = rpt.Pelt(model="l2")
        elif name == "binseg":
            algo = rpt.Binseg(model="l2")
        else:
            algo = rpt.KernelCPD(kernel="linear", min_size=2)
        return sorted(algo.fit(x).predict(pen=pen)[:-1])
    return fn


def f1(truth, found):
    return f_measure({"truth": truth}, found, margin=5)[0]


def timed(fn, x, repeat):
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(x)
        best = min(best, time.perf_counter() - t0)
    return best, out


def part1(rounds=3):
    tables = [_part1_table() for _ in range(rounds)]
    _print_part1(tables[0])
    print(f"\nrca faster by, in each of {rounds} rounds (median):")
    for i, row in enumerate(tables[0]):
        for name in row:
            if name in ("n", "rca fast") or row[name][0] is None:
                continue
            ratios = [t[i][name][0] / t[i]["rca fast"][0] for t in tables if t[i][name][0] is not None]
            fmt = (lambda r: f"{r:.0f}x") if min(ratios) >= 10 else (lambda r: f"{r:.1f}x")
            print(f"{row['n']:8d}  {name:28s} " + ", ".join(map(fmt, ratios))
                  + f"  (median {fmt(np.median(ratios))})")


def _part1_table():
    sizes = [1_000, 10_000, 100_000]
    methods = {"rca fast": run_rca, "ruptures Pelt(l2)": run_ruptures("pelt"),
               "ruptures Binseg(l2)": run_ruptures("binseg"),
               "ruptures KernelCPD(linear)": run_ruptures("kernel")}
    last = {}
    table = []
    for n in sizes:
        x, truth = synthetic(n, seed=n)
        row = {"n": n}
        for name, fn in methods.items():
            prev = last.get(name)
            if prev is not None and prev[1] * (n / prev[0]) ** 2 > LIMIT_S:
                row[name] = (None, None, f"skipped (~{prev[1] * (n / prev[0]) ** 2:.0f} s "
                                         f"extrapolated)")
                continue
            repeat = 5 if name == "rca fast" else 1
            t, found = timed(fn, x, repeat)
            last[name] = (n, t)
            row[name] = (t, f1(truth, found), f"{len(found)} found")
        table.append(row)
    return table


def _print_part1(table):
    methods = [k for k in table[0] if k != "n"]
    print("\nPart 1: one series, F1 at margin 5 (4 true changes)")
    print(f"{'n':>8s}  {'method':28s} {'time [s]':>10s} {'F1':>6s} {'rca speed-up':>13s}")
    for row in table:
        base = row["rca fast"][0]
        for name in methods:
            t, f, note = row[name]
            if t is None:
                print(f"{row['n']:8d}  {name:28s} {'-':>10s} {'-':>6s} {'':>13s}  {note}")
                continue
            ratio = "" if name == "rca fast" else f"{t / base:12.0f}x"
            print(f"{row['n']:8d}  {name:28s} {t:10.4f} {f:6.3f} {ratio:>13s}  {note}")


BASELINE_FILES = ("_cpd_engine.py", "_cpd_ruptures.py", "changepoints.py")


def load_baseline(commit):
    """``rca.changepoints`` as it was at ``commit``, as a private package ``rca_baseline``."""
    tmp = Path(tempfile.mkdtemp(prefix="rca_baseline_"))
    pkg = tmp / "rca_baseline"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in BASELINE_FILES:
        text = subprocess.run(["git", "show", f"{commit}:rca/{name}"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout
        for mod in ("_cpd_engine", "_cpd_ruptures"):
            text = text.replace(f"from rca import {mod}", f"from rca_baseline import {mod}")
        (pkg / name).write_text(text)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("rca_baseline.changepoints")


def part2(baseline, n_signals=1000, n=86_400, rounds=3):
    rng = np.random.default_rng(2024)
    idx = pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC")
    t0 = time.perf_counter()
    data = np.empty((n, n_signals))
    truth = {}
    for j in range(n_signals):
        x, cps = synthetic(n, seed=10_000 + j, n_changes=int(rng.integers(0, 5)))
        data[:, j] = x
        truth[f"sig{j:04d}"] = cps
    frame = pd.DataFrame(data, index=idx, columns=list(truth))
    del data
    print(f"\nPart 2: {n_signals} signals x {n} samples ({frame.values.nbytes / 1e6:.0f} MB), "
          f"generated in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} cores; "
          f"median of {rounds} alternating rounds, this code vs the baseline")
    sub = frame.iloc[:, :100]
    codes = {"this code": cp, "baseline": baseline}
    res = {}
    for label, args in (("100 signals, n_jobs=1", (sub, 1)),
                        (f"{n_signals} signals, n_jobs=auto", (frame, "auto"))):
        times = {k: [] for k in codes}
        for _ in range(rounds):
            for name, mod in codes.items():
                t0 = time.perf_counter()
                out = mod.detect_changes(args[0], n_jobs=args[1])
                times[name].append(time.perf_counter() - t0)
                res[(label, name)] = out
        med = {k: float(np.median(v)) for k, v in times.items()}
        jobs = res[(label, "this code")].attrs["settings"]["n_jobs"]
        print(f"  {label} ({jobs} process(es)): this code {med['this code']:7.2f} s, "
              f"baseline {med['baseline']:7.2f} s, ratio baseline/this "
              f"{med['baseline'] / med['this code']:.2f}x  (runs: "
              + ", ".join(f"{k} " + "/".join(f"{t:.1f}" for t in v) for k, v in times.items())
              + f"); load average now {os.getloadavg()[0]:.1f}")
    full = res[(f"{n_signals} signals, n_jobs=auto", "this code")]
    old = res[(f"{n_signals} signals, n_jobs=auto", "baseline")]
    for label, out in (("this code", full), ("baseline", old)):
        scores = []
        for name, cps in truth.items():
            found = sorted(int(idx.get_loc(t)) for t in out.loc[out["signal"] == name, "time"])
            scores.append(f1(cps, found))
        kinds = out["kind"].value_counts().to_dict()
        print(f"  {label}: mean F1 (margin 5) over the {n_signals} signals {np.mean(scores):.3f}; "
              f"{len(out)} changes found ({kinds}), {sum(map(len, truth.values()))} true")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-wide", action="store_true")
    ap.add_argument("--skip-single", action="store_true")
    ap.add_argument("--signals", type=int, default=1000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--single-rounds", type=int, default=3)
    ap.add_argument("--baseline", default="6ec5c98")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"changepoints speed benchmark, commit {commit}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (the machine is shared)")
    if not args.skip_single:
        part1(args.single_rounds)
    if not args.skip_wide:
        part2(load_baseline(args.baseline), n_signals=args.signals, rounds=args.rounds)


if __name__ == "__main__":
    main()
