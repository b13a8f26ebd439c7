"""Independent hold-out incident generator for evaluating ``rca``'s root-cause ranking.

Written without looking at ``rca``'s own incident generator or its ranking, for honest
evaluation on incidents the project has never seen (see ``README.md`` in this folder).

Usage::

    python -m benchmarks.holdout.generator --cause it_change --seed 7 --out /tmp/inc7

or from Python::

    from benchmarks.holdout import generate
    folder = generate("ot_fault", 3, out_dir="/tmp/holdout/ot_fault_3")

The folder holds ``investigation.toml`` (the manifest format of ``docs/manifest.md``), the
exports it names, and ``truth.json`` (the answer; an evaluation must not show it to the
method under test).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from benchmarks.holdout.events import it_events, journal_events, logons, ot_events
from benchmarks.holdout.exports import measure, write_incident
from benchmarks.holdout.naming import it_metric_roles, pick
from benchmarks.holdout.scenario import CAUSES, Incident, build, chain_onsets

__all__ = ["CAUSES", "generate", "simulate", "export", "truth_of", "GENERATOR_VERSION"]

GENERATOR_VERSION = "holdout-1"


def simulate(cause: str, seed: int) -> Incident:
    """The clean simulation of one incident (true values, UTC clock), before any export.

    Parameters
    ----------
    cause : {"ot_fault", "setpoint_change", "it_change", "it_saturation"}
    seed : int
        Any non-negative integer; the same ``(cause, seed)`` always gives the same incident.

    Returns
    -------
    Incident
        With ``ot`` / ``ot_cf`` (incident and counterfactual OT values per second), ``it`` /
        ``it_cf`` (IT metrics and path), ``onset``, ``noticed``, ``chain`` (logical keys), ...

    Examples
    --------
    >>> inc = simulate("ot_fault", 1)  # doctest: +SKIP
    >>> inc.variant, inc.noticed > inc.onset  # doctest: +SKIP
    ('filter_valve', True)
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    return build(cause, int(seed))


def _rng(inc: Incident, stream: int):
    return np.random.default_rng(np.random.SeedSequence([inc.seed, CAUSES.index(inc.cause), 7321, stream]))


def _names(inc: Incident) -> dict:
    """Logical key -> name in the exported data (signal column or event source)."""
    out = {}
    for t in inc.tags:
        out[t.key] = inc.ot_names.signal(t)
    for key in inc.chain:
        if key.startswith("it:"):
            role, what = key[3:].split(".")
            out[key] = inc.it_names.metric(role, what)
        elif key.startswith("host:"):
            out[key] = inc.it_names.hosts[key[5:]]
    return out


