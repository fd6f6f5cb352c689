"""SQLAlchemy engine and session set-up for the workspace's SQLite file."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from fieldsupport.store.change_capture import install_change_capture

# How long a writer waits for another connection's write lock before failing. The GUI never
# waits on this (writes of size run in workers); it protects short overlapping writes.
BUSY_TIMEOUT_MS = 5_000


def _set_sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # WAL: readers never block the writer; NORMAL sync is durable across application
        # crashes (a power cut can lose the last transactions, never corrupt the file).
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA temp_store=MEMORY")
    finally:
        cursor.close()


def _set_readonly_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA query_only=ON")
    finally:
        cursor.close()


def make_engine(db_path: Path, *, read_only: bool = False) -> Engine:
    """Engine for a workspace database file with the house pragmas on every connection."""
    url = f"sqlite+pysqlite:///{db_path}"
    engine = create_engine(url, future=True)
    listener = _set_readonly_pragmas if read_only else _set_sqlite_pragmas
    event.listen(engine, "connect", listener)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, future=True)
    install_change_capture(factory)
    return factory
