"""SQLite storage of the hypothesis log: one append-only table of change records.

Private to :mod:`rca.hypotheses`. This module knows nothing about hypotheses; it
stores records ``(entry_id, clock, recorded_at, author, entity, entity_id, op,
payload, origin)`` and hands them back in a total order.

Design
------
- WAL journal, ``synchronous=FULL``, ``busy_timeout``: several processes (notebook
  kernels) can write one file at once; readers never block writers.
- Every write is ``BEGIN IMMEDIATE`` ... ``COMMIT`` (the write lock is taken before
  anything is read, so two writers can never deadlock on a lock upgrade), retried
  with exponential back-off while another writer holds the lock.
- Triggers refuse ``UPDATE`` and ``DELETE`` on the records table, so even a careless
  ``sqlite3`` session cannot rewrite history.
- ``clock`` [us since 1970-01-01 UTC] is a hybrid logical clock: the wall clock,
  bumped inside the write transaction to be strictly greater than every clock
  already in the file. Within one file, clock order is commit order; records
  imported from another copy keep their clock, and every later local write sorts
  after them. The total order of records is ``(clock, entry_id)``, which does not
  depend on the order in which copies were merged.
"""

from __future__ import annotations

import dataclasses
import json
import random
import sqlite3
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from rca.errors import SourceError

