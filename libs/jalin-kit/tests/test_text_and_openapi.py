"""Text as the schema states it, days as YYYY-MM-DD, and the statuses ``errors_of`` documents."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

import pytest
from fastapi import APIRouter, Body, Depends, FastAPI
from jalin_kit.openapi import document_errors
from jalin_kit.text import TEXT_PATTERN, Day, Text, text_problem
from pydantic import BaseModel, Field, ValidationError

SAMPLES = [
    ("Rujukan pasien", None),
    ("a", None),
    ("Baris satu\nbaris dua\r\n\tdan tiga", None),
    ("ab\u00a0cd", None),  # a no-break space inside is text
    ("", "must not be blank"),
    ("   ", "must not be blank"),
    (" Rujukan", "must not begin or end with whitespace"),
    ("Rujukan\n", "must not begin or end with whitespace"),
    ("Rujukan\u3000", "must not begin or end with whitespace"),
    ("\u00a0Rujukan", "must not begin or end with whitespace"),
    ("Ruj\x00ukan", "must not contain control characters (tab and line breaks are allowed)"),
    ("Ruj\x1bukan", "must not contain control characters (tab and line breaks are allowed)"),
    ("Ruj\x7fukan", "must not contain control characters (tab and line breaks are allowed)"),
]


class Note(BaseModel):
    text: Text = Field(min_length=1, max_length=10)
    day: Day | None = None


@pytest.mark.parametrize(("value", "problem"), SAMPLES)
def test_the_schema_pattern_pydantic_and_the_words_agree(value: str, problem: str | None) -> None:
    assert text_problem(value) == problem
    assert (re.fullmatch(TEXT_PATTERN[1:-1], value) is None) == (problem is not None)  # Python's engine
    try:
        Note(text=value[:10] if problem is None else value)  # pydantic's (Rust) engine
        accepted = True
    except ValidationError as exc:
        accepted = False
        assert exc.errors()[0]["type"] in ("string_pattern_mismatch", "string_too_short")
    assert accepted == (problem is None)


def test_lengths_count_the_value_as_sent() -> None:
    assert Note.model_json_schema()["properties"]["text"] == {
        "maxLength": 10, "minLength": 1, "pattern": TEXT_PATTERN, "title": "Text", "type": "string",
    }
    with pytest.raises(ValidationError, match="at most 10 characters"):
        Note(text="  " + "x" * 9)  # padding no longer hides a length over the limit


@pytest.mark.parametrize("value", [0, 1_700_000_000, "2026-01-31T00:00:00", "31-01-2026", "2026-1-31"])
def test_a_day_is_written_yyyy_mm_dd(value: object) -> None:
    with pytest.raises(ValidationError, match="YYYY-MM-DD"):
        Note(text="x", day=value)  # type: ignore[arg-type]
    assert Note(text="x", day="2026-01-31").day == date(2026, 1, 31)  # type: ignore[arg-type]


async def _auth() -> str:
    return "someone"


class Body_(BaseModel):
    name: str


def test_errors_of_documents_what_each_route_may_answer() -> None:
    router = APIRouter()

    @router.get("/open")
    async def open_() -> dict[str, str]:
        return {}

    @router.get("/listed")
    async def listed(_: Annotated[str, Depends(_auth)]) -> list[str]:
        return []

    @router.get("/filtered")
    async def filtered(_: Annotated[str, Depends(_auth)], q: str | None = None) -> list[str]:
        return []

    @router.post("/things")
    async def create(_: Annotated[str, Depends(_auth)], body: Annotated[Body_, Body()]) -> dict[str, str]:
        return {}

    @router.post("/things/{thing_id}/close", responses={409: {"description": "Closed already."}})
    async def close(thing_id: str, _: Annotated[str, Depends(_auth)]) -> dict[str, str]:
        return {}

    document_errors(router.routes, _auth)
    app = FastAPI()
    app.include_router(router)
    paths = app.openapi()["paths"]
    codes = {f"{m.upper()} {p}": sorted(op["responses"]) for p, ops in paths.items() for m, op in ops.items()}
    assert codes == {
        "GET /open": ["200"],
        "GET /listed": ["200", "401", "403"],
        "GET /filtered": ["200", "401", "403", "422"],
        "POST /things": ["200", "400", "401", "403", "413", "422"],
        "POST /things/{thing_id}/close": ["200", "401", "403", "409", "413", "422"],
    }
    invalid = paths["/things"]["post"]["responses"]["422"]["content"]["application/json"]["schema"]
    assert invalid == {"$ref": "#/components/schemas/ValidationErrorBody"}
    assert "HTTPValidationError" not in app.openapi()["components"]["schemas"]
