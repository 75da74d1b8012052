"""Each service's migrations build exactly the schema its models describe (SQLite and
PostgreSQL): a column or index added to a model, or to the kit's tables, without its
migration fails here instead of in a deployment."""

from __future__ import annotations

import importlib

import pytest

from jalin_cli.platform import SERVICES
from jalin_kit.migrations import schema_differences, upgrade_async

SERVICE_TABLES = {
    "proposals": ("jalin_proposals.models", "jalin_proposals.mapping.models"),
    "documents": ("jalin_documents.models",),
    "notifications": ("jalin_notifications.models",),
    "evaluation": ("jalin_evaluation.models",),
}


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_build_the_models_schema(service: str, database_url: str) -> None:
    app = importlib.import_module(f"jalin_{service}.app")
    tables = [t for module in SERVICE_TABLES[service] for t in importlib.import_module(module).TABLES]
    await upgrade_async(app.MIGRATIONS, database_url)
    assert await schema_differences(database_url, tables) == []
