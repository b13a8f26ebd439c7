"""Reading and validating the investigation manifest (``investigation.toml``).

The format is documented in ``docs/manifest.md``. Validation is strict: an unknown key
is an error that names the key, where it is and the closest known key, because a typo
such as ``timezon`` would otherwise silently fall back to a default.
"""

from __future__ import annotations

import difflib
import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from rca.errors import ManifestError, ParameterError
from rca.timestamps import check_timezone, parse_duration, parse_instant

__all__ = [
    "Manifest",
    "IncidentSpec",
    "AlignmentSpec",
    "SourceSpec",
    "SIGNAL_KINDS",
    "match_signal_kinds",
    "signal_kinds_error",
    "read_manifest",
    "manifest_from_dict",
]

_TOP_KEYS = {"title", "timezone", "description", "incident", "alignment", "source"}
_INCIDENT_KEYS = {"start", "symptom", "lookback", "lookahead"}
_ALIGNMENT_KEYS = {"grid", "max_gap"}
_COMMON_SOURCE_KEYS = {
    "name",
    "domain",
    "kind",
    "path",
    "url",
    "query",
    "columns",
    "timezone",
    "time_format",
    "time_unit",
    "clock_offset",
    "clock",
    "delimiter",
    "decimal",
    "encoding",
    "skip_rows",
}
_SIGNAL_KEYS = {"layout", "good_quality", "value_map", "units", "max_gap", "ignore", "tag_separator", "signal_kinds"}

#: What a signal is, when the plant says so (a source's ``signal_kinds``, or ``kinds=`` of
#: :func:`rca.rank_candidates`). The ranking otherwise reads it from the name (a tag's
#: ``.OUT``, a metric's ``latency``), which a plant's naming may not follow.
SIGNAL_KINDS = {
    "response": "how a service or a link performs (a latency, an error rate, a queue, a packet loss): "
                "it responds to what is behind it",
    "output": "a controller's output (a valve or speed demand), which moves to make up for a disturbance",
    "measurement": "any other quantity (a temperature, a flow, a CPU load, a setpoint): neither a response "
                   "nor a controller output, whatever its name says",
}


def signal_kinds_error(table, name: str) -> str | None:
    """What is wrong with a table of signal name (or pattern) -> kind (a source's
    ``signal_kinds``, ``kinds=`` of :func:`rca.rank_candidates`), as a message that names it
    ``name``; None when nothing is. The manifest and the ranking raise it as their own error.

    >>> signal_kinds_error({"PK5.*.OUT": "output"}, "kinds") is None
    True
    >>> signal_kinds_error({"gw-02.*": "latency"}, "kinds")
    "kinds['gw-02.*']: expected one of response, output, measurement, got 'latency'"
    """
    if not isinstance(table, dict):
        return (f"{name}: expected a table (a dict) of tag or pattern = kind, e.g. {{ \"PK5.*.OUT\" = \"output\" }}, "
                f"got {type(table).__name__}")
    for key, what in table.items():
        if what not in SIGNAL_KINDS:
            return f"{name}[{key!r}]: expected one of {', '.join(SIGNAL_KINDS)}, got {what!r}"
    return None


def match_signal_kinds(table: dict, names: dict) -> tuple[dict, list]:
    """Apply a table of signal name or pattern -> kind (``signal_kinds``, ``kinds=``).

    ``names`` maps each signal to the names it may be declared by (its signal name, its tag in
    the source). A key is a name or a pattern (``*``, ``?``, ``[...]``, as in file names,
    case-sensitive); when several keys match a signal, the later one wins. Returns (signal ->
    kind, the keys that matched no signal), so that the caller can report the latter."""
    out, unmatched = {}, []
    for pattern, what in table.items():
        hit = [sig for sig, aliases in names.items()
               if any(fnmatch.fnmatchcase(str(a), str(pattern)) for a in aliases)]
        if not hit:
            unmatched.append(pattern)
        out.update(dict.fromkeys(hit, what))
    return out, unmatched


_EVENT_KEYS = {"active_states", "return_states"}
_SIGNAL_COLUMNS_LONG = {"time", "tag", "value", "quality", "unit", "description"}
_SIGNAL_COLUMNS_WIDE = {"time"}
_EVENT_COLUMNS = {"time", "end", "source", "kind", "message", "severity", "state"}


