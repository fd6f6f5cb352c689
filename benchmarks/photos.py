"""Photo figures: the import rate of 12-megapixel JPEGs (hash + upright 1600 px copy +
thumbnail + record) into a fresh workspace, and a gallery of 500 photos opened offscreen (rows
shown, visible thumbnails filled in, longest GUI stall). ``python benchmarks/photos.py``."""

from __future__ import annotations

import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

from fieldsupport.models import Case, Customer
from fieldsupport.services.cases import CaseIntake, CaseService
from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
from fieldsupport.workspace import Workspace

Add = Callable[[str, float, str], None]
COUNT = 48  # a camera folder


def _photos(folder: Path) -> list[Path]:
    paths = []
    for i in range(COUNT):
        image = Image.new("RGB", (4000, 3000), (40 + i * 7 % 200, 90, 140))
        draw = ImageDraw.Draw(image)
        for k in range(0, 4000, 97):  # detail, so the JPEG is camera-sized (~2-4 MB)
            draw.line(
                [(k, 0), (4000 - k, 3000)], fill=(k % 255, 200 - k % 180, i * 9 % 255), width=7
            )
        exif = Image.Exif()
        exif[0x0112] = 6
        path = folder / f"IMG_{i:04d}.jpg"
        image.save(path, quality=92, exif=exif)
        paths.append(path)
    return paths


def _open_case(workspace: Workspace, title: str) -> str:
    with workspace.transaction() as session:
        customer = Customer(name="Benchmark")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    return CaseService(workspace).open_case(CaseIntake("A1", title, customer_id)).id


def _import_rate(photos: list[Path], workspace_path: Path) -> float:
    with Workspace.open(workspace_path) as workspace:
        case_id = _open_case(workspace, "Photos")
        started = time.perf_counter()
        summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), photos)
        seconds = time.perf_counter() - started
        assert summary.count(Outcome.IMPORTED) == COUNT, [r.line() for r in summary.results]
        assert workspace.get_setting("device_code") and Case
    return COUNT / seconds


def bench_import(add: Add) -> None:
    """The first import of the process (it starts the reading processes, one per core), then
    the same files into a second fresh workspace with those processes running (as in the app
    after its first import, or once the import dialog has warmed them up)."""
    from fieldsupport.media import reading

    with tempfile.TemporaryDirectory(prefix="fieldsupport-photos-") as tmp:
        folder = Path(tmp) / "camera"
        folder.mkdir()
        photos = _photos(folder)
        reading.shut_down()  # cold: none running yet
        add("photo_import_12mp_rate", _import_rate(photos, Path(tmp) / "ws"), "photos/s")
        add("photo_import_12mp_rate_warm", _import_rate(photos, Path(tmp) / "ws2"), "photos/s")
        reading.shut_down()


GALLERY_PHOTOS = 500


def _small_photos(folder: Path, count: int) -> list[Path]:
    paths = []
    for i in range(count):
        image = Image.new("RGB", (640, 480), (i * 37 % 256, i * 91 % 256, 120))
        ImageDraw.Draw(image).text((20, 20), f"photo {i}", fill="white")
        path = folder / f"site_{i:04d}.jpg"
        image.save(path, quality=85)
        paths.append(path)
    return paths


def _pump_until(done: Callable[[], bool], limit_s: float = 60.0) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    deadline = time.perf_counter() + limit_s
    while not done() and time.perf_counter() < deadline:
        loop = QEventLoop()
        QTimer.singleShot(2, loop.quit)
        loop.exec()


class _StallMeter:
    """Longest gap between ticks of a 5 ms timer on the GUI thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(5)
        self.timer.timeout.connect(self._tick)
        self.last = self.worst = 0.0

    def _tick(self) -> None:
        now = time.perf_counter()
        if self.last:
            self.worst = max(self.worst, now - self.last)
        self.last = now


def _open_gallery(service: PhotoService, case_id: str, meter: _StallMeter) -> tuple[float, float]:
    """Seconds from asking for the case's gallery to its rows painted, and to every visible
    thumbnail painted, in a fresh gallery (nothing cached)."""
    from fieldsupport.ui.photo_gallery import PhotoGallery

    gallery = PhotoGallery(service)
    gallery.resize(1200, 800)
    gallery.show()
    _pump_until(lambda: not gallery.jobs.busy)
    loaded: list[bool] = []
    gallery.loaded.connect(lambda: loaded.append(True))
    meter.last = 0.0
    meter.timer.start()
    started = time.perf_counter()
    gallery.show_case(case_id, [])
    _pump_until(lambda: bool(loaded))
    gallery.view.viewport().repaint()  # the first rows painted (placeholders)
    opened = time.perf_counter() - started
    _pump_until(lambda: not gallery.loader.busy and not gallery.jobs.busy)
    gallery.view.viewport().repaint()
    filled = time.perf_counter() - started
    meter.timer.stop()
    assert gallery.model.rowCount() == GALLERY_PHOTOS
    gallery.close()
    gallery.deleteLater()
    _pump_until(lambda: True)
    return opened, filled


def bench_gallery(add: Add) -> None:
    """A case with 500 photos: its gallery listed and shown, then the visible thumbnails."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from fieldsupport.ui import gc_guard
    from fieldsupport.ui.app import make_application

    app = make_application()  # as the app makes it: garbage collected on the GUI thread
    collector = gc_guard.installed()
    assert app is not None and collector is not None
    with tempfile.TemporaryDirectory(prefix="fieldsupport-gallery-") as tmp:
        folder = Path(tmp) / "photos"
        folder.mkdir()
        photos = _small_photos(folder, GALLERY_PHOTOS)
        with Workspace.open(Path(tmp) / "ws") as workspace:
            case_id = _open_case(workspace, "Gallery")
            service = PhotoService(workspace)
            summary = service.import_photos(PhotoOwner(case_id), photos)
            assert summary.count(Outcome.IMPORTED) == GALLERY_PHOTOS
            # the set-up ran on this thread without an event loop, where the app's collector
            # never looks: its garbage collected now, as the app would have done meanwhile
            gc.collect()
            meter = _StallMeter()
            collector.reset_figures()
            runs = [_open_gallery(service, case_id, meter) for _ in range(3)]
    add("gallery_open_500_photos", statistics.median(r[0] for r in runs) * 1000, "ms")
    add("gallery_visible_thumbnails_500", statistics.median(r[1] for r in runs) * 1000, "ms")
    add("gallery_stall_max_500", meter.worst * 1000, "ms")
    add("gallery_gc_pass_max_500", collector.worst_pass_s * 1000, "ms")


def bench_photos(add: Add) -> None:
    bench_import(add)
    bench_gallery(add)


if __name__ == "__main__":
    bench_photos(lambda n, v, u: print(f"{n}: {v:,.4g} {u}", flush=True))
    sys.exit(0)
