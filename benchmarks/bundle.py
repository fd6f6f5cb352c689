"""Installer figures: the built bundle's size (with what takes the room), the .deb's, and
the bundle's start time against the development install (same workspace, warm, start to
case rows painted). Needs `make installer` first; without a bundle it prints nothing.
``python benchmarks/bundle.py WORKSPACE``."""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "build" / "dist" / "fieldsupport"
Add = Callable[[str, float, str], None]

# What takes the room, by path inside the bundle (first match wins).
PARTS = [
    ("icu", r"libicu"),  # Unicode and locale data of Qt Core
    ("ffmpeg", r"libav|libsw|FFmpegStub|plugins/multimedia"),  # the camera backend
    ("qt_quick_qml", r"libQt6(Quick|Qml)"),  # stand-ins for the ffmpeg plugin's 2 symbols
    ("qt_multimedia", r"Qt6?Multimedia"),
    ("qt_pdf", r"Qt6?Pdf"),
    ("qt_charts", r"Qt6?Charts"),
    ("qt_other", r"PySide6|shiboken6"),  # Core, Gui, Widgets, Network, plugins, bindings
    ("heif", r"pi_heif|pillow_heif"),  # libheif and the libde265 decoder
    # keyring's Secret Service through secretstorage: no longer bundled (sync/secret_service.py)
    ("cryptography", r"cryptography|_cffi"),
    ("pydantic", r"pydantic"),
    ("pillow", r"PIL/|pillow\.libs"),
    ("python", r"libpython|python3\.\d+/|base_library"),
    ("python_code", r"^fieldsupport(\.exe)?$"),  # the app and its pure-Python packages
    ("system_libraries", r"^_internal/lib[^/]*$"),  # SQLite (the rest comes from the system)
]


def bundle_parts() -> dict[str, int]:
    sizes = dict.fromkeys([name for name, _pattern in PARTS] + ["other"], 0)
    for path in BUNDLE.rglob("*"):
        if path.is_file() and not path.is_symlink():
            relative = path.relative_to(BUNDLE).as_posix()
            part = next((n for n, pattern in PARTS if re.search(pattern, relative)), "other")
            sizes[part] += path.stat().st_size
    return sizes


def _rows_painted(command: list[str], workspace: Path, repeat: int = 5) -> float:
    times = []
    for attempt in range(repeat + 1):  # the first start warms the disk cache
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "probe.json"
            env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
            env["FIELDSUPPORT_STARTUP_PROBE"] = str(probe)
            launched = time.time()
            subprocess.run([*command, "--workspace", str(workspace)], env=env, timeout=120)
            if attempt:
                times.append(json.loads(probe.read_text())["first_paint_at"] - launched)
    return statistics.median(times)


def bench_bundle(add: Add, workspace: Path) -> None:
    executable = BUNDLE / ("fieldsupport.exe" if os.name == "nt" else "fieldsupport")
    if not executable.exists():
        return
    parts = bundle_parts()
    add("bundle_size", sum(parts.values()) / 1e6, "MB")
    for name, size in sorted(parts.items(), key=lambda item: -item[1]):
        add(f"bundle_part_{name}", size / 1e6, "MB")
    for deb in sorted(ROOT.glob("build/fieldsupport_*.deb")):
        add("bundle_deb_size", deb.stat().st_size / 1e6, "MB")
    bundled = _rows_painted([str(executable)], workspace)
    development = _rows_painted([sys.executable, "-m", "fieldsupport"], workspace)
    add("bundle_start_rows_painted", bundled * 1000, "ms")
    add("bundle_start_vs_development", bundled / development, "x")


if __name__ == "__main__":
    bench_bundle(lambda n, v, u: print(f"{n}: {v:,.4g} {u}", flush=True), Path(sys.argv[1]))
