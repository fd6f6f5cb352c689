"""Photo import: files read, stored once by SHA-256 and recorded against their owner.

``PhotoImporter.run`` is a job (it takes a TaskState): each file is read once (hashed while
it is copied into the blob store), its upright report-size copy and thumbnail are made, and
its record is written in a transaction of its own, so a refused, vanished or cancelled file
never affects the others and nothing is left half-written.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import Derived
from fieldsupport.media.reading import Deriver, FileResult, Outcome, expand
from fieldsupport.models import Attachment, Blob
from fieldsupport.services.photo_records import PhotoOwner, next_position
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace


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


class PhotoImporter:
    def __init__(self, workspace: Workspace, store: BlobStore) -> None:
        self.workspace = workspace
        self.store = store

    def run(self, owner: PhotoOwner, paths: Sequence[Path], state: TaskState) -> ImportSummary:
        """Import ``paths`` (files and folders) for an owner already resolved."""
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
            write_copies(self.store, sha256, derived.report_jpeg, derived.thumbnail_jpeg)
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
                position=next_position(session, owner),
                **owner.columns(),
            )
            session.add(attachment)
            session.flush()
            return FileResult(path, Outcome.IMPORTED, attachment_id=attachment.id)
