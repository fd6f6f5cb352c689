"""Exporting accepted service reports for the company's ERP and billing.

One run writes one batch folder: each newly accepted report as PDF and JSON (the files the
engineer's device made, byte for byte), one CSV summary (report, case, customer, engineer,
hours, travel, parts) and a manifest with every file's SHA-256. The same code runs in
``fieldsupport-central export`` (reading the server's database) and in the app (reading the
back-office endpoints): only the :class:`ExportSource` differs.

Exactly once, also across interruptions:

* the cursor is the server's decision sequence, allocated in commit order, so reading
  "accepted after N" never skips a decision committed later with a smaller number;
* a batch is built in a hidden ``.batch-NNNNN.partial`` folder, every file through a
  temporary name, flushed, renamed and checked against its SHA-256;
* the finished folder is renamed to ``batch-NNNNN`` (atomic), and only then the ledger
  (``fieldsupport-export.json``: cursor, batches, exported report ids) is replaced (atomic);
* a run that died before the rename resumes the partial folder (intact files are kept); one
  that died between the rename and the ledger adopts the batch from its manifest; the ids in
  the ledger keep a report from being exported twice whatever cursor is asked for;
* a full or read-only disk, a damaged file or a cancel: the partial folder is removed, the
  ledger is untouched, and the message says what to do. A lost connection to the server
  leaves the partial folder (hidden, not in the ledger) for the next run to resume.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from fieldsupport import __version__
from fieldsupport.errors import FieldSupportError
from fieldsupport.media.blobstore import sha256_of
from fieldsupport.reports import export_files as disk
from fieldsupport.store.durable import fsync_dir
from fieldsupport.tasks import Cancelled, TaskState

LEDGER_NAME = "fieldsupport-export.json"
BATCH_PREFIX = "batch-"
CSV_NAME = "summary.csv"
MANIFEST_NAME = "manifest.json"
FORMAT = "fieldsupport.report-export"
FORMAT_VERSION = 1
PAGE = 500
DOCUMENT_LIMIT = 8 * 1024 * 1024  # a report's JSON is a few kB; refuse to parse a giant
CSV_COLUMNS = (
    "report_number",
    "revision",
    "case_number",
    "customer",
    "engineer",
    "work_hours",
    "travel_hours",
    "travel_km",
    "parts",
    "accepted_by",
    "accepted_at",
    "pdf_file",
    "json_file",
)
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")
_BATCH = re.compile(rf"^{BATCH_PREFIX}(\d{{5,}})$")


class ExportError(FieldSupportError):
    """The export could not be done; nothing half-written was left behind."""


class ExportInterrupted(ExportError):
    """The source went away mid-way (a lost connection to the server). The hidden partial
    batch is kept, outside the ledger, for the next run to resume."""


@dataclass(frozen=True)
class AcceptedReport:
    """One accepted report revision as the export sees it."""

    report_id: str
    report_number: str
    revision: int
    pdf_sha256: str
    data_sha256: str
    decided_by: str
    decided_at: str
    decision_seq: int

    @property
    def stem(self) -> str:
        return _UNSAFE.sub("_", f"{self.report_number}-rev{self.revision}")

    def to_wire(self) -> dict[str, Any]:
        return {
            "report_id": self.report_id,
            "report_number": self.report_number,
            "revision": self.revision,
            "pdf_sha256": self.pdf_sha256,
            "data_sha256": self.data_sha256,
            "decided_by": self.decided_by,
            "decided_at": self.decided_at,
            "decision_seq": self.decision_seq,
        }

    @classmethod
    def from_wire(cls, value: Any) -> AcceptedReport:
        """Checked: an answer in another shape is refused, not half-used."""
        try:
            item = cls(
                report_id=str(value["report_id"]),
                report_number=str(value["report_number"]),
                revision=int(value["revision"]),
                pdf_sha256=str(value["pdf_sha256"]),
                data_sha256=str(value["data_sha256"]),
                decided_by=str(value["decided_by"]),
                decided_at=str(value["decided_at"]),
                decision_seq=int(value["decision_seq"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ExportError(
                "The server listed an accepted report in an unexpected shape; nothing was exported."
            ) from None
        if not (_SHA256.match(item.pdf_sha256) and _SHA256.match(item.data_sha256)):
            raise ExportError(
                f"The server listed {item.stem} without valid file hashes; nothing was exported."
            )
        return item


@dataclass(frozen=True)
class AcceptedPage:
    reports: list[AcceptedReport]
    cursor: int  # read on from here
    more: bool


class ByteSink(Protocol):
    def write(self, data: bytes, /) -> object: ...


class ExportSource(Protocol):
    def accepted_since(self, cursor: int, limit: int) -> AcceptedPage:
        """Reports accepted with a decision sequence above ``cursor``, in that order."""
        ...

    def copy_blob(self, sha256: str, out: ByteSink) -> None:
        """Write the blob's bytes to ``out`` (the caller checks the hash)."""
        ...


