"""Schema objects that live outside the ORM metadata (made by migrations with raw SQL)."""

from __future__ import annotations

from typing import Any

# Tables Alembic's autogenerate must not treat as strays. Shadow tables of FTS5 indexes are
# matched by prefix.
EXTERNAL_TABLE_PREFIXES: tuple[str, ...] = ("alembic_version", "case_search", "knowledge_search")


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    if type_ == "table" and reflected and compare_to is None and name:
        return not name.startswith(EXTERNAL_TABLE_PREFIXES)
    return True
