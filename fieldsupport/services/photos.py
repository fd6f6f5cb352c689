"""Photo import and the photos of a case, visit or assist record: order, captions,
before/after pairs, delete and restore, annotated copies, the copies that leave the device.

``import_photos`` is a job (a plain function taking a TaskState): each file is read once
(hashed while it is copied into the blob store), its upright report-size copy and thumbnail
are made, and its record is written in a transaction of its own, so a refused, vanished or
cancelled file never affects the others and nothing is left half-written.

A photo drawn on is *one* photo in the gallery: the original attachment, plus an annotated
copy (``derived_from_id`` = the original, same owners, the marks as JSON) that stands in for
it in the report. Captions, order and before/after apply to both; the original's bytes are
never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fieldsupport.errors import FieldSupportError, NotFoundError, ValidationError
from fieldsupport.media import annotate
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import Derived, ImageRefused, derive
from fieldsupport.media.privacy import without_gps
from fieldsupport.media.reading import (
    PHOTO_SUFFIXES,
    Deriver,
    FileResult,
    Outcome,
    expand,
    read_photo,
)
from fieldsupport.models import (
    ApplicationRecord,
    Attachment,
    Blob,
    Case,
    Claim,
    CustomSolution,
    RecallAction,
    TrainingSession,
    Visit,
    utcnow,
)
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.models.media import ATTACHMENT_OWNERS
from fieldsupport.services.records import get_live
from fieldsupport.services.validation import check_length, parse_enum
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace

# the import's parts that read files live in media.reading (worker processes import only
# that); they are part of this service's interface too
__all__ = [
    "PHOTO_SUFFIXES",
    "FileResult",
    "ImportCancelled",
    "ImportSummary",
    "Outcome",
    "PhotoOwner",
    "PhotoService",
    "PhotoView",
    "expand",
    "read_photo",
]

CAPTION_LEN = 1000  # the report shows the first 280 characters; the JSON carries all
# Workspace setting: strip GPS from the originals that leave the device (on unless a
# company's policy wants the positions on the server).
STRIP_GPS_SETTING = "privacy.strip_gps_outgoing"


@dataclass
class ImportSummary:
    results: list[FileResult] = field(default_factory=list)
    #: the import was cancelled after ``results`` (whole files only)
    cancelled: bool = False

    def count(self, outcome: Outcome) -> int:
        return sum(r.outcome is outcome for r in self.results)


class ImportCancelled(Cancelled):
    """Cancelled during an import; ``summary`` says what was done before the cancel."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__(
            f"Import cancelled: {summary.count(Outcome.IMPORTED)} photo(s) imported before it."
        )
        self.summary = summary


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


def _view(original: Attachment, annotated: Attachment | None) -> PhotoView:
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


