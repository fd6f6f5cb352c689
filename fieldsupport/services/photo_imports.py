"""Photo import: files read, stored once by SHA-256 and recorded against their owner.

``PhotoImporter.run`` is a job (it takes a TaskState). Each file is read once, in a reading
process (media.reading): hashed while it is copied into the blob store's staging folder, its
upright report-size copy and thumbnail made from that copy and staged too. Here the staged
files are renamed into place - the original's name flushed to the disk before its record is
committed - and the record is written in a transaction of its own, so a refused, vanished or
cancelled file never affects the others and nothing is left half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import ImageRefused, derive
from fieldsupport.media.reading import (
    Deriver,
    FileResult,
    Outcome,
    Staged,
    discard,
    find,
    new_token,
    read_photo,
)
from fieldsupport.models import Attachment, Blob
from fieldsupport.services.photo_records import PhotoOwner, is_photo, next_position
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace


@dataclass
class ImportSummary:
    results: list[FileResult] = field(default_factory=list)
    #: the import was cancelled after ``results`` (whole files only)
    cancelled: bool = False
    #: files of the folders that are not photos (Outcome.SKIPPED), not read
    skipped: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        if outcome is Outcome.SKIPPED:
            return len(self.skipped)
        return sum(r.outcome is outcome for r in self.results)


class ImportCancelled(Cancelled):
    """Cancelled during an import; ``summary`` says what was done before the cancel."""

    def __init__(self, summary: ImportSummary) -> None:
        super().__init__(
            f"Import cancelled: {summary.count(Outcome.IMPORTED)} photo(s) imported before it."
        )
        self.summary = summary


def write_copies(store: BlobStore, sha256: str, report: bytes, thumbnail: bytes) -> None:
    """The report-size copy and the thumbnail of a stored photo, each written atomically
    (kept when already there: the same hash is the same picture)."""
    for target, data in (
        (store.report_copy_path(sha256), report),
        (store.thumbnail_path(sha256), thumbnail),
    ):
        if not target.is_file():
            with store.atomic_writer(target) as out:
                out.write(data)


def make_copies(store: BlobStore, sha256: str) -> bool:
    """Make the upright report-size copy and the thumbnail of a stored original that lacks
    them: a photo taken on another device (only originals travel through sync), or a copy
    whose name a power cut took. False when the original is not here (yet), cannot be read
    or cannot be written beside (full disk)."""
    original = store.original_path(sha256)
    if not original.is_file():
        return False
    try:
        derived = derive(original)
        write_copies(store, sha256, derived.report_jpeg, derived.thumbnail_jpeg)
    except (ImageRefused, FieldSupportError, OSError):
        return False
    return True


class PhotoImporter:
    def __init__(self, workspace: Workspace, store: BlobStore) -> None:
        self.workspace = workspace
        self.store = store

    def run(self, owner: PhotoOwner, paths: Sequence[Path], state: TaskState) -> ImportSummary:
        """Import ``paths`` (files and folders) for an owner already resolved."""
        found = find(paths)
        files = found.files
        summary = ImportSummary(skipped=found.skipped)
        try:
            with Deriver(len(files), self.store.root) as deriver:
                for index, read in enumerate(deriver.run(files, state)):
                    try:
                        state.progress(index / max(len(files), 1), read.path.name)
                    except Cancelled:
                        if isinstance(read, Staged):  # read, not imported: nothing stays
                            discard(self.store, read.token)
                        raise
                    summary.results.append(self._import_one(owner, read))
        except Cancelled:
            summary.cancelled = True
            raise ImportCancelled(summary) from None
        state.progress(1.0, "done")
        return summary

    def _import_one(self, owner: PhotoOwner, read: Staged | FileResult) -> FileResult:
        if isinstance(read, FileResult):
            return read  # refused while reading it
        path = read.path
        recorded = False
        try:
            if read.original is None and not self.store.has(read.sha256):
                # stored when it was read, removed since (an earlier file with the same bytes
                # failed after storing them): read again, here
                discard(self.store, read.token)
                again = read_photo(path, self.store.root, new_token())
                if isinstance(again, FileResult):
                    return again
                read = again
            for staged, target in (
                (read.report, self.store.report_copy_path(read.sha256)),
                (read.thumbnail, self.store.thumbnail_path(read.sha256)),
            ):
                if staged is not None:
                    self.store.commit(staged, target, flush=False)
            if read.original is not None:
                # last, and flushed: the original's name is on the disk before its record is
                # committed (on ext4, whose journal commits in order, so are the copies' names
                # renamed before it)
                self.store.commit(read.original, self.store.original_path(read.sha256))
            result = self._record(owner, path, read)
            recorded = True
            return result
        except FileNotFoundError:
            return self._gone(path)
        except FieldSupportError as exc:
            return FileResult(path, Outcome.REFUSED, str(exc))
        except OSError as exc:
            return FileResult(path, Outcome.REFUSED, f"cannot store it ({exc.strerror or exc})")
        finally:
            discard(self.store, read.token)
            if not recorded:
                self._drop_unreferenced(read.sha256)

    @staticmethod
    def _gone(path: Path) -> FileResult:
        return FileResult(path, Outcome.REFUSED, "the file disappeared during the import")

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

    def _record(self, owner: PhotoOwner, path: Path, read: Staged) -> FileResult:
        facts, sha256 = read.facts, read.sha256
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
                    is_photo(),  # a solution's file with the same bytes is not this photo
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
                position=next_position(session, owner),
                **owner.columns(),
            )
            session.add(attachment)
            session.flush()
            return FileResult(path, Outcome.IMPORTED, attachment_id=attachment.id)