@dataclass(frozen=True)
class IncidentSpec:
    """The ``[incident]`` table.

    Attributes
    ----------
    start : pandas.Timestamp
        When the symptom was noticed [UTC].
    symptom : str or None
        The signal that went wrong, as named in the data.
    lookback, lookahead : pandas.Timedelta or "auto"
        How far before and after ``start`` the analysis window reaches.
    """

    start: pd.Timestamp
    symptom: str | None = None
    lookback: pd.Timedelta | str = "auto"
    lookahead: pd.Timedelta | str = "auto"


@dataclass(frozen=True)
class AlignmentSpec:
    """The ``[alignment]`` table: grid step and default hold limit, each a Timedelta or ``"auto"``."""

    grid: pd.Timedelta | str = "auto"
    max_gap: pd.Timedelta | str = "auto"


@dataclass(frozen=True)
class SourceSpec:
    """One ``[[source]]`` table, validated. Paths are absolute."""

    name: str
    domain: str
    kind: str
    columns: dict
    path: Path | None = None
    url: str | None = None
    query: str | None = None
    layout: str = "long"
    timezone: str = "UTC"
    time_format: str | None = None
    time_unit: str | None = None
    clock_offset: pd.Timedelta | str = pd.Timedelta(0)
    clock: str | None = None
    delimiter: str = "auto"
    decimal: str = "auto"
    encoding: str = "utf-8"
    skip_rows: int = 0
    good_quality: tuple | None = None
    value_map: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    max_gap: pd.Timedelta | str | None = None
    ignore: tuple = ()
    tag_separator: str = "."
    signal_kinds: dict = field(default_factory=dict)
    active_states: tuple = ()
    return_states: tuple = ()

    @property
    def location(self) -> str:
        """The file path or database URL, for messages and the ledger."""
        return str(self.path) if self.path is not None else str(self.url)

    @property
    def clock_name(self) -> str:
        """Sources with the same clock name share one clock offset."""
        return self.clock or self.name


@dataclass(frozen=True)
class Manifest:
    """A validated investigation manifest."""

    path: Path
    title: str
    incident: IncidentSpec
    sources: tuple[SourceSpec, ...]
    timezone: str = "UTC"
    description: str = ""
    alignment: AlignmentSpec = AlignmentSpec()

    @property
    def folder(self) -> Path:
        return self.path.parent

    def source(self, name: str) -> SourceSpec:
        for spec in self.sources:
            if spec.name == name:
                return spec
        raise ManifestError(f"{self.path.name}: no source named {name!r}; sources: {[s.name for s in self.sources]}")


def read_manifest(path) -> Manifest:
    """Read and validate an investigation manifest.

    Parameters
    ----------
    path : str or pathlib.Path
        The TOML file. Paths inside it are relative to its folder.

    Returns
    -------
    Manifest

    Raises
    ------
    ManifestError
        If the file is missing, is not valid TOML, or has unknown, missing or invalid keys.

    Examples
    --------
    >>> m = read_manifest("sample_data/line3_scrap_spike/investigation.toml")  # doctest: +SKIP
    >>> m.incident.start  # doctest: +SKIP
    Timestamp('2026-03-04 10:15:00+0000', tz='UTC')
    """
    path = Path(path)
    if path.is_dir():
        candidates = sorted(path.glob("*.toml"))
        if len(candidates) == 1:
            path = candidates[0]
        else:
            raise ManifestError(
                f"{path}: is a folder; expected the manifest file itself (found "
                f"{len(candidates)} .toml files: {[c.name for c in candidates]})"
            )
    if not path.exists():
        raise ManifestError(f"manifest not found: {path} (expected a TOML file such as investigation.toml)")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ManifestError(f"{path}: not a UTF-8 text file ({exc})") from None
    return manifest_from_dict(data, path=path.resolve())


