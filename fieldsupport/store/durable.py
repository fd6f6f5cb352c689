"""Making files and renames durable: what a crash or a power cut must not undo."""

from __future__ import annotations

import errno
import mmap
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path


def fsync_file(path: Path) -> None:
    """The file's bytes are on the disk."""
    # Windows flushes only through a handle that may write
    handle = os.open(path, os.O_RDWR if sys.platform == "win32" else os.O_RDONLY)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def fsync_dir(path: Path) -> None:
    """The folder's entries (a rename into it) are on the disk."""
    if sys.platform == "win32":  # pragma: no cover - directories cannot be opened there
        return
    fsync_file(path)


# -- new files written past the page cache ---------------------------------------------------
# A blob the server receives is written once and seldom read back soon. Written through the
# page cache, every 3 MB photo first claims 3 MB of fresh memory and copies into it (on a
# virtual machine whose host reclaims free memory, that first touch cost 2-10 ms per photo,
# more than hashing it); written with O_DIRECT, as object stores such as MinIO write, the
# bytes go from one reused aligned buffer to the disk. Where the system or file system does
# not take O_DIRECT (macOS, Windows, some network or FUSE file systems), the file is written
# the usual way.
_ALIGN = 4096  # O_DIRECT wants buffer, length and offset aligned to the device's block size
_SEGMENT = 4 * 1024 * 1024  # bytes written per O_DIRECT write (a photo: one or two)
_KEPT_BUFFERS = 4  # aligned buffers kept for the next files (one per concurrent upload)
_buffers: list[mmap.mmap] = []
_buffers_lock = threading.Lock()
_refusing_devices: set[int] = set()


class _DirectRefused(Exception):
    """The file system does not take O_DIRECT (or not with this alignment)."""


def write_new_file(path: Path, pieces: Sequence[bytes | memoryview]) -> int:
    """Write ``pieces`` (the file's bytes, in order) to ``path``, created or truncated, and
    make the bytes durable before returning their count. The folder entry is not synced."""
    if _DIRECT is not None:
        device = os.stat(path.parent).st_dev
        if device not in _refusing_devices:
            try:
                return _write_direct(path, pieces)
            except _DirectRefused:
                _refusing_devices.add(device)  # not asked again while this process runs
    with open(path, "wb") as out:
        for piece in pieces:
            out.write(piece)
        out.flush()
        os.fsync(out.fileno())
        return out.tell()


_DIRECT: int | None = getattr(os, "O_DIRECT", None) if sys.platform.startswith("linux") else None


def _write_direct(path: Path, pieces: Sequence[bytes | memoryview]) -> int:
    try:
        handle = os.open(
            path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | _DIRECT, 0o666
        )
    except OSError as error:
        if error.errno == errno.EINVAL:
            raise _DirectRefused from error
        raise
    buffer = _take_buffer()
    try:
        written = _fill_and_write(handle, buffer, pieces)
        os.ftruncate(handle, written)  # the padding of the last block goes
        os.fsync(handle)
    finally:
        os.close(handle)
    # only after success: a failed write's traceback may still hold views of the buffer
    _give_back(buffer)
    return written


def _fill_and_write(handle: int, buffer: mmap.mmap, pieces: Sequence[bytes | memoryview]) -> int:
    """The pieces copied into ``buffer`` and written a full segment at a time; the last
    block padded with zeros. Returns the count of the pieces' bytes."""
    filled = written = 0
    with memoryview(buffer) as view:
        for piece in pieces:
            with memoryview(piece) as whole:
                data = whole.cast("B")
                while data:
                    taken = min(len(data), _SEGMENT - filled)
                    view[filled : filled + taken] = data[:taken]
                    filled += taken
                    data = data[taken:]
                    if filled == _SEGMENT:
                        written += _write_all(handle, view[:_SEGMENT])
                        filled = 0
        if filled:
            padded = -(-filled // _ALIGN) * _ALIGN
            view[filled:padded] = bytes(padded - filled)
            _write_all(handle, view[:padded])
            written += filled
    return written


def _write_all(handle: int, data: memoryview) -> int:
    done = 0
    while done < len(data):
        try:
            done += os.write(handle, data[done:])
        except OSError as error:
            if error.errno == errno.EINVAL:  # the device's blocks are larger than _ALIGN
                raise _DirectRefused from error
            raise
    return done


def _take_buffer() -> mmap.mmap:
    with _buffers_lock:
        if _buffers:
            return _buffers.pop()
    return mmap.mmap(-1, _SEGMENT)  # anonymous memory is page-aligned


def _give_back(buffer: mmap.mmap) -> None:
    with _buffers_lock:
        if len(_buffers) < _KEPT_BUFFERS:
            _buffers.append(buffer)
            return
    buffer.close()
