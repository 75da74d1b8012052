"""The OpenAPI fuzzing runs on one store (``test_openapi.STORE``, see its docstring): its cases
on the other are deselected, not skipped, so that they start no platform of their own."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    other = [item for item in items if isinstance(item, pytest.Function) and item.name.startswith("test_openapi[")
             and item.callspec.params.get("platform") != item.module.STORE]
    if other:
        config.hook.pytest_deselected(items=other)
        dropped = set(other)
        items[:] = [item for item in items if item not in dropped]
