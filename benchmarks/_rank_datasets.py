"""Cases for ``benchmarks/rank_eval.py``: generated incidents, hold-out incidents, TEP, PetShop.

Every case says what the methods see and what counts as the right answer:

* **generated** (``rca.datasets.make_incident``) and **holdout** (``benchmarks.holdout``):
  an incident folder with ``investigation.toml`` and ``truth.json``; the answers are
  ``truth["root_cause"]`` and ``truth["aliases"]`` (for an IT change the change record's host
  only, never the metric it degraded). Folders are written once into a cache folder keyed by
  generator, a hash of the generator's source files, cause and seed, and reused.
* **TEP** (Braatz ``dNN_te.dat``): 52 columns ``XMEAS(1)..XMEAS(41)``, ``XMV(1)..XMV(11)``
  on a synthetic UTC index (3-min steps from :data:`TEP_T0`); the fault starts at sample
  160; the answers are the variables ``idv_root_cause_map.csv`` lists before any bracketed
  "compensation"/"consequence" note.
* **PetShop**: per issue, the ``noissue`` history re-timed to end one step before the
  issue's first row, then the issue's 5 rows; columns ``<component>.<metric>_<statistic>``;
  the answer is ``target.json`` ``root_cause.node``. Scenarios without a ``noissue`` file
  (the two temporal ones in this snapshot) are skipped with that reason.
"""

from __future__ import annotations

import hashlib
import json
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from rca.errors import ParameterError, SourceError

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
CACHE = Path(tempfile.gettempdir()) / "rca_rank_eval"

#: Start of the synthetic UTC clock of the TEP files; sample ``i`` is at ``TEP_T0 + 3 min * i``.
TEP_T0 = pd.Timestamp("2024-01-01 00:00", tz="UTC")
TEP_STEP = pd.Timedelta("3min")
TEP_ONSET_SAMPLE = 160
TEP_COLUMNS = [f"XMEAS({i})" for i in range(1, 42)] + [f"XMV({j})" for j in range(1, 12)]
#: Faults the dataset README calls practically undetectable in this data.
TEP_UNDETECTABLE = (3, 9, 15)


@dataclass(frozen=True)
class IncidentCase:
    """An incident folder with its answer key."""

    dataset: str
    case_id: str
    group: str  # the cause
    manifest: Path
    answers: frozenset
    root_cause: str
    root_cause_type: str
    onset: pd.Timestamp  # true onset (UTC)


@dataclass(frozen=True, eq=False)
class FrameCase:
    """A wide frame of signals with an incident start and an answer key."""

    dataset: str
    case_id: str
    group: str
    frame: pd.DataFrame
    incident_start: pd.Timestamp
    onset: pd.Timestamp  # start of the peers' anomalous period (UTC): the true onset where known
    end: pd.Timestamp  # end of the peers' anomalous period (inclusive)
    answers: frozenset  # correct names (TEP: variables; PetShop: components)
    symptom: str | None = None
    components: dict = field(default_factory=dict)  # column -> component (PetShop); empty = identity
    note: str = ""


# ----------------------------------------------------------------------- incident folders


def _source_hash(paths) -> str:
    h = hashlib.sha256()
    for p in sorted(paths):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:10]


def generator_version(generator: str) -> str:
    """A short hash of a generator's source files: a cache written by other code is not reused."""
    if generator == "generated":
        return _source_hash([ROOT / "rca" / "datasets.py", ROOT / "rca" / "_plant.py", ROOT / "rca" / "_exports.py"])
    if generator == "holdout":
        return _source_hash(list((ROOT / "benchmarks" / "holdout").glob("*.py")))
    raise ParameterError(f"generator: expected 'generated' or 'holdout', got {generator!r}")


def read_answer_key(folder) -> dict:
    """``truth.json`` of an incident folder, with ``answers`` (root cause + aliases) and a UTC ``onset``."""
    path = Path(folder) / "truth.json"
    if not path.exists():
        raise SourceError(f"{path}: no truth.json; expected the answer key of a generated incident")
    truth = json.loads(path.read_text(encoding="utf-8"))
    for key in ("root_cause", "onset", "cause"):
        if key not in truth:
            raise SourceError(f"{path}: key {key!r} missing; expected root_cause, root_cause_type, onset, cause")
    truth["answers"] = frozenset([truth["root_cause"], *truth.get("aliases", ())])
    truth["onset"] = pd.Timestamp(truth["onset"]).tz_convert("UTC")
    return truth


def incident_case(generator: str, cause: str, seed: int, *, cache=None, version=None) -> IncidentCase:
    """The incident folder of ``(generator, cause, seed)``, written on first use and cached.

    Parameters
    ----------
    generator : {"generated", "holdout"}
        ``rca.datasets.make_incident`` or ``benchmarks.holdout.generate``.
    cause : str
        One of the four causes.
    seed : int
        The generator's seed.
    cache : path-like, optional
        Cache folder (default :data:`CACHE`).
    version : str, optional
        :func:`generator_version` (computed when not given).
    """
    cache = CACHE if cache is None else Path(cache)
    version = generator_version(generator) if version is None else version
    folder = cache / f"{generator}-{version}" / f"{cause}_{seed}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        if generator == "generated":
            from rca.datasets import make_incident

            make_incident(cause=cause, seed=seed).write(folder)
        else:
            from benchmarks.holdout import generate

            generate(cause, seed, out_dir=folder)
        done.write_text("ok\n")
    truth = read_answer_key(folder)
    return IncidentCase(
        dataset=generator, case_id=f"{cause}_{seed}", group=cause, manifest=folder / "investigation.toml",
        answers=truth["answers"], root_cause=truth["root_cause"],
        root_cause_type=truth.get("root_cause_type", ""), onset=truth["onset"],
    )


