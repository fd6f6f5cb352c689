"""A deleted photo can be restored until its deletion syncs, and not after (#5): through a
real central server on loopback (SQLite, and PostgreSQL when reachable). Once the server has
a deletion it is final there - it purges the tombstone when every device has seen it, and a
restore arriving after that would be refused - so the device no longer offers it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from fieldsupport.central.server import BackgroundServer
from fieldsupport.errors import ValidationError
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.sync.client import SyncClient
from fieldsupport.workspace import Workspace
from tests import sync_helpers
from tests.builders import make_refs, open_case
from tests.sync_helpers import enrol

central = sync_helpers.central
server = sync_helpers.server

pytestmark = pytest.mark.usefixtures("server")


class Device:
    def __init__(self, root: Path, url: str) -> None:
        self.ws = Workspace.open(root)
        self.transport = enrol(url, self.ws, "bo")
        self.photos = PhotoService(self.ws)

    def sync(self) -> None:
        SyncClient(self.ws, self.transport).run()

    def close(self) -> None:
        self.transport.close()
        self.ws.close()


@pytest.fixture
def devices(tmp_path: Path, server: BackgroundServer) -> Iterator[tuple[Device, Device]]:
    one, two = Device(tmp_path / "one", server.url), Device(tmp_path / "two", server.url)
    try:
        yield one, two
    finally:
        one.close()
        two.close()


def test_a_deletion_is_undone_only_until_it_syncs(
    devices: tuple[Device, Device], tmp_path: Path
) -> None:
    one, two = devices
    case_id = open_case(CaseService(one.ws), make_refs(one.ws))
    files = []
    for name, colour in (("a.jpg", "teal"), ("b.jpg", "olive"), ("c.jpg", "navy")):
        Image.new("RGB", (160, 120), colour).save(tmp_path / name, quality=85)
        files.append(tmp_path / name)
    owner = PhotoOwner(case_id)
    summary = one.photos.import_photos(owner, files)
    assert summary.count(Outcome.IMPORTED) == 3
    a, b, c = (p.id for p in one.photos.photos_of(owner))

    # deleted and restored before any sync: nothing of it matters to the server
    one.photos.delete(a)
    assert [p.id for p in one.photos.deleted_photos(owner)] == [a]
    one.photos.restore(a)
    one.photos.delete(a)
    one.sync()  # the deletion of a leaves the device: final
    assert one.photos.deleted_photos(owner) == []
    with pytest.raises(ValidationError, match="deletion has been synced"):
        one.photos.restore(a)

    one.photos.delete(b)  # a later deletion, not synced yet: restorable
    assert [p.id for p in one.photos.deleted_photos(owner)] == [b]
    assert one.photos.restore(b).deleted_at is None
    one.sync()

    two.sync()
    assert {p.id for p in two.photos.photos_of(owner)} == {b, c}
    # a deletion that came from the server (another device's) is not this device's to undo
    assert two.photos.deleted_photos(owner) == []
    with pytest.raises(ValidationError, match="deletion has been synced"):
        two.photos.restore(a)
