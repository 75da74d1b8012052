"""A bound on every request body, applied before the body is read and before the token is
checked: FastAPI reads a whole JSON body into memory before it solves any dependency, so
without this an anonymous client could make a service hold any amount (one 100 MB POST
once took a service from 137 MB to 419 MB).

A declared ``Content-Length`` over the limit is answered 413 at once, without reading a
byte; a chunked body is counted as it arrives and refused when it passes the limit. Routes
that take files (attachments, imports) get their own, larger limit by path and check the
caller themselves before they read: they are named to the middleware, which leaves them
to their own bound (``UploadRoute`` of the documents service, the proposals import).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
BODYLESS = frozenset({"GET", "HEAD", "OPTIONS"})


def size_text(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB" if n >= 1024 * 1024 else f"{n} bytes"


def too_large_message(limit: int) -> str:
    return f"the request body is larger than the limit of {size_text(limit)}"


class BodyLimit:
    """Pure ASGI middleware: ``limit`` bytes for every body but those of ``own_bound``, the
    paths of routes that bound their bodies themselves, and those of ``larger``: paths with a
    limit of their own, applied here the same way (the console's file forms)."""

    def __init__(self, app: ASGIApp, limit: int = DEFAULT_MAX_BODY_BYTES, own_bound: Iterable[str] = (),
                 larger: Mapping[str, int] | None = None,
                 answer: Callable[[int, str], tuple[bytes, bytes]] | None = None) -> None:
        """``answer(status, detail)`` gives the refusal's (content type, body) when it is not
        the house JSON error (the console answers with a page of its own)."""
        self.app = app
        self.answer = answer or _json_answer
        self.limit = limit
        self.own_bound = frozenset(own_bound)
        self.larger = dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS or scope["path"] in self.own_bound:
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.limit)
        declared = _content_length(scope)
        if declared == -1:
            await _refuse(send, 400, *self.answer(400, "the Content-Length header is not a number"))
            return
        if declared is not None and declared > limit:
            await _refuse(send, 413, *self.answer(413, too_large_message(limit)))
            return
        received = 0
        exceeded = False
        drained = declared == 0

        async def counting() -> Message:
            nonlocal received, exceeded, drained
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                drained = not message.get("more_body", False)
                if received > limit:
                    exceeded = True
                    # Raised inside the app's read: its exception middleware answers 413.
                    raise HTTPException(413, too_large_message(limit))
            return message

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and (exceeded or not drained):
                # An answer given before the body was read to its end (refused, or a route that
                # takes none) closes the connection: else the server reads and drops the rest.
                message = {**message, "headers": [*message.get("headers", []), (b"connection", b"close")]}
            await send(message)

        await self.app(scope, counting, closing)


def _content_length(scope: Scope) -> int | None:
    """The declared length, None when absent, -1 when it is not a number."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() and len(value) <= 19 else -1
    return None


def _json_answer(status: int, detail: str) -> tuple[bytes, bytes]:
    return b"application/json", json.dumps({"detail": detail}).encode()


async def _refuse(send: Send, status: int, content_type: bytes, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),  # the unread body must not be taken for the next request
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
