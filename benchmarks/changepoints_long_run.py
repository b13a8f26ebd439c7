"""The long-run variance rule of ``detect_changes`` on synthetic series with known truth.

``detect_changes`` scales its penalty and ``strength`` by each signal's long-run noise
variance, estimated at block lengths 1, 2, 4, ... and made into one value by the rule
``long_run``: ``"plateau"`` (the default: the top of a non-decreasing fit of the block
estimates) or ``"largest"`` (the largest block estimate; the investigation's rule, see
``rca.changepoints.INVESTIGATION_LONG_RUN``). This script compares the two on data whose
truth is known, in one run:

* ``synthetic``: nulls (white noise, AR(1) with phi = 0.5, 0.9, 0.95 at n = 300, 1,000,
  10,000, a random walk of 1,000) and series with 3-8 steps of 0.5-5 long-run sd or a ramp
  between plateaus, in white or AR(0.5) noise, n = 300-5,000; 40 series per case (the same
  series for both rules). F1 with a margin of max(5, n/200), covering, and the error of the
  number of changes; false changes per series on the nulls.
* ``inflation``: the long-run / short-term variance each rule measures, against the truth
  ``(1 + phi) / (1 - phi)^2``.

Plant data and long AR(1) series are in ``changepoints_plants.py`` and
``changepoints_false_alarms.py`` (both report the two rules); TCPD in
``changepoints_tcpd.py``. The cases are those of the penalty-scan study (``518a6e5``).

Run: ``nice -n 10 .venv/bin/python benchmarks/changepoints_long_run.py [--parts synthetic inflation] [--reps 40]``
"""

from __future__ import annotations

import argparse
import math
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

import rca.changepoints as cp
from rca._cpd_metrics import clean_locations, covering, f_measure

ROOT = Path(__file__).resolve().parents[1]
RULES = ("plateau", "largest")


def detect(y, rule):
    idx = pd.date_range("2024-01-01", periods=y.size, freq="s", tz="UTC")
    res = cp.detect_changes(pd.Series(y, index=idx, name="x"), long_run=rule)
    return [int(idx.get_loc(t)) for t in res["time"]], res.attrs["settings"]["signals"]["x"]


def ar_noise(rng, n, phi):
    """AR(1) noise with unit marginal sd (200 samples of burn-in)."""
    x = lfilter([1.0], [1.0, -phi], rng.normal(size=n + 200))[200:]
    return x * math.sqrt(1 - phi ** 2)


def steps(rng, n, k, phi, lo, hi):
    """``k`` steps of lo..hi long-run sd, at least 30 samples apart, in AR(1) noise."""
    while True:
        cps = np.sort(rng.choice(np.arange(30, n - 30), size=k, replace=False))
        if np.all(np.diff(cps) >= 30):
            break
    lr = math.sqrt((1 + phi) / (1 - phi))
    jumps = rng.uniform(lo, hi, k) * rng.choice([-1, 1], k) * lr
    level = np.repeat(np.cumsum(np.concatenate(([0.0], jumps))),
                      np.diff(np.concatenate(([0], cps, [n]))))
    return level + ar_noise(rng, n, phi), cps.tolist()


def ramp(rng, n, phi):
    """One ramp of 3-8 sd between two plateaus (truth: its start and its end)."""
    while True:
        a, b = sorted(rng.choice(np.arange(50, n - 50), 2, replace=False))
        if b - a >= 40:
            break
    h = rng.uniform(3, 8) * rng.choice([-1, 1])
    x = np.arange(n)
    return np.clip((x - a) / (b - a), 0, 1) * h + ar_noise(rng, n, phi), [int(a), int(b)]


def cases():
    out = []
    for n in (300, 1000, 10000):
        out.append((f"null white n={n}", lambda rng, n=n: (ar_noise(rng, n, 0.0), [])))
    for phi in (0.5, 0.9, 0.95):
        for n in (300, 1000, 10000):
            out.append((f"null AR{phi} n={n}",
                        lambda rng, n=n, phi=phi: (ar_noise(rng, n, phi), [])))
    out.append(("null random walk n=1000", lambda rng: (np.cumsum(rng.normal(size=1000)), [])))
    for phi in (0.0, 0.5):
        for n in (300, 1000):
            out.append((f"4 steps 1-3 sdLR AR{phi} n={n}",
                        lambda rng, n=n, phi=phi: steps(rng, n, 4, phi, 1.0, 3.0)))
            out.append((f"3 steps 0.5-1.5 sdLR AR{phi} n={n}",
                        lambda rng, n=n, phi=phi: steps(rng, n, 3, phi, 0.5, 1.5)))
        out.append((f"8 steps 0.7-5 sdLR AR{phi} n=5000",
                    lambda rng, phi=phi: steps(rng, 5000, 8, phi, 0.7, 5.0)))
        out.append((f"ramp AR{phi} n=1000", lambda rng, phi=phi: ramp(rng, 1000, phi)))
    return out


def run(reps):
    rows = []
    for cname, make in cases():
        for rule in RULES:
            rng = np.random.default_rng(zlib.crc32(cname.encode()))
            for _ in range(reps):
                y, truth = make(rng)
                found, info = detect(y, rule)
                locs = clean_locations(found, y.size)
                ann = {"truth": truth}
                f1 = f_measure(ann, locs, margin=max(5, y.size // 200))[0]
                rows.append((cname, rule, f1, covering(ann, locs, y.size), len(locs) - len(truth),
                             info["inflation"]))
    return pd.DataFrame(rows, columns=["case", "rule", "f1", "cover", "kerr", "inflation"])


def synthetic(df, reps):
    print(f"\nSynthetic, {reps} series per case (the same series for both rules)")
    df = df.assign(abs_kerr=df["kerr"].abs())
    null = df["case"].str.startswith("null")
    print("false changes per series (nulls):")
    print(df[null].pivot_table(index="case", columns="rule", values="kerr", sort=False)[list(RULES)]
          .round(2).to_string())
    print("|error of the number of changes| per series (with changes):")
    print(df[~null].pivot_table(index="case", columns="rule", values="abs_kerr", sort=False)[list(RULES)]
          .round(2).to_string())
    summary = df[~null].groupby("rule")[["f1", "cover", "abs_kerr"]].mean()
    summary["null false/series"] = df[null].groupby("rule")["kerr"].mean()
    print("mean over the cases with changes, and over the nulls:")
    print(summary.loc[list(RULES)].round(3).to_string())


def inflation(df, reps):
    print(f"\nInflation (long-run / short-term variance) measured, {reps} series per case: median (90th percentile)")
    out = []
    for cname, g in df.groupby("case", sort=False):
        if "random walk" in cname or "AR0.9" in cname:
            continue
        phi = 0.0 if "white" in cname else float(cname.split("AR")[1].split()[0])
        cells = {rule: f"{g[g.rule == rule].inflation.median():.2f} ({g[g.rule == rule].inflation.quantile(0.9):.2f})"
                 for rule in RULES}
        out.append({"case": cname, "true": round((1 + phi) / (1 - phi) ** 2, 1), **cells})
    print(pd.DataFrame(out).to_string(index=False))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", nargs="*", default=["synthetic", "inflation"])
    ap.add_argument("--reps", type=int, default=40)
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"long-run variance rules, commit {commit}")
    df = run(args.reps)
    if "synthetic" in args.parts:
        synthetic(df, args.reps)
    if "inflation" in args.parts:
        inflation(df, args.reps)


if __name__ == "__main__":
    main()
