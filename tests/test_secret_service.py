"""The bundle's keyring backend (fieldsupport/sync/secret_service.py) against a real Secret
Service: GNOME Keyring on a D-Bus session bus of the test's own, its login keyring unlocked
with a test password in tmp_path. Items are checked with keyring's own backend
(secretstorage, an independent client with an encrypted session) and ``secret-tool``."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.core
import pytest
from keyring.backends import SecretService as keyrings_own
from keyring.errors import KeyringLocked, PasswordDeleteError

from fieldsupport.sync import secret_service, tokens
from tests.installer_modules import bundle_checks

SERVER = "https://central.example:8443"
DEVICE = "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6"

needs_secret_service = pytest.mark.skipif(
    bundle_checks.secret_service_missing() is not None,
    reason=f"no Secret Service here: {bundle_checks.secret_service_missing()}",
)
needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None, reason="dbus-daemon not installed"
)


def _enter(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def keyring_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """This process on a private session bus with GNOME Keyring (unlocked) on it."""
    with bundle_checks.private_session_bus(tmp_path / "bus", secret_service=True) as env:
        _enter(monkeypatch, env)
        yield env


@pytest.fixture
def empty_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """This process on a private session bus where no Secret Service runs or can start."""
    with bundle_checks.private_session_bus(tmp_path / "bus", secret_service=False) as env:
        _enter(monkeypatch, env)
        yield env


@pytest.fixture
def our_backend(monkeypatch: pytest.MonkeyPatch) -> secret_service.Keyring:
    """keyring's active backend is this one, as in the bundle (restored afterwards)."""
    backend = secret_service.Keyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    return backend


def _lock_default_collection() -> None:
    from jeepney.io.blocking import open_dbus_connection

    with open_dbus_connection(bus="SESSION") as connection:
        client = secret_service._Client(connection)
        path = client.collection(None)
        client.call(client.service, "Lock", "ao", [path])
        assert client.get(path, "Collection", "Locked")


