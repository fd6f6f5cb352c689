"""Writing the server's copies of records into the workspace.

Used for pull pages and for the records a push answer returns. Writes are raw executemany
UPSERTs (no ORM, so nothing is captured into the outbox) on a connection with foreign-key
enforcement off: a page may hold a child before its parent (the server keeps references
whole). Fields of a record that still has pending local operations keep their local value,
and the row keeps its local version, so the user's unsynced work is never overwritten.
"""

from __future__ import annotations

import contextlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, Engine

from fieldsupport.models.sync import OutboxState
from fieldsupport.store.bulk import utc_text
from fieldsupport.sync import wire


@contextmanager
def local_write(engine: Engine) -> Iterator[Connection]:
    """A write transaction with foreign keys off (restored afterwards)."""
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
        conn.commit()
        try:
            with conn.begin():
                # take the write lock first: a read snapshot upgraded to a write later could
                # fail at once instead of waiting for another writer to finish
                conn.exec_driver_sql("BEGIN IMMEDIATE")
                yield conn
        finally:
            conn.rollback()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            conn.commit()


def _datetime_text(value: Any) -> Any:
    """A wire datetime as the workspace stores it (``store.bulk.utc_text``)."""
    if value is None:
        return None
    # the server sends UTC as isoformat() does; slicing it is 10x faster than parsing
    # (a pull applies hundreds of thousands of them)
    if value.endswith("+00:00") and value[10:11] == "T":
        if len(value) == 25:  # 2026-03-02T09:00:00+00:00
            return f"{value[:10]} {value[11:19]}.000000"
        if len(value) == 32:  # 2026-03-02T09:00:00.123456+00:00
            return f"{value[:10]} {value[11:26]}"
    return utc_text(datetime.fromisoformat(value))


def _json_text(value: Any) -> Any:
    return None if value is None else json.dumps(value)


# booleans need none: sqlite3 binds True and False as 1 and 0
_CONVERTERS = {"datetime": _datetime_text, "json": _json_text}


@dataclass(frozen=True)
class _Upsert:
    """One record type's upsert statement and the columns whose values need converting."""

    names: tuple[str, ...]
    statement: str
    converted: tuple[tuple[int, Callable[[Any], Any]], ...]  # (row index, converter)
    values_of: Callable[[dict[str, Any]], tuple[Any, ...]]  # the record's data, in order


_upserts: dict[str, _Upsert] = {}
CURSOR_KEY = "sync.cursor"  # the server change sequence this device has stored up to
VERIFIED_KEY = "sync.verified_cursor"  # the cursor of the last checkpoint that agreed
WRITTEN_KEY = "sync.written_types"


def _upsert(rtype: wire.RecordType) -> _Upsert:
    cached = _upserts.get(rtype.name)
    if cached is not None:
        return cached
    names = tuple(rtype.fields)
    columns = ["id", "version", *names]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns[1:])
    statement = (
        f'INSERT INTO "{rtype.name}" ({quoted}) VALUES ({", ".join("?" * len(columns))}) '
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    converted = tuple(
        (index, _CONVERTERS[rtype.fields[name].kind])
        for index, name in enumerate(names, start=2)
        if rtype.fields[name].kind in _CONVERTERS
    )
    getter = itemgetter(*names)
    values_of = getter if len(names) > 1 else lambda data: (getter(data),)
    _upserts[rtype.name] = _Upsert(names, statement, converted, values_of)
    return _upserts[rtype.name]


def pending_fields(
    conn: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], set[str]]:
    """Fields with pending local operations, per (type, id) among ``keys``."""
    out: dict[tuple[str, str], set[str]] = {}
    if not keys:
        return out
    by_type: dict[str, list[str]] = defaultdict(list)
    for record_type, record_id in keys:
        by_type[record_type].append(record_id)
    for record_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = conn.exec_driver_sql(
                "SELECT record_id, payload FROM sync_outbox WHERE state = ? AND record_type = ? "
                f"AND record_id IN ({marks})",
                (OutboxState.PENDING, record_type, *chunk),
            ).all()
            for record_id, payload in rows:
                out.setdefault((record_type, record_id), set()).update(json.loads(payload))
    return out


