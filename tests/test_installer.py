"""What the installers rely on: the self-test command, third-party notices, the About dialog
and version numbers kept in step. (The bundle itself is built and self-tested by
`make installer`, which .ci/run runs.)"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from pytestqt.qtbot import QtBot

from fieldsupport import __version__
from fieldsupport.notices import notices_text, runtime_distributions
from fieldsupport.ui.about_dialog import AboutDialog

REPO = Path(__file__).resolve().parent.parent


def test_self_test_command_passes() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "fieldsupport", "self-test"],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"FieldSupport {__version__} self-test"
    assert [line.split(":")[0] for line in lines[1:-1]] == [
        "ok    resources",
        "ok    workspace",
        "ok    demo data",
        "ok    photo import",
        "ok    main window",
        "ok    service report",
    ]
    assert lines[-1] == "all checks passed"


def test_notices_cover_the_runtime_and_only_it() -> None:
    names = {d.metadata["Name"].lower() for d in runtime_distributions()}
    assert {"pyside6", "sqlalchemy", "alembic", "reportlab", "pillow", "platformdirs"} <= names
    assert not names & {"pytest", "hypothesis", "ruff", "pyinstaller"}  # build/test only
    text = notices_text()
    assert re.search(r"^SQLAlchemy [\d.]+ — MIT$", text, re.MULTILINE)
    assert re.search(r"^PySide6 [\d.]+ — LGPL-3.0", text, re.MULTILINE)
    assert "Permission is hereby granted" in text  # licence texts, not just names


def test_about_dialog(qtbot: QtBot) -> None:
    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    assert f"FieldSupport {__version__}" in dialog.heading.text()
    assert "development install" in dialog.heading.text()
    assert "SQLAlchemy" in dialog.notices.toPlainText()


def test_installer_versions_follow_the_package() -> None:
    iss = (REPO / "installer" / "windows" / "fieldsupport.iss").read_text(encoding="utf-8")
    assert f'#define AppVersion "{__version__}"' in iss
    info = (REPO / "installer" / "windows" / "version_info.txt").read_text(encoding="utf-8")
    numbers = (*(int(n) for n in __version__.split(".")), 0)
    assert f"filevers={numbers}" in info and f"prodvers={numbers}" in info
    assert f"StringStruct('ProductVersion', '{__version__}')" in info
