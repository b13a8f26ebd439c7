"""A penalty *scan* (stability over penalties) against the fixed MBIC, on data with known truth.

Issue 3 asks whether the fixed penalty ``beta = 3 ln(n)`` (in long-run noise units) should
give way to one chosen per signal from a scan over penalties, in the spirit of CROPS
(Haynes, Eckley & Fearnhead 2017). The prototype (``rca._cpd_engine.PENALTY_SCAN``, off
by default) does, per track:

1. segment at the low end ``lo`` of the scan (tree, refinement, pruning, drift or bend
   check, exactly as at a fixed penalty);
2. backward elimination of those candidates down to no change at all
   (``prune_path``): the penalties at which the number of changes drops by one, i.e. the
   whole solution path over ``[lo, inf)`` for the price of one pruning;
3. choose the number of changes that is stable over the longest stretch of
   ``[lo, hi]`` on a log scale (on a tie, fewer changes) and prune at the geometric
   middle of that stretch (``stable_penalty``).

Variants (``lo, hi`` in multiples of ln n): ``scan2-4.5`` from the BIC of a change in
mean (2 ln n) to 1.5 x MBIC, a factor 1.5 either side of the MBIC; ``scan2-3`` from BIC to
MBIC (can only add changes); ``scan3-4.5`` and ``scan3-6`` with the MBIC as floor (can
only remove changes); ``m-`` scans the level and level-and-slope tracks only (the
variance track keeps the MBIC); ``fixedC`` is a fixed penalty C ln n, for comparison
(synthetic data and plants only: constants are never run on TCPD here).
``resid-both`` is not a scan: the MBIC, with the long-run variance re-measured on the
residuals of a first segmentation allowed to *fall* also when the first block scan
stopped at a jump (``rca._cpd_engine.RESIDUAL_BOTH_WAYS``), a test of whether the
noise scale rather than the penalty constant costs the missed steps.

Parts (``--parts``, default all): ``synthetic`` (nulls of white, AR(1) and random-walk
noise, steps and ramps with known truth; F1 with a margin of max(5, n/200), covering,
error of the number of changes), ``false`` (AR(1) phi = 0.95 and random walks, 10^5
samples, the seeds of ``changepoints_false_alarms.py``), ``plants`` (SKAB and TEP, as
``changepoints_plants.py``), ``tcpd`` (run once, for the variants settled on the other
parts only), ``speed`` (20 signals x 86,400 samples, one process, median of 3 alternating
rounds), ``inflation`` (the long-run variance the defaults measure on the synthetic
cases, against the truth).

Run: ``nice -n 10 .venv/bin/python benchmarks/changepoints_penalty_scan.py [--parts ...]``
"""

from __future__ import annotations

import argparse
import math
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

import rca.changepoints as cp
from rca import _cpd_engine as engine
from rca._cpd_metrics import clean_locations, covering, f_measure

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

VARIANTS = {"mbic": None, "scan2-4.5": (2.0, 4.5, True), "scan2-3": (2.0, 3.0, True),
            "scan3-4.5": (3.0, 4.5, True), "scan3-6": (3.0, 6.0, True),
            "m-scan2-4.5": (2.0, 4.5, False), "fixed2.75": (2.75, 2.75, True),
            "fixed2.5": (2.5, 2.5, True), "resid-both": None}
#: Settled on the synthetic, false-alarm and plant parts before TCPD was run.
TCPD_VARIANTS = ("mbic", "m-scan2-4.5", "scan3-4.5")


def use(variant):
    engine.RESIDUAL_BOTH_WAYS = variant == "resid-both"
    spec = VARIANTS[variant]
    engine.PENALTY_SCAN = None if spec is None else spec[:2]
    engine.SCAN_VARIANCE = True if spec is None else spec[2]


def detect(y, freq="s"):
    idx = pd.date_range("2024-01-01", periods=y.size, freq=freq, tz="UTC")
    res = cp.detect_changes(pd.Series(y, index=idx, name="x"))
    return [int(idx.get_loc(t)) for t in res["time"]]


# ------------------------------------------------------------------------ synthetic


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


