"""Usulan: the list, the detail page with the actions this user may take, the create form,
and the offers from other regions (Penawaran masuk)."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from jalin_kit.identifiers import TENANT_ID, UNIT_ID
from starlette.responses import Response

from jalin_console.backend import Backend, PageError, Refused
from jalin_console.forms import attach_errors, body_from_form, fields_of
from jalin_console.i18n import KINDS, STAGES
from jalin_console.web import CurrentUser, backend_of, object_id, render, translator_of

router = APIRouter()
PAGE_SIZE = 25
COMMENT_ECHO = 4000  # a refused comment is shown again, up to the service's own limit


async def openapi_of(request: Request, backend: Backend) -> dict[str, Any]:
    """The proposals service's OpenAPI document, read once per console process."""
    cached = getattr(request.app.state, "proposals_openapi", None)
    if cached is None:
        try:
            r = await backend.client.get(f"{backend.urls['proposals']}/openapi.json")
            r.raise_for_status()
            cached = r.json()
        except Exception:  # noqa: BLE001 - shown as a service that cannot be reached
            raise PageError(503, "proposals: openapi.json") from None
        request.app.state.proposals_openapi = cached
    return cached  # type: ignore[no-any-return]


def _clean_filters(stage: str, side: str, q: str, kind: str, unit: str, year: str, partner: str) -> dict[str, str]:
    """The list's filters as the service accepts them; anything else is dropped, not sent."""
    year_ok = year.isdigit() and len(year) == 4 and 2000 <= int(year) <= 2100
    return {
        "stage": stage if stage in STAGES else "",
        "side": side if side in ("own", "partner") else "",
        "q": " ".join(q.split())[:200],
        "kind": kind if kind in KINDS else "",
        "unit": unit if UNIT_ID.fullmatch(unit) else "",
        "year": year if year_ok else "",
        "partner": partner if TENANT_ID.fullmatch(partner) else "",
    }


