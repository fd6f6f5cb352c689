"""Checks of the built bundle itself, run by installer/build.py after PyInstaller (so by
``make installer`` in CI) and by tests/test_installer.py when a bundle has been built.

- :func:`strip_symbols` strips, on Linux, the binaries that still carry symbol tables;
- :func:`check_links`: every binary in the bundle loads, every library it links is found;
- :func:`check_x11_window`: the app paints its window on an X server (Xvfb), as on a desktop;
- the bad input of the installer issue, each against the bundle: installed in a read-only
  folder whose path has spaces and non-ASCII letters, started by a user whose home folder is
  not writable, and given a workspace made by a newer version;
- :func:`check_device_token`: ``connect`` and ``sync`` store and read the device token in a
  real Secret Service (GNOME Keyring on a private session bus) and, without one, in the
  private file.

Each check returns a one-line detail or raises :class:`BundleCheckError` with the reason.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Libraries the bundle takes from the system, with the Debian package of each: the .deb
# depends on them (installer/linux/build_deb.sh), and the "libraries" check fails on any
# other library the bundle needs but does not carry. OpenGL/EGL, libxcb and libdrm belong to
# the graphics drivers (PyInstaller never bundles them); the others are the desktop
# session's own, which installer/fieldsupport.spec leaves out with what only they link:
# display (Wayland, X11, keyboard), fonts, GLib, D-Bus, the sound server's client (Qt
# Multimedia), Kerberos (Qt Network) and OpenSSL (whose security fixes then come with the
# system); and the base system's, which dpkg and apt themselves need, so every Debian and
# Ubuntu has them: the C++ runtime (which the Qt wheels expect from the system, as manylinux
# wheels do; the bundle needs GLIBCXX_3.4.29, GCC 11, older than that of any system with the
# glibc the .deb requires), zlib, zstd, xz, bzip2, libffi and libuuid (through GnuTLS and
# util-linux), and FreeType's Brotli and libpng. On 64-bit Debian/Ubuntu the later "t64"
# packages provide these names.
FROM_THE_SYSTEM = {
    "libGL.so.1": "libgl1",
    "libEGL.so.1": "libegl1",
    "libdrm.so.2": "libdrm2",
    "libxcb.so.1": "libxcb1",
    "libwayland-client.so.0": "libwayland-client0",
    "libwayland-cursor.so.0": "libwayland-cursor0",
    "libwayland-egl.so.1": "libwayland-egl1",
    "libX11.so.6": "libx11-6",
    "libX11-xcb.so.1": "libx11-xcb1",
    "libXau.so.6": "libxau6",
    "libXdmcp.so.6": "libxdmcp6",
    "libXext.so.6": "libxext6",
    "libXrandr.so.2": "libxrandr2",
    "libXrender.so.1": "libxrender1",
    **{
        f"libxcb-{name}.so.{version}": f"libxcb-{name}{version}"
        for name, version in (
            ("cursor", 0),
            ("glx", 0),
            ("icccm", 4),
            ("image", 0),
            ("keysyms", 1),
            ("randr", 0),
            ("render-util", 0),
            ("render", 0),
            ("shape", 0),
            ("shm", 0),
            ("sync", 1),
            ("util", 1),
            ("xfixes", 0),
            ("xkb", 1),
        )
    },
    "libxkbcommon.so.0": "libxkbcommon0",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libfontconfig.so.1": "libfontconfig1",
    "libfreetype.so.6": "libfreetype6",
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3",
    "libpulse.so.0": "libpulse0",
    "libgssapi_krb5.so.2": "libgssapi-krb5-2",
    "libssl.so.3": "libssl3",
    "libcrypto.so.3": "libssl3",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g",
    "libzstd.so.1": "libzstd1",
    "liblzma.so.5": "liblzma5",
    "libbz2.so.1": "libbz2-1.0",
    "libbz2.so.1.0": "libbz2-1.0",
    "libffi.so.8": "libffi8",
    "libuuid.so.1": "libuuid1",
    "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
    "libpng16.so.16": "libpng16-16",  # FreeType's
}
# Of those, the ones whose system library stands in for a wheel's private copy (Pillow
# brings its own libxcb, libXau, zstd, xz, Brotli and libpng: installer/trim_libraries.py
# one_copy_each): each is used only through an interface older than any system the .deb
# installs on, and kept compatible since (xcb's core requests, libXau, zstd's streaming
# functions, liblzma's XZ_5.0 symbol version, Brotli's decoder, libpng 1.6). Not FreeType:
# Pillow's HarfBuzz calls its COLR v1 functions, stable only since FreeType 2.13 (Debian
# 12 has 2.12, where they were experimental, with no promise of a stable ABI), so Pillow
# keeps its own FreeType.
STANDS_IN_FOR_PRIVATE_COPIES = {
    "libxcb.so.1",
    "libXau.so.6",
    "libzstd.so.1",
    "liblzma.so.5",
    "libbrotlicommon.so.1",
    "libbrotlidec.so.1",
    "libpng16.so.16",
}
# The C library's own (the .deb depends on libc6 of the glibc version the bundle needs).
GLIBC = {
    "ld-linux-x86-64.so.2",
    "libc.so.6",
    "libdl.so.2",
    "libm.so.6",
    "libmvec.so.1",
    "libpthread.so.0",
    "libresolv.so.2",
    "librt.so.1",
    "libutil.so.1",
}
NOBODY = 65534  # the unprivileged user a check runs as when the build runs as root
UNUSUAL_FOLDER = "Field Support ąę"  # spaces and non-ASCII letters


class BundleCheckError(Exception):
    pass


def executable(dist: Path) -> Path:
    return dist / ("fieldsupport.exe" if os.name == "nt" else "fieldsupport")


def _elf_files(dist: Path) -> Iterator[Path]:
    for path in sorted(dist.rglob("*")):
        if path.is_file() and not path.is_symlink():
            with path.open("rb") as handle:
                if handle.read(4) == b"\x7fELF":
                    yield path


def strip_symbols(dist: Path) -> int:
    """Strip the symbol tables of the ELF files that have one; returns the bytes saved.
    Files without (the Qt and ffmpeg libraries of the wheels) are left alone: stripping
    them again gains nothing and breaks the ffmpeg ones."""
    if not sys.platform.startswith("linux") or shutil.which("strip") is None:
        return 0
    saved = 0
    for path in _elf_files(dist):
        sections = subprocess.run(
            ["readelf", "-SW", str(path)], capture_output=True, text=True, check=True
        ).stdout
        if ".symtab" not in sections and ".debug_" not in sections:
            continue
        before = path.stat().st_size
        mode = path.stat().st_mode
        path.chmod(mode | stat.S_IWUSR)
        subprocess.run(["strip", "--strip-unneeded", str(path)], check=True)
        path.chmod(mode)
        saved += before - path.stat().st_size
    return saved


def needed_libraries(path: Path) -> set[str]:
    """The libraries an ELF file links (its NEEDED entries)."""
    dynamic = subprocess.run(
        ["readelf", "-dW", str(path)], capture_output=True, text=True, check=True
    ).stdout
    return {
        line.split("[", 1)[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line
    }


def check_links(dist: Path) -> str:
    """Every ELF file of the bundle loads and finds each library it links, in the bundle or
    (the C library, OpenGL, X11, ...) on the system, as at run time; and each library it
    takes from the system is one the .deb depends on. Of :data:`FROM_THE_SYSTEM` this
    machine may lack some (a build server has no Wayland)."""
    if not sys.platform.startswith("linux"):
        return "skipped (Linux only)"
    internal = dist / "_internal"
    env = {**os.environ, "LD_LIBRARY_PATH": str(internal)}  # what the bootloader sets
    problems = []
    not_here: set[str] = set()
    count = 0
    carried = {path.name for path in dist.rglob("*")}
    for path in _elf_files(dist):
        count += 1
        undeclared = needed_libraries(path) - carried - FROM_THE_SYSTEM.keys() - GLIBC
        if undeclared:
            names = ", ".join(sorted(undeclared))
            problems.append(
                f"{path.relative_to(dist)} needs {names}: not bundled, and not a dependency "
                "of the .deb (FROM_THE_SYSTEM)"
            )
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        output = result.stdout + result.stderr
        missing = {line.split()[0] for line in output.splitlines() if "not found" in line}
        not_here |= missing & FROM_THE_SYSTEM.keys()
        if missing - FROM_THE_SYSTEM.keys():
            names = ", ".join(sorted(missing - FROM_THE_SYSTEM.keys()))
            problems.append(f"{path.relative_to(dist)} needs {names}")
        elif not missing and (result.returncode != 0 or "error while loading" in output):
            problems.append(f"{path.relative_to(dist)}: {output.strip().splitlines()[-1]}")
    if problems:
        raise BundleCheckError("; ".join(problems))
    detail = f"{count} binaries load, every linked library found"
    if not_here:
        packages = ", ".join(sorted(FROM_THE_SYSTEM[name] for name in not_here))
        detail += f" (but {packages}: from the system, not installed here)"
    return detail


def _run(
    command: list[str], *, env: dict[str, str] | None = None, as_nobody: bool = False
) -> subprocess.CompletedProcess[str]:
    extra: dict[str, object] = {}
    if as_nobody:
        extra = {"user": NOBODY, "group": NOBODY, "extra_groups": []}
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        timeout=300,
        cwd=tempfile.gettempdir(),
        env=env or {**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        **extra,  # type: ignore[call-overload]
    )


def _self_test_passed(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        failed = [line for line in result.stdout.splitlines() if line.startswith("FAIL")]
        raise BundleCheckError("; ".join(failed) or (result.stdout + result.stderr).strip()[-500:])
    return result.stdout.strip().splitlines()[-1]


def _make_read_only(root: Path) -> None:
    """As a package manager installs: readable (and where executable, runnable) by every
    user, writable by none."""
    everyone_reads = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH
    everyone_runs = stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH
    writes = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            mode = path.stat().st_mode | everyone_reads
            if path.is_dir() or mode & stat.S_IXUSR:
                mode |= everyone_runs
            path.chmod(mode & ~writes)


def _make_writable(root: Path) -> None:
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


@contextmanager
def installed_copy(dist: Path) -> Iterator[Path]:
    """A copy of the bundle installed read-only in ``<tmp>/Field Support ąę/fieldsupport``
    (readable by every user, as under /opt), removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="fieldsupport-install-") as tmp:
        base = Path(tmp)
        base.chmod(0o755)  # others (the unprivileged user) may enter
        copy = base / UNUSUAL_FOLDER / dist.name
        shutil.copytree(dist, copy, symlinks=True)
        if os.name != "nt":
            _make_read_only(base / UNUSUAL_FOLDER)
        try:
            yield copy
        finally:
            if os.name != "nt":
                _make_writable(base / UNUSUAL_FOLDER)


