"""Service report generation: a visit with 20 camera photos, 220 measurements, an applied
solution and a training session (about 10 pages), rendered as a preview and finalized.
Prints the median time of a preview over 5 runs and the PDF's size.
``python benchmarks/reports.py`` (targets: <= 0.5 s, <= 10 MB)."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from report_builders import report_visit, sign

from fieldsupport.services.reports import ReportService
from fieldsupport.workspace import Workspace

Add = Callable[[str, float, str], None]
PHOTOS = 20
RUNS = 5
REAL_PHOTO = (
    Path(__file__).resolve().parent.parent
    / "tests"
    / "data"
    / "photos"
    / "orientation"
    / "Landscape_1.jpg"
)


def _camera_photos(folder: Path) -> list[Path]:
    """20 distinct 12 MP JPEGs made from the real photograph in tests/data (a real scene
    compresses like one; synthetic noise would not), each cropped and tinted differently."""
    with Image.open(REAL_PHOTO) as source:
        scene = source.convert("RGB")
    paths = []
    for i in range(PHOTOS):
        w, h = scene.size
        box = (i * 7 % 60, i * 5 % 40, w - (i * 3 % 50), h - (i * 11 % 45))
        image = scene.crop(box).resize((4000, 3000), Image.Resampling.BICUBIC)
        tint = Image.new("RGB", image.size, (i * 37 % 255, 90, 255 - i * 23 % 255))
        image = Image.blend(image, tint, 0.08)
        ImageDraw.Draw(image).text((200, 200), f"photo {i}", fill=(255, 255, 255))
        path = folder / f"IMG_{i:04d}.jpg"
        image.save(path, quality=92)
        paths.append(path)
    return paths


def bench_reports(add: Add) -> None:
    with tempfile.TemporaryDirectory(prefix="fieldsupport-reports-") as tmp:
        folder = Path(tmp) / "camera"
        folder.mkdir()
        photos = _camera_photos(folder)
        with Workspace.open(Path(tmp) / "ws") as workspace:
            visit = report_visit(workspace, photos=photos, measurements=220)
            reports = ReportService(workspace)
            reports.generate_draft(visit.visit_id)  # fonts registered, caches warm
            times = []
            for _ in range(RUNS):
                started = time.perf_counter()
                draft = reports.generate_draft(visit.visit_id)
                times.append(time.perf_counter() - started)
            started = time.perf_counter()
            final = reports.finalize(draft.id, signature_id=sign(workspace, visit.visit_id))
            finalize_seconds = time.perf_counter() - started
            assert final.pdf_path is not None
            pages = len(PdfReader(final.pdf_path).pages)
            size = final.pdf_path.stat().st_size
    add("report_20_photos_preview_median", statistics.median(times), "s")
    add("report_20_photos_finalize", finalize_seconds, "s")
    add("report_20_photos_pages", pages, "pages")
    add("report_20_photos_size", size / 1e6, "MB")


if __name__ == "__main__":
    bench_reports(lambda n, v, u: print(f"{n}: {v:,.4g} {u}", flush=True))
    sys.exit(0)
