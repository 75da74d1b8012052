"""What the proposals service's tests share: the app started with its lifespan (migrations,
NATS, outbox relay, background jobs) on a real database and NATS and reached through httpx's
ASGI transport; development tokens for a region's roles; the bodies the tests start from.

A test module imports the helpers (``from services.proposals.tests.conftest import ...``)
and gets a running service from the ``start_service`` fixture, as its own subclass of
:class:`Service` with the module's shortcuts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Protocol, TypeVar

import httpx
import pytest
from fastapi import FastAPI
from jalin_kit.auth import issue_dev_token
from jalin_kit.db import utcnow
from jalin_kit.outbox import OutboxMessage
from jalin_kit.runtime import ServiceRuntime
from jalin_proposals.app import build
from jalin_proposals.settings import ProposalsSettings
from sqlalchemy import ColumnElement
from sqlmodel import col, select

SECRET = "test-secret-for-the-proposals-tests-0123456789abcdef"

PROPOSAL: dict[str, Any] = {
    "title": "Pengelolaan Jalan Lintas Provinsi",
    "kind": "ksdd",
    "partner": {"name": "Pemerintah Kabupaten Kutai Kartanegara", "tenant": "kukar"},
    "objective": "Meningkatkan konektivitas antarwilayah.",
    "scope": "Pembangunan dan pemeliharaan jalan penghubung.",
    "term_months": 24,
    "financing": "APBD masing-masing pihak.",
}
"""A KSDD proposal with a partner region on Jalin; :func:`proposal` varies it."""


def proposal(**changes: Any) -> dict[str, Any]:
    """A proposal's body: :data:`PROPOSAL` with ``changes`` (a change of ``None`` leaves the field out)."""
    body = {**PROPOSAL, **changes}
    return {k: v for k, v in body.items() if v is not None}


def signing(number: str, **extra: Any) -> dict[str, Any]:
    """The body of a signing (KB, PKS, NK, work plan, addendum), signed today in Padang."""
    return {
        "number_first": number, "number_second": f"{number}/MITRA", "signed_on": date.today().isoformat(),
        "signed_place": "Padang", "signatory_name": "Mahyeldi", "signatory_title": "Gubernur Sumatera Barat",
        **extra,
    }


def today() -> date:
    """Read when a test runs, not when its module was imported: a suite collected before
    midnight (UTC) runs some tests after it."""
    return utcnow().date()


def token(tenant: str, *roles: str, unit: str | None = None, user: str | None = None) -> str:
    """A development token of the tests' secret; the user is ``<tenant>-<first role>`` unless named."""
    return issue_dev_token(SECRET, tenant=tenant, roles=list(roles), user=user or f"{tenant}-{roles[0]}", unit=unit)


def bearer(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def caller(tenant: str, *roles: str, unit: str | None = None, user: str | None = None) -> dict[str, str]:
    """The headers of a caller with these roles: the Authorization header of :func:`token`."""
    return bearer(token(tenant, *roles, unit=unit, user=user))


def errors_by_field(body: dict[str, Any]) -> dict[str, str]:
    """A 422 of the request's schema: field -> message."""
    assert body["detail"] == "invalid request"
    return {e["field"]: e["message"] for e in body["errors"]}


def settings_for(database_url: str, nats_url: str, data_dir: Path, **changes: Any) -> ProposalsSettings:
    values: dict[str, Any] = {
        "database_url": database_url, "nats_url": nats_url, "jwt_secret": SECRET, "data_dir": data_dir,
        "environment": "test", "log_json": False, "log_level": "WARNING",
    }
    return ProposalsSettings(**{**values, **changes})


@dataclass
class Service:
    """The running app: its client, its runtime (database, tenants) and the app itself."""

    client: httpx.AsyncClient
    runtime: ServiceRuntime
    app: FastAPI

    @property
    def settings(self) -> ProposalsSettings:
        assert isinstance(self.runtime.settings, ProposalsSettings)
        return self.runtime.settings

    async def rows(self, model: Any, *where: Any) -> list[Any]:
        """The rows of a table, every tenant's (a system session)."""
        async with self.runtime.db.system_session() as s:
            return list((await s.exec(select(model).where(*where))).all())

    async def outbox_rows(self, *where: ColumnElement[bool] | bool) -> list[OutboxMessage]:
        """The events recorded, oldest first."""
        async with self.runtime.db.system_session() as s:
            query = select(OutboxMessage).where(*where).order_by(col(OutboxMessage.created_at))
            return list((await s.exec(query)).all())


def shared_copies(copies: bool) -> ColumnElement[bool]:
    """The partner region's copies of shared events (``copies``), or the owner's events."""
    shared = col(OutboxMessage.subject).contains(".shared.")
    return shared if copies else ~shared


S = TypeVar("S", bound=Service)


@asynccontextmanager
async def running(settings: ProposalsSettings, cls: type[S]) -> AsyncIterator[S]:
    """The app built from ``settings``, its lifespan entered, as ``cls``."""
    app = build(settings)
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t", timeout=120) as client:
            yield cls(client, app.state.runtime, app)


class StartService(Protocol):
    def __call__(self, cls: type[S], /, **changes: Any) -> Awaitable[S]: ...


@pytest.fixture
async def start_service(database_url: str, nats_url: str, tmp_path: Path) -> AsyncIterator[StartService]:
    """Starts the app on the test's database (settings ``changes`` override the tests'); each
    app started is stopped when the test ends."""
    async with AsyncExitStack() as stack:

        async def start(cls: type[S], /, **changes: Any) -> S:
            return await stack.enter_async_context(running(settings_for(database_url, nats_url, tmp_path, **changes), cls))

        yield start
