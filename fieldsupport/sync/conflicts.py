"""What sync left for a person to decide: conflicts and refused changes.

A conflict record (docs/sync-protocol.md, section 7) holds the value the server kept and the
other device's value. Deciding it on this device writes, in one transaction, the chosen
value to the record (an ordinary change, captured into the outbox and conflict-checked by
the server like any other) and a ``resolve`` operation for the conflict record. A refused
(rejected) change stays in the outbox with its reason and payload until the user dismisses
it, so nothing the user typed disappears without them seeing it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from fieldsupport.errors import ValidationError
from fieldsupport.models.base import utcnow
from fieldsupport.models.sync import OutboxOp, OutboxState, SyncConflict
from fieldsupport.sync import wire
from fieldsupport.workspace import Workspace


class Resolution(StrEnum):
    KEEP_SERVER = "kept"  # the value the server kept stays
    TAKE_OTHER = "other"  # the other device's value wins after all
    MERGED = "merged"  # a value written by the person deciding


@dataclass(frozen=True)
class ConflictView:
    id: str
    record_type: str
    record_id: str
    record_label: str
    field: str
    kept_value: Any
    kept_is_mine: bool
    other_value: Any
    other_is_mine: bool
    other_username: str | None
    decided: str | None  # a local decision not yet confirmed by the server


@dataclass(frozen=True)
class RefusedChange:
    seq: int
    record_type: str
    record_id: str
    record_label: str
    field: str | None
    reason: str
    values: dict[str, Any]
    made_at: datetime


def _type_label(record_type: str) -> str:
    return record_type.replace("_", " ").removesuffix("s")


class SyncDecisions:
    """Lists and decides conflicts and refused changes of one workspace."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace

    # -- conflicts --------------------------------------------------------------------------------
    def open_conflicts(self) -> list[ConflictView]:
        me = self.workspace.device_id
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(SyncConflict)
                .where(SyncConflict.status == "open", SyncConflict.deleted_at.is_(None))
                .order_by(SyncConflict.record_type, SyncConflict.record_id, SyncConflict.field)
            ).all()
            return [
                ConflictView(
                    id=row.id,
                    record_type=row.record_type,
                    record_id=row.record_id,
                    record_label=self._label(session, row.record_type, row.record_id),
                    field=row.field,
                    kept_value=row.data.get("kept_value"),
                    kept_is_mine=row.data.get("kept_device_id") == me,
                    other_value=row.data.get("other_value"),
                    other_is_mine=row.data.get("other_device_id") == me,
                    other_username=row.data.get("other_username"),
                    decided=row.local_resolution,
                )
                for row in rows
            ]

    def decide(self, conflict_id: str, resolution: Resolution, merged: Any = None) -> None:
        """Record a decision; ``merged`` is the value (as text/number like the field) for
        :attr:`Resolution.MERGED`. Sent with the next sync; the first decision to reach the
        server stands."""
        with self.workspace.transaction() as session:
            conflict = session.get(SyncConflict, conflict_id)
            if conflict is None or conflict.status != "open":
                raise ValidationError("This conflict has already been decided.")
            if conflict.local_resolution is not None:
                raise ValidationError(
                    "This conflict has already been decided on this device; the decision is "
                    "sent with the next sync."
                )
            rtype = wire.record_type(conflict.record_type)
            if rtype is None or conflict.field not in rtype.fields:
                raise ValidationError(
                    f"{conflict.record_type}.{conflict.field} is not a field this version of "
                    "FieldSupport knows; please update."
                )
            spec = rtype.fields[conflict.field]
            if resolution is Resolution.TAKE_OTHER:
                value = conflict.data.get("other_value")
            elif resolution is Resolution.MERGED:
                value = _checked(spec, merged)
            else:
                value = None
            if resolution is not Resolution.KEEP_SERVER:
                record = session.get(rtype.model, conflict.record_id)
                if record is None:
                    raise ValidationError(
                        f"The {_type_label(conflict.record_type)} this conflict is about is not "
                        "on this device; sync first."
                    )
                column = rtype.table.columns[conflict.field]
                setattr(record, conflict.field, _python_value(column, spec, value))
                session.flush()  # the value's own operation takes the lower sequence number
            session.add(
                OutboxOp(
                    op_id=str(uuid.uuid4()),
                    kind="resolve",
                    record_type=wire.CONFLICTS_TYPE,
                    record_id=conflict.id,
                    base_version=conflict.version,
                    payload={"resolution": resolution.value},
                    state=OutboxState.PENDING,
                    created_at=utcnow(),
                )
            )
            conflict.local_resolution = resolution.value

    # -- refused changes --------------------------------------------------------------------------
    def refused_changes(self) -> list[RefusedChange]:
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(OutboxOp)
                .where(OutboxOp.state == OutboxState.REJECTED)
                .order_by(OutboxOp.seq)
            ).all()
            return [
                RefusedChange(
                    seq=row.seq,
                    record_type=row.record_type,
                    record_id=row.record_id,
                    record_label=self._label(session, row.record_type, row.record_id),
                    field=row.field,
                    reason=row.reason or "refused by the server",
                    values=dict(row.payload),
                    made_at=row.created_at,
                )
                for row in rows
            ]

    def dismiss(self, seq: int) -> None:
        """The user has seen a refused change (its values stay in the outbox table)."""
        with self.workspace.transaction() as session:
            done = session.execute(
                update(OutboxOp)
                .where(OutboxOp.seq == seq, OutboxOp.state == OutboxState.REJECTED)
                .values(state=OutboxState.DISMISSED)
            )
            if not done.rowcount:  # type: ignore[attr-defined]
                raise ValidationError("This refused change was already dismissed.")

    # -- labels -----------------------------------------------------------------------------------
    def _label(self, session: Any, record_type: str, record_id: str) -> str:
        """A name a person recognises: the record type and the case it belongs to."""
        what = _type_label(record_type)
        case_number = _case_number(session, record_type, record_id)
        if record_type == "cases" and case_number:
            return f"case {case_number}"
        if case_number:
            return f"{what} in case {case_number}"
        return f"{what} {record_id[:8]}"


def _case_number(session: Any, record_type: str, record_id: str, depth: int = 0) -> str | None:
    rtype = wire.record_type(record_type)
    if rtype is None or depth > 4:
        return None
    row = session.get(rtype.model, record_id)
    if row is None:
        return None
    if record_type == "cases":
        return str(row.case_number)
    for column, parent_type in wire.SCOPE_PARENTS.get(record_type, ()):
        parent_id = getattr(row, column, None)
        if parent_id:
            return _case_number(session, parent_type, parent_id, depth + 1)
    return None


def _checked(spec: wire.FieldSpec, value: Any) -> Any:
    """A merged value typed by the user, as the field's wire value."""
    if spec.kind in ("int", "float") and isinstance(value, str):
        try:
            value = int(value) if spec.kind == "int" else float(value.replace(",", "."))
        except ValueError:
            raise ValidationError(f"{spec.name} must be a number.", field=spec.name) from None
    if isinstance(value, str) and spec.kind in ("string", "text"):
        value = value.strip()
        if not value and spec.nullable:
            value = None
    try:
        return wire.check_value(spec, value)
    except wire.WireValueError as exc:
        raise ValidationError(str(exc), field=spec.name) from None


def _python_value(column: Any, spec: wire.FieldSpec, value: Any) -> Any:
    decoded = wire.decode_value(spec, value)
    enum_class = getattr(column.type, "enum_class", None)
    if decoded is not None and enum_class is not None:
        return enum_class(decoded)
    return decoded
