"""Reading OT and IT exports into tidy samples and events, with a ledger.

Three layers, usable on their own:

* ``read_table`` / ``query_table``: a file (CSV, gzipped CSV, Parquet) or a SQL query into a
  raw :class:`pandas.DataFrame`, with clear errors for missing files, empty files, wrong
  delimiters and malformed lines (counted, never dropped silently).
* ``parse_signals`` / ``parse_events``: a raw frame into tidy UTC samples or events plus a
  :class:`~rca.ledger.SourceLedger` that accounts for every row.
* ``read_signals`` / ``read_events`` (files) and ``query_signals`` / ``query_events`` (SQL):
  the two steps together.

``load_source`` does the same from a manifest :class:`~rca.manifest.SourceSpec`.
"""

from __future__ import annotations

import csv
from collections import deque
import difflib
import gzip
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from rca.errors import MissingDependencyError, ParameterError, SourceError
from rca.ledger import SourceLedger
from rca.manifest import SourceSpec
from rca.timestamps import _arrow_strings, check_timezone, parse_duration, parse_times

__all__ = [
    "SignalData",
    "EventData",
    "read_table",
    "query_table",
    "parse_signals",
    "parse_events",
    "read_signals",
    "read_events",
    "query_signals",
    "query_events",
    "load_source",
    "EVENT_COLUMNS",
    "SAMPLE_COLUMNS",
]

SAMPLE_COLUMNS = ["time", "signal", "value"]
EVENT_COLUMNS = ["time", "end", "source", "kind", "message", "severity", "domain", "origin"]

# Reason codes: 0 = used. Earlier checks win, so every row has exactly one reason.
_REASONS = [
    None,
    "unparseable_time",
    "nonexistent_local_time",
    "ambiguous_local_time",
    "missing_tag",
    "bad_quality",
    "missing_value",
    "non_numeric_value",
    "duplicate",
    "superseded",
    "no_valid_values",
    "unmatched_return",
    "outside_window",
]
_CODE = {name: i for i, name in enumerate(_REASONS)}
_TEXT_SUFFIXES = (".csv", ".txt", ".tsv", ".dat")
#: Size of the blocks a delimited text file is read in [bytes]. Long signal exports are
#: parsed block by block, so memory follows the compact result, not the text.
CSV_BLOCK_BYTES = 8 << 20


@dataclass(frozen=True)
class SignalData:
    """Samples of one signal source.

    Attributes
    ----------
    samples : pandas.DataFrame
        Columns ``time`` (datetime64[ns, UTC]), ``signal`` (categorical of str), ``value``
        (float64); one row per valid sample, sorted by signal then time, no duplicate
        (signal, time).
    info : pandas.DataFrame
        One row per signal (index ``signal``): ``unit``, ``description``, ``samples``.
    ledger : SourceLedger
    """

    samples: pd.DataFrame
    info: pd.DataFrame
    ledger: SourceLedger

    @property
    def settings(self) -> dict:
        return self.ledger.details


@dataclass(frozen=True)
class EventData:
    """Events of one event source (columns as in ``docs/data-model.md``) and its ledger."""

    events: pd.DataFrame
    ledger: SourceLedger

    @property
    def settings(self) -> dict:
        return self.ledger.details


# ---------------------------------------------------------------------------------------
# Raw tables
# ---------------------------------------------------------------------------------------


def _open_text_head(path: Path, encoding: str, nbytes: int = 65536) -> str:
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(nbytes)
    except (OSError, EOFError) as exc:
        raise SourceError(f"{path}: cannot read the file ({exc})") from None
    try:
        return head.decode(encoding, errors="strict")
    except UnicodeDecodeError:
        # The chunk may end inside a multi-byte character; retry without the tail.
        try:
            return head[:-4].decode(encoding)
        except UnicodeDecodeError as exc:
            raise SourceError(
                f"{path}: is not {encoding} text (byte {exc.start} cannot be decoded); set encoding, "
                "e.g. encoding = \"latin-1\""
            ) from None
    except LookupError:
        raise SourceError(f"{path}: unknown encoding {encoding!r}") from None


def _sniff_delimiter(header: str, body: list[str]) -> str:
    best, best_score = ",", -1.0
    for cand in (",", ";", "\t", "|"):
        n = header.count(cand)
        if n == 0:
            continue
        consistent = sum(1 for line in body if line.count(cand) >= n) / max(len(body), 1)
        score = n * (0.5 + consistent)
        if score > best_score:
            best, best_score = cand, score
    return best


