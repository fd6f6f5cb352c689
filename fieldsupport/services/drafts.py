"""Drafts: text a person is typing that is not a record yet (a timeline note being written,
an intake form half filled). Kept in the workspace database as they type, so a crash or a
killed process loses at most the last autosave interval, and removed once the real record
is saved. Drafts are per device and never sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from fieldsupport.models.base import TEXT_LEN
from fieldsupport.models.settings import Setting
from fieldsupport.workspace import Workspace

_PREFIX = "draft/"


class DraftStore:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    def save(self, key: str, value: dict[str, Any] | str) -> None:
        """Keep ``value`` under ``key``; an empty value removes the draft."""
        if not value or (isinstance(value, dict) and not any(value.values())):
            self.discard(key)
            return
        if isinstance(value, str):
            value = value[:TEXT_LEN]
        self.workspace.set_setting(_PREFIX + key, value)

    def load(self, key: str) -> Any:
        return self.workspace.get_setting(_PREFIX + key)

    def discard(self, key: str) -> None:
        with self.workspace.transaction() as session:
            session.execute(delete(Setting).where(Setting.key == _PREFIX + key))

    def keys(self) -> list[str]:
        with self.workspace.transaction() as session:
            rows = session.scalars(select(Setting.key).where(Setting.key.startswith(_PREFIX)))
            return [key[len(_PREFIX) :] for key in rows]
