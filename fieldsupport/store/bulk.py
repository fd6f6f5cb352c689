"""Fast bulk inserts with Core ``insert()`` executemany.

Per-value type processing (time zone normalisation, enum validation, SQLite's datetime
formatting) costs more than SQLite's own insert at 100,000+ rows. For bulk writers (demo
data, sync pulls) this module inserts through a shadow of the table whose datetime and enum
columns are plain text, and formats UTC datetimes itself in exactly the format SQLAlchemy's
SQLite dialect writes, so rows read back through the models are indistinguishable. The
database's CHECK and foreign-key constraints still guard every value.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Connection, Enum, MetaData, String, Table, insert
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm import Session

from fieldsupport.models.base import UTCDateTime

_sqlite_dialect = sqlite.dialect()

_shadow_metadata = MetaData()
_shadows: dict[str, tuple[Table, tuple[str, ...], tuple[str, ...]]] = {}


def _shadow(table: Table) -> tuple[Table, tuple[str, ...], tuple[str, ...]]:
    """The text-typed shadow of ``table``, its datetime columns and its JSON columns."""
    cached = _shadows.get(table.name)
    if cached is not None:
        return cached
    columns = []
    datetime_columns = []
    json_columns = []
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            columns.append(Column(column.name, String))
            datetime_columns.append(column.name)
        elif isinstance(column.type, Enum):
            columns.append(Column(column.name, String))
        elif isinstance(column.type, JSON):
            columns.append(Column(column.name, String))
            json_columns.append(column.name)
        else:
            columns.append(Column(column.name, column.type))
    shadow = Table(table.name, _shadow_metadata, *columns)
    _shadows[table.name] = (shadow, tuple(datetime_columns), tuple(json_columns))
    return _shadows[table.name]


def utc_text(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, as SQLAlchemy stores DATETIME on SQLite."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: timestamps need a time zone")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


@dataclass(frozen=True)
class PreparedRows:
    """Rows ready for SQLite: one INSERT statement and plain value tuples. Picklable, so a
    worker process can prepare them while the writer is busy."""

    table: str
    statement: str
    values: list[tuple[Any, ...]]


def prepare_rows(model: type[Any], rows: Sequence[Mapping[str, Any]]) -> PreparedRows:
    """Serialise dict rows (all with the same keys) for :func:`insert_prepared`."""
    table: Table = model.__table__
    shadow, datetime_columns, json_columns = _shadow(table)
    if not rows:
        return PreparedRows(table.name, "", [])
    compiled = insert(shadow).compile(dialect=_sqlite_dialect, column_keys=list(rows[0]))
    keys = tuple(compiled.positiontup or ())
    converters: list[Any] = []
    for key in keys:
        if key in datetime_columns:
            converters.append(_optional(utc_text))
        elif key in json_columns:
            converters.append(_optional(json.dumps))
        else:
            converters.append(None)
    values = [
        tuple(
            row[key] if convert is None else convert(row[key])
            for key, convert in zip(keys, converters, strict=True)
        )
        for row in rows
    ]
    return PreparedRows(table.name, str(compiled), values)


def _optional(convert: Any) -> Any:
    return lambda value: None if value is None else convert(value)


def insert_prepared(session: Session, prepared: PreparedRows) -> int:
    if prepared.values:
        session.connection().exec_driver_sql(prepared.statement, prepared.values)
    return len(prepared.values)


def bulk_insert(session: Session, model: type[Any], rows: Sequence[Mapping[str, Any]]) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; returns the count.

    SQLite: through the pre-serialised fast path; other backends: the ordinary typed insert.
    """
    if not rows:
        return 0
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(model.__table__), list(rows))
        return len(rows)
    return insert_prepared(session, prepare_rows(model, rows))


@contextlib.contextmanager
def bulk_load(session: Session, tables: Iterable[str]) -> Iterator[None]:
    """Drop the secondary indexes and the triggers of ``tables`` for a bulk load, and
    recreate them after it.

    Building an index once over the loaded rows is far cheaper than updating it row by row,
    and per-row triggers (the search index) would run their lookups without those indexes.
    Whatever the triggers maintain must be rebuilt by the caller afterwards (e.g.
    :func:`fieldsupport.store.search_index.rebuild`). Runs inside the caller's transaction:
    if the load fails, the drops are rolled back too. SQLite only (elsewhere a no-op).
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    with indexes_suspended(session.connection(), tables):
        yield


@contextlib.contextmanager
def indexes_suspended(connection: Connection, tables: Iterable[str]) -> Iterator[None]:
    """:func:`bulk_load` on a Core connection of a SQLite database (the sync pull's)."""
    names = list(tables)
    marks = ",".join("?" for _ in names)
    saved = connection.exec_driver_sql(
        "SELECT type, name, sql FROM sqlite_master WHERE type IN ('index', 'trigger') "
        f"AND sql IS NOT NULL AND tbl_name IN ({marks}) ORDER BY type",
        tuple(names),
    ).all()
    for kind, name, _sql in saved:
        connection.exec_driver_sql(f'DROP {kind.upper()} "{name}"')
    yield
    for _kind, _name, sql in saved:  # indexes first ("index" < "trigger")
        connection.exec_driver_sql(sql)


@contextlib.contextmanager
def cache_enlarged(connection: Connection, megabytes: int) -> Iterator[None]:
    """A page cache of ``megabytes`` on this SQLite connection for a bulk load, the previous
    size restored afterwards. Inserting random keys (UUIDs) into a primary-key index larger
    than the cache reads and writes its pages over and over: with the index in the cache a
    first sync of 100,000 cases stores its rows a third faster."""
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size = -{megabytes * 1024}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(previous or -2000)}")
