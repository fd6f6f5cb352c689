"""Device-side sync bookkeeping: the outbox of operations and the conflicts pulled from the
server (see ``docs/sync-protocol.md``). Local to the device; neither table is itself synced.

Also the one spelling of column values on the wire (JSON), shared by change capture, the
sync client and the central server.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum as PyEnum
from typing import Any

from sqlalchemy import JSON, Boolean, Column, Date, Enum, Float, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from fieldsupport.models.base import SHORT_LEN, Base, UTCDateTime, utcnow


class OutboxState:
    """States of an outbox operation (plain strings in the table)."""

    PENDING = "pending"  # not yet answered by the server: will be (re)sent
    APPLIED = "applied"
    CONFLICT = "conflict"  # applied; some fields kept the server's value (conflict records)
    REJECTED = "rejected"  # refused with a reason; stays visible until dismissed
    DISMISSED = "dismissed"  # a rejected operation the user has acknowledged

    ANSWERED = (APPLIED, CONFLICT, REJECTED, DISMISSED)


class OutboxOp(Base):
    """One local change waiting for (or answered by) the server.

    ``seq`` is the per-device sequence: AUTOINCREMENT, so a number is never reused even after
    old rows are pruned (a reused number would look like a replay to the server), and a
    rolled-back transaction gives its numbers back (no gaps).
    """

    __tablename__ = "sync_outbox"
    __table_args__ = (
        Index("ix_sync_outbox_record", "record_type", "record_id"),
        Index("ix_sync_outbox_state_seq", "state", "seq"),
        {"sqlite_autoincrement": True},
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16), default="upsert")
    record_type: Mapped[str] = mapped_column(String(SHORT_LEN))
    record_id: Mapped[str] = mapped_column(String(36))
    base_version: Mapped[int] = mapped_column(Integer)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16), default=OutboxState.PENDING)
    reason: Mapped[str | None] = mapped_column(Text)
    field: Mapped[str | None] = mapped_column(String(SHORT_LEN))
    server_version: Mapped[int | None] = mapped_column(Integer)
    # device clock: shown to the user, never used for ordering
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SyncConflict(Base):
    """A conflict record as the server sent it (``data`` is its wire form), plus the
    decision taken on this device that the server has not confirmed yet."""

    __tablename__ = "sync_conflicts"
    __table_args__ = (Index("ix_sync_conflicts_record", "record_type", "record_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
    record_type: Mapped[str] = mapped_column(String(SHORT_LEN))
    record_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(SHORT_LEN))
    status: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    local_resolution: Mapped[str | None] = mapped_column(String(16))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


# -- wire values --------------------------------------------------------------------------


def encode_value(column: Column[Any], value: Any) -> Any:
    """A column value as JSON: ISO 8601 datetimes (with offset) and dates, enum values."""
    if value is None:
        return None
    if isinstance(value, date):  # datetimes too (a subclass)
        return value.isoformat()
    if isinstance(value, PyEnum):
        return value.value
    return value


def column_kind(column: Column[Any]) -> str:
    """Short name of how a column's values travel: the server validates by it."""
    kind = column.type
    if isinstance(kind, UTCDateTime):
        return "datetime"
    if isinstance(kind, Enum):
        return "enum"
    if isinstance(kind, JSON):
        return "json"
    if isinstance(kind, Boolean):
        return "bool"
    if isinstance(kind, Integer):
        return "int"
    if isinstance(kind, Float):
        return "float"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Text):
        return "text"
    return "string"
