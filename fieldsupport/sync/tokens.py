"""The device token: in the OS keyring (``keyring``; in the Linux bundle through the Secret
Service backend of ``sync.secret_service``), or where no keyring backend works, in a file
only the user can read (mode 0600) — and the caller is told which."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

SERVICE = "FieldSupport sync"


@dataclass(frozen=True)
class TokenPlace:
    in_keyring: bool
    path: Path | None = None

    def describe(self) -> str:
        if self.in_keyring:
            return "The device token is stored in the system keyring."
        return (
            f"No system keyring is available: the device token is stored in {self.path}, "
            "readable only by you."
        )


def _entry(server_url: str, device_id: str) -> str:
    return f"{server_url.rstrip('/')} {device_id}"


def token_file(device_id: str) -> Path:
    return (
        platformdirs.user_config_path("FieldSupport", "FieldSupport")
        / "tokens"
        / (f"{device_id}.token")
    )


def _keyring_usable() -> bool:
    try:
        import keyring
        from keyring.backends import fail, null
    except ImportError:
        return False
    backend = keyring.get_keyring()
    return not isinstance(backend, fail.Keyring | null.Keyring)


def store_token(server_url: str, device_id: str, token: str) -> TokenPlace:
    entry = _entry(server_url, device_id)
    if _keyring_usable():
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(SERVICE, entry, token)
            if keyring.get_password(SERVICE, entry) == token:
                token_file(device_id).unlink(missing_ok=True)
                return TokenPlace(True)
        except KeyringError:
            pass
    path = token_file(device_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    temp = path.with_suffix(".tmp")
    handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        json.dump({"server": server_url, "token": token}, out)
    os.chmod(temp, 0o600)
    os.replace(temp, path)
    return TokenPlace(False, path)


def load_token(server_url: str, device_id: str) -> str | None:
    if _keyring_usable():
        import keyring
        from keyring.errors import KeyringError

        try:
            token = keyring.get_password(SERVICE, _entry(server_url, device_id))
        except KeyringError:
            token = None
        if token:
            return token
    path = token_file(device_id)
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if stored.get("server") != server_url:
        return None
    token = stored.get("token")
    return token if isinstance(token, str) else None
