"""Snapshots: a ready-made workspace database per scope, for the first sync of a new device
(docs/sync-protocol.md, section 14).

For every scope (everything, for back office and admins; the advisors' view; one engineer's
cases) the server keeps a workspace of its own under ``<blobs>/snapshots/<scope>/shadow``,
brought up to date with the very code a device runs (``SyncClient.pull`` over an in-process
transport, then the checkpoint). A refresh that agrees with the checkpoint is published: a
copy of that database without the copy's own identity, compressed (zstd) and named by its
SHA-256, and a manifest saying which cursor and schema it holds. Devices download the
published file and pull the changes made since its cursor as usual, so a snapshot may be
hours old and still be right.

A snapshot older than the purge horizon (tombstones removed since its cursor,
``central.service.purge_tombstones``) is never offered: a device starting from it would
keep records deleted meanwhile. Purging waits for the published snapshots as it waits for
devices. Several server processes may share the folder: a refresh holds the shadow
workspace's lock, manifests and files are written under temporary names and renamed.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldsupport import compression
from fieldsupport.central.accounts import Principal
from fieldsupport.errors import NotFoundError, WorkspaceLockedError
from fieldsupport.reports.export_files import HashingWriter
from fieldsupport.store import migrate
from fieldsupport.sync import snapshot_db
from fieldsupport.sync.transport import InProcessTransport, Reply, SyncError
from fieldsupport.tasks import Cancelled, TaskState

if TYPE_CHECKING:
    from fieldsupport.central.service import CentralService

log = logging.getLogger(__name__)

FOLDER = "snapshots"
MANIFEST = "current.json"
PREVIOUS = "previous.json"
_NAMESPACE = uuid.UUID("0d5c3a52-8f2e-4d8e-9b1f-6a3f1c9e2b47")
COMPRESSION_LEVEL = 3


@dataclass(frozen=True)
class SnapshotPolicy:
    """When a server refreshes snapshots by itself (``serve``; off for the library, whose
    callers decide, and in tests that need to know when it happens)."""

    auto: bool = False
    stale_changes: int = 2_000  # this many changes after a snapshot's cursor: refresh it
    min_interval_s: float = 300.0  # but not more often than this per scope


@dataclass(frozen=True)
class Scope:
    key: str
    principal: Principal  # whom the shadow pulls as


def scope_of(principal: Principal) -> Scope:
    """The scope whose snapshot serves ``principal``: every account that sees everything
    shares one, so do the advisors; an engineer's is their own (assignments, team)."""
    if principal.sees_everything:
        key, who = "all", Principal(0, "snapshot", "admin", None, "")
    elif principal.role == "advisor":
        key, who = "advisors", Principal(0, "snapshot", "advisor", None, "")
    else:
        key, who = f"account-{principal.account_id}", principal
    return Scope(key, replace(who, device_id=str(uuid.uuid5(_NAMESPACE, key))))


class ServiceTransport(InProcessTransport):
    """The device's transport, answered by the service in-process, as one principal."""

    def __init__(self, service: CentralService, principal: Principal) -> None:
        self.service = service
        self.principal = principal

    def request(self, method: str, path: str, **kw: Any) -> Reply:  # type: ignore[override]
        params = kw.get("params") or {}
        if method == "GET" and path == "/v1/pull":
            page = self.service.pull(self.principal, int(params["cursor"]), int(params["limit"]))
            return Reply(200, page)
        if method == "GET" and path == "/v1/checkpoint":
            return Reply(200, json.dumps(self.service.checkpoint(self.principal)).encode())
        return Reply(404, b'{"error":"not_found","message":"not served in-process"}')


