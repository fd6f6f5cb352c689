"""Smaller stand-ins for two sets of Qt's libraries in the Linux bundle, made at build time
from the wheel's own files by installer/fieldsupport.spec (x86-64 Linux; needs binutils,
which the build already uses to strip; without them the spec keeps the originals and says
so).

- ICU's data library (``libicudata.so.NN``, 32 MB): Qt Core calls ICU for collation
  (QCollator, the file dialog's sorting), text codecs (QStringDecoder by name), locale case
  mapping and time-zone names, and nothing else (``nm -D libQt6Core.so.6``: ``ucol_*``,
  ``ucnv_*``, ``u_strTo{Upper,Lower}``, ``ucal_*``). The copy leaves out the data trees none
  of those read (:data:`ICU_UNUSED_TREES`: break iterators and their dictionaries,
  transliteration, units, currencies, language and region names, spelled-out numbers),
  ~15 MB, and keeps everything else. The self-test's "text services" check exercises each
  of the four from the bundle.
- Qt Quick and QML (16.5 MB with their helpers): only the camera's ffmpeg plugin links them,
  for exactly two symbols (:data:`QUICK_SYMBOLS`) used to capture a Qt Quick window, of
  which this widgets app has none: ``qobject_cast<QQuickWindow *>`` compares against
  ``QQuickWindow::staticMetaObject`` (never a match), and ``grabWindow`` is only called
  after a match (the stand-in returns a null image, which the plugin checks for). The
  stand-ins define those two symbols and nothing else; if the plugin of a newer Qt uses more
  of Qt Quick or QML, :func:`quick_stand_ins` refuses and the real libraries stay.
"""

from __future__ import annotations

import itertools
import platform
import re
import shutil
import struct
import subprocess
from collections.abc import Iterable
from pathlib import Path

from bundle_checks import needed_libraries

ICU_UNUSED_TREES = ("brkitr", "curr", "lang", "rbnf", "region", "translit", "unit")
QUICK_SYMBOLS = {"_ZN12QQuickWindow10grabWindowEv", "_ZN12QQuickWindow16staticMetaObjectE"}
QUICK_LIBRARY = "libQt6Quick.so.6"
QML_LIBRARY = "libQt6Qml.so.6"
# libQt6Quick, libQt6Qml and their helpers (QmlModels, QmlMeta, ...), which only the real
# libQt6Quick links
QUICK_FAMILY = re.compile(r"^libQt6(Qml|Quick)\w*\.so\.6$")
_ICU_DATA_SYMBOL = re.compile(r"^icudt\d+_dat$")
_ALIGN = 16  # ICU data items and the common data itself are 16-byte aligned


class TrimError(Exception):
    pass


def tools_missing() -> str | None:
    """Why the stand-ins cannot be made here, or None."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        return f"made for x86-64 Linux only, not {platform.system()} {platform.machine()}"
    missing = [tool for tool in ("nm", "readelf", "as", "ld") if shutil.which(tool) is None]
    return f"{', '.join(missing)} (binutils) not found" if missing else None


def _run(command: list[str], cwd: Path | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise TrimError(f"{' '.join(command)}: {result.stderr.strip()}")
    return result.stdout


def _dynamic_symbols(library: Path, *, defined: bool) -> dict[str, int]:
    """Dynamic symbol names (version suffix dropped) and, for defined ones, their sizes."""
    flag = "--defined-only" if defined else "--undefined-only"
    symbols = {}
    for line in _run(["nm", "-D", "-S", flag, str(library)]).splitlines():
        fields = line.split()
        if not fields:
            continue
        name = fields[-1].split("@")[0]
        size = int(fields[1], 16) if defined and len(fields) == 4 else 0
        symbols[name] = size
    return symbols


def _file_offset(elf: bytes, address: int) -> int:
    """Where a virtual address of a 64-bit little-endian ELF file lies in the file."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise TrimError("not a 64-bit little-endian ELF file")
    phoff = struct.unpack_from("<Q", elf, 0x20)[0]
    phentsize, phnum = struct.unpack_from("<HH", elf, 0x36)
    for index in range(phnum):
        p_type, _flags, offset, vaddr, _paddr, filesz = struct.unpack_from(
            "<IIQQQQ", elf, phoff + index * phentsize
        )
        if p_type == 1 and vaddr <= address < vaddr + filesz:  # PT_LOAD
            return address - vaddr + offset
    raise TrimError(f"address {address:#x} is in no loaded segment")


