"""The workspace: one folder holding everything of one user.

```
<workspace>/
  fieldsupport.db     SQLite (WAL, foreign keys on)
  blobs/              photos, signatures, PDFs: content-addressed by SHA-256
  reports/            generated service reports
  logs/               rotating log file
  backups/            database copies taken before every schema upgrade
  workspace.lock      held by the one process that writes
```
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from fieldsupport.errors import (
    FieldSupportError,
    StorageFullError,
    ValidationError,
    WorkspaceError,
)
from fieldsupport.media.blobstore import BlobStore
from fieldsupport.models import Setting
from fieldsupport.store import migrate
from fieldsupport.store.durable import fsync_dir, fsync_file
from fieldsupport.store.engine import make_engine, make_session_factory
from fieldsupport.store.gate import ConnectionGate
from fieldsupport.store.lock import WorkspaceLock

log = logging.getLogger(__name__)

DB_NAME = "fieldsupport.db"
SUBDIRS = ("blobs", "reports", "logs", "backups")
ENV_VAR = "FIELDSUPPORT_WORKSPACE"
APP_NAME = "FieldSupport"
# Readable device code alphabet: no 0/O, 1/I/L confusion when read out over the phone.
_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


def default_workspace_path() -> Path:
    return platformdirs.user_data_path(APP_NAME, APP_NAME) / "workspace"


def resolve_workspace_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """``--workspace`` wins, then ``FIELDSUPPORT_WORKSPACE``, then the platform default."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    env = os.environ.get(ENV_VAR)
    if env:
        return Path(env).expanduser().resolve()
    return default_workspace_path()


def translate_db_error(exc: Exception) -> FieldSupportError:
    """Turn a database failure into a message a person can act on."""
    text = str(getattr(exc, "orig", exc)).lower()
    if "disk is full" in text or "database or disk is full" in text:
        return StorageFullError(
            "The disk holding the workspace is full, so nothing of this change was saved. "
            "Free some space and try again."
        )
    if "readonly" in text or "read-only" in text:
        return WorkspaceError(
            "The workspace is on a read-only disk or folder, so nothing was saved. "
            "Move it to a writable location."
        )
    if "database is locked" in text:
        return WorkspaceError(
            "The database is busy with another operation; nothing was saved. Try again."
        )
    if "malformed" in text or "not a database" in text:
        return WorkspaceError(
            "The workspace database is damaged. Restore the latest copy from its backups folder."
        )
    if isinstance(exc, IntegrityError):
        return ValidationError(f"The change breaks a rule of the data ({text}); nothing was saved.")
    return WorkspaceError(f"The database reported an error: {text}. Nothing was saved.")


