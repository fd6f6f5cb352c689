"""Accounts (people), their roles and passwords, and enrolled devices with their tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, update

from fieldsupport.central import storage as t
from fieldsupport.errors import FieldSupportError, NotFoundError, ValidationError

ROLES = ("engineer", "advisor", "back_office", "admin")
# scrypt: memory-hard and slow on purpose (~50 ms per check on a laptop).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
TOKEN_DAYS = 365
# asked on every request: built once
_TOKEN_QUERY = (
    select(
        t.devices,
        t.accounts.c.username,
        t.accounts.c.role,
        t.accounts.c.team,
        t.accounts.c.disabled,
    )
    .join(t.accounts, t.accounts.c.id == t.devices.c.account_id)
    .where(t.devices.c.token_hash == bindparam("token_hash"))
)


class AuthError(FieldSupportError):
    """Answered with 401; ``code`` says which kind."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Principal:
    """Who is calling: the account behind a device token."""

    account_id: int
    username: str
    role: str
    team: str | None
    device_id: str

    @property
    def sees_everything(self) -> bool:
        return self.role in ("back_office", "admin")


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode(), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        candidate = hashlib.scrypt(
            password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(candidate.hex(), digest)


def token_hash(token: str) -> str:
    # Tokens carry 256 random bits: a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(token.encode()).hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class Accounts:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- people -------------------------------------------------------------------------------
    def add_user(
        self,
        username: str,
        password: str,
        role: str,
        *,
        team: str | None = None,
        display_name: str | None = None,
    ) -> int:
        username = username.strip()
        if not username or len(username) > 64:
            raise ValidationError("A user name has 1 to 64 characters.", field="username")
        if role not in ROLES:
            raise ValidationError(f"The role must be one of {', '.join(ROLES)}.", field="role")
        if len(password) < 8:
            raise ValidationError("A password has at least 8 characters.", field="password")
        with self.engine.begin() as conn:
            if conn.execute(
                select(t.accounts.c.id).where(t.accounts.c.username == username)
            ).first():
                raise ValidationError(f"There is already a user {username!r}.", field="username")
            result = conn.execute(
                insert(t.accounts).values(
                    username=username,
                    display_name=display_name or username,
                    role=role,
                    team=team,
                    password_hash=hash_password(password),
                    disabled=False,
                    created_at=now(),
                )
            )
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def set_disabled(self, username: str, disabled: bool = True) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t.accounts)
                .where(t.accounts.c.username == username)
                .values(disabled=disabled)
            )
            if result.rowcount == 0:
                raise NotFoundError(f"There is no user {username!r}.")

    def list_users(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(
                    t.accounts.c.username,
                    t.accounts.c.display_name,
                    t.accounts.c.role,
                    t.accounts.c.team,
                    t.accounts.c.disabled,
                ).order_by(t.accounts.c.username)
            ).mappings()
            return [dict(r) for r in rows]

    # -- devices --------------------------------------------------------------------------------
    def enrol(
        self, username: str, password: str, device_id: str, device_name: str
    ) -> tuple[str, Principal]:
        """Check the password and give the device a new token (replacing any old one)."""
        with self.engine.connect() as conn:
            account = (
                conn.execute(select(t.accounts).where(t.accounts.c.username == username))
                .mappings()
                .first()
            )
        # hash even for unknown users, so timing does not tell which names exist
        stored = account["password_hash"] if account else hash_password("-")
        if not verify_password(password, stored) or account is None:
            raise AuthError("bad_credentials", "Wrong user name or password.")
        if account["disabled"]:
            raise AuthError("account_disabled", f"The account {username!r} is disabled.")
        token = secrets.token_urlsafe(32)
        values = {
            "account_id": account["id"],
            "name": device_name,
            "token_hash": token_hash(token),
            "expires_at": now() + timedelta(days=TOKEN_DAYS),
            "revoked_at": None,
        }
        with self.engine.begin() as conn:
            existing = conn.execute(
                select(t.devices.c.account_id).where(t.devices.c.id == device_id)
            ).first()
            if existing is not None and existing[0] != account["id"]:
                raise AuthError(
                    "device_taken",
                    "This device is enrolled for another user; use a new workspace.",
                )
            if existing is None:
                conn.execute(
                    insert(t.devices).values(
                        id=device_id, created_at=now(), last_seq=0, pull_cursor=0, **values
                    )
                )
            else:
                conn.execute(update(t.devices).where(t.devices.c.id == device_id).values(**values))
        principal = Principal(
            account["id"], account["username"], account["role"], account["team"], device_id
        )
        return token, principal

    def account_principal(self, username: str) -> Principal:
        """The account as a caller without a device (for the server's own work: snapshots)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(t.accounts.c.id, t.accounts.c.role, t.accounts.c.team).where(
                    t.accounts.c.username == username
                )
            ).first()
        if row is None:
            raise NotFoundError(f"There is no account {username!r}.")
        return Principal(row.id, username, row.role, row.team, "")

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise AuthError(
                "token_missing", "No device token: connect this device to the server first."
            )
        with self.engine.connect() as conn:
            row = conn.execute(_TOKEN_QUERY, {"token_hash": token_hash(token)}).mappings().first()
        if row is None:
            raise AuthError("token_unknown", "The device token is not known to this server.")
        if row["revoked_at"] is not None:
            when = _aware(row["revoked_at"]).strftime("%Y-%m-%d %H:%M UTC")
            raise AuthError(
                "device_revoked",
                f"This device was revoked on {when}; connect it again with your password.",
            )
        if _aware(row["expires_at"]) <= now():
            raise AuthError("token_expired", "The device token has expired; connect again.")
        if row["disabled"]:
            raise AuthError("account_disabled", f"The account {row['username']!r} is disabled.")
        return Principal(row["account_id"], row["username"], row["role"], row["team"], row["id"])

    def revoke(self, device_id: str) -> None:
        with self.engine.begin() as conn:
            result = conn.execute(
                update(t.devices)
                .where(t.devices.c.id == device_id, t.devices.c.revoked_at.is_(None))
                .values(revoked_at=now())
            )
            if result.rowcount == 0:
                raise NotFoundError(f"There is no active device {device_id!r}.")

    def list_devices(self) -> list[dict[str, Any]]:
        query = (
            select(
                t.devices.c.id,
                t.devices.c.name,
                t.accounts.c.username,
                t.devices.c.created_at,
                t.devices.c.revoked_at,
                t.devices.c.last_seq,
                t.devices.c.pull_cursor,
                t.devices.c.last_seen_at,
            )
            .join(t.accounts, t.accounts.c.id == t.devices.c.account_id)
            .order_by(t.accounts.c.username, t.devices.c.created_at)
        )
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query).mappings()]


def team_usernames(conn: Connection, principal: Principal) -> list[str]:
    if principal.team is None:
        return [principal.username]
    rows = conn.execute(select(t.accounts.c.username).where(t.accounts.c.team == principal.team))
    return [r[0] for r in rows] or [principal.username]
