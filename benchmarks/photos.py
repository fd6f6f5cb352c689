"""Photo import rate: 12-megapixel JPEGs (hash + upright 1600 px copy + thumbnail + record)
into a fresh workspace, one process. ``python benchmarks/photos.py``."""

from __future__ import annotations

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
COUNT = 48  # a camera folder; the worker processes start once per import


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


def bench_photos(add: Add) -> None:
    with tempfile.TemporaryDirectory(prefix="fieldsupport-photos-") as tmp:
        folder = Path(tmp) / "camera"
        folder.mkdir()
        photos = _photos(folder)
        with Workspace.open(Path(tmp) / "ws") as workspace:
            with workspace.transaction() as session:
                customer = Customer(name="Benchmark")
                session.add(customer)
                session.flush()
                customer_id = customer.id
            case = CaseService(workspace).open_case(CaseIntake("A1", "Photos", customer_id))
            started = time.perf_counter()
            summary = PhotoService(workspace).import_photos(PhotoOwner(case.id), photos)
            seconds = time.perf_counter() - started
            assert summary.count(Outcome.IMPORTED) == COUNT, [r.line() for r in summary.results]
            assert workspace.get_setting("device_code") and Case
    add("photo_import_12mp_rate", COUNT / seconds, "photos/s")


if __name__ == "__main__":
    bench_photos(lambda n, v, u: print(f"{n}: {v:,.4g} {u}", flush=True))
    sys.exit(0)
