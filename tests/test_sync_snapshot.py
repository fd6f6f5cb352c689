"""A new device's first sync from the server's snapshot of its scope, through a real central
server on loopback (SQLite, and PostgreSQL when reachable): the workspace that results
equals one pulled page by page, keeps its own identity, gets what changed since the
snapshot, and nothing goes wrong when the download breaks, the file is damaged, the
workspace is not empty, the snapshot is too old or of another schema."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import zstandard
from sqlalchemy import select

from fieldsupport.central import storage as t
from fieldsupport.central.accounts import Principal
from fieldsupport.central.server import BackgroundServer
from fieldsupport.central.service import PURGE_HORIZON, CentralService
from fieldsupport.central.snapshots import SnapshotPolicy
from fieldsupport.errors import StorageFullError
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment, Blob, Case, CaseEvent, Customer, User
from fieldsupport.models.enums import CaseEventKind
from fieldsupport.services.case_queries import CaseListService, CaseQuery
from fieldsupport.services.cases import CaseService
from fieldsupport.store import migrate
from fieldsupport.sync import snapshot_db, transport
from fieldsupport.sync.client import CURSOR_KEY, SyncClient, SyncReport, local_checkpoint
from fieldsupport.sync.transport import HttpTransport
from fieldsupport.workspace import Workspace
from tests import sync_helpers
from tests.builders import MONDAY_9, TO_RESOLVED, make_refs, open_case, walk
from tests.fs_helpers import tmpfs
from tests.sync_helpers import SyncDevice, outbox

central = sync_helpers.central
server = sync_helpers.server

REPO = Path(__file__).resolve().parent.parent
ALL = Principal(0, "snapshot", "admin", None, "")


@pytest.fixture
def office(tmp_path: Path, server: BackgroundServer) -> Iterator[SyncDevice]:
    """The back office: a case assigned to anna with notes and a photo, a case of bert's
    team, all on the server."""
    bo = SyncDevice(tmp_path / "bo", server.url, "bo")
    refs = make_refs(bo.ws)
    with bo.ws.transaction() as s:
        s.add(User(username="bert", display_name="Bert Berg", team="south"))
    service = CaseService(bo.ws)
    anna_case = open_case(service, refs)
    walk(service, anna_case, TO_RESOLVED[:3])
    bert_case = open_case(service, refs, title="Bert's pump")
    walk(service, bert_case, [TO_RESOLVED[0], (TO_RESOLVED[1][0], {"assignee": "bert"})])
    photo = b"\xff\xd8 not really a JPEG, but bytes the server must carry \xff\xd9"
    sha = BlobStore(bo.ws.blobs_dir).put_bytes(photo)
    with bo.ws.transaction() as s:
        s.add(Blob(sha256=sha, size_bytes=len(photo), media_type="image/jpeg"))
        s.flush()
        s.add(Attachment(case_id=anna_case, sha256=sha, media_type="image/jpeg", size_bytes=9))
        for n in range(5):
            s.add(
                CaseEvent(
                    case_id=anna_case, kind=CaseEventKind.NOTE, occurred_at=MONDAY_9, body=f"n{n}"
                )
            )
    bo.sync()
    bo.cases = {"anna": anna_case, "bert": bert_case}  # type: ignore[attr-defined]
    bo.photo = sha  # type: ignore[attr-defined]
    try:
        yield bo
    finally:
        bo.close()


NewDevice = Callable[..., SyncDevice]


@pytest.fixture
def new_device(tmp_path: Path, server: BackgroundServer) -> Iterator[NewDevice]:
    """Makes new, empty workspaces enrolled on the server; all closed at the end."""
    made: list[SyncDevice] = []

    def make(name: str, username: str, **options: Any) -> SyncDevice:
        made.append(SyncDevice(tmp_path / name, server.url, username, **options))
        return made[-1]

    try:
        yield make
    finally:
        for device in made:
            device.close()


def _rows(ws: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every record table's rows, in id order: what the user has."""
    out = {}
    with ws.engine.connect() as conn:
        for table in snapshot_db.record_tables():
            out[table] = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY id').all()
    return out


def _principal(central: CentralService, username: str) -> Principal:
    return central.accounts.account_principal(username)


