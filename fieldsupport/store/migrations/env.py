"""Alembic environment. Used by the app at start-up (connection passed in) and by developers
(``alembic -c fieldsupport/store/alembic.ini revision --autogenerate -m ...`` with
``-x db=PATH``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from fieldsupport.models import Base
from fieldsupport.store.schema_extras import include_object

config = context.config
target_metadata = Base.metadata


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode recreates tables (needs named constraints)
        render_as_batch=True,
        compare_type=True,
        include_object=include_object,
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("pass the database: alembic ... -x db=path/to/fieldsupport.db")
    engine = create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported")
run_migrations_online()
