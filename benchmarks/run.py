"""Performance figures: one line per figure (``name: value unit``), and the same figures in
``benchmarks/results/latest.json``. Run with ``make bench`` (or ``python benchmarks/run.py``).

These are measurements, never pass/fail tests: the machines are shared and noisy. Compare
runs on the same machine. ``--cases`` scales the data set (default: 100,000 cases).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fieldsupport import __version__
from fieldsupport.demo.generator import create_demo
from fieldsupport.services.case_queries import CaseListService, CaseQuery, SortKey
from fieldsupport.workspace import Workspace

RESULTS = Path(__file__).resolve().parent / "results"


class Figures:
    def __init__(self) -> None:
        self.values: dict[str, dict[str, Any]] = {}

    def add(self, name: str, value: float, unit: str) -> None:
        self.values[name] = {"value": round(value, 4), "unit": unit}
        print(f"{name}: {value:,.4g} {unit}", flush=True)


def bench_demo(figures: Figures, root: Path, cases: int) -> Path:
    workspace_path = root / "demo"
    with Workspace.open(workspace_path) as workspace:
        summary = create_demo(workspace, cases=cases)
    figures.add("demo_creation_seconds", summary.seconds, "s")
    figures.add("demo_creation_rate", summary.cases / summary.seconds, "cases/s")
    rows = summary.cases + summary.events + summary.visits + summary.measurements
    figures.add("demo_rows_written", rows, "rows")
    size = sum(p.stat().st_size for p in workspace_path.glob("fieldsupport.db*"))
    figures.add("demo_database_size", size / 1e6, "MB")
    return workspace_path


def _median_seconds(run: Callable[[], float], repeat: int) -> float:
    return statistics.median(run() for _ in range(repeat))


def bench_case_list(figures: Figures, workspace_path: Path) -> None:
    with Workspace.open(workspace_path, read_only=True) as workspace:
        service = CaseListService(workspace)
        for sort in (SortKey.UPDATED_AT, SortKey.CUSTOMER):
            query = CaseQuery(sort=sort)

            def load_ids(q: CaseQuery = query) -> float:
                started = time.perf_counter()
                service.ids(q)
                return time.perf_counter() - started

            figures.add(f"case_ids_load_{sort.value}", _median_seconds(load_ids, 3) * 1000, "ms")
        ids = service.ids(CaseQuery())

        def page(offset: int) -> float:
            started = time.perf_counter()
            service.rows(ids[offset : offset + 200])
            return time.perf_counter() - started

        figures.add("case_page_top", _median_seconds(lambda: page(0), 5) * 1000, "ms")
        deep = max(len(ids) - 200, 0)
        figures.add("case_page_bottom", _median_seconds(lambda: page(deep), 5) * 1000, "ms")


def bench_first_paint(figures: Figures, workspace_path: Path, repeat: int = 5) -> None:
    """Process start to (1) a window painted and (2) the case table painted with rows,
    offscreen, as a user starts the app. The first run warms the disk cache and is not
    counted ("warm" start)."""
    window: list[float] = []
    rows: list[float] = []
    inside: list[float] = []
    for attempt in range(repeat + 1):
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "probe.json"
            env = {
                **os.environ,
                "QT_QPA_PLATFORM": "offscreen",
                "FIELDSUPPORT_STARTUP_PROBE": str(probe),
            }
            launched = time.time()
            process = subprocess.Popen(
                [sys.executable, "-m", "fieldsupport", "--workspace", str(workspace_path)],
                env=env,
            )
            process.wait(timeout=120)
            if not probe.exists():
                raise SystemExit(f"the app exited ({process.returncode}) before painting")
            timings = json.loads(probe.read_text())
            if attempt == 0:
                continue
            window.append(timings["window_painted_at"] - launched)
            rows.append(timings["first_paint_at"] - launched)
            inside.append(timings["first_paint_s"])
    figures.add("window_painted_from_launch", statistics.median(window) * 1000, "ms")
    figures.add("first_paint_from_launch", statistics.median(rows) * 1000, "ms")
    figures.add("first_paint_after_qapplication", statistics.median(inside) * 1000, "ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args()
    figures = Figures()
    with tempfile.TemporaryDirectory(prefix="fieldsupport-bench-") as tmp:
        workspace_path = bench_demo(figures, Path(tmp), args.cases)
        bench_case_list(figures, workspace_path)
        bench_first_paint(figures, workspace_path)
        from workbench import bench_workbench  # Qt in this process only after the others

        bench_workbench(figures.add, workspace_path)
        from bundle import bench_bundle  # figures only when `make installer` built one

        bench_bundle(figures.add, workspace_path)
    from photos import bench_photos

    bench_photos(figures.add)
    from reports import bench_reports

    bench_reports(figures.add)
    from backoffice import bench_backoffice

    bench_backoffice(figures.add)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "version": __version__,
        "cases": args.cases,
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "figures": figures.values,
    }
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"(written to {args.out})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
