"""Monev: each cooperation's evaluation plan (the evaluation service's ``GET /v1/plans``), a
plan's monev rounds and end-of-term reminders, overdue rounds marked as Beranda counts them."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from jalin_kit.http import OBJECT_ID
from starlette.responses import Response

from jalin_console.web import CurrentUser, backend_of, object_id, render

router = APIRouter()
PAGE_SIZE = 50
PLAN_STATUSES = ("provisional", "active", "closed", "cancelled")


def overdue(plan: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The rounds of a plan under way whose due date has passed (Beranda's "Monev terlambat")."""
    if plan.get("status") != "active":
        return []
    return [r for r in plan.get("rounds", []) if r.get("due_on") and date.fromisoformat(r["due_on"]) < today]


def _summary(plan: dict[str, Any], today: date) -> dict[str, Any]:
    upcoming = next((r for r in plan.get("rounds", []) if date.fromisoformat(r["due_on"]) >= today), None)
    return {**plan, "late": len(overdue(plan, today)), "upcoming": upcoming}


@router.get("/monev")
async def plans_page(request: Request, user: CurrentUser, status: str = "", q: str = "", proposal_id: str = "",
                     page: int = 1) -> Response:
    """The plans, searched and paged by the evaluation service (``X-Total-Count``)."""
    status = status if status in PLAN_STATUSES else ""
    q = " ".join(q.split())[:200]
    proposal_id = proposal_id if OBJECT_ID.fullmatch(proposal_id) else ""
    page = max(1, min(page, 10_000))
    filters = {"status": status, "q": q, "proposal_id": proposal_id}
    sent = {k: v for k, v in filters.items() if v}
    r = await backend_of(request).request("GET", "evaluation", "/v1/plans", user.token,
                                          params={**sent, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
    total = int(r.headers.get("x-total-count", "0"))
    today = date.today()
    return render(request, "monev.html", rows=[_summary(p, today) for p in r.json()], statuses=PLAN_STATUSES,
                  filters=filters, page=page, pages=max(1, -(-total // PAGE_SIZE)), total=total, query=urlencode(sent))


@router.get("/monev/{plan_id}")
async def plan_page(request: Request, user: CurrentUser, plan_id: str) -> Response:
    object_id(plan_id)
    plan = await backend_of(request).get("evaluation", f"/v1/plans/{plan_id}", user.token)
    late = {r["number"] for r in overdue(plan, date.today())}
    return render(request, "monev_plan.html", plan=plan, late=late)
