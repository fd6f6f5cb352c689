"""knowledge search index

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 05:00:00

Full-text search over knowledge articles (SQLite FTS5): title, body and tags, keyed by the
article's rowid and kept current by triggers like the case index of 0003. Archived and
deleted articles stay out of the index.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INSERT = """
    INSERT INTO knowledge_search(rowid, title, body, tags)
    SELECT a.rowid, a.title, a.body, coalesce(a.tags, '')
    FROM knowledge_articles a
    WHERE {where} AND a.deleted_at IS NULL AND a.status != 'archived'
"""

STATEMENTS = [
    """
    CREATE VIRTUAL TABLE knowledge_search USING fts5(
        title, body, tags,
        tokenize = 'unicode61 remove_diacritics 2'
    )
    """,
    f"""
    CREATE TRIGGER knowledge_search_insert AFTER INSERT ON knowledge_articles BEGIN
        {_INSERT.format(where="a.rowid = NEW.rowid")};
    END
    """,
    f"""
    CREATE TRIGGER knowledge_search_update
    AFTER UPDATE OF title, body, tags, status, deleted_at ON knowledge_articles BEGIN
        DELETE FROM knowledge_search WHERE rowid = OLD.rowid;
        {_INSERT.format(where="a.rowid = NEW.rowid")};
    END
    """,
    """
    CREATE TRIGGER knowledge_search_delete AFTER DELETE ON knowledge_articles BEGIN
        DELETE FROM knowledge_search WHERE rowid = OLD.rowid;
    END
    """,
    # articles that exist already (an upgraded workspace)
    _INSERT.format(where="1 = 1"),
]

TRIGGERS = ["knowledge_search_insert", "knowledge_search_update", "knowledge_search_delete"]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement)


def downgrade() -> None:
    for trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS knowledge_search")
