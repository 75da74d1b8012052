"""The audit trail of a cooperation, as JSON or CSV."""

from __future__ import annotations

import csv
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from jalin_kit.auth import CurrentPrincipal
from jalin_kit.http import ObjectId, TenantReadSession
from jalin_kit.openapi import NOT_FOUND
from sqlmodel import col, select

from jalin_proposals import access
from jalin_proposals.api.common import load
from jalin_proposals.models import HistoryEntry
from jalin_proposals.schemas import HistoryPublic

router = APIRouter(prefix="/v1/proposals", tags=["audit"])

COLUMNS = list(HistoryPublic.model_fields)


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (comments come from other people)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@router.get(
    "/{proposal_id}/history",
    response_model=list[HistoryPublic],
    responses={
        200: {"description": "The entries, oldest first: JSON, or CSV (UTF-8, a header row) with ?format=csv.",
              "content": {"text/csv": {"schema": {"type": "string"}}}},
        **NOT_FOUND,
    },
)
async def history(
    proposal_id: ObjectId,
    principal: CurrentPrincipal,
    session: TenantReadSession,
    format_: Annotated[Literal["json", "csv"], Query(alias="format")] = "json",
) -> list[HistoryPublic] | Response:
    """Every action on the cooperation: who (user, tenant, roles), when, from which stage
    to which, and why. ``?format=csv`` exports it."""
    access.require("proposal.history", principal)
    p = await load(session, proposal_id)
    rows = (
        await session.exec(
            select(HistoryEntry).where(HistoryEntry.proposal_id == p.id).order_by(col(HistoryEntry.id))
        )
    ).all()
    entries = [HistoryPublic.of(h) for h in rows]
    if format_ == "json":
        return entries
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    for e in entries:
        writer.writerow({k: _cell(v) for k, v in e.model_dump(mode="json").items()})
    return Response(
        content=out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="riwayat-{p.id}.csv"'},
    )
