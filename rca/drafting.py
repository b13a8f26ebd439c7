"""Draft an investigation manifest from a folder of exports.

A plant or IT team usually has a folder of exports (historian CSVs, an alarm journal, a
Grafana download, a change list) and no manifest yet. :func:`draft_manifest` looks at
every CSV / CSV.GZ / TSV / Parquet file in the folder and guesses what ``docs/manifest.md``
asks for: signals or events, long or wide, which column holds the time, the tag, the value,
the quality, the message..., how the time is written, the delimiter and decimal mark, and
whether the data are OT or IT. Every guess comes with the reason for it.

What cannot be read from the files becomes a question (:attr:`ManifestDraft.questions`):
the time zone of naive local time stamps, when the incident was noticed, which signal went
wrong, and whatever was ambiguous (a day/month order, a column that could be two things).
Answer them with :meth:`ManifestDraft.answer` (or pass the answers to
:func:`draft_manifest` as keywords), then :meth:`ManifestDraft.write` the manifest and open
it with :func:`rca.open_investigation`.

The guesses use the header names (English, German, French, Spanish and a few abbreviations),
the cell contents (numbers, times, few or many distinct values, free text) and the names
found in the data (instrument tags such as ``FIC101.PV`` versus host names and metrics
such as ``fw-core-02.cpu_pct``). None of them is final: everything can be overridden
with an answer, and :meth:`ManifestDraft.describe` says what was decided and why.
"""

from __future__ import annotations

import csv
import os
import re
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from rca.errors import ManifestError, ParameterError, SourceError
from rca.manifest import Manifest, manifest_from_dict
from rca.timestamps import check_timezone, parse_instant, parse_times

__all__ = ["draft_manifest", "ManifestDraft", "SourceDraft", "Question", "DATA_SUFFIXES"]

#: File endings looked at (case-insensitive); everything else is listed in ``skipped``.
DATA_SUFFIXES = (".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt", ".txt.gz", ".dat", ".parquet")
_DEFAULT_SAMPLE_ROWS = 200_000
_NULLS = {"", "NULL", "null", "NaN", "nan", "N/A", "#N/A", "None"}

# ----------------------------------------------------------------------------- vocabulary
# Header words by role. A header is split into lower-case words (camelCase, snake_case,
# dots and spaces); a role matches when one of its words is among the header's words or
# the whole header equals it.
_ROLE_WORDS = {
    "time": {"time", "timestamp", "datetime", "date", "ts", "zeit", "zeitstempel", "datum", "uhrzeit",
             "horodatage", "fecha", "hora", "tempo", "data", "start", "begin", "occurred", "created",
             "eventtime", "timestamp_ms", "epoch", "logged", "received"},
    "end": {"end", "ende", "stop", "finish", "finished", "closed", "cleared", "until", "fin", "fim",
            "work_end", "end_time", "endtime", "rtn", "returned"},
    "tag": {"tag", "tagname", "tags", "name", "point", "pointname", "item", "itemid", "signal", "series",
            "metric", "host", "hostname", "property", "attribute", "parameter", "sensor", "channel",
            "variable", "messstelle", "kanal", "variable_name", "measurement", "instance", "counter"},
    "value": {"value", "wert", "val", "pv", "reading", "valeur", "valor", "result", "messwert", "v"},
    "quality": {"quality", "qual", "q", "qualitaet", "qualität", "status", "flag", "flags", "qualite",
                "calidad", "qualidade", "opc_quality"},
    "unit": {"unit", "units", "einheit", "uom", "eu", "engunits", "unite", "unidad"},
    "description": {"description", "desc", "beschreibung", "descripcion", "descricao", "comment", "text"},
    "source": {"source", "host", "hostname", "device", "node", "quelle", "ci", "cmdb_ci", "asset",
               "equipment", "object", "server", "system", "origin", "tag", "tagname", "point", "item",
               "emitter", "sender", "computer", "component", "anlage", "geraet", "machine", "fuente", "fonte"},
    "kind": {"type", "kind", "condition", "event", "eventtype", "event_type", "category", "class", "bedingung",
             "alarmtype", "code", "action", "typ", "art", "categorie", "tipo", "subcondition"},
    "message": {"message", "msg", "text", "description", "summary", "short_description", "meldung",
                "beschreibung", "details", "detail", "comment", "subject", "title", "nachricht", "mensaje",
                "mensagem", "libelle"},
    "severity": {"severity", "priority", "prio", "level", "prioritaet", "priorität", "urgency",
                 "criticality", "sev", "gravite", "prioridad", "prioridade", "loglevel"},
    "state": {"state", "status", "zustand", "alarmstate", "alarm_state", "estado", "etat", "transition"},
}
# Alarm/event state vocabularies: an open interval and its return to normal.
_ACTIVE_STATES = {"ACT", "ACTIVE", "ALM", "ALARM", "ALARMED", "RAISED", "SET", "COME", "COMING", "KOMMT",
                  "K", "IN", "ON", "TRIP", "TRIPPED", "OPEN", "OPENED", "START", "BEGIN", "FIRING",
                  "UNACK_ALM", "ACT/UNACK", "INALM"}
_RETURN_STATES = {"RTN", "RETURN", "RTNUNACK", "RTN/UNACK", "NORMAL", "NR", "CLR", "CLEAR", "CLEARED",
                  "OK", "GO", "GOING", "GEHT", "G", "OUT", "OFF", "RESET", "RESOLVED", "END", "STOP",
                  "NORM", "RTN_UNACK"}
_GOOD_QUALITY_WORDS = {"good", "gut", "ok", "valid", "normal", "g", "bon", "bueno", "boa", "good_data",
                       "goodnonspecific", "good_non_specific", "good (192)"}
_QUALITY_WORDS = _GOOD_QUALITY_WORDS | {"bad", "uncertain", "questionable", "substituted", "schlecht",
                                        "unsicher", "invalid", "stale", "bad_data", "suspect"}

# Evidence for OT / IT.
_OT_FILE_WORDS = {"historian", "hist", "pi", "osisoft", "aveva", "hda", "opc", "opcua", "dcs", "scada",
                  "plc", "alarm", "alarms", "ae", "a&e", "journal", "batch", "process", "plant",
                  "trend", "trends", "tags", "ip21", "phd", "wincc", "archive", "sps", "leitsystem"}
_IT_FILE_WORDS = {"it", "server", "servers", "host", "hosts", "syslog", "log", "logs", "grafana",
                  "prometheus", "zabbix", "nagios", "splunk", "elastic", "kibana", "snmp", "netflow",
                  "network", "change", "changes", "ticket", "tickets", "incidents", "servicenow", "cmdb",
                  "windows", "eventlog", "auth", "security", "firewall", "monitoring", "datadog", "vm",
                  "infra", "infrastructure", "apm"}
_IT_METRIC_WORDS = {"cpu", "mem", "memory", "disk", "latency", "util", "utilisation", "utilization",
                    "net", "network", "load", "iops", "packet", "packets", "loss", "queue", "bytes",
                    "http", "requests", "errors", "heap", "swap", "uptime", "ping", "rtt", "bandwidth",
                    "mbps", "kbps", "gbps", "if", "ifutil", "if_util", "io", "jvm", "gc", "threads",
                    "connections", "sessions", "pct", "percent", "response", "throughput", "temp_cpu"}
_SYSLOG_SEVERITIES = {"debug", "info", "informational", "notice", "warning", "warn", "error", "err",
                      "critical", "crit", "alert", "emerg", "emergency", "fatal", "trace"}
_INSTRUMENT_RE = re.compile(
    r"(?:^|[._:/\-\s])[A-Z]{1,2}[A-Z]{0,3}[-_]?\d{2,5}[A-Z]?(?:$|[._:/\-\s])")
