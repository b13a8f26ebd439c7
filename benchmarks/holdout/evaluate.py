"""Score ``rca.rank_candidates`` on hold-out incidents, next to naive single-feature rules.

Usage (from the repository root)::

    nice -n 10 .venv/bin/python -m benchmarks.holdout.evaluate --per-cause 5 --first-seed 1000

For every cause and seed it writes an incident to a temporary folder, loads it with
``rca.open_investigation``, ranks with ``rca.rank_candidates`` (a black box here) and checks
whether the truth (``root_cause`` or one of its ``aliases``) is at rank 1 / within the top 3.
In the same process it scores rules that look at one surface feature only, so a method that
does no better than them is visible at once:

* ``largest change``: the signal whose change before the incident is the largest in noise units
  (``rca.detect_changes``, ``|delta_sigma|``);
* ``earliest change``: the signal whose first change (``|delta_sigma| >= 3``) in the look-back
  is the earliest;
* ``latest change record``: the source of the last ITSM record of a change before the incident.

The generator was written independently of ``rca``'s own generator and ranking; nothing here is
tuned to either. Prints measured numbers only.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.holdout.generator import CAUSES, generate


def _hit(name, truth) -> bool:
    return name is not None and (name == truth["root_cause"] or name in truth["aliases"])


def _baselines(inv, truth) -> dict:
    import rca

    lo = inv.incident.start - inv.incident.lookback
    hi = inv.incident.start
    out = {}
    try:
        ch = rca.detect_changes(inv.signals, window=(lo, hi))
    except Exception as exc:  # the baseline must not stop the evaluation
        ch = pd.DataFrame(columns=["signal", "time", "delta_sigma"])
        out["detect_changes_error"] = repr(exc)[:200]
    ch = ch[np.isfinite(ch["delta_sigma"].astype(float))] if len(ch) else ch
    if len(ch):
        big = ch.loc[ch["delta_sigma"].abs().idxmax(), "signal"]
        real = ch[ch["delta_sigma"].abs() >= 3.0]
        first = real.sort_values("time").iloc[0]["signal"] if len(real) else None
    else:
        big = first = None
    out["largest change"] = _hit(big, truth)
    out["earliest change"] = _hit(first, truth)
    ev = inv.events
    rec = ev[(ev["origin"] == "itsm") & (ev["kind"] != "Incident") & (ev["time"] < hi) & (ev["time"] >= lo)]
    last = rec.sort_values("time").iloc[-1]["source"] if len(rec) else None
    out["latest change record"] = _hit(last, truth)
    return out


def _rank(inv, truth):
    import rca

    ranking = rca.rank_candidates(inv)
    names = list(ranking["name"])
    for i, n in enumerate(names):
        if _hit(n, truth):
            return i + 1, len(names)
    return None, len(names)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.holdout.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("--per-cause", type=int, default=5, help="incidents per cause (default 5)")
    parser.add_argument("--first-seed", type=int, default=1000, help="first seed (default 1000)")
    parser.add_argument("--causes", default=",".join(CAUSES), help="comma-separated causes")
    parser.add_argument("--keep", default=None, help="folder to keep the incidents in (default: temporary)")
    parser.add_argument("--json", default=None, help="write per-incident results to this file")
    args = parser.parse_args(argv)
    import rca

    causes = [c.strip() for c in args.causes.split(",") if c.strip()]
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="holdout_"))
    rows = []
    for cause in causes:
        for seed in range(args.first_seed, args.first_seed + args.per_cause):
            folder = root / f"{cause}_{seed}"
            t0 = time.perf_counter()
            generate(cause, seed, out_dir=folder)
            t_gen = time.perf_counter() - t0
            truth = json.loads((folder / "truth.json").read_text())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                t0 = time.perf_counter()
                inv = rca.open_investigation(folder / "investigation.toml")
                t_load = time.perf_counter() - t0
            t0 = time.perf_counter()
            try:
                rank, n = _rank(inv, truth)
                err = ""
            except Exception as exc:
                rank, n, err = None, 0, repr(exc)[:200]
            t_rank = time.perf_counter() - t0
            base = _baselines(inv, truth)
            row = {"cause": cause, "seed": seed, "plant": truth["plant"], "variant": truth["variant"],
                   "truth": truth["root_cause"], "rank": rank, "candidates": n, "error": err,
                   "t_generate_s": round(t_gen, 2), "t_load_s": round(t_load, 2), "t_rank_s": round(t_rank, 2),
                   **{k: v for k, v in base.items()}}
            rows.append(row)
            print(f"{cause:15s} {seed:5d} {truth['plant']:5s} {truth['variant']:12s} rank={rank} of {n} "
                  f"{'ERROR ' + err if err else ''} baselines={ {k: v for k, v in base.items() if k[0] != 'd'} } "
                  f"[gen {t_gen:.1f} s, load {t_load:.1f} s, rank {t_rank:.1f} s]", flush=True)
    df = pd.DataFrame(rows)
    print()
    print(f"{'cause':16s} {'n':>3s} {'top1':>6s} {'top3':>6s} {'largest':>8s} {'earliest':>9s} {'last CR':>8s}")
    for cause, g in list(df.groupby("cause", sort=False)) + [("all", df)]:
        r = g["rank"]
        top1 = float((r == 1).mean())
        top3 = float(((r >= 1) & (r <= 3)).mean())
        print(f"{cause:16s} {len(g):3d} {top1:6.2f} {top3:6.2f} {g['largest change'].mean():8.2f} "
              f"{g['earliest change'].mean():9.2f} {g['latest change record'].mean():8.2f}")
    best = max(df["largest change"].mean(), df["earliest change"].mean(), df["latest change record"].mean())
    top1 = float((df["rank"] == 1).mean())
    print(f"\nrank_candidates top-1 {top1:.2f} vs best single-feature rule {best:.2f}: ratio "
          f"{(top1 / best) if best > 0 else float('inf'):.2f}")
    if args.json:
        Path(args.json).write_text(df.to_json(orient="records", indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
