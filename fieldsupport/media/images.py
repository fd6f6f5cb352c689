"""Reading photos and making their upright copies (Pillow; no Qt).

Speed matters on a field laptop (the goal: a camera folder of 12-megapixel JPEGs at 15
photos a second or more on two cores): a JPEG is decoded at a reduced scale
(``Image.draft``: the decoder's scaled IDCT skips detail it would throw away) - the largest
reduction that still covers the 1600 px copy - then scaled to it with a bilinear filter, and
only the reduced image is turned upright per its EXIF orientation (a transposition, no
resampling). The thumbnail is made from that upright copy. Nothing here writes to disk:
callers get bytes.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from PIL import Image, UnidentifiedImageError

REPORT_EDGE = 1600
THUMB_EDGE = 256
REPORT_QUALITY = 80
THUMB_QUALITY = 75
# A photo larger than this is refused before decoding: a 20,000 x 20,000 "image" of a few
# kilobytes (a decompression bomb) would otherwise take gigabytes of memory.
MAX_PIXELS = 120_000_000
# The most pixels a photo is decoded at for the full-size viewer (~200 MB at 4 bytes a pixel):
# a 48 or 50 MP phone photo whole, a 108 or 200 MP one reduced to this.
FULL_MAX_PIXELS = 50_000_000
ACCEPTED_FORMATS = {
    "JPEG": "image/jpeg",
    # a JPEG holding more images after the photo (Pillow calls it MPO): a phone's HDR gain
    # map or depth map, a stereo camera's second view. The photo is the first image.
    "MPO": "image/jpeg",
    "PNG": "image/png",
    "HEIF": "image/heic",
}

# EXIF tags
ORIENTATION = 0x0112
DATETIME_ORIGINAL = 0x9003
OFFSET_TIME_ORIGINAL = 0x9011
EXIF_IFD = 0x8769
GPS_IFD = 0x8825

# EXIF orientation -> the transposition that makes the picture upright
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
# After the JPEG's draft decoding a copy is scaled down by less than 2x (12 MP: 2000 -> 1600
# px): there a bilinear filter (widened with the reduction, so every source pixel counts) is
# as close to a Lanczos copy of the full image as bicubic (0.3 dB less, before the JPEG
# encoding that dominates the difference) in two thirds of the time.
_FILTER = Image.Resampling.BILINEAR


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
    with open(source, "rb") as head:
        if head.read(12)[4:8] == b"ftyp":  # ISO media file: HEIC/HEIF (iPhone)
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


def check(source: Path) -> None:
    """Refuse (ImageRefused) a file that is not a photo we import, from its header only (a
    large file that is no photo is not read)."""
    _open(source).close()


def _facts(image: Image.Image, exif: Image.Exif) -> PhotoFacts:
    gps = exif.get_ifd(GPS_IFD)
    width, height = image.size
    if exif.get(ORIENTATION, 1) in (5, 6, 7, 8):
        width, height = height, width
    return PhotoFacts(
        media_type=ACCEPTED_FORMATS[str(image.format)],
        width=width,
        height=height,
        taken_at=_taken_at(exif),
        latitude=_gps_degrees(gps.get(2), gps.get(1)) if gps else None,
        longitude=_gps_degrees(gps.get(4), gps.get(3)) if gps else None,
    )


def facts(source: Path) -> PhotoFacts:
    """What the photo's header and EXIF say (no pixels decoded)."""
    image = _open(source)
    try:
        return _facts(image, image.getexif())
    finally:
        image.close()


def fit(size: tuple[int, int], edge: int) -> tuple[int, int]:
    """``size`` scaled down (never up) so its long edge is ``edge``, aspect kept."""
    width, height = size
    if max(width, height) <= edge:
        return size
    if width >= height:
        return edge, max(1, round(height * edge / width))
    return max(1, round(width * edge / height)), edge