def icu_common_data(library: Path) -> tuple[str, bytes]:
    """The symbol name and bytes of the ICU common data that ``libicudata`` carries."""
    found = [
        (name, size)
        for name, size in _dynamic_symbols(library, defined=True).items()
        if _ICU_DATA_SYMBOL.match(name)
    ]
    if len(found) != 1:
        raise TrimError(f"{library.name}: expected one icudtNN_dat symbol, found {found}")
    name, size = found[0]
    address = int(
        next(
            line.split()[0]
            for line in _run(["nm", "-D", "--defined-only", str(library)]).splitlines()
            if line.split()[-1] == name
        ),
        16,
    )
    elf = library.read_bytes()
    start = _file_offset(elf, address)
    return name, elf[start : start + size]


def icu_entries(data: bytes) -> list[tuple[str, bytes]]:
    """The items of ICU common data ("CmnD": header, then a table of contents of name and
    data offsets counted from the table's start), in the table's (sorted-by-name) order."""
    header_size = struct.unpack_from("<H", data, 0)[0]
    if data[2:4] != b"\xda\x27" or data[12:16] != b"CmnD" or data[8] != 0 or data[16] != 1:
        raise TrimError("not little-endian ICU common data (CmnD, format 1)")
    toc = data[header_size:]
    count = struct.unpack_from("<I", toc, 0)[0]
    pairs = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    starts = [*sorted(offset for _name, offset in pairs), len(toc)]
    ends = dict(itertools.pairwise(starts))
    entries = []
    for name_offset, data_offset in pairs:
        name = toc[name_offset : toc.index(b"\0", name_offset)].decode("ascii")
        entries.append((name, toc[data_offset : ends[data_offset]]))
    return entries


def icu_common_data_of(header: bytes, entries: list[tuple[str, bytes]]) -> bytes:
    """ICU common data made of ``header`` and ``entries`` (names sorted as ICU's binary
    search expects; items 16-byte aligned, as ICU's own tools lay them out)."""
    entries = sorted(entries, key=lambda entry: entry[0].encode("ascii"))
    names = b"".join(name.encode("ascii") + b"\0" for name, _item in entries)
    table_size = 4 + 8 * len(entries)
    name_offsets, position = [], table_size
    for name, _item in entries:
        name_offsets.append(position)
        position += len(name) + 1
    position += -position % _ALIGN
    items, data_offsets = bytearray(), []
    for _name, item in entries:
        data_offsets.append(position + len(items))
        items += item + b"\0" * (-len(item) % _ALIGN)
    table = struct.pack("<I", len(entries)) + b"".join(
        struct.pack("<II", n, d) for n, d in zip(name_offsets, data_offsets, strict=True)
    )
    toc = table + names
    toc += b"\0" * (-len(toc) % _ALIGN)
    return header + toc + bytes(items)


def _link(out: Path, soname: str, assembly: str, extra: list[str] | None = None) -> Path:
    """A shared library named ``soname`` from x86-64 assembly (``extra``: more ld
    arguments)."""
    work = out.parent
    source = work / f"{soname}.s"
    source.write_text(assembly + '\n\t.section .note.GNU-stack,"",@progbits\n', encoding="ascii")
    obj = work / f"{soname}.o"
    _run(["as", "--64", "-o", str(obj), str(source)], cwd=work)  # .incbin reads from work
    link = ["ld", "-shared", "-z", "noexecstack", "-soname", soname, "-o", str(out), str(obj)]
    _run(link + (extra or []))
    return out


