"""What the installers rely on: the self-test command, third-party notices, the About dialog,
version numbers kept in step, and installer/bundle_checks.py's own tools. The bundle itself
is built, self-tested and checked by `make installer`, which .ci/run runs after the tests;
the bundle checks here run only where a bundle has been built (build/dist)."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from fieldsupport import __version__
from fieldsupport.notices import notices_text, runtime_distributions
from fieldsupport.ui.about_dialog import AboutDialog
from fieldsupport.ui.photo_camera import camera_support_problem
from tests import installer_modules
from tests.installer_modules import bundle_checks, trim_libraries

REPO = Path(__file__).resolve().parent.parent
DIST = REPO / "build" / "dist" / "fieldsupport"


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
    # a development install without the system's PulseAudio client skips the camera (and
    # says which library); where Qt Multimedia loads, the check must pass
    camera = "skip " if camera_support_problem() else "ok   "
    assert [line.split(":")[0] for line in lines[1:-1]] == [
        "ok    resources",
        "ok    workspace",
        "ok    demo data",
        "ok    photo import",
        "ok    photo annotation",
        "ok    main window",
        "ok    service report",
        "ok    text services",
        f"{camera} camera support",
        "ok    embedded server",
        "ok    first sync",
    ]
    if camera.startswith("skip"):
        assert "libpulse" in result.stdout
        assert lines[-1] == "all checks passed (1 skipped)"
    else:
        assert lines[-1] == "all checks passed"


def test_notices_cover_the_runtime_and_only_it() -> None:
    names = {d.metadata["Name"].lower() for d in runtime_distributions()}
    assert {"pyside6", "sqlalchemy", "alembic", "reportlab", "pillow", "platformdirs"} <= names
    assert not names & {"pytest", "hypothesis", "ruff", "pyinstaller"}  # build/test only
    # HEIC is read through pi-heif; pillow-heif (GPLv2 x265 encoder) only writes test files
    assert "pi_heif" in {n.replace("-", "_") for n in names}
    assert not {"pillow-heif", "pillow_heif"} & names
    text = notices_text()
    assert re.search(r"^SQLAlchemy [\d.]+ — MIT$", text, re.MULTILINE)
    assert re.search(r"^PySide6 [\d.]+ — LGPL-3.0", text, re.MULTILINE)
    assert "Permission is hereby granted" in text  # licence texts, not just names
    assert "libde265" in text and "x265" not in text


def test_bundle_notices_leave_out_what_the_bundle_does_not_carry() -> None:
    """The bundle has no secretstorage (its keyring backend is sync/secret_service.py), so
    no cryptography, cffi or pycparser either: its notices name none of them."""
    build = installer_modules.load("build")
    names = {d.metadata["Name"].lower() for d in runtime_distributions(leave_out=build.NOT_BUNDLED)}
    assert not names & {"secretstorage", "cryptography", "cffi", "pycparser"}
    assert {"keyring", "jeepney", "httpx", "pyside6"} <= names
    text = notices_text(leave_out=build.NOT_BUNDLED)
    assert re.search(r"^jeepney [\d.]+ — MIT$", text, re.MULTILINE)
    assert not re.search(r"^(cryptography|cffi|SecretStorage) ", text, re.MULTILINE)
    if sys.platform.startswith("linux"):  # keyring needs secretstorage on Linux only
        assert re.search(r"^cryptography ", notices_text(), re.MULTILINE)


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


def test_reports_work_when_home_is_a_file(tmp_path: Path) -> None:
    """ReportLab looks for ~/.reportlab_mods when imported; with HOME set to a file (as
    /dev/null is for some service accounts) it stopped with NotADirectoryError."""
    home = tmp_path / "home"
    home.write_text("not a folder")
    pdf = tmp_path / "out.pdf"
    code = (
        "import sys; from fieldsupport.reports import pdf; "
        "from reportlab.pdfgen.canvas import Canvas; "
        "c = Canvas(sys.argv[1]); c.drawString(72, 72, 'ok'); c.save()"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(pdf)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr
    assert pdf.read_bytes().startswith(b"%PDF")


binutils = pytest.mark.skipif(
    trim_libraries.tools_missing() is not None,
    reason=f"stand-in libraries: {trim_libraries.tools_missing()}",
)
_SELF_TEST_CHECK = (
    "import sys; from pathlib import Path; from fieldsupport.ui import self_test; "
    "print(getattr(self_test, sys.argv[1])(Path('.'))); "
    "maps = Path('/proc/self/maps').read_text(); "
    "print(sorted({l.split()[-1] for l in maps.splitlines() if sys.argv[2] in l}))"
)


def _self_test_check_with(libraries: Path, check: str) -> str:
    """One self-test check in a process whose Qt loads ``libraries`` first; its output,
    which ends with the paths of those libraries the process mapped."""
    result = subprocess.run(
        [sys.executable, "-c", _SELF_TEST_CHECK, check, str(libraries)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=libraries,
        env={**os.environ, "LD_LIBRARY_PATH": str(libraries), "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@binutils
@pytest.mark.slow
def test_trimmed_icu_data_serves_what_qt_asks_for(tmp_path: Path) -> None:
    original = _qt_file("Qt", "lib", "libicudata.so.73")
    if not original.exists():
        pytest.skip("this PySide6 wheel carries another ICU version")
    trimmed, saved = trim_libraries.trimmed_icu_data(original, tmp_path)
    assert saved > 10e6 and trimmed.stat().st_size < original.stat().st_size - 10e6
    _symbol, data = trim_libraries.icu_common_data(trimmed)
    trees = {name.split("/")[1] for name, _item in trim_libraries.icu_entries(data)}
    assert "coll" in trees and "zone" in trees and not trees & {"brkitr", "lang", "unit"}
    assert "cnvalias.icu" in trees and not trees & {"unames.icu", "rfc3491.spp", "confusables.cfu"}
    # collation, time-zone names, codecs, case mapping through Qt, with the trimmed copy
    output = _self_test_check_with(tmp_path, "_check_text_services")
    assert str(trimmed) in output.splitlines()[-1]


@binutils
@pytest.mark.slow
def test_quick_stand_ins_let_the_camera_backend_load(tmp_path: Path) -> None:
    qt_lib = _qt_file("Qt", "lib")
    plugin = _qt_file("Qt", "plugins", "multimedia", "libffmpegmediaplugin.so")
    if problem := camera_support_problem():
        pytest.skip(f"Qt Multimedia does not load on this machine: {problem}")
    stand_ins = trim_libraries.quick_stand_ins(qt_lib, [plugin], tmp_path)
    assert sum(p.stat().st_size for p in stand_ins.values()) < 100_000
    output = _self_test_check_with(tmp_path, "_check_camera")
    assert "backend loaded" in output
    assert str(stand_ins["libQt6Quick.so.6"]) in output.splitlines()[-1]
    # a binary that uses more of Qt Quick keeps the real libraries
    bindings = _qt_file("QtQuick.abi3.so")
    if bindings.exists():
        with pytest.raises(trim_libraries.TrimError, match="QtQuick.abi3.so"):
            trim_libraries.quick_stand_ins(qt_lib, [bindings], tmp_path / "refused")


def _pillow_file(pattern: str) -> Path:
    import PIL

    return next(Path(PIL.__file__).parent.parent.glob(pattern))  # PIL/, pillow.libs/


def _from_the_system(name: str) -> Path | None:  # as installer/fieldsupport.spec asks
    if name not in bundle_checks.STANDS_IN_FOR_PRIVATE_COPIES:
        return None
    return trim_libraries.system_library(name)


_MAPPED = "import ctypes, sys; ctypes.CDLL(sys.argv[1]); print(open('/proc/self/maps').read())"


@binutils
@linux_tools
def test_private_copies_give_way_to_the_systems_library(tmp_path: Path) -> None:
    """Pillow's own libxcb and libXau, zstd and xz leave: _imaging and libtiff link the
    system's libraries by name instead (the files otherwise byte for byte the same size)."""
    wanted = ("libxcb.so.1", "libXau.so.6", "libzstd.so.1", "liblzma.so.5")
    if any(_from_the_system(name) is None for name in wanted):
        pytest.skip("libxcb, libXau, zstd or xz is not installed here")
    imaging = _pillow_file("PIL/_imaging.cpython-*.so")
    copies = [
        _pillow_file(f"pillow.libs/{name}-*.so*")
        for name in ("libxcb", "libXau", "libtiff", "libzstd", "liblzma", "libjpeg", "libopenjp2")
    ]
    binaries = [(f"PIL/{imaging.name}", str(imaging), "EXTENSION")]
    binaries += [(f"pillow.libs/{copy.name}", str(copy), "BINARY") for copy in copies]
    result, left_out, stayed = trim_libraries.one_copy_each(binaries, _from_the_system, tmp_path)
    assert {Path(d).name.split("-")[0] for d, _s, _k in left_out} == {
        "libxcb",
        "libXau",
        "libzstd",
        "liblzma",
    }
    assert stayed == {}  # libjpeg-turbo, OpenJPEG: the bundle takes neither from the system
    sources = {Path(d).name.split("-")[0].split(".")[0]: Path(s) for d, s, _k in result}
    assert sources["libjpeg"] == copies[5]  # links nothing that left: untouched
    imaging_needs = bundle_checks.needed_libraries(sources["_imaging"])
    assert "libxcb.so.1" in imaging_needs and copies[0].name not in imaging_needs
    assert sources["_imaging"].stat().st_size == imaging.stat().st_size
    tiff_needs = bundle_checks.needed_libraries(sources["libtiff"])
    assert {"libzstd.so.1", "liblzma.so.5"} <= tiff_needs
    assert not {copies[3].name, copies[4].name} & tiff_needs
    # the rewritten libtiff loads the system's zstd and xz (its xz version needs named so)
    loaded = subprocess.run(
        [sys.executable, "-c", _MAPPED, str(sources["libtiff"])],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "LD_LIBRARY_PATH": str(copies[0].parent)},
    )
    assert loaded.returncode == 0, loaded.stderr
    for name in ("libzstd.so.1", "liblzma.so.5"):
        assert str(_from_the_system(name).resolve()) in loaded.stdout  # type: ignore[union-attr]


