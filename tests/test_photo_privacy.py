"""Originals leaving the device without GPS: positions gone, orientation, other tags and
pixels unchanged, same bytes every time; the workspace setting decides."""

from __future__ import annotations

import hashlib
import io
import struct
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image, ImageChops

from fieldsupport.errors import ValidationError
from fieldsupport.media.images import GPS_IFD, ORIENTATION
from fieldsupport.media.privacy import without_gps
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.workspace import Workspace

LATITUDE = (50.0, 40.0, 12.0)
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf'
    b'-syntax-ns#"><rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" '
    b'exif:GPSLatitude="50,40.2N" exif:GPSLongitude="17,55.5E">'
    b"<exif:GPSAltitude>154/1</exif:GPSAltitude><exif:ExposureTime>1/60</exif:ExposureTime>"
    b"</rdf:Description></rdf:RDF></x:xmpmeta>"
)


def _exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ORIENTATION] = 6
    exif[0x010F] = "PhoneMaker"
    exif[0x8769] = {0x9003: "2026:03:02 14:30:00"}
    exif[GPS_IFD] = {1: "N", 2: LATITUDE, 3: "E", 4: (17.0, 55.0, 30.0), 6: 154.0}
    return exif


def _picture() -> Image.Image:
    image = Image.new("RGB", (64, 48), "navy")
    image.paste((250, 200, 0), (0, 0, 32, 24))
    return image


def _check(original: bytes, stripped: bytes, fmt: str) -> None:
    assert len(stripped) == len(original)  # rewritten in place: nothing moved
    assert without_gps(original) == stripped  # the same bytes every time
    with Image.open(io.BytesIO(stripped)) as image, Image.open(io.BytesIO(original)) as before:
        assert image.format == fmt
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD)
        assert exif[ORIENTATION] == 6 and exif[0x010F] == "PhoneMaker"
        assert exif.get_ifd(0x8769)[0x9003] == "2026:03:02 14:30:00"
        assert before.getexif().get_ifd(GPS_IFD)  # the test photo did have a position
        # the very same pixels (no re-encoding)
        assert ImageChops.difference(image.convert("RGB"), before.convert("RGB")).getbbox() is None
    # the coordinates' bytes are gone from the file, not just unreferenced
    endian = "<" if b"II*\x00" in original else ">"
    latitude = b"".join(struct.pack(endian + "II", int(v), 1) for v in LATITUDE)
    assert latitude in original and latitude not in stripped


def test_jpeg_loses_its_position_only() -> None:
    out = io.BytesIO()
    _picture().save(out, "JPEG", exif=_exif(), xmp=XMP)
    original = out.getvalue()
    stripped = without_gps(original)
    _check(original, stripped, "JPEG")
    assert b"50,40.2N" in original and b"50,40.2N" not in stripped
    assert b"154/1" not in stripped and b"<exif:ExposureTime>1/60" in stripped
    assert b'exif:GPSLatitude="' in stripped  # blanked in place, the XML stays well formed


def test_a_jpeg_with_more_images_loses_every_position() -> None:
    # a phone's HDR gain map or a stereo camera's second view (MPO): each image has its own
    # EXIF, the position included
    out = io.BytesIO()
    second = Image.new("RGB", (32, 24), "grey")
    _picture().save(out, "MPO", save_all=True, append_images=[second], exif=_exif())
    original = out.getvalue()
    assert original.count(b"Exif\x00\x00") == 2
    stripped = without_gps(original)
    _check(original, stripped, "MPO")
    with Image.open(io.BytesIO(stripped)) as image, Image.open(io.BytesIO(original)) as before:
        image.seek(1)
        before.seek(1)
        assert before.getexif().get_ifd(GPS_IFD) and not image.getexif().get_ifd(GPS_IFD)
        assert image.getexif()[ORIENTATION] == 6
        assert ImageChops.difference(image.convert("RGB"), before.convert("RGB")).getbbox() is None


def test_an_appended_image_no_directory_lists_loses_its_position_too() -> None:
    # Google's GContainer (Ultra HDR gain map, motion photo) appends images after the
    # primary's end without an MPF directory: only a search of the whole rest finds them
    primary, appended = io.BytesIO(), io.BytesIO()
    _picture().save(primary, "JPEG", quality=95)  # no position of its own
    Image.new("RGB", (32, 24), "grey").save(appended, "JPEG", exif=_exif(), xmp=XMP)
    assert b"MPF\x00" not in primary.getvalue()
    original = primary.getvalue() + appended.getvalue()
    stripped = without_gps(original)
    assert len(stripped) == len(original)
    assert stripped[: len(primary.getvalue())] == primary.getvalue()
    tail = stripped[len(primary.getvalue()) :]
    with Image.open(io.BytesIO(tail)) as image:
        assert not image.getexif().get_ifd(GPS_IFD) and image.getexif()[ORIENTATION] == 6
    assert b"50,40.2N" in original and b"50,40.2N" not in stripped
    assert without_gps(original) == stripped  # the same bytes every time


