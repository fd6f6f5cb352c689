"""The ERP export as the real command in a process of its own (`fieldsupport-central export
--since CURSOR --out DIR`, against the database of a real server with accepted reports,
SQLite and PostgreSQL when reachable), killed with SIGKILL mid-way and run again: every
accepted report ends up exported exactly once, no partial file is left, manifest, summary
and ledger agree, and a further run exports nothing. Also: a folder that is not writable or
fills up mid-way gets a clear message from the command and keeps nothing half-exported.

The kill point needs no hook in the export: the server's blob file of a chosen report is
replaced by a FIFO, so the export blocks on opening it, after the files before it are
written; the test sees the reader arrive at the FIFO and kills the process right there.
"""

from __future__ import annotations

import csv
import errno
import hashlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fieldsupport.central.service import CentralService
from fieldsupport.reports.export import LEDGER_NAME, read_ledger
from fieldsupport.sync.backoffice import BackOfficeClient
from tests import backoffice_helpers, sync_helpers
from tests.backoffice_helpers import Device, Submitted, central_db_args, submit_report
from tests.fs_helpers import tmpfs

central = sync_helpers.central
server = sync_helpers.server

ENTRY_POINT = Path(sys.executable).parent / "fieldsupport-central"  # as installed
COMMAND = (
    [str(ENTRY_POINT)]
    if ENTRY_POINT.is_file()
    else [sys.executable, "-m", "fieldsupport.central.cli"]  # the same main()
)
WAIT_STEPS = 1_200  # x 50 ms: how long the export may take to reach the blocked file


devices = backoffice_helpers.devices


def _accept(bo: Device, anna: Device, count: int, refs: dict[str, str] | None) -> list[Submitted]:
    sent: list[Submitted] = []
    for _ in range(count):
        sent.append(submit_report(bo, anna, refs=refs))
        refs = sent[-1].refs
    for item in sent:
        BackOfficeClient(bo.transport).decide(item.report.id, "accepted")
    return sent


def _export_command(service: CentralService, out: Path, since: int = 0) -> list[str]:
    return [
        *COMMAND,
        *central_db_args(service),
        "export",
        "--blobs",
        str(service.blobs.root),
        "--out",
        str(out),
        "--since",
        str(since),
    ]


