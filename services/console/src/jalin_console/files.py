"""Files passing through the console: a service's file streamed to the browser, and an
upload's name made safe before it is passed on."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

from starlette.background import BackgroundTask
from starlette.responses import Response, StreamingResponse

from jalin_console.backend import Backend

CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
MAX_NAME = 120  # what the services keep of a file's name


def safe_name(name: str | None, fallback: str = "berkas") -> str:
    """An upload's name as sent on: no folder, no control characters, no quote, bounded (its end kept)."""
    base = CONTROL.sub("", re.split(r"[\\/]", (name or "")[-4 * MAX_NAME:])[-1]).strip().replace('"', "'")
    if len(base) > MAX_NAME:
        base = base[: MAX_NAME - 21] + "…" + base[-20:]
    return base or fallback


async def passthrough(backend: Backend, service: str, path: str, token: str, fallback: str) -> Response:
    """A service's file streamed through (never whole in memory), with its own RFC 6266 name."""
    upstream = await backend.stream(service, path, token)
    disposition = upstream.headers.get("content-disposition") or f'attachment; filename="{fallback}"'

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_bytes():
                yield chunk
        finally:
            await upstream.aclose()

    return StreamingResponse(
        body(), media_type=upstream.headers.get("content-type", "application/octet-stream"),
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff",
                 "Cache-Control": "private, no-store"},
        background=BackgroundTask(upstream.aclose),
    )
