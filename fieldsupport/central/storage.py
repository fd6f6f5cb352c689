"""The central server's tables (SQLAlchemy Core) on SQLite or PostgreSQL.

Records are stored generically, one row per record with its wire data as JSON text: the
server validates every value against the domain model's columns (``sync.wire``) but does not
need the device's relational schema, and serving a pull is a matter of concatenating stored
JSON. Several server processes may share one PostgreSQL database: every writer serialises on
the ``sync_counter`` row (see ``central.service``).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Connection,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.engine import make_url

metadata = MetaData()

accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("team", String(64)),
    Column("password_hash", String(255), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

devices = Table(
    "devices",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("name", String(200), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("last_seq", BigInteger, nullable=False, default=0),
    Column("pull_cursor", BigInteger, nullable=False, default=0),
    Column("last_seen_at", DateTime(timezone=True)),
)

counters = Table(
    "sync_counter",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

records = Table(
    "records",
    metadata,
    Column("record_type", String(64), nullable=False),
    Column("id", String(36), nullable=False),
    Column("version", Integer, nullable=False),
    Column("change_seq", BigInteger, nullable=False),
    Column("deleted", Boolean, nullable=False),
    # the case the record belongs to (None: shared reference data)
    Column("scope_case", String(36)),
    # the type access rules look at: the record's own, or for a conflict its subject's
    Column("subject_type", String(64), nullable=False),
    Column("row_hash", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    # {field: [server version, device id]} of each field's last change
    Column("field_versions", Text, nullable=False),
    Column("created_by", Integer),
    PrimaryKeyConstraint("record_type", "id"),
    Index("ix_records_change_seq", "change_seq", unique=True),
    Index("ix_records_scope_case", "scope_case"),
    # covers the checkpoint (counts and hash sums per type in the caller's scope), which
    # then never reads the records' data (100,000 cases: 3 s -> 0.2 s on SQLite)
    Index(
        "ix_records_checkpoint",
        "record_type",
        "deleted",
        "change_seq",
        "row_hash",
        "scope_case",
        "subject_type",
    ),
)

# Live records per type, count and hash sum, kept by triggers on ``records`` (central.totals):
# the checkpoint of a caller who sees everything reads these instead of every record.
record_totals = Table(
    "record_totals",
    metadata,
    Column("record_type", String(64), primary_key=True),
    Column("live_count", BigInteger, nullable=False),
    # a sum of 40-bit values: more than 64 bits from 8 million records of a type on, so
    # NUMERIC on PostgreSQL; SQLite's integers are 64 bits (as its sum() is), and SQLAlchemy
    # would read a NUMERIC there through a float, which rounds these sums
    Column("hash_sum", Numeric(40, 0).with_variant(BigInteger(), "sqlite"), nullable=False),
)

# Who may see a case: kept in step with every case record (assignee) and its creator.
case_access = Table(
    "case_access",
    metadata,
    Column("case_id", String(36), primary_key=True),
    Column("assignee_id", String(36)),
    Column("created_by", Integer),
    Index("ix_case_access_assignee", "assignee_id"),
)

# Domain user records (``users`` type) by user name: links accounts to case assignees.
domain_users = Table(
    "domain_users",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("username", String(64), nullable=False),
    Index("ix_domain_users_username", "username"),
)

ops = Table(
    "ops",
    metadata,
    Column("op_id", String(36), primary_key=True),
    Column("device_id", String(36), nullable=False),
    Column("device_seq", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("record_type", String(64)),
    Column("record_id", String(36)),
    Column("result", Text, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index("ix_ops_device_seq", "device_id", "device_seq"),
)

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(64), nullable=False),
    Column("complete", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# What the back-office inbox needs from a service report's JSON document, read once per
# document (central.report_summaries). Keyed by the document's SHA-256, so never stale.
report_summaries = Table(
    "report_summaries",
    metadata,
    Column("data_sha256", String(64), primary_key=True),
    Column("readable", Boolean, nullable=False),
    Column("pdf_sha256", Text),  # the PDF the document names
    Column("report_number", Text),
    Column("revision", BigInteger),
    Column("case_number", Text),
    Column("case_title", Text),
    Column("customer", Text),
    Column("engineer", Text),
)

# The reports that have a decision (central.backoffice): written with the decision, in its
# transaction, so the inbox finds the undecided reports in SQL and the latest decisions by
# an index. Decisions written without it (an older database, a seeded one) are added the
# first time the inbox finds the counts differ.
decided_reports = Table(
    "decided_reports",
    metadata,
    Column("report_id", String(36), primary_key=True),
    Column("decision_seq", BigInteger, nullable=False),
    Column("report_number", Text, nullable=False),
    Column("revision", BigInteger, nullable=False),
    Index("ix_decided_reports_seq", "decision_seq"),
    Index("ix_decided_reports_number", "report_number"),
)


def insert_new(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert the rows whose primary key is free; the others are left as they are (another
    request inserting the same rows at the same moment is no conflict)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite_dialect
    for start in range(0, len(rows), 500):  # bounds the statement's parameters
        conn.execute(dialect.insert(table).on_conflict_do_nothing(), rows[start : start + 500])


def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
    # pysqlite's own transaction handling is off; SQLAlchemy's "begin" event issues BEGIN.
    # Every writing transaction starts by updating the counter row (central.service), so
    # writers serialise from their first statement and wait (busy_timeout) instead of
    # failing to upgrade a read snapshot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


def make_engine(url: str, *, schema: str | None = None) -> Engine:
    """Engine for the server database. ``schema`` (PostgreSQL) puts every table in that
    schema (created if missing): tests use a fresh one per run."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    connect_args: dict[str, Any] = {}
    if schema:
        connect_args["options"] = f"-csearch_path={schema}"
    engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True)
    if schema:
        with engine.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    return engine
