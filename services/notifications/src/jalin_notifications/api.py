"""HTTP routes under /v1/inbox: the caller's messages."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from jalin_kit.auth import CurrentPrincipal, Principal
from jalin_kit.db import utcnow
from jalin_kit.http import IdQuery, ObjectId, TenantReadSession, TenantSession, not_found
from jalin_kit.openapi import NOT_FOUND
from sqlalchemy import ColumnElement, and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from jalin_notifications import access
from jalin_notifications.models import Message, MessagePublic, RecipientType

router = APIRouter(prefix="/v1/inbox", tags=["inbox"])

Lang = Annotated[Literal["id", "en"], Query(description="id (Bahasa Indonesia, default) or en")]


def _mine(principal: Principal) -> ColumnElement[bool]:
    """Messages addressed to the caller's unit or to one of the caller's roles."""
    clauses = [
        and_(col(Message.recipient_type) == RecipientType.ROLE.value, col(Message.recipient).in_(principal.roles))
    ]
    if principal.unit:
        clauses.append(
            and_(col(Message.recipient_type) == RecipientType.UNIT.value, col(Message.recipient) == principal.unit)
        )
    return or_(*clauses)


@router.get("", response_model=list[MessagePublic])
async def inbox(
    principal: CurrentPrincipal,
    session: TenantReadSession,
    lang: Lang = "id",
    unread: Annotated[bool, Query(description="true: only messages not read yet")] = False,
    proposal_id: IdQuery = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[MessagePublic]:
    access.require("inbox.read", principal)
    query = select(Message).where(_mine(principal)).order_by(col(Message.created_at).desc()).limit(limit)
    if unread:
        query = query.where(col(Message.read_at).is_(None))
    if proposal_id:
        query = query.where(Message.proposal_id == proposal_id)
    return [MessagePublic.of(m, lang) for m in (await session.exec(query)).all()]


async def _load(session: AsyncSession, principal: Principal, message_id: str) -> Message:
    result = await session.exec(select(Message).where(Message.id == message_id, _mine(principal)))
    message = result.first()
    if message is None:
        raise not_found("message")
    return message


@router.get("/{message_id}", response_model=MessagePublic, responses=NOT_FOUND)
async def get_message(
    message_id: ObjectId, principal: CurrentPrincipal, session: TenantReadSession, lang: Lang = "id"
) -> MessagePublic:
    access.require("inbox.read", principal)
    return MessagePublic.of(await _load(session, principal, message_id), lang)


@router.post("/{message_id}/read", response_model=MessagePublic, responses=NOT_FOUND)
async def mark_read(
    message_id: ObjectId, principal: CurrentPrincipal, session: TenantSession, lang: Lang = "id"
) -> MessagePublic:
    access.require("inbox.mark_read", principal)
    message = await _load(session, principal, message_id)
    if message.read_at is None:
        message.read_at = utcnow()
        message.read_by = principal.user_id
        session.add(message)
        await session.commit()
    return MessagePublic.of(message, lang)