def _unprivileged_env(home: Path) -> dict[str, str]:
    """The environment of a user whose home folder (and so the user data folder) cannot be
    written: no XDG overrides, the C locale (no UTF-8 announced) for good measure."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "FIELDSUPPORT_")) and k not in ("LANG", "LANGUAGE")
    }
    return {**env, "HOME": str(home), "LC_ALL": "C", "QT_QPA_PLATFORM": "offscreen"}


@contextmanager
def _unwritable_home() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="fieldsupport-home-") as tmp:
        home = Path(tmp) / "home"
        home.mkdir()
        home.chmod(0o555)  # for root this only counts for the unprivileged user it runs as
        Path(tmp).chmod(0o755)
        try:
            yield home
        finally:
            home.chmod(0o755)


def _as_nobody() -> bool:
    """Run as an unprivileged user: root writes everywhere, so read-only means nothing."""
    return hasattr(os, "geteuid") and os.geteuid() == 0


def check_unusual_path(dist: Path) -> str:
    """The self-test of a copy in a folder with spaces and non-ASCII letters, started from
    another folder with the C locale."""
    with installed_copy(dist) as copy:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LC_ALL": "C"}
        result = _run([str(executable(copy)), "self-test"], env=env)
        return f"{copy.parent.name}/: {_self_test_passed(result)}"


def check_read_only_install(dist: Path) -> str:
    """The self-test of a read-only installed copy, by a user whose home is not writable."""
    if os.name == "nt":
        return "skipped (POSIX permissions)"
    with installed_copy(dist) as copy, _unwritable_home() as home:
        result = _run(
            [str(executable(copy)), "self-test"],
            env=_unprivileged_env(home),
            as_nobody=_as_nobody(),
        )
        who = "user nobody" if _as_nobody() else "this user"
        return f"{who}, home not writable: {_self_test_passed(result)}"


def check_unwritable_home(dist: Path) -> str:
    """The default workspace lives in the home folder: where that cannot be written the app
    says so and what to do, and exits 1 (the window shows the same message)."""
    if os.name == "nt":
        return "skipped (POSIX permissions)"
    with installed_copy(dist) as copy, _unwritable_home() as home:
        result = _run(
            [str(executable(copy)), "migrate"],
            env=_unprivileged_env(home),
            as_nobody=_as_nobody(),
        )
        message = result.stderr.strip()
        expected = f"Cannot create the workspace at {home}"
        if result.returncode != 1 or expected not in message or "Traceback" in message:
            raise BundleCheckError(
                f"exit {result.returncode}, expected 1 and {expected!r}: {message[-500:]}"
            )
        if any(home.iterdir()):
            raise BundleCheckError(f"something was written into the home folder {home}")
        return message.removeprefix("fieldsupport: ")


def check_home_is_a_file(dist: Path) -> str:
    """HOME set to a file (as /dev/null is for some service accounts): the self-test passes
    (ReportLab, which looks for its settings there, used to stop every report), and the
    default workspace, which would live there, is refused with a message."""
    if os.name == "nt":
        return "skipped (POSIX home)"
    with tempfile.TemporaryDirectory(prefix="fieldsupport-home-file-") as tmp:
        home = Path(tmp) / "home"
        home.write_text("not a folder", encoding="utf-8")
        env = _unprivileged_env(home)
        passed = _self_test_passed(_run([str(executable(dist)), "self-test"], env=env))
        result = _run([str(executable(dist)), "migrate"], env=env)
        message = result.stderr.strip()
        expected = f"Cannot create the workspace at {home}"
        if result.returncode != 1 or expected not in message or "Traceback" in message:
            raise BundleCheckError(
                f"exit {result.returncode}, expected 1 and {expected!r}: {message[-500:]}"
            )
        return f"self-test: {passed}; default workspace refused with a message"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_newer_workspace(dist: Path) -> str:
    """A workspace whose schema is newer than the bundle's is refused with a clear message,
    by the commands that would migrate or read it, and is left byte for byte as it was."""
    program = str(executable(dist))
    with tempfile.TemporaryDirectory(prefix="fieldsupport-newer-") as tmp:
        root = Path(tmp) / "workspace from the future"
        created = _run([program, "migrate", "--workspace", str(root)])
        if created.returncode != 0:
            raise BundleCheckError(f"could not create a workspace: {created.stderr.strip()}")
        database = root / "fieldsupport.db"
        with sqlite3.connect(database) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
        conn.close()
        before = _digest(database)
        backups = sorted((root / "backups").iterdir())
        for command in (["migrate"], ["cases"]):
            result = _run([program, *command, "--workspace", str(root)])
            message = result.stderr.strip()
            if result.returncode != 1 or "newer version" not in message:
                raise BundleCheckError(
                    f"{command[0]}: exit {result.returncode}, expected a refusal: {message}"
                )
        if _digest(database) != before or sorted((root / "backups").iterdir()) != backups:
            raise BundleCheckError("the newer workspace was changed")
        return message.removeprefix("fieldsupport: ")


def check_x11_window(dist: Path) -> str:
    """The app opens its window on an X server (Xvfb) through Qt's xcb plugin, the one
    desktops use, and paints its case list; the self-test draws offscreen."""
    if not sys.platform.startswith("linux") or shutil.which("xvfb-run") is None:
        return "skipped (needs xvfb-run)"
    with tempfile.TemporaryDirectory(prefix="fieldsupport-x11-") as tmp:
        workspace = Path(tmp) / "workspace"
        created = _run([str(executable(dist)), "demo", "--workspace", str(workspace)])
        if created.returncode != 0:
            raise BundleCheckError(f"demo data: {created.stderr.strip()[-300:]}")
        probe = Path(tmp) / "painted.json"
        # the app quits once its case rows are painted and it has written this probe
        env = {**os.environ, "QT_QPA_PLATFORM": "xcb", "FIELDSUPPORT_STARTUP_PROBE": str(probe)}
        command = ["xvfb-run", "-a", str(executable(dist)), "--workspace", str(workspace)]
        result = _run(command, env=env)
        if result.returncode != 0 or not probe.exists():
            raise BundleCheckError(f"exit {result.returncode}: {result.stderr.strip()[-500:]}")
        painted = json.loads(probe.read_text(encoding="utf-8"))["first_paint_s"]
        return f"window and case rows painted on Xvfb in {painted:.2f} s"


# A session bus of its own for the device-token checks: nothing on it is started on demand
# (the machine's D-Bus services stay out), so the Secret Service is there only when a check
# starts one.
_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
KEYRING_PASSWORD = "fieldsupport-test-keyring"  # the throw-away login keyring's


def secret_service_missing() -> str | None:
    """Why no Secret Service can be run here (dbus-daemon, GNOME Keyring), or None."""
    if not sys.platform.startswith("linux"):
        return "a freedesktop Secret Service runs on Linux only"
    missing = [t for t in ("dbus-daemon", "gnome-keyring-daemon") if shutil.which(t) is None]
    if missing:
        return f"{' and '.join(missing)} not installed (Debian: dbus-daemon, gnome-keyring)"
    return None


def _owner_appeared(address: str, name: str, timeout: float = 10.0) -> bool:
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open_dbus_connection(bus=address) as connection:
            reply = connection.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5)
            if reply.body[0]:
                return True
        time.sleep(0.05)
    return False


@contextmanager
def private_session_bus(folder: Path, *, secret_service: bool) -> Iterator[dict[str, str]]:
    """A D-Bus session bus in ``folder`` and, with ``secret_service``, GNOME Keyring on it
    with a login keyring (in ``folder``/home) unlocked by :data:`KEYRING_PASSWORD`; yields
    the environment variables that put a process on that bus and in that home. Both
    daemons are stopped afterwards."""
    home, runtime = folder / "home", folder / "run"
    home.mkdir(parents=True, exist_ok=True)
    runtime.mkdir(mode=0o700, exist_ok=True)
    config = folder / "session-bus.conf"
    config.write_text(_BUS_CONFIG.format(folder=folder), encoding="utf-8")
    bus = subprocess.Popen(
        ["dbus-daemon", "--config-file", str(config), "--nofork", "--print-address"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # "Failed to set fd limit" when not allowed to raise it
        text=True,
    )
    daemons = [bus]
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        if not address:
            raise BundleCheckError(f"dbus-daemon did not start (exit {bus.wait(5)})")
        env = {
            "DBUS_SESSION_BUS_ADDRESS": address,
            "HOME": str(home),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_RUNTIME_DIR": str(runtime),
        }
        if secret_service:
            keyring = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env={**os.environ, **env},
                text=True,
            )
            daemons.append(keyring)
            assert keyring.stdin is not None
            keyring.stdin.write(KEYRING_PASSWORD)  # --unlock reads it from stdin
            keyring.stdin.close()
            if not _owner_appeared(address, "org.freedesktop.secrets"):
                raise BundleCheckError("gnome-keyring-daemon did not come up on the bus")
        yield env
    finally:
        for daemon in reversed(daemons):
            daemon.terminate()
            try:
                daemon.wait(10)
            except subprocess.TimeoutExpired:
                daemon.kill()
                daemon.wait()
        if bus.stdout is not None:
            bus.stdout.close()


def _token_files(env: dict[str, str]) -> list[Path]:
    return sorted(Path(env["XDG_CONFIG_HOME"], "FieldSupport", "tokens").glob("*.token"))


def _connect_and_sync(dist: Path, server_url: str, folder: Path, bus: dict[str, str]) -> str:
    """``fieldsupport connect`` then ``sync`` from the bundle with the session bus and home
    of ``bus``; what connect said about the token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("XDG_", "FIELDSUPPORT_", "DBUS_")) and k != "PYTHON_KEYRING_BACKEND"
    }
    env.update(bus, QT_QPA_PLATFORM="offscreen", FIELDSUPPORT_PASSWORD=KEYRING_PASSWORD)
    workspace = ["--workspace", str(folder / "workspace")]
    connect = [str(executable(dist)), "connect", *workspace, "--server", server_url]
    connected = _run([*connect, "--user", "token-check"], env=env)
    if connected.returncode != 0 or "Connected" not in connected.stdout:
        raise BundleCheckError(f"connect: exit {connected.returncode}: {connected.stderr[-500:]}")
    synced = _run([str(executable(dist)), "sync", *workspace], env=env)
    if synced.returncode != 0 or "Synced:" not in synced.stdout:
        raise BundleCheckError(f"sync: exit {synced.returncode}: {synced.stderr[-500:]}")
    return connected.stdout