@dataclass(frozen=True)
class ExportResult:
    out_dir: Path
    batch: Path | None
    reports: tuple[str, ...]
    cursor_from: int
    cursor_to: int
    adopted: Path | None = None

    def summary(self) -> str:
        adopted = (
            f" (recorded the batch {self.adopted.name} an interrupted export had finished)"
            if self.adopted
            else ""
        )
        if self.batch is None:
            return f"Nothing new to export to {self.out_dir}{adopted}."
        return (
            f"Exported {len(self.reports)} report(s) to {self.batch} "
            f"(cursor {self.cursor_from} → {self.cursor_to}){adopted}."
        )


@dataclass
class Ledger:
    cursor: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)
    exported: set[str] = field(default_factory=set)

    @property
    def next_batch(self) -> str:
        return f"{BATCH_PREFIX}{len(self.batches) + 1:05d}"

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "cursor": self.cursor,
            "batches": self.batches,
            "exported": sorted(self.exported),
        }


# -- the run ---------------------------------------------------------------------------------


def export_reports(
    source: ExportSource,
    out_dir: Path,
    *,
    since: int | None = None,
    task: TaskState | None = None,
    after_file: Callable[[Path], None] | None = None,
) -> ExportResult:
    """Export what was accepted after the ledger's cursor (or ``since``, if later).

    ``after_file`` is called with each file once it is completely written (fault-injection
    tests stop the run there)."""
    task = task or TaskState()
    out_dir = Path(out_dir)
    if since is not None and since < 0:
        raise ExportError("The cursor to export from cannot be negative.")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(disk.disk_message(out_dir, exc, "Nothing was exported.")) from exc
    with _exclusive(out_dir):
        ledger = read_ledger(out_dir)
        adopted = _adopt_finished_batch(out_dir, ledger)
        start = max(since or 0, ledger.cursor)
        task.progress(0.02, "Asking for accepted reports")
        items, top = _collect(source, start, task)
        fresh = [item for item in items if item.report_id not in ledger.exported]
        if not fresh:
            if top > ledger.cursor or adopted:
                ledger.cursor = max(ledger.cursor, top)
                _save_ledger(out_dir, ledger, None)
            return ExportResult(out_dir, None, (), start, max(start, top), adopted)
        name = ledger.next_batch
        partial = out_dir / f".{name}.partial"
        final = out_dir / name
        if final.exists():
            raise ExportError(
                f"{final} exists but the export ledger does not list it and it has no "
                "readable manifest. Move it away (it was not made by a finished export) and "
                "export again."
            )
        try:
            manifest = _write_batch(source, partial, name, fresh, start, top, task, after_file)
            fsync_dir(partial)
            os.replace(partial, final)
            fsync_dir(out_dir)
        except ExportInterrupted:
            raise  # the partial folder stays for the next run
        except (OSError, ExportError, Cancelled) as exc:
            shutil.rmtree(partial, ignore_errors=True)
            if isinstance(exc, OSError):
                raise ExportError(
                    disk.disk_message(out_dir, exc, "Nothing of this export was kept.")
                ) from exc
            raise
        _record(ledger, manifest)
        _save_ledger(out_dir, ledger, final)
        task.progress(1.0, "Exported")
        return ExportResult(out_dir, final, tuple(i.stem for i in fresh), start, top, adopted)


