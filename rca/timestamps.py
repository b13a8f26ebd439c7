"""Parsing timestamps and durations from plant and IT exports into UTC.

The rules (also in ``docs/manifest.md``):

* Text with ``Z`` or a UTC offset (``+01:00``) is absolute.
* Naive text is wall-clock time in the source's time zone.
* ``time_format`` (strftime) is used when given; otherwise ISO 8601 is tried, then a
  format inferred from the values, accepted only when a single reading fits every value.
* Numbers are epoch times; ``time_unit`` says the unit, or it is inferred from the
  magnitude (seconds, milliseconds, microseconds, nanoseconds since 1970).
* Daylight saving: a local time that does not exist (spring forward) is rejected as
  ``nonexistent_local_time``. A local time that occurs twice (fall back) is resolved from
  row order within each series when the clock is seen to jump back exactly once inside
  the repeated hour; otherwise it is rejected as ``ambiguous_local_time``.

Parsing works on the *unique* values of a column (historian exports repeat the same
timestamp text for every tag), which keeps it fast on millions of rows.
"""

from __future__ import annotations

import math
import re
import warnings
import zoneinfo
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from rca.errors import ParameterError

__all__ = [
    "parse_duration",
    "parse_instant",
    "check_timezone",
    "ParsedTimes",
    "parse_times",
    "UNPARSEABLE",
    "NONEXISTENT",
    "AMBIGUOUS",
]

UNPARSEABLE = "unparseable_time"
NONEXISTENT = "nonexistent_local_time"
AMBIGUOUS = "ambiguous_local_time"

_DURATION_UNITS = {
    "ns": "ns",
    "us": "us",
    "ms": "ms",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "second": "s",
    "seconds": "s",
    "m": "min",
    "min": "min",
    "mins": "min",
    "minute": "min",
    "minutes": "min",
    "h": "h",
    "hr": "h",
    "hrs": "h",
    "hour": "h",
    "hours": "h",
    "d": "D",
    "day": "D",
    "days": "D",
    "w": "W",
    "week": "W",
    "weeks": "W",
}
_DURATION_RE = re.compile(r"^\s*([+-]?)\s*((?:\d+(?:\.\d*)?|\.\d+)\s*[a-zA-Z]+\s*)+$")
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([a-zA-Z]+)")


def parse_duration(value, *, name: str = "duration", allow_negative: bool = False) -> pd.Timedelta:
    """Read a duration such as ``"90s"``, ``"15min"``, ``"2h"``, ``"1h30min"`` or ``"PT2H"``.

    Parameters
    ----------
    value : str, pandas.Timedelta or datetime.timedelta
        The duration. Bare numbers are refused because their unit would be a guess.
    name : str
        What the value is, used in the error message (e.g. ``"incident.lookback"``).
    allow_negative : bool
        Whether a leading minus sign is allowed (clock offsets may be negative).

    Returns
    -------
    pandas.Timedelta

    Raises
    ------
    ParameterError
        If the value cannot be read as a duration.

    Examples
    --------
    >>> parse_duration("1h30min")
    Timedelta('0 days 01:30:00')
    >>> parse_duration("-90s", allow_negative=True)
    Timedelta('-1 days +23:58:30')
    """
    if isinstance(value, pd.Timedelta):
        td = value
    elif hasattr(value, "total_seconds") and not isinstance(value, str):
        td = pd.Timedelta(value)
    elif isinstance(value, str):
        text = value.strip()
        td = None
        if text.upper().startswith(("PT", "P", "-P")):
            try:
                td = pd.Timedelta(text)
            except ValueError:
                td = None
        if td is None and _DURATION_RE.match(text):
            sign = -1 if text.lstrip().startswith("-") else 1
            total = pd.Timedelta(0)
            ok = True
            for number, unit in _DURATION_PART.findall(text):
                key = _DURATION_UNITS.get(unit.lower())
                if key is None:
                    ok = False
                    break
                total += pd.Timedelta(float(number), unit=key)
            td = sign * total if ok else None
        if td is None:
            raise ParameterError(
                f"{name}: cannot read {value!r} as a duration; expected a number and a unit "
                "such as '500ms', '30s', '15min', '2h', '1d' or ISO 8601 like 'PT2H'"
            )
    else:
        raise ParameterError(
            f"{name}: expected a duration text such as '30s' or '2h', got {type(value).__name__} {value!r}"
        )
    if td is pd.NaT:
        raise ParameterError(f"{name}: expected a duration, got {value!r}")
    if td < pd.Timedelta(0) and not allow_negative:
        raise ParameterError(f"{name}: expected a positive duration, got {value!r}")
    return td