@router.get("/usulan")
async def list_page(request: Request, user: CurrentUser, stage: str = "", side: str = "", q: str = "", kind: str = "",
                    unit: str = "", year: str = "", partner: str = "", page: int = 1) -> Response:
    """Filtered and paged by the proposals service (``X-Total-Count``); the filters' choices
    from its counts."""
    backend = backend_of(request)
    filters = _clean_filters(stage, side, q[:400], kind, unit[:64], year[:4], partner[:64])
    sent = {k: v for k, v in filters.items() if v}
    page = max(1, min(page, 10_000))
    listed, counts = await asyncio.gather(
        backend.request("GET", "proposals", "/v1/proposals", user.token,
                        params={**sent, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE}),
        backend.get("proposals", "/v1/proposal-counts", user.token, **sent),
    )
    rows, total = listed.json(), int(listed.headers.get("x-total-count", "0"))
    pages = max(1, -(-total // PAGE_SIZE))
    # Only the rows for htmx's own swap; a history restore (Back) gets the whole page.
    partial = request.headers.get("hx-request") and not request.headers.get("hx-history-restore-request")
    template = "proposals_rows.html" if partial else "proposals.html"
    return render(request, template, rows=rows, total=total, page=page, pages=pages, filters=filters,
                  query=urlencode(sent), stages=STAGES, kinds=KINDS, years=sorted(counts["by_year"], reverse=True),
                  units=sorted(counts["by_unit"]))


async def _detail(request: Request, user: CurrentUser, proposal_id: str) -> dict[str, Any]:
    backend = backend_of(request)
    object_id(proposal_id)
    proposal = await backend.get("proposals", f"/v1/proposals/{proposal_id}", user.token)

    async def optional(service: str, path: str, **params: Any) -> Any:
        try:
            return await backend.get(service, path, user.token, **params)
        except PageError as exc:
            if exc.status in (403, 404):
                return []
            raise

    actions, history, agreements, documents, plans = await asyncio.gather(
        backend.get("proposals", f"/v1/proposals/{proposal_id}/actions", user.token),
        optional("proposals", f"/v1/proposals/{proposal_id}/history"),
        optional("proposals", "/v1/agreements", proposal_id=proposal_id),
        optional("documents", "/v1/documents", proposal_id=proposal_id),
        optional("evaluation", "/v1/plans", proposal_id=proposal_id),
    )
    openapi = await openapi_of(request, backend)
    t = translator_of(request)
    forms = [{"command": a["command"], "label": t.command(a["command"]), "fields": fields_of(openapi, a.get("body"), t),
              "target": a["target"]} for a in actions]
    return {"p": proposal, "forms": forms, "history": history, "agreements": agreements, "documents": documents,
            "plan": plans[0] if plans else None}


@router.get("/usulan/{proposal_id}")
async def detail_page(request: Request, user: CurrentUser, proposal_id: str, ok: str = "") -> Response:
    context = await _detail(request, user, proposal_id)
    notice = {"created": "proposal.created", "done": "proposal.done", "commented": "proposal.commented",
              "edited": "proposal.edited"}.get(ok)
    return render(request, "proposal.html", notice=notice, problems=[], failed=None, **context)


@router.post("/usulan/{proposal_id}/aksi/{command}")
async def act(request: Request, user: CurrentUser, proposal_id: str, command: str) -> Response:
    context = await _detail(request, user, proposal_id)
    chosen = next((f for f in context["forms"] if f["command"] == command), None)
    if chosen is None:  # not an action this user may take now: the service would say 403/409
        raise PageError(403)
    form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    body = body_from_form(chosen["fields"], form)
    t = translator_of(request)
    try:
        await backend_of(request).post("proposals", f"/v1/proposals/{proposal_id}/actions/{command}", user.token,
                                       body if chosen["fields"] else None)
    except Refused as exc:
        problems = attach_errors(chosen["fields"], exc.errors, t) or ([] if exc.errors else [t.message(exc.detail)])
        return render(request, "proposal.html", status_code=422, notice=None, problems=problems, failed=command,
                      **context)
    return RedirectResponse(f"/usulan/{proposal_id}?ok=done", status_code=303)


@router.post("/usulan/{proposal_id}/komentar")
async def comment(request: Request, user: CurrentUser, proposal_id: str) -> Response:
    """A comment in the history both regions see (an offer's questions, a reply)."""
    object_id(proposal_id)
    text = str((await request.form()).get("text", ""))
    try:
        await backend_of(request).post("proposals", f"/v1/proposals/{proposal_id}/comments", user.token,
                                       {"text": text} if text else {})  # none: "required", as the form says
    except Refused as exc:
        context = await _detail(request, user, proposal_id)
        t = translator_of(request)
        messages = [t.message(str(e.get("message", ""))) for e in exc.errors] or [t.message(exc.detail)]
        return render(request, "proposal.html", status_code=422, notice=None, problems=[], failed=None,
                      comment_problems=messages, comment_text=text[:COMMENT_ECHO], **context)
    return RedirectResponse(f"/usulan/{proposal_id}?ok=commented#komentar", status_code=303)


@router.get("/usulan/{proposal_id}/riwayat")
async def history_page(request: Request, user: CurrentUser, proposal_id: str) -> Response:
    """Riwayat: the whole audit trail (who, with which roles, when, from which stage to which, why)."""
    object_id(proposal_id)
    backend = backend_of(request)
    proposal, history = await asyncio.gather(
        backend.get("proposals", f"/v1/proposals/{proposal_id}", user.token),
        backend.get("proposals", f"/v1/proposals/{proposal_id}/history", user.token),
    )
    return render(request, "history.html", p=proposal, history=history)


@router.get("/usulan/{proposal_id}/riwayat.csv")
async def history_csv(request: Request, user: CurrentUser, proposal_id: str) -> Response:
    object_id(proposal_id)
    upstream = await backend_of(request).request("GET", "proposals", f"/v1/proposals/{proposal_id}/history",
                                                 user.token, params={"format": "csv"})
    return Response(upstream.content, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="riwayat-{proposal_id}.csv"',
                             "Cache-Control": "private, no-store"})


@router.get("/penawaran")
async def offers_page(request: Request, user: CurrentUser) -> Response:
    offers = await backend_of(request).get("proposals", "/v1/offers", user.token)
    return render(request, "offers.html", offers=offers)


def ending_within(rows: list[dict[str, Any]], days: int, today: date) -> list[dict[str, Any]]:
    out = []
    for p in rows:
        end = p.get("term_end")
        if p.get("stage") == "pelaksanaan" and end:
            left = (date.fromisoformat(end) - today).days
            if 0 <= left <= days:
                out.append({**p, "days_left": left})
    return sorted(out, key=lambda p: p["days_left"])
