"""A new device's first sync from a snapshot (docs/sync-protocol.md, section 14).

Instead of a million records page by page (each parsed, converted and inserted, then every
index and the search index built), an empty workspace downloads the server's ready-made
database of its scope, compressed, and puts it in place of its own; then it pulls, page by
page as always, whatever changed since the snapshot's cursor. The download resumes after
any interruption and is verified by its SHA-256 before anything is unpacked; the
workspace's own rows (identity, server, outbox) are carried into the new file in the same
transaction that checks the workspace is still empty, and the file is renamed into place
only when complete (``Workspace.replace_database``). A server without snapshots, a snapshot
this app cannot open, a workspace that is not empty: nothing happens and the caller pulls
page by page.
"""

from __future__ import annotations

import hashlib
import logging
import queue
import re
import shutil
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldsupport import compression
from fieldsupport.errors import StorageFullError, WorkspaceError
from fieldsupport.store import migrate
from fieldsupport.sync import snapshot_db
from fieldsupport.sync.transport import (
    AuthRejected,
    ServerUnavailable,
    SyncError,
    Transport,
    check,
)
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

log = logging.getLogger(__name__)

UNPACK_BYTES = 4 * 1024 * 1024
WRITE_QUEUE = 16  # unpacked pieces (about 4 MB each) waiting for the writer
FOLDER = "downloads"  # inside the workspace: the renames stay on one file system
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
SPACE_MARGIN = 64 * 1024 * 1024

Hook = Callable[[str], None]


class SnapshotDamaged(SyncError):
    """The file does not unpack, or not to what the offer said: not used, the sync goes on
    page by page (a server with a damaged snapshot must not keep new devices waiting)."""


@dataclass(frozen=True)
class Offer:
    """The server's snapshot for this device's scope (``GET /v1/snapshot``)."""

    sha256: str
    size: int  # of the compressed file
    raw_size: int  # of the database unpacked
    cursor: int
    schema: str
    records: int


def parse_offer(body: Any) -> Offer | None:
    """The offer, or ``None`` for one this app cannot use (another format or encoding)."""
    if not isinstance(body, dict):
        return None
    if body.get("format") != snapshot_db.FORMAT or body.get("encoding") != snapshot_db.ENCODING:
        return None
    sha, schema = body.get("sha256"), body.get("schema")
    numbers = [body.get(k) for k in ("size", "raw_size", "cursor", "records")]
    if not (isinstance(sha, str) and _SHA256.match(sha) and isinstance(schema, str)):
        return None
    if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in numbers):
        return None
    size, raw_size, cursor, records = numbers
    return Offer(sha, size, raw_size, cursor, schema, records)  # type: ignore[arg-type]