def test_a_photo_without_position_is_given_back_as_it_is() -> None:
    # no copy when there is nothing to remove (asked for every photo of every sync)
    out, exif = io.BytesIO(), Image.Exif()
    exif[ORIENTATION] = 6
    _picture().save(out, "JPEG", exif=exif, xmp=b"<x:xmpmeta/>")
    original = out.getvalue() + b"\x00" * 100_000
    assert without_gps(original) is original
    assert without_gps(bytearray(original)) == original


def test_png_loses_its_position_only() -> None:
    out = io.BytesIO()
    _picture().save(out, "PNG", exif=_exif())
    original = out.getvalue()
    stripped = without_gps(original)
    _check(original, stripped, "PNG")


def test_heic_loses_its_position_only() -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    _picture().save(out, "HEIF", exif=_exif().tobytes())
    original = out.getvalue()
    stripped = without_gps(original)
    assert len(stripped) == len(original)
    with Image.open(io.BytesIO(stripped)) as image, Image.open(io.BytesIO(original)) as before:
        exif = image.getexif()
        assert not exif.get_ifd(GPS_IFD) and before.getexif().get_ifd(GPS_IFD)
        assert exif[0x010F] == "PhoneMaker"
        # still a readable HEIC of the very same picture
        assert ImageChops.difference(image.convert("RGB"), before.convert("RGB")).getbbox() is None


def test_photos_without_position_stay_the_same_and_other_files_are_refused() -> None:
    out = io.BytesIO()
    _picture().save(out, "JPEG")
    assert without_gps(out.getvalue()) == out.getvalue()
    with pytest.raises(ValidationError, match="Only JPEG, PNG and HEIC"):
        without_gps(b"GIF89a....")


def test_damaged_exif_is_wiped_not_sent() -> None:
    out = io.BytesIO()
    _picture().save(out, "JPEG", exif=_exif())
    data = bytearray(out.getvalue())
    start = data.index(b"Exif\x00\x00") + 6
    data[start + 4 : start + 8] = b"\xff\xff\xff\x00"  # IFD0 offset far outside the block
    stripped = without_gps(bytes(data))
    assert stripped[start : start + 8] == bytes(8)
    with Image.open(io.BytesIO(stripped)) as image:
        image.load()  # the picture itself still decodes


def test_outgoing_original_follows_the_workspace_setting(
    workspace: Workspace, tmp_path: Path
) -> None:
    case_id = open_case(CaseService(workspace), make_refs(workspace))
    path = tmp_path / "gps.jpg"
    _picture().save(path, "JPEG", exif=_exif())
    service = PhotoService(workspace)
    summary = service.import_photos(PhotoOwner(case_id), [path])
    assert summary.results[0].outcome is Outcome.IMPORTED
    sha = service.photos_of(PhotoOwner(case_id))[0].sha256
    assert service.strip_gps_outgoing() is True  # on unless a company turns it off
    outgoing = service.outgoing_original(sha)
    assert not Image.open(io.BytesIO(outgoing)).getexif().get_ifd(GPS_IFD)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == sha  # the stored original
    assert service.store.original_path(sha).read_bytes() == path.read_bytes()  # untouched
    service.set_strip_gps_outgoing(False)
    assert service.outgoing_original(sha) == path.read_bytes()


def test_a_crash_while_copying_the_derived_files_leaves_nothing_after_the_sweep(
    tmp_path: Path,
) -> None:
    """The copy sent without GPS gets the original's thumbnail and report copy (linked). A
    process that dies between making one's temporary file and naming it leaves that file;
    the sweep at the next open (the workspace's, under its lock) removes it."""
    import subprocess
    import sys

    from fieldsupport.media.blobstore import BlobStore

    store = BlobStore(tmp_path / "blobs")
    original = store.put_bytes(b"the original photo's bytes")
    for path in (store.thumbnail_path(original), store.report_copy_path(original)):
        with store.atomic_writer(path) as out:
            out.write(b"a derived copy")
    before = sorted(p for p in store.root.rglob("*") if p.is_file())
    sent = "ab" * 32
    child = f"""
import os
from pathlib import Path
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.sync import privacy
os.replace = lambda *_args: os._exit(9)  # killed before the temporary file has its name
privacy._copy_derived(BlobStore(Path({str(store.root)!r})), {original!r}, {sent!r})
"""
    assert subprocess.run([sys.executable, "-c", child], check=False).returncode == 9
    assert sorted(p for p in store.root.rglob("*") if p.is_file()) != before  # a leftover
    assert BlobStore(store.root).sweep() == 1
    assert sorted(p for p in store.root.rglob("*") if p.is_file()) == before
    assert not store.thumbnail_path(sent).exists()
