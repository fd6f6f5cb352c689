"""Deterministic, seeded sync simulation: 3-5 devices and an in-process central server
through a faulty network (drops, duplicates, delays, reordering), devices that crash at
named points and clocks skewed by days. After the faults heal, the invariants of
``DESIGN.md`` ("Sync invariants") are checked (``sync.invariants``).

A world template (server with accounts, device workspaces with reference data and cases) is
built once per process and copied for every seed, so a seed costs a fraction of a second.
"""

from __future__ import annotations

import atexit
import random
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from fieldsupport.central.server import open_service
from fieldsupport.central.service import CentralService
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Attachment, Blob, Case, CaseEvent
from fieldsupport.models.enums import CaseEventKind
from fieldsupport.store import change_capture
from fieldsupport.sync.client import SyncClient
from fieldsupport.sync.faults import Crash, FaultRates, FaultyNetwork, FaultyTransport
from fieldsupport.sync.transport import SyncError
from fieldsupport.workspace import Workspace

# account, role, team
ACCOUNTS = [
    ("bo", "back_office", None),
    ("e1", "engineer", "north"),
    ("e2", "engineer", "north"),
    ("e3", "engineer", "south"),
    ("e4", "engineer", "south"),
]
PASSWORD = "simulation-password"
CASES_PER_ENGINEER = 2
EDITABLE_FIELDS = ("title", "description", "category")
REAL_NOW = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


@dataclass
class Edit:
    """One committed field edit: the value written and the value it replaced locally."""

    device: str
    record_id: str
    field: str
    value: str
    overwritten: Any


@dataclass
class SimDevice:
    name: str
    root: Path
    token: str
    skew: timedelta
    ws: Workspace
    crashes: int = 0


@dataclass
class World:
    seed: int
    root: Path
    service: CentralService
    network: FaultyNetwork
    rng: random.Random
    devices: list[SimDevice]
    edits: list[Edit] = field(default_factory=list)
    counter: int = 0
    errors: list[str] = field(default_factory=list)
    snapshot_starts: int = 0  # first syncs that began from a snapshot

    def close(self) -> None:
        for device in self.devices:
            device.ws.close()
        self.service.engine.dispose()
        shutil.rmtree(self.root, ignore_errors=True)


# -- the template ---------------------------------------------------------------------------------

_template: tuple[Path, dict[str, str]] | None = None


def template() -> tuple[Path, dict[str, str]]:
    """Folder with ``server/`` and one workspace per account, all in sync; and the tokens."""
    global _template
    if _template is not None and _template[0].exists():
        return _template
    root = Path(tempfile.mkdtemp(prefix="fieldsupport-sim-"))
    atexit.register(shutil.rmtree, root, True)
    service = open_service(f"sqlite:///{root / 'server' / 'central.db'}", root / "server" / "blobs")
    tokens: dict[str, str] = {}
    workspaces: dict[str, Workspace] = {}
    for name, role, team in ACCOUNTS:
        service.accounts.add_user(name, PASSWORD, role, team=team)
        workspaces[name] = Workspace.open(root / name)
        tokens[name], _who = service.accounts.enrol(
            name, PASSWORD, workspaces[name].device_id, name
        )
    _seed_data(workspaces["bo"])
    network = FaultyNetwork(service, random.Random(0), FaultRates.none())
    for name in ("bo", *[a for a, _r, _t in ACCOUNTS if a != "bo"], "bo"):
        transport = FaultyTransport(network, tokens[name], _no_crash)
        SyncClient(workspaces[name], transport, prefetch=False).run()
    for ws in workspaces.values():
        ws.close()
    service.engine.dispose()
    _template = (root, tokens)
    return _template


def _no_crash(_point: str) -> None:
    return None


