"""Making files and renames durable: what a crash or a power cut must not undo."""

from __future__ import annotations

import os
import sys
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
