"""Tables and schemas of the documents service.

Every table of a cooperation inherits :class:`~jalin_kit.db.SharedScoped`: the owner's
rows carry ``shared_with`` = the partner region when the partner is a Jalin tenant, so
both sides read that cooperation's documents and attachments and only the owner writes
them (see ``sharing.py``).
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from jalin_kit.db import SharedScoped, utcnow
from pydantic import BaseModel
from sqlalchemy import UniqueConstraint
from sqlmodel import Field


class Document(SharedScoped, table=True):
    """A generated text, e.g. a Kesepakatan Bersama (KB) draft. A signed scan locks it."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("tenant_id", "proposal_id", "kind", "version"),)
    __unit_column__ = "unit"  # an OPD's cooperation's documents are that OPD's (jalin_kit.db)

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    proposal_id: str = Field(index=True, max_length=36)
    unit: str | None = Field(default=None, max_length=64, index=True, description="The proposal's unit (OPD).")
    kind: str = Field(max_length=16)
    version: int
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    blob_key: str = Field(max_length=255)
    source_event_id: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    locked_at: datetime | None = None
    locked_by: str | None = Field(default=None, max_length=255, description="User who uploaded the signed scan.")
    locked_by_attachment_id: str | None = Field(default=None, max_length=36)


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
    locked_at: datetime | None = None
    locked_by: str | None = None
    locked_by_attachment_id: str | None = None

    @classmethod
    def of(cls, d: Document) -> DocumentPublic:
        return cls.model_validate(d, from_attributes=True)


class AttachmentKind(StrEnum):
    KAK = "kak"  # Kerangka Acuan Kerja (terms of reference)
    FEASIBILITY_STUDY = "feasibility_study"
    LETTER = "letter"
    DPRD_DECISION = "dprd_decision"
    SIGNED_SCAN = "signed_scan"  # the signed text of a generated document: locks it
    OTHER = "other"


class Attachment(SharedScoped, table=True):
    """A file a region uploaded for a proposal. ``tenant_id`` is the uploading region."""

    __tablename__ = "attachments"
    __unit_column__ = "unit"

    id: str = Field(default_factory=lambda: str(uuid.uuid4()), primary_key=True, max_length=36)
    proposal_id: str = Field(index=True, max_length=36)
    unit: str | None = Field(
        default=None, max_length=64, index=True, description="The proposal's unit (OPD); none for the partner's uploads."
    )
    document_id: str | None = Field(default=None, index=True, max_length=36)
    kind: str = Field(max_length=32)
    title: str | None = Field(default=None, max_length=200)
    filename: str = Field(max_length=255)
    media_type: str = Field(max_length=128)
    size: int
    sha256: str = Field(max_length=64)
    blob_key: str = Field(max_length=255)
    uploaded_by: str = Field(max_length=255)
    created_at: datetime = Field(default_factory=utcnow)


class AttachmentPublic(BaseModel):
    id: str
    proposal_id: str
    document_id: str | None
    kind: AttachmentKind
    title: str | None
    filename: str
    media_type: str
    size: int
    sha256: str
    tenant: str
    """The uploading region (the partner's own uploads show its tenant id)."""
    uploaded_by: str
    created_at: datetime
    locked: bool
    """True for a signed scan and for whatever was uploaded before a document of the
    proposal was locked: it can no longer be deleted."""
    deletable: bool = False
    """Whether the caller may delete it now (its region uploaded it, the caller's roles may
    delete, and it is not locked)."""

    @classmethod
    def of(cls, a: Attachment, locked: bool, deletable: bool = False) -> AttachmentPublic:
        return cls(
            id=a.id,
            proposal_id=a.proposal_id,
            document_id=a.document_id,
            kind=AttachmentKind(a.kind),
            title=a.title,
            filename=a.filename,
            media_type=a.media_type,
            size=a.size,
            sha256=a.sha256,
            tenant=a.tenant_id,
            uploaded_by=a.uploaded_by,
            created_at=a.created_at,
            locked=locked,
            deletable=deletable and not locked,
        )


class CooperationParty(SharedScoped, table=True):
    """A proposal this service knows, learnt from the proposals service's events (drafted,
    imported, approved): ``tenant_id`` is the owner (the proposing region), ``unit`` its OPD,
    ``shared_with`` the partner region when it is a tenant and the offer was made. Files are
    accepted only for a proposal known here."""

    __tablename__ = "cooperation_parties"
    __unit_column__ = "unit"

    proposal_id: str = Field(primary_key=True, max_length=36)
    unit: str | None = Field(default=None, max_length=64)
    updated_at: datetime = Field(default_factory=utcnow)


TABLES = ("documents", "attachments", "cooperation_parties")
