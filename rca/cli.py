"""The ``rca`` command line.

``rca check MANIFEST [--json]``
    Load every source, print the data-quality ledger and how the sources were aligned.

Errors in the input (a missing file, a bad column, a typo in the manifest) are printed as one
clear message on stderr with exit status 2, never as a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings

import pandas as pd

from rca.errors import RcaError, RcaWarning

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
