"""The central database's schema version: stamped on creation, old databases brought up to
date with their data, a newer one refused untouched (library and CLI), several servers
starting on one database at once (SQLite, and PostgreSQL when reachable)."""

from __future__ import annotations

import itertools
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


@pytest.mark.parametrize("backend", BACKENDS)
def test_record_totals_follow_every_write_and_an_old_database_gets_them(
    backend: str, tmp_path: Path
) -> None:
    """The checkpoint of a caller who sees everything reads the totals the triggers keep:
    they follow creations, changes, deletions (tombstones), purges and seeding, and a
    database from before them is counted when it is brought up to date."""
    from fieldsupport.central import totals
    from fieldsupport.central.accounts import Principal
    from fieldsupport.sync import wire

    service, schema = make_service(backend, tmp_path)
    everything = Principal(0, "office", "admin", None, "")
    sequence = itertools.count(1)
    try:

        def counted() -> dict[str, dict[str, int]]:
            r = t.records.c
            with service.engine.connect() as conn:
                rows = conn.execute(
                    select(r.record_type, func.count(), func.sum(r.row_hash))
                    .where(r.deleted.is_(False))
                    .group_by(r.record_type)
                ).all()
            return {name: {"count": int(n), "hash": int(h)} for name, n, h in rows}

        def write(record_id: str, version: int, deleted: bool, creating: bool) -> None:
            values = {
                "version": version,
                "change_seq": next(sequence),
                "deleted": deleted,
                "row_hash": wire.row_hash(record_id, version),
                "data": "{}",
                "field_versions": "{}",
            }
            with service.engine.begin() as conn:
                if creating:
                    keys = {
                        "record_type": "customers",
                        "id": record_id,
                        "subject_type": "customers",
                    }
                    conn.execute(insert(t.records).values(**keys, **values))
                else:
                    conn.execute(
                        update(t.records).where(t.records.c.id == record_id).values(**values)
                    )

        ids = [f"00000000-0000-4000-8000-00000000000{n}" for n in range(4)]
        for record_id in ids:
            write(record_id, 1, False, creating=True)
        assert service.checkpoint(everything)["types"] == counted() != {}
        # enough records that the sum of their 40-bit hashes passes 2**53, where a float
        # (SQLite's NUMERIC as SQLAlchemy reads it) would round it
        many = [
            {
                "record_type": "contacts",
                "id": f"00000000-0000-4000-9000-{n:012d}",
                "version": 1,
                "change_seq": next(sequence),
                "deleted": False,
                "subject_type": "contacts",
                # hashes near 2**40 and an odd sum: no float holds it exactly
                "row_hash": 2**40 - 1 if n else 1,
                "data": "{}",
                "field_versions": "{}",
            }
            for n in range(10_001)
        ]
        with service.engine.begin() as conn:
            conn.execute(insert(t.records), many)
        assert counted()["contacts"]["hash"] == 10_000 * (2**40 - 1) + 1 > 2**53
        assert service.checkpoint(everything)["types"] == counted()
        write(ids[0], 2, False, creating=False)  # a change: another version, another hash
        write(ids[1], 2, True, creating=False)  # deleted: a tombstone counts no more
        assert service.checkpoint(everything)["types"] == counted()
        assert counted()["customers"]["count"] == 3
        with service.engine.begin() as conn:  # purged tombstones, a live record removed
            conn.execute(delete(t.records).where(t.records.c.id.in_(ids[1:3])))
        assert service.checkpoint(everything)["types"] == counted()
        write(ids[1], 3, False, creating=True)  # the same id made again
        assert service.checkpoint(everything)["types"] == counted()

        # a database from before the totals: no table, no triggers, stamped 3
        with service.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("DROP TRIGGER records_totals ON records")
            else:
                for name in ("insert", "update", "delete"):
                    conn.exec_driver_sql(f"DROP TRIGGER records_totals_{name}")
            t.record_totals.drop(conn)
            conn.execute(update(t.counters).where(t.counters.c.name == VERSION_KEY).values(value=3))
        assert prepare_schema(service.engine) == SCHEMA_VERSION
        with service.engine.connect() as conn:
            assert totals.read(conn) == counted()
        write(ids[3], 2, True, creating=False)  # and the triggers work again
        assert service.checkpoint(everything)["types"] == counted()
    finally:
        drop_service(service, schema)
