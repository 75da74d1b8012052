"""Tables and schemas of the notifications service."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from jalin_kit.db import TenantScoped, utcnow
from pydantic import BaseModel
from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field


class RecipientType(StrEnum):
    UNIT = "unit"  # an OPD: everyone whose token names that unit
    ROLE = "role"  # e.g. kerja_sama: the cooperation section


class Message(TenantScoped, table=True):
    """An in-app inbox message for a unit or a role, in Indonesian with English beside it."""

    __tablename__ = "messages"
    __table_args__ = (UniqueConstraint("tenant_id", "source_event_id", "recipient_type", "recipient"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    recipient_type: str = Field(max_length=8)
    recipient: str = Field(max_length=64, index=True)
    kind: str = Field(max_length=64)
    proposal_id: str | None = Field(default=None, max_length=36, index=True)
    title_id: str = Field(max_length=255)
    body_id: str = Field(sa_column=Column(Text, nullable=False))
    title_en: str = Field(max_length=255)
    body_en: str = Field(sa_column=Column(Text, nullable=False))
    source_event_id: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, index=True)
    read_at: datetime | None = None
    read_by: str | None = Field(default=None, max_length=128)


class EmailStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Email(TenantScoped, table=True):
    """An email waiting for, or done with, the SMTP server (an outbox for mail)."""

    __tablename__ = "emails"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    message_id: str = Field(max_length=36, index=True)
    to_addr: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=EmailStatus.PENDING.value, max_length=8, index=True)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow)
    last_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    created_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None


class MessagePublic(BaseModel):
    id: str
    kind: str
    recipient_type: RecipientType
    recipient: str
    proposal_id: str | None
    title: str
    body: str
    lang: str
    created_at: datetime
    read_at: datetime | None

    @classmethod
    def of(cls, m: Message, lang: str) -> MessagePublic:
        english = lang == "en"
        return cls(
            id=m.id,
            kind=m.kind,
            recipient_type=RecipientType(m.recipient_type),
            recipient=m.recipient,
            proposal_id=m.proposal_id,
            title=m.title_en if english else m.title_id,
            body=m.body_en if english else m.body_id,
            lang="en" if english else "id",
            created_at=m.created_at,
            read_at=m.read_at,
        )


TABLES = ("messages", "emails")
