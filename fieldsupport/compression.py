"""zstd, streaming, for snapshots (docs/sync-protocol.md, section 14): through the
``zstandard`` package where it is installed (development installs, Windows, macOS), else
through the system's ``libzstd`` (the Linux bundle: every Debian/Ubuntu system has it, dpkg
needs it, so the bundle does not carry a second copy). Both write and check the frame's
content checksum, and each reads what the other writes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from collections.abc import Callable
from functools import cache
from typing import Any, BinaryIO, Protocol

READ_BYTES = 1024 * 1024
OUT_BYTES = 1024 * 1024


class CompressionError(Exception):
    """Bytes that are not a zstd stream, a checksum that does not match, or no zstd here."""


class Decompressor(Protocol):
    def decompress(self, data: bytes) -> bytes: ...


def backend() -> str:
    """``zstandard`` or ``libzstd`` (raises :class:`CompressionError` if neither)."""
    try:
        import zstandard  # noqa: F401
    except ImportError:
        _libzstd()
        return "libzstd"
    return "zstandard"


def decompressor(use: str | None = None) -> Decompressor:
    """A streaming decompressor: feed it the compressed bytes in pieces, get the bytes."""
    if (use or backend()) == "zstandard":
        import zstandard

        return _Checked(zstandard.ZstdDecompressor().decompressobj(), zstandard.ZstdError)
    return _LibDecompressor(_libzstd())


def compress_stream(
    source: BinaryIO, write: Callable[[bytes], Any], level: int, use: str | None = None
) -> None:
    """Compress all of ``source`` into one frame with its checksum, handing the compressed
    bytes to ``write`` piece by piece (on as many threads as the machine has cores)."""
    if (use or backend()) == "zstandard":
        import zstandard

        compressor = zstandard.ZstdCompressor(level=level, threads=-1, write_checksum=True)
        with compressor.stream_writer(_Sink(write), closefd=False) as out:
            while piece := source.read(READ_BYTES):
                out.write(piece)
        return
    _lib_compress(_libzstd(), source, write, level)


class _Checked:
    def __init__(self, inner: Any, error: type[Exception]) -> None:
        self._inner = inner
        self._error = error

    def decompress(self, data: bytes) -> bytes:
        try:
            return bytes(self._inner.decompress(data))
        except self._error as exc:
            raise CompressionError(str(exc)) from exc


class _Sink:
    def __init__(self, write: Callable[[bytes], Any]) -> None:
        self._write = write

    def write(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)

    def flush(self) -> None:
        return None


# -- the system's libzstd through ctypes ------------------------------------------------------


class _InBuffer(ctypes.Structure):
    _fields_ = [("src", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


class _OutBuffer(ctypes.Structure):
    _fields_ = [("dst", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


_C_LEVEL, _C_CHECKSUM, _C_WORKERS = 100, 201, 400  # ZSTD_cParameter values (zstd.h)
_E_CONTINUE, _E_END = 0, 2  # ZSTD_EndDirective


@cache
def _libzstd() -> Any:
    name = ctypes.util.find_library("zstd") or "libzstd.so.1"
    try:
        lib = ctypes.CDLL(name)
    except OSError as exc:
        raise CompressionError(
            "Neither the zstandard package nor the system's libzstd is installed."
        ) from exc
    size_t, pointer = ctypes.c_size_t, ctypes.c_void_p
    signatures = {
        "ZSTD_createDStream": ([], pointer),
        "ZSTD_freeDStream": ([pointer], size_t),
        "ZSTD_initDStream": ([pointer], size_t),
        "ZSTD_decompressStream": (
            [pointer, ctypes.POINTER(_OutBuffer), ctypes.POINTER(_InBuffer)],
            size_t,
        ),
        "ZSTD_createCCtx": ([], pointer),
        "ZSTD_freeCCtx": ([pointer], size_t),
        "ZSTD_CCtx_setParameter": ([pointer, ctypes.c_int, ctypes.c_int], size_t),
        "ZSTD_compressStream2": (
            [pointer, ctypes.POINTER(_OutBuffer), ctypes.POINTER(_InBuffer), ctypes.c_int],
            size_t,
        ),
        "ZSTD_isError": ([size_t], ctypes.c_uint),
        "ZSTD_getErrorName": ([size_t], ctypes.c_char_p),
    }
    for function, (arguments, result) in signatures.items():
        getattr(lib, function).argtypes = arguments
        getattr(lib, function).restype = result
    return lib


def _address(data: bytes) -> int | None:
    """Where the bytes object keeps its bytes (read only, no copy; valid while it lives)."""
    return ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value


def _check(lib: Any, code: int) -> int:
    if lib.ZSTD_isError(code):
        raise CompressionError(lib.ZSTD_getErrorName(code).decode("ascii", "replace"))
    return code


class _LibDecompressor:
    def __init__(self, lib: Any) -> None:
        self._lib = lib
        self._stream = lib.ZSTD_createDStream()
        if not self._stream:
            raise CompressionError("libzstd could not make a decompression stream")
        _check(lib, lib.ZSTD_initDStream(self._stream))
        self._out = ctypes.create_string_buffer(OUT_BYTES)

    def decompress(self, data: bytes) -> bytes:
        given = _InBuffer(_address(data), len(data), 0)
        out = _OutBuffer(ctypes.cast(self._out, ctypes.c_void_p), OUT_BYTES, 0)
        pieces = []
        while True:
            out.pos = 0
            _check(self._lib, self._lib.ZSTD_decompressStream(self._stream, out, given))
            pieces.append(ctypes.string_at(self._out, out.pos))
            if given.pos == given.size and out.pos < out.size:
                return b"".join(pieces)

    def __del__(self) -> None:
        if getattr(self, "_stream", None):
            self._lib.ZSTD_freeDStream(self._stream)


def _lib_compress(lib: Any, source: BinaryIO, write: Callable[[bytes], Any], level: int) -> None:
    context = lib.ZSTD_createCCtx()
    if not context:
        raise CompressionError("libzstd could not make a compression context")
    try:
        _check(lib, lib.ZSTD_CCtx_setParameter(context, _C_LEVEL, level))
        _check(lib, lib.ZSTD_CCtx_setParameter(context, _C_CHECKSUM, 1))
        # more workers where the library was built with threads (Debian's is); else one
        lib.ZSTD_CCtx_setParameter(context, _C_WORKERS, 2)
        buffer = ctypes.create_string_buffer(OUT_BYTES)
        out = _OutBuffer(ctypes.cast(buffer, ctypes.c_void_p), OUT_BYTES, 0)
        while True:
            piece = source.read(READ_BYTES)
            directive = _E_CONTINUE if piece else _E_END
            given = _InBuffer(_address(piece), len(piece), 0)
            while True:
                out.pos = 0
                left = _check(lib, lib.ZSTD_compressStream2(context, out, given, directive))
                if out.pos:
                    write(ctypes.string_at(buffer, out.pos))
                done = given.pos == given.size if piece else left == 0
                if done:
                    break
            if not piece:
                return
    finally:
        lib.ZSTD_freeCCtx(context)