def _run(command: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


@contextmanager
def blocking(blob: Path) -> Iterator[Path]:
    """The server's blob file replaced by a FIFO for the block: whoever opens it to read
    waits there until a writer comes (none does before the kill)."""
    original = blob.read_bytes()
    blob.unlink()
    os.mkfifo(blob)
    try:
        yield blob
    finally:
        blob.unlink()
        blob.write_bytes(original)


def _kill_when_it_reads(process: subprocess.Popen[str], fifo: Path) -> None:
    """SIGKILL the export once it is blocked reading ``fifo``."""
    for _step in range(WAIT_STEPS):
        try:
            # succeeds only while a reader has the FIFO open (ENXIO otherwise)
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO:
                raise
        try:
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        _out, err = process.communicate()
        raise AssertionError(f"the export ended ({process.returncode}) before the kill: {err}")
    else:
        process.kill()
        raise AssertionError("the export never reached the blocked file")
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    os.close(writer)  # only now: an end of file earlier would fail the copy, not kill it
    assert process.returncode == -signal.SIGKILL


def _killed_at(service: CentralService, out: Path, blob: Path) -> None:
    with blocking(blob) as fifo:
        process = subprocess.Popen(
            _export_command(service, out),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        _kill_when_it_reads(process, fifo)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _stems(sent: list[Submitted]) -> list[str]:
    return [f"{s.report.report_number}-rev{s.report.revision}" for s in sent]


def test_export_killed_mid_way_resumes_and_exports_every_report_once(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accept(bo, anna, 4, None)
    out = tmp_path / "erp"
    partial = out / ".batch-00001.partial"
    stems = _stems(sent)

    # killed while copying the third report's PDF: two reports complete in the hidden
    # partial folder, the third's temporary file begun
    _killed_at(central, out, central.blobs.path(sent[2].report.pdf_sha256 or ""))
    assert not (out / "batch-00001").exists() and not (out / LEDGER_NAME).exists()
    complete = {f"{s}.{x}" for s in stems[:2] for x in ("pdf", "json")}
    assert {p.name for p in partial.iterdir()} == complete | {f".{stems[2]}.pdf.tmp"}
    kept = {name: (partial / name).stat().st_mtime_ns for name in complete}

    # a report accepted meanwhile is part of the resumed export (no gap)
    sent += _accept(bo, anna, 1, sent[0].refs)
    stems = _stems(sent)

    # killed again, at the last file of the batch (the new report's JSON)
    _killed_at(central, out, central.blobs.path(sent[4].report.data_sha256 or ""))
    assert not (out / "batch-00001").exists() and not (out / LEDGER_NAME).exists()
    assert {p.name for p in partial.iterdir()} == (
        {f"{s}.{x}" for s in stems[:4] for x in ("pdf", "json")}
        | {f"{stems[4]}.pdf", f".{stems[4]}.json.tmp"}
    )
    for name, mtime in kept.items():  # files of the first run were kept, not written again
        assert (partial / name).stat().st_mtime_ns == mtime

    finished = _run(_export_command(central, out))
    assert finished.returncode == 0, finished.stderr
    assert "Exported 5 report(s)" in finished.stdout and "batch-00001" in finished.stdout

    batch = out / "batch-00001"
    names = [f"{s}.{x}" for s in stems for x in ("pdf", "json")]
    assert sorted(p.name for p in batch.iterdir()) == sorted(
        [*names, "summary.csv", "manifest.json"]
    )
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [".fieldsupport-export.lock", LEDGER_NAME, "batch-00001"]
    )  # no partial folder, no temporary file
    for item, stem in zip(sent, stems, strict=True):
        report = item.report
        assert report.pdf_path is not None and report.data_path is not None
        assert (batch / f"{stem}.pdf").read_bytes() == report.pdf_path.read_bytes()
        assert (batch / f"{stem}.json").read_bytes() == report.data_path.read_bytes()
    for name in kept:  # still the first run's files
        assert (batch / name).stat().st_mtime_ns == kept[name]

    manifest = json.loads((batch / "manifest.json").read_bytes())
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == {*names, "summary.csv"}
    for name, entry in listed.items():
        assert entry["sha256"] == _sha(batch / name)
        assert entry["bytes"] == (batch / name).stat().st_size
    ids = [s.report.id for s in sent]
    assert [r["report_id"] for r in manifest["reports"]] == ids  # in decision order, once
    rows = list(csv.DictReader(io.StringIO((batch / "summary.csv").read_text("utf-8-sig"))))
    assert [(r["report_number"], r["pdf_file"], r["json_file"]) for r in rows] == [
        (r["report_number"], r["pdf"], r["json"]) for r in manifest["reports"]
    ]
    assert [r["case_number"] for r in rows] == [s.case_number for s in sent]
    ledger = read_ledger(out)
    assert ledger.exported == set(ids) and len(ledger.batches) == 1
    assert ledger.cursor == manifest["cursor_to"]
    assert ledger.batches[0]["reports"] == 5

    # and again, even from the beginning: nothing
    for since in (ledger.cursor, 0):
        again = _run(_export_command(central, out, since))
        assert again.returncode == 0, again.stderr
        assert "Nothing new to export" in again.stdout
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "batch-00001",
        LEDGER_NAME,
    ]
    assert read_ledger(out).exported == set(ids)


def test_export_command_on_a_full_or_read_only_folder_says_so_and_keeps_nothing(
    devices: dict[str, Device], central: CentralService, tmp_path: Path
) -> None:
    bo, anna = devices["bo"], devices["anna"]
    sent = _accept(bo, anna, 2, None)
    first, second = (s.report for s in sent)
    out = tmp_path / "erp"
    sizes = [
        central.blobs.path(sha or "").stat().st_size
        for sha in (first.pdf_sha256, first.data_sha256, second.pdf_sha256)
    ]
    with tmpfs(out, size="1m"):
        # room for the first report and half of the second's PDF: full mid-way
        filler = out / "filler.bin"
        with open(filler, "wb") as fill:
            fill.write(b"\0" * (shutil.disk_usage(out).free - sizes[0] - sizes[1] - sizes[2] // 2))
        full = _run(_export_command(central, out))
        assert full.returncode == 1
        assert f"The export folder {out} is full. Nothing of this export was kept." in full.stderr
        assert "Traceback" not in full.stderr and full.stdout == ""
        assert sorted(p.name for p in out.iterdir()) == [".fieldsupport-export.lock", "filler.bin"]
        filler.unlink()
        done = _run(_export_command(central, out))
        assert done.returncode == 0 and "Exported 2 report(s)" in done.stdout, done.stderr
        assert read_ledger(out).exported == {first.id, second.id}

    read_only = tmp_path / "read-only"
    with tmpfs(read_only, size="1m", read_only=True):
        refused = _run(_export_command(central, read_only / "erp"))
        assert refused.returncode == 1
        assert "is not writable. Nothing was exported." in refused.stderr
        assert "Traceback" not in refused.stderr
        assert list(read_only.iterdir()) == []