FORMAT_NAME = "rca.hypothesis-log"
SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS records (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        entry_id    TEXT    NOT NULL UNIQUE,
        clock       INTEGER NOT NULL,
        recorded_at TEXT    NOT NULL,
        author      TEXT    NOT NULL,
        entity      TEXT    NOT NULL,
        entity_id   TEXT    NOT NULL,
        op          TEXT    NOT NULL,
        payload     TEXT    NOT NULL,
        origin      TEXT    NOT NULL
    )""",
    "CREATE INDEX IF NOT EXISTS records_clock ON records (clock)",
    "CREATE INDEX IF NOT EXISTS records_entity_id ON records (entity_id)",
    """CREATE TRIGGER IF NOT EXISTS records_append_only_update BEFORE UPDATE ON records
    BEGIN
        SELECT RAISE(ABORT, 'the hypothesis log is append-only: records cannot be updated');
    END""",
    """CREATE TRIGGER IF NOT EXISTS records_append_only_delete BEFORE DELETE ON records
    BEGIN
        SELECT RAISE(ABORT, 'the hypothesis log is append-only: records cannot be deleted');
    END""",
)

_COLUMNS = "seq, entry_id, clock, recorded_at, author, entity, entity_id, op, payload, origin"

# SQLite primary result codes meaning "someone else holds the lock; try again".
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6


@dataclass(frozen=True)
class Record:
    """One change record, as stored."""

    entry_id: str
    clock: int
    recorded_at: str
    author: str
    entity: str
    entity_id: str
    op: str
    payload: dict
    origin: str
    seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        """The record as exported to JSON (without the file-local ``seq``)."""
        return {
            "entry_id": self.entry_id,
            "clock": self.clock,
            "recorded_at": self.recorded_at,
            "author": self.author,
            "entity": self.entity,
            "entity_id": self.entity_id,
            "op": self.op,
            "payload": self.payload,
            "origin": self.origin,
        }


@dataclass(frozen=True)
class Draft:
    """A change not yet written: what the caller decides."""

    entity: str
    entity_id: str
    op: str
    payload: dict
    author: str


def dump_payload(payload: dict) -> str:
    """Canonical JSON text of a payload (sorted keys, UTF-8 kept verbatim)."""
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, allow_nan=False)


def format_recorded_at(time_ns: int) -> str:
    """``time.time_ns()`` as ISO 8601 UTC with microseconds and a ``Z``."""
    seconds, micros = divmod(time_ns // 1000, 1_000_000)
    stamp = datetime.fromtimestamp(seconds, tz=timezone.utc).replace(microsecond=micros)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return (code & 0xFF) in (_SQLITE_BUSY, _SQLITE_LOCKED)
    text = str(error).lower()
    return "locked" in text or "busy" in text


class RecordStore:
    """An open connection to one hypothesis-log database file.

    Parameters
    ----------
    path : pathlib.Path
        The database file; created (with its schema) if it does not exist.
    timeout : float
        How long a write waits for other writers before giving up [s].
    """

    def __init__(self, path: Path, *, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._jitter = random.Random()  # affects only retry timing, never results
        try:
            self._conn = sqlite3.connect(
                str(path), timeout=timeout, isolation_level=None
            )
        except sqlite3.Error as error:
            raise SourceError(
                f"hypothesis log {str(path)!r}: cannot open it as a SQLite database ({error})"
            ) from error
        try:
            self._retrying(self._initialise)
        except BaseException:
            self._conn.close()
            raise

    # -- connection set-up -------------------------------------------------

    def _initialise(self) -> None:
        conn = self._conn
        try:
            tables = {
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            }
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and _is_busy(error):
                raise
            raise SourceError(
                f"hypothesis log {str(self.path)!r}: not a SQLite database ({error}); "
                "expected a file written by rca.HypothesisLog"
            ) from error
        if tables and "meta" not in tables:
            raise SourceError(
                f"hypothesis log {str(self.path)!r}: a SQLite database with tables "
                f"{sorted(tables)} but no 'meta' table; expected a file written by "
                "rca.HypothesisLog (or a new, empty file)"
            )
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        self.journal_mode = str(mode).lower()
        conn.execute("PRAGMA synchronous=FULL")
        if "meta" in tables:  # an existing log: opening it writes nothing
            meta = dict(conn.execute("SELECT key, value FROM meta"))
        else:
            meta = self._create_schema()
        if meta.get("format") != FORMAT_NAME:
            raise SourceError(
                f"hypothesis log {str(self.path)!r}: meta 'format' is {meta.get('format')!r}; "
                f"expected {FORMAT_NAME!r}"
            )
        version = int(meta.get("schema_version", "0"))
        if version > SCHEMA_VERSION:
            raise SourceError(
                f"hypothesis log {str(self.path)!r}: schema_version is {version}; this rca "
                f"reads up to {SCHEMA_VERSION}. Upgrade rca to open it."
            )
        self.log_id = meta["log_id"]
        self.created_at = meta["created_at"]

    def _create_schema(self) -> dict[str, str]:
        """Create the tables (if no other process just did) and return the meta table."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA:
                conn.execute(statement)
            conn.executemany(
                "INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("format", FORMAT_NAME),
                    ("schema_version", str(SCHEMA_VERSION)),
                    ("log_id", str(uuid.uuid4())),
                    ("created_at", format_recorded_at(time.time_ns())),
                ],
            )
            meta = dict(conn.execute("SELECT key, value FROM meta"))
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return meta

    # -- retries -------------------------------------------------------------

    def _retrying(self, operation):
        """Run ``operation()``; while SQLite reports the file busy, back off and retry.

        ``busy_timeout`` already waits for most locks; this loop covers the cases
        where SQLite returns ``SQLITE_BUSY`` without calling the busy handler
        (WAL recovery after a crash, a concurrent schema creation or journal-mode
        change). Gives up after ``timeout`` seconds with a SourceError.
        """
        deadline = time.monotonic() + self.timeout
        delay = 0.005
        while True:
            try:
                return operation()
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise SourceError(
                        f"hypothesis log {str(self.path)!r}: SQLite error {error}"
                    ) from error
                if time.monotonic() >= deadline:
                    raise SourceError(
                        f"hypothesis log {str(self.path)!r}: still locked by another writer "
                        f"after {self.timeout:g} s ({error}); expected the lock to be released. "
                        "Is a process stuck in a transaction?"
                    ) from error
                time.sleep(delay * (0.5 + self._jitter.random()))
                delay = min(delay * 2, 0.25)

    def _transaction(self, body):
        """``BEGIN IMMEDIATE``, ``body(conn)``, ``COMMIT``; roll back on any exception."""
        conn = self._conn

        def attempt():
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = body(conn)
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            return result

        return self._retrying(attempt)

    # -- writing ---------------------------------------------------------------

    def append(self, drafts: Sequence[Draft]) -> list[Record]:
        """Write ``drafts`` in one transaction and return them as stored records.

        Each record gets a fresh UUID ``entry_id``, the wall-clock ``recorded_at``
        and a ``clock`` strictly greater than every clock in the file, all taken
        while holding the write lock.
        """
        entry_ids = [str(uuid.uuid4()) for _ in drafts]
        texts = [dump_payload(d.payload) for d in drafts]

        def body(conn):
            now_ns = time.time_ns()
            (latest,) = conn.execute("SELECT MAX(clock) FROM records").fetchone()
            clock = max(now_ns // 1000, (latest or 0) + 1)
            recorded_at = format_recorded_at(now_ns)
            records = []
            for offset, (draft, entry_id, text) in enumerate(zip(drafts, entry_ids, texts)):
                record = Record(
                    entry_id=entry_id,
                    clock=clock + offset,
                    recorded_at=recorded_at,
                    author=draft.author,
                    entity=draft.entity,
                    entity_id=draft.entity_id,
                    op=draft.op,
                    payload=draft.payload,
                    origin=self.log_id,
                )
                cursor = conn.execute(
                    "INSERT INTO records (entry_id, clock, recorded_at, author, entity, "
                    "entity_id, op, payload, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        record.entry_id,
                        record.clock,
                        record.recorded_at,
                        record.author,
                        record.entity,
                        record.entity_id,
                        record.op,
                        text,
                        record.origin,
                    ),
                )
                records.append(dataclasses.replace(record, seq=cursor.lastrowid))
            return records

        return self._transaction(body)

    def insert_foreign(self, records: Iterable[Record], check) -> tuple[int, int]:
        """Insert records written elsewhere (an import), keeping their ids and clocks.

        ``check(existing_by_entry_id)`` runs inside the write transaction, with the
        records already in the file, and returns the records to insert; it raises
        to abort the whole import. Returns ``(added, already_present)``.
        """
        records = list(records)

        def body(conn):
            existing = {r.entry_id: r for r in self._read(conn)}
            new = check(existing)
            conn.executemany(
                "INSERT INTO records (entry_id, clock, recorded_at, author, entity, "
                "entity_id, op, payload, origin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r.entry_id,
                        r.clock,
                        r.recorded_at,
                        r.author,
                        r.entity,
                        r.entity_id,
                        r.op,
                        dump_payload(r.payload),
                        r.origin,
                    )
                    for r in new
                ],
            )
            return len(new), len(records) - len(new)

        return self._transaction(body)

    # -- reading -------------------------------------------------------------

    def _read(self, conn, after_seq: int = 0) -> list[Record]:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM records WHERE seq > ? ORDER BY clock, entry_id",
            (after_seq,),
        ).fetchall()
        return [
            Record(
                entry_id=entry_id,
                clock=clock,
                recorded_at=recorded_at,
                author=author,
                entity=entity,
                entity_id=entity_id,
                op=op,
                payload=json.loads(payload),
                origin=origin,
                seq=seq,
            )
            for (seq, entry_id, clock, recorded_at, author, entity, entity_id, op, payload, origin)
            in rows
        ]

    def read_all(self) -> list[Record]:
        """Every record, in the total order ``(clock, entry_id)``."""
        return self._retrying(lambda: self._read(self._conn))

    def read_since(self, seq: int) -> list[Record]:
        """Records that arrived in this file after ``seq``, in ``(clock, entry_id)`` order.

        Writers are serialised and ``seq`` only grows, so every reader's snapshot
        holds a prefix of the arrival order: these are exactly the records not yet
        seen by a reader that has seen everything up to ``seq``.
        """
        return self._retrying(lambda: self._read(self._conn, seq))

    def find_created(self, id_or_prefix: str, limit: int = 11) -> list[tuple[str, str]]:
        """``(entity_id, entity)`` of created entities whose id starts with ``id_or_prefix``."""
        if not id_or_prefix or any(c not in "0123456789abcdef-" for c in id_or_prefix):
            return []  # not a (lower-case) UUID prefix: nothing can match
        upper = id_or_prefix[:-1] + chr(ord(id_or_prefix[-1]) + 1)
        return self._retrying(
            lambda: self._conn.execute(
                "SELECT entity_id, entity FROM records WHERE op = 'create' "
                "AND entity_id >= ? AND entity_id < ? ORDER BY entity_id LIMIT ?",
                (id_or_prefix, upper, limit),
            ).fetchall()
        )

    def close(self) -> None:
        self._conn.close()