class Workspace:
    """An open workspace. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, root: Path, engine: Engine, lock: WorkspaceLock | None) -> None:
        self.root = root
        self.engine = engine
        self.session_factory: sessionmaker[Session] = make_session_factory(engine)
        self._gate = ConnectionGate(engine)
        self._lock = lock
        self._log_handler: logging.Handler | None = None

    # -- paths ------------------------------------------------------------------------------
    @property
    def db_path(self) -> Path:
        return self.root / DB_NAME

    @property
    def blobs_dir(self) -> Path:
        return self.root / "blobs"

    @property
    def reports_dir(self) -> Path:
        return self.root / "reports"

    @property
    def logs_dir(self) -> Path:
        return self.root / "logs"

    @property
    def backups_dir(self) -> Path:
        return self.root / "backups"

    @property
    def read_only(self) -> bool:
        return self._lock is None

    # -- opening ----------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str] | None = None,
        *,
        read_only: bool = False,
        log_to_folder: bool = True,
    ) -> Workspace:
        """Open (and if needed create or upgrade) a workspace.

        Writing: takes the single-writer lock, creates the folder layout, backs up and
        migrates an older database. Read-only: no lock, no changes; the schema must be
        current. ``log_to_folder``: the process's log also goes to the workspace's log file
        (not for the central server's own copies of its scopes). Raises
        :class:`WorkspaceError` subclasses with a readable message.
        """
        root = resolve_workspace_path(path)
        if read_only:
            return cls._open_read_only(root)
        _prepare_folder(root)
        lock = WorkspaceLock(root)
        lock.acquire()
        try:
            # temporary files of a process that died while writing (a kill mid-import):
            # the lock is ours, so no live process is writing them
            BlobStore(root / "blobs").sweep()
            handler = _attach_log_file(root / "logs") if log_to_folder else None
            try:
                _bring_schema_up_to_date(root)
                workspace = cls(root, make_engine(root / DB_NAME), lock)
                workspace._log_handler = handler
                workspace._ensure_device_identity()
            except BaseException:
                _detach_log_file(handler)
                raise
        except BaseException:
            lock.release()
            raise
        log.info("opened workspace %s", root)
        return workspace

    @classmethod
    def _open_read_only(cls, root: Path) -> Workspace:
        db_path = root / DB_NAME
        if not db_path.exists():
            raise WorkspaceError(f"There is no FieldSupport workspace at {root}.")
        info = migrate.inspect_database(db_path)
        if info.state is not migrate.SchemaState.CURRENT:
            raise _schema_refusal(root, info) or WorkspaceError(
                f"The workspace {root} was made by an older version of FieldSupport. "
                "Open it once in the app (which upgrades it after a backup), then try again."
            )
        return cls(root, make_engine(db_path, read_only=True), None)

    def close(self) -> None:
        self.engine.dispose()
        if self._log_handler is not None:
            _detach_log_file(self._log_handler)
            self._log_handler = None
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- transactions -----------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in a transaction: committed on success, rolled back on any error.

        Database failures come out as :class:`FieldSupportError` with a readable message.
        """
        session = self.session_factory()
        try:
            with session.begin():
                yield session
        except (OperationalError, IntegrityError) as exc:
            raise translate_db_error(exc) from exc
        except DBAPIError as exc:
            raise translate_db_error(exc) from exc
        finally:
            session.close()

    # -- replacing the database ---------------------------------------------------------------
    def replace_database(
        self,
        new_db: Path,
        prepare: Callable[[sqlite3.Connection], None],
        *,
        timeout: float = 2.0,
    ) -> None:
        """Put the database file ``new_db`` (same folder) in place of this workspace's while
        it is open, e.g. by the app's windows and workers.

        Every connection of this process is back and idle first (others asking wait: the
        engine's :class:`ConnectionGate`); then ``prepare`` runs in one transaction on a
        connection to ``new_db`` with the current database attached as ``live``, copies what
        must stay and raises to refuse (nothing is replaced). The file is made durable and
        renamed over the old one, so a crash leaves either database whole. Refused with a
        :class:`WorkspaceError` (nothing changed) when connections stay in use longer than
        ``timeout`` or another program has the database open.
        """
        if self.read_only:
            raise WorkspaceError("A workspace opened read-only cannot be replaced.")
        if not new_db.resolve().is_relative_to(self.root.resolve()):
            # the rename that puts it in place must not cross file systems
            raise ValueError("the new database must be inside the workspace folder")
        with self._gate.shut(timeout):
            self.engine.dispose()  # every pooled connection is idle now: close them all
            _prepare_replacement(new_db, self.db_path, prepare)
            wal = self.db_path.with_name(DB_NAME + "-wal")
            if wal.exists() and wal.stat().st_size > 0:
                # SQLite removes the write-ahead log when the last connection closes: one
                # left means another program (a second FieldSupport, a backup tool) has it
                raise WorkspaceError(
                    "Another program has the workspace database open; the downloaded case "
                    "files were not put in place. Close it and sync again."
                )
            fsync_file(new_db)
            os.replace(new_db, self.db_path)
            for leftover in (wal, self.db_path.with_name(DB_NAME + "-shm")):
                leftover.unlink(missing_ok=True)
            fsync_dir(self.root)
        log.info("database of %s replaced by %s", self.root, new_db.name)

    # -- settings ---------------------------------------------------------------------------
    def get_setting(self, key: str, default: Any = None) -> Any:
        settings = Setting.__table__  # Core: see _ensure_device_identity
        with self.transaction() as session:
            row = session.execute(
                select(settings.c.value).where(settings.c.key == key)
            ).one_or_none()
            return default if row is None else row[0]

    def set_setting(self, key: str, value: Any) -> None:
        with self.transaction() as session:
            row = session.get(Setting, key)
            if row is None:
                session.add(Setting(key=key, value=value))
            else:
                row.value = value

    @property
    def device_id(self) -> str:
        return str(self.get_setting("device_id"))

    @property
    def device_code(self) -> str:
        return str(self.get_setting("device_code"))

    def _ensure_device_identity(self) -> None:
        # Core statements on the settings table: the first ORM query configures every
        # mapper (~0.1 s), which start-up leaves to the first background query instead.
        settings = Setting.__table__
        with self.transaction() as session:
            existing = set(
                session.execute(
                    select(settings.c.key).where(settings.c.key.in_(["device_id", "device_code"]))
                ).scalars()
            )
            if "device_id" not in existing:
                session.execute(insert(settings).values(key="device_id", value=str(uuid.uuid4())))
            if "device_code" not in existing:
                code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(4))
                session.execute(insert(settings).values(key="device_code", value=code))