class PhotoService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.blobs_dir)

    # -- owners -----------------------------------------------------------------------------
    def resolve_owner(self, owner: PhotoOwner) -> PhotoOwner:
        """The owner with the case and visit of its record filled in; refuses owners that
        do not exist, are deleted or do not belong together."""
        with self.workspace.transaction() as session:
            return _resolve_owner(session, owner)

    def check_owner(self, owner: PhotoOwner) -> None:
        self.resolve_owner(owner)

    # -- import -----------------------------------------------------------------------------
    def import_photos(
        self, owner: PhotoOwner, paths: Sequence[Path], state: TaskState | None = None
    ) -> ImportSummary:
        state = state or TaskState()
        owner = self.resolve_owner(owner)
        files = expand(paths)
        summary = ImportSummary()
        try:
            with Deriver(len(files)) as deriver:
                for index, (path, derived) in enumerate(deriver.run(files, state)):
                    state.progress(index / max(len(files), 1), path.name)
                    summary.results.append(self._import_one(owner, path, derived))
        except Cancelled:
            summary.cancelled = True
            raise ImportCancelled(summary) from None
        state.progress(1.0, "done")
        return summary

    def _import_one(
        self, owner: PhotoOwner, path: Path, derived: Derived | FileResult
    ) -> FileResult:
        if isinstance(derived, FileResult):
            return derived  # refused while reading it
        sha256: str | None = None
        recorded = False
        try:
            sha256 = self.store.put_file(path)
            self._write_copies(sha256, derived.report_jpeg, derived.thumbnail_jpeg)
            result = self._record(owner, path, sha256, derived)
            recorded = True
            return result
        except FileNotFoundError:
            return FileResult(path, Outcome.REFUSED, "the file disappeared during the import")
        except FieldSupportError as exc:
            return FileResult(path, Outcome.REFUSED, str(exc))
        except OSError as exc:
            return FileResult(path, Outcome.REFUSED, f"cannot read it ({exc.strerror or exc})")
        finally:
            if sha256 is not None and not recorded:
                self._drop_unreferenced(sha256)

    def _drop_unreferenced(self, sha256: str) -> None:
        """A blob stored for an import that then failed (full disk while writing its copies
        or its record) is removed again, unless some record uses it."""
        try:
            with self.workspace.transaction() as session:
                if session.get(Blob, sha256) is not None:
                    return
        except FieldSupportError:
            return  # cannot tell: keeping a whole file is safer than losing one
        for path in (
            self.store.original_path(sha256),
            self.store.report_copy_path(sha256),
            self.store.thumbnail_path(sha256),
        ):
            path.unlink(missing_ok=True)

    def _write_copies(self, sha256: str, report: bytes, thumbnail: bytes) -> None:
        for target, data in (
            (self.store.report_copy_path(sha256), report),
            (self.store.thumbnail_path(sha256), thumbnail),
        ):
            if not target.is_file():
                with self.store.atomic_writer(target) as out:
                    out.write(data)

    def _record(self, owner: PhotoOwner, path: Path, sha256: str, derived: Derived) -> FileResult:
        facts = derived.facts
        size = self.store.original_path(sha256).stat().st_size
        with self.workspace.transaction() as session:
            if session.get(Blob, sha256) is None:
                session.add(Blob(sha256=sha256, size_bytes=size, media_type=facts.media_type))
            same_owner = [
                getattr(Attachment, column).is_(None)
                if value is None
                else getattr(Attachment, column) == value
                for column, value in owner.columns().items()
            ]
            duplicate = session.scalar(
                select(Attachment.id).where(
                    Attachment.sha256 == sha256,
                    *same_owner,
                    Attachment.deleted_at.is_(None),
                )
            )
            if duplicate is not None:
                return FileResult(path, Outcome.DUPLICATE, "already attached here", duplicate)
            attachment = Attachment(
                sha256=sha256,
                media_type=facts.media_type,
                size_bytes=size,
                filename=path.name[:200],
                width=facts.width,
                height=facts.height,
                taken_at=facts.taken_at,
                latitude=facts.latitude,
                longitude=facts.longitude,
                position=_next_position(session, owner),
                **owner.columns(),
            )
            session.add(attachment)
            session.flush()
            return FileResult(path, Outcome.IMPORTED, attachment_id=attachment.id)

    # -- listing ----------------------------------------------------------------------------
    def photos_of(self, owner: PhotoOwner) -> list[PhotoView]:
        """The live photos of an owner in gallery order (a case: all of its photos, those of
        its visits and records included)."""
        column, value = owner.scope
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(Attachment)
                .where(getattr(Attachment, column) == value, Attachment.deleted_at.is_(None))
                .order_by(Attachment.position, Attachment.created_at, Attachment.id)
            ).all()
            return _group(rows)

    def photos_of_case(self, case_id: str, visit_id: str | None = None) -> list[PhotoView]:
        return self.photos_of(PhotoOwner(case_id, visit_id))

    def deleted_photos(self, owner: PhotoOwner) -> list[PhotoView]:
        """Deleted photos of an owner, most recently deleted first (they can be restored)."""
        column, value = owner.scope
        with self.workspace.transaction() as session:
            originals = session.scalars(
                select(Attachment)
                .where(
                    getattr(Attachment, column) == value,
                    Attachment.deleted_at.is_not(None),
                    Attachment.derived_from_id.is_(None),
                )
                .order_by(Attachment.deleted_at.desc(), Attachment.position)
            ).all()
            return [_view(a, _annotated_copy(session, a, deleted=True)) for a in originals]

    def photo(self, photo_id: str) -> PhotoView:
        with self.workspace.transaction() as session:
            original = _original(session, photo_id)
            return _view(original, _annotated_copy(session, original))

    # -- editing ----------------------------------------------------------------------------
    def set_caption(self, photo_id: str, caption: str | None) -> PhotoView:
        text = (caption or "").strip()
        check_length(text, "caption", CAPTION_LEN)
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            for row in _family(session, original):
                row.caption = text or None
            return _view(original, _annotated_copy(session, original))

    def reorder(self, ordered_ids: Sequence[str]) -> None:
        """Put these photos in this order among themselves; photos not named keep their
        places (reordering a visit's photos leaves the rest of the case's where they are)."""
        if len(set(ordered_ids)) != len(ordered_ids):
            raise ValidationError("A photo is named twice in the new order.")
        with self.workspace.transaction() as session:
            originals = [_editable(session, i) for i in ordered_ids]
            slots = sorted(a.position for a in originals)
            for index in range(1, len(slots)):  # equal positions (two devices) made distinct
                slots[index] = max(slots[index], slots[index - 1] + 1)
            for original, position in zip(originals, slots, strict=True):
                for row in _family(session, original):
                    if row.position != position:
                        row.position = position

    def move(self, owner: PhotoOwner, photo_id: str, offset: int) -> list[PhotoView]:
        """Move a photo ``offset`` places earlier (<0) or later (>0) in the owner's gallery."""
        ids = [p.id for p in self.photos_of(owner)]
        if photo_id not in ids:
            raise NotFoundError("That photo is not in this gallery (or was deleted).")
        index = ids.index(photo_id)
        target = min(max(index + offset, 0), len(ids) - 1)
        if target != index:
            ids.insert(target, ids.pop(index))
            self.reorder(ids)
        return self.photos_of(owner)

    def set_before_after(self, photo_id: str, role: BeforeAfter | str | None) -> PhotoView:
        """Mark a photo as taken before or after the work (None clears it). A paired photo
        whose role changes leaves its pair."""
        wanted = None if role in (None, "") else parse_enum(BeforeAfter, role, "before/after")
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            if original.before_after is not wanted:
                _leave_pair(session, original)
                for row in _family(session, original):
                    row.before_after = wanted
            return _view(original, _annotated_copy(session, original))

    def pair(self, before_id: str, after_id: str) -> str:
        """Pair a "before" photo with an "after" photo (of the same case or record); returns
        the pair id. Either photo leaves a pair it was in."""
        with self.workspace.transaction() as session:
            before, after = _editable(session, before_id), _editable(session, after_id)
            if before.id == after.id:
                raise ValidationError("Choose two different photos to pair.")
            if _owners_key(before) != _owners_key(after) and not (
                before.case_id is not None and before.case_id == after.case_id
            ):
                raise ValidationError("Only photos of the same case or record can be paired.")
            pair_id = new_pair_id()
            for original, role in ((before, BeforeAfter.BEFORE), (after, BeforeAfter.AFTER)):
                _leave_pair(session, original)
                for row in _family(session, original):
                    row.before_after = role
                    row.pair_id = pair_id
            return pair_id

    def unpair(self, photo_id: str) -> None:
        with self.workspace.transaction() as session:
            _leave_pair(session, _editable(session, photo_id))

    def delete(self, photo_id: str) -> None:
        """Mark the photo (and its annotated copy) deleted; :meth:`restore` brings it back."""
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            now = utcnow()
            for row in _family(session, original):
                row.deleted_at = now

    def restore(self, photo_id: str) -> PhotoView:
        with self.workspace.transaction() as session:
            original = session.get(Attachment, photo_id)
            if original is None or original.derived_from_id is not None:
                raise NotFoundError("That photo does not exist.")
            if original.deleted_at is None:
                raise ValidationError("That photo is not deleted.")
            _check_owner_editable(session, original)
            deleted_at = original.deleted_at
            original.deleted_at = None
            copies = session.scalars(
                select(Attachment).where(
                    Attachment.derived_from_id == original.id,
                    Attachment.deleted_at == deleted_at,  # deleted with it, not before
                )
            ).all()
            for row in copies:
                row.deleted_at = None
            return _view(original, _annotated_copy(session, original))

    # -- annotation -------------------------------------------------------------------------
    def annotate(self, photo_id: str, marks: list[dict[str, Any]]) -> PhotoView:
        """Draw ``marks`` on the photo into a new annotated copy (or replace the marks of the
        copy it has). The original's file and record stay as they are."""
        cleaned = annotate.check_marks(marks)
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            source_sha = original.sha256
        rendered = annotate.render_annotated(self._upright_copy(source_sha), cleaned)
        sha256 = self.store.put_bytes(rendered.jpeg)
        self._write_copies(sha256, rendered.report_jpeg, rendered.thumbnail_jpeg)
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            if session.get(Blob, sha256) is None:
                session.add(
                    Blob(sha256=sha256, size_bytes=len(rendered.jpeg), media_type="image/jpeg")
                )
            copy = _annotated_copy(session, original)
            if copy is None:
                stem = Path(original.filename or "photo").stem
                copy = Attachment(
                    filename=f"{stem} (annotated).jpg"[:200],
                    derived_from_id=original.id,
                    taken_at=original.taken_at,
                    latitude=original.latitude,
                    longitude=original.longitude,
                    caption=original.caption,
                    position=original.position,
                    before_after=original.before_after,
                    pair_id=original.pair_id,
                    **{c: getattr(original, c) for c in ATTACHMENT_OWNERS},
                )
                session.add(copy)
            copy.sha256 = sha256
            copy.media_type = "image/jpeg"
            copy.size_bytes = len(rendered.jpeg)
            copy.width, copy.height = rendered.width, rendered.height
            copy.annotations = cleaned
            session.flush()
            return _view(original, copy)

    def remove_annotation(self, photo_id: str) -> PhotoView:
        """Drop the annotated copy: the photo shows as it was taken again."""
        with self.workspace.transaction() as session:
            original = _editable(session, photo_id)
            copy = _annotated_copy(session, original)
            if copy is None:
                raise ValidationError("That photo has no marks to remove.")
            copy.deleted_at = utcnow()
            return _view(original, None)

    def _upright_copy(self, sha256: str) -> bytes:
        """The photo upright at report size: its stored copy, or made again from the original."""
        report = self.store.report_copy_path(sha256)
        if report.is_file():
            return report.read_bytes()
        original = self.store.original_path(sha256)
        if not original.is_file():
            raise ValidationError(
                "The photo's file is not on this device (yet); sync first, then draw on it."
            )
        try:
            return derive(original).report_jpeg
        except ImageRefused as exc:
            raise ValidationError(f"The photo cannot be read: {exc}.") from None

    # -- files ------------------------------------------------------------------------------
    def thumbnail_path(self, sha256: str) -> Path:
        return self.store.thumbnail_path(sha256)

    def report_copy_path(self, sha256: str) -> Path:
        return self.store.report_copy_path(sha256)

    # -- privacy ----------------------------------------------------------------------------
    def strip_gps_outgoing(self) -> bool:
        return bool(self.workspace.get_setting(STRIP_GPS_SETTING, True))

    def set_strip_gps_outgoing(self, enabled: bool) -> None:
        self.workspace.set_setting(STRIP_GPS_SETTING, bool(enabled))

    def outgoing_original(self, sha256: str) -> bytes:
        """The bytes of an original to send off the device: without GPS positions when the
        workspace's privacy setting says so (orientation and pixels unchanged), else as
        stored. The result is the same every time for the same original (retries upload the
        same bytes)."""
        path = self.store.original_path(sha256)
        if not path.is_file():
            raise NotFoundError("That photo's file is not on this device.")
        data = path.read_bytes()
        return without_gps(data) if self.strip_gps_outgoing() else data


