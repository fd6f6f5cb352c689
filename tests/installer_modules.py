"""installer/'s modules for the tests (installer/ is not a package: the build runs its
files as scripts), each loaded once."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

INSTALLER = Path(__file__).resolve().parent.parent / "installer"


def load(name: str) -> ModuleType:
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, INSTALLER / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # trim_libraries imports bundle_checks
    spec.loader.exec_module(module)
    return module


bundle_checks = load("bundle_checks")
trim_libraries = load("trim_libraries")
