"""Blob transfer on the device: uploads before the operations that reference them, resumed
from the offset the server holds; downloads of blobs other devices made, resumed from the
bytes already fetched and verified before they count (docs/sync-protocol.md, section 9)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fieldsupport.media.blobstore import BlobStore, sha256_of
from fieldsupport.sync import wire
from fieldsupport.sync.transport import SyncError, Transport, check
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

STATUS_BATCH = 500  # blobs asked about in one request


@dataclass
class Uploaded:
    count: int = 0
    bytes: int = 0


class BlobTransfer:
    def __init__(
        self,
        transport: Transport,
        store: BlobStore,
        task: TaskState,
        hook: Callable[[str], None],
        chunk_bytes: int,
        *,
        parallel: int = 1,
    ) -> None:
        self.transport = transport
        self.store = store
        self.task = task
        self.hook = hook
        self.chunk_bytes = chunk_bytes
        # uploads at once: while the server writes and syncs one file to its disk, the next
        # is on its way (1 where requests must stay strictly one after another)
        self.parallel = parallel
        self._hook_lock = threading.Lock()  # parallel uploads pass the named points in turn
        self._on_server: set[str] = set()

    # -- upload ---------------------------------------------------------------------------------
    def upload_for(self, ops: list[dict[str, Any]]) -> Uploaded:
        """Make sure every blob the operations reference is complete on the server."""
        done = Uploaded()
        wanted = [(sha, media) for sha, media in _referenced(ops) if sha not in self._on_server]
        held = self._held([sha for sha, _media in wanted])
        if self.parallel > 1 and len(wanted) > 1:
            with ThreadPoolExecutor(self.parallel, thread_name_prefix="sync-upload") as pool:
                sent_all = list(pool.map(lambda blob: self.upload(*blob, held=held), wanted))
        else:
            sent_all = [self.upload(sha, media, held=held) for sha, media in wanted]
        for (sha, _media), sent in zip(wanted, sent_all, strict=True):
            if sent is not None:
                done.count += 1
                done.bytes += sent
            self._on_server.add(sha)
        return done

    def _held(self, shas: list[str]) -> dict[str, Any] | None:
        """What the server holds of these blobs, asked in one request (``None``: a server
        without ``/v1/blob-statuses``; each blob is then asked for on its own)."""
        if not shas:
            return {}
        held: dict[str, Any] = {}
        for start in range(0, len(shas), STATUS_BATCH):
            reply = self.transport.request(
                "POST",
                "/v1/blob-statuses",
                json_body={"sha256": shas[start : start + STATUS_BATCH]},
            )
            if reply.status in (404, 405):
                return None
            blobs = check(reply, "file check").get("blobs")
            if not isinstance(blobs, dict):
                raise SyncError("The server's answer about its files has an unexpected shape.")
            held.update(blobs)
        return held

    def upload(
        self, sha256: str, media_type: str, *, held: dict[str, Any] | None = None
    ) -> int | None:
        """Send the bytes the server lacks; ``None`` if it had the blob already. A blob missing
        here is skipped: the server answers its operation with "retry" and it stays pending.
        ``held``: what the server said it holds (``_held``), else it is asked here."""
        path = self.store.original_path(sha256)
        if not path.is_file():
            return None
        size = path.stat().st_size
        if held is not None and sha256 in held:
            status = held[sha256]
        else:
            reply = self.transport.request("GET", f"/v1/blobs/{sha256}")
            status = None if reply.status == 404 else check(reply, "file check")
        if status is not None and not isinstance(status, dict):
            raise SyncError("The server's answer about a file has an unexpected shape.")
        if status is not None and status.get("complete"):
            return None
        offset = int(status.get("received", 0)) if status is not None else 0
        sent = 0
        with open(path, "rb") as source:
            while True:
                self.task.check()
                source.seek(offset)
                # exactly the bytes to send: a read of more than the file holds can allocate
                # the larger buffer afresh each time (~800 page faults for a 3 MB photo)
                chunk = source.read(max(0, min(self.chunk_bytes, size - offset)))
                params = {"offset": offset, "size": size, "media_type": media_type}
                reply = self.transport.request(
                    "PUT",
                    f"/v1/blobs/{sha256}",
                    content=chunk,
                    params=params,
                    headers={"Content-Type": "application/octet-stream"},
                )
                if reply.status == 409:  # the server holds a different amount: resume there
                    offset = int(reply.json("file upload").get("received", 0))
                    continue
                answer = check(reply, "file upload")
                sent += len(chunk)
                if answer.get("complete"):
                    return sent
                offset = int(answer.get("received", offset + len(chunk)))
                with self._hook_lock:
                    self.hook("blob.between_chunks")

    # -- download -------------------------------------------------------------------------------
    def download_missing(self, workspace: Workspace) -> int:
        """Fetch the blobs that records here reference but whose bytes are not here."""
        with workspace.engine.connect() as conn:
            wanted = [
                (sha, media)
                for sha, media in conn.exec_driver_sql(
                    "SELECT sha256, media_type FROM blobs ORDER BY sha256"
                ).all()
            ]
        fetched = 0
        for sha, _media in wanted:
            if self.store.has(sha):
                continue
            self.task.check()
            if self.download(sha):
                fetched += 1
        return fetched

    def download(self, sha256: str) -> bool:
        """Fetch one blob, resuming a partial download; verified before it counts."""
        target = self.store.original_path(sha256)
        partial = self.store.root / "tmp" / f"download-{sha256}"
        partial.parent.mkdir(parents=True, exist_ok=True)
        have = partial.stat().st_size if partial.exists() else 0
        # killed after the last chunk but before the rename: the bytes are all here already
        if have and sha256_of(partial) == sha256:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, target)
            return True
        headers = {"Range": f"bytes={have}-"} if have else None
        reply = self.transport.request("GET", f"/v1/blobs/{sha256}/content", headers=headers)
        if reply.status == 416:  # the partial file is not a prefix of the blob: start over
            partial.unlink(missing_ok=True)
            reply = self.transport.request("GET", f"/v1/blobs/{sha256}/content")
        if reply.status == 404:
            return False
        if reply.status not in (200, 206):
            check(reply, "file download")
        with open(partial, "ab" if reply.status == 206 else "wb") as out:
            out.write(reply.body)
            out.flush()
            os.fsync(out.fileno())
        if sha256_of(partial) != sha256:
            partial.unlink(missing_ok=True)
            raise SyncError(f"The file {sha256[:12]}… arrived damaged; it will be fetched again.")
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(partial, target)
        return True


def _referenced(ops: list[dict[str, Any]]) -> list[tuple[str, str]]:
    out: dict[str, str] = {}
    for op in ops:
        for column in wire.BLOB_COLUMNS.get(op["t"], ()):
            sha = op["fields"].get(column)
            if isinstance(sha, str):
                media = op["fields"].get("media_type") if op["t"] == "attachments" else None
                out.setdefault(sha, media or _media_for(column))
    return list(out.items())


def _media_for(column: str) -> str:
    return {"image_sha256": "image/png", "pdf_sha256": "application/pdf"}.get(
        column, "application/json" if column == "data_sha256" else "image/jpeg"
    )
