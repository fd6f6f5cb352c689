"""Sync figures against the real central server on loopback (``fieldsupport-central serve``
in a process of its own, SQLite):

* the first sync of an empty workspace from a server holding a demo company of N cases
  (100,000 by default: every case with its timeline, visits and measurements), end to end:
  from the server's snapshot (docs/sync-protocol.md, section 14), as a new device does
  when the server has one, and page by page, as when it has none yet;
* a sync with nothing to do;
* pushing 1,000 changes (one sync: push, the server's copies back, the checkpoint);
* uploading 100 photos of 3 MB, in MB/s beside a plain copy of the same files on this disk
  and beside the loopback floor (``loopback_floor.py``: the same files sent over a plain
  socket to another process that verifies and stores each durably, as the server must).

The server is seeded from the demo workspace the way the embedded demo server is
(``central.seeding``; docs/sync-protocol.md, section 11: bulk demo rows are not in any
outbox), then an empty workspace connects as an administrator and syncs.
``python benchmarks/sync.py [--cases N]``; ``benchmarks/run.py`` calls :func:`bench_sync`
with the demo workspace it made.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from loopback_floor import floor_seconds
from PIL import Image
from sqlalchemy import select

from fieldsupport.central.seeding import seed_from_workspace
from fieldsupport.central.server import free_port, open_service
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment, Blob, Case
from fieldsupport.sync.client import SyncClient
from fieldsupport.sync.session import connect, open_transport, run_sync
from fieldsupport.workspace import Workspace

Add = Callable[[str, float, str], None]
ACCOUNT = "bench-admin"
PASSWORD = "benchmark-password"
CHANGES = 1_000
PUSH_ROUNDS = 3  # the median: one round is at the mercy of the machine's other work
PHOTOS = 100
PHOTO_BYTES = 3 * 1024 * 1024


class CentralProcess:
    """``fieldsupport-central serve`` on a free loopback port, until ``stop()``."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "central.log"
        command = [
            sys.executable,
            "-m",
            "fieldsupport.central.cli",
            "--db",
            f"sqlite:///{folder / 'central.db'}",
            "serve",
            "--blobs",
            str(folder / "blobs"),
            "--port",
            str(self.port),
            "--no-snapshots",  # prepared before (seed_server): none made while measuring
        ]
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/v1/meta", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise SystemExit(f"the central server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def seed_server(demo: Path, folder: Path) -> int:
    """A server database holding the demo company, and the benchmark's account."""
    service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
    try:
        service.accounts.add_user(ACCOUNT, PASSWORD, "admin")
        with Workspace.open(demo, read_only=True) as workspace:
            return seed_from_workspace(service, workspace)
    finally:
        service.engine.dispose()


def prepare_snapshot(add: Add, folder: Path) -> None:
    """The snapshot new devices start from, as a running server prepares it by itself."""
    service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
    try:
        started = time.perf_counter()
        made = service.snapshots.refresh(service.accounts.account_principal(ACCOUNT))
        add("sync_snapshot_prepare", time.perf_counter() - started, "s")
        add("sync_snapshot_size", made["size"] / 1e6, "MB")
        add("sync_snapshot_unpacked", made["raw_size"] / 1e6, "MB")
    finally:
        service.engine.dispose()


