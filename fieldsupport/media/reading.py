"""Reading a batch of photo files for an import (no database, no Qt): which files a folder
holds, and each file read once into the blob store's staging folder - hashed while it is
copied, decoded from that copy into its facts and upright copies - or refused with a reason.
Files are read in worker processes (one per core, started once and kept for later imports)
when the batch is large enough to be worth them or the processes are already running.

A file is staged as ``blobs/tmp/import-<token>-{original,report,thumb}``, each complete and
flushed to the disk; the importer renames them into place and records the photo. The token
is chosen here, so whatever a reading process leaves (cancelled, or the process died) can be
removed by it.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import ImageRefused, PhotoFacts, check, derive, facts
from fieldsupport.tasks import TaskState

PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".heic", ".heif"}
# what else a camera card or a phone's folder holds, named in the import's summary
VIDEO_SUFFIXES = {".mov", ".mp4", ".m4v", ".avi", ".3gp", ".mts", ".m2ts", ".mkv", ".wmv"}
RAW_SUFFIXES = {
    ".dng", ".cr2", ".cr3", ".crw", ".nef", ".nrw", ".arw", ".srf", ".sr2", ".orf", ".rw2",
    ".raf", ".pef", ".srw", ".x3f", ".3fr", ".iiq", ".rwl",
}  # fmt: skip


class Outcome(StrEnum):
    IMPORTED = "imported"
    DUPLICATE = "duplicate"
    REFUSED = "refused"
    #: a file in a folder that is not a photo by its name (a video, a RAW file, a PDF): not
    #: read, only listed
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FileResult:
    path: Path
    outcome: Outcome
    reason: str = ""
    attachment_id: str | None = None

    def line(self) -> str:
        suffix = f": {self.reason}" if self.reason else ""
        return f"{self.path}: {self.outcome.value}{suffix}"


@dataclass(frozen=True)
class Staged:
    """A photo read for an import: the SHA-256 of its bytes, its facts, and its files staged
    for the blob store (None: the store had that file already)."""

    path: Path
    sha256: str
    facts: PhotoFacts
    token: str
    original: Path | None
    report: Path | None
    thumbnail: Path | None


def new_token() -> str:
    return os.urandom(12).hex()


def discard(store: BlobStore, token: str) -> None:
    """Remove what was staged under ``token`` (nothing when it was all renamed into place)."""
    for path in store.staging.glob(f"import-{token}-*"):
        path.unlink(missing_ok=True)


def read_photo(path: Path, blobs: Path, token: str) -> Staged | FileResult:
    """Read one file into the staging folder of the blob store at ``blobs`` (runs in a worker
    process for batches). Refusals leave nothing staged."""
    store = BlobStore(blobs)
    try:
        if not path.is_file():
            return FileResult(path, Outcome.REFUSED, "no such file")
        if path.stat().st_size == 0:
            return FileResult(path, Outcome.REFUSED, "empty file (0 bytes)")
        check(path)  # from its header: a large file that is no photo is not copied
        original = store.staging / f"import-{token}-original"
        sha256, staged = store.stage_file(path, original)
        # decoded from the very bytes that are stored (the file may change meanwhile)
        source = original if staged else store.original_path(sha256)
        report, thumbnail = store.report_copy_path(sha256), store.thumbnail_path(sha256)
        if not staged and report.is_file() and thumbnail.is_file():
            return Staged(path, sha256, facts(source), token, None, None, None)
        derived = derive(source)
        staged_report = store.staging / f"import-{token}-report"
        staged_thumbnail = store.staging / f"import-{token}-thumb"
        store.stage_bytes(derived.report_jpeg, staged_report)
        store.stage_bytes(derived.thumbnail_jpeg, staged_thumbnail)
        return Staged(
            path,
            sha256,
            derived.facts,
            token,
            original if staged else None,
            staged_report,
            staged_thumbnail,
        )
    except BaseException as exc:
        discard(store, token)
        if isinstance(exc, ImageRefused):
            return FileResult(path, Outcome.REFUSED, str(exc))
        if isinstance(exc, FileNotFoundError):
            return FileResult(path, Outcome.REFUSED, "the file disappeared during the import")
        if isinstance(exc, FieldSupportError):  # the disk is full
            return FileResult(path, Outcome.REFUSED, str(exc))
        if isinstance(exc, MemoryError):
            return FileResult(path, Outcome.REFUSED, "not enough memory to read it")
        if isinstance(exc, OSError):
            return FileResult(path, Outcome.REFUSED, f"cannot read it ({exc.strerror or exc})")
        raise


# -- the reading processes ------------------------------------------------------------------
# Decoding and scaling is CPU work: a batch uses one process per core (the GIL would keep
# threads on one core). Starting them costs a few hundred milliseconds, so they are started
# once (by the first batch, or ahead of it by warm_up) and kept for the app's lifetime; a
# couple of files are read in this process while they are not running.
PROCESS_POOL_MIN_FILES = 6
_pool: ProcessPoolExecutor | None = None
_pool_lock = threading.Lock()


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _current_pool(*, start: bool) -> ProcessPoolExecutor | None:
    global _pool
    with _pool_lock:
        if _pool is None and start and _workers() > 1:
            # spawn, not fork: the app has Qt and database threads a fork would copy badly
            _pool = ProcessPoolExecutor(
                max_workers=_workers(), mp_context=multiprocessing.get_context("spawn")
            )
        return _pool


def _drop_pool(pool: ProcessPoolExecutor) -> None:
    """Forget a pool that broke (a reading process died); the next read starts a new one."""
    global _pool
    with _pool_lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False)


def _submit(
    path: Path, blobs: Path, token: str
) -> tuple[ProcessPoolExecutor, Future[Staged | FileResult]]:
    for _attempt in range(2):
        pool = _current_pool(start=True)
        assert pool is not None
        try:
            return pool, pool.submit(read_photo, path, blobs, token)
        except (BrokenProcessPool, RuntimeError):  # it broke, in another import perhaps
            _drop_pool(pool)
    raise BrokenProcessPool("the photo reading processes cannot be started")


def _ready() -> bool:
    return True


def warm_up() -> None:
    """Start the reading processes now (an import is likely soon: its file dialog is open,
    files are dragged over the gallery), so the import does not wait for them. Call it off
    the GUI thread; they stay running for later imports."""
    pool = _current_pool(start=True)
    if pool is not None:
        try:
            for _ in range(_workers()):
                pool.submit(_ready)
        except (BrokenProcessPool, RuntimeError):
            _drop_pool(pool)


def shut_down() -> None:
    """End the reading processes (the app's exit; a test's end). Reads in flight finish."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def reading_processes() -> list[int]:
    """Process ids of the running reading processes (for tests and diagnostics)."""
    pool = _current_pool(start=False)
    processes = getattr(pool, "_processes", None) or {}
    return [p.pid for p in processes.values() if p.pid is not None]


