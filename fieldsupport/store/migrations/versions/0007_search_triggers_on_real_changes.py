"""search triggers only on real changes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 13:50:00

The case search index's update triggers (0003) fired whenever a searched column was *named*
in an UPDATE, and sync's upserts name every column: a pulled case whose status changed
rebuilt its search entry, and a pulled customer or site with the same name rebuilt the
entries of all its cases. They now fire only when a searched value really changed.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The text of one case as the index holds it, as in 0003 (a migration is a snapshot: it
# does not import another one, which the bundle may not be able to import by name).
_ROW = """
    SELECT c.rowid, c.case_number,
           coalesce((SELECT name FROM customers WHERE id = c.customer_id), ''),
           coalesce((SELECT name FROM sites WHERE id = c.site_id), ''),
           c.title, coalesce(c.description, ''),
           coalesce((SELECT group_concat(body, ' ') FROM case_events e
                     WHERE e.case_id = c.id AND e.deleted_at IS NULL
                       AND e.kind IN ('note', 'call', 'email')), '')
    FROM cases c WHERE {where} AND c.deleted_at IS NULL
"""
_INSERT = (
    "INSERT INTO case_search(rowid, case_number, customer, site, title, description, notes) " + _ROW
)


def _changed(*columns: str) -> str:
    return " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in columns)


_CASE_COLUMNS = ("case_number", "customer_id", "site_id", "title", "description", "deleted_at")


def _triggers(only_on_change: bool) -> dict[str, str]:
    def when(condition: str, *, joined: str = "WHEN") -> str:
        return f"{joined} {condition}" if only_on_change else ""

    return {
        "case_search_case_update": f"""
    CREATE TRIGGER case_search_case_update
    AFTER UPDATE OF {", ".join(_CASE_COLUMNS)} ON cases
    {when(_changed(*_CASE_COLUMNS))}
    BEGIN
        DELETE FROM case_search WHERE rowid = OLD.rowid;
        {_INSERT.format(where="c.rowid = NEW.rowid")};
    END
    """,
        "case_search_event_update": f"""
    CREATE TRIGGER case_search_event_update AFTER UPDATE OF deleted_at ON case_events
    WHEN NEW.kind IN ('note', 'call', 'email') {when(f"AND ({_changed('deleted_at')})", joined="")}
    BEGIN
        DELETE FROM case_search WHERE rowid = (SELECT rowid FROM cases WHERE id = NEW.case_id);
        {_INSERT.format(where="c.id = NEW.case_id")};
    END
    """,
        "case_search_customer_update": f"""
    CREATE TRIGGER case_search_customer_update AFTER UPDATE OF name ON customers
    {when(_changed("name"))} BEGIN
        DELETE FROM case_search
        WHERE rowid IN (SELECT rowid FROM cases WHERE customer_id = NEW.id);
        {_INSERT.format(where="c.customer_id = NEW.id")};
    END
    """,
        "case_search_site_update": f"""
    CREATE TRIGGER case_search_site_update AFTER UPDATE OF name ON sites
    {when(_changed("name"))} BEGIN
        DELETE FROM case_search WHERE rowid IN (SELECT rowid FROM cases WHERE site_id = NEW.id);
        {_INSERT.format(where="c.site_id = NEW.id")};
    END
    """,
    }


def upgrade() -> None:
    _replace(_triggers(only_on_change=True))


def downgrade() -> None:
    _replace(_triggers(only_on_change=False))


def _replace(triggers: dict[str, str]) -> None:
    for name, statement in triggers.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)