def new_pair_id() -> str:
    import uuid

    return str(uuid.uuid4())


def _resolve_owner(session: Session, owner: PhotoOwner) -> PhotoOwner:
    values = owner.columns()
    record = owner.record
    if record is not None:
        column, record_id = record
        model, word = RECORD_OWNERS[column]
        row = get_live(session, model, record_id, word)
        if model is CustomSolution:
            _check_solution_editable(session, record_id)
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


def _next_position(session: Session, owner: PhotoOwner) -> int:
    column, value = ("case_id", owner.case_id) if owner.case_id else owner.scope
    position = session.scalar(
        select(func.coalesce(func.max(Attachment.position), 0)).where(
            getattr(Attachment, column) == value
        )
    )
    return int(position or 0) + 1


def _original(session: Session, photo_id: str) -> Attachment:
    """The live original of a photo (an annotated copy's id leads to its original)."""
    row = get_live(session, Attachment, photo_id, "photo")
    if row.derived_from_id is not None:
        row = get_live(session, Attachment, row.derived_from_id, "photo")
    return row


def _check_solution_editable(session: Session, solution_id: str) -> None:
    from fieldsupport.services.solutions import SolutionService

    SolutionService._editable(session, solution_id)


def _check_owner_editable(session: Session, original: Attachment) -> None:
    if original.solution_id is not None:
        _check_solution_editable(session, original.solution_id)


