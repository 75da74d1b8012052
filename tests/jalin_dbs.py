"""Test databases: PostgreSQL ones created (and dropped) on JALIN_TEST_DATABASE_URL's server."""

from __future__ import annotations

import os
import uuid
import warnings

import pytest
from sqlalchemy.engine import make_url

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("JALIN_TEST_DATABASE_URL")


def pg_admin_url() -> str:
    assert PG_URL
    url = make_url(PG_URL)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


async def create_pg_database(prefix: str = "jt") -> str:
    import asyncpg

    url = make_url(pg_admin_url())
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database or "postgres",
    )
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return url.set(database=name).render_as_string(hide_password=False)


async def drop_pg_database(db_url: str) -> None:
    import asyncpg

    url = make_url(pg_admin_url())
    name = make_url(db_url).database
    conn = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database=url.database or "postgres", timeout=10,
    )
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', timeout=30)
    except TimeoutError:
        warnings.warn(f"test database {name} not dropped within 30 s; left behind", stacklevel=1)
    finally:
        await conn.close(timeout=10)


def require_pg() -> None:
    if not PG_URL:
        if IN_CI:
            pytest.fail("JALIN_TEST_DATABASE_URL is not set in CI")
        pytest.skip("PostgreSQL tests need JALIN_TEST_DATABASE_URL")