def apply_records(
    conn: Connection, records: list[dict[str, Any]], *, first_load: bool = False
) -> int:
    """Upsert the server's records; returns how many were received. ``first_load``: the
    caller knows the workspace holds no records and no pending operation (client's first
    pull), so nothing local needs reading."""
    if not records:
        return 0
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:  # a page never repeats a record, a push answer might
        latest[(record["t"], record["id"])] = record
    pending = {} if first_load else pending_fields(conn, list(latest))
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (record_type, _id), record in latest.items():
        by_type[record_type].append(record)
    mark_written(conn, set(by_type))
    written = 0
    for record_type, rows in by_type.items():
        if record_type == wire.CONFLICTS_TYPE:
            written += _apply_conflicts(conn, rows)
            continue
        rtype = wire.record_type(record_type)
        if rtype is None:
            continue  # a type a newer server knows: ignored by this version of the app
        written += _apply_type(conn, rtype, rows, pending, first_load)
    return written


def mark_written(conn: Connection, types: set[str]) -> None:
    """Note, in the write's transaction, the types whose records this device's tables got
    from the server since the last checkpoint that agreed (``sync.checkpoint``)."""
    before = get_state(conn, WRITTEN_KEY, [])
    marked = sorted(set(before if isinstance(before, list) else []) | types)
    if marked != before:
        set_state(conn, WRITTEN_KEY, marked)


def _apply_type(
    conn: Connection,
    rtype: wire.RecordType,
    rows: list[dict[str, Any]],
    pending: dict[tuple[str, str], set[str]],
    first_load: bool,
) -> int:
    upsert = _upsert(rtype)
    local = (
        _local_rows(conn, rtype.name, [r["id"] for r in rows if (rtype.name, r["id"]) in pending])
        if pending
        else {}
    )
    kept = {} if first_load else _kept_on_device(conn, rtype.name, rows)
    values: list[Any] | None = None
    if not local and not kept:
        # a record without some field (a server older than this app) goes the long way
        with contextlib.suppress(KeyError):
            values = _plain_values(upsert, rows)
    if values is None:
        values = _merged_values(upsert, rtype.name, rows, pending, local, kept)
    if not first_load:
        values = _write_new_versions(conn, rtype.name, upsert, values)
    # the driver's own cursor: it takes lists as rows (SQLAlchemy wants tuples)
    conn.connection.driver_connection.executemany(upsert.statement, values)  # type: ignore[union-attr]
    return len(rows)


def _merged_values(
    upsert: _Upsert,
    table: str,
    rows: list[dict[str, Any]],
    pending: dict[tuple[str, str], set[str]],
    local: dict[str, dict[str, Any]],
    kept: dict[str, dict[str, Any]],
) -> list[Any]:
    """The rows' values with the local values that stay: fields with pending operations
    (and the local version), and the positions a device keeps (``wire.KEPT_ON_DEVICE``)."""
    names, converted = upsert.names, upsert.converted
    values = []
    for record in rows:
        data = record["d"]
        row = [record["id"], record["v"], *[data.get(name) for name in names]]
        for index, convert in converted:
            row[index] = convert(row[index])
        current = local.get(record["id"])
        if current is not None and (mine := pending[(table, record["id"])]):
            row[1] = current["version"]
            for index, name in enumerate(names, start=2):
                if name in mine:
                    row[index] = current[name]
        if (own := kept.get(record["id"])) is not None:
            for index, name in enumerate(names, start=2):
                if row[index] is None and own.get(name) is not None:
                    row[index] = own[name]
        values.append(row)
    return values


