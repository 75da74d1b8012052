"""Event handlers: events become inbox messages and queued emails, in one transaction.

The transaction is a tenant session of the event's tenant (the cooperation's owner).
When the partner of a cooperation is another tenant of the directory, its notices are
added in the same transaction under the partner's tenant id (``allow_new_rows_for``):
one processing per event and consumer (the inbox) covers both regions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.db import allow_new_rows_for
from jalin_kit.events import (
    STEP_EVENTS,
    CooperationStep,
    DocumentGenerated,
    EvaluationDue,
    IntegrationEvent,
    MappingReminderDue,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.tenants import TenantDirectory, TenantInfo, follow_registry

from jalin_notifications import texts
from jalin_notifications.deps import Deps
from jalin_notifications.models import Email, Message
from jalin_notifications.texts.common import clip

SERVICE, SOURCE = "notifications", "/jalin/notifications"
TITLE_MAX = 255  # messages.title_id / title_en, emails.subject

Addressed = list[tuple[TenantInfo, list[texts.Notice]]]
Compose = Callable[[Any, TenantInfo, TenantInfo | None], Addressed]


async def partner_tenant(event: Any, owner: TenantInfo, tenants: TenantDirectory) -> TenantInfo | None:
    """The partner region the cooperation is shared with (from the offer on), else None. Not
    ``partner.tenant``: a draft names its partner long before the partner may hear of it,
    and an imported agreement never does. The owner shared it only with a region of its
    registry: one this service's copy does not know yet is waited for (the event is retried)."""
    tenant = getattr(event, "shared_with", None)
    if not tenant or tenant == owner.id:
        return None
    return await tenants.require(tenant)


async def deliver(ctx: EventContext, event: Any, tenant: TenantInfo, notices: list[texts.Notice]) -> None:
    """Inbox messages and emails in ``tenant`` (the event's, or the partner's)."""
    if not notices:
        return
    if tenant.id != ctx.envelope.tenant_id:
        allow_new_rows_for(ctx.session, tenant.id)
    proposal_id = getattr(event, "proposal_id", None)
    for notice in notices:
        message = Message(
            tenant_id=tenant.id,
            recipient_type=notice.recipient_type.value,
            recipient=notice.recipient,
            kind=notice.kind,
            proposal_id=proposal_id,
            title_id=clip(notice.title_id, TITLE_MAX),
            body_id=notice.body_id,
            title_en=clip(notice.title_en, TITLE_MAX),
            body_en=notice.body_en,
            source_event_id=ctx.envelope.id,
        )
        ctx.session.add(message)
        ctx.session.add(
            Email(
                tenant_id=tenant.id,
                message_id=message.id,
                to_addr=notice.mailbox(tenant),
                subject=clip(f"[Jalin] {notice.title_id}", TITLE_MAX),
                body=(
                    f"{notice.body_id}\n\n-- \nPesan ini dikirim otomatis oleh Jalin.\n\n"
                    f"[English]\n{notice.title_en}\n\n{notice.body_en}\n"
                ),
            )
        )


def _register(consumers: EventConsumers, event_cls: type[IntegrationEvent], compose: Compose, doc: str) -> None:
    async def handler(ctx: EventContext, event: Any) -> None:
        tenants = Deps.of(ctx.deps).tenants
        owner = await tenants.require(ctx.envelope.tenant_id)
        for tenant, notices in compose(event, owner, await partner_tenant(event, owner, tenants)):
            await deliver(ctx, event, tenant, notices)

    handler.__doc__ = doc
    handler.__name__ = f"notify_{event_cls.aggregate}_{event_cls.event}"
    consumers.on(event_cls)(handler)


def _owner_only(notices: Callable[[Any, TenantInfo], list[texts.Notice]]) -> Compose:
    return lambda e, owner, _partner: [(owner, notices(e, owner))]


def _approved(e: ProposalApproved, owner: TenantInfo, partner: TenantInfo | None) -> Addressed:
    out: Addressed = [(owner, texts.proposal_approved(e, owner))]
    if partner is not None:
        out.append((partner, texts.offer_to_partner(e, owner, partner)))
    return out


def _rejected(e: ProposalRejected, owner: TenantInfo, partner: TenantInfo | None) -> Addressed:
    """The partner hears of a rejection only once it had the offer (the event is shared with it)."""
    out: Addressed = [(owner, texts.proposal_rejected(e, owner))]
    if partner is not None:
        out.append((partner, texts.rejection_to_partner(e, owner, partner)))
    return out


def _step(e: CooperationStep, owner: TenantInfo, partner: TenantInfo | None) -> Addressed:
    mine, theirs = texts.step_notices(e, owner, partner)
    return [(owner, mine)] + ([(partner, theirs)] if partner is not None else [])


def build_consumers(deps: Deps | None = None) -> EventConsumers:
    """This service's event handlers, fresh for one app. ``deps`` reach them as ``ctx.deps``;
    without (None), the registrations alone: the AsyncAPI document, the list of durables."""
    consumers = EventConsumers(service=SERVICE, source=SOURCE, deps=deps)
    on = functools.partial(_register, consumers)
    on(ProposalSubmitted, _owner_only(texts.proposal_submitted), "Tell the cooperation section and the unit.")
    on(
        ProposalApproved,
        _approved,
        "Tell the proposing unit and the cooperation section; send the offer to a partner region on Jalin.",
    )
    on(ProposalRejected, _rejected, "Tell the proposing unit why, and the partner region if it had the offer.")
    on(DocumentGenerated, _owner_only(texts.document_generated), "Tell them the KB draft is ready.")
    on(EvaluationDue, _owner_only(texts.evaluation_due), "Remind them the term is ending.")
    for key, cls in STEP_EVENTS.items():
        who = "the cooperation section" if key in texts.INTERNAL_STEPS else "the cooperation sections of both regions"
        on(cls, _step, f"{(cls.__doc__ or '').strip()} Tell the proposing unit and {who}.")
    on(
        MappingReminderDue,
        _owner_only(texts.mapping_reminder),
        "Remind each unit that has not submitted its potentials; a summary to the cooperation section.",
    )
    follow_registry(consumers)  # this service's copy of the tenant registry
    return consumers
