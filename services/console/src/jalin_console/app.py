"""Wiring: the console's app. ``python -m jalin_console`` serves it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from pathlib import Path

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from jalin_kit.limits import BodyLimit
from jalin_kit.metrics import HttpMetrics, Metrics
from jalin_kit.request_id import RequestId
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from jalin_console import oidc
from jalin_console.backend import Backend, PageError, Refused, SignInNeeded
from jalin_console.pages import documents, home, imports, inbox, mapping, monev, proposal_forms, proposals, signin
from jalin_console.settings import SERVICES, ConsoleSettings
from jalin_console.texts import TEXTS
from jalin_console.web import (
    FILE_FORMS,
    SECURITY_HEADERS,
    CapabilityCache,
    CsrfRefused,
    NotSignedIn,
    RevokedSessions,
    check_csrf,
    local_path,
    render,
    sign_in_url,
)

log = logging.getLogger("jalin.console")
STATIC = Path(__file__).parent / "static"


def build(settings: ConsoleSettings | None = None) -> FastAPI:
    settings = settings or ConsoleSettings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with httpx.AsyncClient(timeout=settings.service_timeout_seconds) as client:
            app.state.backend = Backend({name: settings.service_url(name) for name in SERVICES}, client)
            yield

    # No trailing-slash redirects: "/usulan/..%2f" is the 404 page, not a redirect to somewhere else.
    app = FastAPI(title="Jalin console", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan,
                  redirect_slashes=False)
    app.state.settings = settings
    app.state.revoked = RevokedSessions()
    app.state.capabilities = CapabilityCache()
    app.add_middleware(SessionMiddleware, secret_key=settings.session_key(), session_cookie="jalin_session",
                       max_age=int(settings.session_hours * 3600), same_site="lax", https_only=settings.production)
    # Outside the session and the app: nothing reads a body beyond the bound, not even the CSRF
    # check; the forms that carry a file have the file's bound (and check_csrf reads them only
    # from a signed-in session).
    app.add_middleware(BodyLimit, limit=settings.max_form_bytes,
                       larger={path: settings.max_upload_bytes + settings.max_form_bytes for path in FILE_FORMS},
                       answer=refusal_page)
    metrics = Metrics("console")
    app.add_middleware(HttpMetrics, metrics=metrics)
    app.add_middleware(RequestId)  # outermost: every answer and log line of a request carries its id

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if "text/html" in response.headers.get("content-type", ""):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    guarded = [Depends(check_csrf)]
    pages = (home, proposal_forms, proposals, documents, mapping, monev, imports, inbox)
    for router in (signin.router, oidc.router, *(page.router for page in pages)):
        app.include_router(router, dependencies=guarded)

    @app.get("/bahasa/{lang}")
    async def language(lang: str, next: str | None = None) -> Response:
        response = RedirectResponse(local_path(next), status_code=303)
        if lang in ("id", "en"):
            response.set_cookie("lang", lang, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                                secure=settings.production)
        return response

    @app.get("/metrics", include_in_schema=False)
    async def prometheus() -> Response:
        """Prometheus text format: the console's pages by route template, status and time."""
        return metrics.exposition()

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        return JSONResponse({"ready": True, "checks": {"console": "ok"}})

    _errors(app)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _not_signed_in(request: Request, exc: NotSignedIn) -> Response:
        return _redirect(request, sign_in_url(request))

    @app.exception_handler(SignInNeeded)
    async def _expired(request: Request, exc: SignInNeeded) -> Response:
        request.session.clear()
        return _redirect(request, "/masuk?expired=true")

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        return render(request, "error.html", status_code=403, message_key="error.csrf")

    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        key = {403: "error.403", 404: "error.404"}.get(exc.status, "error.503")
        return render(request, "error.html", status_code=exc.status if exc.status in (403, 404) else 503,
                      message_key=key)

    @app.exception_handler(Refused)
    async def _refused(request: Request, exc: Refused) -> Response:
        # A refusal no form shows (a read the service would not answer): said, not a crash.
        log.warning("console.refused status=%s detail=%s", exc.status, exc.detail)
        return render(request, "error.html", status_code=exc.status, message_key="error.500")

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        return render(request, "error.html", status_code=404, message_key="error.404")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        key = {400: "error.400", 404: "error.404", 405: "error.405", 413: "error.413"}.get(exc.status_code, "error.500")
        return render(request, "error.html", status_code=exc.status_code, message_key=key)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        log.exception("console.unhandled")
        return render(request, "error.html", status_code=500, message_key="error.500")


def refusal_page(status: int, detail: str) -> tuple[bytes, bytes]:
    """The page of a body refused before anything read it (no session, no language cookie yet:
    Indonesian, with the English beside it)."""
    indonesian, english = TEXTS["error.413" if status == 413 else "error.400"]
    page = (
        '<!doctype html><html lang="id"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{TEXTS["error.title"][0]} · Jalin</title><link rel="stylesheet" href="/static/console.css"></head>'
        f'<body><main id="isi"><h1>{TEXTS["error.title"][0]}</h1><p class="problem">{escape(indonesian)}</p>'
        f'<p class="muted" lang="en">{escape(english)}</p>'
        f'<p><a class="button" href="/">{TEXTS["error.home"][0]}</a></p></main></body></html>'
    )
    return b"text/html; charset=utf-8", page.encode()


def _redirect(request: Request, target: str) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
