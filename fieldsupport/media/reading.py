"""Reading a batch of photo files for an import (no database, no Qt): which files a folder
holds, each file decoded into its facts and upright copies or refused with a reason, in
worker processes when the batch is large enough to be worth them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fieldsupport.media.images import Derived, ImageRefused, derive
from fieldsupport.tasks import TaskState

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


class Deriver:
    def __init__(self, count: int) -> None:
        self._pool: ProcessPoolExecutor | None = None
        if count >= PROCESS_POOL_MIN_FILES and (os.cpu_count() or 1) > 1:
            # spawn, not fork: the app has Qt and database threads a fork would copy badly
            self._pool = ProcessPoolExecutor(
                max_workers=min(os.cpu_count() or 2, 4),
                mp_context=multiprocessing.get_context("spawn"),
            )

    def __enter__(self) -> Deriver:
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
