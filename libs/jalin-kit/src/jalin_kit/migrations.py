"""Alembic per service: one migrations folder per service, run at start-up or by ``jalin``.

A service's ``migrations/env.py`` calls :func:`run_env` with its table names; the kit's
tables (outbox, inbox, dead letters) are part of every service's schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import jalin_kit.outbox  # noqa: F401 - the kit's tables join the metadata
import jalin_kit.tenants.registry  # noqa: F401
from jalin_kit.inbox import KIT_TABLES


def alembic_config(migrations_dir: Path, url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(migrations_dir: Path, url: str) -> None:
    """``alembic upgrade head`` (blocking: call from a thread inside an event loop)."""
    command.upgrade(alembic_config(migrations_dir, url), "head")


async def upgrade_async(migrations_dir: Path, url: str) -> None:
    await asyncio.to_thread(upgrade, migrations_dir, url)


IncludeObject = Callable[[Any, "str | None", str, bool, Any], bool]


def include_object_of(service_tables: Iterable[str]) -> IncludeObject:
    """Alembic's filter for one service's schema: its own tables and the kit's."""
    wanted = set(service_tables) | set(KIT_TABLES)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in wanted
        table = getattr(obj, "table", None)
        return table is None or table.name in wanted

    return include_object


async def schema_differences(url: str, service_tables: Iterable[str]) -> list[Any]:
    """What a migrated database lacks or has beyond the models (Alembic's autogenerate
    comparison): empty when the migrations build exactly the schema the code uses."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    include = include_object_of(service_tables)

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"include_object": include, "compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    engine = create_async_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(compare)
    finally:
        await engine.dispose()


def run_env(service_tables: Iterable[str]) -> None:
    """Body of a service's ``env.py``."""
    include_object = include_object_of(service_tables)

    url = context.config.get_main_option("sqlalchemy.url")
    assert url is not None
    options: dict[str, Any] = {
        "target_metadata": SQLModel.metadata,
        "include_object": include_object,
        "render_as_batch": url.startswith("sqlite"),
        "compare_type": True,
    }

    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Any) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Replicas starting together: one migrates, the others wait, then find nothing to do.
                connection.exec_driver_sql("SELECT pg_advisory_xact_lock(hashtext('jalin-migrations'))")
            context.run_migrations()

    async def run_async() -> None:
        engine = create_async_engine(url, poolclass=NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
            await connection.commit()
        await engine.dispose()

    asyncio.run(run_async())


# -- changes to the kit's tables, one function per change, called by each service's migration --


def outbox_parking_upgrade() -> None:
    """outbox: ``due_at`` (a row's next try; its commit for rows written before) and
    ``parked_at`` (given up after too many failures of its own)."""
    from alembic import op
    from sqlalchemy import Column, text
    from sqlmodel.sql.sqltypes import UTCDateTime

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(Column("due_at", UTCDateTime(), nullable=True))
        batch.add_column(Column("parked_at", UTCDateTime(), nullable=True))
    op.execute(text("UPDATE outbox SET due_at = created_at"))
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("due_at", existing_type=UTCDateTime(), nullable=False)
        batch.create_index("ix_outbox_due_at", ["due_at"], unique=False)
        batch.create_index("ix_outbox_parked_at", ["parked_at"], unique=False)


def outbox_traceparent_upgrade() -> None:
    """outbox: ``traceparent``, the trace of what recorded the event (``jalin_kit.tracing``)."""
    from alembic import op
    from sqlalchemy import Column
    from sqlmodel.sql.sqltypes import AutoString

    with op.batch_alter_table("outbox") as batch:
        batch.add_column(Column("traceparent", AutoString(length=55), nullable=True))


def outbox_traceparent_downgrade() -> None:
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("traceparent")


def outbox_parking_downgrade() -> None:
    from alembic import op

    with op.batch_alter_table("outbox") as batch:
        batch.drop_index("ix_outbox_parked_at")
        batch.drop_index("ix_outbox_due_at")
        batch.drop_column("parked_at")
        batch.drop_column("due_at")


def tenant_registry_upgrade() -> None:
    """tenants: the registry of onboarded regions (the owner's) or a service's copy of it."""
    from alembic import op
    from sqlalchemy import Column, Integer, Text
    from sqlmodel.sql.sqltypes import AutoString, UTCDateTime

    op.create_table(
        "tenants",
        Column("id", AutoString(length=64), primary_key=True),
        Column("region_code", AutoString(length=8), nullable=True, unique=True),
        Column("status", AutoString(length=16), nullable=False),
        Column("version", Integer(), nullable=False),
        Column("data", Text(), nullable=False),
        Column("updated_at", UTCDateTime(), nullable=False),
    )
    with op.batch_alter_table("tenants") as batch:
        batch.create_index("ix_tenants_status", ["status"], unique=False)


def tenant_registry_downgrade() -> None:
    from alembic import op

    op.drop_table("tenants")
