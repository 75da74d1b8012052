"""Beranda: what waits for me, counts by stage, what ends soon, overdue monev, unread messages."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from jalin_console.backend import PageError
from jalin_console.pages.proposals import ending_within
from jalin_console.web import CurrentUser, backend_of, render

router = APIRouter()
RECENT = 200  # the most recent cooperations, among which the open ones are looked at
TASK_SCAN = 50  # the most recent open cooperations whose next actions are asked for
CONCURRENT_CALLS = 8  # of those, asked at once (one page must not take the console's whole connection pool)
# Where a decision or a unit's action is awaited. A cooperation in force (or ended) offers
# commands too (terminate, complete, an addendum), but nothing waits on them.
NOT_WAITING = frozenset({"pelaksanaan", "selesai", "diakhiri"})


@router.get("/")
async def home(request: Request, user: CurrentUser) -> Response:
    backend = backend_of(request)
    rows, in_force, counts, offers, unread, plans = await asyncio.gather(
        backend.get("proposals", "/v1/proposals", user.token, limit=RECENT),
        backend.get("proposals", "/v1/proposals", user.token, stage="pelaksanaan", limit=500),
        backend.get("proposals", "/v1/proposal-counts", user.token),
        backend.get("proposals", "/v1/offers", user.token),
        backend.get("notifications", "/v1/inbox", user.token, unread="true", limit=500),
        backend.get("evaluation", "/v1/plans", user.token, limit=200),
    )
    open_rows = [p for p in rows if p["stage"] not in NOT_WAITING][:TASK_SCAN]
    gate = asyncio.Semaphore(CONCURRENT_CALLS)

    async def actions(p: dict[str, Any]) -> list[dict[str, Any]]:
        async with gate:
            try:
                return await backend.get("proposals", f"/v1/proposals/{p['id']}/actions", user.token)  # type: ignore[no-any-return]
            except PageError as exc:
                if exc.status in (403, 404):  # gone or no longer ours since the list was read
                    return []
                raise

    answers = await asyncio.gather(*(actions(p) for p in open_rows))
    tasks = [{"p": p, "commands": [a["command"] for a in acts]} for p, acts in zip(open_rows, answers, strict=True) if acts]
    today = date.today()
    overdue = [{"plan": plan, "round": r} for plan in plans if plan.get("status") == "active"
               for r in plan.get("rounds", []) if r.get("due_on") and date.fromisoformat(r["due_on"]) < today]
    return render(request, "home.html", tasks=tasks, stages=counts["by_stage"],
                  ending=ending_within(in_force, 90, today), offers=offers, unread=len(unread), overdue=overdue[:20])