def check_timezone(tz, *, name: str = "timezone") -> str:
    """Return the IANA zone name if it exists, else raise a :class:`ParameterError`.

    ``"UTC"``, ``"Europe/Berlin"``, ``"America/Chicago"`` are valid; abbreviations such as
    ``"CET"`` are accepted only where the IANA database knows them.
    """
    if not isinstance(tz, str) or not tz.strip():
        raise ParameterError(f"{name}: expected an IANA time zone name such as 'Europe/Berlin', got {tz!r}")
    tz = tz.strip()
    try:
        zoneinfo.ZoneInfo(tz)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        hint = _closest_zone(tz)
        raise ParameterError(
            f"{name}: unknown time zone {tz!r}; expected an IANA name such as 'Europe/Berlin' or 'UTC'"
            + (f" (did you mean {hint!r}?)" if hint else "")
        ) from None
    return tz


def _closest_zone(tz: str) -> str | None:
    import difflib

    names = sorted(zoneinfo.available_timezones())
    lower = {n.lower(): n for n in names}
    if tz.lower() in lower:
        return lower[tz.lower()]
    match = difflib.get_close_matches(tz, names, n=1, cutoff=0.75)
    return match[0] if match else None


def parse_instant(value, *, timezone: str = "UTC", name: str = "time") -> pd.Timestamp:
    """Read one instant (ISO 8601 text, datetime or Timestamp) as a UTC Timestamp.

    Naive values are wall-clock time in ``timezone``. An ambiguous or non-existent local
    time is an error here, because a single instant has no row order to resolve it.

    Examples
    --------
    >>> parse_instant("2026-03-04T10:15:00Z")
    Timestamp('2026-03-04 10:15:00+0000', tz='UTC')
    >>> parse_instant("2026-03-04 11:15", timezone="Europe/Berlin")
    Timestamp('2026-03-04 10:15:00+0000', tz='UTC')
    """
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        ts = None
    if ts is None or ts is pd.NaT:
        raise ParameterError(
            f"{name}: cannot read {value!r} as a time; expected ISO 8601 such as "
            "'2026-03-04T10:15:00Z' or '2026-03-04 11:15:00' (local time)"
        )
    if ts.tzinfo is None:
        try:
            ts = ts.tz_localize(timezone, ambiguous="raise", nonexistent="raise")
        except Exception as exc:  # pytz/zoneinfo raise different classes
            raise ParameterError(
                f"{name}: local time {value!r} is ambiguous or does not exist in {timezone} "
                "(daylight-saving change); write it with an offset such as '+01:00' or 'Z'"
            ) from exc
    return ts.tz_convert("UTC")


# ---------------------------------------------------------------------------------------
# Columns of timestamps
# ---------------------------------------------------------------------------------------


_REASON_CODES = {None: 0, UNPARSEABLE: 1, NONEXISTENT: 2, AMBIGUOUS: 3}
_REASON_NAMES = np.array([None, UNPARSEABLE, NONEXISTENT, AMBIGUOUS], dtype=object)


@dataclass
class ParsedTimes:
    """UTC times of a column, with the reason each unusable row was rejected.

    Attributes
    ----------
    times : numpy.ndarray of datetime64[ns]
        UTC instants (``NaT`` where rejected), one per input row.
    codes : numpy.ndarray of int8
        0 for usable rows, else the code of the rejection reason (see :attr:`reason`).
    settings : dict
        What was decided: the format used (given, ISO 8601 or inferred), epoch unit, how many
        repeated-hour rows were resolved from row order.
    examples : dict
        For each reason, up to three ``(row_position, text)`` examples.
    """

    times: np.ndarray
    codes: np.ndarray
    settings: dict = field(default_factory=dict)
    examples: dict = field(default_factory=dict)

    @property
    def reason(self) -> np.ndarray:
        """Per row: ``None`` if usable, else :data:`UNPARSEABLE`, :data:`NONEXISTENT` or :data:`AMBIGUOUS`."""
        return _REASON_NAMES[self.codes]

    def mask(self, reason: str) -> np.ndarray:
        return self.codes == _REASON_CODES[reason]

    def count(self, reason: str) -> int:
        return int(np.count_nonzero(self.mask(reason)))


