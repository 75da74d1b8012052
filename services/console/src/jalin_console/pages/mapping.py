"""Pemetaan potensi: rounds, submitting a potential, the units that have not submitted, a potential turned into a proposal.

Every form is the proposals service's own body model (``RoundCreate``, ``PotentialCreate``,
``PotentialPropose``); a candidate partner is asked as the proposal form asks its partner (a
region on Jalin, or a name). What the service refuses comes back beside the field."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from jalin_console.backend import PageError, Refused
from jalin_console.forms import Field, attach_errors, body_from_form, fields_of
from jalin_console.i18n import Translator
from jalin_console.pages.proposals import openapi_of
from jalin_console.texts import TEXTS
from jalin_console.web import CurrentUser, User, backend_of, object_id, render, require_can, translator_of

router = APIRouter()
LIST_LIMIT = 500  # the proposals service's largest page
STATUSES = ("open", "closed")
NOTICES = {"created": "mapping.created", "submitted": "mapping.submitted", "closed": "mapping.closed"}
PROPOSE_ORDER = ("kind", "title", "objective", "scope", "term_months", "financing", "partner_tenant", "partner_name")
# The service's refusals in words: (its message, the text, the field it belongs beside).
REFUSALS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"deadline must lie"), "mapping.error.deadline", "deadline"),
    (re.compile(r"reminder offsets|valid list"), "mapping.error.offsets", "reminder_offsets_days"),
    (re.compile(r"unknown government affair"), "mapping.error.affair", "affair"),
    (re.compile(r"round is already closed"), "mapping.error.already_closed", ""),
    (re.compile(r"round is closed"), "mapping.error.round_closed", ""),
    (re.compile(r"deadline \(.*\) has passed"), "mapping.error.deadline_passed", ""),
    (re.compile(r"already proposal"), "mapping.error.already_proposed", ""),
    (re.compile(r"no candidate partner"), "mapping.error.no_partner", "partner_name"),
    (re.compile(r"needs a unit"), "mapping.error.no_unit", ""),
]


async def _body(request: Request, fields: list[Field]) -> dict[str, Any]:
    """The form as the service's body; what was typed (and ticked) stays in the fields."""
    body = body_from_form(fields, {k: v for k, v in (await request.form()).items() if isinstance(v, str)})
    for f in fields:
        if f.kind == "checkbox":
            f.value = "true" if body.get(f.name) else ""
    return body


def _labelled(fields: list[Field], t: Translator, form: str) -> list[Field]:
    """The page's own words for the service's field names and choices."""
    for f in fields:
        key = next((k for k in (f"mapping.field.{form}.{f.name}", f"mapping.field.{f.name}") if k in TEXTS), None)
        if key:
            f.label = t(key)
        if f.name == "kind":
            f.options = [(v, t.kind(v)) for v, _ in f.options]
        elif f.kind == "select":
            f.options = [(v, t(f"mapping.option.{v}") if f"mapping.option.{v}" in TEXTS else label) for v, label in f.options]
    return fields


def _partner_fields(openapi: dict[str, Any], t: Translator, tenants: list[dict[str, Any]], me: str) -> list[Field]:
    """``PartnerIn`` as two optional fields: a region on Jalin, or a party's name."""
    out = []
    for f in fields_of(openapi, "PartnerIn", t):
        f.name, f.required = f"partner_{f.name}", False
        f.label = t.field(f.name)
        if f.name == "partner_tenant":
            f.kind, f.max_length = "select", None
            f.options = [(e["id"], e["name"]) for e in tenants if e["id"] != me]
        out.append(f)
    return sorted(out, key=lambda f: f.name != "partner_tenant")


def _partner(body: dict[str, Any], tenants: list[dict[str, Any]]) -> dict[str, Any] | None:
    name, tenant = body.pop("partner_name", None), body.pop("partner_tenant", None)
    if tenant and not name:  # a region chosen from the list goes by its own name
        name = next((e["name"] for e in tenants if e["id"] == tenant), None)
    return {"name": name or "", "tenant": tenant} if name or tenant else None