def _seed_data(ws: Workspace) -> None:
    from fieldsupport.models import Customer, Site, User
    from fieldsupport.models.enums import AssistType, CaseStatus

    ids = random.Random(20261123)

    def new_id() -> str:  # fixed ids: a seed replays the same run in any process
        return str(uuid.UUID(int=ids.getrandbits(128), version=4))

    with ws.transaction() as s:
        customer = Customer(id=new_id(), name="Odra S.A.")
        s.add(customer)
        s.flush()
        site = Site(id=new_id(), customer_id=customer.id, name="Opole")
        s.add(site)
        users = {}
        for name, role, team in ACCOUNTS:
            users[name] = User(
                id=new_id(), username=name, display_name=name.upper(), role=role, team=team
            )
            s.add(users[name])
        s.flush()
        number = 0
        for name, role, _team in ACCOUNTS:
            if role != "engineer":
                continue
            for _ in range(CASES_PER_ENGINEER):
                number += 1
                s.add(
                    Case(
                        id=new_id(),
                        case_number=f"SIM-{number:04d}",
                        assist_type=AssistType.CUSTOM_SOLUTION,
                        title=f"case {number}",
                        status=CaseStatus.ASSIGNED,
                        assignee_id=users[name].id,
                        customer_id=customer.id,
                        site_id=site.id,
                        opened_at=REAL_NOW,
                    )
                )


# -- one seed -----------------------------------------------------------------------------------


def build_world(seed: int, rates: FaultRates | None = None) -> World:
    source, tokens = template()
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix=f"fieldsupport-seed{seed}-"))
    shutil.copytree(source / "server", root / "server")
    count = rng.randint(3, len(ACCOUNTS))
    service = open_service(f"sqlite:///{root / 'server' / 'central.db'}", root / "server" / "blobs")
    network = FaultyNetwork(service, rng, rates or FaultRates())
    devices = []
    for name, _role, _team in ACCOUNTS[:count]:
        shutil.copytree(source / name, root / name)
        skew = timedelta(days=rng.randint(-400, 400), hours=rng.randint(-12, 12))
        devices.append(
            SimDevice(name, root / name, tokens[name], skew, Workspace.open(root / name))
        )
    return World(seed, root, service, network, rng, devices)


def run_seed(seed: int, *, steps: int | None = None, rates: FaultRates | None = None) -> World:
    """Run one seed to the end of healing; the caller checks invariants, then closes."""
    world = build_world(seed, rates)
    rng = world.rng
    for _ in range(steps if steps is not None else rng.randint(12, 24)):
        device = rng.choice(world.devices)
        roll = rng.random()
        if roll < 0.5:
            _edit(world, device)
        elif roll < 0.86:
            _sync(world, device)
        elif roll < 0.93:
            world.network.deliver_some()
        elif roll < 0.97:
            _refresh_snapshot(world, device)
        else:
            _join(world, device)
    heal(world)
    return world


def _refresh_snapshot(world: World, device: SimDevice) -> None:
    """The server brings the snapshot of ``device``'s scope up to date (as its background
    refresh does), so devices joining later start from it."""
    world.service.snapshots.refresh(world.service.accounts.authenticate(device.token))


def _join(world: World, device: SimDevice) -> None:
    """A new device of ``device``'s account joins (a second laptop): its first sync starts
    from the snapshot where the server has one, crashes and faults included."""
    joined = sum(1 for d in world.devices if d.name.startswith(f"{device.name}+"))
    if joined or device.name.count("+"):
        return
    name = f"{device.name}+"
    root = world.root / name
    ws = Workspace.open(root)
    account = device.name
    token, _who = world.service.accounts.enrol(account, PASSWORD, ws.device_id, name)
    skew = timedelta(days=world.rng.randint(-400, 400))
    world.devices.append(SimDevice(name, root, token, skew, ws))


def heal(world: World) -> None:
    """Faults stop; late requests arrive; every device syncs until nothing moves."""
    world.network.rates = FaultRates.none()
    world.network.deliver_some(everything=True)
    for _round in range(6):
        moved = False
        for device in world.devices:
            report = _sync(world, device, verify=True)
            if report is None or report.pushed or report.pulled or report.divergent:
                moved = True
        if not moved:
            return
    world.errors.append("sync did not settle after 6 rounds")


