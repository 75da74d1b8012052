"""Sign-in through the identity provider: OpenID Connect authorization code flow with PKCE
(authlib). The provider's access token is what the console sends to the services, which
verify it against the provider's keys; the ID token only names the person."""

from __future__ import annotations

import time
import warnings
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from authlib.integrations.base_client.errors import OAuthError

with warnings.catch_warnings():  # authlib 1.9 announces its httpx2 and joserfc moves on import
    warnings.simplefilter("ignore")
    from authlib.integrations.starlette_client import OAuth
    from authlib.jose.errors import JoseError
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from jalin_console.backend import PageError
from jalin_console.settings import ConsoleSettings
from jalin_console.web import User, local_path, render, settings_of, start_session

router = APIRouter()
CALLBACK = "/masuk/oidc/kembali"
STATE_PREFIX = "_state_provider_"  # authlib's session keys for the client named "provider"


def client_of(request: Request) -> Any:
    """The provider's client, registered once per console process."""
    settings: ConsoleSettings = settings_of(request)
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise PageError(404)
    oauth = getattr(request.app.state, "oauth", None)
    if oauth is None:
        oauth = OAuth()
        oauth.register(
            "provider",
            server_metadata_url=f"{settings.oidc_issuer.rstrip('/')}/.well-known/openid-configuration",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            client_kwargs={"scope": settings.oidc_scope, "code_challenge_method": "S256"},
        )
        request.app.state.oauth = oauth
    return oauth.provider


def _public(request: Request, settings: ConsoleSettings, path: str) -> str:
    """An address of the console as the provider must know it (its public URL in production)."""
    base = settings.public_url.rstrip("/") if settings.public_url else str(request.base_url).rstrip("/")
    return f"{base}{path}"


def _redirect_uri(request: Request, settings: ConsoleSettings) -> str:
    return _public(request, settings, CALLBACK)


@router.get("/masuk/oidc")
async def start(request: Request, next: str | None = None) -> Response:
    settings = settings_of(request)
    client = client_of(request)
    # One sign-in under way at a time: authlib keeps each start's state in the cookie, and
    # starts never finished (a reload, Back) would grow it past what a browser keeps.
    for key in [k for k in request.session if k.startswith(STATE_PREFIX)]:
        del request.session[key]
    request.session["after_sign_in"] = local_path(next)
    extra = {"resource": settings.oidc_resource} if settings.oidc_resource else {}
    try:
        return await client.authorize_redirect(request, _redirect_uri(request, settings), **extra)  # type: ignore[no-any-return]
    except (httpx.HTTPError, ValueError) as exc:  # the provider's discovery unreachable or unreadable
        raise PageError(503, f"identity provider: {type(exc).__name__}") from None


@router.get(CALLBACK)
async def callback(request: Request) -> Response:
    settings = settings_of(request)
    client = client_of(request)
    target = local_path(request.session.get("after_sign_in"))
    try:
        extra = {"resource": settings.oidc_resource} if settings.oidc_resource else {}
        token = await client.authorize_access_token(request, **extra)
    except httpx.HTTPError as exc:
        raise PageError(503, f"identity provider: {type(exc).__name__}") from None
    except (OAuthError, JoseError, ValueError, KeyError):  # a state, code, or ID token that does not hold
        return render(request, "signin.html", status_code=401, users=(), next=target, expired=False, oidc=True,
                      failed=True)
    user = user_of(token)
    if user is None:
        return render(request, "signin.html", status_code=401, users=(), next=target, expired=False, oidc=True,
                      failed=True)
    start_session(request, user)
    request.session["via"] = "oidc"  # signing out ends the provider's session too
    return RedirectResponse(target, status_code=303)


async def end_session_url(request: Request) -> str | None:
    """Where the browser ends its session at the provider (OpenID Connect RP-Initiated Logout:
    ``end_session_endpoint`` with our client id, back to the sign-in page); None when the
    provider has no such endpoint or cannot be reached (the console's own session ends anyway)."""
    settings = settings_of(request)
    try:
        metadata = await client_of(request).load_server_metadata()
    except (httpx.HTTPError, ValueError, PageError):
        return None
    endpoint = metadata.get("end_session_endpoint") if isinstance(metadata, dict) else None
    schemes = ("https://",) if settings.production else ("https://", "http://")
    if not isinstance(endpoint, str) or not endpoint.startswith(schemes):
        return None
    query = urlencode({"client_id": settings.oidc_client_id,
                       "post_logout_redirect_uri": _public(request, settings, "/masuk")})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def user_of(token: dict[str, Any]) -> User | None:
    """The person, from the provider's answer: the access token's claims say the tenant,
    roles and unit (the services verify its signature on every call; the console only
    reads them to greet the user and to show its menus), the ID token the name."""
    access = token.get("access_token")
    if not isinstance(access, str):
        return None
    try:
        claims = jwt.decode(access, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None  # an opaque token: the services could not read the tenant either
    info = token.get("userinfo") or {}
    tenant, roles = claims.get("tenant"), claims.get("roles")
    if not isinstance(tenant, str) or not isinstance(roles, list):
        return None
    expires = float(token.get("expires_at") or claims.get("exp") or time.time() + 3600)
    name = info.get("name") or claims.get("name") or claims.get("sub")
    return User(token=access, user=str(claims.get("sub", "")), name=str(name)[:200], tenant=tenant,
                roles=tuple(str(r) for r in roles), unit=claims.get("unit") if isinstance(claims.get("unit"), str) else None,
                expires=expires)