def truth_of(inc: Incident, events: list, written: dict, glitches: list) -> dict:
    """The answer key of an incident, with names exactly as they appear in the loaded data."""
    names = _names(inc)
    root = names[inc.root]
    if inc.root.startswith("host:"):
        rtype, domain = "event", "IT"
    elif inc.root.startswith("it:"):
        rtype, domain = "signal", "IT"
    else:
        rtype, domain = "signal", "OT"
    a, b = inc.window
    sources = {e["source"] for e in events if a <= e["t"] < b and e["log"] in ("ae", "journal", "siem", "itsm")}
    # an alias is an event source naming the same device; never the name of some signal
    sources -= {inc.ot_names.signal(t) for t in inc.tags}
    sources -= {inc.it_names.metric(r, w) for r, w in it_metric_roles()}
    aliases = []
    if inc.root.startswith("it:"):
        host = inc.it_names.hosts[inc.root[3:].split(".")[0]]
        if host in sources:
            aliases.append(host)  # monitoring alerts and logs of the saturating host
    elif rtype == "signal":
        tag = next(t for t in inc.tags if t.key == inc.root)
        for cand in (inc.ot_names.alarm_source(tag), inc.ot_names.loop_object(tag.letters, tag.loop, tag)):
            if cand != root and cand in sources and cand not in aliases:
                aliases.append(cand)
    onsets = inc.details.get("chain_onsets") or chain_onsets(inc)
    distractors = []
    for t, key, new, note in inc.ot_distractors:
        distractors.append({"kind": "setpoint_change", "name": names[key], "time": inc.time(t).isoformat(),
                            "note": note})
    for d in inc.it_distractors:
        distractors.append({"kind": d["what"], "name": inc.it_names.hosts[d["role"]],
                            "time": inc.time(d["start"]).isoformat()})
    for g in glitches:
        distractors.append({"kind": g["kind"], "name": names[g["signal"]], "time": inc.time(g["start"]).isoformat()})
    return {
        "cause": inc.cause,
        "root_cause": root,
        "root_cause_type": rtype,
        "root_cause_domain": domain,
        "aliases": aliases,
        "onset": inc.time(inc.onset).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "symptom": names[inc.symptom],
        "noticed": inc.time(inc.noticed).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "chain": [names[k] for k in inc.chain],
        "chain_visible_onsets": {names[k]: (None if v is None else inc.time(v).strftime("%Y-%m-%dT%H:%M:%SZ"))
                                 for k, v in onsets.items() if k in inc.chain},
        "symptom_alarm_crossing": inc.time(inc.crossing).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "plant": inc.plant,
        "variant": inc.variant,
        "seed": inc.seed,
        "generator": GENERATOR_VERSION,
        "strength": round(inc.strength, 3),
        "timezone": inc.tz,
        "ot_clock_offset_s": written["ot_clock_offset_s"],
        "data_window": [inc.time(a).strftime("%Y-%m-%dT%H:%M:%SZ"), inc.time(b).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "naming": {"ot": inc.ot_names.style, "it": inc.it_names.vocab},
        "distractors": distractors,
        "exports": {k: v for k, v in written.items() if k != "ot_clock_offset_s"},
    }


def generate(cause: str, seed: int, *, out_dir) -> Path:
    """Write one complete hold-out incident folder.

    Parameters
    ----------
    cause : {"ot_fault", "setpoint_change", "it_change", "it_saturation"}
        The kind of root cause.
    seed : int
        Non-negative; the same ``(cause, seed)`` always writes the same bytes.
    out_dir : str or pathlib.Path
        Folder to write (created if needed). Existing files of the same names are overwritten.

    Returns
    -------
    pathlib.Path
        The folder; ``investigation.toml`` in it is ready for ``rca.open_investigation``.

    Raises
    ------
    ValueError
        For an unknown ``cause`` or a negative / non-integer ``seed``.

    Examples
    --------
    >>> folder = generate("setpoint_change", 4, out_dir="/tmp/holdout_sp_4")  # doctest: +SKIP
    >>> (folder / "truth.json").exists()  # doctest: +SKIP
    True
    """
    if cause not in CAUSES:
        raise ValueError(f"cause: expected one of {', '.join(CAUSES)}; got {cause!r}")
    return export(simulate(cause, seed), out_dir=out_dir)


def export(incident: Incident, *, out_dir) -> Path:
    """Write the exports, the manifest and ``truth.json`` of a simulated incident.

    ``generate(cause, seed, out_dir=d)`` is ``export(simulate(cause, seed), out_dir=d)``; the
    split lets a caller keep the clean simulation next to the files written from it.

    Parameters
    ----------
    incident : Incident
        From :func:`simulate`.
    out_dir : str or pathlib.Path
        Folder to write (created if needed).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> inc = simulate("it_saturation", 1)  # doctest: +SKIP
    >>> export(inc, out_dir="/tmp/holdout_sat_1").name  # doctest: +SKIP
    'holdout_sat_1'
    """
    inc = incident
    out = Path(out_dir)
    vals, bad, glitches = measure(inc, _rng(inc, 1))
    rng_ev = _rng(inc, 2)
    stations_ot = [inc.ot_names.point("Control room", "CR", f"OWS-{k}") if inc.ot_names.style != "plain"
                   else f"HMI0{k}" for k in (1, 2, 3)]
    hosts_it = [inc.it_names.hosts[r] for r in ("hmi1", "hmi2", "hmi3")]
    ev = ot_events(inc, vals, rng_ev)
    ev += journal_events(inc, rng_ev, stations_ot)
    ot_log, it_log = logons(inc, rng_ev, stations_ot, hosts_it)
    ev += ot_log + it_log
    ev += it_events(inc, rng_ev, inc.it_names, number_style=pick(rng_ev, ["snow", "cr", "rfc"]))
    for g in glitches:
        if g["kind"] == "recalibration":
            tag = next(t for t in inc.tags if t.key == g["signal"])
            obj = inc.ot_names.alarm_source(tag)
            ev.append({"t": float(g["start"]) - 30, "log": "journal", "source": obj, "kind": "MAINT",
                       "message": f"{obj} recalibrated by instrument technician", "severity": "", "user": "instr"})
    written = write_incident(inc, ev, vals, bad, out, _rng(inc, 3))
    truth = truth_of(inc, ev, written, glitches)
    (out / "truth.json").write_text(json.dumps(truth, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.holdout.generator",
        description="Write one hold-out incident folder (investigation.toml, exports, truth.json).",
    )
    parser.add_argument("--cause", required=True, choices=CAUSES)
    parser.add_argument("--seed", required=True, type=int)
    parser.add_argument("--out", required=True, help="folder to write")
    args = parser.parse_args(argv)
    if args.seed < 0:
        parser.error(f"--seed: expected a non-negative integer, got {args.seed}")
    folder = generate(args.cause, args.seed, out_dir=args.out)
    truth = json.loads((folder / "truth.json").read_text())
    print(f"{folder}: {truth['plant']} / {truth['variant']}; symptom {truth['symptom']} noticed {truth['noticed']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