def _write_new_versions(
    conn: Connection, table: str, upsert: _Upsert, values: list[Any]
) -> list[Any]:
    """Rows the device holds with the same values under another version get only their new
    version (a push's answer, a case re-stamped for another device): rewriting the whole row
    would fire the search-index triggers, a hundred times the cost of the row itself.
    Returns the rows that still need the upsert."""
    columns = ", ".join(f'"{c}"' for c in ("id", "version", *upsert.names))
    stored: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(values), 500):
        chunk = [row[0] for row in values[start : start + 500]]
        marks = ",".join("?" * len(chunk))
        for row in conn.exec_driver_sql(
            f'SELECT {columns} FROM "{table}" WHERE id IN ({marks})', tuple(chunk)
        ).all():
            stored[row[0]] = tuple(row)
    rest, versions = [], []
    for row in values:
        current = stored.get(row[0])
        if current is None or tuple(row[2:]) != current[2:]:
            rest.append(row)
        elif row[1] != current[1]:
            versions.append((row[1], row[0]))
    if versions:
        conn.exec_driver_sql(f'UPDATE "{table}" SET version = ? WHERE id = ?', versions)
    return rest


def _plain_values(upsert: _Upsert, rows: list[dict[str, Any]]) -> list[Any]:
    """The rows' values as the statement takes them, when no local value is kept: the
    first load's path (a million records), with the per-row work cut to the bone."""
    values_of = upsert.values_of
    if not upsert.converted:
        return [(r["id"], r["v"], *values_of(r["d"])) for r in rows]
    values: list[Any] = [[r["id"], r["v"], *values_of(r["d"])] for r in rows]
    for index, convert in upsert.converted:
        for row in values:
            if (value := row[index]) is not None:
                row[index] = convert(value)
    return values


def _kept_on_device(
    conn: Connection, table: str, rows: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Local values of ``wire.KEPT_ON_DEVICE`` columns the incoming rows would clear."""
    columns = wire.KEPT_ON_DEVICE.get(table)
    if not columns:
        return {}
    ids = [r["id"] for r in rows if any(r["d"].get(name) is None for name in columns)]
    out: dict[str, dict[str, Any]] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        selected = ", ".join(columns)
        for row in conn.exec_driver_sql(
            f"SELECT id, {selected} FROM {table} WHERE id IN ({marks})", tuple(chunk)
        ).all():
            values = dict(zip(columns, row[1:], strict=True))
            if any(value is not None for value in values.values()):
                out[row[0]] = values
    return out


def _local_rows(conn: Connection, table: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    result = conn.exec_driver_sql(f'SELECT * FROM "{table}" WHERE id IN ({marks})', tuple(ids))
    keys = list(result.keys())
    rows = [dict(zip(keys, row, strict=True)) for row in result.all()]
    return {row["id"]: row for row in rows}


def _apply_conflicts(conn: Connection, rows: list[dict[str, Any]]) -> int:
    values = [
        (
            r["id"],
            r["v"],
            r["d"]["record_type"],
            r["d"]["record_id"],
            r["d"]["field"],
            r["d"]["status"],
            json.dumps(r["d"]),
        )
        for r in rows
    ]
    conn.exec_driver_sql(
        "INSERT INTO sync_conflicts (id, version, record_type, record_id, field, status, data) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET version = excluded.version, "
        "status = excluded.status, data = excluded.data, local_resolution = CASE "
        "WHEN excluded.status = 'resolved' THEN NULL ELSE sync_conflicts.local_resolution END",
        values,
    )
    return len(values)


def apply_blob_rows(conn: Connection, blobs: list[dict[str, Any]], now: datetime) -> None:
    """Descriptions of blobs the pulled records reference (bytes are fetched separately)."""
    if not blobs:
        return
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO blobs (sha256, size_bytes, media_type, created_at) "
        "VALUES (?, ?, ?, ?)",
        [(b["sha256"], b["size"], b["media_type"], utc_text(now)) for b in blobs],
    )


def set_state(conn: Connection, key: str, value: Any) -> None:
    """A ``sync.*`` setting, written in the caller's transaction."""
    conn.exec_driver_sql(
        "INSERT INTO settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def get_state(conn: Connection, key: str, default: Any = None) -> Any:
    row = conn.exec_driver_sql("SELECT value FROM settings WHERE key = ?", (key,)).first()
    if row is None:
        return default
    # the column's declared type (JSON) has numeric affinity: SQLite stores '5' as 5
    return row[0] if isinstance(row[0], int | float) else json.loads(row[0])