def _as_in_the_bundle(code: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``code`` in a fresh interpreter where secretstorage cannot be imported (the bundle
    leaves it out) and keyring chooses its backend itself (entry points, priorities)."""
    prelude = "import sys; sys.modules['secretstorage'] = None\n"
    environment = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    return subprocess.run(
        [sys.executable, "-c", prelude + code],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environment, **env},
    )


@needs_secret_service
def test_store_read_replace_delete(keyring_daemon: dict[str, str]) -> None:
    backend = secret_service.Keyring()
    assert backend.get_password("FieldSupport sync", "entry") is None
    backend.set_password("FieldSupport sync", "entry", "tøken-1")
    assert backend.get_password("FieldSupport sync", "entry") == "tøken-1"
    backend.set_password("FieldSupport sync", "entry", "tøken-2")  # replaced, not added
    assert backend.get_password("FieldSupport sync", "entry") == "tøken-2"
    credential = backend.get_credential("FieldSupport sync", None)
    assert credential is not None
    assert (credential.username, credential.password) == ("entry", "tøken-2")
    backend.delete_password("FieldSupport sync", "entry")
    assert backend.get_password("FieldSupport sync", "entry") is None
    with pytest.raises(PasswordDeleteError):
        backend.delete_password("FieldSupport sync", "entry")


@needs_secret_service
def test_items_are_keyrings_own(keyring_daemon: dict[str, str]) -> None:
    """What the bundle stores, a development install (keyring's own backend, through
    secretstorage) reads, and the other way round: one item, same attributes."""
    ours, theirs = secret_service.Keyring(), keyrings_own.Keyring()
    ours.set_password("FieldSupport sync", "from the bundle", "token-a")
    theirs.set_password("FieldSupport sync", "from a dev install", "token-b")
    assert theirs.get_password("FieldSupport sync", "from the bundle") == "token-a"
    assert ours.get_password("FieldSupport sync", "from a dev install") == "token-b"
    if shutil.which("secret-tool"):  # libsecret's client sees the same attributes
        attributes = ["service", "FieldSupport sync", "username", "from the bundle"]
        found = subprocess.run(
            ["secret-tool", "lookup", *attributes, "application", "Python keyring library"],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, **keyring_daemon},
        )
        assert found.stdout == "token-a", found.stderr
    ours.delete_password("FieldSupport sync", "from a dev install")
    assert theirs.get_password("FieldSupport sync", "from a dev install") is None


@needs_secret_service
def test_device_token_goes_to_the_keyring(
    keyring_daemon: dict[str, str], our_backend: secret_service.Keyring
) -> None:
    place = tokens.store_token(SERVER, DEVICE, "device-token")
    assert place.in_keyring and "system keyring" in place.describe()
    assert not tokens.token_file(DEVICE).exists()
    assert tokens.load_token(SERVER, DEVICE) == "device-token"
    entry = f"{SERVER} {DEVICE}"
    assert keyrings_own.Keyring().get_password(tokens.SERVICE, entry) == "device-token"


@needs_secret_service
def test_a_locked_keyring_that_cannot_ask_leaves_the_token_in_the_file(
    keyring_daemon: dict[str, str], our_backend: secret_service.Keyring
) -> None:
    """GNOME Keyring locked and no dialog can be shown (no prompter here): the prompt is
    dismissed, the backend says the keyring is locked, and the token goes to the private
    file, as with no keyring at all."""
    _lock_default_collection()
    with pytest.raises(KeyringLocked, match="dismissed"):
        our_backend.get_password(tokens.SERVICE, "anything")
    place = tokens.store_token(SERVER, DEVICE, "device-token")
    assert not place.in_keyring and place.path == tokens.token_file(DEVICE)
    assert "readable only by you" in place.describe()
    assert stat.S_IMODE(place.path.stat().st_mode) == 0o600
    assert json.loads(place.path.read_text())["token"] == "device-token"
    assert tokens.load_token(SERVER, DEVICE) == "device-token"


@needs_secret_service
def test_keyring_chooses_it_where_secretstorage_is_missing(
    keyring_daemon: dict[str, str],
) -> None:
    """As in the bundle: keyring finds the backend by its entry point and picks it, and the
    device token lands in GNOME Keyring."""
    code = (
        "import keyring; from fieldsupport.sync import tokens\n"
        "print(type(keyring.get_keyring()).__module__)\n"
        f"print(tokens.store_token({SERVER!r}, {DEVICE!r}, 'bundle-token').describe())\n"
        f"print(tokens.load_token({SERVER!r}, {DEVICE!r}))\n"
    )
    result = _as_in_the_bundle(code, keyring_daemon)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "fieldsupport.sync.secret_service",
        "The device token is stored in the system keyring.",
        "bundle-token",
    ]
    entry = f"{SERVER} {DEVICE}"
    assert keyrings_own.Keyring().get_password(tokens.SERVICE, entry) == "bundle-token"


@needs_secret_service
def test_a_development_install_keeps_keyrings_own_backend(
    keyring_daemon: dict[str, str],
) -> None:
    assert keyrings_own.Keyring.viable  # secretstorage is installed here
    with pytest.raises(RuntimeError, match="secretstorage is installed"):
        secret_service.Keyring.priority  # noqa: B018
    environment = {k: v for k, v in os.environ.items() if k != "PYTHON_KEYRING_BACKEND"}
    result = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__module__)"],
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )
    assert result.stdout.strip() == "keyring.backends.SecretService", result.stderr


@needs_dbus
def test_without_a_secret_service_the_file_fallback_says_so(
    empty_bus: dict[str, str], tmp_path: Path
) -> None:
    code = (
        "import keyring; from fieldsupport.sync import tokens\n"
        "print(type(keyring.get_keyring()).__module__)\n"
        f"print(tokens.store_token({SERVER!r}, {DEVICE!r}, 'file-token').describe())\n"
        f"print(tokens.load_token({SERVER!r}, {DEVICE!r}))\n"
        f"print(oct(tokens.token_file({DEVICE!r}).stat().st_mode & 0o777))\n"
    )
    result = _as_in_the_bundle(code, empty_bus)
    assert result.returncode == 0, result.stderr
    backend, described, token, mode = result.stdout.splitlines()
    assert backend == "keyring.backends.fail"
    assert described.startswith("No system keyring is available") and "only by you" in described
    assert (token, mode) == ("file-token", "0o600")
    with pytest.raises(RuntimeError, match="no Secret Service"):
        _priority_without_secretstorage()


def _priority_without_secretstorage() -> float:
    saved = sys.modules.get("secretstorage")
    sys.modules["secretstorage"] = None  # type: ignore[assignment]
    try:
        return secret_service.Keyring.priority  # type: ignore[no-any-return]
    finally:
        if saved is None:
            del sys.modules["secretstorage"]
        else:
            sys.modules["secretstorage"] = saved


def test_without_a_session_bus_it_is_not_viable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with pytest.raises(RuntimeError, match="no D-Bus session bus"):
        _priority_without_secretstorage()
