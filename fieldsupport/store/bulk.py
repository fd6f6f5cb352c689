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
from collections.abc import Iterable, Iterator, MutableMapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, Enum, MetaData, String, Table, insert
from sqlalchemy.orm import Session

from fieldsupport.models.base import UTCDateTime

_shadow_metadata = MetaData()
_shadows: dict[str, tuple[Table, tuple[str, ...]]] = {}
_statements: dict[tuple[str, frozenset[str]], tuple[str, tuple[str, ...]]] = {}


def _shadow(table: Table) -> tuple[Table, tuple[str, ...]]:
    cached = _shadows.get(table.name)
    if cached is not None:
        return cached
    columns = []
    datetime_columns = []
    for column in table.columns:
        if isinstance(column.type, UTCDateTime):
            columns.append(Column(column.name, String))
            datetime_columns.append(column.name)
        elif isinstance(column.type, Enum):
            columns.append(Column(column.name, String))
        else:
            columns.append(Column(column.name, column.type))
    shadow = Table(table.name, _shadow_metadata, *columns)
    _shadows[table.name] = (shadow, tuple(datetime_columns))
    return _shadows[table.name]


def utc_text(value: datetime) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, as SQLAlchemy stores DATETIME on SQLite."""
    if value.tzinfo is not UTC:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r} refused: timestamps need a time zone")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


def bulk_insert(
    session: Session, model: type[Any], rows: Iterable[MutableMapping[str, Any]]
) -> int:
    """Insert ``rows`` (dicts with the same keys) into ``model``'s table; returns the count.

    The dicts are modified in place (datetimes become text). SQLite only: other backends get
    the ordinary typed insert.
    """
    rows = list(rows)
    if not rows:
        return 0
    table: Table = model.__table__
    if session.get_bind().dialect.name != "sqlite":
        session.execute(insert(table), rows)
        return len(rows)
    shadow, datetime_columns = _shadow(table)
    cache_key = (table.name, frozenset(rows[0]))
    cached = _statements.get(cache_key)
    if cached is None:
        # compiled once per column set: the INSERT of Core, executed with plain tuples so
        # that no per-value Python processing stands between the rows and SQLite
        compiled = insert(shadow).compile(
            dialect=session.get_bind().dialect, column_keys=list(rows[0])
        )
        cached = (str(compiled), tuple(compiled.positiontup or ()))
        _statements[cache_key] = cached
    statement, keys = cached
    json_columns = [c.name for c in shadow.columns if isinstance(c.type, JSON) and c.name in keys]
    for row in rows:
        for name in datetime_columns:
            value = row.get(name)
            if value is not None:
                row[name] = utc_text(value)
        for name in json_columns:
            value = row[name]
            if value is not None:
                row[name] = json.dumps(value)
    session.connection().exec_driver_sql(statement, [tuple(row[k] for k in keys) for row in rows])
    return len(rows)


@contextlib.contextmanager
def indexes_deferred(session: Session, tables: Iterable[str]) -> Iterator[None]:
    """Drop the secondary indexes of ``tables`` for a bulk load and rebuild them after.

    Building an index once over the loaded rows is far cheaper than updating it row by row.
    Runs inside the caller's transaction: if the load fails, the drop is rolled back too.
    SQLite only (elsewhere a no-op).
    """
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    names = list(tables)
    marks = ",".join("?" for _ in names)
    connection = session.connection()
    saved = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
        f"AND tbl_name IN ({marks})",
        tuple(names),
    ).all()
    for name, _sql in saved:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, sql in saved:
        connection.exec_driver_sql(sql)
