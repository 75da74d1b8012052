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
TASK_SCAN = 50  # the most recent cooperations under way whose next actions are asked for (one call)
UNDER_WAY = ["draft", "submitted", "approved", "rejected"]  # statuses where a step may be awaited (a
# cooperation in force or ended offers commands too, terminate, complete, an addendum, but nothing waits on them)
ENDING = timedelta(days=90)  # cooperations in force ending within this are shown
UNREAD_SHOWN = 100  # unread messages counted up to this ("100+")
MONEV_AHEAD = timedelta(days=30)  # a monev round due within this is a task of the cooperation's people
MONEV_SHOWN = 50  # plans with a round due soon, and (20) with overdue rounds, listed
MAX_ROUNDS = 10  # open mapping rounds looked at for an OPD's own submission


async def _decisions(backend: Backend, user: User) -> list[dict[str, Any]]:
    """The cooperations under way where the proposals service offers this user a step now."""
    rows = await backend.get("proposals", "/v1/proposals", user.token, status=UNDER_WAY, limit=TASK_SCAN)
    if not rows:
        return []
    by_id = {p["id"]: p for p in rows}
    answers = await backend.get("proposals", "/v1/proposal-actions", user.token, id=list(by_id))
    return [{"kind": "decision", "href": f"/usulan/{a['proposal_id']}", "title": by_id[a["proposal_id"]]["title"],
             "stage": by_id[a["proposal_id"]]["stage"], "commands": [c["command"] for c in a["actions"]],
             "due": None, "since": str(by_id[a["proposal_id"]]["updated_at"])[:10]}
            for a in answers if a["actions"] and a["proposal_id"] in by_id]


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


def _monev_soon(plans: list[dict[str, Any]], today: date) -> list[dict[str, Any]]:
    return [{"kind": "monev", "href": f"/monev/{plan['id']}", "title": plan.get("proposal_title") or "",
             "round": r.get("number"), "due": r["due_on"]}
            for plan in plans for r in plan.get("rounds", [])
            if today <= date.fromisoformat(r["due_on"]) <= today + MONEV_AHEAD]


@router.get("/")
async def home(request: Request, user: CurrentUser) -> Response:
    backend = backend_of(request)
    today = date.today()
    day = timedelta(days=1)
    in_force, counts, offers, unread, soon, late, decisions, mapping = await asyncio.gather(
        backend.get("proposals", "/v1/proposals", user.token, stage="pelaksanaan",
                    ends_before=(today + ENDING).isoformat(), limit=500),
        backend.get("proposals", "/v1/proposal-counts", user.token),
        backend.get("proposals", "/v1/offers", user.token),
        backend.get("notifications", "/v1/inbox", user.token, unread="true", limit=UNREAD_SHOWN),
        backend.get("evaluation", "/v1/plans", user.token, status="active", round_due_from=today.isoformat(),
                    round_due_to=(today + MONEV_AHEAD).isoformat(), limit=MONEV_SHOWN),
        backend.request("GET", "evaluation", "/v1/plans", user.token,
                        params={"status": "active", "round_due_to": (today - day).isoformat(), "limit": 20}),
        _decisions(backend, user),
        _mapping(backend, user, request.state.can),
    )
    overdue = [{"plan": plan, "round": r} for plan in late.json() for r in plan.get("rounds", [])
               if date.fromisoformat(r["due_on"]) < today][:20]
    # What has a date first, the soonest first; then the decisions, the longest waiting first.
    tasks = sorted([*mapping, *_monev_soon(soon, today)], key=lambda x: x["due"]) + sorted(decisions, key=lambda x: x["since"])
    return render(request, "home.html", tasks=tasks, stages=counts["by_stage"],
                  ending=ending_within(in_force, ENDING.days, today), offers=offers, unread=len(unread),
                  unread_more=len(unread) >= UNREAD_SHOWN, overdue=overdue,
                  overdue_plans=int(late.headers.get("x-total-count", "0")))