_EPOCH_UNITS = ("s", "ms", "us", "ns")


def _infer_epoch_unit(values: np.ndarray) -> str:
    """Pick the epoch unit that puts the median value between 1990 and 2100."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return "s"
    med = float(np.median(np.abs(finite)))
    for unit, scale in zip(_EPOCH_UNITS, (1, 1e3, 1e6, 1e9)):
        seconds = med / scale
        if 6.3e8 <= seconds <= 4.1e9:  # 1990 .. 2100
            return unit
    raise ParameterError(
        f"time_unit: cannot tell the epoch unit of numeric times with median {med:g}; "
        "set time_unit to 's', 'ms', 'us' or 'ns'"
    )


_ISO_NAIVE_RE = r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)?$"
_OFFSET_RE_ARROW = r"^\d{4}-\d{2}-\d{2}[T ]\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?\s*(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$"
_EPOCH_RE = r"^-?\d{9,19}(?:\.\d*)?$"


def _arrow_strings(values):
    """A pyarrow string array of the values (zero-copy for pandas' arrow-backed strings)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        arr = values
    else:
        try:
            arr = pa.array(values, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            arr = pa.array(pd.Series(values).astype("string"), from_pandas=True)
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_string(arr.type) and not pa.types.is_large_string(arr.type):
        arr = pc.cast(arr, pa.string())
    return pc.utf8_trim_whitespace(arr)


def _strptime_ok(fmt: str) -> bool:
    # Arrow's strptime has no fractional seconds or zone names; pandas handles those.
    return all(d not in fmt for d in ("%f", "%z", "%Z", "%p", "%I", "%j", "%U", "%W", "%c", "%x", "%X"))


def _parse_text_unique(texts, time_format: str | None):
    """Parse unique strings (a pyarrow string array).

    Returns (datetime64[ns] array: naive wall time, or UTC where ``aware``; aware mask; settings).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    settings: dict = {}
    n = len(texts)
    out = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    aware = np.zeros(n, dtype=bool)
    if n == 0:
        return out, aware, settings
    if time_format is not None:
        has_tz_directive = "%z" in time_format or "%Z" in time_format
        if _strptime_ok(time_format):
            parsed = pc.strptime(texts, format=time_format, unit="ns", error_is_null=True)
            out[:] = parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
            # Arrow normalises impossible dates (31.02. becomes 03.03.); a value that does not
            # print back to its own text is re-read by pandas, which validates it.
            back = pc.strftime(parsed, format=time_format)
            same = pc.fill_null(pc.equal(back, texts), False).to_numpy(zero_copy_only=False)
            if not same.all():
                redo = ~same
                sub = pd.Series(texts.filter(pa.array(redo)).to_pandas())
                out[redo] = pd.to_datetime(sub, format=time_format, errors="coerce").to_numpy("datetime64[ns]")
        else:
            parsed = pd.to_datetime(
                pd.Series(texts.to_pandas()), format=time_format, errors="coerce", utc=has_tz_directive
            )
            if has_tz_directive:
                out[:] = parsed.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
                aware[:] = parsed.notna().to_numpy()
            else:
                out[:] = parsed.to_numpy("datetime64[ns]")
        settings["time_format"] = time_format
        return out, aware, settings

    def mask(pattern):
        return pc.fill_null(pc.match_substring_regex(texts, pattern), False).to_numpy(zero_copy_only=False)

    has_offset = mask(_OFFSET_RE_ARROW)
    if has_offset.any():
        sub = pd.to_datetime(
            pd.Series(texts.filter(pa.array(has_offset)).to_pandas()), format="ISO8601", errors="coerce", utc=True
        )
        out[has_offset] = sub.dt.tz_localize(None).to_numpy("datetime64[ns]")
        aware[has_offset] = sub.notna().to_numpy()
    iso = mask(_ISO_NAIVE_RE) & ~has_offset
    if iso.any():
        sub = texts.filter(pa.array(iso))
        try:
            parsed = pc.cast(sub, pa.timestamp("ns")).to_numpy(zero_copy_only=False).astype("datetime64[ns]")
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            # An impossible date such as 2026-13-45 fails the whole cast; let pandas mark it.
            parsed = pd.to_datetime(pd.Series(sub.to_pandas()), format="ISO8601", errors="coerce").to_numpy(
                "datetime64[ns]"
            )
        out[iso] = parsed
    rest = ~iso & ~has_offset
    if rest.any():
        sub_text = np.asarray(texts.filter(pa.array(rest)).to_pandas(), dtype=object)
        sub_text = np.array(["" if t is None else t for t in sub_text], dtype=object)
        fmt = _infer_format(sub_text)
        if fmt is not None:
            out[rest] = pd.to_datetime(pd.Series(sub_text), format=fmt, errors="coerce").to_numpy("datetime64[ns]")
            settings["time_format"] = f"{fmt} (inferred)"
    if "time_format" not in settings:
        settings["time_format"] = "ISO 8601"
    return out, aware, settings


def _infer_format(texts: np.ndarray) -> str | None:
    """Infer one strftime format that reads every value, refusing day/month ambiguity."""
    from pandas.tseries.api import guess_datetime_format

    sample = [t for t in texts[:50] if t]
    if not sample:
        return None
    candidates = []
    for dayfirst in (False, True):
        with warnings.catch_warnings():
            # pandas warns that a guessed format is day-first; we check both readings below.
            warnings.simplefilter("ignore", UserWarning)
            fmt = guess_datetime_format(sample[0], dayfirst=dayfirst)
        if fmt and fmt not in candidates:
            candidates.append(fmt)
    fitting = []
    for fmt in candidates:
        parsed = pd.to_datetime(pd.Series(texts), format=fmt, errors="coerce")
        fitting.append((fmt, int(parsed.notna().sum()), parsed))
    if not fitting:
        return None
    best = max(n for _, n, _ in fitting)
    if best == 0:
        return None
    winners = [(fmt, parsed) for fmt, n, parsed in fitting if n == best]
    if len(winners) > 1:
        first, second = winners[0][1], winners[1][1]
        if not first.equals(second):
            raise ParameterError(
                f"time_format: the times (e.g. {sample[0]!r}) can be read day-first ({winners[1][0]!r}) "
                f"or month-first ({winners[0][0]!r}); set time_format to say which"
            )
    return winners[0][0]


def parse_times(
    values,
    *,
    timezone: str = "UTC",
    time_format: str | None = None,
    time_unit: str | None = None,
    groups=None,
) -> ParsedTimes:
    """Parse a column of timestamps to UTC, row by row, with named rejection reasons.

    Parameters
    ----------
    values : array-like or pandas.Series
        Text, numbers (epoch) or datetimes, one per input row, in file order.
    timezone : str
        IANA zone of naive values.
    time_format : str, optional
        strftime format of text values. Default: ISO 8601, else inferred.
    time_unit : {"s", "ms", "us", "ns"}, optional
        Unit of numeric epoch values. Default: inferred from the magnitude.
    groups : array-like, optional
        Series key per row (the tag of a long export). The repeated autumn hour is resolved
        from the row order *within* each group. Without groups all rows form one series.

    Returns
    -------
    ParsedTimes
    """
    check_timezone(timezone, name="timezone")
    series = values if isinstance(values, pd.Series) else pd.Series(values)
    series = series.reset_index(drop=True)
    times, aware_rows, reason, settings = wall_times(series, time_format=time_format, time_unit=time_unit)
    settings = {"timezone": timezone, **settings}
    localise(times, reason, aware_rows, timezone=timezone, groups=groups, settings=settings)
    return ParsedTimes(times=times, codes=reason, settings=settings, examples=_examples(series, reason))


def wall_times(series: pd.Series, *, time_format=None, time_unit=None):
    """Read a column of timestamps without applying any time zone.

    The first half of :func:`parse_times`, usable on chunks of a large file: returns
    ``(times, aware, codes, settings)`` where ``times`` is datetime64[ns] (UTC where
    ``aware``, wall-clock time elsewhere) and ``codes`` marks unreadable rows. Finish with
    :func:`localise` on the whole column.
    """
    if time_unit is not None and time_unit not in _EPOCH_UNITS:
        raise ParameterError(f"time_unit: expected one of {', '.join(_EPOCH_UNITS)}, got {time_unit!r}")
    n = len(series)
    settings: dict = {}
    times = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    reason = np.zeros(n, dtype=np.int8)
    aware_rows = np.zeros(n, dtype=bool)

    dtype = series.dtype
    if isinstance(dtype, pd.DatetimeTZDtype):
        times[:] = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy("datetime64[ns]")
        aware_rows[:] = True
        settings["time_format"] = "timestamp with time zone"
    elif pd.api.types.is_datetime64_dtype(dtype):
        times[:] = series.to_numpy("datetime64[ns]")
        settings["time_format"] = "timestamp (naive)"
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        nums = series.to_numpy(dtype="float64", na_value=np.nan)
        unit = time_unit or _infer_epoch_unit(nums)
        settings["time_unit"] = unit + ("" if time_unit else " (inferred)")
        settings["time_format"] = "epoch"
        scale = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[unit]
        ok = np.isfinite(nums)
        ns = np.zeros(n, dtype="int64")
        with np.errstate(invalid="ignore", over="ignore"):
            if pd.api.types.is_integer_dtype(dtype) and not series.hasnans:
                # Whole numbers convert exactly (a float64 would round epoch ns to about 0.25 us).
                ints = series.to_numpy(dtype="int64")
                limit = np.iinfo(np.int64).max // int(scale)
                ok = np.abs(ints) <= limit
                ns[ok] = ints[ok] * int(scale)
            else:
                ns[ok] = _epoch_ns(nums[ok], scale)
        times[ok] = ns[ok].view("datetime64[ns]")
        aware_rows[:] = True
    else:
        import pyarrow as pa
        import pyarrow.compute as pc

        fast = _fast_text_times(series, time_format, time_unit)
        if fast is not None:
            times[:], fast_settings, aware_rows[:] = fast
            settings.update(fast_settings)
        else:
            text = _arrow_strings(series)
            enc = pc.dictionary_encode(text)
            codes = enc.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
            uniques = enc.dictionary
            epoch_text = time_unit is None and len(uniques) > 0 and (
                float(pc.mean(pc.cast(pc.match_substring_regex(uniques, _EPOCH_RE), pa.int8())).as_py() or 0) > 0.5
            )
            if time_unit is not None or epoch_text:
                nums = pd.to_numeric(pd.Series(uniques.to_pandas()), errors="coerce").to_numpy("float64")
                if time_unit is None:
                    time_unit = _infer_epoch_unit(nums)
                    inferred_unit = True
                else:
                    inferred_unit = False
                scale = {"s": 1e9, "ms": 1e6, "us": 1e3, "ns": 1.0}[time_unit]
                u_times = np.full(len(uniques), np.datetime64("NaT"), dtype="datetime64[ns]")
                ok = np.isfinite(nums)
                u_times[ok] = _epoch_ns(nums[ok], scale).view("datetime64[ns]")
                u_aware = np.ones(len(uniques), dtype=bool)
                settings["time_unit"] = time_unit + (" (inferred)" if inferred_unit else "")
                settings["time_format"] = "epoch"
            else:
                u_times, u_aware, fmt_settings = _parse_text_unique(uniques, time_format)
                settings.update(fmt_settings)
            valid = codes >= 0
            times[valid] = u_times[codes[valid]]
            aware_rows[valid] = u_aware[codes[valid]]
    reason[np.isnat(times)] = _REASON_CODES[UNPARSEABLE]
    return times, aware_rows, reason, settings


def _epoch_ns(values: np.ndarray, scale: float) -> np.ndarray:
    """Epoch numbers (float64) to int64 ns, rounded to what a float64 of that size can hold.

    A float64 carries about 16 significant digits: 1772979073.553 s is stored as
    1772979073.5529999733, which is 0.553 s to the microsecond but 0.552999973 s to the ns.
    Rounding to the float's resolution (1 us for epoch seconds of this century) gives back the
    time that was written.
    """
    ns = values * scale
    if ns.size == 0:
        return ns.astype("int64")
    top = float(np.nanmax(np.abs(ns)))
    quantum = 10.0 ** math.ceil(math.log10(top * np.finfo(np.float64).eps)) if top > 0 else 1.0
    quantum = int(max(quantum, 1.0))
    return np.round(ns / quantum).astype("int64") * quantum  # the product in integers: exact


def localise(times, codes, aware, *, timezone: str, groups=None, settings=None) -> None:
    """Convert the wall-clock rows of :func:`wall_times` to UTC in place, marking local times
    that do not exist or cannot be resolved in ``codes`` (rules in the module docstring)."""
    naive = ~aware & (codes == 0)
    if naive.any() and timezone != "UTC":
        _localise(times, codes, naive, timezone, groups, settings if settings is not None else {}, len(times))


def _examples(series, reason) -> dict:
    examples = {}
    for why in (UNPARSEABLE, NONEXISTENT, AMBIGUOUS):
        where = np.flatnonzero(reason == _REASON_CODES[why])[:3]
        if where.size:
            examples[why] = [(int(i), "" if pd.isna(series.iloc[i]) else str(series.iloc[i])) for i in where]
    return examples


def _fast_text_times(series, time_format, time_unit):
    """Whole-column fast paths for clean exports: one strptime / ISO cast in Arrow.

    Returns (datetime64[ns] array, settings, aware) or None when the column needs the general
    path (mixed formats, epoch text, inferred formats, unreadable values). ``aware``: every row
    carried a UTC offset and the times are UTC; otherwise they are wall-clock times.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    if time_unit is not None:
        return None
    try:
        text = pa.array(series, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return None
    if not (pa.types.is_string(text.type) or pa.types.is_large_string(text.type)) or len(text) == 0:
        return None
    if time_format is not None:
        if not _strptime_ok(time_format):
            return None
        parsed = pc.strptime(text, format=time_format, unit="ns", error_is_null=True)
        out = parsed.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
        # Arrow rolls impossible dates over (31.02. becomes 03.03.), so a parsed day 1-3 may be a
        # rolled-over 29-31; those rows, and rows Arrow could not read, are checked by pandas.
        day = (out - out.astype("datetime64[M]")).astype("timedelta64[D]").astype(np.int64)
        suspect = np.isnat(out) | (day <= 2)
        if suspect.any():
            idx = np.flatnonzero(suspect)
            sub_text = text.take(pa.array(idx))
            back = pc.strftime(parsed.take(pa.array(idx)), format=time_format)
            ok = pc.fill_null(pc.equal(back, sub_text), False).to_numpy(zero_copy_only=False)
            same = np.ones(len(text), dtype=bool)
            same[idx] = ok
        else:
            same = None
        if same is not None and not same.all():
            redo = ~same
            if redo.sum() > 0.5 * len(text):
                return None  # e.g. no zero padding: the general path handles it
            sub = pd.Series(text.filter(pa.array(redo)).to_pandas()).str.strip()
            out[redo] = pd.to_datetime(sub, format=time_format, errors="coerce").to_numpy("datetime64[ns]")
        return out, {"time_format": time_format}, False
    if text.null_count:
        return None
    # Try first what the first row looks like (a failed cast costs more than a good one): with
    # a UTC offset or "Z", every row must have one (Arrow refuses a column mixing both kinds).
    first_aware = re.search(r"(Z|[+-]\d\d(:?\d\d)?)\s*$", str(text[0].as_py())) is not None
    parsed = None
    for aware in ((True, False) if first_aware else (False, True)):
        try:
            parsed = pc.cast(text, pa.timestamp("ns", tz="UTC") if aware else pa.timestamp("ns"))
            break
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
    if parsed is None:
        return None
    out = parsed.cast(pa.int64()).to_numpy(zero_copy_only=False).view("datetime64[ns]")
    return out, {"time_format": "ISO 8601"}, aware


def _constant_offset(local: np.ndarray, timezone: str) -> int | None:
    """The zone's UTC offset in ns when it is the same everywhere between the first and last
    local time (checked every half hour, with a day's margin: clock changes happen on the hour
    or half hour); None when the offset changes in that span (or it is over a year long)."""
    ints = local.view(np.int64)
    hi_ns = ints.max() if ints.size else np.iinfo(np.int64).min
    if hi_ns == np.iinfo(np.int64).min:  # empty or all NaT
        return 0
    lo_ns = np.where(ints == np.iinfo(np.int64).min, hi_ns, ints).min()  # NaT is the smallest int64
    lo = pd.Timestamp(int(lo_ns)).floor("h") - pd.Timedelta("1D")
    hi = pd.Timestamp(int(hi_ns)).ceil("h") + pd.Timedelta("1D")
    if hi - lo > pd.Timedelta("400D"):
        return None  # more than a year: there is a clock change somewhere (or checking is not worth it)
    half_hours = pd.date_range(lo, hi, freq="30min", tz="UTC").tz_convert(timezone)
    offsets = (half_hours.tz_localize(None) - half_hours.tz_convert("UTC").tz_localize(None)).unique()
    return int(offsets[0].value) if len(offsets) == 1 else None


def _localise(times, reason, naive, timezone, groups, settings, n):
    """Convert naive wall-clock rows to UTC in place (see the module docstring for the rules)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    all_rows = naive.all()
    rows = None if all_rows else np.flatnonzero(naive)
    local_np = times if all_rows else times[rows]
    # Most exports do not span a clock change at all: then the zone's offset is one constant.
    offset = _constant_offset(local_np, timezone)
    if offset is not None:
        shifted = local_np.view(np.int64) - offset
        if all_rows:
            times.view(np.int64)[:] = np.where(np.isnat(local_np), local_np.view(np.int64), shifted)
        else:
            times[rows] = np.where(np.isnat(local_np), local_np, shifted.view("datetime64[ns]"))
        return
    if rows is None:
        rows = np.flatnonzero(naive)
        local_np = times[rows]
    local = pa.array(local_np, type=pa.timestamp("ns"))
    # Arrow localises in C++. "earliest" and "latest" agree except in the repeated autumn hour
    # and in the spring gap; only those few rows need the careful treatment below.
    early = pc.assume_timezone(local, timezone=timezone, ambiguous="earliest", nonexistent="earliest")
    late = pc.assume_timezone(local, timezone=timezone, ambiguous="latest", nonexistent="latest")
    special = pc.not_equal(early, late).to_numpy(zero_copy_only=False)
    times[rows] = early.cast(pa.int64()).to_numpy(zero_copy_only=False).view("datetime64[ns]")
    if not special.any():
        return
    sub = rows[special]
    sub_local = np.asarray(local.filter(pa.array(special)).to_numpy(zero_copy_only=False), dtype="datetime64[ns]")
    idx = pd.DatetimeIndex(sub_local)
    as_dst = idx.tz_localize(timezone, ambiguous=np.ones(len(idx), dtype=bool), nonexistent="NaT")
    as_std = idx.tz_localize(timezone, ambiguous=np.zeros(len(idx), dtype=bool), nonexistent="NaT")
    nonexistent = as_dst.isna()
    times[sub[nonexistent]] = np.datetime64("NaT")
    reason[sub[nonexistent]] = _REASON_CODES[NONEXISTENT]
    amb = ~nonexistent & (as_dst != as_std)
    if not amb.any():
        return
    amb_rows = sub[amb]
    amb_local = sub_local[amb]
    amb_dst = as_dst[amb].tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    amb_std = as_std[amb].tz_convert("UTC").tz_localize(None).to_numpy("datetime64[ns]")
    # One repeated hour per calendar day: group by series key and local date, so data
    # spanning several autumn transitions resolves each one on its own.
    day = amb_local.astype("datetime64[D]").astype("int64")
    if groups is None:
        keys = pd.Series(day)
    else:
        garr = np.asarray(groups, dtype=object)[amb_rows]
        keys = pd.Series(list(zip(garr, day)), dtype=object)
    group_codes, _ = pd.factorize(keys, use_na_sentinel=False)
    resolved = 0
    unresolved = 0
    # Rows are in file order; within a group find the single backward jump of the clock.
    order = np.lexsort((amb_rows, group_codes))
    g_sorted = group_codes[order]
    boundaries = np.flatnonzero(np.diff(g_sorted)) + 1
    for chunk in np.split(order, boundaries):
        loc = amb_local[chunk]
        back = np.flatnonzero(np.diff(loc.astype("int64")) < 0)
        if back.size == 1:
            cut = back[0] + 1
            first, second = chunk[:cut], chunk[cut:]
            times[amb_rows[first]] = amb_dst[first]
            times[amb_rows[second]] = amb_std[second]
            resolved += chunk.size
        else:
            times[amb_rows[chunk]] = np.datetime64("NaT")
            reason[amb_rows[chunk]] = _REASON_CODES[AMBIGUOUS]
            unresolved += chunk.size
    settings["repeated_hour_rows_resolved_by_order"] = int(resolved)
    settings["repeated_hour_rows_unresolved"] = int(unresolved)
