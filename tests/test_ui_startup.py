"""The real start-up path, in a child process as a user starts it: a window is painted
before the data layer is imported, then the case rows."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from fieldsupport.demo.generator import create_demo
from fieldsupport.workspace import Workspace
from tests.conftest import FIXED_REFERENCE


def test_window_first_then_rows(tmp_path: Path) -> None:
    with Workspace.open(tmp_path / "ws") as ws:
        create_demo(ws, cases=50, reference=datetime.fromisoformat(FIXED_REFERENCE))
    probe = tmp_path / "probe.json"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "FIELDSUPPORT_STARTUP_PROBE": str(probe),
    }
    code = (
        "import sys\n"
        "from fieldsupport.cli import main\n"
        "code = main(sys.argv[1:])\n"
        # the splash must have been painted before SQLAlchemy was first imported: the probe
        # records it, and this checks that the data layer is loaded by now
        "assert 'sqlalchemy' in sys.modules\n"
        "sys.exit(code)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, "--workspace", str(tmp_path / "ws")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    timings = json.loads(probe.read_text())
    assert 0 < timings["window_painted_s"] < timings["first_paint_s"]
    assert timings["window_painted_at"] < timings["first_paint_at"]
    assert timings["data_layer_loaded_after_window"] is True