class SnapshotLoader:
    def __init__(
        self, workspace: Workspace, transport: Transport, task: TaskState, hook: Hook
    ) -> None:
        self.workspace = workspace
        self.transport = transport
        self.task = task
        self.hook = hook
        self.folder = workspace.root / FOLDER

    def load(self) -> Offer | None:
        """Put the server's snapshot in place; the offer installed, or ``None`` when nothing
        was done (the caller then pulls page by page)."""
        for _attempt in range(2):  # the server may replace its snapshot during a download
            offer = self._offer()
            if offer is None or not self._opens(offer):
                return None
            self._check_space(offer)
            partial = self.folder / f"snapshot-{offer.sha256}.part"
            unpacked = self.folder / f"snapshot-{offer.sha256}.db"
            try:
                if not self._fetch(offer, partial, unpacked):
                    continue
                self.hook("snapshot.after_download")
                installed = self._install(offer, unpacked)
            except SnapshotDamaged as exc:
                log.warning("snapshot %s not used: %s", offer.sha256[:12], exc)
                return None
            finally:
                for suffix in ("", "-journal", "-wal", "-shm"):
                    unpacked.with_name(unpacked.name + suffix).unlink(missing_ok=True)
            partial.unlink(missing_ok=True)
            return offer if installed else None
        return None

    @staticmethod
    def discard_leftovers(workspace: Workspace) -> None:
        """Remove what a download left behind once the workspace no longer needs it (it
        has synced: a crash right after putting a snapshot in place leaves its file)."""
        folder = workspace.root / FOLDER
        if folder.is_dir():
            for leftover in folder.glob("snapshot-*"):
                leftover.unlink(missing_ok=True)

    # -- the offer --------------------------------------------------------------------------
    def _offer(self) -> Offer | None:
        reply = self.transport.request("GET", "/v1/snapshot")
        if reply.status == 404:
            return None  # none for this scope yet, or a server without snapshots
        try:
            offer = parse_offer(check(reply, "snapshot offer"))
        except (ServerUnavailable, AuthRejected):
            raise
        except SyncError as exc:
            log.warning("snapshot offer not used: %s", exc)
            return None
        if offer is None:
            log.warning("snapshot offer in a form this version cannot use: %r", reply.body[:200])
        return offer

    @staticmethod
    def _opens(offer: Offer) -> bool:
        """A snapshot of this app's schema or an older one (upgraded after unpacking); one
        of a newer server's schema is left to the page-by-page pull."""
        return offer.schema in migrate.known_revisions()

    def _check_space(self, offer: Offer) -> None:
        self.folder.mkdir(exist_ok=True)
        free = shutil.disk_usage(self.folder).free
        needed = offer.size + offer.raw_size + SPACE_MARGIN
        if free < needed:
            raise StorageFullError(
                f"The disk holding the workspace has {free / 1e6:,.0f} MB free; the case files "
                f"need {needed / 1e6:,.0f} MB. Free some space and sync again; nothing was "
                "changed."
            )

    # -- download and unpack, in one pass ---------------------------------------------------
    def _fetch(self, offer: Offer, partial: Path, unpacked: Path) -> bool:
        """Download the compressed file into ``partial`` (going on from what an earlier
        attempt left there) and unpack it into ``unpacked`` as it arrives; verified by size
        and SHA-256. False when the server no longer has this snapshot."""
        for stale in self.folder.glob("snapshot-*"):
            if stale != partial:
                stale.unlink(missing_ok=True)  # another snapshot's leftovers
        unpack = _Unpacker(offer, unpacked)
        try:
            with open(partial, "ab+") as kept:
                kept.seek(0)
                while piece := kept.read(UNPACK_BYTES):  # what an earlier attempt fetched
                    unpack.feed(piece)
                if unpack.packed > offer.size:
                    kept.truncate(0)
                    unpack.restart()
                if unpack.packed < offer.size and not self._stream(offer, kept, unpack):
                    kept.close()
                    partial.unlink(missing_ok=True)
                    return False
            if unpack.packed < offer.size:
                raise ServerUnavailable(
                    "The download of the case files stopped early; the next sync goes on "
                    "from there."
                )
            unpack.finish()
        except SnapshotDamaged:
            unpack.close()
            partial.unlink(missing_ok=True)  # the next attempt starts afresh
            raise
        except OSError as exc:
            raise _disk_error(exc) from exc
        finally:
            unpack.close()
        if unpack.digest.hexdigest() != offer.sha256 or unpack.packed != offer.size:
            partial.unlink(missing_ok=True)
            raise SnapshotDamaged("the file arrived with another SHA-256 than offered")
        return True

    def _stream(self, offer: Offer, kept: Any, unpack: _Unpacker) -> bool:
        path = f"/v1/snapshot/{offer.sha256}/content"
        headers = {"Range": f"bytes={unpack.packed}-"} if unpack.packed else None
        with self.transport.stream("GET", path, headers=headers) as answer:
            if answer.status in (404, 410, 416):
                return False
            if answer.status not in (200, 206):
                check(answer.reply(), "snapshot download")
            if answer.status == 200 and unpack.packed:  # the whole file despite the range
                kept.truncate(0)
                unpack.restart()
            for piece in answer.chunks:
                kept.write(piece)
                unpack.feed(piece)
                if unpack.packed > offer.size:
                    break
                self.task.progress(
                    0.4 + 0.4 * unpack.packed / max(offer.size, 1),
                    f"Case files: {unpack.packed / 1e6:,.0f} of {offer.size / 1e6:,.0f} MB",
                )
                self.hook("snapshot.between_chunks")
            kept.flush()
        return True

    # -- install ----------------------------------------------------------------------------
    def _install(self, offer: Offer, unpacked: Path) -> bool:
        if not self._prepared(offer, unpacked):
            return False
        self.task.progress(0.8, "Putting the case files in place")
        self.hook("snapshot.before_install")
        try:
            self.workspace.replace_database(unpacked, snapshot_db.keep_device_rows)
        except snapshot_db.NotEmpty as exc:
            log.info("snapshot not installed: the workspace now holds %s", exc)
            return False
        except StorageFullError:
            raise
        except WorkspaceError as exc:
            log.warning("snapshot not installed: %s", exc)
            return False
        self.hook("snapshot.after_install")
        return True

    def _prepared(self, offer: Offer, unpacked: Path) -> bool:
        """The unpacked file is a workspace database of this app's schema (upgraded if the
        server's is older) holding exactly the snapshot's cursor."""
        try:
            info = migrate.inspect_database(unpacked)
            if info.state is migrate.SchemaState.OUTDATED:
                migrate.upgrade(unpacked)
            elif info.state is not migrate.SchemaState.CURRENT:
                log.warning("snapshot is not a usable database (%s)", info.state.name)
                return False
            conn = sqlite3.connect(unpacked)
            try:
                cursor = snapshot_db.get_setting(conn, snapshot_db.CURSOR_KEY)
            finally:
                conn.close()
        except (WorkspaceError, ValueError, OSError, sqlite3.Error) as exc:
            log.warning("snapshot not usable: %s", exc)
            return False
        if cursor != offer.cursor:
            log.warning("snapshot holds cursor %r, the offer said %s", cursor, offer.cursor)
            return False
        return True


