"""One sync run: upload blobs, push the outbox, pull the server's changes, check.

:func:`run_sync` is a plain function taking a :class:`TaskState` (progress, cancel): the app
runs it in a worker, the CLI on the main thread, the simulation under faults. Every step is
safe to interrupt anywhere: the outbox row of an operation changes only in the transaction
that stores the server's answer, and a pull page is stored with its cursor in one
transaction (docs/sync-protocol.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from fieldsupport.gc_pause import collector_paused
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models.base import utcnow
from fieldsupport.models.sync import OutboxState
from fieldsupport.store.bulk import cache_enlarged, indexes_suspended, utc_text
from fieldsupport.store.search_index import rebuild_on as rebuild_search_index
from fieldsupport.sync import wire
from fieldsupport.sync.apply import (
    CURSOR_KEY,
    VERIFIED_KEY,
    apply_blob_rows,
    apply_records,
    get_state,
    local_write,
    set_state,
)
from fieldsupport.sync.blobs import BlobTransfer
from fieldsupport.sync.checkpoint import (
    Counts,
    Known,
    differences,
    known_counts,
    local_checkpoint,
    remember,
)
from fieldsupport.sync.privacy import OutgoingPhotos
from fieldsupport.sync.snapshot import SnapshotLoader
from fieldsupport.sync.transport import Reply, SyncError, Transport, check
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

# local_checkpoint lives in sync.checkpoint; tests and tools import it from here too
__all__ = ["CURSOR_KEY", "SyncClient", "SyncReport", "local_checkpoint"]

PUSH_BATCH = 1_000  # operations in one push (the server takes up to 2,000)
# records per pull page: one page is parsed in one json.loads call, which holds the GIL (and
# so the app's GUI thread) throughout: 20,000 records were a 100-140 ms stall, 2,500 are
# 30-40 ms (benchmarks/sync_gui.py); the snapshot carries the big first loads
PULL_PAGE = 2_500
MAX_CHECKPOINT_ROUNDS = 3
FIRST_LOAD_CACHE_MB = 256  # holds the primary-key indexes of 100,000 cases' records

Hook = Callable[[str], None]


def _no_hook(_point: str) -> None:
    return None


@dataclass(frozen=True)
class ReturnedReport:
    """A report made on this device that the back office returned, received by this sync."""

    report_number: str
    revision: int
    reason: str
    decided_by: str

    def text(self) -> str:
        return (
            f"Report {self.report_number} revision {self.revision} was returned by "
            f"{self.decided_by}: {self.reason}"
        )


@dataclass
class SyncReport:
    pushed: int = 0
    applied: int = 0
    conflicts: int = 0
    rejected: int = 0
    pulled: int = 0
    blobs_uploaded: int = 0
    bytes_uploaded: int = 0
    blobs_downloaded: int = 0
    from_snapshot: int = 0  # records that came in a snapshot (counted in ``pulled`` too)
    checked: bool = False
    repaired: bool = False
    divergent: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    # of which getting the photos out: privacy copies and blob uploads (benchmarks/sync.py)
    upload_seconds: float = 0.0
    # reports made on this device that this sync brought back returned (news to tell)
    returned: list[ReturnedReport] = field(default_factory=list)

    def returned_text(self) -> str:
        """The returns this sync brought, for a person ("" when none)."""
        return "; ".join(r.text() for r in self.returned)

    def summary(self) -> str:
        parts = [f"{self.pushed} sent", f"{self.pulled} received"]
        if self.conflicts:
            parts.append(f"{self.conflicts} conflicts")
        if self.rejected:
            parts.append(f"{self.rejected} refused")
        if self.blobs_uploaded:
            parts.append(f"{self.blobs_uploaded} files uploaded")
        if self.returned:
            parts.append(f"{len(self.returned)} report(s) returned")
        if self.divergent:
            parts.append("differences: " + ", ".join(sorted(self.divergent)))
        return ", ".join(parts) + f" in {self.seconds:.2f} s"


class SyncClient:
    def __init__(
        self,
        workspace: Workspace,
        transport: Transport,
        *,
        task: TaskState | None = None,
        hook: Hook = _no_hook,
        chunk_bytes: int = 4 * 1024 * 1024,
        prefetch: bool = True,
        snapshots: bool = True,
    ) -> None:
        self.workspace = workspace
        self.transport = transport
        self.task = task or TaskState()
        self.hook = hook
        # fetch the next pull page while this one is stored; off where requests must stay
        # strictly one after another (the seeded simulation replays them in order)
        self.prefetch = prefetch
        # a new, empty workspace starts from the server's snapshot of its scope when there
        # is one (off for the server's own copies, which the snapshots are made from)
        self.snapshots = snapshots
        self.report = SyncReport()
        store = BlobStore(workspace.blobs_dir)
        self.blobs = BlobTransfer(
            transport, store, self.task, hook, chunk_bytes, parallel=2 if prefetch else 1
        )
        self.outgoing_photos = OutgoingPhotos(workspace, store)

    # -- the whole run ----------------------------------------------------------------------------
    def run(self, *, verify: bool = False) -> SyncReport:
        started = time.perf_counter()
        self.task.progress(0.0, "Sending changes")
        self.push()
        self.task.progress(0.4, "Receiving changes")
        self.pull()
        if self.cursor():
            SnapshotLoader.discard_leftovers(self.workspace)
        if verify or self._check_due():
            self.task.progress(0.85, "Checking")
            self.verify(everything=verify)
        self.task.progress(0.9, "Fetching files")
        self.report.blobs_downloaded = self.blobs.download_missing(self.workspace)
        self.report.seconds = time.perf_counter() - started
        self.task.progress(1.0, "Done")
        return self.report

    # -- push -------------------------------------------------------------------------------------
    def pending(self, limit: int) -> list[dict[str, Any]]:
        with self.workspace.engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT seq, op_id, kind, record_type, record_id, base_version, payload "
                "FROM sync_outbox WHERE state = ? ORDER BY seq LIMIT ?",
                (OutboxState.PENDING, limit),
            ).all()
        return [
            {
                "op_id": op_id,
                "seq": seq,
                "kind": kind,
                "t": record_type,
                "id": record_id,
                "base": base,
                "fields": json.loads(payload),
            }
            for seq, op_id, kind, record_type, record_id, base, payload in rows
        ]

    def push(self) -> None:
        total = self.pending_count()
        done = 0
        while True:
            ops = self.pending(PUSH_BATCH)
            if not ops:
                return
            started = time.perf_counter()
            ops = self.outgoing_photos.prepare(ops)
            uploaded = self.blobs.upload_for(ops)
            self.report.upload_seconds += time.perf_counter() - started
            self.report.blobs_uploaded += uploaded.count
            self.report.bytes_uploaded += uploaded.bytes
            self.hook("push.before_send")
            reply = self.transport.request("POST", "/v1/push", json_body={"ops": ops})
            self.hook("push.after_send")
            body = check(reply, "push")
            results, records = _push_shape(body)
            self.hook("push.before_commit")
            progressed = self._store_results(ops, results, records)
            self.hook("push.after_commit")
            done += progressed
            self.task.progress(0.4 * done / max(total, 1), f"{done:,} of {total:,} changes sent")
            if progressed == 0:
                # sending the same operations again would get the same answer, for ever
                retry = next((r for r in results if r.get("status") == "retry"), None)
                if retry is not None:
                    raise SyncError(
                        f"The server cannot take the changes yet: {retry.get('reason')}"
                    )
                raise SyncError(
                    f"The server answered none of the {len(ops)} changes sent; "
                    "your changes are kept and sync will try again."
                )

    def _store_results(
        self, ops: list[dict[str, Any]], results: list[dict[str, Any]], records: list[Any]
    ) -> int:
        seqs = {op["op_id"]: op["seq"] for op in ops}
        answered = 0
        now = utcnow()
        with local_write(self.workspace.engine) as conn:
            for result in results:
                op_id = result.get("op_id")
                if op_id not in seqs:
                    continue
                outcome = result.get("original") if result.get("status") == "duplicate" else result
                if not isinstance(outcome, dict):
                    continue
                status = outcome.get("status")
                if status not in ("applied", "conflict", "rejected"):
                    continue  # retry: stays pending
                updated = conn.exec_driver_sql(
                    "UPDATE sync_outbox SET state = ?, reason = ?, field = ?, server_version = ?, "
                    "answered_at = ? WHERE op_id = ? AND state = ?",
                    (
                        status,
                        outcome.get("reason"),
                        outcome.get("field"),
                        outcome.get("version"),
                        utc_text(now),
                        op_id,
                        OutboxState.PENDING,
                    ),
                )
                if not updated.rowcount:
                    continue  # answered before (a late duplicate answer)
                answered += 1
                self.report.pushed += 1
                if status == "applied":
                    self.report.applied += 1
                elif status == "conflict":
                    self.report.conflicts += 1
                else:
                    self.report.rejected += 1
            apply_records(conn, records)
        return answered

    def pending_count(self) -> int:
        with self.workspace.engine.connect() as conn:
            return int(
                conn.exec_driver_sql(
                    "SELECT count(*) FROM sync_outbox WHERE state = ?", (OutboxState.PENDING,)
                ).scalar_one()
            )

    # -- pull -------------------------------------------------------------------------------------
    def cursor(self) -> int:
        with self.workspace.engine.connect() as conn:
            return int(get_state(conn, CURSOR_KEY, 0))

    def pull(self, *, from_cursor: int | None = None) -> None:
        cursor = self.cursor() if from_cursor is None else from_cursor
        if from_cursor is None and cursor == 0:
            if self._from_snapshot():
                cursor = self.cursor()  # then the changes made since the snapshot, as always
            elif self._first_load():
                return
        with closing(self._pages(cursor)) as pages:
            for page in pages:
                self.hook("pull.before_commit")
                with local_write(self.workspace.engine) as conn:
                    returned = _new_returns(conn, page.records)
                    apply_blob_rows(conn, page.blobs, utcnow())
                    apply_records(conn, page.records)
                    set_state(
                        conn, CURSOR_KEY, max(page.cursor, self._stored_cursor(conn, from_cursor))
                    )
                self.hook("pull.after_commit")
                self.report.returned.extend(returned)
                self._received(page)

    def _from_snapshot(self) -> bool:
        """Start an empty workspace from the server's snapshot (``sync.snapshot``); False
        when there is none to use or the workspace holds anything."""
        if not self.snapshots:
            return False
        with self.workspace.engine.connect() as conn:
            if not _is_empty(conn, [*wire.record_types(), wire.CONFLICTS_TYPE]):
                return False
        offer = SnapshotLoader(self.workspace, self.transport, self.task, self.hook).load()
        if offer is None:
            return False
        self.report.pulled += offer.records
        self.report.from_snapshot = offer.records
        return True

    def _first_load(self) -> bool:
        """The first pull into a workspace without records or pending changes: every page in
        one transaction, the tables' indexes and search triggers suspended and built once at
        the end (far faster than row by row). A crash or cancel before the commit leaves the
        workspace as empty as it was, and the next sync starts again from the beginning.
        False (nothing done) when the workspace holds anything."""
        tables = [*wire.record_types(), wire.CONFLICTS_TYPE]
        with local_write(self.workspace.engine) as conn:
            if not _is_empty(conn, tables):
                return False
            cursor = 0
            with (
                collector_paused(),
                cache_enlarged(conn, FIRST_LOAD_CACHE_MB),
                indexes_suspended(conn, tables),
                closing(self._pages(0)) as pages,
            ):
                for page in pages:
                    self.hook("pull.before_commit")
                    apply_blob_rows(conn, page.blobs, utcnow())
                    apply_records(conn, page.records, first_load=True)
                    cursor = page.cursor
                    self._received(page)
            rebuild_search_index(conn)
            set_state(conn, CURSOR_KEY, cursor)
        self.hook("pull.after_commit")
        return True

    def _received(self, page: Page) -> None:
        self.report.pulled += len(page.records)
        self.task.progress(0.4 + (0.2 if page.more else 0.4), f"{self.report.pulled:,} received")

    def _pages(self, cursor: int) -> Iterator[Page]:
        """The pages after ``cursor``; with prefetch the next is on its way while the caller
        stores this one (the server and the network work while this device writes)."""
        if not self.prefetch:
            while True:
                self.task.check()
                page = _page(self._request_page(cursor))
                yield page
                if not page.more:
                    return
                cursor = page.cursor
        # The other thread only waits for bytes (socket reads release the GIL); the page is
        # parsed here: a parse there would hold the GIL against this thread's executemany,
        # which gives it up for every row (measured: the pull took 1.5x as long).
        with ThreadPoolExecutor(1, thread_name_prefix="sync-pull") as pool:
            upcoming = pool.submit(self._request_page, cursor)
            while True:
                self.task.check()
                page = _page(upcoming.result())
                if page.more:
                    upcoming = pool.submit(self._request_page, page.cursor)
                yield page
                if not page.more:
                    return

    def _request_page(self, cursor: int) -> Reply:
        return self.transport.request(
            "GET", "/v1/pull", params={"cursor": cursor, "limit": PULL_PAGE}
        )

    @staticmethod
    def _stored_cursor(conn: Connection, from_cursor: int | None) -> int:
        # a repair re-pull from 0 must not move the stored cursor backwards
        return int(get_state(conn, CURSOR_KEY, 0)) if from_cursor is not None else 0

    # -- checkpoint -------------------------------------------------------------------------------
    def _check_due(self) -> bool:
        with self.workspace.engine.connect() as conn:
            verified = get_state(conn, VERIFIED_KEY)
        # a snapshot's records passed the check where it was made (and arrive as its exact
        # bytes): only what came since, or went, calls for one
        received = self.report.pulled - self.report.from_snapshot
        return verified is None or received > 0 or self.report.pushed > 0

    def verify(self, *, everything: bool = False) -> None:
        """Compare counts and hashes per type with the server's; re-pull on a difference.
        ``everything``: hash every local type, also those still known from the last check
        (asked for explicitly, and every ``FULL_CHECK_EVERY``-th check)."""
        for round_ in range(MAX_CHECKPOINT_ROUNDS):
            if self.pending_count():
                return  # the comparison means something only with nothing pending
            checkpoint, local, known = self._checkpoints(everything)
            server_cursor = int(checkpoint.get("cursor", 0))
            if self.cursor() < server_cursor:
                self.pull()
                if self.cursor() < server_cursor:
                    continue
                local, known = self._local_checkpoint(everything)  # the pull wrote
            found = differences(checkpoint.get("types", {}), local)
            self.report.checked = True
            if not found:
                with local_write(self.workspace.engine) as conn:
                    set_state(conn, VERIFIED_KEY, server_cursor)
                    remember(conn, known, local)
                self.report.divergent = {}
                return
            self.report.divergent = found
            if round_ == 0:
                self.report.repaired = True
                self.pull(from_cursor=0)

    def _local_checkpoint(self, everything: bool) -> tuple[Counts, Known]:
        with self.workspace.engine.connect() as conn:
            known = known_counts(conn, everything=everything)
        return local_checkpoint(self.workspace, known.counts), known

    def _checkpoints(self, everything: bool) -> tuple[dict[str, Any], Counts, Known]:
        """The server's checkpoint and this device's, computed at the same time (each takes
        a second for a million records; the device's reads only its own tables)."""
        if not self.prefetch:
            checkpoint = check(self.transport.request("GET", "/v1/checkpoint"), "checkpoint")
            return checkpoint, *self._local_checkpoint(everything)
        with ThreadPoolExecutor(1, thread_name_prefix="sync-checkpoint") as pool:
            asked = pool.submit(self.transport.request, "GET", "/v1/checkpoint")
            local, known = self._local_checkpoint(everything)
            return check(asked.result(), "checkpoint"), local, known


@dataclass(frozen=True)
class Page:
    records: list[Any]
    blobs: list[Any]
    cursor: int
    more: bool


def _new_returns(conn: Connection, records: list[Any]) -> list[ReturnedReport]:
    """The return decisions among ``records`` that this device has not seen yet, on reports
    it made (read before the records are stored; a decision pulled again after a re-stamp of
    its case is not news)."""
    found = []
    for record in records:
        data = record["d"]
        if record["t"] != "report_decisions" or data.get("decision") != "returned":
            continue
        if data.get("deleted_at") is not None:
            continue
        seen = conn.exec_driver_sql(
            "SELECT 1 FROM report_decisions WHERE id = ?", (record["id"],)
        ).first()
        mine = conn.exec_driver_sql(
            "SELECT 1 FROM sync_outbox WHERE record_type = 'service_reports' AND record_id = ? "
            "LIMIT 1",
            (data.get("report_id"),),
        ).first()
        if seen is not None or mine is None:
            continue
        report = conn.exec_driver_sql(
            "SELECT report_number, revision FROM service_reports WHERE id = ?",
            (data.get("report_id"),),
        ).first()
        if report is not None:
            found.append(
                ReturnedReport(
                    str(report[0]),
                    int(report[1]),
                    str(data.get("reason") or ""),
                    str(data.get("decided_by") or ""),
                )
            )
    return found


def _is_empty(conn: Connection, tables: list[str]) -> bool:
    pending = conn.exec_driver_sql(
        "SELECT 1 FROM sync_outbox WHERE state = ? LIMIT 1", (OutboxState.PENDING,)
    ).first()
    return pending is None and not any(
        conn.exec_driver_sql(f'SELECT 1 FROM "{name}" LIMIT 1').first() for name in tables
    )


def _push_shape(body: dict[str, Any]) -> tuple[list[dict[str, Any]], list[Any]]:
    results, records = body.get("results"), body.get("records", [])
    if not isinstance(results, list) or not isinstance(records, list):
        raise SyncError("The server's push answer has an unexpected shape; your changes are kept.")
    for record in records:
        _check_record(record)
    return [r for r in results if isinstance(r, dict)], records


def _page(reply: Reply) -> Page:
    return Page(*_pull_shape(check(reply, "pull")))


def _pull_shape(body: dict[str, Any]) -> tuple[list[Any], list[Any], int, bool]:
    records, blobs, cursor = body.get("records"), body.get("blobs", []), body.get("cursor")
    if not isinstance(records, list) or not isinstance(blobs, list) or not isinstance(cursor, int):
        raise SyncError("The server's pull answer has an unexpected shape; nothing was changed.")
    for record in records:
        _check_record(record)
    return records, blobs, cursor, bool(body.get("more"))


def _check_record(record: Any) -> None:
    if not (
        isinstance(record, dict)
        and isinstance(record.get("t"), str)
        and isinstance(record.get("id"), str)
        and isinstance(record.get("v"), int)
        and isinstance(record.get("d"), dict)
    ):
        raise SyncError("The server sent a record in an unexpected shape; nothing was changed.")
