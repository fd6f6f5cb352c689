"""Build the one-folder bundle: ``python installer/build.py`` (run by ``make installer``).

1. writes the third-party notices and the build record into build/,
2. runs PyInstaller on installer/fieldsupport.spec (bundle in build/dist/fieldsupport),
3. removes links left pointing at libraries the spec filtered out and (Linux) strips the
   binaries that still carry symbol tables,
4. runs the bundle's own ``self-test`` (a missing resource fails the build, not a laptop),
5. checks the bundle (installer/bundle_checks.py): every library loads; the window paints on
   Xvfb; the self-test passes from a read-only folder with spaces and non-ASCII letters, for
   a user whose home is not writable; a newer workspace is refused untouched,
6. prints the bundle's size and its largest files.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
DIST = BUILD / "dist" / "fieldsupport"
# Runtime dependencies the bundle does not carry (installer/fieldsupport.spec
# PYTHON_EXCLUDES), left out of its notices with what only they need: keyring's
# secretstorage and its cryptography (Linux; the bundle's keyring backend is
# fieldsupport/sync/secret_service.py).
# distributions the bundle leaves out (their notices too): keyring's secretstorage (the
# bundle's keyring backend is sync/secret_service.py) and, on Linux, zstandard (the system's
# libzstd serves: fieldsupport/compression.py)
NOT_BUNDLED = ("secretstorage", *(("zstandard",) if sys.platform.startswith("linux") else ()))


def _commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def executable() -> Path:
    name = "fieldsupport.exe" if os.name == "nt" else "fieldsupport"
    return DIST / name


def write_icons() -> None:
    """build/fieldsupport.ico (Windows) and .icns (macOS) from the SVG icon."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication([])
    image = QImage(512, 512, QImage.Format.Format_ARGB32)
    image.fill(0)
    painter = QPainter(image)
    QSvgRenderer(str(ROOT / "resources" / "icons" / "fieldsupport.svg")).render(painter)
    painter.end()
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")
    from io import BytesIO

    png = Image.open(BytesIO(bytes(buffer.data())))
    png.save(BUILD / "fieldsupport.ico", sizes=[(16, 16), (32, 32), (48, 48), (256, 256)])
    png.save(BUILD / "fieldsupport.icns")
    del app


def main() -> int:
    sys.path.insert(0, str(ROOT))
    from fieldsupport import __version__
    from fieldsupport.notices import notices_text

    BUILD.mkdir(exist_ok=True)
    notices = notices_text(leave_out=NOT_BUNDLED)
    (BUILD / "THIRD-PARTY-NOTICES.txt").write_text(notices, encoding="utf-8")
    record = {
        "version": __version__,
        "built_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
    }
    (BUILD / "build_info.json").write_text(json.dumps(record), encoding="utf-8")
    write_icons()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(BUILD / "dist"),
            "--workpath",
            str(BUILD / "pyi"),
            str(ROOT / "installer" / "fieldsupport.spec"),
        ],
        check=True,
    )
    for path in DIST.rglob("*"):
        if path.is_symlink() and not path.exists():
            path.unlink()
    sys.path.insert(0, str(ROOT / "installer"))
    from bundle_checks import run_bundle_checks, strip_symbols

    saved = strip_symbols(DIST)
    print(f"stripped symbol tables: {saved / 1e6:.0f} MB")
    result = subprocess.run([str(executable()), "self-test"], cwd=BUILD)
    failures = run_bundle_checks(DIST) if result.returncode == 0 else 0
    files = [p for p in DIST.rglob("*") if p.is_file() and not p.is_symlink()]
    size = sum(p.stat().st_size for p in files)
    print(f"bundle: {DIST} ({size / 1e6:.0f} MB); largest files:")
    for path in sorted(files, key=lambda p: p.stat().st_size, reverse=True)[:12]:
        print(f"  {path.stat().st_size / 1e6:5.1f} MB  {path.relative_to(DIST)}")
    return result.returncode or min(failures, 1)


if __name__ == "__main__":
    sys.exit(main())
