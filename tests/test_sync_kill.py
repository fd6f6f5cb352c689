"""Real processes, real kills: the central server runs under uvicorn in a process of its own
(`python -m fieldsupport.central.cli serve`, SQLite file, and PostgreSQL when reachable); a
device syncs in a child process (tests/sync_child.py, the real client over HTTP) that is
killed with SIGKILL at named points of push, pull and blob upload, and at seeded random
moments; it is restarted and syncs again. At the end nothing is lost and nothing doubled:
the server holds exactly the device's records at the device's versions, every operation
was processed exactly once, every photo is complete with the right hash, the outbox is
drained, and a second device (also killed while pulling) ends up with the same data.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import select as sql_select

from fieldsupport.central import storage as t
from fieldsupport.central.blobs import BlobError
from fieldsupport.central.server import free_port
from fieldsupport.central.service import CentralService
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models.enums import CaseEventKind
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.sync import wire
from fieldsupport.sync.session import connect
from fieldsupport.workspace import Workspace
from tests.builders import make_refs, open_case
from tests.sync_helpers import BACKENDS, PASSWORD, PG_URL, drop_service, make_service

REPO = Path(__file__).resolve().parent.parent
CHUNK = 16 * 1024  # a photo of ~100 KB travels in 6 chunks
CHILD_TIMEOUT_S = 60.0
NOTES_PER_ROUND = 30  # two operations each (the note, the case's updated_at): 2+ push batches

# Where the device is killed, in this order; each round adds fresh changes first, and the
# device is not allowed to finish a sync in between, so the interruptions pile up.
NAMED_KILLS = [
    ("blob.between_chunks", 2),  # a photo half uploaded
    ("push.before_send", 2),
    ("push.after_send", 2),  # the server applied the batch, the answer is lost
    ("push.before_commit", 1),  # the answer arrived, not yet stored
    ("push.after_commit", 2),
    ("pull.before_commit", 2),  # a page received, not yet stored
    ("pull.after_commit", 1),
    ("blob.between_chunks", 3),
]
RANDOM_KILLS = 4


# -- the server process ---------------------------------------------------------------------------


@dataclass
class CentralProcess:
    url: str
    service: CentralService  # the test's own connection to the same database, for checking
    process: subprocess.Popen[bytes]
    log: Path
    database: list[str]  # the command line's options naming the database


def _wait_until_serving(process: subprocess.Popen[bytes], url: str, log: Path) -> None:
    for _attempt in range(400):
        try:
            if httpx.get(f"{url}/v1/meta", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        try:  # doubles as the pause between attempts
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        pytest.fail(f"the central server exited ({process.returncode}): {log.read_text()}")
    pytest.fail(f"the central server did not answer at {url}: {log.read_text()}")


@pytest.fixture(params=BACKENDS)
def central_process(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[CentralProcess]:
    service, schema = make_service(request.param, tmp_path)
    for name in ("field", "office"):
        service.accounts.add_user(name, PASSWORD, "back_office")
    db = PG_URL if schema else f"sqlite:///{tmp_path / 'central.db'}"
    port = free_port()
    log = tmp_path / "central.log"
    database = ["--db", db, *(["--schema", schema] if schema else [])]
    command = [sys.executable, "-m", "fieldsupport.central.cli", *database]
    command += ["serve", "--blobs", str(tmp_path / "blobs"), "--port", str(port)]
    with open(log, "wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(process, url, log)
        yield CentralProcess(url, service, process, log, database)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        drop_service(service, schema)


# -- the device process ---------------------------------------------------------------------------


class Child:
    """``python -m tests.sync_child``; its stdout is read line by line with a deadline."""

    def __init__(self, workspace: Path, *args: str) -> None:
        self.stderr = workspace.parent / f"{workspace.name}-child.err"
        with open(self.stderr, "ab") as err:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.sync_child",
                    "--workspace",
                    str(workspace),
                    "--chunk-bytes",
                    str(CHUNK),
                    *args,
                ],
                stdout=subprocess.PIPE,
                stderr=err,
                cwd=REPO,
            )
        self._buffer = b""
        self.lines: list[str] = []

    def next_line(self) -> str | None:
        """The next line the child prints; None when it has exited."""
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            ready, _w, _x = select.select([fd], [], [], CHILD_TIMEOUT_S)
            if not ready:
                self.kill()
                pytest.fail(f"the sync child printed nothing for {CHILD_TIMEOUT_S} s")
            data = os.read(fd, 65536)
            if not data:
                return None
            self._buffer += data
        line, self._buffer = self._buffer.split(b"\n", 1)
        self.lines.append(line.decode())
        return self.lines[-1]

    def wait_for(self, prefix: str) -> str | None:
        while (line := self.next_line()) is not None:
            if line.startswith(prefix):
                return line
        return None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def finish(self) -> dict[str, Any]:
        """Read to the end; the sync's report (the child must have finished cleanly)."""
        done = self.wait_for("DONE ")
        code = self.process.wait(timeout=CHILD_TIMEOUT_S)
        assert done is not None and code == 0, (
            f"the sync child failed ({code}): {self.stderr.read_text()[-2000:]}"
        )
        return dict(json.loads(done.removeprefix("DONE ")))

    def last_point(self) -> str:
        passed = [line.split(" ", 1)[1] for line in self.lines if line.startswith(("PASS", "AT"))]
        return passed[-1] if passed else "before the first point"