def _csv_options(path: Path, details: dict, *, delimiter, encoding, skip_rows, text_columns, label_columns):
    """Check the head of a delimited text file and build the Arrow reader options.

    Returns (read options, parse options, convert options, list collecting malformed lines,
    delimiter). Records the delimiter decision in ``details``.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    if path.stat().st_size == 0:
        raise SourceError(f"{path}: the file is empty (expected a header line and data rows)")
    head = _open_text_head(path, encoding)
    if head.startswith("\ufeff"):
        head = head[1:]
    lines = head.splitlines()
    if len(lines) <= skip_rows or not lines[skip_rows].strip():
        raise SourceError(
            f"{path}: the file is empty after {skip_rows} preamble line(s) (expected a header line and data rows)"
        )
    header_line = lines[skip_rows]
    if delimiter == "auto":
        delimiter = _sniff_delimiter(header_line, lines[skip_rows + 1 : skip_rows + 50])
        details["delimiter"] = f"{delimiter!r} (sniffed)"
    else:
        details["delimiter"] = repr(delimiter)
    header = next(csv.reader([header_line], delimiter=delimiter))
    header = [h.strip() for h in header]
    # Label-like columns (tags, quality, hosts) repeat a few values: Arrow dictionary-encodes
    # them while parsing, which is much cheaper than hashing millions of strings afterwards.
    types = {c: pa.string() for c in text_columns if c in header}
    types.update({c: pa.dictionary(pa.int32(), pa.string()) for c in label_columns if c in header})
    malformed = []

    def on_invalid(row):
        malformed.append(row.text[:200] if row.text else "")
        return "skip"

    read_opts = pcsv.ReadOptions(skip_rows=skip_rows, encoding=encoding, block_size=CSV_BLOCK_BYTES)
    parse_opts = pcsv.ParseOptions(delimiter=delimiter, invalid_row_handler=on_invalid, newlines_in_values=False)
    conv_opts = pcsv.ConvertOptions(
        column_types=types,
        strings_can_be_null=True,
        null_values=["", "NULL", "null", "NaN", "nan", "N/A", "#N/A"],
        quoted_strings_can_be_null=True,
    )
    return read_opts, parse_opts, conv_opts, malformed, delimiter


def read_table(
    path,
    *,
    delimiter: str = "auto",
    encoding: str = "utf-8",
    skip_rows: int = 0,
    text_columns=(),
    label_columns=(),
) -> tuple[pd.DataFrame, dict]:
    """Read a CSV (optionally gzipped) or Parquet file into a raw DataFrame.

    Parameters
    ----------
    path : str or pathlib.Path
    delimiter : str
        Field separator, or ``"auto"`` to pick among ``,`` ``;`` tab ``|`` from the header.
    encoding : str
        Text encoding (a UTF-8 BOM is accepted).
    skip_rows : int
        Preamble lines before the header.
    text_columns : iterable of str
        Columns to keep as text (not type-inferred), e.g. time and value columns, so that the
        parsers see exactly what the file says.
    label_columns : iterable of str
        Text columns with few distinct values (tags, quality flags), read as categoricals.

    Returns
    -------
    (DataFrame, dict)
        The rows, and facts about the read: ``delimiter``, ``malformed_rows`` (lines with the wrong
        number of fields, skipped and counted), ``malformed_examples``.

    Raises
    ------
    SourceError
        Missing, unreadable or empty file.
    """
    path = Path(path)
    if not path.exists():
        raise SourceError(f"file not found: {path}")
    if path.is_dir():
        raise SourceError(f"{path}: is a folder, expected a data file")
    details: dict = {}
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as exc:  # pyarrow raises several classes for corrupt files
            raise SourceError(f"{path}: cannot read as Parquet ({exc})") from None
        frame = table.to_pandas()
        if frame.empty:
            raise SourceError(f"{path}: the Parquet file has no rows")
        details["format"] = "parquet"
        return frame, details

    import pyarrow as pa
    import pyarrow.csv as pcsv

    read_opts, parse_opts, conv_opts, malformed, delimiter = _csv_options(
        path, details, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows, text_columns=text_columns,
        label_columns=label_columns,
    )
    try:
        table = pcsv.read_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise SourceError(f"{path}: the file is empty (expected a header line and data rows)") from None
        raise SourceError(f"{path}: cannot read as delimited text with delimiter {delimiter!r}: {msg}") from None
    names = [n.strip().lstrip("\ufeff") for n in table.column_names]
    if names != table.column_names:
        table = table.rename_columns(names)
    frame = table.to_pandas()
    if frame.empty and not malformed:
        raise SourceError(f"{path}: has a header ({', '.join(names[:8])}) but no data rows")
    details["malformed_rows"] = len(malformed)
    if malformed:
        details["malformed_examples"] = malformed[:3]
    details["format"] = "csv"
    return frame, details


def _stream_long_csv(path: Path, rows: "_LongRows", details: dict, *, delimiter, encoding, skip_rows,
                     text_columns, label_columns) -> None:
    """Feed a delimited text file to ``rows`` block by block (memory stays near the size of
    the compact result, not of the text)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    read_opts, parse_opts, conv_opts, malformed, delimiter = _csv_options(
        path, details, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows, text_columns=text_columns,
        label_columns=label_columns,
    )
    rows.delim = details.get("delimiter")
    names: list = []
    try:
        reader = pcsv.open_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=conv_opts)
        names = [str(c).strip().lstrip("\ufeff") for c in reader.schema.names]
        for batch in reader:
            raw = pa.Table.from_batches([batch]).to_pandas()
            raw.columns = [str(c).strip().lstrip("\ufeff") for c in raw.columns]
            del batch
            rows.add(raw)
            del raw
    except pa.ArrowInvalid as exc:
        msg = str(exc)
        if "Empty CSV file" in msg:
            raise SourceError(f"{path}: the file is empty (expected a header line and data rows)") from None
        raise SourceError(f"{path}: cannot read as delimited text with delimiter {delimiter!r}: {msg}") from None
    # Hand the block buffers Arrow's allocator kept back to the system before the result is
    # assembled (otherwise they add to the peak memory of a large load).
    pa.default_memory_pool().release_unused()
    if rows.n == 0 and not malformed:
        raise SourceError(f"{path}: has a header ({', '.join(names[:8])}) but no data rows")
    details["malformed_rows"] = len(malformed)
    if malformed:
        details["malformed_examples"] = malformed[:3]
    details["format"] = "csv"


def _is_text_file(path: Path) -> bool:
    suffixes = [s.lower() for s in Path(path).suffixes]
    return not (suffixes and suffixes[-1] == ".parquet")


def query_table(url: str, query: str) -> tuple[pd.DataFrame, dict]:
    """Run a SQL query and return its result as a raw DataFrame.

    ``duckdb:///path.duckdb`` URLs are read with DuckDB directly (read-only); any other URL
    goes through SQLAlchemy (``sqlite:///file.db``, ``postgresql://user@host/db``, ...).
    """
    details = {"format": "sql", "url": _redact(url)}
    if url.startswith("duckdb://"):
        import duckdb

        target = url[len("duckdb://") :]
        if target.startswith("/"):
            target = target[1:] if target.startswith("//") else target
        target = target or ":memory:"
        if target != ":memory:" and not Path(target).exists():
            raise SourceError(f"database not found: {target} (from url {url!r})")
        try:
            con = duckdb.connect(target, read_only=target != ":memory:")
        except duckdb.Error as exc:
            raise SourceError(f"{url}: cannot open the DuckDB database ({exc})") from None
        try:
            frame = con.execute(query).fetch_df()
        except duckdb.Error as exc:
            raise SourceError(f"{url}: the query failed: {exc}") from None
        finally:
            con.close()
    else:
        try:
            import sqlalchemy as sa
        except ImportError:  # pragma: no cover - sqlalchemy is a dependency
            raise MissingDependencyError("SQL sources need SQLAlchemy: pip install sqlalchemy") from None
        try:
            engine = sa.create_engine(url)
        except Exception as exc:
            raise SourceError(f"{_redact(url)}: not a usable database URL ({exc})") from None
        try:
            with engine.connect() as con:
                frame = pd.read_sql_query(sa.text(query), con)
        except Exception as exc:
            raise SourceError(f"{_redact(url)}: the query failed: {exc}") from None
        finally:
            engine.dispose()
    if frame.empty:
        raise SourceError(f"{_redact(url)}: the query returned no rows: {query.strip()[:200]}")
    return frame, details


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@/]+@", r"//\1:***@", url)


# ---------------------------------------------------------------------------------------
# Helpers shared by the parsers
# ---------------------------------------------------------------------------------------


def _column(frame: pd.DataFrame, name: str, key: str, location: str, delimiter_hint: str | None = None):
    if name in frame.columns:
        return frame[name]
    found = [str(c) for c in frame.columns]
    close = difflib.get_close_matches(name, found, n=1, cutoff=0.6)
    msg = f"{location}: no column {name!r} (columns.{key}); the header has: {', '.join(found[:20])}"
    if close:
        msg += f"; did you mean {close[0]!r}?"
    if len(found) == 1:
        for cand in (";", ",", "\t", "|"):
            if cand in found[0]:
                msg += (
                    f". The header is a single column containing {cand!r}: the file looks "
                    f"{'tab' if cand == chr(9) else repr(cand)}-separated"
                    + (f" but delimiter = {delimiter_hint} was used" if delimiter_hint else "")
                    + f"; set delimiter = {cand!r}"
                )
                break
    raise SourceError(msg)


def _row_label(location: str, pos: int, skip_rows: int, is_sql: bool) -> str:
    if is_sql:
        return f"{location}: row {pos + 1} of the query result"
    return f"{location}: line {pos + skip_rows + 2}"


_NUMBER_RE = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_COMMA_NUMBER_RE = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?:[eE][+-]?\d+)?$"


