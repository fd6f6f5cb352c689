"""Automatic change capture at flush time.

Every UI action or service that edits a syncable record goes through a session flush; the
bookkeeping the sync layer relies on happens here, so nobody has to remember it:

* a changed syncable row gets ``version += 1`` and a fresh ``updated_at``;
* syncable rows cannot be hard-deleted (use a tombstone: ``deleted_at``);
* append-only rows (timeline events, time entries, measurements) cannot be edited;
* every created or changed syncable row writes one operation into the sync outbox
  (``sync_outbox``), in the same transaction as the change itself, so a crash can never keep
  the change without its operation or the reverse (docs/sync-protocol.md, section 5).

Bulk Core statements (demo data, sync pulls) bypass the ORM; they set these columns
themselves and are not captured: pulled rows came from the server, and demo data is seeded
on the embedded server instead of being pushed.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session, sessionmaker

from fieldsupport.errors import ValidationError
from fieldsupport.models.base import AppendOnly, SyncMixin, utcnow
from fieldsupport.models.sync import OutboxOp, OutboxState, encode_value

# session.info key: set to False to write without capturing (nothing in the app does; tests
# of the sync layer use it to build server-side state through the models)
CAPTURE_KEY = "sync_capture"
# Not part of an operation's fields: the key, and the version the server allocates itself.
_NOT_SENT = frozenset({"id", "version"})


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


def _creation_op(obj: Any) -> dict[str, Any]:
    mapper = inspect(obj).mapper
    fields = {
        attr.key: encode_value(attr.columns[0], getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in _NOT_SENT
    }
    return _op(obj, 0, fields)


def _change_op(session: Session, obj: Any) -> dict[str, Any] | None:
    state = inspect(obj)
    fields: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in _NOT_SENT or not state.attrs[attr.key].history.has_changes():
            continue
        fields[attr.key] = encode_value(attr.columns[0], getattr(obj, attr.key))
    if not set(fields) - {"updated_at"}:
        return None
    return _op(obj, _base_version(session, obj), fields)


def _base_version(session: Session, obj: Any) -> int:
    """The server version the device had seen before this change: that of the first
    still-pending operation on the record, else the row's version before this flush (which
    equals the server's whenever nothing is pending, see sync.apply)."""
    outbox = OutboxOp.__table__
    pending = session.connection().execute(
        select(outbox.c.base_version)
        .where(
            outbox.c.record_type == obj.__tablename__,
            outbox.c.record_id == obj.id,
            outbox.c.state == OutboxState.PENDING,
        )
        .order_by(outbox.c.seq)
        .limit(1)
    )
    base = pending.scalar()
    if base is not None:
        return int(base)
    history = inspect(obj).attrs["version"].history
    if history.deleted:
        return int(history.deleted[0])
    return int(obj.version) - (1 if history.added else 0)


def _op(obj: Any, base: int, fields: dict[str, Any]) -> dict[str, Any]:
    return {
        "op_id": str(uuid.uuid4()),
        "kind": "upsert",
        "record_type": obj.__tablename__,
        "record_id": obj.id,
        "base_version": base,
        "payload": fields,
        "state": OutboxState.PENDING,
        "created_at": utcnow(),
    }


def _after_flush(session: Session, _flush_context: Any) -> None:
    # After the flush, new rows have their ids and column defaults; the history of changed
    # attributes is still there until the flush is finalised.
    if not session.info.get(CAPTURE_KEY, True):
        return
    ops: list[dict[str, Any]] = []
    for obj in session.new:
        if isinstance(obj, SyncMixin):
            ops.append(_creation_op(obj))
    for obj in session.dirty:
        if isinstance(obj, SyncMixin) and session.is_modified(obj):
            op = _change_op(session, obj)
            if op is not None:
                ops.append(op)
    if ops:
        session.connection().execute(insert(OutboxOp.__table__), ops)


def install_change_capture(factory: sessionmaker[Session]) -> None:
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
