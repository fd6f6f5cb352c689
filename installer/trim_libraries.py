"""Smaller stand-ins for libraries of the Linux bundle, made at build time from the wheels'
own files by installer/fieldsupport.spec (x86-64 Linux; needs binutils, which the build
already uses to strip; without them the spec keeps the originals and says so).

- ICU's data library (``libicudata.so.NN``, 32 MB): Qt Core calls ICU for collation
  (QCollator, the file dialog's sorting), text codecs (QStringDecoder by name), locale case
  mapping and time-zone names, and nothing else (``nm -D libQt6Core.so.6``: ``ucol_*``,
  ``ucnv_*``, ``u_strTo{Upper,Lower}``, ``ucal_*``). The copy leaves out the data trees none
  of those read (:data:`ICU_UNUSED_TREES`: break iterators and their dictionaries,
  transliteration, units, currencies, language and region names, spelled-out numbers;
  :data:`ICU_UNUSED_FILES`: character names, StringPrep profiles, confusables, which only
  character-name lookup, IDNA2003 and spoof checking read), ~15.8 MB, and keeps everything
  else. The self-test's "text services" check exercises each of the four from the bundle.
- Qt Quick and QML (16.5 MB with their helpers): only the camera's ffmpeg plugin links them,
  for exactly two symbols (:data:`QUICK_SYMBOLS`) used to capture a Qt Quick window, of
  which this widgets app has none: ``qobject_cast<QQuickWindow *>`` compares against
  ``QQuickWindow::staticMetaObject`` (never a match), and ``grabWindow`` is only called
  after a match (the stand-in returns a null image, which the plugin checks for). The
  stand-ins define those two symbols and nothing else; if the plugin of a newer Qt uses more
  of Qt Quick or QML, :func:`quick_stand_ins` refuses and the real libraries stay.
- One copy of each library (:func:`one_copy_each`): a wheel's private copy of a library
  that the bundle carries, or takes from the system anyway (Pillow's libxcb and libXau,
  zstd, xz, Brotli, libpng: installer/bundle_checks.py ``STANDS_IN_FOR_PRIVATE_COPIES``),
  leaves, and what linked it links that library instead (its NEEDED name rewritten in
  place, :func:`needed_replaced`), where the library defines every symbol and symbol
  version taken from the copy (:func:`check_provides`; else the copy stays).
"""

from __future__ import annotations

import functools
import itertools
import platform
import re
import shutil
import struct
import subprocess
from collections.abc import Callable, Iterable
from pathlib import Path

from bundle_checks import needed_libraries

ICU_UNUSED_TREES = ("brkitr", "curr", "lang", "rbnf", "region", "translit", "unit")
# u_charName/u_charFromName's names, usprep's StringPrep profiles, uspoof's confusables
ICU_UNUSED_FILES = re.compile(r"^[^/]+/(unames\.icu|[^/]+\.spp|[^/]+\.cfu)$")
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
    """``libicudata.so.NN`` without :data:`ICU_UNUSED_TREES` and :data:`ICU_UNUSED_FILES`,
    in ``work``; and the bytes left out."""
    symbol, data = icu_common_data(library)
    entries = icu_entries(data)
    kept = [
        (n, item)
        for n, item in entries
        if n.split("/")[1] not in ICU_UNUSED_TREES and not ICU_UNUSED_FILES.match(n)
    ]
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


# A wheel's private copy of a library: auditwheel names it <name>-<8 hex digits>.so.<N>...
_PRIVATE_COPY = re.compile(r"^(lib[\w+.-]+?)-[0-9a-f]{8}\.so\.(\d+)(\.[\d.]+)?$")
_SHT_DYNAMIC, _SHT_DYNSYM, _SHT_VERDEF, _SHT_VERNEED = 6, 11, 0x6FFFFFFD, 0x6FFFFFFE
# dynamic-section entries whose value is a name in the dynamic string table
_DT_NEEDED = 1
_DT_NAMES = {_DT_NEEDED, 14, 15, 29, 0x7FFFFFFD, 0x7FFFFFFF}  # + SONAME, (RUN)PATH, filters


