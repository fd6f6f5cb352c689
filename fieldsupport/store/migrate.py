"""Schema versions: recognise a workspace database, back it up and migrate it with Alembic."""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from fieldsupport.errors import WorkspaceError
from fieldsupport.models.base import utcnow

if TYPE_CHECKING:  # Alembic is imported only when a migration runs (0.2 s of start-up)
    from alembic.config import Config
    from alembic.script import ScriptDirectory

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
SQLITE_HEADER = b"SQLite format 3\x00"
# Written by the first migration; tells our database apart from any other SQLite file.
OWNER_KEY = "schema_owner"
OWNER_VALUE = "fieldsupport"


class SchemaState(Enum):
    MISSING = "missing"  # no file, or an empty file: create it
    CURRENT = "current"
    OUTDATED = "outdated"  # ours, at an older revision: back up, then upgrade
    NEWER = "newer"  # ours, from a newer app version: refuse
    FOREIGN = "foreign"  # some other SQLite database: refuse


@dataclass(frozen=True)
class SchemaInfo:
    state: SchemaState
    revision: str | None


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def script_directory() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


# Revision files are named after their revision id ("0004_knowledge_search_index.py") and
# form one linear chain (tests/test_migrations.py checks both against Alembic's own view),
# so start-up can tell a current database from an old one without importing Alembic.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


def known_revisions() -> set[str]:
    return {
        match.group(1)
        for path in (MIGRATIONS_DIR / "versions").iterdir()
        if (match := _REVISION_FILE.match(path.name))
    }


def head_revision() -> str:
    return max(known_revisions())


def inspect_database(db_path: Path) -> SchemaInfo:
    """Classify a database file without modifying it."""
    if not db_path.exists() or db_path.stat().st_size == 0:
        return SchemaInfo(SchemaState.MISSING, None)
    try:
        with db_path.open("rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise WorkspaceError(f"Cannot read the database {db_path}: {exc.strerror}.") from exc
    if header != SQLITE_HEADER:
        raise WorkspaceError(
            f"{db_path} is not a FieldSupport database (it is not an SQLite file at all). "
            "Open another workspace folder, or move this file away."
        )
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
        try:
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                return SchemaInfo(SchemaState.MISSING, None)
            if "alembic_version" not in tables or "settings" not in tables:
                return SchemaInfo(SchemaState.FOREIGN, None)
            owner = conn.execute(
                "SELECT value FROM settings WHERE key = ?", (OWNER_KEY,)
            ).fetchone()
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise WorkspaceError(
            f"The database {db_path} is damaged ({exc}). Restore the latest copy from the "
            "workspace's backups folder."
        ) from exc
    if owner is None or OWNER_VALUE not in str(owner[0]):
        return SchemaInfo(SchemaState.FOREIGN, None)
    if len(rows) != 1:
        return SchemaInfo(SchemaState.FOREIGN, None)
    revision = rows[0][0]
    if revision == head_revision():
        return SchemaInfo(SchemaState.CURRENT, revision)
    if revision in known_revisions():
        return SchemaInfo(SchemaState.OUTDATED, revision)
    return SchemaInfo(SchemaState.NEWER, revision)


def backup_database(db_path: Path, backups_dir: Path, label: str) -> Path:
    """Consistent copy through SQLite's backup API (safe with WAL and open readers)."""
    backups_dir.mkdir(parents=True, exist_ok=True)
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%fZ")
    target = backups_dir / f"fieldsupport-{stamp}-{label}.db"
    source = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        dest = sqlite3.connect(target)
        try:
            source.backup(dest)
        finally:
            dest.close()
    except sqlite3.Error as exc:
        target.unlink(missing_ok=True)
        raise WorkspaceError(
            f"Could not back up the database before upgrading it ({exc}); nothing was changed."
        ) from exc
    finally:
        source.close()
    return target


def _migration_engine(db_path: Path) -> Engine:
    """An engine whose transactions really cover DDL.

    Python's sqlite3 module (before 3.12) does not BEGIN before DDL, so a failing migration
    would leave half a schema; we take over transaction control. Foreign keys are off while
    batch migrations recreate tables (as Alembic advises) and checked before commit.
    """
    engine = create_engine(f"sqlite+pysqlite:///{db_path}")

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None
        dbapi_connection.execute("PRAGMA foreign_keys=OFF")
        dbapi_connection.execute("PRAGMA journal_mode=WAL")

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def upgrade(db_path: Path, revision: str = "head") -> None:
    """Apply migrations up to ``revision``, all or nothing."""
    config = alembic_config()
    engine = _migration_engine(db_path)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            from alembic import command

            command.upgrade(config, revision)
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise WorkspaceError(
                    f"Upgrading the database would break {len(problems)} references "
                    f"(first: {problems[0]}); nothing was changed."
                )
    except OperationalError as exc:
        raise WorkspaceError(
            f"Could not upgrade the database: {exc}. Nothing was changed."
        ) from exc
    finally:
        engine.dispose()


def prune_backups(backups_dir: Path, keep: int = 10) -> list[Path]:
    """Delete all but the ``keep`` newest backups; returns what was deleted."""
    if not backups_dir.is_dir():
        return []
    backups = sorted(backups_dir.glob("fieldsupport-*.db"), key=lambda p: p.name, reverse=True)
    removed = backups[keep:]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed
