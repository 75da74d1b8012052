"""Calls to the four services on behalf of the signed-in user: their public HTTP APIs with
the user's own token, so every rule (who may see and do what) stays the services'."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import structlog


class SignInNeeded(Exception):
    """The token is missing, expired or refused: sign in again."""


@dataclass
class PageError(Exception):
    """An answer the console shows as a page of its own (403, 404, a service unreachable)."""

    status: int
    detail: str = ""


@dataclass
class Refused(Exception):
    """A 409 or 422 from a service: shown beside the form that caused it."""

    status: int
    detail: str
    errors: list[dict[str, str]] = field(default_factory=list)


class Backend:
    def __init__(self, urls: dict[str, str], client: httpx.AsyncClient) -> None:
        self.urls = urls
        self.client = client

    async def request(self, method: str, service: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        try:
            r = await self.client.request(method, f"{self.urls[service]}{path}", headers=_headers(token), **kwargs)
        except httpx.HTTPError as exc:
            raise PageError(503, f"{service}: {type(exc).__name__}") from None
        _raise_for(r)
        return r

    async def stream(self, service: str, path: str, token: str) -> httpx.Response:
        """A response whose body is still to be read (``aiter_bytes``; the caller closes it)."""
        try:
            request = self.client.build_request("GET", f"{self.urls[service]}{path}", headers=_headers(token))
            r = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise PageError(503, f"{service}: {type(exc).__name__}") from None
        if r.status_code != 200:
            await r.aread()
            await r.aclose()
            _raise_for(r)
        return r

    async def get(self, service: str, path: str, token: str, **params: Any) -> Any:
        clean = {k: v for k, v in params.items() if v not in (None, "")}
        return (await self.request("GET", service, path, token, params=clean)).json()

    async def post(self, service: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        r = await self.request("POST", service, path, token, json=body)
        return r.json() if r.content else None


def _headers(token: str) -> dict[str, str]:
    """The user's token, and the page's request id: the service's log lines of this call carry it too."""
    headers = {"Authorization": f"Bearer {token}"}
    request_id = structlog.contextvars.get_contextvars().get("request_id")
    if isinstance(request_id, str):
        headers["X-Request-ID"] = request_id
    return headers


def _raise_for(r: httpx.Response) -> None:
    """A service's refusal as what the console shows: sign in again, its own page, or the form's errors."""
    if r.status_code == 401:
        raise SignInNeeded()
    if r.status_code in (403, 404):
        raise PageError(r.status_code, _detail(r))
    if r.status_code in (409, 422, 413, 415):
        body = _json(r)
        errors = body.get("errors") if isinstance(body, dict) else None
        raise Refused(r.status_code, _detail(r), [e for e in (errors or []) if isinstance(e, dict)])
    if r.status_code >= 400:
        raise PageError(503 if r.status_code >= 500 else r.status_code, _detail(r))


def _json(r: httpx.Response) -> Any:
    try:
        return r.json()
    except ValueError:
        return None


def _detail(r: httpx.Response) -> str:
    body = _json(r)
    detail = body.get("detail") if isinstance(body, dict) else None
    return detail[:500] if isinstance(detail, str) else ""
