"""The house rules on dependencies (DESIGN.md, "Architecture"), checked on the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "fieldsupport"
QT_MODULES = ("PySide6", "shiboken6", "PyQt5", "PyQt6")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(*, inside_ui: bool) -> list[Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    return [f for f in files if (f.relative_to(PACKAGE).parts[0] == "ui") == inside_ui]


def test_the_rule_checker_sees_the_code() -> None:
    # guards the guards: an empty file list would make every rule below pass vacuously
    assert len(_modules(inside_ui=False)) > 20
    assert any("PySide6.QtWidgets" in _imports(f) for f in _modules(inside_ui=True))


def test_nothing_outside_ui_imports_qt() -> None:
    offenders = {
        str(f.relative_to(PACKAGE)): sorted(n for n in _imports(f) if n.startswith(QT_MODULES))
        for f in _modules(inside_ui=False)
    }
    offenders = {k: v for k, v in offenders.items() if v}
    assert offenders == {}


def test_nothing_outside_ui_imports_the_ui() -> None:
    offenders = [
        str(f.relative_to(PACKAGE))
        for f in _modules(inside_ui=False)
        if any(n.startswith("fieldsupport.ui") for n in _imports(f))
        and f.name != "cli.py"  # the CLI opens the app lazily, inside the gui command
    ]
    assert offenders == []


def test_widgets_never_run_sql() -> None:
    forbidden = ("sqlalchemy", "sqlite3", "fieldsupport.models", "fieldsupport.store.engine")
    # the domain's vocabulary (plain StrEnums) is shared by every layer
    allowed = ("fieldsupport.models.enums",)
    offenders = {
        str(f.relative_to(PACKAGE)): sorted(
            n for n in _imports(f) if n.startswith(forbidden) and not n.startswith(allowed)
        )
        for f in _modules(inside_ui=True)
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_core_layers_import_without_loading_qt() -> None:
    """Transitive check: importing every non-UI module must not pull in Qt."""
    names = [
        ".".join(f.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        for f in _modules(inside_ui=False)
        if "migrations" not in f.parts and f.name != "__main__.py"
    ]
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n    importlib.import_module(name)\n"
        f"loaded = [m for m in sys.modules if m.split('.')[0] in {QT_MODULES!r}]\n"
        "print(len(sys.modules), loaded)\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