def check_device_token(dist: Path) -> str:
    """The device token as the bundle's ``connect`` stores it and its ``sync`` reads it back
    (real enrolment with a central server on loopback): in a real Secret Service (GNOME
    Keyring on a private session bus, unlocked with a test password) through the bundle's
    own keyring backend, where keyring's own backend (secretstorage, an independent client)
    finds it; and on a session bus without a Secret Service in the private file, mode 0600,
    which connect says."""
    if not sys.platform.startswith("linux"):
        return "skipped (Linux only)"
    if shutil.which("dbus-daemon") is None:
        return "skipped (needs dbus-daemon)"
    from fieldsupport.central.server import BackgroundServer, open_service
    from fieldsupport.sync.tokens import SERVICE

    details = []
    with tempfile.TemporaryDirectory(prefix="fieldsupport-token-") as tmp:
        root = Path(tmp)
        service = open_service(f"sqlite:///{root / 'central.db'}", root / "blobs")
        try:
            service.accounts.add_user("token-check", KEYRING_PASSWORD, "engineer")
            with BackgroundServer(service) as server:
                missing = secret_service_missing()
                if missing:
                    details.append(f"keyring not tried ({missing})")
                else:
                    folder = root / "keyring"
                    with private_session_bus(folder, secret_service=True) as bus:
                        said = _connect_and_sync(dist, server.url, folder, bus)
                        if "stored in the system keyring" not in said:
                            raise BundleCheckError(f"with GNOME Keyring running: {said.strip()}")
                        if _token_files(bus):
                            raise BundleCheckError(f"token file written: {_token_files(bus)}")
                        read = (
                            "import keyring.backends.SecretService as s; "
                            f"c = s.Keyring().get_credential({SERVICE!r}, None); "
                            "print(c.username if c and c.password else '')"
                        )
                        found = _run([sys.executable, "-c", read], env={**os.environ, **bus})
                        if not found.stdout.startswith(server.url):
                            raise BundleCheckError(
                                f"keyring's own backend finds no token: {found.stderr[-300:]}"
                            )
                    details.append("GNOME Keyring: stored, found by secretstorage, sync read it")
                folder = root / "no-keyring"
                with private_session_bus(folder, secret_service=False) as bus:
                    said = _connect_and_sync(dist, server.url, folder, bus)
                    files = _token_files(bus)
                    if "No system keyring is available" not in said or len(files) != 1:
                        raise BundleCheckError(f"without a Secret Service: {said.strip()}")
                    mode = stat.S_IMODE(files[0].stat().st_mode)
                    if mode != 0o600:
                        raise BundleCheckError(f"token file {files[0]} has mode {mode:o}")
                details.append("no Secret Service: file fallback (0600), said so, sync read it")
        finally:
            service.engine.dispose()
    return "; ".join(details)


