"""The FastAPI side of a service: app factory, health probes, errors, typed dependencies."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_kit.auth import CurrentPrincipal, platform_operator
from jalin_kit.consumers import EventConsumers
from jalin_kit.identifiers import TENANT_ID
from jalin_kit.limits import BodyLimit
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo

log = structlog.get_logger(__name__)


def get_runtime(request: Request) -> ServiceRuntime:
    return request.app.state.runtime  # type: ignore[no-any-return]


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


async def tenant_session(principal: CurrentPrincipal, runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.db.tenant_session(principal.tenant_id) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session)]


async def tenant_read_session(principal: CurrentPrincipal, runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.db.tenant_session(principal.tenant_id, readonly=True) as session:
        yield session


TenantReadSession = Annotated[AsyncSession, Depends(tenant_read_session)]
"""For routes that only read: on SQLite they do not wait for the writer connection."""


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


def _validation_message(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": err.get("msg", "invalid")})
    return out


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    own_body_limits: Iterable[str] = (),
) -> FastAPI:
    """The service's app. Every request body is bounded by ``max_body_bytes`` before it is
    read, but those of ``own_body_limits``: the paths of file routes that bound their own
    (larger) bodies, also before reading."""
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(title=title, description=description, version="0.1.0", lifespan=lifespan)
    app.state.runtime = runtime
    app.state.verifier = runtime.verifier
    app.state.tenants = runtime.tenants
    app.add_middleware(BodyLimit, limit=runtime.settings.max_body_bytes, own_bound=own_body_limits)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": "invalid request", "errors": _validation_message(exc)},
        )

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", error=str(exc))
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"])
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(v == "ok" for k, v in checks.items() if k not in REPORTED_ONLY)
        return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, "checks": checks})

    for router in routers:
        app.include_router(router)
    app.include_router(outbox_router(runtime))
    if runtime.registry_owner is None:
        app.include_router(tenant_copy_router(runtime))
    if runtime.consumers is not None:
        app.include_router(dead_letter_router(runtime.consumers))
    return app


REPORTED_ONLY = frozenset({"outbox_relay", "outbox"})
"""Readiness checks that are shown but do not make the service unready: the relay retries
by itself while NATS is away, and parked events wait for an operator whatever happens."""


def outbox_router(runtime: ServiceRuntime) -> APIRouter:
    """Operators list the events waiting or parked in a service's outbox and replay a parked
    one (``jalin outbox``). They see subjects and errors, never payloads."""
    router = APIRouter(prefix="/v1/admin/outbox", tags=["operations"])
    admin = Depends(platform_operator)

    def public(row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "subject": row.subject,
            "type": row.type,
            "tenant": row.tenant_id,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "created_at": row.created_at.isoformat(),
            "due_at": row.due_at.isoformat(),
            "parked_at": row.parked_at.isoformat() if row.parked_at else None,
            "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        }

    @router.get("", dependencies=[admin])
    async def list_outbox(
        parked: Annotated[bool, Query(description="true: parked events; false: events still waiting")] = True,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        return [public(r) for r in await runtime.relay.rows(parked=parked, limit=limit)]

    @router.post("/{outbox_id}/replay", dependencies=[admin])
    async def replay_outbox(outbox_id: Annotated[str, Path(max_length=36)]) -> dict[str, Any]:
        row = await runtime.relay.replay(outbox_id)
        if row is None:
            raise not_found("outbox event")
        return public(row)

    return router


def tenant_copy_router(runtime: ServiceRuntime) -> APIRouter:
    """Operators see a region as this service's copy of the registry has it (which version,
    whether enabled): how far a change has come (``jalin tenants show``)."""
    router = APIRouter(prefix="/v1/admin/tenants", tags=["operations"])

    @router.get("/{tenant_id}", dependencies=[Depends(platform_operator)], response_model=TenantInfo)
    async def tenant_copy(tenant_id: Annotated[str, Path(pattern=TENANT_ID.schema)]) -> TenantInfo:
        await runtime.tenants.reload()
        if tenant_id not in runtime.tenants:
            raise not_found("tenant")
        return runtime.tenants.get(tenant_id)

    return router


def dead_letter_router(consumers: EventConsumers) -> APIRouter:
    """Operators list and replay a service's dead letters (``jalin dead-letters``)."""
    router = APIRouter(prefix="/v1/admin/dead-letters", tags=["operations"])
    admin = Depends(platform_operator)

    def public(row: Any) -> dict[str, Any]:
        return {
            "id": row.id,
            "consumer": row.consumer,
            "subject": row.subject,
            "event_id": row.event_id,
            "tenant": row.tenant_id,
            "stream_seq": row.stream_seq,
            "deliveries": row.deliveries,
            "error": row.error,
            "created_at": row.created_at.isoformat(),
            "replayed_at": row.replayed_at.isoformat() if row.replayed_at else None,
            "replay_count": row.replay_count,
            "replay_error": row.replay_error,
        }

    @router.get("", dependencies=[admin])
    async def list_dead_letters(all: bool = False) -> list[dict[str, Any]]:
        return [public(r) for r in await consumers.list_dead_letters(include_replayed=all)]

    @router.post("/{dead_letter_id}/replay", dependencies=[admin])
    async def replay(dead_letter_id: int) -> dict[str, Any]:
        row = await consumers.replay(dead_letter_id)
        if row is None:
            raise not_found("dead letter")
        return public(row)

    return router
