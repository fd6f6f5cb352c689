"""What a snapshot database holds, for the server that makes it and the device that puts it
in place (docs/sync-protocol.md, section 14).

A snapshot is a complete workspace database of one scope, as a device has it after pulling
everything up to the snapshot's cursor and passing the checkpoint: every record table, the
search indexes, the blob descriptions, and of the settings only the sync state that belongs
to that data (:data:`TRANSFERRED_KEYS`). Everything of the device that made it (its identity,
server address, outbox) is taken out before it is published; a device that installs it puts
its own back in (:func:`keep_device_rows`).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from fieldsupport.store import migrate
from fieldsupport.sync import wire
from fieldsupport.sync.apply import CURSOR_KEY, VERIFIED_KEY, WRITTEN_KEY
from fieldsupport.sync.checkpoint import CHECKED_KEY

FORMAT = 1
ENCODING = "zstd"
# the mark of a FieldSupport database, and the sync state that describes the snapshot's
# records; every other setting is a device's
TRANSFERRED_KEYS = (migrate.OWNER_KEY, CURSOR_KEY, VERIFIED_KEY, CHECKED_KEY, WRITTEN_KEY)
# tables every device keeps whole: a snapshot carries none of their rows
DEVICE_TABLES = ("sync_outbox",)
# tables whose rows describe shared things (blob descriptions): the device's are added
MERGED_TABLES = ("blobs",)
_SKIPPED = frozenset({"settings", "alembic_version", "sqlite_sequence"})


class NotEmpty(Exception):
    """The device holds records or pending changes: a snapshot would hide them."""


def record_tables() -> list[str]:
    return [*wire.record_types(), wire.CONFLICTS_TYPE]


def _marks(names: tuple[str, ...]) -> str:
    return ", ".join("?" for _ in names)


def strip_for_publishing(conn: sqlite3.Connection) -> None:
    """Take out of a copy of a server-side workspace what belongs to that workspace alone."""
    conn.execute(
        f"DELETE FROM settings WHERE key NOT IN ({_marks(TRANSFERRED_KEYS)})", TRANSFERRED_KEYS
    )
    for table in DEVICE_TABLES:
        conn.execute(f'DELETE FROM "{table}"')
    conn.execute("DELETE FROM sqlite_sequence")


def get_setting(conn: sqlite3.Connection, key: str, schema: str = "main") -> Any:
    row = conn.execute(f"SELECT value FROM {schema}.settings WHERE key = ?", (key,)).fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], int | float) else json.loads(row[0])


def _set_setting(conn: sqlite3.Connection, key: str, value: Any) -> None:
    conn.execute(
        "INSERT INTO main.settings (key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, json.dumps(value)),
    )


def keep_device_rows(conn: sqlite3.Connection) -> None:
    """On a connection to an unpacked snapshot (``main``) with the device's database attached
    as ``live``, in one transaction: refuse (:class:`NotEmpty`) a device that holds records
    or pending changes, then bring over everything of the device: its settings (identity,
    server, preferences), its outbox with the answers it keeps, its sequence counters, its
    blob descriptions, and any other table of its own."""
    for table in record_tables():
        if conn.execute(f'SELECT 1 FROM live."{table}" LIMIT 1').fetchone():
            raise NotEmpty(table)
    if conn.execute("SELECT 1 FROM live.sync_outbox WHERE state = 'pending' LIMIT 1").fetchone():
        raise NotEmpty("sync_outbox")
    keys = TRANSFERRED_KEYS
    conn.execute(f"DELETE FROM main.settings WHERE key NOT IN ({_marks(keys)})", keys)
    conn.execute(
        "INSERT INTO main.settings (key, value) SELECT key, value FROM live.settings "
        f"WHERE key NOT IN ({_marks(keys)})",
        keys,
    )
    for table in _device_tables(conn):
        columns = _common_columns(conn, table)
        if table not in MERGED_TABLES:
            conn.execute(f'DELETE FROM main."{table}"')
        conn.execute(
            f'INSERT OR IGNORE INTO main."{table}" ({columns}) SELECT {columns} FROM live."{table}"'
        )
    conn.execute("DELETE FROM main.sqlite_sequence")
    conn.execute(
        "INSERT INTO main.sqlite_sequence (name, seq) SELECT name, seq FROM live.sqlite_sequence"
    )
    # the checks the snapshot passed hold for this device's copy (the same bytes); its own
    # outbox tells which types it changes from here on
    checked = get_setting(conn, CHECKED_KEY)
    if isinstance(checked, dict):
        last_op = conn.execute("SELECT coalesce(max(seq), 0) FROM live.sync_outbox").fetchone()
        _set_setting(conn, CHECKED_KEY, {**checked, "checks": 1, "outbox_seq": int(last_op[0])})
    _set_setting(conn, WRITTEN_KEY, [])


def _device_tables(conn: sqlite3.Connection) -> list[str]:
    """The device's tables that are neither records, nor search indexes, nor bookkeeping."""
    rows = conn.execute(
        "SELECT name, sql FROM live.sqlite_master WHERE type = 'table' ORDER BY name"
    ).fetchall()
    virtual = [name for name, sql in rows if (sql or "").upper().startswith("CREATE VIRTUAL")]
    skipped = set(record_tables()) | _SKIPPED
    return [
        name
        for name, _sql in rows
        if name not in skipped
        and not name.startswith("sqlite_")
        and not any(name == v or name.startswith(f"{v}_") for v in virtual)
    ]


def _common_columns(conn: sqlite3.Connection, table: str) -> str:
    mine = [row[1] for row in conn.execute(f'PRAGMA main.table_info("{table}")')]
    theirs = {row[1] for row in conn.execute(f'PRAGMA live.table_info("{table}")')}
    return ", ".join(f'"{c}"' for c in mine if c in theirs)
