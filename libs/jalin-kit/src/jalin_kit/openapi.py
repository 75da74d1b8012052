"""What a service's OpenAPI document says of its errors: the house error body, and which
status each route may answer.

Every error of the API has the body ``{"detail": "..."}``; a request refused by its shape
(a 422 of the request's schema) adds ``errors``, one entry per field. ``create_app``
documents on every route what follows from the route itself (``errors_of``): 401 and 403
where a token is needed, 422 where there is anything to validate, 400 where a body is
parsed, 413 where a body may be sent at all (the body limit applies before the route).
The routes add what only they can answer: 404, 409, 410, 415 (``NOT_FOUND`` and the rest).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field

Responses = dict[int | str, dict[str, Any]]


class ErrorBody(BaseModel):
    """Every error this API answers."""

    detail: str = Field(description="What went wrong, in words.")


class FieldError(BaseModel):
    field: str = Field(description="Where: the field's dotted path in the body (partner.name), "
                                   "or query.limit, path.proposal_id; body for the body as a whole.")
    message: str


class ValidationErrorBody(ErrorBody):
    """422: the request is well-formed but not valid. ``errors`` lists the fields when the
    request was refused by its schema (``detail`` is then "invalid request"); a rule checked
    against what is stored gives ``detail`` alone."""

    errors: list[FieldError] = Field(default_factory=list, description="One entry per refused field.")


def error(description: str, model: type[BaseModel] = ErrorBody) -> dict[str, Any]:
    return {"model": model, "description": description}


NOT_FOUND: Responses = {404: error("No such object for the caller's region (another region's object is not found either).")}
CONFLICT: Responses = {409: error("The object's state does not allow this now.")}
GONE: Responses = {410: error("The object exists but its file is missing from the blob store.")}
UNSUPPORTED: Responses = {415: error("The file's type (read from its content) is not accepted.")}


def file_too_large(what: str) -> Responses:
    return {413: error(f"The {what} is larger than its limit (checked before it is read).")}


UNAUTHORIZED = error("No bearer token, or one that is not valid (signature, expiry, issuer, audience, claims), "
                     "or of a region not onboarded on this Jalin.") | {
    "headers": {"WWW-Authenticate": {"required": True, "description": "Bearer", "schema": {"type": "string"}}},
}
FORBIDDEN = error("The caller's roles do not allow this, or its region or unit is disabled or unknown to the region.")
INVALID = error("The request is not valid: its parameters or body, or a rule checked against stored data.",
                ValidationErrorBody)
UNPARSABLE = error("The body could not be parsed (not UTF-8, a broken multipart body).")
TOO_LARGE = error("The request body is larger than the service's limit (checked before it is read).")

BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _walk(dependant: Dependant) -> list[Dependant]:
    out = [dependant]
    for sub in dependant.dependencies:
        out.extend(_walk(sub))
    return out


def errors_of(route: APIRoute, authenticates: Callable[..., Any]) -> Responses:
    """The statuses ``route`` may answer because of what it is: a route that depends on
    ``authenticates`` (the token check) answers 401 and 403; one with parameters or a body
    422; one that parses a body 400; any that is not GET 413 (the body limit)."""
    parts = _walk(route.dependant)
    params = any(d.path_params or d.query_params or d.header_params or d.cookie_params or d.body_params for d in parts)
    body = any(d.body_params for d in parts) or "requestBody" in (route.openapi_extra or {})
    out: Responses = {}
    if body:
        out[400] = UNPARSABLE
    if any(d.call is authenticates for d in parts):
        out[401] = UNAUTHORIZED
        out[403] = FORBIDDEN
    if set(route.methods or ()) - BODYLESS_METHODS:
        out[413] = TOO_LARGE
    if params or body:
        out[422] = INVALID
    return out


def document_errors(routes: list[Any], authenticates: Callable[..., Any]) -> None:
    """Add ``errors_of`` to each API route's own responses (its own entries win). Call it
    before the router is included: the app builds its routes from these."""
    for route in routes:
        if isinstance(route, APIRoute):
            route.responses = {**errors_of(route, authenticates), **route.responses}