def _to_float(series: pd.Series, *, value_map: dict, decimal: str):
    """Convert a value column to float64, vectorised (pyarrow compute).

    Returns (values, codes, examples, decimal_used) where codes is 0 for a number,
    ``missing_value`` or ``non_numeric_value`` otherwise; examples are the most frequent
    non-numeric texts with their counts.
    """
    import pyarrow as pa

    n = len(series)
    codes = np.zeros(n, dtype=np.int8)
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype="float64"), codes, [], decimal
    if pd.api.types.is_numeric_dtype(series.dtype):
        vals = series.to_numpy(dtype="float64", na_value=np.nan)
        codes[~np.isfinite(vals)] = _CODE["missing_value"]
        vals = np.where(np.isfinite(vals), vals, np.nan)
        return vals, codes, [], decimal
    text = _arrow_strings(series)

    def matches(arr, pattern):
        return pc.fill_null(pc.match_substring_regex(arr, pattern), False)

    if decimal == "auto":
        # Decide on a sample: numbers with a decimal comma against numbers with a decimal point.
        sample = text.slice(0, 20_000)
        n_comma = pc.sum(pc.and_(matches(sample, _COMMA_NUMBER_RE), pc.match_substring(sample, ","))).as_py() or 0
        n_dot = pc.sum(pc.and_(matches(sample, _NUMBER_RE), pc.match_substring(sample, "."))).as_py() or 0
        decimal = "," if n_comma > n_dot else "."
    if decimal == "." and text.null_count == 0:
        try:  # the common case: every value is a plain number
            vals = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False).astype("float64", copy=True)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            vals = None
        if vals is not None:  # Arrow's cast accepts only numbers (and nan/inf, counted as missing)
            finite = np.isfinite(vals)
            codes[~finite] = _CODE["missing_value"]
            vals[~finite] = np.nan
            return vals, codes, [], decimal
    dot_ok = matches(text, _NUMBER_RE)
    if decimal == ",":
        normal = pc.replace_substring(pc.replace_substring(text, ".", ""), ",", ".")
        ok = pc.fill_null(pc.or_(matches(text, _COMMA_NUMBER_RE), dot_ok), False)
        ok = pc.and_(ok, matches(normal, _NUMBER_RE))
    else:
        normal, ok = text, dot_ok
    vals = pc.cast(pc.if_else(ok, normal, pa.scalar(None, pa.string())), pa.float64())
    vals = vals.to_numpy(zero_copy_only=False).astype("float64", copy=True)
    ok_np = ok.to_numpy(zero_copy_only=False)
    empty = pc.fill_null(pc.equal(text, ""), True).to_numpy(zero_copy_only=False)
    bad = ~ok_np & ~empty
    examples = []
    if bad.any():
        bad_text = text.filter(pa.array(bad))
        if value_map:
            lowered = {str(k).strip().lower(): float(v) for k, v in value_map.items()}
            keys = pa.array(list(lowered))
            found = pc.fill_null(pc.index_in(pc.utf8_lower(bad_text), value_set=keys), -1)
            mapped_idx = found.to_numpy(zero_copy_only=False).astype(int)
            hit = mapped_idx >= 0
            positions = np.flatnonzero(bad)
            values_list = np.array(list(lowered.values()))
            vals[positions[hit]] = values_list[mapped_idx[hit]]
            bad[positions[hit]] = False
            bad_text = text.filter(pa.array(bad))
        if len(bad_text):
            counts = pc.value_counts(bad_text)
            pairs = sorted(
                zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()), key=lambda kv: -kv[1]
            )
            examples = [(t, int(c)) for t, c in pairs[:5]]
    finite = np.isfinite(vals)
    codes[empty] = _CODE["missing_value"]
    codes[bad] = _CODE["non_numeric_value"]
    # "nan" or "inf" written as numbers are not measurements either.
    codes[(codes == 0) & ~finite] = _CODE["missing_value"]
    vals[codes != 0] = np.nan
    return vals, codes, examples, decimal


def _time_range(times: np.ndarray):
    """Earliest and latest parseable time as UTC Timestamps (None when there is none)."""
    ok = ~np.isnat(times)
    if not ok.any():
        return None, None
    valid = times[ok]
    return pd.Timestamp(valid.min()).tz_localize("UTC"), pd.Timestamp(valid.max()).tz_localize("UTC")


def _finish_ledger(spec_like, codes, times_all, details, items) -> SourceLedger:
    counts = np.bincount(codes.astype(np.int64), minlength=len(_REASONS))
    rejected = {_REASONS[i]: int(c) for i, c in enumerate(counts) if i > 0 and c}
    malformed = int(details.get("malformed_rows", 0))
    if malformed:
        rejected["malformed_row"] = malformed
    start, end = times_all if isinstance(times_all, tuple) else _time_range(times_all)
    return SourceLedger(
        name=spec_like["name"],
        domain=spec_like["domain"],
        kind=spec_like["kind"],
        location=spec_like["location"],
        rows_read=int(len(codes)) + malformed,
        rows_used=int(counts[0]),
        rejected=rejected,
        start=start,
        end=end,
        items=int(items),
        details=details,
    )


def _parse_time_column(col, *, location, column, **kwargs):
    try:
        return parse_times(col, **kwargs)
    except ParameterError as exc:
        raise SourceError(f"{location}, column {column!r}: {exc}") from None


def _read_times(time_col, *, column, location, timezone, time_format, time_unit, offset, details, is_sql,
                skip_rows, groups=None):
    """Parse a time column, refuse a wrong format, apply the clock offset, record what was
    decided, and start the per-row reason codes with the time rejections.

    Returns (parsed, UTC times, reason codes).
    """
    parsed = _parse_time_column(
        time_col, location=location, column=column, timezone=timezone, time_format=time_format,
        time_unit=time_unit, groups=groups,
    )
    _check_time_share(parsed, len(parsed.times), location, column, time_format, is_sql, skip_rows)
    details.update({f"time_{k}" if not k.startswith("time") else k: v for k, v in parsed.settings.items()})
    times = _apply_offset(parsed.times, offset)
    details["clock_offset_applied_s"] = offset.total_seconds()
    codes = np.zeros(len(times), dtype=np.int8)
    for reason in ("unparseable_time", "nonexistent_local_time", "ambiguous_local_time"):
        codes[(codes == 0) & parsed.mask(reason)] = _CODE[reason]
    return parsed, times, codes


def _check_time_share_counts(bad, n, examples, location, column, time_format, is_sql, skip_rows):
    """Refuse a source whose time column mostly fails: that is a wrong format, not bad rows."""
    if n and bad == n or (n >= 20 and bad > 0.5 * n):
        pos, text = examples[0]
        where = _row_label(location, pos, skip_rows, is_sql)
        expected = f"time_format {time_format!r}" if time_format else "ISO 8601 (e.g. 2026-03-04T10:15:00Z)"
        raise SourceError(
            f"{where}, column {column!r}: cannot read the time {text!r}; {bad:,} of {n:,} rows fail. "
            f"Expected {expected}; set time_format (e.g. '%d.%m.%Y %H:%M:%S') or time_unit for epoch numbers"
        )


def _check_time_share(parsed, n, location, column, time_format, is_sql, skip_rows):
    """Refuse a source whose time column mostly fails: that is a wrong format, not bad rows."""
    bad = parsed.count("unparseable_time")
    if n and bad == n or (n >= 20 and bad > 0.5 * n):
        pos, text = parsed.examples["unparseable_time"][0]
        where = _row_label(location, pos, skip_rows, is_sql)
        expected = f"time_format {time_format!r}" if time_format else "ISO 8601 (e.g. 2026-03-04T10:15:00Z)"
        raise SourceError(
            f"{where}, column {column!r}: cannot read the time {text!r}; {bad:,} of {n:,} rows fail. "
            f"Expected {expected}; set time_format (e.g. '%d.%m.%Y %H:%M:%S') or time_unit for epoch numbers"
        )


def _apply_offset(times: np.ndarray, offset) -> np.ndarray:
    if offset is None or offset == pd.Timedelta(0):
        return times
    return times - np.timedelta64(int(pd.Timedelta(offset).value), "ns")


def _check_window(window):
    if window is None:
        return None
    try:
        lo, hi = window
    except (TypeError, ValueError):
        raise ParameterError(f"window: expected (start, end), got {window!r}") from None
    from rca.timestamps import parse_instant

    lo = parse_instant(lo, name="window start") if lo is not None else None
    hi = parse_instant(hi, name="window end") if hi is not None else None
    if lo is not None and hi is not None and hi <= lo:
        raise ParameterError(f"window: end {hi} is not after start {lo}")
    return lo, hi


