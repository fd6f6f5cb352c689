"""Marks drawn on a photo (arrows, rectangles, ellipses, freehand lines, text labels) and
their rendering into a new image with Pillow (no Qt).

Marks are vector data kept as JSON on the annotated copy, so they can be edited again later
and rendered at any size. Every coordinate is a fraction of the *upright* photo's width or
height (0..1): the marks fit the photo however large it is shown or rendered. Sizes (stroke
width, text height) are fractions of the photo's long edge.

A mark::

    {"kind": "arrow", "colour": "#e53935", "width": 0.006, "points": [[0.1, 0.2], [0.4, 0.5]]}
    {"kind": "text", "colour": "#ffeb3b", "size": 0.045, "points": [[0.1, 0.1]], "text": "Leak"}

Arrows go from their first point (tail) to their second (head); rectangles and ellipses are
spanned by two opposite corners; freehand lines are the points in order; a text label's one
point is its top-left corner.
"""

from __future__ import annotations

import io
import math
import re
from dataclasses import dataclass
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from fieldsupport.errors import ValidationError
from fieldsupport.media.images import REPORT_EDGE, REPORT_QUALITY, THUMB_EDGE, THUMB_QUALITY

KINDS = ("arrow", "rectangle", "ellipse", "freehand", "text")
TWO_POINT_KINDS = ("arrow", "rectangle", "ellipse")
MAX_MARKS = 300
MAX_FREEHAND_POINTS = 5000
MAX_TEXT = 200
DEFAULT_WIDTH = 0.006  # ~10 px on a 1600 px copy: visible in the report, not clumsy
DEFAULT_TEXT_SIZE = 0.045
WIDTH_RANGE = (0.001, 0.05)
TEXT_SIZE_RANGE = (0.01, 0.25)
ANNOTATED_QUALITY = 90  # the annotated image is itself a source (its copies are made from it)
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