class Deriver:
    """Reads the files of one import, in order, a few ahead in the reading processes."""

    def __init__(self, count: int, blobs: Path) -> None:
        self.blobs = blobs
        self.store = BlobStore(blobs)
        running = _current_pool(start=False) is not None
        self.parallel = _workers() > 1 and (
            count >= PROCESS_POOL_MIN_FILES or (count > 1 and running)
        )
        self._pending: deque[tuple[Path, str, Future[Staged | FileResult]]] = deque()

    def __enter__(self) -> Deriver:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._abandon()

    def _abandon(self) -> None:
        """Files read ahead that will not be imported (cancelled): their staged files go. A
        file being read is waited for (at most one file per process), then removed."""
        while self._pending:
            _path, token, future = self._pending.popleft()
            if not future.cancel():
                wait([future])  # whatever it read or failed with is not kept
            discard(self.store, token)

    def run(self, files: list[Path], state: TaskState) -> Iterator[Staged | FileResult]:
        """The read (staged) or refused files, in file order."""
        if not self.parallel:
            for path in files:
                state.check()
                yield read_photo(path, self.blobs, new_token())
            return
        window = 2 * _workers()
        queue = iter(files)
        alone: deque[Path] = deque()  # read one at a time after a reading process died
        try:
            while True:
                while not alone and len(self._pending) < window:
                    path = next(queue, None)
                    if path is None:
                        break
                    token = new_token()
                    self._pending.append((path, token, _submit(path, self.blobs, token)[1]))
                state.check()
                if alone:
                    yield self._read_alone(alone.popleft())
                    continue
                if not self._pending:
                    return
                path, token, future = self._pending[0]
                try:
                    result = future.result()
                except (BrokenProcessPool, CancelledError):
                    # A reading process died (a file that crashes the decoder, or the process
                    # was killed): every file in flight failed with it. Each is read again
                    # alone, so only the file that kills its process is refused.
                    alone.extend(p for p, _t, _f in self._pending)
                    self._abandon()
                    continue
                self._pending.popleft()
                yield result
        finally:
            self._abandon()

    def _read_alone(self, path: Path) -> Staged | FileResult:
        token = new_token()
        pool, future = _submit(path, self.blobs, token)
        try:
            return future.result()
        except (BrokenProcessPool, CancelledError):
            _drop_pool(pool)
            discard(self.store, token)
            return FileResult(
                path, Outcome.REFUSED, "reading it crashed the photo decoder (a damaged file?)"
            )


@dataclass(frozen=True)
class Found:
    """The files to import, and those of the folders that are not photos (``skipped``)."""

    files: list[Path]
    skipped: list[FileResult]


def not_a_photo(path: Path) -> str:
    """Why a file in a folder is not imported, for the summary."""
    suffix = path.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return "a video, not a photo"
    if suffix in RAW_SUFFIXES:
        return "a camera RAW file (its JPEG is imported)"
    return "not a photo (JPEG, PNG and HEIC files are imported)"


def find(paths: Iterable[Path]) -> Found:
    """Files as given, folders walked recursively (a phone or camera mount): their photos by
    name, in name order, and the rest listed as skipped (videos, RAW files, PDFs, ...) so an
    import says what it left out; hidden files and folders (a Mac's ``._`` files, a card's
    ``.Trashes``) are passed over without a word. Files named one by one are all imported
    (one that is no photo is refused with its reason)."""
    files: list[Path] = []
    skipped: list[FileResult] = []
    for path in paths:
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(n for n in names if not n.startswith(".")):
                    file = Path(root) / name
                    if file.suffix.lower() in PHOTO_SUFFIXES:
                        files.append(file)
                    else:
                        skipped.append(FileResult(file, Outcome.SKIPPED, not_a_photo(file)))
        else:
            files.append(path)
    return Found(files, skipped)


def expand(paths: Iterable[Path]) -> list[Path]:
    """The files :func:`find` imports."""
    return find(paths).files
