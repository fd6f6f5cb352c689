"""The central database's schema version: stamped on creation, old databases brought up to
date with their data, a newer one refused untouched (library and CLI), several servers
starting on one database at once (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from fieldsupport.central import storage as t
from fieldsupport.central.schema import SCHEMA_VERSION, VERSION_KEY, NewerSchema, prepare_schema
from fieldsupport.central.server import open_service
from fieldsupport.central.storage import make_engine
from tests import sync_helpers
from tests.sync_helpers import PASSWORD, drop_service, make_service

BACKENDS = sync_helpers.BACKENDS


def _stamp(conn: object) -> int | None:
    return conn.execute(  # type: ignore[attr-defined]
        select(t.counters.c.value).where(t.counters.c.name == VERSION_KEY)
    ).scalar_one_or_none()


@pytest.mark.parametrize("backend", BACKENDS)
def test_new_database_is_stamped_and_an_old_one_is_brought_up_to_date(
    backend: str, tmp_path: Path
) -> None:
    service, schema = make_service(backend, tmp_path)
    try:
        service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
        with service.engine.begin() as conn:
            assert _stamp(conn) == SCHEMA_VERSION
            # what a server from before versions were stamped left: no stamp, a table missing
            conn.execute(delete(t.counters).where(t.counters.c.name == VERSION_KEY))
            t.report_summaries.drop(conn)
        assert prepare_schema(service.engine) == SCHEMA_VERSION
        with service.engine.connect() as conn:
            assert _stamp(conn) == SCHEMA_VERSION
            assert conn.dialect.has_table(conn, t.report_summaries.name)
            assert conn.execute(select(func.count()).select_from(t.report_summaries)).scalar() == 0
        assert [u["username"] for u in service.accounts.list_users()] == ["anna"]  # data kept
        assert prepare_schema(service.engine) == SCHEMA_VERSION  # again: nothing to do
    finally:
        drop_service(service, schema)


def test_a_database_of_a_newer_server_is_refused_and_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    service = open_service(url, tmp_path / "blobs")
    service.accounts.add_user("anna", PASSWORD, "engineer", team="north")
    with service.engine.begin() as conn:
        conn.execute(
            update(t.counters)
            .where(t.counters.c.name == VERSION_KEY)
            .values(value=SCHEMA_VERSION + 1)
        )
        conn.execute(insert(t.counters).values(name="newer_feature", value=7))
    service.engine.dispose()
    with pytest.raises(NewerSchema, match="newer FieldSupport server .*Update the server"):
        open_service(url, tmp_path / "blobs")
    cli = subprocess.run(
        [sys.executable, "-m", "fieldsupport.central.cli", "--db", url, "user", "list"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode != 0
    assert "newer FieldSupport server" in cli.stderr and "Traceback" not in cli.stderr
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            assert _stamp(conn) == SCHEMA_VERSION + 1  # not "migrated" backwards
            assert conn.execute(select(func.count()).select_from(t.accounts)).scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", BACKENDS)
def test_several_servers_starting_at_once_prepare_one_schema(backend: str, tmp_path: Path) -> None:
    first, schema = make_service(backend, tmp_path)  # makes the PostgreSQL schema
    try:
        with first.engine.begin() as conn:  # an empty database again, as on a first start
            t.metadata.drop_all(conn)
        url = f"sqlite:///{tmp_path / 'central.db'}" if schema is None else sync_helpers.PG_URL
        engines = [make_engine(url, schema=schema) for _ in range(4)]
        errors: list[BaseException] = []
        start = threading.Barrier(len(engines))

        def prepare(engine: object) -> None:
            start.wait()
            try:
                prepare_schema(engine)  # type: ignore[arg-type]
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=prepare, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert errors == []
        with engines[0].connect() as conn:
            rows = conn.execute(select(t.counters.c.name, t.counters.c.value)).all()
        assert sorted(rows) == [("change", 0), (VERSION_KEY, SCHEMA_VERSION)]
        for engine in engines:
            engine.dispose()
    finally:
        drop_service(first, schema)
