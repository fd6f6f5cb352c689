"""Photo import and the photos of a case or visit.

``import_photos`` is a job (a plain function taking a TaskState): each file is read once
(hashed while it is copied into the blob store), its upright report-size copy and thumbnail
are made, and its record is written in a transaction of its own, so a refused, vanished or
cancelled file never affects the others and nothing is left half-written.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
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


def read_photo(path: Path) -> Derived | FileResult:
    """The decoding half of an import (runs in a worker process for batches)."""
    try:
        if not path.is_file():
            return FileResult(path, Outcome.REFUSED, "no such file")
        if path.stat().st_size == 0:
            return FileResult(path, Outcome.REFUSED, "empty file (0 bytes)")
        return derive(path)
    except ImageRefused as exc:
        return FileResult(path, Outcome.REFUSED, str(exc))
    except FileNotFoundError:
        return FileResult(path, Outcome.REFUSED, "the file disappeared during the import")
    except OSError as exc:
        return FileResult(path, Outcome.REFUSED, f"cannot read it ({exc.strerror or exc})")


# Decoding and scaling is CPU work: a batch uses one process per core (the GIL would keep
# threads on one core); a few files are faster read in this process than starting workers.
PROCESS_POOL_MIN_FILES = 6


class _Deriver:
    def __init__(self, count: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if count >= PROCESS_POOL_MIN_FILES and (os.cpu_count() or 1) > 1:
            # spawn, not fork: the app has Qt and database threads a fork would copy badly
            self._pool = ProcessPoolExecutor(
                max_workers=min(os.cpu_count() or 2, 4),
                mp_context=multiprocessing.get_context("spawn"),
            )

    def __enter__(self) -> _Deriver:
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def run(
        self, files: list[Path], state: TaskState
    ) -> Iterator[tuple[Path, Derived | FileResult]]:
        """(path, derived or refusal) in file order; keeps a few files ahead in the pool."""
        if self._pool is None:
            for path in files:
                state.check()
                yield path, read_photo(path)
            return
        window = 2 * (self._pool._max_workers or 2)
        pending: deque[tuple[Path, Future[Derived | FileResult]]] = deque()
        queue = iter(files)
        for path in queue:
            pending.append((path, self._pool.submit(read_photo, path)))
            if len(pending) >= window:
                break
        while pending:
            state.check()
            path, future = pending.popleft()
            next_path = next(queue, None)
            if next_path is not None:
                pending.append((next_path, self._pool.submit(read_photo, next_path)))
            yield path, future.result()


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
        with _Deriver(len(files)) as deriver:
            for index, (path, derived) in enumerate(deriver.run(files, state)):
                state.progress(index / max(len(files), 1), path.name)
                summary.results.append(self._import_one(owner, path, derived))
        state.progress(1.0, "done")
        return summary

    def _import_one(
        self, owner: PhotoOwner, path: Path, derived: Derived | FileResult
    ) -> FileResult:
        if isinstance(derived, FileResult):
            return derived  # refused while reading it
        try:
            sha256 = self.store.put_file(path)
            self._write_copies(sha256, derived)
            return self._record(owner, path, sha256, derived)
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
