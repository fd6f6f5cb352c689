"""Originals that leave the device without the places they were taken (no Qt).

Phones write GPS positions into a photo's EXIF (and sometimes its XMP). A company may not
want customer sites' coordinates on the server, so the copy of an original that is uploaded
can have them removed. This is done *in place, byte for byte*: the GPS values are overwritten
with zeros and the GPS directory emptied, XMP GPS fields blanked with spaces, nothing moves.
So the pixels are the very same (no re-encoding, no loss), the orientation and every other
tag stay, every format keeps its structure (JPEG, PNG, HEIC) and the result is the same bytes
each time (an interrupted upload resumes with the same hash).
"""

from __future__ import annotations

import re
import struct
import zlib

from fieldsupport.errors import ValidationError

# Workspace setting: strip GPS from the originals that leave the device (on unless a
# company's policy wants the positions on the server). Read by the photo service (Settings)
# and by sync (sync/privacy.py).
STRIP_GPS_SETTING = "privacy.strip_gps_outgoing"
GPS_IFD_TAG = 0x8825
# bytes per value of each TIFF field type (BYTE, ASCII, SHORT, LONG, RATIONAL, SBYTE,
# UNDEFINED, SSHORT, SLONG, SRATIONAL, FLOAT, DOUBLE, IFD)
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_EXIF_HEADER = b"Exif\x00\x00"
_XMP_HEADERS = (b"http://ns.adobe.com/xap/1.0/\x00", b"http://ns.adobe.com/xmp/extension/\x00")
# XMP GPS fields as attributes (exif:GPSLatitude="50,40.2N") or elements; any prefix
# (exif:, exifEX:, drone-dji:GpsLatitude ...)
_XMP_GPS_ATTRIBUTE = re.compile(rb'([\w-]+:gps\w*\s*=\s*)(["\'])(.*?)\2', re.IGNORECASE | re.DOTALL)
_XMP_GPS_ELEMENT = re.compile(
    rb"(<([\w-]+:gps\w*)(?:\s[^>]*)?>)(.*?)(</\2>)", re.IGNORECASE | re.DOTALL
)
_XMP_PACKET = re.compile(rb"<x:xmpmeta.*?</x:xmpmeta>", re.DOTALL)
# a JPEG start-of-image marker and the next marker's 0xFF: re's literal search runs through
# a 3 MB photo's coded data 1.5-3x faster than bytes.find (many 0xFF bytes there)
_START_OF_IMAGE = re.compile(rb"\xff\xd8\xff")


def without_gps(data: bytes) -> bytes:
    """The photo's bytes with every GPS position removed (see the module's notes); ``data``
    itself, not a copy, when there is none (most photos: cheap to ask on every sync)."""
    data = bytes(data)  # no copy of bytes; a bytearray must not change under us
    if data[:2] == b"\xff\xd8":
        return _jpeg(data)
    if data[:8] == _PNG_SIGNATURE:
        stripped = _png(bytearray(data))
    elif data[4:8] == b"ftyp":  # HEIC/HEIF (ISO base media file)
        buffer = bytearray(data)
        _heif(buffer)
        stripped = bytes(buffer)
    else:
        raise ValidationError("Only JPEG, PNG and HEIC photos can have their positions removed.")
    return data if stripped == data else stripped


def _scrub_tiff(buffer: bytearray, start: int, end: int, *, wipe_damaged: bool = True) -> None:
    """Zero the GPS directory of the TIFF (EXIF) structure in ``buffer[start:end]``. A
    damaged structure is wiped whole (``wipe_damaged``) or refused."""
    order = bytes(buffer[start : start + 2])
    if order not in (b"II", b"MM") or end - start < 8:
        return
    endian = "<" if order == b"II" else ">"

    def read(fmt: str, offset: int) -> int:
        size = struct.calcsize(fmt)
        if offset < 0 or start + offset + size > end:
            raise _Malformed
        return int(struct.unpack_from(endian + fmt, buffer, start + offset)[0])

    def zero(offset: int, size: int) -> None:
        if offset < 0 or start + offset + size > end:
            raise _Malformed
        buffer[start + offset : start + offset + size] = bytes(size)

    try:
        if read("H", 2) != 42:
            return
        ifd0 = read("I", 4)
        gps = None
        for index in range(read("H", ifd0)):
            entry = ifd0 + 2 + 12 * index
            if read("H", entry) == GPS_IFD_TAG:
                gps = read("I", entry + 8)
        if gps is None:
            return
        count = read("H", gps)
        for index in range(count):
            entry = gps + 2 + 12 * index
            size = _TYPE_SIZE.get(read("H", entry + 2), 1) * read("I", entry + 4)
            if size > 4:  # the value lives elsewhere: wipe it there too
                zero(read("I", entry + 8), size)
        # no entries (count 0) and no next directory: an empty GPS directory, still valid
        zero(gps, 2 + 12 * count + 4)
    except _Malformed:
        if not wipe_damaged:
            raise ValidationError(
                "The photo's EXIF data is damaged, so its position cannot be removed safely."
            ) from None
        # a damaged EXIF block of known size: nothing in it can be trusted; none of it leaves
        buffer[start:end] = bytes(end - start)