def _prepare_replacement(
    new_db: Path, live_db: Path, prepare: Callable[[sqlite3.Connection], None]
) -> None:
    """Run ``prepare`` on ``new_db`` with ``live_db`` attached, and leave ``new_db`` a
    complete file on its own (no write-ahead log beside it)."""
    conn = sqlite3.connect(new_db, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")  # the file alone holds everything
        conn.execute("ATTACH DATABASE ? AS live", (str(live_db),))
        conn.execute("BEGIN IMMEDIATE")
        try:
            prepare(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE live")
        # the workspace runs in WAL mode; the header says so before the file goes live
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise translate_db_error(exc) from exc
    finally:
        conn.close()
    new_db.with_name(new_db.name + "-wal").unlink(missing_ok=True)
    new_db.with_name(new_db.name + "-shm").unlink(missing_ok=True)


def _prepare_folder(root: Path) -> None:
    try:
        root.mkdir(parents=True, exist_ok=True)
        for name in SUBDIRS:
            (root / name).mkdir(exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(
            f"Cannot create the workspace at {root}: {exc.strerror or exc}. "
            "Choose a folder you can write to."
        ) from exc
    if not os.access(root, os.W_OK):
        raise WorkspaceError(
            f"The workspace folder {root} is read-only. Choose a folder you can write to."
        )


def _schema_refusal(root: Path, info: migrate.SchemaInfo) -> WorkspaceError | None:
    if info.state is migrate.SchemaState.FOREIGN:
        return WorkspaceError(
            f"{root / DB_NAME} is an SQLite database, but not a FieldSupport one. "
            "Open another workspace folder, or move this file away."
        )
    if info.state is migrate.SchemaState.NEWER:
        return WorkspaceError(
            f"The workspace {root} was made by a newer version of FieldSupport "
            f"(schema {info.revision}). Update FieldSupport to open it; nothing was changed."
        )
    return None


def _bring_schema_up_to_date(root: Path) -> None:
    db_path = root / DB_NAME
    info = migrate.inspect_database(db_path)
    refusal = _schema_refusal(root, info)
    if refusal is not None:
        raise refusal
    if info.state is migrate.SchemaState.CURRENT:
        return
    if info.state is migrate.SchemaState.OUTDATED:
        backup = migrate.backup_database(db_path, root / "backups", f"rev{info.revision}")
        log.info("backed up %s to %s before upgrading", db_path, backup)
    elif db_path.exists():
        db_path.unlink()  # an empty file (e.g. a crash during first creation): start over
    try:
        migrate.upgrade(db_path)
    except sqlite3.Error as exc:
        raise translate_db_error(exc) from exc
    log.info("database %s is at schema %s", db_path, migrate.head_revision())


def _attach_log_file(logs_dir: Path) -> logging.Handler | None:
    """Rotating log in the workspace. Logging problems must never stop the app."""
    try:
        handler = logging.handlers.RotatingFileHandler(
            logs_dir / "fieldsupport.log", maxBytes=1_000_000, backupCount=5, encoding="utf-8"
        )
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root_logger = logging.getLogger()
    root_logger.addHandler(handler)
    if root_logger.level > logging.INFO or root_logger.level == logging.NOTSET:
        root_logger.setLevel(logging.INFO)
    return handler


def _detach_log_file(handler: logging.Handler | None) -> None:
    if handler is None:
        return
    logging.getLogger().removeHandler(handler)
    handler.close()
