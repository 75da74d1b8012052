"""What the handlers of one app need at run time, made by ``app.build`` and handed to them as
``ctx.deps`` (and to the routes as ``request.app.state.deps``). Never a module-level
object: two apps in one process each have their own."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from jalin_kit.db import utcnow
from jalin_kit.tenants import TenantDirectory


def _utc_today() -> date:
    return utcnow().date()


@dataclass(frozen=True)
class Deps:
    tenants: TenantDirectory
    """This service's copy of the tenant registry (the runtime's): each region's monev rounds
    per year and reminder offsets."""
    today: Callable[[], date] = field(default=_utc_today)
    """The scanner's clock (``JALIN_EVALUATION_TODAY`` pretends): reminders already past
    on a (re)planned term are not planned."""

    @staticmethod
    def of(value: Any) -> Deps:
        """``ctx.deps`` as Deps; consumers built without them (for the AsyncAPI document)
        cannot handle events."""
        if not isinstance(value, Deps):
            raise RuntimeError("the evaluation consumers were built without their dependencies")
        return value