class Snapshots:
    def __init__(self, service: CentralService, root: Path, policy: SnapshotPolicy) -> None:
        self.service = service
        self.root = root
        self.policy = policy
        self._lock = threading.Lock()
        self._wanted: dict[str, Scope] = {}
        self._last_try: dict[str, float] = {}
        self._worker: threading.Thread | None = None
        self._task = TaskState()

    # -- serving ----------------------------------------------------------------------------
    def manifest(self, key: str, name: str = MANIFEST) -> dict[str, Any] | None:
        try:
            data = json.loads((self.root / key / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def offer(self, principal: Principal) -> dict[str, Any]:
        """The published snapshot of the caller's scope (:class:`NotFoundError`: none that
        may be used; with the automatic policy one is then prepared)."""
        scope = scope_of(principal)
        found = self.manifest(scope.key)
        usable = (
            found is not None
            and int(found.get("cursor", -1)) >= self.service.purge_horizon()
            and (self.root / scope.key / f"{found.get('sha256')}.zst").is_file()
        )
        if not usable or self._stale(found):
            self.request_refresh(scope)
        if not usable or found is None:
            raise NotFoundError("No snapshot of this scope yet; pull page by page.")
        return {k: found[k] for k in _OFFERED}

    def _stale(self, found: dict[str, Any] | None) -> bool:
        if found is None:
            return True
        return self.service.top_sequence() - int(found["cursor"]) >= self.policy.stale_changes

    def content_path(self, principal: Principal, sha256: str) -> Path:
        """The file of the caller's scope's current (or, while downloads of it may still
        run, previous) snapshot; anything else is a 404."""
        key = scope_of(principal).key
        for name in (MANIFEST, PREVIOUS):
            found = self.manifest(key, name)
            if found is not None and found.get("sha256") == sha256:
                path = self.root / key / f"{sha256}.zst"
                if path.is_file():
                    return path
        raise NotFoundError("The server no longer has this snapshot; ask for the current one.")

    def published_cursors(self) -> list[int]:
        """The cursors of the current snapshots (purging waits for them)."""
        if not self.root.is_dir():
            return []
        cursors = []
        for folder in self.root.iterdir():
            found = self.manifest(folder.name) if folder.is_dir() else None
            if found is not None and isinstance(found.get("cursor"), int):
                cursors.append(found["cursor"])
        return cursors

    # -- making them ------------------------------------------------------------------------
    def refresh(self, principal: Principal, task: TaskState | None = None) -> dict[str, Any]:
        """Bring the caller's scope's shadow up to date and publish it if it moved; the
        manifest in force. Raises :class:`WorkspaceLockedError` while another process
        refreshes the same scope."""
        return self._refresh(scope_of(principal), task or TaskState())

    def _refresh(self, scope: Scope, task: TaskState) -> dict[str, Any]:
        from fieldsupport.workspace import Workspace

        folder = self.root / scope.key
        shadow_dir = folder / "shadow"
        folder.mkdir(parents=True, exist_ok=True)
        shadow = Workspace.open(shadow_dir, log_to_folder=False)
        try:
            client = self._client(shadow, scope, task)
            start = client.cursor()
            if start and start < self.service.purge_horizon():
                # deletions it has not seen were purged: only a new copy is right
                shadow, client = self._afresh(shadow, scope, task)
                start = 0
            client.pull()
            client.verify()
            if start and self.service.purge_horizon() > start:
                # a purge ran during the pull and may have taken deletions it needed (purging
                # waits for devices and published snapshots, not for these copies)
                shadow, client = self._afresh(shadow, scope, task)
                client.pull()
                client.verify()
            if client.report.divergent:
                raise SyncError(
                    f"The snapshot of {scope.key} does not match the server "
                    f"({client.report.divergent}); it was not published."
                )
            cursor = client.cursor()
            current = self.manifest(scope.key)
            if (
                current is not None
                and current.get("cursor") == cursor
                and current.get("schema") == migrate.head_revision()
                and (folder / f"{current.get('sha256')}.zst").is_file()
            ):
                return current
            return self._publish(shadow, folder, cursor, task)
        finally:
            shadow.close()

    def _client(self, shadow: Any, scope: Scope, task: TaskState) -> Any:
        from fieldsupport.sync.client import SyncClient

        transport = ServiceTransport(self.service, scope.principal)
        return SyncClient(shadow, transport, task=task, snapshots=False)

    def _afresh(self, shadow: Any, scope: Scope, task: TaskState) -> tuple[Any, Any]:
        from fieldsupport.workspace import Workspace

        shadow_dir = shadow.root
        shadow.close()
        shutil.rmtree(shadow_dir)
        shadow = Workspace.open(shadow_dir, log_to_folder=False)
        return shadow, self._client(shadow, scope, task)

    def _publish(self, shadow: Any, folder: Path, cursor: int, task: TaskState) -> dict[str, Any]:
        work = folder / f".publishing-{uuid.uuid4().hex}"
        work.mkdir()
        try:
            copy = work / "snapshot.db"
            source = sqlite3.connect(f"file:{shadow.db_path}?mode=ro", uri=True)
            try:
                target = sqlite3.connect(copy)
                try:
                    source.backup(target)
                    target.execute("PRAGMA journal_mode=DELETE")
                    with target:
                        snapshot_db.strip_for_publishing(target)
                    records = sum(
                        target.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                        for name in snapshot_db.record_tables()
                    )
                finally:
                    target.close()
            finally:
                source.close()
            task.check()
            packed = work / "snapshot.zst"
            with open(copy, "rb") as raw, open(packed, "wb") as out:
                writer = HashingWriter(out)
                compression.compress_stream(raw, writer.write, COMPRESSION_LEVEL)
                out.flush()
                os.fsync(out.fileno())
            sha = writer.digest.hexdigest()
            manifest = {
                "format": snapshot_db.FORMAT,
                "encoding": snapshot_db.ENCODING,
                "sha256": sha,
                "size": packed.stat().st_size,
                "raw_size": copy.stat().st_size,
                "cursor": cursor,
                "schema": migrate.head_revision(),
                "records": records,
                "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            }
            os.replace(packed, folder / f"{sha}.zst")
            previous = self.manifest(folder.name)
            if previous is not None and previous.get("sha256") != sha:
                _write_json(folder / PREVIOUS, previous)
            _write_json(folder / MANIFEST, manifest)
            keep = {f"{sha}.zst", f"{(previous or {}).get('sha256')}.zst"}
            for old in folder.glob("*.zst"):
                if old.name not in keep:
                    old.unlink(missing_ok=True)
            log.info("snapshot of %s published at cursor %s (%s)", folder.name, cursor, sha)
            return manifest
        finally:
            shutil.rmtree(work, ignore_errors=True)

    # -- refreshing by itself ---------------------------------------------------------------
    def request_refresh(self, scope: Scope) -> None:
        """With the automatic policy: refresh ``scope`` soon, on the one background thread
        (not more often than ``min_interval_s``)."""
        if not self.policy.auto:
            return
        with self._lock:
            last = self._last_try.get(scope.key)
            if last is not None and time.monotonic() - last < self.policy.min_interval_s:
                return
            self._last_try[scope.key] = time.monotonic()
            self._wanted[scope.key] = scope
            if self._worker is None or not self._worker.is_alive():
                self._task = TaskState()
                self._worker = threading.Thread(
                    target=self._work, name="central-snapshots", daemon=True
                )
                self._worker.start()

    def _work(self) -> None:
        while True:
            with self._lock:
                if not self._wanted or self._task.cancelled:
                    self._worker = None
                    return
                key = next(iter(self._wanted))
                scope = self._wanted.pop(key)
            try:
                self._refresh(scope, self._task)
            except Cancelled:
                return
            except WorkspaceLockedError:
                continue  # another server process is at it
            except Exception:
                log.exception("snapshot of %s could not be refreshed", key)

    def wait(self, timeout: float | None = None) -> None:
        """Until the background refreshes asked for so far are done (tests, shutdown)."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)

    def stop(self) -> None:
        """Cancel a background refresh and wait for its thread to end."""
        self._task.cancel()
        self.wait()


_OFFERED = ("format", "encoding", "sha256", "size", "raw_size", "cursor", "schema", "records")


def _write_json(path: Path, value: dict[str, Any]) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    temporary.write_text(json.dumps(value, indent=1), encoding="utf-8")
    with open(temporary, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(temporary, path)
