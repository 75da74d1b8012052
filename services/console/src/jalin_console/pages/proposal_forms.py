"""Usulan baru and Ubah usulan: the forms of ``ProposalCreate`` and ``ProposalUpdate`` as the
proposals service's OpenAPI document states them (fields, which are required, limits, the
kinds and their own fields), the partner chosen among the regions on Jalin; what the service
refuses comes back beside its field."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from jalin_console.backend import PageError, Refused
from jalin_console.forms import Field, attach_errors, body_from_form, fields_of
from jalin_console.pages.proposals import openapi_of
from jalin_console.web import CurrentUser, User, backend_of, object_id, render, require_can, translator_of

router = APIRouter()
ORDER = ["title", "kind", "partner.tenant", "partner.name", "objective", "scope", "term_months", "financing",
         "burdens_public", "unbudgeted", "liaison_officer", "ksdd_type", "initiator", "ksdpk_kind"]
"""The order officials fill them in (the schema lists the kinds' own fields first)."""


async def _fields(request: Request, user: User, model: str) -> list[Field]:
    backend, t = backend_of(request), translator_of(request)
    openapi, tenants = await asyncio.gather(openapi_of(request, backend),
                                            backend.get("proposals", "/v1/tenants", user.token))
    request.state.tenants = {e["id"]: e["name"] for e in tenants}
    fields = fields_of(openapi, model, t)
    for f in fields:
        if f.name == "partner.tenant":  # one of the regions on Jalin, never free text
            f.kind = "select"
            f.options = [(e["id"], e["name"]) for e in tenants if e["id"] != user.tenant]
    rank = {name: i for i, name in enumerate(ORDER)}
    return sorted(fields, key=lambda f: rank.get(f.name, len(ORDER)))


def _page(request: Request, fields: list[Field], action: str, title: str, status: int = 200,
          problems: list[str] | None = None, back: str = "/usulan") -> Response:
    return render(request, "proposal_form.html", status_code=status, fields=fields, action=action,
                  title_key=title, problems=problems or [], back=back)


def _body(request: Request, fields: list[Field], form: dict[str, str]) -> dict[str, Any]:
    """The form as the service's body; a region chosen from the list goes by its own name."""
    body = body_from_form(fields, form)
    partner = body.get("partner")
    if isinstance(partner, dict) and partner.get("tenant") and not partner.get("name"):
        partner["name"] = request.state.tenants.get(partner["tenant"], "")
    return body


def _refused(request: Request, fields: list[Field], exc: Refused) -> list[str]:
    t = translator_of(request)
    rest = attach_errors(fields, exc.errors, t) or ([] if exc.errors else [t.message(exc.detail)])
    return [t("proposal.form.errors"), *rest]


@router.get("/usulan/baru")
async def create_page(request: Request, user: CurrentUser) -> Response:
    require_can(request, "proposal.create")
    return _page(request, await _fields(request, user, "ProposalCreate"), "/usulan/baru", "proposal.form.title")


@router.post("/usulan/baru")
async def create(request: Request, user: CurrentUser) -> Response:
    require_can(request, "proposal.create")
    fields = await _fields(request, user, "ProposalCreate")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    body = _body(request, fields, form)
    try:
        created = await backend_of(request).post("proposals", "/v1/proposals", user.token, body)
    except Refused as exc:
        return _page(request, fields, "/usulan/baru", "proposal.form.title", 422, _refused(request, fields, exc))
    return RedirectResponse(f"/usulan/{created['id']}?ok=created", status_code=303)


def _prefill(fields: list[Field], p: dict[str, Any]) -> None:
    """The form of an edit holds the proposal as it is (a kind's own fields only for that kind)."""
    values: dict[str, Any] = {**p, "partner.tenant": p["partner"].get("tenant"), "partner.name": p["partner"]["name"]}
    if p["kind"] != "ksdd":
        values["ksdd_type"] = None
    if p["kind"] != "ksdpk":
        values["initiator"] = values["ksdpk_kind"] = None
    for f in fields:
        value = values.get(f.name)
        f.value = ("true" if value else "") if f.kind == "checkbox" else "" if value is None else str(value)


async def _editable(request: Request, user: User, proposal_id: str) -> dict[str, Any]:
    object_id(proposal_id)
    p = await backend_of(request).get("proposals", f"/v1/proposals/{proposal_id}", user.token)
    if not p.get("editable"):  # the service says whether this caller may edit it now
        raise PageError(403)
    return p  # type: ignore[no-any-return]


@router.get("/usulan/{proposal_id}/ubah")
async def edit_page(request: Request, user: CurrentUser, proposal_id: str) -> Response:
    p = await _editable(request, user, proposal_id)
    fields = await _fields(request, user, "ProposalUpdate")
    _prefill(fields, p)
    return _page(request, fields, f"/usulan/{proposal_id}/ubah", "proposal.form.edit", back=f"/usulan/{proposal_id}")


@router.post("/usulan/{proposal_id}/ubah")
async def edit(request: Request, user: CurrentUser, proposal_id: str) -> Response:
    """The service decides (403 another region's, 404 another unit's, 409 not a draft)."""
    object_id(proposal_id)
    fields = await _fields(request, user, "ProposalUpdate")
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    body = _body(request, fields, form)
    try:
        await backend_of(request).request("PATCH", "proposals", f"/v1/proposals/{proposal_id}", user.token, json=body)
    except Refused as exc:
        return _page(request, fields, f"/usulan/{proposal_id}/ubah", "proposal.form.edit", exc.status,
                     _refused(request, fields, exc), back=f"/usulan/{proposal_id}")
    return RedirectResponse(f"/usulan/{proposal_id}?ok=edited", status_code=303)