# --------------------------------------------------------------------------------- TEP


def read_tep(path) -> pd.DataFrame:
    """One Braatz TEP file as a wide frame: ``XMEAS(1..41)``, ``XMV(1..11)`` on a UTC index.

    ``d00.dat`` (stored transposed, 52 x 500) is transposed back.

    Examples
    --------
    >>> frame = read_tep(DATASETS / "tep_braatz" / "d01_te.dat")  # doctest: +SKIP
    >>> frame.shape, frame.index[160]  # doctest: +SKIP
    ((960, 52), Timestamp('2024-01-01 08:00:00+0000', tz='UTC'))
    """
    path = Path(path)
    try:
        values = np.loadtxt(path, ndmin=2)
    except (OSError, ValueError) as exc:
        raise SourceError(f"{path}: cannot read as whitespace-separated numbers ({exc})") from None
    if values.shape[0] == 52 and values.shape[1] != 52:
        values = values.T
    if values.shape[1] != 52:
        raise SourceError(
            f"{path}: found {values.shape[1]} columns; expected 52 (XMEAS(1..41), XMV(1..11))"
        )
    index = pd.date_range(TEP_T0, periods=values.shape[0], freq=TEP_STEP, name="time")
    return pd.DataFrame(values, index=index, columns=TEP_COLUMNS)


_VAR = re.compile(r"^(XMEAS\((?:[1-9]|[1-3]\d|4[01])\)|XMV\((?:[1-9]|1[01])\))$")


def read_tep_root_map(path) -> pd.DataFrame:
    """``idv_root_cause_map.csv`` as one row per IDV: ``roots`` (tuple of variable names),
    ``disturbance``, ``confidence``.

    The variables listed before a bracketed note count; the note's variables
    ("compensation: ...", "consequence: ...") are effects, not roots.
    """
    path = Path(path)
    # The header has an unquoted comma inside a bracketed note ("(teprob.f, camaramm ...)"), so
    # it has one field more than the rows: read the rows by position and check the header.
    header = path.read_text(encoding="utf-8").splitlines()[0]
    if not header.startswith("idv,disturbance") or "derived_root_cause_variables" not in header:
        raise SourceError(
            f"{path}: row 1 (header) is {header[:60]!r}...; expected it to start with 'idv,disturbance' "
            "and to name derived_root_cause_variables"
        )
    names = ["idv", "disturbance", "type", "where", "derived_root_cause_variables", "confidence", "observable", "notes"]
    table = pd.read_csv(path, header=None, skiprows=1, names=names, dtype=str, keep_default_na=False)
    rows = []
    for i, r in table.iterrows():
        text = str(r["derived_root_cause_variables"])
        # "XMEAS(4);XMV(4) (compensation: ...)": cut at the first " (" that opens a note
        main = re.split(r"\s\(", text, maxsplit=1)[0]
        names = tuple(v.strip() for v in main.split(";") if v.strip())
        bad = [v for v in names if not _VAR.match(v)]
        if bad or not names:
            raise SourceError(
                f"{path}: row {i + 2}, column derived_root_cause_variables: found {text!r}; "
                "expected names like 'XMEAS(4);XMV(10)', optionally followed by a note in brackets"
            )
        rows.append({"idv": int(r["idv"]), "roots": names, "disturbance": str(r["disturbance"]),
                     "confidence": str(r["confidence"])})
    return pd.DataFrame(rows).set_index("idv")


def tep_cases(folder=None, *, delay="1h", lookahead="30min", faults=None) -> list:
    """One :class:`FrameCase` per detectable TEP fault.

    Parameters
    ----------
    folder : path-like, optional
        The ``tep_braatz`` folder (default ``../shared/datasets/tep_braatz``).
    delay : str
        How long after the fault onset (sample 160) the incident is "noticed": the
        ``incident_start`` given to ``rca`` [s].
    lookahead : str
        Data after ``incident_start`` that exists when the investigation runs; the frame is cut
        there, and the peers' anomalous period is onset .. this end [s].
    faults : iterable of int, optional
        IDVs to score (default: 1-21 without :data:`TEP_UNDETECTABLE`).
    """
    folder = DATASETS / "tep_braatz" if folder is None else Path(folder)
    roots = read_tep_root_map(folder / "idv_root_cause_map.csv")
    faults = [i for i in range(1, 22) if i not in TEP_UNDETECTABLE] if faults is None else list(faults)
    delay, lookahead = pd.Timedelta(delay), pd.Timedelta(lookahead)
    onset = TEP_T0 + TEP_ONSET_SAMPLE * TEP_STEP
    start = onset + delay
    end = start + lookahead
    cases = []
    for idv in faults:
        if idv not in roots.index:
            raise ParameterError(f"faults: IDV {idv} is not in {folder / 'idv_root_cause_map.csv'}")
        frame = read_tep(folder / f"d{idv:02d}_te.dat").loc[:end]
        r = roots.loc[idv]
        cases.append(FrameCase(
            dataset="tep", case_id=f"IDV{idv:02d}", group=f"IDV{idv:02d}", frame=frame, incident_start=start,
            onset=onset, end=end, answers=frozenset(r["roots"]),
            note=f"{r['disturbance']} (map confidence {r['confidence']})",
        ))
    return cases