def _jpeg_variants(folder: Path, count: int) -> list[Path]:
    """``count`` distinct real JPEGs of about 3 MB: one photo-sized image, each copy with its
    own comment segment (so each has its own SHA-256, as every camera photo does)."""
    folder.mkdir(parents=True, exist_ok=True)
    base = folder / "base.jpg"
    side = 1
    while True:  # noise does not compress: find the size that gives ~3 MB
        side += 128
        image = Image.frombytes("RGB", (side, side * 3 // 4), os.urandom(side * side * 9 // 4))
        image.save(base, quality=90)
        if base.stat().st_size >= PHOTO_BYTES:
            break
    data = base.read_bytes()
    paths = []
    for i in range(count):
        comment = f"benchmark photo {i:04d}".encode()
        segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        path = folder / f"IMG_{i:04d}.jpg"
        path.write_bytes(data[:2] + segment + data[2:])  # right after the SOI marker
        paths.append(path)
    base.unlink()
    return paths


def _attach_photos(workspace: Workspace, photos: list[Path]) -> None:
    store = BlobStore(workspace.blobs_dir)
    with workspace.transaction() as session:
        case_id = session.scalars(select(Case.id).order_by(Case.case_number).limit(1)).one()
        for path in photos:
            sha = store.put_file(path, "image/jpeg")
            size = path.stat().st_size
            session.add(Blob(sha256=sha, size_bytes=size, media_type="image/jpeg"))
            session.flush()
            session.add(
                Attachment(
                    case_id=case_id,
                    sha256=sha,
                    media_type="image/jpeg",
                    size_bytes=size,
                    filename=path.name,
                )
            )


def _disk_copy_seconds(photos: list[Path], target: Path) -> float:
    """The same files copied on this disk, each made durable as the server makes a blob."""
    target.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    for path in photos:
        copy = target / path.name
        shutil.copyfile(path, copy)
        with open(copy, "rb+") as handle:
            os.fsync(handle.fileno())
    return time.perf_counter() - started


def _timed_sync(workspace: Workspace) -> tuple[float, object]:
    started = time.perf_counter()
    report = run_sync(workspace)
    return time.perf_counter() - started, report


def bench_sync(add: Add, demo: Path, work: Path, cache: Path | None = None) -> None:
    # the device token goes to a file under the benchmark's folder, not the user's keyring
    saved = {k: os.environ.get(k) for k in ("XDG_CONFIG_HOME", "PYTHON_KEYRING_BACKEND")}
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    try:
        _bench(add, demo, work, cache)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _seeded_server(add: Add, demo: Path, server_dir: Path, cache: Path | None) -> int:
    """The server database seeded from ``demo`` in ``server_dir``: made there, or copied
    from ``cache`` (made there first when missing; seeding 100,000 cases takes minutes)."""
    if cache is None:
        started = time.perf_counter()
        records = seed_server(demo, server_dir)
        add("sync_seed_server", time.perf_counter() - started, "s")
        prepare_snapshot(add, server_dir)
        return records
    count_file = cache / "records"
    if not count_file.exists():
        cache.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        records = seed_server(demo, cache)
        add("sync_seed_server", time.perf_counter() - started, "s")
        count_file.write_text(str(records))
    if not (cache / "blobs" / "snapshots" / "all" / "current.json").exists():
        prepare_snapshot(add, cache)
    shutil.copyfile(cache / "central.db", server_dir / "central.db")
    if (cache / "blobs").exists():
        # the snapshot's shadow workspace only serves refreshes, which the benchmark makes none
        shutil.copytree(
            cache / "blobs", server_dir / "blobs", ignore=shutil.ignore_patterns("shadow")
        )
    return int(count_file.read_text())


def _bench(add: Add, demo: Path, work: Path, cache: Path | None = None) -> None:
    server_dir = work / "central"
    server_dir.mkdir(parents=True)
    records = _seeded_server(add, demo, server_dir, cache)
    # the copies on the disk before anything is timed, as on a server that has been running
    # (their write-back would otherwise compete with the figures)
    os.sync()
    server = CentralProcess(server_dir)
    try:
        with Workspace.open(work / "laptop") as laptop:
            connect(laptop, server.url, ACCOUNT, PASSWORD)
            seconds, report = _timed_sync(laptop)
            pulled = report.pulled  # type: ignore[attr-defined]
            if pulled < records or report.from_snapshot < records:  # type: ignore[attr-defined]
                raise SystemExit(f"the first sync received {pulled} of {records} records")
            add("sync_first_records", pulled, "records")
            add("sync_first_seconds", seconds, "s")
            add("sync_first_rate", pulled / seconds, "records/s")
            with Workspace.open(work / "paged") as paged:
                connect(paged, server.url, ACCOUNT, PASSWORD)
                started = time.perf_counter()
                transport = open_transport(paged)
                try:
                    SyncClient(paged, transport, snapshots=False).run()
                finally:
                    transport.close()
                add("sync_first_pages_seconds", time.perf_counter() - started, "s")
            shutil.rmtree(work / "paged")

            idle = [_timed_sync(laptop)[0] for _ in range(5)]
            add("sync_nothing_to_do", statistics.median(idle) * 1000, "ms")

            pushes = []
            for round_ in range(PUSH_ROUNDS):
                with laptop.transaction() as session:
                    cases = session.scalars(select(Case).order_by(Case.id).limit(CHANGES)).all()
                    for case in cases:
                        case.title = f"{case.title} (checked {round_})"
                seconds, report = _timed_sync(laptop)
                if report.pushed != CHANGES:  # type: ignore[attr-defined]
                    raise SystemExit(f"pushed {report.pushed} changes, not {CHANGES}")  # type: ignore[attr-defined]
                pushes.append(seconds)
            add("sync_push_1000_changes", statistics.median(pushes), "s")
            add("sync_push_1000_changes_first", pushes[0], "s")

            photos = _jpeg_variants(work / "camera", PHOTOS)
            total = sum(p.stat().st_size for p in photos)
            _attach_photos(laptop, photos)
            seconds, report = _timed_sync(laptop)
            if report.blobs_uploaded != PHOTOS:  # type: ignore[attr-defined]
                raise SystemExit(f"uploaded {report.blobs_uploaded} photos, not {PHOTOS}")  # type: ignore[attr-defined]
            upload_rate = total / 1e6 / seconds
            copy_rate = total / 1e6 / _disk_copy_seconds(photos, work / "copied")
            floor_rate = total / 1e6 / floor_seconds(photos)
            add("sync_upload_100_photos_3mb", seconds, "s")
            add("sync_upload_rate", upload_rate, "MB/s")
            add("sync_upload_vs_disk_copy", upload_rate / copy_rate, "x")
            add("sync_upload_loopback_floor_rate", floor_rate, "MB/s")
            add("sync_upload_vs_loopback_floor", upload_rate / floor_rate, "x")
            # the photos' way out alone (privacy copies and transfers), without the push of
            # their records, the pull of the server's copies and the checkpoint
            transfer_rate = total / 1e6 / report.upload_seconds  # type: ignore[attr-defined]
            add("sync_upload_transfer_rate", transfer_rate, "MB/s")
            add("sync_upload_transfer_vs_loopback_floor", transfer_rate / floor_rate, "x")
    finally:
        server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the demo workspace and the seeded server database of N cases in this "
        "folder and reuse them on later runs (each run works on copies)",
    )
    args = parser.parse_args()

    def add(name: str, value: float, unit: str) -> None:
        print(f"{name}: {value:,.4g} {unit}", flush=True)

    from fieldsupport.demo.generator import create_demo

    cache = args.cache / f"cases-{args.cases}" if args.cache else None
    with tempfile.TemporaryDirectory(prefix="fieldsupport-sync-bench-") as tmp:
        demo = (cache or Path(tmp)) / "demo"
        ready = demo.with_suffix(".ready")
        if not ready.exists():
            shutil.rmtree(demo, ignore_errors=True)
            with Workspace.open(demo) as workspace:
                create_demo(workspace, cases=args.cases)
            ready.touch()
        bench_sync(add, demo, Path(tmp) / "sync", cache / "central" if cache else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