def manifest_from_dict(data: dict, *, path) -> Manifest:
    """Validate a manifest already parsed into a dict. ``path`` anchors relative paths."""
    path = Path(path)
    where = path.name
    _check_keys(data, _TOP_KEYS, where, "top level")
    title = _require(data, "title", where, "top level", str)
    timezone = _zone(data.get("timezone", "UTC"), where, "timezone")
    description = _optional(data, "description", where, "top level", str) or ""

    if "incident" not in data:
        raise ManifestError(f"{where}: missing the [incident] table (expected at least: start = \"...\")")
    inc = data["incident"]
    if not isinstance(inc, dict):
        raise ManifestError(f"{where}: 'incident' must be a table ([incident]), got {type(inc).__name__}")
    _check_keys(inc, _INCIDENT_KEYS, where, "[incident]")
    start_raw = _require(inc, "start", where, "[incident]", (str, object))
    try:
        start = parse_instant(start_raw, timezone=timezone, name="incident.start")
    except ParameterError as exc:
        raise ManifestError(f"{where}: {exc}") from None
    incident = IncidentSpec(
        start=start,
        symptom=_optional(inc, "symptom", where, "[incident]", str),
        lookback=_duration_or_auto(inc.get("lookback", "auto"), where, "incident.lookback"),
        lookahead=_duration_or_auto(inc.get("lookahead", "auto"), where, "incident.lookahead"),
    )

    align = data.get("alignment", {})
    if not isinstance(align, dict):
        raise ManifestError(f"{where}: 'alignment' must be a table ([alignment])")
    _check_keys(align, _ALIGNMENT_KEYS, where, "[alignment]")
    alignment = AlignmentSpec(
        grid=_duration_or_auto(align.get("grid", "auto"), where, "alignment.grid"),
        max_gap=_duration_or_auto(align.get("max_gap", "auto"), where, "alignment.max_gap"),
    )

    raw_sources = data.get("source")
    if not raw_sources:
        raise ManifestError(f"{where}: no [[source]] tables; expected at least one data source")
    if isinstance(raw_sources, dict):
        raise ManifestError(f"{where}: write sources as [[source]] (an array of tables), not [source]")
    sources = []
    seen = set()
    for i, raw in enumerate(raw_sources, start=1):
        spec = _source(raw, i, where, path.parent)
        if spec.name in seen:
            raise ManifestError(f"{where}: source[{i}]: name {spec.name!r} is used twice; source names must be unique")
        seen.add(spec.name)
        sources.append(spec)
    return Manifest(
        path=path,
        title=title,
        timezone=timezone,
        description=description,
        incident=incident,
        alignment=alignment,
        sources=tuple(sources),
    )


