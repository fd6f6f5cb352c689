"""``fieldsupport self-test``: IT staff verify an installation in one command.

Runs the real thing in a temporary workspace that is removed afterwards: migrations, demo
data, the bundled resources, a photo import and a drawing on it, the main window (offscreen)
with its case list and the KPI chart, a service report PDF read back through Qt PDF, text
services, the camera backend, the embedded server. Features add their own checks here as
they arrive.
Prints one line per check; exit status 0 only when every check passed. A development install
may skip a check whose system library the machine lacks (said on its line); a bundle never.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from fieldsupport import __version__
from fieldsupport.resources import resource_path

# Resources the running app needs; a bundle that lacks one must fail here, not on a laptop.
REQUIRED_RESOURCES = (
    "icons/fieldsupport.svg",
    "translations/README.md",
    "fonts/DejaVuSans.ttf",
    "fonts/DejaVuSans-Bold.ttf",
    "fonts/DejaVuSans-Oblique.ttf",
    "self-test/iphone.heic",  # a 240 x 160 HEIC photo, as iPhones take them
)

Check = Callable[[Path], str]


class CheckSkipped(Exception):
    """A development install on a machine without a system library the check needs (a
    minimal server has no PulseAudio client, which Qt Multimedia links). The installers
    depend on those libraries, so a bundle that lacks one fails instead."""


def _check_resources(_root: Path) -> str:
    missing = [r for r in REQUIRED_RESOURCES if resource_path(r) is None]
    if missing:
        raise RuntimeError(f"missing resources: {', '.join(missing)}")
    return f"{len(REQUIRED_RESOURCES)} resources found"


def _check_workspace(root: Path) -> str:
    from fieldsupport.store.migrate import head_revision
    from fieldsupport.workspace import Workspace

    with Workspace.open(root / "workspace") as workspace:
        code = workspace.device_code
    return f"created and migrated to schema {head_revision()} (device {code})"


def _check_demo(root: Path) -> str:
    from fieldsupport.demo.generator import create_demo
    from fieldsupport.workspace import Workspace

    with Workspace.open(root / "workspace") as workspace:
        summary = create_demo(workspace, cases=60)
    return f"{summary.cases} cases, {summary.visits} visits written"


def _check_photo(root: Path) -> str:
    import io

    from PIL import Image

    from fieldsupport.media.blobstore import BlobStore
    from fieldsupport.services.case_queries import CaseListService, CaseQuery
    from fieldsupport.services.photos import Outcome, PhotoOwner, PhotoService
    from fieldsupport.workspace import Workspace

    source = root / "self-test-photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored sideways, shown upright
    Image.new("RGB", (1200, 800), "#3a7ca5").save(source, exif=exif)
    heic = resource_path("self-test/iphone.heic")  # the bundle reads HEIC, cannot write it
    if heic is None:
        raise RuntimeError("missing resource self-test/iphone.heic")
    with Workspace.open(root / "workspace") as workspace:
        case_id = CaseListService(workspace).ids(CaseQuery(), limit=1)[0]
        summary = PhotoService(workspace).import_photos(PhotoOwner(case_id), [source, heic])
        for result in summary.results:
            if result.outcome is not Outcome.IMPORTED:
                raise RuntimeError(f"photo {result.outcome.value}: {result.reason}")
        photos = {p.media_type: p for p in PhotoService(workspace).photos_of_case(case_id)}
        if "image/heic" not in photos:
            raise RuntimeError(f"the HEIC photo was recorded as {sorted(photos)}")
        copy = BlobStore(workspace.blobs_dir).report_copy_path(photos["image/jpeg"].sha256)
        copy_bytes = copy.read_bytes()
    width, height = Image.open(io.BytesIO(copy_bytes)).size
    if width >= height:
        raise RuntimeError(f"the report copy is not upright ({width} x {height})")
    return f"JPEG and HEIC imported, upright copies made ({width} x {height})"


def _check_annotation(root: Path) -> str:
    """A text label and an arrow drawn on the imported photo, as the photo viewer's drawing
    tools do: the label through FreeType (Pillow's own copy or, in the Linux bundle, the
    system's), at its size (without FreeType it would be small bitmap text)."""
    import io

    from PIL import Image, ImageChops, features

    from fieldsupport.media.blobstore import BlobStore
    from fieldsupport.services.case_queries import CaseListService, CaseQuery
    from fieldsupport.services.photos import PhotoService
    from fieldsupport.workspace import Workspace

    if not features.check("freetype2"):
        raise RuntimeError("Pillow has no FreeType: text labels would be small bitmap text")
    label = {"kind": "text", "colour": "#ffeb3b", "size": 0.1, "points": [[0.05, 0.05]]}
    arrow = {"kind": "arrow", "colour": "#e53935", "width": 0.01, "points": [[0.5, 0.6]]}
    marks = [{**label, "text": "Leak"}, {**arrow, "points": [*arrow["points"], [0.8, 0.9]]}]
    with Workspace.open(root / "workspace") as workspace:
        case_id = CaseListService(workspace).ids(CaseQuery(), limit=1)[0]
        photos = PhotoService(workspace)
        photo = next(
            p for p in photos.photos_of_case(case_id) if p.filename == "self-test-photo.jpg"
        )
        view = photos.annotate(photo.id, marks)
        drawn = BlobStore(workspace.blobs_dir).original_path(view.display_sha256).read_bytes()
    with Image.open(io.BytesIO(drawn)) as image:
        upright = image.convert("RGB")
    width, height = upright.size
    top = upright.crop((0, 0, width, height * 3 // 10))  # the label, not the arrow
    changed = ImageChops.difference(top, Image.new("RGB", top.size, "#3a7ca5"))
    box = changed.convert("L").point(lambda v: 255 if v > 60 else 0).getbbox()
    text_height = box[3] - box[1] if box else 0
    expected = 0.1 * max(width, height)  # the label's size: a tenth of the long edge
    if text_height < 0.5 * expected:
        raise RuntimeError(f"the text label is {text_height} px high, expected ~{expected:.0f}")
    version = features.version("freetype2")
    return f"label ({text_height} px high, FreeType {version}) and arrow drawn"


def _wait_until(condition: Callable[[], bool], timeout_s: float = 30.0) -> bool:
    from PySide6.QtCore import QCoreApplication, QEventLoop

    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.01)
    return True


def _check_window(root: Path) -> str:
    """The main window with its case list, garbage collected on the GUI thread only, and the
    KPI page's chart (Qt Charts) drawn."""
    import gc

    from PySide6.QtCore import QEventLoop, QThreadPool, QTimer

    from fieldsupport.ui import gc_guard
    from fieldsupport.ui.app import make_application
    from fieldsupport.ui.main_window import NAV_ALL_CASES, NAV_KPIS, MainWindow
    from fieldsupport.workspace import Workspace

    app = make_application()
    workspace = Workspace.open(root / "workspace")
    try:
        window = MainWindow(workspace)
        window.ask_close = lambda _unsaved: True  # type: ignore[method-assign]
        loop = QEventLoop()
        window.cases.cases_loaded.connect(loop.quit)
        QTimer.singleShot(30_000, loop.quit)
        window.show()
        window.navigate(NAV_ALL_CASES)
        window.cases.status_filter.setCurrentIndex(1)  # any status
        loop.exec()
        rows = window.cases.model.rowCount()
        if rows == 0:
            raise RuntimeError("the case list stayed empty")
        collector = gc_guard.installed()
        if collector is None or gc.isenabled() or not collector.timer.isActive():
            # a worker could then destroy Qt objects (and deadlock with the GUI thread)
            raise RuntimeError("garbage is not collected on the GUI thread only")
        window.navigate(NAV_KPIS)
        kpis = window.kpis
        if not _wait_until(lambda: bool(kpis.rows) and not kpis.jobs.busy):
            raise RuntimeError("the KPI page computed nothing")
        bars = kpis.chart.series()[0].barSets()[0].count()
        picture = kpis.chart_view.grab().toImage()
        colours = {
            picture.pixel(x, y)
            for x in range(0, picture.width(), 8)
            for y in range(0, picture.height(), 8)
        }
        window.close()
        if bars == 0 or len(colours) < 3:
            raise RuntimeError(f"the KPI chart was not drawn ({bars} bars)")
        return (
            f"opened offscreen, {rows} cases listed, garbage collected on the GUI thread, "
            f"KPI chart of {bars} bars drawn"
        )
    finally:
        QThreadPool.globalInstance().waitForDone(30_000)
        workspace.close()
        app.processEvents()


def _check_report(root: Path) -> str:
    from PySide6.QtPdf import QPdfDocument

    from fieldsupport.services.case_queries import CaseListService, CaseQuery
    from fieldsupport.services.photos import PhotoOwner, PhotoService
    from fieldsupport.services.reports import ReportService
    from fieldsupport.services.visits import VisitService
    from fieldsupport.ui.app import make_application
    from fieldsupport.workspace import Workspace

    make_application()  # Qt PDF renders fonts through the application
    with Workspace.open(root / "workspace") as workspace:
        visits = VisitService(workspace)
        for case_id in CaseListService(workspace).ids(CaseQuery(), limit=200):
            case_visits = visits.visits_of_case(case_id)
            if case_visits:
                break
        else:
            raise RuntimeError("no visit in the demo data to report on")
        visit = case_visits[-1]
        PhotoService(workspace).import_photos(
            PhotoOwner(case_id, visit.id), [root / "self-test-photo.jpg"]
        )
        report = ReportService(workspace).generate_draft(visit.id)
    if report.pdf_path is None:
        raise RuntimeError("the report PDF was not stored")
    document = QPdfDocument()
    error = document.load(str(report.pdf_path))
    if error != QPdfDocument.Error.None_ or document.pageCount() < 1:
        raise RuntimeError(f"the report PDF could not be read back ({error.name})")
    pages = document.pageCount()
    document.close()
    return f"{report.report_number}: {pages} page(s), read back through Qt PDF"


def _check_camera(_root: Path) -> str:
    """Qt Multimedia and its ffmpeg backend load (the camera action is hidden without them),
    and the objects the camera dialog builds can be made; no camera is switched on."""
    from PySide6.QtCore import QLoggingCategory

    from fieldsupport.ui.app import make_application
    from fieldsupport.ui.photo_camera import camera_status

    make_application()
    # the backend lists each optional system library it did not find (PipeWire, VA-API)
    QLoggingCategory.setFilterRules("qt.multimedia.symbolsresolver=false")
    try:
        from PySide6.QtMultimedia import QImageCapture, QMediaCaptureSession
        from PySide6.QtMultimediaWidgets import QVideoWidget
    except ImportError as exc:
        if not getattr(sys, "frozen", False) and "cannot open shared object file" in str(exc):
            raise CheckSkipped(
                f"Qt Multimedia needs a system library this machine lacks ({exc}); the camera "
                "action stays hidden. Desktops have it; the .deb depends on it."
            ) from exc
        raise RuntimeError(f"Qt Multimedia does not load: {exc}") from exc
    if QImageCapture.FileFormat.JPEG not in QImageCapture.supportedFormats():
        raise RuntimeError("Qt Multimedia has no backend that saves JPEG photos (ffmpeg plugin)")
    session = QMediaCaptureSession()
    capture = QImageCapture()
    preview = QVideoWidget()
    session.setImageCapture(capture)
    session.setVideoOutput(preview)
    usable, _reason = camera_status()
    preview.deleteLater()
    return "backend loaded, " + ("a camera is connected" if usable else "no camera connected")


def _xml_text(encoding: str, payload: bytes) -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QXmlStreamReader

    declaration = f'<?xml version="1.0" encoding="{encoding}"?><t>'.encode("ascii")
    buffer = QBuffer()
    buffer.setData(QByteArray(declaration + payload + b"</t>"))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    reader = QXmlStreamReader(buffer)
    text = []
    while not reader.atEnd():
        reader.readNext()
        if reader.isCharacters():
            text.append(reader.text())
    if reader.hasError():
        raise RuntimeError(f"{encoding}: {reader.errorString()}")
    return "".join(text)


def _check_text_services(_root: Path) -> str:
    """What Qt asks ICU for (the bundle carries ICU's data without the parts Qt never
    reads): language-aware sorting (lists, the file dialog), time-zone names, text in other
    encodings, language-aware capitals."""
    from PySide6.QtCore import QCollator, QLocale, QTimeZone

    problems = []
    czech, swedish = QCollator(QLocale("cs_CZ")), QCollator(QLocale("sv_SE"))
    if sorted(["chata", "hrad"], key=czech.sortKey) != ["hrad", "chata"]:
        problems.append("Czech sorting (ch after h)")
    if sorted(["öl", "zebra"], key=swedish.sortKey) != ["zebra", "öl"]:
        problems.append("Swedish sorting (ö after z)")
    warsaw = QTimeZone(b"Europe/Warsaw")
    names = {
        warsaw.displayName(
            QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName, QLocale(language)
        )
        for language in ("pl_PL", "de_DE")
    }
    if len(names) != 2 or any(not n or n.startswith(("GMT", "UTC")) for n in names):
        problems.append(f"time-zone names ({', '.join(sorted(names))})")
    try:
        if _xml_text("Shift_JIS", "点検".encode("shift_jis")) != "点検":
            problems.append("Shift_JIS text")
        if _xml_text("windows-1250", "łódź".encode("cp1250")) != "łódź":
            problems.append("windows-1250 text")
    except RuntimeError as exc:
        problems.append(str(exc))
    if QLocale("tr_TR").toUpper("i") != "İ":
        problems.append("Turkish capitals")
    if problems:
        raise RuntimeError("wrong: " + "; ".join(problems))
    return "sorting, time-zone names, encodings and capitals by language"


def _check_embedded_server(root: Path) -> str:
    """The demo's embedded central server (FastAPI on uvicorn, SQLite) starts on loopback
    and answers, as ``fieldsupport --demo`` needs it."""
    import httpx

    from fieldsupport.central.server import BackgroundServer, open_service

    folder = root / "central"
    service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
    try:
        # trust_env=False: a proxy configured for the internet must not see loopback
        with BackgroundServer(service) as server, httpx.Client(trust_env=False) as client:
            response = client.get(f"{server.url}/v1/meta", timeout=10)
        if response.status_code != 200 or response.json().get("version") != __version__:
            raise RuntimeError(f"/v1/meta answered {response.status_code}: {response.text}")
    finally:
        service.engine.dispose()
    return f"served /v1/meta on {server.url}"


def _check_first_sync(root: Path) -> str:
    """A new workspace's first sync from the embedded server's snapshot of the demo data:
    the snapshot made (zstd), downloaded, unpacked, checked and put in place, as a second
    laptop of a real server gets it."""
    import os

    from fieldsupport import compression
    from fieldsupport.central.accounts import Principal
    from fieldsupport.central.seeding import seed_from_workspace
    from fieldsupport.central.server import BackgroundServer, open_service
    from fieldsupport.sync.session import connect, run_sync
    from fieldsupport.workspace import Workspace

    # the test device's token goes to a file in the temporary folder, never to the user's
    # keyring (which might ask to be unlocked)
    saved = {key: os.environ.get(key) for key in ("PYTHON_KEYRING_BACKEND", "XDG_CONFIG_HOME")}
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    os.environ["XDG_CONFIG_HOME"] = str(root / "config")
    folder = root / "snapshot-central"
    service = open_service(f"sqlite:///{folder / 'central.db'}", folder / "blobs")
    try:
        service.accounts.add_user("self-test", "self-test-password", "admin")
        with Workspace.open(root / "workspace", read_only=True) as demo:
            records = seed_from_workspace(service, demo)
        service.snapshots.refresh(Principal(0, "snapshot", "admin", None, ""))
        with BackgroundServer(service) as server, Workspace.open(root / "laptop") as laptop:
            connect(laptop, server.url, "self-test", "self-test-password")
            report = run_sync(laptop)
    finally:
        service.engine.dispose()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if report.from_snapshot != records:
        raise RuntimeError(f"{report.from_snapshot} of {records} records came in the snapshot")
    return f"{records} records from the snapshot (zstd through {compression.backend()})"


CHECKS: list[tuple[str, Check]] = [
    ("resources", _check_resources),
    ("workspace", _check_workspace),
    ("demo data", _check_demo),
    ("photo import", _check_photo),
    ("photo annotation", _check_annotation),
    ("main window", _check_window),
    ("service report", _check_report),
    ("text services", _check_text_services),
    ("camera support", _check_camera),
    ("embedded server", _check_embedded_server),
    ("first sync", _check_first_sync),
]


def run_self_test(out: TextIO) -> int:
    # offscreen: the check must not pop up windows on the user's screen (nor need one)
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    print(f"FieldSupport {__version__} self-test", file=out)
    failures = skipped_checks = 0
    with tempfile.TemporaryDirectory(prefix="fieldsupport-self-test-") as tmp:
        for name, check in CHECKS:
            started = time.perf_counter()
            try:
                detail = check(Path(tmp))
            except CheckSkipped as skipped:
                skipped_checks += 1
                print(f"skip  {name}: {skipped}", file=out)
                continue
            except Exception as exc:
                failures += 1
                print(f"FAIL  {name}: {type(exc).__name__}: {exc}", file=out)
                continue
            print(f"ok    {name}: {detail} ({time.perf_counter() - started:.1f} s)", file=out)
    if failures:
        print(f"{failures} check(s) failed", file=out)
    else:
        print(
            f"all checks passed ({skipped_checks} skipped)"
            if skipped_checks
            else "all checks passed",
            file=out,
        )
    return 0 if not failures else 1
