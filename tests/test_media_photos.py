"""Photo import with real photos: upright everywhere, deduplicated, EXIF facts kept, GPS
never in the copies, and every kind of bad file refused with its reason."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image, ImageChops, ImageStat

from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import derive
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.visits import VisitService
from fieldsupport.tasks import Cancelled, TaskState
from fieldsupport.workspace import Workspace
from tests.conftest import TESTDATA

ORIENTATION = TESTDATA / "photos" / "orientation"


@pytest.mark.parametrize("shape", ["Landscape", "Portrait"])
def test_every_orientation_comes_out_upright(shape: str) -> None:
    files = sorted(ORIENTATION.glob(f"{shape}_*.jpg"))
    assert len(files) == 9
    reference = None
    for path in files:
        derived = derive(path)
        for data in (derived.report_jpeg, derived.thumbnail_jpeg):
            image = Image.open(io.BytesIO(data))
            wide = image.width > image.height
            assert wide is (shape == "Landscape"), path.name
            assert max(image.size) in (1600, 256)
            assert not image.getexif()  # copies carry no EXIF (no orientation, no GPS)
        assert (derived.facts.width > derived.facts.height) is (shape == "Landscape")
        size = (48, 32) if shape == "Landscape" else (32, 48)
        grey = Image.open(io.BytesIO(derived.report_jpeg)).convert("L").resize(size)
        if reference is None:
            reference = grey
        else:  # the same picture, pixel for pixel up to JPEG noise
            difference = ImageStat.Stat(ImageChops.difference(grey, reference)).mean[0]
            assert difference < 8, (path.name, difference)


@pytest.fixture
def case_id(workspace: Workspace) -> str:
    return open_case(CaseService(workspace), make_refs(workspace))


def test_import_dedupes_and_keeps_facts(workspace: Workspace, case_id: str, tmp_path: Path) -> None:
    service = PhotoService(workspace)
    owner = PhotoOwner(case_id)
    copy = tmp_path / "same-bytes-other-name.jpg"
    copy.write_bytes((ORIENTATION / "Landscape_6.jpg").read_bytes())
    summary = service.import_photos(
        owner, [ORIENTATION / "Landscape_6.jpg", ORIENTATION / "Portrait_3.jpg", copy]
    )
    assert [r.outcome for r in summary.results] == [
        Outcome.IMPORTED,
        Outcome.IMPORTED,
        Outcome.DUPLICATE,
    ]
    photos = service.photos_of_case(case_id)
    assert [(p.filename, p.width > p.height) for p in photos] == [
        ("Landscape_6.jpg", True),
        ("Portrait_3.jpg", False),
    ]
    store = BlobStore(workspace.blobs_dir)
    originals = [p for p in workspace.blobs_dir.glob("??/*") if p.is_file()]
    assert len(originals) == 2  # same photo twice = one file
    for photo in photos:
        assert store.report_copy_path(photo.sha256).is_file()
        assert store.thumbnail_path(photo.sha256).is_file()
    # the same photo on a visit of the case is a new attachment, not a new blob
    visit = VisitService(workspace).plan_visit(case_id)
    again = service.import_photos(PhotoOwner(case_id, visit.id), [ORIENTATION / "Landscape_6.jpg"])
    assert again.results[0].outcome is Outcome.IMPORTED
    assert len([p for p in workspace.blobs_dir.glob("??/*") if p.is_file()]) == 2


def test_exif_time_and_gps_read_gps_not_copied(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    image = Image.new("RGB", (640, 480), "teal")
    exif = Image.Exif()
    exif[0x8769] = {0x9003: "2026:03:02 14:30:00", 0x9011: "+01:00"}
    exif[0x8825] = {1: "N", 2: (50.0, 40.0, 12.0), 3: "E", 4: (17.0, 55.0, 30.0)}
    path = tmp_path / "gps.jpg"
    image.save(path, exif=exif)
    summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), [path])
    assert summary.results[0].outcome is Outcome.IMPORTED
    photo = PhotoService(workspace).photos_of_case(case_id)[0]
    assert photo.taken_at is not None and photo.taken_at.isoformat() == "2026-03-02T13:30:00+00:00"
    assert photo.latitude == pytest.approx(50.67, abs=0.001)
    assert photo.longitude == pytest.approx(17.925, abs=0.001)
    report = BlobStore(workspace.blobs_dir).report_copy_path(photo.sha256).read_bytes()
    assert not Image.open(io.BytesIO(report)).getexif().get_ifd(0x8825)


def test_heic_import(workspace: Workspace, case_id: str, tmp_path: Path) -> None:
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    path = tmp_path / "iphone.heic"
    Image.new("RGB", (800, 600), "orange").save(path, format="HEIF")
    summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), [path])
    assert summary.results[0].outcome is Outcome.IMPORTED, summary.results[0].reason
    photo = PhotoService(workspace).photos_of_case(case_id)[0]
    assert (photo.media_type, photo.width, photo.height) == ("image/heic", 800, 600)


def test_an_iphone_heic_comes_out_upright_with_its_time_and_position(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    """An iPhone stores a portrait photo turned, with its rotation in the file (pillow-heif
    writes the EXIF orientation as the HEIF's rotation, as the phone does) and its time and
    position in EXIF: upright in both copies, facts read, no GPS in the copies."""
    pillow_heif = pytest.importorskip("pillow_heif")
    pillow_heif.register_heif_opener()
    upright = Image.new("RGB", (600, 800), "white")
    upright.paste((220, 20, 20), (0, 0, 200, 200))  # a red block top left, when upright
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8769] = {0x9003: "2026:03:02 14:30:00", 0x9011: "+01:00"}
    exif[0x8825] = {1: "N", 2: (50.0, 40.0, 12.0), 3: "E", 4: (17.0, 55.0, 30.0)}
    path = tmp_path / "IMG_0001.HEIC"
    upright.transpose(Image.Transpose.ROTATE_90).save(path, format="HEIF", exif=exif.tobytes())
    service = PhotoService(workspace)
    summary = service.import_photos(PhotoOwner(case_id), [path])
    assert summary.results[0].outcome is Outcome.IMPORTED, summary.results[0].reason
    (photo,) = service.photos_of_case(case_id)
    assert (photo.media_type, photo.width, photo.height) == ("image/heic", 600, 800)
    assert photo.taken_at is not None and photo.taken_at.isoformat() == "2026-03-02T13:30:00+00:00"
    assert photo.latitude == pytest.approx(50.67, abs=0.001)
    store = BlobStore(workspace.blobs_dir)
    for copy in (store.report_copy_path(photo.sha256), store.thumbnail_path(photo.sha256)):
        image = Image.open(copy)
        assert image.height > image.width and not image.getexif()
        corner = image.getpixel((image.width // 10, image.height // 10))
        assert corner == pytest.approx((220, 20, 20), abs=30), copy  # the block: top left


def test_a_file_that_vanishes_during_the_import_is_refused_the_rest_imports(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    """A camera card pulled out, a file moved away by a sync client: the files are listed,
    then one is gone by the time it is read."""
    folder = tmp_path / "card"
    folder.mkdir()
    for source in sorted(ORIENTATION.glob("Portrait_[1-3].jpg")):
        (folder / source.name).write_bytes(source.read_bytes())
    removed: list[str] = []

    def progress(_fraction: float, message: str) -> None:
        if message == "Portrait_1.jpg" and not removed:  # listed, not read yet
            (folder / "Portrait_3.jpg").unlink()
            removed.append("Portrait_3.jpg")

    from fieldsupport.media import reading

    reading.shut_down()  # three files are read here, one after the other
    summary = PhotoService(workspace).import_photos(
        PhotoOwner(case_id), [folder], TaskState(progress)
    )
    assert removed
    outcomes = {r.path.name: (r.outcome, r.reason) for r in summary.results}
    assert outcomes["Portrait_1.jpg"][0] is Outcome.IMPORTED
    assert outcomes["Portrait_2.jpg"][0] is Outcome.IMPORTED
    assert outcomes["Portrait_3.jpg"][0] is Outcome.REFUSED
    assert outcomes["Portrait_3.jpg"][1] in (
        "no such file",
        "the file disappeared during the import",
    )
    assert BlobStore(workspace.blobs_dir).leftovers() == []
    assert len([p for p in workspace.blobs_dir.glob("??/*") if p.is_file()]) == 2


def test_transparent_and_16_bit_pngs_come_out_as_they_look(tmp_path: Path) -> None:
    """A PNG drawing with a transparent background (black lines) and a 16-bit grey PNG (a
    thermal camera's): the copies show them on white and in their greys, not black on
    black or clipped to white."""
    from PIL import ImageDraw

    drawing = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    ImageDraw.Draw(drawing).rectangle([100, 100, 200, 200], fill=(0, 0, 0, 255))
    drawing.save(tmp_path / "drawing.png")
    grey = Image.linear_gradient("L").resize((400, 300))
    wide = bytes(byte for value in grey.tobytes() for byte in (value, value))  # v * 257
    Image.frombytes("I;16", grey.size, wide).save(tmp_path / "thermal.png")
    assert Image.open(tmp_path / "thermal.png").mode == "I;16"

    for name, checks in (
        ("drawing.png", {(5, 5): 255, (150, 150): 0}),
        ("thermal.png", {(200, 2): 2, (200, 150): 128, (200, 297): 253}),
    ):
        derived = derive(tmp_path / name)
        for data in (derived.report_jpeg, derived.thumbnail_jpeg):
            image = Image.open(io.BytesIO(data)).convert("L")
            scale = image.width / 400
            for (x, y), value in checks.items():
                seen = image.getpixel((int(x * scale), int(y * scale)))
                assert seen == pytest.approx(value, abs=8), (name, (x, y), seen)


def test_a_jpeg_with_a_gain_map_imports_as_a_jpeg(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    # phones write HDR gain maps (Ultra HDR) or depth maps as a second image in the JPEG;
    # Pillow reads such a file as "MPO". The photo is its first image.
    photo = Image.new("RGB", (4000, 3000), "teal")
    photo.paste((250, 200, 0), (0, 0, 1000, 750))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "N", 2: (50.0, 40.0, 12.0), 3: "E", 4: (17.0, 55.0, 30.0)}
    gain_map = Image.new("RGB", (1000, 750), "grey")
    path = tmp_path / "PXL_20260302_143000.jpg"
    photo.save(path, "MPO", save_all=True, append_images=[gain_map], exif=exif, quality=90)
    assert Image.open(path).format == "MPO"
    service = PhotoService(workspace)
    summary = service.import_photos(PhotoOwner(case_id), [path])
    assert summary.results[0].outcome is Outcome.IMPORTED, summary.results[0].reason
    (stored,) = service.photos_of_case(case_id)
    assert (stored.media_type, stored.width, stored.height) == ("image/jpeg", 3000, 4000)
    assert stored.latitude == pytest.approx(50.67, abs=0.001)
    report = Image.open(BlobStore(workspace.blobs_dir).report_copy_path(stored.sha256))
    assert report.size == (1200, 1600)
    assert report.getpixel((1150, 50)) == pytest.approx((250, 200, 0), abs=12)  # upright
    assert BlobStore(workspace.blobs_dir).original_path(stored.sha256).read_bytes() == (
        path.read_bytes()  # the original whole, gain map and all
    )


def test_bad_files_are_refused_the_rest_imports(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    text = tmp_path / "notes.jpg"
    text.write_text("this is not a photo")
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    whole = (ORIENTATION / "Landscape_1.jpg").read_bytes()
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(whole[: len(whole) // 3])
    gif = tmp_path / "anim.gif"
    Image.new("P", (10, 10)).save(gif)
    bomb = tmp_path / "bomb.png"
    Image.new("1", (12_000, 11_000)).save(bomb)  # 132 megapixels in a small file
    gone = tmp_path / "vanished.jpg"
    good = ORIENTATION / "Portrait_1.jpg"
    summary = PhotoService(workspace).import_photos(
        PhotoOwner(case_id), [text, empty, truncated, gif, bomb, gone, good]
    )
    reasons = {r.path.name: (r.outcome, r.reason) for r in summary.results}
    assert reasons["notes.jpg"] == (Outcome.REFUSED, "not an image (or a format we do not import)")
    assert reasons["empty.jpg"] == (Outcome.REFUSED, "empty file (0 bytes)")
    assert reasons["truncated.jpg"][0] is Outcome.REFUSED
    assert "damaged or truncated" in reasons["truncated.jpg"][1]
    assert reasons["anim.gif"] == (
        Outcome.REFUSED,
        "GIF images are not imported (JPEG, PNG and HEIC are)",
    )
    assert "image too large (12000 x 11000 pixels" in reasons["bomb.png"][1]
    assert reasons["vanished.jpg"] == (Outcome.REFUSED, "no such file")
    assert reasons["Portrait_1.jpg"][0] is Outcome.IMPORTED
    assert summary.count(Outcome.IMPORTED) == 1
    store = BlobStore(workspace.blobs_dir)
    assert store.leftovers() == []
    assert len([p for p in workspace.blobs_dir.glob("??/*") if p.is_file()]) == 1


def test_folder_import_and_cancel(workspace: Workspace, case_id: str) -> None:
    service = PhotoService(workspace)
    state = TaskState()
    seen: list[float] = []

    def progress(fraction: float, _message: str) -> None:
        seen.append(fraction)
        if len(seen) == 4:
            state.cancel()

    state = TaskState(progress)
    with pytest.raises(Cancelled):
        service.import_photos(PhotoOwner(case_id), [ORIENTATION], state)
    assert len(service.photos_of_case(case_id)) == 3  # whole files only, then stopped
    summary = service.import_photos(PhotoOwner(case_id), [ORIENTATION])
    assert summary.count(Outcome.IMPORTED) == 15 and summary.count(Outcome.DUPLICATE) == 3
    assert BlobStore(workspace.blobs_dir).leftovers() == []


def _camera_card(folder: Path) -> None:
    """A camera card as it comes: photos, a video, a RAW file, a PDF, hidden files."""
    (folder / "DCIM" / "100CANON").mkdir(parents=True)
    Image.new("RGB", (320, 240), "olive").save(folder / "DCIM" / "100CANON" / "IMG_0001.JPG")
    (folder / "DCIM" / "100CANON" / "IMG_0001.CR2").write_bytes(b"II*\0 raw sensor data")
    (folder / "DCIM" / "100CANON" / "MVI_0002.MOV").write_bytes(b"\0\0\0\x14ftypqt  ")
    (folder / "manual.pdf").write_bytes(b"%PDF-1.4")
    (folder / ".Trashes").mkdir()
    (folder / ".Trashes" / "old.jpg").write_bytes(b"gone")
    (folder / "DCIM" / "._IMG_0001.JPG").write_bytes(b"a Mac's resource fork")


def test_a_folder_import_lists_what_is_not_a_photo(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    _camera_card(tmp_path / "card")
    summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), [tmp_path / "card"])
    assert summary.count(Outcome.IMPORTED) == 1 and summary.count(Outcome.REFUSED) == 0
    assert summary.count(Outcome.SKIPPED) == 3
    assert [(r.path.name, r.outcome, r.reason) for r in summary.skipped] == [
        ("manual.pdf", Outcome.SKIPPED, "not a photo (JPEG, PNG and HEIC files are imported)"),
        ("IMG_0001.CR2", Outcome.SKIPPED, "a camera RAW file (its JPEG is imported)"),
        ("MVI_0002.MOV", Outcome.SKIPPED, "a video, not a photo"),
    ]
    assert len(summary.results) == 1  # the skipped files were not read


def test_cli_photo_import(workspace: Workspace, case_id: str, tmp_path: Path) -> None:
    import contextlib

    from fieldsupport.cli import main

    number = CaseService(workspace).get_case(case_id).case_number
    root = workspace.root
    workspace.close()
    junk = tmp_path / "junk.png"
    junk.write_bytes(b"\x89PNG but not really")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            [
                "photos",
                "import",
                "--workspace",
                str(root),
                "--case",
                number,
                str(ORIENTATION / "Portrait_8.jpg"),
                str(ORIENTATION / "Portrait_8.jpg"),
                str(junk),
            ]
        )
    lines = out.getvalue().splitlines()
    assert code == 0
    assert lines[0].endswith("Portrait_8.jpg: imported")
    assert lines[1].endswith("Portrait_8.jpg: duplicate: already attached here")
    assert lines[2].endswith("junk.png: refused: not an image (or a format we do not import)")
    assert lines[3] == "1 imported, 1 already there, 1 refused"
    with contextlib.redirect_stderr(io.StringIO()) as err:
        assert (
            main(["photos", "import", "--workspace", str(root), "--case", "FS-NONE-1", str(junk)])
            == 1
        )
    assert "There is no case 'FS-NONE-1'" in err.getvalue()

    # a folder: what is not a photo is listed and counted, and the exit code stays 0
    _camera_card(tmp_path / "card")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(
            ["photos", "import", "--workspace", str(root), "--case", number, str(tmp_path / "card")]
        )
    lines = out.getvalue().splitlines()
    assert code == 0
    assert lines[0].endswith("IMG_0001.JPG: imported")
    assert lines[1].endswith(
        "manual.pdf: skipped: not a photo (JPEG, PNG and HEIC files are imported)"
    )
    assert lines[2].endswith("IMG_0001.CR2: skipped: a camera RAW file (its JPEG is imported)")
    assert lines[3].endswith("MVI_0002.MOV: skipped: a video, not a photo")
    assert lines[4] == "1 imported, 0 already there, 0 refused, 3 skipped (not photos)"
    assert len(lines) == 5

    # a folder with no photo at all (a phone's videos) says so, not "0 imported"
    videos = tmp_path / "videos"
    videos.mkdir()
    (videos / "VID_0001.mp4").write_bytes(b"\0\0\0\x18ftypmp42")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["photos", "import", "--workspace", str(root), "--case", number, str(videos)])
    assert code == 0
    assert out.getvalue().splitlines() == [
        f"{videos / 'VID_0001.mp4'}: skipped: a video, not a photo",
        f"No photos found in {videos} (JPEG, PNG and HEIC files are imported); 1 other file(s) "
        "skipped, not photos",
    ]