def _source(raw, i, where, folder: Path) -> SourceSpec:
    label = f"source[{i}]"
    if not isinstance(raw, dict):
        raise ManifestError(f"{where}: {label} must be a table")
    name = raw.get("name")
    if isinstance(name, str) and name:
        label = f"source[{i}] ({name!r})"
    kind = raw.get("kind")
    allowed = set(_COMMON_SOURCE_KEYS)
    if kind == "signals":
        allowed |= _SIGNAL_KEYS
    elif kind == "events":
        allowed |= _EVENT_KEYS
    else:
        allowed |= _SIGNAL_KEYS | _EVENT_KEYS
    _check_keys(raw, allowed, where, label, other=(_SIGNAL_KEYS | _EVENT_KEYS) - allowed, kind=kind)
    name = _require(raw, "name", where, label, str)
    domain = _require(raw, "domain", where, label, str)
    if domain.upper() not in ("OT", "IT"):
        raise ManifestError(f"{where}: {label}.domain: expected 'OT' or 'IT', got {domain!r}")
    kind = _require(raw, "kind", where, label, str)
    if kind not in ("signals", "events"):
        raise ManifestError(f"{where}: {label}.kind: expected 'signals' or 'events', got {kind!r}")

    path = raw.get("path")
    url = raw.get("url")
    query = raw.get("query")
    if path is not None and url is not None:
        raise ManifestError(f"{where}: {label}: give either path (a file) or url + query (a database), not both")
    if path is None and url is None:
        raise ManifestError(f"{where}: {label}: missing 'path' (a file) or 'url' + 'query' (a database)")
    if url is not None:
        if not isinstance(url, str) or "://" not in url:
            raise ManifestError(
                f"{where}: {label}.url: expected a database URL such as 'duckdb:///plant.duckdb' or "
                f"'sqlite:///events.db', got {url!r}"
            )
        if not isinstance(query, str) or not query.strip():
            raise ManifestError(f"{where}: {label}: a url source needs a 'query' (SQL text)")
        url = _anchor_url(url, folder)
    elif query is not None:
        raise ManifestError(f"{where}: {label}: 'query' needs a 'url' (the database to run it on)")
    if path is not None:
        if not isinstance(path, str) or not path:
            raise ManifestError(f"{where}: {label}.path: expected a file path text, got {path!r}")
        path = (folder / path).resolve()

    layout = raw.get("layout", "long")
    if layout not in ("long", "wide"):
        raise ManifestError(f"{where}: {label}.layout: expected 'long' or 'wide', got {layout!r}")
    columns = raw.get("columns")
    if not isinstance(columns, dict):
        raise ManifestError(
            f"{where}: {label}: missing 'columns' (which column holds what), e.g. "
            "columns = { time = \"Timestamp\", tag = \"TagName\", value = \"Value\" }"
        )
    if kind == "events":
        col_keys = _EVENT_COLUMNS
        required = ("time",)
    elif layout == "wide":
        col_keys = _SIGNAL_COLUMNS_WIDE
        required = ("time",)
    else:
        col_keys = _SIGNAL_COLUMNS_LONG
        required = ("time", "tag", "value")
    _check_keys(columns, col_keys, where, f"{label}.columns")
    for key in required:
        if key not in columns:
            raise ManifestError(f"{where}: {label}.columns: missing '{key}' (the name of the {key} column)")
    for key, val in columns.items():
        ok = isinstance(val, str) and val != "" or (
            key == "tag" and isinstance(val, list) and val and all(isinstance(v, str) for v in val)
        )
        if not ok:
            raise ManifestError(f"{where}: {label}.columns.{key}: expected a column name, got {val!r}")

    timezone = _zone(raw.get("timezone", "UTC"), where, f"{label}.timezone")
    clock_offset = raw.get("clock_offset", "0s")
    if clock_offset != "auto":
        clock_offset = _duration(clock_offset, where, f"{label}.clock_offset", allow_negative=True)
    time_unit = raw.get("time_unit")
    if time_unit is not None and time_unit not in ("s", "ms", "us", "ns"):
        raise ManifestError(f"{where}: {label}.time_unit: expected 's', 'ms', 'us' or 'ns', got {time_unit!r}")
    delimiter = raw.get("delimiter", "auto")
    if not isinstance(delimiter, str) or (delimiter != "auto" and len(delimiter) != 1):
        raise ManifestError(
            f"{where}: {label}.delimiter: expected one character such as ',' or ';' (or 'auto'), got {delimiter!r}"
        )
    decimal = raw.get("decimal", "auto")
    if decimal not in ("auto", ".", ","):
        raise ManifestError(f"{where}: {label}.decimal: expected '.', ',' or 'auto', got {decimal!r}")
    skip_rows = raw.get("skip_rows", 0)
    if not isinstance(skip_rows, int) or isinstance(skip_rows, bool) or skip_rows < 0:
        raise ManifestError(f"{where}: {label}.skip_rows: expected a whole number >= 0, got {skip_rows!r}")
    good_quality = raw.get("good_quality")
    if good_quality is not None:
        if isinstance(good_quality, (str, int)):
            good_quality = [good_quality]
        if not isinstance(good_quality, list) or not good_quality:
            raise ManifestError(f"{where}: {label}.good_quality: expected a list such as [\"Good\", \"192\"]")
        good_quality = tuple(str(v) for v in good_quality)
        if "quality" not in columns:
            raise ManifestError(f"{where}: {label}: good_quality is set but columns.quality is missing")
    value_map = raw.get("value_map", {})
    if not isinstance(value_map, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in value_map.values()
    ):
        raise ManifestError(f"{where}: {label}.value_map: expected a table of text = number, e.g. {{ ON = 1, OFF = 0 }}")
    units = raw.get("units", {})
    if not isinstance(units, dict) or not all(isinstance(v, str) for v in units.values()):
        raise ManifestError(f"{where}: {label}.units: expected a table of tag = unit text")
    signal_kinds = raw.get("signal_kinds", {})
    problem = signal_kinds_error(signal_kinds, f"{label}.signal_kinds")
    if problem:
        raise ManifestError(f"{where}: {problem}")
    max_gap = raw.get("max_gap")
    if max_gap is not None:
        max_gap = _duration_or_auto(max_gap, where, f"{label}.max_gap")
    ignore = raw.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(v, str) for v in ignore):
        raise ManifestError(f"{where}: {label}.ignore: expected a list of column names")
    states = {}
    for key in ("active_states", "return_states"):
        val = raw.get(key, [])
        if isinstance(val, str):
            val = [val]
        if not isinstance(val, list) or not all(isinstance(v, str) for v in val):
            raise ManifestError(f"{where}: {label}.{key}: expected a list of state texts such as [\"ACT\"]")
        states[key] = tuple(val)
    if (states["active_states"] or states["return_states"]) and "state" not in columns:
        raise ManifestError(f"{where}: {label}: active_states/return_states need columns.state")
    if "state" in columns and not (states["active_states"] and states["return_states"]):
        raise ManifestError(
            f"{where}: {label}: columns.state is set; also give active_states and return_states, e.g. "
            "active_states = [\"ACT\"], return_states = [\"RTN\"]"
        )
    return SourceSpec(
        name=name,
        domain=domain.upper(),
        kind=kind,
        columns=dict(columns),
        path=path,
        url=url,
        query=query,
        layout=layout,
        timezone=timezone,
        time_format=_optional(raw, "time_format", where, label, str),
        time_unit=time_unit,
        clock_offset=clock_offset,
        clock=_optional(raw, "clock", where, label, str),
        delimiter=delimiter,
        decimal=decimal,
        encoding=_optional(raw, "encoding", where, label, str) or "utf-8",
        skip_rows=skip_rows,
        good_quality=good_quality,
        value_map=dict(value_map),
        units=dict(units),
        max_gap=max_gap,
        ignore=tuple(ignore),
        tag_separator=_optional(raw, "tag_separator", where, label, str) or ".",
        signal_kinds=dict(signal_kinds),
        active_states=states["active_states"],
        return_states=states["return_states"],
    )


