"""The files attached to a custom solution version (technical advisor): a safety data sheet,
a drawing, a spreadsheet, a photo, attached as they are, for the engineer to open offline.

A file is an ``Attachment`` of the solution version whose bytes are stored once by SHA-256
in the workspace's blob store (and travel through sync like any attachment). It is not a
photo: it has no pixel size (``photo_records.is_photo``), so no gallery, photo count or
step photo takes it for one. A released version's files never change, as the rest of it; a
new version carries them over by hash (no bytes copied). Opening a file hands out a copy
outside the blob store, under the name it was attached with.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from fieldsupport.errors import NotFoundError, ValidationError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment, Blob, CustomSolution, utcnow
from fieldsupport.models.base import NAME_LEN, SHORT_LEN
from fieldsupport.services.photo_records import (
    PhotoOwner,
    check_solution_editable,
    next_position,
)
from fieldsupport.services.records import get_live
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

# A data sheet or drawing is a few MB; every engineer's device downloads each file of the
# solutions they are given, often over a phone's connection.
MAX_FILE_BYTES = 50 * 1024 * 1024
GENERIC_TYPE = "application/octet-stream"


@dataclass(frozen=True)
class SolutionFileView:
    id: str
    sha256: str
    filename: str
    media_type: str
    size_bytes: int
    position: int


def size_text(size: int) -> str:
    """A file's size as a person reads it: 67 bytes, 12 KB, 3.4 MB."""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def is_file_row(row: Attachment) -> bool:
    """A custom solution's file (not one of its step photos)."""
    return row.solution_id is not None and row.width is None and row.derived_from_id is None


def files_of(session: Session, solution_id: str) -> list[Attachment]:
    """The live files of a solution version, in the order they were attached."""
    return list(
        session.scalars(
            select(Attachment)
            .where(
                Attachment.solution_id == solution_id,
                Attachment.deleted_at.is_(None),
                Attachment.width.is_(None),
                Attachment.derived_from_id.is_(None),
            )
            .order_by(Attachment.position, Attachment.created_at, Attachment.id)
        )
    )


def file_view(row: Attachment) -> SolutionFileView:
    return SolutionFileView(
        row.id,
        row.sha256,
        row.filename or row.sha256[:12],
        row.media_type,
        row.size_bytes,
        row.position,
    )


def carry_over(session: Session, source_id: str, target_id: str) -> None:
    """Give the new version ``target_id`` the files of ``source_id``: new rows pointing at
    the same blobs (nothing is copied on the disk)."""
    for row in files_of(session, source_id):
        session.add(
            Attachment(
                sha256=row.sha256,
                media_type=row.media_type,
                size_bytes=row.size_bytes,
                filename=row.filename,
                caption=row.caption,
                position=row.position,
                solution_id=target_id,
            )
        )


def media_type_of(name: str) -> str:
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    # Office types can be longer than the column (and the server's limit): the name's
    # extension says what opens them anyway
    return guessed if guessed and len(guessed) <= SHORT_LEN else GENERIC_TYPE


