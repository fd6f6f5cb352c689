"""The import pipeline under its speed work: a camera-sized JPEG decoded at reduced scale
still comes out upright, exactly 1600 px and the same picture as one made from the full
image; a reading process that dies costs no photo; an import killed with SIGKILL leaves no
temporary file once the workspace is opened again and no record without its file; a photo
already stored gets back copies it lost."""

from __future__ import annotations

import hashlib
import io
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from builders import make_refs, open_case
from PIL import Image, ImageChops, ImageDraw

from fieldsupport.media import reading
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.media.images import derive
from fieldsupport.services.cases import CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.services.visits import VisitService
from fieldsupport.tasks import TaskState
from fieldsupport.workspace import Workspace

# 8 megapixels: large enough that the decoder reduces it by half before the 1600 px copy
WIDTH, HEIGHT = 3264, 2448
# the transposition that turns the upright picture into what a camera holding it in each
# EXIF orientation stores (the inverse of what the orientation asks for)
STORED_AS = {
    1: None,
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


def _upright_picture() -> Image.Image:
    """A picture no flip or turn leaves alike: a block top left, a disc bottom right,
    slanted lines over a gradient."""
    picture = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).convert("RGB")
    draw = ImageDraw.Draw(picture)
    draw.rectangle([100, 100, 900, 700], fill=(200, 30, 30))
    draw.ellipse([2200, 1500, 3100, 2300], fill=(30, 160, 60))
    for x in range(0, WIDTH, 160):
        draw.line([(x, 0), (x + 400, HEIGHT)], fill=(20, 20, 120), width=9)
    return picture


def _save_as_camera(picture: Image.Image, orientation: int, path: Path) -> Path:
    turn = STORED_AS[orientation]
    stored = picture.transpose(turn) if turn is not None else picture
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored.save(path, quality=90, exif=exif)
    return path


def _psnr(a: Image.Image, b: Image.Image) -> float:
    histogram = ImageChops.difference(a.convert("RGB"), b.convert("RGB")).histogram()
    squared = sum(count * (value % 256) ** 2 for value, count in enumerate(histogram))
    mse = squared / (a.width * a.height * 3)
    return 99.0 if mse == 0 else 10 * math.log10(255**2 / mse)


def test_a_large_jpeg_comes_out_upright_at_1600_px_in_every_orientation(tmp_path: Path) -> None:
    picture = _upright_picture()
    # the reference: the full-size picture scaled with the best filter there is
    reference = picture.resize((1600, 1200), Image.Resampling.LANCZOS)
    thumb_reference = picture.resize((256, 192), Image.Resampling.LANCZOS)
    for orientation in STORED_AS:
        path = _save_as_camera(picture, orientation, tmp_path / f"o{orientation}.jpg")
        derived = derive(path)
        report = Image.open(io.BytesIO(derived.report_jpeg))
        thumbnail = Image.open(io.BytesIO(derived.thumbnail_jpeg))
        assert (report.size, thumbnail.size) == ((1600, 1200), (256, 192)), orientation
        assert (derived.facts.width, derived.facts.height) == (WIDTH, HEIGHT)
        # the same picture up to JPEG noise (~34 dB); a flipped or turned copy is ~12 dB
        assert _psnr(report, reference) > 30, orientation
        assert _psnr(thumbnail, thumb_reference) > 27, orientation
        assert report.info.get("progressive") is None  # baseline: quick to write and read
        assert not report.getexif() and not thumbnail.getexif()


@pytest.fixture
def case_id(workspace: Workspace) -> str:
    return open_case(CaseService(workspace), make_refs(workspace))


def _camera_folder(folder: Path, count: int) -> list[Path]:
    """``count`` different camera-sized photos (one picture; bytes after the JPEG's end
    make each file, and so each hash, different)."""
    folder.mkdir()
    first = _save_as_camera(_upright_picture(), 6, folder / "IMG_0000.jpg")
    data = first.read_bytes()
    paths = [first]
    for index in range(1, count):
        path = folder / f"IMG_{index:04d}.jpg"
        path.write_bytes(data + index.to_bytes(4, "big"))
        paths.append(path)
    return paths


def _check_stored(workspace: Workspace, store: BlobStore) -> int:
    """Every live photo's original is there with its hash, and its copies; returns how many."""
    photos = PhotoService(workspace).photos_of(PhotoOwner(_only_case(workspace)))
    for photo in photos:
        original = store.original_path(photo.sha256)
        assert hashlib.sha256(original.read_bytes()).hexdigest() == photo.sha256
        assert Image.open(store.report_copy_path(photo.sha256)).size == (1600, 1200)
        assert store.thumbnail_path(photo.sha256).is_file()
    return len(photos)


def _only_case(workspace: Workspace) -> str:
    from fieldsupport.models import Case

    with workspace.transaction() as session:
        (case,) = session.query(Case).all()
        return case.id


