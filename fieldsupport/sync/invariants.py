"""The sync invariants, checked on a healed simulation world.

* ``outbox_drained``: no device has pending operations left;
* ``exactly_once``: every operation a device committed reached the server once, with the
  same outcome on both sides;
* ``converged``: each device's records equal the server's records it may see, field by field;
* ``both_values_kept``: every committed edit's value is the current value, was seen and
  replaced by a later edit, or is held in a conflict record or a refused operation;
* ``blobs``: every blob a record references is on the server and on each device that has the
  record, with the right SHA-256.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from fieldsupport.central import storage as t
from fieldsupport.sync import wire
from fieldsupport.sync.simulation import SimDevice, World

INVARIANTS = ("outbox_drained", "exactly_once", "converged", "both_values_kept", "blobs")


def check_world(world: World) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {name: [] for name in INVARIANTS}
    if world.errors:
        problems["outbox_drained"].extend(world.errors)
    server_ops = _server_ops(world)
    for device in world.devices:
        _check_outbox(device, server_ops.get(device.ws.device_id, {}), problems)
        _check_converged(world, device, problems)
        _check_device_blobs(device, problems)
    _check_edits(world, problems)
    _check_server_blobs(world, problems)
    _check_server_totals(world, problems)
    return {name: found for name, found in problems.items() if found}


def _check_server_totals(world: World, problems: dict[str, list[str]]) -> None:
    """The totals the server's triggers keep (the checkpoint of the back office) are the
    figures of its records."""
    from fieldsupport.central import totals

    with world.service.engine.connect() as conn:
        kept = totals.read(conn)
        r = t.records.c
        counted = {
            name: {"count": int(n), "hash": int(h)}
            for name, n, h in conn.execute(
                select(r.record_type, func.count(), func.sum(r.row_hash))
                .where(r.deleted.is_(False))
                .group_by(r.record_type)
            )
        }
    if kept != counted:
        problems["converged"].append(f"server totals {kept} differ from its records {counted}")


def _server_ops(world: World) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = defaultdict(dict)
    with world.service.engine.connect() as conn:
        for op_id, device_id, status, result in conn.execute(
            select(t.ops.c.op_id, t.ops.c.device_id, t.ops.c.status, t.ops.c.result)
        ):
            if json.loads(result).get("replay"):
                continue
            out[device_id][op_id] = status
    return out


def _check_outbox(
    device: SimDevice, on_server: dict[str, str], problems: dict[str, list[str]]
) -> None:
    with device.ws.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT op_id, state FROM sync_outbox").all()
    pending = [op for op, state in rows if state == "pending"]
    if pending:
        problems["outbox_drained"].append(f"{device.name}: {len(pending)} operations pending")
    local = dict(rows)
    missing = set(local) - set(on_server)
    extra = set(on_server) - set(local)
    if missing:
        problems["exactly_once"].append(f"{device.name}: {len(missing)} ops never reached server")
    if extra:
        problems["exactly_once"].append(f"{device.name}: server has {len(extra)} unknown ops")
    differ = [op for op in set(local) & set(on_server) if local[op] != on_server[op]]
    if differ:
        problems["exactly_once"].append(f"{device.name}: {len(differ)} ops with other outcome")


def _server_view(
    world: World, device: SimDevice
) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    principal = world.service.accounts.authenticate(device.token)
    view: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    cursor = 0
    while True:
        page = json.loads(world.service.pull(principal, cursor, 5_000))
        for record in page["records"]:
            view[(record["t"], record["id"])] = (record["v"], record["d"])
        cursor = page["cursor"]
        if not page["more"]:
            return view


def local_view(device: SimDevice) -> dict[tuple[str, str], tuple[int, dict[str, Any]]]:
    """The device's rows in wire form, read with plain SQL (independent of the ORM)."""
    view: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    with device.ws.engine.connect() as conn:
        for name, rtype in wire.record_types().items():
            result = conn.exec_driver_sql(f'SELECT * FROM "{name}"')
            keys = list(result.keys())
            for values in result.all():
                row = dict(zip(keys, values, strict=True))
                data = {f: _wire(spec, row[f]) for f, spec in rtype.fields.items()}
                view[(name, row["id"])] = (row["version"], data)
        for record_id, version, data in conn.exec_driver_sql(
            "SELECT id, version, data FROM sync_conflicts"
        ):
            view[(wire.CONFLICTS_TYPE, record_id)] = (version, json.loads(data))
    return view


