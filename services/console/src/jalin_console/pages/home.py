"""Beranda: what waits for me or my unit (with its due date), counts by stage, what ends soon,
overdue monev, unread messages."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from jalin_console.backend import Backend
from jalin_console.pages.proposals import ending_within
from jalin_console.web import CurrentUser, User, backend_of, render

router = APIRouter()
RECENT = 200  # the most recent cooperations, among which the open ones are looked at
TASK_SCAN = 50  # the most recent open cooperations whose next actions are asked for (one call)
ENDING = timedelta(days=90)  # cooperations in force ending within this are shown
UNREAD_SHOWN = 100  # unread messages counted up to this ("100+")
MONEV_AHEAD = timedelta(days=30)  # a monev round due within this is a task of the cooperation's people
MAX_ROUNDS = 10  # open mapping rounds looked at for an OPD's own submission
# Where a decision or a unit's action is awaited. A cooperation in force (or ended) offers
# commands too (terminate, complete, an addendum), but nothing waits on them.
NOT_WAITING = frozenset({"pelaksanaan", "selesai", "diakhiri"})


async def _decisions(backend: Backend, user: User, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The cooperations where the proposals service offers this user a step now (one call for all)."""
    open_rows = {p["id"]: p for p in rows if p["stage"] not in NOT_WAITING}
    ids = list(open_rows)[:TASK_SCAN]
    if not ids:
        return []
    answers = await backend.get("proposals", "/v1/proposal-actions", user.token, id=ids)
    return [{"kind": "decision", "href": f"/usulan/{a['proposal_id']}", "title": open_rows[a["proposal_id"]]["title"],
             "stage": open_rows[a["proposal_id"]]["stage"], "commands": [c["command"] for c in a["actions"]],
             "due": None, "since": str(open_rows[a["proposal_id"]]["updated_at"])[:10]}
            for a in answers if a["actions"] and a["proposal_id"] in open_rows]


async def _mapping(backend: Backend, user: User, can: frozenset[str]) -> list[dict[str, Any]]:
    """An OPD's open mapping rounds it has not answered yet, by their deadline."""
    if "mapping.potential.submit" not in can:
        return []
    rounds = [r for r in await backend.get("proposals", "/v1/mapping-rounds", user.token, status="open")
              if r.get("accepting")][:MAX_ROUNDS]
    mine = await asyncio.gather(*(backend.get("proposals", "/v1/potentials", user.token, round_id=r["id"], limit=1)
                                  for r in rounds))
    return [{"kind": "mapping", "href": f"/pemetaan/{r['id']}", "title": r["title"], "due": r["deadline"]}
            for r, submitted in zip(rounds, mine, strict=True) if not submitted]


def _monev(plans: list[dict[str, Any]], today: date) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Monev rounds of active plans: due within ``MONEV_AHEAD`` (tasks), and overdue."""
    soon, overdue = [], []
    for plan in plans:
        if plan.get("status") != "active":
            continue
        for r in plan.get("rounds", []):
            due = date.fromisoformat(r["due_on"]) if r.get("due_on") else None
            if due is None:
                continue
            if due < today:
                overdue.append({"plan": plan, "round": r})
            elif due <= today + MONEV_AHEAD:
                soon.append({"kind": "monev", "href": f"/monev/{plan['id']}", "title": plan.get("proposal_title") or "",
                             "round": r.get("number"), "due": r["due_on"]})
    return soon, overdue


@router.get("/")
async def home(request: Request, user: CurrentUser) -> Response:
    backend = backend_of(request)
    today = date.today()
    rows, in_force, counts, offers, unread, plans = await asyncio.gather(
        backend.get("proposals", "/v1/proposals", user.token, limit=RECENT),
        backend.get("proposals", "/v1/proposals", user.token, stage="pelaksanaan",
                    ends_before=(today + ENDING).isoformat(), limit=500),
        backend.get("proposals", "/v1/proposal-counts", user.token),
        backend.get("proposals", "/v1/offers", user.token),
        backend.get("notifications", "/v1/inbox", user.token, unread="true", limit=UNREAD_SHOWN),
        backend.get("evaluation", "/v1/plans", user.token, status="active", limit=200),
    )
    decisions, mapping = await asyncio.gather(_decisions(backend, user, rows), _mapping(backend, user, request.state.can))
    monev_soon, overdue = _monev(plans, today)
    # What has a date first, the soonest first; then the decisions, the longest waiting first.
    tasks = sorted([*mapping, *monev_soon], key=lambda x: x["due"]) + sorted(decisions, key=lambda x: x["since"])
    return render(request, "home.html", tasks=tasks, stages=counts["by_stage"],
                  ending=ending_within(in_force, ENDING.days, today), offers=offers, unread=len(unread),
                  unread_more=len(unread) >= UNREAD_SHOWN, overdue=overdue[:20])