def test_a_reading_process_that_dies_costs_no_photo(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("photos are read in this process on one core")
    paths = _camera_folder(tmp_path / "camera", 10)
    killed: list[int] = []

    def progress(fraction: float, _message: str) -> None:
        if not killed and fraction > 0:  # the processes are running and reading ahead
            pids = reading.reading_processes()
            assert pids
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), paths, TaskState(progress))
    assert killed
    assert [r.outcome for r in summary.results] == [Outcome.IMPORTED] * 10, [
        r.line() for r in summary.results
    ]
    store = BlobStore(workspace.blobs_dir)
    assert store.leftovers() == []
    assert _check_stored(workspace, store) == 10
    assert killed[0] not in reading.reading_processes()  # new processes read the rest


def test_a_killed_import_leaves_no_partial_file_and_no_record_without_its_file(
    tmp_path: Path,
) -> None:
    root = tmp_path / "workspace"
    with Workspace.open(root) as workspace:
        case_id = open_case(CaseService(workspace), make_refs(workspace))
        number = CaseService(workspace).get_case(case_id).case_number
    folder = tmp_path / "camera"
    _camera_folder(folder, 60)
    store = BlobStore(root / "blobs")
    command = [sys.executable, "-m", "fieldsupport", "photos", "import"]
    errors = tmp_path / "stderr.txt"
    with open(errors, "wb") as stderr:
        child = subprocess.Popen(
            [*command, "--workspace", str(root), "--case", number, str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,  # its own process group: its reading processes die too
        )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            # killed while photos are recorded and others are half-way into the store
            if _recorded(root) >= 3 and any(store.staging.glob("import-*")):
                os.killpg(child.pid, signal.SIGKILL)
                break
            try:
                child.wait(timeout=0.005)
            except subprocess.TimeoutExpired:
                continue
            raise AssertionError(f"the import ended before the kill: {errors.read_text()}")
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
            child.wait()
    assert child.returncode == -signal.SIGKILL, errors.read_text()
    assert store.leftovers(), "the kill should have caught files on their way in"

    with Workspace.open(root) as workspace:
        assert store.leftovers() == []  # the dead import's temporary files are gone
        recorded = _check_stored(workspace, store)
        assert 3 <= recorded < 60
        # the photos it did not get to import as usual, the others are already there
        summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), [folder])
        assert summary.count(Outcome.IMPORTED) == 60 - recorded
        assert summary.count(Outcome.DUPLICATE) == recorded
        assert _check_stored(workspace, store) == 60
        assert store.leftovers() == []


def _recorded(root: Path) -> int:
    try:
        with sqlite3.connect(f"file:{root / 'fieldsupport.db'}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM attachments").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet, or being written
        return 0


def test_temporary_files_of_a_dead_process_go_when_the_workspace_opens(tmp_path: Path) -> None:
    root = tmp_path / "workspace"
    Workspace.open(root).close()
    staging = BlobStore(root / "blobs").staging
    staging.mkdir(parents=True, exist_ok=True)
    for name in ("import-0123-original", "import-0123-report", ".partial-x1"):
        (staging / name).write_bytes(b"half a photo")
    download = staging / ("download-" + "ab" * 32)  # a sync download resumes from it
    download.write_bytes(b"the first chunk")
    with Workspace.open(root):
        assert sorted(p.name for p in staging.iterdir()) == [download.name]


def test_a_stored_photo_imported_again_gets_back_the_copies_it_lost(
    workspace: Workspace, case_id: str, tmp_path: Path
) -> None:
    service = PhotoService(workspace)
    store = BlobStore(workspace.blobs_dir)
    photo = _save_as_camera(_upright_picture(), 8, tmp_path / "IMG_1.jpg")
    first = service.import_photos(PhotoOwner(case_id), [photo])
    assert first.results[0].outcome is Outcome.IMPORTED
    (stored,) = service.photos_of(PhotoOwner(case_id))
    thumbnail = store.thumbnail_path(stored.sha256)
    made = thumbnail.read_bytes()
    thumbnail.unlink()
    visit = VisitService(workspace).plan_visit(case_id)
    again = service.import_photos(PhotoOwner(case_id, visit.id), [photo])
    assert again.results[0].outcome is Outcome.IMPORTED
    assert thumbnail.read_bytes() == made  # made again, the same
    # and once it has all its files, a third owner only gets a record
    second_visit = VisitService(workspace).plan_visit(case_id)
    before = sorted(p for p in store.root.rglob("*") if p.is_file())
    third = service.import_photos(PhotoOwner(case_id, second_visit.id), [photo])
    assert third.results[0].outcome is Outcome.IMPORTED
    assert sorted(p for p in store.root.rglob("*") if p.is_file()) == before
    assert store.leftovers() == []
