"""The search indexes (SQLite FTS5): cases (migration 0003) and knowledge articles (0004).

Triggers keep it current for ordinary writes; after a bulk load that suspended them
(:func:`fieldsupport.store.bulk.bulk_load`) :func:`rebuild` fills it in one statement.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.orm import Session

_REBUILD = """
INSERT INTO case_search(rowid, case_number, customer, site, title, description, notes)
SELECT c.rowid, c.case_number, coalesce(cu.name, ''), coalesce(s.name, ''), c.title,
       coalesce(c.description, ''), coalesce(n.notes, '')
FROM cases c
LEFT JOIN customers cu ON cu.id = c.customer_id
LEFT JOIN sites s ON s.id = c.site_id
LEFT JOIN (
    SELECT case_id, group_concat(body, ' ') AS notes FROM case_events
    WHERE deleted_at IS NULL AND kind IN ('note', 'call', 'email')
    GROUP BY case_id
) n ON n.case_id = c.id
WHERE c.deleted_at IS NULL
"""


_REBUILD_KNOWLEDGE = """
INSERT INTO knowledge_search(rowid, title, body, tags)
SELECT rowid, title, body, coalesce(tags, '') FROM knowledge_articles
WHERE deleted_at IS NULL AND status != 'archived'
"""


def rebuild(session: Session) -> None:
    """Recreate both indexes from their tables (in the caller's transaction)."""
    rebuild_on(session.connection())


def rebuild_on(connection: Connection) -> None:
    """:func:`rebuild` on a Core connection (the sync pull's)."""
    connection.exec_driver_sql("DELETE FROM case_search")
    connection.exec_driver_sql(_REBUILD)
    connection.exec_driver_sql("DELETE FROM knowledge_search")
    connection.exec_driver_sql(_REBUILD_KNOWLEDGE)
