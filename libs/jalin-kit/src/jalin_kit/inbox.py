"""Idempotent consumers: the inbox (``processed_events``) and the dead-letter store.

``processed_events (consumer, event_id)`` is written in the same transaction as the
side effect, so a redelivered or re-published event is acked and skipped. A message
that fails ``max_deliver`` times lands in ``dead_letters`` for operators to list and
replay (``jalin dead-letters``).
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import Column, LargeBinary, Text
from sqlmodel import Field, SQLModel

from jalin_kit.db import utcnow


class ProcessedEvent(SQLModel, table=True):
    __tablename__ = "processed_events"

    consumer: str = Field(primary_key=True, max_length=128)
    event_id: str = Field(primary_key=True, max_length=64)
    processed_at: datetime = Field(default_factory=utcnow)


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letters"

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(max_length=128, index=True)
    subject: str = Field(max_length=255)
    event_id: str | None = Field(default=None, max_length=64)
    tenant_id: str | None = Field(default=None, max_length=64)
    stream_seq: int | None = None
    deliveries: int = 0
    headers: str = Field(sa_column=Column(Text, nullable=False))
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    error: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    replayed_at: datetime | None = None
    replay_count: int = 0
    replay_error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))

    def header_dict(self) -> dict[str, str]:
        return dict(json.loads(self.headers))


KIT_TABLES = ("outbox", "processed_events", "dead_letters", "tenants")