def _crash_hook(world: World, device: SimDevice) -> Any:
    def hook(point: str) -> None:
        roll = world.rng.random()
        if roll < world.network.rates.crash:
            raise Crash(point)
        if roll < world.network.rates.crash + world.network.rates.edit_during_sync:
            _edit(world, device, may_crash=False)  # the user keeps working meanwhile

    return hook


def _restart(device: SimDevice) -> None:
    device.ws.close()
    device.ws = Workspace.open(device.root)
    device.crashes += 1


def _sync(world: World, device: SimDevice, *, verify: bool = False) -> Any:
    hook = _crash_hook(world, device)
    transport = FaultyTransport(world.network, device.token, hook)
    try:
        with _device_clock(device):
            # requests strictly in turn (no prefetch): a seed replays the same run
            client = SyncClient(device.ws, transport, hook=hook, chunk_bytes=8192, prefetch=False)
            report = client.run(verify=verify)
            if report.from_snapshot:
                world.snapshot_starts += 1
            return report
    except Crash:
        _restart(device)
    except SyncError:
        pass  # the network failed: the next sync carries on
    return None


@contextmanager
def _device_clock(device: SimDevice) -> Iterator[None]:
    """The device's wall clock is off by days (it must not matter)."""
    original = change_capture.utcnow
    change_capture.utcnow = lambda: original() + device.skew  # type: ignore[assignment]
    try:
        yield
    finally:
        change_capture.utcnow = original  # type: ignore[assignment]


def _edit(world: World, device: SimDevice, *, may_crash: bool = True) -> None:
    rng = world.rng
    with device.ws.transaction() as s:
        cases = list(s.scalars(select(Case.id).where(Case.deleted_at.is_(None)).order_by(Case.id)))
    if not cases:
        return
    case_id = rng.choice(cases)
    kind = rng.random()
    world.counter += 1
    token = f"{device.name}-{world.seed}-{world.counter}"
    now = REAL_NOW + device.skew
    crash_before = may_crash and rng.random() < world.network.rates.crash
    crash_after = may_crash and rng.random() < world.network.rates.crash
    logged: Edit | None = None
    try:
        with _device_clock(device), device.ws.transaction() as s:
            if kind < 0.5:
                case = s.get(Case, case_id)
                assert case is not None
                name = rng.choice(EDITABLE_FIELDS)
                logged = Edit(device.name, case_id, name, token, getattr(case, name))
                setattr(case, name, token)
            elif kind < 0.75:
                s.add(
                    CaseEvent(case_id=case_id, kind=CaseEventKind.NOTE, occurred_at=now, body=token)
                )
            elif kind < 0.9:
                data = rng.randbytes(rng.randint(2_000, 40_000))
                sha = BlobStore(device.ws.blobs_dir).put_bytes(data)
                if s.get(Blob, sha) is None:
                    s.add(Blob(sha256=sha, size_bytes=len(data), media_type="image/jpeg"))
                    s.flush()  # no relationship orders blob before attachment
                s.add(
                    Attachment(
                        case_id=case_id,
                        sha256=sha,
                        media_type="image/jpeg",
                        size_bytes=len(data),
                        filename=f"{token}.jpg",
                        taken_at=now,
                    )
                )
            else:
                notes = list(
                    s.scalars(
                        select(CaseEvent)
                        .where(CaseEvent.case_id == case_id, CaseEvent.deleted_at.is_(None))
                        .order_by(CaseEvent.body)
                    )
                )
                if notes:
                    rng.choice(notes).deleted_at = now
            s.flush()
            if crash_before:
                raise Crash("edit.before_commit")
    except Crash:
        _restart(device)
        return
    if logged is not None:
        world.edits.append(logged)
    if crash_after:
        _restart(device)
