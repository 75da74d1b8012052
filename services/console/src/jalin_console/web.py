"""What every page shares: the signed-in user, the CSRF token, the language, rendering."""

from __future__ import annotations

import asyncio
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.templating import Jinja2Templates
from jalin_kit.http import OBJECT_ID
from starlette.responses import Response

from jalin_console.backend import Backend, PageError, SignInNeeded
from jalin_console.i18n import LANGUAGES, Translator
from jalin_console.settings import SERVICES, ConsoleSettings

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
SECURITY_HEADERS = {
    # Every script and style is a file of the console's own: nothing inline, nothing from elsewhere.
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
}
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FILE_FORMS = ("/unggah", "/impor")
"""The paths of the forms that carry a file (bounded by ``max_upload_bytes``, not ``max_form_bytes``)."""


class NotSignedIn(Exception):
    """No session (or an expired one): the page redirects to the sign-in."""


class CsrfRefused(Exception):
    pass


class RevokedSessions:
    """Sessions ended by signing out, until they would have expired anyway: a copy of the
    cookie taken before ``/keluar`` opens nothing afterwards. Kept by each console process;
    with several replicas, one that did not see the sign-out still honours the copy until it
    expires (the session's lifetime bounds that)."""

    def __init__(self, most: int = 100_000) -> None:
        self._until: dict[str, float] = {}
        self._most = most

    def add(self, sid: str, until: float) -> None:
        now = time.time()
        if len(self._until) >= self._most:
            self._until = {k: v for k, v in self._until.items() if v > now}
            while len(self._until) >= self._most:  # still full of live entries: the oldest go first
                self._until.pop(next(iter(self._until)))
        self._until[sid] = until

    def __contains__(self, sid: object) -> bool:
        until = self._until.get(sid) if isinstance(sid, str) else None
        return until is not None and until > time.time()


@dataclass(frozen=True)
class User:
    token: str
    user: str
    name: str
    tenant: str
    roles: tuple[str, ...]
    unit: str | None
    expires: float

    def to_session(self) -> dict[str, Any]:
        return {"token": self.token, "user": self.user, "name": self.name, "tenant": self.tenant,
                "roles": list(self.roles), "unit": self.unit, "expires": self.expires}

    @classmethod
    def from_session(cls, data: Any) -> User | None:
        if not isinstance(data, dict):
            return None
        try:
            user = cls(token=str(data["token"]), user=str(data["user"]), name=str(data["name"]),
                       tenant=str(data["tenant"]), roles=tuple(str(r) for r in data["roles"]),
                       unit=None if data.get("unit") is None else str(data["unit"]), expires=float(data["expires"]))
        except (KeyError, TypeError, ValueError):
            return None
        return user if user.expires > time.time() else None


def settings_of(request: Request) -> ConsoleSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def backend_of(request: Request) -> Backend:
    return request.app.state.backend  # type: ignore[no-any-return]


def lang_of(request: Request) -> str:
    lang = request.cookies.get("lang", "id")
    return lang if lang in LANGUAGES else "id"


def translator_of(request: Request) -> Translator:
    """The reader's language."""
    return Translator(lang_of(request))


def object_id(value: str) -> str:
    """A path's object id as the services take it; anything else is the 404 page."""
    if not OBJECT_ID.fullmatch(value):
        raise PageError(404)
    return value


def require_can(request: Request, operation: str) -> None:
    """The 403 page unless the services allow ``operation`` to this user (``request.state.can``)."""
    if operation not in request.state.can:
        raise PageError(403)


def csrf_token(request: Request) -> str:
    token = request.session.get(CSRF_FIELD)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[CSRF_FIELD] = token
    return token


async def check_csrf(request: Request) -> None:
    """Every unsafe request carries the session's token, in the form or (htmx) a header."""
    if request.method not in UNSAFE:
        return
    expected = request.session.get(CSRF_FIELD)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.url.path in FILE_FORMS and signed_in_user(request) is None:
        raise NotSignedIn()  # a file is read (spooled) only for someone signed in
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not (isinstance(expected, str) and sent and secrets.compare_digest(expected, sent)):
        raise CsrfRefused()


class CapabilityCache:
    """What each service's ``GET /v1/capabilities`` said for a tenant and a set of roles: the
    answer depends on nothing else, so a page asks once per console process (bounded, and
    asked again after ``ttl`` seconds: a changed access table is seen without a restart). A
    service that cannot answer contributes nothing, and that answer is not kept: its pages
    then show its own error, the others still work."""

    def __init__(self, most: int = 10_000, ttl: float = 300.0) -> None:
        self._known: dict[tuple[str, tuple[str, ...]], tuple[float, frozenset[str]]] = {}
        self._most, self._ttl = most, ttl

    async def of(self, backend: Backend, user: User) -> frozenset[str]:
        key = (user.tenant, tuple(sorted(user.roles)))
        known = self._known.get(key)
        if known is not None and known[0] > time.monotonic():
            return known[1]
        answers = await asyncio.gather(*(backend.get(s, "/v1/capabilities", user.token) for s in SERVICES),
                                       return_exceptions=True)
        for answer in answers:
            if isinstance(answer, SignInNeeded):
                raise answer  # the token itself is refused: sign in again
        operations = frozenset(
            op for a in answers if isinstance(a, dict) and isinstance(a.get("operations"), list)
            for op in a["operations"] if isinstance(op, str)
        )
        if all(isinstance(a, dict) for a in answers):
            if len(self._known) >= self._most:
                self._known.clear()
            self._known[key] = (time.monotonic() + self._ttl, operations)
        return operations


def signed_in_user(request: Request) -> User | None:
    """The session's user, unless the session expired or was signed out."""
    user = User.from_session(request.session.get("user"))
    if user is not None and request.session.get("sid") in request.app.state.revoked:
        return None
    return user


async def current_user(request: Request) -> User:
    """The signed-in user, with what the services let them do in ``request.state.can``."""
    user = signed_in_user(request)
    if user is None:
        request.session.pop("user", None)
        raise NotSignedIn()
    request.state.can = await request.app.state.capabilities.of(backend_of(request), user)
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def local_path(target: str | None, default: str = "/") -> str:
    """A redirect target that stays on the console (no scheme, no host, no ``//``)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def sign_in_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/masuk?next={quote(here, safe='')}"


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    t = Translator(lang_of(request))
    user = User.from_session(request.session.get("user"))
    context.setdefault("unread", None)
    response = TEMPLATES.TemplateResponse(
        request,
        template,
        {"t": t, "lang": t.lang, "user": user, "csrf": csrf_token(request), "path": request.url.path,
         "settings": settings_of(request), "can": getattr(request.state, "can", frozenset()), **context},
        status_code=status_code,
    )
    # Here as well as in the app's middleware: the page of an unexpected error is rendered
    # outside it (Starlette's outermost error handler).
    response.headers.update({**SECURITY_HEADERS, "Cache-Control": "no-store"})
    return response


def start_session(request: Request, user: User) -> None:
    """A new session for the user: nothing of the one before survives (its CSRF token neither)."""
    request.session.clear()
    request.session["sid"] = secrets.token_urlsafe(24)
    request.session["user"] = user.to_session()
