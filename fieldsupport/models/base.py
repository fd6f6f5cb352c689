"""Declarative base, column types and the sync mixin every syncable record uses."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    TypeDecorator,
    event,
    literal_column,
    or_,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


# Constraint names are part of the schema: Alembic batch migrations on SQLite recreate tables
# and can only drop or alter constraints that have a stable name.
def _check_name(constraint: Any, table: Any) -> str:
    """Name for CHECK constraints that enum/boolean columns generate: one per column.

    Explicitly named checks keep their (table-prefixed) names; SQLAlchemy does not pass them
    through this convention.
    """
    columns = list(constraint.columns)
    if not columns:
        raise ValueError(f"unnamed CHECK constraint on {table.name} needs an explicit name")
    return f"{columns[0].name}_values"


NAMING_CONVENTION: dict[str, Any] = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck_name": _check_name,
    "ck": "ck_%(table_name)s_%(ck_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Limits for free text. SQLite does not enforce VARCHAR lengths, so services validate against
# these before anything reaches the database.
NAME_LEN = 200
SHORT_LEN = 64
TEXT_LEN = 20_000


def utcnow() -> datetime:
    return datetime.now(UTC)


def new_uuid() -> str:
    return str(uuid.uuid4())


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC timestamps on every backend.

    SQLite has no time zone type; storing naive datetimes invites silent local-time bugs.
    Values are normalised to UTC on the way in (naive values are refused) and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} refused: timestamps must carry a time zone")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(enum_cls: type[StrEnum], **kw: Any) -> Any:
    """A string column restricted to an enum's values by a CHECK constraint.

    The CHECK is written as ``col = 'a' OR col = 'b' ...`` (see :func:`_add_enum_check`),
    not SQLAlchemy's ``col IN ('a', 'b', ...)``: SQLite builds an ephemeral index for an IN
    list on every row it checks, which made bulk inserts four times slower.
    """
    return mapped_column(
        Enum(
            enum_cls,
            native_enum=False,
            create_constraint=False,
            length=32,
            validate_strings=True,
            values_callable=lambda cls: [m.value for m in cls],
        ),
        info={CHECK_VALUES: True},
        **kw,
    )


CHECK_VALUES = "fieldsupport_check_values"


@event.listens_for(Column, "after_parent_attach")
def _add_enum_check(column: Column[Any], table: Any) -> None:
    if not column.info.get(CHECK_VALUES) or not isinstance(table, Table):
        return
    name = f"ck_{table.name}_{column.name}_values"
    if any(c.name == name for c in table.constraints):
        return  # declarative attaches some columns twice
    values = column.type.enums  # type: ignore[attr-defined]
    allowed = or_(*(column == literal_column(f"'{value}'") for value in values))
    if column.nullable:
        allowed = or_(column.is_(None), allowed)
    table.append_constraint(CheckConstraint(allowed, name=name))


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncMixin:
    """Columns every record that syncs carries.

    * ``id``: UUID made on the device, so records can be created offline without collisions.
    * ``version``: bumped on every change by the session (see ``store.change_capture``); the
      sync layer uses it for conflict detection. It is never derived from a wall clock.
    * ``created_at`` / ``updated_at``: informational timestamps, not used for ordering.
    * ``deleted_at``: tombstone. Syncable rows are never hard-deleted.
    """

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


class AppendOnly:
    """Marker: rows of this class may be inserted and tombstoned, never edited.

    Timeline events, time entries, measurements, attendees and photos are append-only; the
    sync layer relies on that (they never conflict), so the session refuses edits to them.
    """

    #: attributes that may still change after insert (tombstone and bookkeeping)
    mutable_attributes: frozenset[str] = frozenset({"deleted_at", "updated_at", "version"})
