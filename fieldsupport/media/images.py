"""Reading photos and making their upright copies (Pillow; no Qt).

Speed matters on a field laptop: a 12-megapixel JPEG is decoded at a reduced scale
(``Image.draft``: the JPEG decoder skips detail it would throw away), and only the reduced
image is rotated per its EXIF orientation. Nothing here writes to disk: callers get bytes.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

REPORT_EDGE = 1600
THUMB_EDGE = 256
REPORT_QUALITY = 80
THUMB_QUALITY = 75
# A photo larger than this is refused before decoding: a 20,000 x 20,000 "image" of a few
# kilobytes (a decompression bomb) would otherwise take gigabytes of memory.
MAX_PIXELS = 120_000_000
ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "HEIF": "image/heic"}

# EXIF tags
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
EXIF_IFD = 0x8769
GPS_IFD = 0x8825


class ImageRefused(Exception):
    """The file cannot be imported as a photo; the message says why, for the summary."""


@dataclass(frozen=True)
class PhotoFacts:
    media_type: str
    width: int  # upright
    height: int
    taken_at: datetime | None
    latitude: float | None
    longitude: float | None


@dataclass(frozen=True)
class Derived:
    facts: PhotoFacts
    report_jpeg: bytes
    thumbnail_jpeg: bytes


_heif_registered = False


def _register_heif() -> None:
    """HEIC/HEIF (iPhone photos) through pi-heif: libheif with the libde265 decoder only.
    pillow-heif (same API) also carries the x265 encoder, GPLv2 and 21 MB, which the app
    never uses; the tests write HEIC files with it, and a development install made before
    the switch may have only that one."""
    global _heif_registered
    if not _heif_registered:
        try:
            from pi_heif import register_heif_opener
        except ImportError:
            try:
                from pillow_heif import register_heif_opener
            except ImportError:  # pragma: no cover - the dependency is declared
                return
        register_heif_opener()
        _heif_registered = True


def _gps_degrees(values: object, ref: object) -> float | None:
    try:
        d, m, s = (float(v) for v in values)  # type: ignore[union-attr]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if str(ref).upper() in ("S", "W"):
        degrees = -degrees
    return round(degrees, 7)


def _taken_at(exif: Image.Exif) -> datetime | None:
    ifd = exif.get_ifd(EXIF_IFD)
    text = ifd.get(DATETIME_ORIGINAL) or exif.get(0x0132)
    if not text:
        return None
    try:
        local = datetime.strptime(str(text).strip("\x00 "), "%Y:%m:%d %H:%M:%S")
    except ValueError:
        return None
    offset = ifd.get(OFFSET_TIME_ORIGINAL)
    if offset:
        try:
            sign = -1 if str(offset).startswith("-") else 1
            hours, minutes = str(offset).lstrip("+-").split(":")
            zone = timezone(sign * timedelta(hours=int(hours), minutes=int(minutes)))
            return local.replace(tzinfo=zone).astimezone(UTC)
        except ValueError:
            pass
    # No offset in the file: cameras write local time; take the laptop's zone (documented
    # choice - the engineer imports photos where they took them, in the great majority).
    return local.astimezone().astimezone(UTC)


def _open(source: Path) -> Image.Image:
    _register_heif()
    try:
        with warnings.catch_warnings():
            # Pillow warns above ~89 megapixels; we refuse above MAX_PIXELS ourselves (a
            # 108-megapixel phone photo is real), so its warning is not needed here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(source)
    except UnidentifiedImageError:
        raise ImageRefused("not an image (or a format we do not import)") from None
    except Image.DecompressionBombError:
        raise ImageRefused("image too large (more pixels than any camera makes)") from None
    if image.format not in ACCEPTED_FORMATS:
        image.close()
        raise ImageRefused(
            f"{image.format or 'unknown'} images are not imported (JPEG, PNG and HEIC are)"
        )
    if image.width * image.height > MAX_PIXELS:
        image.close()
        raise ImageRefused(
            f"image too large ({image.width} x {image.height} pixels; at most "
            f"{MAX_PIXELS // 1_000_000} megapixels)"
        )
    return image


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=False)  # no exif: no GPS leaves
    return out.getvalue()


def derive(source: Path) -> Derived:
    """Facts, an upright report-size JPEG and an upright thumbnail of one photo."""
    image = _open(source)
    try:
        exif = image.getexif()
        orientation = exif.get(ORIENTATION, 1)
        gps = exif.get_ifd(GPS_IFD)
        width, height = image.size
        if orientation in (5, 6, 7, 8):
            width, height = height, width
        facts = PhotoFacts(
            media_type=ACCEPTED_FORMATS[str(image.format)],
            width=width,
            height=height,
            taken_at=_taken_at(exif),
            latitude=_gps_degrees(gps.get(2), gps.get(1)) if gps else None,
            longitude=_gps_degrees(gps.get(4), gps.get(3)) if gps else None,
        )
        if image.format == "JPEG":
            # decode at 1/2, 1/4 or 1/8 scale: the largest reduction that still leaves the
            # long edge >= REPORT_EDGE (draft wants both sides of the box covered)
            scale = REPORT_EDGE / max(image.size)
            box = (max(1, int(image.width * scale)), max(1, int(image.height * scale)))
            image.draft("RGB", box)
        try:
            image.load()
        except (OSError, SyntaxError) as exc:
            raise ImageRefused(f"damaged or truncated file ({exc})") from None
        reduced = image.convert("RGB")
        reduced.thumbnail((REPORT_EDGE, REPORT_EDGE), Image.Resampling.BICUBIC, reducing_gap=2.0)
        reduced.info["exif"] = exif.tobytes()
        upright = ImageOps.exif_transpose(reduced)
        report = _encode(upright, REPORT_QUALITY)
        thumb = upright.copy()
        thumb.thumbnail((THUMB_EDGE, THUMB_EDGE), Image.Resampling.BICUBIC, reducing_gap=2.0)
        return Derived(facts, report, _encode(thumb, THUMB_QUALITY))
    finally:
        image.close()
