"""Kotak masuk: the messages for me, my unit and my roles; marking one read."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from jalin_console.web import CurrentUser, backend_of, lang_of, object_id, render

router = APIRouter()


@router.get("/kotak-masuk")
async def inbox_page(request: Request, user: CurrentUser) -> Response:
    messages = await backend_of(request).get("notifications", "/v1/inbox", user.token, lang=lang_of(request), limit=200)
    return render(request, "inbox.html", messages=messages, unread=sum(1 for m in messages if not m["read_at"]))


@router.post("/kotak-masuk/{message_id}/dibaca")
async def mark_read(request: Request, user: CurrentUser, message_id: str) -> Response:
    object_id(message_id)
    await backend_of(request).post("notifications", f"/v1/inbox/{message_id}/read", user.token)
    return RedirectResponse("/kotak-masuk", status_code=303)