BUNDLE_CHECKS: list[tuple[str, Callable[[Path], str]]] = [
    ("libraries", check_links),
    ("x11 window", check_x11_window),
    ("unusual path", check_unusual_path),
    ("read-only install", check_read_only_install),
    ("unwritable home", check_unwritable_home),
    ("home is a file", check_home_is_a_file),
    ("newer workspace", check_newer_workspace),
    ("device token", check_device_token),
]


def deb_depends() -> str:
    """The .deb's dependencies besides the C library: the packages of
    :data:`FROM_THE_SYSTEM`."""
    return ", ".join(sorted(set(FROM_THE_SYSTEM.values())))


def run_bundle_checks(dist: Path) -> int:
    """Print one line per check; the number of failed checks."""
    if hasattr(sys.stdout, "reconfigure"):  # a Windows pipe cannot print "ąę" otherwise
        sys.stdout.reconfigure(errors="backslashreplace")
    failures = 0
    for name, check in BUNDLE_CHECKS:
        try:
            detail = check(dist)
        except (BundleCheckError, OSError, subprocess.SubprocessError, ValueError, KeyError) as exc:
            failures += 1
            print(f"FAIL  {name}: {exc}", flush=True)
            continue
        print(f"ok    {name}: {detail}", flush=True)
    return failures


if __name__ == "__main__":  # installer/linux/build_deb.sh: the Depends field
    if sys.argv[1:] != ["--deb-depends"]:
        sys.exit("usage: bundle_checks.py --deb-depends")
    print(deb_depends())
