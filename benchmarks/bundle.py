"""Installer figures: the built bundle's size and its start time against the development
install (same workspace, warm, start to case rows painted). Needs `make installer` first;
without a bundle it prints nothing. ``python benchmarks/bundle.py WORKSPACE``."""

from __future__ import annotations

import json
import os
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
    size = sum(p.stat().st_size for p in BUNDLE.rglob("*") if p.is_file() and not p.is_symlink())
    add("bundle_size", size / 1e6, "MB")
    bundled = _rows_painted([str(executable)], workspace)
    development = _rows_painted([sys.executable, "-m", "fieldsupport"], workspace)
    add("bundle_start_rows_painted", bundled * 1000, "ms")
    add("bundle_start_vs_development", bundled / development, "x")


if __name__ == "__main__":
    bench_bundle(lambda n, v, u: print(f"{n}: {v:,.4g} {u}", flush=True), Path(sys.argv[1]))
