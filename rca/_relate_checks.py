"""Input checks shared by the functions of :mod:`rca.relate`.

Every check raises :class:`rca.errors.ParameterError` (or
:class:`rca.errors.AnalysisError` when the input is well formed but too short)
with a message that names the argument, the value found and what was expected.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from rca.errors import AnalysisError, ParameterError

#: Smallest number of usable samples for any statistic of :mod:`rca.relate`.
MIN_SAMPLES = 30

_TIME_COLUMN_HINT = "a datetime64[ns, UTC] column"


def fmt_list(names: Sequence[object], limit: int = 8) -> str:
    """A short printable list of names for error messages."""
    shown = [repr(n) for n in list(names)[:limit]]
    more = len(names) - len(shown)
    return "[" + ", ".join(shown) + (f", ... ({more} more)" if more > 0 else "") + "]"


def utc_index(index: object, *, name: str) -> pd.DatetimeIndex:
    """Return ``index`` as a UTC DatetimeIndex or raise a ParameterError."""
    if not isinstance(index, pd.DatetimeIndex):
        raise ParameterError(
            f"{name}: expected an index of type DatetimeIndex (tz-aware, UTC), "
            f"got {type(index).__name__}"
        )
    if index.tz is None:
        raise ParameterError(
            f"{name}: the DatetimeIndex is naive (no time zone); expected tz-aware UTC. "
            "Localise it first, e.g. .tz_localize('UTC'), or "
            ".tz_localize('<plant zone>').tz_convert('UTC') for local historian time"
        )
    return index.tz_convert("UTC").as_unit("ns")


def grid_step(index: pd.DatetimeIndex, *, name: str) -> pd.Timedelta:
    """The step of a regular, sorted, duplicate-free grid, or a ParameterError."""
    if len(index) < 2:
        raise AnalysisError(
            f"{name}: {len(index)} sample(s); at least {MIN_SAMPLES} are needed"
        )
    if index.has_duplicates:
        first = index[index.duplicated()][0]
        raise ParameterError(
            f"{name}: the index has duplicated timestamps (first: {first}); "
            "expected one row per grid time"
        )
    ns = index.asi8
    diffs = np.diff(ns)
    if (diffs <= 0).any():
        i = int(np.flatnonzero(diffs <= 0)[0])
        raise ParameterError(
            f"{name}: the index is not sorted: {index[i + 1]} comes after {index[i]}; "
            "expected increasing timestamps (sort with .sort_index())"
        )
    values, counts = np.unique(diffs, return_counts=True)
    step = int(values[np.argmax(counts)])
    if len(values) > 1:
        i = int(np.flatnonzero(diffs != step)[0])
        raise ParameterError(
            f"{name}: the index is not a regular grid: steps of {pd.Timedelta(step)} "
            f"expected (the most common step), found {pd.Timedelta(int(diffs[i]))} "
            f"between {index[i]} and {index[i + 1]}. Put missing samples on the grid "
            "as NaN rows (rca's alignment does this) instead of leaving rows out"
        )
    return pd.Timedelta(step)


def _float_values(values: object, *, name: str, dtype: object) -> np.ndarray:
    if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
        raise ParameterError(f"{name}: expected float values, got dtype {dtype}")
    out = np.asarray(values, dtype="float64")
    if np.isinf(out).any():
        raise ParameterError(
            f"{name}: contains infinite values; expected finite floats, with NaN for "
            "missing samples"
        )
    return out


def signal_series(x: object, *, name: str) -> tuple[pd.Series, pd.Timedelta]:
    """Validate one signal: a float Series on a regular tz-aware UTC grid."""
    if isinstance(x, pd.DataFrame) and x.shape[1] == 1:
        x = x.iloc[:, 0]
    if not isinstance(x, pd.Series):
        raise ParameterError(
            f"{name}: expected a pandas Series (one signal), got {type(x).__name__}"
        )
    index = utc_index(x.index, name=f"{name}.index")
    step = grid_step(index, name=f"{name}.index")
    values = _float_values(x.to_numpy(), name=name, dtype=x.dtype)
    label = x.name if x.name is not None else name
    return pd.Series(values, index=index, name=label), step


def signal_frame(data: object, *, name: str) -> tuple[pd.DataFrame, pd.Timedelta]:
    """Validate a wide frame of signals on a regular tz-aware UTC grid."""
    if isinstance(data, pd.Series):
        data = data.to_frame(data.name if data.name is not None else name)
    if not isinstance(data, pd.DataFrame):
        raise ParameterError(
            f"{name}: expected a pandas DataFrame of signals (one column per signal), "
            f"got {type(data).__name__}"
        )
    if data.shape[1] == 0:
        raise ParameterError(f"{name}: the frame has no columns; expected at least one signal")
    if data.columns.has_duplicates:
        dup = data.columns[data.columns.duplicated()].unique().tolist()
        raise ParameterError(
            f"{name}: duplicated column names {fmt_list(dup)}; expected unique signal names"
        )
    index = utc_index(data.index, name=f"{name}.index")
    step = grid_step(index, name=f"{name}.index")
    for col, dtype in data.dtypes.items():
        if not (pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)):
            raise ParameterError(f"{name}[{col!r}]: expected float values, got dtype {dtype}")
    values = data.to_numpy(dtype="float64", na_value=np.nan)
    infinite = np.isinf(values).any(axis=0)
    if infinite.any():
        col = data.columns[int(np.flatnonzero(infinite)[0])]
        raise ParameterError(
            f"{name}[{col!r}]: contains infinite values; expected finite floats, with NaN "
            "for missing samples"
        )
    return pd.DataFrame(values, index=index, columns=data.columns), step


def common_grid(
    a: pd.Series | pd.DataFrame,
    step_a: pd.Timedelta,
    b: pd.Series | pd.DataFrame,
    step_b: pd.Timedelta,
    *,
    name_a: str,
    name_b: str,
) -> tuple[pd.Series | pd.DataFrame, pd.Series | pd.DataFrame]:
    """Restrict two grids to their common time span; they must share step and phase."""
    if step_a != step_b:
        raise ParameterError(
            f"{name_a} and {name_b} are on different grids: steps of {step_a} and "
            f"{step_b}; expected the same step (align both on one grid first)"
        )
    offset = (a.index[0] - b.index[0]) % step_a
    if offset != pd.Timedelta(0):
        raise ParameterError(
            f"{name_a} and {name_b} have the same step {step_a} but their grids are "
            f"offset by {offset} ({name_a} starts at {a.index[0]}, {name_b} at "
            f"{b.index[0]}); expected timestamps on one common grid"
        )
    start = max(a.index[0], b.index[0])
    end = min(a.index[-1], b.index[-1])
    if start > end:
        raise AnalysisError(
            f"{name_a} ({a.index[0]} to {a.index[-1]}) and {name_b} ({b.index[0]} to "
            f"{b.index[-1]}) do not overlap in time; expected a common time span"
        )
    grid = pd.date_range(start, end, freq=step_a, name="time")
    return a.reindex(grid), b.reindex(grid)


def duration(value: object, *, name: str, allow_auto: bool = False) -> pd.Timedelta | str:
    """Parse a positive duration (``'10min'``, Timedelta, timedelta) or ``'auto'``."""
    if allow_auto and isinstance(value, str) and value == "auto":
        return "auto"
    expected = "a positive duration such as '10min' or pd.Timedelta(minutes=10)"
    if allow_auto:
        expected += " or 'auto'"
    if isinstance(value, (bool, int, float, np.number)):
        raise ParameterError(
            f"{name}: expected {expected}, got the bare number {value!r} "
            "(a number of samples is ambiguous; give a duration)"
        )
    if not isinstance(value, (str, pd.Timedelta, _dt.timedelta, np.timedelta64)):
        raise ParameterError(f"{name}: expected {expected}, got {value!r}")
    try:
        td = pd.Timedelta(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected {expected}, got {value!r}") from None
    if pd.isna(td) or td <= pd.Timedelta(0):
        raise ParameterError(f"{name}: expected {expected}, got {value!r}")
    return td


def lag_steps(value: pd.Timedelta, step: pd.Timedelta, *, name: str, n: int) -> int:
    """Whole grid steps in the duration ``value`` (floored), checked against ``n``."""
    steps = int(value // step)
    if steps < 1:
        raise ParameterError(
            f"{name}={value} is shorter than the grid step {step}; expected at least one step"
        )
    if steps > n // 2:
        raise ParameterError(
            f"{name}={value} is {steps} grid steps but the common span has only {n} "
            f"samples; expected at most half of it ({pd.Timedelta(step * (n // 2))})"
        )
    return steps


def probability(value: object, *, name: str) -> float:
    """A significance level strictly between 0 and 1."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)):
        raise ParameterError(f"{name}: expected a number between 0 and 1, got {value!r}")
    if not 0.0 < float(value) < 1.0:
        raise ParameterError(f"{name}: expected a number between 0 and 1, got {value!r}")
    return float(value)


