"""Photo import and the photos of a case or visit.

``import_photos`` is a job (a plain function taking a TaskState): each file is read once
(hashed while it is copied into the blob store), its upright report-size copy and thumbnail
are made, and its record is written in a transaction of its own, so a refused, vanished or
cancelled file never affects the others and nothing is left half-written.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from sqlalchemy import func, select

from fieldsupport.errors import FieldSupportError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import Derived, ImageRefused, derive
from fieldsupport.models import Attachment, Blob, Case, Visit
from fieldsupport.services.records import get_live
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif"}


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REFUSED = "refused"


@dataclass(frozen=True)
class FileResult:
    path: Path
    outcome: Outcome
    reason: str = ""
    attachment_id: str | None = None

    def line(self) -> str:
        suffix = f": {self.reason}" if self.reason else ""
        return f"{self.path}: {self.outcome.value}{suffix}"


@dataclass
class ImportSummary:
    results: list[FileResult] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(r.outcome is outcome for r in self.results)


@dataclass(frozen=True)
class PhotoOwner:
    """Where photos are attached: a case, optionally one of its visits."""

    case_id: str
    visit_id: str | None = None


@dataclass(frozen=True)
class PhotoView:
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


def expand(paths: Iterable[Path]) -> list[Path]:
    """Files as given, folders walked recursively (a phone or camera mount); hidden files
    and folders skipped, a folder's files in name order."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                files += [
                    Path(root) / n
                    for n in sorted(names)
                    if not n.startswith(".") and Path(n).suffix.lower() in PHOTO_SUFFIXES
                ]
        else:
            files.append(path)
    return files


class PhotoService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.blobs_dir)

    def check_owner(self, owner: PhotoOwner) -> None:
        with self.workspace.transaction() as session:
            get_live(session, Case, owner.case_id, "case")
            if owner.visit_id is not None:
                visit = get_live(session, Visit, owner.visit_id, "visit")
                if visit.case_id != owner.case_id:
                    raise ValidationError("That visit belongs to another case.")

    def import_photos(
        self, owner: PhotoOwner, paths: Sequence[Path], state: TaskState | None = None
    ) -> ImportSummary:
        state = state or TaskState()
        self.check_owner(owner)
        files = expand(paths)
        summary = ImportSummary()
        for index, path in enumerate(files):
            state.progress(index / max(len(files), 1), path.name)
            summary.results.append(self._import_one(owner, path))
        state.progress(1.0, "done")
        return summary

    def _import_one(self, owner: PhotoOwner, path: Path) -> FileResult:
        try:
            if not path.is_file():
                return FileResult(path, Outcome.REFUSED, "no such file")
            if path.stat().st_size == 0:
                return FileResult(path, Outcome.REFUSED, "empty file (0 bytes)")
            derived = derive(path)
            sha256 = self.store.put_file(path)
            self._write_copies(sha256, derived)
            return self._record(owner, path, sha256, derived)
        except ImageRefused as exc:
            return FileResult(path, Outcome.REFUSED, str(exc))
        except FileNotFoundError:
            return FileResult(path, Outcome.REFUSED, "the file disappeared during the import")
        except FieldSupportError as exc:
            return FileResult(path, Outcome.REFUSED, str(exc))
        except OSError as exc:
            return FileResult(path, Outcome.REFUSED, f"cannot read it ({exc.strerror or exc})")

    def _write_copies(self, sha256: str, derived: Derived) -> None:
        for target, data in (
            (self.store.report_copy_path(sha256), derived.report_jpeg),
            (self.store.thumbnail_path(sha256), derived.thumbnail_jpeg),
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
            duplicate = session.scalar(
                select(Attachment.id).where(
                    Attachment.sha256 == sha256,
                    Attachment.case_id == owner.case_id,
                    Attachment.visit_id.is_(None)
                    if owner.visit_id is None
                    else Attachment.visit_id == owner.visit_id,
                    Attachment.deleted_at.is_(None),
                )
            )
            if duplicate is not None:
                return FileResult(path, Outcome.DUPLICATE, "already attached here", duplicate)
            position = session.scalar(
                select(func.coalesce(func.max(Attachment.position), 0)).where(
                    Attachment.case_id == owner.case_id
                )
            )
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
                position=int(position or 0) + 1,
                case_id=owner.case_id,
                visit_id=owner.visit_id,
            )
            session.add(attachment)
            session.flush()
            return FileResult(path, Outcome.IMPORTED, attachment_id=attachment.id)

    def photos_of_case(self, case_id: str, visit_id: str | None = None) -> list[PhotoView]:
        stmt = select(Attachment).where(
            Attachment.case_id == case_id, Attachment.deleted_at.is_(None)
        )
        if visit_id is not None:
            stmt = stmt.where(Attachment.visit_id == visit_id)
        with self.workspace.transaction() as session:
            return [
                PhotoView(
                    a.id,
                    a.sha256,
                    a.filename,
                    a.media_type,
                    a.width,
                    a.height,
                    a.taken_at,
                    a.latitude,
                    a.longitude,
                    a.caption,
                    a.position,
                    a.visit_id,
                )
                for a in session.scalars(stmt.order_by(Attachment.position))
            ]
