"""The ``rca`` command line.

``rca check MANIFEST [--json]``
    Load every source, print the data-quality ledger and how the sources were aligned.
``rca rank MANIFEST [--json] [--top K]``
    Rank the likely root causes, signals and event sources together, with the evidence.
``rca report MANIFEST -o report.html``
    Write the investigation report (HTML, or Markdown for a ``.md`` path).
``rca demo [MANIFEST] [--out DIR]``
    Check, rank and report the bundled sample incident (what ``make demo`` runs).
``rca make-incident --cause CAUSE --seed N FOLDER`` / ``rca make-incident --samples [ROOT]``
    Generate an incident folder with known truth, or rebuild the bundled samples.

Errors in the input (a missing file, a bad column, a typo in the manifest) are printed as one
clear message on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import pandas as pd

from rca.errors import ParameterError, RcaError, RcaWarning

__all__ = ["main"]


def _fmt_time(ts, tz=None) -> str:
    if ts is None or pd.isna(ts):
        return "-"
    ts = pd.Timestamp(ts)
    if tz:
        return ts.tz_convert(tz).strftime("%Y-%m-%d %H:%M:%S %Z")
    return ts.tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    def line(r):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *[line(r) for r in rows]])


def _check(args) -> int:
    from rca.investigation import open_investigation
    from rca.ledger import REASON_TEXT

    caught = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RcaWarning)
        inv = open_investigation(args.manifest)
    if args.json:
        out = {
            "title": inv.title,
            "manifest": str(inv.path),
            "timezone": inv.timezone,
            "incident": inv.incident.to_dict(),
            "sources": [s.to_dict() for s in inv.ledger],
            "alignment": inv.alignment.to_dict(),
            "signals": len(inv.signal_info),
            "events": len(inv.events),
            "balanced": inv.ledger.balanced,
            "warnings": [str(w.message) for w in caught if issubclass(w.category, RcaWarning)],
        }
        print(json.dumps(out, indent=2, default=str))
        return 0
    print(f"rca check: {inv.title}")
    print(f"manifest:  {inv.path}")
    print()
    rows = []
    for s in inv.ledger:
        rows.append([
            s.name, s.domain, s.kind, f"{s.rows_read:,}", f"{s.rows_used:,}", f"{s.rows_rejected:,}",
            f"{s.items:,}", _fmt_time(s.start), _fmt_time(s.end),
        ])
    print(_table(rows, ["source", "domain", "kind", "rows read", "used", "set aside", "items", "start (UTC)",
                        "end (UTC)"]))
    print()
    for s in inv.ledger:
        if s.rejected:
            print(f"{s.name}: rows set aside")
            for reason, count in s.rejected.items():
                print(f"  {count:>9,}  {reason:<24} {REASON_TEXT.get(reason, '')}")
            for reason, examples in s.details.get("examples", {}).items():
                for ex in examples[:2]:
                    print(f"             e.g. {ex}")
            if s.details.get("non_numeric_examples"):
                texts = ", ".join(f"{t!r} x{c}" for t, c in s.details["non_numeric_examples"].items())
                print(f"             most frequent text values: {texts} (map them with value_map if meaningful)")
    print()
    print("alignment:")
    for line in inv.alignment.describe().splitlines():
        print(f"  {line}")
    print()
    lo, hi = inv.window
    print(
        f"incident: noticed {_fmt_time(inv.incident.start, inv.timezone)}; analysis window "
        f"{_fmt_time(lo, inv.timezone)} to {_fmt_time(hi, inv.timezone)}"
    )
    print(f"loaded {len(inv.signal_info)} signals and {len(inv.events):,} events; every row is accounted for: "
          f"{'yes' if inv.ledger.balanced else 'NO'}")
    for w in caught:
        if issubclass(w.category, RcaWarning):
            print(f"warning: {w.message}")
    return 0


def _load(manifest):
    from rca.investigation import open_investigation

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RcaWarning)
        inv = open_investigation(manifest)
    return inv, [str(w.message) for w in caught if issubclass(w.category, RcaWarning)]


def _rank_payload(inv, ranking, top) -> dict:
    rows = ranking.head(top) if top else ranking
    return {
        "title": inv.title,
        "manifest": str(inv.path),
        "symptom": ranking.attrs["settings"].get("symptoms"),
        "symptom_onset": ranking.attrs["settings"].get("symptom_onset"),
        "candidates": [
            {
                "rank": int(r["rank"]),
                "name": str(r["name"]),
                "type": str(r["type"]),
                "domain": str(r["domain"]),
                "score": round(float(r["score"]), 4),
                "onset": pd.Timestamp(r["onset"]).tz_convert("UTC").strftime("%Y-%m-%dT%H:%M:%SZ"),
                "evidence": str(r["evidence"]),
                "role": str(r.get("role", "")),
            }
            for _, r in rows.iterrows()
        ],
        "settings": ranking.attrs["settings"],
    }


def _print_ranking(inv, ranking, top):
    rows = ranking.head(top) if top else ranking
    tz = inv.timezone
    print(f"rca rank: {inv.title}")
    s = ranking.attrs["settings"]
    print(f"symptom: {', '.join(s['symptoms'])} ({s['symptom_choice']}); began {_fmt_time(s['symptom_onset'], tz)}")
    print()
    for _, r in rows.iterrows():
        print(f"{int(r['rank']):>3}. {r['name']}  [{r['type']}, {r['domain'] or '?'}]  score {r['score']:.2f}  "
              f"onset {_fmt_time(r['onset'], tz)}")
        print(f"      {r['evidence']}")
    print()
    print(f"times in {tz}; {len(ranking)} candidates in all" + (f", the best {top} shown" if top else ""))


def _rank(args) -> int:
    from rca.ranking import rank_candidates

    inv, _ = _load(args.manifest)
    ranking = rank_candidates(inv)
    if args.json:
        print(json.dumps(_rank_payload(inv, ranking, args.top), indent=2, default=str))
    else:
        _print_ranking(inv, ranking, args.top or 15)
    return 0


def _report(args) -> int:
    from rca.report import write_report

    path = write_report(args.manifest, args.output)
    print(f"report written to {path}")
    return 0


def _demo(args) -> int:
    from pathlib import Path

    from rca.ranking import rank_candidates
    from rca.report import write_report

    manifest = Path(args.manifest)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    print(f"== 1/3 rca check {manifest}")
    rc = _check(argparse.Namespace(manifest=str(manifest), json=False))
    inv, _ = _load(manifest)
    print()
    print(f"== 2/3 rca rank {manifest}")
    ranking = rank_candidates(inv)
    _print_ranking(inv, ranking, 10)
    (out / "ranking.json").write_text(json.dumps(_rank_payload(inv, ranking, None), indent=2, default=str))
    print()
    print(f"== 3/3 rca report {manifest}")
    report = write_report(inv, out / f"{manifest.parent.name}_report.html", candidates=ranking)
    print()
    print("output:")
    print(f"  ranking (JSON): {(out / 'ranking.json').resolve()}")
    print(f"  report (HTML):  {Path(report).resolve()}")
    return rc


def _make_incident(args) -> int:
    from rca import datasets

    if args.samples is not None:
        paths = datasets.write_sample_data(args.samples)
        for p in paths:
            print(f"wrote {p}")
        return 0
    if not args.cause or args.folder is None:
        raise ParameterError("make-incident: give --cause and a FOLDER (or --samples to rebuild the bundled samples)")
    inc = datasets.make_incident(cause=args.cause, seed=args.seed)
    path = inc.write(args.folder)
    print(f"wrote {path} ({args.cause}, seed {args.seed}); the answer key is in {path.parent / 'truth.json'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rca", description="Root-cause analysis of manufacturing incidents.")
    from rca import __version__

    parser.add_argument("--version", action="version", version=f"rca {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("check", help="load an incident and print the data-quality ledger")
    p.add_argument("manifest", help="the investigation manifest (investigation.toml) or its folder")
    p.add_argument("--json", action="store_true", help="print machine-readable JSON")
    p.set_defaults(func=_check)

    p = sub.add_parser("rank", help="rank the likely root causes with their evidence")
    p.add_argument("manifest", help="the investigation manifest or its folder")
    p.add_argument("--json", action="store_true", help='print {"candidates": [...]} as JSON, best first')
    p.add_argument("--top", type=int, default=None, metavar="K", help="only the best K candidates")
    p.set_defaults(func=_rank)

    p = sub.add_parser("report", help="write the investigation report (self-contained HTML, or Markdown)")
    p.add_argument("manifest", help="the investigation manifest or its folder")
    p.add_argument("-o", "--output", required=True, help="report.html or report.md")
    p.set_defaults(func=_report)

    p = sub.add_parser("demo", help="check, rank and report the bundled sample incident")
    p.add_argument("manifest", nargs="?", default="sample_data/line3_scrap_spike/investigation.toml")
    p.add_argument("--out", default="out", help="folder for the ranking and the report (default: out)")
    p.set_defaults(func=_demo)

    p = sub.add_parser("make-incident", help="generate an incident folder with known truth")
    p.add_argument("folder", nargs="?", default=None, help="where to write it")
    p.add_argument("--cause", help="ot_fault, setpoint_change, it_change or it_saturation")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--samples", nargs="?", const="sample_data", default=None, metavar="ROOT",
                   help="rebuild the bundled sample incidents under ROOT (default sample_data)")
    p.set_defaults(func=_make_incident)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except RcaError as exc:
        print(f"rca {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # pragma: no cover
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
