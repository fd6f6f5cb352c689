"""zstd for snapshots (fieldsupport.compression): the zstandard package and the system's
libzstd through ctypes (what the Linux bundle uses) each read what the other writes, in
pieces of any size, and refuse damaged or foreign bytes."""

from __future__ import annotations

import ctypes.util
import io
import os
import random

import pytest

from fieldsupport import compression

HAS_LIBZSTD = bool(ctypes.util.find_library("zstd"))
BACKENDS = [
    "zstandard",
    pytest.param("libzstd", marks=pytest.mark.skipif(not HAS_LIBZSTD, reason="no system libzstd")),
]


def _data() -> bytes:
    """Compressible and incompressible parts, several MB: several output buffers' worth."""
    rng = random.Random(7)
    text = b"".join(f"case {i:06d}: pump leaks at the gland\n".encode() for i in range(60_000))
    return text + rng.randbytes(1_500_000) + text[:500_000]


def _pack(data: bytes, use: str) -> bytes:
    out: list[bytes] = []
    compression.compress_stream(io.BytesIO(data), out.append, 3, use=use)
    return b"".join(out)


@pytest.mark.parametrize("writer", BACKENDS)
@pytest.mark.parametrize("reader", BACKENDS)
def test_each_reads_what_the_other_writes_in_pieces(writer: str, reader: str) -> None:
    data = _data()
    packed = _pack(data, writer)
    assert len(packed) < len(data) / 2
    unpack = compression.decompressor(reader)
    pieces = [1, 17, 4096, 65_536, 1_000_003]
    got, at, n = [], 0, 0
    while at < len(packed):
        size = pieces[n % len(pieces)]
        got.append(unpack.decompress(packed[at : at + size]))
        at, n = at + size, n + 1
    assert b"".join(got) == data


@pytest.mark.parametrize("use", BACKENDS)
def test_damage_and_foreign_bytes_are_refused(use: str) -> None:
    packed = bytearray(_pack(_data(), "zstandard"))
    packed[len(packed) // 2] ^= 0x40  # inside the incompressible part: only the checksum tells
    with pytest.raises(compression.CompressionError):
        compression.decompressor(use).decompress(bytes(packed))
    with pytest.raises(compression.CompressionError):
        compression.decompressor(use).decompress(os.urandom(1000))


@pytest.mark.parametrize("use", BACKENDS)
def test_an_empty_stream_makes_a_valid_empty_frame(use: str) -> None:
    packed = _pack(b"", use)
    assert packed and compression.decompressor(use).decompress(packed) == b""


def test_the_installed_backend_is_named() -> None:
    assert compression.backend() in {"zstandard", "libzstd"}
