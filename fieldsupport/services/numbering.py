"""Human-readable numbers that are unique without a server.

A case number is ``FS-<device code>-<sequence>``, e.g. ``FS-7KQ3-000042``: the device code
makes numbers from different laptops distinct while offline, the sequence is per device and
is allocated in the same transaction as the record that uses it.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from fieldsupport.errors import WorkspaceError
from fieldsupport.models import Setting

CASE_PREFIX = "FS"


def _next_counter(session: Session, key: str, step: int = 1) -> int:
    """Advance a per-device counter by ``step``; returns the new (last reserved) value."""
    row = session.get(Setting, key, with_for_update=True)
    if row is None:
        row = Setting(key=key, value=0)
        session.add(row)
    value = int(row.value or 0) + step
    row.value = value
    return value


def next_in_sequence(session: Session, key: str) -> int:
    """The next number of a per-device sequence (RMA numbers, report numbers...), allocated
    in the caller's transaction."""
    return _next_counter(session, key)


def device_code(session: Session) -> str:
    row = session.get(Setting, "device_code")
    if row is None:
        raise WorkspaceError("This workspace has no device identity; reopen it in the app.")
    return str(row.value)


def next_case_number(session: Session) -> str:
    return format_case_number(device_code(session), _next_counter(session, "case_sequence"))


def reserve_case_numbers(session: Session, count: int) -> tuple[str, int]:
    """Reserve ``count`` sequence numbers at once (bulk imports); returns (code, first)."""
    last = _next_counter(session, "case_sequence", count)
    return device_code(session), last - count + 1


def format_case_number(code: str, seq: int) -> str:
    return f"{CASE_PREFIX}-{code}-{seq:06d}"
