"""Translations follow without rework: strings go through tr(), and a compiled translation
for the system locale changes what the window shows."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from fieldsupport.ui.app import install_translator
from fieldsupport.ui.main_window import MainWindow
from fieldsupport.workspace import Workspace

REPO = Path(__file__).resolve().parent.parent
TOOLS = Path(sys.executable).parent
TS = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="de_DE">
<context><name>MainWindow</name>
<message><source>Knowledge base</source><translation>Wissensdatenbank</translation></message>
<message><source>New case</source><translation>Neuer Fall</translation></message>
</context>
</TS>
"""


def _tool(name: str) -> str:
    path = TOOLS / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} is not installed with PySide6 here")
        return found
    return str(path)


def test_ui_strings_are_extractable(tmp_path: Path) -> None:
    ts = tmp_path / "all.ts"
    sources = sorted(str(p) for p in (REPO / "fieldsupport" / "ui").glob("*.py"))
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-ts", str(ts)], check=True)
    text = ts.read_text(encoding="utf-8")
    assert text.count("<source>") >= 150
    for phrase in ("Add to timeline", "Search cases", "Leave site", "Create article from"):
        assert phrase in text, phrase


def test_a_compiled_translation_is_used(qtbot: QtBot, tmp_path: Path, workspace: Workspace) -> None:
    (tmp_path / "fieldsupport_de.ts").write_text(TS, encoding="utf-8")
    subprocess.run(
        [_tool("pyside6-lrelease"), str(tmp_path / "fieldsupport_de.ts")],
        check=True,
        capture_output=True,
    )
    app = QApplication.instance()
    assert app is not None
    assert install_translator(app, "fr_FR", tmp_path) is None  # no French: English stays
    translator = install_translator(app, "de_AT", tmp_path)  # falls back to "de"
    assert translator is not None
    try:
        window = MainWindow(workspace)
        qtbot.addWidget(window)
        labels = [window.nav.item(i).text() for i in range(window.nav.count())]
        assert "Wissensdatenbank" in labels and "All cases" in labels
        assert window.new_case_action.text() == "Neuer Fall"
        qtbot.waitUntil(lambda: not window.cases.jobs.busy, timeout=10_000)
    finally:
        app.removeTranslator(translator)
