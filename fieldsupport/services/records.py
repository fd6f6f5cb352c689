"""Loading records inside a service transaction, with readable not-found errors."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.models import User

T = TypeVar("T")


def get_live(session: Session, model: type[T], record_id: str | None, label: str) -> T:
    """The record with that id, unless it is missing or tombstoned."""
    record: Any = session.get(model, record_id) if record_id else None
    if record is None or record.deleted_at is not None:
        raise NotFoundError(f"That {label} does not exist (or was deleted).")
    return record  # type: ignore[no-any-return]


def resolve_user(session: Session, ref: str) -> User:
    """A user by id or by user name."""
    user = session.get(User, ref) or session.scalar(select(User).where(User.username == ref))
    if user is None or user.deleted_at is not None:
        raise ValidationError(f"There is no user {ref!r}.", field="assignee")
    return user
