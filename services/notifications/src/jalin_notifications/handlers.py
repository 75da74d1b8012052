"""Event handlers: events become inbox messages and queued emails, in one transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from jalin_kit.consumers import EventConsumers, EventContext
from jalin_kit.events import (
    DocumentGenerated,
    EvaluationDue,
    IntegrationEvent,
    ProposalApproved,
    ProposalRejected,
    ProposalSubmitted,
)
from jalin_kit.tenants import TenantDirectory, TenantInfo

from jalin_notifications import texts
from jalin_notifications.models import Email, Message

consumers = EventConsumers(service="notifications", source="/jalin/notifications")


class Deps:
    tenants: TenantDirectory


deps = Deps()


async def deliver(ctx: EventContext, event: Any, tenant: TenantInfo, notices: list[texts.Notice]) -> None:
    proposal_id = getattr(event, "proposal_id", None)
    for notice in notices:
        message = Message(
            tenant_id=tenant.id,
            recipient_type=notice.recipient_type.value,
            recipient=notice.recipient,
            kind=notice.kind,
            proposal_id=proposal_id,
            title_id=notice.title_id,
            body_id=notice.body_id,
            title_en=notice.title_en,
            body_en=notice.body_en,
            source_event_id=ctx.envelope.id,
        )
        ctx.session.add(message)
        ctx.session.add(
            Email(
                tenant_id=tenant.id,
                message_id=message.id,
                to_addr=notice.mailbox(tenant),
                subject=f"[Jalin] {notice.title_id}",
                body=(
                    f"{notice.body_id}\n\n-- \nPesan ini dikirim otomatis oleh Jalin.\n\n"
                    f"[English]\n{notice.title_en}\n\n{notice.body_en}\n"
                ),
            )
        )


def _register(
    event_cls: type[IntegrationEvent], compose: Callable[[Any, Any], list[texts.Notice]], doc: str
) -> None:
    async def handler(ctx: EventContext, event: Any) -> None:
        tenant = deps.tenants.get(ctx.envelope.tenant_id)
        await deliver(ctx, event, tenant, compose(event, tenant))

    handler.__doc__ = doc
    handler.__name__ = f"notify_{event_cls.aggregate}_{event_cls.event}"
    consumers.on(event_cls)(handler)


_register(ProposalSubmitted, texts.proposal_submitted, "Tell the cooperation section and the unit.")
_register(ProposalApproved, texts.proposal_approved, "Tell the proposing unit and the cooperation section.")
_register(ProposalRejected, texts.proposal_rejected, "Tell the proposing unit why.")
_register(DocumentGenerated, texts.document_generated, "Tell them the KB draft is ready.")
_register(EvaluationDue, texts.evaluation_due, "Remind them the term is ending.")