class _Malformed(Exception):
    pass


def _blank_xmp(buffer: bytearray, start: int, end: int) -> None:
    """Overwrite XMP GPS values in ``buffer[start:end]`` with spaces (same length)."""
    segment = bytes(buffer[start:end])

    def attribute(match: re.Match[bytes]) -> bytes:
        return match.group(1) + match.group(2) + b" " * len(match.group(3)) + match.group(2)

    def element(match: re.Match[bytes]) -> bytes:
        return match.group(1) + b" " * len(match.group(3)) + match.group(4)

    blanked = _XMP_GPS_ELEMENT.sub(element, _XMP_GPS_ATTRIBUTE.sub(attribute, segment))
    assert len(blanked) == len(segment)
    buffer[start:end] = blanked


def _jpeg(data: bytes) -> bytes:
    # A JPEG may hold more images after the first (MPO: a phone's HDR gain map or depth
    # map, a stereo camera's second view; appended ones that no MPF directory lists: Google's
    # GContainer), each with metadata segments of its own that can carry a position too.
    # Their scans cannot contain a start-of-image marker (a 0xFF byte in coded data is
    # always followed by 0x00 or a restart marker), so each next image is found by it, in
    # the whole rest of the file. Only APP1 segments (EXIF, XMP) are ever changed: each is
    # scrubbed in a copy of its own, and the file is copied once, only if one changed.
    edits: list[tuple[int, bytes]] = []
    offset = 2
    while True:
        stop = _jpeg_headers(data, offset, edits)
        following = _START_OF_IMAGE.search(data, stop)
        if following is None:
            break
        offset = following.start() + 2
    if not edits:
        return data
    buffer = bytearray(data)
    for start, replacement in edits:
        buffer[start : start + len(replacement)] = replacement
    return bytes(buffer)


def _jpeg_headers(data: bytes, offset: int, edits: list[tuple[int, bytes]]) -> int:
    """Scrub one image's metadata segments, from just after its start-of-image marker, into
    ``edits`` (where, new bytes); returns where they end (its scan)."""
    while offset + 4 <= len(data):
        if data[offset] != 0xFF:
            break
        marker = data[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            offset += 2
            continue
        if marker in (0xDA, 0xD9):  # start of scan / end: no metadata after this
            break
        length = struct.unpack_from(">H", data, offset + 2)[0]
        body, end = offset + 4, min(offset + 2 + length, len(data))
        if marker == 0xE1:
            original = data[body:end]
            segment = bytearray(original)
            if original[:6] == _EXIF_HEADER:
                _scrub_tiff(segment, 6, len(segment))
            elif any(original.startswith(h) for h in _XMP_HEADERS):
                _blank_xmp(segment, 0, len(segment))
            if segment != original:
                edits.append((body, bytes(segment)))
        offset = end
    return offset


def _png(buffer: bytearray) -> bytes:
    out = bytearray(_PNG_SIGNATURE)
    offset = 8
    while offset + 12 <= len(buffer):
        length = struct.unpack_from(">I", buffer, offset)[0]
        kind = bytes(buffer[offset + 4 : offset + 8])
        body, end = offset + 8, offset + 8 + length
        if end + 4 > len(buffer):
            break
        chunk = bytearray(buffer[body:end])
        keep = True
        if kind == b"eXIf":
            _scrub_tiff(chunk, 0, len(chunk))
        elif kind in (b"iTXt", b"tEXt", b"zTXt"):
            keyword = bytes(chunk.split(b"\x00", 1)[0])
            if keyword.startswith(b"Raw profile type"):
                keep = False  # EXIF hex-encoded in text (ImageMagick): drop it whole
            elif keyword == b"XML:com.adobe.xmp":
                if (
                    kind == b"iTXt"
                    and len(chunk) > len(keyword) + 1
                    and chunk[len(keyword) + 1] == 0
                ):
                    _blank_xmp(chunk, 0, len(chunk))
                else:
                    keep = False  # compressed XMP: cannot be blanked in place
        if keep:
            out += struct.pack(">I", length) + kind + chunk
            out += struct.pack(">I", zlib.crc32(kind + chunk) & 0xFFFFFFFF)
        offset = end + 4
    out += buffer[offset:]
    return bytes(out)


def _heif(buffer: bytearray) -> None:
    # The Exif item of a HEIF file is "Exif\0\0" + a TIFF structure somewhere in the file's
    # data; its XMP is a plain-text packet. Both are found by their markers.
    data = bytes(buffer)
    for match in re.finditer(re.escape(_EXIF_HEADER) + rb"(?=II\*\x00|MM\x00\*)", data):
        # the item's end is not known here: a damaged block is refused, never wiped to the end
        _scrub_tiff(buffer, match.end(), len(buffer), wipe_damaged=False)
    for match in _XMP_PACKET.finditer(data):
        _blank_xmp(buffer, match.start(), match.end())