def _number(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{what} must be a number.")
    number = float(value)
    if not math.isfinite(number):
        raise ValidationError(f"{what} must be a finite number.")
    return number


def _point(value: object, what: str) -> list[float]:
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValidationError(f"{what} must be a pair of coordinates.")
    x, y = (_number(v, what) for v in value)
    # marks may start a little outside the photo (a finger overshoots the edge): clamp
    return [min(max(x, 0.0), 1.0), min(max(y, 0.0), 1.0)]


def _check_mark(raw: object, number: int) -> dict[str, Any]:
    what = f"Mark {number}"
    if not isinstance(raw, dict):
        raise ValidationError(f"{what} is not a mark.")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ValidationError(f"{what}: unknown kind {kind!r} (one of {', '.join(KINDS)}).")
    colour = raw.get("colour", "#e53935")
    if not isinstance(colour, str) or not _COLOUR.match(colour):
        raise ValidationError(f"{what}: colour must look like #rrggbb (got {colour!r}).")
    points_raw = raw.get("points")
    if not isinstance(points_raw, list | tuple):
        raise ValidationError(f"{what}: points are missing.")
    if kind == "freehand" and len(points_raw) > MAX_FREEHAND_POINTS:
        raise ValidationError(
            f"{what}: a freehand line has at most {MAX_FREEHAND_POINTS:,} points "
            f"(got {len(points_raw):,})."
        )
    points = [_point(p, f"{what}: point {i + 1}") for i, p in enumerate(points_raw)]
    wanted = {"text": 1, **dict.fromkeys(TWO_POINT_KINDS, 2)}.get(kind)
    if wanted is not None and len(points) != wanted:
        article = "an" if kind[0] in "aeiou" else "a"
        plural = "s" if wanted > 1 else ""
        raise ValidationError(
            f"{what}: {article} {kind} needs {wanted} point{plural}, got {len(points)}."
        )
    if kind == "freehand" and len(points) < 2:
        raise ValidationError(f"{what}: a freehand line needs at least 2 points.")
    mark: dict[str, Any] = {"kind": kind, "colour": colour.lower(), "points": points}
    if kind == "text":
        text = raw.get("text")
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(f"{what}: a text label needs some text.")
        if len(text) > MAX_TEXT:
            raise ValidationError(
                f"{what}: a text label is at most {MAX_TEXT} characters (got {len(text)})."
            )
        size = _number(raw.get("size", DEFAULT_TEXT_SIZE), f"{what}: text size")
        if not TEXT_SIZE_RANGE[0] <= size <= TEXT_SIZE_RANGE[1]:
            raise ValidationError(f"{what}: text size {size:g} is out of range.")
        mark["text"] = text.strip()
        mark["size"] = size
    else:
        width = _number(raw.get("width", DEFAULT_WIDTH), f"{what}: line width")
        if not WIDTH_RANGE[0] <= width <= WIDTH_RANGE[1]:
            raise ValidationError(f"{what}: line width {width:g} is out of range.")
        mark["width"] = width
    return mark


def check_marks(raw: object) -> list[dict[str, Any]]:
    """The marks, cleaned (clamped to the photo, colours lower-case), or a readable refusal."""
    if not isinstance(raw, list | tuple):
        raise ValidationError("The marks must be a list.")
    if not raw:
        raise ValidationError("Draw at least one mark (or remove the marks instead).")
    if len(raw) > MAX_MARKS:
        raise ValidationError(f"At most {MAX_MARKS} marks on one photo (got {len(raw)}).")
    return [_check_mark(mark, i + 1) for i, mark in enumerate(raw)]


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _outline_for(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """Black around light text, white around dark text: readable on any photo."""
    luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    return (0, 0, 0) if luminance > 140 else (255, 255, 255)


def draw_marks(image: Image.Image, marks: list[dict[str, Any]]) -> Image.Image:
    """A copy of ``image`` (RGB) with the marks drawn on it."""
    result = image.convert("RGB")  # always a new image: the caller's stays untouched
    draw = ImageDraw.Draw(result)
    w, h = result.size
    edge = max(w, h)

    def px(point: list[float]) -> tuple[float, float]:
        return point[0] * (w - 1), point[1] * (h - 1)

    for mark in marks:
        rgb = _rgb(mark["colour"])
        points = [px(p) for p in mark["points"]]
        kind = mark["kind"]
        if kind == "text":
            size = max(8, round(mark["size"] * edge))
            font = ImageFont.load_default(size=size)
            draw.text(
                points[0],
                mark["text"],
                fill=rgb,
                font=font,
                stroke_width=max(1, size // 14),
                stroke_fill=_outline_for(rgb),
            )
            continue
        line = max(1, round(mark["width"] * edge))
        if kind in ("rectangle", "ellipse"):
            (x0, y0), (x1, y1) = points
            box = (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))
            shape = draw.rectangle if kind == "rectangle" else draw.ellipse
            shape(box, outline=rgb, width=line)
        elif kind == "freehand":
            draw.line(points, fill=rgb, width=line, joint="curve")
        else:
            _arrow(draw, points[0], points[1], rgb, line)
    return result


def _arrow(
    draw: ImageDraw.ImageDraw,
    tail: tuple[float, float],
    head: tuple[float, float],
    rgb: tuple[int, int, int],
    line: int,
) -> None:
    angle = math.atan2(head[1] - tail[1], head[0] - tail[0])
    length = math.dist(tail, head)
    barb = min(max(5.0 * line, 16.0), max(length * 0.6, 1.0))
    # the shaft stops inside the head so its square end does not poke through the tip
    shaft_end = (head[0] - math.cos(angle) * barb * 0.6, head[1] - math.sin(angle) * barb * 0.6)
    draw.line([tail, shaft_end], fill=rgb, width=line)
    spread = math.radians(28)
    wings = [
        (head[0] - barb * math.cos(angle - spread), head[1] - barb * math.sin(angle - spread)),
        (head[0] - barb * math.cos(angle + spread), head[1] - barb * math.sin(angle + spread)),
    ]
    draw.polygon([head, *wings], fill=rgb)


@dataclass(frozen=True)
class Annotated:
    """An annotated photo ready for the blob store: the image itself and its copies."""

    jpeg: bytes
    report_jpeg: bytes
    thumbnail_jpeg: bytes
    width: int
    height: int


def _jpeg(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)  # no EXIF: nothing (no GPS) is carried over
    return out.getvalue()


def render_annotated(upright_jpeg: bytes, marks: list[dict[str, Any]]) -> Annotated:
    """Draw ``marks`` on an upright photo (its report-size copy) and make the copies.

    The source bytes are only read; the photo's original file is never touched.
    """
    with Image.open(io.BytesIO(upright_jpeg)) as source:
        source.load()
        base = source.convert("RGB")
    if max(base.size) > REPORT_EDGE:
        base.thumbnail((REPORT_EDGE, REPORT_EDGE), Image.Resampling.BICUBIC)
    marked = draw_marks(base, check_marks(marks))
    thumb = marked.copy()
    thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.BICUBIC, reducing_gap=2.0)
    return Annotated(
        jpeg=_jpeg(marked, ANNOTATED_QUALITY),
        report_jpeg=_jpeg(marked, REPORT_QUALITY),
        thumbnail_jpeg=_jpeg(thumb, THUMB_QUALITY),
        width=marked.width,
        height=marked.height,
    )