_PV_SUFFIX_RE = re.compile(r"[._:](PV|SP|OUT|OP|MV|CV|SV|CO|MEAS|DACA|PIDA)$", re.IGNORECASE)
_HOST_RE = re.compile(r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)+(?:\.[a-z0-9_\-]+)*$")
_IP_RE = re.compile(r"\b\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b")

_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}|\d{1,2}:\d{2}|^\d{4}-\d{2}-\d{2}|"
                        r"\d{1,2}[ -][A-Za-z]{3}[ -]\d{2,4}|[A-Za-z]{3} \d{1,2},? \d{4}")
_EPOCH_TEXT = re.compile(r"^-?\d{9,19}(?:\.\d*)?$")
_AWARE_TEXT = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")
_NUMBER_DOT = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")
_NUMBER_COMMA = re.compile(r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?:[eE][+-]?\d+)?$")
_COMMA_DECIMAL = re.compile(r"^[+-]?\d+,\d+$")
_DOT_DECIMAL = re.compile(r"^[+-]?\d*\.\d+$")

# strftime candidates tried when pandas cannot infer a format by itself (12-hour clocks,
# two-digit years, month names). Every candidate is checked against the sample.
_DATE_PARTS = ("%d.%m.%Y", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d", "%Y/%m/%d", "%d-%m-%Y", "%m-%d-%Y",
               "%Y.%m.%d", "%d.%m.%y", "%m/%d/%y", "%d/%m/%y", "%d-%b-%Y", "%d %b %Y", "%b %d %Y",
               "%d-%b-%y", "%Y%m%d")
_TIME_PARTS = ("%H:%M:%S", "%H:%M", "%H:%M:%S.%f", "%I:%M:%S %p", "%I:%M %p", "%I:%M:%S.%f %p",
               "%H:%M:%S,%f", "%H%M%S")


# ---------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Question:
    """Something the draft could not infer from the files.

    Attributes
    ----------
    key : str
        What to answer, e.g. ``"incident.start"``, ``"source.historian.timezone"``.
    text : str
        The question in plain words, with what was seen in the files.
    required : bool
        ``True`` when the manifest cannot be written without an answer. Optional questions
        fall back to ``suggestion``.
    suggestion : object
        The value used when an optional question is not answered (or a hint for a required one).
    choices : tuple
        The possible answers when they are few (e.g. two readings of a date).
    """

    key: str
    text: str
    required: bool = True
    suggestion: Any = None
    choices: tuple = ()

    def to_dict(self) -> dict:
        return {"key": self.key, "text": self.text, "required": self.required,
                "suggestion": self.suggestion, "choices": list(self.choices)}


