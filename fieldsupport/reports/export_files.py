"""File-system primitives of the report export: atomic writes through a temporary name,
hashing while writing, directory fsync, an exclusive lock on the export folder, and disk
errors turned into messages a person can act on."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

LOCK_NAME = ".fieldsupport-export.lock"


class FolderBusy(Exception):
    """Another export holds the folder's lock."""


class HashingWriter:
    """Writes through to the file and hashes what passes."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        self._out.write(data)
        self.digest.update(data)
        self.size += len(data)
        return len(data)


@contextmanager
def atomic_write(target: Path) -> Iterator[BinaryIO]:
    temp = target.with_name(f".{target.name}.tmp")
    try:
        with open(temp, "wb") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def write_bytes(target: Path, body: bytes) -> dict[str, Any]:
    with atomic_write(target) as out:
        out.write(body)
    return {"name": target.name, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def reason(exc: OSError) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return "the disk is full"
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return "the folder is not writable"
    return exc.strerror or str(exc)


def disk_message(out_dir: Path, exc: OSError, outcome: str) -> str:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The export folder {out_dir} is full. {outcome} Free some space and export again."
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"The export folder {out_dir} is not writable. {outcome} Choose a folder you may "
            "write to, or ask for write access."
        )
    return f"Writing to the export folder {out_dir} failed ({reason(exc)}). {outcome}"


@contextmanager
def exclusive_folder(out_dir: Path) -> Iterator[None]:
    """One export per folder at a time (the app and the command line could both try). An OS
    lock, released by the OS if the process dies."""
    from fieldsupport.store.lock import _try_lock, _unlock  # the workspace lock's primitives

    handle = open(out_dir / LOCK_NAME, "a+", encoding="utf-8")  # noqa: SIM115 - held below
    try:
        if not _try_lock(handle):
            raise FolderBusy(out_dir)
        try:
            yield
        finally:
            _unlock(handle)
    finally:
        handle.close()