def _window_mask(times: np.ndarray, window) -> np.ndarray:
    lo, hi = window
    mask = np.ones(times.shape, dtype=bool)
    if lo is not None:
        mask &= times >= np.datetime64(lo.tz_convert("UTC").tz_localize(None))
    if hi is not None:
        mask &= times <= np.datetime64(hi.tz_convert("UTC").tz_localize(None))
    return mask


# ---------------------------------------------------------------------------------------
# Signals
# ---------------------------------------------------------------------------------------


def parse_signals(
    raw: pd.DataFrame,
    *,
    columns: dict,
    layout: str = "long",
    timezone: str = "UTC",
    time_format: str | None = None,
    time_unit: str | None = None,
    good_quality=None,
    value_map: dict | None = None,
    units: dict | None = None,
    ignore=(),
    tag_separator: str = ".",
    decimal: str = "auto",
    clock_offset="0s",
    window=None,
    name: str = "signals",
    domain: str = "OT",
    location: str = "<frame>",
    details: dict | None = None,
    skip_rows: int = 0,
    _consume: bool = False,
) -> SignalData:
    """Turn a raw export frame into tidy UTC samples and a ledger.

    Parameters
    ----------
    raw : pandas.DataFrame
        The export as read (text or typed columns), rows in file order.
    columns : dict
        Long layout: ``time``, ``tag`` (a name or a list of names joined with
        ``tag_separator``), ``value`` and optional ``quality``, ``unit``, ``description``.
        Wide layout: ``time``; every other column is a signal unless in ``ignore``.
    layout : {"long", "wide"}
    timezone, time_format, time_unit
        How to read the time column, see :func:`rca.timestamps.parse_times`.
    good_quality : list of str, optional
        Quality values that count as good (case-insensitive text). Default: all rows good.
    value_map : dict, optional
        Text states to numbers, e.g. ``{"ON": 1, "OFF": 0}``.
    units : dict, optional
        Unit by tag; overrides a unit column.
    decimal : {"auto", ".", ","}
        Decimal mark of text numbers.
    clock_offset : str or pandas.Timedelta
        How far the source's clock runs ahead of true time; subtracted [s].
    window : (start, end), optional
        Keep only samples in this UTC window; the rest are counted as ``outside_window``.
    name, domain, location : str
        Used in the ledger and in messages.
    _consume : bool
        Internal: the frame belongs to the reader; drop columns once parsed to save memory.

    Returns
    -------
    SignalData

    Examples
    --------
    >>> raw = pd.DataFrame({"t": ["2026-03-04T10:00:00Z", "2026-03-04T10:00:05Z"],
    ...                     "tag": ["TI101", "TI101"], "v": ["20.5", "bad"]})
    >>> data = parse_signals(raw, columns={"time": "t", "tag": "tag", "value": "v"})
    >>> data.ledger.rows_used, data.ledger.rejected
    (1, {'non_numeric_value': 1})
    """
    details = dict(details or {})
    timezone = check_timezone(timezone, name="timezone")
    offset = parse_duration(clock_offset, name="clock_offset", allow_negative=True)
    window = _check_window(window)
    is_sql = details.get("format") == "sql"
    delim = details.get("delimiter")
    if layout == "wide":
        return _parse_wide(
            raw, columns, timezone, time_format, time_unit, value_map or {}, units or {}, ignore, decimal,
            offset, window, name, domain, location, details, is_sql, skip_rows, delim,
        )
    if layout != "long":
        raise ParameterError(f"layout: expected 'long' or 'wide', got {layout!r}")
    for key in ("time", "tag", "value"):
        if key not in columns:
            raise ParameterError(f"columns: missing {key!r} (the name of the {key} column)")
    rows = _LongRows(columns, time_format=time_format, time_unit=time_unit, good_quality=good_quality,
                     value_map=value_map or {}, decimal=decimal, tag_separator=tag_separator, location=location,
                     delim=delim, skip_rows=skip_rows, is_sql=is_sql, consume=_consume)
    rows.add(raw)
    return rows.finish(timezone=timezone, offset=offset, window=window, name=name, domain=domain,
                       details=details, units=units or {})