@dataclass
class SourceDraft:
    """What the draft guessed for one export file.

    Attributes
    ----------
    name : str
        Source name (from the file name).
    path : pathlib.Path
        The file.
    settings : dict
        The manifest keys of the ``[[source]]`` table (``kind``, ``domain``, ``layout``,
        ``columns``, ``time_format``, ``delimiter``, ...) as guessed or answered.
    reasons : dict
        For each guessed key, why (what was seen in the file).
    notes : list of str
        Things worth knowing that need no answer (text values that will be rejected, ...).
    """

    name: str
    path: Path
    settings: dict = field(default_factory=dict)
    reasons: dict = field(default_factory=dict)
    notes: list = field(default_factory=list)
    questions: list = field(default_factory=list)
    naive_times: bool = False

    def to_dict(self) -> dict:
        return {"name": self.name, "path": str(self.path), "settings": _plain(self.settings),
                "reasons": dict(self.reasons), "notes": list(self.notes)}


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class ManifestDraft:
    """A manifest being drafted from a folder of exports.

    Built by :func:`draft_manifest`. Read :meth:`describe` for the guesses and their reasons,
    answer :attr:`questions` with :meth:`answer`, then :meth:`write` the manifest.

    Attributes
    ----------
    folder : pathlib.Path
        The folder that was inspected.
    sources : list of SourceDraft
        One per export file that could be used.
    skipped : dict
        ``{file name: reason}`` for every file that was not used.
    """

    _SHORTCUTS = {"title": "title", "timezone": "timezone", "start": "incident.start",
                  "symptom": "incident.symptom", "description": "description",
                  "lookback": "incident.lookback", "lookahead": "incident.lookahead"}

    def __init__(self, folder: Path, sources: list, skipped: dict):
        self.folder = folder
        self.sources = sources
        self.skipped = skipped
        self._answers: dict[str, Any] = {}

    # -- questions and answers ----------------------------------------------------------
    @property
    def all_questions(self) -> list[Question]:
        """Every question, answered or not."""
        out = [
            Question("incident.start",
                     "When was the problem noticed? A date and time such as '2026-03-04 10:15' (read in "
                     "the display time zone) or with an offset ('2026-03-04T09:15:00Z').",
                     required=True),
            Question("incident.symptom",
                     "Which signal showed the problem (e.g. the quality or scrap measurement), exactly as "
                     "named in the data? Optional.", required=False, suggestion=None),
        ]
        zone_hint = self._zone_default()
        out.append(Question(
            "timezone",
            "Which time zone should times be shown in (the plant's local zone, an IANA name such as "
            "'Europe/Berlin')?",
            required=False, suggestion=zone_hint or "UTC"))
        out.append(Question("title", "A short name for the incident.", required=False,
                            suggestion=_title_from(self.folder)))
        for s in self.sources:
            out.extend(s.questions)
        return out

    @property
    def questions(self) -> list[Question]:
        """The questions not answered yet (required ones first)."""
        open_ = [q for q in self.all_questions if not self._answered(q.key)]
        return sorted(open_, key=lambda q: not q.required)

    @property
    def open_required(self) -> list[Question]:
        """Unanswered questions without which the manifest cannot be written."""
        return [q for q in self.questions if q.required]

    def _answered(self, key: str) -> bool:
        if key in self._answers:
            return True
        m = re.match(r"^source\.(.+)\.timezone$", key)
        if not (m and "timezone" in self._answers):
            return False
        src = next((s for s in self.sources if s.name == m.group(1)), None)
        return src is not None and self._plant_zone_applies(src)

    def _domain(self, s: SourceDraft):
        return self._answers.get(f"source.{s.name}.domain", s.settings.get("domain"))

    def _plant_zone_applies(self, s: SourceDraft) -> bool:
        """``timezone=`` answers the naive times of plant (OT) sources, not of IT sources:
        IT systems often log in UTC, so their zone is asked separately."""
        return str(self._domain(s)).upper() != "IT"

    def _zone_default(self) -> str | None:
        if "timezone" in self._answers:
            return self._answers["timezone"]
        zones = [self._answers[f"source.{s.name}.timezone"] for s in self.sources
                 if s.naive_times and f"source.{s.name}.timezone" in self._answers]
        ot = [self._answers[f"source.{s.name}.timezone"] for s in self.sources
              if s.naive_times and s.settings.get("domain") == "OT"
              and f"source.{s.name}.timezone" in self._answers]
        if ot:
            return Counter(ot).most_common(1)[0][0]
        if zones:
            return Counter(zones).most_common(1)[0][0]
        return None

    def _keys(self) -> list[str]:
        keys = set(self._SHORTCUTS.values()) | {q.key for q in self.all_questions}
        return sorted(keys)

    def answer(self, key: str | None = None, value: Any = None, /, **answers) -> "ManifestDraft":
        """Answer questions (or override guesses). Returns the draft itself.

        Parameters
        ----------
        key, value : str, object, optional
            One answer: a question key (``"incident.start"``, ``"source.historian.timezone"``)
            or any manifest key of a source (``"source.historian.columns.tag"``,
            ``"source.it_events.domain"``).
        **answers
            Shortcuts: ``title``, ``timezone`` (the display zone, and the zone of every OT
            source with naive time stamps that is not answered separately; IT sources with
            naive times keep their own question), ``start``, ``symptom``,
            ``description``, ``lookback``, ``lookahead``.

        Raises
        ------
        ParameterError
            For an unknown key or a value that cannot be right (unknown time zone, unreadable
            start time); the message names the key.

        Examples
        --------
        >>> draft.answer(timezone="Europe/Berlin", start="2026-03-04 10:15")  # doctest: +SKIP
        >>> draft.answer("source.changes.timezone", "UTC")  # doctest: +SKIP
        """
        items = []
        if key is not None:
            items.append((key, value))
        elif value is not None:
            raise ParameterError("answer(): a value was given without a key; use answer(key, value)")
        for short, val in answers.items():
            if short not in self._SHORTCUTS:
                raise ParameterError(
                    f"answer(): unknown keyword {short!r}; expected one of {', '.join(sorted(self._SHORTCUTS))} "
                    "or answer(key, value) with a question key")
            items.append((self._SHORTCUTS[short], val))
        for k, v in items:
            self._set(k, v)
        return self

    def _set(self, key: str, value: Any) -> None:
        if not isinstance(key, str):
            raise ParameterError(f"answer(): key must be text such as 'incident.start', got {key!r}")
        names = {s.name: s for s in self.sources}
        if key == "timezone" or key.endswith(".timezone"):
            value = check_timezone(value, name=key)
        elif key == "incident.start":
            if isinstance(value, str):
                parse_instant(value, timezone=self._zone_default() or "UTC", name="incident.start")
            else:
                value = parse_instant(value, name="incident.start").isoformat().replace("+00:00", "Z")
        elif key in ("incident.lookback", "incident.lookahead"):
            from rca.timestamps import parse_duration
            if value != "auto":
                parse_duration(value, name=key)
        elif key in ("title", "description", "incident.symptom"):
            if value is not None and not isinstance(value, str):
                raise ParameterError(f"{key}: expected text, got {type(value).__name__} {value!r}")
        m = re.match(r"^source\.(.+?)\.(.+)$", key)
        if m:
            src, sub = m.groups()
            if src not in names:
                # Source names may contain dots; try the longest matching name.
                match = [n for n in names if key.startswith(f"source.{n}.")]
                if not match:
                    raise ParameterError(
                        f"answer(): {key!r} names no source of this draft; sources: {', '.join(names) or 'none'}")
                src = max(match, key=len)
                sub = key[len(f"source.{src}."):]
            if sub == "name":
                raise ParameterError(f"answer(): {key!r}: source names cannot be changed by an answer")
            self._answers[key] = value
            return
        if key not in self._keys():
            raise ParameterError(
                f"answer(): unknown key {key!r}; expected one of {', '.join(self._keys())} or "
                "'source.<name>.<manifest key>'")
        self._answers[key] = value

    # -- the manifest -------------------------------------------------------------------
    def _source_table(self, s: SourceDraft, anchor: Path) -> dict:
        table: dict = {"name": s.name}
        settings = {k: (dict(v) if isinstance(v, dict) else v) for k, v in s.settings.items()}
        if not s.naive_times:
            zone = "UTC"
        elif f"source.{s.name}.timezone" in self._answers:
            zone = self._answers[f"source.{s.name}.timezone"]
        else:
            zone = self._answers.get("timezone") if self._plant_zone_applies(s) else None
        if zone is not None:
            settings["timezone"] = zone
        for k, v in self._answers.items():
            prefix = f"source.{s.name}."
            if not k.startswith(prefix):
                continue
            sub = k[len(prefix):]
            if sub.startswith("columns."):
                role = sub[len("columns."):]
                cols = dict(settings.get("columns", {}))
                if v is None:
                    cols.pop(role, None)
                else:
                    cols[role] = v
                settings["columns"] = cols
            elif v is None:
                settings.pop(sub, None)
            else:
                settings[sub] = v
        # Questions left open but optional: take the suggestion.
        for q in s.questions:
            sub = q.key[len(f"source.{s.name}."):]
            if q.key not in self._answers and not q.required and q.suggestion is not None \
                    and sub not in settings:
                settings[sub] = q.suggestion
        if settings.get("kind") == "events":
            for k in ("layout", "good_quality", "value_map", "units", "max_gap", "ignore", "tag_separator"):
                settings.pop(k, None)
            cols = settings.get("columns", {})
            if "state" not in cols:
                settings.pop("active_states", None)
                settings.pop("return_states", None)
        else:
            for k in ("active_states", "return_states"):
                settings.pop(k, None)
            if settings.get("layout") == "wide":
                settings["columns"] = {"time": settings.get("columns", {}).get("time")}
        order = ["domain", "kind", "path", "layout", "timezone", "time_format", "time_unit", "delimiter",
                 "decimal", "encoding", "skip_rows", "good_quality", "active_states", "return_states",
                 "clock_offset", "ignore", "columns"]
        try:
            rel = os.path.relpath(s.path, anchor)
        except ValueError:  # another drive on Windows
            rel = str(s.path)
        settings["path"] = Path(rel).as_posix()
        for k in order:
            if k in settings and settings[k] is not None:
                table[k] = settings[k]
        for k, v in settings.items():
            if k not in table and v is not None:
                table[k] = v
        return table

    def to_dict(self, *, anchor=None) -> dict:
        """The manifest as a dict (what ``investigation.toml`` will hold).

        Unanswered required questions leave their keys out. ``anchor`` is the folder the
        paths are made relative to (default: the inspected folder).
        """
        anchor = Path(anchor) if anchor is not None else self.folder
        zone = self._zone_default() or "UTC"
        data: dict = {"title": self._answers.get("title") or _title_from(self.folder), "timezone": zone}
        if self._answers.get("description"):
            data["description"] = self._answers["description"]
        incident: dict = {}
        if self._answers.get("incident.start") is not None:
            incident["start"] = self._answers["incident.start"]
        if self._answers.get("incident.symptom"):
            incident["symptom"] = self._answers["incident.symptom"]
        incident["lookback"] = self._answers.get("incident.lookback", "auto")
        incident["lookahead"] = self._answers.get("incident.lookahead", "auto")
        data["incident"] = incident
        data["source"] = [self._source_table(s, anchor) for s in self.sources]
        return data

    def to_toml(self, *, anchor=None) -> str:
        """The manifest as TOML text, with the reasons for each guess as comments.

        Open required questions are listed at the top; their keys are missing, so the text
        does not load until they are answered (or filled in by hand).
        """
        import tomli_w

        data = self.to_dict(anchor=anchor)
        lines = [f"# Drafted by rca.drafting.draft_manifest from the files in {self.folder.name}/.",
                 "# Check every guess below; the comments say why each was made."]
        open_ = self.open_required
        if open_:
            lines.append("#")
            lines.append("# OPEN QUESTIONS (answer with draft.answer(key, value) or edit this file):")
            for q in open_:
                lines.append(f"#   {q.key}: {q.text}")
        head = {k: v for k, v in data.items() if k != "source"}
        text = "\n".join(lines) + "\n\n" + tomli_w.dumps(head)
        for s, table in zip(self.sources, data["source"]):
            comment = [f"# {s.path.name}:"] + [f"#   {k}: {why}" for k, why in s.reasons.items()]
            comment += [f"#   note: {n}" for n in s.notes]
            text += "\n" + "\n".join(comment) + "\n" + tomli_w.dumps({"source": [table]})
        return text

    def to_manifest(self, path=None) -> Manifest:
        """Validate the draft as a manifest (as if written to ``path``).

        Raises
        ------
        ManifestError
            When required questions are open (they are listed) or the answers make an invalid
            manifest (the message names the key).
        """
        open_ = self.open_required
        if open_:
            listed = "; ".join(f"{q.key} ({q.text})" for q in open_)
            raise ManifestError(
                f"draft of {self.folder}: {len(open_)} required question(s) are open: {listed}. Answer "
                "them with draft.answer(key, value)")
        path = Path(path) if path is not None else self.folder / "investigation.toml"
        return manifest_from_dict(self.to_dict(anchor=path.parent), path=path.resolve())

    def write(self, path=None, *, overwrite: bool = False) -> Path:
        """Write the manifest (default ``<folder>/investigation.toml``) and return its path.

        Raises
        ------
        ManifestError
            When required questions are open, the answers are invalid, or the file exists and
            ``overwrite`` is False.

        Examples
        --------
        >>> import rca
        >>> draft = draft_manifest("exports/", timezone="Europe/Berlin",
        ...                        start="2026-03-04 10:15")  # doctest: +SKIP
        >>> inv = rca.open_investigation(draft.write())  # doctest: +SKIP
        """
        path = Path(path) if path is not None else self.folder / "investigation.toml"
        if path.is_dir():
            path = path / "investigation.toml"
        if path.exists() and not overwrite:
            raise ManifestError(
                f"{path} already exists; pass overwrite=True to replace it, or another path")
        self.to_manifest(path)
        text = self.to_toml(anchor=path.parent)
        path.write_text(text, encoding="utf-8")
        return path

    # -- for people -----------------------------------------------------------------------
    def describe(self) -> str:
        """What was found in each file, what was guessed and why, and the open questions."""
        lines = [f"Draft manifest for {self.folder}: {len(self.sources)} export(s) used"]
        for s in self.sources:
            st = s.settings
            what = f"{st.get('domain', '?')} {st.get('kind', '?')}"
            if st.get("kind") == "signals":
                what += f", {st.get('layout', '?')} layout"
            lines.append(f"- {s.path.name} -> source {s.name!r}: {what}")
            for k, why in s.reasons.items():
                lines.append(f"    {k}: {why}")
            for n in s.notes:
                lines.append(f"    note: {n}")
        for name, why in self.skipped.items():
            lines.append(f"- {name}: not used ({why})")
        qs = self.questions
        if qs:
            lines.append("Questions:")
            for q in qs:
                tag = "required" if q.required else f"optional, default {q.suggestion!r}"
                choice = f" Choices: {', '.join(map(repr, q.choices))}." if q.choices else ""
                lines.append(f"  [{q.key}] ({tag}) {q.text}{choice}")
        else:
            lines.append("No open questions: write() the manifest.")
        return "\n".join(lines)

    def to_frame(self) -> pd.DataFrame:
        """One row per export: file, source name, domain, kind, layout, time column and format."""
        rows = []
        for s in self.sources:
            st = s.settings
            rows.append({
                "file": s.path.name, "source": s.name, "domain": st.get("domain"), "kind": st.get("kind"),
                "layout": st.get("layout", "") if st.get("kind") == "signals" else "",
                "time column": st.get("columns", {}).get("time"),
                "time format": st.get("time_format") or (f"epoch {st['time_unit']}" if st.get("time_unit")
                                                         else "ISO 8601"),
                "naive times": s.naive_times,
            })
        return pd.DataFrame(rows)

    def __repr__(self) -> str:
        return (f"<ManifestDraft of {self.folder.name}/: {len(self.sources)} sources, "
                f"{len(self.open_required)} required question(s) open>")

    def _repr_html_(self) -> str:
        import html

        return "<pre class='rca-draft'>" + html.escape(self.describe()) + "</pre>"


