"""Every answer carries a request id, and every log line of the request carries the same one:
the caller's own when it is a plain token, else a new one; concurrent requests keep theirs."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
import structlog
from fastapi import FastAPI
from jalin_kit.logging import configure_logging
from jalin_kit.request_id import RequestId


def make_app() -> FastAPI:
    app = FastAPI()
    log = structlog.get_logger("test")

    @app.get("/x/{n}")
    async def x(n: int) -> dict[str, int]:
        log.info("first", n=n)
        await asyncio.sleep(0.01 * (3 - n))  # interleave the requests
        log.info("second", n=n)
        return {"n": n}

    app.add_middleware(RequestId)
    return app


async def test_each_request_and_its_log_lines_carry_one_id(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("kit-test", json=True)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=make_app()), base_url="http://t") as c:
        answers = await asyncio.gather(*(c.get(f"/x/{n}") for n in range(3)),
                                       c.get("/x/9", headers={"X-Request-ID": "proxy-abc-123"}),
                                       c.get("/x/8", headers={"X-Request-ID": "bad id\n<script>"}))
    ids = {r.json()["n"]: r.headers["x-request-id"] for r in answers}
    assert ids[9] == "proxy-abc-123"  # the caller's own, a plain token
    assert ids[8] != "bad id\n<script>" and len(ids[8]) == 32  # not a token: a new one
    assert len(set(ids.values())) == 5
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    for n, request_id in ids.items():
        mine = [line for line in lines if line.get("n") == n]
        assert [line["event"] for line in mine] == ["first", "second"]
        assert {line["request_id"] for line in mine} == {request_id}, mine
    assert all(line["service"] == "kit-test" for line in lines if "n" in line)
