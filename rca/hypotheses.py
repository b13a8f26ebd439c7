"""The shared hypothesis log of an investigation.

What a team concludes (hypotheses, the evidence for and against them, 5-whys
chains, Ishikawa categories, decisions and actions) is kept in a SQLite file beside
the investigation manifest, so it outlives the notebook session, needs no server
and travels with the incident folder.

The log is **append-only**: every change is one record (who, when in UTC, what),
and the current state is derived from the records (the last write of each field
wins; the history keeps every write). Several notebooks or processes may write the
same file at once; nothing any of them writes is lost or overwritten.

Examples
--------
>>> import tempfile, pathlib
>>> from rca.hypotheses import HypothesisLog
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> log = HypothesisLog.open(folder / "line3.hypotheses.sqlite", author="Ana", team="OT")
>>> h = log.add_hypothesis("Cooling water valve TV-101 stuck")
>>> log.set_status(h, "supported", reason="valve position flat since 09:12", author="Ben")
>>> log.hypotheses()[["statement", "status", "status_by"]]
                          statement     status status_by
0  Cooling water valve TV-101 stuck  supported       Ben
>>> log.close()
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from rca import _hypotheses_fields as fields
from rca._hypotheses_fields import (
    ACTION_STATUSES,
    EVIDENCE_KINDS,
    EVIDENCE_STANCES,
    HYPOTHESIS_STATUSES,
    ISHIKAWA_CATEGORIES,
    SUGGESTED_TEAMS,
)
from rca._hypotheses_json import check_import, parse_document
from rca._hypotheses_store import (
    FORMAT_NAME,
    SCHEMA_VERSION,
    Draft,
    Record,
    RecordStore,
    format_recorded_at,
)
from rca.errors import ManifestError, ParameterError, RcaWarning, SourceError

__all__ = [
    "HypothesisLog",
    "ImportResult",
    "open_hypothesis_log",
    "hypothesis_log_path",
    "HYPOTHESIS_STATUSES",
    "ISHIKAWA_CATEGORIES",
    "EVIDENCE_KINDS",
    "EVIDENCE_STANCES",
    "ACTION_STATUSES",
    "SUGGESTED_TEAMS",
    "JSON_FORMAT",
    "JSON_VERSION",
]

JSON_FORMAT = FORMAT_NAME
"""Value of the ``"format"`` key of an exported log."""

JSON_VERSION = SCHEMA_VERSION
"""Version of the export format this ``rca`` writes (and the highest it reads)."""

_ID_PREFIX_MIN = 4
_UTC = "datetime64[ns, UTC]"


@dataclass(frozen=True)
class ImportResult:
    """What :meth:`HypothesisLog.import_json` did.

    Attributes
    ----------
    source : str
        The file imported, or ``"<dict>"``.
    added : int
        Records new to this log, now stored.
    already_present : int
        Records this log already had (same ``entry_id``, same content).
    """

    source: str
    added: int
    already_present: int

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "added": self.added, "already_present": self.already_present}


@dataclass
class _Entity:
    """The folded state of one entity."""

    entity: str
    entity_id: str
    order: tuple[int, str]
    created_by: str
    created_at: str
    values: dict
    written_by: dict
    written_at: dict
    updated_by: str
    updated_at: str


def _fold(records: list[Record], state: dict[str, _Entity] | None = None) -> dict[str, _Entity]:
    """Current state of every entity: replay ``records`` in ``(clock, entry_id)`` order.

    A record writes the fields in its payload; the last write of each field wins.
    With ``state``, continue a fold whose records all sort before ``records``.
    """
    state = {} if state is None else state
    for record in records:
        entity = state.get(record.entity_id)
        if entity is None:
            entity = state[record.entity_id] = _Entity(
                entity=record.entity,
                entity_id=record.entity_id,
                order=(record.clock, record.entry_id),
                created_by=record.author,
                created_at=record.recorded_at,
                values={},
                written_by={},
                written_at={},
                updated_by=record.author,
                updated_at=record.recorded_at,
            )
        for key, value in record.payload.items():
            entity.values[key] = value
            entity.written_by[key] = record.author
            entity.written_at[key] = record.recorded_at
        entity.updated_by = record.author
        entity.updated_at = record.recorded_at
    return state


def _utc_column(values) -> pd.Series:
    return pd.Series(
        pd.to_datetime(pd.Series(values, dtype=object), utc=True, format="ISO8601"), dtype=_UTC
    )


def _frame(rows: list[dict], columns: Mapping[str, str]) -> pd.DataFrame:
    """A view with exactly ``columns`` (name -> kind), typed, in row order."""
    data = {}
    for name, kind in columns.items():
        values = [row[name] for row in rows]
        if kind == "time":
            data[name] = _utc_column(values)
        elif kind == "int":
            data[name] = pd.Series(values, dtype="int64")
        elif kind == "bool":
            data[name] = pd.Series(values, dtype="bool")
        elif kind == "str":
            data[name] = pd.Series(values, dtype="str")
        else:  # objects: optional text, dates, dicts
            data[name] = pd.Series(values, dtype=object)
    return pd.DataFrame(data, columns=list(columns))


def _short(text: str, width: int = 80) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _evidence_summary(kind: str, note: str, detail: dict) -> str:
    """One line saying what a piece of evidence is (verbatim text: escape to render)."""
    if kind == "candidate":
        rank = f"#{detail['rank']} " if detail.get("rank") is not None else ""
        score = detail.get("score")
        score_text = f", score {score:.3g}" if isinstance(score, (int, float)) else ""
        domain = f", {detail['domain']}" if detail.get("domain") else ""
        return f"candidate {rank}{detail.get('name')} ({detail.get('type')}{domain}{score_text})"
    if kind == "signal":
        return f"signal {detail.get('signal')} from {detail.get('start')} to {detail.get('end')}"
    if kind == "event":
        return (
            f"event {detail.get('source')} {detail.get('kind')} at {detail.get('time')}: "
            f"{_short(str(detail.get('message', '')), 60)}"
        )
    if kind == "chart":
        spec = detail.get("spec") if detail.get("format") == "vega-lite" else None
        title = spec.get("title") if isinstance(spec, dict) else None
        if isinstance(title, dict):
            title = title.get("text")
        if isinstance(title, list):
            title = " ".join(str(t) for t in title)
        what = f"chart ({detail.get('format')})"
        return f"{what}: {_short(str(title), 60)}" if title else what
    return _short(note)


class HypothesisLog:
    """An investigation's shared, append-only log of hypotheses, evidence and actions.

    Open one per notebook (or process); any number may be open on the same file at
    once. Methods that write return the id of what they wrote; the ``hypotheses()``,
    ``evidence()``, ``whys()``, ``decisions()``, ``actions()`` and ``history()``
    views always read the file, so they include what other notebooks wrote.

    Parameters
    ----------
    path : str or os.PathLike
        The SQLite file; created with its schema if absent. Its folder must exist.
        Usually ``<manifest stem>.hypotheses.sqlite`` beside the manifest (see
        :func:`open_hypothesis_log`).
    author : str, optional
        Default ``author`` of every write made through this object (a name, or
        "name (role)"); each method also takes ``author=`` for one write.
    team : str, optional
        Default ``team`` of hypotheses added through this object, such as ``"OT"``,
        ``"IT"``, ``"quality"``, ``"maintenance"``.
    timeout : float, default 30.0
        How long a write waits while other writers hold the file [s].

    Notes
    -----
    The file uses SQLite's WAL journal, which needs every writer on the same
    computer (a local disk, not a network share). To combine logs kept on several
    computers, export one with :meth:`export_json` and :meth:`import_json` it into
    the other; merging is idempotent.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "incident.hypotheses.sqlite"
    >>> with HypothesisLog.open(path, author="Ana") as log:
    ...     h = log.add_hypothesis("Firewall rule change dropped OPC UA traffic", team="IT")
    ...     _ = log.add_evidence(h, kind="note", note="fw-core-02 change at 09:58 UTC")
    ...     print(log.hypotheses().loc[0, "status"], len(log.evidence()))
    open 1
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        author: str | None = None,
        team: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        if not isinstance(path, (str, os.PathLike)):
            raise ParameterError(f"path={path!r}: expected a file path (str or pathlib.Path)")
        path = Path(path)
        if not path.parent.is_dir():
            raise ParameterError(
                f"path={str(path)!r}: the folder {str(path.parent)!r} does not exist; expected "
                "the path of a file in an existing folder"
            )
        if path.is_dir():
            raise ParameterError(f"path={str(path)!r} is a folder; expected a file path")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0:
            raise ParameterError(f"timeout={timeout!r}: expected a positive number of seconds")
        self._author = None if author is None else fields.text(author, "author")
        self._team = None if team is None else fields.text(team, "team")
        self._store = RecordStore(path, timeout=float(timeout))
        if self._store.journal_mode != "wal":
            warnings.warn(
                f"hypothesis log {str(path)!r}: SQLite journal mode is "
                f"{self._store.journal_mode!r}, not 'wal' (the file system does not support "
                "it); readers and writers will block each other. Keep the log on a local disk.",
                RcaWarning,
                stacklevel=2,
            )
        self._records: list[Record] = []  # every record seen, in (clock, entry_id) order
        self._folded: dict[str, _Entity] = {}  # their fold
        self._seen_seq = 0  # highest seq seen

    @classmethod
    def open(
        cls,
        path: str | os.PathLike,
        *,
        author: str | None = None,
        team: str | None = None,
        timeout: float = 30.0,
    ) -> "HypothesisLog":
        """Open (or create) the log at ``path``; the same as ``HypothesisLog(path, ...)``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "x.hypotheses.sqlite"
        >>> log = HypothesisLog.open(path, author="Ana", team="OT")
        >>> log.path.name
        'x.hypotheses.sqlite'
        >>> log.close()
        """
        return cls(path, author=author, team=team, timeout=timeout)

    # -- context, identity ---------------------------------------------------

    @property
    def path(self) -> Path:
        """The SQLite file."""
        return self._store.path

    @property
    def log_id(self) -> str:
        """UUID of this log file; stored as ``origin`` on the records written here."""
        return self._store.log_id

    @property
    def author(self) -> str | None:
        """Default author of writes through this object."""
        return self._author

    @property
    def team(self) -> str | None:
        """Default team of hypotheses added through this object."""
        return self._team

    @property
    def journal_mode(self) -> str:
        """SQLite journal mode in use (``"wal"`` on a local disk)."""
        return self._store.journal_mode

    def close(self) -> None:
        """Close the connection. The data is already on disk after every write."""
        self._store.close()

    def __enter__(self) -> "HypothesisLog":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"HypothesisLog({str(self.path)!r}, author={self._author!r}, team={self._team!r})"

    # -- internals -----------------------------------------------------------

    def _who(self, author: str | None) -> str:
        if author is None:
            if self._author is None:
                raise ParameterError(
                    "author=None: no author given and the log was opened without a default "
                    "author; expected author='your name' here or in HypothesisLog.open(...)"
                )
            return self._author
        return fields.text(author, "author")

    def _state(self) -> tuple[list[Record], dict[str, _Entity]]:
        """All records (in order) and their fold, brought up to date with the file.

        Only records that arrived since the last call are read. They are folded on
        top of the cached state when they all sort after it (the usual case: local
        writers always write later clocks); an import of older records triggers a
        full re-fold.
        """
        new = self._store.read_since(self._seen_seq)
        if new:
            last = self._records[-1] if self._records else None
            if last is None or (new[0].clock, new[0].entry_id) > (last.clock, last.entry_id):
                self._records.extend(new)
                _fold(new, self._folded)
            else:
                self._records = self._store.read_all()
                self._folded = _fold(self._records)
            self._seen_seq = max(r.seq for r in self._records)
        return self._records, self._folded

    def _resolve(self, entity: str | None, value: Any, param: str) -> str:
        """The full id of an existing ``entity`` (any entity if None) from its id or prefix.

        A prefix must have at least 4 characters and match exactly one id.
        """
        value = fields.text(value, param)
        key = value.strip().lower()
        found = self._store.find_created(key) if len(key) >= _ID_PREFIX_MIN else []
        exact = [(i, e) for i, e in found if i == key]
        matches = exact or [(i, e) for i, e in found if entity in (None, e)]
        if len(matches) == 1 and entity in (None, matches[0][1]):
            return matches[0][0]
        what = entity or "entry"
        if len(matches) > 1:
            raise ParameterError(
                f"{param}={value!r} is the start of {len(matches)} {what} ids "
                f"({', '.join(i for i, _ in matches[:5])}); expected a longer, unique prefix"
            )
        state = self._state()[1]
        known = sorted(
            (e for e in state.values() if entity in (None, e.entity)), key=lambda e: e.order
        )
        if exact:
            problem = f"a {exact[0][1]} id, not a {entity} id"
        else:
            problem = f"not a {what} id in {self.path.name}"
        listing = ", ".join(
            f"{e.entity_id[:8]} "
            f"({_short(e.values.get('statement') or e.values.get('text') or e.entity, 30)!r})"
            for e in known[-10:]
        )
        expected = (
            f"expected one of the {len(known)} {what} ids (or a unique prefix of at least "
            f"{_ID_PREFIX_MIN} characters){', latest: ' if len(known) > 10 else ': '}{listing}"
            if known
            else f"the log has no {what} yet"
        )
        raise ParameterError(f"{param}={value!r} is {problem}; {expected}")

    def _write(self, drafts: list[Draft]) -> list[Record]:
        return self._store.append(drafts)

    def _create(self, entity: str, payload: dict, author: str) -> str:
        entity_id = str(uuid.uuid4())
        self._write([Draft(entity, entity_id, "create", payload, author)])
        return entity_id

    def _update(self, entity: str, entity_id: str, payload: dict, author: str) -> None:
        self._write([Draft(entity, entity_id, "update", payload, author)])

    # -- hypotheses ----------------------------------------------------------

    def add_hypothesis(
        self,
        statement: str,
        *,
        team: str | None = None,
        category: str | None = None,
        author: str | None = None,
    ) -> str:
        """Propose a hypothesis; it starts with status ``"open"``.

        Parameters
        ----------
        statement : str
            What might have caused the incident, in the proposer's words (stored
            verbatim).
        team : str, optional
            Team or role of the proposer (``"OT"``, ``"IT"``, ``"quality"``,
            ``"maintenance"``, or any other non-empty text). Default: the log's team.
        category : str, optional
            Ishikawa category, one of :data:`ISHIKAWA_CATEGORIES`.
        author : str, optional
            Who proposes it. Default: the log's author.

        Returns
        -------
        str
            The new hypothesis id (a UUID).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Pump P-12 cavitation", team="maintenance", category="machine")
        >>> log.hypotheses().loc[0, ["team", "category", "status"]].tolist()
        ['maintenance', 'machine', 'open']
        """
        who = self._who(author)
        payload = {
            "statement": fields.text(statement, "statement"),
            "team": self._default_team(team),
            "category": fields.category(category),
            "status": "open",
            "status_reason": "",
        }
        return self._create("hypothesis", payload, who)

    def _default_team(self, team: str | None) -> str:
        if team is None:
            if self._team is None:
                raise ParameterError(
                    "team=None: no team given and the log was opened without a default team; "
                    f"expected a team such as {', '.join(map(repr, SUGGESTED_TEAMS))}"
                )
            return self._team
        return fields.text(team, "team")

    def set_status(
        self, hypothesis_id: str, status: str, *, reason: str = "", author: str | None = None
    ) -> None:
        """Record a new status of a hypothesis, with the reason.

        Two people setting different statuses are both kept in :meth:`history`;
        :meth:`hypotheses` shows the later one.

        Parameters
        ----------
        hypothesis_id : str
            The hypothesis (its id or a unique prefix of at least 4 characters).
        status : {"open", "supported", "refuted", "confirmed"}
        reason : str, default ""
            Why, in the author's words.
        author : str, optional
            Default: the log's author.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Sensor drift on TT-205", team="quality")
        >>> log.set_status(h, "refuted", reason="calibration check passed")
        >>> log.hypotheses().loc[0, ["status", "status_reason"]].tolist()
        ['refuted', 'calibration check passed']
        """
        who = self._who(author)
        target = self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        payload = {
            "status": fields.status(status),
            "status_reason": fields.text(reason, "reason", allow_empty=True),
        }
        self._update("hypothesis", target, payload, who)

    def set_category(
        self, hypothesis_id: str, category: str | None, *, author: str | None = None
    ) -> None:
        """Put a hypothesis in an Ishikawa (fishbone) category, or ``None`` to clear it.

        Parameters
        ----------
        hypothesis_id : str
        category : str or None
            One of ``"people"``, ``"method"``, ``"machine"``, ``"material"``,
            ``"measurement"``, ``"environment"``, ``"it_systems"``, ``"network"``.
        author : str, optional

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Historian buffer overflow", team="IT")
        >>> log.set_category(h, "it_systems")
        >>> log.hypotheses().loc[0, "category"]
        'it_systems'
        """
        who = self._who(author)
        target = self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        self._update("hypothesis", target, {"category": fields.category(category)}, who)

    def edit_hypothesis(
        self,
        hypothesis_id: str,
        *,
        statement: str | None = None,
        team: str | None = None,
        author: str | None = None,
    ) -> None:
        """Reword a hypothesis or change its team; the earlier wording stays in the history.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Valve stuck", team="OT")
        >>> log.edit_hypothesis(h, statement="Valve TV-101 stuck at 40 %")
        >>> log.hypotheses().loc[0, "statement"], len(log.history())
        ('Valve TV-101 stuck at 40 %', 2)
        """
        who = self._who(author)
        target = self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        payload = {}
        if statement is not None:
            payload["statement"] = fields.text(statement, "statement")
        if team is not None:
            payload["team"] = fields.text(team, "team")
        if not payload:
            raise ParameterError(
                "statement=None, team=None: nothing to change; expected statement= and/or team="
            )
        self._update("hypothesis", target, payload, who)

    # -- evidence ------------------------------------------------------------

    def add_evidence(
        self,
        hypothesis_id: str,
        *,
        kind: str,
        author: str | None = None,
        stance: str = "supports",
        note: str = "",
        candidate: Any = None,
        signal: str | None = None,
        start: Any = None,
        end: Any = None,
        event: Any = None,
        chart: Any = None,
    ) -> str:
        """Link a piece of evidence to a hypothesis.

        Parameters
        ----------
        hypothesis_id : str
            The hypothesis (id or unique prefix).
        kind : {"candidate", "signal", "event", "note", "chart"}
            What the evidence is; says which of the arguments below are used:

            - ``"candidate"``: ``candidate``, a row of ``rca.rank_candidates``
              (Series, one-row DataFrame or dict) with at least ``name``, ``type``,
              ``score``; every column is kept (``rank``, ``domain``, ``onset``,
              ``evidence``...).
            - ``"signal"``: ``signal`` (its name) and the tz-aware ``start``,
              ``end`` of the time range looked at.
            - ``"event"``: ``event``, a row of the events table with at least
              ``time``, ``source``, ``kind``, ``message``; every column is kept.
            - ``"note"``: ``note``, free text (required for this kind).
            - ``"chart"``: ``chart``, an altair chart or ``alt.JupyterChart`` (its
              ``to_dict()`` Vega-Lite spec is stored, data included), a Vega-Lite
              spec (dict or JSON text) or SVG text.
        author : str, optional
            Default: the log's author.
        stance : {"supports", "contradicts", "context"}, default "supports"
            How the evidence bears on the hypothesis.
        note : str, default ""
            A comment (for ``kind="note"``: the evidence itself). Stored verbatim.
        candidate, signal, start, end, event, chart
            The evidence itself, as above; passing one that ``kind`` does not use is
            an error.

        Returns
        -------
        str
            The evidence id.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("TV-101 stuck", team="OT")
        >>> e = log.add_evidence(h, kind="signal", signal="PK5.TV101.POS",
        ...                      start="2026-03-04T09:10Z", end="2026-03-04T09:40Z")
        >>> log.evidence().loc[0, "summary"]
        'signal PK5.TV101.POS from 2026-03-04T09:10:00Z to 2026-03-04T09:40:00Z'
        """
        who = self._who(author)
        target = self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        kind = fields.kind(kind)
        stance = fields.stance(stance)
        note = fields.text(note, "note", allow_empty=kind != "note")
        given = {
            "candidate": candidate,
            "signal": signal,
            "start": start,
            "end": end,
            "event": event,
            "chart": chart,
        }
        uses = {
            "candidate": ("candidate",),
            "signal": ("signal", "start", "end"),
            "event": ("event",),
            "note": (),
            "chart": ("chart",),
        }[kind]
        stray = [name for name, value in given.items() if value is not None and name not in uses]
        if stray:
            raise ParameterError(
                f"{', '.join(f'{n}=' for n in stray)} given with kind={kind!r}, which does not use "
                f"{'it' if len(stray) == 1 else 'them'}; expected only "
                f"{', '.join(f'{n}=' for n in uses) or 'note='} for this kind"
            )
        missing = [name for name in uses if given[name] is None]
        if missing:
            raise ParameterError(
                f"{', '.join(f'{n}=None' for n in missing)}: kind={kind!r} needs "
                f"{', '.join(f'{n}=' for n in uses)}"
            )
        if kind == "candidate":
            detail = fields.candidate_detail(candidate)
        elif kind == "signal":
            detail = fields.signal_detail(signal, start, end)
        elif kind == "event":
            detail = fields.event_detail(event)
        elif kind == "chart":
            detail = fields.chart_detail(chart)
        else:
            detail = {}
        payload = {
            "hypothesis_id": target,
            "kind": kind,
            "stance": stance,
            "note": note,
            "detail": detail,
        }
        return self._create("evidence", payload, who)

    # -- 5 whys, decisions, actions --------------------------------------------

    def add_why(self, hypothesis_id: str, text: str, *, author: str | None = None) -> str:
        """Add the next "why?" answer to a hypothesis's 5-whys chain.

        The chain is ordered by when each answer was written; :meth:`whys` numbers
        the steps 1, 2, 3, ...

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Scrap from under-temperature", team="quality")
        >>> _ = log.add_why(h, "Mould temperature fell to 180 degC")
        >>> _ = log.add_why(h, "Cooling valve stuck open")
        >>> log.whys()[["step", "text"]].values.tolist()
        [[1, 'Mould temperature fell to 180 degC'], [2, 'Cooling valve stuck open']]
        """
        who = self._who(author)
        target = self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        payload = {"hypothesis_id": target, "text": fields.text(text, "text")}
        return self._create("why", payload, who)

    def edit_why(self, why_id: str, text: str, *, author: str | None = None) -> None:
        """Reword one step of a 5-whys chain (its place in the chain is kept).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> w = log.add_why(log.add_hypothesis("Scrap", team="OT"), "Temperature low")
        >>> log.edit_why(w, "Mould temperature low")
        >>> log.whys().loc[0, "text"]
        'Mould temperature low'
        """
        who = self._who(author)
        target = self._resolve("why", why_id, "why_id")
        self._update("why", target, {"text": fields.text(text, "text")}, who)

    def add_decision(
        self, text: str, *, hypothesis_id: str | None = None, author: str | None = None
    ) -> str:
        """Record a decision the team took, optionally about one hypothesis.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> _ = log.add_decision("Run line 3 on manual cooling until the valve is replaced")
        >>> log.decisions().loc[0, "author"]
        'Ana'
        """
        who = self._who(author)
        target = (
            None
            if hypothesis_id is None
            else self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        )
        payload = {"hypothesis_id": target, "text": fields.text(text, "text")}
        return self._create("decision", payload, who)

    def add_action(
        self,
        text: str,
        *,
        owner: str,
        due: Any,
        hypothesis_id: str | None = None,
        author: str | None = None,
    ) -> str:
        """Record an action with its owner and due date; it starts with status ``"open"``.

        Parameters
        ----------
        text : str
            What is to be done.
        owner : str
            Who does it.
        due : datetime.date or str
            Calendar date by which it is due (``datetime.date`` or ``"YYYY-MM-DD"``).
        hypothesis_id : str, optional
            The hypothesis the action follows from.
        author : str, optional
            Who records it. Default: the log's author.

        Returns
        -------
        str
            The action id.

        Examples
        --------
        >>> import tempfile, pathlib, datetime
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> a = log.add_action("Replace TV-101 positioner", owner="Maintenance (Jo)",
        ...                    due="2026-03-10")
        >>> log.update_action(a, status="done")
        >>> log.actions().loc[0, ["due", "status"]].tolist()
        [datetime.date(2026, 3, 10), 'done']
        """
        who = self._who(author)
        target = (
            None
            if hypothesis_id is None
            else self._resolve("hypothesis", hypothesis_id, "hypothesis_id")
        )
        payload = {
            "hypothesis_id": target,
            "text": fields.text(text, "text"),
            "owner": fields.text(owner, "owner"),
            "due": fields.due_date(due),
            "status": "open",
        }
        return self._create("action", payload, who)

    def update_action(
        self,
        action_id: str,
        *,
        status: str | None = None,
        owner: str | None = None,
        due: Any = None,
        text: str | None = None,
        author: str | None = None,
    ) -> None:
        """Change an action's status, owner, due date or wording.

        ``status`` is one of ``"open"``, ``"in_progress"``, ``"done"``,
        ``"cancelled"``. Arguments left at ``None`` are unchanged.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> a = log.add_action("Check firewall log", owner="Ben", due="2026-03-05")
        >>> log.update_action(a, status="in_progress", owner="Cleo")
        >>> log.actions().loc[0, ["owner", "status"]].tolist()
        ['Cleo', 'in_progress']
        """
        who = self._who(author)
        target = self._resolve("action", action_id, "action_id")
        payload = {}
        if status is not None:
            payload["status"] = fields.action_status(status)
        if owner is not None:
            payload["owner"] = fields.text(owner, "owner")
        if due is not None:
            payload["due"] = fields.due_date(due)
        if text is not None:
            payload["text"] = fields.text(text, "text")
        if not payload:
            raise ParameterError(
                "status, owner, due and text are all None: nothing to change; expected at "
                "least one of them"
            )
        self._update("action", target, payload, who)

    def retract(self, entry_id: str, *, reason: str, author: str | None = None) -> None:
        """Withdraw a hypothesis, evidence, why, decision or action written by mistake.

        Nothing is deleted: the entry disappears from the views (unless
        ``include_retracted=True``) and the history keeps it, with who retracted it
        and why. Retracting a hypothesis does not retract the evidence, whys,
        decisions or actions linked to it; they stay in their views.

        Parameters
        ----------
        entry_id : str
            Id (or unique prefix) of the hypothesis, evidence, why, decision or action.
        reason : str
            Why it is withdrawn (required).
        author : str, optional

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Duplicate of another hypothesis", team="OT")
        >>> log.retract(h, reason="same as the valve hypothesis")
        >>> len(log.hypotheses()), len(log.hypotheses(include_retracted=True))
        (0, 1)
        """
        who = self._who(author)
        reason = fields.text(reason, "reason")
        target = self._resolve(None, entry_id, "entry_id")
        entity = self._store.find_created(target, limit=1)[0][1]
        self._update(entity, target, {"retracted": True, "retract_reason": reason}, who)

    # -- views ---------------------------------------------------------------

    def _entities(self, entity: str, include_retracted: bool) -> list[_Entity]:
        fields.flag(include_retracted, "include_retracted")
        found = [e for e in self._state()[1].values() if e.entity == entity]
        if not include_retracted:
            found = [e for e in found if not e.values.get("retracted", False)]
        return sorted(found, key=lambda e: e.order)

    def _hypothesis_filter(self, hypothesis_id: str | None) -> str | None:
        if hypothesis_id is None:
            return None
        return self._resolve("hypothesis", hypothesis_id, "hypothesis_id")

    def hypotheses(self, *, include_retracted: bool = False) -> pd.DataFrame:
        """Current state of every hypothesis, in the order they were proposed.

        Returns
        -------
        pandas.DataFrame
            One row per hypothesis:

            ================= ======================= =========================================
            column            dtype                   meaning
            ================= ======================= =========================================
            hypothesis_id     str                     UUID
            statement         str                     verbatim (escape it when rendering)
            team              str                     team or role of the proposer
            status            str                     open / supported / refuted / confirmed
            category          object (str or None)    Ishikawa category
            proposed_by       str                     author of the hypothesis
            created_at        datetime64[ns, UTC]     when it was proposed
            status_reason     str                     reason given with the current status
            status_by         str                     who set the current status
            status_at         datetime64[ns, UTC]     when
            updated_by        str                     author of the latest change
            updated_at        datetime64[ns, UTC]     when
            retracted         bool                    withdrawn (see :meth:`retract`)
            ================= ======================= =========================================

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> log.hypotheses().columns.tolist()[:4]
        ['hypothesis_id', 'statement', 'team', 'status']
        """
        rows = [
            {
                "hypothesis_id": e.entity_id,
                "statement": e.values["statement"],
                "team": e.values["team"],
                "status": e.values["status"],
                "category": e.values["category"],
                "proposed_by": e.created_by,
                "created_at": e.created_at,
                "status_reason": e.values["status_reason"],
                "status_by": e.written_by["status"],
                "status_at": e.written_at["status"],
                "updated_by": e.updated_by,
                "updated_at": e.updated_at,
                "retracted": e.values.get("retracted", False),
            }
            for e in self._entities("hypothesis", include_retracted)
        ]
        return _frame(
            rows,
            {
                "hypothesis_id": "str",
                "statement": "str",
                "team": "str",
                "status": "str",
                "category": "object",
                "proposed_by": "str",
                "created_at": "time",
                "status_reason": "str",
                "status_by": "str",
                "status_at": "time",
                "updated_by": "str",
                "updated_at": "time",
                "retracted": "bool",
            },
        )

    def evidence(
        self, hypothesis_id: str | None = None, *, include_retracted: bool = False
    ) -> pd.DataFrame:
        """Evidence linked to hypotheses (all, or one hypothesis's), in the order added.

        Returns
        -------
        pandas.DataFrame
            One row per piece of evidence:

            ============== ===================== ============================================
            column         dtype                 meaning
            ============== ===================== ============================================
            evidence_id    str                   UUID
            hypothesis_id  str                   the hypothesis it bears on
            kind           str                   candidate / signal / event / note / chart
            stance         str                   supports / contradicts / context
            summary        str                   one line saying what it is (verbatim text)
            note           str                   the author's comment (verbatim)
            detail         object (dict)         what was attached, as stored (JSON data;
                                                 times as ISO 8601 UTC text; a chart as
                                                 ``{"format": "vega-lite", "spec": ...}`` or
                                                 ``{"format": "svg", "svg": ...}``)
            author         str                   who attached it
            created_at     datetime64[ns, UTC]   when
            retracted      bool                  withdrawn
            ============== ===================== ============================================

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Backup job saturated the historian disk", team="IT")
        >>> _ = log.add_evidence(h, kind="event", stance="supports", event={
        ...     "time": "2026-03-04T09:55Z", "source": "hist-01", "kind": "backup",
        ...     "message": "full backup started"})
        >>> log.evidence(h).loc[0, "summary"]
        'event hist-01 backup at 2026-03-04T09:55:00Z: full backup started'
        """
        target = self._hypothesis_filter(hypothesis_id)
        rows = [
            {
                "evidence_id": e.entity_id,
                "hypothesis_id": e.values["hypothesis_id"],
                "kind": e.values["kind"],
                "stance": e.values["stance"],
                "summary": _evidence_summary(
                    e.values["kind"], e.values["note"], e.values["detail"]
                ),
                "note": e.values["note"],
                "detail": copy.deepcopy(e.values["detail"]),  # the cache stays intact
                "author": e.created_by,
                "created_at": e.created_at,
                "retracted": e.values.get("retracted", False),
            }
            for e in self._entities("evidence", include_retracted)
            if target is None or e.values["hypothesis_id"] == target
        ]
        return _frame(
            rows,
            {
                "evidence_id": "str",
                "hypothesis_id": "str",
                "kind": "str",
                "stance": "str",
                "summary": "str",
                "note": "str",
                "detail": "object",
                "author": "str",
                "created_at": "time",
                "retracted": "bool",
            },
        )

    def whys(
        self, hypothesis_id: str | None = None, *, include_retracted: bool = False
    ) -> pd.DataFrame:
        """The 5-whys chains: one row per answer, numbered per hypothesis.

        Returns
        -------
        pandas.DataFrame
            Columns ``why_id`` (str), ``hypothesis_id`` (str), ``step`` (int, 1 =
            first "why?" answered, counting only the rows shown), ``text`` (str,
            verbatim), ``author`` (str), ``created_at``, ``updated_by`` (str),
            ``updated_at`` (datetime64[ns, UTC]), ``retracted`` (bool); sorted by
            hypothesis (in the order proposed) and step.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Scrap spike", team="quality")
        >>> _ = log.add_why(h, "Parts too cold")
        >>> log.whys(h)["step"].tolist()
        [1]
        """
        target = self._hypothesis_filter(hypothesis_id)
        hypothesis_order = {
            e.entity_id: e.order for e in self._state()[1].values() if e.entity == "hypothesis"
        }
        chosen = [
            e
            for e in self._entities("why", include_retracted)
            if target is None or e.values["hypothesis_id"] == target
        ]
        chosen.sort(key=lambda e: (hypothesis_order.get(e.values["hypothesis_id"]), e.order))
        rows, steps = [], {}
        for e in chosen:
            parent = e.values["hypothesis_id"]
            steps[parent] = steps.get(parent, 0) + 1
            rows.append(
                {
                    "why_id": e.entity_id,
                    "hypothesis_id": parent,
                    "step": steps[parent],
                    "text": e.values["text"],
                    "author": e.created_by,
                    "created_at": e.created_at,
                    "updated_by": e.updated_by,
                    "updated_at": e.updated_at,
                    "retracted": e.values.get("retracted", False),
                }
            )
        return _frame(
            rows,
            {
                "why_id": "str",
                "hypothesis_id": "str",
                "step": "int",
                "text": "str",
                "author": "str",
                "created_at": "time",
                "updated_by": "str",
                "updated_at": "time",
                "retracted": "bool",
            },
        )

    def decisions(self, *, include_retracted: bool = False) -> pd.DataFrame:
        """Decisions, in the order taken.

        Returns
        -------
        pandas.DataFrame
            Columns ``decision_id`` (str), ``hypothesis_id`` (object: str or None),
            ``text`` (str, verbatim), ``author`` (str), ``created_at``
            (datetime64[ns, UTC]), ``retracted`` (bool).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> _ = log.add_decision("Stop line 3 for valve inspection")
        >>> log.decisions().loc[0, "hypothesis_id"] is None
        True
        """
        rows = [
            {
                "decision_id": e.entity_id,
                "hypothesis_id": e.values["hypothesis_id"],
                "text": e.values["text"],
                "author": e.created_by,
                "created_at": e.created_at,
                "retracted": e.values.get("retracted", False),
            }
            for e in self._entities("decision", include_retracted)
        ]
        return _frame(
            rows,
            {
                "decision_id": "str",
                "hypothesis_id": "object",
                "text": "str",
                "author": "str",
                "created_at": "time",
                "retracted": "bool",
            },
        )

    def actions(self, *, include_retracted: bool = False) -> pd.DataFrame:
        """Actions with their current owner, due date and status, in the order recorded.

        Returns
        -------
        pandas.DataFrame
            Columns ``action_id`` (str), ``hypothesis_id`` (object: str or None),
            ``text`` (str, verbatim), ``owner`` (str), ``due`` (object:
            ``datetime.date``, a calendar date without time zone), ``status`` (str:
            open / in_progress / done / cancelled), ``author`` (str, who recorded
            it), ``created_at``, ``updated_by`` (str), ``updated_at``
            (datetime64[ns, UTC]), ``retracted`` (bool).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> _ = log.add_action("Recalibrate TT-205", owner="Jo", due="2026-03-06")
        >>> log.actions().loc[0, "status"]
        'open'
        """
        rows = [
            {
                "action_id": e.entity_id,
                "hypothesis_id": e.values["hypothesis_id"],
                "text": e.values["text"],
                "owner": e.values["owner"],
                "due": dt.date.fromisoformat(e.values["due"]),
                "status": e.values["status"],
                "author": e.created_by,
                "created_at": e.created_at,
                "updated_by": e.updated_by,
                "updated_at": e.updated_at,
                "retracted": e.values.get("retracted", False),
            }
            for e in self._entities("action", include_retracted)
        ]
        return _frame(
            rows,
            {
                "action_id": "str",
                "hypothesis_id": "object",
                "text": "str",
                "owner": "str",
                "due": "object",
                "status": "str",
                "author": "str",
                "created_at": "time",
                "updated_by": "str",
                "updated_at": "time",
                "retracted": "bool",
            },
        )

    def history(self, entry_id: str | None = None) -> pd.DataFrame:
        """Every recorded change, oldest first: who, when, what.

        Parameters
        ----------
        entry_id : str, optional
            Only the changes of this hypothesis, evidence, why, decision or action
            (id or unique prefix).

        Returns
        -------
        pandas.DataFrame
            One row per record, in the log's total order (``clock``, then
            ``entry_id``):

            ============ ===================== ==============================================
            column       dtype                 meaning
            ============ ===================== ==============================================
            recorded_at  datetime64[ns, UTC]   when it was written (the writer's clock)
            author       str                   who wrote it
            entity       str                   hypothesis / evidence / why / decision / action
            entity_id    str                   which one
            op           str                   ``"create"`` or ``"update"``
            payload      object (dict)         the fields written, with their new values
            entry_id     str                   UUID of the record (what import merges on)
            origin       str                   ``log_id`` of the log file it was written in
            clock        int                   ordering key [us since 1970-01-01 UTC]
            seq          int                   arrival order in this file
            ============ ===================== ==============================================

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> h = log.add_hypothesis("Valve stuck", team="OT")
        >>> log.set_status(h, "supported", author="Ben")
        >>> log.history()[["author", "op"]].values.tolist()
        [['Ana', 'create'], ['Ben', 'update']]
        """
        records = self._state()[0]
        if entry_id is not None:
            entry_id = self._resolve(None, entry_id, "entry_id")
            records = [r for r in records if r.entity_id == entry_id]
        rows = [
            {
                "recorded_at": r.recorded_at,
                "author": r.author,
                "entity": r.entity,
                "entity_id": r.entity_id,
                "op": r.op,
                "payload": copy.deepcopy(r.payload),
                "entry_id": r.entry_id,
                "origin": r.origin,
                "clock": r.clock,
                "seq": r.seq,
            }
            for r in records
        ]
        return _frame(
            rows,
            {
                "recorded_at": "time",
                "author": "str",
                "entity": "str",
                "entity_id": "str",
                "op": "str",
                "payload": "object",
                "entry_id": "str",
                "origin": "str",
                "clock": "int",
                "seq": "int",
            },
        )

    # -- JSON export / import -----------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The whole log as a JSON-ready document (the export format, version 1).

        ``{"format": "rca.hypothesis-log", "version": 1, "log_id": ..., "exported_at":
        ..., "records": [...]}``, each record with the keys ``entry_id``, ``clock``,
        ``recorded_at``, ``author``, ``entity``, ``entity_id``, ``op``, ``payload``,
        ``origin``, in the log's total order. See ``docs/hypotheses.md``.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> log = HypothesisLog.open(pathlib.Path(tempfile.mkdtemp()) / "h.sqlite", author="Ana")
        >>> _ = log.add_hypothesis("Valve stuck", team="OT")
        >>> doc = log.to_dict()
        >>> doc["format"], doc["version"], len(doc["records"])
        ('rca.hypothesis-log', 1, 1)
        """
        return self._document(copy.deepcopy)

    def _document(self, copy_payload) -> dict[str, Any]:
        records = self._state()[0]
        return {
            "format": JSON_FORMAT,
            "version": JSON_VERSION,
            "log_id": self.log_id,
            "exported_at": format_recorded_at(time.time_ns()),
            "records": [{**r.to_dict(), "payload": copy_payload(r.payload)} for r in records],
        }

    def export_json(self, path: str | os.PathLike) -> Path:
        """Write the whole log to a JSON file (UTF-8) that :meth:`import_json` reads.

        Returns
        -------
        pathlib.Path
            The file written.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> log = HypothesisLog.open(folder / "h.sqlite", author="Ana")
        >>> _ = log.add_hypothesis("Valve stuck", team="OT")
        >>> log.export_json(folder / "h.json").name
        'h.json'
        """
        if not isinstance(path, (str, os.PathLike)):
            raise ParameterError(f"path={path!r}: expected a file path (str or pathlib.Path)")
        path = Path(path)
        if not path.parent.is_dir():
            raise ParameterError(
                f"path={str(path)!r}: the folder {str(path.parent)!r} does not exist"
            )
        document = self._document(lambda payload: payload)  # only serialised: no copies
        text = json.dumps(document, ensure_ascii=False, indent=1, allow_nan=False)
        tmp = path.with_name(path.name + f".{uuid.uuid4().hex[:8]}.tmp")
        try:
            tmp.write_text(text + "\n", encoding="utf-8")
            os.replace(tmp, path)  # readers never see a half-written export
        finally:
            tmp.unlink(missing_ok=True)
        return path

    def import_json(self, source: str | os.PathLike | Mapping) -> ImportResult:
        """Merge an exported log (a file or its dict) into this one.

        Records are matched by ``entry_id``: those already here are skipped, the
        others are added with their original author, time and clock, so importing
        twice adds nothing, and two copies merged either way round show the same
        current state. The whole import is one transaction: if any record is
        invalid, nothing is added.

        Parameters
        ----------
        source : str, os.PathLike or dict
            A file written by :meth:`export_json`, or a document from
            :meth:`to_dict`.

        Returns
        -------
        ImportResult
            How many records were added and how many were already present.

        Raises
        ------
        SourceError
            The document is not a hypothesis log of a version this ``rca`` reads, or
            a record is invalid (the message names the record and the field), or a
            record has the ``entry_id`` of a different record already stored.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> it = HypothesisLog.open(folder / "it.sqlite", author="Ben", team="IT")
        >>> _ = it.add_hypothesis("Firewall change dropped OPC UA")
        >>> ot = HypothesisLog.open(folder / "ot.sqlite", author="Ana", team="OT")
        >>> ot.import_json(it.export_json(folder / "it.json")).added
        1
        >>> ot.import_json(folder / "it.json").added
        0
        """
        if isinstance(source, Mapping):
            where, document = "<dict>", source
        elif isinstance(source, (str, os.PathLike)):
            where = str(source)
            try:
                document = json.loads(Path(source).read_text(encoding="utf-8"))
            except FileNotFoundError:
                raise SourceError(
                    f"hypothesis log export {where!r}: no such file; expected a JSON file "
                    "written by HypothesisLog.export_json"
                ) from None
            except (UnicodeDecodeError, ValueError) as error:
                raise SourceError(
                    f"hypothesis log export {where!r}: not UTF-8 JSON ({error}); expected a "
                    "file written by HypothesisLog.export_json"
                ) from None
        else:
            raise ParameterError(
                f"source={source!r}: expected a JSON file path or a dict from to_dict()"
            )
        records = parse_document(document, where)

        def check(existing: dict[str, Record]) -> list[Record]:
            return check_import(records, existing, where)

        added, present = self._store.insert_foreign(records, check)
        return ImportResult(source=where, added=added, already_present=present)


def _manifest_file(manifest: Any) -> Path:
    """The manifest file of a path or of an object with a ``path`` (``rca.manifest.Manifest``)."""
    candidate = getattr(manifest, "path", manifest)
    if not isinstance(candidate, (str, os.PathLike)):
        raise ParameterError(
            f"manifest={manifest!r}: expected the path of the investigation manifest (or an "
            "Investigation or Manifest, which carry it as .path)"
        )
    return Path(candidate)


def hypothesis_log_path(manifest: str | os.PathLike | Any) -> Path:
    """Where the hypothesis log of an investigation lives: beside its manifest.

    ``<folder>/<manifest stem>.hypotheses.sqlite``.

    Parameters
    ----------
    manifest : str, os.PathLike or Manifest
        The manifest file, or an object with its ``path`` (as ``rca.read_manifest``
        returns).

    Examples
    --------
    >>> hypothesis_log_path("/data/line3/investigation.toml").as_posix()
    '/data/line3/investigation.hypotheses.sqlite'
    """
    manifest_path = _manifest_file(manifest)
    return manifest_path.with_name(f"{manifest_path.stem}.hypotheses.sqlite")


def open_hypothesis_log(
    manifest: str | os.PathLike | Any,
    *,
    author: str | None = None,
    team: str | None = None,
    timeout: float = 30.0,
) -> HypothesisLog:
    """Open (or create) the hypothesis log kept beside an investigation manifest.

    Parameters
    ----------
    manifest : str, os.PathLike, Investigation or Manifest
        The investigation manifest (``investigation.toml``), which must exist, or an
        object with its ``path`` (``rca.open_investigation(...)``,
        ``rca.read_manifest(...)``). The log is
        ``<folder>/<manifest stem>.hypotheses.sqlite``.
    author, team, timeout
        As for :class:`HypothesisLog`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> manifest = pathlib.Path(tempfile.mkdtemp()) / "investigation.toml"
    >>> _ = manifest.write_text('title = "Line 3 scrap"\\n')
    >>> log = open_hypothesis_log(manifest, author="Ana", team="OT")
    >>> log.path.name
    'investigation.hypotheses.sqlite'
    >>> log.close()
    """
    manifest_path = _manifest_file(manifest)
    if not manifest_path.is_file():
        raise ManifestError(
            f"manifest {str(manifest_path)!r}: no such file; expected the investigation "
            "manifest the hypothesis log is kept beside"
        )
    return HypothesisLog(
        hypothesis_log_path(manifest_path), author=author, team=team, timeout=timeout
    )
