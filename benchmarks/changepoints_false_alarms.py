"""False change points on autocorrelated noise without any change.

AR(1) noise, phi = 0.95, 10^5 samples per series (a strongly autocorrelated process
signal at 1 s: its correlation time is 20 samples). Compares in the same run

* ``rca defaults``: ``detect_changes(series)``;
* ``white-noise penalty``: the same engine with the penalty a white-noise model would
  use, 3 ln(n) in units of the *short-term* noise variance, i.e. with rca's
  autocorrelation correction switched off (``penalty = 3 ln(n) / inflation``);
* ``largest``: the defaults with ``long_run="largest"`` (the investigation's rule);
* ``baseline``: the defaults of the change-point code at a baseline commit
  (``--baseline``, default ``6ec5c98``, before ramps), loaded from git;

and also reports a few lower phi, and random walks (no change either). Goal: at most one
false change per series on average with the defaults.

Run: ``nice -n 10 .venv/bin/python benchmarks/changepoints_false_alarms.py [--series 20]
[--baseline COMMIT]``
"""

from __future__ import annotations

import argparse
import math
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

import rca.changepoints as cp

ROOT = Path(__file__).resolve().parents[1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--series", type=int, default=20)
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--baseline", default="6ec5c98")
    args = ap.parse_args()
    from changepoints_speed import load_baseline

    baseline = load_baseline(args.baseline)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"false alarms on AR(1) noise, {args.series} series x {args.n} samples, "
          f"commit {commit}")
    idx = pd.date_range("2024-01-01", periods=args.n, freq="s", tz="UTC")
    print(f"{'phi':>5s} {'rca defaults':>14s} {'largest':>8s} {'white-noise pen.':>17s} {'baseline':>9s} "
          f"{'inflation (median)':>19s} {'largest':>8s} {'true (1+phi)/(1-phi)^2':>23s} {'s/series':>9s}")
    for phi in (0.0, 0.5, 0.9, 0.95, 1.0):
        rng = np.random.default_rng(int(phi * 100) + 7)
        fa, fl, fw, fb, infl, infl_l, secs = [], [], [], [], [], [], []
        for _ in range(args.series):
            x = lfilter([1.0], [1.0, -phi], rng.normal(size=args.n))  # phi = 1: random walk
            s = pd.Series(x, index=idx, name="x")
            t0 = time.perf_counter()
            res = cp.detect_changes(s)
            secs.append(time.perf_counter() - t0)
            info = res.attrs["settings"]["signals"]["x"]
            fa.append(len(res))
            infl.append(info["inflation"])
            white = cp.detect_changes(s, penalty=3 * math.log(args.n) / info["inflation"])
            fw.append(len(white))
            fb.append(len(baseline.detect_changes(s)))
            big = cp.detect_changes(s, long_run="largest")
            fl.append(len(big))
            infl_l.append(big.attrs["settings"]["signals"]["x"]["inflation"])
        true = (1 + phi) / (1 - phi) ** 2 if phi < 1 else float("inf")
        print(f"{phi:5.2f} {np.mean(fa):14.2f} {np.mean(fl):8.2f} {np.mean(fw):17.1f} {np.mean(fb):9.2f} "
              f"{np.median(infl):19.1f} {np.median(infl_l):8.1f} {true:23.1f} {np.median(secs):9.3f}")
    print("(columns 2-5: mean number of false change points per series; 'largest': the defaults with "
          "long_run='largest', the investigation's rule)")


if __name__ == "__main__":
    main()
