"""Content-addressed files under the workspace's ``blobs/`` folder.

A blob's name is the SHA-256 of its bytes (``blobs/ab/abcdef…``): the same photo imported
twice is stored once, and a hash is all a record needs to point at it. Files are written to
a temporary name in ``blobs/tmp/`` (the same file system) and renamed into place only when
complete (atomic on every platform we support), so a crash, a full disk or a cancelled import
never leaves a partial blob. Derived copies (thumbnail, report-size copy) live beside the
originals under ``blobs/derived/`` and can always be made again from the original.

Durability: a file's bytes are flushed to the disk (fsync) before it gets its name, and the
folder holding the new name after, so a record committed once its file is stored never
points at a file a power cut took away. The temporary files of a process that died are
removed when the workspace is next opened (:meth:`BlobStore.sweep`).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from fieldsupport.errors import StorageFullError, ValidationError

CHUNK = 1024 * 1024
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_sha256(sha256: str) -> str:
    if not _SHA256.match(sha256 or ""):
        raise ValidationError(f"{sha256!r} is not a SHA-256 in hex.")
    return sha256


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as source:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- paths ------------------------------------------------------------------------------
    def original_path(self, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / sha256[:2] / sha256

    def _derived(self, kind: str, sha256: str) -> Path:
        check_sha256(sha256)
        return self.root / "derived" / kind / sha256[:2] / f"{sha256}.jpg"

    def report_copy_path(self, sha256: str) -> Path:
        """Upright JPEG, long edge <= 1600 px, no EXIF (so no GPS); may not exist."""
        return self._derived("report", sha256)

    def thumbnail_path(self, sha256: str) -> Path:
        """Upright JPEG thumbnail, long edge 256 px; may not exist."""
        return self._derived("thumb", sha256)

    def has(self, sha256: str) -> bool:
        return self.original_path(sha256).is_file()

    # -- writing ----------------------------------------------------------------------------
    @property
    def staging(self) -> Path:
        """Where files are written before they are renamed into place (same file system)."""
        return self.root / "tmp"

    def put_bytes(self, data: bytes, media_type: str = "application/octet-stream") -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            with self.atomic_writer(self.original_path(sha256)) as out:
                out.write(data)
        return sha256

    def put_file(self, path: Path, media_type: str = "application/octet-stream") -> str:
        """Copy a file in while hashing it (one read), then rename it to its hash."""
        temp = self.staging / f"import-{os.urandom(8).hex()}"
        sha256, staged = self.stage_file(path, temp)
        if staged:
            try:
                self.commit(temp, self.original_path(sha256))
            finally:
                temp.unlink(missing_ok=True)
        return sha256

    def stage_file(self, source: Path, temp: Path) -> tuple[str, bool]:
        """Copy ``source`` to the new staging file ``temp`` while hashing it (the source is
        read once): (SHA-256, staged). Staged: ``temp`` is complete and flushed to the disk,
        for :meth:`commit`; not staged: the store has those bytes already and ``temp`` is
        removed again (as it is when this raises)."""
        digest = hashlib.sha256()
        with _discarded_on_failure(temp):
            temp.parent.mkdir(parents=True, exist_ok=True)
            with open(source, "rb") as src, open(temp, "xb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                sha256 = digest.hexdigest()
                staged = not self.has(sha256)
                if staged:
                    out.flush()
                    os.fsync(out.fileno())
        if not staged:
            temp.unlink(missing_ok=True)
        return sha256, staged

    def stage_bytes(self, data: bytes, temp: Path) -> None:
        """Write ``data`` to the new staging file ``temp``, flushed to the disk."""
        with _discarded_on_failure(temp):
            temp.parent.mkdir(parents=True, exist_ok=True)
            with open(temp, "xb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())

    def commit(self, temp: Path, target: Path, *, flush: bool = True) -> bool:
        """Give a complete, flushed staged file its name (atomic). ``flush``: the folder
        holding the name is flushed to the disk before this returns, so a record may point
        at it then (a derived copy can go without: a power cut can only take its name away,
        and the copy can be made again). False when ``target`` was there already (the same
        hash is the same bytes): ``temp`` is only removed."""
        if target.is_file():
            temp.unlink(missing_ok=True)
            return False
        try:
            _make_folder(target.parent)
            os.replace(temp, target)
            if flush:
                fsync_folder(target.parent)
        except OSError as exc:
            raise _storage_error(exc) from exc
        return True

    def link_or_copy(self, source: Path, target: Path) -> None:
        """Give ``target`` the bytes of ``source`` (a file of this store), atomically: a
        hard link where the file system has them, else a copy. Its temporary name is in the
        staging folder, where :meth:`sweep` removes it if the process dies meanwhile."""
        self.staging.mkdir(parents=True, exist_ok=True)
        temp = self.staging / f".partial-{os.urandom(8).hex()}"
        with _discarded_on_failure(temp):
            try:
                os.link(source, temp)
            except OSError:
                shutil.copyfile(source, temp)
            _make_folder(target.parent)
            os.replace(temp, target)

    @contextmanager
    def atomic_writer(self, target: Path) -> Iterator[BinaryIO]:
        """Write ``target`` completely or not at all."""
        folder = self.staging if self.root in target.parents else target.parent
        folder.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=folder, prefix=".partial-")
        temp = Path(temp_name)
        with _discarded_on_failure(temp):
            with os.fdopen(handle, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            _make_folder(target.parent)
            os.replace(temp, target)
            fsync_folder(target.parent)

    # -- housekeeping -----------------------------------------------------------------------
    def sweep(self) -> int:
        """Remove the temporary files that writes of a process that died left behind. Only
        while holding the workspace's single-writer lock, before anything is written (every
        temporary file is then a dead process's); returns how many were removed."""
        try:
            names = os.listdir(self.staging)
        except OSError:
            return 0
        removed = 0
        for name in names:
            if name.startswith(_TEMP_PREFIXES):
                try:
                    (self.staging / name).unlink()
                    removed += 1
                except OSError:
                    pass
        return removed

    def leftovers(self) -> list[Path]:
        """Temporary files of interrupted writes (there should be none)."""
        return [
            p for p in self.root.rglob("*") if p.is_file() and p.name.startswith(_TEMP_PREFIXES)
        ]


# staged imports and atomic writes; not "download-" files (a download resumes from them)
_TEMP_PREFIXES = (".partial-", "import-")


def fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (a new or renamed file's name) to the disk. Windows opens no
    folder handles for this; NTFS journals names itself."""
    if sys.platform == "win32":  # pragma: no cover
        return
    handle = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def _make_folder(folder: Path) -> None:
    """``folder`` with its missing parents, each new one flushed into its parent."""
    if folder.is_dir():
        return
    _make_folder(folder.parent)
    try:
        folder.mkdir()
    except FileExistsError:
        return
    fsync_folder(folder.parent)


@contextmanager
def _discarded_on_failure(temp: Path) -> Iterator[None]:
    """A temporary file that goes again if the block fails; a disk error becomes a message
    that says what to do (a full disk, a read-only folder)."""
    try:
        yield
    except OSError as exc:
        temp.unlink(missing_ok=True)
        raise _storage_error(exc) from exc
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _storage_error(exc: OSError) -> Exception:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError(
            "The disk is full: the photo was not stored. Free some space and import it again."
        )
    return exc
