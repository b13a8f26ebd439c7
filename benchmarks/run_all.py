"""Run every benchmark in ``benchmarks/``, one after the other, each in its own process.

Each script prints its own figures and ratios against a baseline run in the same process
(see the script's docstring). This runner only sequences them, prints a header per script,
times it, and exits non-zero if any script failed (the others still run).

Run: ``make bench`` or ``python benchmarks/run_all.py [--only load_align,rank_eval] [--quick]``.
Everything takes about an hour on the 2-core development machine (``rank_eval`` and the
change-point speed benchmark take most of it); ``--quick`` passes each script its short mode
where it has one (fewer seeds for ``rank_eval``, fewer signals, series and repeats elsewhere).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: (script, arguments in --quick mode), in the order they run.
SCRIPTS = (
    ("load_align", ["--repeat", "3"]),
    ("changepoints_speed", ["--signals", "100", "--rounds", "1"]),
    ("changepoints_tcpd", []),
    ("changepoints_plants", []),
    ("changepoints_false_alarms", ["--series", "5"]),
    ("relate_speed", []),
    ("charts_payload", ["--repeat", "1"]),
    ("hypothesis_log", []),
    ("rank_eval", ["--quick"]),
)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="comma-separated script names (default: all)")
    parser.add_argument("--quick", action="store_true", help="each script's short mode, where it has one")
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.only.split(",") if s.strip()]
    known = [name for name, _ in SCRIPTS]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {', '.join(unknown)}; expected some of {', '.join(known)}")
    failed = []
    for name, quick_args in SCRIPTS:
        if wanted and name not in wanted:
            continue
        cmd = [sys.executable, str(HERE / f"{name}.py"), *(quick_args if args.quick else [])]
        print(f"\n===== {name} ({' '.join(cmd[1:])}) =====", flush=True)
        t = time.perf_counter()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"===== {name}: exit {rc}, {time.perf_counter() - t:.0f} s =====", flush=True)
        if rc != 0:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