class _LongRows:
    """The rows of a long export, parsed chunk by chunk into compact arrays.

    Everything that needs only one row (time text, tag, quality, value) is done per chunk, so a
    large file never has to be held as text at once; what needs the whole file (local time in
    the repeated autumn hour, duplicates, the ledger) is done by :meth:`finish`.
    """

    def __init__(self, columns, *, time_format, time_unit, good_quality, value_map, decimal, tag_separator,
                 location, delim, skip_rows, is_sql, consume=False):
        self.columns = columns
        self.time_format, self.time_unit = time_format, time_unit
        self.good = None if good_quality is None else {str(g).strip().lower() for g in good_quality}
        self.value_map, self.decimal, self.sep = value_map, decimal, tag_separator
        self.location, self.delim, self.skip_rows, self.is_sql = location, delim, skip_rows, is_sql
        self.consume = consume
        tag = columns["tag"]
        self.tag_cols = list(tag) if isinstance(tag, (list, tuple)) else [tag]
        self.tag_index: dict = {}
        self.parts: list = []
        self.n = 0
        self.settings: dict = {}
        self.non_numeric: dict = {}
        self.decimal_used = None
        self.meta = {"unit": {}, "description": {}}
        self.device: dict = {}  # tag code -> device (several tag columns only)
        self.unparseable_examples: list = []

    def _tags(self, raw):
        if len(self.tag_cols) == 1:
            codes, names = _encode(_column(raw, self.tag_cols[0], "tag", self.location, self.delim))
        else:
            import pyarrow as pa

            parts = [pc.cast(_arrow_strings(_column(raw, c, "tag", self.location, self.delim)), pa.large_string())
                     for c in self.tag_cols]
            sep = pa.scalar(self.sep, pa.large_string())
            codes, names = _encode(pc.binary_join_element_wise(*parts, sep))
            # The leading tag columns name what the value belongs to (a host, a device): the
            # device of each new name, from the first row that has it (found without sorting).
            new = [c for c, t in enumerate(names) if str(t) != "" and str(t) not in self.tag_index]
            if new:
                first = np.full(len(names), -1, dtype=np.int64)
                valid = np.flatnonzero(codes >= 0)[::-1]
                first[codes[valid]] = valid  # written last-to-first: the earliest row wins
                rows = pa.array(first[new])
                devices = pc.binary_join_element_wise(*[p.take(rows) for p in parts[:-1]], sep).to_pylist()
                for code, dev in zip(new, devices):
                    self.device[len(self.tag_index)] = "" if dev is None else str(dev)
                    self.tag_index[str(names[code])] = len(self.tag_index)
        # Map the chunk's names to codes shared by all chunks; an empty name is a missing tag.
        remap = np.array([self.tag_index.setdefault(str(t), len(self.tag_index)) if str(t) != "" else -1
                          for t in names], dtype=np.int64)
        return np.where(codes >= 0, remap[np.maximum(codes, 0)] if remap.size else -1, -1)

    def add(self, raw: pd.DataFrame) -> None:
        from rca.timestamps import wall_times

        first = self.n
        time_col = _column(raw, self.columns["time"], "time", self.location, self.delim)
        tags = self._tags(raw)
        try:
            times, aware, codes, settings = wall_times(time_col, time_format=self.time_format,
                                                        time_unit=self.time_unit)
        except ParameterError as exc:
            raise SourceError(f"{self.location}, column {self.columns['time']!r}: {exc}") from None
        if not self.settings:
            self.settings = settings
            # Later chunks are read the way the first one was (an inferred format or epoch unit).
            fmt = settings.get("time_format", "")
            if fmt.endswith(" (inferred)"):
                self.time_format = fmt[: -len(" (inferred)")]
            unit = settings.get("time_unit", "")
            if unit:
                self.time_unit = unit.split(" ")[0]
        bad_time = np.flatnonzero(codes != 0)[: 3 - len(self.unparseable_examples)]
        for i in bad_time:
            v = time_col.iloc[i]
            self.unparseable_examples.append((first + int(i), "" if pd.isna(v) else str(v)))
        del time_col
        reason = np.where(codes != 0, _CODE["unparseable_time"], 0).astype(np.int8)
        reason[(reason == 0) & (tags < 0)] = _CODE["missing_tag"]
        if self.consume:
            for c in {self.columns["time"], *self.tag_cols}:
                del raw[c]
        if "quality" in self.columns and self.good is not None:
            qual = _column(raw, self.columns["quality"], "quality", self.location, self.delim)
            if pd.api.types.is_numeric_dtype(qual.dtype):
                q_codes, q_uniques = pd.factorize(qual, use_na_sentinel=True)
                q_uniques = np.asarray(q_uniques, dtype=object)
            else:
                q_codes, q_uniques = _encode(qual)
            u_good = np.array([_quality_text(q) in self.good for q in q_uniques], dtype=bool)
            is_good = np.zeros(len(raw), dtype=bool)
            is_good[q_codes >= 0] = u_good[q_codes[q_codes >= 0]]
            reason[(reason == 0) & ~is_good] = _CODE["bad_quality"]
            del qual
            if self.consume:
                del raw[self.columns["quality"]]
        value_col = _column(raw, self.columns["value"], "value", self.location, self.delim)
        decimal = self.decimal if self.decimal_used is None or self.decimal != "auto" else self.decimal_used
        vals, v_codes, non_numeric, decimal_used = _to_float(value_col, value_map=self.value_map, decimal=decimal)
        if self.decimal_used is None:
            self.decimal_used = decimal_used
        del value_col
        if self.consume:
            del raw[self.columns["value"]]
        take = (reason == 0) & (v_codes != 0)
        reason[take] = v_codes[take]
        for text, count in non_numeric:
            self.non_numeric[text] = self.non_numeric.get(text, 0) + count
        for key in ("unit", "description"):
            if key in self.columns:
                col = _column(raw, self.columns[key], key, self.location, self.delim)
                firsts = pd.Series(col.to_numpy(dtype=object)).groupby(tags).first()
                for code, v in firsts.items():
                    if code >= 0 and code not in self.meta[key] and v is not None and not (
                        isinstance(v, float) and np.isnan(v)
                    ):
                        self.meta[key][code] = str(v).strip()
        small = tags.astype(np.int32) if len(self.tag_index) < 2**31 else tags
        self.parts.append((times, aware, reason, small, vals))
        self.n += len(raw)

    def finish(self, *, timezone, offset, window, name, domain, details, units) -> SignalData:
        from rca.timestamps import localise

        if self.parts:
            # One field at a time, dropping its blocks as it goes (peak memory: one field twice).
            fields = [list(x) for x in zip(*self.parts)]
            self.parts = []
            times, aware, reason, tags, vals = (np.concatenate(fields.pop(0)) for _ in range(5))
        else:
            times = np.array([], "datetime64[ns]")
            aware, reason, tags, vals = (np.array([], bool), np.array([], np.int8), np.array([], np.int64),
                                         np.array([]))
        self.parts = []
        tag_names = np.empty(len(self.tag_index), dtype=object)
        for t, c in self.tag_index.items():
            tag_names[c] = t
        # Local time to UTC for the whole file at once: the repeated autumn hour is resolved from
        # the order of each tag's rows.
        time_codes = (reason == _CODE["unparseable_time"]).astype(np.int8)
        settings = {"timezone": timezone, **self.settings}
        localise(times, time_codes, aware, timezone=timezone, groups=tags, settings=settings)
        codes = reason.copy()
        codes[time_codes == 2] = _CODE["nonexistent_local_time"]
        codes[time_codes == 3] = _CODE["ambiguous_local_time"]
        n = len(codes)
        _check_time_share_counts(int((codes == _CODE["unparseable_time"]).sum()), n, self.unparseable_examples,
                                 self.location, self.columns["time"], self.time_format, self.is_sql, self.skip_rows)
        details.update({f"time_{k}" if not k.startswith("time") else k: v for k, v in settings.items()})
        times = _apply_offset(times, offset)
        details["clock_offset_applied_s"] = offset.total_seconds()
        if self.good is not None:
            details["good_quality"] = sorted(self.good)
        details["decimal"] = (self.decimal_used if self.decimal != "auto"
                              else f"{self.decimal_used!r} (detected)") if self.decimal_used else self.decimal
        if self.non_numeric and (codes == _CODE["non_numeric_value"]).any():
            top = sorted(self.non_numeric.items(), key=lambda kv: -kv[1])[:5]
            details["non_numeric_examples"] = dict(top)

        # One stable sort by (tag, time) of the candidate rows serves both the duplicate check
        # and the output order. Within a run of equal (tag, time) the last row in file order is kept.
        rows = np.flatnonzero(codes == 0)
        rows, k_s, t_s = _stable_rows(rows, tags, times.view(np.int64))
        if rows.size:
            same_next = (k_s[1:] == k_s[:-1]) & (t_s[1:] == t_s[:-1])
            dropped = np.flatnonzero(same_next)
            if dropped.size:
                keep_idx = np.flatnonzero(~np.r_[same_next, False])
                run_end = keep_idx[np.searchsorted(keep_idx, dropped)]
                same_val = vals[rows[dropped]] == vals[rows[run_end]]
                codes[rows[dropped[same_val]]] = _CODE["duplicate"]
                codes[rows[dropped[~same_val]]] = _CODE["superseded"]
            del same_next
        if window is not None:
            outside = (codes == 0) & ~_window_mask(times, window)
            codes[outside] = _CODE["outside_window"]
        used = codes[rows] == 0
        if not used.all():
            rows, k_s, t_s = rows[used], k_s[used], t_s[used]
        del used
        time_range = _time_range(times)
        examples = {}
        for pos, text in self.unparseable_examples:
            examples.setdefault("unparseable_time", []).append(
                f"{_row_label(self.location, pos, self.skip_rows, self.is_sql)}: {text!r}")
        for why, code in (("nonexistent_local_time", 2), ("ambiguous_local_time", 3)):
            for pos in np.flatnonzero(time_codes == code)[:3]:
                examples.setdefault(why, []).append(
                    f"{_row_label(self.location, int(pos), self.skip_rows, self.is_sql)}: local time "
                    f"{pd.Timestamp(times[pos] if not np.isnat(times[pos]) else 'NaT')}")
        if examples:
            details["examples"] = examples
        # The per-row arrays of the whole file are not needed any more: free them before the
        # result is built (this is where the peak memory of a large load used to be).
        del times, aware, reason, tags, time_codes
        counts = np.bincount(k_s, minlength=len(tag_names)) if len(tag_names) else np.array([], int)
        value = vals[rows]
        del vals, rows
        signal = _signal_column(k_s, tag_names, counts)
        del k_s
        time = pd.Series(t_s.view("datetime64[ns]"), copy=False).dt.tz_localize("UTC")
        del t_s
        samples = pd.DataFrame({"time": time.array, "signal": signal, "value": value})
        del time, signal, value
        keep = np.flatnonzero(counts > 0)
        names = [str(tag_names[i]) for i in keep]
        info = pd.DataFrame(
            {
                "unit": [units.get(nm, self.meta["unit"].get(i, "")) for nm, i in zip(names, keep)],
                "description": [self.meta["description"].get(i, "") for i in keep],
                "samples": counts[keep].astype(int),
                "device": [self.device.get(i, "") for i in keep],
            },
            index=pd.Index(names, name="signal", dtype="str"),
        )
        ledger = _finish_ledger(
            {"name": name, "domain": domain, "kind": "signals", "location": self.location}, codes, time_range,
            details, items=len(info),
        )
        return SignalData(samples=samples, info=info, ledger=ledger)