def synthetic(variants, reps):
    print(f"\nSynthetic, {reps} series per case (same series for every variant)")
    rows = []
    for cname, make in cases():
        for v in variants:
            use(v)
            rng = np.random.default_rng(zlib.crc32(cname.encode()))
            for _ in range(reps):
                y, truth = make(rng)
                locs = clean_locations(detect(y), y.size)
                ann = {"truth": truth}
                f1 = f_measure(ann, locs, margin=max(5, y.size // 200))[0]
                rows.append((cname, v, f1, covering(ann, locs, y.size),
                             len(locs) - len(truth)))
    df = pd.DataFrame(rows, columns=["case", "variant", "f1", "cover", "kerr"])
    df["abs_kerr"] = df["kerr"].abs()
    null = df["case"].str.startswith("null")
    print("false changes per series (nulls):")
    print(df[null].pivot_table(index="case", columns="variant", values="kerr", sort=False)
          [list(variants)].round(2).to_string())
    print("|error of the number of changes| per series (with changes):")
    print(df[~null].pivot_table(index="case", columns="variant", values="abs_kerr", sort=False)
          [list(variants)].round(2).to_string())
    summary = df[~null].groupby("variant")[["f1", "cover", "abs_kerr"]].mean()
    summary["null false/series"] = df[null].groupby("variant")["kerr"].mean()
    print("mean over the cases with changes, and over the nulls:")
    print(summary.loc[list(variants)].round(3).to_string())


def inflation(reps):
    """What the defaults measure as long-run variance on the synthetic cases (no scan).

    For AR(1) noise of unit marginal variance the long-run variance is
    ``(1 + phi) / (1 - phi)`` and the short-term variance that the MAD of first
    differences measures is ``1 - phi``, so the true ``inflation`` is
    ``(1 + phi) / (1 - phi)^2``: 1 for white noise, 6 for phi = 0.5.
    """
    use("mbic")
    print(f"\nInflation measured by the defaults, {reps} series per case")
    for cname, make in cases():
        if "random walk" in cname or "AR0.9" in cname:
            continue
        phi = 0.0 if "white" in cname else float(cname.split("AR")[1].split()[0])
        rng = np.random.default_rng(zlib.crc32(cname.encode()))
        infl, found, true, resid = [], [], [], []
        for _ in range(reps):
            y, truth = make(rng)
            idx = pd.date_range("2024-01-01", periods=y.size, freq="s", tz="UTC")
            res = cp.detect_changes(pd.Series(y, index=idx, name="x"))
            info = res.attrs["settings"]["signals"]["x"]
            infl.append(info["inflation"])
            resid.append(info["long_run_basis"].startswith("residuals"))
            found.append(len(res))
            true.append(len(truth))
        print(f"  {cname:36s} true {(1 + phi) / (1 - phi) ** 2:4.1f}  measured median "
              f"{np.median(infl):6.2f}, 90th percentile {np.percentile(infl, 90):7.2f}; "
              f"re-measured on residuals {np.mean(resid):.2f}; changes found "
              f"{np.mean(found):.2f} of {np.mean(true):.1f}")


# ---------------------------------------------------------------------- false alarms


def false_alarms(variants, series=20, n=100_000):
    print(f"\nFalse changes per series, {series} series x {n} samples")
    idx = pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC")
    for phi in (0.95, 1.0):
        parts = []
        for v in variants:
            use(v)
            rng = np.random.default_rng(int(phi * 100) + 7)
            found = [len(cp.detect_changes(pd.Series(
                lfilter([1.0], [1.0, -phi], rng.normal(size=n)), index=idx, name="x")))
                for _ in range(series)]
            parts.append(f"{v} {np.mean(found):.2f}")
        print(f"  phi {phi:.2f}: " + "; ".join(parts))


# --------------------------------------------------------------------------- plants


def plants(variants):
    import changepoints_plants as plants_bench

    def make(v):
        def fn(frame):
            use(v)
            return plants_bench.rca_changes(frame)
        return fn

    plants_bench.DETECTORS.clear()
    for v in variants:
        plants_bench.DETECTORS[v] = make(v)
    plants_bench.skab(60)
    plants_bench.tep()


# ----------------------------------------------------------------------------- TCPD


def tcpd(variants):
    import changepoints_tcpd as tcpd_bench

    series = tcpd_bench.load()
    print(f"\nTCPD: {len(series)} series (variants settled before this was run)")
    for v in variants:
        use(v)
        f1s, covs, ks = [], [], []
        for _, y, ann in series:
            locs = clean_locations(tcpd_bench.rca_default(y), y.size)
            f1s.append(f_measure(ann, locs, margin=5)[0])
            covs.append(covering(ann, locs, y.size))
            ks.append(len(locs))
        print(f"  {v:12s} F1 {np.mean(f1s):.3f}  covering {np.mean(covs):.3f}  "
              f"changes/series {np.mean(ks):.2f}")


# ---------------------------------------------------------------------------- speed


def speed(variants, n_signals=20, n=86_400, rounds=3):
    from changepoints_speed import synthetic as make_signal

    rng = np.random.default_rng(2024)
    idx = pd.date_range("2024-01-01", periods=n, freq="s", tz="UTC")
    frame = pd.DataFrame({f"sig{j:02d}": make_signal(n, seed=10_000 + j,
                                                     n_changes=int(rng.integers(0, 5)))[0]
                          for j in range(n_signals)}, index=idx)
    times = {v: [] for v in variants}
    for _ in range(rounds):
        for v in variants:
            use(v)
            t0 = time.perf_counter()
            cp.detect_changes(frame, n_jobs=1)
            times[v].append(time.perf_counter() - t0)
    base = float(np.median(times[variants[0]]))
    print(f"\nSpeed: {n_signals} signals x {n} samples, n_jobs=1, median of {rounds} rounds")
    for v in variants:
        med = float(np.median(times[v]))
        print(f"  {v:12s} {med:6.2f} s  ({med / base:.2f}x {variants[0]})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parts", nargs="*",
                    default=["synthetic", "inflation", "false", "plants", "tcpd", "speed"])
    ap.add_argument("--reps", type=int, default=40)
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"penalty scan benchmarks, commit {commit}")
    all_variants = list(VARIANTS)
    scans = ["mbic"] + [v for v in all_variants if "scan" in v]
    if "synthetic" in args.parts:
        synthetic(all_variants, args.reps)
    if "inflation" in args.parts:
        inflation(args.reps)
    if "false" in args.parts:
        false_alarms(all_variants)
    if "plants" in args.parts:
        plants(scans + ["fixed2.75", "resid-both"])
    if "tcpd" in args.parts:
        tcpd(list(TCPD_VARIANTS))
    if "speed" in args.parts:
        speed(["mbic", "m-scan2-4.5", "scan2-4.5"])
    use("mbic")


if __name__ == "__main__":
    main()
