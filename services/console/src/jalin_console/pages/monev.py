"""Monev: each cooperation's evaluation plan (the evaluation service's ``GET /v1/plans``), a
plan's monev rounds and end-of-term reminders, overdue rounds marked as Beranda counts them."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from jalin_kit.http import OBJECT_ID
from starlette.responses import Response

from jalin_console.backend import PageError
from jalin_console.web import CurrentUser, backend_of, render

router = APIRouter()
PLAN_LIMIT = 200  # the evaluation service's largest page
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
async def plans_page(request: Request, user: CurrentUser, status: str = "", q: str = "", proposal_id: str = "") -> Response:
    status = status if status in PLAN_STATUSES else ""
    q = q.strip()[:200]
    proposal_id = proposal_id if OBJECT_ID.fullmatch(proposal_id) else ""
    plans = await backend_of(request).get("evaluation", "/v1/plans", user.token, status=status, proposal_id=proposal_id,
                                          limit=PLAN_LIMIT)
    if q:
        plans = [p for p in plans if q.lower() in p["proposal_title"].lower()]
    today = date.today()
    return render(request, "monev.html", rows=[_summary(p, today) for p in plans], statuses=PLAN_STATUSES,
                  filters={"status": status, "q": q, "proposal_id": proposal_id})


@router.get("/monev/{plan_id}")
async def plan_page(request: Request, user: CurrentUser, plan_id: str) -> Response:
    if not OBJECT_ID.fullmatch(plan_id):
        raise PageError(404)
    plan = await backend_of(request).get("evaluation", f"/v1/plans/{plan_id}", user.token)
    late = {r["number"] for r in overdue(plan, date.today())}
    return render(request, "monev_plan.html", plan=plan, late=late)


@router.api_route("/monev/{rest:path}", methods=["GET", "POST"], include_in_schema=False)
async def no_such_page(rest: str) -> Response:
    """Anything else under /monev/ (``..%2f`` too) is the 404 page, not the router's slash redirect."""
    if rest == "":
        return RedirectResponse("/monev", status_code=307)
    raise PageError(404)
