"""Per-type totals of the live records (count and hash sum), kept by the database itself.

The checkpoint (docs/sync-protocol.md, section 6) compares, per record type, the number of
live records and the sum of their ``row_hash``. For a caller who sees everything (back
office, admin) that was an aggregate over every record, 0.2-0.3 s for a million of them, on
every check after a sync that sent or received anything. Triggers on ``records`` keep the
same figures in ``record_totals`` in the writing transaction, whatever writes (push, a case
re-stamped, back-office decisions, seeding, purging), so the checkpoint reads a few rows at
the same snapshot as the change counter. Callers with a restricted scope still aggregate
their own records (an index covers that query).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from fieldsupport.central import storage as t

_SQLITE_TRIGGERS = (
    """
    CREATE TRIGGER IF NOT EXISTS records_totals_insert AFTER INSERT ON records
    WHEN NOT NEW.deleted
    BEGIN
        INSERT INTO record_totals (record_type, live_count, hash_sum)
        VALUES (NEW.record_type, 1, NEW.row_hash)
        ON CONFLICT (record_type) DO UPDATE SET
            live_count = live_count + 1, hash_sum = hash_sum + excluded.hash_sum;
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS records_totals_update
    AFTER UPDATE OF record_type, deleted, row_hash ON records
    BEGIN
        UPDATE record_totals SET live_count = live_count - 1, hash_sum = hash_sum - OLD.row_hash
        WHERE record_type = OLD.record_type AND NOT OLD.deleted;
        INSERT INTO record_totals (record_type, live_count, hash_sum)
        SELECT NEW.record_type, 1, NEW.row_hash WHERE NOT NEW.deleted
        ON CONFLICT (record_type) DO UPDATE SET
            live_count = live_count + 1, hash_sum = hash_sum + excluded.hash_sum;
    END
    """,
    """
    CREATE TRIGGER IF NOT EXISTS records_totals_delete AFTER DELETE ON records
    WHEN NOT OLD.deleted
    BEGIN
        UPDATE record_totals SET live_count = live_count - 1, hash_sum = hash_sum - OLD.row_hash
        WHERE record_type = OLD.record_type;
    END
    """,
)

_POSTGRES_FUNCTION = """
CREATE OR REPLACE FUNCTION fieldsupport_record_totals() RETURNS trigger AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.deleted THEN
        UPDATE record_totals SET live_count = live_count - 1, hash_sum = hash_sum - OLD.row_hash
        WHERE record_type = OLD.record_type;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NOT NEW.deleted THEN
        INSERT INTO record_totals AS totals (record_type, live_count, hash_sum)
        VALUES (NEW.record_type, 1, NEW.row_hash)
        ON CONFLICT (record_type) DO UPDATE SET
            live_count = totals.live_count + 1, hash_sum = totals.hash_sum + EXCLUDED.hash_sum;
    END IF;
    RETURN NULL;
END
$$ LANGUAGE plpgsql
"""
_POSTGRES_TRIGGER = """
CREATE OR REPLACE TRIGGER records_totals
AFTER INSERT OR UPDATE OF record_type, deleted, row_hash OR DELETE ON records
FOR EACH ROW EXECUTE FUNCTION fieldsupport_record_totals()
"""


def install(conn: Connection) -> None:
    """Create the triggers (if missing) and count what the table already holds, in the
    caller's transaction (the schema preparation's, under its lock)."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(_POSTGRES_FUNCTION)
        conn.exec_driver_sql(_POSTGRES_TRIGGER)
    else:
        for statement in _SQLITE_TRIGGERS:
            conn.exec_driver_sql(statement)
    recount(conn)


def recount(conn: Connection) -> None:
    """Set the totals from the records themselves."""
    r = t.records.c
    conn.execute(delete(t.record_totals))
    rows = conn.execute(
        select(r.record_type, func.count(), func.sum(r.row_hash))
        .where(r.deleted.is_(False))
        .group_by(r.record_type)
    ).all()
    if rows:
        conn.execute(
            insert(t.record_totals),
            [{"record_type": k, "live_count": n, "hash_sum": int(h or 0)} for k, n, h in rows],
        )


def read(conn: Connection) -> dict[str, dict[str, Any]]:
    """The checkpoint's figures of every type with live records."""
    c = t.record_totals.c
    rows = conn.execute(
        select(c.record_type, c.live_count, c.hash_sum).where(c.live_count > 0)
    ).all()
    return {name: {"count": int(n), "hash": int(h)} for name, n, h in rows}