def _refusal(fields: list[Field], exc: Refused | PageError, t: Translator) -> list[str]:
    """The service's refusal beside the fields it names; what no field shows, returned."""
    by_name = {f.name: f for f in fields}
    errors = list(getattr(exc, "errors", [])) or [{"field": "", "message": exc.detail}]
    rest, problems = [], []
    for e in errors:
        parts = [p for p in str(e.get("field", "")).split(".") if not p.isdigit()]
        if parts and parts[0] == "candidate_partners":
            parts[0] = "partner"
        field, message = ".".join(parts), str(e.get("message", ""))
        known = next(((key, name) for pattern, key, name in REFUSALS if pattern.search(message)), None)
        if known is None:
            rest.append({"field": field, "message": message})
        elif known[1] in by_name:
            by_name[known[1]].error = t(known[0])
        else:
            problems.append(t(known[0]))
    problems += [p for p in attach_errors(fields, rest, t) if p]
    if any(f.error for f in fields):
        return [t("proposal.form.errors"), *problems]
    return problems or [t("error.500")]


# -- rounds -------------------------------------------------------------------------------


async def _round_fields(request: Request, t: Translator) -> list[Field]:
    return _labelled(fields_of(await openapi_of(request, backend_of(request)), "RoundCreate", t), t, "round")


async def _rounds(request: Request, user: User, status: str = "", year: str = "", fields: list[Field] | None = None,
                  problems: list[str] | None = None, status_code: int = 200) -> Response:
    status = status if status in STATUSES else ""
    year = year if re.fullmatch(r"\d{4}", year) and 2000 <= int(year) <= 2100 else ""
    rows = await backend_of(request).get("proposals", "/v1/mapping-rounds", user.token, status=status, year=year,
                                         limit=LIST_LIMIT)
    if fields is None and "mapping.round.create" in request.state.can:
        fields = await _round_fields(request, translator_of(request))
    return render(request, "mapping.html", status_code=status_code, rows=rows, filters={"status": status, "year": year},
                  statuses=STATUSES, fields=fields or [], problems=problems or [])


@router.get("/pemetaan")
async def rounds_page(request: Request, user: CurrentUser, status: str = "", year: str = "") -> Response:
    return await _rounds(request, user, status[:16], year[:8])


@router.post("/pemetaan")
async def create_round(request: Request, user: CurrentUser) -> Response:
    require_can(request, "mapping.round.create")
    t = translator_of(request)
    fields = await _round_fields(request, t)
    body = await _body(request, fields)
    offsets = body.get("reminder_offsets_days")
    if isinstance(offsets, str):  # "14, 7, 3": numbers as numbers (else the text, which the service refuses)
        parts = [p for p in re.split(r"[\s,;]+", offsets) if p]
        if parts and all(p.isdigit() and len(p) <= 6 for p in parts):
            body["reminder_offsets_days"] = [int(p) for p in parts]
    try:
        created = await backend_of(request).post("proposals", "/v1/mapping-rounds", user.token, body)
    except Refused as exc:
        return await _rounds(request, user, fields=fields, problems=_refusal(fields, exc, t), status_code=422)
    return RedirectResponse(f"/pemetaan/{created['id']}?ok=created", status_code=303)


async def _nothing() -> None:
    return None


async def _round(request: Request, user: User, round_id: str) -> dict[str, Any]:
    """A round with its potentials, who is missing (when this user may ask) and the submit form."""
    backend, t, can = backend_of(request), translator_of(request), request.state.can
    submit = "mapping.potential.submit" in can
    r, potentials, missing, affairs, tenants = await asyncio.gather(
        backend.get("proposals", f"/v1/mapping-rounds/{round_id}", user.token),
        backend.get("proposals", "/v1/potentials", user.token, round_id=round_id, limit=LIST_LIMIT),
        backend.get("proposals", f"/v1/mapping-rounds/{round_id}/missing", user.token) if "mapping.missing" in can
        else _nothing(),
        backend.get("proposals", "/v1/government-affairs", user.token),
        backend.get("proposals", "/v1/tenants", user.token) if submit else _nothing(),
    )
    names = {a["id"]: a["name_en" if t.lang == "en" else "name_id"] for a in affairs}
    fields: list[Field] = []
    if submit:
        openapi = await openapi_of(request, backend)
        fields = [f for f in fields_of(openapi, "PotentialCreate", t) if f.name != "candidate_partners"]
        for f in fields:
            if f.name == "affair":
                f.options = list(names.items())
        fields = _labelled(fields, t, "potential") + _labelled(_partner_fields(openapi, t, tenants, user.tenant), t,
                                                              "potential")
    return {"r": r, "potentials": potentials, "missing": missing, "affairs": names, "fields": fields,
            "tenants": tenants or []}