def _stable_rows(rows: np.ndarray, keys: np.ndarray, times: np.ndarray):
    """``rows`` in a stable order by (key, time) [int64 ns], keeping file order within ties.

    Returns (rows in that order, their keys, their times). Exports are usually in time order
    per tag: a stable sort by key alone (a linear-time radix sort on small integers) is then
    the answer, which is checked. Otherwise key and time are packed into one int64 when the
    span allows it (one sort), or sorted lexicographically. Gathers are done once each and
    intermediates dropped early: this runs on millions of rows.
    """
    if rows.size == 0:
        return rows, keys[rows], times[rows]
    k = keys[rows]
    n_keys = int(k.max()) + 1
    if n_keys <= np.iinfo(np.int16).max:
        order = np.argsort(k.astype(np.int16), kind="stable")
        del k
        rows = rows[order]
        del order
        k_s, t_s = keys[rows], times[rows]
        if not ((t_s[1:] < t_s[:-1]) & (k_s[1:] == k_s[:-1])).any():
            return rows, k_s, t_s
        k = k_s
        del t_s
    t = times[rows]
    t0 = t.min()
    span = int(t.max() - t0) + 1
    if n_keys * span < 2**62:
        order = np.argsort(k.astype(np.int64) * span + (t - t0), kind="stable")
    else:
        order = np.lexsort((t, k))
    del k, t
    rows = rows[order]
    return rows, keys[rows], times[rows]


def _signal_column(codes: np.ndarray, names: np.ndarray, counts: np.ndarray | None = None) -> pd.Categorical:
    """Signal names as a categorical (memory-light; categories = the signals present)."""
    if counts is None:
        counts = np.bincount(codes, minlength=len(names)) if codes.size else np.zeros(len(names), int)
    present = np.flatnonzero(counts > 0)
    remap = np.full(len(names), -1, dtype=np.int16 if present.size < 2**15 else np.int64)
    remap[present] = np.arange(present.size)
    cats = pd.Index([str(n) for n in names[present]], dtype="str")
    return pd.Categorical.from_codes(remap[codes], categories=cats)


def _encode(values):
    """Codes and unique labels of a text column: (codes with -1 for missing, uniques as objects).

    Labels are stripped of surrounding blanks; categoricals are used as they are (cheap).
    """
    if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
        cats = pd.Index(values.cat.categories.astype(str)).str.strip()
        merged, uniques = pd.factorize(cats)
        codes = values.cat.codes.to_numpy(dtype=np.int64)
        out = np.where(codes >= 0, merged[np.maximum(codes, 0)], -1)
        return out, np.asarray(uniques, dtype=object)
    text = values if not isinstance(values, pd.Series) else _arrow_strings(values)
    enc = pc.dictionary_encode(text)
    codes = pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, np.asarray(enc.dictionary.to_pylist(), dtype=object)


def _quality_text(q) -> str:
    if isinstance(q, float) and q.is_integer():
        q = int(q)
    return str(q).strip().lower()


def _add_time_examples(details, parsed, location, skip_rows, is_sql):
    for reason, items in parsed.examples.items():
        details.setdefault("examples", {})[reason] = [
            f"{_row_label(location, pos, skip_rows, is_sql)}: {text!r}" for pos, text in items
        ]


def _signal_info(raw, columns, tag_codes, tag_names, used, units, location, delim) -> pd.DataFrame:
    counts = np.bincount(tag_codes[used], minlength=len(tag_names)) if len(tag_names) else np.array([], int)
    keep = np.flatnonzero(counts > 0)
    names = [str(tag_names[i]) for i in keep]
    unit = [""] * len(keep)
    desc = [""] * len(keep)
    for key, target in (("unit", unit), ("description", desc)):
        if key in columns:
            col = _column(raw, columns[key], key, location, delim)
            first = pd.Series(col.to_numpy(dtype=object)).groupby(tag_codes).first()
            for j, i in enumerate(keep):
                v = first.get(i)
                target[j] = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
    for j, nm in enumerate(names):
        if nm in units:
            unit[j] = units[nm]
    info = pd.DataFrame(
        {"unit": unit, "description": desc, "samples": counts[keep].astype(int)},
        index=pd.Index(names, name="signal", dtype="str"),
    )
    return info


def _parse_wide(
    raw, columns, timezone, time_format, time_unit, value_map, units, ignore, decimal, offset, window,
    name, domain, location, details, is_sql, skip_rows, delim,
):
    if "time" not in columns:
        raise ParameterError("columns: missing 'time' (the name of the time column)")
    n = len(raw)
    time_name = columns["time"]
    time_col = _column(raw, time_name, "time", location, delim)
    for col in ignore:
        if col not in raw.columns:
            _column(raw, col, "ignore", location, delim)
    signal_cols = [c for c in raw.columns if c != time_name and c not in set(ignore)]
    if not signal_cols:
        raise SourceError(f"{location}: wide layout but no signal columns besides {time_name!r}")
    parsed, times, codes = _read_times(
        time_col, column=time_name, location=location, timezone=timezone, time_format=time_format,
        time_unit=time_unit, offset=offset, details=details, is_sql=is_sql, skip_rows=skip_rows,
    )

    values = np.full((n, len(signal_cols)), np.nan)
    cell_codes = np.zeros((n, len(signal_cols)), dtype=np.int8)
    non_numeric = {}
    decimals = set()
    for j, col in enumerate(signal_cols):
        vals, v_codes, examples, dec = _to_float(raw[col], value_map=value_map, decimal=decimal)
        values[:, j] = vals
        cell_codes[:, j] = v_codes
        decimals.add(dec)
        for text, c in examples:
            non_numeric[text] = non_numeric.get(text, 0) + c
    details["decimal"] = ",".join(sorted(decimals))
    if non_numeric:
        details["non_numeric_examples"] = dict(sorted(non_numeric.items(), key=lambda kv: -kv[1])[:5])
    any_valid = np.isfinite(values).any(axis=1)
    codes[(codes == 0) & ~any_valid] = _CODE["no_valid_values"]

    cand = np.flatnonzero(codes == 0)
    if cand.size:
        order = np.lexsort((cand, times[cand].astype("int64")))
        rows = cand[order]
        same_next = times[rows[1:]] == times[rows[:-1]]
        dropped = np.flatnonzero(same_next)
        if dropped.size:
            keep_idx = np.flatnonzero(~np.r_[same_next, False])
            run_end = keep_idx[np.searchsorted(keep_idx, dropped)]
            a, b = values[rows[dropped]], values[rows[run_end]]
            same = ((a == b) | (np.isnan(a) & np.isnan(b))).all(axis=1)
            codes[rows[dropped[same]]] = _CODE["duplicate"]
            codes[rows[dropped[~same]]] = _CODE["superseded"]
    if window is not None:
        outside = (codes == 0) & ~_window_mask(times, window)
        codes[outside] = _CODE["outside_window"]

    used = np.flatnonzero(codes == 0)
    used = used[np.argsort(times[used], kind="stable")]
    # Cells left empty or holding text inside rows that are used (whole rejected rows are in the ledger).
    cells = {
        reason: int(np.count_nonzero(cell_codes[used] == _CODE[reason]))
        for reason in ("missing_value", "non_numeric_value")
    }
    details["cells_rejected"] = {k: v for k, v in cells.items() if v}
    sub = values[used]
    frames_t, frames_s, frames_v = [], [], []
    counts = []
    for j, col in enumerate(signal_cols):
        ok = np.isfinite(sub[:, j])
        frames_t.append(times[used][ok])
        frames_s.append(np.full(int(ok.sum()), j, dtype=np.int32))
        frames_v.append(sub[ok, j])
        counts.append(int(ok.sum()))
    all_t = np.concatenate(frames_t) if frames_t else np.array([], "datetime64[ns]")
    all_s = np.concatenate(frames_s) if frames_s else np.array([], np.int32)
    names = np.array([str(c) for c in signal_cols], dtype=object)
    samples = pd.DataFrame(
        {
            "time": pd.DatetimeIndex(all_t).tz_localize("UTC"),
            "signal": _signal_column(all_s.astype(np.int64), names),
            "value": np.concatenate(frames_v) if frames_v else np.array([]),
        }
    )
    keep = [j for j, c in enumerate(counts) if c > 0]
    info = pd.DataFrame(
        {
            "unit": [units.get(str(signal_cols[j]), "") for j in keep],
            "description": [""] * len(keep),
            "samples": [counts[j] for j in keep],
        },
        index=pd.Index([str(signal_cols[j]) for j in keep], name="signal", dtype="str"),
    )
    _add_time_examples(details, parsed, location, skip_rows, is_sql)
    ledger = _finish_ledger(
        {"name": name, "domain": domain, "kind": "signals", "location": location}, codes, times, details, len(info)
    )
    return SignalData(samples=samples, info=info, ledger=ledger)


