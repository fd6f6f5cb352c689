"""What a photo belongs to and how its rows read: owners (a case, a visit or one assist
record), the gallery's view of a photo, and the row queries the photo operations share.

A photo drawn on is *one* photo: the original attachment plus an annotated copy
(``derived_from_id`` = the original) that stands in for it. The helpers here find the
original behind any id, the copy in front of it, and the "family" an edit applies to.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from fieldsupport.errors import ValidationError
from fieldsupport.models import (
    ApplicationRecord,
    Attachment,
    Case,
    Claim,
    CustomSolution,
    RecallAction,
    TrainingSession,
    Visit,
)
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.models.media import ATTACHMENT_OWNERS
from fieldsupport.models.sync import OutboxOp, OutboxState
from fieldsupport.services.records import get_live


@dataclass(frozen=True)
class PhotoOwner:
    """Where photos are attached: a case (optionally one of its visits), or one record of
    an assist process. ``PhotoService.resolve_owner`` fills in the case and visit of a record,
    so a claim's evidence photos also show in its case's gallery."""

    case_id: str | None = None
    visit_id: str | None = None
    application_record_id: str | None = None
    claim_id: str | None = None
    recall_action_id: str | None = None
    training_session_id: str | None = None
    solution_id: str | None = None

    def columns(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in ATTACHMENT_OWNERS}

    @property
    def record(self) -> tuple[str, str] | None:
        """(column, id) of the assist record, when the owner is one."""
        found = [(c, getattr(self, c)) for c in RECORD_OWNERS if getattr(self, c) is not None]
        if len(found) > 1:
            raise ValidationError("A photo belongs to one record at a time.")
        return found[0] if found else None

    @property
    def scope(self) -> tuple[str, str]:
        """The column and id whose photos a gallery of this owner shows."""
        record = self.record
        if record is not None:
            return record
        if self.visit_id is not None:
            return "visit_id", self.visit_id
        if self.case_id is not None:
            return "case_id", self.case_id
        raise ValidationError("Choose what the photos belong to (a case, visit or record).")


# Assist records photos can belong to, with the model and the word used in messages.
RECORD_OWNERS: dict[str, tuple[type[Any], str]] = {
    "application_record_id": (ApplicationRecord, "application record"),
    "claim_id": (Claim, "claim"),
    "recall_action_id": (RecallAction, "recall action"),
    "training_session_id": (TrainingSession, "training session"),
    "solution_id": (CustomSolution, "custom solution"),
}


@dataclass(frozen=True)
class PhotoView:
    """One photo of a gallery. ``id`` is always the original's; when the photo was drawn on,
    ``annotation_id``/``annotated_sha256``/``marks`` describe the annotated copy shown in its
    place (``display_sha256``)."""

    id: str
    sha256: str
    filename: str | None
    media_type: str
    width: int | None
    height: int | None
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None
    caption: str | None
    position: int
    visit_id: str | None
    before_after: BeforeAfter | None = None
    pair_id: str | None = None
    annotation_id: str | None = None
    annotated_sha256: str | None = None
    marks: tuple[dict[str, Any], ...] = ()
    deleted_at: datetime | None = None

    @property
    def display_sha256(self) -> str:
        return self.annotated_sha256 or self.sha256


def view_of(original: Attachment, annotated: Attachment | None) -> PhotoView:
    return PhotoView(
        original.id,
        original.sha256,
        original.filename,
        original.media_type,
        original.width,
        original.height,
        original.taken_at,
        original.latitude,
        original.longitude,
        original.caption,
        original.position,
        original.visit_id,
        original.before_after,
        original.pair_id,
        annotated.id if annotated else None,
        annotated.sha256 if annotated else None,
        tuple(annotated.annotations or ()) if annotated else (),
        original.deleted_at,
    )


def group(rows: Sequence[Attachment]) -> list[PhotoView]:
    """Originals in order, each with its annotated copy (if it has a live one)."""
    copies: dict[str, Attachment] = {}
    for row in rows:
        if row.derived_from_id is not None:
            current = copies.get(row.derived_from_id)
            if current is None or row.updated_at > current.updated_at:
                copies[row.derived_from_id] = row
    return [view_of(row, copies.get(row.id)) for row in rows if row.derived_from_id is None]


def new_pair_id() -> str:
    return str(uuid.uuid4())


def is_photo() -> ColumnElement[bool]:
    """Rows that are photos: every attachment except a custom solution's files (a data
    sheet, a drawing, a spreadsheet: ``services.solution_files``). Those are attached as
    they are, so they have no pixel size; every photo has one (the photo pipeline reads it,
    an annotated copy is rendered at one)."""
    return or_(Attachment.solution_id.is_(None), Attachment.width.is_not(None))


# -- owners ---------------------------------------------------------------------------------
def resolved_owner(session: Session, owner: PhotoOwner) -> PhotoOwner:
    """The owner with the case and visit of its record filled in; refuses owners that do not
    exist, are deleted or do not belong together."""
    values = owner.columns()
    record = owner.record
    if record is not None:
        column, record_id = record
        model, word = RECORD_OWNERS[column]
        row = get_live(session, model, record_id, word)
        if model is CustomSolution:
            check_solution_editable(session, record_id)
        for parent in ("case_id", "visit_id"):
            own = getattr(row, parent, None)
            if values[parent] is not None and own is not None and values[parent] != own:
                raise ValidationError(f"That {word} belongs to another {parent[:-3]}.")
            values[parent] = values[parent] or own
    if values["visit_id"] is not None:
        visit = get_live(session, Visit, values["visit_id"], "visit")
        if values["case_id"] is not None and visit.case_id != values["case_id"]:
            raise ValidationError("That visit belongs to another case.")
        values["case_id"] = visit.case_id
    if values["case_id"] is not None:
        get_live(session, Case, values["case_id"], "case")
    resolved = PhotoOwner(**values)
    resolved.scope  # noqa: B018 - refuses an owner with nothing set
    return resolved


def next_position(session: Session, owner: PhotoOwner) -> int:
    column, value = ("case_id", owner.case_id) if owner.case_id else owner.scope
    position = session.scalar(
        select(func.coalesce(func.max(Attachment.position), 0)).where(
            getattr(Attachment, column) == value
        )
    )
    return int(position or 0) + 1


def check_solution_editable(session: Session, solution_id: str) -> None:
    """A released version's photos never change, as the rest of it (a new version does)."""
    from fieldsupport.services.solutions import SolutionService

    SolutionService._editable(session, solution_id)


