"""What the installers rely on: the self-test command, third-party notices, the About dialog,
version numbers kept in step, and installer/bundle_checks.py's own tools. The bundle itself
is built, self-tested and checked by `make installer`, which .ci/run runs after the tests;
the bundle checks here run only where a bundle has been built (build/dist)."""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from pytestqt.qtbot import QtBot

from fieldsupport import __version__
from fieldsupport.notices import notices_text, runtime_distributions
from fieldsupport.ui.about_dialog import AboutDialog

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "build" / "dist" / "fieldsupport"


def _load_bundle_checks() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bundle_checks", REPO / "installer" / "bundle_checks.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_checks = _load_bundle_checks()
linux_tools = pytest.mark.skipif(
    not sys.platform.startswith("linux") or not (shutil.which("strip") and shutil.which("ldd")),
    reason="ELF tools (strip, readelf, ldd): Linux only",
)


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
        "ok    camera support",
        "ok    embedded server",
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


def _qt_file(*parts: str) -> Path:
    import PySide6

    return Path(PySide6.__file__).parent.joinpath(*parts)


@linux_tools
def test_strip_only_touches_binaries_with_symbol_tables(tmp_path: Path) -> None:
    import pillow_heif

    libs = Path(pillow_heif.__file__).parent.parent / "pillow_heif.libs"
    with_symbols = next(libs.glob("libde265-*.so*"))  # the wheel ships its symbol table
    without = _qt_file("Qt", "lib", "libswresample.so.5")  # stripping it breaks it
    for source in (with_symbols, without):
        shutil.copy2(source, tmp_path / source.name)
    saved = bundle_checks.strip_symbols(tmp_path)
    stripped = tmp_path / with_symbols.name
    assert 0 < saved == with_symbols.stat().st_size - stripped.stat().st_size
    assert (tmp_path / without.name).read_bytes() == without.read_bytes()
    ctypes.CDLL(str(stripped))  # still a loadable library


@linux_tools
def test_link_check_names_a_library_missing_from_the_bundle(tmp_path: Path) -> None:
    plugin = _qt_file("Qt", "plugins", "multimedia", "libffmpegmediaplugin.so")
    target = tmp_path / "_internal" / "PySide6" / "Qt" / "plugins" / "multimedia"
    target.mkdir(parents=True)
    shutil.copy2(plugin, target)
    with pytest.raises(bundle_checks.BundleCheckError) as failure:
        bundle_checks.check_links(tmp_path)
    # the camera backend links Qt Quick: a spec that leaves it out must fail the build
    assert "libffmpegmediaplugin.so needs" in str(failure.value)
    assert "libQt6Quick.so.6" in str(failure.value)


needs_bundle = pytest.mark.skipif(
    not bundle_checks.executable(DIST).exists(),
    reason="no bundle in build/dist: `make installer` builds one (CI runs it after the tests)",
)


@needs_bundle
@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name, _check in bundle_checks.BUNDLE_CHECKS])
def test_built_bundle(name: str) -> None:
    check = dict(bundle_checks.BUNDLE_CHECKS)[name]
    assert check(DIST)