# ---------------------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------------------


def parse_events(
    raw: pd.DataFrame,
    *,
    columns: dict,
    timezone: str = "UTC",
    time_format: str | None = None,
    time_unit: str | None = None,
    active_states=(),
    return_states=(),
    clock_offset="0s",
    window=None,
    name: str = "events",
    domain: str = "IT",
    location: str = "<frame>",
    details: dict | None = None,
    skip_rows: int = 0,
) -> EventData:
    """Turn a raw event export into the tidy events frame and a ledger.

    Parameters
    ----------
    raw : pandas.DataFrame
        The export as read, rows in file order.
    columns : dict
        ``time`` required; optional ``end``, ``source``, ``kind``, ``message``, ``severity``,
        ``state``. Without ``source``, the source ``name`` is used; without ``kind``, ``"event"``.
    active_states, return_states : sequence of str
        With a ``state`` column: an active row opens an interval that the next return row of the
        same ``source`` and ``kind`` closes (the oldest open one first). Other states stay as point
        events, kind suffixed
        ``"/<state>"``.
    clock_offset, window, name, domain, location
        As in :func:`parse_signals`.

    Returns
    -------
    EventData

    Examples
    --------
    >>> raw = pd.DataFrame({"t": ["2026-03-04T10:00:00Z", "2026-03-04T10:02:00Z"],
    ...                     "tag": ["TI101", "TI101"], "type": ["HI", "HI"], "st": ["ACT", "RTN"]})
    >>> ev = parse_events(raw, columns={"time": "t", "source": "tag", "kind": "type", "state": "st"},
    ...                   active_states=["ACT"], return_states=["RTN"])
    >>> len(ev.events), ev.events["end"].iloc[0]
    (1, Timestamp('2026-03-04 10:02:00+0000', tz='UTC'))
    """
    details = dict(details or {})
    timezone = check_timezone(timezone, name="timezone")
    offset = parse_duration(clock_offset, name="clock_offset", allow_negative=True)
    window = _check_window(window)
    is_sql = details.get("format") == "sql"
    delim = details.get("delimiter")
    if "time" not in columns:
        raise ParameterError("columns: missing 'time' (the name of the time column)")
    n = len(raw)
    time_col = _column(raw, columns["time"], "time", location, delim)
    parsed, times, codes = _read_times(
        time_col, column=columns["time"], location=location, timezone=timezone, time_format=time_format,
        time_unit=time_unit, offset=offset, details=details, is_sql=is_sql, skip_rows=skip_rows,
    )

    def text(key, default):
        if key not in columns:
            return np.full(n, default, dtype=object)
        col = _column(raw, columns[key], key, location, delim)
        if isinstance(col.dtype, pd.CategoricalDtype):  # labels: strip each distinct label once
            labels = np.append(pd.Index(col.cat.categories.astype(str)).str.strip().to_numpy(dtype=object), "")
            return labels[col.cat.codes.to_numpy()]  # code -1 (missing) takes the trailing ""
        if pd.api.types.is_string_dtype(col.dtype):
            try:  # text columns: trim in Arrow (several times faster than .str.strip on objects)
                arr = _arrow_strings(col)
                return np.asarray(pc.fill_null(arr, "").to_numpy(zero_copy_only=False), dtype=object)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                pass
        return col.astype("string").str.strip().fillna("").to_numpy(dtype=object, copy=True)

    source = text("source", name)
    kind = text("kind", "event")
    message = text("message", "")
    severity = text("severity", "")
    ends = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    if "end" in columns:
        end_col = _column(raw, columns["end"], "end", location, delim)
        present = end_col.notna().to_numpy()
        if present.any():
            p_end = _parse_time_column(
                end_col, location=location, column=columns["end"], timezone=timezone, time_format=time_format,
                time_unit=time_unit,
            )
            ends = _apply_offset(p_end.times, offset)
            bad_end = present & np.isnat(ends)
            if bad_end.any():
                details["unreadable_end_times"] = int(bad_end.sum())
    state = text("state", "") if "state" in columns else None

    # Exact duplicates (same time, source, kind, message, severity, state): keep the first.
    ok = np.flatnonzero(codes == 0)
    if ok.size:
        key = pd.DataFrame(
            {
                "t": times[ok].astype("int64"),
                "s": source[ok],
                "k": kind[ok],
                "m": message[ok],
                "v": severity[ok],
                "st": state[ok] if state is not None else "",
            }
        )
        dup = key.duplicated(keep="first").to_numpy()
        codes[ok[dup]] = _CODE["duplicate"]

    consumed = np.zeros(n, dtype=bool)
    if state is not None:
        active = {s.strip().lower() for s in active_states}
        ret = {s.strip().lower() for s in return_states}
        st_lower = np.array([s.lower() for s in state], dtype=object)
        ok = np.flatnonzero(codes == 0)
        ok = ok[np.argsort(times[ok], kind="stable")]
        # A return closes the oldest open activation of the same source and kind (first in, first out).
        open_rows: dict = {}
        for i in ok:
            s = st_lower[i]
            k = (source[i], kind[i])
            if s in active:
                open_rows.setdefault(k, deque()).append(i)
            elif s in ret:
                queue = open_rows.get(k)
                if not queue:
                    codes[i] = _CODE["unmatched_return"]
                else:
                    j = queue.popleft()
                    ends[j] = times[i]
                    consumed[i] = True
            elif s:
                kind[i] = f"{kind[i]}/{state[i]}"
        details["open_intervals_at_end"] = sum(len(q) for q in open_rows.values())
    if window is not None:
        outside = (codes == 0) & ~_window_mask(times, window)
        codes[outside] = _CODE["outside_window"]
    keep = np.flatnonzero((codes == 0) & ~consumed)
    keep = keep[np.argsort(times[keep], kind="stable")]
    events = pd.DataFrame(
        {
            "time": pd.DatetimeIndex(times[keep]).tz_localize("UTC"),
            "end": pd.DatetimeIndex(ends[keep]).tz_localize("UTC"),
            "source": pd.Series(source[keep], dtype="str"),
            "kind": pd.Series(kind[keep], dtype="str"),
            "message": pd.Series(message[keep], dtype="str"),
            "severity": pd.Series(severity[keep], dtype="str"),
            "domain": pd.Series([domain] * len(keep), dtype="str"),
            "origin": pd.Series([name] * len(keep), dtype="str"),
        }
    )
    _add_time_examples(details, parsed, location, skip_rows, is_sql)
    ledger = _finish_ledger(
        {"name": name, "domain": domain, "kind": "events", "location": location}, codes, times, details, len(events)
    )
    return EventData(events=events, ledger=ledger)


