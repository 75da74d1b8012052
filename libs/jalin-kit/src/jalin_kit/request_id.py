"""A request id on every HTTP answer and in every log line of that request: the caller's own
``X-Request-ID`` when it is a plain token (a proxy's, an operator's), else a new one."""

from __future__ import annotations

import re
import uuid

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = b"x-request-id"
_GIVEN = re.compile(rb"[A-Za-z0-9._:-]{8,64}")


class RequestId:
    """Pure ASGI middleware (outermost): binds ``request_id`` for the request's log lines and
    answers it in ``X-Request-ID``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == HEADER), b"")
        request_id = given.decode() if _GIVEN.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER]
                message = {**message, "headers": [*headers, (HEADER, request_id.encode())]}
            await send(message)

        # The request runs in its own task (uvicorn): what is bound here is this request's only.
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, answer)