# ---------------------------------------------------------------------------- reading


def _title_from(folder: Path) -> str:
    name = re.sub(r"[_\-]+", " ", folder.resolve().name).strip()
    return name[:1].upper() + name[1:] if name else "Incident"


def _is_data_file(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(s) for s in DATA_SUFFIXES)


def _decode_head(path: Path, nbytes: int = 1 << 20) -> tuple[str, str]:
    import gzip

    opener = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            raw = fh.read(nbytes)
    except (OSError, EOFError) as exc:
        raise SourceError(f"{path}: cannot read the file ({exc})") from None
    if b"\x00" in raw[:4096]:
        raise SourceError(f"{path}: looks like a binary file, not delimited text")
    complete = len(raw) < nbytes
    for enc in ("utf-8", "cp1252"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError as exc:
            if enc == "utf-8" and not complete and exc.start >= len(raw) - 4:
                text = raw[: exc.start].decode("utf-8")
                break
    else:  # pragma: no cover - cp1252 decodes nearly everything
        raise SourceError(f"{path}: is neither UTF-8 nor Windows-1252 text")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not complete:
        text = text[: text.rfind("\n") + 1] if "\n" in text else text
    return text, enc


def _layout_of_text(text: str) -> tuple[str, int, list[str], str]:
    """(delimiter, skip_rows, header, reason) from the first lines of a text export."""
    lines = [ln for ln in text.splitlines()[:400]]
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 2:
        raise SourceError("has fewer than two lines (expected a header and data rows)")
    best = None
    body_from = min(len(lines) - 1, max(1, len(lines) // 3))
    for delim in (",", ";", "\t", "|"):
        counts = [len(r) for r in csv.reader(lines, delimiter=delim)]
        body = counts[body_from:] or counts[1:]
        mode, freq = Counter(body).most_common(1)[0]
        if mode < 2:
            continue
        consistency = freq / len(body)
        header_at = next((i for i, c in enumerate(counts) if c == mode), None)
        if header_at is None:
            continue
        score = consistency * 10 + min(mode, 50) / 50
        if best is None or score > best[0]:
            best = (score, delim, header_at, mode, consistency)
    if best is None:
        raise SourceError("has a single column on every line (no ',', ';', tab or '|' separates fields)")
    _, delim, skip, mode, consistency = best
    header = next(csv.reader([lines[skip]], delimiter=delim))
    header = [h.strip() for h in header]
    name = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}[delim]
    reason = f"{name} separates {mode} fields on {consistency:.0%} of the first lines"
    if skip:
        reason += f"; the header is line {skip + 1} ({skip} preamble line(s) before it)"
    return delim, skip, header, reason


def _read_sample(path: Path, sample_rows: int) -> tuple[pd.DataFrame, dict]:
    """The first ``sample_rows`` rows of an export (all cells as text, or typed for Parquet)."""
    info: dict = {}
    if path.name.lower().endswith(".parquet"):
        import pyarrow.parquet as pq

        try:
            pf = pq.ParquetFile(path)
            batch = next(pf.iter_batches(batch_size=sample_rows), None)
        except Exception as exc:  # pyarrow raises several classes for corrupt files
            raise SourceError(f"{path}: cannot read as Parquet ({exc})") from None
        if batch is None or batch.num_rows == 0:
            raise SourceError(f"{path}: the Parquet file has no rows")
        info.update(format="parquet", rows_total=pf.metadata.num_rows)
        return batch.to_pandas(), info

    import pyarrow as pa
    import pyarrow.csv as pcsv

    text, encoding = _decode_head(path)
    try:
        delim, skip, header, reason = _layout_of_text(text)
    except SourceError as exc:
        raise SourceError(f"{path}: {exc}") from None
    if len(set(header)) != len(header):
        dup = [h for h, n in Counter(header).items() if n > 1]
        raise SourceError(f"{path}: the header repeats column name(s) {dup}; expected unique names")
    info.update(format="csv", delimiter=delim, skip_rows=skip, encoding=encoding, delimiter_reason=reason)
    malformed = [0]

    def on_invalid(_row):
        malformed[0] += 1
        return "skip"

    read_opts = pcsv.ReadOptions(skip_rows=skip, encoding="utf8" if encoding == "utf-8" else encoding,
                                 block_size=1 << 20)
    parse_opts = pcsv.ParseOptions(delimiter=delim, invalid_row_handler=on_invalid)
    conv = pcsv.ConvertOptions(column_types={h: pa.string() for h in header}, strings_can_be_null=True,
                               null_values=sorted(_NULLS), quoted_strings_can_be_null=True)
    batches, n = [], 0
    try:
        reader = pcsv.open_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=conv)
        for batch in reader:
            batches.append(batch)
            n += batch.num_rows
            if n >= sample_rows:
                break
    except (pa.ArrowInvalid, StopIteration) as exc:
        raise SourceError(f"{path}: cannot read as delimited text with delimiter {delim!r} ({exc})") from None
    if not batches or n == 0:
        raise SourceError(f"{path}: has a header but no data rows")
    table = pa.Table.from_batches(batches)
    names = [c.strip().lstrip("\ufeff") for c in table.column_names]
    frame = table.rename_columns(names).to_pandas().iloc[:sample_rows]
    frame = frame.astype(object).where(frame.notna(), None)
    info["malformed_rows_in_sample"] = malformed[0]
    info["sample_rows"] = len(frame)
    return frame, info


# ----------------------------------------------------------------------- column profiles


def _words(header: str) -> set[str]:
    h = re.sub(r"([a-z])([A-Z])", r"\1_\2", str(header))
    parts = [p for p in re.split(r"[^0-9A-Za-zÄÖÜäöüß&]+", h.lower()) if p]
    whole = re.sub(r"[^0-9a-zäöüß&]+", "_", str(header).lower()).strip("_")
    return set(parts) | {whole, whole.replace("_", "")}


def _role_score(header: str, role: str) -> int:
    w = _words(header)
    vocab = _ROLE_WORDS[role]
    whole = re.sub(r"[^0-9a-zäöüß&]+", "_", str(header).lower()).strip("_")
    if whole in vocab or whole.replace("_", "") in vocab:
        return 2
    return 1 if w & vocab else 0


@dataclass
class _Col:
    name: str
    position: int
    values: pd.Series  # non-null cells
    n_rows: int
    typed: str = "text"  # "text", "number", "datetime", "datetime_tz", "bool"
    distinct: int = 0
    number_share: float = 0.0
    integers: bool = False
    comma_decimals: int = 0
    dot_decimals: int = 0
    spaces_share: float = 0.0
    mean_len: float = 0.0
    time: dict | None = None

    @property
    def fill(self) -> float:
        return len(self.values) / max(self.n_rows, 1)

    @property
    def numeric(self) -> bool:
        return len(self.values) > 0 and self.number_share >= 0.9

    @property
    def continuous(self) -> bool:
        """Looks like measurements: numbers with many distinct values or decimals."""
        return self.numeric and (self.distinct >= 10 or not self.integers)

    def top(self, n: int = 5) -> list[str]:
        return [str(v) for v in self.values.astype(str).value_counts().index[:n]]


def _profile(frame: pd.DataFrame) -> list[_Col]:
    cols = []
    n = len(frame)
    for pos, name in enumerate(frame.columns):
        s = frame[name]
        dtype = s.dtype
        vals = s.dropna()
        col = _Col(name=str(name), position=pos, values=vals, n_rows=n)
        if isinstance(dtype, pd.DatetimeTZDtype):
            col.typed = "datetime_tz"
        elif pd.api.types.is_datetime64_dtype(dtype):
            col.typed = "datetime"
        elif pd.api.types.is_bool_dtype(dtype):
            col.typed = "bool"
        elif pd.api.types.is_numeric_dtype(dtype):
            col.typed = "number"
            col.number_share = 1.0 if len(vals) else 0.0
            arr = vals.to_numpy(dtype=float)
            col.integers = bool(np.all(np.mod(arr[np.isfinite(arr)], 1) == 0)) if arr.size else True
            col.dot_decimals = int((~np.isclose(np.mod(arr, 1), 0)).sum()) if arr.size else 0
        if len(vals) == 0:
            cols.append(col)
            continue
        if col.typed in ("datetime", "datetime_tz"):
            col.distinct = int(vals.nunique())
            cols.append(col)
            continue
        text = vals.astype(str).str.strip()
        col.values = text if col.typed == "text" else vals
        col.distinct = int(text.nunique())
        uniq = pd.Series(text.unique()[:20000])
        if col.typed == "text":
            dot = uniq.str.match(_NUMBER_DOT.pattern)
            comma = uniq.str.match(_NUMBER_COMMA.pattern)
            counts = text.value_counts()
            w = counts.reindex(uniq).to_numpy(dtype=float)
            total = w.sum()
            col.number_share = float(max((w * dot).sum(), (w * comma).sum()) / total) if total else 0.0
            col.comma_decimals = int(uniq.str.match(_COMMA_DECIMAL.pattern).sum())
            col.dot_decimals = int(uniq.str.match(_DOT_DECIMAL.pattern).sum())
            nums = uniq[dot | comma]
            col.integers = bool(nums.str.match(r"^[+-]?\d+$").all()) if len(nums) else True
        col.spaces_share = float(uniq.str.contains(r"\s").mean())
        col.mean_len = float(uniq.str.len().mean())
        cols.append(col)
    return cols


# ------------------------------------------------------------------------------ times


def _candidate_formats(example: str) -> list[str]:
    out = []
    has_ampm = bool(re.search(r"(?i)\b[AP]\.?M\.?$", example.strip()))
    for d in _DATE_PARTS:
        seps = set(re.findall(r"[./\- ]", d.replace("%", "")))
        if not all(sep in example for sep in seps if sep != " "):
            continue
        for sep in (" ", "T", ", ", ""):
            for t in _TIME_PARTS:
                if ("%p" in t) != has_ampm:
                    continue
                out.append(f"{d}{sep}{t}")
        out.append(d)
    return out


def _time_info(col: _Col) -> dict | None:
    """How a column's values read as times, or None if they do not."""
    if col.typed == "datetime_tz":
        return {"share": 1.0, "aware": True, "format": None, "unit": None, "choices": (),
                "reason": "a timestamp-with-time-zone column"}
    if col.typed == "datetime":
        return {"share": 1.0, "aware": False, "format": None, "unit": None, "choices": (),
                "reason": "a timestamp column without time zone"}
    if len(col.values) == 0:
        return None
    text = col.values.astype(str)
    uniq = pd.Series(text.unique())
    sample = uniq.iloc[:5000]
    if col.typed == "number":
        epoch = sample.str.match(r"^-?\d{9,19}(?:\.0*)?$").mean() > 0.9
    else:
        epoch = sample.str.match(_EPOCH_TEXT.pattern).mean() > 0.9
    datey = sample.str.contains(_DATE_LIKE.pattern).mean() > 0.5
    if not (epoch or datey):
        return None
    if epoch:
        nums = pd.to_numeric(sample, errors="coerce").to_numpy(float)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                parsed = parse_times(nums)
            except ParameterError:
                return None
        share = 1.0 - parsed.codes.astype(bool).mean()
        unit = parsed.settings.get("time_unit", "").replace(" (inferred)", "")
        return {"share": share, "aware": True, "format": None, "unit": unit, "choices": (),
                "reason": f"numbers of {len(str(int(np.nanmedian(nums))))} digits: epoch time in {unit} "
                          f"({ {'s': 'seconds', 'ms': 'milliseconds', 'us': 'microseconds', 'ns': 'nanoseconds'}.get(unit, unit)} since 1970, UTC)"}
    aware = float(sample.str.contains(_AWARE_TEXT.pattern).mean())
    fmt, choices = None, ()
    share = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            parsed = parse_times(sample)
            share = 1.0 - parsed.codes.astype(bool).mean()
            fmt_text = parsed.settings.get("time_format", "")
            fmt = fmt_text.replace(" (inferred)", "") if "(inferred)" in fmt_text else None
            iso = fmt_text == "ISO 8601"
        except ParameterError:
            iso = False
    if share < 0.95:
        fits = []
        first = next((v for v in sample if v.strip()), "")
        head = sample.iloc[:200]
        for cand in _candidate_formats(first):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if pd.to_datetime(head, format=cand, errors="coerce").notna().mean() < 0.9:
                    continue
                got = pd.to_datetime(sample, format=cand, errors="coerce")
            s = float(got.notna().mean())
            if s >= 0.95:
                fits.append((s, cand, got))
        if not fits:
            return None if share < 0.5 else {"share": share, "aware": aware > 0.5, "format": fmt, "unit": None,
                                             "choices": (), "reason": "times"}
        best = max(f[0] for f in fits)
        winners = [(c, g) for s, c, g in fits if s == best]
        distinct = []
        for c, g in winners:
            if not any(g.equals(g2) for _, g2 in distinct):
                distinct.append((c, g))
        share, fmt, iso = best, distinct[0][0], False
        if len(distinct) > 1:
            choices = tuple(c for c, _ in distinct)
    if iso:
        reason = "ISO 8601 times" + (" with a UTC offset or 'Z'" if aware > 0.5 else " without a time zone")
    elif choices:
        reason = f"times that read in {len(choices)} ways ({', '.join(choices)})"
    else:
        reason = f"times written as {fmt!r}"
    return {"share": share, "aware": aware > 0.5, "format": fmt, "unit": None, "choices": choices,
            "reason": reason}


# ------------------------------------------------------------------------------ guessing


def _name_evidence(names: list[str]) -> tuple[int, int, list[str]]:
    """OT and IT points from names found in the data (tags, metrics, hosts)."""
    names = [str(n) for n in names if str(n).strip()][:5000]
    if not names:
        return 0, 0, []
    instr = [n for n in names if _INSTRUMENT_RE.search(n.upper() if n.isupper() else n)
             or _PV_SUFFIX_RE.search(n)]
    it_like = []
    for n in names:
        low = n.lower()
        words = set(re.split(r"[^a-z0-9]+", low))
        if _HOST_RE.match(low.split(".")[0]) or words & _IT_METRIC_WORDS or _IP_RE.search(n):
            it_like.append(n)
    ot_share = len(instr) / len(names)
    it_share = len(it_like) / len(names)
    ot = it = 0
    why = []
    if ot_share >= 0.3 and ot_share > it_share:
        ot += 2
        why.append(f"{ot_share:.0%} of the names look like instrument tags (e.g. {instr[0]!r})")
    if it_share >= 0.3 and it_share > ot_share:
        it += 2
        why.append(f"{it_share:.0%} of the names look like hosts or IT metrics (e.g. {it_like[0]!r})")
    return ot, it, why


def _file_evidence(path: Path) -> tuple[int, int, list[str]]:
    stem = path.name.lower()
    for suf in (".gz", ".csv", ".tsv", ".txt", ".dat", ".parquet"):
        if stem.endswith(suf):
            stem = stem[: -len(suf)]
    words = set(re.split(r"[^a-z0-9&]+", stem)) - {""}
    ot_w, it_w = sorted(words & _OT_FILE_WORDS), sorted(words & _IT_FILE_WORDS)
    why = []
    if ot_w:
        why.append(f"the file name says {', '.join(map(repr, ot_w))} (plant system)")
    if it_w:
        why.append(f"the file name says {', '.join(map(repr, it_w))} (IT system)")
    return len(ot_w), len(it_w), why


def _source_name(path: Path, taken: set[str]) -> str:
    stem = path.name
    for suf in (".gz", ".csv", ".tsv", ".txt", ".dat", ".parquet"):
        if stem.lower().endswith(suf):
            stem = stem[: -len(suf)]
    name = re.sub(r"[^0-9A-Za-z]+", "_", stem).strip("_").lower() or "source"
    base, i = name, 2
    while name in taken:
        name = f"{base}_{i}"
        i += 1
    taken.add(name)
    return name


def _pick(cols: list[_Col], role: str, *, exclude=(), require=lambda c: True) -> _Col | None:
    best, best_score = None, 0
    for c in cols:
        if c.name in exclude or not require(c):
            continue
        score = _role_score(c.name, role)
        if score > best_score:
            best, best_score = c, score
    return best


def _quality_good(col: _Col) -> tuple[list[str] | None, str]:
    values = col.values.astype(str).str.strip()
    uniq = list(values.value_counts().index[:50])
    good = [v for v in uniq if v.lower() in _GOOD_QUALITY_WORDS]
    if good:
        return good, f"quality values {uniq[:6]}: {good} mean good, the others are rejected as bad_quality"
    ints = pd.to_numeric(pd.Series(uniq), errors="coerce")
    if len(uniq) and ints.notna().all() and (ints >= 0).all() and (ints <= 0xFFFF).all():
        codes = ints.astype(int)
        good = [str(u) for u, c in zip(uniq, codes) if (c & 0xC0) == 0xC0]
        if good:
            return good, (f"numeric quality codes {uniq[:6]}: OPC quality {good} (bits 0xC0 set) is good, the "
                          "others (uncertain 0x40, bad 0x00) are rejected as bad_quality")
    return None, f"quality values {uniq[:8]}: none is recognisably 'good'"


def _alarm_states(col: _Col) -> tuple[list[str], list[str], list[str]]:
    uniq = list(col.values.astype(str).str.strip().value_counts().index[:50])
    active = [u for u in uniq if u.upper() in _ACTIVE_STATES]
    ret = [u for u in uniq if u.upper() in _RETURN_STATES]
    return active, ret, uniq


def _guess_source(path: Path, name: str, frame: pd.DataFrame, info: dict) -> SourceDraft:
    draft = SourceDraft(name=name, path=path)
    st, why, q = draft.settings, draft.reasons, draft.questions
    key = f"source.{name}"
    cols = _profile(frame)
    if info.get("format") == "csv":
        st["delimiter"] = info["delimiter"]
        why["delimiter"] = info["delimiter_reason"]
        if info["skip_rows"]:
            st["skip_rows"] = info["skip_rows"]
            why["skip_rows"] = f"{info['skip_rows']} line(s) before the header are not data"
        if info["encoding"] != "utf-8":
            st["encoding"] = info["encoding"]
            why["encoding"] = "the file is not valid UTF-8; it reads as Windows-1252 (Western European)"
        if info.get("malformed_rows_in_sample"):
            draft.notes.append(f"{info['malformed_rows_in_sample']} line(s) in the first rows have the wrong "
                               "number of fields; they will be counted as malformed_row")

    # ---- time column
    timed = []
    for c in cols:
        t = _time_info(c)
        if t is not None and t["share"] >= 0.9 * (1 if c.fill > 0.5 else 0):
            c.time = t
            timed.append(c)
    if not timed:
        raise SourceError(
            f"{path}: no column reads as date/time (columns: {', '.join(c.name for c in cols[:12])}); "
            "expected a time stamp column such as '2026-03-04 10:15:00' or epoch seconds")
    full = [c for c in timed if c.fill >= 0.9]
    pool = full or timed
    tcol = max(pool, key=lambda c: (_role_score(c.name, "time") > 0, c.time["share"], c.fill, -c.position))
    t = tcol.time
    columns: dict = {"time": tcol.name}
    why["columns.time"] = f"{tcol.name!r} holds {t['reason']}"
    if t["unit"]:
        st["time_unit"] = t["unit"]
        why["time_unit"] = f"{tcol.name!r} holds {t['reason']}"
    if t["format"] and not t["choices"]:
        st["time_format"] = t["format"]
        why["time_format"] = f"every value of {tcol.name!r} in the first rows reads as {t['format']!r}"
    if t["choices"]:
        q.append(Question(
            f"{key}.time_format",
            f"{path.name}: the times in {tcol.name!r} (e.g. {tcol.values.iloc[0]!r}) can be read day-first or "
            f"month-first. Which format is right?", required=True, suggestion=None, choices=t["choices"]))
    draft.naive_times = not t["aware"]
    if draft.naive_times:
        example = tcol.values.iloc[0] if len(tcol.values) else ""
        q.append(Question(
            f"{key}.timezone",
            f"{path.name}: the times in {tcol.name!r} have no time zone (e.g. {str(example)!r}). In which time "
            "zone were they written? An IANA name such as 'Europe/Berlin', or 'UTC'.", required=True))
    rest = [c for c in cols if c.name != tcol.name]

    # ---- decimal mark
    comma = sum(c.comma_decimals for c in rest if c.typed == "text")
    dot = sum(c.dot_decimals for c in rest if c.typed == "text")
    if info.get("format") == "csv":
        if comma and not dot and st.get("delimiter") != ",":
            st["decimal"] = ","
            why["decimal"] = f"numbers such as '1,5' use a decimal comma ({comma} distinct values, none with '.')"
        elif dot or not comma:
            st["decimal"] = "."
            why["decimal"] = ("numbers use a decimal point" if dot else "no decimal fractions seen; '.' assumed")
        else:
            draft.notes.append("numbers use both ',' and '.'; decimal left to 'auto'")

    # ---- signals or events
    end = None
    for c in timed:
        if c is not tcol and _role_score(c.name, "end") and c.time["share"] >= 0.9:
            end = c
    message = _pick(rest, "message", require=lambda c: c.typed == "text" and not c.numeric)
    freetext = [c for c in rest if c.typed == "text" and not c.numeric and c.spaces_share >= 0.5
                and c.mean_len >= 12]
    state_col = _pick(rest, "state", require=lambda c: c.typed == "text" and not c.numeric)
    states = _alarm_states(state_col) if state_col is not None else ([], [], [])
    numeric = [c for c in rest if (c.numeric or c.typed == "number") and c is not end]
    continuous = [c for c in numeric if c.continuous and c.fill >= 0.3]
    labels = [c for c in rest if c.typed == "text" and not c.numeric and c is not end]
    empty = [c for c in rest if len(c.values) == 0]
    text_cols = [c for c in labels if c.distinct > 0]

    kind = layout = None
    if len(numeric) + len(empty) >= 2 and not text_cols and (numeric or empty):
        kind, layout = "signals", "wide"
        why["kind"] = (f"besides the time, every column holds numbers ({len(numeric) + len(empty)} columns): one "
                       "column per signal")
    elif continuous and any(_role_score(c.name, "tag") or (c.spaces_share < 0.5 and c.distinct >= 1)
                            for c in labels) and not (states[0] and states[1]) \
            and not (freetext and not _pick(continuous, "value")):
        kind, layout = "signals", "long"
        why["kind"] = "one row per sample: a name column and a column of measured numbers"
    elif freetext or message is not None or (states[0] and states[1]) or (labels and not continuous):
        kind = "events"
        bits = []
        if freetext:
            bits.append(f"free text in {freetext[0].name!r}")
        if states[0] and states[1]:
            bits.append(f"alarm states {states[0] + states[1]} in {state_col.name!r}")
        if not bits:
            bits.append("text columns and no column of measurements")
        why["kind"] = "one row per event: " + ", ".join(bits)
    else:
        q.append(Question(f"{key}.kind", f"{path.name}: does it hold measurements ('signals') or events "
                          "('events')?", required=True, choices=("signals", "events")))

    if kind == "signals" and layout == "wide":
        ignore = [c.name for c in rest if c.typed == "text" and not c.numeric and len(c.values) > 0]
        if ignore:
            st["ignore"] = ignore
            why["ignore"] = f"text columns {ignore} are not signals"
        names = [c.name for c in rest if c.name not in ignore]
        ot, it, ev = _name_evidence(names)
        for c in rest:
            if c.typed == "text" and not c.numeric and len(c.values):
                bad = c.values[~c.values.str.match(_NUMBER_DOT.pattern) & ~c.values.str.match(_NUMBER_COMMA.pattern)]
                if len(bad):
                    draft.notes.append(f"{c.name!r} has text cells (e.g. {bad.iloc[0]!r})")
    elif kind == "signals":
        value = _pick(continuous, "value") or max(continuous, key=lambda c: (c.fill, c.distinct))
        columns["value"] = value.name
        why["columns.value"] = (f"{value.name!r} holds numbers ({value.distinct:,} distinct values in the "
                                "first rows)")
        used = {tcol.name, value.name}
        quality = _pick(rest, "quality", exclude=used,
                        require=lambda c: c.distinct <= 64 and (c.typed == "text" or c.integers))
        if quality is None:
            quality = next((c for c in labels if c.name not in used and c.distinct <= 16
                            and {v.lower() for v in c.top(16)} & _QUALITY_WORDS), None)
        if quality is not None:
            columns["quality"] = quality.name
            used.add(quality.name)
            good, reason = _quality_good(quality)
            why["columns.quality"] = f"{quality.name!r}: {reason}"
            if good:
                st["good_quality"] = good
                why["good_quality"] = reason
            else:
                q.append(Question(
                    f"{key}.good_quality",
                    f"{path.name}: which values of the quality column {quality.name!r} mean a good value? "
                    f"Seen: {quality.top(10)}", required=True, choices=tuple(quality.top(10))))
        for role in ("unit", "description"):
            c = _pick(labels, role, exclude=used)
            if c is not None:
                columns[role] = c.name
                used.add(c.name)
                why[f"columns.{role}"] = f"header {c.name!r}"
        cands = [c for c in labels if c.name not in used and len(c.values)]
        keyword = [c for c in cands if _role_score(c.name, "tag") or _role_score(c.name, "source")]
        tag_cols = keyword or cands
        if not tag_cols:
            q.append(Question(f"{key}.columns.tag", f"{path.name}: which column names the signal (tag)?",
                              required=True, choices=tuple(c.name for c in cols)))
        else:
            first = max(tag_cols, key=lambda c: (_role_score(c.name, "tag"), c.distinct, -c.position))
            parts = [first]
            for other in sorted(tag_cols, key=lambda c: c.position):
                if other is first:
                    continue
                n_pairs = len(frame[[p.name for p in parts] + [other.name]].drop_duplicates())
                if n_pairs > max(p.distinct for p in parts) and n_pairs > other.distinct:
                    parts.append(other)
            parts.sort(key=lambda c: c.position)
            if len(parts) == 1:
                columns["tag"] = parts[0].name
                why["columns.tag"] = f"{parts[0].name!r} names the signal ({parts[0].distinct:,} names in the first rows)"
            else:
                columns["tag"] = [p.name for p in parts]
                why["columns.tag"] = (f"the signal name is split over {[p.name for p in parts]}; they are joined "
                                      "with '.'")
        names = []
        if "tag" in columns:
            tc = columns["tag"] if isinstance(columns["tag"], list) else [columns["tag"]]
            uniq = frame[tc].dropna().drop_duplicates().astype(str)
            names = [".".join(row) for row in uniq.itertuples(index=False)]
        ot, it, ev = _name_evidence(names)
        if quality is not None:
            ot += 1
            ev.append("a quality column per sample, as historians export")
        vtext = value.values[~value.values.astype(str).str.match(_NUMBER_DOT.pattern)
                             & ~value.values.astype(str).str.match(_NUMBER_COMMA.pattern)] \
            if value.typed == "text" else pd.Series([], dtype=object)
        if len(vtext):
            top = vtext.value_counts().index[:3].tolist()
            draft.notes.append(f"{len(vtext):,} value(s) in {value.name!r} are text (e.g. {top}); they will be "
                               "counted as non_numeric_value (add value_map if some are states like ON/OFF)")
    elif kind == "events":
        used = {tcol.name}
        if end is not None:
            columns["end"] = end.name
            used.add(end.name)
            why["columns.end"] = f"{end.name!r} holds times and its header says end"
        if states[0] and states[1]:
            columns["state"] = state_col.name
            used.add(state_col.name)
            st["active_states"] = states[0]
            st["return_states"] = states[1]
            why["columns.state"] = (f"{state_col.name!r} holds alarm states {states[2][:6]}: {states[0]} open an "
                                    f"alarm, {states[1]} return it to normal; others stay point events")
        elif state_col is not None:
            draft.notes.append(f"{state_col.name!r} holds {states[2][:6]}, which are not alarm open/return "
                               "states; it is not used")
        msg = _pick(labels, "message", exclude=used, require=lambda c: c.spaces_share >= 0.2) \
            or (max(freetext, key=lambda c: c.mean_len) if [c for c in freetext if c.name not in used] else None)
        if msg is not None and msg.name not in used:
            columns["message"] = msg.name
            used.add(msg.name)
            why["columns.message"] = f"{msg.name!r} holds free text"
        for role in ("severity", "source", "kind"):
            pool = [c for c in rest if c.name not in used and c is not end and len(c.values)]
            c = _pick(pool, role, require=lambda c: c.mean_len <= 60)
            if c is not None:
                columns[role] = c.name
                used.add(c.name)
                why[f"columns.{role}"] = f"header {c.name!r} ({c.distinct:,} distinct values, e.g. {c.top(3)})"
        for role in ("source", "kind"):
            if role not in columns:
                draft.notes.append(
                    f"no column looks like the event {role}; " +
                    ("the source name is used" if role == "source" else "every row gets kind 'event'") +
                    " (set source.<name>.columns." + role + " to choose one)")
        names = frame[columns["source"]].dropna().astype(str).unique().tolist() if "source" in columns else []
        ot, it, ev = _name_evidence(names)
        if states[0] and states[1]:
            ot += 2
            ev.append("alarm open/return states, as an alarm & event journal has")
        if "severity" in columns:
            sev = {v.lower() for v in frame[columns["severity"]].dropna().astype(str).unique()[:50]}
            if sev and len(sev & _SYSLOG_SEVERITIES) / len(sev) >= 0.5:
                it += 1
                ev.append(f"syslog-style severities {sorted(sev & _SYSLOG_SEVERITIES)[:4]}")
    else:
        ot, it, ev = 0, 0, []
    if kind:
        st["kind"] = kind
    if layout:
        st["layout"] = layout
        why["layout"] = "long: one row per sample" if layout == "long" else "wide: one column per signal"
    st["columns"] = columns

    # ---- OT or IT
    fo, fi, fw = _file_evidence(path)
    ot, it, ev = ot + fo, it + fi, ev + fw
    if t["unit"] and not draft.naive_times:
        it += 1
        ev.append("epoch times, as IT monitoring exports")
    if ot > it:
        st["domain"] = "OT"
        why["domain"] = "OT: " + "; ".join(ev)
    elif it > ot:
        st["domain"] = "IT"
        why["domain"] = "IT: " + "; ".join(ev)
    else:
        q.append(Question(
            f"{key}.domain",
            f"{path.name}: is this plant data (OT: historian, alarms, DCS/SCADA) or IT data (servers, network, "
            "logs, changes)?" + (f" Seen: {'; '.join(ev)}." if ev else " Nothing in it says which."),
            required=True, choices=("OT", "IT")))
    return draft


def _clock_questions(sources: list[SourceDraft]) -> None:
    """Naive local times of OT sources: suggest estimating their clock offset. Naive times of IT
    sources: say that IT systems often log in UTC (their zone is not answered by ``timezone=``)."""
    trusted = [s for s in sources if not s.naive_times]
    for s in sources:
        if s.naive_times and s.settings.get("domain") == "IT":
            s.questions = [
                Question(q.key, q.text + " IT systems often log in UTC; the plant's time zone given as "
                         "timezone= is not applied to this IT source.", required=True, suggestion="UTC")
                if q.key == f"source.{s.name}.timezone" else q for q in s.questions]
        if s.naive_times and s.settings.get("domain") == "OT" and trusted:
            s.questions.append(Question(
                f"source.{s.name}.clock_offset",
                f"{s.path.name}: is the clock of this plant system synchronised with the IT clock (NTP)? "
                "Plant systems often are not. 'auto' estimates the offset from moments seen in both OT and IT "
                "data (e.g. HMI logons, gateway alarms) and reports it; answer '0s' if the clock is known to be "
                "right, or a known offset such as '90s'.",
                required=False, suggestion="auto"))
        else:
            s.settings.setdefault("clock_offset", "0s")
            s.reasons.setdefault("clock_offset", "times with a zone (or UTC) are taken as true"
                                 if not s.naive_times else "assumed right (no other source to estimate it against)")


def draft_manifest(folder, *, timezone: str | None = None, start=None, symptom: str | None = None,
                   title: str | None = None, sample_rows: int = _DEFAULT_SAMPLE_ROWS) -> ManifestDraft:
    """Draft an investigation manifest from the exports in a folder.

    Parameters
    ----------
    folder : str or pathlib.Path
        The folder holding the exports (``.csv``, ``.csv.gz``, ``.tsv``, ``.txt``, ``.parquet``).
        Other files (manifests, READMEs, notebooks) are listed in ``skipped``.
    timezone : str, optional
        The plant's time zone (IANA name): the display zone, and the zone of the plant (OT)
        files whose time stamps carry none. Naive times in IT files are asked separately
        (IT systems often log in UTC).
    start : str or pandas.Timestamp, optional
        When the incident was noticed (naive text is read in ``timezone``).
    symptom : str, optional
        The signal that went wrong, as named in the data.
    title : str, optional
        A short name for the incident (default: from the folder name).
    sample_rows : int, default 200000
        Rows read from the start of each file to make the guesses [rows].

    Returns
    -------
    ManifestDraft
        Guesses with reasons (:meth:`~ManifestDraft.describe`), open
        :attr:`~ManifestDraft.questions`, :meth:`~ManifestDraft.answer`,
        :meth:`~ManifestDraft.to_toml`, :meth:`~ManifestDraft.write`.

    Raises
    ------
    ParameterError
        ``folder`` is not a folder, or an answer given as keyword is invalid.
    SourceError
        The folder holds no usable export (the message lists what was found and why each file
        was skipped).

    Examples
    --------
    >>> import rca
    >>> from rca.drafting import draft_manifest
    >>> draft = draft_manifest("sample_data/line3_scrap_spike")  # doctest: +SKIP
    >>> [q.key for q in draft.questions if q.required]  # doctest: +SKIP
    ['incident.start', 'source.historian_export.timezone', 'source.alarms_events.timezone']
    >>> draft.answer(timezone="Europe/Vienna", start="2025-01-21 09:53")  # doctest: +SKIP
    >>> inv = rca.open_investigation(draft.write())  # doctest: +SKIP
    """
    if isinstance(sample_rows, bool) or not isinstance(sample_rows, (int, np.integer)) or sample_rows < 10:
        raise ParameterError(f"sample_rows={sample_rows!r}; expected an integer >= 10")
    path = Path(folder)
    if not path.is_dir():
        raise ParameterError(f"folder={str(folder)!r}: no such folder; expected the folder holding the exports")
    sources, skipped, taken = [], {}, set()
    files = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    for f in files:
        if not _is_data_file(f):
            skipped[f.name] = f"not a data export ({''.join(f.suffixes) or 'no file ending'})"
            continue
        if f.stat().st_size == 0:
            skipped[f.name] = "the file is empty"
            continue
        try:
            frame, info = _read_sample(f, int(sample_rows))
            if frame.shape[1] < 2:
                raise SourceError(f"{f}: has only one column")
            src = _guess_source(f, _source_name(f, taken), frame, info)
        except SourceError as exc:
            skipped[f.name] = str(exc).replace(f"{f}: ", "")
            continue
        sources.append(src)
    if not sources:
        found = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "the folder is empty"
        raise SourceError(f"{path}: no usable export (CSV, CSV.GZ, TSV or Parquet with a time column) found ({found})")
    _clock_questions(sources)
    draft = ManifestDraft(path.resolve(), sources, skipped)
    answers = {"timezone": timezone, "start": start, "symptom": symptom, "title": title}
    draft.answer(**{k: v for k, v in answers.items() if v is not None})
    return draft