class _Unpacker:
    """Hashes the compressed bytes and unpacks them as they come, never more than the
    offer's size (a file that would unpack larger is refused). The unpacked bytes are
    written on a thread of their own: writing 600 MB costs as much as unpacking them, and
    both let other threads run (measured: the download and unpacking in 60% of the time)."""

    def __init__(self, offer: Offer, target: Path) -> None:
        self.offer = offer
        self.out = open(target, "wb")  # noqa: SIM115 - closed by close()
        self._pending: queue.Queue[bytes | None] = queue.Queue(maxsize=WRITE_QUEUE)
        self._failure: OSError | None = None
        self._writer: threading.Thread | None = None
        self.restart()

    def restart(self) -> None:
        self._drain()
        self.digest = hashlib.sha256()
        self.packed = 0
        self.unpacked = 0
        try:
            self._decompress = compression.decompressor()
        except compression.CompressionError as exc:
            raise SnapshotDamaged(str(exc)) from exc
        self.out.seek(0)
        self.out.truncate()

    def feed(self, piece: bytes) -> None:
        self.digest.update(piece)
        self.packed += len(piece)
        try:
            data = self._decompress.decompress(piece)
        except compression.CompressionError as exc:
            raise SnapshotDamaged(f"the file does not unpack ({exc})") from exc
        self.unpacked += len(data)
        if self.unpacked > self.offer.raw_size:
            raise SnapshotDamaged("the file unpacks to more than the offer said")
        if data:
            self._write(data)

    def _write(self, data: bytes) -> None:
        if self._failure is not None:
            raise self._failure
        if self._writer is None:
            self._writer = threading.Thread(target=self._writes, name="snapshot-unpack")
            self._writer.start()
        self._pending.put(data)

    def _writes(self) -> None:
        while (data := self._pending.get()) is not None:
            if self._failure is None:
                try:
                    self.out.write(data)
                except OSError as exc:
                    self._failure = exc  # raised on the feeding thread

    def _drain(self) -> None:
        """Wait until everything handed to the writer is written (or failed)."""
        if self._writer is not None:
            self._pending.put(None)
            self._writer.join()
            self._writer = None
        if self._failure is not None:
            raise self._failure

    def finish(self) -> None:
        self._drain()
        if self.unpacked != self.offer.raw_size:
            raise SnapshotDamaged("the file unpacked to another size than the offer said")
        self.out.flush()

    def close(self) -> None:
        try:
            self._failure = None
            self._drain()
        finally:
            self.out.close()


def _disk_error(exc: OSError) -> Exception:
    if exc.errno in (28, 122):  # ENOSPC, EDQUOT
        return StorageFullError(
            "The disk holding the workspace filled up while the case files arrived; nothing "
            "was changed. Free some space and sync again."
        )
    return SyncError(f"The case files could not be written ({exc.strerror or exc}).")