def _collect(source: ExportSource, start: int, task: TaskState) -> tuple[list[AcceptedReport], int]:
    items: list[AcceptedReport] = []
    seen: set[str] = set()
    cursor = start
    while True:
        task.check()
        page = source.accepted_since(cursor, PAGE)
        for item in page.reports:
            if item.report_id not in seen:
                seen.add(item.report_id)
                items.append(item)
        if page.cursor <= cursor and page.more:
            raise ExportError("The server's list of accepted reports does not advance.")
        cursor = max(cursor, page.cursor)
        if not page.more:
            return items, cursor


def _write_batch(
    source: ExportSource,
    partial: Path,
    name: str,
    items: list[AcceptedReport],
    start: int,
    top: int,
    task: TaskState,
    after_file: Callable[[Path], None] | None,
) -> dict[str, Any]:
    partial.mkdir(exist_ok=True)
    expected = {f"{i.stem}.pdf" for i in items} | {f"{i.stem}.json" for i in items}
    for leftover in partial.iterdir():  # from an interrupted run: temporary or foreign files
        if leftover.name not in expected:
            disk.remove(leftover)
    files: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    reports: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        task.progress(0.05 + 0.85 * index / len(items), f"{item.stem}")
        pdf = partial / f"{item.stem}.pdf"
        data = partial / f"{item.stem}.json"
        for target, sha in ((pdf, item.pdf_sha256), (data, item.data_sha256)):
            files.append(_fetch_verified(source, target, sha, item))
            if after_file is not None:
                after_file(target)
        document = _document(data, item)
        rows.append(_csv_row(item, document, pdf.name, data.name))
        reports.append(
            {
                "report_id": item.report_id,
                "report_number": item.report_number,
                "revision": item.revision,
                "accepted_by": item.decided_by,
                "accepted_at": item.decided_at,
                "decision_seq": item.decision_seq,
                "pdf": pdf.name,
                "json": data.name,
            }
        )
    task.progress(0.92, "Writing the summary")
    summary = io.StringIO()
    writer = csv.DictWriter(summary, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # UTF-8 with a BOM so spreadsheet programs read accents right
    files.append(disk.write_bytes(partial / CSV_NAME, summary.getvalue().encode("utf-8-sig")))
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "batch": name,
        "generator": f"FieldSupport {__version__}",
        "exported_at": datetime.now(UTC).isoformat(),
        "cursor_from": start,
        "cursor_to": top,
        "reports": reports,
        "files": files,
    }
    disk.write_bytes(
        partial / MANIFEST_NAME,
        json.dumps(manifest, ensure_ascii=False, indent=1).encode("utf-8"),
    )
    return manifest


def _fetch_verified(
    source: ExportSource, target: Path, sha256: str, item: AcceptedReport
) -> dict[str, Any]:
    if target.is_file() and sha256_of(target) == sha256:  # kept from an interrupted run
        return {"name": target.name, "sha256": sha256, "bytes": target.stat().st_size}
    with disk.atomic_write(target) as out:
        hashing = disk.HashingWriter(out)
        source.copy_blob(sha256, hashing)
        if hashing.digest.hexdigest() != sha256:
            raise ExportError(
                f"The server's copy of {target.name} ({item.report_number} revision "
                f"{item.revision}) does not match its SHA-256: it is damaged. Nothing of this "
                "export was kept; tell the server's administrator."
            )
    return {"name": target.name, "sha256": sha256, "bytes": hashing.size}


def read_document(path: Path) -> dict[str, Any] | None:
    """A report's structured data (its JSON file), or None when it is missing, too large or
    not a JSON object."""
    try:
        if path.stat().st_size > DOCUMENT_LIMIT:
            return None
        document = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def document_section(document: dict[str, Any], name: str) -> dict[str, Any]:
    """One section of a report document; {} when absent or not an object."""
    value = document.get(name)
    return value if isinstance(value, dict) else {}


def _document(path: Path, item: AcceptedReport) -> dict[str, Any]:
    document = read_document(path)
    if document is None:
        raise ExportError(
            f"The structured data of {item.report_number} revision {item.revision} is not "
            "readable JSON; nothing of this export was kept."
        )
    return document


