"""New files written durably (``store.durable.write_new_file``): on Linux past the page cache
with O_DIRECT from a reused aligned buffer, elsewhere or where the file system refuses it
the usual way; either way the file holds exactly the bytes given, whatever their pieces."""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from fieldsupport.store import durable

SEGMENT = durable._SEGMENT
SIZES = [0, 1, 4095, 4096, 4097, 65_537, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT + 12_345]


def _split(data: bytes) -> list[Any]:
    """The same bytes as pieces of every kind and size the server passes on."""
    first = min(7, len(data))
    second = max(first, len(data) // 3)
    return [data[:first], bytearray(data[first:second]), memoryview(data)[second:], b""]


@pytest.mark.parametrize("size", SIZES)
def test_file_holds_exactly_the_bytes_given(tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    for number, pieces in enumerate(
        ([data], _split(data), [data[i : i + 65_536] for i in range(0, size, 65_536)])
    ):
        path = tmp_path / f"blob-{number}"
        assert durable.write_new_file(path, pieces) == size
        assert path.read_bytes() == data
        assert path.stat().st_size == size  # the last block's padding is cut off again


def test_a_longer_file_is_replaced_whole(tmp_path: Path) -> None:
    path = tmp_path / "blob"
    path.write_bytes(b"x" * 100_000)
    assert durable.write_new_file(path, [b"short"]) == 5
    assert path.read_bytes() == b"short"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="O_DIRECT is Linux's")
def test_linux_writes_past_the_page_cache_from_one_reused_buffer(tmp_path: Path) -> None:
    opened: list[int] = []
    real_open = os.open

    def watching_open(path: Any, flags: int, *args: Any) -> int:
        opened.append(flags)
        return real_open(path, flags, *args)

    durable._buffers.clear()
    try:
        os.open = watching_open  # type: ignore[assignment]
        durable.write_new_file(tmp_path / "a", [os.urandom(3_000_000)])
        durable.write_new_file(tmp_path / "b", [os.urandom(3_000_000)])
    finally:
        os.open = real_open  # type: ignore[assignment]
    if os.stat(tmp_path).st_dev in durable._refusing_devices:
        pytest.skip("this file system does not take O_DIRECT")
    assert opened and all(flags & os.O_DIRECT for flags in opened)
    assert len(durable._buffers) == 1  # the second file reused the first one's buffer


def test_file_system_refusing_o_direct_gets_the_usual_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As FUSE and some network file systems answer: EINVAL when opening with O_DIRECT (and
    then the device is not asked again), or only when writing (the file is written anew)."""
    direct = getattr(os, "O_DIRECT", 0)
    calls: list[str] = []
    real_open, real_write = os.open, os.write

    def refusing_open(path: Any, flags: int, *args: Any) -> int:
        if direct and flags & direct:
            calls.append("direct open")
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", refusing_open)
    monkeypatch.setattr(durable, "_refusing_devices", set())
    data = os.urandom(SEGMENT + 5)
    for name in ("a", "b"):
        assert durable.write_new_file(tmp_path / name, [data]) == len(data)
        assert (tmp_path / name).read_bytes() == data
    assert calls == (["direct open"] if durable._DIRECT is not None else [])

    monkeypatch.setattr(os, "open", real_open)
    monkeypatch.setattr(durable, "_refusing_devices", set())
    writes = iter(range(1_000))

    def refusing_second_write(handle: int, payload: Any) -> int:
        if next(writes) == 1:  # the first segment went; the second is refused
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_write(handle, payload)

    monkeypatch.setattr(os, "write", refusing_second_write)
    assert durable.write_new_file(tmp_path / "c", [data]) == len(data)
    assert (tmp_path / "c").read_bytes() == data


def test_a_full_disk_is_not_taken_for_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(_handle: int, _payload: Any) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    monkeypatch.setattr(durable, "_refusing_devices", set())
    with pytest.raises(OSError) as raised:
        durable.write_new_file(tmp_path / "blob", [b"x" * 10_000])
    assert raised.value.errno == errno.ENOSPC
    assert durable._refusing_devices == set()
