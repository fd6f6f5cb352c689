"""Content-addressed files under the workspace's ``blobs/`` folder.

A blob's name is the SHA-256 of its bytes (``blobs/ab/abcdef…``): the same photo imported
twice is stored once, and a hash is all a record needs to point at it. Files are written to
a temporary name in the same folder and renamed into place only when complete (atomic on
every platform we support), so a crash, a full disk or a cancelled import never leaves a
partial blob. Derived copies (thumbnail, report-size copy) live beside the originals under
``blobs/derived/`` and can always be made again from the original.
"""

from __future__ import annotations

import hashlib
import os
import re
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
    def put_bytes(self, data: bytes, media_type: str = "application/octet-stream") -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        if not self.has(sha256):
            with self.atomic_writer(self.original_path(sha256)) as out:
                out.write(data)
        return sha256

    def put_file(self, path: Path, media_type: str = "application/octet-stream") -> str:
        """Copy a file in while hashing it (one read), then rename it to its hash."""
        digest = hashlib.sha256()
        staging = self.root / "tmp"
        staging.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=staging, prefix="import-")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out, open(path, "rb") as source:
                while chunk := source.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            sha256 = digest.hexdigest()
            target = self.original_path(sha256)
            if target.is_file():
                temp.unlink()
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(temp, target)
            return sha256
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise _storage_error(exc) from exc

    @contextmanager
    def atomic_writer(self, target: Path) -> Iterator[BinaryIO]:
        """Write ``target`` completely or not at all."""
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temp_name = tempfile.mkstemp(dir=target.parent, prefix=".partial-")
        temp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as out:
                yield out
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except OSError as exc:
            temp.unlink(missing_ok=True)
            raise _storage_error(exc) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise

    def leftovers(self) -> list[Path]:
        """Temporary files of interrupted writes (there should be none)."""
        return [
            p
            for p in self.root.rglob("*")
            if p.is_file() and p.name.startswith((".partial-", "import-"))
        ]


def _storage_error(exc: OSError) -> Exception:
    import errno

    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return StorageFullError(
            "The disk is full: the photo was not stored. Free some space and import it again."
        )
    return exc