def _sync_counting(device: SyncDevice) -> tuple[SyncReport, Counter[str]]:
    """One sync, and how often it passed each named point."""
    passed: Counter[str] = Counter()
    report = SyncClient(device.ws, device.transport, hook=lambda p: passed.update([p])).run()
    return report, passed


def test_a_new_device_starts_from_the_snapshot_and_ends_like_a_paged_one(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    made = central.snapshots.refresh(_principal(central, "anna"))
    assert made["records"] > 0 and made["cursor"] == central.top_sequence()

    fresh = new_device("anna", "anna")
    paged = new_device("anna-paged", "anna", snapshots=False)
    identity = (fresh.ws.device_id, fresh.ws.device_code)
    fresh.ws.set_setting("ui.preference", {"kept": True})  # the device's own settings
    report = fresh.sync()
    assert report.from_snapshot == made["records"] == report.pulled
    assert paged.sync().from_snapshot == 0

    assert _rows(fresh.ws) == _rows(paged.ws)  # the same records, value for value
    assert local_checkpoint(fresh.ws) == local_checkpoint(paged.ws)
    assert (fresh.ws.device_id, fresh.ws.device_code) == identity
    assert fresh.ws.get_setting("ui.preference") == {"kept": True}
    assert not list((fresh.ws.root / "downloads").glob("*"))  # nothing left behind
    # the search index came with it
    found = CaseListService(fresh.ws).ids(CaseQuery(text="Leaking"))
    assert found == [office.cases["anna"]]  # type: ignore[attr-defined]
    # the photo's bytes follow as for any pull
    assert BlobStore(fresh.ws.blobs_dir).has(office.photo)  # type: ignore[attr-defined]

    # the device works on as any other: its first change is operation 1, and arrives
    with fresh.ws.transaction() as s:
        case = s.get(Case, office.cases["anna"])  # type: ignore[attr-defined]
        assert case is not None
        case.description = "Gland packing worn; replaced on site."
    assert [o["seq"] for o in outbox(fresh.ws)] == [1]
    assert fresh.sync().applied == 1
    office.sync()
    with office.ws.transaction() as s:
        case = s.get(Case, office.cases["anna"])  # type: ignore[attr-defined]
        assert case is not None and case.description == "Gland packing worn; replaced on site."


def test_what_changed_since_the_snapshot_arrives_by_pull(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    made = central.snapshots.refresh(ALL)
    with office.ws.transaction() as s:
        s.add(Customer(name="Later GmbH"))
        s.add(
            CaseEvent(
                case_id=office.cases["anna"],  # type: ignore[attr-defined]
                kind=CaseEventKind.NOTE,
                occurred_at=MONDAY_9,
                body="after the snapshot",
            )
        )
    office.sync()
    fresh = new_device("office2", "bo")
    report = fresh.sync()
    assert report.from_snapshot == made["records"]
    assert report.pulled > report.from_snapshot  # the two records, and the case's change
    with fresh.ws.transaction() as s:
        assert s.scalars(select(Customer.name).where(Customer.name == "Later GmbH")).one()
    assert fresh.ws.get_setting(CURSOR_KEY) == central.top_sequence()
    assert local_checkpoint(fresh.ws) == local_checkpoint(office.ws)


def test_scopes_are_kept_apart(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    anna = central.snapshots.refresh(_principal(central, "anna"))
    bert = central.snapshots.refresh(_principal(central, "bert"))
    everything = central.snapshots.refresh(ALL)
    assert len({anna["sha256"], bert["sha256"], everything["sha256"]}) == 3
    device = new_device("bert", "bert")
    offer = device.transport.request("GET", "/v1/snapshot").json()
    assert offer["sha256"] == bert["sha256"]
    for other in (anna["sha256"], everything["sha256"]):  # guessing the name gets nothing
        reply = device.transport.request("GET", f"/v1/snapshot/{other}/content")
        assert reply.status == 404
    assert device.sync().from_snapshot == bert["records"]
    with device.ws.transaction() as s:
        assert s.get(Case, office.cases["bert"]) is not None  # type: ignore[attr-defined]
        assert s.get(Case, office.cases["anna"]) is None  # type: ignore[attr-defined]


def test_a_workspace_with_work_of_its_own_is_not_replaced(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    central.snapshots.refresh(ALL)
    device = new_device("office2", "bo")
    with device.ws.transaction() as s:
        s.add(Customer(name="Typed before the first sync"))
    report = device.sync()
    assert report.from_snapshot == 0 and report.applied == 1
    with device.ws.transaction() as s:
        names = set(s.scalars(select(Customer.name)))
    assert "Typed before the first sync" in names and "Zakłady Chemiczne Odra S.A." in names
    office.sync()
    assert local_checkpoint(device.ws) == local_checkpoint(office.ws)


class Broken(Exception):
    pass


def test_an_interrupted_download_goes_on_where_it_stopped(
    office: SyncDevice,
    central: CentralService,
    monkeypatch: pytest.MonkeyPatch,
    new_device: NewDevice,
) -> None:
    made = central.snapshots.refresh(ALL)
    monkeypatch.setattr(transport, "STREAM_BYTES", 1024)  # many pieces of a small file
    ranges: list[str | None] = []
    original = HttpTransport.stream

    def recording(self: HttpTransport, method: str, path: str, **kw: Any) -> Any:
        ranges.append((kw.get("headers") or {}).get("Range"))
        return original(self, method, path, **kw)

    monkeypatch.setattr(HttpTransport, "stream", recording)
    device = new_device("office2", "bo")
    passes = 0

    def break_at_third_piece(point: str) -> None:
        nonlocal passes
        if point == "snapshot.between_chunks":
            passes += 1
            if passes == 3:
                raise Broken(point)

    with pytest.raises(Broken):
        SyncClient(device.ws, device.transport, hook=break_at_third_piece).run()
    partial = device.ws.root / "downloads" / f"snapshot-{made['sha256']}.part"
    assert 0 < partial.stat().st_size < made["size"]
    assert device.ws.get_setting(CURSOR_KEY) is None  # nothing changed yet
    report = device.sync()
    assert report.from_snapshot == made["records"]
    # the second attempt asked for the rest only: three pieces were kept
    assert ranges == [None, f"bytes={3 * 1024}-"]
    assert local_checkpoint(device.ws) == local_checkpoint(office.ws)


def test_a_damaged_snapshot_is_not_used_and_the_device_pulls_page_by_page(
    office: SyncDevice,
    central: CentralService,
    caplog: pytest.LogCaptureFixture,
    new_device: NewDevice,
) -> None:
    made = central.snapshots.refresh(ALL)
    packed = central.snapshots.root / "all" / f"{made['sha256']}.zst"
    data = bytearray(packed.read_bytes())
    data[len(data) // 2] ^= 0xFF
    packed.write_bytes(bytes(data))
    device = new_device("office2", "bo")
    with caplog.at_level(logging.WARNING, logger="fieldsupport.sync.snapshot"):
        report, passed = _sync_counting(device)
    assert not passed["snapshot.after_download"]
    assert f"snapshot {made['sha256'][:12]} not used: the file does not unpack" in caplog.text
    assert report.from_snapshot == 0 and report.pulled >= made["records"]
    assert local_checkpoint(device.ws) == local_checkpoint(office.ws)
    assert not list((device.ws.root / "downloads").glob("*"))


def test_a_snapshot_older_than_the_purge_horizon_is_never_offered(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    made = central.snapshots.refresh(ALL)
    with office.ws.transaction() as s:
        note = s.scalars(select(CaseEvent).where(CaseEvent.body == "n0")).one()
        note.deleted_at = MONDAY_9
    office.sync()
    office.sync()  # the server learns this device has seen the deletion
    # purging waits for the published snapshot, which has not seen the deletion
    assert central.purge_tombstones() == 0
    # a server that purged anyway (an older version, a manual clean-up) moves the horizon
    with central.engine.begin() as conn:
        conn.execute(t.counters.insert().values(name=PURGE_HORIZON, value=made["cursor"] + 1))
    device = new_device("office2", "bo")
    assert device.transport.request("GET", "/v1/snapshot").status == 404
    assert device.sync().from_snapshot == 0
    # the next refresh starts the server's copy afresh and may be offered again
    again = central.snapshots.refresh(ALL)
    assert again["cursor"] > made["cursor"]
    assert device.transport.request("GET", "/v1/snapshot").json()["sha256"] == (again["sha256"])
    device.sync()  # its next pull tells the server what it has stored
    assert central.purge_tombstones() == 1  # now every device and snapshot has seen it


def test_snapshots_of_another_schema(
    office: SyncDevice, central: CentralService, tmp_path: Path, new_device: NewDevice
) -> None:
    """A newer server's schema is left alone (pages instead); an older one is upgraded."""
    made = central.snapshots.refresh(ALL)
    manifest_path = central.snapshots.root / "all" / "current.json"
    manifest = json.loads(manifest_path.read_text())
    manifest_path.write_text(json.dumps({**manifest, "schema": "9999"}))
    newer = new_device("newer", "bo")
    report, passed = _sync_counting(newer)
    assert report.from_snapshot == 0 and not passed["snapshot.between_chunks"]

    # an older schema: a database at the revision before head, holding nothing yet
    old = tmp_path / "old.db"
    before_head = sorted(migrate.known_revisions())[-2]
    migrate.upgrade(old, before_head)
    conn = sqlite3.connect(old)
    with conn:
        conn.execute("INSERT INTO settings VALUES (?, ?)", (CURSOR_KEY, "0"))
    conn.close()
    packed = zstandard.ZstdCompressor().compress(old.read_bytes())
    sha = hashlib.sha256(packed).hexdigest()
    (central.snapshots.root / "all" / f"{sha}.zst").write_bytes(packed)
    manifest_path.write_text(
        json.dumps(
            {
                **manifest,
                "schema": before_head,
                "sha256": sha,
                "size": len(packed),
                "raw_size": old.stat().st_size,
                "cursor": 0,
                "records": 0,
            }
        )
    )
    older = new_device("older", "bo")
    report, passed = _sync_counting(older)
    assert passed["snapshot.after_install"] == 1  # upgraded and put in place
    assert report.pulled == made["records"]  # then all of it by pull, from cursor 0
    assert migrate.inspect_database(older.ws.db_path).state is migrate.SchemaState.CURRENT
    assert local_checkpoint(older.ws) == local_checkpoint(office.ws)


def test_too_little_disk_space_is_said_before_anything_is_fetched(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    central.snapshots.refresh(ALL)
    device = new_device("office2", "bo")
    with tmpfs(device.ws.root / "downloads", size="64k"):
        with pytest.raises(StorageFullError, match="MB free; the case files need"):
            device.sync()
        assert device.ws.get_setting(CURSOR_KEY) is None
        assert not list((device.ws.root / "downloads").glob("*"))


def test_the_server_prepares_snapshots_by_itself(
    office: SyncDevice, central: CentralService, new_device: NewDevice
) -> None:
    snapshots = central.snapshots
    snapshots.policy = SnapshotPolicy(auto=True, stale_changes=1, min_interval_s=3600)
    device = new_device("office2", "bo")
    assert device.transport.request("GET", "/v1/snapshot").status == 404  # asks for one
    snapshots.wait()
    offer = device.transport.request("GET", "/v1/snapshot").json()
    assert offer["cursor"] == central.top_sequence()
    # not again within the interval, however many changes come
    with office.ws.transaction() as s:
        s.add(Customer(name="One more"))
    office.sync()
    assert device.transport.request("GET", "/v1/snapshot").json() == offer
    snapshots.wait()
    assert snapshots.manifest("all")["sha256"] == offer["sha256"]  # type: ignore[index]


def test_snapshot_command(central: CentralService) -> None:
    if central.engine.dialect.name != "sqlite":
        pytest.skip("the command is run against the test's SQLite file")
    command = [
        sys.executable,
        "-m",
        "fieldsupport.central.cli",
        "--db",
        str(central.engine.url),
        "snapshot",
        "--blobs",
        str(central.blobs.root),
    ]
    done = subprocess.run([*command, "--user", "anna"], capture_output=True, text=True, cwd=REPO)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("anna: 0 records at cursor 0")
    assert central.snapshots.manifest(f"account-{_principal(central, 'anna').account_id}")
    refused = subprocess.run(
        [*command, "--user", "nobody"], capture_output=True, text=True, cwd=REPO
    )
    assert refused.returncode == 1
    assert refused.stderr.strip() == "fieldsupport-central: There is no account 'nobody'."
