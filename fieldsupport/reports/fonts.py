"""The report's TrueType font.

The 14 standard PDF fonts cover Latin-1 only: a Polish "ł", a Turkish "ş", Greek or Cyrillic
names would come out as black boxes. DejaVu Sans (shipped in ``resources/fonts``, free
licence beside it) covers all of them and is embedded, subset, in every report.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from fieldsupport.errors import FieldSupportError
from fieldsupport.resources import resource_path

FAMILY = "DejaVuSans"


@dataclass(frozen=True)
class ReportFonts:
    regular: str
    bold: str
    italic: str


_FILES = {
    "regular": ("DejaVuSans", "fonts/DejaVuSans.ttf"),
    "bold": ("DejaVuSans-Bold", "fonts/DejaVuSans-Bold.ttf"),
    "italic": ("DejaVuSans-Oblique", "fonts/DejaVuSans-Oblique.ttf"),
}
_lock = threading.Lock()
_registered: ReportFonts | None = None


def report_fonts() -> ReportFonts:
    """Register the fonts with ReportLab once per process and return their names."""
    global _registered
    with _lock:
        if _registered is not None:
            return _registered
        for name, relative in _FILES.values():
            path = resource_path(relative)
            if path is None:
                raise FieldSupportError(
                    f"The report font {relative} is missing from this installation; "
                    "reinstall FieldSupport."
                )
            pdfmetrics.registerFont(TTFont(name, str(path)))
        regular, bold, italic = (_FILES[k][0] for k in ("regular", "bold", "italic"))
        # so <b> and <i> inside paragraphs pick the right faces
        addMapping(FAMILY, 0, 0, regular)
        addMapping(FAMILY, 1, 0, bold)
        addMapping(FAMILY, 0, 1, italic)
        addMapping(FAMILY, 1, 1, bold)
        _registered = ReportFonts(regular, bold, italic)
        return _registered
