"""Single-writer lock on a workspace folder.

An OS-level advisory lock on ``workspace.lock``: released by the OS if the process dies, so a
crash never leaves a stale lock behind. The file records who holds it, for the message the
second process shows.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path
from typing import IO, Any

from fieldsupport.errors import WorkspaceError, WorkspaceLockedError

LOCK_NAME = "workspace.lock"


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows builds only
        import msvcrt

        try:
            handle.seek(0)  # msvcrt locks bytes from the current position
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(handle: IO[str]) -> None:
    if sys.platform == "win32":  # pragma: no cover
        import msvcrt

        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


class WorkspaceLock:
    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self) -> None:
        try:
            # "a+" so we never truncate the holder's record before we own the lock
            handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held while open
        except OSError as exc:
            raise WorkspaceError(
                f"Cannot create the lock file in {self.path.parent}: {exc.strerror}. "
                "Check that the workspace folder is writable."
            ) from exc
        if not _try_lock(handle):
            holder = self._read_holder(handle)
            handle.close()
            raise WorkspaceLockedError(
                f"The workspace {self.path.parent} is already open in another FieldSupport "
                f"window or command{holder}. Close it first, or open a different workspace."
            )
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "argv": sys.argv[:3]})
        )
        handle.flush()
        self._handle = handle

    @staticmethod
    def _read_holder(handle: IO[str]) -> str:
        try:
            handle.seek(0)
            info: dict[str, Any] = json.loads(handle.read() or "{}")
        except (OSError, ValueError):
            return ""
        if "pid" in info:
            return f" (process {info['pid']} on {info.get('host', '?')})"
        return ""

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None