@binutils
def test_a_copy_stays_where_the_library_lacks_a_symbol(tmp_path: Path) -> None:
    tiff = _pillow_file("pillow.libs/libtiff-*.so*")
    zstd = _pillow_file("pillow.libs/libzstd-*.so*")
    not_zstd = trim_libraries.system_library("libm.so.6")
    assert not_zstd is not None
    with pytest.raises(trim_libraries.TrimError, match="ZSTD_"):
        trim_libraries.check_provides(tiff, zstd, not_zstd)
    binaries = [(f"pillow.libs/{lib.name}", str(lib), "BINARY") for lib in (tiff, zstd)]
    result, left_out, stayed = trim_libraries.one_copy_each(
        binaries, lambda name: not_zstd if name == "libzstd.so.1" else None, tmp_path
    )
    assert (result, left_out) == (binaries, [])
    assert "ZSTD_" in stayed[zstd.name]


@binutils
def test_needed_names_are_rewritten_in_place_or_not_at_all(tmp_path: Path) -> None:
    tiff = _pillow_file("pillow.libs/libtiff-*.so*")
    zstd = _pillow_file("pillow.libs/libzstd-*.so*").name
    with pytest.raises(trim_libraries.TrimError, match="longer"):
        trim_libraries.needed_replaced(tiff, {zstd: "lib" + "z" * len(zstd)}, tmp_path / "a")
    with pytest.raises(trim_libraries.TrimError, match="does not link libnothing"):
        trim_libraries.needed_replaced(tiff, {"libnothing.so.1": "x"}, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    out = trim_libraries.needed_replaced(tiff, {zstd: "libzstd.so.1"}, tmp_path / tiff.name)
    before, after = tiff.read_bytes(), out.read_bytes()
    assert len(before) == len(after)
    changed = [i for i, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
    assert changed and changed[-1] - changed[0] < len(zstd)  # that one name only
    assert trim_libraries.library_name(zstd) == "libzstd.so.1"
    assert trim_libraries.library_name("libQt6Core.so.6") is None


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