def cli_sync(workspace: Path) -> subprocess.CompletedProcess[str]:
    """``fieldsupport sync --verify``, the real command line, run to its end."""
    return subprocess.run(
        [sys.executable, "-m", "fieldsupport", "sync", "--workspace", str(workspace), "--verify"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=CHILD_TIMEOUT_S,
    )


def kill_at(workspace: Path, point: str, nth: int, *args: str) -> Child:
    child = Child(workspace, "--stop-at", point, "--nth", str(nth), *args)
    reached = child.wait_for("AT ")
    if reached is None:
        child.process.wait(timeout=CHILD_TIMEOUT_S)
        pytest.fail(f"the sync never reached {point} #{nth}: {child.lines[-5:]}")
    child.kill()
    return child


def kill_after(workspace: Path, delay: float, *args: str) -> tuple[Child, bool]:
    """Start a sync and SIGKILL it ``delay`` seconds after it began; whether it was killed
    (a short sync may finish first)."""
    child = Child(workspace, *args)
    assert child.wait_for("SYNCING") is not None, child.stderr.read_text()
    try:
        child.process.wait(timeout=delay)
    except subprocess.TimeoutExpired:
        child.kill()
        while child.next_line() is not None:
            pass
        return child, True
    while child.next_line() is not None:
        pass
    return child, False


# -- the device's work ----------------------------------------------------------------------------


@dataclass
class FieldDevice:
    root: Path
    case_id: str = ""
    notes: list[str] = field(default_factory=list)
    deleted_notes: set[str] = field(default_factory=set)
    photos: list[str] = field(default_factory=list)
    rounds: int = 0


def _camera_photos(folder: Path, count: int, seed: int) -> list[Path]:
    """Real JPEGs of noise (they do not compress), about 100 KB each."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        width, height = 420, 300
        image = Image.frombytes("RGB", (width, height), rng.randbytes(width * height * 3))
        path = folder / f"IMG_{seed:03d}_{i:02d}.jpg"
        image.save(path, quality=85)
        paths.append(path)
    return paths


def start_field_device(root: Path, url: str) -> FieldDevice:
    device = FieldDevice(root)
    with Workspace.open(root) as ws:
        device.case_id = open_case(CaseService(ws), make_refs(ws))
        connect(ws, url, "field", PASSWORD)
    return device


def work(device: FieldDevice, photos: list[Path]) -> None:
    """One round of work on the device: notes, an edit, photos, a deleted note."""
    device.rounds += 1
    with Workspace.open(device.root) as ws:
        cases = CaseService(ws)
        for i in range(NOTES_PER_ROUND):
            body = f"round {device.rounds} note {i}"
            cases.add_event(device.case_id, CaseEventKind.NOTE, body)
            device.notes.append(body)
        cases.update_description(device.case_id, f"Described in round {device.rounds}.")
        if photos:
            summary = PhotoService(ws).import_photos(PhotoOwner(device.case_id), photos)
            assert summary.count(Outcome.IMPORTED) == len(photos)
            device.photos += [hashlib.sha256(p.read_bytes()).hexdigest() for p in photos]
        if device.rounds % 3 == 0:  # a tombstone travels too
            victim = device.notes[len(device.notes) // 2]
            with ws.transaction() as s:
                from fieldsupport.models import CaseEvent

                event = s.scalars(sql_select(CaseEvent).where(CaseEvent.body == victim)).one()
                event.deleted_at = event.occurred_at
            device.deleted_notes.add(victim)


# -- what the device and the server hold --------------------------------------------------------


def local_records(root: Path) -> set[tuple[str, str, int]]:
    with Workspace.open(root, read_only=True) as ws, ws.engine.connect() as conn:
        return {
            (name, record_id, version)
            for name in wire.record_types()
            for record_id, version in conn.exec_driver_sql(f'SELECT id, version FROM "{name}"')
        }


def local_notes(root: Path) -> Counter[tuple[str, bool]]:
    with Workspace.open(root, read_only=True) as ws, ws.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT body, deleted_at IS NOT NULL FROM case_events WHERE kind = 'note'"
        ).all()
    return Counter((body, bool(deleted)) for body, deleted in rows)


def local_outbox(root: Path) -> list[tuple[str, int, str]]:
    with Workspace.open(root, read_only=True) as ws, ws.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT op_id, seq, state FROM sync_outbox ORDER BY seq")
        return [(op_id, seq, state) for op_id, seq, state in rows]


def server_records(service: CentralService) -> list[tuple[str, str, int]]:
    r = t.records.c
    with service.reading() as conn:
        rows = conn.execute(
            sql_select(r.record_type, r.id, r.version).where(r.record_type != wire.CONFLICTS_TYPE)
        ).all()
    return [(rt, rid, int(v)) for rt, rid, v in rows]


def server_data(service: CentralService, record_type: str) -> list[dict[str, Any]]:
    r = t.records.c
    with service.reading() as conn:
        rows = conn.execute(sql_select(r.data).where(r.record_type == record_type)).scalars()
        return [json.loads(data) for data in rows]


def server_ops(service: CentralService, device_id: str) -> tuple[list[Any], int]:
    with service.reading() as conn:
        ops = conn.execute(
            sql_select(t.ops.c.op_id, t.ops.c.device_seq, t.ops.c.status).where(
                t.ops.c.device_id == device_id
            )
        ).all()
        last_seq = conn.execute(
            sql_select(t.devices.c.last_seq).where(t.devices.c.id == device_id)
        ).scalar_one()
    return list(ops), int(last_seq)


def device_id_of(root: Path) -> str:
    with Workspace.open(root, read_only=True) as ws:
        return ws.device_id


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def held_complete(service: CentralService, sha: str) -> bool:
    try:
        return bool(service.blobs.status(sha)["complete"])
    except BlobError:  # unknown to the server
        return False


def held_bytes(service: CentralService, shas: list[str]) -> int:
    """What the server holds of these blobs, complete or partial."""
    held = 0
    for sha in shas:
        try:
            held += int(service.blobs.status(sha)["received"])
        except BlobError:  # unknown to the server: nothing held
            continue
    return held


# -- the test -------------------------------------------------------------------------------------


@pytest.mark.slow
def test_sigkill_at_any_moment_loses_and_doubles_nothing(
    central_process: CentralProcess, tmp_path: Path
) -> None:
    server = central_process
    rng = random.Random(20261123)
    field_root = tmp_path / "field"
    device = start_field_device(field_root, server.url)
    camera = [_camera_photos(tmp_path / "camera" / str(i), 2, i) for i in range(12)]

    # 1. killed between two chunks of a photo; the next sync resumes the upload at the offset
    #    the server holds (it does not send the held bytes again)
    work(device, camera[0])
    point, nth = NAMED_KILLS[0]
    kill_at(field_root, point, nth)
    sizes = sum(p.stat().st_size for p in camera[0])
    held = held_bytes(server.service, device.photos)
    assert 0 < held < sizes
    assert not all(held_complete(server.service, sha) for sha in device.photos)
    report = Child(field_root).finish()
    assert report["blobs_uploaded"] == 2 and report["bytes_uploaded"] == sizes - held

    # 2. killed at every named point of push and pull in turn, fresh work before each
    for index, (point, nth) in enumerate(NAMED_KILLS[1:], start=1):
        work(device, camera[index] if point.startswith("blob") or index % 2 else [])
        child = kill_at(field_root, point, nth)
        assert child.lines[-1] == f"AT {point}"

    # 3. killed at seeded random moments (inside SQLite commits, HTTP calls, file writes...)
    where = []
    for index in range(RANDOM_KILLS):
        work(device, camera[len(NAMED_KILLS) + index])
        child, killed = kill_after(field_root, rng.uniform(0.005, 0.15))
        where.append(child.last_point() if killed else "finished")
    print(f"random kills landed after: {where}")

    # 4. restarted, a sync runs to the end; then the real command line verifies
    final = Child(field_root).finish()
    assert final["rejected"] == 0 and final["conflicts"] == 0
    cli = cli_sync(field_root)
    assert cli.returncode == 0, cli.stderr
    assert "Synced: 0 sent, 0 received" in cli.stdout

    # -- nothing lost, nothing doubled --------------------------------------------------------
    outbox = local_outbox(field_root)
    assert {state for _op, _seq, state in outbox} == {"applied"}  # drained, nothing refused
    assert [seq for _op, seq, _state in outbox] == list(range(1, len(outbox) + 1))
    ops, last_seq = server_ops(server.service, device_id_of(field_root))
    assert sorted(op_id for op_id, _seq, _status in ops) == sorted(op for op, _s, _st in outbox)
    assert {status for _op, _seq, status in ops} == {"applied"}
    assert last_seq == len(outbox)

    on_server = server_records(server.service)
    assert len(on_server) == len(set(on_server))
    assert set(on_server) == local_records(field_root)  # same records at the same versions
    expected_notes = Counter((body, body in device.deleted_notes) for body in device.notes)
    served_notes = Counter(
        (d["body"], d["deleted_at"] is not None)
        for d in server_data(server.service, "case_events")
        if d["kind"] == "note"
    )
    assert served_notes == expected_notes == local_notes(field_root)
    (case_version,) = [v for rt, rid, v in on_server if rt == "cases" and rid == device.case_id]
    # every change applied once: the creation, then one version per real edit (a change of
    # updated_at alone is informational and makes no version)
    assert case_version == _versioned_changes(field_root, device.case_id)

    attachments = server_data(server.service, "attachments")
    assert sorted(a["sha256"] for a in attachments) == sorted(device.photos)
    for sha in device.photos:
        assert server.service.blobs.status(sha)["complete"]
        assert sha256_of(server.service.blobs.path(sha)) == sha
    partial = server.service.blobs.root / "partial"
    assert not partial.exists() or not any(partial.iterdir())

    # -- a second device pulls everything, killed while it does so ----------------------------
    office_root = tmp_path / "office"
    with Workspace.open(office_root) as ws:
        connect(ws, server.url, "office", PASSWORD)
    _child, _killed = kill_after(office_root, rng.uniform(0.005, 0.1))
    cli = cli_sync(office_root)
    assert cli.returncode == 0, cli.stderr
    assert local_records(office_root) == set(on_server)
    assert local_notes(office_root) == expected_notes
    office_blobs = BlobStore(office_root / "blobs")
    for sha in device.photos:
        assert sha256_of(office_blobs.original_path(sha)) == sha


def _versioned_changes(root: Path, case_id: str) -> int:
    with Workspace.open(root, read_only=True) as ws, ws.engine.connect() as conn:
        payloads = conn.exec_driver_sql(
            "SELECT payload FROM sync_outbox WHERE record_type = 'cases' AND record_id = ?",
            (case_id,),
        ).scalars()
        return sum(1 for p in payloads if set(json.loads(p)) - wire.INFORMATIONAL)


# Where a new device starting from the server's snapshot is killed, in this order.
SNAPSHOT_KILLS = [
    ("snapshot.between_chunks", 3),  # part of the file here
    ("snapshot.after_download", 1),  # all of it here and unpacked, not yet in place
    ("snapshot.before_install", 1),
    ("snapshot.after_install", 1),  # in place; the pull of what came since not yet run
]
PIECE = ["--stream-bytes", "4096"]  # the download in many pieces


@pytest.mark.slow
def test_sigkill_while_a_new_device_starts_from_the_snapshot(
    central_process: CentralProcess, tmp_path: Path
) -> None:
    server = central_process
    field_root = tmp_path / "field"
    device = start_field_device(field_root, server.url)
    for index in range(3):
        work(device, _camera_photos(tmp_path / "camera" / str(index), 1, index))
    Child(field_root).finish()
    published = subprocess.run(
        [
            sys.executable,
            "-m",
            "fieldsupport.central.cli",
            *server.database,
            "snapshot",
            "--blobs",
            str(server.service.blobs.root),
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=CHILD_TIMEOUT_S,
    )
    assert published.returncode == 0, published.stderr
    manifest = server.service.snapshots.manifest("all")
    assert manifest is not None and manifest["size"] > 3 * 4096

    office_root = tmp_path / "office"
    with Workspace.open(office_root) as ws:
        connect(ws, server.url, "office", PASSWORD)
    partial = office_root / "downloads" / f"snapshot-{manifest['sha256']}.part"
    for point, nth in SNAPSHOT_KILLS:
        child = kill_at(office_root, point, nth, *PIECE)
        assert child.lines[-1] == f"AT {point}"
        if point == "snapshot.between_chunks":
            assert 0 < partial.stat().st_size < manifest["size"]  # resumed from here next
        installed = point == "snapshot.after_install"
        assert (local_records(office_root) != set()) is installed  # nothing half-way
    rng = random.Random(20261201)
    fresh_root = tmp_path / "fresh"  # a third device, killed at random moments
    with Workspace.open(fresh_root) as ws:
        connect(ws, server.url, "office", PASSWORD)
    where = [kill_after(fresh_root, rng.uniform(0.001, 0.08), *PIECE) for _ in range(3)]
    print(f"random kills landed after: {[c.last_point() if k else 'done' for c, k in where]}")

    on_server = set(server_records(server.service))
    for root in (office_root, fresh_root):
        cli = cli_sync(root)
        assert cli.returncode == 0, cli.stderr
        assert local_records(root) == on_server
        assert local_notes(root) == local_notes(field_root)
        assert not list((root / "downloads").glob("*"))  # nothing left behind
        blobs = BlobStore(root / "blobs")
        for sha in device.photos:
            assert sha256_of(blobs.original_path(sha)) == sha
        assert local_outbox(root) == []  # it made no changes of its own