def check_owner_editable(session: Session, original: Attachment) -> None:
    if original.solution_id is not None:
        check_solution_editable(session, original.solution_id)


# -- rows -----------------------------------------------------------------------------------
def original_of(session: Session, photo_id: str) -> Attachment:
    """The live original of a photo (an annotated copy's id leads to its original)."""
    row = get_live(session, Attachment, photo_id, "photo")
    if row.derived_from_id is not None:
        row = get_live(session, Attachment, row.derived_from_id, "photo")
    return row


def editable(session: Session, photo_id: str) -> Attachment:
    original = original_of(session, photo_id)
    check_owner_editable(session, original)
    return original


def annotated_copy(
    session: Session, original: Attachment, *, deleted: bool = False
) -> Attachment | None:
    """The live annotated copy (or, for a deleted photo, the one deleted with it)."""
    condition = (
        Attachment.deleted_at == original.deleted_at if deleted else Attachment.deleted_at.is_(None)
    )
    return session.scalar(
        select(Attachment)
        .where(Attachment.derived_from_id == original.id, condition)
        .order_by(Attachment.updated_at.desc())
        .limit(1)
    )


def family(session: Session, original: Attachment) -> list[Attachment]:
    """The original and its live annotated copies: what a gallery edit applies to."""
    copies = session.scalars(
        select(Attachment).where(
            Attachment.derived_from_id == original.id, Attachment.deleted_at.is_(None)
        )
    ).all()
    return [original, *copies]


def deletion_unsynced(session: Session, photo_ids: Sequence[str]) -> set[str]:
    """Which of these deleted photos' deletion has not left the device yet (its operation
    waits in the sync outbox): those can still be restored. Once the server has a deletion
    it is final - the server purges the tombstone when every device has seen it, after
    which a restore could only be refused - and a deletion that came from the server was
    another device's."""
    if not photo_ids:
        return set()
    rows = session.execute(
        select(OutboxOp.record_id, OutboxOp.payload).where(
            OutboxOp.record_type == Attachment.__tablename__,
            OutboxOp.record_id.in_(photo_ids),
            OutboxOp.state == OutboxState.PENDING,
        )
    ).all()
    return {record_id for record_id, payload in rows if (payload or {}).get("deleted_at")}


def leave_pair(session: Session, original: Attachment) -> None:
    if original.pair_id is None:
        return
    for row in session.scalars(
        select(Attachment).where(Attachment.pair_id == original.pair_id)
    ).all():
        row.pair_id = None


def owners_key(row: Attachment) -> tuple[str | None, ...]:
    return tuple(getattr(row, c) for c in ATTACHMENT_OWNERS)