def trimmed_icu_data(library: Path, work: Path) -> tuple[Path, int]:
    """``libicudata.so.NN`` without :data:`ICU_UNUSED_TREES`, in ``work``; and the bytes
    left out."""
    symbol, data = icu_common_data(library)
    entries = icu_entries(data)
    kept = [(n, item) for n, item in entries if n.split("/")[1] not in ICU_UNUSED_TREES]
    header = data[: struct.unpack_from("<H", data, 0)[0]]
    trimmed = icu_common_data_of(header, kept)
    if icu_entries(trimmed) != sorted(kept, key=lambda e: e[0].encode("ascii")):
        raise TrimError("the trimmed ICU data does not read back")
    work.mkdir(parents=True, exist_ok=True)
    blob = work / f"{symbol}.bin"
    blob.write_bytes(trimmed)
    assembly = (
        f"\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n"
        f'\t.balign {_ALIGN}\n{symbol}:\n\t.incbin "{blob.name}"\n'
        f"\t.size {symbol}, . - {symbol}\n"
    )
    out = _link(work / library.name, library.name, assembly)
    return out, len(data) - len(trimmed)


def quick_stand_ins(qt_lib: Path, binaries: Iterable[Path], work: Path) -> dict[str, Path]:
    """Stand-ins for libQt6Quick.so.6 and libQt6Qml.so.6 (name -> path in ``work``), given
    the bundle's other ``binaries``; TrimError when one of those needs more of them than
    :data:`QUICK_SYMBOLS` (the real libraries must stay then)."""
    quick = _dynamic_symbols(qt_lib / QUICK_LIBRARY, defined=True)
    qml = _dynamic_symbols(qt_lib / QML_LIBRARY, defined=True)
    for binary in binaries:
        if QUICK_FAMILY.match(binary.name):
            continue
        needed = needed_libraries(binary)
        family = {n for n in needed if QUICK_FAMILY.match(n)}
        if not family:
            continue
        if family - {QUICK_LIBRARY, QML_LIBRARY}:
            raise TrimError(f"{binary.name} links {', '.join(sorted(family))}")
        imports = set(_dynamic_symbols(binary, defined=False))
        from_quick, from_qml = imports & set(quick), imports & set(qml)
        if from_quick - QUICK_SYMBOLS or from_qml:
            more = sorted((from_quick - QUICK_SYMBOLS) | from_qml)
            raise TrimError(f"{binary.name} uses {', '.join(more[:5])}")
    work.mkdir(parents=True, exist_ok=True)
    version_script = work / "qt6.map"
    version_script.write_text("Qt_6 { global: *; };\n", encoding="ascii")
    grab = "_ZN12QQuickWindow10grabWindowEv"
    meta = "_ZN12QQuickWindow16staticMetaObjectE"
    meta_size = quick.get(meta) or 48  # sizeof(QMetaObject)
    # grabWindow() returns a QImage in the slot %rdi points to (Itanium C++ ABI): construct a
    # null image there and return the slot's address
    quick_assembly = (
        f"\t.text\n\t.globl {grab}\n\t.type {grab}, @function\n{grab}:\n"
        "\tpushq %rdi\n\tcall _ZN6QImageC1Ev@PLT\n\tpopq %rax\n\tret\n"
        f"\t.size {grab}, . - {grab}\n"
        f"\t.section .rodata\n\t.globl {meta}\n\t.type {meta}, @object\n\t.balign 16\n"
        f"{meta}:\n\t.zero {meta_size}\n\t.size {meta}, {meta_size}\n"
    )
    gui = qt_lib / "libQt6Gui.so.6"
    versions = ["--version-script", str(version_script)]  # every symbol at Qt_6, as in Qt
    link_with_gui = [*versions, "-rpath", "$ORIGIN", "-rpath-link", str(qt_lib), str(gui)]
    return {
        QUICK_LIBRARY: _link(work / QUICK_LIBRARY, QUICK_LIBRARY, quick_assembly, link_with_gui),
        QML_LIBRARY: _link(work / QML_LIBRARY, QML_LIBRARY, "", versions),
    }
