"""Sign-in and sign-out: OpenID Connect in production (``jalin_console.oidc``); on the
embedded default only, a page listing the demo users."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from jalin_kit.auth import issue_dev_token
from jalin_kit.tenants import DEMO_USERS
from starlette.responses import Response

from jalin_console.backend import PageError
from jalin_console.oidc import end_session_url
from jalin_console.web import User, local_path, render, settings_of, start_session

router = APIRouter()


@router.get("/masuk")
async def sign_in_page(request: Request, next: str | None = None, expired: bool = False) -> Response:
    settings = settings_of(request)
    users = DEMO_USERS if settings.dev_sign_in else ()
    return render(request, "signin.html", users=users, next=local_path(next), expired=expired,
                  oidc=bool(settings.oidc_issuer))


@router.post("/masuk/dev")
async def dev_sign_in(request: Request, user: Annotated[str, Form(max_length=100)],
                      tenant: Annotated[str, Form(max_length=64)], next: Annotated[str, Form(max_length=2000)] = "/") -> Response:
    settings = settings_of(request)
    if not settings.dev_sign_in:
        raise PageError(404)
    demo = None
    for candidate in DEMO_USERS:
        if candidate.user == user and candidate.tenant == tenant:
            demo = candidate
    if demo is None:
        raise PageError(404)
    ttl = int(settings.session_hours * 3600)
    token = issue_dev_token(settings.dev_jwt_key(), tenant=demo.tenant, roles=list(demo.roles), user=demo.user,
                            unit=demo.unit, name=demo.name, ttl_seconds=ttl)
    start_session(request, User(token=token, user=demo.user, name=demo.name, tenant=demo.tenant, roles=demo.roles,
                                unit=demo.unit, expires=time.time() + ttl))
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/keluar")
async def sign_out(request: Request) -> Response:
    """Ends the console's session, and one signed in through the provider at the provider too."""
    user = User.from_session(request.session.get("user"))
    sid = request.session.get("sid")
    if user is not None and isinstance(sid, str):
        request.app.state.revoked.add(sid, user.expires)
    via_provider = request.session.get("via") == "oidc"
    request.session.clear()
    target = None
    if via_provider:
        target = await end_session_url(request)
    return RedirectResponse(target or "/masuk", status_code=303)

