"""Photos leave the device without GPS when the workspace's privacy setting is on (the
default) and with it when a company turns it off, through a real central server on loopback
(SQLite, and PostgreSQL when reachable); the device that took the photo keeps its position."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from fieldsupport.central.server import BackgroundServer
from fieldsupport.media.images import GPS_IFD
from fieldsupport.media.privacy import without_gps
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import PhotoOwner, PhotoService, PhotoView
from tests import sync_helpers
from tests.builders import make_refs, open_case
from tests.sync_helpers import outbox

central = sync_helpers.central
server = sync_helpers.server

pytestmark = pytest.mark.usefixtures("server")


class Device(sync_helpers.SyncDevice):
    def __init__(self, root: Path, url: str) -> None:
        super().__init__(root, url, "bo")
        self.photos = PhotoService(self.ws)

    def only_photo(self, case_id: str) -> PhotoView:
        (photo,) = self.photos.photos_of(PhotoOwner(case_id))
        return photo


@pytest.fixture
def pair(tmp_path: Path, server: BackgroundServer) -> Iterator[tuple[Device, Device]]:
    taker, other = Device(tmp_path / "taker", server.url), Device(tmp_path / "other", server.url)
    try:
        yield taker, other
    finally:
        taker.close()
        other.close()


def _photo_with_position(path: Path) -> bytes:
    image = Image.new("RGB", (120, 80), "navy")
    image.paste((250, 200, 0), (0, 0, 60, 40))
    exif = Image.Exif()
    exif[0x0112] = 6  # shown turned: the copy must keep its orientation
    exif[GPS_IFD] = {1: "N", 2: (50.0, 40.0, 12.0), 3: "E", 4: (17.0, 55.0, 30.0)}
    image.save(path, "JPEG", exif=exif, quality=90)
    return path.read_bytes()


def _position_in(data: bytes) -> dict[int, object]:
    with Image.open(io.BytesIO(data)) as image:
        return dict(image.getexif().get_ifd(GPS_IFD))


def _take_photo(device: Device, tmp_path: Path) -> tuple[str, bytes]:
    case_id = open_case(CaseService(device.ws), make_refs(device.ws))
    original = _photo_with_position(tmp_path / "site.jpg")
    device.photos.import_photos(PhotoOwner(case_id), [tmp_path / "site.jpg"])
    return case_id, original


def test_photo_leaves_without_position_and_the_taker_keeps_it(
    pair: tuple[Device, Device], tmp_path: Path
) -> None:
    taker, other = pair
    case_id, original = _take_photo(taker, tmp_path)
    taken = taker.only_photo(case_id)
    assert taken.latitude == pytest.approx(50.67, abs=0.01)
    assert taker.photos.strip_gps_outgoing()  # the default

    taker.sync()
    other.sync()

    received = other.only_photo(case_id)
    assert received.latitude is None and received.longitude is None
    assert received.sha256 != taken.sha256
    sent = other.photos.store.original_path(received.sha256).read_bytes()
    assert _position_in(original) and not _position_in(sent)
    assert sent == without_gps(original)  # the very bytes, only the position zeroed
    with Image.open(io.BytesIO(sent)) as a, Image.open(io.BytesIO(original)) as b:
        assert a.getexif()[0x0112] == 6
        assert ImageChops.difference(a.convert("RGB"), b.convert("RGB")).getbbox() is None

    # the taker keeps the position, now on the record the server echoed, and still shows it
    mine = taker.only_photo(case_id)
    assert (mine.latitude, mine.longitude) == (taken.latitude, taken.longitude)
    assert mine.sha256 == received.sha256
    assert taker.photos.store.thumbnail_path(mine.sha256).is_file()
    assert taker.photos.store.report_copy_path(mine.sha256).is_file()
    assert taker.photos.store.original_path(taken.sha256).read_bytes() == original  # untouched
    # the outbox keeps what the user did; only what was sent differs
    (op,) = [o for o in outbox(taker.ws) if o["record_type"] == "attachments"]
    assert op["state"] == "applied"
    assert json.loads(op["payload"])["sha256"] == taken.sha256

    # a later edit travels without the position either, and the file is not sent again
    taker.photos.set_caption(mine.id, "Pump room, north wall")
    report = taker.sync()
    assert report.blobs_uploaded == 0  # type: ignore[attr-defined]
    other.sync()
    assert other.only_photo(case_id).caption == "Pump room, north wall"
    assert other.only_photo(case_id).latitude is None
    assert taker.only_photo(case_id).latitude == taken.latitude


def test_setting_switched_on_after_the_photo_was_taken_still_counts(
    pair: tuple[Device, Device], tmp_path: Path
) -> None:
    taker, other = pair
    taker.photos.set_strip_gps_outgoing(False)
    case_id, _original = _take_photo(taker, tmp_path)
    taker.photos.set_strip_gps_outgoing(True)  # before the photo left: it leaves without
    taker.sync()
    other.sync()
    received = other.only_photo(case_id)
    assert received.latitude is None
    assert not _position_in(other.photos.store.original_path(received.sha256).read_bytes())


def test_company_policy_off_sends_the_position(pair: tuple[Device, Device], tmp_path: Path) -> None:
    taker, other = pair
    taker.photos.set_strip_gps_outgoing(False)
    case_id, original = _take_photo(taker, tmp_path)
    taken = taker.only_photo(case_id)
    taker.sync()
    other.sync()
    received = other.only_photo(case_id)
    assert received.sha256 == taken.sha256
    assert (received.latitude, received.longitude) == (taken.latitude, taken.longitude)
    assert other.photos.store.original_path(received.sha256).read_bytes() == original
