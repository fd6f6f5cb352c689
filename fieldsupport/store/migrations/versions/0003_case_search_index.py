"""case search index

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 04:00:00

Full-text search over cases (SQLite FTS5): case number, customer, site, title, description
and the text of notes, calls and e-mails. The index is a table of its own, keyed by the
case's rowid, and kept up to date by triggers, so every writer (the app, bulk loads, sync)
keeps it right without remembering to. ``remove_diacritics 2`` lets "ceska" find "Česká"
(letters of their own, like Polish "ł", stay distinct).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The text of one case as the index holds it (used by the triggers with NEW / a case row).
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

STATEMENTS = [
    """
    CREATE VIRTUAL TABLE case_search USING fts5(
        case_number, customer, site, title, description, notes,
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER case_search_case_insert AFTER INSERT ON cases BEGIN
        {_INSERT.format(where="c.rowid = NEW.rowid")};
    END
    """,
    f"""
    CREATE TRIGGER case_search_case_update
    AFTER UPDATE OF case_number, customer_id, site_id, title, description, deleted_at ON cases
    BEGIN
        DELETE FROM case_search WHERE rowid = OLD.rowid;
        {_INSERT.format(where="c.rowid = NEW.rowid")};
    END
    """,
    """
    CREATE TRIGGER case_search_case_delete AFTER DELETE ON cases BEGIN
        DELETE FROM case_search WHERE rowid = OLD.rowid;
    END
    """,
    f"""
    CREATE TRIGGER case_search_event_insert AFTER INSERT ON case_events
    WHEN NEW.kind IN ('note', 'call', 'email') BEGIN
        DELETE FROM case_search WHERE rowid = (SELECT rowid FROM cases WHERE id = NEW.case_id);
        {_INSERT.format(where="c.id = NEW.case_id")};
    END
    """,
    f"""
    CREATE TRIGGER case_search_event_update AFTER UPDATE OF deleted_at ON case_events
    WHEN NEW.kind IN ('note', 'call', 'email') BEGIN
        DELETE FROM case_search WHERE rowid = (SELECT rowid FROM cases WHERE id = NEW.case_id);
        {_INSERT.format(where="c.id = NEW.case_id")};
    END
    """,
    f"""
    CREATE TRIGGER case_search_customer_update AFTER UPDATE OF name ON customers BEGIN
        DELETE FROM case_search
        WHERE rowid IN (SELECT rowid FROM cases WHERE customer_id = NEW.id);
        {_INSERT.format(where="c.customer_id = NEW.id")};
    END
    """,
    f"""
    CREATE TRIGGER case_search_site_update AFTER UPDATE OF name ON sites BEGIN
        DELETE FROM case_search WHERE rowid IN (SELECT rowid FROM cases WHERE site_id = NEW.id);
        {_INSERT.format(where="c.site_id = NEW.id")};
    END
    """,
    # cases that exist already (an upgraded workspace)
    _INSERT.format(where="1 = 1"),
]

TRIGGERS = [
    "case_search_case_insert",
    "case_search_case_update",
    "case_search_case_delete",
    "case_search_event_insert",
    "case_search_event_update",
    "case_search_customer_update",
    "case_search_site_update",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS case_search")
