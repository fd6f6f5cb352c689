"""The server side of sync: push (apply operations at most once), pull (by change sequence),
checkpoint. No HTTP here: ``central.app`` exposes it, the simulation calls it directly.

Every writing transaction starts by locking the ``sync_counter`` row and takes its change
sequence numbers from it; the lock is held to commit, so sequence order is commit order on
SQLite and on any number of PostgreSQL server processes (docs/sync-protocol.md, section 6).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    String,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from fieldsupport.central import access, totals
from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Accounts, Principal, now
from fieldsupport.central.blobs import ServerBlobs
from fieldsupport.central.rules import status_change_problem
from fieldsupport.central.snapshots import FOLDER as SNAPSHOTS_FOLDER
from fieldsupport.central.snapshots import SnapshotPolicy, Snapshots
from fieldsupport.sync import wire

CONFLICT_NAMESPACE = uuid.UUID("5b0c7f0e-4a3e-4c55-9d0e-2f7f3c1f9a11")
RESOLUTIONS = ("kept", "other", "merged")
PURGE_HORIZON = "purge_horizon"  # sync_counter row: see purge_tombstones


class Rejection(Exception):
    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.field = field


class Retry(Exception):
    """The operation cannot be decided yet (a blob or earlier operation is missing)."""


@dataclass
class Limits:
    request_bytes: int = 16 * 1024 * 1024
    blob_bytes: int = 512 * 1024 * 1024
    ops_per_push: int = 2_000
    pull_page: int = 20_000


class SeqAllocator:
    def __init__(self, value: int) -> None:
        self.value = value

    def next(self) -> int:
        self.value += 1
        return self.value


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class CentralService:
    def __init__(
        self,
        engine: Engine,
        blob_dir: Path,
        limits: Limits | None = None,
        snapshot_policy: SnapshotPolicy | None = None,
    ) -> None:
        self.engine = engine
        self.limits = limits or Limits()
        self.accounts = Accounts(engine)
        self.blobs = ServerBlobs(engine, Path(blob_dir), self.limits.blob_bytes)
        self.snapshots = Snapshots(
            self, Path(blob_dir) / SNAPSHOTS_FOLDER, snapshot_policy or SnapshotPolicy()
        )
        self._postgres = engine.dialect.name == "postgresql"

    # -- transactions ---------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[tuple[Connection, SeqAllocator]]:
        with self.engine.begin() as conn:
            counter = t.counters.c
            value = conn.execute(
                update(t.counters)
                .where(counter.name == "change")
                .values(value=counter.value)
                .returning(counter.value)
            ).scalar_one()
            seqs = SeqAllocator(int(value))
            yield conn, seqs
            if seqs.value != value:
                conn.execute(
                    update(t.counters).where(counter.name == "change").values(value=seqs.value)
                )

    @contextmanager
    def reading(self) -> Iterator[Connection]:
        with self.engine.connect() as conn:
            if self._postgres:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                yield conn

    # -- push -------------------------------------------------------------------------------------
    def push(self, principal: Principal, ops: list[dict[str, Any]]) -> dict[str, Any]:
        results: list[dict[str, Any]] = []
        touched: dict[tuple[str, str], None] = {}
        with self.writing() as (conn, seqs):
            last_seq = conn.execute(
                select(t.devices.c.last_seq).where(t.devices.c.id == principal.device_id)
            ).scalar_one()
            batch = _PushBatch(conn, principal, ops)
            for op in ops:
                result, stop = self._process(conn, seqs, principal, op, last_seq, batch)
                results.append(result)
                if result["status"] in ("applied", "conflict", "rejected") and not result.get(
                    "replay"
                ):
                    last_seq = op["seq"]
                if op.get("t") and op.get("id"):
                    touched[(op["t"], op["id"])] = None
                if stop:
                    break
            batch.write_stored()
            conn.execute(
                update(t.devices)
                .where(t.devices.c.id == principal.device_id)
                .values(last_seq=last_seq, last_seen_at=now())
            )
            records = self._current_records(conn, principal, list(touched))
        return {"results": results, "records": records}

    def _process(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        op: dict[str, Any],
        last_seq: int,
        batch: _PushBatch,
    ) -> tuple[dict[str, Any], bool]:
        head = {"op_id": op["op_id"], "seq": op["seq"]}
        stored = batch.stored(op["op_id"])
        if stored is not None:
            device_id, result = stored
            if device_id != principal.device_id:
                return {**head, "status": "rejected", "reason": "operation id already used"}, False
            return {**head, "status": "duplicate", "original": json.loads(result)}, False
        if op["seq"] <= last_seq:
            outcome: dict[str, Any] = {
                "status": "rejected",
                "reason": f"replayed operation: sequence {op['seq']} was already used",
                "replay": True,
            }
            batch.store(op, outcome)
            return {**head, **outcome}, False
        if op["seq"] > last_seq + 1:
            reason = f"operations {last_seq + 1}..{op['seq'] - 1} have not arrived yet"
            return {**head, "status": "retry", "reason": reason}, True
        try:
            with _savepoint(conn):
                outcome = self._apply(conn, seqs, principal, op, batch)
        except Retry as exc:
            return {**head, "status": "retry", "reason": str(exc)}, True
        except Rejection as exc:
            outcome = {"status": "rejected", "reason": exc.reason}
            if exc.field:
                outcome["field"] = exc.field
        batch.store(op, outcome)
        return {**head, **outcome}, False

    def _apply(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        op: dict[str, Any],
        batch: _PushBatch,
    ) -> dict[str, Any]:
        if op["kind"] == "resolve":
            return self._resolve(conn, seqs, principal, op)
        rtype = wire.record_type(op["t"])
        if rtype is None:
            raise Rejection(f"unknown record type {op['t']!r}", "t")
        fields: dict[str, Any] = {}
        for name, value in op["fields"].items():
            spec = rtype.fields.get(name)
            if spec is None:
                raise Rejection(f"{rtype.name} has no field {name!r}", name)
            try:
                fields[name] = wire.check_value(spec, value)
            except wire.WireValueError as exc:
                raise Rejection(str(exc), exc.field) from None
        row = batch.record(rtype.name, op["id"])
        if row is None:
            return self._create(conn, seqs, principal, rtype, op, fields)
        return self._update(conn, seqs, principal, rtype, op, fields, row)

    def _create(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        rtype: wire.RecordType,
        op: dict[str, Any],
        fields: dict[str, Any],
    ) -> dict[str, Any]:
        if op["base"] != 0:
            raise Rejection(f"the server has no {rtype.name} record {op['id']}")
        data = {name: fields.get(name) for name in rtype.fields}
        for name, spec in rtype.fields.items():
            if data[name] is None and not spec.nullable:
                raise Rejection(f"{name} may not be empty", name)
        scope = self._scope_of_new(conn, principal, rtype.name, op["id"], data)
        problem = access.write_problem(conn, principal, rtype.name, scope, creating=True)
        if problem:
            raise Rejection(f"not allowed: {problem}")
        self._require_blobs(conn, rtype.name, data, data)
        version = 1
        device = principal.device_id
        conn.execute(
            insert(t.records).values(
                record_type=rtype.name,
                id=op["id"],
                version=version,
                change_seq=seqs.next(),
                deleted=data.get("deleted_at") is not None,
                scope_case=scope,
                subject_type=rtype.name,
                row_hash=wire.row_hash(op["id"], version),
                data=_dumps(data),
                field_versions=_dumps({name: [version, device] for name in data}),
                created_by=principal.account_id,
            )
        )
        if rtype.name == "cases":
            conn.execute(
                insert(t.case_access).values(
                    case_id=op["id"],
                    assignee_id=data["assignee_id"],
                    created_by=principal.account_id,
                )
            )
        elif rtype.name == "users":
            conn.execute(insert(t.domain_users).values(id=op["id"], username=data["username"]))
        return {"status": "applied", "version": version}

    def _scope_of_new(
        self,
        conn: Connection,
        principal: Principal,
        type_name: str,
        record_id: str,
        data: dict[str, Any],
    ) -> str | None:
        if type_name == "cases":
            return record_id
        for column, parent_type in wire.SCOPE_PARENTS.get(type_name, ()):
            parent_id = data.get(column)
            if parent_id is None:
                continue
            parent = conn.execute(
                select(t.records.c.scope_case, t.records.c.subject_type).where(
                    t.records.c.record_type == parent_type, t.records.c.id == parent_id
                )
            ).first()
            if parent is None or not access.can_read(
                conn, principal, parent.subject_type, parent.scope_case
            ):
                raise Rejection(
                    f"{column} refers to {parent_type} {parent_id}, which the server does not "
                    "have or you may not see",
                    column,
                )
            return parent.scope_case
        return None

    def _require_blobs(
        self, conn: Connection, type_name: str, data: dict[str, Any], changed: dict[str, Any]
    ) -> None:
        for column in wire.BLOB_COLUMNS.get(type_name, ()):
            sha = changed.get(column)
            if column in changed and sha is not None and not self.blobs.is_complete(conn, sha):
                raise Retry(f"blob {sha} referenced by {column} has not been uploaded yet")

    def _update(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        rtype: wire.RecordType,
        op: dict[str, Any],
        fields: dict[str, Any],
        row: Any,
    ) -> dict[str, Any]:
        if not access.can_read(conn, principal, row.subject_type, row.scope_case):
            raise Rejection(f"the server has no {rtype.name} record {op['id']} you may see")
        problem = access.write_problem(conn, principal, rtype.name, row.scope_case, creating=False)
        if problem:
            raise Rejection(f"not allowed: {problem}")
        data: dict[str, Any] = json.loads(row.data)
        versions: dict[str, list[Any]] = json.loads(row.field_versions)
        changed = {name: v for name, v in fields.items() if data.get(name) != v}
        for column, _parent in wire.SCOPE_PARENTS.get(rtype.name, ()):
            if column in changed:
                raise Rejection(
                    f"{column} cannot change: records do not move between parents", column
                )
        if rtype.append_only:
            forbidden = set(changed) - rtype.mutable_after_insert
            if forbidden:
                raise Rejection(
                    f"{rtype.name} entries cannot be edited once recorded "
                    f"({', '.join(sorted(forbidden))})",
                    sorted(forbidden)[0],
                )
        device = principal.device_id
        applied: dict[str, Any] = {}
        conflicting: dict[str, Any] = {}
        for name, value in changed.items():
            if name in wire.INFORMATIONAL:
                applied[name] = value
                continue
            last_version, last_device = versions.get(name, [0, None])
            if last_version > op["base"] and last_device != device:
                conflicting[name] = value
            else:
                applied[name] = value
        if not set(applied) - wire.INFORMATIONAL and not conflicting:
            return {"status": "applied", "version": row.version}
        merged = {**data, **applied}
        if rtype.name == "cases" and "status" in applied:
            problem = status_change_problem(data, merged)
            if problem:
                raise Rejection(problem, "status")
        self._require_blobs(conn, rtype.name, merged, applied)
        version = row.version + 1 if set(applied) - wire.INFORMATIONAL else row.version
        for name in applied:
            if name not in wire.INFORMATIONAL:
                versions[name] = [version, device]
        conflict_ids = [
            self._record_conflict(
                conn, seqs, principal, rtype.name, row, op, name, data[name], value
            )
            for name, value in conflicting.items()
        ]
        conn.execute(
            _UPDATE_RECORD,
            {
                "key_type": rtype.name,
                "key_id": op["id"],
                "version": version,
                "change_seq": seqs.next(),
                "deleted": merged.get("deleted_at") is not None,
                "row_hash": wire.row_hash(op["id"], version),
                "data": _dumps(merged),
                "field_versions": _dumps(versions),
            },
        )
        if rtype.name == "cases" and "assignee_id" in applied:
            self._reassign(conn, seqs, op["id"], applied["assignee_id"])
        if rtype.name == "users" and "username" in applied:
            conn.execute(
                update(t.domain_users)
                .where(t.domain_users.c.id == op["id"])
                .values(username=applied["username"])
            )
        if conflict_ids:
            return {"status": "conflict", "version": version, "conflicts": conflict_ids}
        return {"status": "applied", "version": version}

    def _record_conflict(
        self,
        conn: Connection,
        seqs: SeqAllocator,
        principal: Principal,
        type_name: str,
        row: Any,
        op: dict[str, Any],
        field: str,
        kept: Any,
        other: Any,
    ) -> str:
        conflict_id = str(uuid.uuid5(CONFLICT_NAMESPACE, f"{op['op_id']}:{field}"))
        versions = json.loads(row.field_versions)
        data = {
            "record_type": type_name,
            "record_id": op["id"],
            "field": field,
            "kept_value": kept,
            "kept_device_id": versions.get(field, [0, None])[1],
            "other_value": other,
            "other_device_id": principal.device_id,
            "other_username": principal.username,
            "base_version": op["base"],
            "server_version": row.version,
            "status": "open",
            "resolution": None,
            "resolved_by": None,
        }
        conn.execute(
            insert(t.records).values(
                record_type=wire.CONFLICTS_TYPE,
                id=conflict_id,
                version=1,
                change_seq=seqs.next(),
                deleted=False,
                scope_case=row.scope_case,
                subject_type=type_name,
                row_hash=wire.row_hash(conflict_id, 1),
                data=_dumps(data),
                field_versions="{}",
                created_by=principal.account_id,
            )
        )
        return conflict_id

    def _resolve(
        self, conn: Connection, seqs: SeqAllocator, principal: Principal, op: dict[str, Any]
    ) -> dict[str, Any]:
        resolution = op["fields"].get("resolution")
        if resolution not in RESOLUTIONS or set(op["fields"]) != {"resolution"}:
            raise Rejection(f"resolution must be one of {', '.join(RESOLUTIONS)}", "resolution")
        row = conn.execute(
            select(t.records).where(
                t.records.c.record_type == wire.CONFLICTS_TYPE, t.records.c.id == op["id"]
            )
        ).first()
        if row is None or not access.can_read(conn, principal, row.subject_type, row.scope_case):
            raise Rejection(f"the server has no conflict {op['id']} you may see")
        problem = access.write_problem(
            conn, principal, row.subject_type, row.scope_case, creating=False
        )
        if problem:
            raise Rejection(f"not allowed: {problem}")
        data = json.loads(row.data)
        if data["status"] == "resolved":  # the first decision stands
            return {"status": "applied", "version": row.version}
        data.update(status="resolved", resolution=resolution, resolved_by=principal.username)
        version = row.version + 1
        conn.execute(
            update(t.records)
            .where(t.records.c.record_type == wire.CONFLICTS_TYPE, t.records.c.id == op["id"])
            .values(
                version=version,
                change_seq=seqs.next(),
                row_hash=wire.row_hash(op["id"], version),
                data=_dumps(data),
            )
        )
        return {"status": "applied", "version": version}

    def _reassign(self, conn: Connection, seqs: SeqAllocator, case_id: str, assignee: Any) -> None:
        """A case changed hands: devices that can now see it must receive all of it, so every
        record of the case gets a new change sequence number."""
        conn.execute(
            update(t.case_access)
            .where(t.case_access.c.case_id == case_id)
            .values(assignee_id=assignee)
        )
        keys = conn.execute(
            select(t.records.c.record_type, t.records.c.id)
            .where(t.records.c.scope_case == case_id)
            .order_by(t.records.c.change_seq)
        ).all()
        for record_type, record_id in keys:
            conn.execute(
                update(t.records)
                .where(t.records.c.record_type == record_type, t.records.c.id == record_id)
                .values(change_seq=seqs.next())
            )

    def _current_records(
        self, conn: Connection, principal: Principal, keys: list[tuple[str, str]]
    ) -> list[dict[str, Any]]:
        rows = _records_by_key(conn, keys)
        out = []
        for key in keys:
            row = rows.get(key)
            if row is None or not access.can_read(
                conn, principal, row.subject_type, row.scope_case
            ):
                continue
            out.append(
                {
                    "t": row.record_type,
                    "id": row.id,
                    "v": row.version,
                    "s": row.change_seq,
                    "d": json.loads(row.data),
                }
            )
        return out

    # -- pull -------------------------------------------------------------------------------------
    def pull(self, principal: Principal, cursor: int, limit: int) -> bytes:
        """One page as JSON bytes. The database writes each record's JSON around the stored
        data and the rows are read straight from the driver's cursor: no per-record work in
        Python (a first sync reads a million records)."""
        limit = max(1, min(limit, self.limits.pull_page))
        r = t.records.c
        with self.reading() as conn:
            top = conn.execute(
                select(t.counters.c.value).where(t.counters.c.name == "change")
            ).scalar_one()
            query = (
                select(r.record_type, r.change_seq, _RECORD_JSON)
                .where(r.change_seq > cursor, r.change_seq <= top)
                .order_by(r.change_seq)
                .limit(limit + 1)
            )
            result = conn.execute(access.restrict(query, conn, principal))
            rows: list[tuple[str, int, str]] = result.cursor.fetchall()  # plain tuples
            result.close()
            more = len(rows) > limit
            if more:
                del rows[limit:]
            blobs = self.blobs.describe(conn, _blob_refs(rows))
        next_cursor = rows[-1][1] if more else max(int(top), cursor)
        self._note_cursor(principal, cursor)
        body = (
            '{"records":['
            + ",".join([row[2] for row in rows])
            + '],"blobs":'
            + _dumps(blobs)
            + f',"cursor":{next_cursor},"more":{"true" if more else "false"}}}'
        )
        return body.encode()

    def _note_cursor(self, principal: Principal, cursor: int) -> None:
        """Remember what the device has stored (tombstone purging); a write only when it
        moved, so a sync with nothing to do stays read-only."""
        with self.engine.connect() as conn:
            stored = conn.execute(
                select(t.devices.c.pull_cursor).where(t.devices.c.id == principal.device_id)
            ).scalar()
        if stored is not None and cursor > stored:
            with self.engine.begin() as conn:
                conn.execute(
                    update(t.devices)
                    .where(t.devices.c.id == principal.device_id, t.devices.c.pull_cursor < cursor)
                    .values(pull_cursor=cursor, last_seen_at=now())
                )

    def checkpoint(self, principal: Principal) -> dict[str, Any]:
        r = t.records.c
        with self.reading() as conn:
            top = conn.execute(
                select(t.counters.c.value).where(t.counters.c.name == "change")
            ).scalar_one()
            if principal.sees_everything:
                # the triggers' totals, read in the same snapshot as the counter
                return {"cursor": int(top), "types": totals.read(conn)}
            query = (
                select(r.record_type, func.count(), func.sum(r.row_hash))
                .where(r.deleted.is_(False), r.change_seq <= top)
                .group_by(r.record_type)
            )
            rows = conn.execute(access.restrict(query, conn, principal)).all()
        return {
            "cursor": int(top),
            "types": {name: {"count": int(n), "hash": int(h or 0)} for name, n, h in rows},
        }

    # -- housekeeping ---------------------------------------------------------------------------
    def purge_tombstones(self) -> int:
        """Remove tombstones every active device and every published snapshot has seen;
        returns how many. The highest sequence a purge reached is kept as the purge horizon:
        a copy older than it (a snapshot, a shadow) may lack deletions and is not used."""
        snapshot_cursors = self.snapshots.published_cursors()
        with self.writing() as (conn, _seqs):
            seen = conn.execute(
                select(func.min(t.devices.c.pull_cursor)).where(t.devices.c.revoked_at.is_(None))
            ).scalar()
            if seen is None:
                return 0
            seen = min([int(seen), *snapshot_cursors])
            result = conn.execute(
                delete(t.records).where(
                    t.records.c.deleted.is_(True),
                    t.records.c.change_seq <= seen,
                    t.records.c.record_type != wire.CONFLICTS_TYPE,
                )
            )
            purged = int(result.rowcount or 0)
            if purged:
                horizon = self._counter(conn, PURGE_HORIZON)
                if horizon is None:
                    conn.execute(insert(t.counters).values(name=PURGE_HORIZON, value=seen))
                elif seen > horizon:
                    conn.execute(
                        update(t.counters)
                        .where(t.counters.c.name == PURGE_HORIZON)
                        .values(value=seen)
                    )
            return purged

    def purge_horizon(self) -> int:
        """Tombstones up to this change sequence may have been purged (0: none ever)."""
        with self.engine.connect() as conn:
            return self._counter(conn, PURGE_HORIZON) or 0

    def top_sequence(self) -> int:
        with self.engine.connect() as conn:
            return self._counter(conn, "change") or 0

    @staticmethod
    def _counter(conn: Connection, name: str) -> int | None:
        value = conn.execute(
            select(t.counters.c.value).where(t.counters.c.name == name)
        ).scalar_one_or_none()
        return None if value is None else int(value)


@contextmanager
def _savepoint(conn: Connection) -> Iterator[None]:
    """One operation's writes, undone if it is refused. Plain SQL savepoints inside the push's
    transaction: SQLAlchemy's nested-transaction bookkeeping cost three times as much (a
    third of a push of 500 operations)."""
    conn.exec_driver_sql("SAVEPOINT push_op")
    try:
        yield
    except BaseException:
        conn.exec_driver_sql("ROLLBACK TO SAVEPOINT push_op")
        conn.exec_driver_sql("RELEASE SAVEPOINT push_op")
        raise
    conn.exec_driver_sql("RELEASE SAVEPOINT push_op")


# one record's change, prepared once (a push of 2,000 operations runs it 2,000 times)
_UPDATE_RECORD = (
    update(t.records)
    .where(t.records.c.record_type == bindparam("key_type"), t.records.c.id == bindparam("key_id"))
    .values(
        version=bindparam("version"),
        change_seq=bindparam("change_seq"),
        deleted=bindparam("deleted"),
        row_hash=bindparam("row_hash"),
        data=bindparam("data"),
        field_versions=bindparam("field_versions"),
    )
)


def _records_by_key(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], Any]:
    """The stored rows of ``keys`` (type, id), read a few hundred at a time."""
    by_type: dict[str, list[str]] = {}
    for record_type, record_id in keys:
        by_type.setdefault(record_type, []).append(record_id)
    rows: dict[tuple[str, str], Any] = {}
    for record_type, ids in by_type.items():
        for start in range(0, len(ids), 500):
            for row in conn.execute(
                select(t.records).where(
                    t.records.c.record_type == record_type,
                    t.records.c.id.in_(ids[start : start + 500]),
                )
            ):
                rows[(row.record_type, row.id)] = row
    return rows


class _PushBatch:
    """What one push reads and writes in bulk instead of once per operation: the stored
    results of its operation ids, the records it touches (read before the first operation),
    and the results to store (written together after the last).

    A prefetched record serves only the first operation on it: a later operation on the
    same record, or on one the batch did not find, reads it again, so every operation sees
    the writes of the operations before it in the batch."""

    def __init__(self, conn: Connection, principal: Principal, ops: list[dict[str, Any]]) -> None:
        self.conn = conn
        self.device_id = principal.device_id
        self._stored: dict[str, tuple[str, str]] = {}
        op_ids = list({op["op_id"] for op in ops})
        for start in range(0, len(op_ids), 500):
            for op_id, device_id, result in conn.execute(
                select(t.ops.c.op_id, t.ops.c.device_id, t.ops.c.result).where(
                    t.ops.c.op_id.in_(op_ids[start : start + 500])
                )
            ):
                self._stored[op_id] = (device_id, result)
        keys = list({(op["t"], op["id"]) for op in ops if op["kind"] != "resolve"})
        self._records = _records_by_key(conn, keys)
        self._new: list[dict[str, Any]] = []

    def stored(self, op_id: str) -> tuple[str, str] | None:
        """(device id, result JSON) of an operation id already processed."""
        return self._stored.get(op_id)

    def store(self, op: dict[str, Any], outcome: dict[str, Any]) -> None:
        result = _dumps(outcome)
        self._stored[op["op_id"]] = (self.device_id, result)
        self._new.append(
            {
                "op_id": op["op_id"],
                "device_id": self.device_id,
                "device_seq": op["seq"],
                "status": outcome["status"],
                "record_type": op.get("t"),
                "record_id": op.get("id"),
                "result": result,
                "received_at": now(),
            }
        )

    def write_stored(self) -> None:
        for start in range(0, len(self._new), 500):
            self.conn.execute(insert(t.ops), self._new[start : start + 500])
        self._new = []

    def record(self, record_type: str, record_id: str) -> Any:
        row = self._records.pop((record_type, record_id), None)
        if row is not None:
            return row
        return self.conn.execute(
            select(t.records).where(
                t.records.c.record_type == record_type, t.records.c.id == record_id
            )
        ).first()


def _json_text(value: Any) -> Any:
    return cast(value, String)


# One record on the wire (docs/sync-protocol.md, section 4), written by the database around
# the stored data (ids, type names and numbers need no JSON escaping).
_RECORD_JSON = (
    literal('{"t":"', String)
    + t.records.c.record_type
    + literal('","id":"', String)
    + t.records.c.id
    + literal('","v":', String)
    + _json_text(t.records.c.version)
    + literal(',"s":', String)
    + _json_text(t.records.c.change_seq)
    + literal(',"d":', String)
    + t.records.c.data
    + literal("}", String)
).label("record")


def _blob_refs(rows: list[tuple[str, int, str]]) -> set[str]:
    """The blobs the records of a page reference (``rows``: type, sequence, record JSON)."""
    refs: set[str] = set()
    for record_type, _seq, record in rows:
        columns = wire.BLOB_COLUMNS.get(record_type)
        if columns:
            data = json.loads(record)["d"]
            refs.update(data[c] for c in columns if data.get(c))
    return refs