@router.get("/pemetaan/{round_id}")
async def round_page(request: Request, user: CurrentUser, round_id: str, ok: str = "") -> Response:
    context = await _round(request, user, object_id(round_id))
    return render(request, "mapping_round.html", notice=NOTICES.get(ok), problems=[], close_problems=[], **context)


@router.post("/pemetaan/{round_id}/potensi")
async def submit_potential(request: Request, user: CurrentUser, round_id: str) -> Response:
    require_can(request, "mapping.potential.submit")
    context = await _round(request, user, object_id(round_id))
    fields, t = context["fields"], translator_of(request)
    body = await _body(request, fields)
    partner = _partner(body, context["tenants"])
    body["candidate_partners"] = [partner] if partner else []
    try:
        await backend_of(request).post("proposals", f"/v1/mapping-rounds/{round_id}/potentials", user.token, body)
    except (Refused, PageError) as exc:
        if isinstance(exc, PageError) and exc.status != 403:
            raise
        # 403 here: the service wants the token's unit claim; said beside the form, not a dead end.
        return render(request, "mapping_round.html", status_code=422 if isinstance(exc, Refused) else 403, notice=None,
                      problems=_refusal(fields, exc, t), close_problems=[], **context)
    return RedirectResponse(f"/pemetaan/{round_id}?ok=submitted", status_code=303)


@router.post("/pemetaan/{round_id}/tutup")
async def close_round(request: Request, user: CurrentUser, round_id: str) -> Response:
    require_can(request, "mapping.round.close")
    round_id = object_id(round_id)
    try:
        await backend_of(request).post("proposals", f"/v1/mapping-rounds/{round_id}/close", user.token)
    except Refused as exc:
        context = await _round(request, user, round_id)
        return render(request, "mapping_round.html", status_code=422, notice=None, problems=[],
                      close_problems=_refusal([], exc, translator_of(request)), **context)
    return RedirectResponse(f"/pemetaan/{round_id}?ok=closed", status_code=303)


# -- a potential, and the proposal it becomes ---------------------------------------------


async def _potential(request: Request, user: User, potential_id: str) -> dict[str, Any]:
    backend, t = backend_of(request), translator_of(request)
    propose = "mapping.potential.propose" in request.state.can
    p, affairs, tenants = await asyncio.gather(
        backend.get("proposals", f"/v1/potentials/{potential_id}", user.token),
        backend.get("proposals", "/v1/government-affairs", user.token),
        backend.get("proposals", "/v1/tenants", user.token) if propose else _nothing(),
    )
    r = await backend.get("proposals", f"/v1/mapping-rounds/{p['round_id']}", user.token)
    names = {a["id"]: a["name_en" if t.lang == "en" else "name_id"] for a in affairs}
    fields: list[Field] = []
    if propose:
        openapi = await openapi_of(request, backend)
        own = [f for f in fields_of(openapi, "PotentialPropose", t) if f.name != "partner"]
        own += _partner_fields(openapi, t, tenants, user.tenant)
        fields = sorted(_labelled(own, t, "propose"),
                        key=lambda f: PROPOSE_ORDER.index(f.name) if f.name in PROPOSE_ORDER else len(PROPOSE_ORDER))
        for f in fields:  # what the service would take from the potential anyway, shown to be changed
            f.value = {"title": p["title"], "objective": p["benefit"]}.get(f.name, f.value)
    return {"p": p, "r": r, "affair": names.get(p["affair"], p["affair_name"]), "fields": fields, "tenants": tenants or []}


@router.get("/pemetaan/potensi/{potential_id}")
async def potential_page(request: Request, user: CurrentUser, potential_id: str) -> Response:
    context = await _potential(request, user, object_id(potential_id))
    return render(request, "mapping_potential.html", problems=[], **context)


@router.post("/pemetaan/potensi/{potential_id}/usulkan")
async def propose(request: Request, user: CurrentUser, potential_id: str) -> Response:
    require_can(request, "mapping.potential.propose")
    context = await _potential(request, user, object_id(potential_id))
    fields, t = context["fields"], translator_of(request)
    body = await _body(request, fields)
    partner = _partner(body, context["tenants"])
    if partner:
        body["partner"] = partner
    try:
        created = await backend_of(request).post("proposals", f"/v1/potentials/{potential_id}/propose", user.token, body)
    except Refused as exc:
        return render(request, "mapping_potential.html", status_code=422, problems=_refusal(fields, exc, t), **context)
    return RedirectResponse(f"/usulan/{created['id']}?ok=created", status_code=303)