def library_name(private_copy: str) -> str | None:
    """The library a wheel's private copy is of (``libxcb-9065bb12.so.1.1.0`` ->
    ``libxcb.so.1``), or None for a library of its own name."""
    match = _PRIVATE_COPY.match(private_copy)
    return f"{match[1]}.so.{match[2]}" if match else None


def system_library(name: str) -> Path | None:
    """The file the dynamic loader would load for ``name`` on this machine (ldconfig's
    cache), or None."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    try:
        cache = _run([ldconfig, "-p"])
    except (OSError, TrimError):
        return None
    for line in cache.splitlines():
        fields = line.split()
        if fields and fields[0] == name and "x86-64" in line and "=>" in fields:
            return Path(fields[-1])
    return None


def _sections(elf: bytes) -> list[tuple[int, ...]]:
    """Section headers of a 64-bit little-endian ELF file: (type, offset, size, link,
    info) each."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise TrimError("not a 64-bit little-endian ELF file")
    shoff = struct.unpack_from("<Q", elf, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    headers = []
    for index in range(shnum):
        fields = struct.unpack_from("<IIQQQQIIQQ", elf, shoff + index * shentsize)
        headers.append((fields[1], fields[4], fields[5], fields[6], fields[7]))
    return headers


def _dynamic_names(elf: bytes, sections: list[tuple[int, ...]], strtab: int) -> list[int]:
    """Every reference into the dynamic string table ``strtab`` (a section index): dynamic
    entries, dynamic symbols, version needs and definitions."""
    refs = []
    for kind, offset, size, link, info in sections:
        if link != strtab:
            continue
        if kind == _SHT_DYNAMIC:
            for at in range(offset, offset + size, 16):
                tag, value = struct.unpack_from("<qQ", elf, at)
                if tag in _DT_NAMES:
                    refs.append(value)
        elif kind == _SHT_DYNSYM:
            symbols = range(offset, offset + size, 24)
            refs += [struct.unpack_from("<I", elf, at)[0] for at in symbols]
        elif kind == _SHT_VERNEED:
            at = offset
            for _need in range(info):
                _version, count, file, aux, following = struct.unpack_from("<HHIII", elf, at)
                refs.append(file)
                entry = at + aux
                for _aux in range(count):
                    name, step = struct.unpack_from("<II", elf, entry + 8)
                    refs.append(name)
                    entry += step
                at += following
        elif kind == _SHT_VERDEF:
            at = offset
            for _definition in range(info):
                count, aux, following = struct.unpack_from("<6xHxxxxII", elf, at)
                entry = at + aux
                for _aux in range(count):
                    name, step = struct.unpack_from("<II", elf, entry)
                    refs.append(name)
                    entry += step
                at += following
    return refs


def needed_replaced(library: Path, replacements: dict[str, str], out: Path) -> Path:
    """A copy of ``library`` at ``out`` that links ``replacements``' values instead of its
    keys: each name rewritten in place in the dynamic string table (so the file keeps its
    layout and size), which its NEEDED entry and the version needs of that library share.
    Each new name must be no longer than the old one, and no other name may share the old
    one's bytes (a linker may merge a name into the tail of another)."""
    elf = bytearray(library.read_bytes())
    sections = _sections(elf)
    dynamic = [s for s in sections if s[0] == _SHT_DYNAMIC]
    if len(dynamic) != 1:
        raise TrimError(f"{library.name}: {len(dynamic)} dynamic sections")
    _kind, offset, size, strtab, _info = dynamic[0]
    strings = sections[strtab][1]
    refs = _dynamic_names(elf, sections, strtab)
    left = dict(replacements)
    for at in range(offset, offset + size, 16):
        tag, value = struct.unpack_from("<qQ", elf, at)
        if tag != _DT_NEEDED:
            continue
        start = strings + value
        old = bytes(elf[start : elf.index(b"\0", start)]).decode("ascii")
        new = left.pop(old, None)
        if new is None:
            continue
        if len(new) > len(old):
            raise TrimError(f"{library.name}: {new} is longer than {old}")
        if any(value < ref < value + len(old) for ref in refs):
            raise TrimError(f"{library.name}: another name shares the bytes of {old}")
        elf[start : start + len(old)] = new.encode("ascii").ljust(len(old), b"\0")
    if left:
        raise TrimError(f"{library.name} does not link {', '.join(sorted(left))}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(elf)
    shutil.copymode(library, out)
    return out


@functools.cache
def _versioned_symbols(library: Path, *, defined: bool) -> frozenset[tuple[str, str]]:
    """Dynamic symbols as (name, version); version "" for an unversioned one."""
    flag = "--defined-only" if defined else "--undefined-only"
    symbols = set()
    for line in _run(["nm", "-D", flag, str(library)]).splitlines():
        fields = line.split()
        if fields:
            name, _at, version = fields[-1].partition("@")
            symbols.add((name, version.lstrip("@")))
    return frozenset(symbols)


def check_provides(binary: Path, old: Path, new: Path) -> None:
    """TrimError unless ``new`` defines every symbol (and symbol version) ``binary`` takes
    from ``old``."""
    defined_by_old = {name for name, _version in _versioned_symbols(old, defined=True)}
    new_symbols = _versioned_symbols(new, defined=True)
    new_names = {name for name, _version in new_symbols}
    missing = sorted(
        f"{name}@{version}" if version else name
        for name, version in _versioned_symbols(binary, defined=False)
        if name in defined_by_old
        and ((name, version) not in new_symbols if version else name not in new_names)
    )
    if missing:
        raise TrimError(f"{binary.name} needs {', '.join(missing[:5])}, which {new} lacks")


Binary = tuple[str, str, str]  # PyInstaller's TOC entry: destination, source, kind


def one_copy_each(
    binaries: list[Binary], available: Callable[[str], Path | None], work: Path
) -> tuple[list[Binary], list[Binary], dict[str, str]]:
    """``binaries`` with each wheel's private copy of a library the bundle has anyway (it
    carries the library, or ``available`` names the system's file of one it takes from the
    system) replaced by that library: what linked the copy links the library (a copy of
    the binary in ``work``, :func:`needed_replaced`), and the copy leaves. A copy stays
    while a binary that stays needs a symbol the library lacks. Returns the binaries, the
    copies left out, and why a copy stayed (copy -> reason)."""
    libraries = [b for b in binaries if b[2] in ("BINARY", "EXTENSION")]
    sources = {Path(b[0]).name: Path(b[1]) for b in libraries}
    needs = {b[0]: needed_libraries(Path(b[1])) for b in libraries}
    replaced: dict[str, tuple[str, Path]] = {}
    for name in sources:
        library = library_name(name)
        target = sources.get(library) if library else None
        target = target or (available(library) if library else None)
        if library and target:
            replaced[name] = (library, target)
    kept: dict[str, str] = {}
    changed = True
    while changed:  # a copy that stays keeps what it links
        changed = False
        for copy, (_library, target) in list(replaced.items()):
            users = [
                b for b in libraries if copy in needs[b[0]] and Path(b[0]).name not in replaced
            ]
            for user in users:
                try:
                    check_provides(Path(user[1]), sources[copy], target)
                except TrimError as exc:
                    kept[copy] = str(exc)
                    del replaced[copy]
                    changed = True
                    break
    result, left_out = [], []
    for entry in binaries:
        dest, source, kind = entry
        if Path(dest).name in replaced:
            left_out.append(entry)
            continue
        mapping = {c: replaced[c][0] for c in needs.get(dest, ()) if c in replaced}
        if mapping:
            source = str(needed_replaced(Path(source), mapping, work / dest))
        result.append((dest, source, kind))
    return result, left_out, kept
