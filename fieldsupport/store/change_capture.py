"""Automatic change capture at flush time.

Every UI action or service that edits a syncable record goes through a session flush; the
bookkeeping the sync layer relies on happens here, so nobody has to remember it:

* a changed syncable row gets ``version += 1`` and a fresh ``updated_at``;
* syncable rows cannot be hard-deleted (use a tombstone: ``deleted_at``);
* append-only rows (timeline events, time entries, measurements) cannot be edited.

Bulk Core statements (demo data, sync pulls) bypass the ORM; they set these columns
themselves.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import Session, sessionmaker

from fieldsupport.errors import ValidationError
from fieldsupport.models.base import AppendOnly, SyncMixin, utcnow


def _changed_attributes(obj: Any) -> set[str]:
    state = inspect(obj)
    return {attr.key for attr in state.attrs if attr.history.has_changes()}


def _before_flush(session: Session, _flush_context: Any, _instances: Any) -> None:
    for obj in session.deleted:
        if isinstance(obj, SyncMixin):
            raise ValidationError(
                f"{type(obj).__name__} records are never deleted outright; they are marked "
                "deleted so the deletion can sync."
            )
    now = utcnow()
    for obj in session.dirty:
        if not isinstance(obj, SyncMixin) or not session.is_modified(obj):
            continue
        changed = _changed_attributes(obj)
        if isinstance(obj, AppendOnly):
            forbidden = changed - obj.mutable_attributes
            if forbidden:
                raise ValidationError(
                    f"{type(obj).__name__} entries cannot be edited once recorded "
                    f"(tried to change {', '.join(sorted(forbidden))}); add a new entry instead."
                )
        if changed - {"version", "updated_at"}:
            obj.version = (obj.version or 0) + 1
            obj.updated_at = now


def install_change_capture(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _before_flush)