class SolutionFileService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.store = BlobStore(workspace.blobs_dir)

    def files(self, solution_id: str) -> list[SolutionFileView]:
        with self.workspace.transaction() as session:
            return [file_view(row) for row in files_of(session, solution_id)]

    def attach(
        self, solution_id: str, path: Path, state: TaskState | None = None
    ) -> SolutionFileView:
        """Store ``path`` (once, by hash) and attach it to the draft version. Refused with the
        reason: a released version, a file that is missing, unreadable, empty or too large,
        or one attached to the version already. Reads the whole file: run it in a worker."""
        state = state or TaskState()
        path = Path(path)
        with self.workspace.transaction() as session:  # refused before anything is read
            check_solution_editable(session, solution_id)
        _check_readable(path)
        temp = self.store.staging / f"import-{os.urandom(8).hex()}"
        try:
            sha256, staged = self.store.stage_file(path, temp)
        except OSError as exc:
            raise ValidationError(f"{path.name} cannot be read ({_reason(exc)}).") from None
        stored = False
        try:
            held = temp if staged else self.store.original_path(sha256)
            size = held.stat().st_size
            _check_size(path.name, size)  # it may have changed since it was looked at
            state.check()
            if staged:
                stored = self.store.commit(temp, self.store.original_path(sha256))
            return self._record(solution_id, path.name, sha256, size)
        except BaseException:
            temp.unlink(missing_ok=True)
            if stored:
                self._drop_unreferenced(sha256)
            raise

    def _record(self, solution_id: str, name: str, sha256: str, size: int) -> SolutionFileView:
        with self.workspace.transaction() as session:
            check_solution_editable(session, solution_id)
            same = next((r for r in files_of(session, solution_id) if r.sha256 == sha256), None)
            if same is not None:
                raise ValidationError(
                    f"{name} is attached to this version already"
                    + (f" (as {same.filename})." if same.filename != name else ".")
                )
            media_type = media_type_of(name)
            if session.get(Blob, sha256) is None:
                session.add(Blob(sha256=sha256, size_bytes=size, media_type=media_type))
            row = Attachment(
                sha256=sha256,
                media_type=media_type,
                size_bytes=size,
                filename=name[:NAME_LEN],
                position=next_position(session, PhotoOwner(solution_id=solution_id)),
                solution_id=solution_id,
            )
            session.add(row)
            session.flush()
            return file_view(row)

    def _drop_unreferenced(self, sha256: str) -> None:
        """A blob stored for an attach that then failed goes again, unless a record uses it."""
        with self.workspace.transaction() as session:
            if session.get(Blob, sha256) is not None:
                return
        self.store.original_path(sha256).unlink(missing_ok=True)

    def remove(self, file_id: str) -> None:
        """Take a file off a draft version (its blob stays for whoever else uses it)."""
        with self.workspace.transaction() as session:
            row = self._file(session, file_id)
            check_solution_editable(session, row.solution_id or "")
            row.deleted_at = utcnow()

    def open_copy(self, file_id: str, folder: Path) -> Path:
        """A read-only copy of the file under ``folder``, with the name it was attached with,
        for the system's viewer: the blob store is only read. Copies the file: a worker's job."""
        with self.workspace.transaction() as session:
            row = self._file(session, file_id)
            get_live(session, CustomSolution, row.solution_id, "custom solution")
            name, sha256, row_id = row.filename or row.sha256[:12], row.sha256, row.id
        source = self.store.original_path(sha256)
        if not source.is_file():
            raise NotFoundError(
                f"{name} is not on this device yet: sync (F5) to fetch it, then open it again."
            )
        target = Path(folder) / row_id[:8] / _safe_name(name)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():  # an earlier copy (read-only, maybe changed by its viewer)
                target.chmod(stat.S_IWUSR | stat.S_IRUSR)
                target.unlink()
            partial = target.with_name(f".{target.name}.part")
            shutil.copyfile(source, partial)
            partial.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
            os.replace(partial, target)
        except OSError as exc:
            raise ValidationError(
                f"{name} cannot be copied for opening ({_reason(exc)}) to {target.parent}."
            ) from None
        return target

    @staticmethod
    def _file(session: Session, file_id: str) -> Attachment:
        row = get_live(session, Attachment, file_id, "attached file")
        if not is_file_row(row):
            raise NotFoundError("That attached file does not exist (or was removed).")
        return row


def _check_readable(path: Path) -> None:
    name = path.name or str(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ValidationError(f"{name} does not exist (any more): nothing was attached.") from None
    except OSError as exc:
        raise ValidationError(f"{name} cannot be read ({_reason(exc)}).") from None
    if not stat.S_ISREG(info.st_mode):
        raise ValidationError(f"{name} is not a file (a folder?): choose one file to attach.")
    if not os.access(path, os.R_OK):
        raise ValidationError(f"{name} cannot be read (permission denied).")
    _check_size(name, info.st_size)


def _check_size(name: str, size: int) -> None:
    if size == 0:
        raise ValidationError(f"{name} is empty (0 bytes): nothing was attached.")
    if size > MAX_FILE_BYTES:
        raise ValidationError(
            f"{name} is {size_text(size)}; a solution's file may have at most "
            f"{size_text(MAX_FILE_BYTES)} (every engineer's device downloads it). "
            "Attach a smaller copy, e.g. a compressed PDF."
        )


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


def _safe_name(name: str) -> str:
    """The attached name, usable as a file name on this system (no folders in it)."""
    cleaned = "".join("_" if c in '<>:"/\\|?*' or ord(c) < 32 else c for c in name).strip(" .")
    return cleaned or "attachment"