# ---------------------------------------------------------------------------------------
# Files, queries and manifest sources
# ---------------------------------------------------------------------------------------


def _column_kinds(columns: dict, kind: str, layout: str) -> tuple[list, list]:
    """Which columns to read as plain text and which as labels (categoricals)."""
    text, labels = [], []
    for key in ("time", "end", "message"):
        if key in columns:
            text.append(columns[key])
    for key in ("quality", "state", "source", "kind", "severity", "unit", "description"):
        if key in columns:
            labels.append(columns[key])
    tag = columns.get("tag")
    if isinstance(tag, (list, tuple)):
        labels.extend(tag)
    elif tag:
        labels.append(tag)
    if kind == "signals" and layout == "long" and "value" in columns:
        text.append(columns["value"])
    return text, labels


def _kinds_kw(columns, kind, layout) -> dict:
    text, labels = _column_kinds(columns, kind, layout)
    return {"text_columns": text, "label_columns": labels}


def read_signals(path, *, columns: dict, layout: str = "long", delimiter="auto", encoding="utf-8", skip_rows=0,
                 **options) -> SignalData:
    """Read a signal export file (CSV, gzipped CSV or Parquet). Options as :func:`parse_signals`.

    Examples
    --------
    >>> data = read_signals("historian.csv.gz", columns={"time": "Timestamp", "tag": "TagName",
    ...                     "value": "Value"}, timezone="Europe/Berlin")  # doctest: +SKIP
    """
    options.setdefault("name", Path(path).name)
    options.setdefault("location", str(path))
    if layout == "long" and Path(path).exists() and _is_text_file(path) and not Path(path).is_dir():
        return _read_long_csv(path, columns=columns, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows,
                              **options)
    raw, details = read_table(
        path, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows,
        **_kinds_kw(columns, "signals", layout),
    )
    return parse_signals(raw, columns=columns, layout=layout, details=details, skip_rows=skip_rows, _consume=True,
                         **options)


def _read_long_csv(path, *, columns, delimiter="auto", encoding="utf-8", skip_rows=0, timezone="UTC",
                   time_format=None, time_unit=None, good_quality=None, value_map=None, units=None,
                   tag_separator=".", decimal="auto", clock_offset="0s", window=None, name="signals",
                   domain="OT", location=None, ignore=()):
    """A long signal export read block by block (see :class:`_LongRows`)."""
    for key in ("time", "tag", "value"):
        if key not in columns:
            raise ParameterError(f"columns: missing {key!r} (the name of the {key} column)")
    timezone = check_timezone(timezone, name="timezone")
    offset = parse_duration(clock_offset, name="clock_offset", allow_negative=True)
    window = _check_window(window)
    location = location or str(path)
    details: dict = {}
    rows = _LongRows(columns, time_format=time_format, time_unit=time_unit, good_quality=good_quality,
                     value_map=value_map or {}, decimal=decimal, tag_separator=tag_separator, location=location,
                     delim=None, skip_rows=skip_rows, is_sql=False, consume=True)
    text, labels = _column_kinds(columns, "signals", "long")
    _stream_long_csv(Path(path), rows, details, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows,
                     text_columns=text, label_columns=labels)
    return rows.finish(timezone=timezone, offset=offset, window=window, name=name, domain=domain,
                       details=details, units=units or {})


def read_events(path, *, columns: dict, delimiter="auto", encoding="utf-8", skip_rows=0, **options) -> EventData:
    """Read an event export file (CSV, gzipped CSV or Parquet). Options as :func:`parse_events`."""
    raw, details = read_table(
        path, delimiter=delimiter, encoding=encoding, skip_rows=skip_rows,
        **_kinds_kw(columns, "events", "long"),
    )
    options.setdefault("name", Path(path).name)
    options.setdefault("location", str(path))
    return parse_events(raw, columns=columns, details=details, skip_rows=skip_rows, **options)


def query_signals(url: str, query: str, *, columns: dict, **options) -> SignalData:
    """Read signals from a database query (DuckDB or any SQLAlchemy URL). Options as :func:`parse_signals`."""
    raw, details = query_table(url, query)
    options.setdefault("location", _redact(url))
    return parse_signals(raw, columns=columns, details=details, **options)


def query_events(url: str, query: str, *, columns: dict, **options) -> EventData:
    """Read events from a database query (DuckDB or any SQLAlchemy URL). Options as :func:`parse_events`."""
    raw, details = query_table(url, query)
    options.setdefault("location", _redact(url))
    return parse_events(raw, columns=columns, details=details, **options)


def load_source(spec: SourceSpec, *, clock_offset=None, window=None) -> SignalData | EventData:
    """Load one manifest source. ``clock_offset`` overrides the spec (used for ``"auto"``)."""
    offset = spec.clock_offset if clock_offset is None else clock_offset
    if offset == "auto":
        offset = pd.Timedelta(0)
    common = dict(
        timezone=spec.timezone,
        time_format=spec.time_format,
        time_unit=spec.time_unit,
        clock_offset=offset,
        window=window,
        name=spec.name,
        domain=spec.domain,
        location=spec.location,
    )
    try:
        if spec.path is not None and spec.kind == "signals" and spec.layout == "long" and _is_text_file(spec.path) \
                and spec.path.exists() and not spec.path.is_dir():
            return _read_long_csv(
                spec.path, columns=spec.columns, delimiter=spec.delimiter, encoding=spec.encoding,
                skip_rows=spec.skip_rows, good_quality=spec.good_quality, value_map=spec.value_map, units=spec.units,
                tag_separator=spec.tag_separator, decimal=spec.decimal, **common,
            )
        if spec.path is not None:
            raw, details = read_table(
                spec.path, delimiter=spec.delimiter, encoding=spec.encoding, skip_rows=spec.skip_rows,
                **_kinds_kw(spec.columns, spec.kind, spec.layout),
            )
        else:
            raw, details = query_table(spec.url, spec.query)
    except SourceError as exc:
        raise SourceError(f"source {spec.name!r}: {exc}") from None
    try:
        if spec.kind == "signals":
            return parse_signals(
                raw,
                columns=spec.columns,
                layout=spec.layout,
                good_quality=spec.good_quality,
                value_map=spec.value_map,
                units=spec.units,
                ignore=spec.ignore,
                tag_separator=spec.tag_separator,
                decimal=spec.decimal,
                details=details,
                skip_rows=spec.skip_rows,
                _consume=True,
                **common,
            )
        return parse_events(
            raw,
            columns=spec.columns,
            active_states=spec.active_states,
            return_states=spec.return_states,
            details=details,
            skip_rows=spec.skip_rows,
            **common,
        )
    except (SourceError, ParameterError) as exc:
        raise SourceError(f"source {spec.name!r}: {exc}") from None