# ----------------------------------------------------------------------------- PetShop


def read_petshop_metrics(path) -> tuple[pd.DataFrame, dict]:
    """A PetShop ``metrics.csv`` (3 header rows + ``unix_timestamp``) as a wide frame.

    Returns
    -------
    (frame, components)
        ``frame``: columns ``<component>.<metric>_<statistic>`` on a UTC index;
        ``components``: column -> component.
    """
    path = Path(path)
    raw = pd.read_csv(path, header=[0, 1, 2], index_col=0)
    if raw.columns.nlevels != 3:
        raise SourceError(f"{path}: found {raw.columns.nlevels} header rows; expected 3 (component, metric, statistic)")
    try:
        seconds = pd.to_numeric(pd.Index(raw.index), errors="raise")
    except (TypeError, ValueError):
        bad = next(v for v in raw.index if pd.isna(pd.to_numeric(v, errors="coerce")))
        raise SourceError(f"{path}: index value {bad!r} is not a unix timestamp [s]") from None
    keep = ~np.isnan(np.asarray(seconds, dtype=float))  # the 'unix_timestamp' label row has no time
    raw = raw.loc[keep]
    names = [f"{c}.{m}_{s}" for c, m, s in raw.columns]
    frame = pd.DataFrame(raw.to_numpy(dtype=float), columns=names,
                         index=pd.to_datetime(np.asarray(seconds, dtype=float)[keep], unit="s", utc=True).as_unit("ns"))
    frame.index.name = "time"
    return frame, {n: c for n, (c, _, _) in zip(names, raw.columns)}


def petshop_cases(folder=None, *, scenarios=None, splits=("train", "test")) -> tuple[list, list]:
    """One :class:`FrameCase` per PetShop issue that has a ``noissue`` baseline.

    The frame is the ``noissue`` history (its last row one step before the issue's first row,
    same 5-min spacing) followed by the issue's rows, on the issue's columns (a column the
    history lacks is missing there). ``incident_start`` = the target's timestamp (when the
    symptom was flagged); the symptom is the target's ``<node>.<metric>_<agg>`` column. The
    peers' anomalous period is the issue's rows (``onset`` = its first row), their normal
    period the history: the dataset's own protocol (``normal_metrics`` / ``abnormal_metrics``
    in its ``code/rca_task.py``).

    Returns
    -------
    (cases, skipped)
        ``skipped``: ``(issue path, reason)`` for every issue not scored.
    """
    folder = DATASETS / "petshop" / "dataset" if folder is None else Path(folder)
    scenarios = sorted(p.name for p in folder.iterdir() if p.is_dir()) if scenarios is None else list(scenarios)
    cases, skipped = [], []
    for sc in scenarios:
        base_path = folder / sc / "noissue" / "metrics.csv"
        issues = sorted((p for split in splits for p in (folder / sc / split).glob("issue_*")),
                        key=lambda p: (p.parent.name, int(p.name.split("_")[1])))
        if not base_path.exists():
            skipped += [(f"{sc}/{p.parent.name}/{p.name}", f"no normal-operation baseline ({base_path} absent)")
                        for p in issues]
            continue
        base, _ = read_petshop_metrics(base_path)
        for p in issues:
            frame, components = read_petshop_metrics(p / "metrics.csv")
            target = json.loads((p / "target.json").read_text(encoding="utf-8"))
            t = target["target"]
            symptom = f"{t['node']}.{t['metric']}_{t['agg']}"
            if symptom not in frame.columns:
                skipped.append((f"{sc}/{p.parent.name}/{p.name}", f"target column {symptom!r} not in metrics.csv"))
                continue
            step = pd.Timedelta(seconds=300)
            shift = frame.index[0] - step - base.index[-1]
            history = base.reindex(columns=frame.columns)
            history.index = history.index + shift
            whole = pd.concat([history, frame])
            noticed = pd.Timestamp(int(t["timestamp"]), unit="s", tz="UTC").as_unit("ns")
            cases.append(FrameCase(
                dataset="petshop", case_id=f"{sc}/{p.parent.name}/{p.name}", group=sc, frame=whole,
                incident_start=noticed, onset=frame.index[0], end=whole.index[-1],
                answers=frozenset([target["root_cause"]["node"]]), symptom=symptom, components=components,
                note=f"{t['metric']} of {t['node']}",
            ))
    return cases, skipped
