"""The central database's schema version: created, brought up to date, or refused.

Every server start calls :func:`prepare_schema`. New tables come from the metadata
(``create_all`` adds what is missing); anything ``create_all`` cannot do (a new column, a
changed index, a data fix) is an upgrade step in :data:`UPGRADES`, run once, in order, in the
same transaction that stamps the new version. A database stamped with a version this server
does not know was written by a newer FieldSupport: it is refused with a clear message and
left untouched, never "migrated" backwards.

Several server processes may start on one PostgreSQL database at once: the whole preparation
runs under a transaction-scoped advisory lock, so one of them creates and upgrades and the
others find the work done.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import Connection, Engine, insert, select, text, update
from sqlalchemy.exc import OperationalError

from fieldsupport.central import storage as t
from fieldsupport.central import totals
from fieldsupport.errors import FieldSupportError

# 1: the schema before versions were stamped; 2: report summaries for the back-office inbox;
# 3: the covering index of the sync checkpoint; 4: record totals kept by triggers
SCHEMA_VERSION = 4
VERSION_KEY = "schema_version"
# any 64-bit number no other application on the database uses for its advisory locks
_PG_LOCK = 0x46534345_4E545241  # "FSCENTRA"
_SQLITE_ATTEMPTS = 40  # about 40 s of waiting in all

# version n -> the step from n to n + 1 (run after create_all, so new tables exist)
UPGRADES: dict[int, Callable[[Connection], None]] = {
    1: lambda _conn: None,  # report_summaries is a new table: create_all made it
    2: lambda conn: _create_index(conn, "ix_records_checkpoint"),
    3: totals.install,  # the table is new (create_all made it): triggers, then the count
}


def _create_index(conn: Connection, name: str) -> None:
    """An index added to an existing table (``create_all`` makes only missing tables)."""
    index = next(i for i in t.records.indexes if i.name == name)
    index.create(conn, checkfirst=True)


class NewerSchema(FieldSupportError):
    """The database was written by a newer version of the server."""


def prepare_schema(engine: Engine) -> int:
    """Create or upgrade the server's tables; returns the schema version now in force."""
    for attempt in range(_SQLITE_ATTEMPTS):
        try:
            return _prepare(engine)
        except OperationalError as exc:
            # SQLite: a transaction that read before it wrote cannot wait for another
            # server's preparation to commit; it is rolled back whole, so try again (the
            # other server's work is then found done)
            locked = engine.dialect.name == "sqlite" and "locked" in str(exc.orig)
            if not locked or attempt == _SQLITE_ATTEMPTS - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _prepare(engine: Engine) -> int:
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK})
        found = _stamped(conn) if conn.dialect.has_table(conn, t.counters.name) else None
        if found is not None and found > SCHEMA_VERSION:
            raise NewerSchema(
                f"This central database was written by a newer FieldSupport server (schema "
                f"{found}; this server knows up to {SCHEMA_VERSION}). Update the server; the "
                "database was not changed."
            )
        fresh = not conn.dialect.has_table(conn, t.records.name)
        t.metadata.create_all(conn)
        if not conn.execute(
            select(t.counters.c.value).where(t.counters.c.name == "change")
        ).first():
            conn.execute(insert(t.counters).values(name="change", value=0))
        version = SCHEMA_VERSION if fresh else (found or 1)
        if fresh:
            totals.install(conn)  # what create_all cannot make
        while version < SCHEMA_VERSION:
            UPGRADES[version](conn)
            version += 1
        _stamp(conn, version, exists=found is not None)
    return version


def _stamped(conn: Connection) -> int | None:
    value = conn.execute(
        select(t.counters.c.value).where(t.counters.c.name == VERSION_KEY)
    ).scalar_one_or_none()
    return None if value is None else int(value)


def _stamp(conn: Connection, version: int, *, exists: bool) -> None:
    if exists:
        conn.execute(
            update(t.counters).where(t.counters.c.name == VERSION_KEY).values(value=version)
        )
    else:
        conn.execute(insert(t.counters).values(name=VERSION_KEY, value=version))