def _anchor_url(url: str, folder: Path) -> str:
    """Make file-based database URLs (duckdb:///x, sqlite:///x) relative to the manifest folder."""
    for scheme in ("duckdb:///", "sqlite:///"):
        if url.startswith(scheme):
            rest = url[len(scheme) :]
            if rest and not rest.startswith("/") and not rest.startswith(":memory:"):
                return scheme + str((folder / rest).resolve())
    return url


def _check_keys(table: dict, allowed: set, where: str, label: str, other=frozenset(), kind=None):
    for key in table:
        if key in allowed:
            continue
        if key in other:
            raise ManifestError(
                f"{where}: {label}: key {key!r} applies only to "
                f"{'signal' if kind == 'events' else 'event'} sources, but kind = {kind!r}"
            )
        close = difflib.get_close_matches(key, sorted(allowed), n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ManifestError(
            f"{where}: {label}: unknown key {key!r}{hint}; allowed keys: {', '.join(sorted(allowed))}"
        )


def _require(table, key, where, label, types):
    if key not in table:
        raise ManifestError(f"{where}: {label}: missing required key {key!r}")
    return _optional(table, key, where, label, types)


def _optional(table, key, where, label, types):
    val = table.get(key)
    if val is None:
        return None
    if types is str and not isinstance(val, str):
        raise ManifestError(f"{where}: {label}.{key}: expected text, got {type(val).__name__} {val!r}")
    return val


def _zone(value, where, label):
    try:
        return check_timezone(value, name=label)
    except ParameterError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def _duration(value, where, label, allow_negative=False):
    try:
        return parse_duration(value, name=label, allow_negative=allow_negative)
    except ParameterError as exc:
        raise ManifestError(f"{where}: {exc}") from None


def _duration_or_auto(value, where, label):
    if value == "auto":
        return "auto"
    return _duration(value, where, label)