def choice(value: object, options: Sequence[object], *, name: str) -> object:
    """``value`` if it is one of ``options``."""
    if value not in options:
        raise ParameterError(f"{name}: expected one of {fmt_list(options)}, got {value!r}")
    return value


def utc_timestamp(value: object, *, name: str) -> pd.Timestamp:
    """A tz-aware timestamp converted to UTC."""
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        raise ParameterError(f"{name}: expected a tz-aware timestamp, got {value!r}") from None
    if pd.isna(ts):
        raise ParameterError(f"{name}: expected a tz-aware timestamp, got {value!r}")
    if ts.tz is None:
        raise ParameterError(
            f"{name}: the timestamp {value!r} is naive; expected tz-aware UTC "
            "(e.g. '2024-03-01 08:00Z' or pd.Timestamp(..., tz='UTC'))"
        )
    return ts.tz_convert("UTC").as_unit("ns")


def window_bounds(window: object, *, name: str = "window") -> tuple[pd.Timestamp, pd.Timestamp]:
    """Parse ``(start, end)`` into two UTC timestamps with start < end."""
    if not isinstance(window, (tuple, list)) or len(window) != 2:
        raise ParameterError(
            f"{name}: expected a (start, end) pair of tz-aware timestamps, got {window!r}"
        )
    start = utc_timestamp(window[0], name=f"{name}[0]")
    end = utc_timestamp(window[1], name=f"{name}[1]")
    if not start < end:
        raise ParameterError(
            f"{name}: start {start} is not before end {end}; expected start < end"
        )
    return start, end


def time_column(frame: pd.DataFrame, column: str, *, name: str) -> pd.Series:
    """A frame's datetime column as UTC ``datetime64[ns, UTC]``."""
    values = frame[column]
    if not isinstance(values.dtype, pd.DatetimeTZDtype):
        if pd.api.types.is_datetime64_dtype(values.dtype):
            raise ParameterError(
                f"{name}[{column!r}]: the times are naive (dtype {values.dtype}); "
                f"expected {_TIME_COLUMN_HINT}"
            )
        raise ParameterError(
            f"{name}[{column!r}]: dtype {values.dtype}; expected {_TIME_COLUMN_HINT}"
        )
    return values.dt.tz_convert("UTC").astype("datetime64[ns, UTC]")


def require_columns(frame: object, columns: Sequence[str], *, name: str) -> pd.DataFrame:
    """``frame`` if it is a DataFrame with all ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise ParameterError(f"{name}: expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ParameterError(
            f"{name}: missing column(s) {fmt_list(missing)}; expected columns "
            f"{fmt_list(list(columns))}, found {fmt_list(list(frame.columns))}"
        )
    return frame
