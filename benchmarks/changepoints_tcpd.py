"""Quality of rca.detect_changes on the Turing Change Point Dataset (TCPD).

Scores every univariate real series present in ``../shared/datasets/tcpd`` (the
``quality_control_*`` series and the 2-D ``run_log`` are left out) with TCPDBench's
F1 (margin 5) and segmentation covering, averaged over annotators, and compares in the
same run with

* ``zero``: no change points at all;
* ``binseg (MBIC)``: ruptures ``Binseg(model="l2")`` on the standardised series with
  the penalty 3 ln(n), the set-up that reproduces TCPD's published default binseg;
* ``rca defaults``: ``rca.detect_changes(series)`` with every option at its default;
* ``rca levels only``: the same with ``model="mean"`` (no ramps, no variance track);
* ``rca long_run=largest``: the defaults with the long-run variance read as the largest
  block estimate (the investigation's rule, and the default before the plateau);
* ``rca baseline``: the defaults of the change-point code at a baseline commit
  (``--baseline``, default ``6ec5c98``, before ramps), loaded from git.

Run: ``.venv/bin/python benchmarks/changepoints_tcpd.py [--per-series] [--baseline COMMIT]``
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import time
from pathlib import Path

import numpy as np
import pandas as pd

import rca.changepoints as cp
from rca._cpd_metrics import clean_locations, covering, f_measure

ROOT = Path(__file__).resolve().parents[1]
TCPD = ROOT.parent / "shared" / "datasets" / "tcpd"


def load():
    annotations = json.loads((TCPD / "annotations.json").read_text())
    out = []
    for path in sorted((TCPD / "datasets").glob("*/*.json")):
        data = json.loads(path.read_text())
        name = data["name"]
        if name.startswith("quality_control") or data["n_dim"] != 1:
            continue
        raw = data["series"][0]["raw"]
        y = np.array([np.nan if v is None else float(v) for v in raw])
        out.append((name, y, annotations[name]))
    return out


def rca_default(y, module=cp, **options):
    idx = pd.date_range("2000-01-01", periods=y.size, freq="D", tz="UTC")
    res = module.detect_changes(pd.Series(y, index=idx), **options)
    return [int(idx.get_loc(t)) for t in res["time"]]


def zero(y):
    return []


def binseg_mbic(y):
    import ruptures as rpt

    ok = np.flatnonzero(np.isfinite(y))
    z = y[ok]
    z = (z - z.mean()) / z.std()
    bkps = rpt.Binseg(model="l2", min_size=2, jump=1).fit(z).predict(pen=3 * math.log(z.size))
    return [int(ok[b]) for b in bkps[:-1]]


METHODS = {"zero": zero, "binseg (MBIC)": binseg_mbic, "rca defaults": rca_default,
           "rca levels only": lambda y: rca_default(y, model="mean"),
           "rca long_run=largest": lambda y: rca_default(y, long_run="largest")}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--per-series", action="store_true")
    ap.add_argument("--baseline", default="6ec5c98")
    args = ap.parse_args()
    from changepoints_speed import load_baseline

    baseline = load_baseline(args.baseline)
    METHODS[f"rca baseline {args.baseline}"] = lambda y: rca_default(y, module=baseline)
    series = load()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                            capture_output=True, text=True).stdout.strip()
    print(f"TCPD: {len(series)} univariate real series, commit {commit}")
    rows = []
    for method, fn in METHODS.items():
        t0 = time.perf_counter()
        for name, y, ann in series:
            locs = clean_locations(fn(y), y.size)
            f1, p, r = f_measure(ann, locs, margin=5)
            cov = covering(ann, locs, y.size)
            rows.append((method, name, f1, cov, len(locs)))
        elapsed = time.perf_counter() - t0
        sub = [r for r in rows if r[0] == method]
        print(f"{method:22s} F1 {np.mean([r[2] for r in sub]):.3f}  covering "
              f"{np.mean([r[3] for r in sub]):.3f}  changes/series "
              f"{np.mean([r[4] for r in sub]):.2f}  ({elapsed:.2f} s)")
    if args.per_series:
        df = pd.DataFrame(rows, columns=["method", "series", "f1", "cover", "k"])
        print(df.pivot(index="series", columns="method", values=["f1", "cover", "k"])
              .round(2).to_string())


if __name__ == "__main__":
    main()
