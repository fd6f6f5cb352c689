"""Wire schemas shared by the device and the central server (docs/sync-protocol.md).

The record types are the syncable tables of the domain model; their columns say how each
value travels and what the server accepts. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Any

from sqlalchemy import Column, Enum, String

from fieldsupport.models import Base
from fieldsupport.models.base import TEXT_LEN, AppendOnly, SyncMixin
from fieldsupport.models.sync import column_kind

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOLS = (1,)
PROTOCOL_HEADER = "FieldSupport-Protocol"
CONFLICTS_TYPE = "sync_conflicts"

# Informational columns: always taken from the latest change, never a conflict.
INFORMATIONAL = frozenset({"created_at", "updated_at"})
JSON_VALUE_LIMIT = 64_000

# How a record reaches its case (the unit of access): the first non-null of these columns
# names the parent; types not listed are shared reference data.
SCOPE_PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "case_events": (("case_id", "cases"),),
    "visits": (("case_id", "cases"),),
    "time_entries": (("visit_id", "visits"),),
    "parts_used": (("visit_id", "visits"),),
    "measurements": (("visit_id", "visits"),),
    "signatures": (("visit_id", "visits"),),
    "service_reports": (("case_id", "cases"),),
    "report_decisions": (("report_id", "service_reports"),),
    "case_solutions": (("case_id", "cases"),),
    "application_records": (("case_id", "cases"),),
    "application_parameter_values": (("application_record_id", "application_records"),),
    "application_step_results": (("application_record_id", "application_records"),),
    "training_sessions": (("case_id", "cases"),),
    "training_attendees": (("session_id", "training_sessions"),),
    "claims": (("case_id", "cases"),),
    "claim_items": (("claim_id", "claims"),),
    "recall_actions": (("case_id", "cases"),),
    "attachments": (
        ("case_id", "cases"),
        ("visit_id", "visits"),
        ("application_record_id", "application_records"),
        ("claim_id", "claims"),
        ("recall_action_id", "recall_actions"),
        ("training_session_id", "training_sessions"),
        ("solution_id", "custom_solutions"),
    ),
}

# Types only the server writes (through its back-office endpoints, docs/sync-protocol.md
# section 13): devices receive them by pull; a pushed operation on them is refused.
SERVER_WRITTEN = frozenset({"report_decisions"})

# Values a device keeps when the server holds none: a photo's positions, which a device
# with the privacy setting on sends as null (sync/privacy.py); its own copy keeps them.
KEPT_ON_DEVICE: dict[str, tuple[str, ...]] = {"attachments": ("latitude", "longitude")}

# Columns holding a blob's SHA-256: the blob must be on the server before the record.
BLOB_COLUMNS: dict[str, tuple[str, ...]] = {
    "attachments": ("sha256",),
    "signatures": ("image_sha256",),
    "service_reports": ("pdf_sha256", "data_sha256"),
    "solution_steps": ("photo_sha256",),
}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    kind: str  # see models.sync.column_kind
    nullable: bool
    max_length: int | None
    enum_values: frozenset[str] | None


@dataclass(frozen=True)
class RecordType:
    name: str
    model: type[Any]
    fields: dict[str, FieldSpec]  # every column except id and version
    append_only: bool
    mutable_after_insert: frozenset[str]

    @property
    def table(self) -> Any:
        return self.model.__table__


def _field_spec(column: Column[Any]) -> FieldSpec:
    kind = column_kind(column)
    max_length = None
    enum_values = None
    if kind == "enum":
        enum_values = frozenset(column.type.enums)  # type: ignore[attr-defined]
    elif kind == "text":
        max_length = TEXT_LEN
    elif isinstance(column.type, String):
        max_length = column.type.length
    return FieldSpec(column.name, kind, bool(column.nullable), max_length, enum_values)


@cache
def record_types() -> dict[str, RecordType]:
    types: dict[str, RecordType] = {}
    for mapper in Base.registry.mappers:
        model = mapper.class_
        if not issubclass(model, SyncMixin):
            continue
        table = model.__table__
        fields = {c.name: _field_spec(c) for c in table.columns if c.name not in ("id", "version")}
        append_only = issubclass(model, AppendOnly)
        mutable = model.mutable_attributes if append_only else frozenset(fields)
        types[table.name] = RecordType(table.name, model, fields, append_only, mutable)
    return dict(sorted(types.items()))


def record_type(name: str) -> RecordType | None:
    return record_types().get(name)


# -- values -----------------------------------------------------------------------------------


class WireValueError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def check_value(spec: FieldSpec, value: Any) -> Any:
    """The value if it is acceptable for the field, normalised; else :class:`WireValueError`."""
    if value is None:
        if not spec.nullable:
            raise WireValueError(spec.name, f"{spec.name} may not be empty")
        return None
    kind = spec.kind
    if kind in ("string", "text", "enum"):
        if not isinstance(value, str):
            raise WireValueError(spec.name, f"{spec.name} must be text")
        if spec.max_length is not None and len(value) > spec.max_length:
            raise WireValueError(
                spec.name, f"{spec.name} is longer than {spec.max_length} characters"
            )
        if spec.enum_values is not None and value not in spec.enum_values:
            allowed = ", ".join(sorted(spec.enum_values))
            raise WireValueError(spec.name, f"{spec.name} must be one of: {allowed}")
        return value
    if kind == "bool":
        if not isinstance(value, bool):
            raise WireValueError(spec.name, f"{spec.name} must be true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**53:
            raise WireValueError(spec.name, f"{spec.name} must be a whole number")
        return value
    if kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float) or abs(value) > 1e300:
            raise WireValueError(spec.name, f"{spec.name} must be a number")
        return float(value) if isinstance(value, int) else value
    if kind == "datetime":
        parsed = _parse_datetime(spec.name, value)
        return parsed.isoformat()
    if kind == "date":
        if not isinstance(value, str):
            raise WireValueError(spec.name, f"{spec.name} must be a date like 2026-03-02")
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            raise WireValueError(spec.name, f"{spec.name} must be a date like 2026-03-02") from None
    if kind == "json":
        import json

        if len(json.dumps(value)) > JSON_VALUE_LIMIT:
            raise WireValueError(spec.name, f"{spec.name} is larger than {JSON_VALUE_LIMIT} bytes")
        return value
    raise WireValueError(spec.name, f"{spec.name} has an unknown type")  # pragma: no cover


def _parse_datetime(name: str, value: Any) -> datetime:
    message = f"{name} must be a date and time with a time zone, like 2026-03-02T09:00:00+00:00"
    if not isinstance(value, str) or len(value) > 40:
        raise WireValueError(name, message)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise WireValueError(name, message) from None
    if parsed.tzinfo is None:
        raise WireValueError(name, message)
    return parsed


def decode_value(spec: FieldSpec, value: Any) -> Any:
    """A wire value as the Python value the model column takes."""
    if value is None:
        return None
    if spec.kind == "datetime":
        return datetime.fromisoformat(value)
    if spec.kind == "date":
        return date.fromisoformat(value)
    return value


def row_hash(record_id: str, version: int) -> int:
    """40 bits of sha256("<id>:<version>"): summed per type for the checkpoint (fits int64
    for millions of records)."""
    return int(hashlib.sha256(f"{record_id}:{version}".encode()).hexdigest()[:10], 16)


def key_hash_sum(keys: list[tuple[bytes]]) -> int:
    """The sum of :func:`row_hash` over rows given as ``(b"<id>:<version>",)``."""
    sha, from_bytes = hashlib.sha256, int.from_bytes
    return sum([from_bytes(sha(key).digest()[:5], "big") for (key,) in keys])


def is_enum_column(column: Column[Any]) -> bool:
    return isinstance(column.type, Enum)
