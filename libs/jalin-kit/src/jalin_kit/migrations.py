"""Alembic per service: one migrations folder per service, run at start-up or by ``jalin``.

A service's ``migrations/env.py`` calls :func:`run_env` with its table names; the kit's
tables (outbox, inbox, dead letters) are part of every service's schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

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


def run_env(service_tables: Iterable[str]) -> None:
    """Body of a service's ``env.py``."""
    wanted = set(service_tables) | set(KIT_TABLES)

    def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        if type_ == "table":
            return name in wanted
        table = getattr(obj, "table", None)
        return table is None or table.name in wanted

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
