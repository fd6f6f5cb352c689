"""Writing the server's copies of records into the workspace.

Used for pull pages and for the records a push answer returns. Writes are raw executemany
UPSERTs (no ORM, so nothing is captured into the outbox) on a connection with foreign-key
enforcement off: a page may hold a child before its parent (the server keeps references
whole). Fields of a record that still has pending local operations keep their local value,
and the row keeps its local version, so the user's unsynced work is never overwritten.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
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


def _db_value(spec: wire.FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    kind = spec.kind
    if kind == "datetime":
        return utc_text(datetime.fromisoformat(value))
    if kind == "json":
        return json.dumps(value)
    if kind == "bool":
        return 1 if value else 0
    return value


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


def apply_records(conn: Connection, records: list[dict[str, Any]]) -> int:
    """Upsert the server's records; returns how many were written."""
    if not records:
        return 0
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for record in records:  # a page never repeats a record, a push answer might
        latest[(record["t"], record["id"])] = record
    pending = pending_fields(conn, list(latest))
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for (record_type, _id), record in latest.items():
        by_type[record_type].append(record)
    written = 0
    for record_type, rows in by_type.items():
        if record_type == wire.CONFLICTS_TYPE:
            written += _apply_conflicts(conn, rows)
            continue
        rtype = wire.record_type(record_type)
        if rtype is None:
            continue  # a type a newer server knows: ignored by this version of the app
        written += _apply_type(conn, rtype, rows, pending)
    return written


def _apply_type(
    conn: Connection,
    rtype: wire.RecordType,
    rows: list[dict[str, Any]],
    pending: dict[tuple[str, str], set[str]],
) -> int:
    names = list(rtype.fields)
    specs = [rtype.fields[n] for n in names]
    columns = ["id", "version", *names]
    quoted = ", ".join(f'"{c}"' for c in columns)
    updates = ", ".join(f'"{c}" = excluded."{c}"' for c in columns[1:])
    statement = (
        f'INSERT INTO "{rtype.name}" ({quoted}) VALUES ({", ".join("?" * len(columns))}) '
        f"ON CONFLICT(id) DO UPDATE SET {updates}"
    )
    local = _local_rows(
        conn, rtype.name, [r["id"] for r in rows if (rtype.name, r["id"]) in pending]
    )
    values = []
    for record in rows:
        data = record["d"]
        row = [record["id"], record["v"]]
        row.extend(_db_value(spec, data.get(name)) for name, spec in zip(names, specs, strict=True))
        mine = pending.get((rtype.name, record["id"]))
        current = local.get(record["id"])
        if mine and current is not None:
            row[1] = current["version"]
            for index, name in enumerate(names, start=2):
                if name in mine:
                    row[index] = current[name]
        values.append(tuple(row))
    conn.exec_driver_sql(statement, values)
    return len(values)


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
