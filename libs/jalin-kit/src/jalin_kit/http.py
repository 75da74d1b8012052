"""The FastAPI side of a service: app factory, health probes, errors, typed dependencies
and typed identifiers (what the OpenAPI document says of errors: ``jalin_kit.openapi``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Annotated, Any

import structlog
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Path, Query, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from jalin_kit.access import Operations, capabilities, require, unit_scope
from jalin_kit.auth import CurrentPrincipal, current_principal, platform_operator
from jalin_kit.consumers import EventConsumers
from jalin_kit.identifiers import TENANT_ID, UNIT_ID, IdPattern
from jalin_kit.limits import BodyLimit
from jalin_kit.metrics import HttpMetrics
from jalin_kit.openapi import NOT_FOUND, document_errors
from jalin_kit.request_id import RequestId
from jalin_kit.runtime import ServiceRuntime
from jalin_kit.tenants import TenantInfo
from jalin_kit.text import TEXT_PATTERN, text_problem
from jalin_kit.tracing import TraceRequests

log = structlog.get_logger(__name__)


async def get_runtime(request: Request) -> ServiceRuntime:
    """(async: a plain function would be run in a worker thread on every request)"""
    return request.app.state.runtime  # type: ignore[no-any-return]


Runtime = Annotated[ServiceRuntime, Depends(get_runtime)]


async def tenant_session(principal: CurrentPrincipal, runtime: Runtime) -> AsyncIterator[AsyncSession]:
    """The caller's tenant, and for an OPD its unit only (the unit rule, ``access.unit_scope``)."""
    async with runtime.db.tenant_session(principal.tenant_id, unit=unit_scope(principal)) as session:
        yield session


TenantSession = Annotated[AsyncSession, Depends(tenant_session)]


async def tenant_read_session(principal: CurrentPrincipal, runtime: Runtime) -> AsyncIterator[AsyncSession]:
    async with runtime.db.tenant_session(principal.tenant_id, readonly=True, unit=unit_scope(principal)) as session:
        yield session


TenantReadSession = Annotated[AsyncSession, Depends(tenant_read_session)]
"""For routes that only read: on SQLite they do not wait for the writer connection."""


OBJECT_ID = IdPattern(r"[A-Za-z0-9][A-Za-z0-9_-]{0,35}")
"""An object's id (a UUID here; at most 36 characters, as stored). Typed on every path and
query parameter that names one, so the schema says what an id looks like and nothing else
reaches the database (PostgreSQL refuses a NUL in text: that was a 500)."""

ObjectId = Annotated[str, Path(pattern=OBJECT_ID.schema, description="The object's id.")]
"""A path parameter naming an object."""

IdQuery = Annotated[str | None, Query(pattern=OBJECT_ID.schema, description="Only those of this object.")]
"""A query filter naming an object (e.g. ``proposal_id``)."""

UnitQuery = Annotated[str | None, Query(pattern=UNIT_ID.schema, description="Only those of this unit (OPD).")]

PATTERN_WORDS = {
    OBJECT_ID.schema: "must be an id: 1-36 of A-Z, a-z, 0-9, '_', '-'",
    TENANT_ID.schema: "must be a tenant id: 1-64 of a-z, 0-9, '-'",
    UNIT_ID.schema: "must be a unit id: 1-64 of a-z, 0-9, '_', '-'",
}
"""Refusals of a known pattern, in words (pydantic's message would quote the expression)."""


def not_found(what: str) -> HTTPException:
    return HTTPException(404, f"{what} not found")


def _message(err: Any) -> str:
    if err.get("type") == "value_error" and (err.get("ctx") or {}).get("error") is not None:
        return str(err["ctx"]["error"])  # a validator's own words, without pydantic's "Value error, "
    if err.get("type") == "string_pattern_mismatch":
        pattern, value = (err.get("ctx") or {}).get("pattern"), err.get("input")
        if pattern == TEXT_PATTERN and isinstance(value, str):
            return text_problem(value) or "must not begin or end with whitespace"
        if pattern in PATTERN_WORDS:
            return PATTERN_WORDS[pattern]
    return str(err.get("msg", "invalid"))


