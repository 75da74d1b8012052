"""The body limit answers 413 before the app reads a byte (declared length) or as soon as a
streamed body passes it; the app behind never sees the body."""

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from jalin_kit.limits import BodyLimit


def make_app(seen: list[int]) -> FastAPI:
    app = FastAPI()

    @app.post("/json")
    async def take_json(body: dict[str, Any]) -> dict[str, int]:
        seen.append(len(body))
        return {"keys": len(body)}

    @app.post("/upload")
    async def take_file(request: Request) -> dict[str, int]:
        data = await request.body()
        seen.append(len(data))
        return {"bytes": len(data)}

    @app.post("/form")
    async def take_form(request: Request) -> dict[str, int]:
        data = await request.body()
        seen.append(len(data))
        return {"bytes": len(data)}

    app.add_middleware(BodyLimit, limit=1024, own_bound=["/upload"], larger={"/form": 4096})
    return app


@pytest.fixture
def seen() -> list[int]:
    return []


@pytest.fixture
async def client(seen: list[int]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=make_app(seen))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        yield c


async def test_a_body_within_the_limit_passes(client: httpx.AsyncClient, seen: list[int]) -> None:
    r = await client.post("/json", json={"a": "x" * 500})
    assert r.status_code == 200 and seen == [1]


async def test_a_declared_length_over_the_limit_is_refused_unread(client: httpx.AsyncClient, seen: list[int]) -> None:
    r = await client.post("/json", content=b"{" + b" " * 2000 + b"}", headers={"content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {"detail": "the request body is larger than the limit of 1024 bytes"}
    assert seen == []


async def test_a_streamed_body_is_refused_when_it_passes_the_limit(client: httpx.AsyncClient, seen: list[int]) -> None:
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100):
            sent += 256
            yield b" " * 256

    r = await client.post("/json", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413 and seen == []
    assert sent < 100 * 256  # reading stopped at the limit


async def test_a_file_route_is_left_to_its_own_limit(client: httpx.AsyncClient, seen: list[int]) -> None:
    assert (await client.post("/upload", content=b"x" * 3000)).status_code == 200
    assert (await client.post("/json", content=b"x" * 3000)).status_code == 413
    assert seen == [3000]


async def test_a_length_that_is_not_a_number_is_refused(client: httpx.AsyncClient, seen: list[int]) -> None:
    transport = httpx.ASGITransport(app=make_app(seen))
    scope_headers = {"content-length": "12abc", "content-type": "application/json"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        request = c.build_request("POST", "/json", content=b"{}")
        request.headers.update(scope_headers)
        r = await c.send(request)
    assert r.status_code == 400 and seen == []


async def test_an_answer_given_before_the_body_was_read_closes_the_connection(client: httpx.AsyncClient) -> None:
    assert (await client.post("/json", json={"a": 1})).headers.get("connection") is None  # read to its end
    assert (await client.post("/nothing", content=b"x" * 10)).headers.get("connection") == "close"  # 404, unread
    assert (await client.post("/json", content=b" " * 2000)).headers.get("connection") == "close"


async def test_a_path_with_a_larger_limit_is_bounded_by_it(client: httpx.AsyncClient, seen: list[int]) -> None:
    assert (await client.post("/form", content=b"x" * 3000)).status_code == 200
    r = await client.post("/form", content=b"x" * 5000)
    assert r.status_code == 413 and r.json()["detail"].endswith("limit of 4096 bytes")
    assert seen == [3000]


async def test_a_streamed_body_over_a_larger_limit_is_refused(client: httpx.AsyncClient, seen: list[int]) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(40):
            yield b"x" * 256  # 10 KB, past /form's 4 KB

    r = await client.post("/form", content=chunks())
    assert r.status_code == 413 and seen == []


async def test_a_refusal_can_have_a_shape_of_its_own(seen: list[int]) -> None:
    app = FastAPI()

    @app.post("/x")
    async def take(request: Request) -> dict[str, int]:
        seen.append(len(await request.body()))
        return {}

    app.add_middleware(BodyLimit, limit=10, answer=lambda status, detail: (b"text/html", f"<p>{status}</p>".encode()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c:
        r = await c.post("/x", content=b"y" * 100)
    assert (r.status_code, r.headers["content-type"], r.text) == (413, "text/html", "<p>413</p>") and seen == []
