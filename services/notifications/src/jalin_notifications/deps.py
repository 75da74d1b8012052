"""What the handlers of one app need at run time, made by ``app.build`` and handed to them as
``ctx.deps`` (and to the routes as ``request.app.state.deps``). Never a module-level
object: two apps in one process each have their own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jalin_kit.tenants import TenantDirectory


@dataclass(frozen=True)
class Deps:
    tenants: TenantDirectory
    """This service's copy of the tenant registry (the runtime's)."""

    @staticmethod
    def of(value: Any) -> Deps:
        """``ctx.deps`` as Deps; consumers built without them (for the AsyncAPI document)
        cannot handle events."""
        if not isinstance(value, Deps):
            raise RuntimeError("the notifications consumers were built without their dependencies")
        return value
