"""The data-quality ledger: what happened to every input row.

Each source gets a :class:`SourceLedger`. Every row read is either used or counted under
exactly one named reason, so ``rows_read == rows_used + sum(rejected.values())`` always
holds; the constructor refuses an unbalanced ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["SourceLedger", "Ledger", "REASON_TEXT"]

#: Plain-language explanation of each rejection reason, for reports and notebooks.
REASON_TEXT = {
    "unparseable_time": "the time stamp could not be read",
    "nonexistent_local_time": "local time that does not exist (clocks jumped forward for summer time)",
    "ambiguous_local_time": "local time in the repeated autumn hour that row order could not resolve",
    "malformed_row": "the line has the wrong number of fields",
    "missing_tag": "no tag / signal name",
    "bad_quality": "the historian marked the value as bad quality",
    "missing_value": "empty value",
    "non_numeric_value": "the value is text, not a number (e.g. 'I/O Timeout')",
    "duplicate": "an exact repeat of a row already kept",
    "superseded": "same signal and time as a later row with a different value (the later one is kept)",
    "no_valid_values": "a row of a wide export with no usable value",
    "unmatched_return": "a return-to-normal with no matching alarm before it",
    "outside_window": "outside the time window that was loaded",
}


@dataclass(frozen=True)
class SourceLedger:
    """Accounting of one source's rows.

    Attributes
    ----------
    name : str
        Source name from the manifest.
    domain : str
        ``"OT"`` or ``"IT"``.
    kind : str
        ``"signals"`` or ``"events"``.
    location : str
        File path or database URL the rows came from.
    rows_read : int
        Data rows read (header and preamble lines excluded).
    rows_used : int
        Rows that contributed a sample or an event.
    rejected : dict
        Rows not used, by reason (see :data:`REASON_TEXT`). Reasons with a zero count are omitted.
    start, end : pandas.Timestamp or None
        Earliest and latest parseable timestamp of the rows read, UTC, after the clock offset.
    items : int
        Number of signals or events produced.
    details : dict
        Further facts: the settings the reader chose (delimiter, time format, epoch unit), the
        clock offset applied, cell-level rejections of wide exports, examples of rejected values.
    """

    name: str
    domain: str
    kind: str
    location: str
    rows_read: int
    rows_used: int
    rejected: dict = field(default_factory=dict)
    start: pd.Timestamp | None = None
    end: pd.Timestamp | None = None
    items: int = 0
    details: dict = field(default_factory=dict)

    def __post_init__(self):
        rejected = {k: int(v) for k, v in self.rejected.items() if int(v) > 0}
        object.__setattr__(self, "rejected", dict(sorted(rejected.items())))
        total = self.rows_used + sum(rejected.values())
        if total != self.rows_read:
            raise RuntimeError(
                f"ledger of source {self.name!r} does not balance: rows_read={self.rows_read} but "
                f"rows_used + rejected = {total} ({rejected}); this is a bug in rca, please report it"
            )

    @property
    def rows_rejected(self) -> int:
        return sum(self.rejected.values())

    def to_dict(self) -> dict:
        """JSON-ready dict; times as ISO 8601 UTC text with ``Z``."""
        return {
            "name": self.name,
            "domain": self.domain,
            "kind": self.kind,
            "location": self.location,
            "rows_read": self.rows_read,
            "rows_used": self.rows_used,
            "rejected": dict(self.rejected),
            "start": _iso(self.start),
            "end": _iso(self.end),
            "items": self.items,
            "details": _jsonable(self.details),
        }


def _iso(ts) -> str | None:
    if ts is None or ts is pd.NaT or pd.isna(ts):
        return None
    ts = pd.Timestamp(ts).tz_convert("UTC")
    text = ts.strftime("%Y-%m-%dT%H:%M:%S")
    if ts.microsecond or ts.nanosecond:
        text += f".{ts.microsecond:06d}".rstrip("0")
    return text + "Z"


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return _iso(value)
    if isinstance(value, pd.Timedelta):
        return value.total_seconds()
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            return value.item()
        except (ValueError, AttributeError):
            return str(value)
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


@dataclass(frozen=True)
class Ledger:
    """The ledgers of all sources of an investigation."""

    sources: tuple[SourceLedger, ...]

    def __iter__(self):
        return iter(self.sources)

    def __len__(self):
        return len(self.sources)

    def __getitem__(self, name: str) -> SourceLedger:
        for src in self.sources:
            if src.name == name:
                return src
        raise KeyError(f"no source named {name!r} in the ledger; sources: {[s.name for s in self.sources]}")

    @property
    def balanced(self) -> bool:
        return all(s.rows_read == s.rows_used + s.rows_rejected for s in self.sources)

    def to_frame(self) -> pd.DataFrame:
        """One row per source: counts, one column per rejection reason, time range."""
        reasons = sorted({r for s in self.sources for r in s.rejected})
        rows = []
        for s in self.sources:
            row = {
                "source": s.name,
                "domain": s.domain,
                "kind": s.kind,
                "rows_read": s.rows_read,
                "rows_used": s.rows_used,
                "rows_rejected": s.rows_rejected,
            }
            for r in reasons:
                row[r] = s.rejected.get(r, 0)
            row["start"] = s.start
            row["end"] = s.end
            row["items"] = s.items
            rows.append(row)
        frame = pd.DataFrame(rows)
        if not frame.empty:
            frame = frame.set_index("source")
        return frame

    def to_dict(self) -> dict:
        return {"sources": [s.to_dict() for s in self.sources]}

    def describe(self) -> str:
        """Plain-language summary, one paragraph per source."""
        lines = []
        for s in self.sources:
            what = "signals" if s.kind == "signals" else "events"
            lines.append(
                f"{s.name} ({s.domain} {what}, {s.location}): {s.rows_read:,} rows read, "
                f"{s.rows_used:,} used, {s.rows_rejected:,} set aside; {s.items:,} {what}; "
                f"{_iso(s.start) or '-'} to {_iso(s.end) or '-'} UTC."
            )
            for reason, count in s.rejected.items():
                lines.append(f"    {count:,} x {reason}: {REASON_TEXT.get(reason, reason)}")
        return "\n".join(lines)