def _csv_row(item: AcceptedReport, document: dict[str, Any], pdf: str, data: str) -> dict[str, Any]:
    case = document_section(document, "case")
    customer = document_section(document, "customer")
    visit = document_section(document, "visit")
    listed = document.get("parts")
    parts = "; ".join(
        f"{_number(p.get('quantity'))} {p.get('unit') or ''} × {p.get('part_number') or ''} "
        f"{p.get('description') or ''}".replace("  ", " ").strip()
        for p in (listed if isinstance(listed, list) else [])
        if isinstance(p, dict)
    )
    return {
        "report_number": item.report_number,
        "revision": item.revision,
        "case_number": case.get("number", ""),
        "customer": customer.get("title", ""),
        "engineer": visit.get("engineer") or "",
        "work_hours": _hours(visit.get("work_minutes")),
        "travel_hours": _hours(visit.get("travel_minutes")),
        "travel_km": _number(visit.get("travel_distance_km")),
        "parts": parts,
        "accepted_by": item.decided_by,
        "accepted_at": item.decided_at,
        "pdf_file": pdf,
        "json_file": data,
    }


def _hours(minutes: Any) -> str:
    if not isinstance(minutes, int | float):
        return ""
    return f"{minutes / 60:.2f}"


def _number(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return f"{value:g}"


# -- the ledger ------------------------------------------------------------------------------


def read_ledger(out_dir: Path) -> Ledger:
    path = out_dir / LEDGER_NAME
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Ledger()
    except OSError as exc:
        raise ExportError(f"The export ledger {path} cannot be read: {exc.strerror}.") from exc
    try:
        data = json.loads(raw)
        if data.get("format") != FORMAT:
            raise ValueError("another format")
        return Ledger(
            cursor=int(data["cursor"]),
            batches=list(data["batches"]),
            exported={str(i) for i in data["exported"]},
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ExportError(
            f"The export ledger {path} is damaged or not a FieldSupport export ledger, so it "
            "is not known what was exported; nothing was exported. Restore it from a backup "
            "or export into a new folder."
        ) from None


def _record(ledger: Ledger, manifest: dict[str, Any]) -> None:
    """Add a finished batch to the ledger; a manifest missing a field raises before the
    ledger is changed at all."""
    cursor = int(manifest["cursor_to"])
    exported = {str(r["report_id"]) for r in manifest["reports"]}
    entry = {
        "batch": manifest["batch"],
        "cursor_from": manifest["cursor_from"],
        "cursor_to": manifest["cursor_to"],
        "reports": len(manifest["reports"]),
        "exported_at": manifest["exported_at"],
    }
    ledger.cursor = max(ledger.cursor, cursor)
    ledger.exported |= exported
    ledger.batches.append(entry)


def _save_ledger(out_dir: Path, ledger: Ledger, batch: Path | None) -> None:
    body = json.dumps(ledger.to_json(), indent=1).encode("utf-8")
    try:
        disk.write_bytes(out_dir / LEDGER_NAME, body)
        fsync_dir(out_dir)
    except OSError as exc:
        if batch is None:
            raise ExportError(disk.disk_message(out_dir, exc, "Nothing was exported.")) from exc
        raise ExportError(
            f"{batch} is complete, but the export ledger could not be written "
            f"({disk.reason(exc)}). The next export records the batch from its manifest and "
            "exports nothing twice."
        ) from exc


def _adopt_finished_batch(out_dir: Path, ledger: Ledger) -> Path | None:
    """A batch renamed into place by a run that died before writing the ledger."""
    batch = out_dir / ledger.next_batch
    try:
        manifest = json.loads((batch / MANIFEST_NAME).read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("batch") != batch.name:
        return None
    try:
        _record(ledger, manifest)
    except (KeyError, TypeError, ValueError):
        return None  # a damaged manifest: export_reports refuses to overwrite the batch
    return batch


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    try:
        with disk.exclusive_folder(out_dir):
            yield
    except disk.FolderBusy:
        raise ExportError(
            f"Another export is writing to {out_dir} right now; wait for it to finish."
        ) from None
    except OSError as exc:
        if exc.filename and Path(exc.filename).name == disk.LOCK_NAME:
            raise ExportError(disk.disk_message(out_dir, exc, "Nothing was exported.")) from exc
        raise
