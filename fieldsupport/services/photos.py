"""The photos of a case, visit or assist record: import, order, captions, before/after pairs,
delete and restore, annotated copies, and the copies that leave the device.

The service is split by concern: owners, the gallery's view of a photo and the shared row
queries live in ``photo_records``; reading files into the blob store in ``photo_imports``.
This module keeps the operations on photos already attached, and is the interface the UI,
the CLI and the other services use (everything they need is importable from here).

A photo drawn on is *one* photo in the gallery: the original attachment, plus an annotated
copy (``derived_from_id`` = the original, same owners, the marks as JSON) that stands in for
it in the report. Captions, order and before/after apply to both; the original's bytes are
never changed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.media import annotate, reading
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import ImageRefused, derive
from fieldsupport.media.privacy import STRIP_GPS_SETTING, without_gps
from fieldsupport.media.reading import PHOTO_SUFFIXES, FileResult, Outcome, expand, read_photo
from fieldsupport.models import Attachment, Blob, utcnow
from fieldsupport.models.enums import BeforeAfter
from fieldsupport.models.media import ATTACHMENT_OWNERS
from fieldsupport.services.photo_imports import (
    ImportCancelled,
    ImportSummary,
    PhotoImporter,
    make_copies,
    write_copies,
)
from fieldsupport.services.photo_records import (
    RECORD_OWNERS,
    PhotoOwner,
    PhotoView,
    annotated_copy,
    check_owner_editable,
    deletion_unsynced,
    editable,
    family,
    group,
    is_photo,
    leave_pair,
    new_pair_id,
    original_of,
    owners_key,
    resolved_owner,
    view_of,
)
from fieldsupport.services.validation import check_length, parse_enum
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

# the import's parts that read files live in media.reading (worker processes import only
# that); they are part of this service's interface too
__all__ = [
    "CAPTION_LEN",
    "PHOTO_SUFFIXES",
    "RECORD_OWNERS",
    "STRIP_GPS_SETTING",
    "FileResult",
    "ImportCancelled",
    "ImportSummary",
    "Outcome",
    "PhotoOwner",
    "PhotoService",
    "PhotoView",
    "expand",
    "new_pair_id",
    "read_photo",
]

CAPTION_LEN = 1000  # the report shows the first 280 characters; the JSON carries all


class PhotoService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.blobs_dir)

    # -- owners -----------------------------------------------------------------------------
    def resolve_owner(self, owner: PhotoOwner) -> PhotoOwner:
        """The owner with the case and visit of its record filled in; refuses owners that
        do not exist, are deleted or do not belong together."""
        with self.workspace.transaction() as session:
            return resolved_owner(session, owner)

    def check_owner(self, owner: PhotoOwner) -> None:
        self.resolve_owner(owner)

    # -- import -----------------------------------------------------------------------------
    def import_photos(
        self, owner: PhotoOwner, paths: Sequence[Path], state: TaskState | None = None
    ) -> ImportSummary:
        """Import files and folders for ``owner`` (a job: see photo_imports); raises
        ImportCancelled, which carries what was imported before the cancel."""
        resolved = self.resolve_owner(owner)
        return PhotoImporter(self.workspace, self.store).run(resolved, paths, state or TaskState())

    def prepare_import(self) -> None:
        """Start the photo reading processes (one per core) ahead of an import that is
        likely soon - its file dialog is open, files are dragged over the gallery - so it
        does not wait for them; they stay for later imports. Takes a few milliseconds: call
        it in a worker."""
        reading.warm_up()

    # -- listing ----------------------------------------------------------------------------
    def photos_of(self, owner: PhotoOwner) -> list[PhotoView]:
        """The live photos of an owner in gallery order (a case: all of its photos, those of
        its visits and records included)."""
        column, value = owner.scope
        with self.workspace.transaction() as session:
            rows = session.scalars(
                select(Attachment)
                .where(
                    getattr(Attachment, column) == value,
                    Attachment.deleted_at.is_(None),
                    is_photo(),
                )
                .order_by(Attachment.position, Attachment.created_at, Attachment.id)
            ).all()
            return group(rows)

    def photos_of_case(self, case_id: str, visit_id: str | None = None) -> list[PhotoView]:
        return self.photos_of(PhotoOwner(case_id, visit_id))

    def deleted_photos(self, owner: PhotoOwner) -> list[PhotoView]:
        """Deleted photos of an owner that can still be restored (deleted here, the deletion
        not synced yet), most recently deleted first."""
        column, value = owner.scope
        with self.workspace.transaction() as session:
            originals = session.scalars(
                select(Attachment)
                .where(
                    getattr(Attachment, column) == value,
                    Attachment.deleted_at.is_not(None),
                    Attachment.derived_from_id.is_(None),
                    is_photo(),
                )
                .order_by(Attachment.deleted_at.desc(), Attachment.position)
            ).all()
            unsynced = deletion_unsynced(session, [a.id for a in originals])
            return [
                view_of(a, annotated_copy(session, a, deleted=True))
                for a in originals
                if a.id in unsynced
            ]

    def photo(self, photo_id: str) -> PhotoView:
        with self.workspace.transaction() as session:
            original = original_of(session, photo_id)
            return view_of(original, annotated_copy(session, original))

    # -- editing ----------------------------------------------------------------------------
    def set_caption(self, photo_id: str, caption: str | None) -> PhotoView:
        text = (caption or "").strip()
        check_length(text, "caption", CAPTION_LEN)
        with self.workspace.transaction() as session:
            original = editable(session, photo_id)
            for row in family(session, original):
                row.caption = text or None
            return view_of(original, annotated_copy(session, original))

    def reorder(self, ordered_ids: Sequence[str]) -> None:
        """Put these photos in this order among themselves; photos not named keep their
        places (reordering a visit's photos leaves the rest of the case's where they are)."""
        if len(set(ordered_ids)) != len(ordered_ids):
            raise ValidationError("A photo is named twice in the new order.")
        with self.workspace.transaction() as session:
            originals = [editable(session, i) for i in ordered_ids]
            slots = sorted(a.position for a in originals)
            for index in range(1, len(slots)):  # equal positions (two devices) made distinct
                slots[index] = max(slots[index], slots[index - 1] + 1)
            for original, position in zip(originals, slots, strict=True):
                for row in family(session, original):
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
            original = editable(session, photo_id)
            if original.before_after is not wanted:
                leave_pair(session, original)
                for row in family(session, original):
                    row.before_after = wanted
            return view_of(original, annotated_copy(session, original))

    def pair(self, before_id: str, after_id: str) -> str:
        """Pair a "before" photo with an "after" photo (of the same case or record); returns
        the pair id. Either photo leaves a pair it was in."""
        with self.workspace.transaction() as session:
            before, after = editable(session, before_id), editable(session, after_id)
            if before.id == after.id:
                raise ValidationError("Choose two different photos to pair.")
            if owners_key(before) != owners_key(after) and not (
                before.case_id is not None and before.case_id == after.case_id
            ):
                raise ValidationError("Only photos of the same case or record can be paired.")
            pair_id = new_pair_id()
            for original, role in ((before, BeforeAfter.BEFORE), (after, BeforeAfter.AFTER)):
                leave_pair(session, original)
                for row in family(session, original):
                    row.before_after = role
                    row.pair_id = pair_id
            return pair_id

    def unpair(self, photo_id: str) -> None:
        with self.workspace.transaction() as session:
            leave_pair(session, editable(session, photo_id))

    def delete(self, *photo_ids: str) -> None:
        """Mark the photos (and their annotated copies) deleted, all or none;
        :meth:`restore` brings them back."""
        with self.workspace.transaction() as session:
            now = utcnow()
            for photo_id in photo_ids:
                for row in family(session, editable(session, photo_id)):
                    row.deleted_at = now

    def restore(self, photo_id: str) -> PhotoView:
        with self.workspace.transaction() as session:
            return self._restore(session, photo_id)

    def restore_all(self, photo_ids: list[str]) -> list[PhotoView]:
        """Undo of a delete of several photos: all come back, or none."""
        with self.workspace.transaction() as session:
            return [self._restore(session, photo_id) for photo_id in photo_ids]

    @staticmethod
    def _restore(session: Session, photo_id: str) -> PhotoView:
        original = session.get(Attachment, photo_id)
        if original is None or original.derived_from_id is not None:
            raise NotFoundError("That photo does not exist.")
        if original.deleted_at is None:
            raise ValidationError("That photo is not deleted.")
        if original.id not in deletion_unsynced(session, [original.id]):
            raise ValidationError(
                "That photo's deletion has been synced; it can no longer be restored."
            )
        check_owner_editable(session, original)
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
        return view_of(original, annotated_copy(session, original))

    # -- annotation -------------------------------------------------------------------------
    def annotate(self, photo_id: str, marks: list[dict[str, Any]]) -> PhotoView:
        """Draw ``marks`` on the photo into a new annotated copy (or replace the marks of the
        copy it has). The original's file and record stay as they are."""
        cleaned = annotate.check_marks(marks)
        with self.workspace.transaction() as session:
            original = editable(session, photo_id)
            source_sha = original.sha256
        rendered = annotate.render_annotated(self._upright_copy(source_sha), cleaned)
        new_file = not self.store.has(hashlib.sha256(rendered.jpeg).hexdigest())
        sha256 = self.store.put_bytes(rendered.jpeg)
        try:
            write_copies(self.store, sha256, rendered.report_jpeg, rendered.thumbnail_jpeg)
            return self._record_annotation(photo_id, sha256, rendered, cleaned)
        except BaseException:
            if new_file:  # no record points at it: it does not stay behind
                for path in (
                    self.store.original_path(sha256),
                    self.store.report_copy_path(sha256),
                    self.store.thumbnail_path(sha256),
                ):
                    path.unlink(missing_ok=True)
            raise

    def _record_annotation(
        self,
        photo_id: str,
        sha256: str,
        rendered: annotate.Annotated,
        cleaned: list[dict[str, Any]],
    ) -> PhotoView:
        with self.workspace.transaction() as session:
            original = editable(session, photo_id)
            if session.get(Blob, sha256) is None:
                session.add(
                    Blob(sha256=sha256, size_bytes=len(rendered.jpeg), media_type="image/jpeg")
                )
            copy = annotated_copy(session, original)
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
            return view_of(original, copy)

    def remove_annotation(self, photo_id: str) -> PhotoView:
        """Drop the annotated copy: the photo shows as it was taken again."""
        with self.workspace.transaction() as session:
            original = editable(session, photo_id)
            copy = annotated_copy(session, original)
            if copy is None:
                raise ValidationError("That photo has no marks to remove.")
            copy.deleted_at = utcnow()
            return view_of(original, None)

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

    def make_copies(self, sha256: str) -> bool:
        """Make the upright report-size copy and the thumbnail of an original that lacks them
        (only originals travel through sync: a photo taken on another device arrives without
        them). False when the original is not here (yet), cannot be read or cannot be written
        beside (full disk); the gallery then shows its "missing" marker."""
        return make_copies(self.store, sha256)

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
