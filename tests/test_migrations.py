"""Alembic migrations: one linear chain, fresh == fully migrated, upgrades keep data."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from fieldsupport.models import Base
from fieldsupport.store import migrate
from fieldsupport.store.schema_extras import EXTERNAL_TABLE_PREFIXES, include_object
from fieldsupport.workspace import Workspace


def test_revision_chain_is_linear() -> None:
    script = migrate.script_directory()
    revisions = list(script.walk_revisions())  # head first
    assert len(script.get_heads()) == 1, "more than one head: merge the branches"
    assert len(script.get_bases()) == 1, "more than one base revision"
    down = [r.down_revision for r in revisions]
    assert all(d is None or isinstance(d, str) for d in down), "merge revisions are not allowed"
    # every revision is the parent of exactly the one after it
    ids = [r.revision for r in reversed(revisions)]
    for parent, child in itertools.pairwise(ids):
        assert script.get_revision(child).down_revision == parent
    assert revisions[-1].down_revision is None
    # start-up reads the revisions from the file names: they must agree with Alembic
    assert migrate.known_revisions() == set(ids)
    assert migrate.head_revision() == script.get_current_head() == ids[-1]
    assert ids == sorted(ids)  # numbered in chain order


def _migrated(tmp_path: Path, revision: str = "head") -> Path:
    db = tmp_path / "migrated.db"
    migrate.upgrade(db, revision)
    return db


def test_fresh_database_equals_fully_migrated_one(tmp_path: Path) -> None:
    db = _migrated(tmp_path)
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": include_object}
        )
        diff = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def _schema_objects(db: Path) -> dict[tuple[str, str], str]:
    """Tables and indexes of the models with their SQL, whitespace-normalised (without
    Alembic's table and the raw-SQL search index, which the models do not describe)."""
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' "
        "AND type IN ('table', 'index')"
    ).fetchall()
    conn.close()
    return {
        (t, n): " ".join((sql or "").replace('"', "").split())
        for t, n, sql in rows
        if not n.startswith(EXTERNAL_TABLE_PREFIXES)
    }


def test_constraint_names_match_create_all(tmp_path: Path) -> None:
    """compare_metadata ignores CHECK constraints; compare the constraint names directly."""
    migrated = _schema_objects(_migrated(tmp_path))
    fresh_db = tmp_path / "fresh.db"
    engine = create_engine(f"sqlite:///{fresh_db}")
    Base.metadata.create_all(engine)
    engine.dispose()
    fresh = _schema_objects(fresh_db)
    assert set(migrated) == set(fresh)

    def constraint_names(sql: str) -> set[str]:
        words = sql.replace("(", " ").split()
        return {words[i + 1] for i, w in enumerate(words) if w == "CONSTRAINT"}

    for key, sql in fresh.items():
        assert constraint_names(migrated[key]) == constraint_names(sql), key


def test_upgrade_from_first_revision_keeps_data_and_backs_up(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    db = root / "fieldsupport.db"
    migrate.upgrade(db, "0001")
    conn = sqlite3.connect(db)
    conn.executescript(
        """
        INSERT INTO settings(key, value) VALUES ('device_code', '"OLD1"'),
            ('device_id', '"0a0a0a0a-0000-4000-8000-000000000001"');
        INSERT INTO customers(id, version, created_at, updated_at, name)
            VALUES ('c1', 3, '2025-01-01 10:00:00', '2025-01-02 10:00:00', 'Odra S.A.');
        INSERT INTO cases(id, version, created_at, updated_at, case_number, assist_type, title,
            channel, priority, severity, status, support_tier, customer_id, customer_verified,
            opened_at)
            VALUES ('k1', 2, '2025-01-01 10:00:00', '2025-01-03 10:00:00', 'FS-OLD1-000001',
            'A2', 'Leaking pump', 'phone', 'high', 'major', 'investigating', 2, 'c1', 0,
            '2025-01-01 10:00:00');
        INSERT INTO knowledge_articles(id, version, created_at, updated_at, title, body, tags,
            status)
            VALUES ('a1', 1, '2025-01-01 10:00:00', '2025-01-01 10:00:00', 'Seal wear',
            'Replace the gland packing.', 'pump,seal', 'published'),
            ('a2', 1, '2025-01-01 10:00:00', '2025-01-01 10:00:00', 'Old seal notes',
            'Superseded gland advice.', NULL, 'archived');
        """
    )
    conn.commit()
    conn.close()
    assert migrate.inspect_database(db).state is migrate.SchemaState.OUTDATED

    with Workspace.open(root) as ws:
        assert migrate.inspect_database(ws.db_path).state is migrate.SchemaState.CURRENT
        assert ws.device_code == "OLD1"

    conn = sqlite3.connect(db)
    assert conn.execute(
        "SELECT case_number, status, support_tier, version FROM cases"
    ).fetchall() == [("FS-OLD1-000001", "investigating", 2, 2)]
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_cases_status_resolution_due" in indexes
    # 0003 indexed the case that was there before it
    found = conn.execute(
        "SELECT c.case_number FROM cases c JOIN case_search s ON s.rowid = c.rowid "
        "WHERE case_search MATCH 'leaking'"
    ).fetchall()
    assert found == [("FS-OLD1-000001",)]
    # 0004 indexed the published article, not the archived one
    articles = conn.execute(
        "SELECT a.id FROM knowledge_articles a JOIN knowledge_search s ON s.rowid = a.rowid "
        "WHERE knowledge_search MATCH 'gland'"
    ).fetchall()
    assert articles == [("a1",)]
    conn.close()

    backups = list((root / "backups").glob("fieldsupport-*-rev0001.db"))
    assert len(backups) == 1
    old = sqlite3.connect(backups[0])
    assert old.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    assert old.execute("SELECT title FROM cases").fetchone() == ("Leaking pump",)
    old.close()


def test_failed_upgrade_changes_nothing(tmp_path: Path) -> None:
    """A migration that fails half-way must leave the old schema and data intact."""
    db = tmp_path / "fieldsupport.db"
    migrate.upgrade(db, "0001")
    conn = sqlite3.connect(db)
    # an index of the same name as one 0002 creates makes 0002 fail mid-way
    conn.execute("CREATE INDEX ix_cases_updated_at ON cases(id)")
    conn.commit()
    conn.close()
    try:
        migrate.upgrade(db)
    except Exception as exc:
        assert "ix_cases_updated_at" in str(exc) or "already exists" in str(exc)
    else:
        raise AssertionError("the upgrade should have failed")
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_cases_status_resolution_due" not in indexes  # created before the failure
    conn.close()


def test_prune_backups_keeps_the_newest(tmp_path: Path) -> None:
    for i in range(15):
        (tmp_path / f"fieldsupport-2026010{i:02d}T000000Z-rev0001.db").write_bytes(b"x")
    removed = migrate.prune_backups(tmp_path, keep=10)
    assert len(removed) == 5
    left = sorted(p.name for p in tmp_path.iterdir())
    assert len(left) == 10 and left[0].startswith("fieldsupport-2026010" + "05")
