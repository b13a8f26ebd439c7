"""Vocabulary and validation of what the hypothesis log stores.

Private to :mod:`rca.hypotheses`. One validator per stored field, used both by the
public methods (on what a participant types) and by the JSON import (on what
another copy of the log wrote), so a merged log holds nothing a method could not
have written.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import numbers
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Callable

import numpy as np
import pandas as pd

from rca.errors import ParameterError

HYPOTHESIS_STATUSES = ("open", "supported", "refuted", "confirmed")
"""Status of a hypothesis, in the order a team usually moves through them."""

ISHIKAWA_CATEGORIES = MappingProxyType(
    {
        "people": "who did what: operators, engineers, shift hand-over, training, staffing",
        "method": "procedures, recipes, set-points, work instructions, the change process",
        "machine": "process equipment, PLCs, drives, valves, tooling, wear",
        "material": "raw material, batches, consumables, suppliers",
        "measurement": "sensors, calibration, lab results, historian data quality",
        "environment": "ambient temperature and humidity, utilities, power, vibration",
        "it_systems": "servers, MES/SCADA/historian software, databases, patches, backups, "
        "certificates, accounts",
        "network": "switches, firewalls, routing, latency, the OT/IT boundary",
    }
)
"""Ishikawa (fishbone) categories adapted to OT and IT, with what each one covers."""

EVIDENCE_KINDS = ("candidate", "signal", "event", "note", "chart")
"""What a piece of evidence can be."""

EVIDENCE_STANCES = ("supports", "contradicts", "context")
"""How a piece of evidence bears on its hypothesis."""

ACTION_STATUSES = ("open", "in_progress", "done", "cancelled")
"""Status of an action."""

SUGGESTED_TEAMS = ("OT", "IT", "quality", "maintenance")
"""Teams offered by the board; any non-empty text is accepted."""


def _allowed(values) -> str:
    return ", ".join(repr(v) for v in values)


def text(value: Any, param: str, *, allow_empty: bool = False) -> str:
    """``value`` if it is a ``str`` (kept verbatim), else ParameterError.

    Empty or whitespace-only text is refused unless ``allow_empty``; text that
    cannot be stored as UTF-8 (a lone surrogate) is refused.
    """
    if not isinstance(value, str):
        raise ParameterError(f"{param}={value!r}: expected text (a str), got {type(value).__name__}")
    if not allow_empty and not value.strip():
        raise ParameterError(f"{param}={value!r}: expected non-empty text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ParameterError(
            f"{param}: the text has a character that is not valid Unicode text at position "
            f"{error.start} ({value[error.start]!r}); expected text that can be stored as UTF-8"
        ) from None
    return value


def choice(value: Any, param: str, allowed, what: str) -> str:
    """``value`` if it is one of ``allowed``, else ParameterError listing them."""
    if not isinstance(value, str) or value not in allowed:
        raise ParameterError(f"{param}={value!r} is not {what}; expected one of {_allowed(allowed)}")
    return value


def status(value: Any, param: str = "status") -> str:
    return choice(value, param, HYPOTHESIS_STATUSES, "a hypothesis status")


def category(value: Any, param: str = "category") -> str | None:
    if value is None:
        return None
    return choice(value, param, tuple(ISHIKAWA_CATEGORIES), "an Ishikawa category")


def kind(value: Any, param: str = "kind") -> str:
    return choice(value, param, EVIDENCE_KINDS, "an evidence kind")


def stance(value: Any, param: str = "stance") -> str:
    return choice(value, param, EVIDENCE_STANCES, "an evidence stance")


def action_status(value: Any, param: str = "status") -> str:
    return choice(value, param, ACTION_STATUSES, "an action status")


def flag(value: Any, param: str) -> bool:
    if not isinstance(value, bool):
        raise ParameterError(f"{param}={value!r}: expected True or False")
    return value


def due_date(value: Any, param: str = "due") -> str:
    """A calendar date as ISO ``YYYY-MM-DD`` text.

    Accepts a ``datetime.date`` or ISO date text; refuses a ``datetime`` (a due
    date has no time of day or time zone) and anything else.
    """
    if isinstance(value, (_dt.datetime, pd.Timestamp)):
        raise ParameterError(
            f"{param}={value!r}: expected a calendar date (datetime.date or 'YYYY-MM-DD'), "
            "not a date with a time of day"
        )
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            parsed = _dt.date.fromisoformat(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and len(value.strip()) == 10:
            return parsed.isoformat()
    raise ParameterError(
        f"{param}={value!r}: expected a calendar date (datetime.date or 'YYYY-MM-DD')"
    )


def utc_time(value: Any, param: str) -> pd.Timestamp:
    """A tz-aware instant converted to UTC; naive or unparseable input is refused."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ParameterError(f"{param}={value!r}: expected a time with a time zone")
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as error:
        raise ParameterError(
            f"{param}={value!r}: cannot be read as a time ({error}); expected e.g. "
            "'2026-03-04T10:15:00Z' or a tz-aware pandas.Timestamp"
        ) from None
    if stamp is pd.NaT:
        raise ParameterError(f"{param}={value!r}: expected a time, got NaT")
    if stamp.tzinfo is None:
        raise ParameterError(
            f"{param}={value!r}: the time has no time zone; expected a tz-aware time "
            "(e.g. '2026-03-04T10:15:00Z' or pandas.Timestamp(..., tz='UTC'))"
        )
    return stamp.tz_convert("UTC")


def iso(stamp: pd.Timestamp) -> str:
    """ISO 8601 text of a UTC timestamp, ``Z``-suffixed, full precision kept."""
    return stamp.isoformat().replace("+00:00", "Z")


def jsonable(value: Any, param: str) -> Any:
    """``value`` as plain JSON data: numpy/pandas scalars unwrapped, times as ISO UTC.

    Missing numbers (NaN, NaT, None) become ``None``; a naive time is refused.
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, str):
        return text(value, param, allow_empty=True)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (pd.Timestamp, _dt.datetime, np.datetime64)):
        return iso(utc_time(value, param))
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (pd.Timedelta, _dt.timedelta, np.timedelta64)):
        delta = pd.Timedelta(value)
        return None if delta is pd.NaT else delta.isoformat()
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, f"{param}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [jsonable(v, f"{param}[{i}]") for i, v in enumerate(value)]
    raise ParameterError(
        f"{param}={value!r}: a {type(value).__name__} cannot be stored; expected text, a "
        "number, a time, or lists/dicts of those"
    )


def row_mapping(value: Any, param: str) -> dict:
    """A candidate or event row (Series, one-row DataFrame, or mapping) as a dict."""
    if isinstance(value, pd.DataFrame):
        if len(value) != 1:
            raise ParameterError(
                f"{param}: a DataFrame with {len(value)} rows; expected exactly one row "
                "(select it with .iloc[[i]] or pass .iloc[i])"
            )
        value = value.iloc[0]
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if not isinstance(value, Mapping):
        raise ParameterError(
            f"{param}: a {type(value).__name__}; expected a row as a pandas.Series, a "
            "one-row DataFrame or a dict"
        )
    return {str(k): v for k, v in value.items()}


def require_keys(row: dict, keys, param: str) -> None:
    missing = [k for k in keys if k not in row or row[k] is None]
    if missing:
        raise ParameterError(
            f"{param}: missing {_allowed(missing)}; expected a row with {_allowed(keys)} "
            f"(found {_allowed(sorted(row)) or 'no keys'})"
        )


def candidate_detail(value: Any, param: str = "candidate") -> dict:
    """A ranked candidate (a row of ``rank_candidates``) as stored evidence detail."""
    row = row_mapping(value, param)
    require_keys(row, ("name", "type", "score"), param)
    text(row["name"], f"{param}['name']")
    text(row["type"], f"{param}['type']")
    if not isinstance(row["score"], numbers.Real) or isinstance(row["score"], bool):
        raise ParameterError(f"{param}['score']={row['score']!r}: expected a number")
    if row.get("onset") is not None and row.get("onset") is not pd.NaT:
        row["onset"] = utc_time(row["onset"], f"{param}['onset']")
    return jsonable(row, param)


def event_detail(value: Any, param: str = "event") -> dict:
    """An event (a row of the events table) as stored evidence detail."""
    row = row_mapping(value, param)
    require_keys(row, ("time", "source", "kind", "message"), param)
    for key in ("time", "end"):
        missing = row.get(key) is None or row.get(key) is pd.NaT
        if key in row and not missing:
            row[key] = utc_time(row[key], f"{param}[{key!r}]")
    for key in ("source", "kind", "message"):
        text(row[key], f"{param}[{key!r}]", allow_empty=key == "message")
    return jsonable(row, param)


def signal_detail(signal: Any, start: Any, end: Any) -> dict:
    """A signal and a time range as stored evidence detail."""
    name = text(signal, "signal")
    start_utc = utc_time(start, "start")
    end_utc = utc_time(end, "end")
    if end_utc < start_utc:
        raise ParameterError(
            f"end={iso(end_utc)!r} is before start={iso(start_utc)!r}; expected start <= end"
        )
    return {"signal": name, "start": iso(start_utc), "end": iso(end_utc)}


def chart_detail(chart: Any, param: str = "chart") -> dict:
    """A chart snapshot: an altair chart (or ``alt.JupyterChart``), a Vega-Lite spec
    (dict or JSON text), or SVG text."""
    if isinstance(chart, str):
        stripped = chart.lstrip()
        if stripped.startswith("<svg") or (stripped.startswith("<?xml") and "<svg" in stripped):
            return {"format": "svg", "svg": text(chart, param)}
        try:
            spec = json.loads(chart)
        except ValueError:
            spec = None
        if not isinstance(spec, dict):
            raise ParameterError(
                f"{param}={chart[:40]!r}...: text that is neither SVG ('<svg ...') nor a "
                "Vega-Lite JSON object; expected an altair chart, a Vega-Lite spec or SVG text"
            )
        chart = spec
    elif not isinstance(chart, Mapping):
        inner = getattr(chart, "chart", None)  # alt.JupyterChart wraps the chart it shows
        if not callable(getattr(chart, "to_dict", None)) and callable(
            getattr(inner, "to_dict", None)
        ):
            chart = inner
        to_dict = getattr(chart, "to_dict", None)
        if not callable(to_dict):
            raise ParameterError(
                f"{param}: a {type(chart).__name__}; expected an altair chart, a Vega-Lite "
                "spec (dict or JSON text) or SVG text"
            )
        try:
            chart = to_dict()
        except Exception as error:  # altair's schema validation names what is wrong
            raise ParameterError(
                f"{param}: {type(chart).__name__}.to_dict() failed ({type(error).__name__}: "
                f"{str(error)[:300]}); expected a chart that altair can serialise"
            ) from error
    spec = jsonable(chart, param)
    return {"format": "vega-lite", "spec": spec}


def check_detail(kind_: str, detail: Any, param: str) -> dict:
    """The keys a stored detail of ``kind_`` must have (for imported records)."""
    if not isinstance(detail, dict):
        raise ParameterError(f"{param}={detail!r}: expected a JSON object")
    required = {
        "candidate": ("name", "type", "score"),
        "signal": ("signal", "start", "end"),
        "event": ("time", "source", "kind", "message"),
        "note": (),
        "chart": ("format",),
    }[kind_]
    missing = [k for k in required if k not in detail]
    if kind_ == "chart" and not missing:
        body = {"vega-lite": "spec", "svg": "svg"}.get(detail["format"])
        if body is None:
            raise ParameterError(
                f"{param}['format']={detail['format']!r}: expected 'vega-lite' or 'svg'"
            )
        missing = [body] if body not in detail else []
    if missing:
        raise ParameterError(f"{param}: missing {_allowed(missing)} for kind={kind_!r}")
    return detail


def hypothesis_ref(value: Any, param: str = "hypothesis_id") -> str:
    return text(value, param)


def optional_hypothesis_ref(value: Any, param: str = "hypothesis_id") -> str | None:
    return None if value is None else text(value, param)


# What each entity stores: field -> validator (value, param) -> canonical value.
# ``create`` lists the fields a creating record must carry; ``update`` those a
# later record may change. References (hypothesis_id) are checked by the caller.
Validator = Callable[[Any, str], Any]

ENTITIES: dict[str, dict[str, Any]] = {
    "hypothesis": {
        "fields": {
            "statement": lambda v, p: text(v, p),
            "team": lambda v, p: text(v, p),
            "category": category,
            "status": status,
            "status_reason": lambda v, p: text(v, p, allow_empty=True),
            "retracted": flag,
            "retract_reason": lambda v, p: text(v, p, allow_empty=True),
        },
        "create": ("statement", "team", "category", "status", "status_reason"),
        "update": ("statement", "team", "category", "status", "status_reason", "retracted",
                   "retract_reason"),
    },
    "evidence": {
        "fields": {
            "hypothesis_id": hypothesis_ref,
            "kind": kind,
            "stance": stance,
            "note": lambda v, p: text(v, p, allow_empty=True),
            "detail": lambda v, p: v,  # checked against kind by check_detail
            "retracted": flag,
            "retract_reason": lambda v, p: text(v, p, allow_empty=True),
        },
        "create": ("hypothesis_id", "kind", "stance", "note", "detail"),
        "update": ("retracted", "retract_reason"),
    },
    "why": {
        "fields": {
            "hypothesis_id": hypothesis_ref,
            "text": lambda v, p: text(v, p),
            "retracted": flag,
            "retract_reason": lambda v, p: text(v, p, allow_empty=True),
        },
        "create": ("hypothesis_id", "text"),
        "update": ("text", "retracted", "retract_reason"),
    },
    "decision": {
        "fields": {
            "hypothesis_id": optional_hypothesis_ref,
            "text": lambda v, p: text(v, p),
            "retracted": flag,
            "retract_reason": lambda v, p: text(v, p, allow_empty=True),
        },
        "create": ("hypothesis_id", "text"),
        "update": ("retracted", "retract_reason"),
    },
    "action": {
        "fields": {
            "hypothesis_id": optional_hypothesis_ref,
            "text": lambda v, p: text(v, p),
            "owner": lambda v, p: text(v, p),
            "due": due_date,
            "status": action_status,
            "retracted": flag,
            "retract_reason": lambda v, p: text(v, p, allow_empty=True),
        },
        "create": ("hypothesis_id", "text", "owner", "due", "status"),
        "update": ("text", "owner", "due", "status", "retracted", "retract_reason"),
    },
}
