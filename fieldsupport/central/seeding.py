"""Seeding a new central server from a workspace: every live and tombstoned record, with the
version the workspace holds, and every complete blob.

Used for the embedded demo server (the demo workspace is generated locally, mostly by bulk
inserts that the outbox does not capture) and for benchmarks. The seeded server holds
exactly what the workspace holds, so the workspace can start pulling from the server's
cursor; operations still pending in its outbox are pushed as usual and are answered as
no-ops (same values) or applied.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import now
from fieldsupport.central.service import CentralService, _dumps
from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models.sync import encode_value
from fieldsupport.sync import wire
from fieldsupport.workspace import Workspace

BATCH = 5_000


def seed_from_workspace(service: CentralService, workspace: Workspace) -> int:
    """Copy the workspace's records and blobs into an empty server; returns the records
    copied. The server's change sequence ends at the number of records."""
    with service.reading() as conn:
        if conn.execute(select(func.count()).select_from(t.records)).scalar_one():
            raise FieldSupportError("The central server already holds records; it is not seeded.")
    device = workspace.device_id
    scopes: dict[tuple[str, str], str | None] = {}
    copied = 0
    with service.writing() as (conn, seqs), workspace.engine.connect() as local:
        for rtype in _parents_first():
            rows: list[dict[str, Any]] = []
            access: list[dict[str, Any]] = []
            columns = [(name, rtype.table.columns[name]) for name in rtype.fields]
            # every field was last changed by this device at the record's version
            versions = _dumps({name: ["VERSION", device] for name in rtype.fields})
            versions = versions.replace('"VERSION"', "{version}")
            for row in local.execute(select(rtype.table)).mappings():
                data = {name: encode_value(column, row[name]) for name, column in columns}
                scope = _scope(rtype.name, row["id"], data, scopes)
                scopes[(rtype.name, row["id"])] = scope
                version = int(row["version"])
                rows.append(
                    {
                        "record_type": rtype.name,
                        "id": row["id"],
                        "version": version,
                        "change_seq": seqs.next(),
                        "deleted": data.get("deleted_at") is not None,
                        "scope_case": scope,
                        "subject_type": rtype.name,
                        "row_hash": wire.row_hash(row["id"], version),
                        "data": _dumps(data),
                        "field_versions": versions.replace("{version}", str(version)),
                        "created_by": None,
                    }
                )
                if rtype.name == "cases":
                    assignee = data["assignee_id"]
                    access.append({"case_id": row["id"], "assignee_id": assignee})
                elif rtype.name == "users":
                    access.append({"id": row["id"], "username": data["username"]})
                if len(rows) >= BATCH:
                    copied += _insert(conn, rtype.name, rows, access)
                    rows, access = [], []
            if rows:
                copied += _insert(conn, rtype.name, rows, access)
        _copy_blobs(service, conn, local, workspace.blobs_dir)
    return copied


def _insert(
    conn: Any, type_name: str, rows: list[dict[str, Any]], access: list[dict[str, Any]]
) -> int:
    """A batch of records, with the rows that say who may see cases (and user names)."""
    conn.execute(insert(t.records), rows)
    if type_name == "cases":
        conn.execute(insert(t.case_access), [{**a, "created_by": None} for a in access])
    elif access:
        conn.execute(insert(t.domain_users), access)
    return len(rows)


def _parents_first() -> list[wire.RecordType]:
    """Record types ordered so that every scope parent comes before its children."""
    types = wire.record_types()
    ordered: list[wire.RecordType] = []
    placed: set[str] = set()
    remaining = dict(types)
    while remaining:
        ready = [
            name
            for name in remaining
            if all(
                parent in placed or parent not in types
                for _column, parent in wire.SCOPE_PARENTS.get(name, ())
            )
        ]
        if not ready:  # pragma: no cover - a cycle in SCOPE_PARENTS
            raise RuntimeError(f"scope parents form a cycle among {sorted(remaining)}")
        for name in sorted(ready):
            ordered.append(remaining.pop(name))
            placed.add(name)
    return ordered


def _scope(
    type_name: str,
    record_id: str,
    data: dict[str, Any],
    scopes: dict[tuple[str, str], str | None],
) -> str | None:
    if type_name == "cases":
        return record_id
    for column, parent_type in wire.SCOPE_PARENTS.get(type_name, ()):
        parent_id = data.get(column)
        if parent_id is not None:
            return scopes.get((parent_type, parent_id))
    return None


def _copy_blobs(service: CentralService, conn: Any, local: Any, blobs_dir: Path) -> None:
    rows = local.exec_driver_sql("SELECT sha256, size_bytes, media_type FROM blobs").all()
    store = BlobStore(blobs_dir)
    stamp = now()
    complete = []
    for sha, size, media_type in rows:
        source = store.original_path(sha)
        if not source.is_file():
            continue  # a blob this device never had: the server does not get it either
        target = service.blobs.path(sha)
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            temp = target.with_suffix(".seeding")
            shutil.copyfile(source, temp)
            os.replace(temp, target)
        complete.append(
            {
                "sha256": sha,
                "size": int(size),
                "media_type": media_type or "application/octet-stream",
                "complete": True,
                "created_at": stamp,
            }
        )
    for start in range(0, len(complete), BATCH):
        conn.execute(insert(t.blobs), complete[start : start + BATCH])


def describe(service: CentralService) -> dict[str, int]:
    """Records per type on the server (for messages and tests)."""
    with service.reading() as conn:
        rows = conn.execute(
            select(t.records.c.record_type, func.count()).group_by(t.records.c.record_type)
        ).all()
    return {str(name): int(count) for name, count in rows}
