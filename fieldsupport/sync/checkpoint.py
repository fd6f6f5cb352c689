"""The device's side of the checkpoint (docs/sync-protocol.md, section 6): counts and hashes
of its live records per type, and which of them are still known from the last check.

Hashing every record costs about a second per million. A type the device has not written
since the last check that agreed still has the values it had then: every sync write to a
type marks it (``apply.mark_written``, in the write's transaction), every local change
leaves an outbox operation, so only the marked types and the types of newer operations are
hashed again. The server's side is computed in full on every check, so anything missing,
extra or different on the server shows at once; every ``FULL_CHECK_EVERY``-th check hashes
every type anyway, which also catches a change no sync write and no outbox recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from fieldsupport.sync import wire
from fieldsupport.sync.apply import WRITTEN_KEY, get_state, set_state
from fieldsupport.workspace import Workspace

CHECKED_KEY = "sync.checked_types"
FULL_CHECK_EVERY = 10

Counts = dict[str, dict[str, int]]


def checked_types() -> list[str]:
    return [*wire.record_types(), wire.CONFLICTS_TYPE]


@dataclass(frozen=True)
class Known:
    """What the last check that agreed left behind, as far as it still holds."""

    outbox_seq: int  # the outbox's last operation when this was read
    checks: int  # checks that agreed so far
    counts: Counts  # per type still unchanged: its count and hash


def known_counts(conn: Connection, *, everything: bool = False) -> Known:
    """What still holds; nothing with ``everything`` (a check that hashes every type)."""
    outbox_seq = int(
        conn.exec_driver_sql("SELECT coalesce(max(seq), 0) FROM sync_outbox").scalar() or 0
    )
    checked = get_state(conn, CHECKED_KEY)
    if not isinstance(checked, dict) or not isinstance(checked.get("types"), dict):
        return Known(outbox_seq, 0, {})
    checks = int(checked.get("checks", 0))
    if everything or checks % FULL_CHECK_EVERY == 0:
        return Known(outbox_seq, checks, {})
    stale = set(get_state(conn, WRITTEN_KEY, []))
    stale.update(
        name
        for (name,) in conn.exec_driver_sql(
            "SELECT DISTINCT record_type FROM sync_outbox WHERE seq > ?",
            (int(checked.get("outbox_seq", 0)),),
        ).all()
    )
    zero = {"count": 0, "hash": 0}
    stored: dict[str, Any] = checked["types"]
    counts = {name: dict(stored.get(name, zero)) for name in checked_types() if name not in stale}
    return Known(outbox_seq, checks, counts)


def remember(conn: Connection, known: Known, local: Counts) -> None:
    """After a check that agreed (in its transaction): the values for the next checks."""
    set_state(
        conn,
        CHECKED_KEY,
        {"outbox_seq": known.outbox_seq, "checks": known.checks + 1, "types": local},
    )
    set_state(conn, WRITTEN_KEY, [])


def local_checkpoint(workspace: Workspace, known: Counts | None = None) -> Counts:
    """Counts and hashes of the live records on the device, like the server's checkpoint;
    the types in ``known`` are taken from there instead of being read."""
    known = known or {}
    out: Counts = {}
    with workspace.engine.connect() as conn:
        for name in checked_types():
            if name in known:
                if known[name].get("count"):
                    out[name] = {"count": known[name]["count"], "hash": known[name]["hash"]}
                continue
            # "<id>:<version>" made by SQLite, as bytes, read from the driver's own cursor:
            # the hashing is the only per-row work left here (wire.row_hash, inlined)
            keys = conn.exec_driver_sql(
                f"SELECT CAST(id || ':' || version AS BLOB) FROM \"{name}\" "
                "WHERE deleted_at IS NULL"
            ).cursor.fetchall()
            if keys:
                out[name] = {"count": len(keys), "hash": wire.key_hash_sum(keys)}
    return out


def differences(server: dict[str, Any], local: Counts) -> dict[str, str]:
    out = {}
    for name in sorted(set(server) | set(local)):
        theirs = server.get(name, {"count": 0, "hash": 0})
        mine = local.get(name, {"count": 0, "hash": 0})
        if theirs.get("count") != mine["count"] or theirs.get("hash") != mine["hash"]:
            out[name] = (
                f"{mine['count']} here, {theirs.get('count')} on the server"
                if theirs.get("count") != mine["count"]
                else "same number of records, different versions"
            )
    return out
