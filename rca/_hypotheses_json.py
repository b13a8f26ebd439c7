"""Reading the JSON export of a hypothesis log back in (merge by ``entry_id``).

Private to :mod:`rca.hypotheses`. Every record of the document is checked with the
same field validators the public methods use, so an import can only add what a
method could have written; any problem aborts the whole import with a SourceError
naming the record and the field.
"""

from __future__ import annotations

import uuid
from typing import Any, Mapping

from rca import _hypotheses_fields as fields
from rca._hypotheses_store import FORMAT_NAME, SCHEMA_VERSION, Record, dump_payload
from rca.errors import ParameterError, SourceError

RECORD_KEYS = (
    "entry_id",
    "clock",
    "recorded_at",
    "author",
    "entity",
    "entity_id",
    "op",
    "payload",
    "origin",
)


def parse_document(document: Any, where: str) -> list[Record]:
    """The records of an export document, each checked on its own."""
    if not isinstance(document, Mapping):
        raise SourceError(
            f"hypothesis log export {where!r}: a JSON {type(document).__name__}; expected an "
            f"object with 'format': {FORMAT_NAME!r}"
        )
    if document.get("format") != FORMAT_NAME:
        raise SourceError(
            f"hypothesis log export {where!r}: 'format' is {document.get('format')!r}; "
            f"expected {FORMAT_NAME!r}"
        )
    version = document.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise SourceError(
            f"hypothesis log export {where!r}: 'version' is {version!r}; expected an integer "
            f"from 1 to {SCHEMA_VERSION}"
        )
    if version > SCHEMA_VERSION:
        raise SourceError(
            f"hypothesis log export {where!r}: 'version' is {version}; this rca reads up to "
            f"version {SCHEMA_VERSION}. Upgrade rca to import it."
        )
    raw = document.get("records")
    if not isinstance(raw, list):
        raise SourceError(
            f"hypothesis log export {where!r}: 'records' is {type(raw).__name__}; expected a list"
        )
    return [_parse_record(item, index, where) for index, item in enumerate(raw)]


def _parse_record(item: Any, index: int, where: str) -> Record:
    at = f"hypothesis log export {where!r}, records[{index}]"
    if not isinstance(item, Mapping):
        raise SourceError(f"{at}: a JSON {type(item).__name__}; expected an object")
    keys = set(item)
    if keys != set(RECORD_KEYS):
        raise SourceError(
            f"{at}: keys {sorted(keys)}; expected exactly {list(RECORD_KEYS)}"
            + (f" (missing {sorted(set(RECORD_KEYS) - keys)})" if set(RECORD_KEYS) - keys else "")
        )
    try:
        for key in ("entry_id", "author", "entity_id", "origin"):
            fields.text(item[key], key)
        for key in ("entry_id", "entity_id"):
            try:
                uuid.UUID(item[key])
            except ValueError:
                raise ParameterError(f"{key}={item[key]!r}: expected a UUID") from None
        clock = item["clock"]
        if isinstance(clock, bool) or not isinstance(clock, int) or clock < 0:
            raise ParameterError(f"clock={clock!r}: expected a non-negative integer [us]")
        fields.utc_time(item["recorded_at"], "recorded_at")
        entity = fields.choice(item["entity"], "entity", tuple(fields.ENTITIES), "an entity")
        op = fields.choice(item["op"], "op", ("create", "update"), "an operation")
        payload = item["payload"]
        if not isinstance(payload, Mapping):
            raise ParameterError(f"payload={payload!r}: expected a JSON object")
        spec = fields.ENTITIES[entity]
        if op == "create":
            if set(payload) != set(spec["create"]):
                raise ParameterError(
                    f"payload keys {sorted(payload)}: a {entity} 'create' record needs exactly "
                    f"{list(spec['create'])}"
                )
        elif not payload or not set(payload) <= set(spec["update"]):
            raise ParameterError(
                f"payload keys {sorted(payload)}: a {entity} 'update' record may change "
                f"{list(spec['update'])}"
            )
        for key, value in payload.items():
            canonical = spec["fields"][key](value, f"payload[{key!r}]")
            if canonical != value or type(canonical) is not type(value):
                raise ParameterError(
                    f"payload[{key!r}]={value!r}: not in the stored form; expected {canonical!r}"
                )
        if entity == "evidence" and op == "create":
            fields.check_detail(payload["kind"], payload["detail"], "payload['detail']")
            dump_payload(payload)  # must be plain JSON (no NaN)
    except (ParameterError, ValueError) as error:
        raise SourceError(f"{at}: {error}") from None
    return Record(
        entry_id=item["entry_id"],
        clock=clock,
        recorded_at=item["recorded_at"],
        author=item["author"],
        entity=entity,
        entity_id=item["entity_id"],
        op=op,
        payload=dict(payload),
        origin=item["origin"],
    )


def check_import(
    records: list[Record], existing: dict[str, Record], where: str
) -> list[Record]:
    """The records to add; raises SourceError on conflicts or dangling references."""
    kinds: dict[str, str] = {}  # entity_id -> entity, over the file and the import
    created: dict[str, str] = {}  # entity_id -> entry_id of its create record
    for record in existing.values():
        kinds.setdefault(record.entity_id, record.entity)
        if record.op == "create":
            created[record.entity_id] = record.entry_id
    new: dict[str, Record] = {}
    for index, record in enumerate(records):
        at = f"hypothesis log export {where!r}, records[{index}] (entry_id {record.entry_id})"
        seen = existing.get(record.entry_id) or new.get(record.entry_id)
        if seen is not None:
            if seen.to_dict() != record.to_dict():
                raise SourceError(
                    f"{at}: this log already has a different record with this entry_id; "
                    "expected identical content (was the export edited by hand?)"
                )
            continue
        kind = kinds.setdefault(record.entity_id, record.entity)
        if kind != record.entity:
            raise SourceError(
                f"{at}: entity_id {record.entity_id} is a {kind} here but a {record.entity} in "
                "the import; expected the same entity"
            )
        if record.op == "create":
            if created.setdefault(record.entity_id, record.entry_id) != record.entry_id:
                raise SourceError(
                    f"{at}: a second 'create' record for {record.entity} {record.entity_id}; "
                    "expected one per entity"
                )
        new[record.entry_id] = record
    for index, record in enumerate(records):
        at = f"hypothesis log export {where!r}, records[{index}] (entry_id {record.entry_id})"
        if record.entity_id not in created:
            raise SourceError(
                f"{at}: updates {record.entity} {record.entity_id}, which is created neither "
                "in this log nor in the import"
            )
        parent = record.payload.get("hypothesis_id")
        if parent is not None and kinds.get(parent) != "hypothesis":
            raise SourceError(
                f"{at}: hypothesis_id {parent!r} is not a hypothesis in this log or the import"
            )
    return list(new.values())
