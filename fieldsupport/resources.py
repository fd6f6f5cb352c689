"""Locating the files in the repository's ``resources/`` folder at run time.

Development and editable installs read them from the source tree; a PyInstaller bundle
carries them next to the executable (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from pathlib import Path


def resource_roots() -> list[Path]:
    roots = []
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        roots.append(Path(bundle) / "resources")
    roots.append(Path(__file__).resolve().parent.parent / "resources")
    return roots


def resource_path(relative: str) -> Path | None:
    """The resource's path, or None where it is not shipped (callers degrade gracefully)."""
    for root in resource_roots():
        candidate = root / relative
        if candidate.is_file():
            return candidate
    return None