def _wire(spec: wire.FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if spec.kind == "datetime":
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    if spec.kind == "json":
        return json.loads(value)
    if spec.kind == "bool":
        return bool(value)
    if spec.kind == "float":
        return float(value)
    return value


def _check_converged(world: World, device: SimDevice, problems: dict[str, list[str]]) -> None:
    server = _server_view(world, device)
    local = local_view(device)
    for key in sorted(set(server) | set(local)):
        if key not in local:
            problems["converged"].append(f"{device.name}: missing {key[0]} {key[1]}")
        elif key not in server:
            problems["converged"].append(f"{device.name}: {key[0]} {key[1]} not on the server")
        elif local[key] != server[key]:
            mine, theirs = local[key], server[key]
            fields = sorted(f for f in theirs[1] if mine[1].get(f) != theirs[1].get(f))
            problems["converged"].append(
                f"{device.name}: {key[0]} {key[1]} differs (v{mine[0]}/v{theirs[0]}, {fields})"
            )


def _check_edits(world: World, problems: dict[str, list[str]]) -> None:
    with world.service.engine.connect() as conn:
        rows = conn.execute(
            select(t.records.c.record_type, t.records.c.id, t.records.c.data).where(
                t.records.c.record_type.in_(["cases", wire.CONFLICTS_TYPE])
            )
        ).all()
    current: dict[tuple[str, str], Any] = {}
    kept: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for record_type, record_id, text in rows:
        data = json.loads(text)
        if record_type == "cases":
            for name in data:
                current[(record_id, name)] = data[name]
        else:
            key = (data["record_id"], data["field"])
            kept[key].update((data["kept_value"], data["other_value"]))
    replaced: dict[tuple[str, str], set[Any]] = defaultdict(set)
    for edit in world.edits:
        replaced[(edit.record_id, edit.field)].add(edit.overwritten)
    refused: set[Any] = set()
    for device in world.devices:
        with device.ws.engine.connect() as conn:
            for (payload,) in conn.exec_driver_sql(
                "SELECT payload FROM sync_outbox WHERE state IN ('rejected', 'dismissed')"
            ):
                refused.update(v for v in json.loads(payload).values() if isinstance(v, str))
    for edit in world.edits:
        key = (edit.record_id, edit.field)
        if (
            current.get(key) == edit.value
            or edit.value in kept[key]
            or edit.value in replaced[key]
            or edit.value in refused
        ):
            continue
        problems["both_values_kept"].append(
            f"{edit.device}'s {edit.field}={edit.value!r} on case {edit.record_id} vanished"
        )


def _hash_ok(path: Path, sha256: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _check_server_blobs(world: World, problems: dict[str, list[str]]) -> None:
    with world.service.engine.connect() as conn:
        rows = conn.execute(
            select(t.records.c.data).where(t.records.c.record_type == "attachments")
        ).all()
    for (text,) in rows:
        sha = json.loads(text)["sha256"]
        if not _hash_ok(world.service.blobs.path(sha), sha):
            problems["blobs"].append(f"server: blob {sha[:12]} missing or damaged")


def _check_device_blobs(device: SimDevice, problems: dict[str, list[str]]) -> None:
    with device.ws.engine.connect() as conn:
        shas = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT sha256 FROM attachments")]
    root = device.ws.blobs_dir
    for sha in shas:
        if not _hash_ok(root / sha[:2] / sha, sha):
            problems["blobs"].append(f"{device.name}: blob {sha[:12]} missing or damaged")