def _editable(session: Session, photo_id: str) -> Attachment:
    original = _original(session, photo_id)
    _check_owner_editable(session, original)
    return original


def _annotated_copy(
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


def _family(session: Session, original: Attachment) -> list[Attachment]:
    """The original and its live annotated copies: what a gallery edit applies to."""
    copies = session.scalars(
        select(Attachment).where(
            Attachment.derived_from_id == original.id, Attachment.deleted_at.is_(None)
        )
    ).all()
    return [original, *copies]


def _leave_pair(session: Session, original: Attachment) -> None:
    if original.pair_id is None:
        return
    for row in session.scalars(
        select(Attachment).where(Attachment.pair_id == original.pair_id)
    ).all():
        row.pair_id = None


def _owners_key(row: Attachment) -> tuple[str | None, ...]:
    return tuple(getattr(row, c) for c in ATTACHMENT_OWNERS)


def _group(rows: Sequence[Attachment]) -> list[PhotoView]:
    """Originals in order, each with its annotated copy (if it has a live one)."""
    copies: dict[str, Attachment] = {}
    for row in rows:
        if row.derived_from_id is not None:
            current = copies.get(row.derived_from_id)
            if current is None or row.updated_at > current.updated_at:
                copies[row.derived_from_id] = row
    return [_view(row, copies.get(row.id)) for row in rows if row.derived_from_id is None]
