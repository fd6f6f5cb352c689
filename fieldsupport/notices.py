"""Third-party notices: the name, version, licence and licence text of every distribution
the app runs on, from the installed packages' own metadata. The installer writes them into
the bundle (THIRD-PARTY-NOTICES.txt); the About dialog shows the same text."""

from __future__ import annotations

import re
from collections.abc import Collection
from importlib import metadata
from pathlib import Path

ROOT_DISTRIBUTION = "fieldsupport"
_LICENSE_FILE = re.compile(r"(^|/)(LICEN[CS]E|COPYING|NOTICE)[^/]*$", re.IGNORECASE)
# Requirement markers like `extra == "test"`: those are not part of the running app.
_EXTRA_MARKER = re.compile(r"extra\s*==")


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[(]", requirement.strip(), maxsplit=1)[0].lower()


def _key(name: str) -> str:
    return name.replace("_", "-").lower()


def runtime_distributions(
    root: str = ROOT_DISTRIBUTION, leave_out: Collection[str] = ()
) -> list[metadata.Distribution]:
    """The root distribution's runtime dependencies, recursively (extras left out), without
    the distributions in ``leave_out`` and what only they depend on (what a bundle does
    not carry)."""
    seen: dict[str, metadata.Distribution] = {}
    left_out = {_key(name) for name in leave_out}
    pending = [root]
    while pending:
        name = pending.pop()
        key = _key(name)
        if key in seen or key in left_out:
            continue
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency that is not installed on this platform
        seen[key] = dist
        for requirement in dist.requires or []:
            marker = requirement.partition(";")[2]
            if _EXTRA_MARKER.search(marker):
                continue
            try:
                from packaging.requirements import Requirement

                if marker and not Requirement(requirement).marker.evaluate():  # type: ignore[union-attr]
                    continue
            except ImportError:
                pass
            pending.append(_name(requirement))
    seen.pop(root, None)
    return sorted(seen.values(), key=lambda d: d.metadata["Name"].lower())


def _licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    declared = (meta.get("License") or "").strip()
    if declared and len(declared) < 100:
        return declared
    classifiers = [
        c.split("::")[-1].strip()
        for c in meta.get_all("Classifier") or []
        if c.startswith("License")
    ]
    return ", ".join(classifiers) or "see the licence text"


def notices_text(root: str = ROOT_DISTRIBUTION, leave_out: Collection[str] = ()) -> str:
    """The notices of the app's runtime; ``leave_out``: distributions (and what only they
    depend on) that the build does not ship."""
    import platform

    python = platform.python_version()
    parts = [
        "FieldSupport includes the following third-party components.\n",
        f"\n{'=' * 78}\nPython {python} — PSF-2.0 "
        "(https://docs.python.org/3/license.html)\n" + "=" * 78 + "\n",
    ]
    for dist in runtime_distributions(root, leave_out):
        name, version = dist.metadata["Name"], dist.version
        parts.append(f"\n{'=' * 78}\n{name} {version} — {_licence(dist)}\n{'=' * 78}\n")
        for file in dist.files or []:
            if _LICENSE_FILE.search(str(file)):
                try:
                    raw = Path(str(file.locate())).read_bytes()
                    text = raw.decode("utf-8", errors="replace")
                except OSError:
                    continue
                parts.append(f"\n--- {file.name} ---\n{text.strip()}\n")
    # files shipped in resources/ under their own licences (the report font)
    from fieldsupport.resources import resource_path

    fonts = resource_path("fonts/LICENSE")
    if fonts is not None:
        parts.append(
            f"\n{'=' * 78}\nDejaVu fonts (resources/fonts) — Bitstream Vera / DejaVu licence "
            f"(free)\n{'=' * 78}\n{fonts.read_text(encoding='utf-8', errors='replace').strip()}\n"
        )
    return "".join(parts)


def main() -> None:
    """``python -m fieldsupport.notices OUT``: write the notices file (used by the installer)."""
    import sys

    Path(sys.argv[1]).write_text(notices_text(), encoding="utf-8")


if __name__ == "__main__":
    main()