def _encode(image: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    # baseline, no optimize pass, no exif (no GPS leaves), no ICC profile
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()


def _opaque(image: Image.Image) -> Image.Image:
    """The decoded picture as 8-bit RGB or grey, as it looks: transparent parts on white (a
    PNG drawing or a cut-out would otherwise come out black, its black lines invisible) and
    a 16-bit grey PNG (a thermal camera's, a scanner's) scaled to 8 bits, not clipped white."""
    if image.mode in ("RGB", "L") and "transparency" not in image.info:
        return image
    if image.mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        high = image.getextrema()[1]
        scale = 255 / 65535 if image.mode != "I" or int(high) > 255 else 1.0
        return image.convert("I").point(lambda value: value * scale).convert("L")
    if image.mode in ("RGBA", "LA", "La", "RGBa", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    return image.convert("RGB")


def _upright_rgb(image: Image.Image, exif: Image.Exif, size: tuple[int, int]) -> Image.Image:
    """The picture decoded (a draft already set), at ``size`` in its stored orientation, 8-bit
    RGB as it looks, then turned upright: only the reduced image is ever rotated."""
    try:
        image.load()
    except (OSError, SyntaxError) as exc:
        raise ImageRefused(f"damaged or truncated file ({exc})") from None
    picture = _opaque(image)
    if picture.size != size:
        picture = picture.resize(size, _FILTER, reducing_gap=2.0)
    if picture.mode != "RGB":
        picture = picture.convert("RGB")
    turn = _UPRIGHT.get(exif.get(ORIENTATION, 1))
    return picture.transpose(turn) if turn is not None else picture


def derive(source: Path) -> Derived:
    """Facts, an upright report-size JPEG and an upright thumbnail of one photo."""
    image = _open(source)
    try:
        exif = image.getexif()
        found = _facts(image, exif)
        size = fit(image.size, REPORT_EDGE)
        if image.format in ("JPEG", "MPO") and size != image.size:
            # the decoder reduces by 1/2, 1/4 or 1/8: the most that still leaves both sides
            # at least ``size``
            image.draft("RGB", size)
        upright = _upright_rgb(image, exif, size)
        thumb_size = fit(upright.size, THUMB_EDGE)
        thumb = upright.resize(thumb_size, _FILTER, reducing_gap=2.0)
        return Derived(found, _encode(upright, REPORT_QUALITY), _encode(thumb, THUMB_QUALITY))
    finally:
        image.close()


@dataclass(frozen=True)
class FullSize:
    """A photo decoded whole and upright: ``rgbx`` holds 4 bytes a pixel (R, G, B, 255), rows
    top to bottom. ``reduced``: fewer pixels than the photo has (more than the limit)."""

    width: int
    height: int
    rgbx: bytes
    reduced: bool = False


def upright_full(
    source: Path,
    *,
    draw: Callable[[Image.Image], Image.Image] | None = None,
    max_pixels: int = FULL_MAX_PIXELS,
) -> FullSize:
    """The whole photo upright per its EXIF orientation, as it looks (transparent parts on
    white, as in its copies), at full size - or reduced to ``max_pixels`` - with ``draw``
    (marks, see media.annotate) applied to the upright image. For the full-size viewer, in a
    worker: a 12 MP photo takes ~0.5 s and ~130 MB at the peak. Raises ImageRefused for a
    file that is not a readable photo (damaged, truncated)."""
    image = _open(source)
    try:
        exif = image.getexif()
        width, height = image.size
        size = image.size
        if width * height > max_pixels:
            factor = (max_pixels / (width * height)) ** 0.5
            size = (max(1, int(width * factor)), max(1, int(height * factor)))
            if image.format in ("JPEG", "MPO"):
                image.draft("RGB", size)
        full = _upright_rgb(image, exif, size)
        if draw is not None:
            full = draw(full)
        # bytes made before the file's image is closed (``full`` may be that very image)
        return FullSize(
            full.width, full.height, full.tobytes("raw", "RGBX"), size != (width, height)
        )
    finally:
        image.close()