def _validation_message(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body",)]
        out.append({"field": ".".join(loc) or "body", "message": _message(err)})
    return out


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(app: FastAPI, request: Request) -> list[str]:
    """Every method some route of ``app`` answers at the request's path (Starlette's own
    405 names only the methods of the first route matching the path)."""
    return [
        method
        for method in METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in app.router.routes)
    ]


class Readiness(BaseModel):
    ready: bool
    checks: dict[str, str] = Field(description="Each dependency: ok, or what is wrong.")


def create_app(
    runtime: ServiceRuntime,
    *,
    title: str,
    description: str,
    routers: list[APIRouter],
    operations: Operations,
    own_body_limits: Iterable[str] = (),
) -> FastAPI:
    """The service's app. Every request body is bounded by ``max_body_bytes`` before it is
    read, but those of ``own_body_limits``: the paths of file routes that bound their own
    (larger) bodies, also before reading. ``operations`` is the service's access table
    (``access.OPERATIONS``), whose rows the caller may do ``GET /v1/capabilities`` says."""
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
    metrics = runtime.metrics
    app.state.metrics = metrics
    app.add_middleware(BodyLimit, limit=runtime.settings.max_body_bytes, own_bound=own_body_limits)
    app.add_middleware(HttpMetrics, metrics=metrics)
    app.add_middleware(TraceRequests, tracing=runtime.tracing)  # outside the figures: its span covers them
    app.add_middleware(RequestId)  # outermost: even a refused body's answer carries the id

    @app.exception_handler(RequestValidationError)
    async def _invalid(_req: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(
            status_code=422,
            content={"detail": "invalid request", "errors": _validation_message(exc)},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            exc.headers = {**(exc.headers or {}), "Allow": ", ".join(allowed_methods(app, request))}
        return await http_exception_handler(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("http.unhandled", error=str(exc))
        return JSONResponse(status_code=500, content={"detail": "internal error"})

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        """Prometheus text format: counts and timings, no tenant's content (docs/operations.md)."""
        return await metrics.render(runtime)

    @app.get("/healthz", tags=["ops"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["ops"], response_model=Readiness,
             responses={503: {"model": Readiness, "description": "Not ready: the checks say why."}})
    async def readyz() -> JSONResponse:
        checks = await runtime.readiness()
        ready = all(v == "ok" for k, v in checks.items() if k not in REPORTED_ONLY)
        metrics.ready.labels(metrics.service).set(1 if ready else 0)
        return JSONResponse(status_code=200 if ready else 503, content={"ready": ready, "checks": checks})

    routers = [*routers, outbox_router(runtime), capabilities_router(operations)]
    if runtime.registry_owner is None:
        routers.append(tenant_copy_router(runtime))
    if runtime.consumers is not None:
        routers.append(dead_letter_router(runtime.consumers))
    for router in routers:
        document_errors(router.routes, current_principal)  # 401/403/413/422/400 as each route may answer them
        app.include_router(router)
    return app


REPORTED_ONLY = frozenset({"outbox_relay", "outbox", "bus_config"})
"""Readiness checks that are shown but do not make the service unready: the relay retries
by itself while NATS is away, parked events wait for an operator whatever happens, and a
stream configuration that differs from the definition is an alarm for the operator, not a
reason to take every replica out of service."""


class OutboxEventPublic(BaseModel):
    """An event in a service's outbox: where it goes and how its tries went, never its payload."""

    id: str
    subject: str
    type: str
    tenant: str
    attempts: int
    last_error: str | None
    created_at: datetime
    due_at: datetime
    parked_at: datetime | None
    sent_at: datetime | None


class DeadLetterPublic(BaseModel):
    """An event a consumer gave up on: its error's class and place, never its payload."""

    id: int
    consumer: str
    subject: str
    event_id: str | None
    tenant: str | None
    stream_seq: int | None
    deliveries: int
    error: str
    created_at: datetime
    replayed_at: datetime | None
    replay_count: int
    replay_error: str | None


def outbox_router(runtime: ServiceRuntime) -> APIRouter:
    """Operators list the events waiting or parked in a service's outbox and replay a parked
    one (``jalin outbox``). They see subjects and errors, never payloads."""
    router = APIRouter(prefix="/v1/admin/outbox", tags=["operations"])
    admin = Depends(platform_operator)

    def public(row: Any) -> OutboxEventPublic:
        return OutboxEventPublic(
            id=row.id, subject=row.subject, type=row.type, tenant=row.tenant_id, attempts=row.attempts,
            last_error=row.last_error, created_at=row.created_at, due_at=row.due_at, parked_at=row.parked_at,
            sent_at=row.sent_at,
        )

    @router.get("", dependencies=[admin])
    async def list_outbox(
        parked: Annotated[bool, Query(description="true: parked events; false: events still waiting")] = True,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[OutboxEventPublic]:
        return [public(r) for r in await runtime.relay.rows(parked=parked, limit=limit)]

    @router.post("/{outbox_id}/replay", dependencies=[admin], responses=NOT_FOUND)
    async def replay_outbox(outbox_id: ObjectId) -> OutboxEventPublic:
        row = await runtime.relay.replay(outbox_id)
        if row is None:
            raise not_found("outbox event")
        return public(row)

    return router


class Capabilities(BaseModel):
    """What the caller may do here: the operations of the service's access table (``docs/access.md``)."""

    operations: list[str] = Field(description="The operations the caller's roles allow, e.g. `proposal.create`.")
    unit: str | None = Field(description="The unit the caller acts for (an OPD's roles see that unit only).")


def capabilities_router(operations: Operations) -> APIRouter:
    """``GET /v1/capabilities``: which operations the caller may do, so a client offers only
    those (the routes still decide, with the same table)."""
    router = APIRouter(prefix="/v1/capabilities", tags=["access"])

    @router.get("", response_model=Capabilities)
    async def my_capabilities(principal: CurrentPrincipal) -> Capabilities:
        require(operations, "capabilities.read", principal)
        return Capabilities(operations=capabilities(operations, principal), unit=principal.unit)

    return router


def tenant_copy_router(runtime: ServiceRuntime) -> APIRouter:
    """Operators see a region as this service's copy of the registry has it (which version,
    whether enabled): how far a change has come (``jalin tenants show``)."""
    router = APIRouter(prefix="/v1/admin/tenants", tags=["operations"])

    @router.get("/{tenant_id}", dependencies=[Depends(platform_operator)], response_model=TenantInfo, responses=NOT_FOUND)
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

    def public(row: Any) -> DeadLetterPublic:
        return DeadLetterPublic(
            id=row.id, consumer=row.consumer, subject=row.subject, event_id=row.event_id, tenant=row.tenant_id,
            stream_seq=row.stream_seq, deliveries=row.deliveries, error=row.error, created_at=row.created_at,
            replayed_at=row.replayed_at, replay_count=row.replay_count, replay_error=row.replay_error,
        )

    @router.get("", dependencies=[admin])
    async def list_dead_letters(
        all: Annotated[bool, Query(description="true: the replayed ones too")] = False,
    ) -> list[DeadLetterPublic]:
        return [public(r) for r in await consumers.list_dead_letters(include_replayed=all)]

    @router.post("/{dead_letter_id}/replay", dependencies=[admin], responses=NOT_FOUND)
    async def replay(dead_letter_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> DeadLetterPublic:
        row = await consumers.replay(dead_letter_id)
        if row is None:
            raise not_found("dead letter")
        return public(row)

    return router
