"""Tables and schemas of the documents service."""

from __future__ import annotations

import uuid
from datetime import datetime

from jalin_kit.db import TenantScoped, utcnow
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field


class Document(TenantScoped, table=True):
    """A generated or uploaded text, e.g. a Kesepakatan Bersama (KB) draft."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("tenant_id", "proposal_id", "kind", "version"),)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    proposal_id: str = Field(index=True, max_length=36)
    kind: str = Field(max_length=16)
    version: int
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    blob_key: str = Field(max_length=255)
    source_event_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)


class DocumentPublic(BaseModel):
    id: str
    proposal_id: str
    kind: str
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str
    created_at: datetime

    @classmethod
    def of(cls, d: Document) -> DocumentPublic:
        return cls.model_validate(d, from_attributes=True)


TABLES = ("documents",)
